"""The autodiff side of every closed-form rule: the same layer written as a composition of primitives.

``COMPOSITIONS[name](*inputs, **params)`` has the signature of ``closed_form.CLOSED_FORMS[name].forward``; the
differentiated inputs (``rec.wrt``) arrive as :class:`~microgradnet.Tensor` leaves, the others (labels, a dropout
mask, a regression target) as the plain arrays of the case. It returns a Tensor; the engine's backward of
``Σ out ⊙ g`` is what the checker compares with the closed form. No derivative is written here: each function is
``microgradnet.functional`` (looked up at call time, so a test can monkeypatch it) or Tensor operations, with the
seed's convention made explicit where it differs from PyTorch's:

- ``linear``: CSC 249's columns ``y = Wx + b`` is ``F.linear`` on the transposed batch;
  ``linear_rows``: ``Y = WᵀX + b`` with rows is ``F.linear(X, Wᵀ, b)``; ``linear_no_bias``: ``y = Wx``.
- ``true_conv_same`` (a TRUE convolution, output sized like x, kernel origin ``w_origin``) and ``conv_full_layer``
  (``*full``) are ``F.conv2d`` on a flipped kernel (indexing ``[::-1]``) with the matching zero padding;
  ``conv_filt_layer`` (``*filt``) is ``F.conv2d`` as is.
- ``max_pool2d``: ``F.max_pool2d(..., tie=tie)`` — the same three tie rules as the closed form.
- ``batch_norm``: ``F.batch_norm`` in training mode without running statistics; ``batch_norm_one_sigma``: the handout's
  literal σ = √(Σ_j ||X_j − μ||² + ε) (no 1/n, one scalar — or one per feature), written here with Tensor ops.
- ``dropout``: a FIXED mask. Inverted dropout is ``F.dropout`` drawing the case's mask (a stand-in generator whose
  ``random()`` returns 1 where the mask keeps, −1 where it drops); the handout form ``Y = X ⊙ M`` / test-time
  ``(1 − p)X`` are Tensor products.
- ``multi_margin_loss``: the closed form follows cs231n (no division by the number of classes K) unless
  ``divide_by_classes``, which is ``F.multi_margin_loss(form='pytorch')``.
- ``logistic_loss`` is ``F.binary_cross_entropy_with_logits``; ``mse_loss``'s ``half`` multiplies by ½;
  ``weight_decay`` (½λΣW², or λΣW² without the ½) is ``F.l2_penalty``.
"""

from __future__ import annotations

import numpy as np

from .. import functional as F
from ..args import as_pair
from ..closed_form.registry import RuleTable
from ..tensor import Tensor

__all__ = ["COMPOSITIONS"]


# ----------------------------------------------------------------------------------------------------- dense
def linear_columns(x: Tensor, W: Tensor, b: Tensor) -> Tensor:
    """``y = W x + b`` with x a column (L,), (L, 1) or a batch of columns (L, B): ``F.linear(xᵀ, W, b)ᵀ``."""
    cols = x.reshape(x.shape[0], -1)
    y = F.linear(cols.T, W, b.reshape(-1)).T
    return y.reshape((W.shape[0],) if x.ndim == 1 else (W.shape[0], x.shape[1]))


def linear_rows(X: Tensor, W: Tensor, b: Tensor) -> Tensor:
    """``Y = Wᵀ X + b``, one instance per row (N, d_k) (or (N, d1, …) flattened): ``F.linear(X, Wᵀ, b)``."""
    if X.ndim <= 2:
        return F.linear(X, W.T, b)
    return F.linear(X.reshape(X.shape[0], -1), W.T, b)


def linear_no_bias(x: Tensor, W: Tensor) -> Tensor:
    """``y = W x`` (no bias), columns as in :func:`linear_columns`."""
    y = F.linear(x.reshape(x.shape[0], -1).T, W).T
    return y.reshape((W.shape[0],) if x.ndim == 1 else (W.shape[0], x.shape[1]))


# ----------------------------------------------------------------------------------------------------- conv
def conv2d(x: Tensor, w: Tensor, b: Tensor | None = None, *, stride=1, padding=0, dilation=1) -> Tensor:
    """CSC 249's cross-correlation layer: ``F.conv2d``."""
    return F.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation)


def conv2d_chw(z: Tensor, weight: Tensor, bias: Tensor, *, stride=1, padding=0) -> Tensor:
    """Tsinghua's ``y(j) = bias(j) + Σ_k weight(j,k) ⋆ z(k)`` on an unbatched (C, H, W) input: ``F.conv2d``."""
    return F.conv2d(z, weight, bias, stride=stride, padding=padding)


def true_conv_same(x: Tensor, w: Tensor, *, w_origin=None) -> Tensor:
    """CS 4670 eq. (2) ``y[e, f] = Σ_{a,b} x[a, b] w[e − a, f − b]``, y sized like x, w[c, d] stored at
    ``w[c + oh, d + ow]``.

    Substituting the storage index c' = c + oh and m = kH − 1 − c'::

        y[e, f] = Σ_{m,q} x[e + m − (kH − 1 − oh), f + q − (kW − 1 − ow)] · w[kH − 1 − m, kW − 1 − q]

    i.e. a cross-correlation of x zero-padded by (kH − 1 − oh) on top, oh below, (kW − 1 − ow) left, ow right with
    the flipped kernel ``w[::-1, ::-1]``.
    """
    kh, kw = w.shape
    oh, ow = (kh // 2, kw // 2) if w_origin is None else as_pair(w_origin)
    if not (0 <= oh < kh and 0 <= ow < kw):
        raise ValueError(f"true_conv_same (autodiff): w_origin {(oh, ow)} must lie inside the {kh}×{kw} kernel")
    H, W = x.shape
    xp = F.pad(x.reshape(1, 1, H, W), (kw - 1 - ow, ow, kh - 1 - oh, oh))
    return F.conv2d(xp, w[::-1, ::-1].reshape(1, 1, kh, kw)).reshape(H, W)


def conv_full_layer(X: Tensor, W: Tensor) -> Tensor:
    """EECS 498 ``Y_nf = Σ_c X_nc *full W_fc``, ``(a *full b)[i, j] = Σ a[m, n] b[i − m, j − n]``: a
    cross-correlation of X zero-padded by (H' − 1, W' − 1) with the flipped kernel ``W[:, :, ::-1, ::-1]``."""
    kh, kw = W.shape[2:]
    return F.conv2d(X, W[:, :, ::-1, ::-1], padding=(kh - 1, kw - 1))


def conv_filt_layer(X: Tensor, W: Tensor) -> Tensor:
    """``Y_nf = Σ_c X_nc *filt W_fc``, ``(a *filt b)[i, j] = Σ a[i + m, j + n] b[m, n]``: ``F.conv2d`` as is."""
    return F.conv2d(X, W)


# ----------------------------------------------------------------------------------------------------- pooling
def max_pool2d(x: Tensor, *, kernel_size, stride=None, padding=0, tie="first") -> Tensor:
    """``F.max_pool2d`` with the case's tie rule ('all' is CSC 249 HW2 P5's)."""
    return F.max_pool2d(x, kernel_size, stride=stride, padding=padding, tie=tie)


def avg_pool2d(x: Tensor, *, kernel_size, stride=None, padding=0, count_include_pad=True) -> Tensor:
    return F.avg_pool2d(x, kernel_size, stride=stride, padding=padding, count_include_pad=count_include_pad)


# ----------------------------------------------------------------------------------------------------- activations
def relu(x: Tensor) -> Tensor:
    return F.relu(x)


def leaky_relu(x: Tensor, *, slope=0.01) -> Tensor:
    return F.leaky_relu(x, slope)


def prelu(x: Tensor, alpha: Tensor, *, channel_axis=1) -> Tensor:
    """``F.prelu``; its weight is 1-D (1 or C slopes, C on dimension 1), so a 0-d α is reshaped to (1,)."""
    if channel_axis != 1:
        raise ValueError(f"prelu (autodiff): F.prelu puts the channels on dimension 1, got channel_axis={channel_axis}")
    return F.prelu(x, alpha.reshape(1) if alpha.ndim == 0 else alpha)


def tanh(x: Tensor) -> Tensor:
    return F.tanh(x)


def sigmoid(x: Tensor) -> Tensor:
    return F.sigmoid(x)


class _MaskDraw:
    """Stands in for a numpy Generator in ``F.dropout``: ``random(shape)`` returns 1 where the fixed mask keeps an
    element and −1 where it drops one, so ``random(shape) >= p`` is exactly the mask for every 0 ≤ p < 1."""

    def __init__(self, mask: np.ndarray):
        self.mask = np.asarray(mask)

    def random(self, shape):
        if tuple(shape) != self.mask.shape:
            raise ValueError(f"dropout (autodiff): the fixed mask has shape {self.mask.shape}, the input {shape}")
        return np.where(self.mask == 1, 1.0, -1.0)


def dropout(x: Tensor, mask, *, p=0.5, inverted=False, train=True) -> Tensor:
    """Inverted: ``F.dropout`` with the case's mask (``X ⊙ M/(1 − p)`` in training, ``X`` in evaluation); the handout
    form: ``X ⊙ M`` in training, ``(1 − p) X`` at test time."""
    if inverted:
        return F.dropout(x, p, training=train, generator=_MaskDraw(mask))
    if train:
        return x * np.asarray(mask, dtype=np.float64)
    return x * (1.0 - p)


# ----------------------------------------------------------------------------------------------------- norm
def batch_norm(x: Tensor, gamma: Tensor, beta: Tensor, *, eps=1e-5) -> Tensor:
    """``F.batch_norm`` in training mode (batch statistics, biased variance), no running statistics."""
    return F.batch_norm(x, None, None, gamma, beta, training=True, eps=eps)


def batch_norm_one_sigma(X: Tensor, *, eps=1e-5, per_feature=False) -> Tensor:
    """EECS 498 HW1 §1.4 literally: ``Y_i = (X_i − μ)/σ``, ``σ = √(Σ_j ||X_j − μ||² + ε)`` (no 1/n; one σ for the
    batch, or one per feature with ``per_feature``)."""
    D = X - X.mean(0, keepdim=True)
    sq = (D * D).sum(0, keepdim=True) if per_feature else (D * D).sum()
    return D / (sq + eps).sqrt()


# ----------------------------------------------------------------------------------------------------- softmax
def softmax(z: Tensor, *, axis=-1) -> Tensor:
    return F.softmax(z, axis)


def log_softmax(z: Tensor, *, axis=-1) -> Tensor:
    return F.log_softmax(z, axis)


def cross_entropy(scores: Tensor, labels) -> Tensor:
    """Mean softmax cross-entropy from class indices or a target distribution: ``F.cross_entropy``."""
    lab = np.asarray(labels)
    return F.cross_entropy(scores, lab.astype(np.float64) if lab.shape == scores.shape else lab)


def nll(logp: Tensor, labels) -> Tensor:
    return F.nll_loss(logp, np.asarray(labels))


# ----------------------------------------------------------------------------------------------------- losses
def logistic_loss(scores: Tensor, labels) -> Tensor:
    """``mean(log(1 + e^s) − y s)``: ``F.binary_cross_entropy_with_logits`` (labels reshaped to the scores)."""
    y = np.asarray(labels, dtype=np.float64).reshape(scores.shape)
    return F.binary_cross_entropy_with_logits(scores, y)


def hinge_loss(scores: Tensor, labels) -> Tensor:
    return F.hinge_loss(scores, np.asarray(labels))


def multi_margin_loss(scores: Tensor, labels, *, margin=1.0, divide_by_classes=False) -> Tensor:
    """cs231n's SVM (``form='cs231n'``, no 1/K) or, with ``divide_by_classes``, PyTorch's (``form='pytorch'``)."""
    return F.multi_margin_loss(scores, np.asarray(labels), margin=margin,
                               form="pytorch" if divide_by_classes else "cs231n")


def mse_loss(y: Tensor, t, *, reduction="mean", half=False) -> Tensor:
    loss = F.mse_loss(y, np.asarray(t, dtype=np.float64), reduction=reduction)
    return loss * 0.5 if half else loss


def weight_decay(W: Tensor, *, lam, half=True) -> Tensor:
    """``½λΣW²`` (``F.l2_penalty(W, λ)``) or, without the ½, ``λΣW² = F.l2_penalty(W, 2λ)``."""
    return F.l2_penalty([W], lam if half else 2.0 * lam)


COMPOSITIONS = RuleTable({
    "linear": linear_columns,
    "linear_rows": linear_rows,
    "linear_no_bias": linear_no_bias,
    "conv2d": conv2d,
    "conv2d_chw": conv2d_chw,
    "true_conv_same": true_conv_same,
    "conv_full_layer": conv_full_layer,
    "conv_filt_layer": conv_filt_layer,
    "max_pool2d": max_pool2d,
    "avg_pool2d": avg_pool2d,
    "relu": relu,
    "leaky_relu": leaky_relu,
    "prelu": prelu,
    "tanh": tanh,
    "sigmoid": sigmoid,
    "dropout": dropout,
    "batch_norm": batch_norm,
    "batch_norm_one_sigma": batch_norm_one_sigma,
    "softmax": softmax,
    "log_softmax": log_softmax,
    "cross_entropy": cross_entropy,
    "nll": nll,
    "logistic_loss": logistic_loss,
    "hinge_loss": hinge_loss,
    "multi_margin_loss": multi_margin_loss,
    "mse_loss": mse_loss,
    "weight_decay": weight_decay,
})


#: Course-code names → descriptive names. Each old name below is the very same object as its new name, so
#: lecture code, notebooks and graders' scripts written against the old names keep running.
COURSE_NAMES = {
    "linear_csc249": "linear_columns",
    "linear_eecs498": "linear_rows",
    "linear_cs4670": "linear_no_bias",
    "conv2d_tsinghua": "conv2d_chw",
    "conv_cs4670": "true_conv_same",
    "conv_eecs498": "conv_full_layer",
    "conv_eecs498_valid": "conv_filt_layer",
    "batch_norm_eecs498": "batch_norm_one_sigma",
}
linear_csc249 = linear_columns
linear_eecs498 = linear_rows
linear_cs4670 = linear_no_bias
conv2d_tsinghua = conv2d_chw
conv_cs4670 = true_conv_same
conv_eecs498 = conv_full_layer
conv_eecs498_valid = conv_filt_layer
batch_norm_eecs498 = batch_norm_one_sigma
