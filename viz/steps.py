"""Backward, step by step: one frame per tape step, in backward order.

``backward_steps(root)`` replays the backward pass with the engine's own per-node step (the rule applied at one
node: ``node._propagate``, micrograd's ``_backward``) on a copy of the gradient state, and draws a frame:

- frame 0 is the seed: ∂out/∂out = 1 (or the ``gradient`` given); every other grad reads ``—``;
- frame k applies the rule of the k-th node in reverse tape order: that node is gold, the edges to its parents are
  orange, the parents that just received a contribution have an orange border, and every gradient known so far is
  written in. A gradient that is still a partial sum (some consumer not yet processed) is filled thistle: this is
  where "add across paths" happens;
- the last frame holds the same gradients as ``root.backward()``.

The graph's own ``.grad`` values are restored afterwards: drawing the steps changes nothing. Text in the frames is
set in a fixed-width font and padded to its widest value, so nodes stay in place from frame to frame.

Output: ``.save(folder, format='svg'|'png'|'dot')`` writes numbered files (``step_000.svg`` …), ``.save_gif(path)``
an animated GIF (Pillow, which comes with matplotlib), and in Jupyter the object shows itself with a slider
(self-contained HTML and JavaScript: no ipywidgets needed; without JavaScript every frame is shown, one below the
other).
"""

from __future__ import annotations

import html
import io
import json
import os
import uuid

import numpy as np

from microgradnet.engine import no_grad

from . import collapse, scalar, tensor
from .dot import num, summary
from .draw import Builder, Frame, GradView, Options
from .render import GraphvizNotFoundError, make_graph, run, save_source, write_atomic

MAX_FRAMES = 400


def _copy(g):
    return np.array(g, copy=True) if isinstance(g, np.ndarray) else g


def _seeds(roots, gradient, op):
    if gradient is None:
        seeds = []
        for r in roots:
            if hasattr(r, "shape"):
                if not r.requires_grad:
                    raise RuntimeError(f"{op}: the output does not require grad (no input had requires_grad=True)")
                seeds.append(r._default_seed(op))
            else:
                seeds.append(1.0)
        return seeds
    if len(roots) == 1:
        return [roots[0]._as_seed(gradient, False, op)]
    g = np.asarray(getattr(gradient, "data", gradient), dtype=np.float64).ravel()
    if g.size != len(roots):
        raise ValueError(f"{op}: gradient has {g.size} element(s) for {len(roots)} output value(s)")
    return [float(x) for x in g]


def _name(node, names, pos) -> str:
    """A node's name in titles: its parameter name, its label, else its DOT name (``n`` + tape position)."""
    return names.get(node._id) or node.label or f"n{pos[node._id] + 1}"


class Steps:
    """The frames of one backward pass (see the module docstring): ``len(steps)``, ``steps[k]`` (DOT text),
    ``steps.titles``, ``steps.graph(k)``, ``save``, ``save_gif``, ``html``."""

    def __init__(self, root, gradient=None, *, rankdir="LR", edge_labels=None, params=None,
                 max_nodes=collapse.MAX_NODES, depth=None, hide_constants=False, show_saved=False,
                 max_frames=MAX_FRAMES):
        op = "backward_steps"
        opts = Options(rankdir=rankdir, edge_labels=edge_labels, max_nodes=max_nodes, depth=depth,
                       hide_constants=hide_constants, show_saved=show_saved)
        self.builder = b = Builder(root, op=op, opts=opts, params=params)
        tape = b.tape
        steps = [n for n in tape if n._prev]
        if len(steps) + 1 > max_frames:
            raise ValueError(f"{op}: {len(steps) + 1:,} frames (one per operation, plus the seed) exceed "
                             f"max_frames={max_frames}; draw a smaller graph or raise max_frames")
        seeds = _seeds(b.roots, gradient, op)
        self.states, self.events = self._replay(tape, b.roots, seeds)
        self.titles = self._titles(b)
        self.frames = self._frames(b)

    # -------------------------------------------------------------------------------------------- replay
    @staticmethod
    def _replay(tape, roots, seeds):
        """Run backward one node at a time with the engine's step, recording what each step changed."""
        saved = [(n, n.grad) for n in tape]
        initial = {}
        events = []  # (node id, {parent id: new grad})
        try:
            with no_grad():
                for n in tape:
                    n.grad = n._reset_grad()
                for r, g in zip(roots, seeds):
                    r.grad = g if r.grad is None else r.grad + g
                    initial[r._id] = _copy(r.grad)
                for n in reversed(tape):
                    if not n._prev or n.grad is None:
                        continue
                    n._propagate(False, False)
                    upd = {}
                    for p in n._prev:
                        if p.grad is not None and getattr(p, "requires_grad", True):
                            upd[p._id] = _copy(p.grad)
                    events.append((n._id, upd))
        finally:
            for n, g in saved:
                n.grad = g
        return initial, events

    def _titles(self, b) -> list[str]:
        by_id = {n._id: n for n in b.tape}
        pos = b.plan.pos
        titles = ["seed: " + ", ".join(f"∂out/∂{_name(by_id[i], b.names, pos)} = {self._fmt(by_id[i], g)}"
                                       for i, g in list(self.states.items())[:3])
                  + (" …" if len(self.states) > 3 else "")]
        total = len(self.events)
        for k, (nid, upd) in enumerate(self.events, 1):
            n = by_id[nid]
            parents = ", ".join(dict.fromkeys(_name(by_id[p], b.names, pos) for p in upd)) or "nothing"
            titles.append(f"step {k}/{total}: apply the rule of '{n._op}' at {_name(n, b.names, pos)} "
                          f"→ adds to {parents}")
        return titles

    @staticmethod
    def _fmt(node, g) -> str:
        return summary(g) if hasattr(node, "shape") else num(g)

    def _widths(self, b) -> dict:
        """The widest text each grad field and edge label takes over all frames."""
        by_id = {n._id: n for n in b.tape}
        widths: dict = {}

        def grow(key, text):
            if len(text) > widths.get(key, 0):
                widths[key] = len(text)

        for n in b.tape:
            grow((n._id, "grad"), "—")
        for i, g in self.states.items():
            grow((i, "grad"), self._fmt(by_id[i], g))
        final = dict(self.states)
        for _, upd in self.events:
            for i, g in upd.items():
                grow((i, "grad"), self._fmt(by_id[i], g))
                final[i] = g
        if b.opts.edge_labels == "contrib":
            cache: dict = {}
            for n in b.tape:
                g = final.get(n._id)
                for k in range(len(n._prev)):
                    grow((n._id, f"edge{k}"), "—")
                    if g is not None:
                        text = (tensor.edge_contrib(n, k, g) if hasattr(n, "shape")
                                else scalar.edge_contrib(n, k, g, cache))
                        grow((n._id, f"edge{k}"), text)
        return widths

    def _frames(self, b) -> list[str]:
        widths = self._widths(b)
        consumers: dict = {}
        for n in b.tape:
            for p in dict.fromkeys(p._id for p in n._prev):
                consumers[p] = consumers.get(p, 0) + 1
        remaining = dict(consumers)
        state = dict(self.states)
        width = max(len(t) for t in self.titles)
        frames = []

        processed: set = set()

        def frame_dot(k, current, updated):
            partial = frozenset(i for i in state if remaining.get(i, 0) > 0)
            fr = Frame(current=current, updated=frozenset(updated), partial=partial, widths=widths,
                       processed=frozenset(processed))
            title = self.titles[k] + "\u00a0" * (width - len(self.titles[k]))
            return b.dot(grads=GradView(b.roots, override=state), frame=fr, notes_extra=[title])

        frames.append(frame_dot(0, None, ()))
        for k, (nid, upd) in enumerate(self.events, 1):
            for p in upd:
                remaining[p] = remaining.get(p, 0) - 1
            state.update(upd)
            processed.add(nid)
            frames.append(frame_dot(k, nid, upd))
        return frames

    # -------------------------------------------------------------------------------------------- access
    def __len__(self) -> int:
        return len(self.frames)

    def __getitem__(self, k) -> str:
        return self.frames[k]

    @property
    def final_grads(self) -> dict:
        """Node id → gradient after the last step (what ``backward()`` computes)."""
        out = dict(self.states)
        for _, upd in self.events:
            out.update(upd)
        return out

    def graph(self, k: int, format: str = "svg"):  # noqa: A002
        """Frame ``k`` as a renderable :class:`viz.render.Graph`."""
        return make_graph(self.frames[k], format=format)

    def save(self, folder, format: str = "svg", prefix: str = "step") -> list[str]:  # noqa: A002
        """Write every frame as ``folder/prefix_000.<format>`` … (``'svg'``, ``'png'``, ``'pdf'``, or ``'dot'``,
        which needs no Graphviz). Returns the paths."""
        fmt = format.lower().lstrip(".")
        if fmt not in ("svg", "png", "pdf", "jpg", "jpeg", "dot", "gv"):
            raise ValueError(f"Steps.save: format must be 'svg', 'png', 'pdf', 'jpg' or 'dot', got {format!r}")
        digits = max(3, len(str(len(self.frames) - 1)))
        paths = []
        for k, src in enumerate(self.frames):
            path = os.path.join(os.fspath(folder), f"{prefix}_{k:0{digits}d}.{fmt}")
            paths.append(save_source(src, path, op="Steps.save"))
        return paths

    def save_gif(self, path, duration: int = 900, last: int = 3000, loop: int = 0) -> str:
        """An animated GIF of the frames (``duration`` ms each, the last held ``last`` ms; ``loop=0`` repeats
        forever), written atomically. Frames are rendered as PNG and placed on one white canvas."""
        if not os.fspath(path).lower().endswith(".gif"):
            raise ValueError(f"Steps.save_gif: the path must end in .gif, got {os.fspath(path)!r}")
        try:
            from PIL import Image
        except ImportError:  # pragma: no cover - Pillow comes with matplotlib
            raise ImportError("Steps.save_gif needs Pillow: pip install pillow (it comes with matplotlib)") from None
        images = [Image.open(io.BytesIO(run(src, "png", op="Steps.save_gif"))).convert("RGB") for src in self.frames]
        w = max(im.width for im in images)
        h = max(im.height for im in images)
        canvases = []
        for im in images:
            c = Image.new("RGB", (w, h), "white")
            c.paste(im, (0, 0))
            canvases.append(c)
        durations = [duration] * (len(canvases) - 1) + [last]
        buf = io.BytesIO()
        canvases[0].save(buf, format="GIF", save_all=True, append_images=canvases[1:], duration=durations,
                         loop=loop)
        return write_atomic(path, buf.getvalue())

    def html(self) -> str:
        """A self-contained HTML slider over the SVG frames (needs a renderer; see :mod:`viz.render`)."""
        svgs = []
        for src in self.frames:
            svg = run(src, "svg", op="Steps.html").decode("utf-8")
            start = svg.find("<svg")
            svgs.append(svg[start:] if start >= 0 else svg)
        uid = "mgn-steps-" + uuid.uuid4().hex[:12]
        titles = json.dumps(self.titles).replace("</", "<\\/")
        parts = [f'<div id="{uid}" class="mgn-steps">',
                 '<div class="mgn-controls" style="display:none;font-family:monospace;margin:4px 0">'
                 '<button type="button" data-d="-1">&#9664;</button> '
                 f'<input type="range" min="0" max="{len(svgs) - 1}" value="0" step="1" style="width:50%;'
                 'vertical-align:middle"> <button type="button" data-d="1">&#9654;</button> '
                 '<span class="mgn-title"></span></div>']
        for k, svg in enumerate(svgs):
            parts.append(f'<div class="mgn-frame" data-k="{k}"><div class="mgn-caption" '
                         f'style="font-family:monospace">{html.escape(self.titles[k])}</div>{svg}</div>')
        parts.append("<script>(function(){var root=document.getElementById(" + json.dumps(uid) + ");"
                     "if(!root)return;var frames=root.querySelectorAll('.mgn-frame');var titles=" + titles + ";"
                     "var slider=root.querySelector('input');var label=root.querySelector('.mgn-title');"
                     "root.querySelector('.mgn-controls').style.display='block';"
                     "root.querySelectorAll('.mgn-caption').forEach(function(c){c.style.display='none';});"
                     "function show(k){k=Math.max(0,Math.min(frames.length-1,k));slider.value=k;"
                     "frames.forEach(function(f,i){f.style.display=(i===k)?'block':'none';});"
                     "label.textContent=titles[k];}"
                     "slider.addEventListener('input',function(){show(parseInt(slider.value,10));});"
                     "root.querySelectorAll('button').forEach(function(b){b.addEventListener('click',function(){"
                     "show(parseInt(slider.value,10)+parseInt(b.getAttribute('data-d'),10));});});"
                     "show(0);})();</script></div>")
        return "".join(parts)

    def _repr_html_(self) -> str:
        try:
            return self.html()
        except GraphvizNotFoundError as e:
            return f"<pre>{html.escape(str(e))}</pre>"


def backward_steps(root, gradient=None, **options) -> Steps:
    """The backward pass from ``root`` as frames (see the module docstring). ``gradient`` seeds a non-scalar
    output; the other options are those of :func:`viz.to_dot` (except the overlay), plus ``max_frames``."""
    return Steps(root, gradient, **options)
