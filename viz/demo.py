"""``microgradnet demo`` (``make demo``): EN4553 A2 Q1's network, forward and backward, checked three ways and
drawn. Top to bottom: build the network, compute every gradient three ways, print, draw.

The homework's maxpool → LeakyReLU → dense network (EN4553 A2 Q1's figure), with a regression loss (Q1(a))::

    X (4×4, from an index number) → U = Maxpool(X) (2×2 windows, stride 2) → V = LRelu(U) (slope 0.1)
      → y = Σ_{i=1..4} v_i w_i  (w = [1, 2, 10, 4], V read row by row) → L = ½ (y − t)²

    ∂L/∂y = y − t          ∂L/∂v_i = ∂L/∂y · w_i          ∂L/∂w_i = ∂L/∂y · v_i                    (Q1(c))
    ∂L/∂U = ∂L/∂V ⊙ LRelu'(U)   (1 where U > 0, 0.1 where U ≤ 0)
    ∂L/∂X = ∂L/∂U routed to each window's maximum (``--tie`` says what a tie does; the index recipe makes none)

It is built with Tensor code inside :class:`microgradnet.scalar_level` (``check.pool_lrelu_net_graph``: one ``Value``
per scalar operation) with the loss node on top, so ``L.backward()`` starts from the loss; the target ``t``
defaults to ``y − 2`` so that ``∂L/∂y = 2.0``, the value Q1(c) gives. Each gradient is computed three ways:
autodiff (the engine), the closed form (``closed_form.pool_lrelu_net``, plain numpy) and float64 central finite
differences of L (``closed_form.central_diff``) through ``closed_form``'s numpy forward functions, so that column
never touches the engine. Q1(d) (PRelu, ``∂L/∂α = Σ_{u<0} ∂L/∂v · u`` with the homework's ∂L/∂V) likewise.

Pictures (``--out``, default ``demo-out``): :mod:`viz.demo_pictures`; text layout: :mod:`viz.text`. With no
Graphviz found only the ``.dot`` sources are written, the demo says how to install it and still exits 0 (unless
``MICROGRADNET_REQUIRE_DOT=1``). Exit code 0 when every comparison passes, 1 otherwise, 2 for bad arguments.
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass

import numpy as np

from microgradnet import Value, closed_form, scope, tape
from microgradnet.check import check_pool_lrelu_net, check_pool_lrelu_net_prelu, pool_lrelu_net_graph
from microgradnet.check.pool_lrelu_network import HANDOUT_DL_DV_PRELU as Q1D_DL_DV  # ∂L/∂V for Q1(d)
from microgradnet.closed_form import POOL_LRELU_NET_W, central_diff

from .demo_pictures import picture_lines, write_pictures
from .text import Style, comparison_table, format_tape, header, num, para, side_by_side

HELP = ("EN4553 A2 Q1's maxpool → LeakyReLU → dense network: forward, backward, its tape, autodiff vs closed form "
        "vs finite differences, graphs")

DEFAULT_INDEX = "180577X"
Q1C_DL_DY = 2.0
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
class Network:
    """EN4553 A2 Q1's network at scalar level with the loss on top, after ``L.backward()``."""

    index: str
    X: np.ndarray
    t: float
    graph: object  # check.PoolLReLUNetGraph
    L: Value
    tie: str
    slope: float = SLOPE

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


def build_network(index: str, target: float | None, tie: str) -> Network:
    """X from ``index`` (``closed_form.index_to_X``), the network at scalar level (``check.pool_lrelu_net_graph``)
    with ``L = ½ (y − t)²`` built from Values on top of y, and ``L.backward()``. ``target`` None: t = y − 2."""
    X = closed_form.index_to_X(index)
    if target is None:
        y_closed = closed_form.pool_lrelu_net(X, slope=SLOPE, tie=tie).y
        t = y_closed - Q1C_DL_DY
    else:
        t = float(target)
    g = pool_lrelu_net_graph(X, slope=SLOPE, tie=tie, backward=False)
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
    return Network(index=index, X=X, t=t, graph=g, L=L, tie=tie)


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
    rows: list  # every ∂L/∂y, V, U, X, w entry, then Q1(d)'s ∂L/∂α
    forward_err: float
    tensor_level_err: float
    prelu: object  # check.PoolLReLUNetPReLUCheck

    @property
    def consistent(self) -> bool:
        """The forward values equal the closed form's, and tensor-level gradients equal the scalar graph's."""
        return self.forward_err <= CF_TOL * 100 and self.tensor_level_err <= CF_TOL * 100

    @property
    def passed(self) -> bool:
        return all(r.ok for r in self.rows) and self.consistent


def compute(net: Network) -> Numbers:
    """Closed form and finite differences for every gradient the graph holds."""
    X, t, tie = net.X, net.t, net.tie
    w = np.array(POOL_LRELU_NET_W)
    y_closed = closed_form.pool_lrelu_net(X, slope=SLOPE, tie=tie).y
    dL_dy = y_closed - t  # ∂/∂y of ½(y − t)²
    cf = closed_form.pool_lrelu_net(X, dL_dy=dL_dy, slope=SLOPE, tie=tie)
    dL_dw = dL_dy * cf.V.reshape(-1)  # y = Σ v_i w_i  ⇒  ∂L/∂w_i = ∂L/∂y · v_i

    def loss(y):
        return closed_form.pool_lrelu_net_loss(y, t)

    def numeric(f, x):  # float64 central differences of a numpy function: the engine is never called
        return central_diff(f, x, eps=FD_EPS)

    fd = {
        "y": numeric(lambda y: loss(float(y)), np.float64(cf.y)),
        "V": numeric(lambda V: loss(V.reshape(-1) @ w), cf.V),
        "U": numeric(lambda U: loss(closed_form.leaky_relu(U, slope=SLOPE).reshape(-1) @ w), cf.U),
        "X": numeric(lambda x: loss(closed_form.pool_lrelu_net(x, slope=SLOPE, tie=tie).y), X),
        "w": numeric(lambda ww: loss(closed_form.pool_lrelu_net(X, w=ww, slope=SLOPE, tie=tie).y), w),
    }
    closed = {"y": np.float64(dL_dy), "V": cf.dL_dV, "U": cf.dL_dU, "X": cf.dL_dX, "w": dL_dw}
    auto = {"y": np.float64(net.y.grad), "V": net.grad("V", (2, 2)), "U": net.grad("U", (2, 2)),
            "X": net.grad("X", (4, 4)), "w": net.grad("w", (4,))}
    rows = []
    for q in ("y", "V", "U", "X", "w"):
        a, c, n = auto[q], closed[q], fd[q]
        for idx in np.ndindex(np.shape(a)):
            name = f"∂L/∂{q}" + (f"[{','.join(map(str, idx))}]" if idx else "")
            rows.append(Row(name, float(np.asarray(a)[idx]), float(np.asarray(c)[idx]), float(np.asarray(n)[idx])))

    fwd = [(net.data("U", (2, 2)), cf.U), (net.data("V", (2, 2)), cf.V), (net.y.data, cf.y),
           (net.L.data, closed_form.pool_lrelu_net_loss(cf.y, t))]
    forward_err = max(float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) for a, b in fwd)
    tl = check_pool_lrelu_net(X, dL_dy=float(net.y.grad), slope=SLOPE, tie=tie)  # the same network at tensor level
    tensor_level_err = max(float(np.max(np.abs(getattr(tl, f"dL_d{q}") - auto[q]))) for q in "XwUV")

    pr = check_pool_lrelu_net_prelu(U=cf.U, dL_dV=Q1D_DL_DV)
    g_prelu = np.array(Q1D_DL_DV)
    prelu_fd = float(numeric(lambda a: float(np.sum(g_prelu * closed_form.prelu(cf.U, float(a)))),
                             np.float64(pr.alpha)))
    rows.append(Row("∂L/∂α (Q1(d))", pr.dL_dalpha, pr.closed_dL_dalpha, prelu_fd))
    return Numbers(closed=cf, dL_dy=float(dL_dy), dL_dw=dL_dw, rows=rows, forward_err=forward_err,
                   tensor_level_err=tensor_level_err, prelu=pr)


# ---------------------------------------------------------------------------------------------------- sections
def index_story(index: str, X: np.ndarray) -> str:
    """How ``closed_form.index_to_X`` turned the index number into X (EN4553 A2 Q1(b))."""
    digits = [ch for ch in index if ch.isascii() and ch.isdigit()]
    first6 = ", ".join(f"{v:g}" for v in X.reshape(-1)[:6])
    return para(f"Index {index}: its digits {' '.join(digits)} fill cells 1–6, row by row from the top-left: "
                f"{first6} (a repeated digit gets +0.1, +0.2, …; each 0 becomes 0.5, 0.6, … in order). Cells "
                f"7–12 are cells 1–6 × −1 and the last row is the first row × −1 (EN4553 A2 Q1(b)).")


# ---------------------------------------------------------------------------------------------------- the command
def run(args) -> int:
    started = time.perf_counter()
    style = Style(sys.stdout)
    if args.target is not None and not math.isfinite(args.target):
        print(f"microgradnet demo: --target must be a finite number, got {args.target}", file=sys.stderr)
        return 2
    try:
        net = build_network(args.index, args.target, args.tie)
    except (ValueError, TypeError) as e:
        print(f"microgradnet demo: --index {args.index!r}: {e}", file=sys.stderr)
        return 2
    nums = compute(net)
    p = print

    p(style.bold("microgradnet demo: EN4553 A2 Q1's maxpool → LeakyReLU → dense network, checked three ways"))
    p(header(style, "The network"))
    p(para("X (4×4) → U = Maxpool(X), 2×2 windows, stride 2 → V = LRelu(U), slope 0.1 → y = Σ vᵢwᵢ with "
           "w = [1, 2, 10, 4] → loss L = ½(y − t)² (Q1(a): regression, one datum)."))
    how = ("chosen so that ∂L/∂y = y − t = 2, the value Q1(c) gives; --target T sets it" if args.target is None
           else "from --target")
    p(para(f"Target t = {net.t:g} ({how}). Built with Tensor code inside microgradnet.scalar_level: one Value "
           f"per scalar operation. Max-pool ties: '{net.tie}'."))

    p(header(style, "Input"))
    p(index_story(net.index, net.X))
    p("")
    p(side_by_side([("X (the input)", net.X)]))

    p(header(style, "Forward"))
    p(side_by_side([("U = Maxpool(X)", net.data("U", (2, 2))), ("V = LRelu(U)", net.data("V", (2, 2)))]))
    p(f"\n  y = Σ vᵢwᵢ     = {num(net.y.data)}")
    p(f"  L = ½(y − t)²  = {num(net.L.data)}")

    p(header(style, "Backward: L.backward()"))
    p(f"  ∂L/∂y = y − t = {num(net.y.grad)}")
    p(f"  ∂L/∂w = ∂L/∂y · V = [{', '.join(num(v) for v in net.grad('w', (4,)))}]\n")
    p(side_by_side([("∂L/∂V = ∂L/∂y · w", net.grad("V", (2, 2))),
                    ("∂L/∂U = ∂L/∂V ⊙ LRelu'(U)", net.grad("U", (2, 2)))]))
    p("")
    p(side_by_side([("∂L/∂X (each window's maximum gets ∂L/∂U)", net.grad("X", (4, 4)))]))

    p(header(style, f"The tape (Wengert list, {len(tape(net.L))} nodes in creation order)"))
    p(format_tape(net.L))

    p(header(style, "Autodiff vs closed form vs finite differences"))
    p(f"  {'autodiff':<13} the engine's .grad on the scalar graph (L.backward())")
    p(f"  {'closed form':<13} closed_form.pool_lrelu_net: numpy, the homework's rules")
    p(f"  {'finite diff':<13} central differences of L, ε = {FD_EPS:g}, float64, through numpy forward functions only")
    p(f"  {'PASS':<13} |autodiff − closed| ≤ {CF_TOL:g}·max(1, |closed|) and |autodiff − fd| ≤ {FD_ATOL:g} + "
      f"{FD_RTOL:g}·|fd|")
    p(f"  {'max abs err':<13} the larger of the two differences")
    p("")
    p(comparison_table(nums.rows, style))
    pr = nums.prelu
    p("")
    p(para(f"∂L/∂α: Q1(d), PRelu at α₀ = {pr.alpha:g}: Σ_{{u<0}} ∂L/∂v·u with U from above and the homework's "
           f"∂L/∂V = {np.array(Q1D_DL_DV).tolist()}."))
    p(para(f"Forward values U, V, y, L, engine vs closed form: max abs diff {nums.forward_err:.1e}. Gradients of "
           f"the same network at tensor level (check.check_pool_lrelu_net, Tensor.backward) vs the scalar graph: "
           f"max abs diff {nums.tensor_level_err:.1e}. {style.verdict(nums.consistent)}"))
    n_rows, n_bad = len(nums.rows), sum(not r.ok for r in nums.rows)
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
        pics = write_pictures(net, nums, args.out, args.format)
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
