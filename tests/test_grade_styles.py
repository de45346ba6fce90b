"""The grading core in this process: signature styles, shape adaptation, conventions, case policy, notebooks."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from microgradnet.check import cases, rule
from microgradnet.check.submission import find_submissions, notebook_source
from microgradnet.closed_form import CLOSED_FORMS

sys.path.insert(0, str(Path(__file__).parent))
from grading_class import CS231N_CONV, CSC249_CONV, _bn, _conv, _pool, notebook  # noqa: E402


def _defs(src: str) -> dict:
    ns: dict = {}
    exec(compile(src, "<student>", "exec"), ns)  # noqa: S102 - the test's own sources
    return ns


def test_a_2d_batch_norm_gets_image_cases_as_rows():
    bn = _defs(_bn("right"))["batchnorm_backward"]
    grade = rule(bn, "batch_norm")
    four_d = [c for c in cases("batch_norm") if c.inputs[0].ndim == 4]
    assert four_d and grade.passed and grade.cases_run == len(cases("batch_norm"))
    only_dx = rule(_defs(_bn("mean_path_forgotten"))["batchnorm_backward"], "batch_norm")
    assert {g for f in only_dx.failures for g in f.gradients} == {"dx"}  # not dx, dgamma, dbeta
    assert only_dx.diagnosis.name == "mean_path_forgotten"


def test_cs231n_pair_runs_the_forward_and_feeds_its_cache():
    ns = _defs(CS231N_CONV)
    grade = rule(ns["conv_backward_naive"], "conv2d", forward=ns["conv_forward_naive"])
    assert grade.passed and grade.style == "cs231n"
    assert all(k.startswith(("dilation (", "stride (")) for k in grade.skipped)
    assert rule(ns["conv_backward_naive"], "conv2d").passed  # the forward found by its name
    bad = _defs(CS231N_CONV.replace(") + b[f]", ") + 2 * b[f]"))
    wrong = rule(bad["conv_backward_naive"], "conv2d", forward=bad["conv_forward_naive"])
    assert not wrong.passed and {g for f in wrong.failures for g in f.gradients} == {"out"}
    assert "your forward" not in str(wrong) and "out: worst at" in str(wrong)


def test_a_csc249_layer_class_is_graded_one_example_at_a_time():
    grade = rule(_defs(CSC249_CONV)["Conv2D"], "conv2d")
    assert grade.passed and grade.style == "csc249" and grade.cases_run > 0


def test_nothing_fits_says_what_is_accepted():
    with pytest.raises(TypeError, match="accepted signatures: plain fn"):
        rule(lambda: 0, "relu")
    with pytest.raises(TypeError, match="the cs231n style covers"):
        rule(lambda dout, cache: dout, "dropout", forward=lambda x, p: (x, None))
    with pytest.raises(ValueError, match="style must be one of"):
        rule(lambda x, g: g, "relu", style="keras")


def test_tie_and_kink_are_conventions_a_function_implements():
    first = _defs(_pool("first"))["pool_backward"]
    every = _defs(_pool("all"))["pool_backward"]
    assert rule(first, "max_pool2d", quick=True).passed  # no tie argument: graded as tie="first"
    assert rule(first, "max_pool2d", quick=True, tie="all").diagnosis.name == "ties_to_one"
    assert rule(every, "max_pool2d", quick=True).diagnosis.name == "ties_to_all"
    assert rule(every, "max_pool2d", quick=True, tie="all").passed

    def positive(x, g):
        return np.where(x >= 0, g, 0.0)

    assert rule(positive, "relu").diagnosis.name == "one_at_zero"
    assert rule(positive, "relu", kink="positive").passed
    slope = CLOSED_FORMS["leaky_relu"].backward
    assert rule(lambda x, g, slope=0.01: slope_at_zero_one(x, g, slope), "leaky_relu", kink="positive").passed
    assert not rule(lambda x, g, slope=0.01: slope_at_zero_one(x, g, slope), "leaky_relu").passed
    assert rule(slope, "leaky_relu", kink="positive").passed  # it takes kink: passed on


def slope_at_zero_one(x, g, slope):
    return np.where(x >= 0, g, slope * g)


def test_skips_are_counted_and_strict_fails_core_ones():
    no_stride = _defs(_conv("no_stride"))["conv_backward"]
    lenient = rule(no_stride, "conv2d")
    strict = rule(no_stride, "conv2d", strict=True)
    n = sum(1 for c in cases("conv2d") if c.params["stride"] not in (1, (1, 1)))
    assert lenient.passed and lenient.skipped == {"stride (your function takes no stride parameter)": n}
    assert not strict.passed and strict.strict_skips == n and strict.failures == []
    assert strict.score == pytest.approx(strict.cases_run / (strict.cases_run + n))
    assert str(strict).startswith(f"conv2d: FAIL {strict.cases_run}/{strict.cases_run}, {n} skipped: stride")


def test_a_notebook_gives_only_its_definitions(tmp_path):
    path = tmp_path / "nb.ipynb"
    path.write_text(notebook(["import numpy as np\n%matplotlib inline\nEPS = 1e-5\nx = np.zeros(3)\nx.label = 'x'",
                              "def f(z, g):\n    return g * EPS",
                              "while True:\n    pass",
                              "def broken(:\n    pass"]))
    src = notebook_source(path, ("f",))
    assert "def f(z, g)" in src and "EPS = 1e-05" in src and "import numpy as np" in src
    assert "while" not in src and "matplotlib" not in src and "x.label" not in src and "np.zeros" not in src
    with pytest.raises(SyntaxError, match="code cell 4"):
        notebook_source(path, ("broken",))
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not a readable notebook"):
        notebook_source(path)


def test_find_submissions_in_files_folders_and_student_folders(tmp_path):
    (tmp_path / "a.py").write_text("def f(): pass\n")
    (tmp_path / "b.ipynb").write_text(json.dumps({"cells": []}))
    (tmp_path / "notes.txt").write_text("")
    (tmp_path / ".hidden.py").write_text("")
    s = tmp_path / "student"
    s.mkdir()
    (s / "a_helpers.py").write_text("def g(): pass\n")
    (s / "z_main.py").write_text("def f(): pass\n")
    found = find_submissions([tmp_path], "f")
    assert found == [tmp_path / "a.py", tmp_path / "b.ipynb", s / "z_main.py"]
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        find_submissions([tmp_path / "nope"], "f")
