"""Optimisers and learning-rate schedules with PyTorch's names and update equations.

``SGD`` (momentum, dampening, Nesterov, weight decay), ``Adam`` (bias correction, weight decay, AMSGrad),
``RMSprop`` (momentum, centered); ``lr_scheduler.StepLR``, ``ExponentialLR``, ``CosineAnnealingLR``. Each file's
docstring writes its update out. ``OPTIMIZERS`` maps lower-case names to classes (used by the Solver and the
``train`` command); ``make_optimizer(name, params, **hyper)`` looks a name up with an error listing the choices.
"""

from __future__ import annotations

from . import lr_scheduler
from .adam import Adam
from .lr_scheduler import CosineAnnealingLR, ExponentialLR, LRScheduler, StepLR
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

OPTIMIZERS = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop}


def make_optimizer(name: str, params, **hyper) -> Optimizer:
    """``OPTIMIZERS[name.lower()](params, **hyper)``; an unknown name raises ValueError listing the choices."""
    key = str(name).lower()
    if key not in OPTIMIZERS:
        raise ValueError(f"optimizer: unknown name {name!r}; valid choices: {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[key](params, **hyper)


__all__ = ["OPTIMIZERS", "SGD", "Adam", "CosineAnnealingLR", "ExponentialLR", "LRScheduler", "Optimizer", "RMSprop",
           "StepLR", "lr_scheduler", "make_optimizer"]
