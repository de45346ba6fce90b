"""EN4553 A2 Q1's max-pool → LeakyReLU → dense network through the engine, number by number against
``closed_form.pool_lrelu_net``.

Network (the handout's figure): ``X`` (4×4) → ``U = Maxpool(X)`` (2×2 windows, stride 2) → ``V = LRelu(U)``
(slope 0.1) → Dense ``y = Σ_{i=1..4} v_i w_i`` with ``(v_1, …, v_4)`` the entries of V in row-major order and
``w = [1, 2, 10, 4]``. X is written from an index number by the handout's recipe (``closed_form.index_to_X``).

Here the network is Tensor code — ``F.max_pool2d`` (tie rule ``'all'`` by default, CSC 249's; EN4553's X has no
ties), ``F.leaky_relu``, a dot product — and the backward pass is the engine's, started from ``∂L/∂y`` (2.0 in
Q1(c)). Every intermediate keeps its gradient, so ``∂L/∂V``, ``∂L/∂U`` and ``∂L/∂X`` are read off the tape.

Hand-worked for index 180577X (checked in the tests)::

    X = [[1, 8, 0.5, 5], [7, 7.1, −1, −8], [−0.5, −5, −7, −7.1], [−1, −8, −0.5, −5]]
    U = [[8, 5], [−0.5, −0.5]]      V = [[8, 5], [−0.05, −0.05]]      y = 8 + 10 − 0.5 − 0.2 = 17.3
    ∂L/∂V = 2·w = [[2, 4], [20, 8]]     ∂L/∂U = [[2, 4], [2, 0.8]]   (×0.1 where U < 0)
    ∂L/∂X = 2 at (0, 1), 4 at (0, 3), 2 at (2, 0), 0.8 at (3, 2), 0 elsewhere (each window's maximum)

Q1(d), PRelu: ``∂L/∂α = Σ_{u_i < 0} ∂L/∂v_i · u_i``; with that U and the handout's ∂L/∂V = [[2, −2.5], [1.5, 3]],
∂L/∂α = 1.5·(−0.5) + 3·(−0.5) = −2.25.

:func:`pool_lrelu_net_graph` builds the same network at scalar level (one ``Value`` per scalar operation, inside
:class:`microgradnet.scalar_level`) for drawing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import functional as F
from ..closed_form import POOL_LRELU_NET_W, index_to_X, pool_lrelu_net, pool_lrelu_net_prelu
from ..engine import scope
from ..scalar_level import scalar_level
from ..tensor import Tensor

__all__ = [
    "PoolLReLUNetCheck", "PoolLReLUNetPReLUCheck", "PoolLReLUNetGraph",
    "check_pool_lrelu_net", "check_pool_lrelu_net_prelu", "pool_lrelu_net_graph", "HANDOUT_DL_DV_PRELU",
]

HANDOUT_DL_DV_PRELU = ((2.0, -2.5), (1.5, 3.0))
_TOL = 1e-12


def _input(X, fn: str) -> tuple[str | None, np.ndarray]:
    if isinstance(X, str):
        return X, index_to_X(X)
    arr = np.array(X.data if isinstance(X, Tensor) else X, dtype=np.float64)
    if arr.shape != (4, 4):
        raise ValueError(f"{fn}: X must be an index number such as '180577X' or a 4×4 array, got shape {arr.shape}")
    return None, arr


def _forward(X: Tensor, w: Tensor, slope: float, tie: str) -> tuple[Tensor, Tensor, Tensor]:
    """The handout's three operations as Tensor code (scopes named after the handout's boxes)."""
    with scope("Maxpool"):
        U = F.max_pool2d(X.reshape(1, 1, 4, 4), 2, stride=2, tie=tie).reshape(2, 2)
    with scope("LRelu"):
        V = F.leaky_relu(U, slope)
    with scope("Dense"):
        y = V.reshape(4) @ w
    return U, V, y


@dataclass(frozen=True)
class PoolLReLUNetCheck:
    """EN4553 A2 Q1(b)–(c) by autodiff, next to ``closed_form.pool_lrelu_net`` (``closed``)."""

    index: str | None
    X: np.ndarray
    U: np.ndarray
    V: np.ndarray
    y: float
    dL_dy: float
    dL_dV: np.ndarray
    dL_dU: np.ndarray
    dL_dX: np.ndarray
    dL_dw: np.ndarray
    closed: object  # closed_form.PoolLReLUNetResult

    @property
    def errors(self) -> dict[str, float]:
        """max |autodiff − closed form| for every quantity both compute."""
        c = self.closed
        pairs = {"U": (self.U, c.U), "V": (self.V, c.V), "y": (self.y, c.y), "dL_dV": (self.dL_dV, c.dL_dV),
                 "dL_dU": (self.dL_dU, c.dL_dU), "dL_dX": (self.dL_dX, c.dL_dX)}
        return {k: float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) for k, (a, b) in pairs.items()}

    @property
    def passed(self) -> bool:
        return all(e <= _TOL for e in self.errors.values())

    def __str__(self) -> str:
        c = self.closed
        title = f"EN4553 A2 Q1, index {self.index}" if self.index else "EN4553 A2 Q1"
        lines = [f"{title}: Maxpool 2×2/2 → LRelu(0.1) → Dense w = {list(POOL_LRELU_NET_W)}, ∂L/∂y = {self.dL_dy:g}",
                 f"{'':6}  {'autodiff (engine)':<34}  {'closed form':<34}  max |diff|"]
        errs = self.errors
        rows = [("X", self.X, c.X, None), ("U", self.U, c.U, "U"), ("V", self.V, c.V, "V"),
                ("y", self.y, c.y, "y"), ("∂L/∂V", self.dL_dV, c.dL_dV, "dL_dV"),
                ("∂L/∂U", self.dL_dU, c.dL_dU, "dL_dU"), ("∂L/∂X", self.dL_dX, c.dL_dX, "dL_dX")]
        for name, a, b, key in rows:
            la, lb = _grid(a), _grid(b)
            for i in range(max(len(la), len(lb))):
                left = la[i] if i < len(la) else ""
                right = lb[i] if i < len(lb) else ""
                err = f"{errs[key]:.1e}" if key and i == 0 else ""
                lines.append(f"{name if i == 0 else '':6}  {left:<34}  {right:<34}  {err}")
        lines.append(f"{'∂L/∂w':6}  {_grid(self.dL_dw)[0]:<34}  {'(∂L/∂y · V, not in closed_form)':<34}")
        lines.append("PASS" if self.passed else "FAIL: autodiff and the closed form differ")
        return "\n".join(lines)


def _grid(a) -> list[str]:
    arr = np.asarray(a, dtype=np.float64)
    fmt = lambda v: f"{v:g}"  # noqa: E731
    if arr.ndim == 0:
        return [fmt(float(arr))]
    if arr.ndim == 1:
        return ["[" + ", ".join(fmt(v) for v in arr) + "]"]
    return ["[" + ", ".join(f"{fmt(v):>5}" for v in row) + "]" for row in arr]


def check_pool_lrelu_net(index="180577X", dL_dy: float = 2.0, *, slope: float = 0.1,
                         tie: str = "all") -> PoolLReLUNetCheck:
    """Run the network through the engine for ``index`` (an index number, or a 4×4 X) and backpropagate
    ``∂L/∂y = dL_dy``; return every number of Q1(b)–(c) with ``closed_form.pool_lrelu_net``'s beside it."""
    idx, Xd = _input(index, "check_pool_lrelu_net")
    X = Tensor(Xd, requires_grad=True, label="X")
    w = Tensor(np.array(POOL_LRELU_NET_W), requires_grad=True, label="w")
    U, V, y = _forward(X, w, slope, tie)
    y.backward(np.asarray(float(dL_dy)))
    closed = pool_lrelu_net(Xd, dL_dy=dL_dy, slope=slope, tie=tie)
    return PoolLReLUNetCheck(index=idx, X=Xd, U=U.data.copy(), V=V.data.copy(), y=float(y.data),
                             dL_dy=float(dL_dy), dL_dV=V.grad.copy(), dL_dU=U.grad.copy(), dL_dX=X.grad.copy(),
                             dL_dw=w.grad.copy(), closed=closed)


@dataclass(frozen=True)
class PoolLReLUNetPReLUCheck:
    """EN4553 A2 Q1(d): ``∂L/∂α`` by autodiff (``F.prelu``) and by the closed form
    (``closed_form.pool_lrelu_net_prelu``)."""

    U: np.ndarray
    alpha: float
    V: np.ndarray
    dL_dV: np.ndarray
    dL_dalpha: float
    closed_dL_dalpha: float
    closed_V: np.ndarray

    @property
    def passed(self) -> bool:
        return abs(self.dL_dalpha - self.closed_dL_dalpha) <= _TOL and \
            float(np.max(np.abs(self.V - self.closed_V))) <= _TOL

    def __str__(self) -> str:
        return (f"EN4553 A2 Q1(d), PRelu at α₀ = {self.alpha:g}: U = {self.U.tolist()}, ∂L/∂V = {self.dL_dV.tolist()}\n"
                f"  V (autodiff forward) = {self.V.tolist()}\n"
                f"  ∂L/∂α: autodiff {self.dL_dalpha:g}, closed form Σ_{{u<0}} ∂L/∂v·u = {self.closed_dL_dalpha:g} "
                f"({'PASS' if self.passed else 'FAIL'})")


def check_pool_lrelu_net_prelu(U=None, dL_dV=HANDOUT_DL_DV_PRELU, *, alpha: float = 0.25,
                               index: str = "180577X") -> PoolLReLUNetPReLUCheck:
    """``∂L/∂α`` of ``V = PRelu_α(U)`` for upstream ``∂L/∂V`` (the handout's [[2, −2.5], [1.5, 3]] by default).

    The handout's U for part (d) is an image missing from its text, so ``U`` must be given; by default it is the U
    of the network's forward pass for ``index``. ``∂L/∂α`` does not depend on α (``alpha`` only sets V).
    """
    if U is None:
        U = pool_lrelu_net(index).U
    Ud = np.array(U, dtype=np.float64)
    dV = np.array(dL_dV, dtype=np.float64)
    if Ud.shape != (2, 2) or dV.shape != (2, 2):
        raise ValueError(f"check_pool_lrelu_net_prelu: U and dL_dV must be 2×2, got shapes {Ud.shape} and {dV.shape}")
    u = Tensor(Ud, requires_grad=True, label="U")
    a = Tensor(np.array([float(alpha)]), requires_grad=True, label="alpha")
    V = F.prelu(u, a)
    V.backward(dV)
    closed = pool_lrelu_net_prelu(Ud, dV)
    return PoolLReLUNetPReLUCheck(U=Ud, alpha=float(alpha), V=V.data.copy(), dL_dV=dV, dL_dalpha=float(a.grad[0]),
                                  closed_dL_dalpha=closed.dL_dalpha, closed_V=closed.V_at(float(alpha)))


@dataclass(frozen=True)
class PoolLReLUNetGraph:
    """The network at scalar level, for drawing.

    ``root``: the ``Value`` y (label ``'y'``); ``leaves``: name → leaf ``Value`` — ``'X[i,j]'`` (16) and ``'w[k]'``
    (4); ``nodes``: name → ``Value`` for the intermediates ``'U[i,j]'``, ``'V[i,j]'`` and ``'y'``; ``X``, ``w``: the
    Tensors whose ``.grad`` received the scalar gradients. After ``backward`` every Value's ``.grad`` is ∂L/∂(that
    value) with ``∂L/∂y = dL_dy``; Values carry ``_meta = (scope, group, op)`` with scopes 'Maxpool', 'LRelu',
    'Dense'.
    """

    root: object
    leaves: dict
    nodes: dict
    X: Tensor
    w: Tensor
    dL_dy: float


def pool_lrelu_net_graph(index="180577X", dL_dy: float = 2.0, *, slope: float = 0.1, tie: str = "all",
                 backward: bool = True) -> PoolLReLUNetGraph:
    """Build the network inside :class:`microgradnet.scalar_level` and (``backward=True``) run the scalar
    backward from y, starting with ∂L/∂y = ``dL_dy``. Returns a :class:`PoolLReLUNetGraph`; ``graph.root`` is the
    Value y."""
    _, Xd = _input(index, "pool_lrelu_net_graph")
    X = Tensor(Xd, requires_grad=True, label="X")
    w = Tensor(np.array(POOL_LRELU_NET_W), requires_grad=True, label="w")
    with scalar_level({"X": X, "w": w}) as sl:
        U, V, y = _forward(X, w, slope, tie)
    nodes = {}
    for name, t in (("U", U), ("V", V)):
        for (i, j), v in np.ndenumerate(t._values[1]):
            v.label = f"{name}[{i},{j}]"
            nodes[v.label] = v
    root = y._values[1][()]
    root.label = "y"
    nodes["y"] = root
    leaves = {}
    for t in (X, w):
        for v in sl.values(t).flat:
            leaves[v.label] = v
    if backward:
        y.backward(np.asarray(float(dL_dy)))
    return PoolLReLUNetGraph(root=root, leaves=leaves, nodes=nodes, X=X, w=w, dL_dy=float(dL_dy))
