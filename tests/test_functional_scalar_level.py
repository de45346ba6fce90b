"""The same layer code at tensor level and at scalar level (one Value per scalar op) gives equal outputs and
gradients: conv2d (stride 2, padding 1), max_pool2d (every tie rule, on ties), avg_pool2d, batch_norm, linear,
cross_entropy, softmax, prelu, dropout."""

from __future__ import annotations

import numpy as np
import pytest

import microgradnet as mg
import microgradnet.functional as F
from microgradnet import Tensor, Value


def both_levels(f, arrays, seed=0):
    rng = np.random.default_rng(seed)
    ts = [Tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
    y = f(*ts)
    g = rng.standard_normal(y.shape)
    y.backward(g if y.data.size > 1 else None)
    ss = [Tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
    with mg.scalar_level({f"in{i}": s for i, s in enumerate(ss)}):
        ys = f(*ss)
    assert ys._values is not None and all(isinstance(v, Value) for v in ys._values[1].flat)
    np.testing.assert_allclose(ys.data, y.data, rtol=1e-12, atol=1e-13)
    ys.backward(g if y.data.size > 1 else None)
    for t, s in zip(ts, ss):
        np.testing.assert_allclose(s.grad, t.grad, rtol=1e-10, atol=1e-12)
    return ys


def test_conv2d_stride2_padding1(rng):
    x, w, b = rng.standard_normal((1, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3)), rng.standard_normal(3)
    ys = both_levels(lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1), (x, w, b))
    assert ys.shape == (1, 3, 3, 3)


def test_conv2d_dilation_non_square(rng):
    x, w = rng.standard_normal((2, 1, 5, 6)), rng.standard_normal((2, 1, 2, 3))
    both_levels(lambda x, w: F.conv2d(x, w, stride=(1, 2), dilation=(2, 1)), (x, w))


def test_grouped_conv2d_and_ceil_mode_pooling(rng):
    x, w, b = rng.standard_normal((1, 4, 4, 4)), rng.standard_normal((4, 2, 3, 3)), rng.standard_normal(4)
    both_levels(lambda x, w, b: F.max_pool2d(F.conv2d(x, w, b, padding=1, groups=2), 3, 2, ceil_mode=True),
                (x, w, b))


@pytest.mark.parametrize("tie", ["first", "split", "all"])
def test_max_pool2d_with_ties_and_overlap(tie):
    x = np.array([[[[5.0, 5.0, 1.0, 2.0], [5.0, 5.0, 1.0, 2.0], [1.0, 1.0, 3.0, 3.0], [0.0, 2.0, 3.0, 3.0]]]])
    both_levels(lambda x: F.max_pool2d(x, 2, stride=1, tie=tie), (x,))
    both_levels(lambda x: F.max_pool2d(x, 3, stride=2, padding=1, tie=tie), (x,))


def test_avg_pool2d(rng):
    both_levels(lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False), (rng.standard_normal((1, 2, 5, 4)),))


def test_batch_norm_training(rng):
    x, g, b = rng.standard_normal((4, 2, 2, 2)), rng.standard_normal(2), rng.standard_normal(2)
    both_levels(lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True), (x, g, b))


def test_batch_norm_updates_running_stats_equally_at_scalar_level(rng):
    x = rng.standard_normal((4, 3))
    rm1, rv1, rm2, rv2 = np.zeros(3), np.ones(3), np.zeros(3), np.ones(3)
    F.batch_norm(Tensor(x, requires_grad=True), rm1, rv1, training=True)
    with mg.scalar_level():
        F.batch_norm(Tensor(x, requires_grad=True), rm2, rv2, training=True)
    np.testing.assert_allclose(rm2, rm1, rtol=1e-14)
    np.testing.assert_allclose(rv2, rv1, rtol=1e-14)


def test_linear_and_cross_entropy(rng):
    x, w, b = rng.standard_normal((3, 4)), rng.standard_normal((5, 4)), rng.standard_normal(5)
    y = np.array([0, 4, 2])
    ys = both_levels(lambda x, w, b: F.cross_entropy(F.linear(x, w, b), y), (x, w, b))
    assert ys.shape == ()


def test_cross_entropy_extreme_logits_at_scalar_level():
    s = np.array([[1000.0, -1000.0, 0.0], [3.0, 1000.0, 999.0]])
    ys = both_levels(lambda s: F.cross_entropy(s, np.array([1, 2])), (s,))
    assert np.isfinite(ys.item())


def test_softmax_prelu_leaky_tanh_sigmoid(rng):
    x, a = rng.standard_normal((2, 3, 2)), rng.standard_normal(3)
    both_levels(lambda x: F.softmax(x, 1), (x,))
    both_levels(lambda x, a: F.prelu(x, a), (x, a))
    both_levels(lambda x: F.tanh(F.leaky_relu(x, 0.2)) + F.sigmoid(x), (x,))


def test_losses(rng):
    s, y = rng.standard_normal((3, 4)), np.array([1, 0, 3])
    both_levels(lambda s: F.multi_margin_loss(s, y), (s,))
    q = rng.uniform(0, 1, (3, 4))
    both_levels(lambda s: F.binary_cross_entropy_with_logits(s, q), (s,))
    both_levels(lambda s: F.hinge_loss(s[:, 0], np.array([0, 1, 1])), (s,))
    both_levels(lambda s: F.mse_loss(s, np.ones((3, 4))), (s,))


def test_dropout_same_mask_at_both_levels(rng):
    x = rng.standard_normal((3, 5))
    both_levels(lambda x: F.dropout(x, 0.4, generator=np.random.default_rng(5)), (x,))
