"""Value's specialisations (microgradnet/value_fast.py) against the textbook path, and the one-table promise:
replacing an entry of RULES changes what Value and Tensor compute alike."""

import dataclasses
import math

import numpy as np
import pytest

import microgradnet as mg
from microgradnet import RULES, Tensor, Value, engine, value_fast


def every_rule_graph(xs):
    """A scalar graph through every elementwise and reduction rule Value offers."""
    a, b, c, d = xs
    e = a * b + c * c - d / (a + 2.0)
    f = (e * e).tanh() + mg.vsum([a, b, e]).relu() * (b ** 2) + (c - a).sigmoid() * d.exp()
    g = (a.log() + b.log1p()) * (-c) + a ** d + (b - c).abs() + a.max(b) * c.min(d) + e.leaky_relu(0.1)
    h = mg.vmax([a, b, c], tie="split") - mg.vmin([b, c, d], tie="first") + (e * 3.0).clip(-1.0, 1.0)
    return f * g + h + 2.0 * a - 1.0 / b


def grads(xs, f):
    for x in xs:
        x.grad = 0.0
    out = f(xs)
    out.backward()
    return out.data, [x.grad for x in xs]


def test_fast_sweep_gives_bit_identical_gradients_to_the_plain_sweep(rng, monkeypatch):
    for _ in range(20):
        xs = [Value(float(v)) for v in rng.uniform(0.2, 1.8, 4)]
        fast = grads(xs, every_rule_graph)
        with monkeypatch.context() as mp:
            mp.delitem(engine.SWEEPS, Value)  # engine.backward's own sweep, node by node
            for name, (op, rop) in value_fast._TEXTBOOK.items():  # and value.py's own + − ×
                mp.setattr(Value, f"__{name}__", op)
                mp.setattr(Value, f"__r{name}__", rop)
            plain = grads(xs, every_rule_graph)
        assert fast == plain  # to the last bit, forward and every gradient
    assert math.isfinite(fast[0]) and all(math.isfinite(g) and g != 0.0 for g in fast[1])


def test_fast_sweep_steps_are_rebuilt_when_the_table_changes(monkeypatch):
    """A wrong product rule swapped into the table: ∂(a·b)/∂a = b + 1 instead of b. Both fronts follow it."""
    wrong = dataclasses.replace(RULES["mul"], derivs=(lambda m, out, a, b: b + 1.0, lambda m, out, a, b: a))
    a, b = Value(2.0), Value(-3.0)
    (a * b).backward()
    assert (a.grad, b.grad) == (-3.0, 2.0)
    with monkeypatch.context() as mp:
        mp.setitem(RULES, "mul", wrong)
        a, b = Value(2.0), Value(-3.0)
        (a * b).backward()
        assert (a.grad, b.grad) == (-2.0, 2.0)  # Value: b + 1 = −2
        ta, tb = Tensor([2.0, 0.5], requires_grad=True), Tensor([-3.0, 4.0], requires_grad=True)
        (ta * tb).sum().backward()
        np.testing.assert_array_equal(ta.grad, [-2.0, 5.0])  # Tensor: b + 1
        np.testing.assert_array_equal(tb.grad, [2.0, 0.5])
        with mg.scalar_level():  # and Tensor code run at scalar level
            sa, sb = Tensor([2.0]), Tensor([-3.0])
            sa.requires_grad_(), sb.requires_grad_()
            out = (sa * sb).sum()
        out.backward()
        np.testing.assert_array_equal(sa.grad, [-2.0])
    a, b = Value(2.0), Value(-3.0)
    (a * b).backward()
    assert (a.grad, b.grad) == (-3.0, 2.0)  # the table restored, the sweep rebuilt again


def test_a_wrong_forward_in_the_table_shows_in_value_and_tensor(monkeypatch):
    wrong = dataclasses.replace(RULES["add"], forward=lambda m, a, b: a + b + 1.0)
    monkeypatch.setitem(RULES, "add", wrong)
    assert (Value(2.0) + Value(3.0)).data == 6.0
    assert (2.0 + Value(3.0)).data == 6.0
    np.testing.assert_array_equal((Tensor([2.0]) + Tensor([3.0])).data, [6.0])
    monkeypatch.undo()
    assert (Value(2.0) + Value(3.0)).data == 5.0


def test_only_add_and_mul_are_inlined_and_only_plain_operators_take_the_fast_forward():
    import operator
    kinds = {name: value_fast.classify(r) for name, r in RULES.items()}
    assert {k for k, v in kinds.items() if v == value_fast.ADD} == {"add"}
    assert {k for k, v in kinds.items() if v == value_fast.MUL} == {"mul"}
    assert value_fast.operator_of(RULES["add"].forward) is operator.add
    assert value_fast.operator_of(RULES["sub"].forward) is operator.sub
    assert value_fast.operator_of(RULES["mul"].forward) is operator.mul
    assert value_fast.operator_of(RULES["div"].forward) is None
    assert value_fast.operator_of(RULES["powv"].forward) is None


@pytest.mark.parametrize("anomaly", [False, True])
def test_fast_and_plain_sweeps_agree_on_value_graphs_with_shared_intermediates(anomaly):
    a = Value(1.5)
    b = a * a
    c = b + b
    d = c * b - a
    if anomaly:
        with mg.detect_anomaly():
            d.backward()
    else:
        d.backward()
    # d = 2a⁴ − a: ∂d/∂a = 8a³ − 1
    assert a.grad == 8 * 1.5 ** 3 - 1
