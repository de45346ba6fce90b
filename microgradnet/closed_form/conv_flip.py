""""The backward pass of a convolution is a convolution with a flipped kernel" — in two settings.

1. CS 4670 PA5 written part A (single channel, TRUE convolution, zero padding)::

       y[e, f] = Σ_a Σ_b x[a, b] · w[e − a, f − b]                                  (handout eq. 2)
       ∂L/∂x = ∂L/∂y ⋆ w̃,   w̃[c, d] = w[−c, −d]                                     (A.1)
       ∂L/∂w = ∂L/∂y ⋆ x̃,   x̃[a, b] = x[−a, −b]                                     (A.2)

   "⋆" is the same true convolution (eq. 2) in every line. Because ``w̃`` and ``x̃`` live on NEGATED index
   sets, the arrays carry an index origin: an array ``A`` with origin ``lo`` stores ``a[i, j]`` at
   ``A[i − lo[0], j − lo[1]]`` and is zero outside. Conventions used here (the handout's block diagram is lost):
   ``x`` and ``y`` are indexed from (0, 0) and have the same size ("zero padding"); the kernel is centred,
   ``w[c, d]`` stored at ``W[c + kH//2, d + kW//2]`` (override with ``w_origin``). Flipping an array with
   origin ``lo`` and shape ``(h, w)`` gives ``A[::-1, ::-1]`` with origin ``(−(lo₀+h−1), −(lo₁+w−1))``.
   ``∂L/∂x`` is evaluated on x's index set and ``∂L/∂w`` on w's, so both identities hold exactly.

2. Multi-channel cross-correlation with stride/padding/dilation (the layer of :mod:`.conv`)::

       ∂L/∂x = crop( full cross-correlation of dilate_s(∂L/∂y) with rot180(w), channels swapped )
       ∂L/∂w = cross-correlation of pad(x) with dilate_s(∂L/∂y)  (stride ↔ dilation exchange)

   where ``dilate_s`` inserts ``s − 1`` zeros between the rows/columns of ∂L/∂y.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._common import as_f64, check_shape, pair
from .conv import Conv2dGrads, _backward_inputs, conv2d

__all__ = [
    "TrueConvGrads", "true_conv_indexed", "flip2d",
    "true_conv_same", "true_conv_same_backward", "true_conv_same_backward_direct",
    "conv2d_backward_via_flip",
]


class TrueConvGrads(NamedTuple):
    """(∂L/∂x, ∂L/∂w) for the single-channel true convolution; shapes of x and w."""

    dx: np.ndarray
    dw: np.ndarray


def true_conv_indexed(x, x_lo, w, w_lo, out_lo, out_shape) -> np.ndarray:
    """``y[e, f] = Σ_{a,b} x[a, b] · w[e − a, f − b]`` on the index box ``out_lo + [0, out_shape)``.

    ``x`` and ``w`` are 2-D arrays with index origins ``x_lo`` / ``w_lo`` (see module docstring), zero
    outside their boxes. Loops over the entries of ``w`` and adds shifted slices of ``x``.
    """
    fn = "true_conv_indexed"
    x, w = as_f64(fn, "x", x), as_f64(fn, "w", w)
    if x.ndim != 2 or w.ndim != 2:
        raise ValueError(f"{fn}: x and w must be 2-D, got shapes {x.shape} and {w.shape}")
    y = np.zeros(tuple(int(s) for s in out_shape))
    (H, W), (eh, ew) = x.shape, (int(out_lo[0]), int(out_lo[1]))
    for r in range(w.shape[0]):
        c = w_lo[0] + r
        e0, e1 = max(eh, x_lo[0] + c), min(eh + y.shape[0], x_lo[0] + H + c)
        if e0 >= e1:
            continue
        for s in range(w.shape[1]):
            d = w_lo[1] + s
            f0, f1 = max(ew, x_lo[1] + d), min(ew + y.shape[1], x_lo[1] + W + d)
            if f0 >= f1:
                continue
            y[e0 - eh:e1 - eh, f0 - ew:f1 - ew] += w[r, s] * x[
                e0 - c - x_lo[0]:e1 - c - x_lo[0], f0 - d - x_lo[1]:f1 - d - x_lo[1]
            ]
    return y


def flip2d(a: np.ndarray, lo: tuple[int, int]) -> tuple[np.ndarray, tuple[int, int]]:
    """``ã[i, j] = a[−i, −j]``: the flipped array and its new index origin."""
    return a[::-1, ::-1], (-(lo[0] + a.shape[0] - 1), -(lo[1] + a.shape[1] - 1))


def _true_conv_same_args(fn: str, x, w, w_origin):
    x, w = as_f64(fn, "x", x), as_f64(fn, "w", w)
    if x.ndim != 2 or w.ndim != 2 or 0 in x.shape or 0 in w.shape:
        raise ValueError(f"{fn}: x and w must be non-empty 2-D arrays, got shapes {x.shape} and {w.shape}")
    if w_origin is None:
        w_lo = (-(w.shape[0] // 2), -(w.shape[1] // 2))
    else:
        oh, ow = pair(fn, "w_origin", w_origin, 0)
        w_lo = (-oh, -ow)
    return x, w, w_lo


def true_conv_same(x, w, *, w_origin=None) -> np.ndarray:
    """True convolution (the kernel flipped), output the same size as x (CS 4670 PA5 eq. (2)):
    ``y[e, f] = Σ_a Σ_b x[a, b] · w[e − a, f − b]``, zero padding.

    ``x`` (H, W) grayscale image indexed from 0; ``w`` (kH, kW) with ``w[c, d]`` stored at
    ``w_arr[c + oh, d + ow]``, ``(oh, ow) = w_origin`` (default ``(kH//2, kW//2)``, a centred kernel).
    """
    x, w, w_lo = _true_conv_same_args("true_conv_same", x, w, w_origin)
    return true_conv_indexed(x, (0, 0), w, w_lo, (0, 0), x.shape)


def true_conv_same_backward(x, w, g, *, w_origin=None) -> TrueConvGrads:
    """CS 4670 PA5 A.1 and A.2 through flipped kernels, the way the handout states them::

        ∂L/∂x = ∂L/∂y ⋆ w̃      with w̃[c, d] = w[−c, −d]   (evaluated on x's index set)
        ∂L/∂w = ∂L/∂y ⋆ x̃      with x̃[a, b] = x[−a, −b]   (evaluated on w's index set)

    Derivation (A.1): ∂L/∂x[a,b] = Σ_{e,f} ∂L/∂y[e,f] · w[e−a, f−b] = Σ_{e,f} ∂L/∂y[e,f] · w̃[a−e, b−f].
    (A.2): ∂L/∂w[c,d] = Σ_{e,f} ∂L/∂y[e,f] · x[e−c, f−d] = Σ_{e,f} ∂L/∂y[e,f] · x̃[c−e, d−f].
    """
    fn = "true_conv_same_backward"
    x, w, w_lo = _true_conv_same_args(fn, x, w, w_origin)
    g = as_f64(fn, "g", g)
    check_shape(fn, "g", g, x.shape)
    w_t, w_t_lo = flip2d(w, w_lo)
    x_t, x_t_lo = flip2d(x, (0, 0))
    dx = true_conv_indexed(g, (0, 0), w_t, w_t_lo, (0, 0), x.shape)
    dw = true_conv_indexed(g, (0, 0), x_t, x_t_lo, w_lo, w.shape)
    return TrueConvGrads(dx=dx, dw=dw)


def true_conv_same_backward_direct(x, w, g, *, w_origin=None) -> TrueConvGrads:
    """CS 4670 PA5 eq. (3) summed literally: ``∂L/∂x[a,b] = Σ_{e,f} ∂L/∂y[e,f] · ∂y[e,f]/∂x[a,b]`` with
    ``∂y[e,f]/∂x[a,b] = w[e−a, f−b]`` and ``∂y[e,f]/∂w[c,d] = x[e−c, f−d]`` (four nested loops)."""
    fn = "true_conv_same_backward_direct"
    x, w, (lh, lw) = _true_conv_same_args(fn, x, w, w_origin)
    g = as_f64(fn, "g", g)
    check_shape(fn, "g", g, x.shape)
    (H, W), (kh, kw) = x.shape, w.shape
    dx, dw = np.zeros_like(x), np.zeros_like(w)
    for e in range(H):
        for f in range(W):
            for a in range(H):
                for b in range(W):
                    c, d = e - a, f - b
                    if lh <= c < lh + kh and lw <= d < lw + kw:
                        dx[a, b] += g[e, f] * w[c - lh, d - lw]
                        dw[c - lh, d - lw] += g[e, f] * x[a, b]
    return TrueConvGrads(dx=dx, dw=dw)


def conv2d_backward_via_flip(x, w, b, g, *, stride=1, padding=0, dilation=1) -> Conv2dGrads:
    """Backward of the cross-correlation layer :func:`.conv.conv2d` written as correlations (NCHW).

    ``∂L/∂x``: insert ``s − 1`` zeros between rows/columns of ``g`` (dilate by the stride), pad it by the
    dilated kernel extent minus one, cross-correlate (stride 1, the forward dilation) with the kernel rotated
    by 180° and with in/out channels swapped, ``w_rot[t, k] = w[k, t, ::-1, ::-1]`` — i.e. a FULL correlation
    with the rotated kernel (= a full true convolution with ``w``). Rows the forward windows never reach get
    0; then the padding is cropped.

    ``∂L/∂w[k, t] = Σ_n xp[n, t] ⋆ dilate_s(g[n, k])``: a cross-correlation whose stride is the forward
    dilation and whose dilation is the forward stride, cropped to (kH, kW). ``∂L/∂b = Σ_{n,i,j} g``.
    """
    fn = "conv2d_backward_via_flip"
    xb, w, b, gb, geo, unbatched = _backward_inputs(fn, x, w, b, g, stride, padding, dilation)
    (sh, sw), (ph, pw), (dh, dw_), (Ho, Wo) = geo
    N, C, H, W = xb.shape
    K, _, kh, kw = w.shape
    eh, ew = dh * (kh - 1) + 1, dw_ * (kw - 1) + 1
    g_dil = np.zeros((N, K, (Ho - 1) * sh + 1, (Wo - 1) * sw + 1))
    g_dil[:, :, ::sh, ::sw] = gb
    w_rot = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
    full = conv2d(g_dil, w_rot, stride=1, padding=(eh - 1, ew - 1), dilation=(dh, dw_))
    dxp = np.zeros((N, C, H + 2 * ph, W + 2 * pw))
    dxp[:, :, :full.shape[2], :full.shape[3]] = full
    dx = dxp[:, :, ph:ph + H, pw:pw + W]
    xp = np.pad(xb, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dw = conv2d(xp.transpose(1, 0, 2, 3), gb.transpose(1, 0, 2, 3), stride=(dh, dw_), dilation=(sh, sw))
    dw = dw[:, :, :kh, :kw].transpose(1, 0, 2, 3)
    return Conv2dGrads(dx=dx[0] if unbatched else dx, dw=np.ascontiguousarray(dw),
                       db=None if b is None else gb.sum(axis=(0, 2, 3)))


#: Course-code names → descriptive names. Each old name below is the very same object as its new name, so
#: lecture code, notebooks and graders' scripts written against the old names keep running.
COURSE_NAMES = {
    "conv_cs4670": "true_conv_same",
    "conv_cs4670_backward": "true_conv_same_backward",
    "conv_cs4670_backward_direct": "true_conv_same_backward_direct",
}
conv_cs4670 = true_conv_same
conv_cs4670_backward = true_conv_same_backward
conv_cs4670_backward_direct = true_conv_same_backward_direct
