"""Softmax family and the other losses: p − t, stability for logits up to ±1000, label handling, the
per-datum vs mean conventions, and validation."""

import numpy as np
import pytest

from microgradnet.closed_form import (
    cross_entropy,
    cross_entropy_backward,
    hinge_loss,
    hinge_loss_backward,
    log_softmax,
    log_softmax_backward,
    logistic_loss,
    logistic_loss_backward,
    mse_loss,
    mse_loss_backward,
    multi_margin_loss,
    multi_margin_loss_backward,
    nll_loss,
    nll_loss_backward,
    softmax,
    softmax_backward,
    weight_decay,
    weight_decay_backward,
)
from microgradnet.closed_form._fd import numeric_grads

rng = np.random.default_rng(21)


def test_csc249_p1_single_example_p_minus_one_at_gt():
    y = np.array([1.0, 2.0, 0.5, -1.0])
    p = np.exp(y) / np.exp(y).sum()
    assert cross_entropy(y, 1) == pytest.approx(-np.log(p[1]))
    want = p.copy()
    want[1] -= 1.0  # ∂L/∂y_i = p_i − 1 for i = gt, p_i otherwise
    np.testing.assert_allclose(cross_entropy_backward(y, 1).dscores, want, rtol=1e-12)


def test_cs4670_one_hot_target_form():
    s = rng.standard_normal((3, 4))
    t = np.eye(4)[[1, 0, 3]]
    labels = np.array([1, 0, 3])
    assert cross_entropy(s, t) == pytest.approx(cross_entropy(s, labels))
    np.testing.assert_allclose(cross_entropy_backward(s, t).dscores, (softmax(s) - t) / 3)
    soft = np.array([[0.5, 0.5, 0, 0], [0, 0, 0.2, 0.8], [0.25] * 4])
    np.testing.assert_allclose(cross_entropy_backward(s, soft).dscores,
                               numeric_grads(cross_entropy, (s, soft), (0,), 1.0)[0], atol=1e-8)


@pytest.mark.parametrize("scale", [1.0, 100.0, 1000.0])
def test_large_logits_do_not_overflow(scale):
    s = np.array([[1.0, -1.0, 0.5], [-1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]) * scale
    labels = np.array([0, 0, 2])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        p = softmax(s)
        L = cross_entropy(s, labels)
        d = cross_entropy_backward(s, labels).dscores
        ls = log_softmax(s)
        dsm = softmax_backward(s, np.ones_like(s)).dz
    assert np.isfinite(p).all() and np.isfinite(L) and np.isfinite(d).all() and np.isfinite(ls).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(dsm, 0.0, atol=1e-12)  # softmax sums to 1, so ⟨1, ∂p⟩ = 0
    if scale == 1000.0:
        # row 0: label 0 is the max → loss ≈ 0; row 1: label 0 is 2000 below the max (twice) → ≈ 2000 + log 2
        want = (0.0 + (2000.0 + np.log(2.0)) + np.log(3.0)) / 3
        assert L == pytest.approx(want, rel=1e-12)
        np.testing.assert_allclose(d[1], [-1 / 3, 1 / 6, 1 / 6], atol=1e-15)


def test_softmax_shift_invariance_and_jvp():
    z = rng.standard_normal((2, 5))
    np.testing.assert_allclose(softmax(z), softmax(z - z.max(axis=1, keepdims=True)))
    g = rng.standard_normal(z.shape)
    p = softmax(z)
    J = np.stack([np.diag(pi) - np.outer(pi, pi) for pi in p])  # ∂p_k/∂z_i = p_k(δ_ki − p_i)
    np.testing.assert_allclose(softmax_backward(z, g).dz, np.einsum("nki,nk->ni", J, g))
    np.testing.assert_allclose(softmax_backward(z.T, g.T, axis=0).dz, softmax_backward(z, g).dz.T)
    np.testing.assert_allclose(log_softmax_backward(z, g).dz, numeric_grads(log_softmax, (z,), (0,), g)[0],
                               atol=1e-8)


def test_nll_on_log_probabilities():
    logp = log_softmax(rng.standard_normal((4, 3)))
    y = np.array([2, 0, 1, 1])
    assert nll_loss(logp, y) == pytest.approx(-logp[np.arange(4), y].mean())
    want = np.zeros((4, 3))
    want[np.arange(4), y] = -0.25
    np.testing.assert_array_equal(nll_loss_backward(logp, y).dlogp, want)
    assert nll_loss(logp, y) == pytest.approx(cross_entropy(logp, y))  # log_softmax is idempotent


def test_logistic_loss_stable_and_fd():
    s = np.array([-1000.0, -3.0, 0.0, 2.0, 1000.0])
    y = np.array([1, 0, 1, 1, 0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        L = logistic_loss(s, y)
        d = logistic_loss_backward(s, y).dscores
    want = np.mean([1000.0, np.log1p(np.exp(-3.0)), np.log(2.0), np.log1p(np.exp(-2.0)), 1000.0])
    assert L == pytest.approx(want, rel=1e-12)
    np.testing.assert_allclose(d, (1 / (1 + np.exp(-np.clip(s, -50, 50))) - y) / 5, atol=1e-15)
    s2 = rng.standard_normal(6)
    y2 = np.array([0, 1, 1, 0, 0, 1])
    np.testing.assert_allclose(logistic_loss_backward(s2, y2, 0.3).dscores,
                               numeric_grads(logistic_loss, (s2, y2), (0,), 0.3)[0], atol=1e-9)


def test_hinge_loss_labels_and_kink():
    s = np.array([2.0, 0.5, -0.5, 1.0])
    y_pm = np.array([1, 1, -1, 1])
    y_01 = np.array([1, 1, 0, 1])
    # max(0, 1 − y s): 0, 0.5, 0.5, 0 (exactly at the hinge)
    assert hinge_loss(s, y_pm) == hinge_loss(s, y_01) == pytest.approx(1.0 / 4)
    np.testing.assert_array_equal(hinge_loss_backward(s, y_pm).dscores, [0, -0.25, 0.25, 0])  # kink → 0
    np.testing.assert_array_equal(hinge_loss_backward(s, y_01).dscores, [0, -0.25, 0.25, 0])
    with pytest.raises(ValueError, match="hinge_loss: labels mix 0 and -1"):
        hinge_loss(s, np.array([1, 0, -1, 1]))
    with pytest.raises(ValueError, match=r"labels must be in \{-1, \+1\} or \{0, 1\}"):
        hinge_loss(s, np.array([1, 2, -1, 1]))


def test_multi_margin_against_loops_and_torch_convention():
    s = rng.standard_normal((5, 4))
    y = np.array([0, 3, 1, 1, 2])
    L = sum(max(0.0, s[n, j] - s[n, y[n]] + 1.0) for n in range(5) for j in range(4) if j != y[n]) / 5
    assert multi_margin_loss(s, y) == pytest.approx(L)
    assert multi_margin_loss(s, y, divide_by_classes=True) == pytest.approx(L / 4)
    for kw in ({}, dict(divide_by_classes=True), dict(margin=0.3)):
        np.testing.assert_allclose(multi_margin_loss_backward(s, y, **kw).dscores,
                                   numeric_grads(multi_margin_loss, (s, y), (0,), 1.0, kw)[0], atol=1e-8)


def test_mse_conventions():
    y, t = np.array([1.0, 2.0, 4.0]), np.array([0.0, 2.0, 1.0])
    assert mse_loss(y, t) == pytest.approx(10 / 3)
    assert mse_loss(y, t, reduction="sum") == 10
    assert mse_loss(np.array(3.0), np.array(1.0), reduction="sum", half=True) == 2.0  # EN4553: ½(y − t)²
    np.testing.assert_allclose(mse_loss_backward(y, t).dy, 2 * (y - t) / 3)
    per_datum = mse_loss_backward(np.array(3.0), np.array(1.0), reduction="sum", half=True).dy
    np.testing.assert_allclose(per_datum, 2.0)  # ∂L/∂y = y − t
    for kw in (dict(reduction="mean"), dict(reduction="sum", half=True)):
        np.testing.assert_allclose(mse_loss_backward(y, t, 0.7, **kw).dy,
                                   numeric_grads(mse_loss, (y, t), (0,), 0.7, kw)[0], atol=1e-8)


def test_weight_decay():
    W = np.array([[1.0, -2.0], [3.0, 0.5]])
    assert weight_decay(W, lam=0.1) == pytest.approx(0.5 * 0.1 * 14.25)
    np.testing.assert_allclose(weight_decay_backward(W, lam=0.1).dW, 0.1 * W)
    np.testing.assert_allclose(weight_decay_backward(W, lam=0.1, half=False).dW, 0.2 * W)


Z23 = np.zeros((2, 3))


@pytest.mark.parametrize("call,match,exc", [
    (lambda: cross_entropy(Z23, np.array([0, 3])), r"labels must be in \[0, 3\)", ValueError),
    (lambda: cross_entropy(Z23, np.array([0, -1])), r"labels must be in \[0, 3\)", ValueError),
    (lambda: cross_entropy(Z23, np.array([0.0, 1.0])), r"labels must be integers", TypeError),
    (lambda: cross_entropy(Z23, np.array([0, 1, 2])), r"labels have shape \(3,\), expected \(2,\)",
     ValueError),
    (lambda: cross_entropy(np.zeros((1, 2)), np.array([[0.7, 0.7]])), r"sum to 1", ValueError),
    (lambda: cross_entropy_backward(np.zeros(3), 1, np.ones(2)), r"g \(∂L/∂loss\) must be a scalar",
     ValueError),
    (lambda: logistic_loss(np.zeros(3), np.array([0, 1, -1])), r"logistic_loss: labels must be 0 or 1",
     ValueError),
    (lambda: multi_margin_loss(Z23, np.array([5, 0])), r"labels must be in \[0, 3\)", ValueError),
    (lambda: mse_loss(np.zeros(3), np.zeros(2)), r"mse_loss: t has shape \(2,\), expected \(3,\)",
     ValueError),
    (lambda: mse_loss(np.zeros(3), np.zeros(3), reduction="avg"), r"reduction must be one of", ValueError),
])
def test_loss_validation(call, match, exc):
    with pytest.raises(exc, match=match):
        call()
