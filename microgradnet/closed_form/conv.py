"""2-D convolution as deep-learning libraries define it: cross-correlation, NCHW, vectorised.

Forward (PyTorch ``conv2d`` semantics, zero padding ``p``, stride ``s``, dilation ``d``, per axis)::

    y[n, k, i, j] = b[k] + Σ_t Σ_m Σ_q  xp[n, t, i·s + m·d, j·s + q·d] · w[k, t, m, q]

where ``xp`` is ``x`` zero-padded by ``p`` on each side. With ``d = 1, p = 0`` this is exactly the formula of
CSC 249 HW2 Problem 3 (``y(k,i,j) = Σ_t Σ_m Σ_n x(t, i·s+m, j·s+n) W_k(t,m,n) + b_k``) and the layer of
Tsinghua DL HW1 §1.1 (``y(j) = bias(j) + Σ_k weight(j,k) ⋆ z(k)``, where "⋆" is this cross-correlation, as in
the course's ``module.py``).

Shapes: ``x`` (N, C, H, W) or unbatched (C, H, W); ``w`` (K, C, kH, kW) — kernels may be non-square;
``b`` (K,) or ``None``; ``y`` (N, K, Ho, Wo) with ``Ho = (H + 2p_h − d_h(kH−1) − 1) // s_h + 1`` (same for W).

Backward (derived from the forward by the chain rule; every output touches kH·kW inputs)::

    ∂L/∂b[k]          = Σ_{n,i,j} g[n,k,i,j]
    ∂L/∂w[k,t,m,q]    = Σ_{n,i,j} g[n,k,i,j] · xp[n, t, i·s+m·d, j·s+q·d]
    ∂L/∂xp[n,t,u,v]   = Σ_{k,i,j,m,q : u = i·s+m·d, v = j·s+q·d} g[n,k,i,j] · w[k,t,m,q]

and ∂L/∂x is ∂L/∂xp with the padding cropped off (input rows that no window reaches get 0).
The nested-loop version is :func:`conv_loops.conv2d_backward_loops`; the rotated-kernel form is
:func:`conv_flip.conv2d_backward_via_flip`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._common import as_f64, check_shape, pair

__all__ = [
    "Conv2dGrads", "ConvGeometry", "conv2d_geometry", "conv2d", "conv2d_backward",
    "conv2d_chw", "conv2d_chw_backward",
]


class Conv2dGrads(NamedTuple):
    """(∂L/∂x, ∂L/∂w, ∂L/∂b); ``db`` is ``None`` when the forward had no bias."""

    dx: np.ndarray
    dw: np.ndarray
    db: np.ndarray | None


class ConvGeometry(NamedTuple):
    """Normalised conv/pool geometry (all pairs are (height, width))."""

    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    out_hw: tuple[int, int]


def conv2d_geometry(fn: str, x_shape, w_shape, stride, padding, dilation) -> ConvGeometry:
    """Check shapes of a 4-D input (N, C, H, W) and 4-D kernel (K, C, kH, kW); return the geometry.

    Raises ``ValueError`` naming ``fn`` on a channel mismatch or a kernel larger than the padded input.
    """
    s = pair(fn, "stride", stride, 1)
    p = pair(fn, "padding", padding, 0)
    d = pair(fn, "dilation", dilation, 1)
    if len(w_shape) != 4:
        raise ValueError(f"{fn}: w must be 4-D (K, C, kH, kW), got shape {tuple(w_shape)}")
    if len(x_shape) != 4:
        raise ValueError(f"{fn}: x must be (N, C, H, W) or (C, H, W), got shape {tuple(x_shape)}")
    if x_shape[1] != w_shape[1]:
        raise ValueError(
            f"{fn}: channel mismatch, x has C = {x_shape[1]} (shape {tuple(x_shape)}) but w expects "
            f"C = {w_shape[1]} (shape {tuple(w_shape)})"
        )
    if 0 in tuple(w_shape) or 0 in tuple(x_shape):
        raise ValueError(f"{fn}: empty x {tuple(x_shape)} or w {tuple(w_shape)}; all dimensions must be >= 1")
    out = []
    for ax, name in ((0, "height"), (1, "width")):
        size, k = x_shape[2 + ax] + 2 * p[ax], w_shape[2 + ax]
        eff = d[ax] * (k - 1) + 1
        if eff > size:
            raise ValueError(
                f"{fn}: kernel {name} {k} (dilated extent {eff}) is larger than the padded input {name} "
                f"{size} (x shape {tuple(x_shape)}, padding {p}, dilation {d})"
            )
        out.append((size - eff) // s[ax] + 1)
    return ConvGeometry(s, p, d, (out[0], out[1]))


def _batched(fn: str, x: np.ndarray) -> tuple[np.ndarray, bool]:
    if x.ndim == 3:
        return x[None], True
    if x.ndim == 4:
        return x, False
    raise ValueError(f"{fn}: x must be (N, C, H, W) or (C, H, W), got shape {x.shape}")


def _bias(fn: str, b, K: int) -> np.ndarray | None:
    if b is None:
        return None
    b = as_f64(fn, "b", b)
    if b.shape != (K,):
        raise ValueError(f"{fn}: b has shape {b.shape}, expected ({K},) (one bias per output channel)")
    return b


def _backward_inputs(fn: str, x, w, b, g, stride, padding, dilation):
    """What every conv backward starts from, checked: (xb, w, b, gb, geo, unbatched), x and g made float64 and
    batched, the geometry of the forward, and g checked against y's shape."""
    x, w, g = as_f64(fn, "x", x), as_f64(fn, "w", w), as_f64(fn, "g", g)
    xb, unbatched = _batched(fn, x)
    geo = conv2d_geometry(fn, xb.shape, w.shape, stride, padding, dilation)
    b = _bias(fn, b, w.shape[0])
    gb = g[None] if unbatched else g
    check_shape(fn, "g", gb, (xb.shape[0], w.shape[0]) + geo.out_hw)
    return xb, w, b, gb, geo, unbatched


def _window(geo: ConvGeometry, m: int, q: int) -> tuple[slice, slice, slice, slice]:
    """Index of the padded-input samples met by kernel tap (m, q) for every output position."""
    (sh, sw), (dh, dw), (Ho, Wo) = geo.stride, geo.dilation, geo.out_hw
    return (slice(None), slice(None),
            slice(m * dh, m * dh + sh * (Ho - 1) + 1, sh), slice(q * dw, q * dw + sw * (Wo - 1) + 1, sw))


def conv2d(x, w, b=None, *, stride=1, padding=0, dilation=1) -> np.ndarray:
    """Forward cross-correlation ``y = b + Σ_t xp[t] ⋆ w[:, t]`` (module docstring); vectorised over taps."""
    fn = "conv2d"
    x, w = as_f64(fn, "x", x), as_f64(fn, "w", w)
    xb, unbatched = _batched(fn, x)
    geo = conv2d_geometry(fn, xb.shape, w.shape, stride, padding, dilation)
    b = _bias(fn, b, w.shape[0])
    (ph, pw) = geo.padding
    xp = np.pad(xb, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    y = np.zeros((xb.shape[0], w.shape[0]) + geo.out_hw)
    for m in range(w.shape[2]):
        for q in range(w.shape[3]):
            y += np.einsum("ncij,kc->nkij", xp[_window(geo, m, q)], w[:, :, m, q])
    if b is not None:
        y += b[None, :, None, None]
    return y[0] if unbatched else y


def conv2d_backward(x, w, b, g, *, stride=1, padding=0, dilation=1) -> Conv2dGrads:
    """Vectorised backward of :func:`conv2d` (one scatter/gather per kernel tap, like im2col/col2im).

    For every tap (m, q): ``dxp[window(m,q)] += Σ_k g[:, k] w[k, :, m, q]`` (overlapping windows add up) and
    ``dw[:, :, m, q] = Σ_{n,i,j} g ⊗ xp[window(m,q)]``; ``db = Σ_{n,i,j} g``. ``g`` has ``y``'s shape.
    """
    fn = "conv2d_backward"
    xb, w, b, gb, geo, unbatched = _backward_inputs(fn, x, w, b, g, stride, padding, dilation)
    (ph, pw) = geo.padding
    H, W = xb.shape[2:]
    xp = np.pad(xb, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for m in range(w.shape[2]):
        for q in range(w.shape[3]):
            win = _window(geo, m, q)
            dxp[win] += np.einsum("nkij,kc->ncij", gb, w[:, :, m, q])
            dw[:, :, m, q] = np.einsum("nkij,ncij->kc", gb, xp[win])
    dx = dxp[:, :, ph:ph + H, pw:pw + W]
    db = None if b is None else gb.sum(axis=(0, 2, 3))
    return Conv2dGrads(dx=dx[0] if unbatched else dx, dw=dw, db=db)


def _chw_check(fn: str, z) -> np.ndarray:
    z = as_f64(fn, "z", z)
    if z.ndim != 3:
        raise ValueError(f"{fn}: z must be (C_in, H_in, W_in), got shape {z.shape}")
    return z


def conv2d_chw(z, weight, bias, *, stride=1, padding=0) -> np.ndarray:
    """One unbatched (C, H, W) image through a convolutional layer (Tsinghua DL HW1 §1.1):
    ``y(j) = bias(j) + Σ_{k<C_in} weight(j,k) ⋆ z(k)``.

    ``z`` (C_in, H_in, W_in), ``weight`` (C_out, C_in, kH, kW), ``bias`` (C_out,);
    ``y`` (C_out, H_out, W_out).
    "⋆" is cross-correlation (the course's ``module.py`` forward), so this is :func:`conv2d` unbatched.
    """
    return conv2d(_chw_check("conv2d_chw", z), weight, bias, stride=stride, padding=padding)


def conv2d_chw_backward(z, weight, bias, g, *, stride=1, padding=0) -> Conv2dGrads:
    """Tsinghua DL HW1 §1.1: dL/dz, dL/dweight, dL/dbias from dL/dy; same formulas as :func:`conv2d_backward`.

    Returned as ``Conv2dGrads(dx=dL/dz, dw=dL/dweight, db=dL/dbias)``.
    """
    fn = "conv2d_chw_backward"
    return conv2d_backward(_chw_check(fn, z), weight, bias, g, stride=stride, padding=padding)


#: Course-code names → descriptive names. Each old name below is the very same object as its new name, so
#: lecture code, notebooks and graders' scripts written against the old names keep running.
COURSE_NAMES = {
    "conv2d_tsinghua": "conv2d_chw",
    "conv2d_tsinghua_backward": "conv2d_chw_backward",
}
conv2d_tsinghua = conv2d_chw
conv2d_tsinghua_backward = conv2d_chw_backward
