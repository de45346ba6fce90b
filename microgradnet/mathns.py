"""The two numeric namespaces the rule table is evaluated in.

Every rule in :mod:`microgradnet.rules` is written once against a namespace ``m`` that offers ``exp``, ``log``,
``tanh``, ``where``, ``abs`` ... The same rule then serves

- ``SCALAR``: plain Python floats, for :class:`~microgradnet.value.Value` (``math`` functions: fast on floats);
- ``ARRAY``: numpy arrays, for :class:`~microgradnet.tensor.Tensor`;

and, when a backward pass is itself recorded (``create_graph=True``), the graph-building namespaces defined next to
``Value`` and ``Tensor``, so the very same derivative formula becomes nodes on the tape.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

from .rules import RULES

_INF = math.inf
_NAN = math.nan


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return _INF


def _log(x: float) -> float:
    if x > 0.0:
        return math.log(x)
    if x == 0.0:
        return -_INF
    return _NAN


def _log1p(x: float) -> float:
    if x > -1.0:
        return math.log1p(x)
    return -_INF if x == -1.0 else _NAN


def _sign(x: float) -> float:
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)


def _pow(a: float, p: float) -> float:
    if a < 0.0 and p != math.floor(p) and math.isfinite(p):  # (−inf) ** 0.5 is inf in Python, NaN in numpy/PyTorch
        return _NAN
    try:
        r = a ** p
    except ZeroDivisionError:  # 0 ** negative: inf, −inf for −0.0 and an odd exponent (IEEE, numpy, PyTorch)
        return math.copysign(_INF, a) if p == math.floor(p) and int(p) % 2 else _INF
    except OverflowError:
        return _INF
    return _NAN if isinstance(r, complex) else r  # a negative base with a non-integer exponent: NaN, as numpy


def _div(a: float, b: float) -> float:
    """a / b with IEEE results at b = 0 (±inf, NaN for 0/0), as numpy and PyTorch, instead of an exception."""
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0.0:
            return _NAN
        return math.copysign(_INF, a) * math.copysign(1.0, b)


def _domain(f):
    """f on floats with NaN outside its domain (math.asin(2) raises; numpy gives NaN) and ±inf on overflow."""
    def g(x: float) -> float:
        try:
            return f(x)
        except ValueError:
            return _NAN
        except OverflowError:
            return math.copysign(_INF, x) if f is not math.cosh else _INF
    g.__name__ = f.__name__
    return g


def _where(cond, a, b):
    return a if cond else b


SCALAR = SimpleNamespace(
    name="scalar",
    ind=lambda cond: 1.0 if cond else 0.0,
    exp=_exp,
    log=_log,
    log1p=_log1p,
    pow=_pow,
    tanh=math.tanh,
    abs=abs,
    sign=_sign,
    where=_where,
    maximum=max,
    minimum=min,
    div=_div,
    sin=_domain(math.sin),
    cos=_domain(math.cos),
    tan=_domain(math.tan),
    asin=_domain(math.asin),
    acos=_domain(math.acos),
    atan=math.atan,
    sinh=_domain(math.sinh),
    cosh=_domain(math.cosh),
    expm1=_domain(math.expm1),
    erf=math.erf,
    floor=lambda x: float(math.floor(x)) if math.isfinite(x) else x,
    ceil=lambda x: float(math.ceil(x)) if math.isfinite(x) else x,
    round=lambda x: float(round(x)) if math.isfinite(x) else x,
    trunc=lambda x: float(math.trunc(x)) if math.isfinite(x) else x,
)


def _np_log(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(x)


def _np_log1p(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log1p(x)


def _np_pow(a, p):
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        r = np.power(a, p)
    if np.ndim(p) == 0 and np.isfinite(p) and p != np.floor(p):
        neg = np.isneginf(a)  # (−inf)^(−½) is 0 in numpy, NaN in PyTorch (as for any negative base)
        if neg.any():
            r = np.where(neg, np.nan, r)
    return r


def _np_exp(x):
    with np.errstate(over="ignore"):
        return np.exp(x)


def _quiet(f):
    """A numpy ufunc that returns NaN/inf outside its domain without a RuntimeWarning (as PyTorch)."""
    def g(*args):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return f(*args)
    g.__name__ = f.__name__
    return g


def _np_erf(x):
    x = np.asarray(x)
    return np.vectorize(math.erf, otypes=[x.dtype if x.dtype.kind == "f" else np.float64])(x)


def _np_ind(cond):
    return np.asarray(cond).view(np.uint8)


def _array_apply(name, *args):
    """Run rule ``name`` forward on arrays: how a structural rule's backward uses another rule (the backward of
    ``window`` is ``fold``, of ``getitem`` is ``scatter_add``...)."""
    return RULES[name].forward(ARRAY, *args)


ARRAY = SimpleNamespace(
    name="array",
    apply=_array_apply,
    ind=_np_ind,
    exp=_np_exp,
    log=_np_log,
    log1p=_np_log1p,
    pow=_np_pow,
    tanh=np.tanh,
    abs=np.abs,
    sign=np.sign,
    where=np.where,
    maximum=np.maximum,
    minimum=np.minimum,
    div=_quiet(np.divide),
    sin=np.sin,
    cos=np.cos,
    tan=np.tan,
    asin=_quiet(np.arcsin),
    acos=_quiet(np.arccos),
    atan=np.arctan,
    sinh=_quiet(np.sinh),
    cosh=_quiet(np.cosh),
    expm1=_quiet(np.expm1),
    erf=_np_erf,
    floor=np.floor,
    ceil=np.ceil,
    round=np.round,
    trunc=np.trunc,
)
