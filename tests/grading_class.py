"""A generated class of submissions for ``microgradnet grade``: correct and buggy code in every accepted style
(plain functions, cs231n forward/backward pairs, CSC 249 and Tsinghua layer classes, a notebook), one
submission for every named mistake of the catalogue, and hostile ones. Each entry says what the grader must
conclude: the verdict and the mistake name (or a phrase of the one-line reason).

The hand-written ones are written as students write them (loops, ``np.argmax``, ``self.cache``); the catalogue
ones load the mistake from ``microgradnet.closed_form.MISTAKES`` so every name is covered.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass

from microgradnet.closed_form import MISTAKES


@dataclass(frozen=True)
class Student:
    name: str              # file stem (unique within its group)
    rule: str
    func: str
    source: str
    verdict: str           # "pass" | "fail"
    mistake: str | None = None
    reason: str | None = None   # a phrase the one-line reason must contain
    flags: tuple = ()      # extra CLI flags of its group
    suffix: str = ".py"

    @property
    def group(self) -> tuple:
        return (self.rule, self.func, self.flags)


def _src(text: str) -> str:
    return textwrap.dedent(text).lstrip()


# ----------------------------------------------------------------------------------------------------- plain
CONV_LOOPS = _src('''
    import numpy as np

    def pair(v):
        return (v, v) if np.isscalar(v) else tuple(v)

    def conv_backward(x, w, b, g, stride=1, padding=0, dilation=1):
        (sh, sw), (ph, pw), (dh, dw_) = pair(stride), pair(padding), pair(dilation)
        N, C, H, W = x.shape
        K, _, kh, kw = w.shape
        xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        dxp, dw = np.zeros_like(xp), np.zeros_like(w)
        for i in range(g.shape[2]):
            for j in range(g.shape[3]):
                for m in range(kh):
                    for q in range(kw):
                        r, c = i * sh + m * dh, j * sw + q * dw_
                        dw[:, :, m, q] += np.einsum("nk,nc->kc", g[:, :, i, j], xp[:, :, r, c])
                        dxp[:, :, r, c] += np.einsum("nk,kc->nc", g[:, :, i, j], w[:, :, m, q])
        return dxp[:, :, ph:ph + H, pw:pw + W], dw, g.sum(axis=(0, 2, 3))
''')


def _conv(variant: str) -> str:
    """The loop conv with a slip: 'right', 'dw_flipped', 'dx_not_rotated', 'stride_ignored', 'no_stride'."""
    src = CONV_LOOPS
    if variant == "dw_flipped":
        src = src.replace("return dxp[", "dw = dw[:, :, ::-1, ::-1]\n    return dxp[")
    elif variant == "dx_not_rotated":
        src = src.replace("w[:, :, m, q])", "w[:, :, kh - 1 - m, kw - 1 - q])")
    elif variant == "stride_ignored":
        src = src.replace("r, c = i * sh + m * dh, j * sw + q * dw_", "r, c = i + m * dh, j + q * dw_")
    elif variant == "no_stride":  # written for stride 1 only: no stride argument at all
        src = src.replace("def conv_backward(x, w, b, g, stride=1, padding=0, dilation=1):",
                          "def conv_backward(x, w, b, g, padding=0, dilation=1):\n    stride = 1")
    return src


POOL = _src('''
    import numpy as np

    def pool_backward(x, g, kernel_size, stride, padding=0):
        """x (C, H, W), as in CSC 249 and the Tsinghua homework."""
        (kh, kw) = (kernel_size, kernel_size) if np.isscalar(kernel_size) else kernel_size
        (sh, sw) = (stride, stride) if np.isscalar(stride) else stride
        (ph, pw) = (padding, padding) if np.isscalar(padding) else padding
        xp = np.pad(x, ((0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf)
        dxp = np.zeros_like(xp)
        for c in range(g.shape[0]):
            for i in range(g.shape[1]):
                for j in range(g.shape[2]):
                    win = xp[c, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    ROUTE
        return dxp[:, ph:ph + x.shape[1], pw:pw + x.shape[2]]
''')
_ROUTES = {
    "first": """m, q = np.unravel_index(np.argmax(win), win.shape)
                dxp[c, i * sh + m, j * sw + q] += g[c, i, j]""",
    "all": """dxp[c, i * sh:i * sh + kh, j * sw:j * sw + kw] += g[c, i, j] * (win == win.max())""",
    "whole_window": """dxp[c, i * sh:i * sh + kh, j * sw:j * sw + kw] += g[c, i, j]""",
    "stride_ignored": """m, q = np.unravel_index(np.argmax(win), win.shape)
                dxp[c, i + m, j + q] += g[c, i, j]""",
}


def _pool(route: str) -> str:
    src = POOL.replace("ROUTE", _ROUTES[route])
    if route == "stride_ignored":  # every window read and written at stride 1
        src = src.replace("win = xp[c, i * sh:i * sh + kh, j * sw:j * sw + kw]", "win = xp[c, i:i + kh, j:j + kw]")
    return src


BN_2D = _src('''
    import numpy as np

    def batchnorm_backward(x, gamma, beta, g, eps=1e-5):
        """x (N, D) only."""
        m = x.shape[0]
        mu = x.mean(axis=0)
        var = ((x - mu) ** 2).mean(axis=0)
        xhat = (x - mu) / np.sqrt(var + eps)
        dbeta = g.sum(axis=0)
        dgamma = DGAMMA
        dxhat = g * gamma
        dvar = np.sum(dxhat * (x - mu) * -0.5 * (var + eps) ** -1.5, axis=0)
        dmu = MU_PATH
        dx = dxhat / np.sqrt(var + eps) + dvar * 2 * (x - mu) / m + dmu / m
        return dx, dgamma, dbeta
''')


def _bn(variant: str) -> str:
    src = BN_2D.replace("DGAMMA", "(g * xhat).sum(axis=0)").replace(
        "MU_PATH", "np.sum(-dxhat / np.sqrt(var + eps), axis=0) + dvar * np.mean(-2 * (x - mu), axis=0)")
    if variant == "dgamma_without_xhat":
        src = src.replace("dgamma = (g * xhat).sum(axis=0)", "dgamma = g.sum(axis=0)")
    elif variant == "mean_path_forgotten":
        src = src.replace("+ dmu / m", "")
    elif variant == "stats_treated_as_constants":
        src = src.replace("dx = dxhat / np.sqrt(var + eps) + dvar * 2 * (x - mu) / m + dmu / m",
                          "dx = dxhat / np.sqrt(var + eps)")
    return src


CE = _src('''
    import numpy as np

    def cross_entropy_backward(scores, labels):
        N = scores.shape[0]
        p = np.exp(scores - scores.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        MINUS_ONE
        return p / N
''')

SOFTMAX_LOSS = _src('''
    import numpy as np

    def softmax_loss(x, y):
        """cs231n: (loss, dx) for the mean softmax cross-entropy."""
        shifted = x - x.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        N = x.shape[0]
        loss = -log_p[np.arange(N), y].sum() / N
        dx = np.exp(log_p)
        dx[np.arange(N), y] -= 1
        return loss, dx / N
''')

LINEAR = _src('''
    import numpy as np

    def linear_backward(x, W, b, g):
        """y = W x + b with x a column (L,) or columns (L, B)."""
        X = x.reshape(W.shape[1], -1)
        G = g.reshape(W.shape[0], -1)
        return (W.T @ G).reshape(x.shape), G @ X.T, G.sum(axis=1).reshape(b.shape)
''')

# ----------------------------------------------------------------------------------------------------- cs231n
CS231N_CONV = _src('''
    import numpy as np

    def conv_forward_naive(x, w, b, conv_param):
        stride, pad = conv_param["stride"], conv_param["pad"]
        N, C, H, W = x.shape
        F, _, HH, WW = w.shape
        xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        Ho, Wo = 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride
        out = np.zeros((N, F, Ho, Wo))
        for n in range(N):
            for f in range(F):
                for i in range(Ho):
                    for j in range(Wo):
                        out[n, f, i, j] = np.sum(xp[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                                                 * w[f]) + b[f]
        return out, (x, w, b, conv_param)

    def conv_backward_naive(dout, cache):
        x, w, b, conv_param = cache
        stride, pad = conv_param["stride"], conv_param["pad"]
        xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        dxp, dw = np.zeros_like(xp), np.zeros_like(w)
        F, _, HH, WW = w.shape
        for n in range(x.shape[0]):
            for f in range(F):
                for i in range(dout.shape[2]):
                    for j in range(dout.shape[3]):
                        win = (n, slice(None), slice(i * stride, i * stride + HH), slice(j * stride, j * stride + WW))
                        dw[f] += xp[win] * dout[n, f, i, j]
                        dxp[win] += w[f] * dout[n, f, i, j]
        H, W = x.shape[2:]
        return dxp[:, :, pad:pad + H, pad:pad + W], dw, dout.sum(axis=(0, 2, 3))
''')

CS231N_POOL = _src('''
    import numpy as np

    def max_pool_forward_naive(x, pool_param):
        ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
        N, C, H, W = x.shape
        out = np.zeros((N, C, 1 + (H - ph) // s, 1 + (W - pw) // s))
        for i in range(out.shape[2]):
            for j in range(out.shape[3]):
                out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].max(axis=(2, 3))
        return out, (x, pool_param)

    def max_pool_backward_naive(dout, cache):
        x, pool_param = cache
        ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
        dx = np.zeros_like(x)
        N, C = x.shape[:2]
        for n in range(N):
            for c in range(C):
                for i in range(dout.shape[2]):
                    for j in range(dout.shape[3]):
                        win = x[n, c, i * s:i * s + ph, j * s:j * s + pw]
                        m, q = np.unravel_index(np.argmax(win), win.shape)
                        dx[n, c, i * s + m, j * s + q] += dout[n, c, i, j]
        return dx
''')

CS231N_BN = _src('''
    import numpy as np

    def batchnorm_forward(x, gamma, beta, bn_param):
        eps = bn_param.get("eps", 1e-5)
        mu = x.mean(axis=0)
        var = x.var(axis=0)
        xhat = (x - mu) / np.sqrt(var + eps)
        return gamma * xhat + beta, (xhat, gamma, np.sqrt(var + eps))

    def batchnorm_backward(dout, cache):
        xhat, gamma, std = cache
        N = dout.shape[0]
        dbeta = dout.sum(axis=0)
        dgamma = (dout * xhat).sum(axis=0)
        dx = gamma / (N * std) * (N * dout - dbeta - xhat * dgamma)
        return dx, dgamma, dbeta
''')

CS231N_AFFINE = _src('''
    import numpy as np

    def affine_forward(x, w, b):
        out = x.reshape(x.shape[0], -1) @ w + b
        return out, (x, w, b)

    def affine_backward(dout, cache):
        x, w, b = cache
        dx = (dout @ w.T).reshape(x.shape)
        dw = x.reshape(x.shape[0], -1).T @ dout
        DW_SLIP
        return dx, dw, dout.sum(axis=0)
''')

CS231N_RELU = _src('''
    import numpy as np

    def relu_forward(x):
        return np.maximum(0, x), x

    def relu_backward(dout, cache):
        x = cache
        return dout * (x > 0)
''')

# ----------------------------------------------------------------------------------------------------- classes
CSC249_CONV = _src('''
    import numpy as np

    class Conv2D(object):
        def __init__(self, filter_size, strides, padding, weights_init=None, bias_init=None, name="Conv2D"):
            self.W = np.random.randn(*filter_size)
            self.b = np.random.randn(filter_size[0], 1)
            self.filter_size = filter_size
            self.strides = (strides, strides) if type(strides) == int else strides
            self.padding = (padding, padding) if type(padding) == int else padding
            self.name = name

        def forward(self, x):
            p, s = self.padding, self.strides
            xp = np.pad(x, ((0, 0), (p[0], p[0]), (p[1], p[1])), mode="constant")
            K, C, kh, kw = self.W.shape
            Ho, Wo = (xp.shape[1] - kh) // s[0] + 1, (xp.shape[2] - kw) // s[1] + 1
            y = np.zeros((K, Ho, Wo))
            for k in range(K):
                for i in range(Ho):
                    for j in range(Wo):
                        y[k, i, j] = np.sum(xp[:, i * s[0]:i * s[0] + kh, j * s[1]:j * s[1] + kw] * self.W[k]) \\
                            + self.b[k, 0]
            return y

        def backward(self, x, dv_y):
            p, s = self.padding, self.strides
            xp = np.pad(x, ((0, 0), (p[0], p[0]), (p[1], p[1])), mode="constant")
            K, C, kh, kw = self.W.shape
            dxp, dv_W = np.zeros_like(xp), np.zeros_like(self.W)
            for k in range(K):
                for i in range(dv_y.shape[1]):
                    for j in range(dv_y.shape[2]):
                        win = (slice(None), slice(i * s[0], i * s[0] + kh), slice(j * s[1], j * s[1] + kw))
                        dv_W[k] += xp[win] * dv_y[k, i, j]
                        dxp[win] += self.W[k] * dv_y[k, i, j]
            dv_b = dv_y.sum(axis=(1, 2)).reshape(-1, 1)
            return dxp[:, p[0]:p[0] + x.shape[1], p[1]:p[1] + x.shape[2]], dv_W, dv_b
''')

CSC249_POOL = _src('''
    import numpy as np

    class MaxPool2D:
        def __init__(self, kernel_size, stride, padding, name="MaxPool2D"):
            self.kernel_size = kernel_size
            self.stride = (stride, stride) if type(stride) == int else stride
            self.padding = (padding, padding) if type(padding) == int else padding

        def forward(self, x):
            return self._pool(x, None)

        def backward(self, x, dv_y):
            return self._pool(x, dv_y)

        def _pool(self, x, dv_y):
            (kh, kw), s, p = self.kernel_size, self.stride, self.padding
            xp = np.pad(x, ((0, 0), (p[0], p[0]), (p[1], p[1])), constant_values=-np.inf)
            Ho, Wo = (xp.shape[1] - kh) // s[0] + 1, (xp.shape[2] - kw) // s[1] + 1
            y, dxp = np.zeros((x.shape[0], Ho, Wo)), np.zeros_like(xp)
            for c in range(x.shape[0]):
                for i in range(Ho):
                    for j in range(Wo):
                        win = xp[c, i * s[0]:i * s[0] + kh, j * s[1]:j * s[1] + kw]
                        y[c, i, j] = win.max()
                        if dv_y is not None:  # every position attaining the maximum (Problem 5)
                            dxp[c, i * s[0]:i * s[0] + kh, j * s[1]:j * s[1] + kw] += dv_y[c, i, j] * (win == win.max())
            if dv_y is None:
                return y
            return dxp[:, p[0]:p[0] + x.shape[1], p[1]:p[1] + x.shape[2]]
''')

CSC249_FC = _src('''
    import numpy as np

    class FullyConnected(object):
        def __init__(self, shape, weights_init=None, bias_init=None, name="FullyConnected"):
            self.W = np.random.randn(*shape)
            self.b = np.random.randn(shape[0], 1)

        def forward(self, x):
            return np.dot(self.W, x) + self.b

        def backward(self, x, dv_y):
            return np.dot(self.W.T, dv_y), np.dot(dv_y, x.T), dv_y
''')

TSINGHUA = _src('''
    import numpy as np

    class Module:
        def __init__(self):
            self.params, self.grads = {}, {}

        def forward(self, x):
            return self._forward(x)

        def backward(self, dy):
            return self._backward(dy)

    class Conv2d(Module):
        def __init__(self, in_channels, out_channels, kernel_size, stride=(1, 1), padding=(0, 0)):
            super().__init__()
            self.stride, self.padding = stride, padding
            self.params["weight"] = np.zeros((out_channels, in_channels) + tuple(kernel_size))
            self.params["bias"] = np.zeros(out_channels)

        def _forward(self, x):
            self.x = x
            (sh, sw), (ph, pw) = self.stride, self.padding
            w = self.params["weight"]
            xp = np.pad(x, ((0, 0), (ph, ph), (pw, pw)))
            K, C, kh, kw = w.shape
            Ho, Wo = (xp.shape[1] - kh) // sh + 1, (xp.shape[2] - kw) // sw + 1
            y = np.empty((K, Ho, Wo))
            for i in range(Ho):
                for j in range(Wo):
                    y[:, i, j] = np.tensordot(w, xp[:, i * sh:i * sh + kh, j * sw:j * sw + kw], axes=3)
            return y + self.params["bias"][:, None, None]

        def _backward(self, dy):
            (sh, sw), (ph, pw) = self.stride, self.padding
            w = self.params["weight"]
            xp = np.pad(self.x, ((0, 0), (ph, ph), (pw, pw)))
            K, C, kh, kw = w.shape
            dxp, dw = np.zeros_like(xp), np.zeros_like(w)
            for i in range(dy.shape[1]):
                for j in range(dy.shape[2]):
                    win = (slice(None), slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw))
                    dw += dy[:, i, j][:, None, None, None] * xp[win][None]
                    dxp[win] += np.tensordot(dy[:, i, j], w, axes=1)
            self.grads["weight"] = dw
            self.grads["bias"] = dy.sum(axis=(1, 2))
            return dxp[:, ph:ph + self.x.shape[1], pw:pw + self.x.shape[2]]

    class Tanh(Module):
        def _forward(self, x):
            self.y = np.tanh(x)
            return self.y

        def _backward(self, dy):
            return dy * (1 - SQUARE)
''')

TSINGHUA_POOL = _src('''
    import numpy as np

    class MaxPool2d:
        def __init__(self, kernel_size, stride):
            self.kernel_size, self.stride = kernel_size, stride

        def forward(self, x):
            self.x = x
            (kh, kw), (sh, sw) = self.kernel_size, self.stride
            C, H, W = x.shape
            y = np.empty((C, (H - kh) // sh + 1, (W - kw) // sw + 1))
            for i in range(y.shape[1]):
                for j in range(y.shape[2]):
                    y[:, i, j] = x[:, i * sh:i * sh + kh, j * sw:j * sw + kw].reshape(C, -1).max(axis=1)
            return y

        def backward(self, dy):
            (kh, kw), (sh, sw) = self.kernel_size, self.stride
            dx = np.zeros_like(self.x)
            for c in range(dy.shape[0]):
                for i in range(dy.shape[1]):
                    for j in range(dy.shape[2]):
                        win = self.x[c, i * sh:i * sh + kh, j * sw:j * sw + kw]
                        m, q = np.unravel_index(np.argmax(win), win.shape)
                        dx[c, i * sh + m, j * sw + q] += dy[c, i, j]
            return dx
''')

SVM_LOSS = _src('''
    import numpy as np

    def svm_loss(x, y):
        """cs231n's multiclass SVM: (loss, dx), margins summed over j != y, mean over the batch."""
        N = x.shape[0]
        margins = np.maximum(0, x - x[np.arange(N), y][:, None] + 1.0)
        margins[np.arange(N), y] = 0
        dx = (margins > 0).astype(float)
        dx[np.arange(N), y] -= COUNT
        return margins.sum() / N, dx / N
''')

CONV_DOUT_FIRST = _src('''
    import numpy as np

    def conv_backward(dout, x, w, b, stride=1, pad=0):
        """dout first and cs231n's name for the padding: bound by name."""
        s = stride if np.isscalar(stride) else stride[0]
        t = stride if np.isscalar(stride) else stride[1]
        p = pad if np.isscalar(pad) else pad[0]
        q = pad if np.isscalar(pad) else pad[1]
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (q, q)))
        dxp, dw = np.zeros_like(xp), np.zeros_like(w)
        K, C, kh, kw = w.shape
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                win = (slice(None), slice(None), slice(i * s, i * s + kh), slice(j * t, j * t + kw))
                dw += np.einsum("nk,nchw->kchw", dout[:, :, i, j], xp[win])
                dxp[win] += np.einsum("nk,kchw->nchw", dout[:, :, i, j], w)
        return dxp[:, :, p:p + x.shape[2], q:q + x.shape[3]], dw, dout.sum(axis=(0, 2, 3))
''')

NOTEBOOK_CELLS = [
    "import numpy as np\n%matplotlib inline",
    "def tanh_backward(z, g):\n    y = np.tanh(z)\n    return g * (1 - y ** 2)",
    "from microgradnet.exercises import check\ncheck('tanh_backward', tanh_backward)",
    "while True:  # a cell the grader must never run\n    pass",
    "raise SystemExit('nor this one')",
]


def notebook(cells: list[str]) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                       "cells": [{"cell_type": "code", "id": f"c{i}", "metadata": {}, "execution_count": None,
                                  "outputs": [], "source": src} for i, src in enumerate(cells)]
                       + [{"cell_type": "markdown", "id": "m", "metadata": {}, "source": "def tanh_backward("}]})


# ----------------------------------------------------------------------------------------------------- hostile
RELU_RIGHT = "import numpy as np\n\ndef relu_backward(x, g):\n    return np.where(x > 0, g, 0.0)\n"
HOSTILE = {
    "endless_loop": ("def relu_backward(x, g):\n    while True:\n        pass\n", "timed out after"),
    "exit_at_import": ("import sys\nsys.exit(0)\n" + RELU_RIGHT, "sys.exit(0) while being loaded"),
    "os_exit": ("import os\n\ndef relu_backward(x, g):\n    os._exit(0)\n", "ended the grading process"),
    "exit_in_function": ("import sys\n\ndef relu_backward(x, g):\n    sys.exit(0)\n", "called sys.exit(0)"),
    "keyboard_interrupt": ("def relu_backward(x, g):\n    raise KeyboardInterrupt\n", "raised KeyboardInterrupt"),
    "patches_the_grader": ("import microgradnet.check.grade as grade\n"
                           "grade._compare = lambda *a, **k: ([], 0.0)\n"
                           "grade.judge = lambda *a, **k: None\n\n"
                           "def relu_backward(x, g):\n    return 2 * g\n", "wrong on"),
    "syntax_error": ("def relu_backward(x, g)\n    return g\n", "SyntaxError"),
    "nan_result": ("import numpy as np\n\ndef relu_backward(x, g):\n    return np.full(x.shape, np.nan)\n", "wrong on"),
    "huge_allocation": ("import numpy as np\n\ndef relu_backward(x, g):\n    buf = np.ones(3 * 10**8)\n"
                        "    return np.where(x > 0, g, 0.0) + 0 * buf[0]\n", "ran out of memory"),
    "crash": ("import ctypes\n\ndef relu_backward(x, g):\n    return ctypes.string_at(0)\n", "killed by SIG"),
    "no_such_function": ("def relu_grad(x, g):\n    return g\n", "defines no 'relu_backward'"),
    "wrong_signature": ("def relu_backward():\n    return 0\n", "cannot be called"),
}


def students() -> list[Student]:
    out = [
        Student("conv_loops", "conv2d", "conv_backward", _conv("right"), "pass"),
        Student("conv_dw_flipped", "conv2d", "conv_backward", _conv("dw_flipped"), "fail", "dw_flipped"),
        Student("conv_dx_not_rotated", "conv2d", "conv_backward", _conv("dx_not_rotated"), "fail",
                "dx_kernel_not_rotated"),
        Student("conv_stride_ignored", "conv2d", "conv_backward", _conv("stride_ignored"), "fail", "stride_ignored"),
        Student("conv_no_stride", "conv2d", "conv_backward", _conv("no_stride"), "pass"),
        Student("conv_no_stride_strict", "conv2d", "conv_backward", _conv("no_stride"), "fail",
                reason="--strict", flags=("--strict",)),
        Student("pool_argmax", "max_pool2d", "pool_backward", _pool("first"), "pass"),
        Student("pool_every_max", "max_pool2d", "pool_backward", _pool("all"), "fail", "ties_to_all"),
        Student("pool_every_max_tie_all", "max_pool2d", "pool_backward", _pool("all"), "pass", flags=("--tie", "all")),
        Student("pool_argmax_tie_all", "max_pool2d", "pool_backward", _pool("first"), "fail", "ties_to_one",
                flags=("--tie", "all")),
        Student("pool_whole_window", "max_pool2d", "pool_backward", _pool("whole_window"), "fail", "whole_window"),
        Student("pool_stride_ignored", "max_pool2d", "pool_backward", _pool("stride_ignored"), "fail",
                "stride_ignored"),
        Student("bn_staged", "batch_norm", "batchnorm_backward", _bn("right"), "pass"),
        Student("bn_dgamma", "batch_norm", "batchnorm_backward", _bn("dgamma_without_xhat"), "fail",
                "dgamma_without_xhat", reason="(dgamma)"),
        Student("bn_mean_path", "batch_norm", "batchnorm_backward", _bn("mean_path_forgotten"), "fail",
                "mean_path_forgotten"),
        Student("bn_constants", "batch_norm", "batchnorm_backward", _bn("stats_treated_as_constants"), "fail",
                "stats_treated_as_constants"),
        Student("ce_right", "cross_entropy", "cross_entropy_backward", CE.replace(
            "MINUS_ONE", "p[np.arange(N), labels] -= 1"), "pass"),
        Student("ce_no_minus_one", "cross_entropy", "cross_entropy_backward", CE.replace("MINUS_ONE", "pass"),
                "fail", "forgot_minus_one"),
        Student("ce_no_mean", "cross_entropy", "cross_entropy_backward", CE.replace(
            "MINUS_ONE", "p[np.arange(N), labels] -= 1").replace("p / N", "p"), "fail", "missing_1_over_N"),
        Student("softmax_loss", "cross_entropy", "softmax_loss", SOFTMAX_LOSS, "pass"),
        Student("softmax_loss_wrong_loss", "cross_entropy", "softmax_loss",
                SOFTMAX_LOSS.replace("].sum() / N", "].sum()"), "fail", reason="(loss)"),
        Student("linear_columns", "linear", "linear_backward", LINEAR, "pass"),
        Student("linear_dW_transposed", "linear", "linear_backward", LINEAR.replace("G @ X.T", "X @ G.T"), "fail",
                "dW_transposed"),
        # cs231n pairs
        Student("cs231n_conv", "conv2d", "conv_forward_naive,conv_backward_naive", CS231N_CONV, "pass"),
        Student("cs231n_conv_strict", "conv2d", "conv_forward_naive,conv_backward_naive", CS231N_CONV, "fail",
                reason="--strict", flags=("--strict",)),
        Student("cs231n_pool", "max_pool2d", "max_pool_forward_naive,max_pool_backward_naive", CS231N_POOL, "pass"),
        Student("cs231n_bn", "batch_norm", "batchnorm_forward,batchnorm_backward", CS231N_BN, "pass"),
        Student("cs231n_affine", "linear", "affine_forward,affine_backward", CS231N_AFFINE.replace("DW_SLIP", ""),
                "pass"),
        Student("cs231n_affine_dw_t", "linear", "affine_forward,affine_backward",
                CS231N_AFFINE.replace("DW_SLIP", "dw = dw.T"),
                "fail", "dW_transposed"),
        Student("cs231n_affine_rows", "linear_rows", "affine_forward,affine_backward",
                CS231N_AFFINE.replace("DW_SLIP", ""), "pass"),
        Student("cs231n_relu_inferred", "relu", "relu_backward", CS231N_RELU, "pass"),
        # layer classes
        Student("csc249_conv", "conv2d", "Conv2D", CSC249_CONV, "pass"),
        Student("csc249_pool", "max_pool2d", "MaxPool2D", CSC249_POOL, "pass"),
        Student("csc249_fc", "linear", "FullyConnected", CSC249_FC, "pass"),
        Student("tsinghua_conv", "conv2d_tsinghua", "Conv2d", TSINGHUA.replace("SQUARE", "self.y ** 2"), "pass"),
        Student("tsinghua_pool", "max_pool2d", "MaxPool2d", TSINGHUA_POOL, "pass"),
        Student("cs231n_svm_loss", "multi_margin_loss", "svm_loss",
                SVM_LOSS.replace("COUNT", "(margins > 0).sum(axis=1)"), "pass"),
        Student("cs231n_svm_loss_no_count", "multi_margin_loss", "svm_loss", SVM_LOSS.replace("COUNT", "0"), "fail",
                "correct_class_not_updated"),
        Student("conv_dout_first", "conv2d", "conv_backward", CONV_DOUT_FIRST, "pass"),
        Student("tsinghua_tanh", "tanh", "Tanh", TSINGHUA.replace("SQUARE", "self.y ** 2"), "pass"),
        Student("tsinghua_tanh_square", "tanh", "Tanh", TSINGHUA.replace("SQUARE", "self.y"), "fail",
                "missing_square"),
        # a notebook: only its definitions run
        Student("notebook_tanh", "tanh", "tanh_backward", notebook(NOTEBOOK_CELLS), "pass", suffix=".ipynb"),
    ]
    for name, (src, reason) in HOSTILE.items():
        out.append(Student(name, "relu", "relu_backward", src, "fail", reason=reason, flags=("--timeout", "4")))
    out.append(Student("relu_right", "relu", "relu_backward", RELU_RIGHT, "pass", flags=("--timeout", "4")))
    covered = {(s.rule, s.mistake) for s in out}
    for rule, mistakes in MISTAKES.items():
        for k, m in enumerate(mistakes):
            if (rule, m.name) in covered:
                continue
            src = (f"from microgradnet.closed_form import MISTAKES\n\n"
                   f"backward = MISTAKES[{rule!r}][{k}].fn  # {m.name}\n")
            out.append(Student(f"catalogue_{m.name}", rule, "backward", src, "fail", m.name))
    return out
