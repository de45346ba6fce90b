"""``MaxPool2d`` and ``AvgPool2d``."""

from __future__ import annotations

from .. import functional as F
from .module import Module


class _Pool2d(Module):
    """What both pooling modules hold: the window, its stride (default: the window), padding and ceil_mode."""

    def __init__(self, kernel_size, stride, padding, ceil_mode):
        super().__init__()
        if not isinstance(ceil_mode, bool):
            raise TypeError(f"{type(self).__name__}: ceil_mode must be True or False, got {ceil_mode!r}")
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.ceil_mode = ceil_mode


class MaxPool2d(_Pool2d):
    """Max over sliding windows, see :func:`microgradnet.functional.max_pool2d` (CSC 249 HW2 P4, Tsinghua HW1,
    EN4553 A2 Q1). ``stride`` defaults to ``kernel_size``; padding cells never win.

    ``ceil_mode=True`` rounds the output size up as PyTorch (a last window may run past the input; its extra cells
    never win). ``tie`` routes the gradient when a window has several maxima: ``'first'`` (default, PyTorch),
    ``'all'`` (CSC 249 HW2 P5: every tied cell gets it) or ``'split'`` (shared evenly). Both are keyword-only
    (PyTorch's fifth positional argument is ``return_indices``, which this module does not have).
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, *, ceil_mode=False, tie="first"):
        if tie not in F.TIE_RULES:
            raise ValueError(f"MaxPool2d: tie must be 'first', 'split' or 'all', got {tie!r}")
        super().__init__(kernel_size, stride, padding, ceil_mode)
        self.dilation = dilation
        self.tie = tie

    def forward(self, input):
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                            tie=self.tie)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}{', ceil_mode=True' if self.ceil_mode else ''}, tie={self.tie!r}")


class AvgPool2d(_Pool2d):
    """Mean over sliding windows, see :func:`microgradnet.functional.avg_pool2d`; ``stride`` defaults to
    ``kernel_size``; ``ceil_mode``, ``count_include_pad`` and ``divisor_override`` as PyTorch (same order)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__(kernel_size, stride, padding, ceil_mode)
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input):
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        s = f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
        if self.ceil_mode:
            s += ", ceil_mode=True"
        if not self.count_include_pad:
            s += ", count_include_pad=False"
        if self.divisor_override is not None:
            s += f", divisor_override={self.divisor_override}"
        return s
