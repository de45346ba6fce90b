"""Gradient semantics (engine.py docstring): leaves accumulate, intermediates hold the latest backward."""

import numpy as np
import pytest

from microgradnet import Tensor, Value


def test_a_plus_a():
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0


def test_a_times_a():
    a = Value(3.0)
    b = a * a
    assert b._prev == (a, a)  # a repeated operand appears twice, in argument order
    b.backward()
    assert a.grad == 6.0


def test_a_minus_a():
    a = Value(3.0)
    (a - a).backward()
    assert a.grad == 0.0


def test_diamond_through_shared_intermediate():
    # x -> s = x*x -> (s + 1) and (s * 3) -> sum ; dL/dx = (1 + 3) * 2x
    x = Value(2.0)
    s = x * x
    out = (s + 1) + (s * 3)
    out.backward()
    assert s.grad == 4.0
    assert x.grad == 16.0


def test_b_is_a_plus_a_then_c_is_b_plus_b():
    a = Value(1.5)
    b = a + a
    c = b + b
    c.backward()
    assert (a.grad, b.grad, c.grad) == (4.0, 2.0, 1.0)


def test_backward_twice_accumulates_leaves_not_intermediates():
    a = Value(3.0)
    b = a + a  # shared intermediate
    c = b * b
    c.backward()
    assert (a.grad, b.grad) == (24.0, 12.0)
    c.backward()
    # leaves add up; the intermediate holds this backward's gradient only (micrograd would say 24 and a.grad 72)
    assert (a.grad, b.grad) == (48.0, 12.0)


def test_accumulation_is_a_sum_not_an_assignment():
    # the two paths into x must add: with '=' instead of '+=' one of them would be lost
    x = Value(2.0)
    y = x * 3.0 + x.tanh()
    y.backward()
    assert x.grad == pytest.approx(3.0 + (1 - np.tanh(2.0) ** 2))


def test_zero_grad_by_hand_then_backward_again():
    x = Tensor([1.0, -2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [4.0, -8.0])
    x.grad = None
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, -4.0])


def test_tensor_intermediates_keep_latest_gradient():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 2.0
    y = (h * h).sum()
    y.backward()
    y.backward()
    np.testing.assert_array_equal(h.grad, 2 * h.data)
    np.testing.assert_array_equal(x.grad, 2 * (2 * h.data * 2.0))


def test_constants_get_no_grad_and_no_history():
    x = Tensor([1.0, 2.0])
    y = x * 3.0
    assert not y.requires_grad and y._prev == ()
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.sum().backward()


def test_micrograd_manual_backward_step():
    # the lecture's step-by-step: o.grad = 1; o._backward(); n._backward() ...
    x1, w1 = Value(2.0), Value(-3.0)
    n = x1 * w1
    o = n.tanh()
    o.grad = 1.0
    o._backward()
    assert n.grad == pytest.approx(1 - np.tanh(-6.0) ** 2)
    n._backward()
    assert w1.grad == pytest.approx(2.0 * n.grad)
    assert x1.grad == pytest.approx(-3.0 * n.grad)
