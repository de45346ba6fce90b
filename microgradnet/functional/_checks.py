"""The argument checks every layer family shares: inputs as Tensors, int pairs, images, reductions, class
labels. Each raises a ValueError/TypeError naming the operation, the value and what was expected."""

from __future__ import annotations

import numpy as np

from ..args import pair as _pair  # noqa: F401 - the one int-pair check, used by every layer family
from ..engine import Node
from ..errors import DimError, dim_index
from ..tensor import Tensor, lift

TIE_RULES = ("first", "split", "all")
REDUCTIONS = ("mean", "sum", "none")


def _tensor(x, op: str, name: str = "input") -> Tensor:
    if isinstance(x, Tensor):
        return x
    if isinstance(x, Node):
        raise TypeError(f"{op}: {name} must be a Tensor (or an array), got a {type(x).__name__}; scalar Values go "
                        "through microgradnet.nn.MLP or Tensor code inside scalar_level")
    t = lift(x, None, op)
    if t.dtype.kind != "f":
        t = Tensor(t.data.astype(np.float64))
    return t


def _image(x: Tensor, op: str) -> tuple[Tensor, bool]:
    """(N, C, H, W) from a batched or unbatched image; the flag says whether to drop the batch axis again."""
    if x.ndim == 4:
        return x, False
    if x.ndim == 3:
        return x.reshape((1,) + x.shape), True
    raise ValueError(f"{op}: expected a 4-D input (N, C, H, W) or a 3-D input (C, H, W), got shape {x.shape}")


def _check_reduction(reduction, op: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.mean()


def _const(x, op: str, name: str) -> np.ndarray:
    """The numbers of a non-differentiated argument (class weights, targets of a hinge)."""
    arr = np.asarray(x.data if isinstance(x, Tensor) else x)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(f"{op}: {name} must be numbers, got dtype {arr.dtype}")
    return arr


def _class_labels(target, op: str) -> np.ndarray:
    """Integer class indices as an int64 array; floats and booleans are refused (a common silent bug)."""
    if isinstance(target, Node) and not isinstance(target, Tensor):
        raise TypeError(f"{op}: target must be integer class indices (a Tensor, array, list or int), got a "
                        f"{type(target).__name__}")
    arr = np.asarray(target.data if isinstance(target, Tensor) else target)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must hold integer class indices (dtype int64), got dtype {arr.dtype} "
                        f"with shape {arr.shape}; convert labels with .astype(np.int64)")
    return arr.astype(np.int64, copy=False)


def _check_range(t: np.ndarray, valid: np.ndarray, n_classes: int, op: str) -> None:
    bad = valid & ((t < 0) | (t >= n_classes))
    if bad.any():
        pos = tuple(int(i) for i in np.argwhere(bad)[0])
        raise DimError(f"{op}: target {int(t[pos])} at position {pos} is out of range for {n_classes} classes "
                         f"(expected 0 ≤ target < {n_classes})")


def _dim(x: Tensor, dim, op: str) -> int:
    """The axis to normalise over, in range (a 0-d input accepts 0 and −1), or a DimError (an IndexError, as
    PyTorch) naming the valid range. ``None`` is PyTorch's implicit choice: 0 for 0-, 1- and 3-d inputs, else 1."""
    if dim is None:
        dim = 0 if x.ndim in (0, 1, 3) else 1
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op}: dim must be an int (the axis to normalise over), got {dim!r}")
    return dim_index(dim, x.ndim, op)


def _broadcast_const(v, x: Tensor, op: str, name: str) -> np.ndarray:
    """A constant argument in x's dtype that must broadcast to x's shape, or a ValueError naming both shapes."""
    c = _const(v, op, name).astype(x.dtype)
    try:
        np.broadcast_shapes(c.shape, x.shape)
    except ValueError:
        raise ValueError(f"{op}: {name} of shape {c.shape} does not broadcast to the input's shape {x.shape}") from None
    return c
