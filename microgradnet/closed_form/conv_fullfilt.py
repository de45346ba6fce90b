"""EECS 498 HW1 §1.5: the full convolution ``*full`` and the filtering operation ``*filt``.

The handout (1-based indices)::

    (a *full b)_{i,j} = Σ_{m,n} a_{m,n} b_{i−m+1, j−n+1}     size (H+H'−1) × (W+W'−1)
    (a *filt b)_{i,j} = Σ_{m,n} a_{i+m−1, j+n−1} b_{m,n}     size (H−H'+1) × (W−W'+1)

Translated to 0-based indices (i₀ = i−1, m₀ = m−1, …) both shifts cancel::

    (a *full b)[i, j] = Σ_{m,n} a[m, n] · b[i − m, j − n]       (true "full" convolution, numpy 'full')
    (a *filt b)[i, j] = Σ_{m,n} a[i + m, j + n] · b[m, n]       ("valid" cross-correlation)

Which forward makes the handout's two gradient statements true?  The handout writes
``Y_{n,f} = Σ_c X_{n,c} *full W_{f,c}`` but gives ``Y`` the size ``H'' = H − H' + 1`` (a *filt* size). Only
one of the two readings is consistent with what it asks to show:

* With the FULL forward (``H'' = H + H' − 1``), ∂L/∂X[m] = Σ_i ∂L/∂Y[i] W[i−m] = Σ_k ∂L/∂Y[m+k] W[k], i.e.
  exactly ``∂L/∂X_{n,c} = Σ_f ∂L/∂Y_{n,f} *filt W_{f,c}`` (size (H+H'−1) − H' + 1 = H ✓), and
  ∂L/∂W[k] = Σ_m ∂L/∂Y[m+k] X[m] = ``Σ_n ∂L/∂Y_{n,f} *filt X_{n,c}`` (size H' ✓). No flipping needed.
* With the filt forward (the stated size H − H' + 1, which is what cross-correlation libraries compute),
  ``∂L/∂Y *filt W`` would have size H − 2H' + 2 ≠ H, so the statements cannot hold even up to flips; the
  correct rules are ``∂L/∂X = Σ_f ∂L/∂Y *full W`` and ``∂L/∂W = Σ_n X *filt ∂L/∂Y``.

So :func:`conv_full_layer` is the full forward (we treat "H'' = H − H' + 1" as a typo for H + H' − 1) and
:func:`conv_full_layer_backward` implements the handout's statements literally; :func:`conv_filt_layer` /
:func:`conv_filt_layer_backward` give the other reading with its (different) correct rules.
Layer shapes: ``X`` (N, C, H, W), ``W`` (F, C, H', W'), ``Y`` (N, F, H'', W'').
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._common import as_f64, check_shape
from .conv_flip import true_conv_indexed

__all__ = [
    "FullFiltGrads", "conv_full", "conv_filt",
    "conv_full_layer", "conv_full_layer_backward", "conv_filt_layer", "conv_filt_layer_backward",
]


class FullFiltGrads(NamedTuple):
    """(∂L/∂X, ∂L/∂W) with the shapes of X (N, C, H, W) and W (F, C, H', W')."""

    dX: np.ndarray
    dW: np.ndarray


def _two_d(fn: str, a, b) -> tuple[np.ndarray, np.ndarray]:
    a, b = as_f64(fn, "a", a), as_f64(fn, "b", b)
    if a.ndim != 2 or b.ndim != 2 or 0 in a.shape or 0 in b.shape:
        raise ValueError(f"{fn}: a and b must be non-empty 2-D arrays, got shapes {a.shape} and {b.shape}")
    return a, b


def conv_full(a, b) -> np.ndarray:
    """``(a *full b)_{i,j} = Σ_{m,n} a_{m,n} b_{i−m+1, j−n+1}`` (EECS 498 HW1 §1.5, 1-based), shape
    (H+H'−1, W+W'−1); 0-based: ``Σ a[m,n] b[i−m, j−n]`` over indices where both exist."""
    a, b = _two_d("conv_full", a, b)
    out = (a.shape[0] + b.shape[0] - 1, a.shape[1] + b.shape[1] - 1)
    return true_conv_indexed(a, (0, 0), b, (0, 0), (0, 0), out)


def conv_filt(a, b) -> np.ndarray:
    """``(a *filt b)_{i,j} = Σ_{m,n} a_{i+m−1, j+n−1} b_{m,n}`` (EECS 498 HW1 §1.5, 1-based), shape
    (H−H'+1, W−W'+1); 0-based: ``Σ a[i+m, j+n] b[m,n]``. Requires ``b`` to fit inside ``a``."""
    fn = "conv_filt"
    a, b = _two_d(fn, a, b)
    if b.shape[0] > a.shape[0] or b.shape[1] > a.shape[1]:
        raise ValueError(f"{fn}: b {b.shape} must fit inside a {a.shape} (H' <= H and W' <= W)")
    Ho, Wo = a.shape[0] - b.shape[0] + 1, a.shape[1] - b.shape[1] + 1
    y = np.zeros((Ho, Wo))
    for m in range(b.shape[0]):
        for n in range(b.shape[1]):
            y += a[m:m + Ho, n:n + Wo] * b[m, n]
    return y


def _layer_args(fn: str, X, W) -> tuple[np.ndarray, np.ndarray]:
    X, W = as_f64(fn, "X", X), as_f64(fn, "W", W)
    if X.ndim != 4 or W.ndim != 4:
        raise ValueError(f"{fn}: X must be (N, C, H, W) and W (F, C, H', W'), got {X.shape} and {W.shape}")
    if X.shape[1] != W.shape[1]:
        raise ValueError(f"{fn}: channel mismatch, X {X.shape} has C = {X.shape[1]}, W {W.shape} has "
                         f"C = {W.shape[1]}")
    return X, W


def conv_full_layer(X, W) -> np.ndarray:
    """The layer in *full form (EECS 498 HW1 §1.5), the reading under which the handout's gradients hold:
    ``Y_{n,f} = Σ_c X_{n,c} *full W_{f,c}``, ``Y`` (N, F, H+H'−1, W+W'−1)."""
    X, W = _layer_args("conv_full_layer", X, W)
    N, C = X.shape[:2]
    F = W.shape[0]
    Y = np.zeros((N, F, X.shape[2] + W.shape[2] - 1, X.shape[3] + W.shape[3] - 1))
    for n in range(N):
        for f in range(F):
            for c in range(C):
                Y[n, f] += conv_full(X[n, c], W[f, c])
    return Y


def conv_full_layer_backward(X, W, g) -> FullFiltGrads:
    """EECS 498 HW1 §1.5, exactly as stated (for the full forward :func:`conv_full_layer`)::

        ∂L/∂X_{n,c} = Σ_f ∂L/∂Y_{n,f} *filt W_{f,c}
        ∂L/∂W_{f,c} = Σ_n ∂L/∂Y_{n,f} *filt X_{n,c}
    """
    fn = "conv_full_layer_backward"
    X, W = _layer_args(fn, X, W)
    g = as_f64(fn, "g", g)
    N, C = X.shape[:2]
    F = W.shape[0]
    check_shape(fn, "g", g, (N, F, X.shape[2] + W.shape[2] - 1, X.shape[3] + W.shape[3] - 1))
    dX, dW = np.zeros_like(X), np.zeros_like(W)
    for n in range(N):
        for f in range(F):
            for c in range(C):
                dX[n, c] += conv_filt(g[n, f], W[f, c])
                dW[f, c] += conv_filt(g[n, f], X[n, c])
    return FullFiltGrads(dX=dX, dW=dW)


def conv_filt_layer(X, W) -> np.ndarray:
    """The layer in *filt form, the other reading of EECS 498 §1.5: ``Y_{n,f} = Σ_c X_{n,c} *filt W_{f,c}`` with
    the stated size ``H'' = H − H' + 1`` (what ``torch.nn.functional.conv2d`` computes, no padding, stride 1)."""
    fn = "conv_filt_layer"
    X, W = _layer_args(fn, X, W)
    if W.shape[2] > X.shape[2] or W.shape[3] > X.shape[3]:
        raise ValueError(f"{fn}: kernel {W.shape[2:]} larger than input {X.shape[2:]}")
    N, C = X.shape[:2]
    F = W.shape[0]
    Y = np.zeros((N, F, X.shape[2] - W.shape[2] + 1, X.shape[3] - W.shape[3] + 1))
    for n in range(N):
        for f in range(F):
            for c in range(C):
                Y[n, f] += conv_filt(X[n, c], W[f, c])
    return Y


def conv_filt_layer_backward(X, W, g) -> FullFiltGrads:
    """Correct rules for the *filt forward (NOT the handout's statements, see module docstring)::

        ∂L/∂X_{n,c} = Σ_f ∂L/∂Y_{n,f} *full W_{f,c}
        ∂L/∂W_{f,c} = Σ_n X_{n,c} *filt ∂L/∂Y_{n,f}
    """
    fn = "conv_filt_layer_backward"
    X, W = _layer_args(fn, X, W)
    if W.shape[2] > X.shape[2] or W.shape[3] > X.shape[3]:
        raise ValueError(f"{fn}: kernel {W.shape[2:]} larger than input {X.shape[2:]}")
    g = as_f64(fn, "g", g)
    N, C = X.shape[:2]
    F = W.shape[0]
    check_shape(fn, "g", g, (N, F, X.shape[2] - W.shape[2] + 1, X.shape[3] - W.shape[3] + 1))
    dX, dW = np.zeros_like(X), np.zeros_like(W)
    for n in range(N):
        for f in range(F):
            for c in range(C):
                dX[n, c] += conv_full(g[n, f], W[f, c])
                dW[f, c] += conv_filt(X[n, c], g[n, f])
    return FullFiltGrads(dX=dX, dW=dW)


#: Course-code names → descriptive names. Each old name below is the very same object as its new name, so
#: lecture code, notebooks and graders' scripts written against the old names keep running.
COURSE_NAMES = {
    "conv_eecs498": "conv_full_layer",
    "conv_eecs498_backward": "conv_full_layer_backward",
    "conv_eecs498_valid": "conv_filt_layer",
    "conv_eecs498_valid_backward": "conv_filt_layer_backward",
}
conv_eecs498 = conv_full_layer
conv_eecs498_backward = conv_full_layer_backward
conv_eecs498_valid = conv_filt_layer
conv_eecs498_valid_backward = conv_filt_layer_backward
