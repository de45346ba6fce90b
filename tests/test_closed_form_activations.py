"""Activations and dropout: kink conventions, PReLU's ∂L/∂α (one α or per channel), tanh's 1 − y², sigmoid at
extreme inputs, dropout in its seed and inverted forms."""

import numpy as np
import pytest

from microgradnet.closed_form import (
    dropout,
    dropout_backward,
    dropout_mask,
    leaky_relu,
    leaky_relu_backward,
    prelu,
    prelu_backward,
    relu,
    relu_backward,
    sigmoid,
    sigmoid_backward,
    tanh,
    tanh_backward,
)
from microgradnet.closed_form._fd import numeric_grads

X = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
G = np.array([1.0, 2.0, 3.0, 4.0, 5.0])


def test_relu_and_kink_at_zero():
    np.testing.assert_array_equal(relu(X), [0, 0, 0, 0.5, 2])
    np.testing.assert_array_equal(relu_backward(X, G).dx, [0, 0, 0, 4, 5])  # relu'(0) = 0


def test_leaky_relu_slope_and_kink():
    np.testing.assert_allclose(leaky_relu(X, slope=0.1), [-0.2, -0.05, 0, 0.5, 2])
    np.testing.assert_allclose(leaky_relu_backward(X, G, slope=0.1).dx, [0.1, 0.2, 0.3, 4, 5])


def test_prelu_single_alpha_by_hand_and_fd():
    alpha = 0.25
    np.testing.assert_allclose(prelu(X, alpha), [-0.5, -0.125, 0, 0.5, 2])
    r = prelu_backward(X, alpha, G)
    np.testing.assert_allclose(r.dx, [0.25, 0.5, 0.75, 4, 5])
    assert r.dalpha.shape == () and r.dalpha == -2.0 * 1.0 + -0.5 * 2.0  # Σ_{x<0} g·x
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    x = np.where(np.abs(x) < 0.1, 0.3, x)
    g = rng.standard_normal(x.shape)
    for a in (np.array(0.2), np.array([0.2])):
        got = prelu_backward(x, a, g)
        assert got.dalpha.shape == a.shape
        for k, num in enumerate(numeric_grads(prelu, (x, a), (0, 1), g)):
            np.testing.assert_allclose(got[k], num, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("shape,axis", [((2, 3, 4, 4), 1), ((5, 3), 1), ((3, 5), 0)])
def test_prelu_per_channel_alpha_fd(shape, axis):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape)
    x = np.where(np.abs(x) < 0.1, -0.3, x)
    a = rng.uniform(0.05, 0.5, size=shape[axis])
    g = rng.standard_normal(shape)
    got = prelu_backward(x, a, g, channel_axis=axis)
    fwd = lambda x_, a_: prelu(x_, a_, channel_axis=axis)  # noqa: E731
    for k, num in enumerate(numeric_grads(fwd, (x, a), (0, 1), g)):
        np.testing.assert_allclose(got[k], num, rtol=1e-7, atol=1e-8)


def test_prelu_alpha_shape_mismatch():
    with pytest.raises(ValueError, match=r"prelu: alpha has shape \(2,\), expected .* C = x.shape\[1\]"):
        prelu(np.ones((4, 3)), np.ones(2))


def test_tanh_one_minus_y_squared():
    y = tanh(X)
    np.testing.assert_allclose(y, (np.exp(X) - np.exp(-X)) / (np.exp(X) + np.exp(-X)))
    np.testing.assert_allclose(tanh_backward(X, G).dx, G * (1 - y**2))
    np.testing.assert_allclose(tanh_backward(X, G).dx, numeric_grads(tanh, (X,), (0,), G)[0], rtol=1e-8)


def test_sigmoid_extremes_and_fd():
    big = np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        s = sigmoid(big)
        d = sigmoid_backward(big, np.ones(5)).dx
    e = np.exp(-40.0)
    np.testing.assert_allclose(s, [0.0, e / (1 + e), 0.5, 1 / (1 + e), 1.0], rtol=1e-12)
    assert d[2] == 0.25 and d[0] == 0.0 and d[-1] == 0.0
    np.testing.assert_allclose(sigmoid_backward(X, G).dx, numeric_grads(sigmoid, (X,), (0,), G)[0], rtol=1e-8)


def test_dropout_seed_form_and_inverted_form():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    m = np.array([[1.0, 0.0], [0.0, 1.0]])
    g = np.array([[10.0, 20.0], [30.0, 40.0]])
    np.testing.assert_array_equal(dropout(x, m), [[1, 0], [0, 4]])                  # Y = X ⊙ M
    np.testing.assert_array_equal(dropout_backward(x, m, g).dx, [[10, 0], [0, 40]])  # ∂L/∂X = ∂L/∂Y ⊙ M
    np.testing.assert_allclose(dropout(x, m, p=0.75, inverted=True), [[4, 0], [0, 16]])
    np.testing.assert_allclose(dropout_backward(x, m, g, p=0.75, inverted=True).dx, [[40, 0], [0, 160]])
    # test mode: seed form scales by the keep probability, inverted form is the identity
    np.testing.assert_allclose(dropout(x, m, p=0.75, train=False), 0.25 * x)
    np.testing.assert_allclose(dropout_backward(x, m, g, p=0.75, train=False).dx, 0.25 * g)
    np.testing.assert_allclose(dropout(x, m, p=0.75, inverted=True, train=False), x)
    fwd = lambda x_: dropout(x_, m, p=0.75, inverted=True)  # noqa: E731
    np.testing.assert_allclose(dropout_backward(x, m, g, p=0.75, inverted=True).dx,
                               numeric_grads(fwd, (x,), (0,), g)[0], rtol=1e-8)


def test_dropout_mask_statistics_and_validation():
    m = dropout_mask((200, 200), 0.3, np.random.default_rng(0))
    assert set(np.unique(m)) == {0.0, 1.0} and abs(1 - m.mean() - 0.3) < 0.01
    with pytest.raises(ValueError, match="dropout: mask must contain only 0 and 1"):
        dropout(np.ones(3), np.array([1.0, 2.0, 0.0]))
    with pytest.raises(ValueError, match=r"dropout: mask has shape \(2,\), expected \(3,\)"):
        dropout(np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match=r"p \(drop probability\) must be in \[0, 1\)"):
        dropout(np.ones(3), np.ones(3), p=1.0, inverted=True)


def test_kink_switch_sets_the_derivative_at_zero_only():
    from microgradnet.closed_form import leaky_relu_backward, prelu_backward, relu_backward
    x = np.array([-2.0, 0.0, 0.0, 3.0])
    g = np.array([1.0, 2.0, -4.0, 5.0])
    # by hand: kink="negative" (PyTorch) takes the x < 0 slope at 0, kink="positive" (EN4553's x ≥ 0) takes 1
    np.testing.assert_array_equal(relu_backward(x, g).dx, [0.0, 0.0, 0.0, 5.0])
    np.testing.assert_array_equal(relu_backward(x, g, kink="positive").dx, [0.0, 2.0, -4.0, 5.0])
    np.testing.assert_allclose(leaky_relu_backward(x, g, slope=0.1).dx, [0.1, 0.2, -0.4, 5.0])
    np.testing.assert_allclose(leaky_relu_backward(x, g, slope=0.1, kink="positive").dx, [0.1, 2.0, -4.0, 5.0])
    neg, pos = prelu_backward(x, 0.25, g), prelu_backward(x, 0.25, g, kink="positive")
    np.testing.assert_allclose(neg.dx, [0.25, 0.5, -1.0, 5.0])
    np.testing.assert_allclose(pos.dx, [0.25, 2.0, -4.0, 5.0])
    assert float(neg.dalpha) == float(pos.dalpha) == -2.0  # Σ_{x<0} g·x: the kink does not touch ∂L/∂α
    with pytest.raises(ValueError, match="kink must be one of"):
        relu_backward(x, g, kink="seed")
