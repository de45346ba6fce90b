"""Making tensors: ``tensor``, ``zeros``, ``ones``, ``full``, ``*_like``, ``arange``, and the random ``randn``/``rand``
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


def full(shape, value, dtype=None, requires_grad=False):
    return Tensor(np.full(shape, value, dtype=dtype or np.float64), requires_grad=requires_grad)


def zeros_like(x, requires_grad=False):
    return Tensor(np.zeros_like(raw(x)), requires_grad=requires_grad)


def ones_like(x, requires_grad=False):
    return Tensor(np.ones_like(raw(x)), requires_grad=requires_grad)


def arange(*args, dtype=None):
    return Tensor(np.arange(*args, dtype=dtype))


def randn(*shape, dtype=None, requires_grad=False, generator=None):
    shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
    g = generator or _default_generator()
    return Tensor(g.standard_normal(shape).astype(dtype or np.float64), requires_grad=requires_grad)


def rand(*shape, dtype=None, requires_grad=False, generator=None):
    shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
    g = generator or _default_generator()
    return Tensor(g.random(shape).astype(dtype or np.float64), requires_grad=requires_grad)
