"""Shared helpers for the closed-form rules: float64 conversion, argument normalisation, checks.

Every check raises ``ValueError`` (or ``TypeError`` for a wrong kind of argument) whose message names the
function, the offending shapes/values and what was expected.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["InputGrad", "as_f64", "pair", "check_shape", "check_finite", "check_choice"]


class InputGrad(NamedTuple):
    """Gradient of a one-input rule: ``dx = ∂L/∂x`` (same shape as ``x``)."""

    dx: np.ndarray


def as_f64(fn: str, name: str, a) -> np.ndarray:
    """Return ``a`` as a float64 ndarray (a copy only when needed); reject complex/object/str input."""
    arr = np.asarray(a)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{fn}: {name} must be a real numeric array, got dtype {arr.dtype}")
    return arr.astype(np.float64, copy=False)


def pair(fn: str, name: str, v, minimum: int) -> tuple[int, int]:
    """Normalise an int or a pair of ints (``stride=2`` → ``(2, 2)``); every entry must be ``>= minimum``."""
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        out = (int(v), int(v))
    elif isinstance(v, (tuple, list)) and len(v) == 2 and all(
        isinstance(e, (int, np.integer)) and not isinstance(e, bool) for e in v
    ):
        out = (int(v[0]), int(v[1]))
    else:
        raise TypeError(f"{fn}: {name} must be an int or a pair of ints, got {v!r}")
    if min(out) < minimum:
        raise ValueError(f"{fn}: {name} must be >= {minimum} in both directions, got {out}")
    return out


def check_shape(fn: str, name: str, a: np.ndarray, expected: tuple[int, ...]) -> None:
    """Raise if ``a.shape != expected``."""
    if a.shape != tuple(expected):
        raise ValueError(f"{fn}: {name} has shape {a.shape}, expected {tuple(expected)}")


def check_finite(fn: str, name: str, a: np.ndarray) -> None:
    """Raise if ``a`` holds a NaN (infinities are allowed)."""
    if np.isnan(a).any():
        raise ValueError(f"{fn}: {name} contains NaN; the rule is undefined there")


def check_choice(fn: str, name: str, v, choices: tuple) -> None:
    """Raise if ``v`` is not one of ``choices``."""
    if v not in choices:
        raise ValueError(f"{fn}: {name} must be one of {choices}, got {v!r}")
