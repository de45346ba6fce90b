"""The teaching notebooks run top to bottom, their exercises grade as they should, and their committed outputs are
fresh.

Policy (see notebooks/README.md): notebooks are committed WITH their outputs, built by ``notebooks/build.py`` from
``notebooks/src/``. These tests

* check that every committed notebook's cells are exactly what its source gives, that every code cell was run,
  in order and without error, and that each file stays small;
* run every reader's notebook as committed (exercises blank: each ``check`` must say "not done yet") and every
  notebook with its exercises filled in from ``notebooks/solutions/`` (each ``check`` must pass), with
  ``MICROGRADNET_FAST=1`` (shorter training) and ``MICROGRADNET_CHECK_STRICT=1`` (a wrong answer raises);
  the cells assert the numbers their prose states, so a change in the library fails here;
* run notebooks 1–8 at full length as well (``MICROGRADNET_FAST`` unset, as a reader runs them; marked
  ``fullrun``): their cells assert what the full training runs must reach. A notebook whose source never reads
  ``MICROGRADNET_FAST`` runs the same either way, so its quick run is its full run and is not repeated;
* compare what each fresh run prints (stdout of every cell not tagged ``volatile``) with the committed outputs:
  a notebook whose printed numbers went stale fails, with the command that refreshes it;
* run one notebook with Graphviz's ``dot`` hidden from PATH (the renderer's fallback) and with no renderer at all
  (the DOT text is shown instead), and one with a known-wrong answer (the plain-words diagnosis is printed).

The runs use nbclient with this Python's ipykernel (kernel ``python3``), two at a time, each in its own temporary
folder.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import re
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
_spec = importlib.util.spec_from_file_location("notebooks_build", NB_DIR / "build.py")
build = importlib.util.module_from_spec(_spec)
sys.modules["notebooks_build"] = build
_spec.loader.exec_module(build)

NAMES = [p.stem for p in build.sources()]
FULL_RUNS = [n for n in NAMES if not n.startswith("09")]
"""Notebooks whose full-length runs are tests here (``fullrun``); notebook 9's full run is a test of its own."""
MAX_BYTES = 1_500_000
TIMEOUT = 600
FULL_TIMEOUT = 1800  # per cell, for the full-length runs


# ------------------------------------------------------------------------------------------------ helpers
def read(path: Path):
    return nbformat.read(path, as_version=4)


def committed(name: str):
    student, solution = build.targets(name)
    return read(student), read(solution)


def exercises_of(nb) -> list[str]:
    return [c.metadata["exercise"] for c in nb.cells if "exercise" in c.metadata.get("tags", [])]


def blank(nb):
    nb = copy.deepcopy(nb)
    for c in nb.cells:
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
    return nb


def filled(student, solution):
    """The reader's notebook with every exercise cell replaced by the solution cell of the same id."""
    by_id = {c.get("id"): c for c in solution.cells}
    nb = blank(student)
    n = 0
    for c in nb.cells:
        if "exercise" in c.metadata.get("tags", []):
            sol = by_id[c["id"]]
            assert "solution" in sol.metadata.get("tags", []) and sol.metadata["exercise"] == c.metadata["exercise"]
            c.source = sol.source
            n += 1
    assert n == len(exercises_of(student))
    return nb


def stdout_of(cell) -> str:
    text = "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == "stdout")
    return "\n".join(line.rstrip() for line in text.splitlines())


def all_stdout(nb) -> str:
    return "\n".join(stdout_of(c) for c in nb.cells if c.cell_type == "code")


def stale(fresh, reference, label: str) -> list[str]:
    """Cells (not tagged volatile) whose printed output differs between a fresh run and the committed notebook."""
    out = []
    ref = {c.get("id"): c for c in reference.cells}
    for c in fresh.cells:
        if c.cell_type != "code" or "volatile" in c.metadata.get("tags", []):
            continue
        mine, theirs = stdout_of(c), stdout_of(ref[c.get("id")])
        if mine != theirs:
            first = next((k for k, (a, b) in enumerate(zip(mine.splitlines() + [""], theirs.splitlines() + [""]))
                          if a != b), 0)
            got = (mine.splitlines() + ["<nothing>"])[first]
            was = (theirs.splitlines() + ["<nothing>"])[first]
            out.append(f"{label}, cell {c.get('id')}: prints {got!r} but the committed notebook shows {was!r}")
    return out


def displays(nb, mime: str) -> list[str]:
    return [o["data"][mime] for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
            if o.get("output_type") in ("display_data", "execute_result") and mime in o.get("data", {})]


# ------------------------------------------------------------------------------------------------ the runs
def _no_dot_path() -> str:
    """A PATH without Graphviz's dot (and without graphviz-pure): a folder with nothing in it."""
    folder = tempfile.mkdtemp(prefix="mgn-nodot-")
    return folder


# No renderer at all: find_renderer returns None wherever it is looked up -- viz.display (can_render, behind
# viz.show) and viz.render (drawing a Graph) -- as on a machine with neither dot nor graphviz-pure.
PATCH_NO_RENDERER = ("import viz, viz.display, viz.render\n"
                     "viz.find_renderer = viz.render.find_renderer = viz.display.find_renderer = (\n"
                     "    lambda *args, **kwargs: None)  # test: no renderer\n"
                     "assert not viz.can_render()")

WRONG_BACKWARD = '''def backward(root):
    """WRONG on purpose (the test): assigns instead of accumulating."""
    from microgradnet import toposort
    root.grad = 1.0
    for node in reversed(toposort(root)):
        for parent, local in zip(node._prev, node.local_grads()):
            parent.grad = node.grad * local'''


def reads_fast(name: str) -> bool:
    """Does the notebook's source look at MICROGRADNET_FAST (else its quick and full runs are the same run)?"""
    return "MICROGRADNET_FAST" in (build.SRC / f"{name}.py").read_text(encoding="utf-8")


def _key(kind: str, name: str, fast: bool = True) -> tuple[str, str, bool]:
    return kind, name, fast and reads_fast(name)


def _job(kind: str, name: str, fast: bool = True):
    student, solution = committed(name)
    env = {}
    strict = True
    if kind == "reader":
        nb = blank(student)
    elif kind == "solutions":
        nb = filled(student, solution)
    elif kind == "no_dot":
        nb = blank(student)
        env["PATH"] = _no_dot_path()
        env["MICROGRADNET_DOT"] = None
    elif kind == "no_renderer":
        nb = blank(student)
        nb.cells.insert(0, nbformat.v4.new_code_cell(PATCH_NO_RENDERER, id="test-patch"))
    elif kind == "wrong_answer":
        nb = filled(student, solution)
        cell = next(c for c in nb.cells if c.metadata.get("exercise") == "backward")
        cell.source = WRONG_BACKWARD
        strict = False
    else:  # pragma: no cover
        raise ValueError(kind)
    try:
        return build.execute(nb, fast=fast, strict=strict, timeout=TIMEOUT if fast else FULL_TIMEOUT,
                             env_extra=env)
    finally:
        if kind == "no_dot":
            shutil.rmtree(env["PATH"], ignore_errors=True)


_POOL: ThreadPoolExecutor | None = None
_FUTURES: dict = {}


def _wanted(items) -> list[tuple[str, str, bool]]:
    jobs = []
    for item in items:
        if Path(str(item.fspath)).name != Path(__file__).name or not hasattr(item, "callspec"):
            continue
        kind = item.callspec.params.get("kind")
        name = item.callspec.params.get("name")
        if kind and name:
            jobs.append(_key(kind, name, fast=item.get_closest_marker("fullrun") is None))
    jobs += [_key(k, n) for k, n in EXTRA_RUNS if any(getattr(i, "originalname", "") == f"test_{k}" for i in items)]
    # the slowest first (full runs, then notebooks from the last), so two workers finish together
    order = {n: i for i, n in enumerate(reversed(NAMES))}
    return sorted(dict.fromkeys(jobs), key=lambda j: (j[2], order.get(j[1], 0)))


EXTRA_RUNS = [("no_dot", "02_chain_rule"), ("no_renderer", "02_chain_rule"), ("wrong_answer", "02_chain_rule")]


@pytest.fixture(scope="session")
def run(request):
    """``run(kind, name, fast=True)``: the executed notebook (cached; every run the selected tests need starts at
    once, two kernels at a time). ``fast=False`` is the full-length run."""
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=2)
        for job in _wanted(request.session.items):
            _FUTURES[job] = _POOL.submit(_job, *job)
        request.addfinalizer(lambda: _POOL.shutdown(wait=True, cancel_futures=True))

    def get(kind, name, fast=True):
        key = _key(kind, name, fast)
        if key not in _FUTURES:
            _FUTURES[key] = _POOL.submit(_job, *key)
        return _FUTURES[key].result()
    return get


# --------------------------------------------------------------------------------- committed notebooks (no kernel)
def test_there_are_nine_notebooks_in_order():
    assert NAMES == ["01_derivatives", "02_chain_rule", "03_neuron_mlp", "04_dense_softmax", "05_convolution",
                     "06_pooling_activations", "07_batchnorm_dropout", "08_toy_network", "09_training"]


def test_committed_notebooks_match_their_sources():
    problems = build.check()
    assert problems == [], "\n".join(problems) + "\nrun: python notebooks/build.py"


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_is_executed_clean_and_small(name):
    for path in build.targets(name):
        nb = read(path)
        nbformat.validate(nb)
        assert path.stat().st_size < MAX_BYTES, f"{path.name} is {path.stat().st_size} bytes"
        counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
        assert counts == list(range(1, len(counts) + 1)), f"{path}: not run top to bottom in one go: {counts}"
        errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
        assert errors == []
        assert nb.metadata["kernelspec"]["name"] == "python3"
        for c in nb.cells:
            if c.cell_type != "code":
                continue
            shown = [json.dumps(o["data"], sort_keys=True) for o in c.outputs
                     if o.output_type in ("display_data", "execute_result")]
            # an object displayed and also returned by a cell's last line would be shown twice
            assert len(shown) == len(set(shown)), (f"{path.name}, cell {c.get('id')}: the same output is shown "
                                                   "twice (a cell that displays an object and also returns it)")


@pytest.mark.parametrize("name", NAMES)
def test_every_notebook_has_checked_exercises_with_solutions(name):
    student, solution = committed(name)
    names = exercises_of(student)
    assert names, f"{name} has no exercise"
    text = "\n".join(c.source for c in student.cells if c.cell_type == "code")
    from microgradnet.exercises import EXERCISES
    for ex in names:
        assert f'check("{ex}"' in text
        assert EXERCISES[ex].notebook == name
    out_reader, out_solutions = all_stdout(student), all_stdout(solution)
    for ex in names:
        assert f"check {ex}: not done yet." in out_reader
        assert f"check {ex}: ✓ correct on all" in out_solutions
    assert "✗" not in out_solutions


def test_every_exercise_belongs_to_a_notebook():
    from microgradnet.exercises import EXERCISES
    used = {ex for name in NAMES for ex in exercises_of(committed(name)[0])}
    assert used == set(EXERCISES)
    assert all(EXERCISES[ex].notebook in NAMES for ex in EXERCISES)


def test_readme_lists_every_notebook():
    text = (NB_DIR / "README.md").read_text(encoding="utf-8")
    for name in NAMES:
        assert f"{name}.ipynb" in text
    assert "outputs" in text and "build.py" in text


def test_build_joins_adjacent_streams_without_reordering():
    # how a cell's printing is cut into stream messages depends on the kernel's flushes; the build joins each run
    # of one stream so a rebuild's diff shows only what changed, and keeps text on its side of a picture
    out = nbformat.v4.new_output
    outputs = [out("stream", name="stdout", text="a = 1"), out("stream", name="stdout", text="\n"),
               out("display_data", data={"text/plain": "<picture>"}),
               out("stream", name="stdout", text="b = 2\n"), out("stream", name="stderr", text="warn\n"),
               out("stream", name="stderr", text="again\n"), out("stream", name="stdout", text="c = 3\n")]
    merged = build.merge_adjacent_streams(outputs)
    assert [(o.output_type, o.get("name"), o.get("text", o.get("data"))) for o in merged] == [
        ("stream", "stdout", "a = 1\n"), ("display_data", None, {"text/plain": "<picture>"}),
        ("stream", "stdout", "b = 2\n"), ("stream", "stderr", "warn\nagain\n"), ("stream", "stdout", "c = 3\n")]


def test_stale_detection_reports_the_changed_number():
    # the freshness comparison itself: a changed printed number is reported with the cell and both values
    student, _ = committed("02_chain_rule")
    changed = copy.deepcopy(student)
    cell = next(c for c in changed.cells if c.cell_type == "code" and "forward: e = -6.0" in stdout_of(c))
    for o in cell.outputs:
        if o.output_type == "stream":
            o.text = o.text.replace("L = -8.0", "L = -8.5")
    problems = stale(changed, student, "02")
    assert len(problems) == 1 and "'forward: e = -6.0, d = 4.0, L = -8.5'" in problems[0]


# ---------------------------------------------------------------------------------------- fresh runs (kernels)
@pytest.mark.parametrize("kind", ["reader"])
@pytest.mark.parametrize("name", NAMES)
def test_reader_notebook_runs_and_is_fresh(run, kind, name):
    nb = run(kind, name)
    student, _ = committed(name)
    out = all_stdout(nb)
    for ex in exercises_of(student):
        assert f"check {ex}: not done yet." in out
    problems = stale(nb, student, f"{name}.ipynb")
    assert problems == [], "\n".join(problems) + f"\nrefresh with: python notebooks/build.py {name[:2]}"


@pytest.mark.parametrize("kind", ["solutions"])
@pytest.mark.parametrize("name", NAMES)
def test_notebook_with_solutions_filled_in_passes_every_check(run, kind, name):
    nb = run(kind, name)
    student, solution = committed(name)
    out = all_stdout(nb)
    for ex in exercises_of(student):
        assert f"check {ex}: ✓ correct on all" in out, out
    assert "not done yet" not in out and "✗" not in out
    # the filled notebook is the solutions notebook: same cells, and what it prints is what is committed there
    assert solution.cells[0].get("id") == build.SOLUTIONS_NOTE
    assert [c.source for c in nb.cells] == [c.source for c in solution.cells[1:]]
    problems = stale(nb, solution, f"solutions/{name}.ipynb")
    assert problems == [], "\n".join(problems) + f"\nrefresh with: python notebooks/build.py {name[:2]}"


@pytest.mark.fullrun
@pytest.mark.parametrize("kind", ["reader", "solutions"])
@pytest.mark.parametrize("name", FULL_RUNS)
def test_full_length_run(run, kind, name):
    """The notebook as a reader runs it, training at full length: every cell runs (each asserts the ranges its
    prose states for the full run), the checks say what they should, and what it prints is what is committed."""
    nb = run(kind, name, fast=False)
    student, solution = committed(name)
    out = all_stdout(nb)
    for ex in exercises_of(student):
        want = "not done yet." if kind == "reader" else "✓ correct on all"
        assert f"check {ex}: {want}" in out, out
    if kind == "solutions":
        assert "not done yet" not in out and "✗" not in out
    reference, label = (student, f"{name}.ipynb") if kind == "reader" else (solution, f"solutions/{name}.ipynb")
    problems = stale(nb, reference, label)
    assert problems == [], "\n".join(problems) + f"\nrefresh with: python notebooks/build.py {name[:2]}"


def test_no_dot(run):
    """Graphviz's dot hidden from PATH: the renderer falls back to graphviz-pure (installed next to Python) if it
    is there, else the notebook shows the DOT text; either way it runs to the end."""
    from viz.render import find_renderer

    nb = run("no_dot", "02_chain_rule")
    fallback = find_renderer(search_path="")
    svgs, texts = displays(nb, "image/svg+xml"), displays(nb, "text/plain")
    if fallback is not None:
        assert fallback.kind == "graphviz-pure"
        assert len(svgs) == 4 and all("<svg" in s for s in svgs)
    else:
        assert svgs == [] and sum("digraph {" in t for t in texts) == 4
    assert "library backward: x.grad = 1.349839" in all_stdout(nb)  # the last cell ran


def test_no_renderer(run):
    """No renderer at all: every graph is shown as a note and its DOT text, and nothing fails."""
    nb = run("no_renderer", "02_chain_rule")
    assert displays(nb, "image/svg+xml") == []
    dots = [t for t in displays(nb, "text/plain") if "digraph {" in t]
    assert len(dots) == 4
    assert all(t.startswith("(no Graphviz renderer found: pip install graphviz-pure") for t in dots)
    assert '[label="{ L | data -8.0000 | grad 1.0000 }"' in "".join(dots).replace("\t", "")
    assert "library backward: x.grad = 1.349839" in all_stdout(nb)


def test_wrong_answer(run):
    """A known-wrong answer in a notebook: check prints the plain-words diagnosis and the notebook carries on."""
    nb = run("wrong_answer", "02_chain_rule")
    out = all_stdout(nb)
    assert "check backward: ✗ not right yet (2 of 4 cases pass)." in out
    assert re.search(r"→ Your backward sets parent\.grad = … instead of adding to it", out)
    assert "check chain_by_hand: ✓ correct on all 4 cases" in out
    assert "library backward: x.grad = 1.349839" in out


def test_kernel_environment_is_this_python():
    # the notebooks run in the kernel of the interpreter running the tests (the venv of `make test`)
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec(build.KERNEL)
    argv0 = spec.argv[0]
    assert argv0 in ("python", "python3", sys.executable) or os.path.samefile(argv0, sys.executable)
