"""Activation modules: ``ReLU``, ``LeakyReLU``, ``PReLU``, ``Tanh``, ``Sigmoid``, ``Softmax``, ``LogSoftmax``,
``GELU``, ``SiLU``, ``ELU``, ``Softplus``, ``Hardtanh``, ``ReLU6``, ``LogSigmoid``.

``inplace=True`` is accepted where PyTorch has it and computes out of place: the values and gradients are the
same, and every node keeps its data for drawing."""

from __future__ import annotations

import numbers

import numpy as np

from .. import functional as F
from ._util import float_dtype, positive_int
from .module import Module, Parameter


class ReLU(Module):
    """max(x, 0); relu'(0) = 0 (EECS 498 HW1 §1.2)."""

    def __init__(self, inplace=False):
        super().__init__()

    def forward(self, input):
        return F.relu(input)


class LeakyReLU(Module):
    """x if x > 0 else negative_slope·x (EN4553 A2 Q1 uses 0.1; PyTorch's default 0.01)."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        if isinstance(negative_slope, bool) or not isinstance(negative_slope, numbers.Real):
            raise TypeError(f"LeakyReLU: negative_slope must be a number, got {negative_slope!r}")
        self.negative_slope = float(negative_slope)

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class PReLU(Module):
    """x if x > 0 else α·x with learnable α (EN4553 A2 Q1(d)): ``num_parameters`` = 1 (one slope) or the number
    of channels (dimension 1 of the input); α starts at ``init`` (0.25, as PyTorch)."""

    def __init__(self, num_parameters=1, init=0.25, dtype=None):
        super().__init__()
        self.num_parameters = positive_int(num_parameters, "num_parameters", "PReLU")
        self.init = float(init)
        self.weight = Parameter(np.full((self.num_parameters,), self.init, dtype=float_dtype(dtype, "PReLU")))

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class Tanh(Module):
    """tanh x; derivative 1 − tanh² x (Tsinghua HW1 §1.1)."""

    def forward(self, input):
        return F.tanh(input)


class Sigmoid(Module):
    """1/(1 + e⁻ˣ); derivative σ(1 − σ)."""

    def forward(self, input):
        return F.sigmoid(input)


def _dim(dim, owner):
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{owner}: dim must be an int (the axis to normalise over, e.g. 1 for (N, C) scores), got "
                        f"{dim!r}")
    return int(dim)


class Softmax(Module):
    """Softmax along ``dim`` (required), stable by subtracting a constant max, see
    :func:`microgradnet.functional.softmax`."""

    def __init__(self, dim):
        super().__init__()
        self.dim = _dim(dim, "Softmax")

    def forward(self, input):
        return F.softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log softmax along ``dim`` (required), see :func:`microgradnet.functional.log_softmax`."""

    def __init__(self, dim):
        super().__init__()
        self.dim = _dim(dim, "LogSoftmax")

    def forward(self, input):
        return F.log_softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class _Elementwise(Module):
    """An activation with fixed keyword arguments, forwarded to its functional form."""

    fn = None

    def __init__(self, **kwargs):
        super().__init__()
        kwargs.pop("inplace", None)
        self.kwargs = kwargs

    def forward(self, input):
        return type(self).fn(input, **self.kwargs)

    def extra_repr(self):
        return ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items())


class GELU(_Elementwise):
    """x·Φ(x) (exact, with erf) or the tanh approximation, see :func:`microgradnet.functional.gelu`."""

    fn = staticmethod(F.gelu)

    def __init__(self, approximate="none"):
        super().__init__(approximate=approximate)


class SiLU(_Elementwise):
    """x·σ(x)."""

    fn = staticmethod(F.silu)

    def __init__(self, inplace=False):
        super().__init__()


class ELU(_Elementwise):
    """x for x > 0, α(eˣ − 1) otherwise."""

    fn = staticmethod(F.elu)

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__(alpha=alpha)


class Softplus(_Elementwise):
    """(1/β)·log(1 + e^(βx)), x above the threshold."""

    fn = staticmethod(F.softplus)

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__(beta=beta, threshold=threshold)


class Hardtanh(_Elementwise):
    """x clamped to [min_val, max_val], derivative 0 at the bounds."""

    fn = staticmethod(F.hardtanh)

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__(min_val=min_val, max_val=max_val)


class ReLU6(_Elementwise):
    """min(max(x, 0), 6)."""

    fn = staticmethod(F.relu6)

    def __init__(self, inplace=False):
        super().__init__()


class LogSigmoid(_Elementwise):
    """log σ(x), stable."""

    fn = staticmethod(F.logsigmoid)

    def __init__(self):
        super().__init__()
