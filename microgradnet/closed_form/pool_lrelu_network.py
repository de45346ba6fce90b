"""The max-pool → LeakyReLU → dense network of EN4553 A2 Q1: 2×2 max-pool (stride 2) → LRelu(0.1) → Dense
``y = Σ v_i w_i``.

``X`` (4, 4) → ``U = maxpool(X)`` (2, 2) → ``V = LRelu(U)`` (2, 2) → ``y = Σ_{i=1..4} v_i w_i`` with
``(v_1, v_2, v_3, v_4)`` the entries of V in row-major order and ``w = [1, 2, 10, 4]``.
Loss for part (a): ``L = ½ (y − t)²`` (regression, one datum), so ``∂L/∂y = y − t``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._common import as_f64, check_shape
from .activations import leaky_relu, leaky_relu_backward, prelu_backward
from .pool import max_pool2d, max_pool2d_backward

__all__ = [
    "POOL_LRELU_NET_W", "PoolLReLUNetResult", "PoolLReLUNetPReLU", "index_to_X", "pool_lrelu_net_loss",
    "pool_lrelu_net", "pool_lrelu_net_prelu",
]

POOL_LRELU_NET_W = (1.0, 2.0, 10.0, 4.0)


def index_to_X(index: str) -> np.ndarray:
    """EN4553 A2 Q1(b): build the 4×4 input X from an index number such as ``"180577X"``.

    Recipe (the handout's, cell by cell, row-major from the top-left):

    * the digits of the index, left to right, one per cell, fill cells 1–6; non-digit characters (the
      trailing check letter) are ignored; exactly six digits are required;
    * a digit's 2nd, 3rd, 4th… occurrence gets +0.1, +0.2, +0.3… (the first occurrence is unchanged) so the
      first six cells are unique; every 0 is replaced by 0.5, 0.6, 0.7… in order of appearance;
    * cells 7–12 repeat cells 1–6 multiplied by −1;
    * the last row (cells 13–16) is the first row (cells 1–4) multiplied by −1.

    ``"180577X"`` → first six cells ``1, 8, 0.5, 5, 7, 7.1``.
    """
    if not isinstance(index, str):
        raise TypeError(f"index_to_X: index must be a str such as '180577X', got {type(index).__name__}")
    digits = [int(ch) for ch in index if ch.isascii() and ch.isdigit()]
    if len(digits) != 6:
        raise ValueError(f"index_to_X: expected exactly 6 digits, got {len(digits)} in {index!r}")
    seen: dict[int, int] = {}
    first6 = []
    for d in digits:
        k = seen.get(d, 0)
        seen[d] = k + 1
        first6.append(0.5 + 0.1 * k if d == 0 else d + 0.1 * k)
    first6 = np.round(first6, 10)
    cells = np.concatenate([first6, -first6, -first6[:4]])
    return cells.reshape(4, 4)


def pool_lrelu_net_loss(y: float, t: float) -> float:
    """EN4553 A2 Q1(a): ``L = ½ (y − t)²`` (SGD with mini-batch size 1); ``∂L/∂y = y − t``."""
    return 0.5 * (float(y) - float(t)) ** 2


@dataclass(frozen=True)
class PoolLReLUNetResult:
    """All numbers of EN4553 A2 Q1(b)–(c) for one input."""

    X: np.ndarray
    U: np.ndarray
    V: np.ndarray
    y: float
    dL_dy: float
    dL_dV: np.ndarray
    dL_dU: np.ndarray
    dL_dX: np.ndarray
    w: tuple[float, ...]
    slope: float
    tie: str


def pool_lrelu_net(X, *, dL_dy=2.0, w=POOL_LRELU_NET_W, slope=0.1, tie="all") -> PoolLReLUNetResult:
    """Forward and backward of the max-pool → LeakyReLU → dense network (EN4553 A2 Q1(b), (c)).

    ``X``: a (4, 4) array or an index string (passed through :func:`index_to_X`). Backward::

        ∂L/∂v_i = ∂L/∂y · w_i                  (Q1(c): ∂L/∂v_1 = 2 × 1)
        ∂L/∂U   = ∂L/∂V ⊙ LRelu'(U)            (1 where U > 0, ``slope`` where U ≤ 0)
        ∂L/∂X   = max-pool backward of ∂L/∂U    (``tie``: "all", "first" or "split")

    The index recipe makes the four values of every window distinct, so ``tie`` only matters for custom X.
    """
    fn = "pool_lrelu_net"
    X = index_to_X(X) if isinstance(X, str) else as_f64(fn, "X", X)
    check_shape(fn, "X", X, (4, 4))
    w_arr = as_f64(fn, "w", w)
    check_shape(fn, "w", w_arr, (4,))
    pool = dict(kernel_size=2, stride=2)
    U = max_pool2d(X[None], **pool)[0]
    V = leaky_relu(U, slope=slope)
    y = float(V.reshape(-1) @ w_arr)
    dL_dV = float(dL_dy) * w_arr.reshape(2, 2)
    dL_dU = leaky_relu_backward(U, dL_dV, slope=slope).dx
    dL_dX = max_pool2d_backward(X[None], dL_dU[None], tie=tie, **pool).dx[0]
    return PoolLReLUNetResult(X=X, U=U, V=V, y=y, dL_dy=float(dL_dy), dL_dV=dL_dV, dL_dU=dL_dU, dL_dX=dL_dX,
                     w=tuple(float(v) for v in w_arr), slope=float(slope), tie=tie)


@dataclass(frozen=True)
class PoolLReLUNetPReLU:
    """EN4553 A2 Q1(d): ``V = V_const + α · V_alpha`` and ``∂L/∂α`` (which does not depend on α)."""

    U: np.ndarray
    V_const: np.ndarray
    V_alpha: np.ndarray
    dL_dV: np.ndarray
    dL_dalpha: float

    def V_at(self, alpha: float) -> np.ndarray:
        """V for a given value α₀ of the PReLU coefficient."""
        return self.V_const + alpha * self.V_alpha


def pool_lrelu_net_prelu(U, dL_dV=((2.0, -2.5), (1.5, 3.0))) -> PoolLReLUNetPReLU:
    """EN4553 A2 Q1(d) with PRelu instead of LRelu.

    ``v_i = u_i`` if ``u_i ≥ 0`` else ``α u_i`` — so V = V_const + α V_alpha with V_const = U ⊙ 1[U ≥ 0] and
    V_alpha = U ⊙ 1[U < 0]; ``(∂L/∂α)_{α₀} = Σ_{i: u_i < 0} ∂L/∂v_i · u_i``. The handout's U for this part is an
    image missing from the text, so ``U`` (2, 2) must be given; ``dL_dV`` defaults to the handout's
    ``[[2.0, −2.5], [1.5, 3.0]]``.
    """
    fn = "pool_lrelu_net_prelu"
    U, dV = as_f64(fn, "U", U), as_f64(fn, "dL_dV", dL_dV)
    check_shape(fn, "U", U, (2, 2))
    check_shape(fn, "dL_dV", dV, (2, 2))
    dalpha = prelu_backward(U, 1.0, dV).dalpha  # independent of α: Σ_{u<0} g·u
    return PoolLReLUNetPReLU(U=U, V_const=np.where(U >= 0, U, 0.0), V_alpha=np.where(U < 0, U, 0.0), dL_dV=dV,
                    dL_dalpha=float(dalpha))
