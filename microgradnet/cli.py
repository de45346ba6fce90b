"""The ``microgradnet`` console command.

Each sub-command lives in its own module exposing ``add_arguments(parser)``, ``run(args) -> int`` and a one-line
``HELP``; this file only lists the core's. Packages built on the core add theirs through the entry-point group
``microgradnet.commands`` (the renderer registers ``demo`` that way, so the core never imports it); a plugin
command replaces a core one of the same name.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from importlib.metadata import entry_points

COMMANDS = [
    ("demo", "microgradnet.demo"),
    ("rules", "microgradnet.rules_cli"),
    ("check", "microgradnet.check.cli"),
    ("grade", "microgradnet.check.grade_cli"),
    ("train", "microgradnet.training.train_cli"),
    ("evaluate", "microgradnet.training.evaluate_cli"),
]


def commands() -> list[tuple[str, list[str]]]:
    """(name, candidate modules) for every sub-command: a plugin's module first, then the core's."""
    found = {name: [mod] for name, mod in COMMANDS}
    for ep in entry_points(group="microgradnet.commands"):
        found.setdefault(ep.name, []).insert(0, ep.value)
    return list(found.items())


def _load(modnames):
    for modname in modnames:
        try:
            return importlib.import_module(modname)
        except ModuleNotFoundError as e:
            if e.name and modname.startswith(e.name):
                continue  # that part of the package is not installed in this build
            raise
    return None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="microgradnet",
                                     description="See and check backpropagation: a scalar-level autodiff engine.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, modnames in commands():
        mod = _load(modnames)
        if mod is None:
            continue
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
