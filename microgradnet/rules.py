"""The table of primitive rules: the single place where microgradnet knows a derivative.

Each primitive is one :class:`Rule`: its name, how it runs forward, the local derivative (elementwise rules) or
vector-Jacobian product (structural rules) for each input, what it keeps for backward, a one-line formula and its
convention at kinks and ties. ``Value`` and ``Tensor`` both dispatch through :data:`RULES`; the renderer, the docs
and the tests iterate over it (``microgradnet rules`` prints it).

Every function here takes a namespace ``m`` first (see :mod:`microgradnet.mathns`) and is written with plain
operators and ``m.exp``/``m.log``/``m.where``/... so one entry serves a Python float, a numpy array, and - when a
backward pass is itself recorded - graph nodes. Argument order is always *inputs first, then attributes*.

Vocabulary: ``g`` is the upstream gradient ∂L/∂out, ``out`` the forward result, ``a``/``b``/``x`` the inputs.

Where a plain numpy one-liner is too slow (copies of short image rows, adding overlapping windows back, a matmul
whose operands BLAS prefers transposed), an entry calls a named kernel from :mod:`microgradnet.kernels`; the
entry still states what is computed.

Conventions (tested in ``tests/test_conventions.py``):

- relu'(0) = 0, leaky_relu'(0) = slope (relu is leaky_relu with slope 0), abs'(0) = 0 (sign);
- ``maximum``/``minimum`` of two operands that tie: the gradient is split evenly, ½ each (as ``torch.maximum``);
- ``amax``/``amin`` reductions: ``tie="split"`` (default, as ``torch.amax``) divides the gradient evenly among the
  tied maxima, ``tie="first"`` gives it all to the first in row-major order (as ``torch.max(dim)``/PyTorch's
  max-pool), ``tie="all"`` gives every tied position the full gradient (the CSC 249 HW2 P5 rule; not a true
  derivative, so finite differences disagree at ties);
- ``clip``: the gradient passes where lo ≤ x ≤ hi, bounds included (as ``torch.clamp``);
- ``pow`` with a tensor exponent: ∂/∂b = out·log(a); for a < 0 that is NaN, for a = 0 it is 0 when b ≥ 0 (as
  PyTorch).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import kernels
from .kernels import assign as assign  # noqa: F401 - rules.assign, for code written before kernels.py
from .kernels import window_out as window_out

ONE = 1.0


@dataclass(frozen=True)
class Rule:
    """One primitive.

    ``kind`` is ``"elementwise"`` (inputs of one shape; ``derivs[i](m, out, *args)`` is ∂out/∂input_i, a number or
    an array of the output's shape, and the engine multiplies it by ``g``), ``"reduce"``, ``"shape"`` or
    ``"linalg"`` (``vjps[i](m, g, out, *args)`` returns ∂L/∂input_i directly). ``arity`` is the number of inputs
    (``-1``: any number), ``attrs`` the names of the non-differentiable arguments after them.
    """

    name: str
    kind: str
    symbol: str
    arity: int
    forward: Callable
    formula: str
    derivs: tuple = ()
    vjps: tuple = ()
    attrs: tuple = ()
    saved: tuple = ()
    convention: str = ""
    local_formulas: tuple = field(default=())

    def local(self, i, m, out, *args):
        """Local derivative ∂out/∂input_i (elementwise rules)."""
        d = self.derivs[i]
        return d(m, out, *args) if callable(d) else d

    def vjp(self, i, m, g, out, *args):
        """∂L/∂input_i given g = ∂L/∂out."""
        if self.kind == "elementwise":
            d = self.derivs[i]
            if not callable(d):
                return g if d == ONE else g * d
            return g * d(m, out, *args)
        return self.vjps[i](m, g, out, *args)


class RuleTable(dict):
    """The rules by name: a dict that calls back what was derived from it whenever it changes (``Value``'s
    specialisations, :mod:`microgradnet.value_fast`, subscribe), so replacing an entry is all it takes to change
    what every front computes."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.subscribers = []

    def subscribe(self, rebuild) -> None:
        """Call ``rebuild()`` now and after every change to the table."""
        self.subscribers.append(rebuild)
        rebuild()

    def _changed(self):
        for rebuild in self.subscribers:
            rebuild()

    def __setitem__(self, name, rule):
        super().__setitem__(name, rule)
        self._changed()

    def __delitem__(self, name):
        super().__delitem__(name)
        self._changed()

    def update(self, *args, **kw):
        super().update(*args, **kw)
        self._changed()

    def setdefault(self, name, rule=None):
        out = super().setdefault(name, rule)
        self._changed()
        return out

    def pop(self, *args):
        out = super().pop(*args)
        self._changed()
        return out

    def popitem(self):
        out = super().popitem()
        self._changed()
        return out

    def clear(self):
        super().clear()
        self._changed()


RULES: RuleTable = RuleTable()


def _rule(**kw) -> Rule:
    r = Rule(**kw)
    RULES[r.name] = r
    return r


def raw(x):
    """The numpy data behind a node, or x itself."""
    return getattr(x, "data", x) if hasattr(x, "_prev") else x


def _ind(m, cond):
    """1 where cond holds, else 0 (for arrays a uint8 mask, so g · mask keeps g's dtype)."""
    return m.ind(cond)


# ---------------------------------------------------------------------------------------------------- elementwise
_rule(name="add", kind="elementwise", symbol="+", arity=2, forward=lambda m, a, b: a + b,
      derivs=(ONE, ONE), formula="out = a + b", local_formulas=("1", "1"))
_rule(name="sub", kind="elementwise", symbol="−", arity=2, forward=lambda m, a, b: a - b,
      derivs=(ONE, -1.0), formula="out = a − b", local_formulas=("1", "−1"))
_rule(name="mul", kind="elementwise", symbol="×", arity=2, forward=lambda m, a, b: a * b,
      derivs=(lambda m, out, a, b: b, lambda m, out, a, b: a), saved=("a", "b"),
      formula="out = a · b", local_formulas=("b", "a"))
_rule(name="div", kind="elementwise", symbol="÷", arity=2, forward=lambda m, a, b: m.div(a, b),
      derivs=(lambda m, out, a, b: m.div(1.0, b), lambda m, out, a, b: m.div(-out, b)), saved=("b", "out"),
      formula="out = a / b", local_formulas=("1/b", "−a/b²"),
      convention="a / 0 = ±inf and 0 / 0 = NaN, for Value and Tensor alike (as PyTorch; detect_anomaly names it)")
_rule(name="neg", kind="elementwise", symbol="−", arity=1, forward=lambda m, a: -a,
      derivs=(-1.0,), formula="out = −a", local_formulas=("−1",))
def _dpow_p(m, out, a, p):
    # p·a^(p−1), taken as 0 for p = 0 (a⁰ = 1 is constant, 0 included: PyTorch's convention)
    return 0.0 if p == 0 else p * m.pow(a, p - 1)


_rule(name="pow", kind="elementwise", symbol="^", arity=1, attrs=("p",), forward=lambda m, a, p: m.pow(a, p),
      derivs=(_dpow_p,), saved=("a",),
      formula="out = a^p  (p a constant)", local_formulas=("p·a^(p−1)",),
      convention="a⁰ = 1 with derivative 0 (at a = 0 too); a negative base with a non-integer p gives NaN; "
                 "0^p for p < 0 gives inf (as PyTorch)")


def _dpow_a(m, out, a, b):
    # b·a^(b−1), 0 where b = 0 (as PyTorch: x**0 is constant in x, at x = 0 too)
    return m.where(raw(b) == 0, 0.0, b * m.pow(a, b - 1))


def _dpow_b(m, out, a, b):
    # ∂(a^b)/∂b = out·ln a; PyTorch's convention: 0 where a == 0 and b >= 0, NaN where a < 0.
    ad, bd = raw(a), raw(b)
    return m.where((ad == 0) & (bd >= 0), 0.0, out * m.log(a))


_rule(name="powv", kind="elementwise", symbol="^", arity=2, forward=lambda m, a, b: m.pow(a, b),
      derivs=(_dpow_a, _dpow_b), saved=("a", "b", "out"),
      formula="out = a^b", local_formulas=("b·a^(b−1)", "out·ln a"),
      convention="∂/∂a is 0 where b = 0; ∂/∂b is NaN for a < 0 and 0 for a = 0, b ≥ 0 (as PyTorch)")
_rule(name="exp", kind="elementwise", symbol="exp", arity=1, forward=lambda m, a: m.exp(a),
      derivs=(lambda m, out, a: out,), saved=("out",), formula="out = eᵃ", local_formulas=("eᵃ = out",))
_rule(name="log", kind="elementwise", symbol="log", arity=1, forward=lambda m, a: m.log(a),
      derivs=(lambda m, out, a: m.div(1.0, a),), saved=("a",), formula="out = ln a", local_formulas=("1/a",),
      convention="ln 0 = −inf with derivative +inf, ln of a negative number = NaN (caught by detect_anomaly)")
_rule(name="log1p", kind="elementwise", symbol="log1p", arity=1, forward=lambda m, a: m.log1p(a),
      derivs=(lambda m, out, a: m.div(1.0, 1.0 + a),), saved=("a",), formula="out = ln(1 + a)",
      local_formulas=("1/(1 + a)",), convention="accurate for small a (softplus and BCE use it)")
_rule(name="tanh", kind="elementwise", symbol="tanh", arity=1, forward=lambda m, a: m.tanh(a),
      derivs=(lambda m, out, a: 1.0 - out * out,), saved=("out",),
      formula="out = tanh a", local_formulas=("1 − out²",))


def _sigmoid(m, a):
    # Stable for any |a|: only e^(−|a|) ≤ 1 is ever computed.
    e = m.exp(-m.abs(a))
    return m.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


_rule(name="sigmoid", kind="elementwise", symbol="σ", arity=1, forward=_sigmoid,
      derivs=(lambda m, out, a: out * (1.0 - out),), saved=("out",),
      formula="out = 1 / (1 + e⁻ᵃ)", local_formulas=("out·(1 − out)",),
      convention="computed from e^(−|a|), so no overflow for large |a|")
_rule(name="relu", kind="elementwise", symbol="relu", arity=1, forward=lambda m, a: m.maximum(a, 0.0),
      derivs=(lambda m, out, a: _ind(m, a > 0),), saved=("a",),
      formula="out = max(a, 0)", local_formulas=("1[a > 0]",), convention="relu'(0) = 0")
_rule(name="leaky_relu", kind="elementwise", symbol="lrelu", arity=1, attrs=("slope",),
      forward=lambda m, a, s: m.where(a > 0, a, s * a),
      derivs=(lambda m, out, a, s: m.where(a > 0, 1.0, s),), saved=("a",),
      formula="out = a if a > 0 else slope·a", local_formulas=("1 if a > 0 else slope",),
      convention="leaky_relu'(0) = slope (so relu = leaky_relu with slope 0 keeps relu'(0) = 0)")
_rule(name="prelu", kind="elementwise", symbol="prelu", arity=2,
      forward=lambda m, a, alpha: m.where(a > 0, a, alpha * a),
      derivs=(lambda m, out, a, alpha: m.where(a > 0, 1.0, alpha),
              lambda m, out, a, alpha: m.where(a > 0, 0.0, a)), saved=("a", "alpha"),
      formula="out = a if a > 0 else α·a", local_formulas=("1 if a > 0 else α", "0 if a > 0 else a"),
      convention="∂out/∂a at 0 is α, ∂out/∂α at 0 is 0")
_rule(name="abs", kind="elementwise", symbol="|·|", arity=1, forward=lambda m, a: m.abs(a),
      derivs=(lambda m, out, a: m.sign(a),), saved=("a",), formula="out = |a|",
      local_formulas=("sign(a)",), convention="abs'(0) = 0")
_rule(name="maximum", kind="elementwise", symbol="max", arity=2, forward=lambda m, a, b: m.maximum(a, b),
      derivs=(lambda m, out, a, b: m.where(a > b, 1.0, m.where(a == b, 0.5, 0.0)),
              lambda m, out, a, b: m.where(b > a, 1.0, m.where(a == b, 0.5, 0.0))), saved=("a", "b"),
      formula="out = max(a, b)", local_formulas=("1[a > b] + ½·1[a = b]", "1[b > a] + ½·1[a = b]"),
      convention="on a tie each operand gets half the gradient (as torch.maximum)")
_rule(name="minimum", kind="elementwise", symbol="min", arity=2, forward=lambda m, a, b: m.minimum(a, b),
      derivs=(lambda m, out, a, b: m.where(a < b, 1.0, m.where(a == b, 0.5, 0.0)),
              lambda m, out, a, b: m.where(b < a, 1.0, m.where(a == b, 0.5, 0.0))), saved=("a", "b"),
      formula="out = min(a, b)", local_formulas=("1[a < b] + ½·1[a = b]", "1[b < a] + ½·1[a = b]"),
      convention="on a tie each operand gets half the gradient (as torch.minimum)")


def _clip_fwd(m, a, lo, hi):
    if lo is not None:
        a = m.maximum(a, lo)
    if hi is not None:
        a = m.minimum(a, hi)
    return a


def _clip_d(m, out, a, lo, hi):
    inside = True
    if lo is not None:
        inside = (a >= lo) & inside if m.name != "scalar" else (a >= lo and inside)
    if hi is not None:
        inside = (a <= hi) & inside if m.name != "scalar" else (a <= hi and inside)
    return _ind(m, inside)


_rule(name="clip", kind="elementwise", symbol="clip", arity=1, attrs=("lo", "hi"), forward=_clip_fwd,
      derivs=(_clip_d,), saved=("a",), formula="out = min(max(a, lo), hi)", local_formulas=("1[lo ≤ a ≤ hi]",),
      convention="the gradient passes at the bounds themselves (as torch.clamp)")
_rule(name="where", kind="elementwise", symbol="where", arity=2, attrs=("cond",),
      forward=lambda m, a, b, cond: m.where(cond, a, b),
      derivs=(lambda m, out, a, b, cond: _ind(m, cond), lambda m, out, a, b, cond: _ind(m, ~cond)
              if m.name != "scalar" else (0.0 if cond else 1.0)),
      formula="out = a if cond else b", local_formulas=("1[cond]", "1[not cond]"))


# the trigonometric and hyperbolic functions, erf and expm1: smooth, one derivative each
_rule(name="sin", kind="elementwise", symbol="sin", arity=1, forward=lambda m, a: m.sin(a),
      derivs=(lambda m, out, a: m.cos(a),), saved=("a",), formula="out = sin a", local_formulas=("cos a",))
_rule(name="cos", kind="elementwise", symbol="cos", arity=1, forward=lambda m, a: m.cos(a),
      derivs=(lambda m, out, a: -m.sin(a),), saved=("a",), formula="out = cos a", local_formulas=("−sin a",))
_rule(name="tan", kind="elementwise", symbol="tan", arity=1, forward=lambda m, a: m.tan(a),
      derivs=(lambda m, out, a: 1.0 + out * out,), saved=("out",), formula="out = tan a",
      local_formulas=("1 + out²",))
_rule(name="asin", kind="elementwise", symbol="asin", arity=1, forward=lambda m, a: m.asin(a),
      derivs=(lambda m, out, a: m.pow(1.0 - a * a, -0.5),), saved=("a",), formula="out = arcsin a",
      local_formulas=("1/√(1 − a²)",), convention="NaN outside [−1, 1]; ±1 gives an infinite derivative")
_rule(name="acos", kind="elementwise", symbol="acos", arity=1, forward=lambda m, a: m.acos(a),
      derivs=(lambda m, out, a: -m.pow(1.0 - a * a, -0.5),), saved=("a",), formula="out = arccos a",
      local_formulas=("−1/√(1 − a²)",), convention="NaN outside [−1, 1]")
_rule(name="atan", kind="elementwise", symbol="atan", arity=1, forward=lambda m, a: m.atan(a),
      derivs=(lambda m, out, a: m.div(1.0, 1.0 + a * a),), saved=("a",), formula="out = arctan a",
      local_formulas=("1/(1 + a²)",))
_rule(name="sinh", kind="elementwise", symbol="sinh", arity=1, forward=lambda m, a: m.sinh(a),
      derivs=(lambda m, out, a: m.cosh(a),), saved=("a",), formula="out = sinh a", local_formulas=("cosh a",))
_rule(name="cosh", kind="elementwise", symbol="cosh", arity=1, forward=lambda m, a: m.cosh(a),
      derivs=(lambda m, out, a: m.sinh(a),), saved=("a",), formula="out = cosh a", local_formulas=("sinh a",))
_rule(name="expm1", kind="elementwise", symbol="expm1", arity=1, forward=lambda m, a: m.expm1(a),
      derivs=(lambda m, out, a: out + 1.0,), saved=("out",), formula="out = eᵃ − 1",
      local_formulas=("out + 1",), convention="accurate for small a")
_rule(name="erf", kind="elementwise", symbol="erf", arity=1, forward=lambda m, a: m.erf(a),
      derivs=(lambda m, out, a: 1.1283791670955126 * m.exp(-(a * a)),), saved=("a",),
      formula="out = erf a = (2/√π) ∫₀ᵃ e^(−t²) dt", local_formulas=("(2/√π)·e^(−a²)",),
      convention="the exact GELU is x·(1 + erf(x/√2))/2")

# piecewise-constant functions: the derivative is 0 wherever it exists, and taken as 0 at the jumps (as PyTorch)
for _name, _formula in (("floor", "⌊a⌋"), ("ceil", "⌈a⌉"), ("round", "a rounded, halves to even"),
                        ("trunc", "a rounded toward 0"), ("sign", "sign(a) ∈ {−1, 0, 1}")):
    _rule(name=_name, kind="elementwise", symbol=_name, arity=1,
          forward=(lambda n: lambda m, a: getattr(m, n)(a))(_name), derivs=(0.0,),
          formula=f"out = {_formula}", local_formulas=("0",), convention="derivative 0, at the jumps too")


# ---------------------------------------------------------------------------------------------------- helpers
def keep_shape(shape, axis):
    """The shape a reduction over ``axis`` has with keepdims=True."""
    if axis is None:
        return (1,) * len(shape)
    return tuple(1 if i in axis else n for i, n in enumerate(shape))


def tie_weights(x, out, axis, keepdims, tie):
    """Weights (x's shape) that route a max/min reduction's gradient: 1 on every maximum ('all'), 1/k on each of
    k tied maxima ('split'), 1 on the first in row-major order ('first'); see the module docstring."""
    x = np.asarray(raw(x))
    outk = np.asarray(raw(out)).reshape(keep_shape(x.shape, axis))
    mask = x == outk
    if tie == "all":
        return mask.astype(x.dtype)
    if tie == "split":
        count = mask.sum(axis=axis, keepdims=True)
        return mask / count.astype(x.dtype)
    if tie == "first":
        return kernels.first_maximum(mask, axis).astype(x.dtype)
    raise ValueError(f"amax/amin: unknown tie rule {tie!r}; expected 'split', 'first' or 'all'")


def _unkeep(m, g, shape, axis, keepdims):
    if not keepdims:
        g = m.apply("reshape", g, keep_shape(shape, axis))
    return m.apply("broadcast_to", g, shape)


# ---------------------------------------------------------------------------------------------------- reductions
def _sum_fwd(m, x, axis, keepdims):
    return np.sum(x, axis=axis, keepdims=keepdims)


_rule(name="sum", kind="reduce", symbol="Σ", arity=1, attrs=("axis", "keepdims"), forward=_sum_fwd,
      vjps=(lambda m, g, out, x, axis, keepdims: _unkeep(m, g, x.shape, axis, keepdims),),
      formula="out = Σᵢ xᵢ over axis", local_formulas=("1",))


def _amax_vjp(m, g, out, x, axis, keepdims, tie):
    return _unkeep(m, g, x.shape, axis, keepdims) * tie_weights(x, out, axis, keepdims, tie)


_rule(name="amax", kind="reduce", symbol="max", arity=1, attrs=("axis", "keepdims", "tie"),
      forward=lambda m, x, axis, keepdims, tie: np.max(x, axis=axis, keepdims=keepdims),
      vjps=(_amax_vjp,), saved=("x", "out"), formula="out = maxᵢ xᵢ over axis",
      local_formulas=("1[xᵢ = out] routed by the tie rule",),
      convention="tie='split' (default) shares the gradient among tied maxima; 'first'; 'all' (CSC 249)")
_rule(name="amin", kind="reduce", symbol="min", arity=1, attrs=("axis", "keepdims", "tie"),
      forward=lambda m, x, axis, keepdims, tie: np.min(x, axis=axis, keepdims=keepdims),
      vjps=(_amax_vjp,), saved=("x", "out"), formula="out = minᵢ xᵢ over axis",
      local_formulas=("1[xᵢ = out] routed by the tie rule",), convention="as amax")



def others_product(x, axis):
    """∏ of the other elements of each reduced group, for every element (the derivative of a product), from
    exclusive running products on both sides: exact where an element is 0, with no division."""
    x = np.asarray(raw(x))
    axes = tuple(range(x.ndim)) if axis is None else axis
    rest = tuple(i for i in range(x.ndim) if i not in axes)
    perm = rest + tuple(axes)
    moved = x.transpose(perm)
    flat = moved.reshape(moved.shape[: len(rest)] + (-1,))
    one = np.ones(flat.shape[:-1] + (1,), dtype=x.dtype)
    left = np.cumprod(np.concatenate([one, flat[..., :-1]], -1), -1)
    right = np.cumprod(np.concatenate([one, flat[..., :0:-1]], -1), -1)[..., ::-1]
    return (left * right).reshape(moved.shape).transpose(np.argsort(perm))


def _prod_vjp(m, g, out, x, axis, keepdims):
    if m.name not in ("array", "scalar"):
        raise NotImplementedError("create_graph through 'prod' is not supported (its derivative is computed "
                                  "numerically, not recorded); use a product of tensors instead")
    return _unkeep(m, g, x.shape, axis, keepdims) * others_product(x, axis)


_rule(name="prod", kind="reduce", symbol="Π", arity=1, attrs=("axis", "keepdims"),
      forward=lambda m, x, axis, keepdims: np.prod(x, axis=axis, keepdims=keepdims),
      vjps=(_prod_vjp,), saved=("x",), formula="out = Πᵢ xᵢ over axis", local_formulas=("Π_{j≠i} xⱼ",),
      convention="the derivative is the product of the other elements, exact where some are 0 (no division)")


# ---------------------------------------------------------------------------------------------------- shape
def sum_to(m, g, shape):
    """Sum a broadcast gradient back to ``shape``: the single place a gradient is reduced to a shape."""
    gshape = raw(g).shape
    lead = len(gshape) - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1)
    if axes:
        g = m.apply("sum", g, axes, False)
    if raw(g).shape != tuple(shape):
        g = m.apply("reshape", g, tuple(shape))
    return g


_rule(name="broadcast_to", kind="shape", symbol="broadcast", arity=1, attrs=("shape",),
      forward=lambda m, x, shape: np.broadcast_to(x, shape),
      vjps=(lambda m, g, out, x, shape: sum_to(m, g, x.shape),),
      formula="out[i] = x[i mod shape(x)] (numpy broadcasting)", local_formulas=("1 (summed back)",),
      convention="its backward is the only place a gradient is summed back to a shape")
_rule(name="reshape", kind="shape", symbol="reshape", arity=1, attrs=("shape",),
      forward=lambda m, x, shape: kernels.reshape(x, shape),
      vjps=(lambda m, g, out, x, shape: m.apply("reshape", g, x.shape),),
      formula="out = x viewed with a new shape", local_formulas=("1",))
_rule(name="transpose", kind="shape", symbol="T", arity=1, attrs=("axes",),
      forward=lambda m, x, axes: np.transpose(x, axes),
      vjps=(lambda m, g, out, x, axes: m.apply("transpose", g, tuple(np.argsort(axes).tolist())),),
      formula="out = x with axes permuted", local_formulas=("1",))



def _cumsum_fwd(m, x, axis, reverse):
    if reverse:
        sl = (slice(None),) * axis + (slice(None, None, -1),)
        return np.cumsum(x[sl], axis=axis)[sl]
    return np.cumsum(x, axis=axis)


_rule(name="cumsum", kind="shape", symbol="cumsum", arity=1, attrs=("axis", "reverse"), forward=_cumsum_fwd,
      vjps=(lambda m, g, out, x, axis, reverse: m.apply("cumsum", g, axis, not reverse),),
      formula="out[i] = Σ_{j ≤ i} x[j] along axis (reverse: Σ_{j ≥ i})", local_formulas=("1[j ≤ i]",),
      convention="its backward is the reversed running sum")
_rule(name="cast", kind="shape", symbol="cast", arity=1, attrs=("dtype",),
      forward=lambda m, x, dtype: x.astype(dtype) if x.dtype != object else x,
      vjps=(lambda m, g, out, x, dtype: m.apply("cast", g, x.dtype),),
      formula="out = x in another floating dtype", local_formulas=("1 (cast back)",),
      convention="float32 ↔ float64; the gradient comes back in the input's dtype")


_rule(name="getitem", kind="shape", symbol="[·]", arity=1, attrs=("index",),
      forward=lambda m, x, index: x[index],
      vjps=(lambda m, g, out, x, index: m.apply("scatter_add", g, index, x.shape),),
      formula="out = x[index]", local_formulas=("1 (scattered back)",),
      convention="a position picked several times by an integer array gets the sum of its gradients")
_rule(name="scatter_add", kind="shape", symbol="scatter", arity=1, attrs=("index", "shape"),
      forward=lambda m, g, index, shape: kernels.scatter_add(g, index, shape),
      vjps=(lambda m, g, out, x, index, shape: m.apply("getitem", g, index),),
      formula="out = zeros(shape); out[index] += x", local_formulas=("1",))


def _pad_vjp(m, g, out, x, pad_width):
    return m.apply("getitem", g, tuple(slice(b, b + n) for (b, _), n in zip(pad_width, x.shape)))


_rule(name="pad", kind="shape", symbol="pad", arity=1, attrs=("pad_width",),
      forward=lambda m, x, pad_width: kernels.pad(x, pad_width), vjps=(_pad_vjp,),
      formula="out = x surrounded by zeros", local_formulas=("1 inside, 0 in the border",))


_rule(name="window", kind="shape", symbol="windows", arity=1, attrs=("kernel", "stride", "dilation"),
      forward=lambda m, x, kernel, stride, dilation: kernels.windows(x, kernel, stride, dilation),
      vjps=(lambda m, g, out, x, kernel, stride, dilation:
            m.apply("fold", g, x.shape[-2:], kernel, stride, dilation),),
      formula="out[..., i, j, p, q] = x[..., i·s + p·d, j·s + q·d]",
      local_formulas=("1 (overlapping windows add up)",),
      convention="the building block of conv and pooling; its backward (fold) adds overlapping windows")
_rule(name="fold", kind="shape", symbol="fold", arity=1, attrs=("size", "kernel", "stride", "dilation"),
      forward=lambda m, g, size, kernel, stride, dilation: kernels.fold(g, size, kernel, stride, dilation),
      vjps=(lambda m, g, out, x, size, kernel, stride, dilation: m.apply("window", g, kernel, stride, dilation),),
      formula="out[..., i·s + p·d, j·s + q·d] += x[..., i, j, p, q]", local_formulas=("1",))


def _concat_vjp(i):
    def vjp(m, g, out, *args):
        xs, axis = args[:-1], args[-1]
        start = sum(raw(x).shape[axis] for x in xs[:i])
        idx = (slice(None),) * axis + (slice(start, start + raw(xs[i]).shape[axis]),)
        return m.apply("getitem", g, idx)
    return vjp


class _ConcatVjps(tuple):
    """vjps for an n-ary rule: one per input, made on demand."""

    def __getitem__(self, i):
        return _concat_vjp(i)


_rule(name="concatenate", kind="shape", symbol="cat", arity=-1, attrs=("axis",),
      forward=lambda m, *args: np.concatenate(args[:-1], axis=args[-1]), vjps=_ConcatVjps(),
      formula="out = [x₀, x₁, …] joined along axis", local_formulas=("1 (sliced back)",))


# ---------------------------------------------------------------------------------------------------- linalg
def _swap(m, x):
    nd = raw(x).ndim
    return m.apply("transpose", x, tuple(range(nd - 2)) + (nd - 1, nd - 2))


def _matmul_vjp_a(m, g, out, a, b):
    # ∂L/∂a = g bᵀ, computed as (b gᵀ)ᵀ when a is a transposed view, so the gradient has a's memory layout
    # (a weight used as W.T gets a row-major gradient for W, and the update p -= lr·g runs on matching layouts)
    if kernels.column_major(raw(a)):
        return _swap(m, m.apply("matmul", b, _swap(m, g)))
    return m.apply("matmul", g, _swap(m, b))


def _matmul_vjp_b(m, g, out, a, b):
    # ∂L/∂b = aᵀ g, as (gᵀ a)ᵀ when b is a transposed view (nn.Linear's W.T): see _matmul_vjp_a
    if kernels.column_major(raw(b)):
        return _swap(m, m.apply("matmul", _swap(m, g), a))
    return m.apply("matmul", _swap(m, a), g)


_rule(name="matmul", kind="linalg", symbol="@", arity=2, forward=lambda m, a, b: kernels.matmul(a, b),
      vjps=(_matmul_vjp_a, _matmul_vjp_b), saved=("a", "b"),
      formula="out[i, j] = Σₖ a[i, k] b[k, j]", local_formulas=("∂L/∂a = g bᵀ", "∂L/∂b = aᵀ g"))


def table() -> list[dict]:
    """The rule table as plain rows (name, kind, formula, local derivatives, convention), for docs and the CLI."""
    return [dict(name=r.name, kind=r.kind, symbol=r.symbol, formula=r.formula,
                 local=", ".join(r.local_formulas), saved=", ".join(r.saved), convention=r.convention)
            for r in RULES.values()]
