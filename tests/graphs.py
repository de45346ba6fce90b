"""The small lecture graphs and the DOT edge parsing that several renderer tests share."""

from __future__ import annotations

import re

from microgradnet import Value

EDGE = re.compile(r'^\t(\w+) -> (\w+)(?: \[(.*)\])?$', re.M)


def edges(dot):
    """[(src, dst, label or None)] in the order the DOT lists them."""
    out = []
    for src, dst, attrs in EDGE.findall(dot):
        m = re.search(r'label="([^"]*)"', attrs or "")
        out.append((src, dst, m.group(1) if m else None))
    return out


def diamond(backward=True):
    """x → h = x·x → p = h + 1, q = 4·h → out = p·q: h is a shared intermediate (two paths)."""
    x = Value(3.0, label="x")
    h = x * x
    h.label = "h"
    p = h + 1.0
    p.label = "p"
    q = h * 4.0
    q.label = "q"
    out = p * q
    out.label = "out"
    if backward:
        out.backward()
    return out, dict(x=x, h=h, p=p, q=q)


def neuron(backward=True):
    """micrograd's lecture neuron o = tanh(x1·w1 + x2·w2 + b), intermediates unlabelled."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    if backward:
        o.backward()
    return o
