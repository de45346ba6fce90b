"""The random number generator behind ``randn``/``rand``, parameter initialisation and dropout (one per process,
seeded by :func:`manual_seed`, as ``torch.manual_seed``). numpy only: nothing here knows about tensors."""

from __future__ import annotations

import numpy as np

_rng = {"gen": np.random.default_rng(0)}


def manual_seed(seed: int):
    """Seed the generator used by ``randn``/``rand``, parameter initialisation and dropout."""
    _rng["gen"] = np.random.default_rng(seed)
    return _rng["gen"]


def generator() -> np.random.Generator:
    return _rng["gen"]
