"""Softmax, log-softmax, softmax cross-entropy and NLL — all stable for logits up to ±1000 and beyond.

Stability (EN4553 A2 Q2(a)): ``softmax(z) = softmax(z − max z)``, so every exponent is ≤ 0 and nothing
overflows; ``log p = (z − max z) − log Σ exp(z − max z)`` never takes ``log 0``.

Naming: CSC 249 HW2 Problem 1 calls softmax followed by ``−log p_gt`` the "negative log likelihood loss";
here that is :func:`cross_entropy` (it takes raw scores). :func:`nll_loss` is PyTorch's ``nll_loss``: it takes
log-probabilities. Labels are 0-based class indices (EN4553's ``1 ≤ y ≤ K`` becomes ``0 ≤ y < K``).
Batches are rows (N, K) and losses are the MEAN over the batch; a single example (K,) takes a scalar label.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._common import as_f64, check_shape

__all__ = [
    "SoftmaxGrad", "ScoresGrad", "LogProbGrad",
    "softmax", "softmax_backward", "log_softmax", "log_softmax_backward",
    "cross_entropy", "cross_entropy_backward", "nll_loss", "nll_loss_backward",
]


class SoftmaxGrad(NamedTuple):
    """∂L/∂z with z's shape."""

    dz: np.ndarray


class ScoresGrad(NamedTuple):
    """∂L/∂scores with the scores' shape."""

    dscores: np.ndarray


class LogProbGrad(NamedTuple):
    """∂L/∂logp with logp's shape."""

    dlogp: np.ndarray


def _log_softmax(z: np.ndarray, axis: int) -> np.ndarray:
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _z(fn: str, z, axis: int) -> np.ndarray:
    z = as_f64(fn, "z", z)
    if z.ndim == 0 or not -z.ndim <= axis < z.ndim:
        raise ValueError(f"{fn}: z with shape {z.shape} has no axis {axis}")
    return z


def softmax(z, *, axis=-1) -> np.ndarray:
    """``p_i = exp(z_i) / Σ_j exp(z_j)`` (EN4553 A2 Q2 eq. 1), computed on ``z − max z`` (Q2(a))."""
    z = _z("softmax", z, axis)
    return np.exp(_log_softmax(z, axis))


def softmax_backward(z, g, *, axis=-1) -> SoftmaxGrad:
    """Jacobian-vector product ``∂L/∂z_i = Σ_k g_k ∂p_k/∂z_i = p_i (g_i − Σ_k g_k p_k)``
    (``∂p_k/∂z_i = p_k (δ_ki − p_i)``), never forming the K×K Jacobian."""
    fn = "softmax_backward"
    z = _z(fn, z, axis)
    g = as_f64(fn, "g", g)
    check_shape(fn, "g", g, z.shape)
    p = np.exp(_log_softmax(z, axis))
    return SoftmaxGrad(dz=p * (g - (g * p).sum(axis=axis, keepdims=True)))


def log_softmax(z, *, axis=-1) -> np.ndarray:
    """``log p_i = z_i − log Σ_j exp(z_j)`` (stable)."""
    return _log_softmax(_z("log_softmax", z, axis), axis)


def log_softmax_backward(z, g, *, axis=-1) -> SoftmaxGrad:
    """``∂L/∂z = g − p Σ_k g_k``."""
    fn = "log_softmax_backward"
    z = _z(fn, z, axis)
    g = as_f64(fn, "g", g)
    check_shape(fn, "g", g, z.shape)
    return SoftmaxGrad(dz=g - np.exp(_log_softmax(z, axis)) * g.sum(axis=axis, keepdims=True))


def _targets(fn: str, scores, labels, name: str = "scores") -> tuple[np.ndarray, np.ndarray, int]:
    """Scores (K,) or (N, K) and labels → (scores, one-hot/probability targets t, N)."""
    scores = as_f64(fn, name, scores)
    if scores.ndim not in (1, 2) or scores.shape[-1] < 1:
        raise ValueError(f"{fn}: {name} must be (K,) or (N, K), got shape {scores.shape}")
    K, N = scores.shape[-1], (1 if scores.ndim == 1 else scores.shape[0])
    lab = np.asarray(labels)
    if lab.shape == scores.shape:  # a target distribution t (CS 4670 PA5 C's one-hot t)
        t = as_f64(fn, "labels", lab)
        if (t < 0).any() or not np.allclose(t.sum(axis=-1), 1.0, rtol=0, atol=1e-9):
            raise ValueError(f"{fn}: a target distribution must be >= 0 and sum to 1 along the class axis")
        return scores, t, N
    if lab.shape != scores.shape[:-1]:
        raise ValueError(
            f"{fn}: labels have shape {lab.shape}, expected {scores.shape[:-1]} (class indices) or "
            f"{scores.shape} (target distribution) for {name} of shape {scores.shape}"
        )
    if lab.dtype.kind not in "iu":
        raise TypeError(f"{fn}: class-index labels must be integers, got dtype {lab.dtype}")
    if lab.size and (lab.min() < 0 or lab.max() >= K):
        raise ValueError(f"{fn}: labels must be in [0, {K}) for K = {K} classes, got min {lab.min()}, "
                         f"max {lab.max()}")
    t = np.zeros_like(scores)
    np.put_along_axis(t.reshape(-1, K), lab.reshape(-1, 1), 1.0, axis=1)
    return scores, t, N


def _scalar_g(fn: str, g) -> float:
    g = as_f64(fn, "g", g)
    if g.shape != ():
        raise ValueError(f"{fn}: g (∂L/∂loss) must be a scalar, got shape {g.shape}")
    return float(g)


def cross_entropy(scores, labels) -> float:
    """Softmax cross-entropy ``L = −log p_gt = −Σ_i t_i log p_i``, mean over the batch.

    CSC 249 HW2 P1, CS 4670 PA5 C, EN4553 A2 Q2(b). ``labels``: 0-based class indices (``()`` for scores
    (K,), ``(N,)`` for (N, K)) or a target distribution ``t`` with the scores' shape.
    """
    scores, t, N = _targets("cross_entropy", scores, labels)
    return float(-(t * _log_softmax(scores, -1)).sum() / N)


def cross_entropy_backward(scores, labels, g=1.0) -> ScoresGrad:
    """``∂L/∂s_i = p_i − t_i`` (``p_i − 1`` for i = gt, ``p_i`` otherwise), divided by N for a batch mean.

    CSC 249 HW2 P1, CS 4670 PA5 C, EN4553 A2 Q2(c). ``g`` is ∂(final)/∂L (default 1).
    """
    fn = "cross_entropy_backward"
    scores, t, N = _targets(fn, scores, labels)
    p = np.exp(_log_softmax(scores, -1))
    return ScoresGrad(dscores=_scalar_g(fn, g) * (p * t.sum(axis=-1, keepdims=True) - t) / N)


def nll_loss(logp, labels) -> float:
    """PyTorch ``nll_loss``: ``L = −(1/N) Σ_n logp[n, y_n]`` on log-probabilities (K,) or (N, K)."""
    logp, t, N = _targets("nll_loss", logp, labels, "logp")
    return float(-(t * logp).sum() / N)


def nll_loss_backward(logp, labels, g=1.0) -> LogProbGrad:
    """``∂L/∂logp[n, k] = −1[k = y_n] / N``."""
    fn = "nll_loss_backward"
    logp, t, N = _targets(fn, logp, labels, "logp")
    return LogProbGrad(dlogp=-_scalar_g(fn, g) * t / N)
