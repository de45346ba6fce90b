"""Convolution: vectorised vs nested loops vs rotated-kernel backward over a stride/padding/dilation/kernel
sweep, finite differences, the CS 4670 flipped-kernel identities, the EECS 498 full/filt identities, the
Tsinghua 1×3×3 hint worked by hand, and input validation."""

import itertools

import numpy as np
import pytest

from microgradnet.closed_form import (
    conv2d,
    conv2d_backward,
    conv2d_backward_loops,
    conv2d_backward_via_flip,
    conv2d_chw,
    conv2d_chw_backward,
    conv2d_forward_loops,
    conv_filt,
    conv_filt_layer,
    conv_filt_layer_backward,
    conv_full,
    conv_full_layer,
    conv_full_layer_backward,
    flip2d,
    true_conv_same,
    true_conv_same_backward,
    true_conv_same_backward_direct,
)
from microgradnet.closed_form._fd import numeric_grads

SWEEP = list(itertools.product([1, 2, 3], [0, 1, 2], [(3, 2), (1, 3), (2, 2)]))


def _case(seed, N=2, C=2, K=3, H=7, W=8, k=(3, 2)):
    r = np.random.default_rng(seed)
    return r.standard_normal((N, C, H, W)), r.standard_normal((K, C) + k), r.standard_normal(K), r


@pytest.mark.parametrize("stride,padding,kernel", SWEEP)
def test_vectorised_equals_loops_and_rotated_kernel(stride, padding, kernel):
    x, w, b, r = _case(stride * 10 + padding, k=kernel)
    kw = dict(stride=stride, padding=padding)
    y = conv2d(x, w, b, **kw)
    np.testing.assert_allclose(y, conv2d_forward_loops(x, w, b, **kw), rtol=1e-12, atol=1e-12)
    g = r.standard_normal(y.shape)
    ref = conv2d_backward(x, w, b, g, **kw)
    for other in (conv2d_backward_loops(x, w, b, g, **kw), conv2d_backward_via_flip(x, w, b, g, **kw)):
        for a, c in zip(ref, other):
            np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("stride,padding,dilation",
                         [((2, 3), (1, 0), (2, 1)), (1, 2, 2), (3, (2, 1), (1, 3))])
def test_dilation_and_anisotropic_geometry(stride, padding, dilation):
    x, w, b, r = _case(5, H=9, W=10, k=(2, 3))
    kw = dict(stride=stride, padding=padding, dilation=dilation)
    y = conv2d(x, w, b, **kw)
    g = r.standard_normal(y.shape)
    ref = conv2d_backward(x, w, b, g, **kw)
    for other in (conv2d_backward_loops(x, w, b, g, **kw), conv2d_backward_via_flip(x, w, b, g, **kw)):
        for a, c in zip(ref, other):
            np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-12)
    for got, want in zip(ref, numeric_grads(conv2d, (x, w, b), (0, 1, 2), g, kw)):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("stride,padding", list(itertools.product([1, 2, 3], [0, 2])))
def test_conv2d_finite_differences(stride, padding):
    x, w, b, r = _case(100 + stride + padding, N=2, C=3, K=2, H=6, W=7, k=(3, 2))
    kw = dict(stride=stride, padding=padding)
    g = r.standard_normal(conv2d(x, w, b, **kw).shape)
    grads = conv2d_backward(x, w, b, g, **kw)
    for got, want in zip(grads, numeric_grads(conv2d, (x, w, b), (0, 1, 2), g, kw)):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_rows_no_window_reaches_get_zero_gradient():
    # H = 6, kernel 2, stride 3: windows cover rows {0,1} and {3,4}; rows 2 and 5 never enter the output.
    x, w, b, r = _case(1, N=1, C=1, K=1, H=6, W=6, k=(2, 2))
    g = np.ones((1, 1, 2, 2))
    for fn in (conv2d_backward, conv2d_backward_loops, conv2d_backward_via_flip):
        dx = fn(x, w, b, g, stride=3).dx
        np.testing.assert_array_equal(dx[0, 0, [2, 5], :], 0.0)
        np.testing.assert_array_equal(dx[0, 0, :, [2, 5]], 0.0)
        np.testing.assert_allclose(dx[0, 0, :2, :2], w[0, 0])


def test_unbatched_chw_input_and_no_bias():
    x, w, _, r = _case(2, N=1)
    y = conv2d(x[0], w, stride=2, padding=1)
    np.testing.assert_allclose(y, conv2d(x, w, stride=2, padding=1)[0])
    g = r.standard_normal(y.shape)
    r3 = conv2d_backward(x[0], w, None, g, stride=2, padding=1)
    r4 = conv2d_backward(x, w, None, g[None], stride=2, padding=1)
    assert r3.db is None and r3.dx.shape == x[0].shape
    np.testing.assert_allclose(r3.dx, r4.dx[0])
    np.testing.assert_allclose(r3.dw, r4.dw)


def test_conv2d_chw_hint_1x3x3_input_2x2_kernel_by_hand():
    z = np.arange(1.0, 10.0).reshape(1, 3, 3)        # [[1,2,3],[4,5,6],[7,8,9]]
    weight = np.array([[[[1.0, 0.0], [0.0, -1.0]]]])  # y = z[i,j] − z[i+1,j+1] + bias
    bias = np.array([0.5])
    np.testing.assert_array_equal(conv2d_chw(z, weight, bias), [[[-3.5, -3.5], [-3.5, -3.5]]])
    g = np.array([[[1.0, 2.0], [3.0, 4.0]]])
    r = conv2d_chw_backward(z, weight, bias, g)
    # dweight[m,n] = Σ_ij g[i,j] z[i+m, j+n]:
    #   (0,0) 1+4+12+20, (0,1) 2+6+15+24, (1,0) 4+10+21+32, (1,1) 5+12+24+36
    np.testing.assert_array_equal(r.dw, [[[[37.0, 47.0], [67.0, 77.0]]]])
    np.testing.assert_array_equal(r.db, [10.0])
    # dz = g placed at (i,j) times w[0,0]=1  plus  g placed at (i+1,j+1) times w[1,1]=−1
    np.testing.assert_array_equal(r.dx, [[[1.0, 2.0, 0.0], [3.0, 3.0, -2.0], [0.0, -3.0, -4.0]]])


@pytest.mark.parametrize("call,match", [
    (lambda: conv2d(np.ones((1, 3, 5, 5)), np.ones((2, 2, 3, 3))), r"conv2d: channel mismatch, x has C = 3"),
    (lambda: conv2d(np.ones((1, 1, 3, 3)), np.ones((1, 1, 4, 2))), r"kernel height 4 .* larger than the"),
    (lambda: conv2d(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), dilation=3), r"dilated extent 4"),
    (lambda: conv2d(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), stride=0), r"stride must be >= 1"),
    (lambda: conv2d(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), np.ones(2)), r"b has shape \(2,\)"),
    (lambda: conv2d(np.ones((3, 3)), np.ones((1, 1, 2, 2))), r"x must be \(N, C, H, W\) or \(C, H, W\)"),
    (lambda: conv2d_backward(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), None, np.ones((1, 1, 3, 3))),
     r"conv2d_backward: g has shape \(1, 1, 3, 3\), expected \(1, 1, 2, 2\)"),
    (lambda: conv2d_chw(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), np.ones(1)), r"z must be \(C_in"),
])
def test_conv_validation(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_stride_must_be_int():
    with pytest.raises(TypeError, match="conv2d: stride must be an int or a pair of ints"):
        conv2d(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), stride=1.5)


# --- CS 4670 PA5 A: true convolution, flipped kernels ----------------------------------------------------
def _true_conv_same_literal(x, w, lo):
    """Eq. (2) summed literally: y[e,f] = Σ_a Σ_b x[a,b] w[e−a, f−b] (zero where w is undefined)."""
    H, W = x.shape
    y = np.zeros_like(x)
    for e, f, a, b in itertools.product(range(H), range(W), range(H), range(W)):
        c, d = e - a - lo[0], f - b - lo[1]
        if 0 <= c < w.shape[0] and 0 <= d < w.shape[1]:
            y[e, f] += x[a, b] * w[c, d]
    return y


@pytest.mark.parametrize("x_shape,w_shape,origin", [((5, 6), (3, 3), None), ((6, 4), (2, 3), None),
                                                    ((4, 5), (3, 2), (0, 1)), ((3, 3), (5, 4), None)])
def test_true_conv_same_forward_and_flipped_kernel_identities(x_shape, w_shape, origin):
    r = np.random.default_rng(11)
    x, w = r.standard_normal(x_shape), r.standard_normal(w_shape)
    lo = (-(w_shape[0] // 2), -(w_shape[1] // 2)) if origin is None else (-origin[0], -origin[1])
    y = true_conv_same(x, w, w_origin=origin)
    np.testing.assert_allclose(y, _true_conv_same_literal(x, w, lo), rtol=1e-12, atol=1e-12)
    g = r.standard_normal(y.shape)
    flipped = true_conv_same_backward(x, w, g, w_origin=origin)
    direct = true_conv_same_backward_direct(x, w, g, w_origin=origin)
    for a, b in zip(flipped, direct):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    fwd = lambda x_, w_: true_conv_same(x_, w_, w_origin=origin)  # noqa: E731
    for got, want in zip(flipped, numeric_grads(fwd, (x, w), (0, 1), g)):
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-8)


def test_true_conv_same_backward_is_the_forward_with_flipped_kernel():
    # A.1 for an odd centred kernel: ∂L/∂x is literally true_conv_same(∂L/∂y, w[::-1, ::-1]).
    r = np.random.default_rng(12)
    x, w, g = r.standard_normal((6, 5)), r.standard_normal((3, 3)), r.standard_normal((6, 5))
    np.testing.assert_allclose(true_conv_same_backward(x, w, g).dx, true_conv_same(g, w[::-1, ::-1]), atol=1e-12)
    assert not np.allclose(true_conv_same_backward(x, w, g).dx, true_conv_same(g, w))


def test_flip2d_index_origin():
    a = np.arange(6.0).reshape(2, 3)  # a[i, j] for i ∈ {−1, 0}, j ∈ {0, 1, 2}
    at, lo = flip2d(a, (-1, 0))
    assert lo == (0, -2)
    # ã[i, j] = a[−i, −j]: ã[1, −2] = a[−1, 2] = A[0, 2]
    assert at[1 - lo[0], -2 - lo[1]] == a[0, 2]


# --- EECS 498 §1.5: *full and *filt ------------------------------------------------------------------------
def _full_1based(a, b):
    H, W = a.shape
    Hp, Wp = b.shape
    out = np.zeros((H + Hp - 1, W + Wp - 1))
    for i, j in itertools.product(range(1, H + Hp), range(1, W + Wp)):
        for m, n in itertools.product(range(1, H + 1), range(1, W + 1)):
            if 1 <= i - m + 1 <= Hp and 1 <= j - n + 1 <= Wp:
                out[i - 1, j - 1] += a[m - 1, n - 1] * b[i - m + 1 - 1, j - n + 1 - 1]
    return out


def _filt_1based(a, b):
    H, W = a.shape
    Hp, Wp = b.shape
    out = np.zeros((H - Hp + 1, W - Wp + 1))
    for i, j in itertools.product(range(1, H - Hp + 2), range(1, W - Wp + 2)):
        for m, n in itertools.product(range(1, Hp + 1), range(1, Wp + 1)):
            out[i - 1, j - 1] += a[i + m - 1 - 1, j + n - 1 - 1] * b[m - 1, n - 1]
    return out


def test_full_and_filt_match_the_handout_1based_definitions():
    r = np.random.default_rng(13)
    a, b = r.standard_normal((5, 4)), r.standard_normal((3, 2))
    np.testing.assert_allclose(conv_full(a, b), _full_1based(a, b), atol=1e-12)
    np.testing.assert_allclose(conv_filt(a, b), _filt_1based(a, b), atol=1e-12)
    # 1-row case: *full is numpy's full convolution, *filt is numpy's valid correlation
    np.testing.assert_allclose(conv_full(a[:1], b[:1])[0], np.convolve(a[0], b[0], "full"), atol=1e-12)
    np.testing.assert_allclose(conv_filt(a[:1], b[:1])[0], np.correlate(a[0], b[0], "valid"), atol=1e-12)


def test_full_layer_handout_statements_hold_for_the_full_forward():
    r = np.random.default_rng(14)
    X, W = r.standard_normal((2, 3, 5, 4)), r.standard_normal((2, 3, 3, 2))
    Y = conv_full_layer(X, W)
    assert Y.shape == (2, 2, 5 + 3 - 1, 4 + 2 - 1)
    g = r.standard_normal(Y.shape)
    grads = conv_full_layer_backward(X, W, g)
    for got, want in zip(grads, numeric_grads(conv_full_layer, (X, W), (0, 1), g)):
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-8)
    # the statements themselves, written out with conv_filt
    dX00 = sum(conv_filt(g[0, f], W[f, 0]) for f in range(2))
    dW10 = sum(conv_filt(g[n, 1], X[n, 0]) for n in range(2))
    np.testing.assert_allclose(grads.dX[0, 0], dX00)
    np.testing.assert_allclose(grads.dW[1, 0], dW10)


def test_filt_layer_reading_and_why_the_handout_statements_fail_there():
    r = np.random.default_rng(15)
    X, W = r.standard_normal((2, 2, 6, 5)), r.standard_normal((3, 2, 3, 2))
    Y = conv_filt_layer(X, W)
    assert Y.shape == (2, 3, 6 - 3 + 1, 5 - 2 + 1)  # the size the handout states, H'' = H − H' + 1
    np.testing.assert_allclose(Y, conv2d(X, W), atol=1e-12)  # = PyTorch-style cross-correlation
    g = r.standard_normal(Y.shape)
    grads = conv_filt_layer_backward(X, W, g)
    for got, want in zip(grads, numeric_grads(conv_filt_layer, (X, W), (0, 1), g)):
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-8)
    # ∂L/∂Y *filt W has size H'' − H' + 1 = 2 ≠ H = 6: the handout's statement cannot be the valid-forward rule
    assert conv_filt(g[0, 0], W[0, 0]).shape != X.shape[2:]


def test_conv_filt_rejects_a_kernel_larger_than_the_input():
    with pytest.raises(ValueError, match=r"conv_filt: b \(4, 2\) must fit inside a \(3, 3\)"):
        conv_filt(np.ones((3, 3)), np.ones((4, 2)))
