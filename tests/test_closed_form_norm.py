"""Batch norm: the standard layer (2-D and 4-D) and the EECS 498 §1.4 variant with its ∂μ/∂X_i and ∂σ/∂X_i."""

import numpy as np
import pytest

from microgradnet.closed_form import (
    batch_norm,
    batch_norm_backward,
    batch_norm_one_sigma,
    batch_norm_one_sigma_backward,
    batch_norm_one_sigma_dmu_dXi,
    batch_norm_one_sigma_dsigma_dXi,
)
from microgradnet.closed_form._fd import central_diff, numeric_grads


@pytest.mark.parametrize("shape", [(6, 4), (1, 3), (3, 2, 4, 5)])
def test_batch_norm_finite_differences(shape):
    rng = np.random.default_rng(len(shape))
    C = shape[1]
    x = rng.standard_normal(shape) * 3 + 1
    gamma, beta = rng.standard_normal(C), rng.standard_normal(C)
    g = rng.standard_normal(shape)
    got = batch_norm_backward(x, gamma, beta, g, eps=1e-3)
    num = numeric_grads(batch_norm, (x, gamma, beta), (0, 1, 2), g, dict(eps=1e-3))
    for a, b in zip(got, num):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_batch_norm_compact_form_equals_step_by_step_chain_rule():
    rng = np.random.default_rng(9)
    x, gamma, beta, g = rng.standard_normal((7, 3)), rng.standard_normal(3), rng.standard_normal(3), \
        rng.standard_normal((7, 3))
    eps, m = 1e-5, 7
    mu = x.mean(0)
    var = ((x - mu) ** 2).mean(0)  # biased
    dxhat = g * gamma
    dvar = (dxhat * (x - mu)).sum(0) * -0.5 * (var + eps) ** -1.5
    dmu = (-dxhat / np.sqrt(var + eps)).sum(0) + dvar * (-2 * (x - mu)).mean(0)
    dx = dxhat / np.sqrt(var + eps) + dvar * 2 * (x - mu) / m + dmu / m
    np.testing.assert_allclose(batch_norm_backward(x, gamma, beta, g, eps=eps).dx, dx, rtol=1e-10, atol=1e-12)


def test_batch_norm_uses_biased_variance():
    x = np.array([[0.0], [2.0]])  # mean 1, biased variance 1 (unbiased would be 2)
    np.testing.assert_allclose(batch_norm(x, np.ones(1), np.zeros(1), eps=0.0), [[-1.0], [1.0]])


def test_one_sigma_literal_sigma_is_one_scalar():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((5, 3)) * np.array([1.0, 10.0, 0.1])
    Y = batch_norm_one_sigma(X, eps=0.0)
    D = X - X.mean(0)
    np.testing.assert_allclose(Y, D / np.sqrt((D**2).sum()))  # one σ for the whole batch
    assert (Y**2).sum() == pytest.approx(1.0)
    Yp = batch_norm_one_sigma(X, eps=0.0, per_feature=True)
    np.testing.assert_allclose((Yp**2).sum(axis=0), np.ones(3))  # each feature column has unit norm


@pytest.mark.parametrize("per_feature", [False, True])
def test_one_sigma_partials_by_finite_differences(per_feature):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((4, 3))
    eps = 1e-3
    n, d = X.shape

    def mu_of(Xv):
        return Xv.mean(0)

    def sigma_of(Xv):
        D = Xv - Xv.mean(0)
        return np.sqrt((D**2).sum(0) + eps) if per_feature else np.sqrt((D**2).sum() + eps)

    for i in range(n):
        J_mu = np.zeros((d, d))
        J_sigma = np.zeros((d, d)) if per_feature else np.zeros(d)
        for out in range(d):
            def f_mu(row, out=out, i=i):
                Z = X.copy()
                Z[i] = row
                return mu_of(Z)[out]
            J_mu[out] = central_diff(f_mu, X[i])
        if per_feature:
            for out in range(d):
                def f_s(row, out=out, i=i):
                    Z = X.copy()
                    Z[i] = row
                    return sigma_of(Z)[out]
                J_sigma[out] = central_diff(f_s, X[i])
        else:
            def f_s(row, i=i):
                Z = X.copy()
                Z[i] = row
                return sigma_of(Z)
            J_sigma = central_diff(f_s, X[i])
        np.testing.assert_allclose(batch_norm_one_sigma_dmu_dXi(X, i), J_mu, atol=1e-9)
        J = batch_norm_one_sigma_dsigma_dXi(X, i, eps=eps, per_feature=per_feature)
        np.testing.assert_allclose(J, J_sigma, atol=1e-8)


@pytest.mark.parametrize("per_feature", [False, True])
def test_one_sigma_backward_finite_differences(per_feature):
    rng = np.random.default_rng(4)
    X, g = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    kw = dict(eps=1e-4, per_feature=per_feature)
    got = batch_norm_one_sigma_backward(X, g, **kw).dX
    num = numeric_grads(batch_norm_one_sigma, (X,), (0,), g, kw)[0]
    np.testing.assert_allclose(got, num, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("call,match", [
    (lambda: batch_norm(np.ones((3, 4)), np.ones(3), np.ones(4)),
     r"batch_norm: gamma has shape \(3,\), expected \(4,\)"),
    (lambda: batch_norm(np.ones(4), np.ones(4), np.ones(4)), r"x must be \(N, D\) or \(N, C, H, W\)"),
    (lambda: batch_norm_one_sigma(np.ones(3)), r"X must be a 2-D \(n, d\)"),
    (lambda: batch_norm_one_sigma_dsigma_dXi(np.ones((3, 2)), 3), r"i must be an int row index in \[0, 3\)"),
])
def test_norm_validation(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_eval_mode_forwards_use_the_fixed_statistics():
    from microgradnet.closed_form import (
        batch_norm_eval,
        batch_norm_one_sigma,
        batch_norm_one_sigma_eval,
        batch_norm_one_sigma_stats,
    )
    X = np.array([[1.0, 2.0], [3.0, -2.0], [5.0, 0.0]])
    mu, sigma = batch_norm_one_sigma_stats(X)
    # by hand: μ = (3, 0); Σ_j ||X_j − μ||² = (4 + 4) + (0 + 4) + (4 + 0) = 16, σ = √(16 + 1e-5)
    np.testing.assert_allclose(mu, [3.0, 0.0])
    assert float(sigma) == pytest.approx(np.sqrt(16 + 1e-5), rel=1e-15)
    np.testing.assert_allclose(batch_norm_one_sigma_eval(X, mu, sigma), batch_norm_one_sigma(X), rtol=1e-15)
    # test mode on another batch: the training batch's statistics, not its own
    Z = np.array([[7.0, 4.0]])
    np.testing.assert_allclose(batch_norm_one_sigma_eval(Z, mu, sigma), [[4.0 / float(sigma), 4.0 / float(sigma)]])
    mu_f, sigma_f = batch_norm_one_sigma_stats(X, per_feature=True, eps=0.0)
    np.testing.assert_allclose(sigma_f, [np.sqrt(8.0), np.sqrt(8.0)])
    with pytest.raises(ValueError, match="sigma must be > 0"):
        batch_norm_one_sigma_eval(X, mu, 0.0)
    # standard batch norm in evaluation mode: γ (x − mean)/√(var + ε) + β, worked by hand with ε = 0
    y = batch_norm_eval(X, np.array([2.0, 1.0]), np.array([0.5, -1.0]), np.array([1.0, 2.0]), np.array([4.0, 1.0]),
                        eps=0.0)
    np.testing.assert_allclose(y, [[0.5, -1.0], [2.5, -5.0], [4.5, -3.0]])
