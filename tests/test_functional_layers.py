"""functional: linear, conv2d, pooling, activations, pad, flatten — forward against numpy loops written here,
gradients by microgradnet.gradcheck (central differences in float64) over a sweep, tie rules against hand-built
gradients, hand-worked numbers from the EN4553 handout."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import microgradnet as mg
import microgradnet.functional as F
from microgradnet import Tensor


def T(a):
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def check(f, *arrays, atol=1e-6, rtol=1e-5):
    rep = mg.gradcheck(f, *[T(a) for a in arrays], atol=atol, rtol=rtol)
    assert rep.passed, str(rep)
    assert not [w for w in rep.warnings if "kink" in w], rep.warnings


# ---------------------------------------------------------------------------------------------------- references
def conv_ref(x, w, b, stride, padding, dilation):
    """y[n,f,i,j] = b[f] + Σ_c Σ_m Σ_q xp[n, c, i·sh + m·dh, j·sw + q·dw] · w[f, c, m, q], by loops."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    n, c, h, wd = xp.shape
    f, _, kh, kw = w.shape
    oh = (h - dh * (kh - 1) - 1) // sh + 1
    ow = (wd - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((n, f, oh, ow))
    for a, k, i, j in itertools.product(range(n), range(f), range(oh), range(ow)):
        acc = 0.0 if b is None else b[k]
        for ch, m, q in itertools.product(range(c), range(kh), range(kw)):
            acc += xp[a, ch, i * sh + m * dh, j * sw + q * dw] * w[k, ch, m, q]
        y[a, k, i, j] = acc
    return y


def pool_ref(x, k, s, p, d, kind, count_include_pad=True):
    """Max (padding = −inf) or average (padding = 0) pooling by loops."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = k, s, p, d
    n, c, h, w = x.shape
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((n, c, oh, ow))
    for a, ch, i, j in itertools.product(range(n), range(c), range(oh), range(ow)):
        vals, real = [], 0
        for m, q in itertools.product(range(kh), range(kw)):
            r, cc = i * sh + m * dh - ph, j * sw + q * dw - pw
            inside = 0 <= r < h and 0 <= cc < w
            real += inside
            vals.append(x[a, ch, r, cc] if inside else (-np.inf if kind == "max" else 0.0))
        if kind == "max":
            y[a, ch, i, j] = max(vals)
        else:
            y[a, ch, i, j] = sum(vals) / (kh * kw if count_include_pad else real)
    return y


# ---------------------------------------------------------------------------------------------------- linear
def test_linear_matches_y_equals_Wx_plus_b_per_example(rng):
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((5, 3)), rng.standard_normal(5)
    y = F.linear(T(x), T(w), T(b))
    expected = np.array([w @ x[i] + b for i in range(4)])  # CSC 249 HW2 P2, one example at a time
    np.testing.assert_allclose(y.data, expected, rtol=1e-12)
    check(lambda x, w, b: F.linear(x, w, b), x, w, b)


def test_linear_gradients_are_the_homework_formulas(rng):
    # EECS 498 HW1 §1.1 / CSC 249 HW2 P2: ∂L/∂W = gᵀx, ∂L/∂b = Σ g, ∂L/∂x = g W
    x, w, b, g = (rng.standard_normal(s) for s in ((4, 3), (5, 3), (5,), (4, 5)))
    tx, tw, tb = T(x), T(w), T(b)
    F.linear(tx, tw, tb).backward(g)
    np.testing.assert_allclose(tw.grad, g.T @ x, rtol=1e-12)
    np.testing.assert_allclose(tb.grad, g.sum(0), rtol=1e-12)
    np.testing.assert_allclose(tx.grad, g @ w, rtol=1e-12)


def test_linear_batched_leading_dims_and_no_bias(rng):
    x, w = rng.standard_normal((2, 3, 4)), rng.standard_normal((6, 4))
    y = F.linear(T(x), T(w))
    np.testing.assert_allclose(y.data, np.einsum("abk,ok->abo", x, w), rtol=1e-12)
    check(lambda x, w: F.linear(x, w), x, w)


def test_linear_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"linear: input of shape \(2, 3\).*weight of shape \(4, 5\).*in_features = 5"):
        F.linear(T(np.ones((2, 3))), T(np.ones((4, 5))))
    with pytest.raises(ValueError, match=r"linear: bias must have shape \(4,\)"):
        F.linear(T(np.ones((2, 5))), T(np.ones((4, 5))), T(np.ones(3)))
    with pytest.raises(ValueError, match="linear: weight must be 2-D"):
        F.linear(T(np.ones((2, 5))), T(np.ones(5)))


# ---------------------------------------------------------------------------------------------------- conv2d
CONV_SWEEP = [
    # (N, C, H, W), (F, kH, kW), stride, padding, dilation
    ((2, 2, 6, 5), (3, 3, 3), (1, 1), (0, 0), (1, 1)),
    ((1, 3, 7, 7), (2, 3, 2), (2, 2), (1, 1), (1, 1)),
    ((2, 1, 8, 6), (2, 2, 3), (3, 3), (2, 2), (1, 1)),
    ((1, 2, 7, 8), (2, 3, 3), (2, 1), (1, 2), (2, 1)),
    ((2, 2, 5, 5), (1, 1, 1), (1, 1), (0, 0), (1, 1)),
    ((1, 1, 6, 6), (2, 3, 3), (3, 2), (0, 1), (1, 2)),
    ((1, 2, 9, 7), (3, 4, 2), (1, 3), (2, 0), (2, 2)),
]


@pytest.mark.parametrize("xs, ws, stride, padding, dilation", CONV_SWEEP)
def test_conv2d_forward_matches_loops_and_gradcheck(rng, xs, ws, stride, padding, dilation):
    x = rng.standard_normal(xs)
    w = rng.standard_normal((ws[0], xs[1], ws[1], ws[2]))
    b = rng.standard_normal(ws[0])
    y = F.conv2d(T(x), T(w), T(b), stride, padding, dilation)
    np.testing.assert_allclose(y.data, conv_ref(x, w, b, stride, padding, dilation), rtol=1e-11, atol=1e-12)
    check(lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation), x, w, b)


@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("padding", [0, 1, 2])
def test_conv2d_stride_padding_grid_forward(rng, stride, padding):
    x, w, b = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((2, 3, 3, 2)), rng.standard_normal(2)
    y = F.conv2d(x, w, b, stride=stride, padding=padding)
    np.testing.assert_allclose(y.data, conv_ref(x, w, b, (stride,) * 2, (padding,) * 2, (1, 1)), rtol=1e-11,
                               atol=1e-12)


def test_conv2d_stride2_padding1_gradcheck_and_weight_grad_is_sum_of_g_times_windows(rng):
    x, w, b = rng.standard_normal((2, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3)), rng.standard_normal(3)
    check(lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1), x, w, b)
    tx, tw, tb = T(x), T(w), T(b)
    y = F.conv2d(tx, tw, tb, stride=2, padding=1)
    g = rng.standard_normal(y.shape)
    y.backward(g)
    # CSC 249 HW2 P3: ∂L/∂W_k(t,m,n) = Σ_{i,j} g(k,i,j) x(t, i·s + m, j·s + n), ∂L/∂b_k = Σ g(k,·,·)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    dw = np.zeros_like(w)
    for k, t, m, q in itertools.product(range(3), range(2), range(3), range(3)):
        dw[k, t, m, q] = sum(g[a, k, i, j] * xp[a, t, 2 * i + m, 2 * j + q]
                             for a in range(2) for i in range(3) for j in range(3))
    np.testing.assert_allclose(tw.grad, dw, rtol=1e-11)
    np.testing.assert_allclose(tb.grad, g.sum((0, 2, 3)), rtol=1e-12)


def test_conv2d_unbatched_same_and_valid_padding(rng):
    x, w = rng.standard_normal((2, 6, 5)), rng.standard_normal((3, 2, 3, 2))
    y = F.conv2d(x, w, padding="same")
    assert y.shape == (3, 6, 5)
    # 'same' with an even kernel width pads (0 left, 1 right), as PyTorch
    xp = np.pad(x[None], ((0, 0), (0, 0), (1, 1), (0, 1)))
    np.testing.assert_allclose(y.data, conv_ref(xp, w, None, (1, 1), (0, 0), (1, 1))[0], rtol=1e-11)
    np.testing.assert_allclose(F.conv2d(x, w, padding="valid").data, conv_ref(x[None], w, None, (1, 1), (0, 0),
                                                                                (1, 1))[0], rtol=1e-11)
    check(lambda x, w: F.conv2d(x, w, padding="same", dilation=(2, 1)), x, w)


GROUP_SWEEP = [
    # (N, C, H, W), (F, kH, kW), stride, padding, dilation, groups
    ((2, 4, 6, 5), (6, 3, 3), (1, 1), (1, 1), (1, 1), 2),
    ((1, 3, 7, 6), (3, 3, 2), (2, 1), (1, 0), (1, 2), 3),   # depthwise
    ((2, 6, 5, 5), (3, 2, 2), (1, 1), (0, 1), (2, 1), 3),
    ((1, 4, 6, 6), (8, 1, 3), (1, 2), (2, 1), (1, 1), 4),   # depthwise with multiplier 2
]


@pytest.mark.parametrize("xs, ws, stride, padding, dilation, groups", GROUP_SWEEP)
def test_grouped_conv2d_is_one_conv_per_group_and_gradchecks(rng, xs, ws, stride, padding, dilation, groups):
    cg, fg = xs[1] // groups, ws[0] // groups
    x, w, b = rng.standard_normal(xs), rng.standard_normal((ws[0], cg, ws[1], ws[2])), rng.standard_normal(ws[0])
    y = F.conv2d(T(x), T(w), T(b), stride, padding, dilation, groups)
    want = np.concatenate([conv_ref(x[:, k * cg:(k + 1) * cg], w[k * fg:(k + 1) * fg], b[k * fg:(k + 1) * fg],
                                    stride, padding, dilation) for k in range(groups)], axis=1)
    np.testing.assert_allclose(y.data, want, rtol=1e-11, atol=1e-12)
    check(lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups), x, w, b)


@pytest.mark.parametrize("xs, ws, padding, dilation, groups", [
    ((2, 3, 6, 5), (4, 3, 3), (1, 1), (1, 1), 1),
    ((1, 2, 7, 8), (3, 2, 4), (2, 0), (2, 1), 1),
    ((2, 4, 5, 6), (4, 3, 2), "same", (1, 2), 2),
    ((2, 2, 5, 6), (3, 3, 2), "same", (1, 1), 1),    # pads (0 left, 1 right)
    ((3, 1, 4, 4), (2, 1, 1), (0, 0), (1, 1), 1),
    ((3, 2, 5, 6), (3, 2, 3), "same", (1, 1), 1),    # pads (0 top, 1 bottom)
    ((2, 2, 6, 5), (2, 2, 2), "same", (3, 1), 1),    # pads (1 top, 2 bottom), dilated rows
    ((2, 3, 1, 7), (2, 3, 3), 1, (1, 1), 1),          # one-row images: the kernel is taller than an image
    ((1, 2, 5, 6), (2, 3, 3), (1, 3), (1, 1), 1),    # padding wider than the kernel
])
def test_a_batch_gets_each_images_gradient_bit_for_bit(rng, xs, ws, padding, dilation, groups):
    """A stride-1 batch's ∂L/∂x goes through kernels.fold's whole-run adds (a batch is ≥ 4,096 window cells);
    image by image (a toy input) it goes through the textbook loop. Every cell gets the same additions in the same
    order, so ∂L/∂x agrees to the last bit; ∂L/∂W and the outputs to rounding (the batch is one product)."""
    reps = 64
    x = np.concatenate([rng.standard_normal((1,) + xs[1:])] * reps)  # one image, many times
    w = rng.standard_normal((ws[0], xs[1] // groups, ws[1], ws[2]))
    b = rng.standard_normal(ws[0])

    def run(xa):
        tx, tw, tb = T(xa), T(w), T(b)
        y = F.conv2d(tx, tw, tb, 1, padding, dilation, groups)
        y.backward(np.random.default_rng(5).standard_normal(y.shape[1:])[None].repeat(len(xa), 0))
        return y.data, tx.grad, tw.grad, tb.grad

    whole = run(x)
    one = run(x[:1])
    np.testing.assert_array_equal(whole[1][:1], one[1])
    np.testing.assert_allclose(whole[0][:1], one[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(whole[2], one[2] * reps, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(whole[3], one[3] * reps, rtol=1e-10, atol=1e-10)


def test_conv_draws_the_same_textbook_graph_at_every_input_size(rng):
    ops = lambda y: [n._op for n in mg.toposort(y) if n._prev]  # noqa: E731
    w = T(rng.standard_normal((4, 3, 3, 3)))
    small = F.conv2d(T(rng.standard_normal((1, 3, 8, 8))), w, padding=1)
    x = rng.standard_normal((16, 3, 16, 16))
    big = F.conv2d(T(x), w, padding=1)
    assert ops(small) == ops(big) == ["pad", "window", "transpose", "reshape", "reshape", "matmul", "reshape",
                                      "transpose"]
    np.testing.assert_allclose(big.data[:2], conv_ref(x[:2], w.data, None, (1, 1), (1, 1), (1, 1)), rtol=1e-11,
                               atol=1e-12)


def test_conv2d_float32_stays_float32(rng):
    x = Tensor(rng.standard_normal((1, 2, 5, 5)).astype(np.float32), requires_grad=True)
    w = Tensor(rng.standard_normal((3, 2, 3, 3)).astype(np.float32), requires_grad=True)
    y = F.conv2d(x, w, padding=1)
    assert y.dtype == np.float32
    y.backward(np.ones(y.shape, np.float32))
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32
    np.testing.assert_allclose(y.data, conv_ref(x.data.astype(np.float64), w.data.astype(np.float64), None,
                                                (1, 1), (1, 1), (1, 1)), rtol=1e-5, atol=1e-5)


def test_conv2d_errors():
    x = np.ones((1, 3, 4, 4))
    with pytest.raises(ValueError, match=r"conv2d: input of shape \(1, 3, 4, 4\) has 3 channels but weight of "
                                         r"shape \(2, 2, 3, 3\) expects 2"):
        F.conv2d(x, np.ones((2, 2, 3, 3)))
    with pytest.raises(ValueError, match=r"conv2d: the 7×7 kernel .* larger than the padded input 6×6"):
        F.conv2d(x, np.ones((2, 3, 7, 7)), padding=1)
    with pytest.raises(ValueError, match=r"conv2d: the 3×3 kernel \(dilation \(3, 3\), spanning 7×7\)"):
        F.conv2d(x, np.ones((2, 3, 3, 3)), dilation=3)
    with pytest.raises(ValueError, match=r"conv2d: groups=2 must divide both the input channels \(3, input shape "
                                         r"\(1, 3, 4, 4\)\) and the output channels \(4"):
        F.conv2d(x, np.ones((4, 1, 3, 3)), groups=2)
    with pytest.raises(ValueError, match=r"conv2d: input of shape \(1, 3, 4, 4\) has 3 channels but weight of shape "
                                         r"\(3, 2, 3, 3\) expects 6 .*groups=3"):
        F.conv2d(x, np.ones((3, 2, 3, 3)), groups=3)
    with pytest.raises(ValueError, match=r"conv2d: groups must be a positive int, got 0"):
        F.conv2d(x, np.ones((3, 1, 3, 3)), groups=0)
    with pytest.raises(ValueError, match=r"conv2d: expected a 4-D input \(N, C, H, W\) or a 3-D input.*\(4, 4\)"):
        F.conv2d(np.ones((4, 4)), np.ones((1, 1, 2, 2)))
    with pytest.raises(ValueError, match="conv2d: stride must be ≥ 1"):
        F.conv2d(x, np.ones((2, 3, 3, 3)), stride=0)
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        F.conv2d(x, np.ones((2, 3, 3, 3)), stride=2, padding="same")
    with pytest.raises(ValueError, match=r"conv2d: bias must have shape \(2,\)"):
        F.conv2d(x, np.ones((2, 3, 3, 3)), np.ones(3))


# ---------------------------------------------------------------------------------------------------- pooling
POOL_SWEEP = [
    # kernel, stride, padding, dilation
    ((2, 2), None, (0, 0), (1, 1)),
    ((3, 3), (1, 1), (1, 1), (1, 1)),     # overlapping windows, padded
    ((3, 2), (2, 1), (1, 1), (1, 1)),     # non-square, overlapping
    ((2, 3), (3, 2), (0, 1), (2, 1)),     # dilation, stride 3
    ((3, 3), (2, 2), (1, 0), (1, 1)),
]


@pytest.mark.parametrize("k, s, p, d", POOL_SWEEP)
def test_max_pool2d_forward_matches_loops_and_gradcheck(rng, k, s, p, d):
    x = rng.standard_normal((2, 2, 7, 6))
    y = F.max_pool2d(T(x), k, s, p, d)
    np.testing.assert_array_equal(y.data, pool_ref(x, k, s or k, p, d, "max"))
    for tie in ("first", "split", "all"):  # no ties in random data: all three rules are the derivative
        check(lambda x, tie=tie: F.max_pool2d(x, k, s, p, d, tie=tie), x)


@pytest.mark.parametrize("k, s, p", [((2, 2), None, (0, 0)), ((3, 3), (1, 1), (1, 1)), ((3, 2), (2, 1), (1, 1)),
                                     ((2, 3), (2, 3), (1, 0))])
@pytest.mark.parametrize("include", [True, False])
def test_avg_pool2d_forward_matches_loops_and_gradcheck(rng, k, s, p, include):
    x = rng.standard_normal((2, 2, 6, 7))
    y = F.avg_pool2d(T(x), k, s, p, count_include_pad=include)
    np.testing.assert_allclose(y.data, pool_ref(x, k, s or k, p, (1, 1), "avg", include), rtol=1e-12)
    check(lambda x: F.avg_pool2d(x, k, s, p, count_include_pad=include), x)


def test_avg_pool2d_divisor_override(rng):
    x = rng.standard_normal((1, 1, 4, 4))
    y = F.avg_pool2d(x, 2, divisor_override=3)
    np.testing.assert_allclose(y.data, pool_ref(x, (2, 2), (2, 2), (0, 0), (1, 1), "avg") * 4 / 3, rtol=1e-12)


def _tie_grad(tie):
    # 3×3 input, 2×2 windows at stride 1: four overlapping windows, ties inside and across them
    x = T(np.array([[[[5.0, 5.0, 1.0], [5.0, 5.0, 1.0], [1.0, 1.0, 1.0]]]]))
    y = F.max_pool2d(x, 2, stride=1, tie=tie)
    np.testing.assert_array_equal(y.data, [[[[5.0, 5.0], [5.0, 5.0]]]])
    y.backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    return x.grad[0, 0]


def test_max_pool2d_tie_first_is_pytorchs_first_maximum():
    # window (0,0) → x00; (0,1) → x01 (first of x01, x11); (1,0) → x10; (1,1) → x11 (its only maximum)
    np.testing.assert_array_equal(_tie_grad("first"), [[1, 2, 0], [3, 4, 0], [0, 0, 0]])


def test_max_pool2d_tie_all_is_the_csc249_rule():
    # every position attaining its window's maximum gets the window's full gradient; overlaps add:
    # x00: 1; x01: 1 + 2; x10: 1 + 3; x11: 1 + 2 + 3 + 4
    np.testing.assert_array_equal(_tie_grad("all"), [[1, 3, 0], [4, 10, 0], [0, 0, 0]])


def test_max_pool2d_tie_split_shares_evenly():
    # (0,0) splits 1 over four, (0,1) splits 2 over two, (1,0) splits 3 over two, (1,1) gives 4 to x11
    np.testing.assert_allclose(_tie_grad("split"), [[0.25, 1.25, 0], [1.75, 6.75, 0], [0, 0, 0]])


def test_max_pool2d_padding_never_wins_even_against_negative_inputs():
    x = T(-np.arange(1.0, 5.0).reshape(1, 1, 2, 2))  # all negative: zero padding would win
    y = F.max_pool2d(x, 2, stride=1, padding=1)
    np.testing.assert_array_equal(y.data[0, 0], [[-1, -1, -2], [-1, -1, -2], [-3, -3, -4]])
    y.backward(np.ones(y.shape))
    np.testing.assert_array_equal(x.grad[0, 0], [[4, 2], [2, 1]])
    with mg.detect_anomaly():  # no infinity on the tape
        F.max_pool2d(x, 2, stride=1, padding=1).backward(np.ones((1, 1, 3, 3)))


def test_max_pool2d_unbatched(rng):
    x = rng.standard_normal((3, 4, 4))
    np.testing.assert_array_equal(F.max_pool2d(x, 2).data, pool_ref(x[None], (2, 2), (2, 2), (0, 0), (1, 1),
                                                                     "max")[0])


def test_pooling_errors():
    x = np.ones((1, 2, 3, 3))
    with pytest.raises(ValueError, match=r"max_pool2d: the 4×4 window \(dilation \(1, 1\)\) does not fit in the "
                                         r"padded input 3×3 \(input shape \(1, 2, 3, 3\)"):
        F.max_pool2d(x, 4)
    with pytest.raises(ValueError, match="max_pool2d: padding .* at most half the window"):
        F.max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match="max_pool2d: tie must be 'first', 'split' or 'all', got 'last'"):
        F.max_pool2d(x, 2, tie="last")
    with pytest.raises(ValueError, match=r"avg_pool2d: expected a 4-D input .* got shape \(3, 3\)"):
        F.avg_pool2d(np.ones((3, 3)), 2)
    with pytest.raises(ValueError, match="avg_pool2d: the 5×2 window"):
        F.avg_pool2d(x, (5, 2))
    with pytest.raises(ValueError, match="avg_pool2d: divisor_override must be a positive int"):
        F.avg_pool2d(x, 2, divisor_override=0)


# ---------------------------------------------------------------------------------------------------- EN4553 A2 Q1
def test_en4553_toy_network_by_hand():
    # The handout's recipe for X (index 180577X: digits 1 8 0 5 7 7 → 1 8 0.5 5 7 7.1, the next six negated, the last
    # row the first negated), Maxpool 2×2 stride 2 → LRelu (0.1) → Dense w = [1, 2, 10, 4], ∂L/∂y = 2.
    X = T([[1, 8, 0.5, 5], [7, 7.1, -1, -8], [-0.5, -5, -7, -7.1], [-1, -8, -0.5, -5]])
    W = T([[1.0, 2.0, 10.0, 4.0]])
    U = F.max_pool2d(X.reshape(1, 1, 4, 4), 2)
    np.testing.assert_array_equal(U.data[0, 0], [[8, 5], [-0.5, -0.5]])
    V = F.leaky_relu(U, 0.1)
    np.testing.assert_allclose(V.data[0, 0], [[8, 5], [-0.05, -0.05]])
    y = F.linear(V.reshape(1, 4), W)
    assert y.item() == pytest.approx(8 + 2 * 5 + 10 * -0.05 + 4 * -0.05)  # 17.3
    y.backward(np.array([[2.0]]))
    # ∂L/∂V = 2w = [2, 4, 20, 8]; through LRelu: [2, 4, 2, 0.8]; through the pool to each window's maximum
    expected = np.zeros((4, 4))
    expected[0, 1], expected[0, 3], expected[2, 0], expected[3, 2] = 2, 4, 2, 0.8
    np.testing.assert_allclose(X.grad, expected)
    np.testing.assert_allclose(W.grad, [[16, 10, -0.1, -0.1]])


def test_en4553_prelu_alpha_gradient_by_hand():
    # Q1(d): ∂L/∂α = Σ over u ≤ 0 of (∂L/∂v)·u; with U = [[2, −1], [−3, 4]] and ∂L/∂V = [[2, −2.5], [1.5, 3]]:
    # (−2.5)(−1) + (1.5)(−3) = −2
    U = T([[[[2.0, -1.0], [-3.0, 4.0]]]])
    alpha = T([0.2])
    V = F.prelu(U, alpha)
    np.testing.assert_allclose(V.data[0, 0], [[2, -0.2], [-0.6, 4]])
    V.backward(np.array([[[[2.0, -2.5], [1.5, 3.0]]]]))
    np.testing.assert_allclose(alpha.grad, [-2.0])
    np.testing.assert_allclose(U.grad[0, 0], [[2, -0.5], [0.3, 3]])


# ---------------------------------------------------------------------------------------------------- activations
def test_activations_forward_and_gradcheck(rng):
    x = rng.standard_normal((3, 4)) + 0.05  # off the kink at 0
    np.testing.assert_allclose(F.relu(x).data, np.maximum(x, 0))
    np.testing.assert_allclose(F.leaky_relu(x, 0.2).data, np.where(x > 0, x, 0.2 * x))
    np.testing.assert_allclose(F.tanh(x).data, np.tanh(x))
    np.testing.assert_allclose(F.sigmoid(x).data, 1 / (1 + np.exp(-x)), rtol=1e-14)
    for f in (F.relu, lambda t: F.leaky_relu(t, 0.2), F.tanh, F.sigmoid, F.softplus):
        check(f, x)


def test_relu_and_leaky_relu_derivative_at_zero():
    x = T([0.0, 0.0])
    F.relu(x).backward(np.ones(2))
    np.testing.assert_array_equal(x.grad, [0, 0])
    x = T([0.0])
    F.leaky_relu(x, 0.3).backward(np.ones(1))
    np.testing.assert_allclose(x.grad, [0.3])


def test_prelu_per_channel_and_single_slope(rng):
    x, a = rng.standard_normal((2, 3, 4)), np.array([0.1, 0.2, 0.3])
    y = F.prelu(T(x), T(a))
    np.testing.assert_allclose(y.data, np.where(x > 0, x, a[None, :, None] * x))
    check(lambda x, a: F.prelu(x, a), x, a)
    check(lambda x, a: F.prelu(x, a), x, np.array([0.25]))
    with pytest.raises(ValueError, match=r"prelu: weight has 2 slopes but the input of shape \(2, 3, 4\) has 3"):
        F.prelu(x, np.ones(2))


def test_softplus_is_stable_and_exact_at_zero():
    x = T([-1000.0, -30.0, 0.0, 30.0, 1000.0])
    y = F.softplus(x)
    # log(1 + e^(−|x|)) without a log1p primitive: exact to an ABSOLUTE 1e-15 (not relative) for large |x|; above
    # PyTorch's threshold (x > 20) softplus is x itself, with derivative 1
    np.testing.assert_allclose(y.data, [0.0, np.log1p(np.exp(-30.0)), np.log(2.0), 30.0, 1000.0], rtol=1e-15,
                               atol=1e-15)
    assert np.all(np.isfinite(y.data))
    y.backward(np.ones(5))
    sig = np.where(x.data > 20, 1.0, np.exp(-np.logaddexp(0.0, -x.data)))
    np.testing.assert_allclose(x.grad, sig, rtol=1e-15, atol=1e-15)  # σ(x), to an absolute 1e-15
    assert x.grad[2] == 0.5  # exactly ½ at the kink of |x|


# ---------------------------------------------------------------------------------------------------- pad, flatten
@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_modes_match_numpy_and_gradcheck(rng, mode):
    x = rng.standard_normal((2, 3, 4))
    y = F.pad(T(x), (1, 2, 2, 1), mode=mode)
    np_mode = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    np.testing.assert_array_equal(y.data, np.pad(x, ((0, 0), (2, 1), (1, 2)), mode=np_mode))
    check(lambda t: F.pad(t, (1, 2, 2, 1), mode=mode), x)


def test_pad_constant_value_and_errors(rng):
    x = rng.standard_normal((2, 2))
    y = F.pad(T(x), (1, 0, 0, 2), value=-3.0)
    np.testing.assert_array_equal(y.data, np.pad(x, ((0, 2), (1, 0)), constant_values=-3.0))
    check(lambda t: F.pad(t, (1, 0, 0, 2), value=-3.0), x)
    with pytest.raises(ValueError, match="pad: reflect padding \\(2, 0\\) must be smaller than the size 2"):
        F.pad(x, (2, 0), mode="reflect")
    with pytest.raises(ValueError, match="pad: pad \\(1, 1, 1\\) must have an even length"):
        F.pad(x, (1, 1, 1))
    with pytest.raises(ValueError, match="pad: mode must be one of"):
        F.pad(x, (1, 1), mode="symmetric")
    with pytest.raises(ValueError, match="non-negative in mode 'reflect'"):
        F.pad(x, (-1, 1), mode="reflect")
    # a negative width crops (as PyTorch): drop the first column, add one zero column on the right
    y = F.pad(T(x), (-1, 1))
    np.testing.assert_array_equal(y.data, np.pad(x[:, 1:], ((0, 0), (0, 1))))
    check(lambda t: F.pad(t, (-1, 1, 1, -1)), x)
    with pytest.raises(ValueError, match="crops more than"):
        F.pad(x, (-2, -1))


def test_flatten(rng):
    x = rng.standard_normal((2, 3, 4, 5))
    assert F.flatten(x).shape == (120,)
    assert F.flatten(x, 1).shape == (2, 60)
    assert F.flatten(x, 1, 2).shape == (2, 12, 5)
    np.testing.assert_array_equal(F.flatten(x, 1).data, x.reshape(2, 60))
    with pytest.raises(ValueError, match="flatten: start_dim 5 is out of range"):
        F.flatten(x, 5)
