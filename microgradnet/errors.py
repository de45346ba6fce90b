"""Error classes that are also the builtin class PyTorch raises, so that ported ``except IndexError`` and
``except RuntimeError`` blocks work, while every error stays a ``ValueError`` (microgradnet's bad-input class)."""

from __future__ import annotations


class DimError(ValueError, IndexError):
    """A dimension or index out of range (PyTorch raises IndexError)."""


class ShapeError(ValueError, RuntimeError):
    """Shapes that do not fit together: matmul, cat, reshape, broadcasting (PyTorch raises RuntimeError)."""


class OutOfRangeError(ValueError, RuntimeError):
    """A value outside what an op accepts where PyTorch raises RuntimeError (a class index ≥ num_classes)."""


class InPlaceError(ValueError, RuntimeError):
    """An in-place change that would make the recorded graph wrong (PyTorch raises RuntimeError)."""


def dim_index(dim, ndim: int, op: str, extra: int = 0) -> int:
    """``dim`` as an index in [0, ndim + extra), or a :class:`DimError` naming the valid range. ``extra`` = 1 for
    ``unsqueeze``, whose new axis may go after the last; a 0-d tensor accepts 0 and −1 (as PyTorch)."""
    if isinstance(dim, bool) or not hasattr(dim, "__index__"):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    dim = int(dim)
    n = max(ndim + extra, 1)
    if not -n <= dim < n:
        raise DimError(f"{op}: dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim}) "
                       f"for a tensor with {ndim} dimension(s)")
    return dim % n
