"""Splitting arrays into train / validation / test parts (numpy only).

Two helpers, matching what the homework does by hand:

* ``train_val_test_split(X, y, train=500, val=250, test=250)`` -- consecutive slices, as in EECS 498 HW1
  (``X[:500]``, ``X[500:750]``, ``X[750:]``); ``shuffle=True`` permutes first.
* ``random_split(X, y, 0.1, seed=0)`` -- "leave 1/10 of the train set as validation": a random part of the
  given size is held out; returns ``(X_keep, y_keep, X_held, y_held)``.

Sizes are ints (counts) or floats in [0, 1] (fractions of ``len(X)``, rounded to the nearest count).
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np


class Split(NamedTuple):
    """Train / validation / test arrays. Unpacks as a 6-tuple in that order."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def make_rng(seed, where: str) -> np.random.Generator:
    """``np.random.default_rng(seed)`` for seed None, an int, a SeedSequence or a Generator (used as is)."""
    if seed is None or isinstance(seed, (np.random.Generator, np.random.SeedSequence)):
        return np.random.default_rng(seed)
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        if seed < 0:
            raise ValueError(f"{where}: seed must be a non-negative int, got {seed}")
        return np.random.default_rng(int(seed))
    raise TypeError(
        f"{where}: seed must be None, a non-negative int or a numpy Generator, got {type(seed).__name__}"
    )


def check_xy(X, y, where: str) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError(f"{where}: X and y must have a first (sample) axis, "
                         f"got shapes {X.shape} and {y.shape}")
    if X.shape[0] != y.shape[0]:
        raise ValueError(
            f"{where}: X and y must have the same number of samples, got X.shape={X.shape}, y.shape={y.shape}"
        )
    return X, y


def _count(size, n: int, name: str, where: str) -> int:
    if isinstance(size, bool):
        raise TypeError(f"{where}: {name} must be an int count or a float fraction, got {size!r}")
    if isinstance(size, numbers.Integral):
        if not 0 <= size <= n:
            raise ValueError(f"{where}: {name}={size} must be between 0 and the number of samples {n}")
        return int(size)
    if isinstance(size, numbers.Real):
        if not 0.0 <= size <= 1.0:
            raise ValueError(f"{where}: fraction {name}={size} must be in [0, 1]")
        return round(size * n)
    raise TypeError(f"{where}: {name} must be an int count or a float fraction, got {type(size).__name__}")


def train_val_test_split(X, y, train=0.5, val=0.25, test=None, *, shuffle=False, seed=None) -> Split:
    """Consecutive train / val / test slices of ``(X, y)`` (after a seeded permutation if ``shuffle``).

    ``test=None`` takes every remaining sample. Raises ValueError when the sizes add up to more than
    ``len(X)``.
    """
    where = "train_val_test_split"
    X, y = check_xy(X, y, where)
    n = X.shape[0]
    n_train = _count(train, n, "train", where)
    n_val = _count(val, n, "val", where)
    n_test = max(n - n_train - n_val, 0) if test is None else _count(test, n, "test", where)
    if n_train + n_val + n_test > n:
        test_text = "" if test is None else f" + test={n_test}"
        raise ValueError(f"{where}: sizes train={n_train} + val={n_val}{test_text} exceed the {n} samples")
    order = make_rng(seed, where).permutation(n) if shuffle else np.arange(n)
    a, b, c = n_train, n_train + n_val, n_train + n_val + n_test
    i_tr, i_va, i_te = order[:a], order[a:b], order[b:c]
    return Split(X[i_tr], y[i_tr], X[i_va], y[i_va], X[i_te], y[i_te])


def random_split(X, y, fraction=0.1, *, seed=None):
    """Hold out a random ``fraction`` (float) or count (int) of the samples.

    Returns ``(X_keep, y_keep, X_held, y_held)``; both parts keep their original relative order, so the
    result depends only on ``seed``. Example from EECS 498 HW1 §4–5: "leave 1/10 of the train set as validation"::

        X_train, y_train, X_val, y_val = random_split(X_train, y_train, 0.1, seed=0)
    """
    where = "random_split"
    X, y = check_xy(X, y, where)
    n = X.shape[0]
    n_held = _count(fraction, n, "fraction", where)
    held = np.sort(make_rng(seed, where).choice(n, size=n_held, replace=False))
    keep = np.setdiff1d(np.arange(n), held, assume_unique=True)
    return X[keep], y[keep], X[held], y[held]
