"""Direct nested-for-loop convolution, as CSC 249 HW2 Problem 5.2 asks ("a direct implementation of
convolution with nested for loops in backward pass").

Same layer and conventions as :mod:`.conv` (cross-correlation, NCHW or unbatched CHW, zero padding, stride,
dilation, bias). Slow on purpose: every loop index is a symbol of the handout's formula, so a student's loop
code can be read against it line by line. Use :func:`.conv.conv2d_backward` for anything bigger than a small example.
"""

from __future__ import annotations

import numpy as np

from ._common import as_f64
from .conv import Conv2dGrads, _backward_inputs, _batched, _bias, conv2d_geometry

__all__ = ["conv2d_forward_loops", "conv2d_backward_loops"]


def conv2d_forward_loops(x, w, b=None, *, stride=1, padding=0, dilation=1) -> np.ndarray:
    """``y(n,k,i,j) = b_k + Σ_t Σ_m Σ_q xp(n, t, i·s+m·d, j·s+q·d) · W_k(t, m, q)`` — CSC 249 HW2 Problem 3,
    written as seven nested loops (n, k, i, j, t, m, q)."""
    fn = "conv2d_forward_loops"
    x, w = as_f64(fn, "x", x), as_f64(fn, "w", w)
    xb, unbatched = _batched(fn, x)
    geo = conv2d_geometry(fn, xb.shape, w.shape, stride, padding, dilation)
    b = _bias(fn, b, w.shape[0])
    (sh, sw), (ph, pw), (dh, dw), (Ho, Wo) = geo
    xp = np.pad(xb, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    N, T = xb.shape[:2]
    K, _, M, Q = w.shape
    y = np.zeros((N, K, Ho, Wo))
    for n in range(N):
        for k in range(K):
            for i in range(Ho):
                for j in range(Wo):
                    acc = 0.0 if b is None else b[k]
                    for t in range(T):
                        for m in range(M):
                            for q in range(Q):
                                acc += xp[n, t, i * sh + m * dh, j * sw + q * dw] * w[k, t, m, q]
                    y[n, k, i, j] = acc
    return y[0] if unbatched else y


def conv2d_backward_loops(x, w, b, g, *, stride=1, padding=0, dilation=1) -> Conv2dGrads:
    """CSC 249 HW2 Problems 3 and 5.2: the backward pass as nested loops over every (output, tap) pair.

    For each output y(n,k,i,j) and tap (t, m, q), with u = i·s + m·d, v = j·s + q·d::

        ∂L/∂W_k(t,m,q) += ∂L/∂y(n,k,i,j) · xp(n,t,u,v)
        ∂L/∂xp(n,t,u,v) += ∂L/∂y(n,k,i,j) · W_k(t,m,q)
        ∂L/∂b_k        += ∂L/∂y(n,k,i,j)

    so ∂L/∂x(t,u,v) = Σ_k Σ_{(i,m): i·s+m·d=u} Σ_{(j,q): j·s+q·d=v} ∂L/∂y(k,i,j) W_k(t,m,q), then the
    padding is cropped.
    """
    fn = "conv2d_backward_loops"
    xb, w, b, gb, geo, unbatched = _backward_inputs(fn, x, w, b, g, stride, padding, dilation)
    (sh, sw), (ph, pw), (dh, dw), (Ho, Wo) = geo
    xp = np.pad(xb, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    N, T, H, W = xb.shape
    K, _, M, Q = w.shape
    dxp, dW, db = np.zeros_like(xp), np.zeros_like(w), np.zeros(K)
    for n in range(N):
        for k in range(K):
            for i in range(Ho):
                for j in range(Wo):
                    gy = gb[n, k, i, j]
                    db[k] += gy
                    for t in range(T):
                        for m in range(M):
                            for q in range(Q):
                                u, v = i * sh + m * dh, j * sw + q * dw
                                dW[k, t, m, q] += gy * xp[n, t, u, v]
                                dxp[n, t, u, v] += gy * w[k, t, m, q]
    dx = dxp[:, :, ph:ph + H, pw:pw + W]
    return Conv2dGrads(dx=dx[0] if unbatched else dx, dw=dW, db=None if b is None else db)
