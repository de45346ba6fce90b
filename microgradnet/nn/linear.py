"""``Linear`` (y = x Wᵀ + b) and ``Identity``."""

from __future__ import annotations

import math

import numpy as np

from .. import functional as F
from . import init
from ._util import float_dtype, positive_int
from .module import Module, Parameter


class Identity(Module):
    """y = x (a placeholder that keeps a Sequential's numbering); accepts and ignores constructor arguments, as
    PyTorch's."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """y = x Wᵀ + b with ``weight`` (out_features, in_features) and ``bias`` (out_features,), see
    :func:`microgradnet.functional.linear` (CSC 249 HW2 P2, EECS 498 HW1 §1.1).

    Initialised as PyTorch: W ~ kaiming_uniform(a=√5) = U(−1/√in, 1/√in), b ~ U(−1/√in, 1/√in), drawn from
    :func:`microgradnet.generator` (weight first, then bias). float64 unless ``dtype='float32'``.
    """

    def __init__(self, in_features, out_features, bias=True, dtype=None):
        super().__init__()
        self.in_features = positive_int(in_features, "in_features", "Linear")
        self.out_features = positive_int(out_features, "out_features", "Linear")
        dt = float_dtype(dtype, "Linear")
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype=dt))
        if bias:
            self.bias = Parameter(np.empty((self.out_features,), dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1.0 / math.sqrt(self.in_features)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
