"""``Linear`` (y = x Wᵀ + b) and ``Identity``."""

from __future__ import annotations

from .. import functional as F
from ._util import float_dtype, positive_int, reset_weight_and_bias, weight_and_bias
from .module import Module


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
        weight_and_bias(self, (self.out_features, self.in_features), self.out_features, bias, dt)
        self.reset_parameters()

    def reset_parameters(self):
        reset_weight_and_bias(self.weight, self.bias, self.in_features)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
