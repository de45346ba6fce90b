"""Build the teaching notebooks from their readable sources in ``notebooks/src/``.

Each ``src/NN_name.py`` is a Python file in the "percent" format, so it can be reviewed (and linted) as code::

    # %% [markdown]
    # # A title
    # Prose, one comment line per markdown line ("#" alone is an empty line).

    # %%
    code = "a code cell"

    # %% [exercise softmax_backward]
    def softmax_backward(z, g):
        raise NotImplementedError       # what the reader sees and completes

    # %% [solution softmax_backward]
    def softmax_backward(z, g):
        ...                             # the worked solution

    # %% volatile
    print(time.time())                  # a tag: outputs that differ from run to run (not compared by the tests)

Lines before the first ``# %%`` (the module docstring) are not part of any notebook. Ruff's exceptions for
notebook-style code (imports mid-file, an exercise redefined by its solution, a bare expression shown as the
cell's result) are set for ``notebooks/src/*.py`` in ``pyproject.toml``.

From each source two notebooks are written: ``notebooks/NN_name.ipynb`` (exercise cells, the reader's version)
and ``notebooks/solutions/NN_name.ipynb`` (each exercise cell replaced by its solution, same cell id). Cell ids
are stable (``cell-07``, ``ex-<name>``), so a rebuild only changes what changed.

Usage::

    python notebooks/build.py                 # write every notebook and run it (outputs are kept)
    python notebooks/build.py 04 05           # only the notebooks whose names start with 04 or 05
    python notebooks/build.py --no-execute    # write the cells only (outputs of unchanged cells are kept)
    python notebooks/build.py --check         # exit 1 if a committed notebook's cells differ from its source

Execution uses nbclient with this Python's ``python3`` kernel (ipykernel), in a temporary folder, with
``MICROGRADNET_FAST`` unset (the full runs) and ``MICROGRADNET_CHECK_STRICT=1`` (a wrong solution stops the build).
Files are written atomically.
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from microgradnet.fileio import atomic_write_bytes

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
SOLUTIONS = HERE / "solutions"
KERNEL = "python3"
TIMEOUT = 1800  # seconds per cell, for the full (not FAST) runs of the build
SOLUTIONS_NOTE = "solutions-note"  # id of the first cell of a solutions notebook (not in the reader's notebook)

_MARKER = re.compile(r"^# %%(?: \[(?P<kind>markdown|exercise|solution)(?: (?P<name>[A-Za-z0-9_]+))?\])?"
                     r"(?P<tags>(?: [a-z][a-z0-9-]*)*)\s*$")
TAGS = ("volatile",)
"""Cell tags a source may use: ``volatile`` marks outputs that change from run to run or between the FAST and full
runs (timings, training curves); the freshness test does not compare them."""


class SourceError(ValueError):
    """A notebook source is malformed; the message names the file and the line."""


@dataclass
class Cell:
    kind: str              # "markdown", "code", "exercise", "solution"
    source: str
    name: str = ""         # exercise/solution name
    tags: list[str] = field(default_factory=list)
    line: int = 0


def parse(path: Path) -> list[Cell]:
    """The cells of one source file, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    cells: list[Cell] = []
    current: Cell | None = None
    body: list[str] = []

    def close():
        if current is None:
            return
        text = "\n".join(body).strip("\n")
        if current.kind == "markdown":
            out = []
            for k, ln in enumerate(body):
                if ln == "#":
                    out.append("")
                elif ln.startswith("# "):
                    out.append(ln[2:])
                elif ln.strip() == "":
                    out.append("")
                else:
                    raise SourceError(f"{path.name}:{current.line + k + 1}: a markdown line must start with '# ' "
                                      f"(or be '#'), got {ln!r}")
            text = "\n".join(out).strip("\n")
        if not text.strip():
            raise SourceError(f"{path.name}:{current.line}: empty {current.kind} cell")
        current.source = text
        cells.append(current)

    for i, ln in enumerate(lines, 1):
        if ln.startswith("# %%"):
            m = _MARKER.match(ln)
            if m is None:
                raise SourceError(f"{path.name}:{i}: cannot read the cell marker {ln!r}; expected '# %%', "
                                  "'# %% [markdown]', '# %% [exercise NAME]' or '# %% [solution NAME]' (+ tags)")
            close()
            kind = m.group("kind") or "code"
            name = m.group("name") or ""
            if (kind in ("exercise", "solution")) != bool(name):
                raise SourceError(f"{path.name}:{i}: exercise and solution cells need a name (and only they do)")
            tags = m.group("tags").split()
            for t in tags:
                if t not in TAGS:
                    raise SourceError(f"{path.name}:{i}: unknown tag {t!r}; known tags: {', '.join(TAGS)}")
            current, body = Cell(kind, "", name, tags, i), []
        elif current is not None:
            body.append(ln)
    close()
    if not cells:
        raise SourceError(f"{path.name}: no cells (a cell starts with a '# %%' line)")
    ex = [c.name for c in cells if c.kind == "exercise"]
    so = [c.name for c in cells if c.kind == "solution"]
    if len(set(ex)) != len(ex) or sorted(ex) != sorted(so):
        raise SourceError(f"{path.name}: every exercise needs exactly one solution with the same name; exercises "
                          f"{ex}, solutions {so}")
    return cells


def _nbformat():
    import nbformat
    return nbformat


def _metadata(cell: Cell, tag: str | None = None) -> dict:
    md: dict = {}
    tags = list(cell.tags) + ([tag] if tag else [])
    if tags:
        md["tags"] = tags
    if cell.name:
        md["exercise"] = cell.name
    return md


def make_notebooks(path: Path):
    """The reader's notebook and the solutions notebook for one source (cells only, no outputs)."""
    nbf = _nbformat()
    cells = parse(path)
    student, solution = [], []
    k = 0
    for c in cells:
        if c.kind == "solution":
            continue
        k += 1
        cid = f"ex-{c.name}" if c.kind == "exercise" else f"cell-{k:02d}"
        if c.kind == "markdown":
            student.append(nbf.v4.new_markdown_cell(c.source, id=cid, metadata=_metadata(c)))
            solution.append(nbf.v4.new_markdown_cell(c.source, id=cid, metadata=_metadata(c)))
        elif c.kind == "code":
            student.append(nbf.v4.new_code_cell(c.source, id=cid, metadata=_metadata(c)))
            solution.append(nbf.v4.new_code_cell(c.source, id=cid, metadata=_metadata(c)))
        else:
            sol = next(s for s in cells if s.kind == "solution" and s.name == c.name)
            student.append(nbf.v4.new_code_cell(c.source, id=cid, metadata=_metadata(c, "exercise")))
            solution.append(nbf.v4.new_code_cell(sol.source, id=cid, metadata=_metadata(sol, "solution")))
    solution.insert(0, nbf.v4.new_markdown_cell(
        f"*Worked solutions for [{path.stem}](../{path.stem}.ipynb): every exercise below is filled in, and its "
        "`check` passes. Try the exercises in the notebook itself first.*", id=SOLUTIONS_NOTE))
    meta = {"kernelspec": {"name": KERNEL, "display_name": "Python 3 (ipykernel)", "language": "python"},
            "language_info": {"name": "python", "pygments_lexer": "ipython3"}}
    nb_student = nbf.v4.new_notebook(cells=student, metadata=copy.deepcopy(meta))
    nb_solution = nbf.v4.new_notebook(cells=solution, metadata=copy.deepcopy(meta))
    return nb_student, nb_solution


def targets(stem: str) -> tuple[Path, Path]:
    return HERE / f"{stem}.ipynb", SOLUTIONS / f"{stem}.ipynb"


def sources(prefixes=()) -> list[Path]:
    found = sorted(SRC.glob("[0-9][0-9]_*.py"))
    if prefixes:
        found = [p for p in found if any(p.stem.startswith(x) for x in prefixes)]
        if not found:
            raise SystemExit(f"build.py: no source in {SRC} starts with {' or '.join(prefixes)}")
    return found


def cell_signature(cell) -> tuple:
    """What must match between a source and a committed notebook: type, id, source, tags, exercise name."""
    md = cell.get("metadata", {})
    return (cell["cell_type"], cell.get("id"), cell["source"], tuple(md.get("tags", ())), md.get("exercise", ""))


def differences(expected, actual, label: str) -> list[str]:
    """Plain-words differences between the cells a source gives and a committed notebook's cells."""
    a = [cell_signature(c) for c in expected.cells]
    b = [cell_signature(c) for c in actual.cells]
    if a == b:
        return []
    out = []
    if len(a) != len(b):
        out.append(f"{label}: {len(b)} cells, the source gives {len(a)}")
    for k, (x, y) in enumerate(zip(a, b)):
        if x != y:
            out.append(f"{label}: cell {k} ({x[1]}) differs from the source")
            break
    return out


def execute(nb, *, fast: bool = False, strict: bool = True, timeout: int = TIMEOUT, env_extra: dict | None = None,
            cwd: str | None = None):
    """Run ``nb`` in place with nbclient in a fresh temporary folder; returns ``nb``.

    ``fast`` sets ``MICROGRADNET_FAST=1`` (the notebooks shrink their training); ``strict`` sets
    ``MICROGRADNET_CHECK_STRICT=1`` (a failed ``check(...)`` raises). ``env_extra`` adds or, with a value of None,
    removes environment variables for the kernel.
    """
    from nbclient import NotebookClient

    env = {k: v for k, v in os.environ.items() if k not in ("MICROGRADNET_FAST", "MICROGRADNET_CHECK_STRICT")}
    if fast:
        env["MICROGRADNET_FAST"] = "1"
    if strict:
        env["MICROGRADNET_CHECK_STRICT"] = "1"
    env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    for k, v in (env_extra or {}).items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    with tempfile.TemporaryDirectory(prefix="mgn-nb-") as tmp:
        client = NotebookClient(nb, kernel_name=KERNEL, timeout=timeout, record_timing=False,
                                resources={"metadata": {"path": cwd or tmp}})
        client.execute(env=env)
    for cell in nb.cells:
        if cell["cell_type"] == "code":
            cell["outputs"] = merge_adjacent_streams(cell["outputs"])
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    return nb


def merge_adjacent_streams(outputs: list) -> list:
    """``outputs`` with each run of consecutive stream outputs of the same name (stdout, stderr) joined into one.

    How a cell's printing is cut into stream messages depends on when the kernel flushes, so the same run can give
    one output or three; joining them makes a rebuild's diff show only what changed. Nothing is reordered: text
    printed before and after a picture stays on its side of it.
    """
    merged: list = []
    for out in outputs:
        prev = merged[-1] if merged else None
        if (out.get("output_type") == "stream" and prev is not None and prev.get("output_type") == "stream"
                and prev.get("name") == out.get("name")):
            prev["text"] = "".join(prev["text"]) + "".join(out["text"])
        else:
            merged.append(out)
    return merged


def write_atomic(nb, path: Path) -> None:
    nbf = _nbformat()
    nbf.validate(nb)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = nbf.writes(nb) + "\n"
    atomic_write_bytes(path, text)


def _keep_outputs(new, old_path: Path):
    """Copy outputs of cells whose id and source are unchanged from the committed notebook (``--no-execute``)."""
    if not old_path.exists():
        return new
    old = _nbformat().read(old_path, as_version=4)
    by_id = {c.get("id"): c for c in old.cells if c["cell_type"] == "code"}
    for c in new.cells:
        o = by_id.get(c.get("id"))
        if c["cell_type"] == "code" and o is not None and o["source"] == c["source"]:
            c["outputs"], c["execution_count"] = o["outputs"], o["execution_count"]
    return new


def check(prefixes=()) -> list[str]:
    """Differences between every source and its committed notebooks (empty when all match)."""
    nbf = _nbformat()
    problems = []
    for src in sources(prefixes):
        want_student, want_solution = make_notebooks(src)
        for want, path in zip((want_student, want_solution), targets(src.stem)):
            if not path.exists():
                problems.append(f"{path.relative_to(HERE)} is missing; run python notebooks/build.py {src.stem[:2]}")
                continue
            problems += differences(want, nbf.read(path, as_version=4), str(path.relative_to(HERE)))
    return problems


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Build the teaching notebooks from notebooks/src.")
    ap.add_argument("prefixes", nargs="*", help="only sources whose names start with one of these (e.g. 04)")
    ap.add_argument("--check", action="store_true", help="compare committed notebooks with their sources")
    ap.add_argument("--no-execute", action="store_true", help="write cells without running them")
    ap.add_argument("--fast", action="store_true", help="run with MICROGRADNET_FAST=1 (for a quick look only)")
    args = ap.parse_args(argv)
    if args.check:
        problems = check(args.prefixes)
        for p in problems:
            print(p)
        print("notebooks match their sources" if not problems else f"{len(problems)} notebook(s) out of date")
        return 1 if problems else 0
    for src in sources(args.prefixes):
        nbs = make_notebooks(src)
        for nb, path in zip(nbs, targets(src.stem)):
            if args.no_execute:
                _keep_outputs(nb, path)
            else:
                print(f"running {path.relative_to(HERE)} ...", flush=True)
                execute(nb, fast=args.fast)
            write_atomic(nb, path)
            print(f"wrote {path.relative_to(HERE)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
