"""``BatchNorm1d`` and ``BatchNorm2d`` with running statistics (PyTorch semantics)."""

from __future__ import annotations

import numbers

import numpy as np

from .. import functional as F
from ..tensor import Tensor
from ._util import float_dtype, positive_int
from .module import Module, Parameter


class _BatchNorm(Module):
    """y = γ ⊙ (x − μ)/√(σ² + ε) + β per channel (dimension 1), see :func:`microgradnet.functional.batch_norm`.

    Training (``train()``): μ, σ² from the batch (biased σ² for normalising), and the buffers ``running_mean`` /
    ``running_var`` move towards the batch's mean / UNBIASED variance by ``momentum`` (``momentum=None``: a
    cumulative average, factor 1/num_batches_tracked). Evaluation (``eval()``): the running statistics are used.
    ``affine=False`` drops γ, β; ``track_running_stats=False`` keeps no statistics and always uses the batch's.
    γ starts at 1, β at 0, running_mean at 0, running_var at 1 (as PyTorch).
    """

    _ranks: tuple = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, dtype=None):
        super().__init__()
        name = type(self).__name__
        self.num_features = positive_int(num_features, "num_features", name)
        if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or eps < 0:
            raise ValueError(f"{name}: eps must be a number ≥ 0, got {eps!r}")
        if momentum is not None and (isinstance(momentum, bool) or not isinstance(momentum, numbers.Real)
                                     or not 0.0 <= momentum <= 1.0):
            raise ValueError(f"{name}: momentum must be in [0, 1] or None (cumulative average), got {momentum!r}")
        self.eps = float(eps)
        self.momentum = momentum
        self.affine = bool(affine)
        self.track_running_stats = bool(track_running_stats)
        dt = float_dtype(dtype, name)
        c = self.num_features
        if self.affine:
            self.weight = Parameter(np.ones((c,), dtype=dt))
            self.bias = Parameter(np.zeros((c,), dtype=dt))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if self.track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros((c,), dtype=dt)))
            self.register_buffer("running_var", Tensor(np.ones((c,), dtype=dt)))
            self.register_buffer("num_batches_tracked", Tensor(np.zeros((), dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.data[...] = 0.0
            self.running_var.data[...] = 1.0
            self.num_batches_tracked.data[...] = 0

    def _check_input(self, x):
        name = type(self).__name__
        shape = np.shape(x.data if isinstance(x, Tensor) else x)
        if len(shape) not in self._ranks:
            want = " or ".join(f"{r}-D" for r in self._ranks)
            raise ValueError(f"{name}: expected a {want} input {self._layout}, got shape {shape}")
        if shape[1] != self.num_features:
            raise ValueError(f"{name}({self.num_features}): input of shape {shape} has {shape[1]} channels "
                             f"(dimension 1), expected {self.num_features}")

    def forward(self, input):
        self._check_input(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data[...] += 1
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked.data)
        use_batch = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None, self.running_var if track else None,
                            self.weight, self.bias, use_batch, factor, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch norm for (N, C) features or (N, C, L) sequences (statistics over N, or N and L)."""

    _ranks = (2, 3)
    _layout = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch norm for (N, C, H, W) images (statistics per channel over N, H and W)."""

    _ranks = (4,)
    _layout = "(N, C, H, W)"
