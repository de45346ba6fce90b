"""``Conv2d``: 2-D cross-correlation with stride, padding, dilation, groups and non-square kernels."""

from __future__ import annotations

import numpy as np

from .. import functional as F
from ..args import pair
from ._util import float_dtype, positive_int, reset_weight_and_bias, weight_and_bias
from .module import Module

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class Conv2d(Module):
    """y[n, f] = b[f] + Σ_c W[f, c] ⋆ x[n, c], see :func:`microgradnet.functional.conv2d` (CSC 249 HW2 P3,
    Tsinghua HW1 §1.1, EECS 498 HW1 §1.5).

    ``weight`` (out_channels, in_channels/groups, kH, kW), ``bias`` (out_channels,). Initialised as PyTorch:
    kaiming_uniform(a=√5), i.e. U(±1/√fan_in) with fan_in = in_channels/groups·kH·kW, for both. ``padding`` an
    int, a pair, 'valid' or 'same'; ``padding_mode`` 'zeros' (default), 'reflect', 'replicate' or 'circular'.
    ``groups`` splits the channels into that many independent convolutions (``groups=in_channels`` is a
    depthwise convolution); it must divide both channel counts.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", dtype=None):
        super().__init__()
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"Conv2d: padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}")
        self.in_channels = positive_int(in_channels, "in_channels", "Conv2d")
        self.out_channels = positive_int(out_channels, "out_channels", "Conv2d")
        self.groups = positive_int(groups, "groups", "Conv2d")
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(f"Conv2d: groups={self.groups} must divide in_channels ({self.in_channels}) and "
                             f"out_channels ({self.out_channels})")
        self.kernel_size = pair(kernel_size, "kernel_size", "Conv2d")
        self.stride = pair(stride, "stride", "Conv2d")
        self.dilation = pair(dilation, "dilation", "Conv2d")
        if min(self.kernel_size + self.stride + self.dilation) < 1:
            raise ValueError(f"Conv2d: kernel_size {self.kernel_size}, stride {self.stride} and dilation "
                             f"{self.dilation} must be ≥ 1")
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"Conv2d: padding must be an int, a pair, 'valid' or 'same', got {padding!r}")
            if padding == "same" and self.stride != (1, 1):
                raise ValueError(f"Conv2d: padding='same' needs stride 1, got stride {self.stride}")
            self.padding = padding
        else:
            self.padding = pair(padding, "padding", "Conv2d")
            if min(self.padding) < 0:
                raise ValueError(f"Conv2d: padding must be ≥ 0, got {self.padding}")
        self.padding_mode = padding_mode
        dt = float_dtype(dtype, "Conv2d")
        weight_and_bias(self, (self.out_channels, self.in_channels // self.groups) + self.kernel_size,
                        self.out_channels, bias, dt)
        self.reset_parameters()

    def reset_parameters(self):
        fan_in = self.in_channels // self.groups * self.kernel_size[0] * self.kernel_size[1]
        reset_weight_and_bias(self.weight, self.bias, fan_in)

    def _explicit_padding(self):
        if self.padding == "valid":
            return (0, 0, 0, 0)
        if self.padding == "same":
            th, tw = (self.dilation[i] * (self.kernel_size[i] - 1) for i in range(2))
            return (tw // 2, tw - tw // 2, th // 2, th - th // 2)
        ph, pw = self.padding
        return (pw, pw, ph, ph)

    def forward(self, input):
        if self.padding_mode != "zeros":
            lrtb = self._explicit_padding()
            if any(lrtb):
                if np.ndim(input.data if hasattr(input, "data") else input) not in (3, 4):
                    raise ValueError(f"Conv2d: expected a 4-D input (N, C, H, W) or a 3-D input (C, H, W), got "
                                     f"shape {np.shape(input.data if hasattr(input, 'data') else input)}")
                input = F.pad(input, lrtb, mode=self.padding_mode)
            return F.conv2d(input, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding!r}" if isinstance(self.padding, str) else f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s
