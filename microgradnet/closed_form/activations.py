"""Element-wise activations: ReLU, leaky ReLU, PReLU, tanh, sigmoid (forward and backward).

Kink convention: the derivative AT 0 is chosen by ``kink``, one of :data:`KINKS`:

- ``kink="negative"`` (the default, project-wide and PyTorch's backward ``x > 0 ? g : slope·g``): the slope of the
  negative side — relu'(0) = 0, leaky_relu'(0) = slope, prelu'(0) = α;
- ``kink="positive"``: the slope of the positive side, 1 — what EN4553 A2 Q1 implies by writing LRelu/PRelu with
  "x if x ≥ 0" (the x ≥ 0 branch holds at 0).

Only inputs exactly 0 see the difference. ∂L/∂α of PReLU does not depend on it (α·x is 0 at x = 0).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._common import InputGrad, as_f64, check_choice, check_shape

__all__ = [
    "KINKS", "PReLUGrads", "relu", "relu_backward", "leaky_relu", "leaky_relu_backward",
    "prelu", "prelu_backward", "tanh", "tanh_backward", "sigmoid", "sigmoid_backward",
]


KINKS = ("negative", "positive")
"""The derivative at 0 of ReLU / leaky ReLU / PReLU: the negative side's slope (PyTorch) or the positive side's (1)."""


def _positive_side(fn: str, x: np.ndarray, kink) -> np.ndarray:
    """The mask of inputs that take the positive side's derivative (1): ``x > 0``, plus ``x == 0`` when
    ``kink="positive"``."""
    check_choice(fn, "kink", kink, KINKS)
    return x >= 0 if kink == "positive" else x > 0


def _xg(fn: str, x, g) -> tuple[np.ndarray, np.ndarray]:
    x, g = as_f64(fn, "x", x), as_f64(fn, "g", g)
    check_shape(fn, "g", g, x.shape)
    return x, g


def relu(x) -> np.ndarray:
    """``y = max(0, x)`` (EECS 498 HW1 §1.2)."""
    x = as_f64("relu", "x", x)
    return np.where(x > 0, x, 0.0)


def relu_backward(x, g, *, kink="negative") -> InputGrad:
    """EECS 498 HW1 §1.2: ``∂L/∂X = ∂L/∂Y ⊙ 1[X > 0]`` (relu'(0) = 0; ``kink="positive"``: 1[X ≥ 0])."""
    x, g = _xg("relu_backward", x, g)
    return InputGrad(dx=np.where(_positive_side("relu_backward", x, kink), g, 0.0))


def leaky_relu(x, *, slope=0.01) -> np.ndarray:
    """``y = x`` if ``x ≥ 0`` else ``slope·x`` (EN4553 A2 Q1 uses ``slope = 0.1``; PyTorch default 0.01)."""
    x = as_f64("leaky_relu", "x", x)
    return np.where(x >= 0, x, slope * x)


def leaky_relu_backward(x, g, *, slope=0.01, kink="negative") -> InputGrad:
    """``∂L/∂x = ∂L/∂y`` where ``x > 0``, ``slope·∂L/∂y`` where ``x < 0`` (EN4553 A2 Q1(c)); at ``x = 0`` the
    slope (``kink="negative"``, PyTorch) or 1 (``kink="positive"``, EN4553's "x if x ≥ 0")."""
    x, g = _xg("leaky_relu_backward", x, g)
    return InputGrad(dx=np.where(_positive_side("leaky_relu_backward", x, kink), g, slope * g))


class PReLUGrads(NamedTuple):
    """(∂L/∂x with x's shape, ∂L/∂α with α's shape)."""

    dx: np.ndarray
    dalpha: np.ndarray


def _alpha(fn: str, x: np.ndarray, alpha, channel_axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (alpha as given, alpha broadcastable against x). One α (shape () or (1,)) or one per channel."""
    a = as_f64(fn, "alpha", alpha)
    if a.size == 1 and a.ndim <= 1:
        return a, a.reshape(())
    if a.ndim == 1 and x.ndim > channel_axis and a.shape[0] == x.shape[channel_axis]:
        shape = [1] * x.ndim
        shape[channel_axis] = a.shape[0]
        return a, a.reshape(shape)
    raise ValueError(
        f"{fn}: alpha has shape {a.shape}, expected () or (1,) (one α) or (C,) with "
        f"C = x.shape[{channel_axis}] (x shape {x.shape})"
    )


def prelu(x, alpha, *, channel_axis=1) -> np.ndarray:
    """EN4553 A2 Q1(d): ``PRelu(x) = x`` if ``x ≥ 0`` else ``α·x``; ``α`` shared or one per channel
    (``channel_axis``, default 1 as in NCHW/(N, C))."""
    fn = "prelu"
    x = as_f64(fn, "x", x)
    _, a = _alpha(fn, x, alpha, channel_axis)
    return np.where(x >= 0, x, a * x)


def prelu_backward(x, alpha, g, *, channel_axis=1, kink="negative") -> PReLUGrads:
    """EN4553 A2 Q1(d): ``∂L/∂x = ∂L/∂v`` (x > 0) or ``α·∂L/∂v`` (x < 0) — at x = 0 ``α·∂L/∂v``
    (``kink="negative"``, PyTorch) or ``∂L/∂v`` (``kink="positive"``, the source's "x if x ≥ 0") — and
    ``∂L/∂α = Σ_{i: x_i < 0} ∂L/∂v_i · x_i`` (summed over every position sharing that α)."""
    fn = "prelu_backward"
    x, g = _xg(fn, x, g)
    a_in, a = _alpha(fn, x, alpha, channel_axis)
    dx = np.where(_positive_side(fn, x, kink), g, a * g)
    return PReLUGrads(dx=dx, dalpha=_reduce_to_alpha(np.where(x < 0, g * x, 0.0), a_in, channel_axis))


def _reduce_to_alpha(contrib: np.ndarray, a_in: np.ndarray, channel_axis: int) -> np.ndarray:
    """Sum per-position contributions over every position that shares an α; result has α's shape."""
    if a_in.size == 1 and a_in.ndim <= 1:
        return np.full(a_in.shape, contrib.sum())
    axes = tuple(i for i in range(contrib.ndim) if i != channel_axis)
    return contrib.sum(axis=axes)


def tanh(x) -> np.ndarray:
    """Tsinghua DL HW1 §1.1: ``y = (exp(z) − exp(−z)) / (exp(z) + exp(−z))`` (the input is ``z`` there)."""
    return np.tanh(as_f64("tanh", "x", x))


def tanh_backward(x, g) -> InputGrad:
    """Tsinghua DL HW1 §1.1: ``dy/dz = 1 − y²``, so ``dL/dz = dL/dy ⊙ (1 − tanh(z)²)``."""
    x, g = _xg("tanh_backward", x, g)
    y = np.tanh(x)
    return InputGrad(dx=g * (1.0 - y * y))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -x))


def sigmoid(x) -> np.ndarray:
    """``σ(x) = 1 / (1 + e^{−x})`` computed as ``exp(−log(1 + e^{−x}))`` (no overflow)."""
    return _sigmoid(as_f64("sigmoid", "x", x))


def sigmoid_backward(x, g) -> InputGrad:
    """``∂L/∂x = ∂L/∂y ⊙ σ(x)(1 − σ(x))``."""
    x, g = _xg("sigmoid_backward", x, g)
    s = _sigmoid(x)
    return InputGrad(dx=g * s * (1.0 - s))
