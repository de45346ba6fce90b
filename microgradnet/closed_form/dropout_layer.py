"""Dropout with an explicit mask (EECS 498 HW1 §1.3 and §7.2).

``p`` is the DROP probability (PyTorch convention); the mask ``M`` has ``x``'s shape, entries in {0, 1}
(1 = kept). Two forms:

* handout form (``inverted=False``, the default): train ``Y = X ⊙ M`` — EECS 498 §1.3 literally;
  test ``Y = (1 − p) X`` (scale by the keep probability, the answer to §7.2's train/test mismatch).
* inverted dropout (``inverted=True``, what PyTorch does): train ``Y = X ⊙ M / (1 − p)``; test ``Y = X``.

Backward (EECS 498 §1.3): ``∂L/∂X = ∂L/∂Y ⊙ M`` (handout form) or ``∂L/∂Y ⊙ M / (1 − p)`` (inverted);
in test mode ``(1 − p)·∂L/∂Y`` resp. ``∂L/∂Y``. The mask is not differentiated.
"""

from __future__ import annotations

import numpy as np

from ._common import InputGrad, as_f64, check_shape

__all__ = ["dropout_mask", "dropout", "dropout_backward"]


def dropout_mask(shape, p: float, rng: np.random.Generator) -> np.ndarray:
    """A float64 {0, 1} mask of ``shape`` with P(entry = 0) = ``p``."""
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout_mask: p (drop probability) must be in [0, 1), got {p!r}")
    return (rng.random(shape) >= p).astype(np.float64)


def _scale(fn: str, x, mask, p, inverted: bool, train: bool) -> tuple[np.ndarray, np.ndarray]:
    """Return x and the factor Y/X (mask-based in train mode, constant in test mode)."""
    x, mask = as_f64(fn, "x", x), as_f64(fn, "mask", mask)
    check_shape(fn, "mask", mask, x.shape)
    if not np.isin(mask, (0.0, 1.0)).all():
        raise ValueError(f"{fn}: mask must contain only 0 and 1 (1 = kept)")
    if not 0.0 <= p < 1.0:
        raise ValueError(f"{fn}: p (drop probability) must be in [0, 1), got {p!r}")
    if train:
        return x, mask / (1.0 - p) if inverted else mask
    return x, np.full(x.shape, 1.0 if inverted else 1.0 - p)


def dropout(x, mask, *, p=0.5, inverted=False, train=True) -> np.ndarray:
    """EECS 498 HW1 §1.3 ``Y = X ⊙ M`` (``inverted=False``) or inverted ``Y = X ⊙ M / (1 − p)``."""
    x, factor = _scale("dropout", x, mask, p, inverted, train)
    return x * factor


def dropout_backward(x, mask, g, *, p=0.5, inverted=False, train=True) -> InputGrad:
    """EECS 498 HW1 §1.3: ``∂L/∂X = ∂L/∂Y ⊙ M`` (÷ (1 − p) when inverted)."""
    fn = "dropout_backward"
    x, factor = _scale(fn, x, mask, p, inverted, train)
    g = as_f64(fn, "g", g)
    check_shape(fn, "g", g, x.shape)
    return InputGrad(dx=g * factor)
