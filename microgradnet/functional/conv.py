"""Convolution: ``conv2d`` as pad → windows → matmul → reshape (see its docstring)."""

from __future__ import annotations

import numbers

from ..tensor import pad as _pad0
from ..tensor import windows
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

    Composition (no backward code here; autodiff runs the rules' backward), the same graph at every input size:
    pad → ``windows`` (N, C, OH, OW, kH, kW) → permute/reshape to columns (C·kH·kW, N·OH·OW) → matmul with W
    reshaped to (F, C·kH·kW) → + b (per row) → reshape/permute to (N, F, OH, OW). The backward of ``windows``
    adds overlapping windows back (rule ``fold``), which is the seeds' "full convolution with the flipped
    kernel"; the column copy and the fold run in named kernels (``kernels.reshape``, ``kernels.fold``).

    Groups split the channels: columns (groups, C/groups·kH·kW, …) times W (groups, F/groups, C/groups·kH·kW)
    in one batched matmul.
    """
    op = "conv2d"
    x, w = _tensor(input, op), _tensor(weight, op, "weight")
    x4, unbatched = _image(x, op)
    s, d, pads, g, b = _conv_args(x, x4, w, bias, stride, padding, dilation, groups, op)
    n, f, (_, cw, kh, kw) = x4.shape[0], w.shape[0], w.shape
    ckk = cw * g * kh * kw
    xp = _pad0(x4, ((0, 0), (0, 0)) + pads)                       # zero padding (no node when there is none)
    win = windows(xp, (kh, kw), s, d)                            # (N, C, OH, OW, kH, kW)
    oh, ow = win.shape[2], win.shape[3]
    if g == 1:
        cols = win.permute(1, 4, 5, 0, 2, 3).reshape(ckk, n * oh * ow)        # im2col: (C·kH·kW, N·OH·OW)
        prod = w.reshape(f, ckk) @ cols                                      # (F, N·OH·OW)
    else:
        cols = win.permute(1, 4, 5, 0, 2, 3).reshape(g, ckk // g, n * oh * ow)
        prod = (w.reshape(g, f // g, ckk // g) @ cols).reshape(f, n * oh * ow)
    if b is not None:
        prod = prod + b.reshape(f, 1)  # the bias is added while the rows are still contiguous
    out = prod.reshape(f, n, oh, ow).permute(1, 0, 2, 3)         # (N, F, OH, OW)
    return out.reshape(out.shape[1:]) if unbatched else out


def _conv_args(x, x4, w, bias, stride, padding, dilation, groups, op):
    """conv2d's arguments checked: (stride, dilation, ((top, bottom), (left, right)) padding, groups, bias)."""
    if w.ndim != 4:
        raise ValueError(f"{op}: weight must be 4-D (out_channels, in_channels/groups, kH, kW), got shape {w.shape}")
    c, h, wd = x4.shape[1:]
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
    return s, d, ((pt, pb), (pl, pr)), g, b
