"""Convolution: ``conv2d`` as pad → windows → matmul → reshape (see its docstring); ``conv1d`` and
``conv_transpose2d`` as conv2d of a reshaped or spread input."""

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
    adds overlapping windows back (rule ``fold``), which is the homework's "full convolution with the
    flipped kernel"; the column copy and the fold run in named kernels (``kernels.reshape``, ``kernels.fold``).

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


def _single(v, name: str, op: str, minimum: int):
    """An int (or a 1-tuple) for conv1d, as the pair (1-row, v) conv2d takes; strings pass through."""
    if isinstance(v, str):
        return v
    if isinstance(v, (tuple, list)) and len(v) == 1:
        v = v[0]
    return _pair((minimum, v) if minimum else (0, v), name, op, minimum) if not isinstance(v, (tuple, list)) else \
        _pair(v, name, op, minimum)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation, y[n, f, i] = b[f] + Σ_c Σ_m xp[n, c, i·s + m·d] · W[f, c, m]: conv2d on a one-row
    image (input (N, C, L) or (C, L), weight (F, C/groups, K)), so the gradient is conv2d's."""
    op = "conv1d"
    x, w = _tensor(input, op), _tensor(weight, op, "weight")
    if w.ndim != 3:
        raise ValueError(f"{op}: weight must be 3-D (out_channels, in_channels/groups, kW), got shape {w.shape}")
    if x.ndim not in (2, 3):
        raise ValueError(f"{op}: expected a 3-D input (N, C, L) or a 2-D input (C, L), got shape {x.shape}")
    pad = padding if isinstance(padding, str) else (0, _single(padding, "padding", op, 0)[1])
    out = conv2d(x.unsqueeze(-2), w.unsqueeze(-2), bias, stride=(1, _single(stride, "stride", op, 1)[1]),
                 padding=pad, dilation=(1, _single(dilation, "dilation", op, 1)[1]), groups=groups)
    return out.squeeze(-2)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """The transposed convolution (the gradient of conv2d with respect to its input, used for upsampling):
    input (N, C_in, H, W), weight (C_in, C_out/groups, kH, kW), output size
    OH = (H − 1)·s − 2p + d·(kH − 1) + output_padding + 1.

    Composition: spread the input s apart (zeros between its cells: reshape, pad, reshape, slice), pad every side
    by d·(k − 1) − p (a negative width crops) plus ``output_padding`` at the bottom/right, then a stride-1
    :func:`conv2d` with the kernel flipped and its channel axes swapped within each group.
    """
    op = "conv_transpose2d"
    from .shape import pad as _fpad
    x, w = _tensor(input, op), _tensor(weight, op, "weight")
    if w.ndim != 4:
        raise ValueError(f"{op}: weight must be 4-D (in_channels, out_channels/groups, kH, kW), got shape {w.shape}")
    x4, unbatched = _image(x, op)
    n, c, h, wd = x4.shape
    if isinstance(groups, bool) or not isinstance(groups, numbers.Integral) or groups < 1 or c % groups:
        raise ValueError(f"{op}: groups must be a positive int dividing the {c} input channels, got {groups!r}")
    if w.shape[0] != c:
        raise ValueError(f"{op}: input of shape {x.shape} has {c} channels but weight of shape {w.shape} expects "
                         f"{w.shape[0]} (weight is (in_channels, out_channels/groups, kH, kW))")
    s, p = _pair(stride, "stride", op, 1), _pair(padding, "padding", op, 0)
    op_, d = _pair(output_padding, "output_padding", op, 0), _pair(dilation, "dilation", op, 1)
    if op_[0] >= max(s[0], d[0]) or op_[1] >= max(s[1], d[1]):
        raise ValueError(f"{op}: output_padding {op_} must be smaller than stride {s} or dilation {d}")
    kh, kw = w.shape[2:]
    if s != (1, 1):
        spread = _pad0(x4.reshape(n, c, h, 1, wd, 1), ((0, 0),) * 3 + ((0, s[0] - 1), (0, 0), (0, s[1] - 1)))
        x4 = spread.reshape(n, c, h * s[0], wd * s[1])[:, :, :(h - 1) * s[0] + 1, :(wd - 1) * s[1] + 1]
    eh, ew = d[0] * (kh - 1) - p[0], d[1] * (kw - 1) - p[1]
    x4 = _fpad(x4, (ew, ew + op_[1], eh, eh + op_[0]))
    g = int(groups)
    wt = w.reshape(g, c // g, w.shape[1], kh, kw).permute(0, 2, 1, 3, 4).reshape(g * w.shape[1], c // g, kh, kw)
    out = conv2d(x4, wt[:, :, ::-1, ::-1], bias, stride=1, padding=0, dilation=d, groups=g)
    return out.reshape(out.shape[1:]) if unbatched else out
