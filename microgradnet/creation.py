"""Making tensors: ``tensor``, ``zeros``, ``ones``, ``full``, ``empty``, ``eye``, ``linspace``, ``arange``, the
``*_like`` forms, and the random ``randn``/``rand``
(drawn from :func:`microgradnet.generator`, see :mod:`microgradnet.random`)."""

from __future__ import annotations

import numpy as np

from .random import generator as _default_generator
from .rules import raw
from .tensor import Tensor


def tensor(data, requires_grad=False, dtype=None, label=""):
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, label=label)


def zeros(*shape, dtype=None, requires_grad=False):
    shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
    return Tensor(np.zeros(shape, dtype=dtype or np.float64), requires_grad=requires_grad)


def ones(*shape, dtype=None, requires_grad=False):
    shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
    return Tensor(np.ones(shape, dtype=dtype or np.float64), requires_grad=requires_grad)


def _fill_dtype(value, dtype):
    """PyTorch infers a fill's dtype from the value: bool, int64, or the default float (float64 here)."""
    if dtype is not None:
        return dtype
    if isinstance(value, (bool, np.bool_)):
        return np.bool_
    if isinstance(value, (int, np.integer)):
        return np.int64
    return np.float64


def full(shape, value, dtype=None, requires_grad=False):
    """A tensor of ``shape`` filled with ``value``; the dtype follows the value (bool, int64, float64)."""
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return Tensor(np.full(shape, value, dtype=_fill_dtype(value, dtype)), requires_grad=requires_grad)


def empty(*shape, dtype=None, requires_grad=False):
    """``torch.empty``: a tensor whose values are not to be read before writing (zeros here)."""
    return zeros(*shape, dtype=dtype, requires_grad=requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False):
    """The n×m identity (m = n by default)."""
    return Tensor(np.eye(n, m, dtype=dtype or np.float64), requires_grad=requires_grad)


def linspace(start, end, steps, dtype=None, requires_grad=False):
    """``steps`` evenly spaced values from start to end, both included."""
    return Tensor(np.linspace(start, end, int(steps), dtype=dtype or np.float64), requires_grad=requires_grad)


def _like(f, x, dtype, requires_grad, *args):
    data = raw(x)
    return Tensor(f(data, *args, dtype=dtype or data.dtype), requires_grad=requires_grad)


def zeros_like(x, dtype=None, requires_grad=False):
    return _like(np.zeros_like, x, dtype, requires_grad)


def ones_like(x, dtype=None, requires_grad=False):
    return _like(np.ones_like, x, dtype, requires_grad)


def empty_like(x, dtype=None, requires_grad=False):
    return _like(np.zeros_like, x, dtype, requires_grad)


def full_like(x, fill_value, dtype=None, requires_grad=False):
    return _like(np.full_like, x, dtype, requires_grad, fill_value)


def arange(*args, dtype=None, requires_grad=False):
    """As ``torch.arange``: integer arguments give int64, a float argument the default float dtype."""
    return Tensor(np.arange(*args, dtype=dtype), requires_grad=requires_grad)


def randn(*shape, dtype=None, requires_grad=False, generator=None):
    shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
    g = generator or _default_generator()
    return Tensor(g.standard_normal(shape).astype(dtype or np.float64), requires_grad=requires_grad)


def rand(*shape, dtype=None, requires_grad=False, generator=None):
    shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
    g = generator or _default_generator()
    return Tensor(g.random(shape).astype(dtype or np.float64), requires_grad=requires_grad)


def randint(low, high=None, size=None, *, dtype=None, generator=None):
    """Integers uniform in [low, high) (``randint(high, size)`` starts at 0), int64 as PyTorch."""
    if size is None:
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("randint: size is required, e.g. randint(0, 10, (3,))")
    g = generator or _default_generator()
    return Tensor(g.integers(low, high, tuple(size)).astype(dtype or np.int64))


def randperm(n, *, dtype=None, generator=None):
    """A random permutation of 0 … n − 1 (int64), e.g. to shuffle a data set."""
    g = generator or _default_generator()
    return Tensor(g.permutation(int(n)).astype(dtype or np.int64))


def rand_like(x, dtype=None, requires_grad=False, generator=None):
    data = raw(x)
    return rand(data.shape, dtype=dtype or data.dtype, requires_grad=requires_grad, generator=generator)


def randn_like(x, dtype=None, requires_grad=False, generator=None):
    data = raw(x)
    return randn(data.shape, dtype=dtype or data.dtype, requires_grad=requires_grad, generator=generator)
