"""Regularisation written into the loss: ½λ‖w‖² (L2) or λ‖w‖₁ (L1) over the **weights** only.

The SVM's objective (EECS 498 HW1 §3) and the TensorFlow playground (Tsinghua HW1 §2) penalise the weights, not
the biases (nor batch norm's γ and β). ``penalty(model, "l2", λ)`` builds that term from the engine's primitives,
so its gradient comes from the rule table like every other: λ·w for L2, λ·sign(w) for L1 (with abs′(0) = 0, the
engine's convention). "Weights" are the parameters with two or more axes (``Linear.weight``, ``Conv2d.weight``);
biases and normalisation parameters are 1-D.

This is the other way to get what an optimiser's ``weight_decay`` does, and not the same thing: PyTorch's
``weight_decay=λ`` (kept here: see :mod:`microgradnet.optim`) adds λ·p to the gradient of **every** parameter it
is given -- biases included unless they are put in a parameter group with ``weight_decay=0`` -- and, in Adam, before
the adaptive scaling. ``Solver(..., regularization=("l2", λ))`` adds the penalty to the loss instead, so the loss
it records is the whole objective (data loss + penalty).
"""

from __future__ import annotations

import numbers

KINDS = ("l1", "l2")


def weight_parameters(model) -> list:
    """The parameters with two or more axes (weights of linear and conv layers), in registration order."""
    return [p for _, p in model.named_parameters() if p.data.ndim >= 2]


def check_regularization(reg, where: str = "regularization"):
    """``None`` or a normalised ``(kind, rate)`` with kind 'l1'/'l2' and rate ≥ 0; anything else raises."""
    if reg is None:
        return None
    if not (isinstance(reg, (tuple, list)) and len(reg) == 2):
        raise ValueError(f"{where}: expected None or (kind, rate) with kind 'l1' or 'l2', got {reg!r}")
    kind, rate = reg
    kind = str(kind).lower()
    if kind not in KINDS:
        raise ValueError(f"{where}: kind must be 'l1' or 'l2', got {reg[0]!r}")
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not rate >= 0:
        raise ValueError(f"{where}: rate must be a number >= 0, got {rate!r}")
    return kind, float(rate)


def penalty(model, kind: str, rate: float):
    """The scalar Tensor ½·rate·Σ w² (``"l2"``) or rate·Σ |w| (``"l1"``) over :func:`weight_parameters`."""
    kind, rate = check_regularization((kind, rate), "penalty")
    total = None
    for w in weight_parameters(model):
        term = (w * w).sum() if kind == "l2" else w.abs().sum()
        total = term if total is None else total + term
    if total is None:
        raise ValueError(f"penalty: {type(model).__name__} has no weight with two or more axes to regularise")
    return total * (0.5 * rate if kind == "l2" else rate)


__all__ = ["KINDS", "check_regularization", "penalty", "weight_parameters"]
