"""Fully connected (dense) layers in the three conventions the handouts use, named by layout:
:func:`linear_columns` (column vectors, ``y = W x + b``), :func:`linear_rows` (one instance per row,
``Y = X W + b``) and :func:`linear_no_bias` (column vectors, ``y = W x``).

=============  ==========================  ===========================  =======================
homework       forward                     W shape                      x / X layout
=============  ==========================  ===========================  =======================
CSC 249 HW2 P2 ``y = W x + b``             (O, L)                       column(s): (L,), (L,1), (L,B)
EECS 498 §1.1  ``Y = Wᵀ X + b``            (d_k, d_o)                   (d_k,) or rows (N, d_k)
CS 4670 PA5 B  ``y = W x`` (no bias)       (O, L)                       column(s): (L,), (L,1), (L,B)
=============  ==========================  ===========================  =======================

``g`` is always ∂L/∂(output) with the output's shape. Backward functions return NamedTuples whose fields
are ``d`` + the forward argument names, in forward order.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._common import as_f64, check_shape

__all__ = [
    "LinearGrads", "LinearNoBiasGrads",
    "linear_columns", "linear_columns_backward",
    "linear_rows", "linear_rows_backward",
    "linear_no_bias", "linear_no_bias_backward",
]


class LinearGrads(NamedTuple):
    """(∂L/∂x, ∂L/∂W, ∂L/∂b), each with the shape of the corresponding forward argument."""

    dx: np.ndarray
    dW: np.ndarray
    db: np.ndarray


class LinearNoBiasGrads(NamedTuple):
    """(∂L/∂x, ∂L/∂W) for the bias-free layer ``y = W x``."""

    dx: np.ndarray
    dW: np.ndarray


def _columns(fn: str, x: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Validate a column-convention input against W (O, L) and return it as an (L, B) matrix."""
    if W.ndim != 2:
        raise ValueError(f"{fn}: W must be 2-D (O, L), got shape {W.shape}")
    if x.ndim not in (1, 2) or x.shape[0] != W.shape[1]:
        raise ValueError(
            f"{fn}: x has shape {x.shape}, expected (L,), (L, 1) or (L, B) with L = W.shape[1] = {W.shape[1]}"
        )
    return x.reshape(x.shape[0], -1)


def _out_shape(x: np.ndarray, O: int) -> tuple[int, ...]:
    return (O,) if x.ndim == 1 else (O, x.shape[1])


def _bias_column(fn: str, b: np.ndarray, O: int) -> np.ndarray:
    if b.shape not in ((O,), (O, 1)):
        raise ValueError(f"{fn}: b has shape {b.shape}, expected ({O},) or ({O}, 1)")
    return b.reshape(O, 1)


def linear_columns(x, W, b) -> np.ndarray:
    """Forward ``y = W x + b`` with inputs as column vectors (CSC 249 HW2 Problem 2 / Problem 5.1).

    Shapes: ``W`` (O, L); ``x`` (L,), (L, 1) or a batch of B columns (L, B); ``b`` (O,) or (O, 1), added to
    every column. ``y`` is (O,), (O, 1) or (O, B) to match ``x``.
    """
    fn = "linear_columns"
    x, W, b = as_f64(fn, "x", x), as_f64(fn, "W", W), as_f64(fn, "b", b)
    xc = _columns(fn, x, W)
    y = W @ xc + _bias_column(fn, b, W.shape[0])
    return y.reshape(_out_shape(x, W.shape[0]))


def linear_columns_backward(x, W, b, g) -> LinearGrads:
    """Backward of ``y = W x + b`` (CSC 249 HW2 Problem 2).

    With G = ∂L/∂y as columns (O, B)::

        ∂L/∂W = G xᵀ        (O, L)   — summed over the B columns
        ∂L/∂b = G 1         (O,) or (O, 1) like b — the column sum
        ∂L/∂x = Wᵀ G        same shape as x
    """
    fn = "linear_columns_backward"
    x, W, b, g = (as_f64(fn, n, a) for n, a in (("x", x), ("W", W), ("b", b), ("g", g)))
    xc = _columns(fn, x, W)
    _bias_column(fn, b, W.shape[0])
    check_shape(fn, "g", g, _out_shape(x, W.shape[0]))
    gc = g.reshape(W.shape[0], -1)
    return LinearGrads(dx=(W.T @ gc).reshape(x.shape), dW=gc @ xc.T, db=gc.sum(axis=1).reshape(b.shape))


def _rows(fn: str, X: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Validate a rows-convention input against W (d_k, d_o); return (N, d_k) rows (a 1-D X is one row)."""
    if W.ndim != 2:
        raise ValueError(f"{fn}: W must be 2-D (d_k, d_o), got shape {W.shape}")
    d_k = W.shape[0]
    if X.ndim == 1:
        if X.shape[0] != d_k:
            raise ValueError(f"{fn}: X has shape {X.shape}, expected ({d_k},) = (W.shape[0],)")
        return X.reshape(1, d_k)
    if X.ndim == 0 or int(np.prod(X.shape[1:])) != d_k:
        raise ValueError(
            f"{fn}: X has shape {X.shape}, expected ({d_k},) or (N, ...) with prod(X.shape[1:]) = {d_k}"
        )
    return X.reshape(X.shape[0], d_k)


def linear_rows(X, W, b) -> np.ndarray:
    """Forward ``Y = Wᵀ X + b`` with one instance per row, i.e. ``Y = X W + b`` for a batch (EECS 498 HW1 §1.1).

    ``W`` (d_k, d_o), ``b`` (d_o,). A single instance ``X`` (d_k,) gives ``Y`` (d_o,). A batch stores one
    instance per ROW, ``X`` (N, d_k) (or (N, d1, …, dm) flattened to d_k = d1⋯dm, as in the starter code),
    so the batched formula is ``Y = X W + b`` with ``Y`` (N, d_o).
    """
    fn = "linear_rows"
    X, W, b = as_f64(fn, "X", X), as_f64(fn, "W", W), as_f64(fn, "b", b)
    Xr = _rows(fn, X, W)
    if b.shape != (W.shape[1],):
        raise ValueError(f"{fn}: b has shape {b.shape}, expected ({W.shape[1]},)")
    Y = Xr @ W + b
    return Y[0] if X.ndim == 1 else Y


def linear_rows_backward(X, W, b, g) -> LinearGrads:
    """Backward of ``Y = Wᵀ X + b`` (EECS 498 HW1 §1.1), rows convention, G = ∂L/∂Y (N, d_o)::

        ∂L/∂W = Xᵀ G        (d_k, d_o)
        ∂L/∂b = Σ_n G_n     (d_o,)
        ∂L/∂X = G Wᵀ        reshaped to X's shape   (single instance: ∂L/∂X = W ∂L/∂Y)
    """
    fn = "linear_rows_backward"
    X, W, b, g = (as_f64(fn, n, a) for n, a in (("X", X), ("W", W), ("b", b), ("g", g)))
    Xr = _rows(fn, X, W)
    if b.shape != (W.shape[1],):
        raise ValueError(f"{fn}: b has shape {b.shape}, expected ({W.shape[1]},)")
    check_shape(fn, "g", g, (W.shape[1],) if X.ndim == 1 else (X.shape[0], W.shape[1]))
    G = g.reshape(-1, W.shape[1])
    return LinearGrads(dx=(G @ W.T).reshape(X.shape), dW=Xr.T @ G, db=G.sum(axis=0))


def linear_no_bias(x, W) -> np.ndarray:
    """Forward ``y = W x``, no bias, column vectors (CS 4670 PA5 written part B.1), ``W`` (O, L), ``x`` (L,),
    (L, 1) or (L, B)."""
    fn = "linear_no_bias"
    x, W = as_f64(fn, "x", x), as_f64(fn, "W", W)
    return (W @ _columns(fn, x, W)).reshape(_out_shape(x, W.shape[0]))


def linear_no_bias_backward(x, W, g) -> LinearNoBiasGrads:
    """Backward of ``y = W x`` in the form the handout asks for (CS 4670 PA5 B.1)::

        ∂L/∂x = Aᵀ B   with  A = W (the O×L weight matrix)  and  B = ∂L/∂y (the O×1 upstream column)

    i.e. ∂L/∂x_i = Σ_j ∂L/∂y_j W_ji. The weight gradient (not derived in the handout) is ∂L/∂W = B xᵀ.
    Batched columns (L, B) sum the outer products over the batch.
    """
    fn = "linear_no_bias_backward"
    x, W, g = as_f64(fn, "x", x), as_f64(fn, "W", W), as_f64(fn, "g", g)
    xc = _columns(fn, x, W)
    check_shape(fn, "g", g, _out_shape(x, W.shape[0]))
    A, B = W, g.reshape(W.shape[0], -1)
    return LinearNoBiasGrads(dx=(A.T @ B).reshape(x.shape), dW=B @ xc.T)


#: Course-code names → descriptive names. Each old name below is the very same object as its new name, so
#: lecture code, notebooks and graders' scripts written against the old names keep running.
COURSE_NAMES = {
    "linear_csc249": "linear_columns",
    "linear_csc249_backward": "linear_columns_backward",
    "linear_eecs498": "linear_rows",
    "linear_eecs498_backward": "linear_rows_backward",
    "linear_cs4670": "linear_no_bias",
    "linear_cs4670_backward": "linear_no_bias_backward",
}
linear_csc249 = linear_columns
linear_csc249_backward = linear_columns_backward
linear_eecs498 = linear_rows
linear_eecs498_backward = linear_rows_backward
linear_cs4670 = linear_no_bias
linear_cs4670_backward = linear_no_bias_backward
