"""Loss modules: thin wrappers over :mod:`microgradnet.functional` (class weights are registered as buffers, as
in PyTorch)."""

from __future__ import annotations

import numpy as np

from .. import functional as F
from ..tensor import Tensor
from .module import Module


def _buffer(v, owner, name):
    if v is None:
        return None
    t = v if isinstance(v, Tensor) else Tensor(np.asarray(v, dtype=np.float64))
    if t.dtype.kind != "f":
        t = Tensor(t.data.astype(np.float64))
    if t.ndim != 1:
        raise ValueError(f"{owner}: {name} must be 1-D (one value per class), got shape {t.shape}")
    return t


class _Loss(Module):
    def __init__(self, reduction="mean"):
        super().__init__()
        if reduction not in F.REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
        self.reduction = reduction

    def extra_repr(self):
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class NLLLoss(_Loss):
    """−w[y]·x[y] for log-probabilities, see :func:`microgradnet.functional.nll_loss`."""

    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(reduction)
        self.register_buffer("weight", _buffer(weight, "NLLLoss", "weight"))
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy from logits, −log softmax(x)[y], see :func:`microgradnet.functional.cross_entropy`
    (CSC 249 HW2 P1, CS 4670 PA5 C, EN4553 A2 Q2). ``label_smoothing`` ε ∈ [0, 1] mixes the target with the
    uniform distribution: (1 − ε)·onehot(y) + ε/K (PyTorch's)."""

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(reduction)
        self.register_buffer("weight", _buffer(weight, "CrossEntropyLoss", "weight"))
        self.ignore_index = ignore_index
        self.label_smoothing = F._label_smoothing(label_smoothing, "CrossEntropyLoss")

    def forward(self, input, target):
        return F.cross_entropy(input, target, self.weight, self.ignore_index, self.reduction, self.label_smoothing)

    def extra_repr(self):
        base = super().extra_repr()
        parts = [f"label_smoothing={self.label_smoothing}"] if self.label_smoothing else []
        return ", ".join(parts + ([base] if base else []))


class MSELoss(_Loss):
    """(x − y)², see :func:`microgradnet.functional.mse_loss`."""

    def forward(self, input, target):
        return F.mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    """|x − y|, see :func:`microgradnet.functional.l1_loss`."""

    def forward(self, input, target):
        return F.l1_loss(input, target, self.reduction)


class BCELoss(_Loss):
    """Binary cross-entropy on probabilities, see :func:`microgradnet.functional.binary_cross_entropy`."""

    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        self.register_buffer("weight", None if weight is None else (weight if isinstance(weight, Tensor) else
                                                                     Tensor(np.asarray(weight, dtype=np.float64))))

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Logistic loss from logits, max(x, 0) − x·y + log(1 + e^(−|x|)), see
    :func:`microgradnet.functional.binary_cross_entropy_with_logits` (EECS 498 HW1 §2)."""

    def __init__(self, weight=None, reduction="mean", pos_weight=None):
        super().__init__(reduction)
        self.register_buffer("weight", None if weight is None else Tensor(np.asarray(
            weight.data if isinstance(weight, Tensor) else weight, dtype=np.float64)))
        self.register_buffer("pos_weight", None if pos_weight is None else Tensor(np.asarray(
            pos_weight.data if isinstance(pos_weight, Tensor) else pos_weight, dtype=np.float64)))

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight, self.reduction, self.pos_weight)


class MultiMarginLoss(_Loss):
    """Multiclass SVM loss, see :func:`microgradnet.functional.multi_margin_loss`: PyTorch's form
    (1/C)·Σ_{j≠y} max(0, margin − x_y + x_j)^p by default, or ``form='cs231n'`` without the 1/C."""

    def __init__(self, p=1, margin=1.0, weight=None, reduction="mean", form="pytorch"):
        super().__init__(reduction)
        if p not in (1, 2):
            raise ValueError(f"MultiMarginLoss: p must be 1 or 2, got {p!r}")
        if form not in ("pytorch", "cs231n"):
            raise ValueError(f"MultiMarginLoss: form must be 'pytorch' or 'cs231n', got {form!r}")
        self.p = p
        self.margin = float(margin)
        self.form = form
        self.register_buffer("weight", _buffer(weight, "MultiMarginLoss", "weight"))

    def forward(self, input, target):
        return F.multi_margin_loss(input, target, self.p, self.margin, self.weight, self.reduction, self.form)

    def extra_repr(self):
        parts = []
        if self.p != 1:
            parts.append(f"p={self.p}")
        if self.margin != 1.0:
            parts.append(f"margin={self.margin}")
        if self.form != "pytorch":
            parts.append(f"form={self.form!r}")
        base = super().extra_repr()
        return ", ".join(parts + ([base] if base else []))


class HingeLoss(_Loss):
    """Binary SVM hinge loss max(0, 1 − y·s), labels {0, 1} or {−1, +1}, see
    :func:`microgradnet.functional.hinge_loss` (EECS 498 HW1 §3)."""

    def forward(self, input, target):
        return F.hinge_loss(input, target, self.reduction)
