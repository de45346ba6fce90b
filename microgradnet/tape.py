"""A printable tape: the recorded operations in creation order, as a Wengert list.

    >>> from microgradnet import Value, tape
    >>> a = Value(2.0, label='a'); b = Value(-3.0, label='b'); c = a * b; c.label = 'c'
    >>> c.backward(); print(tape(c))
    a = input                       data=2       grad=-3
    b = input                       data=-3      grad=2
    c = mul(a, b)                   data=-6      grad=1
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np

from .engine import Node, toposort


def _fmt(x) -> str:
    if x is None:
        return "—"
    if isinstance(x, Node):
        x = x.data
    if isinstance(x, np.ndarray):
        if x.size <= 4:
            return np.array2string(x.ravel() if x.ndim > 1 else x, precision=4, separator=",").replace(" ", "")
        return f"[{x.dtype} {'×'.join(map(str, x.shape))} min={x.min():.3g} max={x.max():.3g}]"
    return f"{x:.6g}"


@dataclass
class Tape:
    """The nodes a root depends on, in the order they were recorded; ``str()`` prints the Wengert list."""

    nodes: list
    names: dict

    def rows(self) -> list[dict]:
        out = []
        for n in self.nodes:
            args = ", ".join(self.names[p._id] for p in n._prev)
            attrs = ", ".join(f"{k}={v!r}" for k, v in n.attrs.items() if k not in ("cond", "index"))
            expr = f"{n._op}({args}{', ' + attrs if attrs else ''})" if n._prev else "input"
            out.append(dict(name=self.names[n._id], expr=expr, data=_fmt(n.data), grad=_fmt(n.grad)))
        return out

    def __str__(self) -> str:
        rows = self.rows()
        w = max((len(r["name"]) + len(r["expr"]) for r in rows), default=0) + 4
        return "\n".join(f"{(r['name'] + ' = ' + r['expr']).ljust(w)}data={r['data']:<10} grad={r['grad']}"
                         for r in rows)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        """Jupyter: the Wengert list as a table (#, node = operation, data, grad), every cell HTML-escaped."""
        cells = "".join(
            f"<tr><td>{k}</td><td style='text-align:left'><code>{html.escape(r['name'])} = "
            f"{html.escape(r['expr'])}</code></td><td>{html.escape(r['data'])}</td><td>{html.escape(r['grad'])}</td>"
            "</tr>" for k, r in enumerate(self.rows(), 1))
        return ("<table class='mgn-tape'><thead><tr><th>#</th><th style='text-align:left'>node = operation</th>"
                f"<th>data</th><th>grad</th></tr></thead><tbody>{cells}</tbody></table>")

    def __len__(self):
        return len(self.nodes)


def tape(root) -> Tape:
    """The Wengert list of everything ``root`` depends on: ``v3 = mul(v1, v2)`` with data and grad.

    Nodes are named by their label, else ``v1, v2, …`` in tape order (labels that repeat get ``#id``)."""
    nodes = toposort(root)
    names, used, k = {}, set(), 0
    for n in nodes:
        if n.label and n.label not in used:
            name = n.label
        elif n.label:
            name = f"{n.label}#{n._id}"
        else:
            k += 1
            name = f"v{k}"
            while name in used:
                k += 1
                name = f"v{k}"
        used.add(name)
        names[n._id] = name
    return Tape(nodes, names)
