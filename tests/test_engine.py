"""The tape, backward, no_grad, higher order, anomaly mode and the errors the engine raises."""

import math
import sys

import numpy as np
import pytest

import microgradnet as mg
from microgradnet import Tensor, Value


def test_deep_chain_at_default_recursion_limit():
    limit = sys.getrecursionlimit()
    x = Value(0.5)
    y = x
    n = 1_000_000
    for _ in range(n):
        y = y + 1e-7
    y.backward()
    assert x.grad == 1.0
    assert y.data == pytest.approx(0.5 + n * 1e-7)
    assert sys.getrecursionlimit() == limit
    order = mg.toposort(y)
    assert len(order) == 2 * n + 1  # n add nodes, n constants, x


def test_deep_tensor_chain():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x
    for _ in range(20_000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0001 ** 20_000] * 2)


def test_tape_is_creation_order_and_printable():
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    d = c + a
    d.label = "d"
    d.backward()
    t = mg.tape(d)
    assert [n.label for n in t.nodes] == ["a", "b", "c", "d"]
    lines = str(t).splitlines()
    assert lines[2].startswith("c = mul(a, b)")
    assert "data=-6" in lines[2] and "grad=1" in lines[2]
    assert lines[3].startswith("d = add(c, a)")
    assert "grad=-2" in lines[0]  # a: b + 1 = -3 + 1


def test_no_grad_records_nothing():
    x = Tensor([1.0], requires_grad=True)
    with mg.no_grad():
        y = x * 2
        v = Value(1.0) * 3
    assert y._prev == () and not y.requires_grad
    assert v._prev == ()
    with mg.no_grad():
        with mg.enable_grad():
            z = x * 2
    assert z._prev == (x, z._prev[1])


def test_backward_needs_gradient_for_non_scalar():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"shape \(2, 3\).*gradient="):
        y.backward()
    with pytest.raises(ValueError, match=r"gradient has shape \(3,\), expected the output's shape \(2, 3\)"):
        y.backward(np.ones(3))
    y.backward(np.full((2, 3), 0.5))
    np.testing.assert_array_equal(x.grad, np.ones((2, 3)))


def test_second_derivative_of_tanh():
    for v in (-1.3, 0.0, 0.4, 2.0):
        x = Value(v)
        (g,) = [mg.grad(x.tanh(), x, create_graph=True)]
        assert g.data == pytest.approx(1 - math.tanh(v) ** 2)
        h = mg.grad(g, x)
        assert h == pytest.approx(-2 * math.tanh(v) * (1 - math.tanh(v) ** 2))
    t = Tensor([-1.3, 0.0, 0.4], requires_grad=True)
    (g,) = mg.grad(t.tanh().sum(), [t], create_graph=True)
    (h,) = mg.grad(g.sum(), [t])
    th = np.tanh(t.data)
    np.testing.assert_allclose(h.data if hasattr(h, "data") else h, -2 * th * (1 - th ** 2))


def test_hessian_vector_product(rng):
    # f(x) = ½ xᵀAx + Σ exp(x): H = sym(A) + diag(exp x); Hv by double backward
    n = 4
    A = rng.standard_normal((n, n))
    x = Tensor(rng.standard_normal(n), requires_grad=True)
    v = rng.standard_normal(n)
    f = 0.5 * (x @ (Tensor(A) @ x)) + x.exp().sum()
    (g,) = mg.grad(f, [x], create_graph=True)
    np.testing.assert_allclose(g.data, 0.5 * (A + A.T) @ x.data + np.exp(x.data))
    (hv,) = mg.grad((g * Tensor(v)).sum(), [x])
    H = 0.5 * (A + A.T) + np.diag(np.exp(x.data))
    np.testing.assert_allclose(hv.data, H @ v, rtol=1e-12)


def test_grad_does_not_touch_dot_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.grad = np.array([10.0, 10.0])
    (g,) = mg.grad((x * x).sum(), [x])
    np.testing.assert_array_equal(g, [2.0, 4.0])
    np.testing.assert_array_equal(x.grad, [10.0, 10.0])


def test_grad_unused_input():
    x, z = Value(1.0), Value(2.0)
    with pytest.raises(ValueError, match="not used"):
        mg.grad(x * 2, [x, z])
    assert mg.grad(x * 2, [x, z], allow_unused=True) == (2.0, None)


def test_detect_anomaly_names_the_operation():
    x = Tensor([1.0, 0.0], requires_grad=True)
    with mg.detect_anomaly():
        with pytest.raises(mg.AnomalyError, match="forward of 'log'"):
            x.log()
    y = Value(0.0)
    with mg.detect_anomaly():
        s = y ** 0.5  # forward fine (0), backward 0.5 * 0^-0.5 = inf
        with pytest.raises(mg.AnomalyError, match="backward of 'pow'"):
            s.backward()
    t = Tensor([0.0], requires_grad=True)
    with mg.detect_anomaly():
        r = t.sqrt().sum()
        with pytest.raises(mg.AnomalyError, match="backward of 'pow'"):
            r.backward()


class TestBadInput:
    def test_mismatched_shapes(self):
        with pytest.raises(ValueError, match=r"add: shapes \(2, 3\) and \(4,\) cannot be broadcast"):
            Tensor(np.ones((2, 3))) + Tensor(np.ones(4))

    def test_value_mixed_with_tensor(self):
        with pytest.raises(TypeError, match="cannot combine a Value with a Tensor"):
            Value(1.0) + Tensor([1.0])
        with pytest.raises(TypeError, match="cannot combine a Tensor with a Value"):
            Tensor([1.0]) * Value(1.0)

    def test_non_numeric_data(self):
        with pytest.raises(TypeError, match="Value: data must be a real number, got str"):
            Value("3")
        with pytest.raises(TypeError, match="real numbers"):
            Tensor(["a", "b"])
        with pytest.raises(TypeError, match=r"mul: expected a number or a Value, got str"):
            Value(1.0) * "x"

    def test_integer_tensor_cannot_require_grad(self):
        with pytest.raises(TypeError, match="only floating point tensors can require grad, got dtype int64"):
            Tensor([1, 2], requires_grad=True)

    def test_pow_with_non_number(self):
        with pytest.raises(TypeError, match="pow: the exponent must be an int, a float or a Value, got str"):
            Value(2.0) ** "2"
        with pytest.raises(TypeError, match="pow: the exponent must be a number or a Tensor"):
            Tensor([2.0]) ** "2"

    def test_pow_complex(self):
        with pytest.raises(ValueError, match="complex"):
            Value(-8.0) ** (1 / 3)
        with pytest.raises(ValueError, match="negative base"):
            Tensor([-8.0, 1.0]) ** 0.5

    def test_division_by_zero_in_value(self):
        with pytest.raises(ZeroDivisionError, match=r"div: division by zero with inputs 1.0, 0.0"):
            Value(1.0) / 0

    def test_matmul_shapes(self):
        with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(2, 3\) do not align"):
            Tensor(np.ones((2, 3))) @ Tensor(np.ones((2, 3)))

    def test_reshape(self):
        with pytest.raises(ValueError, match=r"reshape: cannot reshape a tensor of shape \(2, 3\)"):
            Tensor(np.ones((2, 3))).reshape(4, 2)

    def test_setitem_on_tape(self):
        x = Tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="in-place"):
            x[0] = 3.0

    def test_item_needs_one_element(self):
        with pytest.raises(ValueError, match=r"item: only a tensor with one element.*\(2,\)"):
            Tensor([1.0, 2.0]).item()


def test_value_keeps_parents_in_slots_one_gc_object_per_node():
    """A Value's parents live in two slots, not in a tuple of their own: one object per node for the garbage
    collector to track. ``_prev`` still reads (and sets) them as a tuple in argument order."""
    import gc
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    for node, want in [(a * b, (a, b)), (a * a, (a, a)), (a.tanh(), (a,)), (a, ()),
                       (mg.vsum([a, b, c]), (a, b, c)), (mg.vsum([b, a]), (b, a))]:
        assert node._prev == want
        refs = gc.get_referents(node)
        if len(want) < 3:  # the parents themselves, and no tuple holding them
            assert {id(r) for r in refs} >= {id(p) for p in want}
            assert not [r for r in refs if isinstance(r, tuple) and any(isinstance(x, Value) for x in r)]
        else:  # an n-ary node keeps one tuple
            assert [r for r in refs if isinstance(r, tuple) and any(isinstance(x, Value) for x in r)] == [want]
    v = Value(0.0, (a, b), "add")
    assert v._prev == (a, b)
    v._prev = [c]
    assert v._prev == (c,) and v._a is c and v._b is None
    v._prev = (a, b, c, a)
    assert v._prev == (a, b, c, a)
    v._prev = ()
    assert v._prev == () and v.is_leaf()


def test_backward_from_several_value_roots_and_leaf_grad_none():
    a, b = Value(2.0), Value(-3.0)
    y1, y2 = a * b, (a * b).tanh()
    a.grad = None  # a leaf whose gradient was cleared PyTorch-style starts again from 0
    mg.engine.backward([y1, y2], [1.0, 2.0])
    t = math.tanh(-6.0)
    assert a.grad == pytest.approx(b.data + 2.0 * (1 - t * t) * b.data, rel=1e-15)
    assert b.grad == pytest.approx(a.data + 2.0 * (1 - t * t) * a.data, rel=1e-15)
    assert y1.grad == 1.0 and y2.grad == 2.0


def test_fast_value_steps_are_read_off_the_rule_table():
    """The sweep inlines two shapes of step, recognised from the table by running each rule's own functions on
    stand-ins: derivatives (1, 1) (add) and "each derivative is the other operand" (mul). Nothing else."""
    from microgradnet import value_fast
    from microgradnet.rules import RULES
    kinds = {name: value_fast.classify(r) for name, r in RULES.items()}
    assert {k for k, v in kinds.items() if v == value_fast.ADD} == {"add"}
    assert {k for k, v in kinds.items() if v == value_fast.MUL} == {"mul"}


def test_fast_sweep_equals_the_general_path(rng):
    """Value's fast backward (inlined add/mul, specialised steps) against the general per-node path, which
    detect_anomaly forces; the same graph, the same numbers to the last bit."""
    xs = [Value(float(v)) for v in rng.uniform(0.5, 1.5, 4)]

    def f():
        a, b, c, d = xs
        e = a * b + c * c - d / (a + 2.0)
        return (e * e).tanh() + mg.vsum([a, b, e]).relu() * (b ** 2) + (c - a).sigmoid() * d.exp()

    out = f()
    out.backward()
    fast = [x.grad for x in xs]
    for x in xs:
        x.grad = 0.0
    with mg.detect_anomaly():
        out2 = f()
        out2.backward()
    assert [x.grad for x in xs] == fast
    a, b, c, d = (x.data for x in xs)
    e = a * b + c * c - d / (a + 2.0)
    # ∂out/∂c by hand (a + b + e > 0 here, so relu′ = 1): tanh′(e²)·2e·2c + b²·2c + σ′(c − a)·eᵈ
    s = 1 / (1 + math.exp(-(c - a)))
    want_c = (1 - math.tanh(e * e) ** 2) * 2 * e * 2 * c + b * b * 2 * c + s * (1 - s) * math.exp(d)
    assert fast[2] == pytest.approx(want_c, rel=1e-12)


def test_toposort_takes_any_iterable_of_roots():
    a, b = Value(1.0), Value(2.0)
    y, z = a * b, a + b
    want = [a, b, y, z]
    assert mg.toposort([y, z]) == want
    assert mg.toposort(n for n in (z, y)) == want  # a generator, as before the Value fast path
    assert mg.toposort({y, z}) == want
