"""Batch normalisation: the standard layer and the EECS 498 HW1 §1.4 variant (training mode).

Standard (Ioffe & Szegedy; PyTorch ``batch_norm`` in training mode), per feature ``k``::

    μ_k = (1/m) Σ_i x_ik,   σ²_k = (1/m) Σ_i (x_ik − μ_k)²   (BIASED variance),   x̂ = (x − μ)/√(σ² + ε)
    y = γ ⊙ x̂ + β

``x`` (N, D): features are columns, m = N. ``x`` (N, C, H, W): per channel, m = N·H·W. Compact backward::

    ∂L/∂β = Σ_i g_i        ∂L/∂γ = Σ_i g_i ⊙ x̂_i
    ∂L/∂x_i = γ / (m √(σ² + ε)) ⊙ ( m g_i − Σ_j g_j − x̂_i ⊙ Σ_j g_j ⊙ x̂_j )

Evaluation (test) mode uses fixed running statistics and is then an element-wise affine map:
:func:`batch_norm_eval` ``y = γ (x − running_mean)/√(running_var + ε) + β``.

EECS 498 HW1 §1.4 (no γ, β): ``Y_i = (X_i − μ)/σ``, ``μ = (1/n) Σ_j X_j``, ``σ = √(Σ_j ||X_j − μ||² + ε)``.
Read LITERALLY: ``X_j ∈ R^d`` is an instance (a row of the 2-D X), ``||·||²`` is its squared Euclidean norm
(a sum over the d features), and there is NO 1/n — so σ is ONE scalar for the whole batch. That is the
default here (``per_feature=False``). ``per_feature=True`` gives the reading most students assume
(σ_k = √(Σ_j (X_jk − μ_k)² + ε), still without 1/n). Derivations (both readings)::

    ∂μ/∂X_i = (1/n) I_d
    ∂σ/∂X_i = (X_i − μ) / σ        (the μ-terms cancel because Σ_j (X_j − μ) = 0)
    ∂L/∂X_i = (1/σ) (G_i − (1/n) Σ_j G_j) − (X_i − μ)/σ³ · Σ_j ⟨G_j, X_j − μ⟩

with ``G = ∂L/∂Y``; in the per-feature reading the products and ⟨·,·⟩ are per column.

Test mode (the source's note: "consider train and test scenarios"): :func:`batch_norm_one_sigma_stats` gives the
batch's (μ, σ) — what a layer keeps a running average of while training — and :func:`batch_norm_one_sigma_eval`
normalises with fixed ``(μ, σ)``: ``Y_i = (X_i − μ)/σ``, no batch statistics, so ∂L/∂X = ∂L/∂Y / σ.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._common import as_f64, check_shape

__all__ = [
    "BatchNormGrads", "BatchNormOneSigmaGrad", "batch_norm", "batch_norm_backward",
    "batch_norm_one_sigma", "batch_norm_one_sigma_backward", "batch_norm_one_sigma_dmu_dXi",
    "batch_norm_one_sigma_dsigma_dXi",
    "batch_norm_eval", "batch_norm_one_sigma_stats", "batch_norm_one_sigma_eval",
]


class BatchNormGrads(NamedTuple):
    """(∂L/∂x, ∂L/∂γ, ∂L/∂β)."""

    dx: np.ndarray
    dgamma: np.ndarray
    dbeta: np.ndarray


class BatchNormOneSigmaGrad(NamedTuple):
    """∂L/∂X (n, d)."""

    dX: np.ndarray


def _bn_prep(fn: str, x, gamma, beta):
    x, gamma, beta = as_f64(fn, "x", x), as_f64(fn, "gamma", gamma), as_f64(fn, "beta", beta)
    if x.ndim == 2:
        axes, shape = (0,), (1, x.shape[1])
    elif x.ndim == 4:
        axes, shape = (0, 2, 3), (1, x.shape[1], 1, 1)
    else:
        raise ValueError(f"{fn}: x must be (N, D) or (N, C, H, W), got shape {x.shape}")
    m = x.size // x.shape[1]
    if m < 1:
        raise ValueError(f"{fn}: x {x.shape} has no samples per feature")
    for name, a in (("gamma", gamma), ("beta", beta)):
        check_shape(fn, name, a, (x.shape[1],))
    return x, gamma.reshape(shape), beta.reshape(shape), axes, m


def _normalise(x: np.ndarray, axes, eps: float):
    mu = x.mean(axis=axes, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
    std = np.sqrt(var + eps)
    return (x - mu) / std, std


def batch_norm(x, gamma, beta, *, eps=1e-5) -> np.ndarray:
    """Training-mode batch norm ``y = γ (x − μ)/√(σ² + ε) + β``, biased σ² (see module docstring)."""
    fn = "batch_norm"
    x, gamma, beta, axes, _ = _bn_prep(fn, x, gamma, beta)
    xhat, _ = _normalise(x, axes, eps)
    return gamma * xhat + beta


def batch_norm_backward(x, gamma, beta, g, *, eps=1e-5) -> BatchNormGrads:
    """Compact closed form: ``∂L/∂x = γ/(m√(σ²+ε)) (m g − Σg − x̂ Σ(g x̂))``, ``∂L/∂γ = Σ g x̂``,
    ``∂L/∂β = Σ g``."""
    fn = "batch_norm_backward"
    x, gamma_b, _, axes, m = _bn_prep(fn, x, gamma, beta)
    g = as_f64(fn, "g", g)
    check_shape(fn, "g", g, x.shape)
    xhat, std = _normalise(x, axes, eps)
    sum_g = g.sum(axis=axes, keepdims=True)
    sum_gx = (g * xhat).sum(axis=axes, keepdims=True)
    dx = gamma_b / (m * std) * (m * g - sum_g - xhat * sum_gx)
    return BatchNormGrads(dx=dx, dgamma=sum_gx.reshape(-1), dbeta=sum_g.reshape(-1))


def batch_norm_eval(x, gamma, beta, running_mean, running_var, *, eps=1e-5) -> np.ndarray:
    """Evaluation-mode batch norm: ``y = γ (x − running_mean)/√(running_var + ε) + β`` with fixed statistics of
    shape (C,); ``x`` (N, C) or (N, C, H, W)."""
    fn = "batch_norm_eval"
    x, gamma_b, beta_b, _, _ = _bn_prep(fn, x, gamma, beta)
    stats = []
    for name, a in (("running_mean", running_mean), ("running_var", running_var)):
        a = as_f64(fn, name, a)
        check_shape(fn, name, a, (x.shape[1],))
        stats.append(a.reshape(gamma_b.shape))
    mean, var = stats
    if (var + eps <= 0).any():
        raise ValueError(f"{fn}: running_var + eps must be > 0, got min {float((var + eps).min())}")
    return gamma_b * (x - mean) / np.sqrt(var + eps) + beta_b


def _one_sigma_prep(fn: str, X, eps: float, per_feature: bool):
    X = as_f64(fn, "X", X)
    if X.ndim != 2 or X.shape[0] < 1:
        raise ValueError(f"{fn}: X must be a 2-D (n, d) tensor of n >= 1 instances, got shape {X.shape}")
    mu = X.mean(axis=0)
    D = X - mu
    sq = (D * D).sum(axis=0) if per_feature else (D * D).sum()
    return X, mu, D, np.sqrt(sq + eps)


def batch_norm_one_sigma(X, *, eps=1e-5, per_feature=False) -> np.ndarray:
    """Batch norm with one σ for the whole batch (EECS 498 HW1 §1.4): ``Y_i = (X_i − μ)/σ``,
    ``μ = (1/n) Σ_j X_j``, ``σ = √(Σ_j ||X_j − μ||² + ε)`` (no γ, β, and no 1/n inside σ).

    ``X`` (n, d), rows are instances. Literal reading (default): σ is one scalar (see module docstring).
    """
    _, _, D, sigma = _one_sigma_prep("batch_norm_one_sigma", X, eps, per_feature)
    return D / sigma


def _row(fn: str, X: np.ndarray, i) -> int:
    if not isinstance(i, (int, np.integer)) or isinstance(i, bool) or not 0 <= i < X.shape[0]:
        raise ValueError(f"{fn}: i must be an int row index in [0, {X.shape[0]}), got {i!r}")
    return int(i)


def batch_norm_one_sigma_dmu_dXi(X, i) -> np.ndarray:
    """EECS 498 HW1 §1.4: ``∂μ/∂X_i = (1/n) I_d`` — the (d, d) Jacobian of μ ∈ R^d w.r.t. row X_i."""
    fn = "batch_norm_one_sigma_dmu_dXi"
    X = as_f64(fn, "X", X)
    if X.ndim != 2 or X.shape[0] < 1:
        raise ValueError(f"{fn}: X must be a 2-D (n, d) tensor of n >= 1 instances, got shape {X.shape}")
    _row(fn, X, i)
    return np.eye(X.shape[1]) / X.shape[0]


def batch_norm_one_sigma_dsigma_dXi(X, i, *, eps=1e-5, per_feature=False) -> np.ndarray:
    """EECS 498 HW1 §1.4: ``∂σ/∂X_i = (X_i − μ)/σ``.

    Returns the Jacobian with σ's shape first: literal reading (scalar σ) → shape (d,);
    ``per_feature=True`` (σ ∈ R^d) → the diagonal (d, d) matrix ``diag((X_i − μ)/σ)``.
    """
    fn = "batch_norm_one_sigma_dsigma_dXi"
    X, _, D, sigma = _one_sigma_prep(fn, X, eps, per_feature)
    i = _row(fn, X, i)
    return np.diag(D[i] / sigma) if per_feature else D[i] / sigma


def batch_norm_one_sigma_backward(X, g, *, eps=1e-5, per_feature=False) -> BatchNormOneSigmaGrad:
    """EECS 498 HW1 §1.4 by the chain rule through μ and σ (``G = ∂L/∂Y``)::

        ∂L/∂X_i = Σ_j ∂L/∂Y_j ∂Y_j/∂X_i = (G_i − Ḡ)/σ − (X_i − μ)/σ³ · Σ_j ⟨G_j, X_j − μ⟩
    """
    fn = "batch_norm_one_sigma_backward"
    X, _, D, sigma = _one_sigma_prep(fn, X, eps, per_feature)
    g = as_f64(fn, "g", g)
    check_shape(fn, "g", g, X.shape)
    dots = (g * D).sum(axis=0) if per_feature else (g * D).sum()
    return BatchNormOneSigmaGrad(dX=(g - g.mean(axis=0)) / sigma - D * dots / sigma**3)


def batch_norm_one_sigma_stats(X, *, eps=1e-5, per_feature=False) -> tuple[np.ndarray, np.ndarray]:
    """EECS 498 HW1 §1.4 training statistics of a batch: ``μ = (1/n) Σ_j X_j`` (d,) and
    ``σ = √(Σ_j ||X_j − μ||² + ε)`` (a 0-d array; (d,) with ``per_feature=True``)."""
    _, mu, _, sigma = _one_sigma_prep("batch_norm_one_sigma_stats", X, eps, per_feature)
    return mu, np.asarray(sigma)


def batch_norm_one_sigma_eval(X, mu, sigma) -> np.ndarray:
    """EECS 498 HW1 §1.4 in test mode: ``Y_i = (X_i − μ)/σ`` with FIXED μ (d,) and σ (a scalar or (d,)) — e.g.
    running averages of :func:`batch_norm_one_sigma_stats` — instead of the batch's own statistics."""
    fn = "batch_norm_one_sigma_eval"
    X = as_f64(fn, "X", X)
    if X.ndim != 2:
        raise ValueError(f"{fn}: X must be a 2-D (n, d) tensor, got shape {X.shape}")
    mu, sigma = as_f64(fn, "mu", mu), as_f64(fn, "sigma", sigma)
    check_shape(fn, "mu", mu, (X.shape[1],))
    if sigma.shape not in ((), (1,), (X.shape[1],)):
        raise ValueError(f"{fn}: sigma has shape {sigma.shape}, expected () (one σ) or ({X.shape[1]},) (per feature)")
    if (sigma <= 0).any():
        raise ValueError(f"{fn}: sigma must be > 0, got min {float(sigma.min())}")
    return (X - mu) / sigma


#: Course-code names → descriptive names. Each old name below is the very same object as its new name, so
#: lecture code, notebooks and graders' scripts written against the old names keep running.
COURSE_NAMES = {
    "batch_norm_eecs498": "batch_norm_one_sigma",
    "batch_norm_eecs498_backward": "batch_norm_one_sigma_backward",
    "batch_norm_eecs498_stats": "batch_norm_one_sigma_stats",
    "batch_norm_eecs498_eval": "batch_norm_one_sigma_eval",
    "eecs498_dmu_dXi": "batch_norm_one_sigma_dmu_dXi",
    "eecs498_dsigma_dXi": "batch_norm_one_sigma_dsigma_dXi",
    "BatchNormEECS498Grad": "BatchNormOneSigmaGrad",
}
batch_norm_eecs498 = batch_norm_one_sigma
batch_norm_eecs498_backward = batch_norm_one_sigma_backward
batch_norm_eecs498_stats = batch_norm_one_sigma_stats
batch_norm_eecs498_eval = batch_norm_one_sigma_eval
eecs498_dmu_dXi = batch_norm_one_sigma_dmu_dXi
eecs498_dsigma_dXi = batch_norm_one_sigma_dsigma_dXi
BatchNormEECS498Grad = BatchNormOneSigmaGrad
