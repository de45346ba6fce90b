"""Pooling: ``max_pool2d`` and ``avg_pool2d`` as windows followed by a reduction."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor, where, windows
from ..tensor import pad as _pad0
from ._checks import TIE_RULES, _image, _pair, _tensor
from .calls import layer


def _pool_out(n: int, ek: int, s: int, p: int, ceil_mode: bool) -> int:
    """PyTorch's output size along one axis: ⌊(n + 2p − ek)/s⌋ + 1, or with ``ceil_mode`` ⌈(n + 2p − ek)/s⌉ + 1
    less the last window when it would start in the right/bottom padding ((out − 1)·s ≥ n + p)."""
    span = n + 2 * p - ek
    if not ceil_mode:
        return span // s + 1
    out = -(-span // s) + 1
    if out >= 1 and (out - 1) * s >= n + p:
        out -= 1
    return out


def _pool_geometry(x4: Tensor, kernel_size, stride, padding, dilation, op, ceil_mode=False):
    """(k, s, p, d, e): kernel, stride, padding, dilation and ``e``, the cells past the right/bottom padding that
    ceil_mode's last window covers (0 without ceil_mode), per axis."""
    if not isinstance(ceil_mode, (bool, np.bool_)):
        hint = (f"; pass tie by keyword (tie={ceil_mode!r}): ceil_mode comes after dilation, as in PyTorch"
                if isinstance(ceil_mode, str) and ceil_mode in TIE_RULES else "")
        raise TypeError(f"{op}: ceil_mode must be True or False, got {ceil_mode!r}{hint}")
    k = _pair(kernel_size, "kernel_size", op, 1)
    s = k if stride is None else _pair(stride, "stride", op, 1)
    p = _pair(padding, "padding", op, 0)
    d = _pair(dilation, "dilation", op, 1)
    ek = (d[0] * (k[0] - 1) + 1, d[1] * (k[1] - 1) + 1)
    if 2 * p[0] > ek[0] or 2 * p[1] > ek[1]:
        raise ValueError(f"{op}: padding {p} must be at most half the window {ek} (kernel {k}, dilation {d}), so "
                         "that no window lies entirely in the padding")
    h, w = x4.shape[2] + 2 * p[0], x4.shape[3] + 2 * p[1]
    out = [_pool_out(x4.shape[2 + i], ek[i], s[i], p[i], bool(ceil_mode)) for i in range(2)]
    if out[0] < 1 or out[1] < 1:
        raise ValueError(f"{op}: the {k[0]}×{k[1]} window (dilation {d}) does not fit in the padded input {h}×{w} "
                         f"(input shape {x4.shape}, padding {p}"
                         + (f", stride {s}, ceil_mode=True: output size {out[0]}×{out[1]})" if ceil_mode else ")"))
    e = tuple(max(0, (out[i] - 1) * s[i] + ek[i] - (h, w)[i]) for i in range(2))
    return k, s, p, d, e


def _window_stack(x4: Tensor, k, s, d) -> Tensor:
    """The kH·kW cells of every window stacked on a LEADING axis: (kH·kW, N, C, OH, OW), row-major window order.

    windows → permute → reshape (one copy). Reducing over a leading axis of a contiguous array is one pass of
    elementwise maxima/additions in numpy, ~15× faster than reducing the two small trailing axes of the strided
    window view; the gradient comes back through the same reshape/permute into ``fold``.
    """
    n, c = x4.shape[:2]
    win = windows(x4, k, s, d)
    oh, ow = win.shape[2], win.shape[3]
    return win.permute(4, 5, 0, 1, 2, 3).reshape(k[0] * k[1], n, c, oh, ow)


@layer
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False, *,
               tie="first"):
    """y[n, c, i, j] = max over the window  xp[n, c, i·s_h + m·d_h, j·s_w + q·d_w],  0 ≤ m < kH, 0 ≤ q < kW.

    CSC 249 HW2 P4, Tsinghua HW1 §1.1, EN4553 A2 Q1. ``stride`` defaults to ``kernel_size``. Padding has −∞
    semantics: padded cells never win (they hold the lowest finite float, so ``detect_anomaly`` stays quiet;
    ``padding`` may be at most half the window, as in PyTorch). Composition: (pad → where) → windows → ``amax``
    over the last two axes. The gradient of an output goes to its window's maximum; with overlapping windows
    (stride < kernel) an input collects the gradients of every window it wins — they add.

    Output size (PyTorch's): OH = ⌊(H + 2p − d(kH − 1) − 1)/s⌋ + 1; with ``ceil_mode=True`` ⌈…⌉ + 1 instead, less
    the last window if it would start in the bottom padding ((OH − 1)·s ≥ H + p), likewise for OW. The cells such a
    last window covers beyond the padded input are padded with −∞ too (they never win).

    ``tie`` decides where the gradient goes when several cells of one window equal the maximum:

    - ``'first'`` (default, as PyTorch): the first maximum in row-major window order gets all of it;
    - ``'all'``: every tied cell gets the full gradient — the CSC 249 HW2 P5 rule ("assign the gradient to
      multiple activations which achieve the same maximum value"); not the derivative of anything;
    - ``'split'``: the k tied cells get 1/k each (a symmetric subgradient).

    ``return_indices=True`` also returns, as PyTorch, the int64 position h·W + w (in the unpadded input) of each
    window's first maximum. Integer inputs pool to integers (padding holds the dtype's lowest value).
    """
    op = "max_pool2d"
    if tie not in TIE_RULES:
        raise ValueError(f"{op}: tie must be 'first', 'split' or 'all', got {tie!r}")
    x = input if isinstance(input, Tensor) and input.dtype.kind in "iu" else _tensor(input, op)
    x4, unbatched = _image(x, op)
    k, s, p, d, e = _pool_geometry(x4, kernel_size, stride, padding, dilation, op, ceil_mode)
    h, w = x4.shape[2:]
    if p[0] or p[1] or e[0] or e[1]:
        inside = np.zeros((h + 2 * p[0] + e[0], w + 2 * p[1] + e[1]), dtype=bool)
        inside[p[0]:p[0] + h, p[1]:p[1] + w] = True
        info = np.finfo if x4.dtype.kind == "f" else np.iinfo
        lowest = np.asarray(info(x4.dtype).min, dtype=x4.dtype)
        x4 = where(inside, _pad0(x4, ((0, 0), (0, 0), (p[0], p[0] + e[0]), (p[1], p[1] + e[1]))), lowest)
    stack = _window_stack(x4, k, s, d)
    out = stack.amax(0, tie=tie)
    if unbatched:
        out = out.reshape(out.shape[1:])
    if not return_indices:
        return out
    cell = np.argmax(stack.data, axis=0)  # the first maximum, row-major in the window
    oh, ow = cell.shape[-2:]
    rows = np.arange(oh)[:, None] * s[0] + (cell // k[1]) * d[0] - p[0]
    cols = np.arange(ow)[None, :] * s[1] + (cell % k[1]) * d[1] - p[1]
    idx = (rows * w + cols).astype(np.int64)
    return out, Tensor(idx.reshape(out.shape))


def _one_row(x, op):
    """(N, C, L) or (C, L) as a one-row image (N, C, 1, L) or (C, 1, L)."""
    x = _tensor(x, op)
    if x.ndim not in (2, 3):
        raise ValueError(f"{op}: expected a 3-D input (N, C, L) or a 2-D input (C, L), got shape {x.shape}")
    return x.unsqueeze(-2)


def _row(v):
    return (1, v if isinstance(v, int) else int(v[0])) if v is not None else None


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """max_pool2d over a one-row image: y[n, c, i] = max over the window x[n, c, i·s + m·d]."""
    out = max_pool2d(_one_row(input, "max_pool1d"), _row(kernel_size), _row(stride), (0, _row(padding)[1]),
                     _row(dilation), ceil_mode, return_indices)
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """avg_pool2d over a one-row image."""
    return avg_pool2d(_one_row(input, "avg_pool1d"), _row(kernel_size), _row(stride), (0, _row(padding)[1]),
                      ceil_mode, count_include_pad).squeeze(-2)


def _valid_counts(n: int, k: int, s: int, p: int, out: int, include_pad: bool = False) -> np.ndarray:
    """How many of the k cells of each of the ``out`` windows along one axis count in the divisor: the real input
    cells, or with ``include_pad`` the cells inside the padded input, min(start + k, n + p) − start (k except for
    a ceil_mode window that runs past the right/bottom padding, as PyTorch)."""
    starts = np.arange(out) * s - p
    if include_pad:
        return np.minimum(starts + k, n + p) - starts
    return np.minimum(starts + k, n) - np.maximum(starts, 0)


@layer
def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """y[n, c, i, j] = (1/D) Σ over the window xp[n, c, i·s_h + m, j·s_w + q] (zero padding).

    D = kH·kW (``count_include_pad=True``, PyTorch's default), the number of real cells in the window
    (``count_include_pad=False``), or ``divisor_override``. ``stride`` defaults to ``kernel_size``; ``padding`` at
    most half the kernel. Composition: pad → windows → sum over the last two axes → × 1/D; the gradient spreads
    g/D over each window, overlapping windows adding up.

    ``ceil_mode=True``: the output size rounds up as in :func:`max_pool2d` (OH = ⌈(H + 2p − kH)/s⌉ + 1, less a last
    window starting in the bottom padding). The cells a last window covers beyond the padded input are zeros that
    are never counted: with ``count_include_pad=True`` D = (min(i·s − p + kH, H + p) − (i·s − p)) · (the same
    along the width), i.e. the window cells inside the padded input (PyTorch's rule); with
    ``count_include_pad=False`` the real cells; ``divisor_override`` still wins.
    """
    op = "avg_pool2d"
    x = _tensor(input, op)
    x4, unbatched = _image(x, op)
    k, s, p, _, e = _pool_geometry(x4, kernel_size, stride, padding, 1, op, ceil_mode)
    h, w = x4.shape[2:]
    xp = (_pad0(x4, ((0, 0), (0, 0), (p[0], p[0] + e[0]), (p[1], p[1] + e[1])))
          if p[0] or p[1] or e[0] or e[1] else x4)
    total = _window_stack(xp, k, s, (1, 1)).sum(0)
    if divisor_override is not None:
        if not isinstance(divisor_override, (int, np.integer)) or divisor_override <= 0:
            raise ValueError(f"{op}: divisor_override must be a positive int, got {divisor_override!r}")
        out = total * (1.0 / int(divisor_override))
    elif not (e[0] or e[1]) and (count_include_pad or not (p[0] or p[1])):
        out = total * (1.0 / (k[0] * k[1]))
    else:
        oh, ow = total.shape[2:]
        inc = bool(count_include_pad)
        counts = np.outer(_valid_counts(h, k[0], s[0], p[0], oh, inc), _valid_counts(w, k[1], s[1], p[1], ow, inc))
        out = total * (1.0 / counts).astype(x4.dtype)
    return out.reshape(out.shape[1:]) if unbatched else out
