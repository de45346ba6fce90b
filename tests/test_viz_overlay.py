"""The rule-check overlay on the EN4553 toy network (A2 Q1), with the handout's numbers worked by hand.

Index 180577X gives
    X = [[1, 8, 0.5, 5], [7, 7.1, −1, −8], [−0.5, −5, −7, −7.1], [−1, −8, −0.5, −5]]
    U = maxpool2×2(X) = [[8, 5], [−0.5, −0.5]],  V = LRelu(U) = [[8, 5], [−0.05, −0.05]],  y = Σ vᵢwᵢ = 17.3
and with ∂L/∂y = 2 (Q1(c)): ∂L/∂V = 2w = [[2, 4], [20, 8]], ∂L/∂U = [[2, 4], [2, 0.8]] (×0.1 where U < 0),
∂L/∂w = 2·V = [16, 10, −0.1, −0.1], ∂L/∂X = 2, 4, 2, 0.8 at each window's maximum (0, 1), (0, 3), (2, 0), (3, 2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pytest

import microgradnet as mg
from microgradnet import Value, scope
from viz import draw_dot, from_report, rule_check, to_dot

X0 = np.array([[1, 8, 0.5, 5], [7, 7.1, -1, -8], [-0.5, -5, -7, -7.1], [-1, -8, -0.5, -5]], dtype=np.float64)
W0 = np.array([1.0, 2.0, 10.0, 4.0])
dV = np.array([[2.0, 4.0], [20.0, 8.0]])
dU = np.array([[2.0, 4.0], [2.0, 0.8]])
dW = np.array([16.0, 10.0, -0.1, -0.1])
dX = np.zeros((4, 4))
dX[0, 1], dX[0, 3], dX[2, 0], dX[3, 2] = 2.0, 4.0, 2.0, 0.8
dU_forgot_slope = dV  # the classic mistake: LRelu's derivative taken as 1 everywhere

NODE = re.compile(r'^\t+(\w+) \[label="(.*?)" (.*)\]$', re.M)


def nodes(dot):
    """name → (label, attrs text)."""
    return {n: (lab, attrs) for n, lab, attrs in NODE.findall(dot)}


def toy():
    """The toy network at tensor level, with the handout's boxes as scopes."""
    X = mg.tensor(X0, requires_grad=True, label="X")
    w = mg.tensor(W0, requires_grad=True, label="w")
    with scope("Maxpool"):
        U = mg.windows(X, 2, stride=2).amax(dim=(2, 3), tie="first")
    U.label = "U"
    with scope("LRelu"):
        V = U.leaky_relu(0.1)
    V.label = "V"
    with scope("Dense"):
        y = (V.reshape(4) * w).sum()
    y.label = "y"
    y.backward(np.asarray(2.0))
    return y, dict(X=X, w=w, U=U, V=V)


def toy_scalar():
    X = mg.tensor(X0, requires_grad=True)
    w = mg.tensor(W0, requires_grad=True)
    with mg.scalar_level({"X": X, "w": w}):
        U = mg.windows(X, 2, stride=2).amax(dim=(2, 3), tie="first")
        V = U.leaky_relu(0.1)
        y = (V.reshape(4) * w).sum()
    y.backward(2.0)
    return y, dict(X=X, w=w, U=U, V=V)


def test_the_engine_agrees_with_the_hand_worked_numbers():
    y, t = toy()
    assert float(y.data) == pytest.approx(17.3)
    np.testing.assert_allclose(t["V"].grad, dV)
    np.testing.assert_allclose(t["U"].grad, dU)
    np.testing.assert_allclose(t["w"].grad, dW)
    np.testing.assert_allclose(t["X"].grad, dX)


def test_all_correct_closed_forms_are_marked_as_matches():
    y, t = toy()
    expected = {"X": dX, "U": dU, "V": dV, "w": dW, "y": 2.0}
    results = rule_check(y, expected)
    assert [r.name for r in results] == ["X", "w", "U", "V", "y"]  # tape order
    assert all(r.ok for r in results) and max(r.max_abs_diff for r in results) < 1e-12
    ns = nodes(to_dot(y, expected=expected))
    for name in ("X", "w", "U", "V", "y"):
        (lab, attrs), = [v for v in ns.values() if v[0].startswith(name + " |")]
        assert 'fillcolor="palegreen"' in attrs and "✓" in lab


def test_a_wrong_step_is_the_only_node_marked_as_a_mismatch():
    y, t = toy()
    expected = {"X": dX, "U": dU_forgot_slope, "V": dV, "w": dW}
    g = draw_dot(y, expected=expected)
    bad = [r for r in g.checks.values() if not r.ok]
    assert [r.name for r in bad] == ["U"]
    assert bad[0].max_abs_diff == pytest.approx(18.0) and bad[0].where == (1, 0)  # 20 vs 2
    ns = nodes(g.source)
    (lab, attrs), = [v for v in ns.values() if v[0].startswith("U |")]
    assert 'fillcolor="salmon"' in attrs
    assert "closed form [2, 4, 20, 8] ✗" in lab and "max abs diff 18 at (1, 0)" in lab
    assert "grad [2, 4, 2, 0.8]" in lab  # the autodiff value beside it
    greens = [v for v in ns.values() if 'fillcolor="palegreen"' in v[1]]
    assert sorted(v[0].split(" |")[0] for v in greens) == ["V", "X", "w"]


def test_scalar_level_overlay_marks_the_wrong_elements():
    y, t = toy_scalar()
    expected = {"X": dX, t["U"]: dU_forgot_slope, "w": dW}
    results = rule_check(y, expected)
    assert len(results) == 16 + 4 + 4
    wrong = sorted(r.node.data for r in results if not r.ok)
    assert wrong == [-0.5, -0.5]  # U[1,0] and U[1,1]: the negative ones, where the slope 0.1 applies
    dot = to_dot(y, expected=expected)
    assert dot.count('fillcolor="salmon"') == 2 and dot.count('fillcolor="palegreen"') == 22
    assert "closed form 20.0000 ✗" in dot and "autodiff − closed -18.0000" in dot
    # collapsed into tensor ops, the amax box counts its checks
    small = to_dot(y, expected=expected, max_nodes=8)
    assert "rule check 2 ✓ 2 ✗" in small and "rule check 16 ✓ 0 ✗" in small


def test_value_graph_overlay_by_label():
    x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + b
    n.label = "n"
    o = n.tanh()
    o.backward()
    results = {r.name: r for r in rule_check(o, {"x1": -1.5, "w1": 1.0, "n": 0.5, "b": 0.1})}
    assert [results[k].ok for k in ("x1", "w1", "n", "b")] == [True, True, True, False]
    dot = to_dot(o, expected={"b": 0.1})
    assert "{ b | data 6.8814 | grad 0.5000 | closed form 0.1000 ✗ | autodiff − closed 0.4000 }" in dot


def test_from_report_formats():
    assert from_report({"X": (1.0, 2.0)}) == {"X": 2.0}

    @dataclass
    class Row:
        name: str
        closed_form: float

    assert from_report([Row("a", 1.5), Row("b", 2.5)]) == {"a": 1.5, "b": 2.5}
    assert from_report({"a": Row("ignored", 3.0)}) == {"a": 3.0}
    y, t = toy()
    report = {"X": (t["X"].grad, dX), "U": (t["U"].grad, dU_forgot_slope)}
    bad = [r.name for r in rule_check(y, from_report(report)) if not r.ok]
    assert bad == ["U"]
    with pytest.raises(TypeError, match="entry 'U' must be an .autodiff, closed_form. pair"):
        from_report({"U": 3.0})
    with pytest.raises(TypeError, match="from_report: expected a mapping"):
        from_report(5)


def test_bad_overlay_input_is_refused_clearly():
    y, t = toy()
    with pytest.raises(ValueError, match=r"1 key\(s\) select no node of the graph: 'Z'\. Names in this graph: 'U', "
                                         r"'V', 'X', 'w', 'y'"):
        to_dot(y, expected={"Z": 1.0})
    shape = rule_check(y, {"U": np.zeros(4)})[0]
    assert not shape.ok and shape.note == "shape (4,) ≠ autodiff (2, 2)"
    a = Value(1.0, label="a")
    b = a * 2.0
    with pytest.raises(ValueError, match="rule check: a .selected by 'a'. has no gradient yet; run backward"):
        to_dot(b, expected={"a": 2.0})
    x = mg.tensor([1.0], requires_grad=True, label="x")
    with pytest.raises(ValueError, match="no gradient yet"):
        to_dot((x * 2.0).sum(), expected={"x": [2.0]})
    with pytest.raises(ValueError, match="tolerances must be ≥ 0"):
        to_dot(y, expected={"U": dU}, rtol=-1)
