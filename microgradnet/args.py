"""The one check for arguments given as an int or a pair of ints (kernel sizes, strides, paddings, dilations),
shared by ``functional``, ``nn`` and the ``windows`` primitive."""

from __future__ import annotations

import numpy as np


def pair(v, name: str, op: str, minimum: int | None = None) -> tuple[int, int]:
    """``stride=2`` → ``(2, 2)``; a pair of ints as is. A bool, a non-int or a sequence of another length is a
    TypeError/ValueError naming ``op`` and ``name``; with ``minimum``, each entry must be at least that."""
    if isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {v!r}")
    if isinstance(v, (int, np.integer)):
        v = (int(v), int(v))
    else:
        try:
            v = tuple(v)
        except TypeError:
            raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {v!r}") from None
        if len(v) != 2 or not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in v):
            raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {v!r}")
        v = (int(v[0]), int(v[1]))
    if minimum is not None and min(v) < minimum:
        raise ValueError(f"{op}: {name} must be ≥ {minimum}, got {v}")
    return v
