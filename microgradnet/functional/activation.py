"""Activations and the softmax family: ``relu``, ``leaky_relu``, ``prelu``, ``tanh``, ``sigmoid``, ``softplus``,
``softmax``, ``log_softmax``."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor, elementwise
from ._checks import _dim, _tensor
from .calls import layer


def relu(input):
    """max(x, 0) (EECS 498 HW1 §1.2); relu'(0) = 0."""
    return _tensor(input, "relu").relu()


def leaky_relu(input, negative_slope=0.01):
    """x if x > 0 else slope·x (EN4553 A2 Q1 with slope 0.1); the derivative at 0 is ``slope``."""
    return _tensor(input, "leaky_relu").leaky_relu(negative_slope)


@layer
def prelu(input, weight):
    """x if x > 0 else α·x with a learnable α (EN4553 A2 Q1(d): ∂L/∂α = Σ_{x ≤ 0} g·x).

    ``weight`` has one element (one slope for everything) or C elements, one per channel, the channel being
    dimension 1 of the input (as PyTorch; an input of fewer than 2 dimensions has one channel).
    """
    op = "prelu"
    x, a = _tensor(input, op), _tensor(weight, op, "weight")
    if a.ndim > 1:
        raise ValueError(f"{op}: weight must be 1-D (1 or num_channels slopes), got shape {a.shape}")
    if a.numel() == 1:
        alpha = a.reshape(())
    else:
        c = x.shape[1] if x.ndim >= 2 else 1
        if a.numel() != c:
            raise ValueError(f"{op}: weight has {a.numel()} slopes but the input of shape {x.shape} has {c} "
                             "channel(s) (dimension 1); expected 1 or that many")
        alpha = a.reshape((c,) + (1,) * (x.ndim - 2))
    return elementwise("prelu", x, alpha)


def tanh(input):
    """tanh x (Tsinghua HW1 §1.1); derivative 1 − tanh²x."""
    return _tensor(input, "tanh").tanh()


def sigmoid(input):
    """1 / (1 + e⁻ˣ), computed without overflow; derivative σ(1 − σ)."""
    return _tensor(input, "sigmoid").sigmoid()


@layer
def softplus(input):
    """log(1 + eˣ), stable for any x, with the exact derivative σ(x) everywhere (x = 0 included).

    Written as ½x + (½|x| + log(1 + e^(−|x|))), which is max(x, 0) + log(1 + e^(−|x|)) with max(x, 0) =
    (x + |x|)/2: only e^(−|x|) ≤ 1 is ever computed, and the bracket's derivative with respect to |x|,
    ½ − σ(−|x|), vanishes at 0, so the kink of |x| at 0 (abs'(0) = 0) cannot leak into the gradient.
    """
    x = _tensor(input, "softplus")
    a = x.abs()
    return x * 0.5 + (a * 0.5 + (-a).exp().log1p())


def _shifted(x: Tensor, d: int) -> Tensor:
    """x − max(x) along d, the max a constant (not differentiated: the shift cancels, EN4553 A2 Q2(a))."""
    m = np.max(x.data, axis=d, keepdims=True)
    m = np.where(np.isfinite(m), m, 0).astype(x.dtype, copy=False)
    return x - m


@layer
def softmax(input, dim):
    """p_i = e^(x_i − M) / Σ_j e^(x_j − M) along ``dim`` with M = max_j x_j taken as a constant.

    softmax(x) = softmax(x − M·1) (EN4553 A2 Q2(a)), and with the shift every exponent is ≤ 0, so logits of
    ±1000 give no overflow. M is not differentiated through: its derivative terms cancel exactly.
    """
    x = _tensor(input, "softmax")
    d = _dim(x, dim, "softmax")
    e = _shifted(x, d).exp()
    return e / e.sum(d, keepdim=True)


@layer
def log_softmax(input, dim):
    """log p_i = (x_i − M) − log Σ_j e^(x_j − M) along ``dim`` (M = max, a constant, as in :func:`softmax`)."""
    x = _tensor(input, "log_softmax")
    d = _dim(x, dim, "log_softmax")
    z = _shifted(x, d)
    return z - z.exp().sum(d, keepdim=True).log()
