"""functional: batch_norm (train/eval, running statistics by hand, the closed-form backward) and dropout
(inverted, seeded, identity in evaluation)."""

from __future__ import annotations

import numpy as np
import pytest

import microgradnet as mg
import microgradnet.functional as F
from microgradnet import Tensor


def T(a):
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


# ---------------------------------------------------------------------------------------------------- batch norm
def test_batch_norm_training_normalises_with_the_biased_variance(rng):
    x = rng.standard_normal((6, 3, 2, 2)) * 3 + 1
    g, b = rng.standard_normal(3), rng.standard_normal(3)
    y = F.batch_norm(x, None, None, g, b, training=True, eps=1e-5)
    mu = x.mean((0, 2, 3), keepdims=True)
    var = x.var((0, 2, 3), keepdims=True)  # numpy's default ddof=0: biased
    ref = (x - mu) / np.sqrt(var + 1e-5) * g[None, :, None, None] + b[None, :, None, None]
    np.testing.assert_allclose(y.data, ref, rtol=1e-12, atol=1e-12)


def test_batch_norm_running_stats_after_two_steps_by_hand():
    rm, rv = np.zeros(2), np.ones(2)
    # step 1: channel 0 = (1, 3, 5, 7): mean 4, unbiased var 20/3; channel 1 = (2, 4, 6, 8): mean 5, 20/3
    F.batch_norm(np.array([[1.0, 2], [3, 4], [5, 6], [7, 8]]), rm, rv, training=True, momentum=0.1)
    np.testing.assert_allclose(rm, [0.4, 0.5])
    np.testing.assert_allclose(rv, [0.9 + 0.1 * 20 / 3] * 2)
    # step 2: channel 0 = (0, 0, 2, 2): mean 1, unbiased var 4/3; channel 1 = (1, 1, 1, 5): mean 2, var 12/3 = 4
    F.batch_norm(np.array([[0.0, 1], [0, 1], [2, 1], [2, 5]]), rm, rv, training=True, momentum=0.1)
    np.testing.assert_allclose(rm, [0.9 * 0.4 + 0.1 * 1, 0.9 * 0.5 + 0.1 * 2])  # 0.46, 0.65
    np.testing.assert_allclose(rv, [0.9 * (0.9 + 2 / 3) + 0.1 * 4 / 3, 0.9 * (0.9 + 2 / 3) + 0.1 * 4])  # 1.54333, 1.81


def test_batch_norm_momentum_is_the_weight_of_the_new_batch():
    rm, rv = np.array([10.0]), np.array([1.0])
    F.batch_norm(np.array([[0.0], [2.0]]), rm, rv, training=True, momentum=0.75)
    np.testing.assert_allclose(rm, [0.25 * 10 + 0.75 * 1])
    np.testing.assert_allclose(rv, [0.25 * 1 + 0.75 * 2])  # unbiased variance of (0, 2) is 2


def test_batch_norm_eval_uses_running_stats_and_is_affine(rng):
    x = rng.standard_normal((4, 3))
    rm, rv, g, b = np.array([0.5, -1.0, 2.0]), np.array([1.5, 0.5, 4.0]), rng.standard_normal(3), \
        rng.standard_normal(3)
    tx, tg, tb = T(x), T(g), T(b)
    y = F.batch_norm(tx, rm, rv, tg, tb, training=False, eps=1e-3)
    ref = (x - rm) / np.sqrt(rv + 1e-3) * g + b
    np.testing.assert_allclose(y.data, ref, rtol=1e-13)
    gy = rng.standard_normal((4, 3))
    y.backward(gy)
    np.testing.assert_allclose(tx.grad, gy * g / np.sqrt(rv + 1e-3), rtol=1e-13)
    np.testing.assert_allclose(tg.grad, (gy * (x - rm) / np.sqrt(rv + 1e-3)).sum(0), rtol=1e-13)
    np.testing.assert_allclose(tb.grad, gy.sum(0), rtol=1e-13)
    np.testing.assert_array_equal(rm, [0.5, -1.0, 2.0])  # evaluation never changes the statistics


def test_batch_norm_training_backward_matches_the_compact_closed_form(rng):
    # ∂L/∂x_i = γ/(m√(σ²+ε)) (m g_i − Σ_j g_j − x̂_i Σ_j g_j x̂_j), per channel (m values each)
    x, g, gy = rng.standard_normal((5, 2)), rng.standard_normal(2), rng.standard_normal((5, 2))
    tx, tg, tb = T(x), T(g), T(np.zeros(2))
    F.batch_norm(tx, None, None, tg, tb, training=True, eps=1e-5).backward(gy)
    mu, var = x.mean(0), x.var(0)
    xhat = (x - mu) / np.sqrt(var + 1e-5)
    dx = g / (5 * np.sqrt(var + 1e-5)) * (5 * gy - gy.sum(0) - xhat * (gy * xhat).sum(0))
    np.testing.assert_allclose(tx.grad, dx, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(tg.grad, (gy * xhat).sum(0), rtol=1e-12)
    np.testing.assert_allclose(tb.grad, gy.sum(0), rtol=1e-12)


@pytest.mark.parametrize("shape", [(5, 3), (4, 2, 3), (3, 2, 3, 2)])
def test_batch_norm_gradcheck(rng, shape):
    x = rng.standard_normal(shape)
    c = shape[1]
    rep = mg.gradcheck(lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True), T(x),
                       T(rng.standard_normal(c)), T(rng.standard_normal(c)), atol=1e-6, rtol=1e-5)
    assert rep.passed, str(rep)
    rep = mg.gradcheck(lambda x, g: F.batch_norm(x, np.zeros(c), np.ones(c) * 2, g, None, training=False),
                       T(x), T(rng.standard_normal(c)))
    assert rep.passed, str(rep)


def test_batch_norm_errors():
    with pytest.raises(ValueError, match=r"batch_norm: expected more than 1 value per channel when training, got "
                                         r"input shape \(1, 3\)"):
        F.batch_norm(np.ones((1, 3)), None, None, training=True)
    with pytest.raises(ValueError, match=r"batch_norm: running_mean must have shape \(3,\)"):
        F.batch_norm(np.ones((2, 3)), np.zeros(2), np.ones(2), training=True)
    with pytest.raises(ValueError, match="running_mean and running_var are needed in evaluation mode"):
        F.batch_norm(np.ones((2, 3)), None, None, training=False)
    with pytest.raises(ValueError, match=r"batch_norm: expected an input with a batch and a channel dimension"):
        F.batch_norm(np.ones(3), None, None, training=True)


# ---------------------------------------------------------------------------------------------------- dropout
def test_dropout_is_identity_in_eval(rng):
    x = T(rng.standard_normal((3, 4)))
    y = F.dropout(x, 0.7, training=False)
    np.testing.assert_array_equal(y.data, x.data)
    (y * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad, np.full((3, 4), 2.0))


def test_dropout_scales_kept_units_by_one_over_keep_probability(rng):
    x = T(rng.standard_normal((50, 40)) + 5.0)  # no zeros in x
    y = F.dropout(x, 0.25, generator=np.random.default_rng(3))
    kept = y.data != 0
    np.testing.assert_allclose(y.data[kept], x.data[kept] / 0.75, rtol=1e-15)
    y.backward(np.ones(y.shape))
    np.testing.assert_allclose(x.grad, kept / 0.75, rtol=1e-15)  # EECS 498 §1.3: g ⊙ M, scaled


def test_dropout_mask_has_mean_one():
    n, p = 400_000, 0.3
    y = F.dropout(np.ones(n), p, generator=np.random.default_rng(11))
    # E[M/(1 − p)] = 1; the standard error of the mean is √(p/(1 − p)/n) ≈ 1.0e-3
    assert abs(y.data.mean() - 1.0) < 5e-3
    assert abs((y.data == 0).mean() - p) < 5e-3


def test_dropout_is_reproducible_from_the_seed_and_draws_the_documented_mask():
    x = np.ones((6, 7))
    mg.manual_seed(42)
    a = F.dropout(x, 0.5).data
    mg.manual_seed(42)
    b = F.dropout(x, 0.5).data
    np.testing.assert_array_equal(a, b)
    c = F.dropout(x, 0.5).data  # the generator moved on
    assert not np.array_equal(a, c)
    mask = np.random.default_rng(9).random((6, 7)) >= 0.5  # kept where the uniform draw is ≥ p
    np.testing.assert_array_equal(F.dropout(x, 0.5, generator=np.random.default_rng(9)).data, mask / 0.5)


@pytest.mark.parametrize("p", [-0.1, 1.5, True])
def test_dropout_p_outside_0_1_is_refused(p):
    with pytest.raises(ValueError, match=r"dropout: p \(the drop probability\) must be in \[0, 1\]"):
        F.dropout(np.ones(3), p)


def test_dropout_p_one_drops_everything():
    # as PyTorch: zeros and a zero gradient (not 0/0)
    x = mg.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = F.dropout(x, 1.0)
    np.testing.assert_array_equal(y.data, [0.0, 0.0, 0.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0])
