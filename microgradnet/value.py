"""``Value``: the scalar node, with micrograd's API unchanged.

Lecture code runs as is::

    a = Value(2.0, label='a'); b = Value(-3.0, label='b')
    e = a * b; e.label = 'e'
    L = e.tanh(); L.backward()
    a.grad          # ∂L/∂a

``_prev`` holds the parents in argument order (micrograd keeps a set; ``a*a`` has ``a`` twice here), ``_op`` the
name of the rule in :data:`microgradnet.rules.RULES`, and ``_backward()`` applies that one node's rule, as in the
lecture's step-by-step backprop. Every operation goes through the rule table; nothing here knows a derivative.
``backward()`` is :func:`microgradnet.engine.backward`, which calls ``_propagate`` on each node, newest first; a
faster sweep specialised from the same table is registered by :mod:`microgradnet.value_fast`.
"""

from __future__ import annotations

import math
import numbers
from types import SimpleNamespace

import numpy as np

from . import engine
from .engine import Node, node_ids
from .mathns import ARRAY, SCALAR
from .modes import PER_THREAD, check_backward, check_forward
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
    v._id = next(node_ids)
    v.label = ""
    v._meta = PER_THREAD.modes.scope
    return v


def make(data, prev, op, args=()):
    """A new node; ``prev`` empty (or recording off) makes a leaf."""
    if not (prev and PER_THREAD.modes.grad):
        return _leaf(data)
    v = _blank(data)
    _set_prev(v, prev)
    v._op = op
    v._args = args
    if PER_THREAD.modes.anomaly:
        check_forward(v)
    return v


def _leaf(x: float):
    """A leaf Value: a constant operand (``y + 1e-7`` makes one) or any node made while recording is off."""
    v = _blank(x)
    v._a = v._b = None
    v._op = ""
    v._args = ()
    if PER_THREAD.modes.anomaly:
        check_forward(v)
    return v


def as_value(x, op):
    """x as a Value: a Value passes, a number becomes a constant leaf; anything else is a TypeError naming ``op``."""
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


def apply(name, inputs, args=()):
    """Run rule ``name`` on Values (the general path). Domain edges give what a Tensor gives, as PyTorch:
    x / 0 = ±inf, 0 / 0 = NaN, log 0 = −inf, a negative base with a non-integer exponent = NaN."""
    rule = RULES[name]
    data = rule.forward(SCALAR, *[v.data for v in inputs], *args)
    return make(float(data), tuple(inputs), name, args)


def _binary(name):
    """``a + b``, ``a − b``, ``a · b`` and their reflected forms (``2 * a``), through the rule's forward."""

    def op(a, b):
        b = as_value(b, name)
        return make(RULES[name].forward(SCALAR, a.data, b.data), (a, b), name)

    def rop(a, b):
        b = as_value(b, name)
        return make(RULES[name].forward(SCALAR, b.data, a.data), (b, a), name)
    return op, rop


def _unary(name):
    def op(a):
        return make(RULES[name].forward(SCALAR, a.data), (a,), name)
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
        self._id = next(node_ids)
        self.label = label
        self._meta = PER_THREAD.modes.scope

    def __repr__(self):
        lab = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{lab})"

    # -------------------------------------------------------------------------------------------- arithmetic
    __add__, __radd__ = _binary("add")
    __sub__, __rsub__ = _binary("sub")
    __mul__, __rmul__ = _binary("mul")

    def __truediv__(self, other):
        return apply("div", (self, as_value(other, "div")))

    def __rtruediv__(self, other):
        return apply("div", (as_value(other, "div"), self))

    __neg__ = _unary("neg")

    def __pos__(self):
        return self

    def __pow__(self, other):
        """``a ** p`` with a number p (rule ``pow``) or a Value (rule ``powv``)."""
        if isinstance(other, Value):
            return apply("powv", (self, other))
        if isinstance(other, numbers.Real) and not isinstance(other, bool):
            return apply("pow", (self,), (other,))
        raise TypeError(f"pow: the exponent must be an int, a float or a Value, got {type(other).__name__} "
                        f"{other!r}")

    def __rpow__(self, other):
        return apply("powv", (as_value(other, "pow"), self))

    # comparisons look at data only (no node is made); equality stays identity, so Values hash as in micrograd
    def __lt__(self, other):
        return self.data < as_value(other, "<").data

    def __le__(self, other):
        return self.data <= as_value(other, "<=").data

    def __gt__(self, other):
        return self.data > as_value(other, ">").data

    def __ge__(self, other):
        return self.data >= as_value(other, ">=").data

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
        return apply("leaky_relu", (self,), (float(slope),))

    abs = _unary("abs")

    def max(self, other):
        """max(self, other); on a tie each gets half the gradient (rule ``maximum``)."""
        return apply("maximum", (self, as_value(other, "maximum")))

    def min(self, other):
        """min(self, other); on a tie each gets half the gradient (rule ``minimum``)."""
        return apply("minimum", (self, as_value(other, "minimum")))

    def clip(self, lo=None, hi=None):
        return apply("clip", (self,), (lo, hi))

    # -------------------------------------------------------------------------------------------- backward
    def backward(self, gradient=1.0, create_graph=False):
        """Fill ``.grad`` of every node this one depends on with ∂self/∂node (times ``gradient``)."""
        engine.backward([self], [self._as_root_grad(gradient, create_graph, "backward")], create_graph=create_graph)

    def _backward(self):
        """Apply this node's rule once: add ``self.grad`` × local derivative to each parent's ``.grad``
        (micrograd's per-node step, for doing backprop by hand)."""
        if self._prev:
            self._propagate(False, PER_THREAD.modes.anomaly)

    def local_grads(self) -> tuple:
        """∂self/∂parent for each parent, in argument order, from this node's rule: the numbers on the graph's
        edges. Where Python's float arithmetic would raise (1/0 in log′(0) or div′ by 0) the value is numpy's IEEE
        result (±inf, NaN), the same number ``Tensor`` gets from the same rule."""
        if not self._prev:
            return ()
        rule = RULES[self._op]
        if rule.kind == "reduce":
            return tuple(_nary_locals(self).tolist())
        ins = tuple(p.data for p in self._prev)
        try:
            return tuple(float(rule.local(i, SCALAR, self.data, *ins, *self._args)) for i in range(len(ins)))
        except (ZeroDivisionError, OverflowError):
            with np.errstate(all="ignore"):
                ins64 = tuple(np.float64(x) for x in ins)
                return tuple(float(rule.local(i, ARRAY, np.float64(self.data), *ins64, *self._args))
                             for i in range(len(ins)))

    def _propagate(self, create_graph, anomaly):
        """The chain rule at this node: each parent's grad += self.grad × ∂self/∂parent (see ``local_grads``).
        With ``create_graph`` the same rule is evaluated on Values, so the gradient is itself on the tape."""
        g = self.grad
        if create_graph and RULES[self._op].kind != "reduce":
            args = self._prev + self._args
            contribs = [RULES[self._op].vjp(i, GRAPH, g, self, *args) for i in range(len(self._prev))]
        else:
            contribs = [g * d for d in self.local_grads()]
        for i, (p, c) in enumerate(zip(self._prev, contribs)):
            if anomaly:
                check_backward(self, p, i, c)
            p.grad += c

    # -------------------------------------------------------------------------------------------- engine hooks
    def _as_root_grad(self, g, create_graph, op):
        if isinstance(g, Value):
            return g if create_graph else g.data
        if isinstance(g, numbers.Real):
            return make(float(g), (), "") if create_graph else float(g)
        raise TypeError(f"{op}: the gradient for a Value must be a number, got {type(g).__name__}")

    def _unit_grad(self, op):
        return 1.0

    @staticmethod
    def _accumulate(current, g):
        return g if current is None else current + g

    def _zero_grad(self):
        return 0.0

    _reset_grad = _zero_grad


def _nary_locals(node):
    """Local derivatives of an n-ary sum/max/min node: the reduction rule run on the parents' data."""
    rule = RULES[node._op]
    x = np.array([p.data for p in node._prev])
    return rule.vjp(0, ARRAY, np.float64(1.0), np.float64(node.data), x, *node._args)


def _nary(name, values, args):
    values = [as_value(v, name) for v in values]
    if not values:
        raise ValueError(f"{name}: needs at least one Value")
    data = RULES[name].forward(ARRAY, np.array([v.data for v in values]), *args)
    return make(float(data), tuple(values), name, args)


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
    div=lambda a, b: as_value(a, "div") / b if isinstance(a, Value) or isinstance(b, Value) else SCALAR.div(a, b),
    sin=lambda x: apply("sin", (x,)) if isinstance(x, Value) else SCALAR.sin(x),
    cos=lambda x: apply("cos", (x,)) if isinstance(x, Value) else SCALAR.cos(x),
    sinh=lambda x: apply("sinh", (x,)) if isinstance(x, Value) else SCALAR.sinh(x),
    cosh=lambda x: apply("cosh", (x,)) if isinstance(x, Value) else SCALAR.cosh(x),
    abs=lambda x: x.abs() if isinstance(x, Value) else abs(x),
    sign=lambda x: SCALAR.sign(x.data if isinstance(x, Value) else x),
    where=_gwhere,
    ind=lambda cond: 1.0 if cond else 0.0,
    pow=lambda a, p: a ** p,
    maximum=lambda a, b: as_value(a, "maximum").max(b),
    minimum=lambda a, b: as_value(a, "minimum").min(b),
    apply=_gapply,
)
