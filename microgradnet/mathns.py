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
    try:
        return a ** p
    except ZeroDivisionError:  # 0 ** negative: inf, as numpy (the Value front refuses it in the forward pass)
        return _INF
    except OverflowError:
        return _INF


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
)


def _np_log(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(x)


def _np_log1p(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log1p(x)


def _np_pow(a, p):
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.power(a, p)


def _np_exp(x):
    with np.errstate(over="ignore"):
        return np.exp(x)


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
)
