"""Grading a student's backward: the closed form passes, every catalogued mistake is recognised as itself, wrong
signatures / shapes / return values get clear messages, failures come smallest case first with exact numbers."""

from __future__ import annotations

import numpy as np
import pytest

import microgradnet as mg
from microgradnet.check import cases, rule
from microgradnet.closed_form import CLOSED_FORMS, MISTAKES


@pytest.mark.parametrize("name", list(CLOSED_FORMS))
def test_the_closed_form_and_its_alternatives_pass(name):
    rec = CLOSED_FORMS[name]
    for fn in (rec.backward, *rec.alternatives):
        grade = rule(fn, name)
        assert grade.passed and grade.failures == [] and grade.diagnosis is None
        assert grade.cases_run == len(cases(name))
        assert str(grade).startswith(f"{name}: PASS {grade.cases_run}/{grade.cases_run}.")


MISTAKE_CASES = [(r, m) for r, ms in MISTAKES.items() for m in ms]


@pytest.mark.parametrize("name,mistake", MISTAKE_CASES, ids=[f"{r}-{m.name}" for r, m in MISTAKE_CASES])
def test_every_known_mistake_is_diagnosed_as_itself(name, mistake):
    grade = rule(mistake.fn, name)
    assert not grade.passed
    assert [d.name for d in grade.diagnoses] == [mistake.name]
    assert grade.diagnosis.name == mistake.name and grade.diagnosis.description == mistake.description
    text = str(grade)
    assert f"Known mistake '{mistake.name}'" in text and "Smallest failing case:" in text


def _smallest_failing(name, fn):
    """Recompute, independently of the grader, the smallest case on which fn differs from the closed form."""
    rec = CLOSED_FORMS[name]
    for c in sorted(cases(name), key=lambda c: (c.size, c.index)):
        exp = rec.backward(*c.inputs, c.g, **c.params)
        got = fn(*c.inputs, c.g, **c.params)
        if any(np.shape(a) != np.shape(b) or not np.allclose(a, b, rtol=1e-5, atol=1e-6) for a, b in zip(got, exp)):
            return c, exp, got
    raise AssertionError("fn never fails")


def test_conv2d_unflipped_kernel_smallest_case_and_worst_element():
    mistake = next(m for m in MISTAKES["conv2d"] if m.name == "dx_kernel_not_rotated")
    grade = rule(mistake.fn, "conv2d")
    case, exp, got = _smallest_failing("conv2d", mistake.fn)
    first = grade.failures[0]
    assert first.case.index == case.index
    sizes = [f.case.size for f in grade.failures]
    assert sizes == sorted(sizes)
    (m,) = first.mismatches  # only dx is wrong
    assert m.gradient == "dx"
    diff = np.abs(got.dx - exp.dx)
    at = np.unravel_index(diff.argmax(), diff.shape)
    assert m.index == tuple(int(i) for i in at)
    assert m.expected == exp.dx[at] and m.got == got.dx[at] and m.abs_error == diff.max()
    assert "kernel was not flipped" in grade.diagnosis.explanation
    assert grade.diagnosis.gradients == ("dx",)


def test_max_pool_ties_routed_to_one_position_message():
    mistake = next(m for m in MISTAKES["max_pool2d"] if m.name == "ties_to_one")
    text = str(rule(mistake.fn, "max_pool2d", quick=True))
    assert "routes the gradient of tied maxima to one position only" in text
    assert "every position attaining the maximum" in text and "CSC 249" in text
    assert "tied maxima" in text.split("Smallest failing case:")[1]  # the smallest failing case has ties


def test_missing_one_over_n_and_sign_flip_on_a_batch_mean_loss():
    rec = CLOSED_FORMS["cross_entropy"]

    def no_mean(scores, labels, g=1.0):
        n = 1 if np.ndim(scores) == 1 else np.shape(scores)[0]
        return (rec.backward(scores, labels, g).dscores * n,)

    def flipped(scores, labels, g=1.0):
        return -rec.backward(scores, labels, g).dscores

    g1 = rule(no_mean, "cross_entropy")
    assert g1.diagnosis.name == "missing_1_over_N" and "1/N" in str(g1)
    g2 = rule(flipped, "cross_entropy")
    assert g2.diagnosis.name == "sign_flipped" and "wrong sign" in str(g2)
    g3 = rule(lambda y, t, g=1.0, reduction="mean", half=False: -CLOSED_FORMS["mse_loss"].backward(
        y, t, g, reduction=reduction, half=half).dy, "mse_loss")
    assert g3.diagnosis.name == "sign_flipped"


def test_two_mistakes_at_once_are_both_named():
    rec = CLOSED_FORMS["linear"]

    def two(x, W, b, g):
        r = rec.backward(x, W, b, g)
        n = 1 if x.ndim == 1 else x.shape[1]
        return r.dx, r.dW.T, r.db / n

    grade = rule(two, "linear")
    assert [(d.name, d.gradients) for d in grade.diagnoses] == [("dW_transposed", ("dW",)),
                                                                 ("db_mean_over_batch", ("db",))]


def test_no_known_mistake():
    grade = rule(lambda x, g: (2.0 * np.where(x > 0, g, 0.0),), "relu")
    assert not grade.passed and grade.diagnosis is None
    assert "No known mistake matches" in str(grade)


def test_transposed_dW_reports_the_shape():
    mistake = next(m for m in MISTAKES["linear"] if m.name == "dW_transposed")
    grade = rule(mistake.fn, "linear")
    msgs = [m.message for f in grade.failures for m in f.mismatches]
    assert "linear: your function returned dW of shape (4, 3); expected (3, 4) (the shape of W)" in msgs


def test_wrong_shape_message_for_conv():
    rec = CLOSED_FORMS["conv2d"]

    def cropped(x, w, b, g, stride=1, padding=0, dilation=1):
        r = rec.backward(x, w, b, g, stride=stride, padding=padding, dilation=dilation)
        return r.dx[..., :-1, :], r.dw, r.db

    grade = rule(cropped, "conv2d")
    assert not grade.passed and grade.diagnosis is None
    c = grade.failures[0].case
    x = c.inputs[0]
    expected = f"conv2d: your function returned dx of shape {x[..., :-1, :].shape}; expected {x.shape} (the shape of x)"
    assert grade.failures[0].mismatches[0].message == expected
    assert expected in str(grade)


def test_wrong_signature_is_a_clear_type_error():
    with pytest.raises(TypeError, match=r"conv2d: your function .*\(a, c\) cannot be called as .*\(x, w, b, g\)\. "
                                        r"Expected the signature of the closed form: "
                                        r"conv2d_backward\(x, w, b, g, \*, stride=1, padding=0, dilation=1\); "
                                        r"accepted signatures: plain fn"):
        rule(lambda a, c: None, "conv2d")
    with pytest.raises(TypeError, match="expected a function"):
        rule(42, "relu")
    with pytest.raises(ValueError, match="no closed-form rule named 'conv3d'"):
        rule(lambda x, g: x, "conv3d")


def test_arguments_are_bound_by_name_when_the_names_say_which():
    rec = CLOSED_FORMS["conv2d"]

    def no_bias(x, w, g, stride=1, padding=0, dilation=1):  # ∂L/∂b needs no b: (x, w, g) is a full backward
        return rec.backward(x, w, np.zeros(w.shape[0]), g, stride=stride, padding=padding, dilation=dilation)

    assert rule(no_bias, "conv2d", quick=True).passed
    drec = CLOSED_FORMS["dropout"]

    def dropout_backward(mask, dout, p=0.5, inverted=False, train=True):  # no x, g spelled dout
        return drec.backward(np.zeros_like(mask), mask, dout, p=p, inverted=inverted, train=train)

    assert rule(dropout_backward, "dropout").passed


def test_return_forms_single_array_dict_and_wrong_count():
    assert rule(lambda x, g: np.where(x > 0, g, 0.0), "relu").passed  # one gradient: a bare array
    assert rule(lambda x, g: [np.where(x > 0, g, 0.0)], "relu").passed
    assert rule(lambda x, g: mg.where(mg.tensor(x) > 0, mg.tensor(g), 0.0), "relu").passed  # a Tensor's numbers

    rec = CLOSED_FORMS["linear"]
    assert rule(lambda x, W, b, g: rec.backward(x, W, b, g)._asdict(), "linear").passed  # {'dx':…, 'dW':…, 'db':…}
    grade = rule(lambda x, W, b, g: rec.backward(x, W, b, g)[:2], "linear")
    assert not grade.passed
    assert grade.failures[0].error == ("linear: your function returned 2 values; expected 3 (dx, dW, db: the "
                                       "gradients with respect to x, W, b, in that order)")
    grade = rule(lambda x, W, b, g: (*rec.backward(x, W, b, g)[:2], None), "linear")
    assert grade.failures[0].error == "linear: your function returned None for db"


def test_a_function_that_raises_is_reported_per_case():
    def only_stride_one(x, w, b, g, stride=1, padding=0, dilation=1):
        if stride != 1:
            raise NotImplementedError("stride")
        return CLOSED_FORMS["conv2d"].backward(x, w, b, g, padding=padding, dilation=dilation)

    grade = rule(only_stride_one, "conv2d")
    assert not grade.passed
    errors = [f.error for f in grade.failures]
    assert all(e.startswith("your function raised NotImplementedError: stride") for e in errors)
    assert len(errors) == sum(1 for c in cases("conv2d") if c.params["stride"] != 1)
    assert any("as (height, width) pairs" in e for e in errors)  # the (2, 1) stride case


def test_parameters_the_function_does_not_take_are_left_out_or_the_case_skipped():
    rec = CLOSED_FORMS["conv2d"]

    def no_dilation(x, w, b, g, stride=1, padding=0):
        return rec.backward(x, w, b, g, stride=stride, padding=padding)

    grade = rule(no_dilation, "conv2d")
    n_dilated = sum(1 for c in cases("conv2d") if c.params["dilation"] not in (1, (1, 1)))
    assert grade.passed and grade.cases_run == len(cases("conv2d")) - n_dilated
    assert grade.skipped == {"dilation (your function takes no dilation parameter)": n_dilated}
    n = grade.cases_run
    assert str(grade).startswith(f"conv2d: PASS {n}/{n}, {n_dilated} skipped: dilation (your function takes no "
                                 f"dilation parameter) ×{n_dilated}.")


def test_the_student_cannot_change_the_inputs_of_later_comparisons():
    rec = CLOSED_FORMS["relu"]

    def vandal(x, g):
        r = rec.backward(x, g).dx
        x[...] = 0.0
        g[...] = 0.0
        return r

    assert rule(vandal, "relu").passed
