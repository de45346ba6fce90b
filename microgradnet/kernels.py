"""Named numpy kernels the rule table calls when the plain one-liner is too slow (as PyTorch's ``derivatives.yaml``
calls named helpers). Each computes exactly what its docstring's formula says, bit for bit what the textbook
numpy expression gives; only the memory traffic differs. Nothing here knows a derivative: the rules in
:mod:`microgradnet.rules` decide what is computed, these functions decide how fast.

Object arrays (one ``Value`` per cell, at scalar level) take the plain numpy path everywhere.
"""

from __future__ import annotations

import numpy as np

SHORT_ROW = 64
"""Rows of at most this many cells are copied whole by :func:`assign`."""


def assign(dst, src):
    """``dst[...] = src`` for equal shapes. When the last axis is contiguous in both, short (an image row of a conv
    or a pool, 2 to ``SHORT_ROW`` cells) and not continued by the next row (a window's rows have gaps between
    them), each row is moved as one opaque item, so numpy's copy loop runs once over all rows instead of once per
    row. Rows that continue each other in both are left to numpy, which already copies them as one long run.
    Values are copied bit for bit."""
    n = src.shape[-1] if src.ndim > 1 else 0
    if (1 < n <= SHORT_ROW and dst.shape == src.shape and dst.dtype == src.dtype and src.dtype != object
            and src.strides[-1] == dst.strides[-1] == src.itemsize and src.size
            and not (src.strides[-2] == dst.strides[-2] == n * src.itemsize)):
        row = np.dtype((np.void, n * src.itemsize))
        dst.view(row)[..., 0] = src.view(row)[..., 0]
    else:
        dst[...] = src


def reshape(x, shape):
    """``np.reshape(x, shape)``; when that needs a copy (a permuted view, e.g. conv's windows laid out as
    columns), the copy is made with :func:`assign`, short rows moved whole."""
    if x.dtype == object or x.flags.c_contiguous:
        return np.reshape(x, shape)
    view = _reshaped_view(x, shape)
    if view is not None:
        return view
    out = np.empty(x.shape, dtype=x.dtype)
    assign(out, x)
    return out.reshape(shape)


def _reshaped_view(x, shape):
    """x with a new shape as a view, or None when that needs a copy. (Setting ``.shape`` on a view to find out, the
    older idiom, costs as much as the copy itself: numpy builds the copy before refusing.)"""
    try:
        return np.reshape(x, shape, copy=False)
    except ValueError:
        return None
    except TypeError:  # numpy 2.0 has no copy= on reshape
        out = x.view()
        try:
            out.shape = shape
        except AttributeError:
            return None
        return out


def box(index, shape):
    """The (start, stop) per axis when ``index`` is a box of unit-step slices (the slices of pad's backward and
    of a conv's output), else None."""
    items = index if isinstance(index, tuple) else (index,)
    if len(items) > len(shape) or not all(isinstance(i, slice) for i in items):
        return None
    out = []
    for i, n in zip(items + (slice(None),) * (len(shape) - len(items)), shape):
        a, b, step = i.indices(n)
        if step != 1 or b < a:
            return None
        out.append((a, b))
    return out


def embed(x, where, shape):
    """zeros(shape) with x in the box ``where``, writing each cell once: x into the box, zeros only around it."""
    z = np.empty(shape, dtype=x.dtype)
    assign(z[tuple(slice(a, b) for a, b in where)], x)
    for k, (a, b) in enumerate(where):
        inside = tuple(slice(a_, b_) for a_, b_ in where[:k])
        if a > 0:
            z[inside + (slice(0, a),)] = 0
        if b < shape[k]:
            z[inside + (slice(b, None),)] = 0
    return z


def is_basic_index(index) -> bool:
    """True when ``index`` uses only ints, slices, None and Ellipsis (no integer or boolean arrays)."""
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, np.integer, slice, type(None), type(Ellipsis))) for i in items)


def scatter_add(g, index, shape):
    """``z = zeros(shape); z[index] += g`` (repeated integer indices add up)."""
    where = box(index, shape) if g.dtype != object else None
    if where is not None:
        return embed(g, where, shape)
    z = np.zeros(shape, dtype=g.dtype)
    if is_basic_index(index):  # each cell picked at most once
        z[index] = g
    else:
        np.add.at(z, index, g)
    return z


def pad(x, pad_width):
    """``np.pad(x, pad_width)`` with zeros, each cell written once."""
    shape = tuple(n + b + a for n, (b, a) in zip(x.shape, pad_width))
    if x.dtype != object:
        return embed(x, [(b, b + n) for n, (b, _) in zip(x.shape, pad_width)], shape)
    out = np.zeros(shape, dtype=x.dtype)
    out[tuple(slice(b, b + n) for n, (b, _) in zip(x.shape, pad_width))] = x
    return out


def window_out(n, k, s, d):
    """How many windows of k cells, dilation d, stride s fit in n cells: ⌊(n − d(k − 1) − 1)/s⌋ + 1."""
    return (n - d * (k - 1) - 1) // s + 1


def windows(x, kernel, stride, dilation):
    """out[..., i, j, p, q] = x[..., i·s + p·d, j·s + q·d], as a read-only strided view (no copy)."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    h, w = x.shape[-2:]
    oh, ow = window_out(h, kh, sh, dh), window_out(w, kw, sw, dw)
    if x.dtype == object:
        rows = (np.arange(oh) * sh)[:, None] + (np.arange(kh) * dh)[None, :]
        cols = (np.arange(ow) * sw)[:, None] + (np.arange(kw) * dw)[None, :]
        return x[..., rows[:, None, :, None], cols[None, :, None, :]]
    st = x.strides
    return np.lib.stride_tricks.as_strided(
        x, x.shape[:-2] + (oh, ow, kh, kw), st[:-2] + (st[-2] * sh, st[-1] * sw, st[-2] * dh, st[-1] * dw),
        writeable=False)


def fold(g, size, kernel, stride, dilation):
    """z = zeros(size); z[..., i·s + p·d, j·s + q·d] += g[..., i, j, p, q]: overlapping windows added back."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    oh, ow = g.shape[-4:-2]
    if (sh, sw) == (1, 1) and g.dtype != object and kh * kw > 1 and g.size >= 1 << 12:  # a batch, not a toy
        return _fold_runs(g, size, kernel, dilation)
    z = np.zeros(g.shape[:-4] + tuple(size), dtype=g.dtype)
    for i in range(kh):
        for j in range(kw):
            z[..., i * dh: i * dh + sh * (oh - 1) + 1: sh, j * dw: j * dw + sw * (ow - 1) + 1: sw] += g[..., i, j]
    return z


def _fold_runs(g, size, kernel, dilation):
    """fold for stride 1, adding whole runs instead of short rows. All images are one flat run of cells; window
    shift (p, q) is the offset p·d_h·W + q·d_w into it. Each shift's gradient is first placed on the image grid (a
    buffer whose cells outside the OH×OW corner stay 0), then added as ONE run at its offset: a zero that lands in
    the next image's top rows or past the end changes nothing (x + 0 = x; the sum starts at +0, so no −0 is lost).
    The leading axes (batch, channel) are laid out in g's own memory order (after a conv's matmul that is channel
    first), so the placing reads g in order; the result is returned row-major. Each cell receives the same
    additions in the same order as the textbook loop."""
    (kh, kw), (dh, dw) = kernel, dilation
    oh, ow = g.shape[-4:-2]
    nl = g.ndim - 4
    order = sorted(range(nl), key=lambda a: -g.strides[a])  # g's leading axes, outermost in memory first
    g = g.transpose(tuple(order) + tuple(range(nl, nl + 4)))
    lead = g.shape[:nl]
    hp, wp = size
    cells = int(np.prod(lead, dtype=np.int64)) * hp * wp
    buf = np.zeros(cells + (kh - 1) * dh * wp + (kw - 1) * dw, dtype=g.dtype)
    grid = np.zeros(lead + (hp, wp), dtype=g.dtype)  # one shift's gradient on the image grid
    run = grid.reshape(-1)
    corner = grid[..., :oh, :ow]
    for i in range(kh):
        for j in range(kw):
            assign(corner, g[..., i, j])
            o = i * dh * wp + j * dw
            buf[o:o + cells] += run
    z = buf[:cells].reshape(lead + (hp, wp)).transpose(tuple(np.argsort(order).tolist()) + (nl, nl + 1))
    return np.ascontiguousarray(z)


def first_maximum(mask, axis):
    """One-hot weights (mask's shape, float ``dtype`` of the caller's choosing via ``astype``) marking the FIRST
    True of ``mask`` along ``axis`` (a tuple of axes, or None for all) in row-major order; a slice with no True
    marks its first cell (as argmax of an all-False slice gives)."""
    if axis is not None and len(axis) == 1 and mask.shape[axis[0]] <= 64:
        return _first_along(mask, axis[0])
    if axis is not None and len(axis) == 1:  # max(dim) over a long axis: no transposes
        (ax,) = axis
        first = np.expand_dims(mask.argmax(axis=ax), ax)
        shape = [1] * mask.ndim
        shape[ax] = mask.shape[ax]
        return np.arange(mask.shape[ax]).reshape(shape) == first
    axes = tuple(range(mask.ndim)) if axis is None else axis
    rest = tuple(i for i in range(mask.ndim) if i not in axes)
    perm = rest + tuple(axes)
    moved = mask.transpose(perm)
    flat = moved.reshape(moved.shape[: len(rest)] + (-1,))
    onehot = np.zeros(flat.shape, dtype=bool)
    np.put_along_axis(onehot, flat.argmax(axis=-1)[..., None], True, axis=-1)
    return onehot.reshape(moved.shape).transpose(np.argsort(perm))


def _first_along(mask, ax):
    """first_maximum along one short axis (a pooling window's cells), one slice at a time: ~4× faster than argmax
    over a non-last axis, which numpy does by copying the array transposed."""
    w = np.empty(mask.shape, dtype=bool)
    taken = np.zeros(mask.shape[:ax] + (1,) + mask.shape[ax + 1:], dtype=bool)
    for i in range(mask.shape[ax]):
        sl = (slice(None),) * ax + (slice(i, i + 1),)
        hit = mask[sl] & ~taken
        taken |= hit
        w[sl] = hit
    if not taken.all():
        first = w[(slice(None),) * ax + (slice(0, 1),)]
        first[~taken] = True
    return w


def matmul(a, b):
    """``a @ b``. A long reduction into a small result (conv's and a big batch's weight gradient, g @ colsᵀ) runs
    up to 2× faster in OpenBLAS as (bᵀ aᵀ)ᵀ; the small result then comes out column-major, which costs nothing."""
    if a.ndim == 2 and b.ndim == 2 and a.shape[1] > 8 * max(a.shape[0], b.shape[1]) and a.dtype != object:
        return np.matmul(b.T, a.T).T
    return np.matmul(a, b)


def column_major(x) -> bool:
    """A 2-D array stored column-major (a transposed view, e.g. ``W.T``)."""
    return x.ndim == 2 and x.flags.f_contiguous and not x.flags.c_contiguous
