"""``microgradnet demo`` (``make demo``): the EN4553 toy network, forward and backward, checked three ways and drawn.

The network is EN4553 A2 Q1 (the seed's figure)::

    X (4×4, from an index number) → U = Maxpool(X) (2×2 windows, stride 2) → V = LRelu(U) (slope 0.1)
      → y = Σ_{i=1..4} v_i w_i  (w = [1, 2, 10, 4], V read row by row) → L = ½ (y − t)²   (Q1(a): regression)

built with Tensor code inside :class:`microgradnet.scalar_level` (``check.toy.en4553_graph``: one ``Value`` per
scalar operation) with the loss node on top, so ``L.backward()`` starts from the loss and ``∂L/∂y = y − t`` is a
number on the graph. The target ``t`` defaults to ``y − 2`` so that ``∂L/∂y = 2.0``, the value Q1(c) gives.

Backward (Q1(c), what the table checks)::

    ∂L/∂y = y − t          ∂L/∂v_i = ∂L/∂y · w_i          ∂L/∂w_i = ∂L/∂y · v_i
    ∂L/∂U = ∂L/∂V ⊙ LRelu'(U)   (1 where U > 0, 0.1 where U ≤ 0)
    ∂L/∂X = ∂L/∂U routed to each window's maximum (``--tie`` says what a tie does; the index recipe makes none)

Each gradient is computed three ways: autodiff (the engine, read off the scalar-level graph), the closed form
(``closed_form.toy_network``, plain numpy) and central finite differences of L in float64 — each perturbed
quantity pushed forward through ``closed_form``'s numpy forward functions, so that column never touches the
engine. Q1(d) (PRelu, ``∂L/∂α = Σ_{u<0} ∂L/∂v · u`` with the seed's ∂L/∂V) is checked the same way.

Pictures written to ``--out`` (default ``demo-out``): the scalar graph with local derivatives on the edges, the
same with upstream × local ("what flows down each edge"), the rule-check overlay (closed form vs autodiff, all
green) and a deliberately wrong one (LRelu's slope forgotten: ``closed_form.mistakes``), a small CNN at tensor
level, and the backward pass step by step (SVG frames and an HTML slider; no GIF, since rendering the frames
as PNG takes ~15 s — ``viz.backward_steps(L).save_gif`` makes one on request), and the tape as text. The
``.dot`` sources are always written; with no Graphviz found the demo says how to install it and still exits 0
(unless ``MICROGRADNET_REQUIRE_DOT=1``). Exit code 0 when every comparison passes, 1 otherwise, 2 for bad
arguments.
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass

import numpy as np

import microgradnet as mg
from microgradnet import Value, closed_form, scope, tape
from microgradnet import functional as F
from microgradnet.check.toy import SEED_DL_DV_PRELU, en4553, en4553_graph, en4553_prelu
from microgradnet.closed_form import EN4553_W, MISTAKES
from microgradnet.gradcheck import central_diff
from microgradnet.models import SmallCNN

from .draw import draw_dot
from .render import GraphvizNotFoundError, RenderError, write_atomic
from .steps import backward_steps
from .text import Style, comparison_table, format_tape, header, num, para, path_list, side_by_side

HELP = "the EN4553 toy network: forward, backward, its tape, autodiff vs closed form vs finite differences, graphs"

DEFAULT_INDEX = "180577X"
SEED_DL_DY = 2.0
"""∂L/∂y in EN4553 A2 Q1(c); the default target is t = y − 2 so that L = ½(y − t)² gives exactly that."""
SLOPE = 0.1
TIES = ("all", "first", "split")
FORMATS = ("svg", "png", "pdf", "dot")
FD_EPS = 1e-6
FD_ATOL = 1e-6
FD_RTOL = 1e-6
CF_TOL = 1e-12
"""Autodiff and the closed form do the same float64 arithmetic up to summation order: |a − c| ≤ 1e-12·max(1, |c|)."""
REQUIRE_ENV = "MICROGRADNET_REQUIRE_DOT"


def add_arguments(parser) -> None:
    parser.add_argument("--index", default=DEFAULT_INDEX,
                        help="an index number with six digits (EN4553 A2 Q1(b) writes X from it); default 180577X")
    parser.add_argument("--target", type=float, default=None, metavar="T",
                        help="the regression target t in L = ½(y − t)²; default y − 2, so that ∂L/∂y = 2 (Q1(c))")
    parser.add_argument("--out", default="demo-out", metavar="DIR", help="folder for the pictures (default demo-out)")
    parser.add_argument("--format", choices=FORMATS, default="svg",
                        help="picture format (default svg); the .dot sources are always written too")
    parser.add_argument("--tie", choices=TIES, default="all",
                        help="max-pool tie rule: 'all' (CSC 249: each tied maximum gets the gradient), 'first' "
                             "(PyTorch), 'split'; the index recipe never makes ties, so the numbers do not change")
    parser.add_argument("--no-graphs", action="store_true", help="print the numbers only; write no files")


# ---------------------------------------------------------------------------------------------------- the network
@dataclass
class Toy:
    """The toy network at scalar level with the loss on top, after ``L.backward()``."""

    index: str
    X: np.ndarray
    t: float
    graph: object  # check.toy.EN4553Graph
    L: Value
    tie: str

    @property
    def y(self) -> Value:
        return self.graph.root

    def values(self, name: str, shape) -> list:
        """The Values ``name[i,j]`` of one tensor, row-major."""
        pool = self.graph.leaves if name in ("X", "w") else self.graph.nodes
        return [pool[f"{name}[{','.join(map(str, idx))}]"] for idx in np.ndindex(*shape)]

    def data(self, name: str, shape) -> np.ndarray:
        return np.array([v.data for v in self.values(name, shape)], dtype=np.float64).reshape(shape)

    def grad(self, name: str, shape) -> np.ndarray:
        return np.array([v.grad for v in self.values(name, shape)], dtype=np.float64).reshape(shape)


def build_toy(index: str, target: float | None, tie: str) -> Toy:
    """X from ``index`` (``closed_form.index_to_X``), the network at scalar level (``check.toy.en4553_graph``)
    with ``L = ½ (y − t)²`` built from Values on top of y, and ``L.backward()``. ``target`` None: t = y − 2."""
    X = closed_form.index_to_X(index)
    if target is None:
        y_closed = closed_form.toy_network(X, slope=SLOPE, tie=tie).y
        t = y_closed - SEED_DL_DY
    else:
        t = float(target)
    g = en4553_graph(X, slope=SLOPE, tie=tie, backward=False)
    for prod in g.root._prev:  # y = Σ (V[i,j]·w[k]): name the products after their factors
        a, b = prod._prev
        prod.label = f"{a.label}·{b.label}"
    with scope("Loss"):
        tv = Value(t, label="t")
        d = g.root - tv
        d.label = "y − t"
        sq = d ** 2
        sq.label = "(y − t)²"
        L = 0.5 * sq
        L.label = "L"
    L.backward()
    return Toy(index=index, X=X, t=t, graph=g, L=L, tie=tie)


@dataclass
class Row:
    """One compared number: autodiff, closed form, finite differences."""

    name: str
    autodiff: float
    closed: float
    fd: float

    @property
    def err(self) -> float:
        return max(abs(self.autodiff - self.closed), abs(self.autodiff - self.fd))

    @property
    def ok(self) -> bool:
        a, c, n = self.autodiff, self.closed, self.fd
        return (all(map(math.isfinite, (a, c, n))) and abs(a - c) <= CF_TOL * max(1.0, abs(c))
                and abs(a - n) <= FD_ATOL + FD_RTOL * abs(n))


@dataclass
class Numbers:
    """Everything the tables print."""

    closed: object  # closed_form.ToyResult
    dL_dy: float
    dL_dw: np.ndarray
    rows: list
    forward_err: float
    tensor_level_err: float
    prelu: object  # check.toy.EN4553PReLU
    prelu_fd: float

    @property
    def prelu_row(self) -> Row:
        return Row("∂L/∂α (Q1(d))", self.prelu.dL_dalpha, self.prelu.closed_dL_dalpha, self.prelu_fd)

    @property
    def consistent(self) -> bool:
        """The forward values equal the closed form's, and tensor-level gradients equal the scalar graph's."""
        return self.forward_err <= CF_TOL * 100 and self.tensor_level_err <= CF_TOL * 100

    @property
    def passed(self) -> bool:
        return all(r.ok for r in self.rows) and self.prelu_row.ok and self.consistent


def compute(toy: Toy) -> Numbers:
    """Closed form and finite differences for every gradient the graph holds."""
    X, t, tie = toy.X, toy.t, toy.tie
    w = np.array(EN4553_W)
    y_closed = closed_form.toy_network(X, slope=SLOPE, tie=tie).y
    dL_dy = y_closed - t  # ∂/∂y of ½(y − t)²
    cf = closed_form.toy_network(X, dL_dy=dL_dy, slope=SLOPE, tie=tie)
    dL_dw = dL_dy * cf.V.reshape(-1)  # y = Σ v_i w_i  ⇒  ∂L/∂w_i = ∂L/∂y · v_i

    def loss(y):
        return closed_form.toy_loss(y, t)

    def numeric(f, x):  # float64 central differences of a numpy function: the engine is never called
        return central_diff(f, x, eps=FD_EPS)

    fd = {
        "y": numeric(lambda y: loss(float(y)), np.float64(cf.y)),
        "V": numeric(lambda V: loss(V.reshape(-1) @ w), cf.V),
        "U": numeric(lambda U: loss(closed_form.leaky_relu(U, slope=SLOPE).reshape(-1) @ w), cf.U),
        "X": numeric(lambda x: loss(closed_form.toy_network(x, slope=SLOPE, tie=tie).y), X),
        "w": numeric(lambda ww: loss(closed_form.toy_network(X, w=ww, slope=SLOPE, tie=tie).y), w),
    }
    closed = {"y": np.float64(dL_dy), "V": cf.dL_dV, "U": cf.dL_dU, "X": cf.dL_dX, "w": dL_dw}
    auto = {"y": np.float64(toy.y.grad), "V": toy.grad("V", (2, 2)), "U": toy.grad("U", (2, 2)),
            "X": toy.grad("X", (4, 4)), "w": toy.grad("w", (4,))}
    rows = []
    for q in ("y", "V", "U", "X", "w"):
        a, c, n = auto[q], closed[q], fd[q]
        for idx in np.ndindex(np.shape(a)):
            name = f"∂L/∂{q}" + (f"[{','.join(map(str, idx))}]" if idx else "")
            rows.append(Row(name, float(np.asarray(a)[idx]), float(np.asarray(c)[idx]), float(np.asarray(n)[idx])))

    fwd = [(toy.data("U", (2, 2)), cf.U), (toy.data("V", (2, 2)), cf.V), (toy.y.data, cf.y),
           (toy.L.data, closed_form.toy_loss(cf.y, t))]
    forward_err = max(float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) for a, b in fwd)
    tl = en4553(X, dL_dy=float(toy.y.grad), slope=SLOPE, tie=tie)  # the same network at tensor level
    tensor_level_err = max(float(np.max(np.abs(tl.dL_dX - auto["X"]))), float(np.max(np.abs(tl.dL_dw - auto["w"]))),
                           float(np.max(np.abs(tl.dL_dU - auto["U"]))), float(np.max(np.abs(tl.dL_dV - auto["V"]))))

    pr = en4553_prelu(U=cf.U, dL_dV=SEED_DL_DV_PRELU)
    g_prelu = np.array(SEED_DL_DV_PRELU)
    prelu_fd = float(numeric(lambda a: float(np.sum(g_prelu * closed_form.prelu(cf.U, float(a)))),
                             np.float64(pr.alpha)))
    return Numbers(closed=cf, dL_dy=float(dL_dy), dL_dw=dL_dw, rows=rows, forward_err=forward_err,
                   tensor_level_err=tensor_level_err, prelu=pr, prelu_fd=prelu_fd)


# ---------------------------------------------------------------------------------------------------- sections
def index_story(index: str, X: np.ndarray) -> str:
    """How ``closed_form.index_to_X`` turned the index number into X (EN4553 A2 Q1(b))."""
    digits = [ch for ch in index if ch.isascii() and ch.isdigit()]
    first6 = ", ".join(f"{v:g}" for v in X.reshape(-1)[:6])
    return para(f"Index {index}: its digits {' '.join(digits)} fill cells 1–6, row by row from the top-left: "
                f"{first6} (a repeated digit gets +0.1, +0.2, …; each 0 becomes 0.5, 0.6, … in order). Cells "
                f"7–12 are cells 1–6 × −1 and the last row is the first row × −1 (EN4553 A2 Q1(b)).")


# ---------------------------------------------------------------------------------------------------- pictures
def small_cnn(seed: int = 0):
    """The small CNN with PyTorch's default initialisation (kaiming-uniform a=√5, bias U(±1/√fan_in)) drawn from
    its own generator, a 1×1×8×8 input and class 3, after ``loss.backward()`` (cross-entropy). Returns
    (model, loss)."""
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


def overlay_expected(toy: Toy, nums: Numbers, dL_dU=None, dL_dX=None) -> dict:
    """Closed-form gradients by label for the rule-check overlay (``dL_dU``/``dL_dX`` replace the right ones)."""
    cf = nums.closed
    return {"X": cf.dL_dX if dL_dX is None else dL_dX, "U": cf.dL_dU if dL_dU is None else dL_dU,
            "V": cf.dL_dV, "w": nums.dL_dw, "y": nums.dL_dy}


def slope_forgotten(toy: Toy, nums: Numbers):
    """A student's worksheet with LRelu's backward written as ReLU's (``closed_form.mistakes``: leaky_relu
    'slope_forgotten'), propagated correctly through the max-pool: returns (mistake, wrong ∂L/∂U, wrong ∂L/∂X)."""
    mistake = next(m for m in MISTAKES["leaky_relu"] if m.name == "slope_forgotten")
    cf = nums.closed
    dU = mistake.fn(cf.U, cf.dL_dV, slope=SLOPE).dx
    dX = closed_form.max_pool2d_backward(toy.X[None], dU[None], kernel_size=2, stride=2, tie=toy.tie).dx[0]
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


def write_pictures(toy: Toy, nums: Numbers, out: str, fmt: str) -> Pictures:
    """Draw, save ``.dot`` sources always and pictures in ``fmt`` when a renderer is found."""
    caption = f"EN4553 A2 Q1, index {toy.index}: L = ½(y − t)², t = {toy.t:g}, ∂L/∂y = {num(toy.y.grad)}"
    mistake, dU_bad, dX_bad = slope_forgotten(toy, nums)
    right, wrong = overlay_expected(toy, nums), overlay_expected(toy, nums, dL_dU=dU_bad, dL_dX=dX_bad)
    model, cnn_loss = small_cnn()
    graphs = [
        ("toy_scalar", "the scalar graph; on every edge the local derivative ∂out/∂in; colour legend",
         draw_dot(toy.L, edge_labels="local", hide_constants=True, legend=True,
                  title=caption + "; on each edge: the local derivative ∂out/∂in")),
        ("toy_contrib", "the chain rule on the picture: upstream grad × local derivative on every edge",
         draw_dot(toy.L, edge_labels="contrib", hide_constants=True,
                  title=caption + "; on each edge: upstream grad × local derivative (a node's grad is the sum "
                                  "over its outgoing edges)")),
        ("toy_check", "rule-check overlay: closed_form.toy_network vs autodiff on every X, U, V, w, y",
         draw_dot(toy.L, hide_constants=True, expected=right,
                  title=caption + "; rule check: closed_form.toy_network vs autodiff")),
        ("toy_check_wrong", f"the overlay against a wrong worksheet: LRelu's slope forgotten "
                            f"(closed_form.mistakes: {mistake.description})",
         draw_dot(toy.L, hide_constants=True, expected=wrong,
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

    steps = backward_steps(toy.L, edge_labels="contrib", hide_constants=True)
    folder = os.path.join(out, "backward_steps")
    steps.save(folder, format="dot")
    html = render(lambda: (steps.save(folder, format="svg"),
                           steps.save_html(os.path.join(out, "backward_steps.html")))[1],
                  "the backward steps")
    res.entries.append((html or folder + os.sep, f"the backward pass step by step: {len(steps)} frames in "
                                                  f"{folder}{os.sep}" + ("; the .html is a slider" if html else "")))
    tape_path = write_atomic(os.path.join(out, "tape.txt"), str(tape(toy.L)) + "\n")
    res.entries.append((tape_path, "the tape, as microgradnet.tape(L) prints it"))
    return res


def picture_lines(pics: Pictures) -> str:
    return "\n".join([path_list(pics.entries),
                      "  Each picture's DOT source (.dot, no Graphviz needed) is written beside it."]
                     + [para(n) for n in pics.notes])


# ---------------------------------------------------------------------------------------------------- the command
def run(args) -> int:
    started = time.perf_counter()
    style = Style(sys.stdout)
    if args.target is not None and not math.isfinite(args.target):
        print(f"microgradnet demo: --target must be a finite number, got {args.target}", file=sys.stderr)
        return 2
    try:
        toy = build_toy(args.index, args.target, args.tie)
    except (ValueError, TypeError) as e:
        print(f"microgradnet demo: --index {args.index!r}: {e}", file=sys.stderr)
        return 2
    nums = compute(toy)
    p = print

    p(style.bold("microgradnet demo: the EN4553 A2 Q1 toy network, forward, backward and checked three ways"))
    p(header(style, "The network"))
    p(para("X (4×4) → U = Maxpool(X), 2×2 windows, stride 2 → V = LRelu(U), slope 0.1 → y = Σ vᵢwᵢ with "
           "w = [1, 2, 10, 4] → loss L = ½(y − t)² (Q1(a): regression, one datum)."))
    how = ("chosen so that ∂L/∂y = y − t = 2, the value Q1(c) gives; --target T sets it" if args.target is None
           else "from --target")
    p(para(f"Target t = {toy.t:g} ({how}). Built with Tensor code inside microgradnet.scalar_level: one Value "
           f"per scalar operation. Max-pool ties: '{toy.tie}'."))

    p(header(style, "Input"))
    p(index_story(toy.index, toy.X))
    p("")
    p(side_by_side([("X (the input)", toy.X)]))

    p(header(style, "Forward"))
    p(side_by_side([("U = Maxpool(X)", toy.data("U", (2, 2))), ("V = LRelu(U)", toy.data("V", (2, 2)))]))
    p(f"\n  y = Σ vᵢwᵢ     = {num(toy.y.data)}")
    p(f"  L = ½(y − t)²  = {num(toy.L.data)}")

    p(header(style, "Backward: L.backward()"))
    p(f"  ∂L/∂y = y − t = {num(toy.y.grad)}")
    p(f"  ∂L/∂w = ∂L/∂y · V = [{', '.join(num(v) for v in toy.grad('w', (4,)))}]\n")
    p(side_by_side([("∂L/∂V = ∂L/∂y · w", toy.grad("V", (2, 2))),
                    ("∂L/∂U = ∂L/∂V ⊙ LRelu'(U)", toy.grad("U", (2, 2)))]))
    p("")
    p(side_by_side([("∂L/∂X (each window's maximum gets ∂L/∂U)", toy.grad("X", (4, 4)))]))

    p(header(style, f"The tape (Wengert list, {len(tape(toy.L))} nodes in creation order)"))
    p(format_tape(toy.L))

    p(header(style, "Autodiff vs closed form vs finite differences"))
    p(f"  {'autodiff':<13} the engine's .grad on the scalar graph (L.backward())")
    p(f"  {'closed form':<13} closed_form.toy_network: numpy, the seed's rules")
    p(f"  {'finite diff':<13} central differences of L, ε = {FD_EPS:g}, float64, through numpy forward functions only")
    p(f"  {'PASS':<13} |autodiff − closed| ≤ {CF_TOL:g}·max(1, |closed|) and |autodiff − fd| ≤ {FD_ATOL:g} + "
      f"{FD_RTOL:g}·|fd|")
    p(f"  {'max abs err':<13} the larger of the two differences")
    p("")
    p(comparison_table(nums.rows + [nums.prelu_row], style))
    pr = nums.prelu
    p("")
    p(para(f"∂L/∂α: Q1(d), PRelu at α₀ = {pr.alpha:g}: Σ_{{u<0}} ∂L/∂v·u with U from above and the seed's "
           f"∂L/∂V = {np.array(SEED_DL_DV_PRELU).tolist()}."))
    p(para(f"Forward values U, V, y, L, engine vs closed form: max abs diff {nums.forward_err:.1e}. Gradients of "
           f"the same network at tensor level (check.toy.en4553, Tensor.backward) vs the scalar graph: max abs "
           f"diff {nums.tensor_level_err:.1e}. {style.verdict(nums.consistent)}"))
    n_rows = len(nums.rows) + 1
    n_bad = sum(not r.ok for r in nums.rows) + (not nums.prelu_row.ok)
    p("")
    if nums.passed:
        p("  " + style.bold(f"All {n_rows} gradients agree three ways: ") + style.verdict(True))
    elif n_bad:
        p("  " + style.bold(f"{n_bad} of {n_rows} gradients disagree: ") + style.verdict(False))
    else:
        p("  " + style.bold(f"All {n_rows} gradients agree three ways, but the forward values or the tensor-level "
                            "gradients differ: ") + style.verdict(False))

    ok = nums.passed
    if not args.no_graphs:
        p(header(style, f"Pictures in {args.out}{os.sep}"))
        pics = write_pictures(toy, nums, args.out, args.format)
        p(picture_lines(pics))
        if pics.missing is not None:
            sys.stdout.flush()
            print(f"\nmicrogradnet demo: only the .dot sources were written.\n{pics.missing}", file=sys.stderr)
            if os.environ.get(REQUIRE_ENV, "") not in ("", "0"):
                print(f"microgradnet demo: {REQUIRE_ENV} is set, so a missing renderer is an error",
                      file=sys.stderr)
                ok = False
        if pics.failed:
            ok = False
    p(f"\n  done in {time.perf_counter() - started:.1f} s; exit code {0 if ok else 1}")
    return 0 if ok else 1
