"""Activations and the softmax family: ``relu``, ``leaky_relu``, ``prelu``, ``tanh``, ``sigmoid``, ``softplus``,
``gelu``, ``silu``, ``elu``, ``hardtanh``, ``relu6``, ``logsigmoid``, ``softmax``, ``log_softmax``, ``normalize``,
``one_hot``."""

from __future__ import annotations

import numpy as np

from ..errors import OutOfRangeError
from ..tensor import Tensor, _tmake, elementwise, where
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


def _softplus(x: Tensor) -> Tensor:
    a = x.abs()
    return x * 0.5 + (a * 0.5 + (-a).exp().log1p())


@layer
def softplus(input, beta=1.0, threshold=20.0):
    """(1/β)·log(1 + e^(βx)), stable for any x, with the exact derivative σ(βx) everywhere (x = 0 included);
    where βx > ``threshold`` it is x itself (PyTorch's linear region, derivative 1).

    Written as ½z + (½|z| + log(1 + e^(−|z|))) with z = βx, which is max(z, 0) + log(1 + e^(−|z|)) with max(z, 0)
    = (z + |z|)/2: only e^(−|z|) ≤ 1 is ever computed, and the bracket's derivative with respect to |z|,
    ½ − σ(−|z|), vanishes at 0, so the kink of |z| at 0 (abs'(0) = 0) cannot leak into the gradient.
    """
    x = _tensor(input, "softplus")
    if beta == 1.0 and threshold == 20.0:
        return where(x.data > threshold, x, _softplus(x)) if (x.data > threshold).any() else _softplus(x)
    sp = _softplus(x * float(beta)) * (1.0 / float(beta))
    return where(x.data * beta > threshold, x, sp)


def logsigmoid(input):
    """log σ(x) = −softplus(−x): stable for any x (log σ(−800) = −800), derivative σ(−x) = 1 − σ(x)."""
    return -_softplus(-_tensor(input, "logsigmoid"))


def silu(input):
    """x·σ(x) (also called swish); derivative σ(x)(1 + x(1 − σ(x))) from the product rule."""
    x = _tensor(input, "silu")
    return x * x.sigmoid()


def gelu(input, approximate="none"):
    """x·Φ(x) with Φ the standard normal CDF, Φ(x) = (1 + erf(x/√2))/2 (rule ``erf``); ``approximate='tanh'``
    uses PyTorch's ½x(1 + tanh(√(2/π)(x + 0.044715x³)))."""
    x = _tensor(input, "gelu")
    if approximate == "tanh":
        inner = (x + x * x * x * 0.044715) * 0.7978845608028654
        return x * 0.5 * (inner.tanh() + 1.0)
    if approximate != "none":
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    from ..tensor_ops import erf
    return x * 0.5 * (erf(x * 0.7071067811865476) + 1.0)


def elu(input, alpha=1.0):
    """x for x > 0, α(eˣ − 1) otherwise; the exponential is taken of min(x, 0) (no overflow), so the derivative
    at 0 is α, as PyTorch."""
    x = _tensor(input, "elu")
    return where(x.data > 0, x, (x.clip(None, 0.0).exp() - 1.0) * float(alpha))


def hardtanh(input, min_val=-1.0, max_val=1.0):
    """min_val below, max_val above, x between; the derivative is 1 strictly inside and 0 at and beyond the bounds
    (as PyTorch's hardtanh, unlike clamp)."""
    x = _tensor(input, "hardtanh")
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val {min_val} must not exceed max_val {max_val}")
    inside = (x.data > min_val) & (x.data < max_val)
    bound = np.where(x.data <= min_val, min_val, max_val).astype(x.dtype)
    return where(inside, x, bound)


def relu6(input):
    """min(max(x, 0), 6) as hardtanh(x, 0, 6): derivative 0 at 0 and 6 (relu'(0) = 0)."""
    return hardtanh(input, 0.0, 6.0)


def normalize(input, p=2.0, dim=1, eps=1e-12):
    """x / max(‖x‖_p, eps) along ``dim`` (PyTorch's F.normalize): a zero vector stays 0."""
    from ..tensor_ops import norm
    x = _tensor(input, "normalize")
    d = _dim(x, dim, "normalize")
    n = norm(x, p, d, keepdim=True)
    return x / n.clip(eps, None)


def one_hot(tensor, num_classes=-1):
    """(…, num_classes) int64 with a 1 at each index (off the tape); ``num_classes=-1`` is max + 1."""
    op = "one_hot"
    t = np.asarray(tensor.data if isinstance(tensor, Tensor) else tensor)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{op}: expected an integer (int64) tensor of class indices, got dtype {t.dtype}")
    k = int(t.max()) + 1 if num_classes == -1 and t.size else int(num_classes)
    if t.size and (t.min() < 0 or t.max() >= k):
        raise OutOfRangeError(f"{op}: class values must be in [0, {k}) (num_classes={k}), got min {int(t.min())} "
                              f"and max {int(t.max())}")
    return _tmake(np.asarray((t[..., None] == np.arange(k)).astype(np.int64)), (), "", (), False)


def _shifted(x: Tensor, d: int) -> Tensor:
    """x − max(x) along d, the max a constant (not differentiated: the shift cancels, EN4553 A2 Q2(a))."""
    m = np.max(x.data, axis=d, keepdims=True)
    m = np.where(np.isfinite(m), m, 0).astype(x.dtype, copy=False)
    return x - m


@layer
def softmax(input, dim=None, dtype=None):
    """p_i = e^(x_i − M) / Σ_j e^(x_j − M) along ``dim`` with M = max_j x_j taken as a constant.

    softmax(x) = softmax(x − M·1) (EN4553 A2 Q2(a)), and with the shift every exponent is ≤ 0, so logits of
    ±1000 give no overflow. M is not differentiated through: its derivative terms cancel exactly.
    """
    x = _tensor(input, "softmax")
    x = x if dtype is None else x.to(dtype)
    d = _dim(x, dim, "softmax")
    if x.ndim == 0 or x.shape[d] == 0:  # one element: p = 1; an empty axis: empty (as PyTorch)
        return softmax(x.reshape(1), 0).reshape(()) if x.ndim == 0 else x * 1.0
    e = _shifted(x, d).exp()
    return e / e.sum(d, keepdim=True)


@layer
def log_softmax(input, dim=None, dtype=None):
    """log p_i = (x_i − M) − log Σ_j e^(x_j − M) along ``dim`` (M = max, a constant, as in :func:`softmax`)."""
    x = _tensor(input, "log_softmax")
    x = x if dtype is None else x.to(dtype)
    d = _dim(x, dim, "log_softmax")
    if x.ndim == 0 or x.shape[d] == 0:
        return log_softmax(x.reshape(1), 0).reshape(()) if x.ndim == 0 else x * 1.0
    z = _shifted(x, d)
    return z - z.exp().sum(d, keepdim=True).log()


def softmin(input, dim=None, dtype=None):
    """softmax(−x) along ``dim``."""
    return softmax(-_tensor(input, "softmin"), dim, dtype)


SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def selu(input):
    """scale·elu(x, α) with PyTorch's constants (α ≈ 1.6733, scale ≈ 1.0507)."""
    return elu(input, SELU_ALPHA) * SELU_SCALE


def celu(input, alpha=1.0):
    """x for x > 0, α(e^(x/α) − 1) otherwise (the exponential of min(x, 0), so no overflow)."""
    x = _tensor(input, "celu")
    return where(x.data > 0, x, ((x.clip(None, 0.0) * (1.0 / float(alpha))).exp() - 1.0) * float(alpha))


def mish(input):
    """x·tanh(softplus(x))."""
    x = _tensor(input, "mish")
    return x * softplus(x).tanh()


def hardsigmoid(input):
    """0 for x ≤ −3, 1 for x ≥ 3, x/6 + ½ between (relu6(x + 3)/6: derivative 1/6 strictly inside, 0 at ±3)."""
    return relu6(_tensor(input, "hardsigmoid") + 3.0) * (1.0 / 6.0)


def hardswish(input):
    """x·relu6(x + 3)/6."""
    x = _tensor(input, "hardswish")
    return x * hardsigmoid(x)


def softsign(input):
    """x / (1 + |x|); abs'(0) = 0, so the derivative at 0 is 1."""
    x = _tensor(input, "softsign")
    return x / (x.abs() + 1.0)
