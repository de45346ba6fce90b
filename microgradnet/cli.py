"""The ``microgradnet`` console command.

Each sub-command lives in its own module exposing ``add_arguments(parser)``, ``run(args) -> int`` and a one-line
``HELP``; this file only lists them.
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = [
    ("demo", "microgradnet.demo"),
    ("rules", "microgradnet.rules_cli"),
    ("check", "microgradnet.check.cli"),
    ("train", "microgradnet.training.train_cli"),
    ("evaluate", "microgradnet.training.evaluate_cli"),
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="microgradnet",
                                     description="See and check backpropagation: a scalar-level autodiff engine.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, modname in COMMANDS:
        try:
            mod = importlib.import_module(modname)
        except ModuleNotFoundError as e:
            if e.name and modname.startswith(e.name):
                continue  # that part of the package is not installed in this build
            raise
        p = sub.add_parser(name, help=mod.HELP, description=mod.HELP)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    return int(args._run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
