"""``can_render`` and ``show``: draw a graph where a renderer exists, show its DOT text where none does.

Notebooks call ``show(root, ...)`` instead of ``display(draw_dot(root, ...))`` so they run top to bottom on a
machine without Graphviz: the picture when ``dot`` (or the pip-installable graphviz-pure) is found, otherwise the
DOT source and one line saying how to get the picture.
"""

from __future__ import annotations

from .draw import draw_dot, to_dot
from .render import GraphvizNotFoundError, find_renderer

NO_RENDERER_NOTE = ("(no Graphviz renderer found: pip install graphviz-pure, or install Graphviz, to see the "
                    "picture; the DOT text follows)\n")


def can_render(fmt: str = "svg") -> bool:
    """True when a renderer for ``fmt`` is available (graphviz-pure has no pdf). Never raises: a bad
    ``MICROGRADNET_DOT`` counts as no renderer."""
    try:
        r = find_renderer()
    except GraphvizNotFoundError:
        return False
    return r is not None and r.supports(fmt)


def show(root, **options) -> None:
    """Display the graph behind ``root`` in Jupyter (``draw_dot`` options), or its DOT text when nothing can
    render it. Returns None, like IPython's ``display``, so a ``show(...)`` on a cell's last line shows once."""
    from IPython.display import display
    if can_render(options.get("format", "svg")):
        display(draw_dot(root, **options))
        return
    options.pop("format", None)
    display({"text/plain": NO_RENDERER_NOTE + to_dot(root, **options)}, raw=True)
