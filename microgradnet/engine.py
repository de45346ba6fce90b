"""The engine: one node type, one tape, one backward pass for ``Value`` and ``Tensor`` alike.

The tape
    Every node gets an id from one counter when it is created. A node's parents always exist before it, so
    creation order *is* a topological order: backward collects what the output depends on (an iterative walk, no
    recursion) and visits it by decreasing id. A chain 10⁶ deep works at Python's default recursion limit.

Gradient semantics (tested in ``tests/test_engine_semantics.py``)
    - Leaves (nodes with no parents) **accumulate**: ``backward`` adds into ``.grad``; call ``zero_grad`` (or set
      ``.grad`` yourself) between steps. This is what PyTorch and micrograd do for parameters.
    - Intermediates hold the gradient of the **latest** backward only: they are reset at the start of each
      backward, so calling ``backward`` twice doubles the leaves' gradients but not the intermediates'.
      (micrograd accumulates into intermediates too, which makes a second backward through a shared intermediate
      wrong; PyTorch keeps no intermediate gradients unless asked. We keep them all, for drawing.)
    - The graph is never freed: ``backward`` can be called again, and the renderer can draw it afterwards.
"""

from __future__ import annotations

import itertools

from .modes import (
    PER_THREAD,
    AnomalyError,
    anomaly_enabled,
    check_backward,
    check_forward,
    current_scope,
    describe,
    detect_anomaly,
    enable_grad,
    is_grad_enabled,
    no_grad,
    scope,
)
from .rules import RULES

__all__ = ["AnomalyError", "Node", "SWEEPS", "anomaly_enabled", "backward", "check_backward", "check_forward", "grad",
           "current_scope", "detect_anomaly", "enable_grad", "is_grad_enabled", "no_grad", "node_ids", "scope",
           "toposort"]

node_ids = itertools.count(1)
"""The tape's clock: every node takes the next number when it is made, so parents always have smaller ids."""


class Node:
    """What ``Value`` and ``Tensor`` share: ``data``, ``grad``, parents (``_prev``, argument order, repeats kept),
    the rule name ``_op``, the rule's attributes ``_args``, the tape id ``_id``, a ``label`` and ``_meta`` (where it
    was made: the module scope, and for scalar-level nodes the tensor op they belong to).

    ``_prev`` is a slot on ``Tensor`` and a property on ``Value`` (which keeps its one or two parents in slots of
    its own, so that a scalar node is one object for the garbage collector to track, not two)."""

    __slots__ = ("data", "grad", "_op", "_args", "_id", "label", "_meta", "__weakref__")

    @property
    def parents(self) -> tuple:
        """The inputs this node was computed from, in argument order (a repeated operand appears twice)."""
        return self._prev

    @property
    def op(self) -> str:
        """The name of the rule that made this node ('' for a leaf)."""
        return self._op

    @property
    def id(self) -> int:
        """The node's position on the tape (creation order)."""
        return self._id

    @property
    def rule(self):
        """The :class:`~microgradnet.rules.Rule` that made this node, or None for a leaf."""
        return RULES.get(self._op)

    @property
    def attrs(self) -> dict:
        """The rule's non-differentiable arguments by name (e.g. ``{'p': 2}`` for ``pow``)."""
        r = self.rule
        return dict(zip(r.attrs, self._args)) if r else {}

    def is_leaf(self) -> bool:
        return not self._prev

    # What backward asks of each node type (Value and Tensor each define these):
    #   _propagate(create_graph, anomaly)  add this node's grad × its rule's local derivative into each parent's grad
    #   _reset_grad() / _zero_grad()        an intermediate's grad before a backward / a grad no path reached
    #   _accumulate(current, g)             a leaf's grad after adding g
    #   _default_seed(op), _as_seed(g, create_graph, op)   ∂root/∂root: 1 for a scalar, or the caller's gradient


# ---------------------------------------------------------------------------------------------------- traversal
def toposort(roots) -> list:
    """Every node the roots depend on (roots included), in creation order: a topological order, found without
    recursion (a stack, not the call stack)."""
    roots = (roots,) if isinstance(roots, Node) else tuple(roots)
    seen = {}
    stack = []
    for r in roots:
        if r._id not in seen:
            seen[r._id] = r
            stack.append(r)
    while stack:
        for p in stack.pop()._prev:
            if p._id not in seen:
                seen[p._id] = p
                stack.append(p)
    return [seen[k] for k in sorted(seen)]


SWEEPS: dict = {}
"""node type → a faster backward for graphs made only of that type, registered by its module (``Value``'s, in
:mod:`microgradnet.value_sweep`, is built from the rule table and gives bit-identical gradients). It is skipped
when the backward is recorded (``create_graph``) or checked (``detect_anomaly``)."""


def backward(roots, gradients, create_graph: bool = False) -> list:
    """Reverse-mode sweep from ``roots`` seeded with ``gradients`` (one per root). Returns the tape it walked.

    See the module docstring for what ``.grad`` holds afterwards. With ``create_graph=True`` the gradients are
    themselves nodes on the tape (computed with the same rules), so they can be differentiated again.
    """
    anomaly = PER_THREAD.modes.anomaly
    special = SWEEPS.get(type(roots[0])) if roots and not (create_graph or anomaly) else None
    if special is not None and all(type(r) is type(roots[0]) for r in roots):
        return special(roots, gradients)
    order = toposort(roots)
    for n in order:  # intermediates hold the latest backward only
        if n._prev:
            n.grad = n._reset_grad()
    for r, g in zip(roots, gradients):  # seed: ∂L/∂root (a root that is also a leaf accumulates, as leaves do)
        r.grad = r._accumulate(r.grad, g)
    with enable_grad() if create_graph else no_grad():
        for n in reversed(order):  # newest first: every consumer of n has added its part into n.grad already
            if n._prev and n.grad is not None:
                n._propagate(create_graph, anomaly)
    for n in order:
        if n.grad is None:
            n.grad = n._zero_grad()
    return order


# ---------------------------------------------------------------------------------------------------- grad()
def grad(outputs, inputs, grad_outputs=None, create_graph: bool = False, allow_unused: bool = False):
    """∂outputs/∂inputs, returned as a tuple (one per input) without touching any ``.grad``.

    As ``torch.autograd.grad``: ``grad_outputs`` seeds each output (defaults to 1 for scalar outputs). With
    ``create_graph=True`` the returned gradients are nodes on the tape, so ``grad`` can be applied to them again:
    second derivatives, Hessian-vector products.
    """
    single = isinstance(inputs, Node)
    outputs = [outputs] if isinstance(outputs, Node) else list(outputs)
    inputs = [inputs] if single else list(inputs)
    if grad_outputs is None:
        grad_outputs = [o._default_seed("grad") for o in outputs]
    elif isinstance(grad_outputs, Node) or not isinstance(grad_outputs, (list, tuple)):
        grad_outputs = [grad_outputs]
    seeds = [o._as_seed(g, create_graph, "grad") for o, g in zip(outputs, grad_outputs)]
    order = toposort(outputs)
    saved = [(n, n.grad) for n in order]
    for x in inputs:
        x.grad = x._reset_grad()
    ids = {n._id for n in order}
    try:
        backward(outputs, seeds, create_graph=create_graph)
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
