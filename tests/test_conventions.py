"""The conventions stated once in rules.py and engine.py, each pinned by a number worked by hand."""

import numpy as np
import pytest

import microgradnet as mg
from microgradnet import Tensor, Value


def test_relu_derivative_at_zero_is_zero():
    for x in (Value(0.0), Value(-0.0)):
        x.relu().backward()
        assert x.grad == 0.0
    t = Tensor([0.0, 1.0, -1.0], requires_grad=True)
    t.relu().sum().backward()
    np.testing.assert_array_equal(t.grad, [0.0, 1.0, 0.0])


def test_leaky_relu_derivative_at_zero_is_the_slope():
    x = Value(0.0)
    x.leaky_relu(0.1).backward()
    assert x.grad == pytest.approx(0.1)
    t = Tensor([0.0, 2.0, -2.0], requires_grad=True)
    out = t.leaky_relu(0.1)
    np.testing.assert_allclose(out.data, [0.0, 2.0, -0.2])
    out.sum().backward()
    np.testing.assert_allclose(t.grad, [0.1, 1.0, 0.1])


def test_abs_derivative_at_zero_is_zero():
    x = Value(0.0)
    x.abs().backward()
    assert x.grad == 0.0


def test_binary_max_tie_splits_evenly():
    a, b = Value(2.0), Value(2.0)
    a.max(b).backward()
    assert (a.grad, b.grad) == (0.5, 0.5)
    a, b = Value(3.0), Value(2.0)
    a.max(b).backward()
    assert (a.grad, b.grad) == (1.0, 0.0)
    a, b = Value(3.0), Value(2.0)
    a.min(b).backward()
    assert (a.grad, b.grad) == (0.0, 1.0)


@pytest.mark.parametrize("tie, expected", [
    ("split", [[0.5, 0.0, 0.5], [0.0, 1.0, 0.0]]),
    ("first", [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]),
    ("all", [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]),
])
def test_amax_tie_rules(tie, expected):
    x = Tensor([[5.0, 1.0, 5.0], [0.0, 7.0, 2.0]], requires_grad=True)
    x.amax(1, tie=tie).sum().backward()
    np.testing.assert_array_equal(x.grad, expected)


def test_torch_max_semantics():
    x = Tensor([[5.0, 1.0, 5.0]], requires_grad=True)
    vals, idx = x.max(dim=1)
    assert idx.data.tolist() == [0]
    vals.sum().backward()
    np.testing.assert_array_equal(x.grad, [[1.0, 0.0, 0.0]])  # to the returned (first) index
    x.grad = None
    x.max().backward()  # full reduction: ties share
    np.testing.assert_array_equal(x.grad, [[0.5, 0.0, 0.5]])


def test_clip_passes_gradient_at_bounds():
    t = Tensor([-1.0, 0.0, 0.5, 1.0, 2.0], requires_grad=True)
    t.clip(0.0, 1.0).sum().backward()
    np.testing.assert_array_equal(t.grad, [0.0, 1.0, 1.0, 1.0, 0.0])


def test_float64_by_default_and_float32_kept():
    assert Tensor([1, 2.5]).dtype == np.float64
    assert Tensor(np.array([1.0], dtype=np.float32)).dtype == np.float32
    x = Tensor([1.0, 2.0], dtype="float32", requires_grad=True)
    y = (x * 2.0 + 1.0).exp().sum()
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, 2 * np.exp([3.0, 5.0]), rtol=1e-6)
    assert isinstance(Value(3).data, float)


def test_pow_exponent_gradient_conventions():
    # ∂(a^b)/∂b = a^b ln a; NaN for a < 0, 0 for a = 0 with b >= 0 (PyTorch)
    a, b = Value(2.0), Value(3.0)
    (a ** b).backward()
    assert b.grad == pytest.approx(8 * np.log(2))
    assert a.grad == pytest.approx(3 * 4)
    a, b = Value(-2.0), Value(2.0)
    (a ** b).backward()
    assert np.isnan(b.grad) and a.grad == pytest.approx(-4.0)
    a, b = Value(0.0), Value(2.0)
    (a ** b).backward()
    assert b.grad == 0.0


def test_sigmoid_is_stable_for_large_inputs():
    for v, expected in ((1000.0, 1.0), (-1000.0, 0.0), (0.0, 0.5)):
        x = Value(v)
        s = x.sigmoid()
        s.backward()
        assert s.data == expected
        assert x.grad == pytest.approx(expected * (1 - expected))
    t = Tensor([-1000.0, 1000.0], requires_grad=True)
    with mg.detect_anomaly():
        t.sigmoid().sum().backward()
    np.testing.assert_array_equal(t.grad, [0.0, 0.0])
