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

Next door: the modes the sweep reads (``no_grad``, ``detect_anomaly``, scopes; per thread) are in
:mod:`microgradnet.modes`; ``grad()`` (gradients without touching ``.grad``) is in :mod:`microgradnet.autograd`;
the local derivatives come from :mod:`microgradnet.rules` through each node's ``_propagate`` (``Value`` in
``value.py``, ``Tensor`` in ``tensor.py``).
"""

from __future__ import annotations

import itertools

from .modes import PER_THREAD, current_scope, enable_grad, no_grad, scope  # noqa: F401 (engine.scope kept for callers)
from .rules import RULES

__all__ = ["Node", "SWEEPS", "backward", "node_ids", "toposort"]

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
    #   _unit_grad(op), _as_root_grad(g, create_graph, op)   ∂L/∂root: 1 for a scalar, or the caller's gradient


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
:mod:`microgradnet.value_fast`, is built from the rule table and gives bit-identical gradients). It is skipped
when the backward is recorded (``create_graph``) or checked (``detect_anomaly``)."""


def backward(roots, gradients, create_graph: bool = False) -> list:
    """Reverse-mode sweep from ``roots``, starting from ``gradients`` = ∂L/∂root (one per root). Returns the tape.

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
    for r, g in zip(roots, gradients):  # ∂L/∂root (a root that is also a leaf accumulates, as leaves do)
        r.grad = r._accumulate(r.grad, g)
    with enable_grad() if create_graph else no_grad():
        for n in reversed(order):  # newest first: every consumer of n has added its part into n.grad already
            if n._prev and n.grad is not None:
                n._propagate(create_graph, anomaly)
    for n in order:
        if n.grad is None:
            n.grad = n._zero_grad()
    return order
