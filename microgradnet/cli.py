"""The ``microgradnet`` console command.

Each sub-command lives in its own module exposing ``add_arguments(parser)``, ``run(args) -> int`` and a one-line
``HELP``; this file only lists the core's. Packages built on the core add theirs through the entry-point group
``microgradnet.commands``: the renderer ``viz`` registers ``demo`` (EN4553 A2 Q1's network, drawn) that way, so the
core never imports it. When ``viz`` is not there, ``microgradnet demo`` says so in one line and points to
``microgradnet neuron``, the core's text-only demo. A plugin command replaces a core one of the same name.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from importlib.metadata import entry_points

from . import allocator

COMMANDS = [
    ("neuron", "microgradnet.neuron"),
    ("rules", "microgradnet.rules_cli"),
    ("check", "microgradnet.check.cli"),
    ("grade", "microgradnet.check.grade_cli"),
    ("train", "microgradnet.training.train_cli"),
    ("evaluate", "microgradnet.training.evaluate_cli"),
]
PLUGIN_COMMANDS = {
    "demo": ("EN4553 A2 Q1's network, drawn (not installed here: needs the viz package)",
             "microgradnet demo: needs the viz package (microgradnet's renderer), which is not installed here; "
             "install microgradnet from its source tree with `pip install -e .`, or run `microgradnet neuron` "
             "for the text-only neuron demo"),
}
"""Commands another package of this project provides: (help, the one-line message when it is missing)."""
TUNES_MALLOC = ("train",)
"""Commands that run long enough on big arrays to want malloc's freed memory kept (see ``allocator``)."""


def commands() -> list[tuple[str, list[str]]]:
    """(name, candidate modules) for every sub-command: a plugin's module first, then the core's (none for a
    :data:`PLUGIN_COMMANDS` name)."""
    found = {name: [] for name in PLUGIN_COMMANDS}
    found.update((name, [mod]) for name, mod in COMMANDS)
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
            if name in PLUGIN_COMMANDS:
                _missing_plugin(sub, name, *PLUGIN_COMMANDS[name])
            continue
        p = sub.add_parser(name, help=mod.HELP, description=mod.HELP)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def _missing_plugin(sub, name, help_text, message) -> None:
    """A stand-in for a plugin command that is not installed: any arguments, one line on stderr, exit code 2."""
    p = sub.add_parser(name, help=help_text, description=message)

    def run(args) -> int:
        print(message, file=sys.stderr)
        return 2

    p.set_defaults(_run=run, _any_arguments=True)


def main(argv=None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "_any_arguments", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")  # what parse_args says
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    if args.command in TUNES_MALLOC:
        allocator.tune_allocator()
    return int(args._run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
