"""Backward, step by step: one frame per tape step, in backward order.

``backward_steps(root)`` replays the backward pass with the engine's own per-node step (the rule applied at one
node: ``node._propagate``, micrograd's ``_backward``) on a copy of the gradient state, and draws a frame:

- frame 0 holds the starting gradient ∂L/∂L = 1 (or the ``gradient`` given); every other grad reads ``—``;
- frame k applies the rule of the k-th node in reverse tape order: that node is gold, the edges to its parents are
  orange, the parents that just received a contribution have an orange border, and every gradient known so far is
  written in. A gradient that is still a partial sum (some consumer not yet processed) is filled thistle: this is
  where "add across paths" happens;
- the last frame holds the same gradients as ``root.backward()``.

Each frame's caption is the chain rule in its own words, with the names the user gave (an unlabelled node is named
by its expression, ``x1·w1``): ``∂L/∂w1 += ∂L/∂(x1·w1) · x1 = 0.5000 · 2.0000 = 1.0000``.

The graph's own ``.grad`` values are restored afterwards: drawing the steps changes nothing. Text in the frames is
set in a fixed-width font and padded to its widest value, so nodes stay in place from frame to frame.

Output: ``.save(folder, format='svg'|'png'|'dot')`` writes numbered files (``step_000.svg`` …), ``.save_gif(path)``
an animated GIF (Pillow, which comes with matplotlib), ``.save_html(path)`` a page whose picture fits the browser
window (zoom with − fit + or Ctrl+wheel, pan by dragging, step with ← → or the slider), and in Jupyter the object
shows itself the same way (self-contained HTML and JavaScript: no ipywidgets needed; without JavaScript every frame
is shown, one below the other). ``tests/test_viz_browser.py`` drives the page in headless Chromium.
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


def _root_grads(roots, gradient, op):
    """The starting gradient ∂L/∂root of each root: 1 (a ones array for a Tensor), or the ``gradient`` given."""
    if gradient is None:
        root_grads = []
        for r in roots:
            if hasattr(r, "shape"):
                if not r.requires_grad:
                    raise RuntimeError(f"{op}: the output does not require grad (no input had requires_grad=True)")
                root_grads.append(r._unit_grad(op))
            else:
                root_grads.append(1.0)
        return root_grads
    if len(roots) == 1:
        return [roots[0]._as_root_grad(gradient, False, op)]
    g = np.asarray(getattr(gradient, "data", gradient), dtype=np.float64).ravel()
    if g.size != len(roots):
        raise ValueError(f"{op}: gradient has {g.size} element(s) for {len(roots)} output value(s)")
    return [float(x) for x in g]


NAME_CHARS = 24
"""An unlabelled node is named by its expression (``x1·w1``) when that is at most this long."""


def _names(tape, names) -> dict:
    """Node id → the name used in captions: the parameter name or label the user gave, else the expression that
    made it (``x1·w1``, ``tanh(n)``) while short, else ``the × output`` — never an internal name like ``n37``."""
    out: dict = {}
    for n in tape:
        given = names.get(n._id) or n.label
        if given:
            out[n._id] = given
            continue
        if not n._prev:
            out[n._id] = scalar.num(n.data) if not hasattr(n, "shape") else "a constant"
            continue
        sym = scalar.op_symbol(n) if n.rule is not None else n._op
        args = [out[p._id] for p in n._prev]
        wrap = [a if a.replace("_", "").replace("[", "").replace("]", "").replace(",", "").isalnum() else f"({a})"
                for a in args]
        if len(args) == 2 and sym in ("+", "−", "×", "÷"):
            expr = f"{wrap[0]}{'·' if sym == '×' else ' ' + sym + ' '}{wrap[1]}"
        elif sym.startswith("^") and len(args) == 1:
            expr = f"{wrap[0]}{sym}"
        else:
            expr = f"{sym}({', '.join(args)})"
        out[n._id] = expr if len(expr) <= NAME_CHARS else f"the {sym} output"
    return out


def _d(name: str) -> str:
    """``∂L/∂name`` with a compound name in parentheses (a number or ``X[0,1]`` needs none)."""
    try:
        float(name)
        return name
    except ValueError:
        pass
    return name if name.replace("[", "").replace("]", "").replace(",", "").replace("_", "").isalnum() else f"({name})"


class Steps:
    """The frames of one backward pass (see the module docstring): ``len(steps)``, ``steps[k]`` (DOT text),
    ``steps.titles``, ``steps.graph(k)``, ``save``, ``save_gif``, ``html``."""

    def __init__(self, root, gradient=None, *, rankdir="LR", edge_labels=None, params=None,
                 max_nodes=collapse.MAX_NODES, depth=None, hide_constants=None, show_saved=False,
                 max_frames=MAX_FRAMES, expand=None):
        op = "backward_steps"
        opts = Options(rankdir=rankdir, edge_labels=edge_labels, max_nodes=max_nodes, depth=depth,
                       hide_constants=hide_constants, show_saved=show_saved, expand=expand)
        self.builder = b = Builder(root, op=op, opts=opts, params=params)
        tape = b.tape
        steps = [n for n in tape if n._prev]
        if len(steps) + 1 > max_frames:
            raise ValueError(f"{op}: {len(steps) + 1:,} frames (one per operation, plus one for the starting "
                             f"gradient) exceed max_frames={max_frames}; draw a smaller graph or raise max_frames")
        root_grads = _root_grads(b.roots, gradient, op)
        self.states, self.events = self._replay(tape, b.roots, root_grads)
        self.titles = self._titles(b)
        self.frames = self._frames(b)

    # -------------------------------------------------------------------------------------------- replay
    @staticmethod
    def _replay(tape, roots, root_grads):
        """Run backward one node at a time with the engine's step, recording what each step changed."""
        saved = [(n, n.grad) for n in tape]
        initial = {}
        events = []  # (node id, {parent id: new grad})
        try:
            with no_grad():
                for n in tape:
                    n.grad = n._reset_grad()
                for r, g in zip(roots, root_grads):
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
        """The chain rule in its own words: ``∂L/∂L = 1``, then for each step and each parent that received a
        contribution ``∂L/∂w1 += ∂L/∂n · ∂n/∂w1 = 0.5 · 2 = 1`` (the local derivative written with the operands'
        names where the rule's formula is one of them: ``∂L/∂w1 += ∂L/∂n · x1 = …``)."""
        by_id = {n._id: n for n in b.tape}
        nm = _names(b.tape, b.names)
        root = next(iter(self.states))
        L = _d(nm[root])
        titles = ["start: " + ", ".join(f"∂{L}/∂{_d(nm[i])} = {self._fmt(by_id[i], g)}"
                                        for i, g in list(self.states.items())[:3])
                  + (" …" if len(self.states) > 3 else "")]
        total = len(self.events)
        grads = dict(self.states)
        for k, (nid, upd) in enumerate(self.events, 1):
            n = by_id[nid]
            g = grads.get(nid)
            parts = []
            for i, p in enumerate(n._prev):
                if p._id not in upd or any(q._id == p._id for q in n._prev[:i]) or b.is_const(p):
                    continue  # once per parent; a constant's gradient is not part of the story
                parts.append(self._step_text(L, n, i, p, g, nm))
            grads.update(upd)
            text = "; ".join(parts[:3]) + (" …" if len(parts) > 3 else "")
            titles.append(f"step {k}/{total}: {text or 'nothing flows back (no input needs a gradient)'}")
        return titles

    def _step_text(self, L: str, n, i: int, p, g, nm: dict) -> str:
        """``∂L/∂p += ∂L/∂n · local = g · local = contribution`` for input ``i`` of ``n``."""
        dn, dp = _d(nm[n._id]), _d(nm[p._id])
        uses = [k for k, q in enumerate(n._prev) if q._id == p._id]
        if hasattr(n, "shape"):
            contrib = sum(tensor.contribution(n, k, g) for k in uses)
            return f"∂{L}/∂{dp} += ∂{L}/∂{dn} · ∂{dn}/∂{dp} = {summary(contrib)}"
        rule = n.rule
        loc = sum(n.local_grads()[k] for k in uses) if rule is not None else float("nan")
        local = f"∂{dn}/∂{dp}"
        if rule is not None and len(uses) == 1 and rule.local_formulas:
            f = rule.local_formulas[i] if i < len(rule.local_formulas) else rule.local_formulas[-1]
            operand = {"a": 0, "b": 1}.get(f)
            if operand is not None and operand < len(n._prev):
                local = _d(nm[n._prev[operand]._id])
            elif f in ("1", "−1"):
                local = f
        return f"∂{L}/∂{dp} += ∂{L}/∂{dn} · {local} = {scalar.num(g)} · {scalar.num(loc)} = {scalar.num(g * loc)}"

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

    def html(self, page: bool = False) -> str:
        """A self-contained HTML slider over the SVG frames (needs a renderer; see :mod:`viz.render`).

        The picture is fitted to the window (``fit``), ``+``/``−`` and the mouse wheel zoom, dragging pans, and
        ← → (or the buttons, or the slider) step through the frames; the caption says what the step did. Without
        JavaScript every frame is shown, one below the other, with its caption. ``page=True`` gives a whole HTML
        document whose picture fills the browser window (what :meth:`save_html` writes); otherwise a fragment for
        Jupyter, 75 % of the window high. The captions are embedded as JSON with ``<``, ``>``, ``&`` and the line
        separators escaped, so no label can end the script."""
        svgs = []
        for src in self.frames:
            svg = run(src, "svg", op="Steps.html").decode("utf-8")
            start = svg.find("<svg")
            svgs.append(svg[start:] if start >= 0 else svg)
        uid = "mgn-steps-" + uuid.uuid4().hex[:12]
        parts = [f'<div id="{uid}" class="mgn-steps" tabindex="0" style="outline:none">',
                 '<div class="mgn-controls" style="display:none;font-family:monospace;margin:4px 0">'
                 '<button type="button" data-d="-1" title="previous step (←)">&#9664;</button> '
                 f'<input type="range" min="0" max="{len(svgs) - 1}" value="0" step="1" style="width:40%;'
                 'vertical-align:middle" aria-label="step"> <button type="button" data-d="1" '
                 'title="next step (→)">&#9654;</button> <span class="mgn-count"></span> '
                 '<button type="button" data-z="0.8" title="zoom out">&#8722;</button>'
                 '<button type="button" data-z="0" title="fit the window">fit</button>'
                 '<button type="button" data-z="1.25" title="zoom in">+</button>'
                 '<div class="mgn-title" style="margin:4px 0;white-space:pre-wrap"></div></div>',
                 '<div class="mgn-view" style="overflow:auto;cursor:grab;border:1px solid #ddd">']
        for k, svg in enumerate(svgs):
            parts.append(f'<div class="mgn-frame" data-k="{k}"><div class="mgn-caption" '
                         f'style="font-family:monospace">{html.escape(self.titles[k])}</div>{svg}</div>')
        script = _SCRIPT.replace("PAGE", "true" if page else "false").replace("UID", json.dumps(uid))
        parts.append("</div><script>" + script.replace("TITLES", script_json(self.titles)) + "</script></div>")
        body = "".join(parts)
        if not page:
            return body
        return ('<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>backward, step by step</title>'
                '<style>body{margin:8px;font-family:sans-serif}</style></head><body>' + body + "</body></html>\n")

    def save_html(self, path) -> str:
        """Write :meth:`html` as a whole page (the picture fills the window), atomically."""
        return write_atomic(path, self.html(page=True))

    def _repr_html_(self) -> str:
        try:
            return self.html()
        except GraphvizNotFoundError as e:
            return f"<pre>{html.escape(str(e))}</pre>"


def script_json(obj) -> str:
    """JSON that can sit inside ``<script>``: ``<``, ``>``, ``&`` and U+2028/U+2029 written as ``\\u`` escapes, so
    a label such as ``</script>`` or ``<!--<script>`` cannot end the script or change how HTML parses it."""
    text = json.dumps(obj, ensure_ascii=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                    ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


_SCRIPT = """(function(){
var root=document.getElementById(UID);if(!root)return;
var frames=root.querySelectorAll('.mgn-frame'),titles=TITLES,page=PAGE;
var slider=root.querySelector('input'),label=root.querySelector('.mgn-title'),count=root.querySelector('.mgn-count');
var view=root.querySelector('.mgn-view'),scale=1,fitted=true,cur=0;
root.querySelector('.mgn-controls').style.display='block';
root.querySelectorAll('.mgn-caption').forEach(function(c){c.style.display='none';});
function natural(svg){var vb=svg.viewBox&&svg.viewBox.baseVal;
 if(vb&&vb.width)return [vb.width,vb.height];var r=svg.getBBox();return [r.width,r.height];}
function size(){var top=view.getBoundingClientRect().top;
 view.style.height=(page?Math.max(200,window.innerHeight-top-20):Math.max(300,window.innerHeight*0.75))+'px';}
function apply(){var svg=frames[cur].querySelector('svg');if(!svg)return;var n=natural(svg);
 if(fitted){scale=Math.min((view.clientWidth-4)/n[0],(view.clientHeight-4)/n[1],1.5);}
 svg.setAttribute('width',Math.floor(n[0]*scale));svg.setAttribute('height',Math.floor(n[1]*scale));
 root.setAttribute('data-scale',scale.toFixed(4));}
function show(k){k=Math.max(0,Math.min(frames.length-1,k));cur=k;slider.value=k;
 frames.forEach(function(f,i){f.style.display=(i===k)?'block':'none';});
 label.textContent=titles[k];count.textContent='frame '+(k+1)+' of '+frames.length;
 root.setAttribute('data-frame',k);apply();}
function zoom(z){if(z===0){fitted=true;}else{fitted=false;scale=scale*z;}apply();}
slider.addEventListener('input',function(){show(parseInt(slider.value,10));});
root.querySelectorAll('button[data-d]').forEach(function(b){b.addEventListener('click',function(){
 show(cur+parseInt(b.getAttribute('data-d'),10));});});
root.querySelectorAll('button[data-z]').forEach(function(b){b.addEventListener('click',function(){
 zoom(parseFloat(b.getAttribute('data-z')));});});
function key(e){if(e.target&&e.target.tagName==='INPUT'&&e.target!==slider)return;
 if(e.key==='ArrowRight'||e.key==='ArrowDown'){show(cur+1);e.preventDefault();}
 else if(e.key==='ArrowLeft'||e.key==='ArrowUp'){show(cur-1);e.preventDefault();}
 else if(e.key==='+'||e.key==='='){zoom(1.25);}else if(e.key==='-'){zoom(0.8);}else if(e.key==='0'){zoom(0);}}
if(page||document.querySelectorAll('.mgn-steps').length===1){document.addEventListener('keydown',key);}
else{root.addEventListener('keydown',key);}
view.addEventListener('wheel',function(e){if(!e.ctrlKey&&!e.metaKey)return;e.preventDefault();
 zoom(e.deltaY<0?1.1:1/1.1);},{passive:false});
var drag=null;view.addEventListener('mousedown',function(e){drag=[e.clientX,e.clientY,view.scrollLeft,view.scrollTop];
 view.style.cursor='grabbing';e.preventDefault();});
window.addEventListener('mousemove',function(e){if(!drag)return;view.scrollLeft=drag[2]-(e.clientX-drag[0]);
 view.scrollTop=drag[3]-(e.clientY-drag[1]);});
window.addEventListener('mouseup',function(){drag=null;view.style.cursor='grab';});
window.addEventListener('resize',function(){size();apply();});
size();show(0);})();"""


def backward_steps(root, gradient=None, **options) -> Steps:
    """The backward pass from ``root`` as frames (see the module docstring). ``gradient`` is the starting gradient
    ∂L/∂root of a non-scalar output; the other options are those of :func:`viz.to_dot` (except the overlay), plus
    ``max_frames``."""
    return Steps(root, gradient, **options)
