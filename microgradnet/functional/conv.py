"""Convolution: ``conv2d`` as pad → windows → matmul → reshape (see its docstring)."""

from __future__ import annotations

import numbers

from ..tensor import _SCALAR_HOOK, Tensor, windows, windows_flat
from ..tensor import pad as _pad0
from ._checks import _image, _pair, _tensor
from .calls import layer


def _conv_padding(padding, k, d, s, op):
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0), (0, 0))
        if padding == "same":
            if s != (1, 1):
                raise ValueError(f"{op}: padding='same' needs stride 1, got stride {s}")
            tot = [d[i] * (k[i] - 1) for i in range(2)]
            return tuple((t // 2, t - t // 2) for t in tot)
        raise ValueError(f"{op}: padding must be an int, a pair, 'valid' or 'same', got {padding!r}")
    p = _pair(padding, "padding", op, 0)
    return ((p[0], p[0]), (p[1], p[1]))


@layer
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation (PyTorch's "convolution"), im2col through a window rule and one matmul::

        y[n, f, i, j] = b[f] + Σ_c Σ_m Σ_q xp[n, c, i·s_h + m·d_h, j·s_w + q·d_w] · W[f, c, m, q]

    with ``xp`` the input zero-padded by ``padding`` (an int, a pair, ``'valid'`` or ``'same'``), output size
    OH = ⌊(H + 2p − d(kH − 1) − 1)/s⌋ + 1, and c running over the C/groups input channels of f's group (output
    channel f belongs to group f // (F/groups); W has shape (F, C/groups, kH, kW)). This is CSC 249 HW2 P3's
    y(k, i, j) (with padding and dilation) and Tsinghua HW1's y(j) = bias(j) + Σ_k weight(j, k) ⋆ z(k); CS 4670's
    true convolution is this with the kernel flipped.

    Composition (no backward code here; autodiff runs the rules' backward):

    - general: pad → ``windows`` (N, C, OH, OW, kH, kW) → permute/reshape to columns (C·kH·kW, N·OH·OW) →
      matmul with W reshaped to (F, C·kH·kW) → + b (per row) → reshape/permute to (N, F, OH, OW). Backward adds
      overlapping windows (``fold``), which is the seeds' "full convolution with the flipped kernel".
    - stride 1 on numeric tensors with at least ``FLAT_MIN_CELLS`` column cells (a batch, not a toy input), the
      same sum gathered faster: the batch is laid out channel-major as one long run per channel, each image row
      stored with P = max(left, right) zeros in front of it (a row's right padding is the next row's left
      padding) and each image with Q = max(top, bottom) zero rows above it (an image's bottom padding is the next
      image's top), plus zero images at the end that the last window reaches into. ``windows_flat`` then reads
      each of the kH·kW kernel shifts as one contiguous run of T = N·(H + Q)·(W + P) cells, so the columns are
      copied, and their backward (``fold_flat``) added, a whole channel at a time; the matmul gives one "wide"
      output per stored cell, of which the (N, OH, OW) real ones are kept by a reshape + slice (the rest are
      wrap-around cells). Scalar-level runs (one ``Value`` per operation) use the general form, so their graphs
      have no wrap-around cells.

    Groups split the channels: columns (groups, C/groups·kH·kW, …) times W (groups, F/groups, C/groups·kH·kW)
    in one batched matmul.
    """
    op = "conv2d"
    x, w = _tensor(input, op), _tensor(weight, op, "weight")
    if w.ndim != 4:
        raise ValueError(f"{op}: weight must be 4-D (out_channels, in_channels/groups, kH, kW), got shape {w.shape}")
    x4, unbatched = _image(x, op)
    n, c, h, wd = x4.shape
    f, cw, kh, kw = w.shape
    if isinstance(groups, bool) or not isinstance(groups, numbers.Integral) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    g = int(groups)
    if c % g or f % g:
        raise ValueError(f"{op}: groups={g} must divide both the input channels ({c}, input shape {x.shape}) and "
                         f"the output channels ({f}, weight shape {w.shape})")
    if c != cw * g:
        raise ValueError(f"{op}: input of shape {x.shape} has {c} channels but weight of shape {w.shape} expects "
                         f"{cw * g} (weight is (out_channels, in_channels/groups, kH, kW), groups={g})")
    s = _pair(stride, "stride", op, 1)
    d = _pair(dilation, "dilation", op, 1)
    (pt, pb), (pl, pr) = _conv_padding(padding, (kh, kw), d, s, op)
    hp, wp = h + pt + pb, wd + pl + pr
    ekh, ekw = d[0] * (kh - 1) + 1, d[1] * (kw - 1) + 1
    if ekh > hp or ekw > wp:
        raise ValueError(f"{op}: the {kh}×{kw} kernel (dilation {d}, spanning {ekh}×{ekw}) is larger than the "
                         f"padded input {hp}×{wp} (input shape {x.shape}, padding {((pt, pb), (pl, pr))})")
    b = None if bias is None else _tensor(bias, op, "bias")
    if b is not None and b.shape != (f,):
        raise ValueError(f"{op}: bias must have shape ({f},) (out_channels), got {b.shape}")
    ckk = c * kh * kw
    w2 = w.reshape(f, ckk) if g == 1 else w.reshape(g, f // g, ckk // g)
    cshape = (ckk,) if g == 1 else (g, ckk // g)
    # wide rows, one long run for the whole batch: channel-major, each image row stored once with P = max(left,
    # right) zeros in front of it (a row's right padding is the next row's left padding) and each image stored
    # once with Q = max(top, bottom) zero rows above it (an image's bottom padding is the next image's top)
    big, tall = max(pl, pr), max(pt, pb)
    wq, hq = wd + big, h + tall
    if (s == (1, 1) and not _scalar_level(x4, w) and min(pl, pr) <= ekw - 1 and ekw - 1 + big - pl <= wq
            and min(pt, pb) <= ekh - 1 and ckk * n * hq * wq >= FLAT_MIN_CELLS):
        oh, ow = hp - ekh + 1, wp - ekw + 1
        t = n * hq * wq  # one output per stored cell: (N, hq, wq) "wide" outputs, of which (N, OH, OW) are real
        start = (tall - pt) * wq + big - pl  # where output (0, 0)'s window starts
        reach = start + (ekh - 1) * wq + ekw - 1  # the last run ends this far past N·hq·wq: zero images cover it
        xp = _pad0(x4.permute(1, 0, 2, 3), ((0, 0), (0, -(-reach // (hq * wq))), (tall, 0), (big, 0)))
        xf = xp.reshape(c, xp.data.size // c)
        strips = windows_flat(xf[:, start:] if start else xf, (kh, kw), (d[0] * wq, d[1]), t)  # (C, kH, kW, T)
        cols = strips.reshape(*cshape, t)
        # slice before permute: the slice's backward then writes ∂L/∂y straight into the (F, N, hq, wq) layout
        # the matmul's backward reads, with no copy in between
        out = _add_bias(w2 @ cols, b, f).reshape(f, n, hq, wq)[:, :, :oh, :ow].permute(1, 0, 2, 3)
    else:
        xp = _pad0(x4, ((0, 0), (0, 0), (pt, pb), (pl, pr))) if pt or pb or pl or pr else x4
        win = windows(xp, (kh, kw), s, d)
        oh, ow = win.shape[2], win.shape[3]
        cols = win.permute(1, 4, 5, 0, 2, 3).reshape(*cshape, n * oh * ow)
        out = _add_bias(w2 @ cols, b, f).reshape(f, n, oh, ow).permute(1, 0, 2, 3)
    return out.reshape(out.shape[1:]) if unbatched else out


def _add_bias(out: Tensor, b: Tensor | None, f: int) -> Tensor:
    """(F, …) matmul result → (F, M) + b[:, None]: the bias is added while the rows are still contiguous."""
    out = out.reshape(f, out.data.size // f)
    return out if b is None else out + b.reshape(f, 1)


FLAT_MIN_CELLS = 1 << 16
"""conv2d gathers with ``windows_flat`` from this many column cells (C·kH·kW · N·(H + Q)·(W + P)) up: below it
speed does not matter and the windows path draws the textbook im2col graph (windows → columns → matmul)."""


def _scalar_level(*ts: Tensor) -> bool:
    """True while a scalar-level run is recording (one ``Value`` per scalar operation)."""
    return _SCALAR_HOOK["ctx"] is not None or any(t._values is not None for t in ts)
