"""Mini-batches over numpy arrays (numpy only).

``DataLoader(X, y, batch_size=32)`` is iterable: each pass (epoch) yields ``(xb, yb)`` pairs covering
every sample exactly once (the last batch may be smaller unless ``drop_last``). With ``shuffle=True``
each epoch uses a new permutation drawn from one ``numpy.random.Generator`` created from ``seed`` at
construction, so the sequence of epochs is reproducible: two loaders with the same seed give the same
batches in the same order, epoch after epoch.
"""

from __future__ import annotations

import numbers

import numpy as np

from .split import check_xy, make_rng


class DataLoader:
    """Iterate over ``(X[idx], y[idx])`` mini-batches; ``len()`` is the number of batches per epoch.

    ``batch_size``: a positive int. ``shuffle``: new random order each epoch (else sample order).
    ``seed``: None, int or Generator for the shuffling. ``drop_last``: skip a final short batch.
    ``epoch`` counts the passes started so far.
    """

    def __init__(self, X, y, batch_size=32, shuffle=True, seed=None, drop_last=False):
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
            raise TypeError(
                f"DataLoader: batch_size must be a positive int (e.g. 32), got {type(batch_size).__name__} "
                f"{batch_size!r}"
            )
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive int (e.g. 32), got {batch_size}")
        self.X, self.y = check_xy(X, y, "DataLoader")
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.rng = make_rng(seed, "DataLoader")
        self.epoch = 0

    @property
    def n_samples(self) -> int:
        return self.X.shape[0]

    def __len__(self) -> int:
        n, b = self.n_samples, self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self):
        order = self.rng.permutation(self.n_samples) if self.shuffle else np.arange(self.n_samples)
        self.epoch += 1
        for i in range(len(self)):
            idx = order[i * self.batch_size:(i + 1) * self.batch_size]
            yield self.X[idx], self.y[idx]

    def __repr__(self) -> str:
        return (f"DataLoader(n_samples={self.n_samples}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, batches={len(self)})")


__all__ = ["DataLoader"]
