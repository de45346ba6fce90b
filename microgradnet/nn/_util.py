"""Small helpers shared by the layer modules."""

from __future__ import annotations

import numpy as np


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
