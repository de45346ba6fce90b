"""Pooling: finite differences on tie-free inputs (overlapping windows, strides, padding), hand-built
expectations at constructed ties for the three tie rules, one-sided derivatives, and validation."""

import itertools

import numpy as np
import pytest

from microgradnet.closed_form import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward
from microgradnet.closed_form._fd import numeric_grads


def _distinct(shape, seed):
    """Values 0.01 apart at least, in random order: no ties, and ε = 1e-6 never changes an arg-max."""
    r = np.random.default_rng(seed)
    return r.permutation(np.arange(np.prod(shape))).reshape(shape) * 0.01 - 1.0, r


@pytest.mark.parametrize("kernel,stride,padding", [
    (k, s, p) for k, s, p in itertools.product([2, 3, (2, 3)], [1, 2, 3], [0, 1])
])
def test_max_pool_finite_differences(kernel, stride, padding):
    x, r = _distinct((2, 3, 7, 8), seed=10 * stride + padding + 100 * len(str(kernel)))
    kw = dict(kernel_size=kernel, stride=stride, padding=padding)
    g = r.standard_normal(max_pool2d(x, **kw).shape)
    num = numeric_grads(max_pool2d, (x,), (0,), g, kw)[0]
    for tie in ("all", "first", "split"):  # away from ties all three are the derivative
        np.testing.assert_allclose(max_pool2d_backward(x, g, tie=tie, **kw).dx, num, rtol=1e-7, atol=1e-8)


def test_max_pool_forward_literal():
    x, _ = _distinct((1, 2, 5, 6), seed=1)
    y = max_pool2d(x, kernel_size=(3, 2), stride=(2, 1))
    for c, i, j in itertools.product(range(2), range(2), range(5)):
        assert y[0, c, i, j] == x[0, c, 2 * i:2 * i + 3, j:j + 2].max()


def test_single_window_tie_rules_by_hand():
    x = np.array([[[[1.0, 3.0], [3.0, 2.0]]]])
    g = np.array([[[[5.0]]]])
    kw = dict(kernel_size=2, stride=2)
    np.testing.assert_array_equal(max_pool2d_backward(x, g, tie="all", **kw).dx, [[[[0, 5], [5, 0]]]])
    np.testing.assert_array_equal(max_pool2d_backward(x, g, tie="first", **kw).dx, [[[[0, 5], [0, 0]]]])
    np.testing.assert_array_equal(max_pool2d_backward(x, g, tie="split", **kw).dx, [[[[0, 2.5], [2.5, 0]]]])


def test_overlapping_windows_with_ties_accumulate():
    x = np.array([[1.0, 4.0, 4.0],
                  [4.0, 0.0, 2.0],
                  [0.0, 1.0, 4.0]])[None, None]
    g = np.array([[1.0, 2.0], [3.0, 4.0]])[None, None]
    kw = dict(kernel_size=2, stride=1)
    np.testing.assert_array_equal(max_pool2d(x, **kw)[0, 0], [[4, 4], [4, 4]])
    # windows: (0,0) ties at (0,1),(1,0); (0,1) ties at (0,1),(0,2); (1,0) max at (1,0); (1,1) max at (2,2)
    all_ = [[0, 1 + 2, 2], [1 + 3, 0, 0], [0, 0, 4]]
    first = [[0, 1 + 2, 0], [3, 0, 0], [0, 0, 4]]
    split = [[0, 0.5 + 1, 1], [0.5 + 3, 0, 0], [0, 0, 4]]
    for tie, want in (("all", all_), ("first", first), ("split", split)):
        np.testing.assert_array_equal(max_pool2d_backward(x, g, tie=tie, **kw).dx[0, 0], want)


def test_one_sided_derivatives_at_a_tie():
    """At a tie the max is not differentiable: raising one tied entry raises y (right partial = g), lowering
    it does not (left partial = 0). 'first' and 'split' lie between, and their directional derivative along
    "raise every tied entry" equals the true one (g); 'all' (CSC 249) overshoots it (2g)."""
    x = np.array([[[[1.0, 3.0], [3.0, 2.0]]]])
    g, eps = 5.0, 1e-7
    kw = dict(kernel_size=2, stride=2)
    f = lambda z: g * max_pool2d(z, **kw).item()  # noqa: E731
    for idx in [(0, 0, 0, 1), (0, 0, 1, 0)]:
        up, down = x.copy(), x.copy()
        up[idx] += eps
        down[idx] -= eps
        assert (f(up) - f(x)) / eps == pytest.approx(g)
        assert (f(x) - f(down)) / eps == pytest.approx(0.0)
        for tie in ("first", "split"):
            d = max_pool2d_backward(x, np.array([[[[g]]]]), tie=tie, **kw).dx[idx]
            assert 0.0 <= d <= g
    v = np.zeros_like(x)
    v[0, 0, 0, 1] = v[0, 0, 1, 0] = 1.0
    directional = (f(x + eps * v) - f(x)) / eps
    assert directional == pytest.approx(g)
    for tie, along_v in (("first", g), ("split", g), ("all", 2 * g)):
        assert (max_pool2d_backward(x, np.array([[[[g]]]]), tie=tie, **kw).dx * v).sum() == along_v


def test_padding_is_minus_infinity_and_never_receives_gradient():
    x = -np.ones((1, 1, 2, 2)) * np.array([[1.0, 2.0], [3.0, 4.0]])  # all negative
    y = max_pool2d(x, kernel_size=2, stride=1, padding=1)
    assert y.shape == (1, 1, 3, 3) and y[0, 0, 0, 0] == -1.0  # corner window sees only x[0,0] and padding
    dx = max_pool2d_backward(x, np.ones_like(y), kernel_size=2, stride=1, padding=1).dx
    np.testing.assert_array_equal(dx[0, 0], [[4, 2], [2, 1]])


def test_unbatched_input():
    x, r = _distinct((2, 5, 5), seed=3)
    g = r.standard_normal((2, 2, 2))
    np.testing.assert_array_equal(max_pool2d_backward(x, g, kernel_size=2).dx,
                                  max_pool2d_backward(x[None], g[None], kernel_size=2).dx[0])


@pytest.mark.parametrize("kernel,stride,padding,include", [
    (3, 1, 1, True), (3, 2, 1, False), ((2, 3), (1, 2), (1, 0), True), ((2, 3), 3, (0, 1), False)
])
def test_avg_pool_finite_differences(kernel, stride, padding, include):
    r = np.random.default_rng(5)
    x = r.standard_normal((2, 2, 6, 7))
    kw = dict(kernel_size=kernel, stride=stride, padding=padding, count_include_pad=include)
    g = r.standard_normal(avg_pool2d(x, **kw).shape)
    num = numeric_grads(avg_pool2d, (x,), (0,), g, kw)[0]
    np.testing.assert_allclose(avg_pool2d_backward(x, g, **kw).dx, num, rtol=1e-7, atol=1e-8)


def test_avg_pool_count_include_pad_by_hand():
    x = np.ones((1, 1, 2, 2))
    kw = dict(kernel_size=2, stride=1, padding=1)
    want = [[0.25, 0.5, 0.25], [0.5, 1, 0.5], [0.25, 0.5, 0.25]]  # padding counts as zeros in D = 4
    np.testing.assert_allclose(avg_pool2d(x, **kw)[0, 0], want)
    np.testing.assert_allclose(avg_pool2d(x, count_include_pad=False, **kw)[0, 0], np.ones((3, 3)))


@pytest.mark.parametrize("call,match", [
    (lambda: max_pool2d(np.ones((1, 1, 4, 4)), kernel_size=2, padding=2),
     r"padding \(2, 2\) must be at most half"),
    (lambda: max_pool2d(np.ones((1, 1, 2, 5)), kernel_size=3), r"window \(3, 3\) does not fit .* height 2"),
    (lambda: max_pool2d(np.full((1, 1, 2, 2), np.nan), kernel_size=2), r"max_pool2d: x contains NaN"),
    (lambda: max_pool2d_backward(np.ones((1, 1, 2, 2)), np.ones((1, 1, 1, 1)), kernel_size=2, tie="max"),
     r"tie must be one of \('all', 'first', 'split'\)"),
    (lambda: max_pool2d_backward(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)), kernel_size=2),
     r"g has shape \(1, 1, 3, 3\), expected \(1, 1, 2, 2\)"),
    (lambda: avg_pool2d(np.ones((4, 4)), kernel_size=2), r"avg_pool2d: x must be"),
])
def test_pool_validation(call, match):
    with pytest.raises(ValueError, match=match):
        call()
