"""2-D max and average pooling, forward and backward (NCHW or unbatched CHW).

Max pooling (CSC 249 HW2 Problem 4 / 5.3, Tsinghua DL HW1 §1.1, EN4553 A2 Q1)::

    y(c, i, j) = max_{0≤m<kH} max_{0≤q<kW} xp(c, i·s_h + m, j·s_w + q)

``xp`` is ``x`` padded with −∞ (PyTorch semantics; ``padding ≤ kernel // 2`` so no window is all padding).
Backward: ∂L/∂y(c,i,j) goes to the arg-max position(s) of its window; with overlapping windows (stride <
kernel) a position collects the gradients of every window it wins — they ADD. Tie rules, when several
positions of one window equal the maximum:

* ``"all"``   — CSC 249 HW2 P5.3: every position attaining the maximum gets the full ∂L/∂y(c,i,j)
                (the result is then not a gradient of anything; it is the handout's rule).
* ``"first"`` — PyTorch: only the first maximum in row-major window order (m, then q) gets it.
* ``"split"`` — the k tied positions each get ∂L/∂y(c,i,j) / k (a valid subgradient, symmetric).

Away from ties all three agree and equal the true derivative. The parameter is called ``tie`` and takes the
same values as the ``amax`` rule of :mod:`microgradnet.rules`; max-pool's default is ``"first"`` (PyTorch).

Average pooling: ``y = (1/D) Σ_{window} xp``, ``D = kH·kW`` (``count_include_pad=True``, PyTorch default,
zero padding) or the number of real (non-padding) positions in the window; ∂L/∂xp += g / D on each window.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._common import InputGrad, as_f64, check_choice, check_finite, check_shape, pair

__all__ = [
    "TIE_RULES", "PoolGeometry", "pool2d_geometry",
    "max_pool2d", "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward",
]

TIE_RULES = ("all", "first", "split")


class PoolGeometry(NamedTuple):
    """Normalised pooling geometry; pairs are (height, width)."""

    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    out_hw: tuple[int, int]


def pool2d_geometry(fn: str, x_shape, kernel_size, stride, padding) -> PoolGeometry:
    """Validate a (N, C, H, W) shape against the window; ``stride=None`` means ``stride = kernel_size``."""
    k = pair(fn, "kernel_size", kernel_size, 1)
    s = k if stride is None else pair(fn, "stride", stride, 1)
    p = pair(fn, "padding", padding, 0)
    if len(x_shape) != 4:
        raise ValueError(f"{fn}: x must be (N, C, H, W) or (C, H, W), got shape {tuple(x_shape)}")
    out = []
    for ax, name in ((0, "height"), (1, "width")):
        if p[ax] > k[ax] // 2:
            raise ValueError(f"{fn}: padding {p} must be at most half the kernel {k} (in {name})")
        size = x_shape[2 + ax] + 2 * p[ax]
        if k[ax] > size:
            raise ValueError(
                f"{fn}: pooling window {k} does not fit the padded input: {name} {size} "
                f"(x shape {tuple(x_shape)}, padding {p})"
            )
        out.append((size - k[ax]) // s[ax] + 1)
    return PoolGeometry(k, s, p, (out[0], out[1]))


def _prep(fn: str, x, kernel_size, stride, padding, fill: float):
    x = as_f64(fn, "x", x)
    if x.ndim == 3:
        xb, unbatched = x[None], True
    elif x.ndim == 4:
        xb, unbatched = x, False
    else:
        raise ValueError(f"{fn}: x must be (N, C, H, W) or (C, H, W), got shape {x.shape}")
    geo = pool2d_geometry(fn, xb.shape, kernel_size, stride, padding)
    (ph, pw) = geo.padding
    xp = np.pad(xb, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    return xb, xp, geo, unbatched


def _win(geo: PoolGeometry, m: int, q: int):
    (sh, sw), (Ho, Wo) = geo.stride, geo.out_hw
    return (slice(None), slice(None),
            slice(m, m + sh * (Ho - 1) + 1, sh), slice(q, q + sw * (Wo - 1) + 1, sw))


def _crop(dxp: np.ndarray, xb: np.ndarray, geo: PoolGeometry, unbatched: bool) -> np.ndarray:
    (ph, pw), (H, W) = geo.padding, xb.shape[2:]
    dx = dxp[:, :, ph:ph + H, pw:pw + W]
    return dx[0] if unbatched else dx


def _grad(fn: str, g, xb: np.ndarray, geo: PoolGeometry, unbatched: bool) -> np.ndarray:
    g = as_f64(fn, "g", g)
    gb = g[None] if unbatched else g
    check_shape(fn, "g", gb, xb.shape[:2] + geo.out_hw)
    return gb


def max_pool2d(x, *, kernel_size, stride=None, padding=0, tie="first") -> np.ndarray:
    """``y(n,c,i,j) = max_{m,q} xp(n, c, i·s_h+m, j·s_w+q)`` — CSC 249 HW2 P4, Tsinghua §1.1, EN4553 Q1.

    ``tie`` does not change the forward value; it is accepted (and checked) so that the forward and the
    backward take the same keyword parameters.
    """
    fn = "max_pool2d"
    check_choice(fn, "tie", tie, TIE_RULES)
    xb, xp, geo, unbatched = _prep(fn, x, kernel_size, stride, padding, -np.inf)
    check_finite(fn, "x", xb)
    y = np.full(xb.shape[:2] + geo.out_hw, -np.inf)
    for m in range(geo.kernel[0]):
        for q in range(geo.kernel[1]):
            np.maximum(y, xp[_win(geo, m, q)], out=y)
    return y[0] if unbatched else y


def max_pool2d_backward(x, g, *, kernel_size, stride=None, padding=0, tie="first") -> InputGrad:
    """Route ∂L/∂y(n,c,i,j) to the maximum position(s) of its window; overlapping windows accumulate.

    ``tie``: ``"all"`` (CSC 249 HW2 P5.3 — each tied maximum gets the full gradient), ``"first"``
    (PyTorch — first maximum in row-major window order) or ``"split"`` (divided evenly among the ties).
    """
    fn = "max_pool2d_backward"
    check_choice(fn, "tie", tie, TIE_RULES)
    xb, xp, geo, unbatched = _prep(fn, x, kernel_size, stride, padding, -np.inf)
    check_finite(fn, "x", xb)
    gb = _grad(fn, g, xb, geo, unbatched)
    taps = [(m, q) for m in range(geo.kernel[0]) for q in range(geo.kernel[1])]
    y = np.full(gb.shape, -np.inf)
    for m, q in taps:
        np.maximum(y, xp[_win(geo, m, q)], out=y)
    dxp = np.zeros_like(xp)
    if tie == "split":
        count = sum((xp[_win(geo, m, q)] == y).astype(np.float64) for m, q in taps)
        share = gb / count
    taken = np.zeros(gb.shape, dtype=bool)
    for m, q in taps:
        hit = xp[_win(geo, m, q)] == y
        if tie == "first":
            hit &= ~taken
            taken |= hit
            dxp[_win(geo, m, q)] += np.where(hit, gb, 0.0)
        elif tie == "all":
            dxp[_win(geo, m, q)] += np.where(hit, gb, 0.0)
        else:
            dxp[_win(geo, m, q)] += np.where(hit, share, 0.0)
    return InputGrad(dx=_crop(dxp, xb, geo, unbatched))


def _divisor(xb: np.ndarray, geo: PoolGeometry, count_include_pad: bool) -> np.ndarray | float:
    if count_include_pad:
        return float(geo.kernel[0] * geo.kernel[1])
    (ph, pw) = geo.padding
    ones = np.pad(np.ones((1, 1) + xb.shape[2:]), ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    return sum(ones[_win(geo, m, q)] for m in range(geo.kernel[0]) for q in range(geo.kernel[1]))


def avg_pool2d(x, *, kernel_size, stride=None, padding=0, count_include_pad=True) -> np.ndarray:
    """``y(n,c,i,j) = (1/D) Σ_{m,q} xp(n, c, i·s_h+m, j·s_w+q)`` with zero padding (see module docstring)."""
    fn = "avg_pool2d"
    xb, xp, geo, unbatched = _prep(fn, x, kernel_size, stride, padding, 0.0)
    y = sum(xp[_win(geo, m, q)] for m in range(geo.kernel[0]) for q in range(geo.kernel[1]))
    y = y / _divisor(xb, geo, count_include_pad)
    return y[0] if unbatched else y


def avg_pool2d_backward(x, g, *, kernel_size, stride=None, padding=0, count_include_pad=True) -> InputGrad:
    """``∂L/∂xp(u,v) = Σ_{windows ∋ (u,v)} ∂L/∂y(i,j) / D(i,j)``; overlapping windows accumulate."""
    fn = "avg_pool2d_backward"
    xb, xp, geo, unbatched = _prep(fn, x, kernel_size, stride, padding, 0.0)
    gb = _grad(fn, g, xb, geo, unbatched)
    share = gb / _divisor(xb, geo, count_include_pad)
    dxp = np.zeros_like(xp)
    for m in range(geo.kernel[0]):
        for q in range(geo.kernel[1]):
            dxp[_win(geo, m, q)] += share
    return InputGrad(dx=_crop(dxp, xb, geo, unbatched))
