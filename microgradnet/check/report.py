"""The checker's table (one row per rule and gradient) and its JSON form, written atomically."""

from __future__ import annotations

import json
import math
import os

from ..fileio import atomic_write_bytes

__all__ = ["table", "to_dict", "write_json"]

_HEAD = ("rule", "gradient", "cases", "|auto−closed|", "rel", "|auto−numeric|", "rel", "result", "notes")


def _num(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, float) and math.isnan(v):
        return "nan"
    if isinstance(v, float) and math.isinf(v):
        return "inf"
    return f"{v:.1e}"


def table(report) -> str:
    """The table of a :class:`~microgradnet.check.compare.CheckReport`, then the failures (if any) and a summary.

    ``|auto−closed|`` / ``rel``: worst max |autodiff − closed form| and that divided by max |closed form| over the
    cases; ``|auto−numeric|`` / ``rel``: the same against central differences (``—`` where numeric does not
    apply: the forward row, alternatives, cases at ties/kinks as the notes say). ``cases`` counts the cases
    compared with the closed form (``n/m`` when only n of them were compared numerically).
    """
    lines = []
    for r in report.rows:
        cases = str(r.cases) if r.numeric_abs is None or r.numeric_cases == r.cases \
            else f"{r.cases} ({r.numeric_cases} num)"
        lines.append((r.rule, r.gradient, cases, _num(r.closed_abs), _num(r.closed_rel), _num(r.numeric_abs),
                      _num(r.numeric_rel), "PASS" if r.passed else "FAIL", r.note))
    widths = [max(len(h), *(len(line[i]) for line in lines)) if lines else len(h) for i, h in enumerate(_HEAD)]
    right = {2, 3, 4, 5, 6}

    def fmt(cells) -> str:
        out = []
        for i, c in enumerate(cells[:-1]):
            out.append(c.rjust(widths[i]) if i in right else c.ljust(widths[i]))
        return ("  ".join(out) + "  " + cells[-1]).rstrip()

    text = [fmt(_HEAD), fmt(tuple("-" * w for w in widths[:-1]) + ("-----",))]
    text += [fmt(line) for line in lines]
    problems = report.problems
    if problems:
        text.append("")
        text.append(f"{len(problems)} failure{'s' * (len(problems) > 1)}:")
        text += [f"  {p}" for p in problems[:50]]
        if len(problems) > 50:
            text.append(f"  … and {len(problems) - 50} more")
    n_rules = len(report.results)
    failed = [r.rule for r in report.results if not r.passed]
    verdict = "all passed" if not failed else f"FAILED: {', '.join(failed)}"
    text.append("")
    text.append(f"{n_rules} rule{'s' * (n_rules != 1)}, {sum(len(r.rows) for r in report.results)} rows, "
                f"{'quick' if report.quick else 'full'} sweep, seed {report.seed}: {verdict} "
                f"({report.seconds:.1f} s)")
    return "\n".join(text)


def _clean(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


def to_dict(report) -> dict:
    """A JSON-ready dict: seed, quick, passed, seconds, rows (one per table row), problems."""
    return {
        "seed": report.seed,
        "quick": report.quick,
        "passed": report.passed,
        "seconds": round(report.seconds, 3),
        "rows": [{k: _clean(v) for k, v in r.__dict__.items()} for r in report.rows],
        "rules": [{"rule": r.rule, "passed": r.passed, "seconds": round(r.seconds, 3), "problems": r.problems}
                  for r in report.results],
    }


def write_json(report, path) -> None:
    """Write :func:`to_dict` to ``path`` atomically (a temporary file in the same folder, then ``os.replace``)."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"check --json: the folder {folder!r} for {path!r} does not exist")
    atomic_write_bytes(path, json.dumps(to_dict(report), indent=1, ensure_ascii=False) + "\n", make_dirs=False)
