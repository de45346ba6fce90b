"""Plain-text layout for ``microgradnet demo``: a terminal style, numbers, grids side by side, paragraphs, section
headers, the tape as a table and the autodiff / closed form / finite differences table.

Every number is printed with 4 decimals (:func:`num`); paragraphs are wrapped to :data:`WIDTH` characters.
"""

from __future__ import annotations

import os
import textwrap

import numpy as np

from microgradnet import tape

WIDTH = 92
"""Characters per line of the demo's text."""


class Style:
    """Bold headers and coloured PASS/FAIL on a terminal (never when piped, or with NO_COLOR set)."""

    def __init__(self, stream):
        self.on = bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")

    def _sgr(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.on else text

    def bold(self, text: str) -> str:
        return self._sgr("1", text)

    def verdict(self, ok: bool) -> str:
        return self._sgr("32", "PASS") if ok else self._sgr("1;31", "FAIL")


def num(v) -> str:
    """4 decimals; never ``-0.0000``."""
    return f"{float(v) + 0.0:.4f}"


def grid_lines(a, width: int = 9) -> list[str]:
    """Rows of a 1-D or 2-D array, each number right-aligned in ``width`` characters."""
    arr = np.asarray(a, dtype=np.float64)
    rows = arr.reshape(1, -1) if arr.ndim < 2 else arr
    return ["".join(f"{num(v):>{width}}" for v in row) for row in rows]


def side_by_side(blocks, indent: int = 2, gap: int = 6) -> str:
    """Titled grids next to each other: ``blocks`` = [(title, array), …]; one title line, then the rows."""
    cols = []
    for title, arr in blocks:
        lines = grid_lines(arr)
        w = max(len(title), *(len(s) for s in lines))
        cols.append((title, lines, w))
    height = max(len(c[1]) for c in cols)
    pad = " " * indent
    out = [pad + (" " * gap).join(t.ljust(w) for t, _, w in cols).rstrip()]
    for i in range(height):
        out.append(pad + (" " * gap).join((ls[i] if i < len(ls) else "").ljust(w) for _, ls, w in cols).rstrip())
    return "\n".join(out)


def para(text: str, indent: str = "  ") -> str:
    """A paragraph wrapped to :data:`WIDTH`."""
    return textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False)


def header(style: Style, title: str) -> str:
    """A blank line, then ``━━ title ━━━…`` to :data:`WIDTH` (bold on a terminal)."""
    bar = "━━ " + title + " "
    return "\n" + style.bold(bar + "━" * max(3, WIDTH - len(bar)))


def format_tape(root) -> str:
    """The Wengert list: one line per node in creation order, ``name = op(inputs)``, data and grad (4 decimals).
    Attributes that are None or False (``axis=None``, ``keepdims=False``) are left out."""
    tp = tape(root)
    lines = []
    for k, n in enumerate(tp.nodes, 1):
        name = tp.names[n._id]
        if n._prev:
            args = [tp.names[p._id] for p in n._prev]
            args += [f"{a}={v!r}" for a, v in n.attrs.items() if v is not None and v is not False
                     and a not in ("cond", "index")]
            expr = f"{n._op}({', '.join(args)})"
        else:
            expr = "input" if n.label else "constant"
        lines.append((k, f"{name} = {expr}", n.data, n.grad))
    w = max(len(s) for _, s, _, _ in lines)
    out = [f"  {'#':>3}  {'node = operation':<{w}}  {'data':>9}  {'grad':>9}"]
    out += [f"  {k:>3}  {s:<{w}}  {num(d):>9}  {num(g):>9}" for k, s, d, g in lines]
    return "\n".join(out)


def comparison_table(rows, style: Style) -> str:
    """One line per row (``.name``, ``.autodiff``, ``.closed``, ``.fd``, ``.err``, ``.ok``), a blank line between
    quantities (``∂L/∂X[0,0]`` … ``∂L/∂X[3,3]`` are one quantity)."""
    head = f"  {'quantity':<16}{'autodiff':>12}{'closed form':>14}{'finite diff':>14}{'max abs err':>14}  result"
    out = [head, "  " + "─" * (len(head) - 2)]
    prev = None
    for r in rows:
        group = r.name.split("[")[0]
        if prev is not None and group != prev:
            out.append("")
        prev = group
        out.append(f"  {r.name:<16}{num(r.autodiff):>12}{num(r.closed):>14}{num(r.fd):>14}{r.err:>14.1e}  "
                   f"{style.verdict(r.ok)}")
    return "\n".join(out)


def path_list(entries) -> str:
    """``(path, description)`` entries as two columns, each description wrapped beside its path (an empty path
    continues the entry above)."""
    w = max(len(p) for p, _ in entries)
    lines = []
    for path, what in entries:
        text = textwrap.wrap(what, max(30, WIDTH - w - 4), break_on_hyphens=False)
        lines.append(f"  {path:<{w}}  {text[0]}")
        lines += [f"  {'':<{w}}  {t}" for t in text[1:]]
    return "\n".join(lines)
