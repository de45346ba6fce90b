"""``microgradnet grade`` on a generated class (:mod:`grading_class`): every verdict and mistake name as expected,
every style, every named mistake, the hostile submissions; Gradescope output; exit codes; and every notebook
solution passes ``microgradnet check --grade`` from its notebook with its natural signature."""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import pytest

from microgradnet.cli import main
from microgradnet.closed_form import MISTAKES
from microgradnet.exercises import EXERCISES

sys.path.insert(0, str(Path(__file__).parent))
from grading_class import HOSTILE, students  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
STUDENTS = students()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Write the class, one folder per (rule, function, flags) group, grade each group with the CLI; return
    {(group folder, name): JSON row} and the wall-clock time of the whole class."""
    root = tmp_path_factory.mktemp("class")
    groups: dict[tuple, list] = {}
    for s in STUDENTS:
        groups.setdefault(s.group, []).append(s)
    rows, codes = {}, {}
    t0 = time.perf_counter()
    for k, ((rule, func, flags), members) in enumerate(groups.items()):
        folder = root / f"group{k}"
        folder.mkdir()
        for s in members:
            (folder / f"{s.name}{s.suffix}").write_text(s.source, encoding="utf-8")
        out = folder.with_suffix(".json")
        codes[k] = main(["grade", rule, str(folder), "--func", func, "--quick", "--jobs", "2", "--json", str(out),
                         *flags])
        for row in json.loads(out.read_text())["submissions"]:
            rows[(rule, func, flags, Path(row["path"]).stem)] = row
        assert codes[k] == (0 if all(s.verdict == "pass" for s in members) else 1)
    seconds = time.perf_counter() - t0
    print(f"\nthe class of {len(STUDENTS)} submissions graded in {seconds:.1f} s")  # stated, not asserted
    return rows, seconds


def test_the_class_is_big_and_covers_every_style_mistake_and_hostile_case():
    assert len(STUDENTS) >= 30
    assert {(s.rule, s.mistake) for s in STUDENTS if s.mistake} == {(r, m.name) for r, ms in MISTAKES.items()
                                                                    for m in ms}
    funcs = {s.func for s in STUDENTS}
    assert {"Conv2D", "MaxPool2D", "FullyConnected", "Conv2d", "Tanh"} <= funcs  # the layer classes
    assert any("," in f for f in funcs) and any(s.suffix == ".ipynb" for s in STUDENTS)
    assert set(HOSTILE) <= {s.name for s in STUDENTS}


@pytest.mark.parametrize("student", STUDENTS, ids=[f"{s.rule}-{s.name}" for s in STUDENTS])
def test_each_submission_gets_its_verdict_and_mistake(graded, student):
    rows, _ = graded
    row = rows[(student.rule, student.func, student.flags, student.name)]
    assert set(row) == {"path", "verdict", "score", "cases", "mistake", "reason", "smallest_failing_case"}
    assert row["verdict"] == student.verdict, row
    assert row["mistake"] == student.mistake, row
    if student.reason:
        assert student.reason in row["reason"], row
    if student.verdict == "pass":
        assert row["score"] == 1.0 and row["cases"]["failed"] == 0 and row["reason"] is None
    else:
        assert 0.0 <= row["score"] < 1.0 and row["reason"]
    if student.mistake:
        assert row["smallest_failing_case"]


def test_skips_are_counted_and_strict_fails_them(graded):
    rows, _ = graded
    lenient = rows[("conv2d", "conv_backward", (), "conv_no_stride")]
    strict = rows[("conv2d", "conv_backward", ("--strict",), "conv_no_stride_strict")]
    assert lenient["verdict"] == "pass" and lenient["cases"]["skipped"] > 0
    assert strict["verdict"] == "fail" and strict["cases"] == lenient["cases"]
    assert strict["score"] < 1.0 and "--strict" in strict["reason"]


def test_patching_the_grader_in_the_child_changes_nothing(graded, tmp_path):
    rows, _ = graded
    row = rows[("relu", "relu_backward", ("--timeout", "4"), "patches_the_grader")]
    assert row["verdict"] == "fail" and row["cases"]["failed"] == row["cases"]["passed"] + row["cases"]["failed"]
    import microgradnet.check.grade as core
    assert core._compare.__module__ == "microgradnet.check.grade"  # this process's grader is untouched


def test_cli_output_rows_summary_and_gradescope(tmp_path, capsys):
    folder = tmp_path / "hw"
    folder.mkdir()
    head = "import numpy as np\n\ndef relu_backward(x, g):\n"
    (folder / "alice.py").write_text(head + "    return np.where(x > 0, g, 0)\n")
    (folder / "bob.py").write_text(head + "    return np.where(x >= 0, g, 0)\n")
    sub = folder / "carol"
    sub.mkdir()
    (sub / "notes.py").write_text("x = 1\n")
    (sub / "hw.py").write_text("def relu_backward(x, g):\n    return g * (x > 0)\n")
    gs = tmp_path / "results.json"
    assert main(["grade", "relu", str(folder), "--func", "relu_backward", "--gradescope", str(gs), "--points",
                 "10"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("PASS  1.00") and out[0].endswith("alice.py")
    assert out[1].startswith("FAIL  0.75") and out[1].endswith("bob.py  one_at_zero")
    assert out[2].startswith("PASS  1.00") and out[2].endswith(str(sub / "hw.py"))  # the file defining it
    assert out[3].startswith("class: 2 of 3 pass, mean score 0.92") and "mistakes: one_at_zero ×1" in out[3]
    data = json.loads(gs.read_text())
    assert [t["status"] for t in data["tests"]] == ["passed", "failed", "passed"]
    assert [t["max_score"] for t in data["tests"]] == [10.0] * 3
    assert data["tests"][1]["score"] == 7.5 and data["score"] == 27.5
    assert data["tests"][1]["output"].startswith("relu: FAIL 3/4.")
    assert main(["grade", "relu", str(folder / "alice.py"), "--func", "relu_backward"]) == 0
    capsys.readouterr()


def test_misuse_exits_2(tmp_path, capsys):
    f = tmp_path / "a.py"
    f.write_text("def g(x, g):\n    return g\n")
    assert main(["grade", "conv3d", str(f), "--func", "g"]) == 2
    assert "no closed-form rule named 'conv3d'" in capsys.readouterr().err
    assert main(["grade", "relu", str(tmp_path / "none"), "--func", "g"]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["grade", "relu", str(empty), "--func", "g"]) == 2
    assert "no .py or .ipynb submission" in capsys.readouterr().err
    assert main(["grade", "relu", str(f), "--func", "g", "--json", str(tmp_path / "no" / "dir" / "x.json")]) in (1, 2)
    capsys.readouterr()


# ----------------------------------------------------------------------------------------------------- notebooks
SOLVED = [(name, ex) for name, ex in EXERCISES.items() if ex.rule is not None
          and f'# %% [solution {name}]' in (ROOT / "notebooks" / "src" / f"{ex.notebook}.py").read_text()]


def test_every_rule_exercise_with_a_notebook_solution_is_covered():
    assert {n for n, _ in SOLVED} >= {"linear_backward", "cross_entropy_backward", "conv2d_backward",
                                      "maxpool_backward", "prelu_backward", "tanh_backward", "batchnorm_backward",
                                      "dropout_backward", "logistic_loss"}


@pytest.mark.parametrize("name,ex", SOLVED, ids=[n for n, _ in SOLVED])
def test_notebook_solution_passes_the_cli_grader(name, ex, tmp_path, capsys):
    """The solution as written in notebooks/src, extracted into a notebook of its own (its imports, helpers and
    every solution of that notebook, as the solutions edition has them), graded by `check --grade` — the full sweep,
    its natural signature, no adapter."""
    import nbformat

    sys.path.insert(0, str(ROOT / "notebooks"))
    try:
        import build
    finally:
        sys.path.pop(0)
    source = ROOT / "notebooks" / "src" / f"{ex.notebook}.py"
    _, solutions = build.make_notebooks(source)
    path = tmp_path / f"{ex.notebook}.ipynb"
    nbformat.write(solutions, path)
    # the convention the notebook grades with, e.g. check("prelu_backward", prelu_backward, kink="positive") in
    # notebook 6 (EN4553's derivative 1 at 0), is passed to the CLI as --kink positive
    call = re.search(rf'check\("{name}", \w+((?:, \w+="[^"]*")*)\)', source.read_text(encoding="utf-8"))
    assert call is not None, f"no check({name!r}, ...) call in {source.name}"
    options = [arg for k, v in re.findall(r'(\w+)="([^"]*)"', call.group(1)) for arg in (f"--{k}", v)]
    assert main(["check", "--grade", f"{path}:{name}", ex.rule, *options]) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    assert out.startswith(f"{ex.rule}: PASS ")
