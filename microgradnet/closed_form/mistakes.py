"""Deliberately WRONG backward rules that students commonly write, for recognising what went wrong.

``MISTAKES[rule_name]`` is a list of :class:`Mistake` ``(name, description, fn)`` triples (a NamedTuple, so
``for name, description, fn in MISTAKES["conv2d"]`` works). ``rule_name`` is a key of
``closed_form.CLOSED_FORMS`` and ``fn`` has exactly the signature of that rule's backward (same inputs, ``g``,
same keyword parameters) and returns the same NamedTuple type. Some mistakes change a gradient's SHAPE
(e.g. a transposed ∂L/∂W) — that is part of the mistake. A mistake that cannot be expressed for the given
shapes (``W x`` instead of ``Wᵀ x`` for a non-square W) raises :class:`NotApplicable` (a ``ValueError``).
Several mistakes coincide with the right answer on special inputs only (stride 1, no ties, inverted=False,
x ≠ 0…); the tests pin down a case where each one differs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from . import activations as act
from . import conv as cv
from . import conv_flip as cf
from . import conv_fullfilt as ff
from . import dense, losses, norm, pool
from . import dropout_layer as dp
from . import softmax_ce as softmax
from ._common import InputGrad, as_f64, pair
from .registry import RuleTable

__all__ = ["Mistake", "NotApplicable", "MISTAKES"]


class NotApplicable(ValueError):
    """The mistaken formula does not even type-check for these shapes."""


class Mistake(NamedTuple):
    """A named wrong rule: ``fn`` has the signature of the correct backward."""

    name: str
    description: str
    fn: Callable


def _square(fn: str, W: np.ndarray) -> None:
    if W.shape[0] != W.shape[1]:
        raise NotApplicable(f"{fn}: the mistake W·g instead of Wᵀ·g needs a square W, got {W.shape}")


# --- dense -----------------------------------------------------------------------------------------------
def linear_dW_transposed(x, W, b, g):
    r = dense.linear_columns_backward(x, W, b, g)
    return r._replace(dW=r.dW.T)


def linear_dx_W_not_transposed(x, W, b, g):
    r = dense.linear_columns_backward(x, W, b, g)
    W = as_f64("linear_dx_W_not_transposed", "W", W)
    _square("linear_dx_W_not_transposed", W)
    gc = as_f64("linear_dx_W_not_transposed", "g", g).reshape(W.shape[0], -1)
    return r._replace(dx=(W @ gc).reshape(r.dx.shape))


def linear_db_mean(x, W, b, g):
    r = dense.linear_columns_backward(x, W, b, g)
    n = 1 if np.ndim(x) == 1 else np.shape(x)[1]
    return r._replace(db=r.db / n)


def linear_rows_dW_transposed(X, W, b, g):
    r = dense.linear_rows_backward(X, W, b, g)
    return r._replace(dW=r.dW.T)


def linear_rows_db_mean(X, W, b, g):
    r = dense.linear_rows_backward(X, W, b, g)
    n = 1 if np.ndim(X) == 1 else np.shape(X)[0]
    return r._replace(db=r.db / n)


def linear_no_bias_A_not_transposed(x, W, g):
    r = dense.linear_no_bias_backward(x, W, g)
    W = as_f64("linear_no_bias_A_not_transposed", "W", W)
    _square("linear_no_bias_A_not_transposed", W)
    B = as_f64("linear_no_bias_A_not_transposed", "g", g).reshape(W.shape[0], -1)
    return r._replace(dx=(W @ B).reshape(r.dx.shape))


def linear_no_bias_dW_transposed(x, W, g):
    r = dense.linear_no_bias_backward(x, W, g)
    return r._replace(dW=r.dW.T)


# --- convolution -----------------------------------------------------------------------------------------
def conv2d_dw_flipped(x, w, b, g, *, stride=1, padding=0, dilation=1):
    r = cv.conv2d_backward(x, w, b, g, stride=stride, padding=padding, dilation=dilation)
    return r._replace(dw=r.dw[:, :, ::-1, ::-1].copy())


def conv2d_dx_kernel_not_rotated(x, w, b, g, *, stride=1, padding=0, dilation=1):
    r = cv.conv2d_backward(x, w, b, g, stride=stride, padding=padding, dilation=dilation)
    w = as_f64("conv2d_dx_kernel_not_rotated", "w", w)
    # conv2d_backward_via_flip rotates the kernel it is given; hand it a pre-rotated one so it cancels.
    wrong = cf.conv2d_backward_via_flip(x, w[:, :, ::-1, ::-1], b, g, stride=stride, padding=padding,
                                        dilation=dilation)
    return r._replace(dx=wrong.dx)


def conv2d_stride_ignored(x, w, b, g, *, stride=1, padding=0, dilation=1):
    fn = "conv2d_stride_ignored"
    r = cv.conv2d_backward(x, w, b, g, stride=stride, padding=padding, dilation=dilation)
    x, w, g = as_f64(fn, "x", x), as_f64(fn, "w", w), as_f64(fn, "g", g)
    xb, unbatched = cv._batched(fn, x)
    gb = g[None] if unbatched else g
    geo = cv.conv2d_geometry(fn, xb.shape, w.shape, stride, padding, dilation)
    (ph, pw), (dh, dw_), (Ho, Wo) = geo.padding, geo.dilation, geo.out_hw
    xp = np.pad(xb, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for m in range(w.shape[2]):
        for q in range(w.shape[3]):
            win = (slice(None), slice(None), slice(m * dh, m * dh + Ho), slice(q * dw_, q * dw_ + Wo))
            dxp[win] += np.einsum("nkij,kc->ncij", gb, w[:, :, m, q])
            dw[:, :, m, q] = np.einsum("nkij,ncij->kc", gb, xp[win])
    dx = dxp[:, :, ph:ph + xb.shape[2], pw:pw + xb.shape[3]]
    return r._replace(dx=dx[0] if unbatched else dx, dw=dw)


def true_conv_same_kernel_not_flipped(x, w, g, *, w_origin=None):
    fn = "true_conv_same_kernel_not_flipped"
    r = cf.true_conv_same_backward(x, w, g, w_origin=w_origin)
    x, w, w_lo = cf._true_conv_same_args(fn, x, w, w_origin)
    return r._replace(dx=cf.true_conv_indexed(as_f64(fn, "g", g), (0, 0), w, w_lo, (0, 0), x.shape))


def true_conv_same_x_not_flipped(x, w, g, *, w_origin=None):
    fn = "true_conv_same_x_not_flipped"
    r = cf.true_conv_same_backward(x, w, g, w_origin=w_origin)
    x, w, w_lo = cf._true_conv_same_args(fn, x, w, w_origin)
    return r._replace(dw=cf.true_conv_indexed(as_f64(fn, "g", g), (0, 0), x, (0, 0), w_lo, w.shape))


def conv_full_layer_kernel_flipped(X, W, g):
    W = as_f64("conv_full_layer_kernel_flipped", "W", W)
    r = ff.conv_full_layer_backward(X, W, g)
    wrong = ff.conv_full_layer_backward(X, W[:, :, ::-1, ::-1], g)
    return r._replace(dX=wrong.dX)


# --- pooling ---------------------------------------------------------------------------------------------
def max_pool_ties_to_one(x, g, *, kernel_size, stride=None, padding=0, tie="first"):
    return pool.max_pool2d_backward(x, g, kernel_size=kernel_size, stride=stride, padding=padding,
                                    tie="first")


def max_pool_ties_to_all(x, g, *, kernel_size, stride=None, padding=0, tie="first"):
    return pool.max_pool2d_backward(x, g, kernel_size=kernel_size, stride=stride, padding=padding,
                                    tie="all")


def _stride_one_g(fn: str, x, g, kernel_size, stride, padding) -> tuple[np.ndarray, np.ndarray]:
    """Embed g (computed with the real stride) into the output grid of a stride-1 pooling."""
    x, g = as_f64(fn, "x", x), as_f64(fn, "g", g)
    xb = x[None] if x.ndim == 3 else x
    gb = g[None] if x.ndim == 3 else g
    pool.pool2d_geometry(fn, xb.shape, kernel_size, stride, padding)
    geo1 = pool.pool2d_geometry(fn, xb.shape, kernel_size, 1, padding)
    g1 = np.zeros(xb.shape[:2] + geo1.out_hw)
    g1[:, :, :gb.shape[2], :gb.shape[3]] = gb
    return x, (g1[0] if x.ndim == 3 else g1)


def max_pool_stride_ignored(x, g, *, kernel_size, stride=None, padding=0, tie="first"):
    pool.max_pool2d_backward(x, g, kernel_size=kernel_size, stride=stride, padding=padding, tie=tie)  # checks
    x, g1 = _stride_one_g("max_pool_stride_ignored", x, g, kernel_size, stride, padding)
    return pool.max_pool2d_backward(x, g1, kernel_size=kernel_size, stride=1, padding=padding, tie=tie)


def max_pool_whole_window(x, g, *, kernel_size, stride=None, padding=0, tie="first"):
    pool.max_pool2d_backward(x, g, kernel_size=kernel_size, stride=stride, padding=padding, tie=tie)
    k = pair("max_pool_whole_window", "kernel_size", kernel_size, 1)
    r = pool.avg_pool2d_backward(x, g, kernel_size=kernel_size, stride=stride, padding=padding)
    return InputGrad(dx=r.dx * (k[0] * k[1]))


def avg_pool_missing_division(x, g, *, kernel_size, stride=None, padding=0, count_include_pad=True):
    k = pair("avg_pool_missing_division", "kernel_size", kernel_size, 1)
    r = pool.avg_pool2d_backward(x, g, kernel_size=kernel_size, stride=stride, padding=padding,
                                 count_include_pad=True)
    return InputGrad(dx=r.dx * (k[0] * k[1]))


def avg_pool_stride_ignored(x, g, *, kernel_size, stride=None, padding=0, count_include_pad=True):
    pool.avg_pool2d_backward(x, g, kernel_size=kernel_size, stride=stride, padding=padding)  # checks
    x, g1 = _stride_one_g("avg_pool_stride_ignored", x, g, kernel_size, stride, padding)
    return pool.avg_pool2d_backward(x, g1, kernel_size=kernel_size, stride=1, padding=padding,
                                    count_include_pad=count_include_pad)


# --- activations -----------------------------------------------------------------------------------------
def relu_one_at_zero(x, g, *, kink="negative"):
    x, g = act._xg("relu_one_at_zero", x, g)
    return InputGrad(dx=np.where(x >= 0, g, 0.0))


def relu_mask_from_gradient(x, g, *, kink="negative"):
    x, g = act._xg("relu_mask_from_gradient", x, g)
    return InputGrad(dx=np.where(g > 0, g, 0.0))


def leaky_slope_forgotten(x, g, *, slope=0.01, kink="negative"):
    return act.relu_backward(x, g, kink=kink)


def leaky_slope_wrong_side(x, g, *, slope=0.01, kink="negative"):
    x, g = act._xg("leaky_slope_wrong_side", x, g)
    return InputGrad(dx=np.where(act._positive_side("leaky_slope_wrong_side", x, kink), slope * g, g))


def prelu_dalpha_all_inputs(x, alpha, g, *, channel_axis=1, kink="negative"):
    fn = "prelu_dalpha_all_inputs"
    r = act.prelu_backward(x, alpha, g, channel_axis=channel_axis, kink=kink)
    x, g = act._xg(fn, x, g)
    a_in, _ = act._alpha(fn, x, alpha, channel_axis)
    return r._replace(dalpha=act._reduce_to_alpha(g * x, a_in, channel_axis))


def prelu_dalpha_uses_alpha(x, alpha, g, *, channel_axis=1, kink="negative"):
    fn = "prelu_dalpha_uses_alpha"
    r = act.prelu_backward(x, alpha, g, channel_axis=channel_axis, kink=kink)
    x, g = act._xg(fn, x, g)
    a_in, a = act._alpha(fn, x, alpha, channel_axis)
    return r._replace(dalpha=act._reduce_to_alpha(np.where(x < 0, g * a, 0.0), a_in, channel_axis))


def tanh_uses_input(x, g):
    x, g = act._xg("tanh_uses_input", x, g)
    return InputGrad(dx=g * (1.0 - x * x))


def tanh_missing_square(x, g):
    x, g = act._xg("tanh_missing_square", x, g)
    return InputGrad(dx=g * (1.0 - np.tanh(x)))


def sigmoid_uses_input(x, g):
    x, g = act._xg("sigmoid_uses_input", x, g)
    return InputGrad(dx=g * x * (1.0 - x))


# --- dropout ---------------------------------------------------------------------------------------------
def dropout_mask_not_applied(x, mask, g, *, p=0.5, inverted=False, train=True):
    r = dp.dropout_backward(x, mask, g, p=p, inverted=inverted, train=train)
    return InputGrad(dx=np.broadcast_to(as_f64("dropout_mask_not_applied", "g", g), r.dx.shape).copy())


def dropout_scale_forgotten(x, mask, g, *, p=0.5, inverted=False, train=True):
    return dp.dropout_backward(x, mask, g, p=p, inverted=False, train=train)


def dropout_scale_multiplied(x, mask, g, *, p=0.5, inverted=False, train=True):
    r = dp.dropout_backward(x, mask, g, p=p, inverted=False, train=train)
    return InputGrad(dx=r.dx * (1.0 - p) if (inverted and train) else r.dx)


# --- batch norm ------------------------------------------------------------------------------------------
def bn_stats_constant(x, gamma, beta, g, *, eps=1e-5):
    fn = "bn_stats_constant"
    r = norm.batch_norm_backward(x, gamma, beta, g, eps=eps)
    x, gamma_b, _, axes, _ = norm._bn_prep(fn, x, gamma, beta)
    _, std = norm._normalise(x, axes, eps)
    return r._replace(dx=gamma_b * as_f64(fn, "g", g) / std)


def bn_mean_path_forgotten(x, gamma, beta, g, *, eps=1e-5):
    fn = "bn_mean_path_forgotten"
    r = norm.batch_norm_backward(x, gamma, beta, g, eps=eps)
    x, gamma_b, _, axes, m = norm._bn_prep(fn, x, gamma, beta)
    xhat, std = norm._normalise(x, axes, eps)
    g = as_f64(fn, "g", g)
    return r._replace(dx=gamma_b / (m * std) * (m * g - xhat * (g * xhat).sum(axis=axes, keepdims=True)))


def bn_dgamma_without_xhat(x, gamma, beta, g, *, eps=1e-5):
    r = norm.batch_norm_backward(x, gamma, beta, g, eps=eps)
    return r._replace(dgamma=r.dbeta.copy())


def bn498_sigma_constant(X, g, *, eps=1e-5, per_feature=False):
    fn = "bn498_sigma_constant"
    norm.batch_norm_one_sigma_backward(X, g, eps=eps, per_feature=per_feature)
    _, _, _, sigma = norm._one_sigma_prep(fn, X, eps, per_feature)
    g = as_f64(fn, "g", g)
    return norm.BatchNormOneSigmaGrad(dX=(g - g.mean(axis=0)) / sigma)


def bn498_mean_constant(X, g, *, eps=1e-5, per_feature=False):
    fn = "bn498_mean_constant"
    norm.batch_norm_one_sigma_backward(X, g, eps=eps, per_feature=per_feature)
    _, _, D, sigma = norm._one_sigma_prep(fn, X, eps, per_feature)
    g = as_f64(fn, "g", g)
    dots = (g * D).sum(axis=0) if per_feature else (g * D).sum()
    return norm.BatchNormOneSigmaGrad(dX=g / sigma - D * dots / sigma**3)


def bn498_sigma_with_1_over_n(X, g, *, eps=1e-5, per_feature=False):
    fn = "bn498_sigma_with_1_over_n"
    norm.batch_norm_one_sigma_backward(X, g, eps=eps, per_feature=per_feature)
    X = as_f64(fn, "X", X)
    n = X.shape[0]
    # σ' = √((1/n) Σ ||X_j − μ||² + ε) = √(Σ ||X_j − μ||² + nε) / √n, so Y' = √n · Y(eps = n·eps).
    r = norm.batch_norm_one_sigma_backward(X, g, eps=n * eps, per_feature=per_feature)
    return norm.BatchNormOneSigmaGrad(dX=np.sqrt(n) * r.dX)


# --- softmax family --------------------------------------------------------------------------------------
def softmax_diagonal_only(z, g, *, axis=-1):
    fn = "softmax_diagonal_only"
    softmax.softmax_backward(z, g, axis=axis)
    p = softmax.softmax(z, axis=axis)
    return softmax.SoftmaxGrad(dz=as_f64(fn, "g", g) * p * (1.0 - p))


def softmax_missing_p_factor(z, g, *, axis=-1):
    fn = "softmax_missing_p_factor"
    softmax.softmax_backward(z, g, axis=axis)
    p = softmax.softmax(z, axis=axis)
    g = as_f64(fn, "g", g)
    return softmax.SoftmaxGrad(dz=g - (g * p).sum(axis=axis, keepdims=True))


def log_softmax_missing_softmax_term(z, g, *, axis=-1):
    softmax.log_softmax_backward(z, g, axis=axis)
    return softmax.SoftmaxGrad(dz=as_f64("log_softmax_missing_softmax_term", "g", g).copy())


def _batch_size(scores) -> int:
    return 1 if np.ndim(scores) <= 1 else int(np.shape(scores)[0])


def _scaled(rule: Callable, factor: Callable, name: str) -> Callable:
    """A mistake that multiplies every gradient of ``rule`` by ``factor(args, kwargs)``; same signature."""

    def wrong(*args, **kwargs):
        r = rule(*args, **kwargs)
        f = factor(args, kwargs)
        return type(r)(*(d * f for d in r))

    wrong.__name__ = wrong.__qualname__ = name
    wrong.__wrapped__ = rule  # inspect.signature(wrong) == inspect.signature(rule)
    return wrong


def ce_forgot_minus_one(scores, labels, g=1.0):
    fn = "ce_forgot_minus_one"
    r = softmax.cross_entropy_backward(scores, labels, g)
    scores, t, N = softmax._targets(fn, scores, labels)
    return r._replace(dscores=softmax._scalar_g(fn, g) * softmax.softmax(scores) / N)


def hinge_label_ignored(scores, labels, g=1.0):
    fn = "hinge_label_ignored"
    r = losses.hinge_loss_backward(scores, labels, g)
    s, y = losses._binary(fn, scores, labels)
    active = 1.0 - losses._pm1(fn, y) * s > 0
    return r._replace(dscores=softmax._scalar_g(fn, g) * np.where(active, -1.0, 0.0) / s.size)


def svm_correct_class_not_updated(scores, labels, g=1.0, *, margin=1.0, divide_by_classes=False):
    fn = "svm_correct_class_not_updated"
    r = losses.multi_margin_loss_backward(scores, labels, g, margin=margin,
                                          divide_by_classes=divide_by_classes)
    s, y = losses._multiclass(fn, scores, labels)
    d = r.dscores.reshape(s.shape).copy()
    d[np.arange(s.shape[0]), y] = 0.0
    return r._replace(dscores=d.reshape(r.dscores.shape))


def mse_missing_factor_2(y, t, g=1.0, *, reduction="mean", half=False):
    r = losses.mse_loss_backward(y, t, g, reduction=reduction, half=half)
    return r if half else r._replace(dy=r.dy / 2.0)


def weight_decay_half_mishandled(W, g=1.0, *, lam, half=True):
    r = losses.weight_decay_backward(W, g, lam=lam, half=half)
    return r._replace(dW=r.dW * (2.0 if half else 0.5))


def _neg(args, kwargs) -> float:
    return -1.0


def _batch(args, kwargs) -> int:
    return _batch_size(args[0])


def _n_binary(args, kwargs) -> int:
    return int(np.size(args[0]))  # binary losses: every score is one example


def _size_if_mean(args, kwargs) -> int:
    return int(np.size(args[0])) if kwargs.get("reduction", "mean") == "mean" else 1


def _missing_1_over_n(rule: Callable, size: Callable = _batch) -> Mistake:
    return Mistake("missing_1_over_N", "the loss is a batch MEAN but the gradient was not divided by N",
                   _scaled(rule, size, f"{rule.__name__}_missing_1_over_N"))


def _sign_flipped(rule: Callable, what: str) -> Mistake:
    return Mistake("sign_flipped", f"every gradient has the wrong sign ({what})",
                   _scaled(rule, _neg, f"{rule.__name__}_sign_flipped"))


MISTAKES: RuleTable = RuleTable({
    "linear": [
        Mistake("dW_transposed", "∂L/∂W written as x·(∂L/∂y)ᵀ, the transpose of (∂L/∂y)·xᵀ",
                linear_dW_transposed),
        Mistake("dx_W_not_transposed", "∂L/∂x computed as W·∂L/∂y instead of Wᵀ·∂L/∂y",
                linear_dx_W_not_transposed),
        Mistake("db_mean_over_batch", "∂L/∂b averaged over the batch columns instead of summed",
                linear_db_mean),
    ],
    "linear_rows": [
        Mistake("dW_transposed", "∂L/∂W written as Gᵀ·X, the transpose of Xᵀ·G", linear_rows_dW_transposed),
        Mistake("db_mean_over_batch", "∂L/∂b averaged over the batch rows instead of summed",
                linear_rows_db_mean),
    ],
    "linear_no_bias": [
        Mistake("A_not_transposed", "∂L/∂x = A·B (W·∂L/∂y) instead of Aᵀ·B", linear_no_bias_A_not_transposed),
        Mistake("dW_transposed", "∂L/∂W written as x·Bᵀ instead of B·xᵀ", linear_no_bias_dW_transposed),
    ],
    "conv2d": [
        Mistake("dw_flipped", "∂L/∂w rotated by 180°: the true-convolution flip applied to a correlation",
                conv2d_dw_flipped),
        Mistake("dx_kernel_not_rotated", "∂L/∂x as a full correlation with the kernel NOT rotated by 180°",
                conv2d_dx_kernel_not_rotated),
        Mistake("stride_ignored", "backward scatters/gathers as if the stride were 1", conv2d_stride_ignored),
    ],
    "true_conv_same": [
        Mistake("kernel_not_flipped", "∂L/∂x = ∂L/∂y ⋆ w instead of ∂L/∂y ⋆ w̃ (kernel not flipped)",
                true_conv_same_kernel_not_flipped),
        Mistake("x_not_flipped", "∂L/∂w = ∂L/∂y ⋆ x instead of ∂L/∂y ⋆ x̃ (input not flipped)",
                true_conv_same_x_not_flipped),
    ],
    "conv_full_layer": [
        Mistake("kernel_flipped", "∂L/∂X = Σ_f ∂L/∂Y *filt rot180(W): kernel flipped though *filt needs none",
                conv_full_layer_kernel_flipped),
    ],
    "max_pool2d": [
        Mistake("ties_to_one", "tied maxima: only the first gets the gradient (whatever rule was asked)",
                max_pool_ties_to_one),
        Mistake("ties_to_all", "tied maxima: every tied position gets the full gradient (whatever was asked)",
                max_pool_ties_to_all),
        Mistake("stride_ignored", "windows placed at stride 1 in the backward pass", max_pool_stride_ignored),
        Mistake("whole_window", "the gradient is copied to every position of the window, not just the max",
                max_pool_whole_window),
    ],
    "avg_pool2d": [
        Mistake("missing_division", "each window position gets ∂L/∂y instead of ∂L/∂y divided by the window "
                "size", avg_pool_missing_division),
        Mistake("stride_ignored", "windows placed at stride 1 in the backward pass", avg_pool_stride_ignored),
    ],
    "relu": [
        Mistake("one_at_zero", "relu'(0) taken as 1 whatever kink was asked (the default convention is 0)",
                relu_one_at_zero),
        Mistake("mask_from_gradient", "the ReLU applied to the upstream gradient instead of masking by x > 0",
                relu_mask_from_gradient),
    ],
    "leaky_relu": [
        Mistake("slope_forgotten", "negative side gets 0 instead of slope·∂L/∂y (plain ReLU backward)",
                leaky_slope_forgotten),
        Mistake("slope_wrong_side", "the slope applied on the positive side instead of the negative side",
                leaky_slope_wrong_side),
    ],
    "prelu": [
        Mistake("dalpha_all_inputs", "∂L/∂α summed g·x over ALL inputs, not only the negative ones",
                prelu_dalpha_all_inputs),
        Mistake("dalpha_uses_alpha", "∂L/∂α summed g·α instead of g·x over the negative inputs",
                prelu_dalpha_uses_alpha),
    ],
    "tanh": [
        Mistake("uses_input", "1 − z² (the input) instead of 1 − y² (the output)", tanh_uses_input),
        Mistake("missing_square", "1 − y instead of 1 − y²", tanh_missing_square),
    ],
    "sigmoid": [
        Mistake("uses_input", "z(1 − z) instead of σ(z)(1 − σ(z))", sigmoid_uses_input),
    ],
    "dropout": [
        Mistake("mask_not_applied", "∂L/∂X = ∂L/∂Y, the mask forgotten in the backward pass",
                dropout_mask_not_applied),
        Mistake("inverted_scale_forgotten", "inverted dropout: the 1/(1 − p) factor left out of the backward",
                dropout_scale_forgotten),
        Mistake("scale_multiplied", "inverted dropout: multiplied by (1 − p) instead of divided",
                dropout_scale_multiplied),
    ],
    "batch_norm": [
        Mistake("stats_treated_as_constants", "∂L/∂x = γ g/σ: μ and σ² treated as constants",
                bn_stats_constant),
        Mistake("mean_path_forgotten", "the −Σg term (gradient through μ) left out of ∂L/∂x",
                bn_mean_path_forgotten),
        Mistake("dgamma_without_xhat", "∂L/∂γ = Σ g, the x̂ factor forgotten", bn_dgamma_without_xhat),
    ],
    "batch_norm_one_sigma": [
        Mistake("sigma_constant", "σ treated as a constant (no ∂σ/∂X_i term)", bn498_sigma_constant),
        Mistake("mean_constant", "μ treated as a constant (no −mean(G) term)", bn498_mean_constant),
        Mistake("sigma_with_1_over_n", "σ computed with the usual 1/n the handout does not have",
                bn498_sigma_with_1_over_n),
    ],
    "softmax": [
        Mistake("diagonal_only", "only the diagonal of the Jacobian: g ⊙ p(1 − p)", softmax_diagonal_only),
        Mistake("missing_p_factor", "g − Σ g p without the leading p ⊙", softmax_missing_p_factor),
    ],
    "log_softmax": [
        Mistake("missing_softmax_term", "∂L/∂z = g: the −p Σ g term through the normaliser forgotten",
                log_softmax_missing_softmax_term),
    ],
    "cross_entropy": [
        _missing_1_over_n(softmax.cross_entropy_backward),
        _sign_flipped(softmax.cross_entropy_backward, "t − p instead of p − t"),
        Mistake("forgot_minus_one", "∂L/∂s = p: the −1 at the ground-truth class forgotten",
                ce_forgot_minus_one),
    ],
    "nll": [
        _missing_1_over_n(softmax.nll_loss_backward),
        _sign_flipped(softmax.nll_loss_backward, "+1/N at the label"),
    ],
    "logistic_loss": [
        _missing_1_over_n(losses.logistic_loss_backward, _n_binary),
        _sign_flipped(losses.logistic_loss_backward, "y − σ(s) instead of σ(s) − y"),
    ],
    "hinge_loss": [
        _missing_1_over_n(losses.hinge_loss_backward, _n_binary),
        Mistake("label_ignored", "−1 instead of −y on the active margins (the label forgotten)",
                hinge_label_ignored),
    ],
    "multi_margin_loss": [
        _missing_1_over_n(losses.multi_margin_loss_backward),
        Mistake("correct_class_not_updated", "the −(number of active margins) at the true class forgotten",
                svm_correct_class_not_updated),
    ],
    "mse_loss": [
        _missing_1_over_n(losses.mse_loss_backward, _size_if_mean),
        _sign_flipped(losses.mse_loss_backward, "t − y instead of y − t"),
        Mistake("missing_factor_2", "∂(y − t)²/∂y taken as (y − t) instead of 2(y − t)",
                mse_missing_factor_2),
    ],
    "weight_decay": [
        Mistake("half_mishandled", "λW and 2λW swapped: the ½ in ½λ||W||² handled the wrong way",
                weight_decay_half_mishandled),
    ],
})


for _rule, _mistakes in MISTAKES.items():
    for _m in _mistakes:
        _m.fn.__doc__ = f"MISTAKE for rule {_rule!r} ({_m.name}): {_m.description}."
del _rule, _mistakes, _m


#: Course-code names → descriptive names. Each old name below is the very same object as its new name, so
#: lecture code, notebooks and graders' scripts written against the old names keep running.
COURSE_NAMES = {
    "eecs498_dW_transposed": "linear_rows_dW_transposed",
    "eecs498_db_mean": "linear_rows_db_mean",
    "cs4670_A_not_transposed": "linear_no_bias_A_not_transposed",
    "cs4670_dW_transposed": "linear_no_bias_dW_transposed",
    "cs4670_kernel_not_flipped": "true_conv_same_kernel_not_flipped",
    "cs4670_x_not_flipped": "true_conv_same_x_not_flipped",
    "eecs498_kernel_flipped": "conv_full_layer_kernel_flipped",
}
eecs498_dW_transposed = linear_rows_dW_transposed
eecs498_db_mean = linear_rows_db_mean
cs4670_A_not_transposed = linear_no_bias_A_not_transposed
cs4670_dW_transposed = linear_no_bias_dW_transposed
cs4670_kernel_not_flipped = true_conv_same_kernel_not_flipped
cs4670_x_not_flipped = true_conv_same_x_not_flipped
eecs498_kernel_flipped = conv_full_layer_kernel_flipped
