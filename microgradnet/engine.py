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

import contextlib
import itertools
import math

import numpy as np

from .rules import RULES

_ids = itertools.count(1)
_state = {"grad": True, "anomaly": False, "scope": None, "plain": True}


def _set(key, value) -> None:
    """Change a mode; ``plain`` (recording, no anomaly checks, no scope) lets Value's hot path test one flag."""
    _state[key] = value
    _state["plain"] = _state["grad"] and not _state["anomaly"] and _state["scope"] is None


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


# ---------------------------------------------------------------------------------------------------- modes
def is_grad_enabled() -> bool:
    return _state["grad"]


class _GradMode(contextlib.ContextDecorator):
    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __enter__(self):
        self.prev = _state["grad"]
        _set("grad", self.enabled)

    def __exit__(self, *exc):
        _set("grad", self.prev)
        return False


def no_grad():
    """Context manager (and decorator): operations inside are computed but not recorded on the tape."""
    return _GradMode(False)


def enable_grad():
    """Context manager: record operations again inside a ``no_grad`` block."""
    return _GradMode(True)


class AnomalyError(FloatingPointError):
    """Raised by ``detect_anomaly`` at the first operation whose output or gradient is NaN or infinite."""


class detect_anomaly(contextlib.ContextDecorator):
    """Inside this block every operation checks its output, and backward checks every gradient it computes; the
    first NaN or infinity raises :class:`AnomalyError` naming the operation and its inputs."""

    def __enter__(self):
        self.prev = _state["anomaly"]
        _set("anomaly", True)
        return self

    def __exit__(self, *exc):
        _set("anomaly", self.prev)
        return False


def anomaly_enabled() -> bool:
    return _state["anomaly"]


def _describe(x) -> str:
    d = x.data if isinstance(x, Node) else x
    if isinstance(d, np.ndarray) and d.size > 6:
        return f"array{d.shape} {d.dtype} (min {np.nanmin(d):.4g}, max {np.nanmax(d):.4g}, " \
               f"{int(np.sum(~np.isfinite(d)))} non-finite)"
    name = f"{x.label or 'v' + str(x._id)}=" if isinstance(x, Node) else ""
    return f"{name}{np.array2string(np.asarray(d), precision=4) if isinstance(d, np.ndarray) else d!r}"


def _finite(d) -> bool:
    if isinstance(d, float):
        return math.isfinite(d)
    return bool(np.all(np.isfinite(d)))


def check_forward(node) -> None:
    """Anomaly mode: raise if ``node.data`` has a NaN or infinity."""
    if not _finite(node.data):
        ins = ", ".join(_describe(p) for p in node._prev) or "(a leaf)"
        raise AnomalyError(f"detect_anomaly: forward of '{node._op}' produced a non-finite value "
                           f"{_describe(node)}; its inputs: {ins}; attributes: {node.attrs}")


def check_backward(node, parent, i, contrib) -> None:
    if not _finite(contrib.data if isinstance(contrib, Node) else contrib):
        raise AnomalyError(f"detect_anomaly: backward of '{node._op}' (node v{node._id}) produced a non-finite "
                           f"gradient for its input #{i} {_describe(parent)}; upstream gradient "
                           f"{_describe(node.grad)}; node value {_describe(node)}")


# ---------------------------------------------------------------------------------------------------- scopes
@contextlib.contextmanager
def scope(name: str, absolute: bool = False):
    """Nodes created inside are tagged with ``name`` (modules use this so the renderer can cluster them).

    Scopes nest as ``outer/name``; with ``absolute=True`` the name replaces the current scope instead."""
    prev = _state["scope"]
    _set("scope", name if (prev is None or absolute) else f"{prev}/{name}")
    try:
        yield
    finally:
        _set("scope", prev)


def current_scope():
    return _state["scope"]


# ---------------------------------------------------------------------------------------------------- traversal
def toposort(roots) -> list:
    """Every node the roots depend on (roots included), in creation order: a topological order, found without
    recursion."""
    roots = (roots,) if isinstance(roots, Node) else tuple(roots)
    fast = getattr(type(roots[0]), "_TOPOSORT", None) if roots else None
    if fast is not None and all(type(r) is type(roots[0]) for r in roots):
        return fast(roots)
    seen = {}
    stack = []
    for r in roots:
        if r._id not in seen:
            seen[r._id] = r
            stack.append(r)
    pop, push = stack.pop, stack.append
    while stack:
        for p in pop()._prev:
            k = p._id
            if k not in seen:
                seen[k] = p
                push(p)
    return [seen[k] for k in sorted(seen)]


def backward(roots, gradients, create_graph: bool = False) -> list:
    """Reverse-mode sweep from ``roots`` seeded with ``gradients`` (one per root). Returns the tape it walked.

    See the module docstring for what ``.grad`` holds afterwards. With ``create_graph=True`` the gradients are
    themselves nodes on the tape (computed with the same rules), so they can be differentiated again.
    """
    anomaly = _state["anomaly"]
    fast = None if (create_graph or anomaly or not roots) else getattr(type(roots[0]), "_SWEEP", None)
    if fast is not None and all(type(r) is type(roots[0]) for r in roots):
        with no_grad():  # Value without anomaly checks: the rules' specialised scalar steps, no method call
            return fast(roots, gradients)
    order = toposort(roots)
    for n in order:
        if n._prev:
            n.grad = n._reset_grad()
    for r, g in zip(roots, gradients):
        if r._prev:
            r.grad = g if r.grad is None else r.grad + g
        else:
            r.grad = r._accumulate(r.grad, g)
    ctx = enable_grad() if create_graph else no_grad()
    with ctx:
        for n in reversed(order):
            if n._prev and n.grad is not None:
                n._propagate(create_graph, anomaly)
    for n in order:
        if n.grad is None:
            n.grad = n._zero_grad()
    return order


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
                    raise ValueError(f"grad: input {_describe(x)} is not used to compute the outputs; "
                                     "pass allow_unused=True to get None for it")
                result.append(None)
            else:
                result.append(x.grad)
    finally:
        for n, g in saved:
            n.grad = g
    return result[0] if single else tuple(result)
