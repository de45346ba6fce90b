"""``microgradnet rules``: print the table of primitive rules."""

from __future__ import annotations

from .rules import table

HELP = "print the table of primitive rules (formula, local derivatives, convention)"


def add_arguments(parser) -> None:
    parser.add_argument("names", nargs="*", help="only these rules")


def run(args) -> int:
    rows = [r for r in table() if not args.names or r["name"] in args.names]
    if args.names and len(rows) != len(args.names):
        known = ", ".join(r["name"] for r in table())
        print(f"unknown rule(s): {sorted(set(args.names) - {r['name'] for r in rows})}; known: {known}")
        return 2
    for r in rows:
        print(f"{r['name']:<13} {r['kind']:<12} {r['formula']}")
        print(f"{'':<13} {'local:':<12} {r['local']}")
        if r["convention"]:
            print(f"{'':<13} {'convention:':<12} {r['convention']}")
    return 0
