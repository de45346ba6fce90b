"""``grad()``: ∂outputs/∂inputs as return values, as ``torch.autograd.grad``, without touching any ``.grad``.

It runs the engine's one backward sweep (:func:`microgradnet.engine.backward`) and puts every ``.grad`` it passed
through back as it was.
"""

from __future__ import annotations

from .engine import Node, backward, toposort
from .modes import describe

__all__ = ["grad"]


def grad(outputs, inputs, grad_outputs=None, create_graph: bool = False, allow_unused: bool = False):
    """∂outputs/∂inputs, returned as a tuple (one per input) without touching any ``.grad``.

    As ``torch.autograd.grad``: ``grad_outputs`` is ∂L/∂output for each output (1 for scalar outputs). With
    ``create_graph=True`` the returned gradients are nodes on the tape, so ``grad`` can be applied to them again:
    second derivatives, Hessian-vector products.
    """
    single = isinstance(inputs, Node)
    outputs = [outputs] if isinstance(outputs, Node) else list(outputs)
    inputs = [inputs] if single else list(inputs)
    if grad_outputs is None:
        grad_outputs = [o._unit_grad("grad") for o in outputs]
    elif isinstance(grad_outputs, Node) or not isinstance(grad_outputs, (list, tuple)):
        grad_outputs = [grad_outputs]
    root_grads = [o._as_root_grad(g, create_graph, "grad") for o, g in zip(outputs, grad_outputs)]
    order = toposort(outputs)
    saved = [(n, n.grad) for n in order]
    for x in inputs:
        x.grad = x._reset_grad()
    ids = {n._id for n in order}
    try:
        backward(outputs, root_grads, create_graph=create_graph)
        result = []
        for x in inputs:
            if x._id not in ids:
                if not allow_unused:
                    raise ValueError(f"grad: input {describe(x)} is not used to compute the outputs; "
                                     "pass allow_unused=True to get None for it")
                result.append(None)
            else:
                result.append(x.grad)
    finally:
        for n, g in saved:
            n.grad = g
    return result[0] if single else tuple(result)
