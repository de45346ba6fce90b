"""Small helpers shared by the layer modules."""

from __future__ import annotations

import math

import numpy as np

from . import init
from .module import Parameter


def float_dtype(dtype, owner: str) -> np.dtype:
    """float64 by default; float32 (or another float) on request."""
    if dtype is None:
        return np.dtype(np.float64)
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{owner}: unknown dtype {dtype!r}; expected 'float64' or 'float32'") from None
    if dt.kind != "f":
        raise TypeError(f"{owner}: parameters must be floating point, got dtype {dt}")
    return dt


def positive_int(v, name: str, owner: str) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v <= 0:
        raise ValueError(f"{owner}: {name} must be a positive int, got {v!r}")
    return int(v)


def weight_and_bias(module, weight_shape: tuple, n_out: int, bias: bool, dt) -> None:
    """Register ``weight`` (uninitialised) and ``bias`` (or None) on a Linear/Conv2d-style module."""
    module.weight = Parameter(np.empty(weight_shape, dtype=dt))
    if bias:
        module.bias = Parameter(np.empty((n_out,), dtype=dt))
    else:
        module.register_parameter("bias", None)


def reset_weight_and_bias(weight, bias, fan_in: int) -> None:
    """PyTorch's Linear/Conv initialisation: W ~ kaiming_uniform(a=√5) = U(±1/√fan_in), b ~ U(±1/√fan_in)."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        bound = 1.0 / math.sqrt(fan_in)
        init.uniform_(bias, -bound, bound)
