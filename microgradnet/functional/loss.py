"""Losses: cross-entropy and NLL, MSE, L1, binary cross-entropy (on probabilities and on logits), hinge,
multiclass SVM, the L2 penalty."""

from __future__ import annotations

import numbers

import numpy as np

from ..tensor import Tensor, where
from ._checks import _broadcast_const, _check_range, _check_reduction, _class_labels, _const, _reduce, _tensor
from .activation import log_softmax, softplus
from .calls import layer


def _class_input(x: Tensor, t: np.ndarray, op: str):
    """(scores (M, C), labels (M,), shape of the per-example loss) from PyTorch's (N, C, d1, ...) / (C,) layouts."""
    if x.ndim == 0:
        raise ValueError(f"{op}: input must have a class dimension: (N, C), (C,) or (N, C, d1, ...), got a scalar")
    if x.ndim == 1:
        if t.ndim != 0:
            raise ValueError(f"{op}: for an unbatched input of shape {x.shape} the target must be one class index, "
                             f"got shape {t.shape}")
        return x.reshape(1, x.shape[0]), t.reshape(1), ()
    n, c = x.shape[:2]
    expected = (n,) + x.shape[2:]
    if t.shape != expected:
        raise ValueError(f"{op}: target of shape {t.shape} does not match input of shape {x.shape}: expected "
                         f"{expected} (one class index per example)")
    if x.ndim == 2:
        return x, t, (n,)
    perm = (0,) + tuple(range(2, x.ndim)) + (1,)
    return x.permute(*perm).reshape(-1, c), t.reshape(-1), expected


@layer
def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log likelihood: ℓ_n = −w[y_n] · x[n, y_n] for log-probabilities ``input`` (N, C) and class indices
    ``target`` (N,) (int; also (C,) with a single index, and (N, C, d1, …) with (N, d1, …)).

    'mean' divides by Σ_n w[y_n] (N without class weights), 'sum' adds, 'none' returns ℓ. Targets equal to
    ``ignore_index`` contribute nothing. The class ``weight`` is a constant. Composition: integer-array indexing
    (``getitem``, whose backward scatters −w into the picked cells) and a sum.
    """
    op = "nll_loss"
    _check_reduction(reduction, op)
    x = _tensor(input, op)
    t = _class_labels(target, op)
    xs, ts, out_shape = _class_input(x, t, op)
    c = xs.shape[1]
    valid = ts != ignore_index
    _check_range(ts, valid, c, op)
    safe = np.where(valid, ts, 0)
    picked = xs[np.arange(xs.shape[0]), safe]
    w = None
    if weight is not None:
        wd = _const(weight, op, "weight").astype(x.dtype)
        if wd.shape != (c,):
            raise ValueError(f"{op}: weight must have shape ({c},) (one per class), got {wd.shape}")
        w = wd[safe] * valid
    elif not valid.all():
        w = valid.astype(x.dtype)
    loss = -picked if w is None else -(picked * w)
    if reduction == "none":
        return loss.reshape(out_shape)
    if reduction == "sum":
        return loss.sum()
    if w is None:
        return loss.mean()
    total = float(w.sum())
    if total == 0.0:
        raise ValueError(f"{op}: every target is ignore_index ({ignore_index}) or has class weight 0, so the mean "
                         "is 0/0; use reduction='sum' or check the targets")
    return loss.sum() * (1.0 / total)


def _label_smoothing(v, op: str) -> float:
    """ε of label smoothing as a float; a number in [0, 1] or a ValueError naming ``op`` and the value."""
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
        raise TypeError(f"{op}: label_smoothing must be a number in [0, 1], got {v!r}")
    if not 0.0 <= float(v) <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be in [0, 1] (0 = no smoothing), got {v!r}")
    return float(v)


@layer
def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Softmax cross-entropy from logits: ℓ_n = −log softmax(x_n)[y_n] = −x[n, y_n] + log Σ_j e^(x[n, j]).

    CSC 249 HW2 P1, CS 4670 PA5 C, EN4553 A2 Q2: ∂ℓ/∂x = p − onehot(y) comes out of the tape. Equal to
    ``nll_loss(log_softmax(x, 1), target, …)``, stable for logits of ±1000. ``target`` is integer class indices
    as in :func:`nll_loss`, or class probabilities of the input's shape (float, PyTorch's soft targets: ℓ_n =
    −Σ_c w_c t_nc log p_nc, 'mean' divides by N).

    ``label_smoothing`` ε ∈ [0, 1] (PyTorch's), K classes: the target becomes (1 − ε)·onehot(y) + ε/K, i.e.

        ℓ_n = (1 − ε)·w[y_n]·(−log p_n[y_n]) + (ε/K)·Σ_k w_k·(−log p_n[k])

    (w = 1 without ``weight``); 'mean' divides the sum of both terms by Σ_n w[y_n] over the targets that are not
    ``ignore_index`` (rows with ``ignore_index`` contribute nothing to either term). Unweighted mean:
    ∂L/∂x_n = (p_n − (1 − ε)·onehot(y_n) − ε/K)/N. Class-probability targets t become (1 − ε)·t + ε/K.
    Composition: :func:`nll_loss` of log_softmax, plus a weighted sum of log_softmax over the classes.
    """
    op = "cross_entropy"
    _check_reduction(reduction, op)
    eps = _label_smoothing(label_smoothing, op)
    x = _tensor(input, op)
    if x.ndim == 0:
        raise ValueError(f"{op}: input must have a class dimension: (N, C), (C,) or (N, C, d1, ...), got a scalar")
    cd = 1 if x.ndim >= 2 else 0
    traw = target.data if isinstance(target, Tensor) else np.asarray(target)
    if traw.dtype.kind == "f" and traw.shape == x.shape:
        logp = log_softmax(x, cd)
        # a target Tensor stays on the tape: PyTorch differentiates soft targets (∂ℓ/∂t = −w·log p)
        tgt = target if isinstance(target, Tensor) and target.dtype == x.dtype else traw.astype(x.dtype)
        if isinstance(target, Tensor) and target.requires_grad and target.dtype != x.dtype:
            tgt = target.to(x.dtype)
        if eps:
            tgt = tgt * (1.0 - eps) + eps / x.shape[cd]
        prod = logp * tgt
        if weight is not None:
            wd = _const(weight, op, "weight").astype(x.dtype)
            if wd.shape != (x.shape[cd],):
                raise ValueError(f"{op}: weight must have shape ({x.shape[cd]},) (one per class), got {wd.shape}")
            prod = prod * wd.reshape((x.shape[cd],) + (1,) * (x.ndim - cd - 1))
        return _reduce(-prod.sum(cd), reduction)
    if traw.dtype.kind == "f":
        raise TypeError(f"{op}: target must hold integer class indices (dtype int64) of shape "
                        f"{(x.shape[0],) + x.shape[2:] if x.ndim >= 2 else ()}, or class probabilities of the "
                        f"input's shape {x.shape}; got dtype {traw.dtype} with shape {traw.shape}")
    logp = log_softmax(x, cd)
    nll = nll_loss(logp, target, weight=weight, ignore_index=ignore_index, reduction=reduction)
    if not eps:
        return nll
    # the smoothing term Σ_k w_k·(−log p_n[k]) per example, ignored rows zeroed (nll_loss checked target and weight)
    lp, ts, out_shape = _class_input(logp, _class_labels(target, op), op)
    k = lp.shape[1]
    valid = ts != ignore_index
    if weight is None:
        smooth = -lp.sum(1)
        wy = valid.astype(x.dtype)
    else:
        wd = _const(weight, op, "weight").astype(x.dtype)
        smooth = -(lp * wd).sum(1)
        wy = wd[np.where(valid, ts, 0)] * valid
    if not valid.all():
        smooth = smooth * valid.astype(x.dtype)
    if reduction == "none":
        smooth = smooth.reshape(out_shape)
    elif reduction == "sum":
        smooth = smooth.sum()
    else:  # nll_loss has refused a zero Σ w[y_n]
        smooth = smooth.sum() * (1.0 / float(wy.sum()))
    return nll * (1.0 - eps) + smooth * (eps / k)


@layer
def mse_loss(input, target, reduction="mean"):
    """ℓ = (x − y)², averaged ('mean'), added ('sum') or elementwise ('none'); EN4553 A2 Q1(a)'s regression loss.
    Shapes must match (no silent broadcasting)."""
    d = _difference(input, target, reduction, "mse_loss")
    return _reduce(d * d, reduction)


def _difference(input, target, reduction, op: str) -> Tensor:
    """x − y for a regression loss, after checking the reduction and that the shapes match."""
    _check_reduction(reduction, op)
    x = _tensor(input, op)
    y = _tensor(target, op, "target")
    if x.shape != y.shape:
        raise ValueError(f"{op}: input of shape {x.shape} and target of shape {y.shape} differ; expected the same "
                         "shape")
    return x - y


@layer
def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    """Logistic loss from logits x and targets y ∈ [0, 1] (EECS 498 HW1 §2), stable for any x::

        ℓ = max(x, 0) − x·y + log(1 + e^(−|x|))            ( = −[y log σ(x) + (1 − y) log(1 − σ(x))] )

    computed as ``softplus(x) − x·y`` (see :func:`softplus`: max(x, 0) is written (x + |x|)/2, so the derivative
    is exactly σ(x) − y, at x = 0 too). With ``pos_weight`` p (per class, broadcast over the last dimension):
    ℓ = (1 − y)·softplus(x) + p·y·softplus(−x). ``weight`` multiplies ℓ elementwise. Targets and class weights
    are constants.
    """
    op = "binary_cross_entropy_with_logits"
    _check_reduction(reduction, op)
    x = _tensor(input, op)
    y = _const(target, op, "target")
    if y.shape != x.shape:
        raise ValueError(f"{op}: target of shape {y.shape} must have the input's shape {x.shape}")
    # a target Tensor stays on the tape: ∂ℓ/∂y = −x (or pos_weight's form), as PyTorch
    y = target.to(x.dtype) if isinstance(target, Tensor) and target.requires_grad else y.astype(x.dtype)
    sp = softplus(x)
    if pos_weight is None:
        loss = sp - x * y
    else:
        loss = sp * (1.0 - y) + (sp - x) * (_broadcast_const(pos_weight, x, op, "pos_weight") * y)
    if weight is not None:
        loss = loss * _broadcast_const(weight, x, op, "weight")
    return _reduce(loss, reduction)


def _pm1(y: np.ndarray, op: str) -> np.ndarray:
    if not np.isin(y, (-1, 0, 1)).all():
        raise ValueError(f"{op}: labels must be in {{-1, +1}} or {{0, 1}}, got values {np.unique(y)}")
    if (y == 0).any() and (y == -1).any():
        raise ValueError(f"{op}: labels mix 0 and -1; use either {{-1, +1}} or {{0, 1}}")
    return np.where(y == 0, -1, y)


@layer
def hinge_loss(input, target, reduction="mean"):
    """Binary SVM hinge loss (EECS 498 HW1 §3): ℓ_n = max(0, 1 − y_n·s_n), mean over the N examples.

    ``input``: scores of shape (N,) or (N, 1); ``target``: labels in {0, 1} (0 is read as −1) or in {−1, +1}.
    Composition: relu(1 − y·s), so at the kink (y·s = 1) the subgradient is 0 (relu'(0) = 0).
    """
    op = "hinge_loss"
    _check_reduction(reduction, op)
    s = _tensor(input, op)
    if s.ndim > 2 or (s.ndim == 2 and s.shape[1] != 1):
        raise ValueError(f"{op}: scores must have shape (N,) or (N, 1), got {s.shape}")
    y = _const(target, op, "target")
    if y.size != s.numel():
        raise ValueError(f"{op}: target of shape {y.shape} must give one label per score (scores shape {s.shape})")
    y = _pm1(y, op).astype(s.dtype).reshape(s.shape)
    return _reduce((1.0 - s * y).relu(), reduction)


@layer
def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, reduction="mean", form="pytorch"):
    """Multiclass SVM loss for scores x (N, C) and class indices y (N,)::

        form='pytorch' (default, torch.nn.functional.multi_margin_loss):
            ℓ_n = (1/C) Σ_{j ≠ y_n} w[y_n] · max(0, margin − x[n, y_n] + x[n, j])^p
        form='cs231n' (the Stanford course's SVM loss, no 1/C):
            ℓ_n = Σ_{j ≠ y_n} w[y_n] · max(0, x[n, j] − x[n, y_n] + margin)^p

    PyTorch divides by the number of classes C (not C − 1); 'mean' then averages over N. ``p`` is 1 or 2.
    At the kink (a margin term exactly 0) the subgradient is 0. Composition: indexing the correct scores,
    a broadcast subtraction, relu, a constant mask that removes j = y_n, sums.
    """
    op = "multi_margin_loss"
    _check_reduction(reduction, op)
    if p not in (1, 2):
        raise ValueError(f"{op}: p must be 1 or 2, got {p!r}")
    if form not in ("pytorch", "cs231n"):
        raise ValueError(f"{op}: form must be 'pytorch' (divide by the number of classes) or 'cs231n' (no "
                         f"division), got {form!r}")
    x = _tensor(input, op)
    t = _class_labels(target, op)
    unbatched = x.ndim == 1
    if unbatched:
        if t.ndim != 0:
            raise ValueError(f"{op}: for an unbatched input of shape {x.shape} the target must be one class index, "
                             f"got shape {t.shape}")
        x, t = x.reshape(1, -1), t.reshape(1)
    if x.ndim != 2:
        raise ValueError(f"{op}: input must be (N, C) or (C,), got shape {x.shape}")
    n, c = x.shape
    if t.shape != (n,):
        raise ValueError(f"{op}: target of shape {t.shape} does not match input of shape {x.shape}: expected ({n},)")
    _check_range(t, np.ones(t.shape, bool), c, op)
    correct = x[np.arange(n), t].reshape(n, 1)
    m = (x - correct + float(margin)).relu()
    if p == 2:
        m = m * m
    mask = np.ones((n, c), dtype=x.dtype)
    mask[np.arange(n), t] = 0.0
    if weight is not None:
        wd = _const(weight, op, "weight").astype(x.dtype)
        if wd.shape != (c,):
            raise ValueError(f"{op}: weight must have shape ({c},) (one per class), got {wd.shape}")
        mask = mask * wd[t][:, None]
    if form == "pytorch":
        mask = mask * (1.0 / c)
    loss = (m * mask).sum(1)
    if unbatched and reduction == "none":
        return loss.reshape(())
    return _reduce(loss, reduction)


def l2_penalty(params, weight_decay):
    """L2 weight decay R = ½·λ·Σ_W ‖W‖² (sum of squares of every element of every given tensor).

    The ½ makes ∂R/∂W = λ·W, which is exactly what ``weight_decay=λ`` adds to the gradient in PyTorch's SGD; pass
    only the tensors to regularise (often the weights, not the biases). ``params``: an iterable of Tensors (e.g.
    ``model.parameters()``).
    """
    op = "l2_penalty"
    if isinstance(weight_decay, bool) or not isinstance(weight_decay, numbers.Real) or weight_decay < 0:
        raise ValueError(f"{op}: weight_decay must be a number ≥ 0, got {weight_decay!r}")
    if isinstance(params, Tensor):
        params = [params]
    total = None
    for i, prm in enumerate(params):
        if not isinstance(prm, Tensor):
            raise TypeError(f"{op}: params must be Tensors, got a {type(prm).__name__} at position {i}")
        sq = (prm * prm).sum()
        total = sq if total is None else total + sq
    if total is None:
        raise ValueError(f"{op}: no parameters given (an empty iterable; a generator such as model.parameters() "
                         "can be used only once)")
    return total * (0.5 * float(weight_decay))


def l1_loss(input, target, reduction="mean"):
    """ℓ = |x − y|, averaged ('mean'), added ('sum') or elementwise ('none'); abs'(0) = 0 (as PyTorch). Shapes
    must match."""
    return _reduce(_difference(input, target, reduction, "l1_loss").abs(), reduction)


LOG_FLOOR = -100.0
"""binary_cross_entropy clamps each log at −100, as PyTorch, so a probability of exactly 0 or 1 gives a finite
loss."""


def _clamped_log(p: Tensor) -> Tensor:
    """max(log p, −100), with a zero gradient (not 0·inf) where the floor holds."""
    ok = p.data > np.exp(LOG_FLOOR)
    return where(ok, where(ok, p, 1.0).log(), LOG_FLOOR)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """ℓ = −w·[y·log p + (1 − y)·log(1 − p)] for probabilities p ∈ [0, 1] (e.g. after a sigmoid), each log clamped
    at −100 as PyTorch. The target may be soft and is differentiated when it requires grad
    (∂ℓ/∂y = −w·[log p − log(1 − p)]). Prefer :func:`binary_cross_entropy_with_logits` on logits: it is stable."""
    op = "binary_cross_entropy"
    _check_reduction(reduction, op)
    p = _tensor(input, op)
    y = _tensor(target, op, "target")
    if y.shape != p.shape:
        raise ValueError(f"{op}: target of shape {y.shape} must have the input's shape {p.shape}")
    if p.data.size and (np.nanmin(p.data) < 0 or np.nanmax(p.data) > 1):
        raise ValueError(f"{op}: input must hold probabilities in [0, 1], got values from {np.nanmin(p.data):.4g} "
                         f"to {np.nanmax(p.data):.4g}; for logits use binary_cross_entropy_with_logits")
    loss = -(y * _clamped_log(p) + (1.0 - y) * _clamped_log(1.0 - p))
    if weight is not None:
        loss = loss * _broadcast_const(weight, p, op, "weight")
    return _reduce(loss, reduction)


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """½d²/β where d = |x − y| < β, d − ½β elsewhere (PyTorch's smooth L1); ``beta = 0`` is the L1 loss."""
    d = _difference(input, target, reduction, "smooth_l1_loss").abs()
    if beta == 0:
        return _reduce(d, reduction)
    return _reduce(where(d.data < beta, d * d * (0.5 / beta), d - 0.5 * beta), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """½d² where d = |x − y| < δ, δ(d − ½δ) elsewhere (= δ · smooth_l1 with β = δ)."""
    d = _difference(input, target, reduction, "huber_loss").abs()
    return _reduce(where(d.data < delta, d * d * 0.5, (d - 0.5 * delta) * float(delta)), reduction)


def kl_div(input, target, reduction="mean", log_target=False):
    """Σ t·(log t − x) for log-probabilities x and probabilities t (PyTorch's argument order); terms with t = 0
    are 0. 'batchmean' divides the sum by the batch size (the true KL divergence), 'mean' by the element count."""
    op = "kl_div"
    if reduction not in ("mean", "sum", "none", "batchmean"):
        raise ValueError(f"{op}: reduction must be 'mean', 'batchmean', 'sum' or 'none', got {reduction!r}")
    x = _tensor(input, op)
    t = _tensor(target, op, "target")
    if log_target:
        loss = t.exp() * (t - x)
    else:
        pos = t.data > 0
        loss = where(pos, t * where(pos, t, 1.0).log(), 0.0) - t * x
    if reduction == "batchmean":
        return loss.sum() * (1.0 / (x.shape[0] if x.ndim else 1))
    return _reduce(loss, reduction)
