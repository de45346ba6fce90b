"""viz: draw the backward graph of anything microgradnet builds.

    from viz import draw_dot, to_dot
    o.backward()
    draw_dot(o)                         # a graphviz.Digraph: shows itself in Jupyter, as in micrograd's lecture
    draw_dot(o, edge_labels="local").save("neuron.svg")
    print(to_dot(o))                    # the DOT text; needs no Graphviz at all

- :mod:`viz.draw`: ``to_dot``/``draw_dot`` and their options; :mod:`viz.scalar`/:mod:`viz.tensor`: what a Value or
  a Tensor node shows; :mod:`viz.collapse`: ``max_nodes``, ``depth``, ``hide_constants``;
  :mod:`viz.overlay`: the rule-check overlay (``expected=``, :func:`from_report`); :mod:`viz.steps`:
  ``backward_steps`` (frames, GIF, slider); :mod:`viz.legend`: the colours; :mod:`viz.render`: finding ``dot``
  (or the pip-installable graphviz-pure), saving files, the missing-Graphviz error; :mod:`viz.dot`: escaping and
  the DOT writer.

``viz`` depends on ``microgradnet``; the core never imports ``viz`` or graphviz.
"""

from .collapse import MAX_NODES
from .display import can_render, show
from .draw import draw_dot, rule_check, to_dot
from .legend import COLOURS, draw_legend, legend_dot
from .overlay import CheckResult, from_report
from .render import Graph, GraphvizNotFoundError, RenderError, find_renderer, save_source
from .steps import Steps, backward_steps

__all__ = ["COLOURS", "MAX_NODES", "CheckResult", "Graph", "GraphvizNotFoundError", "RenderError", "Steps",
           "backward_steps", "can_render", "draw_dot", "draw_legend", "find_renderer", "from_report", "legend_dot",
           "rule_check", "save_source", "show", "to_dot"]
