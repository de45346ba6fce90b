"""The speed kernels of :mod:`microgradnet.kernels` give, bit for bit, what the textbook numpy expression in their
docstrings gives, whatever the memory layout of their input (the rules call them; the numbers must not depend on
which path a kernel takes)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from microgradnet import kernels


def textbook_fold(g, size, kernel, stride, dilation):
    """z = zeros(size); z[..., i·s + p·d, j·s + q·d] += g[..., i, j, p, q], one window shift at a time."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    oh, ow = g.shape[-4:-2]
    z = np.zeros(g.shape[:-4] + tuple(size), dtype=g.dtype)
    for p in range(kh):
        for q in range(kw):
            z[..., p * dh: p * dh + sh * (oh - 1) + 1: sh, q * dw: q * dw + sw * (ow - 1) + 1: sw] += g[..., p, q]
    return z


def bits(a):
    return a.view(np.uint32 if a.dtype == np.float32 else np.uint64)


# (N, C), kernel, dilation, padded size, how g is laid out in memory (axes of the array g is a transposed view of)
FOLDS = [((64, 16), (3, 3), (1, 1), (18, 18), "conv"),      # a conv's ∂cols: channel-major, as matmul makes it
         ((64, 16), (3, 3), (1, 1), (18, 18), "plain"),     # (N, C, OH, OW, kH, kW) row-major
         ((8, 3), (5, 5), (1, 1), (32, 32), "conv"),
         ((16, 4), (3, 2), (2, 3), (20, 17), "shuffled"),   # dilated, non-square, leading axes in a random order
         ((1, 64), (3, 3), (1, 1), (9, 9), "conv"),         # one image, many channels
         ((32, 1), (2, 2), (1, 1), (12, 12), "shuffled")]


@pytest.mark.parametrize("lead, kernel, dilation, size, layout", FOLDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fold_adds_windows_back_bit_for_bit_in_any_layout(rng, lead, kernel, dilation, size, layout, dtype):
    oh = size[0] - dilation[0] * (kernel[0] - 1)
    ow = size[1] - dilation[1] * (kernel[1] - 1)
    logical = lead + (oh, ow) + kernel
    if layout == "plain":
        g = rng.standard_normal(logical).astype(dtype)
    elif layout == "conv":  # stored (C, kH, kW, N, OH, OW), seen as (N, C, OH, OW, kH, kW)
        g = rng.standard_normal((lead[1],) + kernel + (lead[0], oh, ow)).astype(dtype).transpose(3, 0, 4, 5, 1, 2)
    else:
        perm = rng.permutation(6)
        g = rng.standard_normal(tuple(logical[i] for i in perm)).astype(dtype).transpose(np.argsort(perm))
    g[(0,) * 6] = -0.0  # the textbook gives 0 + (−0) = +0 there, so the runs must too
    assert g.shape == logical and g.size >= 1 << 12  # big enough to take the whole-run path
    got = kernels.fold(g, size, kernel, (1, 1), dilation)
    want = textbook_fold(g, size, kernel, (1, 1), dilation)
    assert got.shape == want.shape and got.dtype == want.dtype and got.flags.c_contiguous
    np.testing.assert_array_equal(bits(got), bits(want))


def test_fold_with_a_stride_is_the_textbook_loop(rng):
    g = rng.standard_normal((4, 3, 7, 7, 3, 3))
    np.testing.assert_array_equal(kernels.fold(g, (15, 15), (3, 3), (2, 2), (1, 1)),
                                  textbook_fold(g, (15, 15), (3, 3), (2, 2), (1, 1)))


@pytest.mark.parametrize("n, c, h, k, p", [(64, 1, 28, 5, 2), (64, 16, 16, 3, 1), (5, 3, 9, 2, 0)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_reshape_copies_conv_columns_exactly(rng, n, c, h, k, p, dtype):
    """im2col: the windows view permuted to (C, kH, kW, N, OH, OW) and flattened to columns, as np.reshape does."""
    xp = rng.standard_normal((n, c, h + 2 * p, h + 2 * p)).astype(dtype)
    xp.flat[::7] = np.nan
    view = kernels.windows(xp, (k, k), (1, 1), (1, 1)).transpose(1, 4, 5, 0, 2, 3)
    shape = (c * k * k, -1)
    got = kernels.reshape(view, shape)
    want = np.reshape(view, shape)
    assert got.shape == want.shape and got.flags.c_contiguous
    np.testing.assert_array_equal(bits(got), bits(want))


@pytest.mark.parametrize("axes", list(itertools.permutations(range(4)))[::5])
def test_reshape_is_a_view_when_it_can_be_and_a_copy_when_it_must(rng, axes):
    base = rng.standard_normal((3, 4, 5, 6))
    x = base.transpose(axes)
    flat = kernels.reshape(x, (-1,))
    np.testing.assert_array_equal(flat, np.reshape(x, (-1,)))
    is_view = np.shares_memory(np.reshape(x, (-1,)), base)  # numpy returns a view whenever one exists
    assert np.shares_memory(flat, base) == is_view
    split = kernels.reshape(x, x.shape[:2] + (-1,))  # the last two axes merged: a view when they are in order
    np.testing.assert_array_equal(split, np.reshape(x, x.shape[:2] + (-1,)))


def test_assign_copies_rows_with_gaps_on_either_side(rng):
    src = rng.standard_normal((6, 10, 20)).astype(np.float32)[:, 1:9, 2:18]   # rows of 16 with gaps
    dst = np.full((6, 8, 16), np.nan, np.float32)
    kernels.assign(dst, src)
    np.testing.assert_array_equal(dst, src)
    wide = np.full((6, 8, 20), 7.0, np.float32)
    kernels.assign(wide[..., 2:18], dst)                                       # gaps only in the destination
    np.testing.assert_array_equal(wide[..., 2:18], src)
    assert (wide[..., :2] == 7).all() and (wide[..., 18:] == 7).all()
