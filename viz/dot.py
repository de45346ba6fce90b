"""DOT text: escaping, number formatting, and one writer that turns a :class:`Picture` into DOT.

Everything the renderer draws goes through :func:`write_dot`, the only place text enters the DOT source, so every
label is escaped the same way and the output is byte-for-byte deterministic:

- node names come from tape positions (``n1``, ``n2``, …; op nodes ``n3_op``), never from ``id()``;
- nodes are written in tape order, clusters in order of their first node, edges in tape order with parents in
  argument order (a repeated operand gives two edges);
- attributes are written sorted by name, every value double-quoted.

Escaping (:func:`escape`): any user text (labels, parameter names, scope names) is made inert. ``&``, ``<``, ``>``
become the entities ``&amp;``, ``&lt;``, ``&gt;`` (Graphviz decodes entities in every label, so a literal
``&lt;`` typed by a user stays visible as typed); ``"`` and ``\\`` are backslash-escaped (so no label can end the
quoted string, and ``\\N``/``\\l`` typed by a user stay literal); inside record labels ``{``, ``}`` and ``|`` are
backslash-escaped too. A newline becomes a line break; other control characters (which XML, hence SVG, cannot
hold) are shown as the visible text ``\\x07``; lone surrogates become U+FFFD. Runs of spaces are shown as one
space (Graphviz's record layout collapses them).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

_CONTROL = {c: f"\\x{c:02x}" for c in list(range(0x20)) + list(range(0x7F, 0xA0)) if c not in (0x0A, 0x09)}
_CONTROL[0x09] = " "


def _clean(text) -> str:
    """str(text) with control characters made visible, CRLF/CR as newlines and lone surrogates replaced."""
    s = str(text)
    if s.isascii() and s.isprintable():
        return s
    if "\r" in s:
        s = s.replace("\r\n", "\n").replace("\r", "\n")
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        s = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in s)
    return s.translate(_CONTROL)


def escape(text, record: bool = False) -> str:
    """``text`` made safe inside a double-quoted DOT string (see the module docstring); ``record=True`` also
    escapes the record-label metacharacters ``{ } |``."""
    s = _clean(text)
    s = s.replace("\\", "\\\\").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = s.replace('"', '\\"')
    if record:
        s = s.replace("{", "\\{").replace("}", "\\}").replace("|", "\\|")
    return s.replace("\n", "\\n")


@functools.lru_cache(maxsize=4096)
def _quote_str(text: str) -> str:
    return f'"{escape(text)}"'


def quote(text) -> str:
    """A double-quoted DOT string holding ``text`` (escaped)."""
    return _quote_str(str(text))


# ---------------------------------------------------------------------------------------------------- numbers
def num(x, digits: int = 4) -> str:
    """A number as micrograd prints it (``%.4f``), switching to ``%.3e`` outside [1e-4, 1e6) so that small
    gradients do not read as zero; ``-0.0`` prints as ``0.0000``; NaN and infinities by name."""
    x = float(x)
    if not math.isfinite(x):
        return _non_finite(x)
    if x == 0:
        return f"{0.0:.{digits}f}"
    a = abs(x)
    if 1e-4 <= a < 1e6:
        return f"{x:.{digits}f}"
    return f"{x:.{max(digits - 1, 1)}e}"


def _non_finite(x: float) -> str:
    return "nan" if math.isnan(x) else "inf" if x > 0 else "-inf"


def short(x) -> str:
    """A compact number (``%.4g``) for summaries and edge labels of tensors."""
    x = float(x)
    if not math.isfinite(x):
        return _non_finite(x)
    if x == 0:
        return "0"
    return f"{x:.4g}"


def plural(n: int, word: str) -> str:
    """``1 op``, ``2 ops``, ``1,024 scalar nodes``."""
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def shape_text(shape) -> str:
    """``(2, 3)`` as Python prints it; ``()`` for a 0-d tensor."""
    return "(" + ", ".join(str(int(n)) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def summary(arr, tiny: int = 4) -> str:
    """A compact description of an array's values: the values themselves when it has at most ``tiny`` elements,
    otherwise ``min … mean … max …`` (``all v`` when every element is v; a mean within 10⁻¹² of the largest
    magnitude is rounding residue and reads ``0``); non-finite entries are counted, booleans as a count of True."""
    a = np.asarray(arr)
    if a.size == 0:
        return "empty"
    if a.dtype == bool:
        return f"{int(a.sum())} of {a.size} True"
    if a.ndim == 0 and a.dtype.kind in "fiu":
        return short(a.item())
    if a.size <= tiny:
        return "[" + ", ".join(short(v) for v in a.ravel().tolist()) + "]"
    if a.dtype.kind in "iu":
        return f"min {int(a.min())} max {int(a.max())}"
    fin = np.isfinite(a)
    bad = int(a.size - fin.sum())
    if bad == a.size:
        return f"all {a.size} non-finite"
    f = a[fin] if bad else a
    lo, hi = f.min(), f.max()
    mean = f.mean()
    if abs(mean) <= 1e-12 * max(abs(lo), abs(hi)):  # rounding residue of a sum that is 0 (softmax's grad)
        mean = 0.0
    text = f"all {short(lo)}" if lo == hi else f"min {short(lo)} mean {short(mean)} max {short(hi)}"
    if bad:
        text += f" ({bad} non-finite)"
    return text


# ---------------------------------------------------------------------------------------------------- picture
@dataclass
class DotNode:
    """One drawn node. ``fields`` (raw text) make a record label when ``record`` is True, otherwise they are joined
    by line breaks. ``across=True`` lays the fields side by side (micrograd's ``{ label | data | grad }``), False one
    under the other (tensor nodes); the braces that do this depend on the graph's rankdir. ``cluster`` is the key of
    the cluster the node sits in."""

    name: str
    fields: list
    attrs: dict = field(default_factory=dict)
    record: bool = True
    cluster: tuple | None = None
    across: bool = True


@dataclass
class DotEdge:
    src: str
    dst: str
    label: str | None = None
    attrs: dict = field(default_factory=dict)


@dataclass
class Picture:
    """What is drawn, before it becomes DOT: nodes, edges, clusters (key → label, parent key), notes."""

    nodes: list = field(default_factory=list)
    edges: list = field(default_factory=list)
    clusters: dict = field(default_factory=dict)  # key -> (label, parent key or None, attrs)
    notes: list = field(default_factory=list)
    graph_attrs: dict = field(default_factory=dict)
    node_attrs: dict = field(default_factory=dict)
    edge_attrs: dict = field(default_factory=dict)
    extra: list = field(default_factory=list)  # ready-made DOT lines (the legend), appended before the edges
    ranks: list = field(default_factory=list)  # (cluster key, [node names]): drawn in one rank, in this order
    records: bool = True  # draw record=True nodes as Graphviz records (False: plain boxes, see viz.layout)


def _attr_text(attrs: dict) -> str:
    return " ".join(f"{k}={quote(v)}" for k, v in sorted(attrs.items()) if v is not None)


def node_line(n: DotNode, indent: str = "\t", rankdir: str = "LR", records: bool = True) -> str:
    """One node statement. With ``records`` (small pictures) a node with ``record=True`` is a Graphviz record
    (micrograd's ``{ label | data | grad }``); otherwise a ``box`` with plain-text lines (fields side by side with
    ``|`` when ``across`` and the graph runs left to right): records make ``dot`` slow past a few dozen nodes with
    heavy fan-out (:mod:`viz.layout`)."""
    if n.record and records:
        label = " | ".join(escape(f, record=True) for f in n.fields)
        if n.across == (rankdir in ("LR", "RL")):
            label = "{ " + label + " }"
    elif n.record:
        sep = " | " if n.across and rankdir in ("LR", "RL") else "\\n"
        label = sep.join(escape(f) for f in n.fields)
    else:
        label = "\\n".join(escape(f) for f in n.fields)
    attrs = dict(n.attrs)
    if n.record:
        attrs.setdefault("shape", "record" if records else "box")
    rest = _attr_text(attrs)
    return f'{indent}{n.name} [label="{label}"{" " + rest if rest else ""}]\n'


def edge_line(e: DotEdge, indent: str = "\t") -> str:
    attrs = dict(e.attrs)
    if e.label is not None:
        attrs["label"] = e.label
    rest = _attr_text(attrs)
    return f"{indent}{e.src} -> {e.dst}{' [' + rest + ']' if rest else ''}\n"


def body_lines(pic: Picture) -> list[str]:
    """The DOT statements of ``pic`` (each ends with a newline, indented by tabs), in a deterministic order."""
    lines = []
    gattrs = dict(pic.graph_attrs)
    if pic.notes:
        gattrs["label"] = "\n".join(pic.notes)
        gattrs.setdefault("labelloc", "b")
        gattrs.setdefault("labeljust", "l")
    if gattrs:
        lines.append(f"\tgraph [{_attr_text(gattrs)}]\n")
    if pic.node_attrs:
        lines.append(f"\tnode [{_attr_text(pic.node_attrs)}]\n")
    if pic.edge_attrs:
        lines.append(f"\tedge [{_attr_text(pic.edge_attrs)}]\n")
    # nodes by cluster; clusters nest, written with an explicit stack (no recursion)
    by_cluster: dict = {}
    for n in pic.nodes:
        by_cluster.setdefault(n.cluster, []).append(n)
    children: dict = {}
    for key, (_, parent, _) in pic.clusters.items():
        children.setdefault(parent, []).append(key)
    order = {key: i for i, key in enumerate(pic.clusters)}
    rankdir = pic.graph_attrs.get("rankdir", "TB")
    ranks: dict = {}
    for key, names in pic.ranks:
        ranks.setdefault(key, []).append(names)
    for n in pic.nodes:
        if n.cluster is None:
            lines.append(node_line(n, "\t", rankdir, pic.records))
    lines.extend(_rank_lines(ranks.get(None, ()), "\t", rankdir, top=True))
    stack = [(key, 1, False) for key in reversed(children.get(None, []))]
    while stack:
        key, depth, closing = stack.pop()
        ind = "\t" * depth
        if closing:
            lines.append(f"{ind}}}\n")
            continue
        label, _, attrs = pic.clusters[key]
        lines.append(f"{ind}subgraph cluster_{order[key] + 1} {{\n")
        cattrs = dict(attrs)
        cattrs["label"] = label
        lines.append(f"{ind}\tgraph [{_attr_text(cattrs)}]\n")
        for n in by_cluster.get(key, []):
            lines.append(node_line(n, ind + "\t", rankdir, pic.records))
        lines.extend(_rank_lines(ranks.get(key, ()), ind + "\t", rankdir))
        stack.append((key, depth, True))
        for child in reversed(children.get(key, [])):
            stack.append((child, depth + 1, False))
    lines.extend(pic.extra)
    for e in pic.edges:
        lines.append(edge_line(e))
    return lines


def _rank_lines(groups, indent: str, rankdir: str = "TB", top: bool = False) -> list[str]:
    """``{rank=same; a; b; c}`` with invisible edges a → b → c: the nodes share one rank, in this order (an edge
    within a rank puts its tail before its head: left of it top to bottom, below it left to right, so there the
    chain runs backwards to put ``a`` on top)."""
    out = []
    for k, names in enumerate(groups, 1):
        ind = indent
        if top:  # dot reads the chain the other way round outside a cluster: give it an invisible one
            out.append(f"{indent}subgraph cluster_order_{k} {{\n{indent}\tgraph [peripheries=0 label=\"\"]\n")
            ind = indent + "\t"
        out.append(f"{ind}{{rank=same; {'; '.join(names)}}}\n")
        chain = names[::-1] if rankdir in ("LR", "RL") else names
        out.extend(f"{ind}{a} -> {b} [style=\"invis\"]\n" for a, b in zip(chain, chain[1:]))
        if top:
            out.append(f"{indent}}}\n")
    return out


def write_dot(pic: Picture) -> str:
    """The DOT source of ``pic``: ``digraph {`` + the statements + ``}`` (the layout ``graphviz.Digraph`` uses,
    so ``draw_dot(x).source == to_dot(x)``)."""
    return "digraph {\n" + "".join(body_lines(pic)) + "}\n"
