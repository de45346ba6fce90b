"""Loading a submission to grade — a ``.py`` file, a notebook, a folder of them — and running it in the child.

A ``.py`` file is executed as a module (its ``if __name__ == "__main__":`` block does not run). From a notebook
``.ipynb`` the JSON is parsed and only the imports, ``def``/``class`` statements and constant assignments of its
code cells are executed — never its outputs, never its other statements (a training loop, a ``check(...)``, a
stray ``while True``). :func:`run_child` runs in the isolated child (:mod:`.isolation`): it sets the memory limit,
loads the submission, finds the function (or ``FORWARD,BACKWARD`` pair, or class), runs every case
(:func:`.grade.collect`, catching ``SystemExit`` and ``KeyboardInterrupt`` too) and writes the arrays (``.npz``) and
a JSON account of each case for the parent to judge.
"""

from __future__ import annotations

import ast
import json
import os
import re
import sys
from pathlib import Path

import numpy as np

from .grade import Outcome, prepare

__all__ = ["notebook_source", "find_submissions", "run_child", "read_outcomes"]

MAX_RESULT_BYTES = 64 * 2**20
"""The largest array file a child may return (a right answer for the whole sweep is well under 1 MiB)."""

_KEEP = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _constant(node) -> bool:
    """An assignment worth keeping from a notebook cell: a literal or a lambda (anything else may depend on a
    statement that is not run)."""
    value = getattr(node, "value", None)
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    if value is None or not all(isinstance(t, ast.Name) for t in targets):
        return False
    if isinstance(value, ast.Lambda):
        return True
    try:
        ast.literal_eval(value)
        return True
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False


def notebook_source(path, names: tuple[str, ...] = ()) -> str:
    """The Python a notebook's code cells define: imports, functions, classes and constant assignments, in cell
    order (later definitions win, as in the notebook). IPython magics (``%…``, ``!…``) are dropped; a cell that
    does not parse is left out, unless it defines one of ``names`` (then its ``SyntaxError`` is raised). Nothing
    is executed here."""
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
        cells = nb["cells"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ValueError(f"{path}: not a readable notebook ({type(e).__name__}: {e})") from None
    kept = []
    for i, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else str(src)
        src = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in src.splitlines())
        try:
            tree = ast.parse(src)
        except SyntaxError as e:
            if any(re.search(rf"^\s*(def|class)\s+{re.escape(n)}\b", src, re.M) for n in names):
                raise SyntaxError(f"{e.msg} (code cell {i + 1}, line {e.lineno})") from None
            continue
        body = [n for n in tree.body if isinstance(n, _KEEP) or (isinstance(n, (ast.Assign, ast.AnnAssign))
                                                                 and _constant(n))]
        if body:
            kept.append(f"# --- code cell {i + 1}\n" + ast.unparse(ast.Module(body=body, type_ignores=[])))
    return "\n\n".join(kept) + "\n"


# ----------------------------------------------------------------------------------------------------- the child
def _write(out_dir: Path, meta: dict, arrays: dict) -> None:
    np.savez(out_dir / "arrays.npz", **arrays)
    tmp = out_dir / "result.json.tmp"
    tmp.write_text(json.dumps(meta), encoding="utf-8")
    os.replace(tmp, out_dir / "result.json")


def _load(req: dict):
    path = Path(req["path"])
    names = tuple(n.strip() for n in req["func"].split(",") if n.strip())
    src = notebook_source(path, names) if path.suffix == ".ipynb" else path.read_text(encoding="utf-8")
    code = compile(src, str(path), "exec")
    module = {"__name__": "microgradnet_submission", "__file__": str(path), "__builtins__": __builtins__}
    exec(code, module)  # noqa: S102 - this IS the submission; we are the isolated child
    found = []
    for n in names:
        if n not in module:
            public = sorted(k for k, v in module.items() if callable(v) and not k.startswith("_")
                            and getattr(v, "__module__", None) in (None, "microgradnet_submission"))
            raise LookupError(f"defines no {n!r}; its functions: {', '.join(public) or 'none'}")
        found.append(module[n])
    return found


def _load_reason(e: BaseException) -> str:
    if isinstance(e, SyntaxError):
        return f"SyntaxError: {e.msg}" + (f" (line {e.lineno})" if e.lineno else "")
    if isinstance(e, SystemExit):
        return f"the submission called sys.exit({e.code!r}) while being loaded"
    if isinstance(e, LookupError) and str(e).startswith("defines no"):
        return str(e).strip("'\"")
    return f"loading the submission raised {type(e).__name__}: {e}"[:300]


def run_child(req: dict) -> None:
    """Load the submission, run every case, write the arrays and the account (in the child process)."""
    from .grade import collect
    from .runner import make_runner
    from .styles import StyleError

    out_dir = Path(req["out"])
    try:
        import resource
        limit = int(req["memory_mb"]) * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass  # no RLIMIT_AS on this platform: the timeout still applies
    sys.path.insert(0, str(Path(req["path"]).parent))
    meta = {"status": "error", "style": "", "function": req["func"], "convention": {}, "outcomes": []}
    try:
        objs = _load(req)
    except BaseException as e:  # noqa: BLE001 - anything the submission does while loading is its failure
        meta["reason"] = _load_reason(e)
        _write(out_dir, meta, {})
        return
    forward, obj = (objs[0], objs[1]) if len(objs) == 2 else (None, objs[0])
    try:
        runner = make_runner(obj, req["rule"], style=req["style"], forward=forward, tie=req["tie"],
                             kink=req["kink"])
    except (StyleError, TypeError, ValueError) as e:
        meta["reason"] = str(e)
        _write(out_dir, meta, {})
        return
    sweep = prepare(req["rule"], quick=req["quick"], seed=req["seed"], **runner.convention())
    outcomes = collect(runner, sweep, catch_all=True)
    arrays, rows = {}, []
    for o in outcomes:
        for k, a in enumerate(o.grads):
            arrays[f"c{o.index}_g{k}"] = np.asarray(a, dtype=np.float64)
        for key, a in o.extras.items():
            arrays[f"c{o.index}_{key}"] = np.asarray(a, dtype=np.float64)
        rows.append({"index": o.index, "grads": len(o.grads), "extras": sorted(o.extras), "error": o.error,
                     "skip": list(o.skip) if o.skip else None})
    meta.update(status="ok", style=runner.style, signature=runner.signature, convention=runner.convention(),
                outcomes=rows)
    _write(out_dir, meta, arrays)


def read_outcomes(out_dir: Path, meta: dict) -> list[Outcome]:
    """The child's outcomes (in the parent): arrays read with ``allow_pickle=False``, nothing executed."""
    npz = out_dir / "arrays.npz"
    if npz.stat().st_size > MAX_RESULT_BYTES:
        raise ValueError(f"the submission returned {npz.stat().st_size / 2**20:.0f} MiB of arrays")
    outcomes = []
    with np.load(npz, allow_pickle=False) as z:
        for row in meta["outcomes"]:
            i = int(row["index"])
            grads = tuple(z[f"c{i}_g{k}"] for k in range(int(row["grads"])))
            extras = {key: z[f"c{i}_{key}"] for key in row["extras"] if key in ("out", "loss")}
            skip = (str(row["skip"][0]), str(row["skip"][1])) if row["skip"] else None
            outcomes.append(Outcome(i, grads, extras, None if row["error"] is None else str(row["error"]), skip))
    return outcomes


# ----------------------------------------------------------------------------------------------------- finding
_SUFFIXES = (".py", ".ipynb")


def _defines(path: Path, names: tuple[str, ...]) -> bool:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return all(re.search(rf"(def|class)\s+{re.escape(n)}\b", text) for n in names)


def find_submissions(paths, func: str) -> list[Path]:
    """The submissions in ``paths``: a ``.py`` or ``.ipynb`` file is one; in a folder, each such file directly in
    it is one, and each sub-folder is one (its first file, by name, that defines the function — or its first
    file if none does, to be failed with a reason). Hidden names and ``__pycache__`` are left out. Raises
    ``FileNotFoundError`` for a path that does not exist."""
    names = tuple(n.strip() for n in func.split(",") if n.strip())
    out: list[Path] = []
    for p in map(Path, paths):
        if not p.exists():
            raise FileNotFoundError(f"no such file or folder: {str(p)!r}")
        if p.is_file():
            out.append(p)
            continue
        for entry in sorted(p.iterdir()):
            if entry.name.startswith((".", "__")):
                continue
            if entry.is_file() and entry.suffix in _SUFFIXES:
                out.append(entry)
            elif entry.is_dir():
                files = sorted(f for f in entry.rglob("*") if f.suffix in _SUFFIXES and f.is_file()
                               and not any(part.startswith((".", "__")) for part in f.relative_to(entry).parts))
                if files:
                    out.append(next((f for f in files if _defines(f, names)), files[0]))
    return out


