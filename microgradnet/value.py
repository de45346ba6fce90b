"""``Value``: the scalar node, with micrograd's API unchanged.

Lecture code runs as is::

    a = Value(2.0, label='a'); b = Value(-3.0, label='b')
    e = a * b; e.label = 'e'
    L = e.tanh(); L.backward()
    a.grad          # ∂L/∂a

``_prev`` holds the parents in argument order (micrograd keeps a set; ``a*a`` has ``a`` twice here), ``_op`` the
name of the rule in :data:`microgradnet.rules.RULES`, and ``_backward()`` applies that one node's rule, as in the
lecture's step-by-step backprop. Every operation goes through the rule table; nothing here knows a derivative.
"""

from __future__ import annotations

import math
import numbers
import operator
from types import SimpleNamespace

import numpy as np

from . import engine
from .engine import Node, _ids, _state
from .mathns import ARRAY, SCALAR
from .rules import RULES

_new = object.__new__


def _set_prev(v, prev) -> None:
    """Parents into the two slots: none (a leaf), one, two, or for an n-ary node (3 or more) the tuple in ``_a``."""
    n = len(prev)
    if n == 0:
        v._a = v._b = None
    elif n == 1:
        v._a, v._b = prev[0], None
    elif n == 2:
        v._a, v._b = prev
    else:
        v._a, v._b = tuple(prev), None


def _blank(data) -> Value:
    """A new Value with its data, a zero grad, the next tape id, no label and the current scope; the caller sets
    its parents, op and attributes."""
    v = _new(Value)
    v.data = data
    v.grad = 0.0
    v._id = next(_ids)
    v.label = ""
    v._meta = _state["scope"]
    return v


def _make(data, prev, op, args=()):
    """A new node; ``prev`` empty (or recording off) makes a leaf."""
    if not (prev and _state["grad"]):
        return _leaf(data)
    v = _blank(data)
    _set_prev(v, prev)
    v._op = op
    v._args = args
    if _state["anomaly"]:
        engine.check_forward(v)
    return v


def _leaf(x: float):
    """A leaf Value: a constant operand (``y + 1e-7`` makes one) or any node made while recording is off."""
    v = _blank(x)
    v._a = v._b = None
    v._op = ""
    v._args = ()
    if _state["anomaly"]:
        engine.check_forward(v)
    return v


def _num(x, op):
    if isinstance(x, Value):
        return x
    if x.__class__ is float:
        return _leaf(x)
    if isinstance(x, numbers.Real) and not isinstance(x, np.ndarray):
        return _leaf(float(x))
    if isinstance(x, Node):
        raise TypeError(f"{op}: cannot combine a Value with a {type(x).__name__}; use Tensor for arrays (or lift "
                        f"the Value's .data into a Tensor)")
    raise TypeError(f"{op}: expected a number or a Value, got {type(x).__name__} {x!r}")


def _apply(name, inputs, args=()):
    """Run rule ``name`` on Values (the general path). Domain edges give what a Tensor gives, as PyTorch:
    x / 0 = ±inf, 0 / 0 = NaN, log 0 = −inf, a negative base with a non-integer exponent = NaN."""
    rule = RULES[name]
    data = rule.forward(SCALAR, *[v.data for v in inputs], *args)
    return _make(float(data), tuple(inputs), name, args)


_F = {name: r.forward for name, r in RULES.items()}
_FADD, _FSUB, _FMUL = _F["add"], _F["sub"], _F["mul"]


class _Sym:
    """A stand-in operand for reading a rule off the table: a forward that applies one arithmetic operator to two
    of them reports which (``_operator_of``); a derivative that hands one back untouched is recognised by identity
    (``_returns_operand``); anything that computes more fails."""

    def __add__(self, o):
        return operator.add, self, o

    def __sub__(self, o):
        return operator.sub, self, o

    def __mul__(self, o):
        return operator.mul, self, o


def _operator_of(forward):
    """The C function (operator.add/sub/mul) a binary rule's forward is, found by running the rule's own forward
    once on stand-ins; None when it is anything else."""
    p, q = _Sym(), _Sym()
    try:
        r = forward(SCALAR, p, q)
    except Exception:  # noqa: BLE001 - a forward that computes more than one operator is not a plain operator
        return None
    return r[0] if isinstance(r, tuple) and len(r) == 3 and r[1] is p and r[2] is q else None


def _binary(name, f):
    """A fast path for a binary rule whose forward cannot fail on floats (add, sub, mul): ``_make`` inlined, and
    the rule's forward called as the C operator it is (one Python call less per node)."""
    fop = _operator_of(f) or (lambda x, y: f(SCALAR, x, y))

    def op(a, b):
        if b.__class__ is not Value:
            b = _num(b, name)
        v = _new(Value)
        v.data = fop(a.data, b.data)
        v.grad = 0.0
        v._id = next(_ids)
        v.label = ""
        v._args = ()
        if _state["plain"]:  # recording, no scope, no anomaly checks: the common case
            v._meta = None
            v._a = a
            v._b = b
            v._op = name
            return v
        v._meta = _state["scope"]
        if _state["grad"]:
            v._a = a
            v._b = b
            v._op = name
        else:
            v._a = v._b = None
            v._op = ""
        if _state["anomaly"]:
            engine.check_forward(v)
        return v

    def rop(a, b):
        b = _num(b, name)
        return _make(fop(b.data, a.data), (b, a), name)
    return op, rop


def _unary(name):
    f = _F[name]

    def op(a):
        return _make(f(SCALAR, a.data), (a,), name)
    op.__name__ = name
    op.__doc__ = f"{RULES[name].formula}; local derivative {', '.join(RULES[name].local_formulas)} " \
                 f"(rule ``{name}``). {RULES[name].convention}".strip()
    return op


class Value(Node):
    """A scalar on the tape: ``data`` (a float), ``grad`` (∂L/∂this after ``backward``), ``label``.

    ``Value(data, _children=(), _op='', label='')`` as in micrograd. Every Value records its operations
    (``requires_grad`` is always True); use :func:`microgradnet.no_grad` to compute without recording.
    """

    __slots__ = ("_a", "_b")  # the parents: see _prev
    requires_grad = True
    _BACKWARD: dict = {}  # rule name -> fast backward step, filled in below from the table

    @property
    def _prev(self) -> tuple:
        """The parents in argument order. Kept in the slots ``_a``/``_b`` (an n-ary node's tuple in ``_a``)
        rather than in a tuple of their own: a tuple holding Values is one more object for Python's garbage
        collector to track and walk, and with the collector on that walk is most of a big graph's cost."""
        a = self._a
        if a is None:
            return ()
        if a.__class__ is tuple:
            return a
        b = self._b
        return (a,) if b is None else (a, b)

    @_prev.setter
    def _prev(self, prev):
        _set_prev(self, tuple(prev))

    def __init__(self, data, _children=(), _op="", label=""):
        if isinstance(data, Value):
            data = data.data
        if isinstance(data, np.ndarray) and data.size == 1:
            data = data.item()
        if not isinstance(data, numbers.Real):
            raise TypeError(f"Value: data must be a real number, got {type(data).__name__} {data!r}"
                            + ("; use Tensor for arrays" if isinstance(data, (list, tuple, np.ndarray, Node))
                               else ""))
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(_children)
        self._op = _op
        self._args = ()
        self._id = next(_ids)
        self.label = label
        self._meta = _state["scope"]

    def __repr__(self):
        lab = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{lab})"

    # -------------------------------------------------------------------------------------------- arithmetic
    __add__, __radd__ = _binary("add", _FADD)
    __sub__, __rsub__ = _binary("sub", _FSUB)
    __mul__, __rmul__ = _binary("mul", _FMUL)

    def __truediv__(self, other):
        return _apply("div", (self, _num(other, "div")))

    def __rtruediv__(self, other):
        return _apply("div", (_num(other, "div"), self))

    __neg__ = _unary("neg")

    def __pos__(self):
        return self

    def __pow__(self, other):
        """``a ** p`` with a number p (rule ``pow``) or a Value (rule ``powv``)."""
        if isinstance(other, Value):
            return _apply("powv", (self, other))
        if isinstance(other, numbers.Real) and not isinstance(other, bool):
            return _apply("pow", (self,), (other,))
        raise TypeError(f"pow: the exponent must be an int, a float or a Value, got {type(other).__name__} "
                        f"{other!r}")

    def __rpow__(self, other):
        return _apply("powv", (_num(other, "pow"), self))

    # comparisons look at data only (no node is made); equality stays identity, so Values hash as in micrograd
    def __lt__(self, other):
        return self.data < _num(other, "<").data

    def __le__(self, other):
        return self.data <= _num(other, "<=").data

    def __gt__(self, other):
        return self.data > _num(other, ">").data

    def __ge__(self, other):
        return self.data >= _num(other, ">=").data

    def __float__(self):
        return self.data

    __hash__ = object.__hash__

    # -------------------------------------------------------------------------------------------- functions
    exp = _unary("exp")
    log = _unary("log")
    log1p = _unary("log1p")
    tanh = _unary("tanh")
    sigmoid = _unary("sigmoid")
    relu = _unary("relu")

    def leaky_relu(self, slope=0.01):
        return _apply("leaky_relu", (self,), (float(slope),))

    abs = _unary("abs")

    def max(self, other):
        """max(self, other); on a tie each gets half the gradient (rule ``maximum``)."""
        return _apply("maximum", (self, _num(other, "maximum")))

    def min(self, other):
        """min(self, other); on a tie each gets half the gradient (rule ``minimum``)."""
        return _apply("minimum", (self, _num(other, "minimum")))

    def clip(self, lo=None, hi=None):
        return _apply("clip", (self,), (lo, hi))

    # -------------------------------------------------------------------------------------------- backward
    def backward(self, gradient=1.0, create_graph=False):
        """Fill ``.grad`` of every node this one depends on with ∂self/∂node (times ``gradient``)."""
        engine.backward([self], [self._as_seed(gradient, create_graph, "backward")], create_graph=create_graph)

    def _backward(self):
        """Apply this node's rule once: add ``self.grad`` × local derivative to each parent's ``.grad``
        (micrograd's per-node step, for doing backprop by hand)."""
        if self._prev:
            self._propagate(False, _state["anomaly"])

    def local_grads(self) -> tuple:
        """∂self/∂parent for each parent, in argument order: the numbers drawn on the graph's edges."""
        if not self._prev:
            return ()
        rule = RULES[self._op]
        if rule.kind == "reduce":
            return tuple(_nary_locals(self).tolist())
        args = tuple(p.data for p in self._prev) + self._args
        return tuple(float(rule.local(i, SCALAR, self.data, *args)) for i in range(len(self._prev)))

    def _propagate(self, create_graph, anomaly):
        if not (create_graph or anomaly):
            _BACKWARD[self._op](self, self.grad)
            return
        rule = RULES[self._op]
        prev = self._prev
        g = self.grad
        if rule.kind == "reduce":
            contribs = [g * loc for loc in _nary_locals(self).tolist()]
        elif create_graph:
            args = prev + self._args
            contribs = [rule.vjp(i, GRAPH, g, self, *args) for i in range(len(prev))]
        else:
            args = tuple(p.data for p in prev) + self._args
            contribs = [rule.vjp(i, SCALAR, g, self.data, *args) for i in range(len(prev))]
        for i, (p, c) in enumerate(zip(prev, contribs)):
            if anomaly:
                engine.check_backward(self, p, i, c)
            p.grad += c

    # -------------------------------------------------------------------------------------------- engine hooks
    def _as_seed(self, g, create_graph, op):
        if isinstance(g, Value):
            return g if create_graph else g.data
        if isinstance(g, numbers.Real):
            return _make(float(g), (), "") if create_graph else float(g)
        raise TypeError(f"{op}: the gradient for a Value must be a number, got {type(g).__name__}")

    def _default_seed(self, op):
        return 1.0

    @staticmethod
    def _accumulate(current, g):
        return g if current is None else current + g

    def _zero_grad(self):
        return 0.0

    _reset_grad = _zero_grad


def _returns_operand(d, arity):
    """Which input a derivative function returns as is (``mul``: ∂(a·b)/∂a = b is input 1), else None. The rule's
    own function is called once on stand-ins; anything that computes with them fails and gives None."""
    if not callable(d):
        return None
    ins = tuple(_Sym() for _ in range(arity))
    try:
        r = d(SCALAR, _Sym(), *ins)
    except Exception:  # noqa: BLE001 - computing with a stand-in fails; that is the answer "no"
        return None
    return next((i for i, x in enumerate(ins) if r is x), None)


def _swaps(rule) -> bool:
    """A binary elementwise rule whose local derivatives are each the other operand (``mul``)."""
    return (rule.kind == "elementwise" and rule.arity == 2 and not rule.attrs and len(rule.derivs) == 2
            and _returns_operand(rule.derivs[0], 2) == 1 and _returns_operand(rule.derivs[1], 2) == 0)


def _scalar_backward(rule):
    """A fast ``node, g -> None`` backward step for one rule, derived from its table entry: adds g × local
    derivative into each parent's grad. Only the dispatch is specialised (by arity and constant derivatives);
    every number still comes from the rule."""
    if rule.kind == "reduce":
        def bw(n, g):
            for p, loc in zip(n._prev, _nary_locals(n).tolist()):
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
    if _swaps(rule):
        def bw(n, g):
            a, b = n._a, n._b
            a.grad += g * b.data
            b.grad += g * a.data
    elif d0 == 1.0 and d1 == 1.0:
        def bw(n, g):
            n._a.grad += g
            n._b.grad += g
    elif d0.__class__ is float and d1.__class__ is float:
        def bw(n, g):
            n._a.grad += g * d0
            n._b.grad += g * d1
    elif d0.__class__ is float:
        def bw(n, g):
            a, b = n._a, n._b
            a.grad += g * d0
            b.grad += g * d1(SCALAR, n.data, a.data, b.data, *n._args)
    else:
        def bw(n, g):
            a, b = n._a, n._b
            out, ad, bd = n.data, a.data, b.data
            if n._args:
                a.grad += g * d0(SCALAR, out, ad, bd, *n._args)
                b.grad += g * d1(SCALAR, out, ad, bd, *n._args)
            else:
                a.grad += g * d0(SCALAR, out, ad, bd)
                b.grad += g * d1(SCALAR, out, ad, bd)
    return bw


_BACKWARD = {name: _scalar_backward(r) for name, r in RULES.items() if r.kind in ("elementwise", "reduce")}
Value._BACKWARD = _BACKWARD
# The two shapes of step that dominate a network's graph, inlined in the sweep: 1 = both derivatives 1 (add),
# 2 = each derivative the other operand (mul). Read off the table like the steps above; everything else calls.
_INLINE = {name: 1 if r.derivs == (1.0, 1.0) else 2 if _swaps(r) else 0 for name, r in RULES.items()
           if r.kind in ("elementwise", "reduce")}


def _walk(roots, reset: bool) -> list:
    """engine.toposort for Values: the same walk, reading the parent slots directly. With ``reset`` it also
    prepares a backward: intermediates' grads to 0 (they hold the latest backward only), a leaf's None to 0."""
    seen = {r._id: r for r in roots}
    stack = list(seen.values())
    for r in stack if reset else ():
        if r._a is not None or r.grad is None:
            r.grad = 0.0
    pop, push = stack.pop, stack.append
    while stack:
        n = pop()
        a = n._a
        if a is None:
            continue
        if a.__class__ is tuple:
            for p in a:
                if p._id not in seen:
                    seen[p._id] = p
                    push(p)
                    if reset and (p._a is not None or p.grad is None):
                        p.grad = 0.0
            continue
        if a._id not in seen:
            seen[a._id] = a
            push(a)
            if reset and (a._a is not None or a.grad is None):
                a.grad = 0.0
        b = n._b
        if b is not None and b._id not in seen:
            seen[b._id] = b
            push(b)
            if reset and (b._a is not None or b.grad is None):
                b.grad = 0.0
    return [seen[k] for k in sorted(seen)]


def _toposort(roots) -> list:
    return _walk(roots, False)


def _sweep(roots, gradients) -> list:
    """engine.backward for Values (no create_graph, no anomaly mode): the walk resets intermediates and leaves
    accumulate (see engine's module docstring), then each node's specialised rule step, newest first."""
    order = _walk(roots, True)
    for r, g in zip(roots, gradients):
        r.grad = r.grad + g
    bw, inline = _BACKWARD, _INLINE
    for n in reversed(order):
        a = n._a
        if a is None:
            continue
        k = inline[n._op]
        if k == 1:
            g = n.grad
            a.grad += g
            n._b.grad += g
        elif k == 2:
            g, b = n.grad, n._b
            a.grad += g * b.data
            b.grad += g * a.data
        else:
            bw[n._op](n, n.grad)
    return order


Value._TOPOSORT = staticmethod(_toposort)
Value._SWEEP = staticmethod(_sweep)


def _nary_locals(node):
    """Local derivatives of an n-ary sum/max/min node: the reduction rule run on the parents' data."""
    rule = RULES[node._op]
    x = np.array([p.data for p in node._prev])
    return rule.vjp(0, ARRAY, np.float64(1.0), np.float64(node.data), x, *node._args)


def _nary(name, values, args):
    values = [_num(v, name) for v in values]
    if not values:
        raise ValueError(f"{name}: needs at least one Value")
    data = RULES[name].forward(ARRAY, np.array([v.data for v in values]), *args)
    return _make(float(data), tuple(values), name, args)


def vsum(values):
    """Σ values as one n-ary node (rule ``sum``): the scalar form of a tensor ``sum``."""
    return _nary("sum", values, (None, False))


def vprod(values):
    """Π values as one n-ary node (rule ``prod``): the derivative for each is the product of the others."""
    return _nary("prod", values, (None, False))


def vmax(values, tie="split"):
    """max(values) as one n-ary node (rule ``amax``), gradient routed by ``tie`` ('split', 'first', 'all')."""
    return _nary("amax", values, (None, False, tie))


def vmin(values, tie="split"):
    """min(values) as one n-ary node (rule ``amin``)."""
    return _nary("amin", values, (None, False, tie))


def _gwhere(c, a, b):
    return a if c else b


def _gapply(name, *args):
    raise NotImplementedError(f"create_graph through the structural rule '{name}' is not defined for Value; "
                              "use Tensor")


# The graph-building namespace: the same rule formulas, evaluated on Values, record nodes (create_graph=True).
GRAPH = SimpleNamespace(
    name="value-graph",
    exp=lambda x: x.exp() if isinstance(x, Value) else math.exp(x),
    log=lambda x: x.log() if isinstance(x, Value) else SCALAR.log(x),
    log1p=lambda x: x.log1p() if isinstance(x, Value) else SCALAR.log1p(x),
    tanh=lambda x: x.tanh() if isinstance(x, Value) else math.tanh(x),
    div=lambda a, b: _num(a, "div") / b if isinstance(a, Value) or isinstance(b, Value) else SCALAR.div(a, b),
    sin=lambda x: _apply("sin", (x,)) if isinstance(x, Value) else SCALAR.sin(x),
    cos=lambda x: _apply("cos", (x,)) if isinstance(x, Value) else SCALAR.cos(x),
    sinh=lambda x: _apply("sinh", (x,)) if isinstance(x, Value) else SCALAR.sinh(x),
    cosh=lambda x: _apply("cosh", (x,)) if isinstance(x, Value) else SCALAR.cosh(x),
    abs=lambda x: x.abs() if isinstance(x, Value) else abs(x),
    sign=lambda x: SCALAR.sign(x.data if isinstance(x, Value) else x),
    where=_gwhere,
    ind=lambda cond: 1.0 if cond else 0.0,
    pow=lambda a, p: a ** p,
    maximum=lambda a, b: _num(a, "maximum").max(b),
    minimum=lambda a, b: _num(a, "minimum").min(b),
    apply=_gapply,
)
