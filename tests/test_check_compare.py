"""The checker: every closed-form rule has an autodiff composition and a sweep, and all three columns agree; a
wrong composition, a wrong closed form, or both wrong together are caught."""

from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pytest

from microgradnet import functional as F
from microgradnet.check import COMPOSITIONS, SWEEPS, autodiff, cases, check, check_rule, numeric, write_json
from microgradnet.check.compare import _Acc
from microgradnet.check.explain import EXPLAIN
from microgradnet.check.sweep import NONDIFF
from microgradnet.closed_form import CLOSED_FORMS, MISTAKES


def test_every_closed_form_has_a_composition_a_sweep_and_explained_mistakes():
    # a new closed form without a checker mapping fails here
    assert set(COMPOSITIONS) == set(CLOSED_FORMS)
    assert set(SWEEPS) == set(CLOSED_FORMS)
    assert set(NONDIFF) <= set(CLOSED_FORMS)
    for rule, mistakes in MISTAKES.items():
        for m in mistakes:
            assert (rule, m.name) in EXPLAIN, (rule, m.name)


def test_a_rule_without_a_sweep_is_refused_by_name(monkeypatch):
    monkeypatch.setitem(CLOSED_FORMS, "new_rule", dataclasses.replace(CLOSED_FORMS["tanh"], name="new_rule"))
    with pytest.raises(ValueError, match="'new_rule' has no sweep"):
        check(["new_rule"])
    monkeypatch.setitem(SWEEPS, "new_rule", SWEEPS["tanh"])
    res = check_rule("new_rule", quick=True)
    assert not res.passed and "no autodiff composition" in res.problems[0]


def test_unknown_rule_names_are_refused():
    with pytest.raises(ValueError, match="unknown rule name.*'conv3d'"):
        check(["conv2d", "conv3d"])


@pytest.mark.parametrize("name", list(CLOSED_FORMS))
def test_quick_sweep_passes(name):
    res = check_rule(name, quick=True)
    assert res.passed, "\n".join(res.problems)
    rows = {r.gradient: r for r in res.rows if r.rule == name}
    rec = CLOSED_FORMS[name]
    assert len(rows) == 1 + len(rec.wrt)  # the forward row and one per gradient
    n = len(cases(name, quick=True))
    for r in rows.values():
        assert r.cases == n and r.passed
        assert r.closed_abs <= 1e-8
    for gname, r in rows.items():
        if gname != "out":
            assert 0 < r.numeric_cases <= n and r.numeric_abs is not None and r.numeric_abs < 1e-5


def test_autodiff_and_numeric_against_formulas_worked_out():
    # tanh: ∂L/∂x = g (1 − tanh²x); the sum of a loss: ∂(½λΣW²)/∂W = λW
    x = np.array([[0.3, -1.2], [2.0, 0.0]])
    g = np.array([[1.0, -2.0], [0.5, 3.0]])
    out, (dx,) = autodiff("tanh", (x,), {}, g)
    np.testing.assert_allclose(out, np.tanh(x), rtol=0, atol=1e-15)
    np.testing.assert_allclose(dx, g * (1 - np.tanh(x) ** 2), rtol=0, atol=1e-15)
    (num,) = numeric("tanh", (x,), {}, g)
    np.testing.assert_allclose(num, g * (1 - np.tanh(x) ** 2), rtol=0, atol=1e-9)
    W = np.array([[1.0, -2.0, 0.5]])
    out, (dW,) = autodiff("weight_decay", (W,), dict(lam=0.1, half=True), 3.0)
    assert out == pytest.approx(0.5 * 0.1 * 5.25)
    np.testing.assert_allclose(dW, 3.0 * 0.1 * W, atol=1e-15)


def test_error_accumulator_values():
    acc = _Acc((1e-8, 1e-6))
    assert acc.add(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9])) is None
    assert acc.abs == pytest.approx(1e-9) and acc.rel == pytest.approx(1e-9 / 2.000000001)
    msg = acc.add(np.array([0.0, 5.0, 1.0]), np.array([0.0, 4.0, 1.0]))
    assert not acc.passed and acc.abs == 1.0 and acc.rel == pytest.approx(0.25)
    assert msg == "|error| 1 at (1,): 5 vs 4"
    assert _Acc((1e-8, 1e-6)).add(np.zeros(3), np.zeros((3, 1))) == "shape (3,) vs (3, 1)"
    assert _Acc((1e-8, 1e-6)).add(np.array([np.nan]), np.array([1.0])) == "NaN"


def test_sweep_covers_what_the_issue_asks():
    conv = cases("conv2d")
    pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)  # noqa: E731
    strides = {s for c in conv for s in pair(c.params["stride"])}
    paddings = {p for c in conv for p in pair(c.params["padding"])}
    assert {1, 2, 3} <= strides and {0, 1, 2} <= paddings
    assert any(c.inputs[1].shape[2] != c.inputs[1].shape[3] for c in conv)  # non-square kernels
    assert any(c.inputs[0].ndim == 4 and c.inputs[0].shape[0] > 1 for c in conv)  # batches
    assert any(c.inputs[0].shape[-3] > 1 and c.inputs[1].shape[0] > 1 for c in conv)  # channels in and out
    assert any(pair(c.params["dilation"]) != (1, 1) for c in conv)
    pool = cases("max_pool2d", quick=True)
    overlapping = [c for c in pool if pair(c.params["stride"])[0] < pair(c.params["kernel_size"])[0]]
    assert overlapping
    ties = [c for c in pool if c.numeric_skip == "tied maxima"]
    assert {c.params["tie"] for c in ties} == {"all", "first", "split"}
    assert any(c in overlapping for c in ties)
    for name in ("softmax", "log_softmax", "cross_entropy"):
        assert max(float(np.abs(c.inputs[0]).max()) for c in cases(name, quick=True)) == 1000.0
    # numeric is skipped exactly where a tie / a kink makes the rule a convention
    relu = cases("relu", quick=True)
    assert [c.numeric_skip for c in relu] == [None] * (len(relu) - 1) + ["inputs at the kink 0"]
    assert (relu[-1].inputs[0] == 0).any()


def test_sweep_is_deterministic_and_seeded():
    a, b = cases("conv2d", seed=3), cases("conv2d", seed=3)
    assert all(np.array_equal(x, y) for ca, cb in zip(a, b) for x, y in zip(ca.inputs + (ca.g,), cb.inputs + (cb.g,)))
    c = cases("conv2d", seed=4)
    assert not np.array_equal(a[0].inputs[0], c[0].inputs[0]) or not np.array_equal(a[0].g, c[0].g)
    # one rule's cases do not depend on which other rules are checked
    r1 = check(["tanh"], quick=True).rows
    r2 = [r for r in check(["relu", "tanh"], quick=True).rows if r.rule == "tanh"]
    assert r1 == r2


def test_wrong_autodiff_composition_is_caught(monkeypatch):
    real = F.max_pool2d

    def ties_to_first(x, kernel_size, stride=None, padding=0, dilation=1, tie="first"):
        return real(x, kernel_size, stride=stride, padding=padding, dilation=dilation, tie="first")

    monkeypatch.setattr(F, "max_pool2d", ties_to_first)
    res = check_rule("max_pool2d", quick=True)
    assert not res.passed
    dx = next(r for r in res.rows if r.gradient == "dx")
    assert not dx.passed and dx.closed_abs > 0.1
    # only tie cases under 'all' or 'split' can expose it: numeric (tie-free cases) still agrees
    assert dx.numeric_abs < 1e-6
    assert all("dx, autodiff vs closed form" in p for p in res.problems)
    failing = {int(re.match(r"max_pool2d case (\d+) ", p).group(1)) for p in res.problems}
    expected = {c.index for c in cases("max_pool2d", quick=True) if c.numeric_skip and c.params["tie"] != "first"}
    assert failing == expected and len(expected) >= 3


def test_unflipped_kernel_in_a_composition_is_caught_in_the_forward_row(monkeypatch):
    monkeypatch.setitem(COMPOSITIONS, "conv_full_layer",
                        lambda X, W: F.conv2d(X, W, padding=(W.shape[2] - 1, W.shape[3] - 1)))
    res = check_rule("conv_full_layer", quick=True)
    rows = {r.gradient: r for r in res.rows}
    assert not rows["out"].passed and not rows["dX"].passed and not rows["dW"].passed
    # the non-flipped composition is still differentiated correctly by the engine: its gradient disagrees with
    # central differences of the (flipped) closed-form forward, which is what the numeric column shows
    assert rows["dX"].numeric_abs > 0.1


def test_a_wrong_closed_form_is_caught_by_both_columns(monkeypatch):
    rec = CLOSED_FORMS["sigmoid"]
    wrong = MISTAKES["sigmoid"][0].fn  # z(1 − z) instead of σ(z)(1 − σ(z))
    monkeypatch.setitem(CLOSED_FORMS, "sigmoid", dataclasses.replace(rec, backward=wrong))
    res = check_rule("sigmoid", quick=True)
    dx = next(r for r in res.rows if r.gradient == "dx")
    assert not dx.passed and dx.closed_abs > 0.1 and dx.numeric_abs < 1e-6


def test_autodiff_and_closed_form_wrong_the_same_way_is_caught_by_numeric(monkeypatch):
    # both say d tanh = 1 − x² (the input, not the output): they agree, finite differences do not
    rec = CLOSED_FORMS["tanh"]
    monkeypatch.setitem(CLOSED_FORMS, "tanh", dataclasses.replace(rec, backward=MISTAKES["tanh"][0].fn))

    def wrong_tanh(x):
        c = x.data  # the point, as a constant: f = x − x³/3 + (tanh c − c + c³/3) has f(c) = tanh c, f' = 1 − x²
        return x - x * x * x / 3.0 + (np.tanh(c) - c + c ** 3 / 3.0)

    monkeypatch.setitem(COMPOSITIONS, "tanh", wrong_tanh)
    res = check_rule("tanh", quick=True)
    rows = {r.gradient: r for r in res.rows}
    assert rows["out"].passed  # same forward values
    assert rows["dx"].closed_abs < 1e-12  # autodiff and the closed form agree…
    assert not rows["dx"].passed and rows["dx"].numeric_abs > 0.1  # …and are both wrong


def test_check_all_rules_report_table_and_json(tmp_path):
    report = check(["relu", "max_pool2d", "cross_entropy"], quick=True, seed=1)
    assert report.passed
    text = str(report)
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["rule", "gradient", "cases"] and "|auto−closed|" in lines[0]
    assert any(line.startswith("max_pool2d") and " dx " in line and "PASS" in line
               and "numeric skipped on" in line and "tied maxima" in line for line in lines)
    assert lines[-1].startswith("3 rules, 6 rows, quick sweep, seed 1: all passed")
    out = tmp_path / "r.json"
    write_json(report, out)
    data = json.loads(out.read_text())
    assert data["passed"] is True and data["seed"] == 1 and data["quick"] is True
    assert [(r["rule"], r["gradient"]) for r in data["rows"]] == [(r.rule, r.gradient) for r in report.rows]
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temporary file left behind
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_json(report, tmp_path / "missing" / "r.json")
