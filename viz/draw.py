"""``to_dot`` and ``draw_dot``: from a node of the tape to a picture.

``to_dot(root, …)`` returns DOT text and needs no Graphviz at all; ``draw_dot(root, format="svg", rankdir="LR", …)``
returns a :class:`viz.render.Graph` (a ``graphviz.Digraph``) whose ``.source`` is that same text, so micrograd's
lecture code (``draw_dot(o)`` in a notebook cell) runs unchanged. ``root`` is a ``Value``, a ``Tensor``, a
scalar-level ``Tensor`` (its element Values are drawn), or a list of them.

Options (the same for both):

- ``rankdir``: ``"LR"`` (inputs on the left, as micrograd) or ``"TB"``, ``"RL"``, ``"BT"``;
- ``edge_labels``: ``None``, ``"local"`` (∂out/∂in on every edge) or ``"contrib"`` (upstream × local): see
  :mod:`viz.scalar` and :mod:`viz.tensor`;
- ``params``: a dict name → Tensor/Value or anything with ``named_parameters()``: names drawn on parameter nodes;
- ``max_nodes`` (default :data:`viz.collapse.MAX_NODES`; None for no limit), ``depth``, ``hide_constants``
  (True: constants are written into the operation that uses them; False: drawn as nodes; the default None hides
  them in scalar-level graphs, where they are padding zeros and the like, and shows them elsewhere, as micrograd
  does): keep big graphs readable (:mod:`viz.collapse`);
- ``expand``: at tensor level each layer call (``conv2d``, ``linear``, ``cross_entropy``…) is one box; ``expand=``
  a layer or module name, a set of them, or ``"all"`` opens those into their primitives (:mod:`viz.layers`);
- ``show_saved``: each operation lists what its rule keeps for backward;
- ``expected``, ``rtol``, ``atol``: the rule-check overlay (:mod:`viz.overlay`);
- ``legend``: add the colour legend, listing the colours the picture uses (:mod:`viz.legend`); ``title``: a
  caption line.

Scalar graphs keep each input tensor's elements in index order (``X[0,0]``, ``X[0,1]``, … top to bottom in one
column, :mod:`viz.layout`), and big or heavily fanned-out graphs get Graphviz settings that keep ``dot`` fast.

Node names are tape positions (``n1`` is the first node recorded), so the same construction gives byte-identical
DOT in any process.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from microgradnet.engine import Node, toposort

from . import collapse, layers, layout, overlay, scalar, tensor
from .dot import DotEdge, DotNode, Picture, plural, summary, write_dot
from .legend import colour, legend_lines

EDGE_LABELS = (None, "local", "contrib")
RANKDIRS = ("LR", "TB", "RL", "BT")


@dataclass
class Options:
    rankdir: str = "LR"
    edge_labels: str | None = None
    max_nodes: int | None = collapse.MAX_NODES
    depth: int | None = None
    hide_constants: bool | None = None
    show_saved: bool = False
    legend: bool = False
    title: str | None = None
    expand: object = None

    def validate(self, op: str) -> None:
        if self.rankdir not in RANKDIRS:
            raise ValueError(f"{op}: rankdir must be one of {RANKDIRS}, got {self.rankdir!r}")
        if self.edge_labels not in EDGE_LABELS:
            raise ValueError(f"{op}: edge_labels must be None, 'local' or 'contrib', got {self.edge_labels!r}")


def roots_of(root, op: str) -> list:
    """The nodes to draw from: a Value/Tensor, the element Values of a scalar-level Tensor, or a list of those."""
    items = list(root) if isinstance(root, (list, tuple)) else [root]
    if not items:
        raise ValueError(f"{op}: nothing to draw (an empty list)")
    out = []
    for r in items:
        if not isinstance(r, Node):
            raise TypeError(f"{op}: expected a microgradnet Value or Tensor (or a list of them), got "
                            f"{type(r).__name__} {r!r:.60}")
        vals = getattr(r, "level", None)
        if vals is not None:
            out.extend(vals[1].flat)
        else:
            out.append(r)
    return out


def param_names(params, op: str) -> dict:
    """node id → parameter name, from a dict name → node or an object with ``named_parameters()``."""
    if params is None:
        return {}
    if hasattr(params, "named_parameters"):
        items = list(params.named_parameters())
        if hasattr(params, "named_buffers"):  # batch norm's running statistics: '1.running_mean'
            items += list(params.named_buffers())
    elif isinstance(params, Mapping):
        items = params.items()
    else:
        raise TypeError(f"{op}: params must be a dict name → Tensor or have named_parameters(), got "
                        f"{type(params).__name__}")
    names = {}
    for name, t in items:
        if not isinstance(t, Node):
            raise TypeError(f"{op}: params[{name!r}] must be a Tensor or Value, got {type(t).__name__}")
        names[t._id] = str(name)
    return names


class GradView:
    """What the picture says about each node's gradient: ``known(node)`` and ``value(node)``.

    Tensors: ``grad is None`` means unknown. Values start at ``grad = 0.0`` (micrograd's API), so a Value graph
    whose outputs all still have grad 0.0 is taken as "no backward yet" and every grad is drawn as ``—``.
    ``override`` (id → gradient; ids absent are unknown) replaces all of this, for the step-by-step frames.
    """

    def __init__(self, roots, override: dict | None = None):
        self.override = override
        self.fresh = override is None and all(not hasattr(r, "shape") and r.grad == 0.0 for r in roots)

    def known(self, node) -> bool:
        if self.override is not None:
            return node._id in self.override
        if hasattr(node, "shape"):
            return node.grad is not None
        return not self.fresh

    def value(self, node):
        if self.override is not None:
            return self.override.get(node._id)
        return node.grad if self.known(node) else None


@dataclass
class Frame:
    """Step-by-step decorations: the node being processed, the parents it just updated, the nodes whose gradient
    is still a partial sum, and per-node text widths that keep the layout still from frame to frame."""

    current: int | None = None
    updated: frozenset = frozenset()
    partial: frozenset = frozenset()
    widths: dict | None = None
    processed: frozenset = frozenset()


def _pad(text: str, node_id: int, key: str, frame: Frame | None) -> str:
    if frame is None or frame.widths is None:
        return text
    w = frame.widths.get((node_id, key))
    return text if w is None or len(text) >= w else text + "\u00a0" * (w - len(text))


def grad_text(node, grads: GradView) -> str | None:
    """The text after ``grad`` in a node: a number, a summary, ``—`` (unknown); None for tensors that do not
    require grad (no grad field)."""
    if hasattr(node, "shape"):
        if not node.requires_grad:
            return None
        g = grads.value(node)
        return "—" if g is None else summary(g)
    g = grads.value(node)
    return "—" if g is None else scalar.num(g)


class Builder:
    """Builds the :class:`~viz.dot.Picture` of a graph; :func:`to_dot` and the step frames use it."""

    def __init__(self, root, *, op="to_dot", opts: Options | None = None, params=None, expected=None, rtol=1e-5,
                 atol=1e-8):
        self.op = op
        self.opts = opts or Options()
        self.opts.validate(op)
        self.roots = roots_of(root, op)
        self.names = param_names(params, op)
        self.tape = layers.with_inputs(toposort(self.roots))
        if self.opts.hide_constants is None:  # scalar level: constants are padding zeros and folded numbers
            self.opts.hide_constants = any(n._meta.__class__ is tuple for n in self.tape)
        self.plan = collapse.plan(self.roots, self.tape, max_nodes=self.opts.max_nodes, depth=self.opts.depth,
                                  hide_constants=self.opts.hide_constants, names=self.names,
                                  expand=layers.parse_expand(self.opts.expand, op), op=op)
        self.checks = {}
        if expected is not None:
            fresh = {n._id for n in self.tape if not hasattr(n, "shape")} if GradView(self.roots).fresh else set()
            self.checks = overlay.check(self.tape, expected, names=self.names, rtol=rtol, atol=atol,
                                        fresh_ids=fresh)
        self._local_cache: dict = {}

    # ------------------------------------------------------------------------------------------------ pieces
    def name_of(self, node) -> str:
        return self.names.get(node._id) or node.label or ""

    def is_const(self, node) -> bool:
        return collapse.is_constant(node, self.names)

    def base_fill(self, i: int) -> str:
        node = self.tape[i]
        if i in self.plan.roots:
            return colour("output")
        if not node._prev:
            return colour("constant") if self.is_const(node) else colour("leaf")
        return colour("value")

    def value_node(self, unit, grads: GradView, frame: Frame | None) -> DotNode:
        i = unit.members[0]
        node = self.tape[i]
        gt = grad_text(node, grads)
        if gt is not None:
            gt = _pad(gt, node._id, "grad", frame)
        name = self.name_of(node) or unit.scope_title
        if hasattr(node, "shape"):
            fields = tensor.tensor_fields(node, name, gt)
        else:
            fields = scalar.value_fields(node, name, gt)
        attrs = {"style": "filled", "fillcolor": self.base_fill(i)}
        chk = self.checks.get(node._id)
        if chk is not None:
            fields.extend(chk.fields())
            attrs["fillcolor"] = colour("match") if chk.ok else colour("mismatch")
        if frame is not None:
            if node._id == frame.current:
                attrs["fillcolor"] = colour("current")
            elif node._id in frame.partial:
                attrs["fillcolor"] = colour("partial")
            if node._id in frame.updated:
                attrs["color"] = colour("updated")
                attrs["penwidth"] = "3"
        return DotNode(unit.name, fields, attrs, record=True, cluster=unit.cluster, across=not hasattr(node, "shape"))

    def op_node(self, unit, frame: Frame | None) -> DotNode:
        node = self.tape[unit.members[0]]
        folded = []
        if self.opts.hide_constants:
            for k, p in enumerate(node._prev):
                if self.plan.state[self.plan.pos[p._id]] == collapse.HIDDEN:
                    folded.append((k, (tensor.const_text(p) if hasattr(p, "shape") else scalar.const_text(p))))
        if hasattr(node, "shape"):
            sym = tensor.op_label(node)
            if folded:
                sym = scalar.with_constants(sym, len(node._prev), folded)
        else:
            sym = scalar.with_constants(scalar.op_symbol(node), len(node._prev), folded)
        attrs = {"shape": "ellipse", "margin": "0.05,0.02", "fontsize": "12"}
        if frame is not None and node._id == frame.current:
            attrs.update(style="filled", fillcolor=colour("current"))
        if self.opts.show_saved:
            saved = tensor.saved_text(node) if hasattr(node, "shape") else scalar.saved_text(node)
            attrs = {"style": "filled,rounded", "fillcolor": colour("saved"), "fontsize": "12"}
            if frame is not None and node._id == frame.current:
                attrs["fillcolor"] = colour("current")
            return DotNode(f"{unit.name}_op", [sym, saved], attrs, record=True, cluster=unit.cluster, across=False)
        return DotNode(f"{unit.name}_op", [sym], attrs, record=False, cluster=unit.cluster)

    def layer_node(self, unit, grads: GradView, frame: Frame | None = None) -> DotNode:
        """A layer call as one box: ``conv: conv2d`` | its options | the output's name, shape, data and grad."""
        i = unit.members[-1]
        out = self.tape[i]
        fields = [layers.title(unit.call, unit.scope_title)]
        opts = layers.options_text(unit.call)
        if opts:
            fields.append(opts)
        gt = grad_text(out, grads)
        if gt is not None:
            gt = _pad(gt, out._id, "grad", frame)
        fields += tensor.tensor_fields(out, self.name_of(out), gt)
        fill = colour("output") if i in self.plan.roots else colour("layer")
        attrs = {"style": "filled,rounded", "fillcolor": fill}
        chk = self.checks.get(out._id)
        if chk is not None:
            fields.extend(chk.fields())
            attrs["fillcolor"] = colour("match") if chk.ok else colour("mismatch")
        if frame is not None:
            ids = {self.tape[j]._id for j in unit.members}
            if frame.current in ids:
                attrs["fillcolor"] = colour("current")
            elif out._id in frame.partial:
                attrs["fillcolor"] = colour("partial")
            if ids & frame.updated:
                attrs["color"] = colour("updated")
                attrs["penwidth"] = "3"
        return DotNode(unit.name, fields, attrs, record=True, cluster=unit.cluster, across=False)

    def group_node(self, u: int, unit, grads: GradView, frame: Frame | None = None) -> DotNode:
        tape, plan = self.tape, self.plan
        members = unit.members
        if unit.kind == "more":
            return DotNode(unit.name, [f"… {plural(len(members), 'more node')}"], {"shape": "box", "style": "dashed"},
                           record=False, cluster=None)
        roots = set(plan.roots)
        outs = [i for i in members if i in roots or any(plan.unit_of[c] != u for c in plan.consumers[i])]
        outs = outs or members[-1:]
        out_nodes = [tape[i] for i in outs]
        fields = []
        if unit.kind == "ops":
            fields += [unit.title, plural(len(members), "scalar node")]
        elif unit.kind == "input":
            fields += [unit.title, plural(len(members), "element")]
        else:
            ops = []
            for i in members:
                o = tape[i]._op
                if o and o not in ops:
                    ops.append(o)
            n_ops = sum(1 for i in members if tape[i]._prev)
            shown = ", ".join(ops[:4]) + (", …" if len(ops) > 4 else "")
            fields += [unit.title, f"{plural(n_ops, 'op')}: {shown}" if ops else plural(len(members), "node")]
        if all(hasattr(n, "shape") for n in out_nodes):
            if len(out_nodes) == 1:
                t = out_nodes[0]
                gt = grad_text(t, grads)
                fields += tensor.tensor_fields(t, "", gt)
            else:
                fields.append(f"{len(out_nodes)} outputs")
        else:
            data = np.array([float(n.data) for n in out_nodes if not hasattr(n, "shape")])
            fields.append(f"data {summary(data)}")
            if all(grads.known(n) for n in out_nodes):
                fields.append("grad " + summary(np.array([float(grads.value(n)) for n in out_nodes])))
            else:
                fields.append("grad —")
        attrs = {"style": "filled,bold", "fillcolor": colour("group")}
        chk = [self.checks[tape[i]._id] for i in members if tape[i]._id in self.checks]
        if chk:
            good = sum(c.ok for c in chk)
            fields.append(f"rule check {good} ✓ {len(chk) - good} ✗")
            attrs["fillcolor"] = colour("match") if good == len(chk) else colour("mismatch")
        if frame is not None:
            ids = {tape[i]._id for i in members}
            if frame.current in ids:
                attrs["fillcolor"] = colour("current")
            elif ids & frame.updated:
                attrs["color"] = colour("updated")
                attrs["penwidth"] = "3"
        return DotNode(unit.name, fields, attrs, record=True, cluster=unit.cluster, across=False)

    def edge_label(self, node, i: int, grads: GradView, frame: Frame | None) -> str | None:
        mode = self.opts.edge_labels
        if mode is None:
            return None
        if mode == "contrib" and frame is not None and node._id not in frame.processed:
            return _pad("—", node._id, f"edge{i}", frame)  # nothing has flowed down this edge yet
        if hasattr(node, "shape"):
            if mode == "local":
                return tensor.edge_local(node, i)
            g = grads.value(node) if grads.known(node) else None
            text = tensor.edge_contrib(node, i, g)
        else:
            if mode == "local":
                return scalar.edge_local(node, i, self._local_cache)
            g = grads.value(node) if grads.known(node) else None
            text = scalar.edge_contrib(node, i, g, self._local_cache)
        return _pad(text, node._id, f"edge{i}", frame)

    # ------------------------------------------------------------------------------------------------ picture
    def picture(self, grads: GradView | None = None, frame: Frame | None = None, notes_extra=()) -> Picture:
        grads = grads or GradView(self.roots)
        tape, plan = self.tape, self.plan
        pic = Picture(graph_attrs={"rankdir": self.opts.rankdir}, clusters=dict(plan.clusters))
        if frame is not None:
            pic.graph_attrs["fontname"] = "Courier"
            pic.node_attrs = {"fontname": "Courier"}
            pic.edge_attrs = {"fontname": "Courier"}
        if self.opts.title:
            pic.notes.append(str(self.opts.title))
        pic.notes.extend(notes_extra)
        pic.notes.extend(plan.notes)
        for u, unit in enumerate(plan.units):
            if unit.kind == "node":
                pic.nodes.append(self.value_node(unit, grads, frame))
                if tape[unit.members[0]]._prev:
                    pic.nodes.append(self.op_node(unit, frame))
            elif unit.kind == "layer":
                pic.nodes.append(self.layer_node(unit, grads, frame))
            else:
                pic.nodes.append(self.group_node(u, unit, grads, frame))
        cut_done = set()
        for i in plan.frontier:
            unit = plan.units[plan.unit_of[i]]
            if unit.name in cut_done:
                continue
            cut_done.add(unit.name)
            pic.nodes.append(DotNode(f"{unit.name}_cut", ["…"], {"shape": "plaintext"}, record=False))
            target = f"{unit.name}_op" if unit.kind == "node" else unit.name
            pic.edges.append(DotEdge(f"{unit.name}_cut", target, None, {"style": "dashed"}))
        seen_group_edges = set()
        # in tape order: each node's parent edges (argument order) into its op, then op -> node
        for i in range(len(tape)):
            u = plan.unit_of[i]
            if u < 0:
                continue
            node = tape[i]
            unit = plan.units[u]
            if unit.kind == "layer":
                if i == unit.members[-1]:
                    self.layer_edges(pic, u, unit)
                continue
            for k, p in enumerate(node._prev):
                j = plan.pos[p._id]
                pu = plan.unit_of[j]
                if pu < 0 or pu == u:
                    continue
                src = plan.units[pu].name
                if unit.kind == "node":
                    attrs = {}
                    if frame is not None and node._id == frame.current:
                        attrs = {"color": colour("updated"), "penwidth": "2"}
                    pic.edges.append(DotEdge(src, f"{unit.name}_op", self.edge_label(node, k, grads, frame), attrs))
                else:
                    key = (src, unit.name)
                    if key not in seen_group_edges:
                        seen_group_edges.add(key)
                        pic.edges.append(DotEdge(src, unit.name))
            if unit.kind == "node" and node._prev:
                pic.edges.append(DotEdge(f"{unit.name}_op", unit.name))
        layout.order_elements(pic, self)
        layout.settings(pic, self)
        if self.opts.legend:
            pic.extra = legend_lines(layout.used_colours(pic))
        return pic

    def layer_edges(self, pic: Picture, u: int, unit) -> None:
        """Edges into a layer box: its Tensor arguments in argument order, named after the parameter when there are
        several (``input``, ``weight``, ``bias``), then any other node its operations read."""
        plan, tape = self.plan, self.tape
        srcs: dict = {}
        for name, t in unit.call.inputs:
            j = plan.pos.get(t._id)
            if j is not None and plan.unit_of[j] >= 0 and plan.unit_of[j] != u:
                srcs.setdefault(plan.units[plan.unit_of[j]].name, name)
        for i in unit.members:
            for p in tape[i]._prev:
                pu = plan.unit_of[plan.pos[p._id]]
                if pu >= 0 and pu != u:
                    srcs.setdefault(plan.units[pu].name, None)
        several = len(unit.call.inputs) > 1
        for src, name in srcs.items():
            pic.edges.append(DotEdge(src, unit.name, name if several else None))

    def dot(self, **kw) -> str:
        return write_dot(self.picture(**kw))


def _options(rankdir, edge_labels, max_nodes, depth, hide_constants, show_saved, legend, title, expand) -> Options:
    return Options(rankdir=rankdir, edge_labels=edge_labels, max_nodes=max_nodes, depth=depth,
                   hide_constants=None if hide_constants is None else bool(hide_constants),
                   show_saved=bool(show_saved), legend=bool(legend), title=title,
                   expand=expand)


def to_dot(root, rankdir: str = "LR", *, edge_labels: str | None = None, params=None,
           max_nodes: int | None = collapse.MAX_NODES, depth: int | None = None, hide_constants: bool | None = None,
           show_saved: bool = False, expected=None, rtol: float = 1e-5, atol: float = 1e-8, legend: bool = False,
           title: str | None = None, expand=None) -> str:
    """The DOT text of the graph behind ``root`` (see the module docstring for the options). Needs no Graphviz."""
    b = Builder(root, op="to_dot", opts=_options(rankdir, edge_labels, max_nodes, depth, hide_constants, show_saved,
                                                 legend, title, expand), params=params, expected=expected, rtol=rtol,
                atol=atol)
    return b.dot()


def draw_dot(root, format: str = "svg", rankdir: str = "LR", *, edge_labels: str | None = None,  # noqa: A002
             params=None, max_nodes: int | None = collapse.MAX_NODES, depth: int | None = None,
             hide_constants: bool | None = None, show_saved: bool = False, expected=None, rtol: float = 1e-5,
             atol: float = 1e-8, legend: bool = False, title: str | None = None, expand=None,
             budget: float | None = None):
    """The graph behind ``root`` as a :class:`viz.render.Graph` (a ``graphviz.Digraph``): shows itself in Jupyter,
    ``.save("net.svg" | ".png" | ".pdf" | ".dot")``, ``.render``, ``.pipe``; ``.notes`` says what was collapsed,
    ``.checks`` holds the rule-check results. Its ``.source`` equals ``to_dot(root, …)``."""
    from .render import make_graph
    opts = _options(rankdir, edge_labels, max_nodes, depth, hide_constants, show_saved, legend, title, expand)
    b = Builder(root, op="draw_dot", opts=opts, params=params, expected=expected, rtol=rtol, atol=atol)

    def fallback() -> str:  # what to draw if dot does not finish within the render budget
        small = Options(**{**opts.__dict__, "max_nodes": layout.FALLBACK_NODES})
        return Builder(root, op="draw_dot", opts=small, params=params, expected=expected, rtol=rtol,
                       atol=atol).dot()

    return make_graph(b.dot(), format=format, notes=b.plan.notes, checks=b.checks, fallback=fallback,
                      budget=budget)


def rule_check(root, expected, *, params=None, rtol: float = 1e-5, atol: float = 1e-8) -> list:
    """The rule-check results without drawing: one :class:`viz.overlay.CheckResult` per checked node, in tape
    order (see :mod:`viz.overlay` for how keys select nodes)."""
    b = Builder(root, op="rule_check", opts=Options(max_nodes=None), params=params, expected=expected, rtol=rtol,
                atol=atol)
    return [b.checks[n._id] for n in b.tape if n._id in b.checks]
