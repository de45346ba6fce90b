"""The pictures ``microgradnet demo`` writes, and the lines that list them.

:func:`write_pictures` draws EN4553 A2 Q1's network (the demo's :class:`viz.demo.Network`, after ``L.backward()``)
four ways: local derivatives on the edges, upstream × local on the edges, the rule-check overlay against the
closed form (all green) and against a wrong worksheet (LRelu's slope forgotten, from ``closed_form.mistakes``);
then :class:`microgradnet.models.SmallCNN` at tensor level, the backward pass step by step (SVG frames and an HTML
slider) and the tape as text. The ``.dot`` sources are always written; pictures only when a renderer is found.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

import microgradnet as mg
from microgradnet import closed_form, scope, tape
from microgradnet import functional as F
from microgradnet.closed_form import MISTAKES
from microgradnet.models import SmallCNN

from .draw import draw_dot
from .render import GraphvizNotFoundError, RenderError, write_atomic
from .steps import backward_steps
from .text import num, para, path_list


def small_cnn(seed: int = 0):
    """:class:`~microgradnet.models.SmallCNN` with PyTorch's default initialisation drawn from its own generator
    (RNG seed ``seed``), a 1×1×8×8 input from the same generator and class 3, after ``loss.backward()``
    (cross-entropy): the picture is the same on every run. Returns (model, loss)."""
    rng = np.random.default_rng(seed)
    model = SmallCNN(generator=rng)
    x = mg.tensor(rng.standard_normal((1, 1, 8, 8)), label="x")
    logits = model(x)
    logits.label = "logits"
    with scope("cross_entropy"):
        loss = F.cross_entropy(logits, np.array([3]))
    loss.label = "loss"
    loss.backward()
    return model, loss


def overlay_expected(net, nums, dL_dU=None, dL_dX=None) -> dict:
    """Closed-form gradients by label for the rule-check overlay (``dL_dU``/``dL_dX`` replace the right ones)."""
    cf = nums.closed
    return {"X": cf.dL_dX if dL_dX is None else dL_dX, "U": cf.dL_dU if dL_dU is None else dL_dU,
            "V": cf.dL_dV, "w": nums.dL_dw, "y": nums.dL_dy}


def slope_forgotten(net, nums):
    """A student's worksheet with LRelu's backward written as ReLU's (``closed_form.mistakes``: leaky_relu
    'slope_forgotten'), propagated correctly through the max-pool: returns (mistake, wrong ∂L/∂U, wrong ∂L/∂X)."""
    mistake = next(m for m in MISTAKES["leaky_relu"] if m.name == "slope_forgotten")
    cf = nums.closed
    dU = mistake.fn(cf.U, cf.dL_dV, slope=net.slope).dx
    dX = closed_form.max_pool2d_backward(net.X[None], dU[None], kernel_size=2, stride=2, tie=net.tie).dx[0]
    return mistake, dU, dX


CHAIN = ("y", "V", "U", "X")
"""The tensors on the path from L back to the input, in backward order, and the rule between neighbours."""
STEPS = {("y", "V"): "the Dense backward", ("V", "U"): "LRelu's backward", ("U", "X"): "the Maxpool backward"}


def first_wrong_step(bad: list[str]) -> str:
    """Where a worksheet goes wrong: going back from L, the first tensor with a ✗ and the rule that made it."""
    groups = {name.split("[")[0] for name in bad}
    for k, q in enumerate(CHAIN):
        if q in groups:
            if k == 0:
                return "∂L/∂y itself is wrong"
            before = CHAIN[k - 1]
            return (f"going back from L, {before} is still ✓ and {q} is the first ✗: {STEPS[before, q]} "
                    f"({before} → {q}) is the wrong step")
    return "the mismatch is off the chain from L to X (in w)" if groups else "no mismatch"


def backward_order(names: list[str]) -> list[str]:
    """Node names sorted as the backward pass meets them: y, V, U, X (w last), then by index."""
    rank = {q: k for k, q in enumerate(CHAIN)}
    return sorted(names, key=lambda n: (rank.get(n.split("[")[0], len(CHAIN)), n))


@dataclass
class Pictures:
    """What :func:`write_pictures` wrote: (path, description) entries, notes, a missing renderer's message."""

    entries: list
    notes: list
    missing: str | None = None
    failed: bool = False


def write_pictures(net, nums, out: str, fmt: str) -> Pictures:
    """Draw into ``out``: ``.dot`` sources always, pictures in ``fmt`` when a renderer is found. ``net`` is the
    demo's Network (``.L``, ``.y``, ``.X``, ``.index``, ``.t``, ``.tie``, ``.slope``), ``nums`` its Numbers
    (``.closed``, the closed form's result; ``.dL_dw``, ``.dL_dy``)."""
    caption = f"EN4553 A2 Q1, index {net.index}: L = ½(y − t)², t = {net.t:g}, ∂L/∂y = {num(net.y.grad)}"
    mistake, dU_bad, dX_bad = slope_forgotten(net, nums)
    right, wrong = overlay_expected(net, nums), overlay_expected(net, nums, dL_dU=dU_bad, dL_dX=dX_bad)
    model, cnn_loss = small_cnn()
    graphs = [
        ("toy_scalar", "the scalar graph; on every edge the local derivative ∂out/∂in; colour legend",
         draw_dot(net.L, edge_labels="local", hide_constants=True, legend=True,
                  title=caption + "; on each edge: the local derivative ∂out/∂in")),
        ("toy_contrib", "the chain rule on the picture: upstream grad × local derivative on every edge",
         draw_dot(net.L, edge_labels="contrib", hide_constants=True,
                  title=caption + "; on each edge: upstream grad × local derivative (a node's grad is the sum "
                                  "over its outgoing edges)")),
        ("toy_check", "rule-check overlay: closed_form.pool_lrelu_net vs autodiff on every X, U, V, w, y",
         draw_dot(net.L, hide_constants=True, expected=right,
                  title=caption + "; rule check: closed_form.pool_lrelu_net vs autodiff")),
        ("toy_check_wrong", f"the overlay against a wrong worksheet: LRelu's slope forgotten "
                            f"(closed_form.mistakes: {mistake.description})",
         draw_dot(net.L, hide_constants=True, expected=wrong,
                  title=caption + f"; rule check against a wrong worksheet: {mistake.description}")),
        ("cnn_tensor", "a small CNN at tensor level, one box per layer call: Conv2d(1,4,3,padding=1) → ReLU → "
                       "MaxPool2d(2) → Flatten → Linear(64,10), cross-entropy; parameter names; expand= opens a "
                       "layer into its operations",
         draw_dot(cnn_loss, rankdir="TB", params=model,
                  title="Conv2d(1,4,3,padding=1) → ReLU → MaxPool2d(2) → Flatten → Linear(64,10), "
                        "cross-entropy; 1×1×8×8 input, class 3")),
    ]
    res = Pictures(entries=[], notes=[])

    def render(save, what):
        if fmt == "dot" or res.missing is not None or res.failed:
            return None
        try:
            return save()
        except GraphvizNotFoundError as e:
            res.missing = str(e)
        except RenderError as e:
            res.notes.append(f"could not render {what}: {e}")
            res.failed = True
        return None

    os.makedirs(out, exist_ok=True)
    for stem, what, g in graphs:
        dot_path = g.save(os.path.join(out, stem + ".dot"))
        pic = render(lambda g=g, stem=stem: g.save(os.path.join(out, f"{stem}.{fmt}")), f"{stem}.{fmt}")
        res.entries.append((pic or dot_path, what))
        bad = backward_order([c.name for c in g.checks.values() if not c.ok])
        if stem == "toy_check":
            res.entries.append(("", f"{len(g.checks) - len(bad)} nodes ✓, {len(bad)} ✗"))
            res.failed |= bool(bad)
        elif stem == "toy_check_wrong":
            res.entries.append(("", f"✗ on {', '.join(bad) or 'nothing'}; {first_wrong_step(bad)}"))

    steps = backward_steps(net.L, edge_labels="contrib", hide_constants=True)
    folder = os.path.join(out, "backward_steps")
    steps.save(folder, format="dot")
    html = render(lambda: (steps.save(folder, format="svg"),
                           steps.save_html(os.path.join(out, "backward_steps.html")))[1],
                  "the backward steps")
    res.entries.append((html or folder + os.sep, f"the backward pass step by step: {len(steps)} frames in "
                                                  f"{folder}{os.sep}" + ("; the .html is a slider" if html else "")))
    tape_path = write_atomic(os.path.join(out, "tape.txt"), str(tape(net.L)) + "\n")
    res.entries.append((tape_path, "the tape, as microgradnet.tape(L) prints it"))
    return res


def picture_lines(pics: Pictures) -> str:
    """What was written, one entry per file (paths in a column), then any rendering notes."""
    return "\n".join([path_list(pics.entries),
                      "  Each picture's DOT source (.dot, no Graphviz needed) is written beside it."]
                     + [para(n) for n in pics.notes])
