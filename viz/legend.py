"""The colour legend: what each fill colour and mark in a drawing means.

=================  ==================  ===============================================================
name               colour (X11 name)   meaning
=================  ==================  ===============================================================
value              white               an intermediate value: ``label | data | grad``
leaf               lightblue           a leaf whose gradient is kept: a parameter (``conv1.weight``), a
                                       labelled ``Value``, a tensor with ``requires_grad=True``
constant           grey92              a constant: a leaf that does not require grad (a number in
                                       ``x * 2``, a tensor without ``requires_grad``)
output             darkolivegreen1     the output the backward pass starts from
op                 white ellipse       an operation, drawn as its own small node (the rule's symbol)
layer              lavender            a layer call drawn as one box (``conv: conv2d``): its output's shape,
                                       data and grad; ``expand=`` opens it into its operations
saved              navajowhite         an operation with ``show_saved=True``: what it kept for backward
group              lightyellow         collapsed: many nodes drawn as one (a tensor op, a module call)
more               white, dashed       nodes not drawn (beyond ``depth=`` or past ``max_nodes``)
match              palegreen           rule check: autodiff gradient = closed form (also marked ✓)
mismatch           salmon              rule check: autodiff gradient ≠ closed form (also marked ✗)
current            gold                step by step: the node whose rule is being applied
updated            orange border       step by step: the parents that just received a contribution
partial            thistle             step by step: a gradient still being summed (not every consumer
                                       has been processed yet)
unknown grad       "grad —"            no backward has run yet (or, step by step, not reached yet)
=================  ==================  ===============================================================

The marks ✓/✗ repeat the rule-check colours in text, so the picture reads without colour vision.
``draw_dot(..., legend=True)`` adds the rows for the colours that picture uses, as one node; :func:`draw_legend`
draws the whole table alone.
"""

from __future__ import annotations

from .dot import Picture, write_dot

COLOURS: dict[str, tuple[str, str]] = {
    "value": ("white", "an intermediate value: label | data | grad"),
    "leaf": ("lightblue", "a leaf whose gradient is kept (parameter, labelled Value, requires_grad tensor)"),
    "constant": ("grey92", "a constant (a leaf that does not require grad)"),
    "output": ("darkolivegreen1", "the output backward starts from"),
    "op": ("white", "an operation (its rule symbol), drawn as its own small node"),
    "layer": ("lavender", "a layer call as one box (expand= opens it into its operations)"),
    "saved": ("navajowhite", "an operation showing what it saved for backward (show_saved=True)"),
    "group": ("lightyellow", "collapsed: many nodes drawn as one (a tensor op, a module call)"),
    "more": ("white", "nodes not drawn (beyond depth= or past max_nodes)"),
    "match": ("palegreen", "rule check: autodiff = closed form (✓)"),
    "mismatch": ("salmon", "rule check: autodiff ≠ closed form (✗)"),
    "current": ("gold", "step by step: the node whose rule is being applied"),
    "updated": ("orange", "step by step: parents that just received a contribution (orange border)"),
    "partial": ("thistle", "step by step: a gradient still being summed"),
}

MATCH_MARK = "✓"
MISMATCH_MARK = "✗"


def colour(name: str) -> str:
    """The X11 colour name used for ``name`` (a key of :data:`COLOURS`)."""
    try:
        return COLOURS[name][0]
    except KeyError:
        raise KeyError(f"legend: unknown colour name {name!r}; expected one of {sorted(COLOURS)}") from None


def _html(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def legend_lines(keys=None, indent: str = "\t") -> list[str]:
    """DOT statements for the legend: one node holding a table with a swatch and its meaning per colour (one node,
    so it stays compact whatever the rankdir). ``keys``: the colours to list (default all), in the table's order."""
    rows = []
    for key, (fill, meaning) in COLOURS.items():
        if keys is not None and key not in keys:
            continue
        if key == "more":
            swatch = '<TD BORDER="1" STYLE="dashed">more</TD>'
        elif key == "updated":
            swatch = f'<TD BORDER="3" COLOR="{fill}">{key}</TD>'
        else:
            swatch = f'<TD BORDER="1" BGCOLOR="{fill}">{_html(key)}</TD>'
        rows.append(f'<TR>{swatch}<TD ALIGN="LEFT">{_html(meaning)}</TD></TR>')
    table = ('<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="3" CELLPADDING="3">'
             '<TR><TD COLSPAN="2"><B>legend</B></TD></TR>' + "".join(rows) + "</TABLE>")
    return [f"{indent}legend [label=<{table}> shape=\"plaintext\"]\n"]


def legend_dot() -> str:
    """The legend alone, as DOT text (needs no Graphviz)."""
    pic = Picture(graph_attrs={"rankdir": "TB"}, extra=legend_lines())
    return write_dot(pic)


def draw_legend(format: str = "svg"):  # noqa: A002 - graphviz's name
    """The legend alone, as a renderable :class:`viz.render.Graph`."""
    from .render import make_graph
    return make_graph(legend_dot(), format=format)

