"""The three fully connected conventions: explicit formulas, finite differences, batches, bad shapes."""

import numpy as np
import pytest

from microgradnet.closed_form import (
    linear_columns,
    linear_columns_backward,
    linear_no_bias,
    linear_no_bias_backward,
    linear_rows,
    linear_rows_backward,
)
from microgradnet.closed_form._fd import numeric_grads

rng = np.random.default_rng(7)


@pytest.mark.parametrize("x_shape,b_shape",
                         [((4,), (3,)), ((4, 1), (3, 1)), ((4, 5), (3,)), ((4, 5), (3, 1))])
def test_linear_columns_finite_differences(x_shape, b_shape):
    x, W, b = rng.standard_normal(x_shape), rng.standard_normal((3, 4)), rng.standard_normal(b_shape)
    y = linear_columns(x, W, b)
    g = rng.standard_normal(y.shape)
    grads = linear_columns_backward(x, W, b, g)
    for got, want in zip(grads, numeric_grads(linear_columns, (x, W, b), (0, 1, 2), g)):
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-8)
    assert grads.db.shape == b_shape and grads.dx.shape == x_shape


def test_linear_columns_single_column_formulas():
    # y = Wx + b with x (L×1): ∂L/∂W = g xᵀ (O×L), ∂L/∂b = g, ∂L/∂x = Wᵀ g
    W = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    x = np.array([[1.0], [0.0], [-1.0]])
    b = np.array([[0.5], [-0.5]])
    g = np.array([[2.0], [-1.0]])
    np.testing.assert_array_equal(linear_columns(x, W, b), [[-1.5], [-2.5]])
    r = linear_columns_backward(x, W, b, g)
    np.testing.assert_array_equal(r.dW, [[2.0, 0.0, -2.0], [-1.0, 0.0, 1.0]])
    np.testing.assert_array_equal(r.db, [[2.0], [-1.0]])
    np.testing.assert_array_equal(r.dx, [[-2.0], [-1.0], [0.0]])


def test_linear_rows_batch_and_single_instance():
    W, b = rng.standard_normal((4, 3)), rng.standard_normal(3)
    X = rng.standard_normal((5, 4))
    Y = linear_rows(X, W, b)
    np.testing.assert_allclose(Y, np.stack([W.T @ Xi + b for Xi in X]))
    g = rng.standard_normal(Y.shape)
    r = linear_rows_backward(X, W, b, g)
    np.testing.assert_allclose(r.dW, X.T @ g)
    np.testing.assert_allclose(r.db, g.sum(axis=0))
    np.testing.assert_allclose(r.dx, g @ W.T)
    for got, want in zip(r, numeric_grads(linear_rows, (X, W, b), (0, 1, 2), g)):
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-8)
    # one instance X ∈ R^{d_k}: ∂L/∂X = W ∂L/∂Y, ∂L/∂W = X ∂L/∂Yᵀ (outer product)
    r1 = linear_rows_backward(X[0], W, b, g[0])
    np.testing.assert_allclose(r1.dx, W @ g[0])
    np.testing.assert_allclose(r1.dW, np.outer(X[0], g[0]))


def test_linear_rows_flattens_trailing_dimensions():
    W, b = rng.standard_normal((6, 2)), rng.standard_normal(2)
    X = rng.standard_normal((3, 2, 3))
    Y = linear_rows(X, W, b)
    g = rng.standard_normal(Y.shape)
    r = linear_rows_backward(X, W, b, g)
    assert r.dx.shape == X.shape
    np.testing.assert_allclose(r.dx, numeric_grads(linear_rows, (X, W, b), (0,), g)[0], atol=1e-8)


def test_linear_no_bias_dx_is_A_transpose_B():
    W = rng.standard_normal((3, 4))
    x = rng.standard_normal((4, 1))
    B = rng.standard_normal((3, 1))
    r = linear_no_bias_backward(x, W, B)
    # element by element: ∂L/∂x_i = Σ_j ∂L/∂y_j W_ji
    want = np.array([[sum(B[j, 0] * W[j, i] for j in range(3))] for i in range(4)])
    np.testing.assert_allclose(r.dx, want)
    np.testing.assert_allclose(r.dW, B @ x.T)
    for got, num in zip(r, numeric_grads(linear_no_bias, (x, W), (0, 1), B)):
        np.testing.assert_allclose(got, num, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("call,match", [
    (lambda: linear_columns(np.ones(3), np.ones((2, 4)), np.ones(2)), r"linear_columns: x has shape \(3,\)"),
    (lambda: linear_columns(np.ones(4), np.ones((2, 4)), np.ones(3)), r"b has shape \(3,\), expected \(2,\)"),
    (lambda: linear_columns_backward(np.ones(4), np.ones((2, 4)), np.ones(2), np.ones(3)), r"g has shape"),
    (lambda: linear_rows(np.ones((5, 3)), np.ones((4, 2)), np.ones(2)), r"linear_rows: X has shape"),
    (lambda: linear_no_bias(np.ones(4), np.ones(4)), r"W must be 2-D"),
])
def test_bad_shapes_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_complex_input_is_a_type_error():
    with pytest.raises(TypeError, match="linear_columns: x must be a real numeric array"):
        linear_columns(np.ones(2, dtype=complex), np.ones((2, 2)), np.ones(2))
