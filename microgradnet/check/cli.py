"""``microgradnet check``: the checker's table, grading a student's rule, EN4553 A2 Q1's max-pool → LeakyReLU →
dense network.

Exit status: 0 when everything passed, 1 when a rule (or the graded function) failed, 2 for bad usage (an unknown
rule name, a file or function that cannot be loaded).
"""

from __future__ import annotations

import argparse
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
  microgradnet check --pool-lrelu-net 180577X
                                          EN4553 A2 Q1's max-pool → LeakyReLU → dense network, by autodiff
                                          and by hand (--en4553 is the old name of the flag)

Rule names describe the convention (linear_rows: Y = XW + b, one instance per row); the old course-code
names (linear_eecs498, conv2d_cs4670, batch_norm_eecs498, ...) are still accepted, see --list.

--grade runs the file you name (a .py file or a notebook) in a child process with a time and memory limit;
only its arrays come back and the comparison happens here. It is not a sandbox: the file runs with your
user's permissions. FUNCTION may be a plain backward called like the closed form's (see --list), a cs231n
FORWARD,BACKWARD pair or a layer class; `microgradnet grade` grades a whole folder the same way.
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
    parser.add_argument("--grade", metavar="FILE:FUNCTION",
                        help="grade your backward FUNCTION from FILE (.py or .ipynb) for the one rule NAME, in a "
                        "child process")
    parser.add_argument("--list", action="store_true", help="list the rules with their backward signatures")
    parser.add_argument("--pool-lrelu-net", "--en4553", dest="pool_lrelu_net", nargs="?", const="180577X",
                        metavar="INDEX", help="run EN4553 A2 Q1's max-pool → LeakyReLU → dense network for an index "
                        "number (default 180577X); --en4553 is the old name")
    from .grade_cli import add_grading_arguments
    add_grading_arguments(parser.add_argument_group("grading (with --grade)"), quick=False)


def _list() -> int:
    import inspect

    from ..closed_form import CLOSED_FORMS, RULE_ALIASES
    old_names = {new: old for old, new in RULE_ALIASES.items()}
    for name, rec in CLOSED_FORMS.items():
        sig = inspect.signature(rec.backward).replace(return_annotation=inspect.Signature.empty)
        print(f"{name:22} {rec.backward.__name__}{sig}")
        old = f" (old name: {old_names[name]})" if name in old_names else ""
        print(f"{'':22} {rec.homework}{old}")
    return 0


def _grade(args) -> int:
    from .grade_cli import grading_options, usage_error, write_outputs
    from .isolation import grade_submission

    path, sep, func = args.grade.rpartition(":")
    if not sep or not path or not func:
        print(f"microgradnet check --grade: expected FILE:FUNCTION, got {args.grade!r}", file=sys.stderr)
        return 2
    if len(args.names) != 1:
        print(f"microgradnet check --grade: name exactly one rule to grade against, got {len(args.names)} "
              f"({' '.join(args.names) or 'none'})", file=sys.stderr)
        return 2
    if not os.path.isfile(path):
        print(f"microgradnet check --grade: no such file {path!r}", file=sys.stderr)
        return 2
    err = usage_error(args)
    if err:
        print(f"microgradnet check --grade: {err}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    grade = grade_submission(path, args.names[0], func, **grading_options(args))
    print(grade)
    code = write_outputs(args, [grade], [path], time.perf_counter() - t0)
    if code:
        return code
    if args.json:
        print(f"wrote {args.json}")
    return 0 if grade.passed else 1


def _pool_lrelu_net(args) -> int:
    from .pool_lrelu_network import check_pool_lrelu_net, check_pool_lrelu_net_prelu
    try:
        res = check_pool_lrelu_net(args.pool_lrelu_net)
        pre = check_pool_lrelu_net_prelu(index=args.pool_lrelu_net)
    except ValueError as e:
        print(f"microgradnet check --pool-lrelu-net: {e}", file=sys.stderr)
        return 2
    print(res)
    print(pre)
    return 0 if res.passed and pre.passed else 1


def run(args) -> int:
    if args.list:
        return _list()
    if args.pool_lrelu_net:
        return _pool_lrelu_net(args)
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
