"""Shape layers: ``flatten`` and ``pad`` (PyTorch's argument order)."""

from __future__ import annotations

import numpy as np

from ..tensor import pad as _pad0
from ..tensor import where
from ._checks import _tensor
from .calls import layer


@layer
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
    backwards. In ``'constant'`` mode a negative width crops that many cells from that side (as PyTorch).

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
    if mode not in PAD_MODES:
        raise ValueError(f"{op}: mode must be one of {PAD_MODES}, got {mode!r}")
    if any(v < 0 for v in pads) and mode != "constant":
        raise ValueError(f"{op}: pad {tuple(pads)} must be non-negative in mode {mode!r} (negative widths crop only "
                         "in mode='constant')")
    widths = [(0, 0)] * x.ndim
    for i in range(len(pads) // 2):
        widths[x.ndim - 1 - i] = (pads[2 * i], pads[2 * i + 1])
    if any(b < 0 or a < 0 for b, a in widths):  # crop first (a slice: rule getitem), then pad what is positive
        crop = tuple(slice(max(-b, 0), n - max(-a, 0)) for n, (b, a) in zip(x.shape, widths))
        if any(c.stop < c.start for c in crop):
            raise ValueError(f"{op}: pad {tuple(pads)} crops more than the input's shape {x.shape} holds")
        x = x[crop]
        widths = [(max(b, 0), max(a, 0)) for b, a in widths]
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
