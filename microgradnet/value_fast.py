"""``Value``'s speed, set apart: a faster forward for ``+ − ×`` and a faster backward sweep, both derived from the
rule table and rebuilt whenever it changes.

:func:`microgradnet.engine.backward` is the textbook sweep: for each node, newest first, ``node._propagate`` asks
the rule table for the local derivatives and adds ``g × local`` into each parent; ``Value.__mul__`` calls the
table's forward and makes the node with ``_make``. On a scalar graph of 60,000 nodes (micrograd's demo step) the
per-node overhead of that generality is most of the time, so this module registers two specialisations:

- ``Value.__add__``/``__sub__``/``__mul__`` (and the reflected forms): when the table's forward is one arithmetic
  operator (found by running the rule's own forward on stand-ins, :func:`operator_of`), it is called as that C
  operator and the node is built inline; otherwise the textbook method stays.
- :func:`sweep`, registered in ``engine.SWEEPS`` for graphs made only of Values (no ``create_graph``, no
  ``detect_anomaly``): one walk that also resets intermediates' grads; a step per rule made from its table entry
  (a constant derivative multiplied in directly, a derivative function called with the node's numbers, an n-ary
  reduction through ``local_grads``); and the two steps that dominate a network's graph written inline: derivatives
  (1, 1) (``add``) and "each derivative is the other operand" (``mul``), recognised from the table
  (:func:`classify`). The arithmetic and its order are the plain sweep's, so gradients are bit-identical
  (``tests/test_value_fast.py`` pins this).

:func:`build` derives all of it from :data:`~microgradnet.rules.RULES` and is subscribed to the table, so replacing
an entry changes what these specialisations compute exactly as it changes the plain path. Where Python float
arithmetic raises (``1/0``), a step falls back to the node's own ``_propagate``, which gives numpy's IEEE result
like ``Tensor``.
"""

from __future__ import annotations

import operator

from .engine import SWEEPS, node_ids
from .mathns import SCALAR
from .modes import PER_THREAD, check_forward, no_grad
from .rules import RULES
from .value import Value, as_value, make

ADD, MUL = 1, 2  # the inlined kinds of step (0: call the rule's step)


class _Stand:
    """A stand-in operand for reading a rule off the table: a forward that applies one arithmetic operator to two
    of them reports which (:func:`operator_of`); a derivative that hands one back untouched is recognised by
    identity (:func:`_returns_operand`); anything that computes more fails."""

    def __add__(self, o):
        return operator.add, self, o

    def __sub__(self, o):
        return operator.sub, self, o

    def __mul__(self, o):
        return operator.mul, self, o


def operator_of(forward):
    """The C function (operator.add/sub/mul) a binary rule's forward is, found by running the rule's own forward
    once on stand-ins; None when it is anything else."""
    p, q = _Stand(), _Stand()
    try:
        r = forward(SCALAR, p, q)
    except Exception:  # noqa: BLE001 - a forward that computes more than one operator is not a plain operator
        return None
    return r[0] if isinstance(r, tuple) and len(r) == 3 and r[1] is p and r[2] is q else None


def _returns_operand(d, arity: int):
    """Which input a derivative function returns as is (``mul``: ∂(a·b)/∂a = b is input 1), else None."""
    if not callable(d):
        return None
    ins = tuple(_Stand() for _ in range(arity))
    try:
        r = d(SCALAR, _Stand(), *ins)
    except Exception:  # noqa: BLE001 - computing with a stand-in fails; that is the answer "no"
        return None
    return next((i for i, x in enumerate(ins) if r is x), None)


def fast_binary(name, fop):
    """``a + b`` (or −, ×) with the rule's forward called as the C operator ``fop`` and the node built inline
    (``make`` is one Python call per node, and these three ops make most of a network's graph)."""
    new, per_thread = object.__new__, PER_THREAD

    def op(a, b):
        if b.__class__ is not Value:
            b = as_value(b, name)
        v = new(Value)
        v.data = fop(a.data, b.data)
        v.grad = 0.0
        v._id = next(node_ids)
        v.label = ""
        v._args = ()
        m = per_thread.modes
        if m.plain:  # recording, no scope, no anomaly checks: the common case
            v._meta = None
            v._a = a
            v._b = b
            v._op = name
            return v
        v._meta = m.scope
        if m.grad:
            v._a = a
            v._b = b
            v._op = name
        else:
            v._a = v._b = None
            v._op = ""
        if m.anomaly:
            check_forward(v)
        return v

    def rop(a, b):
        b = as_value(b, name)
        return make(fop(b.data, a.data), (b, a), name)
    return op, rop


def classify(rule) -> int:
    """ADD for a binary elementwise rule with derivatives (1, 1), MUL when each derivative is the other operand,
    else 0."""
    if rule.kind != "elementwise" or rule.arity != 2 or rule.attrs or len(rule.derivs) != 2:
        return 0
    if rule.derivs == (1.0, 1.0):
        return ADD
    if _returns_operand(rule.derivs[0], 2) == 1 and _returns_operand(rule.derivs[1], 2) == 0:
        return MUL
    return 0


def step(rule):
    """``step(node, g)``: add g × local derivative into each parent's grad, for one rule, from its table entry."""
    if rule.kind == "reduce":
        def bw(n, g):
            for p, loc in zip(n._prev, n.local_grads()):
                p.grad += g * loc
        return bw
    d = rule.derivs
    if len(d) == 1:
        (d0,) = d
        if d0.__class__ is float:
            def bw(n, g):
                n._a.grad += g * d0
        else:
            def bw(n, g):
                p = n._a
                p.grad += g * d0(SCALAR, n.data, p.data, *n._args)
        return bw
    d0, d1 = d
    if d0.__class__ is float and d1.__class__ is float:
        def bw(n, g):
            n._a.grad += g * d0
            n._b.grad += g * d1
    elif d0.__class__ is float:
        def bw(n, g):
            a, b = n._a, n._b
            cb = g * d1(SCALAR, n.data, a.data, b.data, *n._args)
            a.grad += g * d0
            b.grad += cb
    else:
        def bw(n, g):
            a, b = n._a, n._b
            out, ad, bd = n.data, a.data, b.data
            ca = g * d0(SCALAR, out, ad, bd, *n._args)
            cb = g * d1(SCALAR, out, ad, bd, *n._args)
            a.grad += ca
            b.grad += cb
    return bw


_BUILT: dict = {"steps": {}, "inline": {}}
_TEXTBOOK = {name: (getattr(Value, f"__{name}__"), getattr(Value, f"__r{name}__")) for name in ("add", "sub", "mul")}


def build() -> None:
    """Derive every specialisation from the table; subscribed to it, so this runs again after every change."""
    rules = {name: r for name, r in RULES.items() if r.kind in ("elementwise", "reduce")}
    _BUILT["steps"] = {name: step(r) for name, r in rules.items()}
    _BUILT["inline"] = {name: classify(r) for name, r in rules.items()}
    for name, textbook in _TEXTBOOK.items():
        fop = operator_of(RULES[name].forward) if name in RULES else None
        op, rop = fast_binary(name, fop) if fop is not None else textbook
        setattr(Value, f"__{name}__", op)
        setattr(Value, f"__r{name}__", rop)


def _walk(roots) -> list:
    """engine.toposort for Values, reading the parent slots directly, and resetting on the way: intermediates' grads
    to 0 (they hold the latest backward only), a leaf's None to 0."""
    seen = {r._id: r for r in roots}
    stack = list(seen.values())
    for r in stack:
        if r._a is not None or r.grad is None:
            r.grad = 0.0
    pop, push = stack.pop, stack.append
    while stack:  # unrolled for one or two parents: most nodes have two, and this loop runs once per node
        n = pop()
        a = n._a
        if a is None:
            continue
        if a.__class__ is tuple:  # an n-ary node
            for p in a:
                if p._id not in seen:
                    seen[p._id] = p
                    push(p)
                    if p._a is not None or p.grad is None:
                        p.grad = 0.0
            continue
        if a._id not in seen:
            seen[a._id] = a
            push(a)
            if a._a is not None or a.grad is None:
                a.grad = 0.0
        b = n._b
        if b is not None and b._id not in seen:
            seen[b._id] = b
            push(b)
            if b._a is not None or b.grad is None:
                b.grad = 0.0
    return [seen[k] for k in sorted(seen)]


def sweep(roots, gradients) -> list:
    """engine.backward for Values (no create_graph, no anomaly mode), with each rule's step (see the module
    docstring). Returns the tape it walked."""
    steps, inline = _BUILT["steps"], _BUILT["inline"]
    with no_grad():
        order = _walk(roots)
        for r, g in zip(roots, gradients):
            r.grad = r.grad + g
        for n in reversed(order):
            a = n._a
            if a is None:
                continue
            k = inline[n._op]
            if k == ADD:
                g = n.grad
                a.grad += g
                n._b.grad += g
            elif k == MUL:
                g, b = n.grad, n._b
                a.grad += g * b.data
                b.grad += g * a.data
            else:
                try:
                    steps[n._op](n, n.grad)
                except (ZeroDivisionError, OverflowError):  # Python floats raise where numpy gives ±inf or NaN
                    n._propagate(False, False)
    return order


RULES.subscribe(build)
SWEEPS[Value] = sweep
