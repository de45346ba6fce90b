"""gradcheck itself: it must fail on a wrong rule, warn at kinks and on float32, and leave .grad alone."""

import dataclasses

import numpy as np
import pytest

import microgradnet as mg
from microgradnet import RULES, Tensor, Value


def test_passes_and_reports(rng):
    x = Tensor(rng.standard_normal((3, 2)), requires_grad=True, label="x")
    r = mg.gradcheck(lambda x: (x.tanh() * x).sum(), x)
    assert r.passed and bool(r)
    assert r.inputs[0].name == "x" and r.inputs[0].shape == (3, 2)
    np.testing.assert_allclose(r.inputs[0].numeric, np.tanh(x.data) + x.data * (1 - np.tanh(x.data) ** 2),
                               rtol=1e-7)
    assert r.max_rel_error < 1e-6
    assert "PASS" in str(r)


def test_catches_a_wrong_rule(monkeypatch):
    wrong = dataclasses.replace(RULES["tanh"], derivs=(lambda m, out, a: 1.0 + out * out,))
    monkeypatch.setitem(RULES, "tanh", wrong)
    x = Tensor([0.3, -0.8], requires_grad=True)
    r = mg.gradcheck(lambda x: x.tanh().sum(), x)
    assert not r.passed
    assert r.inputs[0].failures == 2
    with pytest.raises(mg.GradcheckError, match="FAIL"):
        mg.gradcheck(lambda x: x.tanh().sum(), x, raise_exception=True)
    v = Value(0.5)
    assert not mg.gradcheck(lambda v: v.tanh(), v).passed


def test_warns_at_kinks_and_for_float32():
    x = Tensor([0.0, 1.0], requires_grad=True)
    r = mg.gradcheck(lambda x: x.relu().sum(), x)
    assert any("kink of 'relu'" in w for w in r.warnings)
    assert not r.passed  # relu'(0) = 0 by convention, the central difference says 0.5
    y = Tensor([[1.0, 1.0, 0.0]], requires_grad=True)
    assert any("'amax'" in w for w in mg.gradcheck(lambda y: y.amax(1).sum(), y).warnings)
    z = Tensor([0.5, 1.5], dtype="float32", requires_grad=True)
    r = mg.gradcheck(lambda z: (z * z).sum(), z, atol=1e-3)
    assert any("float32" in w for w in r.warnings)


def test_non_scalar_output_projects(rng):
    x = Tensor(rng.standard_normal(4), requires_grad=True)
    assert mg.gradcheck(lambda x: x.exp() * 2.0, x).passed


def test_arrays_are_lifted():
    r = mg.gradcheck(lambda a: (a * a).sum(), np.array([1.0, 2.0]))
    np.testing.assert_allclose(r.inputs[0].analytic, [2.0, 4.0])


def test_needs_a_differentiable_input():
    with pytest.raises(ValueError, match="no input requires grad"):
        mg.gradcheck(lambda a: a.sum(), Tensor([1.0]))
