"""The one check for arguments given as an int or a pair of ints (kernel sizes, strides, paddings, dilations),
shared by ``functional``, ``nn`` and the ``windows`` primitive; and :func:`as_pair`, the unchecked form the
grader uses on parameters its own case sweeps wrote. (``closed_form`` keeps its own check, with its own messages:
the hand-derived side needs nothing from the engine's side.)"""

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


def as_pair(v) -> tuple[int, int]:
    """``(v, v)`` for one number, ``(v[0], v[1])`` for a pair, as ints; no checks (numpy ints and arrays accepted):
    for parameters that were already checked where they were written, e.g. a grading case's ``stride``."""
    return (int(v), int(v)) if np.ndim(v) == 0 else (int(v[0]), int(v[1]))
