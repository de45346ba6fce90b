"""Layout: the order of scalar elements, Graphviz settings that keep ``dot`` fast, and the render time budget.

Order. Graphviz places the nodes of one rank to minimise edge crossings, so the elements of an input tensor come out
in any order (``X[1,2]`` above ``X[0,2]``). :func:`order_elements` puts the Values of one tensor (labels
``X[0,0]``, ``X[0,1]``, …, leaves and labelled intermediates at the same depth alike) in one rank, in index
order, row-major, top to bottom (left to right with ``rankdir="TB"``), with invisible edges between neighbours.

Speed. Graphviz's ``record`` shape makes ``dot`` slow on graphs where one node feeds many others: the reused-input
graph ``acc = acc·0.999999 + x`` (50 steps) took over 60 s with records and takes a fraction of a second with plain
boxes. So only small pictures (at most :data:`RECORD_NODES` nodes, none feeding more than :data:`FAN_OUT` others)
use records, micrograd's ``{ label | data | grad }``; bigger ones, and those with elements kept in order (``dot``
loses the invisible edges between records), use ``box`` nodes with plain-text lines. Past
:data:`SPLINE_NODES` nodes, or with a node feeding more than :data:`FAN_OUT` others, edges are drawn as polylines
(``splines=polyline``), which routes several times faster than curved splines, and ``dot``'s iteration limits are
lowered (:data:`BOUNDED`). Measured on this machine (2 shared cores): the 50-step reused-input
graph renders in about 1–2 s (4–8 s before), its 10⁵-node version, collapsed to 200 boxes, in 2–4 s.

Budget. ``draw_dot(...)`` renders with a time budget (:data:`BUDGET` seconds, ``budget=`` to change it). When
``dot`` has not finished by then it is stopped, a warning says so, and the picture is drawn again collapsed to
:data:`FALLBACK_NODES` boxes (:mod:`viz.collapse`) so that something readable comes back instead of a silent
wait; if even that does not finish, :class:`viz.render.RenderError` says what to do.
"""

from __future__ import annotations

import re

from .legend import COLOURS

BUDGET = 20.0
"""Seconds ``draw_dot``'s picture may take to render before it is redrawn collapsed."""
FALLBACK_NODES = 40
"""Boxes in the collapsed picture drawn when the render budget runs out."""
RECORD_NODES = 60
"""Pictures with at most this many nodes, none feeding more than :data:`FAN_OUT` others, use Graphviz records."""
SPLINE_NODES = 80
FAN_OUT = 8
SCREEN = "14,8.5"
"""Graphviz ``size`` (inches, at most; 1344×816 px at 96 dpi) for pictures of layers: a network drawn by its layers
is scaled down to fit one screen (an SVG stays sharp when zoomed)."""
BOUNDED = {"nslimit": "0.5", "nslimit1": "0.5", "mclimit": "0.5"}
"""Graphviz iteration limits for big or fanned-out pictures: network simplex (ranking and placement) and crossing
minimisation stop early. On the reused-input graph below they cut rendering 4–7× (the layout stays readable)."""
MAX_ORDERED = 256
"""Element groups larger than this are left to Graphviz (a long invisible chain slows the layout)."""

_ELEMENT = re.compile(r"^(.*)\[(\d+(?:,\d+)*)\]$")


def element_index(label: str):
    """``'X[1,2]'`` → ``('X', (1, 2))``; None for a label that is not an element."""
    m = _ELEMENT.match(label or "")
    if m is None:
        return None
    return m.group(1), tuple(int(k) for k in m.group(2).split(","))


def order_elements(pic, builder) -> None:
    """Add rank groups to ``pic`` that keep each tensor's scalar elements in index order (module docstring)."""
    plan, tape = builder.plan, builder.tape
    candidates = []
    for unit in plan.units:
        if unit.kind != "node":
            continue
        node = tape[unit.members[0]]
        if hasattr(node, "shape"):
            continue
        hit = element_index(builder.name_of(node))
        if hit is not None:
            candidates.append((unit, node, hit))
    if len(candidates) < 2:
        return
    depth = _depths(tape, plan)
    groups: dict = {}
    first: dict = {}  # tensor name -> order of first appearance, so x's elements come before w's
    for unit, node, (base, idx) in candidates:
        i = unit.members[0]
        if node._prev:
            key = (base, len(idx), unit.cluster, depth[i])
        else:  # leaves feeding the same depth share a rank: one chain, tensor by tensor (x, then w)
            key = ("", 0, unit.cluster, -1 - min((depth[c] for c in plan.consumers[i]), default=0))
        first.setdefault(base, len(first))
        groups.setdefault(key, []).append(((first[base], idx), unit.name))
    for (_, _, cluster, _), items in groups.items():
        if 2 <= len(items) <= MAX_ORDERED:
            items.sort()
            pic.ranks.append((cluster, [name for _, name in items]))


def _depths(tape, plan) -> list:
    """Longest path from a leaf, per tape position (creation order is topological, so one pass)."""
    pos = plan.pos
    depth = [0] * len(tape)
    for i, node in enumerate(tape):
        if node._prev:
            depth[i] = 1 + max(depth[pos[p._id]] for p in node._prev)
    return depth


def settings(pic, builder) -> None:
    """Graph attributes that keep ``dot`` fast on big or fanned-out pictures (module docstring)."""
    if any(u.kind == "layer" for u in builder.plan.units):  # a network drawn by its layers: fit one screen
        pic.graph_attrs.setdefault("size", SCREEN)
        pic.graph_attrs.setdefault("pad", "0.1")  # scaled drawings otherwise lose their outermost pixel
    fan: dict = {}
    for e in pic.edges:
        fan[e.src] = fan.get(e.src, 0) + 1
    fan_out = max(fan.values(), default=0)
    if len(pic.nodes) > RECORD_NODES or fan_out > FAN_OUT or pic.ranks:  # dot loses flat edges between records
        pic.records = False
    if pic.ranks:  # dot's final crossing pass over clusters would undo the element order
        pic.graph_attrs.setdefault("remincross", "false")
    if len(pic.nodes) > SPLINE_NODES or fan_out > FAN_OUT:
        pic.graph_attrs.setdefault("splines", "polyline")
        for k, v in BOUNDED.items():
            pic.graph_attrs.setdefault(k, v)


def used_colours(pic) -> list:
    """The legend entries the picture uses, in the legend's order."""
    by_fill = {fill: key for key, (fill, _) in COLOURS.items() if fill != "white"}
    used = set()
    for n in pic.nodes:
        a = n.attrs
        if n.name == "more" or a.get("style") == "dashed" or a.get("shape") == "plaintext":
            used.add("more")
            continue
        if a.get("shape") == "ellipse":
            used.add("op")
        fill = a.get("fillcolor")
        if fill in by_fill:
            used.add(by_fill[fill])
        elif n.record and a.get("shape", "box") == "box":
            used.add("value")
        if a.get("color") == COLOURS["updated"][0]:
            used.add("updated")
    return [k for k in COLOURS if k in used]
