"""Layers and losses as compositions of primitives (imported as ``F``, PyTorch's ``torch.nn.functional`` names).

Nothing here knows a derivative: every function is written with Tensor operations that go through the rule table
(:mod:`microgradnet.rules`), so the same code runs at tensor level and, inside
:class:`microgradnet.scalar_level`, at scalar level (one ``Value`` per scalar operation) with equal gradients.

Shapes follow PyTorch: images are (N, C, H, W) (an unbatched (C, H, W) is accepted where PyTorch accepts it),
class scores (N, C), a linear weight (out_features, in_features), a conv weight (out_channels, in_channels, kH, kW).

Where each formula comes from (the seeds in ``shared/seeds``):

- ``linear`` — CSC 249 HW2 P2 (y = Wx + b), EECS 498 HW1 §1.1 (Y = WᵀX + b), CS 4670 PA5 B (y = Wx);
- ``conv2d`` — CSC 249 HW2 P3/P5, Tsinghua DL HW1 §1.1, EECS 498 HW1 §1.5, CS 4670 PA5 A;
- ``max_pool2d`` — CSC 249 HW2 P4/P5 (ties: "assign the gradient to multiple activations"), Tsinghua §1.1,
  EN4553 A2 Q1;
- ``relu``/``dropout``/``batch_norm`` — EECS 498 HW1 §1.2–1.4; ``leaky_relu``/``prelu`` — EN4553 A2 Q1;
  ``tanh`` — Tsinghua §1.1;
- ``softmax``/``log_softmax``/``cross_entropy``/``nll_loss`` — CSC 249 HW2 P1, CS 4670 PA5 C, EN4553 A2 Q2 (the
  max shift of Q2(a));
- ``binary_cross_entropy_with_logits``, ``hinge_loss`` — EECS 498 HW1 §2, §3; ``multi_margin_loss`` — the
  multiclass SVM (PyTorch's form and cs231n's); ``l2_penalty`` — the regularisation of EECS 498 / Tsinghua §2.
"""

from __future__ import annotations

import numbers

import numpy as np

from .engine import Node
from .tensor import _SCALAR_HOOK, Tensor, elementwise, lift, where, windows, windows_flat
from .tensor import pad as _pad0

__all__ = [
    "avg_pool2d", "batch_norm", "binary_cross_entropy_with_logits", "conv2d", "cross_entropy", "dropout", "flatten",
    "hinge_loss", "l2_penalty", "leaky_relu", "linear", "log_softmax", "max_pool2d", "mse_loss", "multi_margin_loss",
    "nll_loss", "pad", "prelu", "relu", "sigmoid", "softmax", "softplus", "tanh",
]

TIE_RULES = ("first", "split", "all")
REDUCTIONS = ("mean", "sum", "none")


# ---------------------------------------------------------------------------------------------------- helpers
def _tensor(x, op: str, name: str = "input") -> Tensor:
    if isinstance(x, Tensor):
        return x
    if isinstance(x, Node):
        raise TypeError(f"{op}: {name} must be a Tensor (or an array), got a {type(x).__name__}; scalar Values go "
                        "through microgradnet.nn.MLP or Tensor code inside scalar_level")
    t = lift(x, None, op)
    if t.dtype.kind != "f":
        t = Tensor(t.data.astype(np.float64))
    return t


def _pair(v, name: str, op: str, minimum: int) -> tuple[int, int]:
    if isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {v!r}")
    if isinstance(v, (int, np.integer)):
        v = (int(v), int(v))
    else:
        try:
            v = tuple(v)
        except TypeError:
            raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {v!r}") from None
        if len(v) != 2 or not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in v):
            raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {v!r}")
        v = (int(v[0]), int(v[1]))
    if min(v) < minimum:
        raise ValueError(f"{op}: {name} must be ≥ {minimum}, got {v}")
    return v


def _image(x: Tensor, op: str) -> tuple[Tensor, bool]:
    """(N, C, H, W) from a batched or unbatched image; the flag says whether to drop the batch axis again."""
    if x.ndim == 4:
        return x, False
    if x.ndim == 3:
        return x.reshape((1,) + x.shape), True
    raise ValueError(f"{op}: expected a 4-D input (N, C, H, W) or a 3-D input (C, H, W), got shape {x.shape}")


def _check_reduction(reduction, op: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.mean()


def _const(x, op: str, name: str) -> np.ndarray:
    """The numbers of a non-differentiated argument (class weights, targets of a hinge)."""
    arr = np.asarray(x.data if isinstance(x, Tensor) else x)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(f"{op}: {name} must be numbers, got dtype {arr.dtype}")
    return arr


def _class_labels(target, op: str) -> np.ndarray:
    """Integer class indices as an int64 array; floats and booleans are refused (a common silent bug)."""
    if isinstance(target, Node) and not isinstance(target, Tensor):
        raise TypeError(f"{op}: target must be integer class indices (a Tensor, array, list or int), got a "
                        f"{type(target).__name__}")
    arr = np.asarray(target.data if isinstance(target, Tensor) else target)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must hold integer class indices (dtype int64), got dtype {arr.dtype} "
                        f"with shape {arr.shape}; convert labels with .astype(np.int64)")
    return arr.astype(np.int64, copy=False)


def _check_range(t: np.ndarray, valid: np.ndarray, n_classes: int, op: str) -> None:
    bad = valid & ((t < 0) | (t >= n_classes))
    if bad.any():
        pos = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{op}: target {int(t[pos])} at position {pos} is out of range for {n_classes} classes "
                         f"(expected 0 ≤ target < {n_classes})")


# ---------------------------------------------------------------------------------------------------- dense
def linear(input, weight, bias=None):
    """y = x Wᵀ + b for x of shape (*, in_features), W (out_features, in_features), b (out_features,).

    PyTorch's layout; per example it is CSC 249 HW2 P2's y = Wx + b (and EECS 498 HW1 §1.1's Y = WᵀX + b with
    their W transposed). Composition: matmul (∂L/∂x = g W, ∂L/∂W = gᵀ x) and a broadcast add (∂L/∂b = Σ g over
    the batch).
    """
    op = "linear"
    x, w = _tensor(input, op), _tensor(weight, op, "weight")
    if w.ndim != 2:
        raise ValueError(f"{op}: weight must be 2-D (out_features, in_features), got shape {w.shape}")
    if x.ndim == 0 or x.shape[-1] != w.shape[1]:
        raise ValueError(f"{op}: input of shape {x.shape} does not match weight of shape {w.shape}: expected the "
                         f"last dimension of the input to be in_features = {w.shape[1]}")
    lead = x.shape[:-1]
    flat = x if x.ndim == 2 else x.reshape(-1, w.shape[1])
    out = flat @ w.T
    if bias is not None:
        b = _tensor(bias, op, "bias")
        if b.shape != (w.shape[0],):
            raise ValueError(f"{op}: bias must have shape ({w.shape[0]},) (out_features), got {b.shape}")
        out = out + b
    return out if x.ndim == 2 else out.reshape(lead + (w.shape[0],))


# ---------------------------------------------------------------------------------------------------- conv
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


# ---------------------------------------------------------------------------------------------------- pooling
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


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, *, tie="first"):
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
    """
    op = "max_pool2d"
    if tie not in TIE_RULES:
        raise ValueError(f"{op}: tie must be 'first', 'split' or 'all', got {tie!r}")
    x = _tensor(input, op)
    x4, unbatched = _image(x, op)
    k, s, p, d, e = _pool_geometry(x4, kernel_size, stride, padding, dilation, op, ceil_mode)
    if p[0] or p[1] or e[0] or e[1]:
        h, w = x4.shape[2:]
        inside = np.zeros((h + 2 * p[0] + e[0], w + 2 * p[1] + e[1]), dtype=bool)
        inside[p[0]:p[0] + h, p[1]:p[1] + w] = True
        lowest = np.asarray(np.finfo(x4.dtype).min, dtype=x4.dtype)
        x4 = where(inside, _pad0(x4, ((0, 0), (0, 0), (p[0], p[0] + e[0]), (p[1], p[1] + e[1]))), lowest)
    out = _window_stack(x4, k, s, d).amax(0, tie=tie)
    return out.reshape(out.shape[1:]) if unbatched else out


def _valid_counts(n: int, k: int, s: int, p: int, out: int, include_pad: bool = False) -> np.ndarray:
    """How many of the k cells of each of the ``out`` windows along one axis count in the divisor: the real input
    cells, or with ``include_pad`` the cells inside the padded input, min(start + k, n + p) − start (k except for
    a ceil_mode window that runs past the right/bottom padding, as PyTorch)."""
    starts = np.arange(out) * s - p
    if include_pad:
        return np.minimum(starts + k, n + p) - starts
    return np.minimum(starts + k, n) - np.maximum(starts, 0)


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


# ---------------------------------------------------------------------------------------------------- activations
def relu(input):
    """max(x, 0) (EECS 498 HW1 §1.2); relu'(0) = 0."""
    return _tensor(input, "relu").relu()


def leaky_relu(input, negative_slope=0.01):
    """x if x > 0 else slope·x (EN4553 A2 Q1 with slope 0.1); the derivative at 0 is ``slope``."""
    return _tensor(input, "leaky_relu").leaky_relu(negative_slope)


def prelu(input, weight):
    """x if x > 0 else α·x with a learnable α (EN4553 A2 Q1(d): ∂L/∂α = Σ_{x ≤ 0} g·x).

    ``weight`` has one element (one slope for everything) or C elements, one per channel, the channel being
    dimension 1 of the input (as PyTorch; an input of fewer than 2 dimensions has one channel).
    """
    op = "prelu"
    x, a = _tensor(input, op), _tensor(weight, op, "weight")
    if a.ndim > 1:
        raise ValueError(f"{op}: weight must be 1-D (1 or num_channels slopes), got shape {a.shape}")
    if a.numel() == 1:
        alpha = a.reshape(())
    else:
        c = x.shape[1] if x.ndim >= 2 else 1
        if a.numel() != c:
            raise ValueError(f"{op}: weight has {a.numel()} slopes but the input of shape {x.shape} has {c} "
                             "channel(s) (dimension 1); expected 1 or that many")
        alpha = a.reshape((c,) + (1,) * (x.ndim - 2))
    return elementwise("prelu", x, alpha)


def tanh(input):
    """tanh x (Tsinghua HW1 §1.1); derivative 1 − tanh²x."""
    return _tensor(input, "tanh").tanh()


def sigmoid(input):
    """1 / (1 + e⁻ˣ), computed without overflow; derivative σ(1 − σ)."""
    return _tensor(input, "sigmoid").sigmoid()


def softplus(input):
    """log(1 + eˣ), stable for any x, with the exact derivative σ(x) everywhere (x = 0 included).

    Written as ½x + (½|x| + log(1 + e^(−|x|))), which is max(x, 0) + log(1 + e^(−|x|)) with max(x, 0) =
    (x + |x|)/2: only e^(−|x|) ≤ 1 is ever computed, and the bracket's derivative with respect to |x|,
    ½ − σ(−|x|), vanishes at 0, so the kink of |x| at 0 (abs'(0) = 0) cannot leak into the gradient.
    """
    x = _tensor(input, "softplus")
    a = x.abs()
    return x * 0.5 + (a * 0.5 + (-a).exp().log1p())


def _dim(x: Tensor, dim, op: str) -> int:
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op}: dim must be an int (the axis to normalise over), got {dim!r}")
    if x.ndim == 0 or not -x.ndim <= dim < x.ndim:
        raise ValueError(f"{op}: dim {dim} is out of range for an input of shape {x.shape}")
    d = int(dim) % x.ndim
    if x.shape[d] == 0:
        raise ValueError(f"{op}: dimension {d} of the input (shape {x.shape}) is empty")
    return d


def _shifted(x: Tensor, d: int) -> Tensor:
    """x − max(x) along d, the max a constant (not differentiated: the shift cancels, EN4553 A2 Q2(a))."""
    m = np.max(x.data, axis=d, keepdims=True)
    m = np.where(np.isfinite(m), m, 0).astype(x.dtype, copy=False)
    return x - m


def softmax(input, dim):
    """p_i = e^(x_i − M) / Σ_j e^(x_j − M) along ``dim`` with M = max_j x_j taken as a constant.

    softmax(x) = softmax(x − M·1) (EN4553 A2 Q2(a)), and with the shift every exponent is ≤ 0, so logits of
    ±1000 give no overflow. M is not differentiated through: its derivative terms cancel exactly.
    """
    x = _tensor(input, "softmax")
    d = _dim(x, dim, "softmax")
    e = _shifted(x, d).exp()
    return e / e.sum(d, keepdim=True)


def log_softmax(input, dim):
    """log p_i = (x_i − M) − log Σ_j e^(x_j − M) along ``dim`` (M = max, a constant, as in :func:`softmax`)."""
    x = _tensor(input, "log_softmax")
    d = _dim(x, dim, "log_softmax")
    z = _shifted(x, d)
    return z - z.exp().sum(d, keepdim=True).log()


# ---------------------------------------------------------------------------------------------------- regularisers
def dropout(input, p=0.5, training=True, generator=None):
    """Inverted dropout: y = x ⊙ M / (1 − p) with M ~ Bernoulli(1 − p) in training, y = x otherwise.

    ``p`` is the probability of DROPPING an element (PyTorch), 0 ≤ p < 1. The mask is drawn from ``generator``
    (default :func:`microgradnet.generator`, seeded by :func:`microgradnet.manual_seed`) as
    ``generator.random(shape) >= p`` (the closed-form dropout's mask draws the same way) and is a
    constant: ∂L/∂x = g ⊙ M / (1 − p) (EECS 498 HW1 §1.3, scaled). E[M/(1 − p)] = 1, so evaluation needs no
    rescaling (the answer to EECS 498 §7.2 in its inverted form).
    """
    op = "dropout"
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= float(p) < 1.0:
        raise ValueError(f"{op}: p (the drop probability) must be in [0, 1), got {p!r}")
    x = _tensor(input, op)
    if not training:
        return x
    if generator is None:
        from .tensor import generator as _gen
        generator = _gen()
    keep = generator.random(x.shape) >= p
    return x * (keep / (1.0 - float(p))).astype(x.dtype)


def _bn_param(v, c: int, op: str, name: str):
    if v is None:
        return None
    if not isinstance(v, (Tensor, np.ndarray)):
        raise TypeError(f"{op}: {name} must be a Tensor or a numpy array, got {type(v).__name__}")
    shape = v.shape
    if tuple(shape) != (c,):
        raise ValueError(f"{op}: {name} must have shape ({c},) (one per channel), got {tuple(shape)}")
    return v


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Batch normalisation over every dimension but the channel (dimension 1), PyTorch semantics::

        x̂ = (x − μ) / √(σ² + ε),   y = γ ⊙ x̂ + β

    Training: μ and σ² are the batch mean and the BIASED variance (1/m Σ(x − μ)², m = values per channel), and
    the running statistics (if given) are updated in place,
    ``running_mean ← (1 − momentum)·running_mean + momentum·μ`` and
    ``running_var ← (1 − momentum)·running_var + momentum·σ²·m/(m − 1)`` (the UNBIASED variance).
    Evaluation: μ, σ² are the running statistics (constants), so the layer is an affine map.

    The training-mode formula is EECS 498 HW1 §1.4 with the usual 1/m (the seed's literal σ has no 1/m and one σ
    for all features: see ``microgradnet.closed_form.norm``). Composition: mean, subtraction, square, mean, pow
    −½, products — the long backward formula of the seed comes out of the tape.
    """
    op = "batch_norm"
    x = _tensor(input, op)
    if x.ndim < 2:
        raise ValueError(f"{op}: expected an input with a batch and a channel dimension (N, C, ...), got shape "
                         f"{x.shape}")
    c = x.shape[1]
    rm = _bn_param(running_mean, c, op, "running_mean")
    rv = _bn_param(running_var, c, op, "running_var")
    w = _bn_param(weight, c, op, "weight")
    b = _bn_param(bias, c, op, "bias")
    if (rm is None) != (rv is None):
        raise ValueError(f"{op}: give both running_mean and running_var, or neither")
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, c) + (1,) * (x.ndim - 2)
    if training:
        m = x.numel() // c if c else 0
        if m <= 1:
            raise ValueError(f"{op}: expected more than 1 value per channel when training, got input shape "
                             f"{x.shape}")
        if isinstance(momentum, bool) or not isinstance(momentum, numbers.Real) or not 0.0 <= momentum <= 1.0:
            raise ValueError(f"{op}: momentum must be a number in [0, 1], got {momentum!r}")
        mu = x.mean(axes, keepdim=True)
        diff = x - mu
        var = (diff * diff).mean(axes, keepdim=True)
        xhat = diff * (var + eps) ** -0.5
        if rm is not None:
            rmd = rm.data if isinstance(rm, Tensor) else rm
            rvd = rv.data if isinstance(rv, Tensor) else rv
            bm = np.asarray(mu.data, dtype=np.float64).reshape(c)
            bv = np.asarray(var.data, dtype=np.float64).reshape(c) * (m / (m - 1))
            rmd[...] = (1.0 - momentum) * rmd + momentum * bm
            rvd[...] = (1.0 - momentum) * rvd + momentum * bv
    else:
        if rm is None:
            raise ValueError(f"{op}: running_mean and running_var are needed in evaluation mode (training=False)")
        rmd = np.asarray(rm.data if isinstance(rm, Tensor) else rm)
        rvd = np.asarray(rv.data if isinstance(rv, Tensor) else rv)
        inv = (1.0 / np.sqrt(rvd.astype(np.float64) + eps)).astype(x.dtype)
        xhat = (x - rmd.astype(x.dtype).reshape(shape)) * inv.reshape(shape)
    out = xhat
    if w is not None:
        out = out * _tensor(w, op, "weight").reshape(shape)
    if b is not None:
        out = out + _tensor(b, op, "bias").reshape(shape)
    return out


# ---------------------------------------------------------------------------------------------------- shape
def flatten(input, start_dim=0, end_dim=-1):
    """Merge dimensions start_dim..end_dim into one (``torch.flatten``); a reshape, so the gradient is reshaped
    back."""
    x = _tensor(input, "flatten")
    nd = max(x.ndim, 1)
    for name, v in (("start_dim", start_dim), ("end_dim", end_dim)):
        if not -nd <= v < nd:
            raise ValueError(f"flatten: {name} {v} is out of range for an input of shape {x.shape}")
    if start_dim % nd > end_dim % nd:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for shape {x.shape}")
    return x.flatten(start_dim, end_dim)


PAD_MODES = ("constant", "reflect", "replicate", "circular")


def _pad_index(n: int, before: int, after: int, mode: str, op: str, axis: int) -> np.ndarray:
    idx = np.arange(-before, n + after)
    if mode == "reflect":
        if before >= n or after >= n:
            raise ValueError(f"{op}: reflect padding ({before}, {after}) must be smaller than the size {n} of "
                             f"dimension {axis}")
        idx = np.abs(idx)
        return np.where(idx > n - 1, 2 * (n - 1) - idx, idx)
    if mode == "replicate":
        if n == 0:
            raise ValueError(f"{op}: cannot replicate-pad the empty dimension {axis}")
        return np.clip(idx, 0, n - 1)
    if before > n or after > n:
        raise ValueError(f"{op}: circular padding ({before}, {after}) must be at most the size {n} of dimension "
                         f"{axis}")
    return idx % n


def pad(input, pad, mode="constant", value=0.0):
    """Pad as ``torch.nn.functional.pad``: ``pad`` = (left, right, top, bottom, …) from the LAST dimension
    backwards, non-negative.

    ``'constant'`` fills with ``value`` (rule ``pad``, then a ``where`` for a non-zero value); ``'reflect'``
    (mirror without the edge), ``'replicate'`` (repeat the edge) and ``'circular'`` (wrap around) are integer-array
    indexing (rule ``getitem``), so a cell used several times gets the sum of their gradients.
    """
    op = "pad"
    x = _tensor(input, op)
    try:
        pads = [int(v) for v in pad]
    except (TypeError, ValueError):
        raise TypeError(f"{op}: pad must be a sequence of ints (left, right, top, bottom, ...), got {pad!r}") from None
    if len(pads) % 2 or len(pads) // 2 > x.ndim:
        raise ValueError(f"{op}: pad {tuple(pads)} must have an even length of at most 2 × {x.ndim} (the input has "
                         f"shape {x.shape})")
    if any(v < 0 for v in pads):
        raise ValueError(f"{op}: pad {tuple(pads)} must be non-negative")
    if mode not in PAD_MODES:
        raise ValueError(f"{op}: mode must be one of {PAD_MODES}, got {mode!r}")
    widths = [(0, 0)] * x.ndim
    for i in range(len(pads) // 2):
        widths[x.ndim - 1 - i] = (pads[2 * i], pads[2 * i + 1])
    if mode == "constant":
        out = _pad0(x, tuple(widths))
        if value != 0 and out is not x:
            inside = np.ones(x.shape, dtype=bool)
            inside = np.pad(inside, widths, constant_values=False)
            out = where(inside, out, np.asarray(value, dtype=x.dtype))
        return out
    if mode != "constant" and value != 0:
        raise ValueError(f"{op}: value={value!r} only applies to mode='constant', not {mode!r}")
    out = x
    for ax, (b, a) in enumerate(widths):
        if b or a:
            idx = _pad_index(x.shape[ax], b, a, mode, op, ax)
            out = out[(slice(None),) * ax + (idx,)]
    return out


# ---------------------------------------------------------------------------------------------------- losses
def _class_input(x: Tensor, t: np.ndarray, op: str):
    """(scores (M, C), labels (M,), shape of the per-example loss) from PyTorch's (N, C, d1, ...) / (C,) layouts."""
    if x.ndim == 0:
        raise ValueError(f"{op}: input must have a class dimension: (N, C), (C,) or (N, C, d1, ...), got a scalar")
    if x.ndim == 1:
        if t.ndim != 0:
            raise ValueError(f"{op}: for an unbatched input of shape {x.shape} the target must be one class index, "
                             f"got shape {t.shape}")
        return x.reshape(1, x.shape[0]), t.reshape(1), ()
    n, c = x.shape[:2]
    expected = (n,) + x.shape[2:]
    if t.shape != expected:
        raise ValueError(f"{op}: target of shape {t.shape} does not match input of shape {x.shape}: expected "
                         f"{expected} (one class index per example)")
    if x.ndim == 2:
        return x, t, (n,)
    perm = (0,) + tuple(range(2, x.ndim)) + (1,)
    return x.permute(*perm).reshape(-1, c), t.reshape(-1), expected


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log likelihood: ℓ_n = −w[y_n] · x[n, y_n] for log-probabilities ``input`` (N, C) and class indices
    ``target`` (N,) (int; also (C,) with a single index, and (N, C, d1, …) with (N, d1, …)).

    'mean' divides by Σ_n w[y_n] (N without class weights), 'sum' adds, 'none' returns ℓ. Targets equal to
    ``ignore_index`` contribute nothing. The class ``weight`` is a constant. Composition: integer-array indexing
    (``getitem``, whose backward scatters −w into the picked cells) and a sum.
    """
    op = "nll_loss"
    _check_reduction(reduction, op)
    x = _tensor(input, op)
    t = _class_labels(target, op)
    xs, ts, out_shape = _class_input(x, t, op)
    c = xs.shape[1]
    valid = ts != ignore_index
    _check_range(ts, valid, c, op)
    safe = np.where(valid, ts, 0)
    picked = xs[np.arange(xs.shape[0]), safe]
    w = None
    if weight is not None:
        wd = _const(weight, op, "weight").astype(x.dtype)
        if wd.shape != (c,):
            raise ValueError(f"{op}: weight must have shape ({c},) (one per class), got {wd.shape}")
        w = wd[safe] * valid
    elif not valid.all():
        w = valid.astype(x.dtype)
    loss = -picked if w is None else -(picked * w)
    if reduction == "none":
        return loss.reshape(out_shape)
    if reduction == "sum":
        return loss.sum()
    if w is None:
        return loss.mean()
    total = float(w.sum())
    if total == 0.0:
        raise ValueError(f"{op}: every target is ignore_index ({ignore_index}) or has class weight 0, so the mean "
                         "is 0/0; use reduction='sum' or check the targets")
    return loss.sum() * (1.0 / total)


def _label_smoothing(v, op: str) -> float:
    """ε of label smoothing as a float; a number in [0, 1] or a ValueError naming ``op`` and the value."""
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
        raise TypeError(f"{op}: label_smoothing must be a number in [0, 1], got {v!r}")
    if not 0.0 <= float(v) <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be in [0, 1] (0 = no smoothing), got {v!r}")
    return float(v)


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Softmax cross-entropy from logits: ℓ_n = −log softmax(x_n)[y_n] = −x[n, y_n] + log Σ_j e^(x[n, j]).

    CSC 249 HW2 P1, CS 4670 PA5 C, EN4553 A2 Q2: ∂ℓ/∂x = p − onehot(y) comes out of the tape. Equal to
    ``nll_loss(log_softmax(x, 1), target, …)``, stable for logits of ±1000. ``target`` is integer class indices
    as in :func:`nll_loss`, or class probabilities of the input's shape (float, PyTorch's soft targets: ℓ_n =
    −Σ_c w_c t_nc log p_nc, 'mean' divides by N).

    ``label_smoothing`` ε ∈ [0, 1] (PyTorch's), K classes: the target becomes (1 − ε)·onehot(y) + ε/K, i.e.

        ℓ_n = (1 − ε)·w[y_n]·(−log p_n[y_n]) + (ε/K)·Σ_k w_k·(−log p_n[k])

    (w = 1 without ``weight``); 'mean' divides the sum of both terms by Σ_n w[y_n] over the targets that are not
    ``ignore_index`` (rows with ``ignore_index`` contribute nothing to either term). Unweighted mean:
    ∂L/∂x_n = (p_n − (1 − ε)·onehot(y_n) − ε/K)/N. Class-probability targets t become (1 − ε)·t + ε/K.
    Composition: :func:`nll_loss` of log_softmax, plus a weighted sum of log_softmax over the classes.
    """
    op = "cross_entropy"
    _check_reduction(reduction, op)
    eps = _label_smoothing(label_smoothing, op)
    x = _tensor(input, op)
    if x.ndim == 0:
        raise ValueError(f"{op}: input must have a class dimension: (N, C), (C,) or (N, C, d1, ...), got a scalar")
    cd = 1 if x.ndim >= 2 else 0
    traw = target.data if isinstance(target, Tensor) else np.asarray(target)
    if traw.dtype.kind == "f" and traw.shape == x.shape:
        logp = log_softmax(x, cd)
        tgt = traw.astype(x.dtype)
        if eps:
            tgt = tgt * (1.0 - eps) + eps / x.shape[cd]
        prod = logp * tgt
        if weight is not None:
            wd = _const(weight, op, "weight").astype(x.dtype)
            if wd.shape != (x.shape[cd],):
                raise ValueError(f"{op}: weight must have shape ({x.shape[cd]},) (one per class), got {wd.shape}")
            prod = prod * wd.reshape((x.shape[cd],) + (1,) * (x.ndim - cd - 1))
        return _reduce(-prod.sum(cd), reduction)
    if traw.dtype.kind == "f":
        raise TypeError(f"{op}: target must hold integer class indices (dtype int64) of shape "
                        f"{(x.shape[0],) + x.shape[2:] if x.ndim >= 2 else ()}, or class probabilities of the "
                        f"input's shape {x.shape}; got dtype {traw.dtype} with shape {traw.shape}")
    logp = log_softmax(x, cd)
    nll = nll_loss(logp, target, weight=weight, ignore_index=ignore_index, reduction=reduction)
    if not eps:
        return nll
    # the smoothing term Σ_k w_k·(−log p_n[k]) per example, ignored rows zeroed (nll_loss checked target and weight)
    lp, ts, out_shape = _class_input(logp, _class_labels(target, op), op)
    k = lp.shape[1]
    valid = ts != ignore_index
    if weight is None:
        smooth = -lp.sum(1)
        wy = valid.astype(x.dtype)
    else:
        wd = _const(weight, op, "weight").astype(x.dtype)
        smooth = -(lp * wd).sum(1)
        wy = wd[np.where(valid, ts, 0)] * valid
    if not valid.all():
        smooth = smooth * valid.astype(x.dtype)
    if reduction == "none":
        smooth = smooth.reshape(out_shape)
    elif reduction == "sum":
        smooth = smooth.sum()
    else:  # nll_loss has refused a zero Σ w[y_n]
        smooth = smooth.sum() * (1.0 / float(wy.sum()))
    return nll * (1.0 - eps) + smooth * (eps / k)


def mse_loss(input, target, reduction="mean"):
    """ℓ = (x − y)², averaged ('mean'), added ('sum') or elementwise ('none'); EN4553 A2 Q1(a)'s regression loss.
    Shapes must match (no silent broadcasting)."""
    op = "mse_loss"
    _check_reduction(reduction, op)
    x = _tensor(input, op)
    y = _tensor(target, op, "target")
    if x.shape != y.shape:
        raise ValueError(f"{op}: input of shape {x.shape} and target of shape {y.shape} differ; expected the same "
                         "shape")
    d = x - y
    return _reduce(d * d, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    """Logistic loss from logits x and targets y ∈ [0, 1] (EECS 498 HW1 §2), stable for any x::

        ℓ = max(x, 0) − x·y + log(1 + e^(−|x|))            ( = −[y log σ(x) + (1 − y) log(1 − σ(x))] )

    computed as ``softplus(x) − x·y`` (see :func:`softplus`: max(x, 0) is written (x + |x|)/2, so the derivative
    is exactly σ(x) − y, at x = 0 too). With ``pos_weight`` p (per class, broadcast over the last dimension):
    ℓ = (1 − y)·softplus(x) + p·y·softplus(−x). ``weight`` multiplies ℓ elementwise. Targets and class weights
    are constants.
    """
    op = "binary_cross_entropy_with_logits"
    _check_reduction(reduction, op)
    x = _tensor(input, op)
    y = _const(target, op, "target")
    if y.shape != x.shape:
        raise ValueError(f"{op}: target of shape {y.shape} must have the input's shape {x.shape}")
    y = y.astype(x.dtype)
    sp = softplus(x)
    if pos_weight is None:
        loss = sp - x * y
    else:
        loss = sp * (1.0 - y) + (sp - x) * (_broadcast_const(pos_weight, x, op, "pos_weight") * y)
    if weight is not None:
        loss = loss * _broadcast_const(weight, x, op, "weight")
    return _reduce(loss, reduction)


def _broadcast_const(v, x: Tensor, op: str, name: str) -> np.ndarray:
    """A constant argument in x's dtype that must broadcast to x's shape, or a ValueError naming both shapes."""
    c = _const(v, op, name).astype(x.dtype)
    try:
        np.broadcast_shapes(c.shape, x.shape)
    except ValueError:
        raise ValueError(f"{op}: {name} of shape {c.shape} does not broadcast to the input's shape {x.shape}") from None
    return c


def _pm1(y: np.ndarray, op: str) -> np.ndarray:
    if not np.isin(y, (-1, 0, 1)).all():
        raise ValueError(f"{op}: labels must be in {{-1, +1}} or {{0, 1}}, got values {np.unique(y)}")
    if (y == 0).any() and (y == -1).any():
        raise ValueError(f"{op}: labels mix 0 and -1; use either {{-1, +1}} or {{0, 1}}")
    return np.where(y == 0, -1, y)


def hinge_loss(input, target, reduction="mean"):
    """Binary SVM hinge loss (EECS 498 HW1 §3): ℓ_n = max(0, 1 − y_n·s_n), mean over the N examples.

    ``input``: scores of shape (N,) or (N, 1); ``target``: labels in {0, 1} (0 is read as −1) or in {−1, +1}.
    Composition: relu(1 − y·s), so at the kink (y·s = 1) the subgradient is 0 (relu'(0) = 0).
    """
    op = "hinge_loss"
    _check_reduction(reduction, op)
    s = _tensor(input, op)
    if s.ndim > 2 or (s.ndim == 2 and s.shape[1] != 1):
        raise ValueError(f"{op}: scores must have shape (N,) or (N, 1), got {s.shape}")
    y = _const(target, op, "target")
    if y.size != s.numel():
        raise ValueError(f"{op}: target of shape {y.shape} must give one label per score (scores shape {s.shape})")
    y = _pm1(y, op).astype(s.dtype).reshape(s.shape)
    return _reduce((1.0 - s * y).relu(), reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, reduction="mean", form="pytorch"):
    """Multiclass SVM loss for scores x (N, C) and class indices y (N,)::

        form='pytorch' (default, torch.nn.functional.multi_margin_loss):
            ℓ_n = (1/C) Σ_{j ≠ y_n} w[y_n] · max(0, margin − x[n, y_n] + x[n, j])^p
        form='cs231n' (the Stanford course's SVM loss, no 1/C):
            ℓ_n = Σ_{j ≠ y_n} w[y_n] · max(0, x[n, j] − x[n, y_n] + margin)^p

    PyTorch divides by the number of classes C (not C − 1); 'mean' then averages over N. ``p`` is 1 or 2.
    At the kink (a margin term exactly 0) the subgradient is 0. Composition: indexing the correct scores,
    a broadcast subtraction, relu, a constant mask that removes j = y_n, sums.
    """
    op = "multi_margin_loss"
    _check_reduction(reduction, op)
    if p not in (1, 2):
        raise ValueError(f"{op}: p must be 1 or 2, got {p!r}")
    if form not in ("pytorch", "cs231n"):
        raise ValueError(f"{op}: form must be 'pytorch' (divide by the number of classes) or 'cs231n' (no "
                         f"division), got {form!r}")
    x = _tensor(input, op)
    t = _class_labels(target, op)
    unbatched = x.ndim == 1
    if unbatched:
        if t.ndim != 0:
            raise ValueError(f"{op}: for an unbatched input of shape {x.shape} the target must be one class index, "
                             f"got shape {t.shape}")
        x, t = x.reshape(1, -1), t.reshape(1)
    if x.ndim != 2:
        raise ValueError(f"{op}: input must be (N, C) or (C,), got shape {x.shape}")
    n, c = x.shape
    if t.shape != (n,):
        raise ValueError(f"{op}: target of shape {t.shape} does not match input of shape {x.shape}: expected ({n},)")
    _check_range(t, np.ones(t.shape, bool), c, op)
    correct = x[np.arange(n), t].reshape(n, 1)
    m = (x - correct + float(margin)).relu()
    if p == 2:
        m = m * m
    mask = np.ones((n, c), dtype=x.dtype)
    mask[np.arange(n), t] = 0.0
    if weight is not None:
        wd = _const(weight, op, "weight").astype(x.dtype)
        if wd.shape != (c,):
            raise ValueError(f"{op}: weight must have shape ({c},) (one per class), got {wd.shape}")
        mask = mask * wd[t][:, None]
    if form == "pytorch":
        mask = mask * (1.0 / c)
    loss = (m * mask).sum(1)
    if unbatched and reduction == "none":
        return loss.reshape(())
    return _reduce(loss, reduction)


def l2_penalty(params, weight_decay):
    """L2 weight decay R = ½·λ·Σ_W ‖W‖² (sum of squares of every element of every given tensor).

    The ½ makes ∂R/∂W = λ·W, which is exactly what ``weight_decay=λ`` adds to the gradient in PyTorch's SGD; pass
    only the tensors to regularise (often the weights, not the biases). ``params``: an iterable of Tensors (e.g.
    ``model.parameters()``).
    """
    op = "l2_penalty"
    if isinstance(weight_decay, bool) or not isinstance(weight_decay, numbers.Real) or weight_decay < 0:
        raise ValueError(f"{op}: weight_decay must be a number ≥ 0, got {weight_decay!r}")
    if isinstance(params, Tensor):
        params = [params]
    total = None
    for i, prm in enumerate(params):
        if not isinstance(prm, Tensor):
            raise TypeError(f"{op}: params must be Tensors, got a {type(prm).__name__} at position {i}")
        sq = (prm * prm).sum()
        total = sq if total is None else total + sq
    if total is None:
        raise ValueError(f"{op}: no parameters given (an empty iterable; a generator such as model.parameters() "
                         "can be used only once)")
    return total * (0.5 * float(weight_decay))
