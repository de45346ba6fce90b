"""Regularising layers: ``dropout`` and ``batch_norm``."""

from __future__ import annotations

import numbers

import numpy as np

from ..tensor import Tensor
from ._checks import _tensor
from .calls import layer


@layer
def dropout(input, p=0.5, training=True, generator=None):
    """Inverted dropout: y = x ⊙ M / (1 − p) with M ~ Bernoulli(1 − p) in training, y = x otherwise.

    ``p`` is the probability of DROPPING an element (PyTorch), 0 ≤ p ≤ 1; p = 1 drops everything (zeros, zero
    gradient, as PyTorch). The mask is drawn from ``generator``
    (default :func:`microgradnet.generator`, seeded by :func:`microgradnet.manual_seed`) as
    ``generator.random(shape) >= p`` (the closed-form dropout's mask draws the same way) and is a
    constant: ∂L/∂x = g ⊙ M / (1 − p) (EECS 498 HW1 §1.3, scaled). E[M/(1 − p)] = 1, so evaluation needs no
    rescaling (the answer to EECS 498 §7.2 in its inverted form).
    """
    op = "dropout"
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= float(p) <= 1.0:
        raise ValueError(f"{op}: p (the drop probability) must be in [0, 1], got {p!r}")
    x = _tensor(input, op)
    if not training:
        return x
    if p == 1.0:
        return x * np.zeros(x.shape, dtype=x.dtype)
    if generator is None:
        from ..random import generator as _gen
        generator = _gen()
    keep = generator.random(x.shape) >= p
    return x * (keep / (1.0 - float(p))).astype(x.dtype)


def _bn_param(v, c: int, op: str, name: str):
    if v is None:
        return None
    if not isinstance(v, (Tensor, np.ndarray)):
        raise TypeError(f"{op}: {name} must be a Tensor or a numpy array, got {type(v).__name__}")
    shape = v.shape
    if tuple(shape) != (c,):
        raise ValueError(f"{op}: {name} must have shape ({c},) (one per channel), got {tuple(shape)}")
    return v


@layer
def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Batch normalisation over every dimension but the channel (dimension 1), PyTorch semantics::

        x̂ = (x − μ) / √(σ² + ε),   y = γ ⊙ x̂ + β

    Training: μ and σ² are the batch mean and the BIASED variance (1/m Σ(x − μ)², m = values per channel), and
    the running statistics (if given) are updated in place,
    ``running_mean ← (1 − momentum)·running_mean + momentum·μ`` and
    ``running_var ← (1 − momentum)·running_var + momentum·σ²·m/(m − 1)`` (the UNBIASED variance).
    Evaluation: μ, σ² are the running statistics (constants), so the layer is an affine map.

    The training-mode formula is EECS 498 HW1 §1.4 with the usual 1/m (the handout's literal σ has no 1/m and one σ
    for all features: see ``microgradnet.closed_form.norm``). Composition: mean, subtraction, square, mean, pow
    −½, products — the long backward formula of the handout comes out of the tape.
    """
    op = "batch_norm"
    x = _tensor(input, op)
    if x.ndim < 2:
        raise ValueError(f"{op}: expected an input with a batch and a channel dimension (N, C, ...), got shape "
                         f"{x.shape}")
    c = x.shape[1]
    rm = _bn_param(running_mean, c, op, "running_mean")
    rv = _bn_param(running_var, c, op, "running_var")
    w = _bn_param(weight, c, op, "weight")
    b = _bn_param(bias, c, op, "bias")
    if (rm is None) != (rv is None):
        raise ValueError(f"{op}: give both running_mean and running_var, or neither")
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, c) + (1,) * (x.ndim - 2)
    if training:
        m = x.numel() // c if c else 0
        if m <= 1:
            raise ValueError(f"{op}: expected more than 1 value per channel when training, got input shape "
                             f"{x.shape}")
        if isinstance(momentum, bool) or not isinstance(momentum, numbers.Real) or not 0.0 <= momentum <= 1.0:
            raise ValueError(f"{op}: momentum must be a number in [0, 1], got {momentum!r}")
        mu = x.mean(axes, keepdim=True)
        diff = x - mu
        var = (diff * diff).mean(axes, keepdim=True)
        xhat = diff * (var + eps) ** -0.5
        if rm is not None:
            rmd = rm.data if isinstance(rm, Tensor) else rm
            rvd = rv.data if isinstance(rv, Tensor) else rv
            bm = np.asarray(mu.data, dtype=np.float64).reshape(c)
            bv = np.asarray(var.data, dtype=np.float64).reshape(c) * (m / (m - 1))
            rmd[...] = (1.0 - momentum) * rmd + momentum * bm
            rvd[...] = (1.0 - momentum) * rvd + momentum * bv
    else:
        if rm is None:
            raise ValueError(f"{op}: running_mean and running_var are needed in evaluation mode (training=False)")
        rmd = np.asarray(rm.data if isinstance(rm, Tensor) else rm)
        rvd = np.asarray(rv.data if isinstance(rv, Tensor) else rv)
        inv = (1.0 / np.sqrt(rvd.astype(np.float64) + eps)).astype(x.dtype)
        xhat = (x - rmd.astype(x.dtype).reshape(shape)) * inv.reshape(shape)
    out = xhat
    if w is not None:
        out = out * _tensor(w, op, "weight").reshape(shape)
    if b is not None:
        out = out + _tensor(b, op, "bias").reshape(shape)
    return out


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """x̂ = (x − μ)/√(σ² + ε) over the last ``len(normalized_shape)`` dims (μ and the biased σ² per example),
    then γ ⊙ x̂ + β: batch norm's formula over the features instead of the batch. Composition only."""
    op = "layer_norm"
    x = _tensor(input, op)
    shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
    if x.shape[x.ndim - len(shape):] != shape:
        raise ValueError(f"{op}: normalized_shape {shape} must be the last dims of the input's shape {x.shape}")
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    mu = x.mean(axes, keepdim=True)
    d = x - mu
    out = d * ((d * d).mean(axes, keepdim=True) + eps) ** -0.5
    if weight is not None:
        out = out * _tensor(weight, op, "weight")
    if bias is not None:
        out = out + _tensor(bias, op, "bias")
    return out
