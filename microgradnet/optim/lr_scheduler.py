"""Learning-rate schedules with PyTorch's semantics (``torch.optim.lr_scheduler``).

A scheduler wraps an optimiser and rewrites ``group["lr"]`` for every parameter group. Creating it records
``initial_lr`` (the base rate ``eta_0``) in each group and performs the *initial step* (``last_epoch`` goes from -1
to 0, the rate stays ``eta_0``). After that, call ``scheduler.step()`` once per epoch, after the epoch's
``optimizer.step()`` calls; after ``t`` such calls the rate is (closed forms):

* ``StepLR(step_size, gamma)``:          ``eta_t = eta_0 * gamma ** (t // step_size)``
* ``ExponentialLR(gamma)``:              ``eta_t = eta_0 * gamma ** t``  (the EECS 498 Solver's ``lr_decay``)
* ``CosineAnnealingLR(T_max, eta_min)``: ``eta_t = eta_min + (eta_0 - eta_min) * (1 + cos(pi * t / T_max)) / 2``

Like PyTorch, each schedule is computed *recursively* from the group's current rate (so schedulers can be
chained, and a rate changed by hand is carried forward); with nothing else touching the rate the recursive
values equal the closed forms above (cosine: for every t, including past ``T_max``, where it rises again).
``get_last_lr()`` is the list of rates (one per group) set by the last ``step``.
"""

from __future__ import annotations

import math
import numbers

from .optimizer import Optimizer, check_real


class LRScheduler:
    """Base class: ``step()``, ``get_last_lr()``, ``state_dict()``, ``load_state_dict()``."""

    def __init__(self, optimizer, last_epoch: int = -1):
        name = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: expected an Optimizer (SGD, Adam, RMSprop ...), got {type(optimizer).__name__}")
        if isinstance(last_epoch, bool) or not isinstance(last_epoch, numbers.Integral) or last_epoch < -1:
            raise ValueError(f"{name}: last_epoch must be an int >= -1, got {last_epoch!r}")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"{name}: last_epoch={last_epoch} resumes a schedule, but param group {i} has "
                                   "no 'initial_lr' (create the scheduler with last_epoch=-1 first, or load its "
                                   "state_dict)")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = int(last_epoch)
        self._step_count = 0
        self.step()

    def get_lr(self) -> list[float]:  # overridden: the rates for epoch self.last_epoch
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and write the new rate into every group."""
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        return list(self._last_lr)

    def state_dict(self) -> dict:
        """Every attribute except the optimiser (plain numbers and lists: JSON-friendly)."""
        return {k: (list(v) if isinstance(v, list) else v) for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict) -> None:
        name = f"{type(self).__name__}.load_state_dict"
        mine = self.state_dict()
        if set(state_dict) != set(mine):
            raise ValueError(f"{name}: expected keys {sorted(mine)}, got {sorted(state_dict)} (a state from another "
                             "kind of scheduler?)")
        if len(state_dict["base_lrs"]) != len(self.base_lrs):
            raise ValueError(f"{name}: the saved state has {len(state_dict['base_lrs'])} param groups, the "
                             f"optimiser has {len(self.base_lrs)}")
        self.__dict__.update({k: (list(v) if isinstance(v, list) else v) for k, v in state_dict.items()})

    def _lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, last_lr={self.get_last_lr()})"


class StepLR(LRScheduler):
    """Multiply the rate by ``gamma`` every ``step_size`` epochs: ``eta_t = eta_0 * gamma ** (t // step_size)``."""

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        if isinstance(step_size, bool) or not isinstance(step_size, numbers.Integral) or step_size < 1:
            raise ValueError(f"StepLR: step_size must be an int >= 1, got {step_size!r}")
        self.step_size = int(step_size)
        self.gamma = check_real(gamma, "gamma", "StepLR", low=0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._lrs()
        return [lr * self.gamma for lr in self._lrs()]


class ExponentialLR(LRScheduler):
    """Multiply the rate by ``gamma`` every epoch: ``eta_t = eta_0 * gamma ** t`` (EECS 498's ``lr_decay``)."""

    def __init__(self, optimizer, gamma: float, last_epoch: int = -1):
        self.gamma = check_real(gamma, "gamma", "ExponentialLR", low=0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0:
            return self._lrs()
        return [lr * self.gamma for lr in self._lrs()]


class CosineAnnealingLR(LRScheduler):
    """``eta_t = eta_min + (eta_0 - eta_min) * (1 + cos(pi t / T_max)) / 2`` (SGDR without restarts), computed with
    PyTorch's recursive formula."""

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):  # noqa: N803
        if isinstance(T_max, bool) or not isinstance(T_max, numbers.Integral) or T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be an int >= 1, got {T_max!r}")
        self.T_max = int(T_max)
        self.eta_min = check_real(eta_min, "eta_min", "CosineAnnealingLR", low=0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t, T, lo = self.last_epoch, self.T_max, self.eta_min
        if t == 0:
            return self._lrs()
        if self._step_count == 1 and t > 0:  # created with last_epoch > -1: jump straight to epoch t
            return [lo + (base - lo) * (1 + math.cos(t * math.pi / T)) / 2 for base in self.base_lrs]
        if (t - 1 - T) % (2 * T) == 0:  # at the bottom the ratio below would divide by zero
            return [lr + (base - lo) * (1 - math.cos(math.pi / T)) / 2
                    for base, lr in zip(self.base_lrs, self._lrs())]
        return [(1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T)) * (lr - lo) + lo
                for lr in self._lrs()]


__all__ = ["CosineAnnealingLR", "ExponentialLR", "LRScheduler", "StepLR"]
