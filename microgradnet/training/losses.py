"""Training losses by name, with the matching prediction rule.

==================  =====================================================  =======================  ==================
name                loss (mean over the batch)                              scores                   prediction
==================  =====================================================  =======================  ==================
``cross_entropy``   −log softmax(s)[y]              (EECS 498 §4, CSC 249 P1)  (N, C)                   argmax_c s[n, c]
``bce_with_logits`` log(1 + e^(−s)) if y = 1, log(1 + e^s) if y = 0 (§2)     (N,)                     1 if s > 0
``hinge``           max(0, 1 − ỹ s), ỹ = 2y − 1 ∈ {−1, +1}            (§3)     (N,)                     1 if s > 0
==================  =====================================================  =======================  ==================

Labels are always integer class indices 0 … C−1 (0/1 for the binary losses).
"""

from __future__ import annotations

import numpy as np

from .. import functional as F


def _bce(scores, y):
    return F.binary_cross_entropy_with_logits(scores, np.asarray(y).astype(scores.dtype))


LOSSES = {
    "cross_entropy": F.cross_entropy,
    "bce_with_logits": _bce,
    "hinge": F.hinge_loss,
}
BINARY_LOSSES = ("bce_with_logits", "hinge")


def get_loss(name: str):
    if name not in LOSSES:
        raise ValueError(f"loss: unknown name {name!r}; valid choices: {', '.join(LOSSES)} (or pass a function "
                         "(scores, labels) -> scalar Tensor)")
    return LOSSES[name]


def predict(scores: np.ndarray) -> np.ndarray:
    """Class indices from raw scores: ``s > 0`` for one score per sample (binary), else the arg-max."""
    scores = np.asarray(scores)
    if scores.ndim == 1:
        return (scores > 0).astype(np.int64)
    if scores.ndim == 2 and scores.shape[1] == 1:
        return (scores[:, 0] > 0).astype(np.int64)
    return scores.argmax(axis=1)


__all__ = ["BINARY_LOSSES", "LOSSES", "get_loss", "predict"]
