"""``microgradnet grade RULE PATH... --func NAME``: grade a whole class, one isolated child process per submission.

Prints one row per submission (verdict, score, cases passed/failed/skipped, the named mistake or the reason) and a
class summary. ``--json OUT`` writes ``{"submissions": [{"path", "verdict", "score", "cases": {"passed", "failed",
"skipped"}, "mistake", "reason", "smallest_failing_case"}, …]}``; ``--gradescope OUT`` writes Gradescope's
``results.json`` (one test per submission; for the autograder, grade the one submission into
``/autograder/results/results.json``). Exit status: 0 when every submission passes, 1 when any fails, 2 for bad
usage (an unknown rule, a path that does not exist, no submission found, an unwritable output).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

HELP = "grade a class: every submission (a .py file, a notebook, a folder of them) for one rule, each in isolation"

_EPILOG = """\
examples:
  microgradnet grade conv2d submissions/ --func conv_backward
  microgradnet grade max_pool2d hw2/ --func MaxPool2D --tie all           CSC 249 layer classes
  microgradnet grade conv2d cs231n/ --func conv_forward_naive,conv_backward_naive --strict
  microgradnet grade batch_norm nb/*.ipynb --func batchnorm_backward --json class.json

Each submission runs in a child process with a time and memory limit; only its arrays come back, and the
comparison happens in this process. Styles (detected; --style forces one): plain fn(*inputs, g, **params),
cs231n FORWARD,BACKWARD, CSC 249 and Tsinghua layer classes. See `microgradnet check --list` for the rules.
"""


def add_grading_arguments(parser: argparse.ArgumentParser, *, quick: bool = True) -> None:
    """The options ``grade`` and ``check --grade`` share."""
    from ..closed_form import KINKS, TIE_RULES
    from .isolation import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT
    from .styles import STYLES

    if quick:
        parser.add_argument("--quick", action="store_true", help="a smaller sweep (every stride, padding, tie rule "
                            "and convention still)")
        parser.add_argument("--seed", type=int, default=0, help="seed of the random inputs (default 0)")
    parser.add_argument("--style", choices=STYLES, help="the submission's signature style (default: detected)")
    parser.add_argument("--tie", choices=TIE_RULES, help="max-pool ties: the convention a function without a tie "
                        "argument is graded under (default first; CSC 249 classes: all)")
    parser.add_argument("--kink", choices=KINKS, help="the derivative at 0 of relu/leaky_relu/prelu: negative "
                        "(the slope for x < 0, PyTorch; default) or positive (1, EN4553's x ≥ 0)")
    parser.add_argument("--strict", action="store_true", help="a case skipped for stride, padding or kernel size "
                        "fails the grade")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"wall-clock limit per submission (default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--memory", type=int, default=DEFAULT_MEMORY_MB, metavar="MiB",
                        help=f"address-space limit per submission (default {DEFAULT_MEMORY_MB})")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = _EPILOG
    parser.add_argument("rule", metavar="RULE", help="the closed-form rule to grade against (see check --list)")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="a .py file, a notebook or a folder of submissions")
    parser.add_argument("--func", required=True, metavar="NAME",
                        help="the function (or class) to grade; FORWARD,BACKWARD for the cs231n style")
    add_grading_arguments(parser)
    parser.add_argument("--json", metavar="OUT", help="write the results as JSON to OUT (atomically)")
    parser.add_argument("--gradescope", metavar="OUT", help="write Gradescope's results.json to OUT")
    parser.add_argument("--points", type=float, default=1.0, help="Gradescope max_score per submission (default 1)")
    parser.add_argument("--jobs", type=int, default=1, help="submissions graded at once (default 1)")


def grading_options(args) -> dict:
    return dict(quick=args.quick, seed=args.seed, tie=args.tie, kink=args.kink, style=args.style,
                strict=args.strict, timeout=args.timeout, memory_mb=args.memory)


def usage_error(args) -> str | None:
    from ..closed_form import CLOSED_FORMS
    rule = getattr(args, "rule", None) or (args.names[0] if getattr(args, "names", None) else None)
    if rule not in CLOSED_FORMS:
        return f"no closed-form rule named {rule!r}; known rules: {', '.join(CLOSED_FORMS)}"
    if args.timeout <= 0 or args.memory < 256:
        return "--timeout must be > 0 and --memory at least 256 (MiB)"
    return None


# ----------------------------------------------------------------------------------------------------- outputs
def _row(grade) -> str:
    verdict = "PASS" if grade.passed else "FAIL"
    counts = f"{grade.cases_passed}/{len(grade.failures)}/{sum(grade.skipped.values())}"
    note = "+".join(d.name for d in grade.diagnoses) or grade.one_line()
    return f"{verdict}  {grade.score:4.2f}  {counts:>9}  {{path}}" + (f"  {note}" if note else "")


def summary(grades: list, seconds: float) -> str:
    n = len(grades)
    passed = sum(g.passed for g in grades)
    mean = sum(g.score for g in grades) / n if n else 0.0
    mistakes: dict[str, int] = {}
    for g in grades:
        for d in g.diagnoses:
            mistakes[d.name] = mistakes.get(d.name, 0) + 1
    text = f"class: {passed} of {n} pass, mean score {mean:.2f}, graded in {seconds:.1f} s"
    if mistakes:
        text += "; mistakes: " + ", ".join(f"{k} ×{v}" for k, v in sorted(mistakes.items(), key=lambda kv: -kv[1]))
    return text


def write_results(path, rows: list[dict]) -> None:
    from ..fileio import atomic_write_bytes
    atomic_write_bytes(path, json.dumps({"submissions": rows}, indent=1, ensure_ascii=False) + "\n")


def gradescope(grades: list, paths: list[str], points: float, seconds: float) -> dict:
    """Gradescope's ``results.json``: ``{"score", "execution_time", "output", "tests": [{"name", "score",
    "max_score", "status", "output"}]}``, one test per submission."""
    tests = [{"name": f"{g.rule} backward: {p}" if len(grades) > 1 else f"{g.rule} backward ({g.function})",
              "score": round(g.score * points, 4), "max_score": points,
              "status": "passed" if g.passed else "failed", "output": str(g)} for g, p in zip(grades, paths)]
    return {"score": round(sum(t["score"] for t in tests), 4), "execution_time": round(seconds, 3),
            "output": summary(grades, seconds), "tests": tests}


def write_outputs(args, grades: list, paths: list[str], seconds: float) -> int:
    """``--json`` / ``--gradescope``; 0, or 2 when a file cannot be written."""
    from ..fileio import atomic_write_bytes
    for flag, path in (("--json", args.json), ("--gradescope", getattr(args, "gradescope", None))):
        if not path:
            continue
        try:
            if flag == "--json":
                write_results(path, [g.to_dict(p) for g, p in zip(grades, paths)])
            else:
                data = gradescope(grades, paths, getattr(args, "points", 1.0), seconds)
                atomic_write_bytes(path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")
        except OSError as e:
            print(f"microgradnet {flag}: cannot write {path!r}: {e}", file=sys.stderr)
            return 2
    return 0


def run(args) -> int:
    from .isolation import grade_many
    from .submission import find_submissions

    err = usage_error(args)
    if err is None and args.jobs < 1:
        err = "--jobs must be at least 1"
    if err:
        print(f"microgradnet grade: {err}", file=sys.stderr)
        return 2
    try:
        subs = find_submissions(args.paths, args.func)
    except FileNotFoundError as e:
        print(f"microgradnet grade: {e}", file=sys.stderr)
        return 2
    if not subs:
        print(f"microgradnet grade: no .py or .ipynb submission in {' '.join(args.paths)}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    grades = grade_many(subs, args.rule, args.func, jobs=args.jobs, **grading_options(args),
                        on_grade=lambda p, g: print(_row(g).format(path=p), flush=True))
    seconds = time.perf_counter() - t0
    print(summary(grades, seconds))
    code = write_outputs(args, grades, [os.fspath(p) for p in subs], seconds)
    if code:
        return code
    for flag, path in (("json", args.json), ("gradescope", args.gradescope)):
        if path:
            print(f"wrote {Path(path)} ({flag})")
    return 0 if all(g.passed for g in grades) else 1
