"""Scalar losses other than softmax cross-entropy: logistic, binary hinge, multiclass SVM, MSE, L2 decay.

Every loss returns a Python float; its backward takes the same inputs plus ``g = ∂(final)/∂L`` (default 1)
and returns a NamedTuple with the gradient w.r.t. the first argument. Batch losses are MEANS over the N
examples (the 1/N is part of the rule — forgetting it is a catalogued mistake).
Kinks (hinge, multiclass SVM): a margin term exactly at 0 contributes subgradient 0 (strict ``> 0``),
consistent with relu'(0) = 0.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._common import as_f64, check_choice, check_shape
from .softmax_ce import ScoresGrad, _scalar_g

__all__ = [
    "MSEGrad", "WeightDecayGrad",
    "logistic_loss", "logistic_loss_backward", "hinge_loss", "hinge_loss_backward",
    "multi_margin_loss", "multi_margin_loss_backward", "mse_loss", "mse_loss_backward",
    "weight_decay", "weight_decay_backward",
]


class MSEGrad(NamedTuple):
    """∂L/∂y with y's shape."""

    dy: np.ndarray


class WeightDecayGrad(NamedTuple):
    """∂L/∂W with W's shape."""

    dW: np.ndarray


def _binary(fn: str, scores, labels) -> tuple[np.ndarray, np.ndarray]:
    scores = as_f64(fn, "scores", scores)
    if scores.ndim > 2 or (scores.ndim == 2 and scores.shape[1] != 1):
        raise ValueError(f"{fn}: scores must be a scalar, (N,) or (N, 1), got shape {scores.shape}")
    y = as_f64(fn, "labels", labels)
    if y.size != scores.size or y.ndim > 2:
        raise ValueError(f"{fn}: labels have shape {y.shape}, expected one label per score "
                         f"(scores shape {scores.shape})")
    return scores, y.reshape(scores.shape)


def logistic_loss(scores, labels) -> float:
    """EECS 498 HW1 §2: ``L = (1/N) Σ_n −[y_n log σ(s_n) + (1 − y_n) log(1 − σ(s_n))]``, ``y ∈ {0, 1}``.

    Computed as ``mean(log(1 + e^{s}) − y·s)`` (stable). ``scores`` (N,), (N, 1) or a scalar.
    """
    fn = "logistic_loss"
    s, y = _binary(fn, scores, labels)
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError(f"{fn}: labels must be 0 or 1, got values {np.unique(y)}")
    return float((np.logaddexp(0.0, s) - y * s).mean())


def logistic_loss_backward(scores, labels, g=1.0) -> ScoresGrad:
    """``∂L/∂s_n = (σ(s_n) − y_n) / N``."""
    fn = "logistic_loss_backward"
    s, y = _binary(fn, scores, labels)
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError(f"{fn}: labels must be 0 or 1, got values {np.unique(y)}")
    sig = np.exp(-np.logaddexp(0.0, -s))
    return ScoresGrad(dscores=_scalar_g(fn, g) * (sig - y) / s.size)


def _pm1(fn: str, y: np.ndarray) -> np.ndarray:
    """Labels in {−1, +1} or in {0, 1} (0 ↦ −1); a mix of 0 and −1 is ambiguous and rejected."""
    if not np.isin(y, (-1.0, 0.0, 1.0)).all():
        raise ValueError(f"{fn}: labels must be in {{-1, +1}} or {{0, 1}}, got values {np.unique(y)}")
    if (y == 0).any() and (y == -1).any():
        raise ValueError(f"{fn}: labels mix 0 and -1; use either {{-1, +1}} or {{0, 1}}")
    return np.where(y == 0, -1.0, y)


def hinge_loss(scores, labels) -> float:
    """EECS 498 HW1 §3 (binary SVM, ``svm_loss``): ``L = (1/N) Σ_n max(0, 1 − y_n s_n)``, ``y ∈ {−1, +1}``
    (labels given as {0, 1} are mapped 0 ↦ −1)."""
    fn = "hinge_loss"
    s, y = _binary(fn, scores, labels)
    return float(np.maximum(0.0, 1.0 - _pm1(fn, y) * s).mean())


def hinge_loss_backward(scores, labels, g=1.0) -> ScoresGrad:
    """``∂L/∂s_n = −y_n / N`` where ``1 − y_n s_n > 0``, else 0."""
    fn = "hinge_loss_backward"
    s, y = _binary(fn, scores, labels)
    y = _pm1(fn, y)
    return ScoresGrad(dscores=_scalar_g(fn, g) * np.where(1.0 - y * s > 0, -y, 0.0) / s.size)


def _multiclass(fn: str, scores, labels) -> tuple[np.ndarray, np.ndarray]:
    scores = as_f64(fn, "scores", scores)
    if scores.ndim not in (1, 2) or scores.shape[-1] < 1:
        raise ValueError(f"{fn}: scores must be (K,) or (N, K), got shape {scores.shape}")
    lab = np.asarray(labels)
    if lab.shape != scores.shape[:-1]:
        raise ValueError(f"{fn}: labels have shape {lab.shape}, expected {scores.shape[:-1]} for scores "
                         f"{scores.shape}")
    if lab.dtype.kind not in "iu":
        raise TypeError(f"{fn}: labels must be integer class indices, got dtype {lab.dtype}")
    K = scores.shape[-1]
    if lab.size and (lab.min() < 0 or lab.max() >= K):
        raise ValueError(f"{fn}: labels must be in [0, {K}), got min {lab.min()}, max {lab.max()}")
    return scores.reshape(-1, K), lab.reshape(-1)


def _margins(s: np.ndarray, y: np.ndarray, margin: float) -> np.ndarray:
    rows = np.arange(s.shape[0])
    m = s - s[rows, y][:, None] + margin
    m[rows, y] = 0.0
    return m


def multi_margin_loss(scores, labels, *, margin=1.0, divide_by_classes=False) -> float:
    """Multiclass SVM (cs231n ``svm_loss``): ``L = (1/N) Σ_n Σ_{j≠y_n} max(0, s_nj − s_{n,y_n} + Δ)``, Δ = 1.

    ``divide_by_classes=True`` also divides by K, which is ``torch.nn.functional.multi_margin_loss``.
    """
    s, y = _multiclass("multi_margin_loss", scores, labels)
    total = np.maximum(0.0, _margins(s, y, margin)).sum() / s.shape[0]
    return float(total / s.shape[1] if divide_by_classes else total)


def multi_margin_loss_backward(scores, labels, g=1.0, *, margin=1.0, divide_by_classes=False) -> ScoresGrad:
    """``∂L/∂s_nj = 1[margin_nj > 0] / N`` for j ≠ y_n and ``∂L/∂s_{n,y_n} = −#{j: margin_nj > 0} / N``."""
    fn = "multi_margin_loss_backward"
    shape = np.shape(scores)
    s, y = _multiclass(fn, scores, labels)
    active = (_margins(s, y, margin) > 0).astype(np.float64)
    active[np.arange(s.shape[0]), y] = -active.sum(axis=1)
    d = active / s.shape[0] / (s.shape[1] if divide_by_classes else 1)
    return ScoresGrad(dscores=(_scalar_g(fn, g) * d).reshape(shape))


def _yt(fn: str, y, t, reduction: str) -> tuple[np.ndarray, np.ndarray]:
    check_choice(fn, "reduction", reduction, ("mean", "sum"))
    y, t = as_f64(fn, "y", y), as_f64(fn, "t", t)
    check_shape(fn, "t", t, y.shape)
    if y.size == 0:
        raise ValueError(f"{fn}: y is empty")
    return y, t


def mse_loss(y, t, *, reduction="mean", half=False) -> float:
    """Squared error ``L = c Σ (y − t)²`` with ``c = 1/size`` (``reduction="mean"``, PyTorch ``mse_loss``) or
    1 (``"sum"``), times ½ if ``half``. EN4553 A2 Q1(a) per datum: ``½ (y − t)²`` (``half=True``) so that
    ``∂L/∂y = y − t``; plain ``(y − t)²`` gives ``2 (y − t)``."""
    y, t = _yt("mse_loss", y, t, reduction)
    c = (0.5 if half else 1.0) / (y.size if reduction == "mean" else 1)
    return float(c * ((y - t) ** 2).sum())


def mse_loss_backward(y, t, g=1.0, *, reduction="mean", half=False) -> MSEGrad:
    """``∂L/∂y = 2c (y − t)`` (``= y − t`` per datum with ``half=True, reduction="sum"``)."""
    fn = "mse_loss_backward"
    y, t = _yt(fn, y, t, reduction)
    c = (0.5 if half else 1.0) / (y.size if reduction == "mean" else 1)
    return MSEGrad(dy=_scalar_g(fn, g) * 2.0 * c * (y - t))


def weight_decay(W, *, lam, half=True) -> float:
    """L2 weight decay ``R = ½ λ Σ W²`` (``half=True``, cs231n/EECS 498 starter convention) or ``λ Σ W²``."""
    W = as_f64("weight_decay", "W", W)
    return float((0.5 if half else 1.0) * lam * (W * W).sum())


def weight_decay_backward(W, g=1.0, *, lam, half=True) -> WeightDecayGrad:
    """``∂R/∂W = λ W`` (``2 λ W`` without the ½)."""
    fn = "weight_decay_backward"
    W = as_f64(fn, "W", W)
    return WeightDecayGrad(dW=_scalar_g(fn, g) * (1.0 if half else 2.0) * lam * W)
