"""``microgradnet check``: the checker's table, grading a student's rule, the EN4553 toy network.

Exit status: 0 when everything passed, 1 when a rule (or the graded function) failed, 2 for bad usage (an unknown
rule name, a file or function that cannot be loaded).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time

HELP = ("check every hand-derived rule against autodiff and finite differences, or grade your own backward "
        "function (--grade file.py:function RULE)")

_EPILOG = """\
examples:
  microgradnet check                      every rule, full sweep, one table
  microgradnet check conv2d max_pool2d --quick
  microgradnet check --json out.json      also write the table as JSON
  microgradnet check --grade hw2.py:conv_backward conv2d
  microgradnet check --en4553 180577X     the toy network of EN4553 A2 Q1, by autodiff and by hand

--grade IMPORTS AND RUNS the Python file you name (that is how your function is loaded), with the
permissions of your user; grade only files you trust. The function is called like the closed form's
backward, e.g. fn(x, w, b, g, stride=..., padding=..., dilation=...) for conv2d (see --list).
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = _EPILOG
    parser.add_argument("names", nargs="*", metavar="NAME", help="rules to check (default: all; see --list)")
    parser.add_argument("--quick", action="store_true", help="a smaller sweep (still every stride, padding, tie "
                        "rule and convention)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random inputs and upstream gradients "
                        "(default 0)")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON to FILE (atomically)")
    parser.add_argument("--grade", metavar="FILE.py:FUNCTION",
                        help="grade your backward FUNCTION from FILE.py for the one rule NAME; this EXECUTES FILE.py")
    parser.add_argument("--list", action="store_true", help="list the rules with their backward signatures")
    parser.add_argument("--en4553", nargs="?", const="180577X", metavar="INDEX",
                        help="run EN4553 A2 Q1's toy network for an index number (default 180577X)")


def _list() -> int:
    import inspect

    from ..closed_form import CLOSED_FORMS
    for name, rec in CLOSED_FORMS.items():
        sig = inspect.signature(rec.backward).replace(return_annotation=inspect.Signature.empty)
        print(f"{name:22} {rec.backward.__name__}{sig}")
        print(f"{'':22} {rec.seed}")
    return 0


def load_function(spec: str):
    """``path/to/file.py:function`` → the function. Executes the file (a fresh module, not added to sys.modules)."""
    path, sep, func = spec.rpartition(":")
    if not sep or not path or not func:
        raise ValueError(f"--grade: expected FILE.py:FUNCTION, got {spec!r}")
    if not os.path.isfile(path):
        raise ValueError(f"--grade: no such file {path!r}")
    name = "microgradnet_graded_" + "".join(c if c.isalnum() else "_" for c in os.path.basename(path))
    module_spec = importlib.util.spec_from_file_location(name, path)
    if module_spec is None or module_spec.loader is None:
        raise ValueError(f"--grade: cannot load {path!r} as a Python module (expected a .py file)")
    module = importlib.util.module_from_spec(module_spec)
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)  # so the student's file can import its own helpers
    try:
        module_spec.loader.exec_module(module)
    except Exception as e:
        raise ValueError(f"--grade: running {path!r} raised {type(e).__name__}: {e}") from e
    finally:
        if sys.path and sys.path[0] == folder:
            sys.path.pop(0)
    fn = getattr(module, func, None)
    if fn is None:
        public = sorted(k for k, v in vars(module).items() if callable(v) and not k.startswith("_"))
        raise ValueError(f"--grade: {path!r} defines no {func!r}; its functions: {', '.join(public) or 'none'}")
    if not callable(fn):
        raise ValueError(f"--grade: {func!r} in {path!r} is a {type(fn).__name__}, not a function")
    return fn


def _grade(args) -> int:
    from .grade import rule
    if len(args.names) != 1:
        print(f"microgradnet check --grade: name exactly one rule to grade against, got {len(args.names)} "
              f"({' '.join(args.names) or 'none'})", file=sys.stderr)
        return 2
    try:
        fn = load_function(args.grade)
    except ValueError as e:
        print(f"microgradnet check {e}", file=sys.stderr)
        return 2
    try:
        grade = rule(fn, args.names[0], quick=args.quick, seed=args.seed)
    except (TypeError, ValueError) as e:
        print(f"microgradnet check --grade: {e}", file=sys.stderr)
        return 2
    print(grade)
    return 0 if grade.passed else 1


def _toy(args) -> int:
    from .toy import en4553, en4553_prelu
    try:
        res = en4553(args.en4553)
        pre = en4553_prelu(index=args.en4553)
    except ValueError as e:
        print(f"microgradnet check --en4553: {e}", file=sys.stderr)
        return 2
    print(res)
    print(pre)
    return 0 if res.passed and pre.passed else 1


def run(args) -> int:
    if args.list:
        return _list()
    if args.en4553:
        return _toy(args)
    if args.grade:
        return _grade(args)
    from .compare import check
    from .report import write_json
    t0 = time.perf_counter()
    try:
        report = check(args.names or None, quick=args.quick, seed=args.seed)
    except ValueError as e:
        print(f"microgradnet {e}", file=sys.stderr)
        return 2
    print(report)
    if args.json:
        try:
            write_json(report, args.json)
        except OSError as e:
            print(f"microgradnet check --json: cannot write {args.json!r}: {e}", file=sys.stderr)
            return 2
        print(f"wrote {args.json} ({time.perf_counter() - t0:.1f} s)")
    return 0 if report.passed else 1
