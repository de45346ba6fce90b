"""Catalogue entries for ``functional`` (F) and ``nn``: activations, layers, pooling, normalisation, losses,
modules. See :mod:`microgradnet.opinfo` for what an entry is."""

from __future__ import annotations

import math

from .core import A, I, OpInfo, S, V
from .ops_tensor import unary_samples

NAN = math.nan


def _act(name, *args, domain="any", edges=(), convention="", **kwargs):
    def call(L, x):
        return getattr(L.F, name)(x, *args, **kwargs)
    shown = ", ".join([*map(repr, args), *(f"{k}={v!r}" for k, v in kwargs.items())])
    return OpInfo(f"F.{name}(x{', ' + shown if shown else ''})", "activation", call, unary_samples(domain),
                  edges=list(edges), convention=convention)


ACTIVATIONS = [
    _act("relu", domain="away"), _act("leaky_relu", 0.1, domain="away"), _act("tanh"), _act("sigmoid"),
    _act("softplus"), _act("softplus", beta=2.0), _act("softplus", beta=0.5, threshold=1.0, domain="away"),
    _act("gelu"), _act("gelu", approximate="tanh"), _act("silu"), _act("elu"), _act("elu", alpha=0.5, domain="away"),
    _act("hardtanh", domain="away"), _act("hardtanh", -0.5, 0.5, domain="away"), _act("relu6", domain="away"),
    _act("logsigmoid", edges=[S(V(-800.0), out=-800.0, grads=(1.0,)), S(V(800.0), out=0.0, grads=(0.0,))]),
    OpInfo("F.softmax / F.log_softmax", "activation", lambda L, x, d: (L.F.softmax(x, d), L.F.log_softmax(x, d)),
           [S(A(3, 4), 1), S(A(3, 4), 0), S(A(2, 3, 4), -1), S(A(), 0, note="0-d"), S(A(3, 0), 0)],
           edges=[S(V([[1000.0, 0.0]]), 1, out=([[1.0, 0.0]], [[0.0, -1000.0]]))],
           errors=[S(A(3, 4), 2, raises=IndexError), S(A(), 1, raises=IndexError)]),
    OpInfo("F.prelu", "activation", lambda L, x, w: L.F.prelu(x, w),
           [S(A(2, 3, 4, domain="away"), A(1)), S(A(2, 3, 4, domain="away"), A(3))]),
    OpInfo("F.normalize", "activation", lambda L, x, *a, **k: L.F.normalize(x, *a, **k),
           [S(A(3, 4)), S(A(3, 4), dim=0), S(A(3, 4), p=1.0, dim=1, note="p=1"),
            S(V([[0.0, 0.0], [3.0, 4.0]]), note="a zero row stays 0 (eps)", fd=False)]),
    OpInfo("F.one_hot", "activation", lambda L, t, *a: L.F.one_hot(t, *a),
           [S(V([0, 2, 1], dtype="int64"), 3), S(V([0, 2, 1], dtype="int64")), S(V([[1, 0]], dtype="int64"), 4)],
           errors=[S(V([0, 3], dtype="int64"), 3, raises=RuntimeError)], dtypes=(None,), grad=False),
]


def _lin(L, x, w, b=None):
    return L.F.linear(x, w, b)


LAYERS = [
    OpInfo("F.linear", "layer", _lin, [S(A(4, 3), A(2, 3), A(2)), S(A(4, 3), A(2, 3)), S(A(2, 5, 3), A(2, 3), A(2)),
                                       S(A(3), A(2, 3), A(2))]),
    OpInfo("F.conv2d", "layer", lambda L, x, w, b=None, **k: L.F.conv2d(x, w, b, **k),
           [S(A(2, 2, 5, 5), A(3, 2, 3, 3), A(3)), S(A(1, 2, 5, 6), A(2, 2, 2, 3), stride=2, padding=1),
            S(A(1, 4, 5, 5), A(4, 2, 3, 3), groups=2, dilation=(1, 2), padding="same"),
            S(A(2, 5, 5), A(3, 2, 3, 3), note="unbatched")]),
    OpInfo("F.conv1d", "layer", lambda L, x, w, b=None, **k: L.F.conv1d(x, w, b, **k),
           [S(A(2, 2, 7), A(3, 2, 3), A(3)), S(A(1, 2, 8), A(2, 2, 3), stride=2, padding=1),
            S(A(1, 4, 7), A(4, 2, 2), groups=2, dilation=2), S(A(2, 6), A(3, 2, 3), note="unbatched"),
            S(A(1, 2, 7), A(3, 2, 3), padding="same")]),
    OpInfo("F.conv_transpose2d", "layer", lambda L, x, w, b=None, **k: L.F.conv_transpose2d(x, w, b, **k),
           [S(A(2, 3, 4, 4), A(3, 2, 3, 3), A(2)), S(A(1, 2, 3, 3), A(2, 2, 2, 2), stride=2),
            S(A(1, 2, 3, 4), A(2, 3, 3, 3), stride=2, padding=1, output_padding=1),
            S(A(1, 4, 3, 3), A(4, 1, 3, 3), groups=2, dilation=2)]),
    OpInfo("F.max_pool2d", "pooling", lambda L, x, *a, **k: L.F.max_pool2d(x, *a, **k),
           [S(A(2, 2, 4, 4, domain="distinct"), 2), S(A(1, 2, 5, 5, domain="distinct"), 3, 2, 1),
            S(A(1, 1, 5, 5, domain="distinct"), 2, ceil_mode=True), S(A(2, 5, 5, domain="distinct"), 2)]),
    OpInfo("F.max_pool2d(return_indices=True)", "pooling",
           lambda L, x, *a, **k: (*L.F.max_pool2d(x, *a, return_indices=True, **k),),
           [S(A(2, 2, 4, 4, domain="distinct"), 2), S(A(1, 2, 5, 5, domain="distinct"), 3, 2, 1)]),
    OpInfo("F.max_pool2d (int)", "pooling", lambda L, x, *a, **k: L.F.max_pool2d(x, *a, **k),
           [S(I(1, 2, 4, 4, high=9), 2), S(I(1, 1, 5, 5, high=9), 3, 2, 1)], dtypes=(None,), grad=False),
    OpInfo("F.avg_pool2d", "pooling", lambda L, x, *a, **k: L.F.avg_pool2d(x, *a, **k),
           [S(A(2, 2, 4, 4), 2), S(A(1, 2, 5, 5), 3, 2, 1), S(A(1, 2, 5, 5), 3, 2, 1, count_include_pad=False),
            S(A(1, 1, 5, 5), 2, ceil_mode=True)]),
    OpInfo("F.batch_norm (training)", "norm",
           lambda L, x, w, b: L.F.batch_norm(x, None, None, w, b, training=True),
           [S(A(4, 3), A(3), A(3)), S(A(2, 3, 2, 2), A(3), A(3))]),
    OpInfo("F.dropout", "regulariser", lambda L, x, **k: L.F.dropout(x, **k),
           [S(A(3, 4), p=0.0), S(A(3, 4), p=1.0, note="everything dropped: zeros"), S(A(3, 4), training=False),
            S(A(), p=0.0)],
           edges=[S(V([1.0, 2.0]), p=1.0, out=[0.0, 0.0], grads=([0.0, 0.0],))],
           errors=[S(A(3), p=1.5, raises=ValueError)]),
    OpInfo("F.pad", "shape", lambda L, x, p, **k: L.F.pad(x, p, **k),
           [S(A(2, 3), (1, 2)), S(A(2, 3), (1, 1, 0, 2), value=0.5), S(A(3, 4), (-1, 1), note="negative: crop"),
            S(A(3, 4), (-1, -1, 1, -1), note="crop and pad"), S(A(1, 3, 4), (1, 2), mode="reflect"),
            S(A(1, 3, 4), (2, 1, 1, 0), mode="replicate"), S(A(1, 3, 4), (1, 2), mode="circular")]),
    OpInfo("F.flatten / nn.Flatten", "shape", lambda L, x: (L.t.flatten(x, 1), L.nn.Flatten()(x)), [S(A(2, 3, 4))]),
]


def _ce(L, x, t, **k):
    return L.F.cross_entropy(x, t, **k)


LOSSES = [
    OpInfo("F.cross_entropy", "loss", _ce,
           [S(A(4, 3), I(4, high=3)), S(A(4, 3), I(4, high=3), reduction="sum"),
            S(A(4, 3), I(4, high=3), reduction="none"), S(A(4, 3), I(4, high=3), label_smoothing=0.1),
            S(A(4, 3), I(4, high=3), weight=V([1.0, 2.0, 0.5], grad=False)),
            S(A(4, 3), V([0, -100, 2, 1], dtype="int64"), note="ignore_index"),
            S(A(2, 3, 2, 2), I(2, 2, 2, high=3), note="(N, C, d1, d2)"), S(A(3), V(1, dtype="int64")),
            S(A(4, 3), A(4, 3, domain="probs"), note="soft targets: the target is differentiated too"),
            S(A(4, 3), A(4, 3, domain="probs"), label_smoothing=0.2)],
           errors=[S(A(4, 3), V([0, 1, 5, 0], dtype="int64"), raises=IndexError)],
           convention="probability targets get a gradient (−log softmax(x)) as in PyTorch"),
    OpInfo("F.nll_loss", "loss", lambda L, x, t, **k: L.F.nll_loss(x, t, **k),
           [S(A(4, 3), I(4, high=3)), S(A(4, 3), I(4, high=3), reduction="none"),
            S(A(4, 3), I(4, high=3), weight=V([1.0, 2.0, 0.5], grad=False))],
           errors=[S(A(4, 3), V([0, 1, 3, 0], dtype="int64"), raises=IndexError)]),
    OpInfo("F.mse_loss", "loss", lambda L, x, y, **k: L.F.mse_loss(x, y, **k),
           [S(A(3, 4), A(3, 4)), S(A(3, 4), A(3, 4), reduction="sum"), S(A(), A())]),
    OpInfo("F.l1_loss", "loss", lambda L, x, y, **k: L.F.l1_loss(x, y, **k),
           [S(A(3, 4), A(3, 4)), S(A(3, 4), A(3, 4), reduction="none")]),
    OpInfo("F.binary_cross_entropy", "loss", lambda L, p, y, **k: L.F.binary_cross_entropy(p, y, **k),
           [S(A(3, 4, domain="unit"), A(3, 4, domain="unit")), S(A(5, domain="unit"), A(5, domain="unit"),
                                                                  reduction="sum"),
            S(A(3, 4, domain="unit"), A(3, 4, domain="unit"), weight=V([1.0, 2.0, 0.5, 1.0], grad=False))],
           edges=[S(V([0.0, 1.0], grad=False), V([0.0, 1.0], grad=False), out=0.0),
                  S(V([0.0, 1.0], grad=False), V([1.0, 0.0], grad=False), out=100.0)],
           convention="log is clamped at −100, as PyTorch, so p = 0 or 1 gives a finite loss"),
    OpInfo("F.binary_cross_entropy_with_logits", "loss",
           lambda L, x, y, **k: L.F.binary_cross_entropy_with_logits(x, y, **k),
           [S(A(3, 4), A(3, 4, domain="unit")), S(A(3, 4), A(3, 4, domain="unit"), pos_weight=V([1.0, 2.0, 0.5, 3.0],
                                                                                                 grad=False)),
            S(A(3, 4), A(3, 4, domain="unit"), reduction="none")],
           convention="the target is differentiated (∂ℓ/∂y = −x)"),
    OpInfo("F.multi_margin_loss", "loss", lambda L, x, t, **k: L.F.multi_margin_loss(x, t, **k),
           [S(A(4, 3, domain="distinct"), I(4, high=3)), S(A(4, 3, domain="distinct"), I(4, high=3), p=2)]),
]

def _module_act(name, **kw):
    def call(L, x):
        return getattr(L.nn, name)(**kw)(x * 1.0)  # an intermediate: PyTorch refuses inplace on a leaf
    shown = ", ".join(f"{k}={v!r}" for k, v in kw.items())
    return OpInfo(f"nn.{name}({shown})", "module", call, [S(A(3, 4, domain="away")), S(A())])


MODULES = [
    *[_module_act(n, **kw) for n, kw in (("ReLU", {"inplace": True}), ("GELU", {}), ("SiLU", {}), ("ELU", {}),
                                         ("Softplus", {"beta": 2.0}), ("Hardtanh", {}), ("ReLU6", {}),
                                         ("LogSigmoid", {}), ("LeakyReLU", {"negative_slope": 0.2}))],
    OpInfo("nn.L1Loss / nn.BCELoss / nn.MSELoss", "module",
           lambda L, p, y: (L.nn.L1Loss()(p, y), L.nn.BCELoss()(p, y), L.nn.MSELoss(reduction="sum")(p, y)),
           [S(A(3, 4, domain="unit"), A(3, 4, domain="unit"))]),
    OpInfo("Module.to(dtype) / .float() / .double()", "module",
           lambda L, x: (L.nn.Linear(3, 2).to(L.t.float32)(x.float()).dtype == L.t.float32,
                         L.nn.Linear(3, 2).float()(x.float()).shape, L.nn.Linear(3, 2).double()(x).dtype == L.t.float64,
                         L.nn.Linear(3, 2).float().double().weight.dtype == L.t.float64),
           [S(A(4, 3))], dtypes=("float64",), grad=False),
]

def _set(L, module, **values):
    """Give a module's parameters fixed values (under no_grad, in place), so both libraries compute the same."""
    with L.t.no_grad():
        for name, v in values.items():
            getattr(module, name).copy_(v)
    return module


def _linear(L, x, w, b):
    return _set(L, L.nn.Linear(3, 2), weight=w, bias=b)(x)


def _conv(L, x, w, b, **k):
    return _set(L, L.nn.Conv2d(2, 3, 3, **k), weight=w, bias=b)(x)


def _batchnorm(L, x, w, b):
    bn = _set(L, L.nn.BatchNorm2d(3), weight=w, bias=b)
    y = bn(x)
    y2 = bn(x * 2.0)
    bn.eval()
    return y, y2, bn(x), bn.running_mean.detach().clone(), bn.running_var.detach().clone()


def _sequential(L, x, w1, w2):
    net = L.nn.Sequential(L.nn.Linear(4, 3, bias=False), L.nn.ReLU(), L.nn.Linear(3, 2, bias=False))
    _set(L, net[0], weight=w1)
    _set(L, net[2], weight=w2)
    return net(x), L.nn.CrossEntropyLoss()(net(x), L.t.tensor([0, 1, 1]))


def _optimizer(name, **kw):
    def call(L, w0, x):
        w = w0.detach().clone().requires_grad_(True)
        opt = getattr(L.t.optim, name)([w], **kw)
        seen = []
        for _ in range(3):
            opt.zero_grad()
            loss = ((x @ w).tanh() ** 2).sum()
            loss.backward()
            opt.step()
            seen.append(w.detach().clone())
        return tuple(seen)
    shown = ", ".join(f"{k}={v!r}" for k, v in kw.items())
    return OpInfo(f"optim.{name}({shown})", "optimizer", call, [S(A(3, 2, grad=False), A(4, 3, grad=False))],
                  grad=False, dtypes=("float64",), convention="three steps of the same loss, parameters compared")


OPTIMIZERS = [
    _optimizer("SGD", lr=0.1), _optimizer("SGD", lr=0.1, momentum=0.9), _optimizer("SGD", lr=0.1, momentum=0.9,
                                                                                   nesterov=True),
    _optimizer("SGD", lr=0.1, weight_decay=0.01), _optimizer("Adam", lr=0.01),
    _optimizer("Adam", lr=0.01, weight_decay=0.1), _optimizer("RMSprop", lr=0.01),
    _optimizer("RMSprop", lr=0.01, momentum=0.5, centered=True),
]

F64 = ("float64",)  # a module's parameters are float64 (PyTorch refuses to mix a float32 input with them)
LAYER_MODULES = [
    OpInfo("nn.Linear", "module", _linear, [S(A(4, 3), A(2, 3, grad=False), A(2, grad=False))], dtypes=F64),
    OpInfo("nn.Conv2d", "module", _conv, [S(A(2, 2, 5, 5), A(3, 2, 3, 3, grad=False), A(3, grad=False)),
                                          S(A(1, 2, 6, 5), A(3, 2, 3, 3, grad=False), A(3, grad=False), stride=2,
                                            padding=1)], dtypes=F64),
    OpInfo("nn.BatchNorm2d (train, running stats, eval)", "module", _batchnorm,
           [S(A(4, 3, 2, 2), A(3, grad=False), A(3, grad=False), fd=False,
              note="the running statistics are buffers, updated off the tape: not a function of x to differentiate")],
           dtypes=F64),
    OpInfo("nn.MaxPool2d / nn.AvgPool2d / nn.Flatten", "module",
           lambda L, x: (L.nn.MaxPool2d(2)(x), L.nn.AvgPool2d(2, stride=1)(x), L.nn.Flatten()(x),
                         L.nn.MaxPool2d(3, stride=2, padding=1)(x)), [S(A(2, 2, 4, 4, domain="distinct"))]),
    OpInfo("nn.Sequential + nn.CrossEntropyLoss", "module", _sequential,
           [S(A(3, 4), A(3, 4, grad=False), A(2, 3, grad=False))], dtypes=F64),
    OpInfo("nn.Softmax / nn.LogSoftmax / nn.Dropout (eval) / nn.Identity", "module",
           lambda L, x: (L.nn.Softmax(dim=1)(x), L.nn.LogSoftmax(1)(x), L.nn.Dropout(0.5).eval()(x),
                         L.nn.Identity()(x)), [S(A(3, 4))]),
]

MORE_F = [
    *[_act(n, domain="away") for n in ("selu", "celu", "mish", "hardsigmoid", "hardswish", "softsign")],
    _act("celu", alpha=0.5, domain="away"),
    OpInfo("F.softmin", "activation", lambda L, x, d: L.F.softmin(x, d), [S(A(3, 4), 1), S(A(2, 3, 4), -1)]),
    OpInfo("F.smooth_l1_loss / F.huber_loss", "loss",
           lambda L, x, y, **k: (L.F.smooth_l1_loss(x, y, **k), L.F.huber_loss(x, y, **k)),
           [S(A(3, 4), A(3, 4)), S(A(3, 4), A(3, 4), reduction="sum"), S(A(3, 4), A(3, 4), reduction="none")]),
    OpInfo("F.smooth_l1_loss(beta=) / F.huber_loss(delta=)", "loss",
           lambda L, x, y: (L.F.smooth_l1_loss(x, y, beta=0.5), L.F.huber_loss(x, y, delta=0.5)),
           [S(A(3, 4), A(3, 4))]),
    OpInfo("F.kl_div", "loss", lambda L, x, t, **k: L.F.kl_div(x, t, **k),
           [S(A(3, 4), A(3, 4, domain="probs"), reduction="batchmean"), S(A(3, 4), A(3, 4, domain="probs")),
            S(A(3, 4), A(3, 4), reduction="sum", log_target=True),
            S(A(2, 2), V([[0.0, 1.0], [0.5, 0.5]], grad=False), reduction="none", note="a zero target term is 0")],
           convention="a term with t = 0 is 0; its gradient for t is −x here (t·log t taken as constant 0 there), NaN "
                      "in PyTorch"),
    OpInfo("F.cosine_similarity", "activation", lambda L, a, b, **k: L.F.cosine_similarity(a, b, **k),
           [S(A(3, 4), A(3, 4)), S(A(3, 4), A(4), dim=-1), S(A(2, 3, 4), A(2, 3, 4), dim=0)]),
    OpInfo("F.layer_norm", "norm", lambda L, x, shape, *wb: L.F.layer_norm(x, shape, *wb),
           [S(A(3, 4), (4,)), S(A(2, 3, 4), (3, 4), A(3, 4), A(3, 4)), S(A(2, 5), [5], A(5))]),
    OpInfo("F.embedding", "layer", lambda L, i, w, **k: L.F.embedding(i, w, **k),
           [S(V([[0, 2], [2, 1]], dtype="int64"), A(4, 3)),
            S(V([1, 0, 1], dtype="int64"), A(3, 2), padding_idx=1, fd=False,
              note="the padding row gets no gradient, as PyTorch")],
           errors=[S(V([4], dtype="int64"), A(4, 3), raises=IndexError)]),
    OpInfo("F.max_pool1d / F.avg_pool1d", "pooling",
           lambda L, x, *a: (L.F.max_pool1d(x, *a), L.F.avg_pool1d(x, *a)),
           [S(A(2, 3, 8, domain="distinct"), 2), S(A(1, 2, 7, domain="distinct"), 3, 2, 1),
            S(A(3, 6, domain="distinct"), 2)]),
]

NN_OPS = MORE_F + ACTIVATIONS + LAYERS + LOSSES + MODULES + LAYER_MODULES + OPTIMIZERS
