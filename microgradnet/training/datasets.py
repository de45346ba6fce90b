"""The data sets the ``train`` command knows, each as a train / validation / test :class:`~microgradnet.data.Split`.

==================  ===========================================================================================
name                train / validation / test
==================  ===========================================================================================
``spiral``          ``spiral(n, 3 classes, noise 0.2)`` with seeds s, s+1, s+2: three independent draws
``moons``           ``moons(n, noise 0.1)``, seeds s, s+1, s+2
``circles``         ``circles(n, noise 0.05)``, seeds s, s+1, s+2
``xor``             ``xor(n)``, seeds s, s+1, s+2
``blobs``           ``blobs(n, 3 classes)`` with the centres of seed s for all three draws
``eecs498``         ``eecs498_binary(seed=s)``: first 500 / next 250 / last 250 (the HW1 split)
``mnist``           the full MNIST if cached/downloadable, else the built-in real subset (4,000 / 1,000);
                    1/10 of the training set held out (seed s) as validation, as EECS 498 §4–5 suggest
``cifar10``         CIFAR-10 (50,000 / 10,000) from the cache or a download; 1/10 of train held out.
                    Offline with nothing cached it fails with a clear message (there is no built-in subset)
``fake-cifar10``    random CIFAR-shaped images (no signal, chance accuracy), for speed measurements
==================  ===========================================================================================

``n`` (``n_samples``) is per class for ``spiral`` (default 100) and in total for the others (default 300);
``n_train`` keeps only the first ``n_train`` training samples (after the split), e.g. for a quick run.
``load_dataset`` returns a :class:`Dataset` whose ``source`` says exactly what was used, and whose ``spec`` (name
and arguments) lets ``evaluate`` rebuild the same test set.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import numpy as np

from .. import data as D

DATASET_NAMES = ("spiral", "moons", "circles", "xor", "blobs", "eecs498", "mnist", "cifar10", "fake-cifar10")


@dataclass
class Dataset:
    """A train / val / test split plus where it came from."""

    name: str
    split: D.Split
    source: str
    n_classes: int
    spec: dict = field(default_factory=dict)

    @property
    def input_shape(self) -> tuple:
        return tuple(self.split.x_train.shape[1:])

    def sizes(self) -> dict:
        s = self.split
        return {"train": len(s.y_train), "val": len(s.y_val), "test": len(s.y_test)}


def _unknown(name):
    close = difflib.get_close_matches(str(name), DATASET_NAMES, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return ValueError(f"unknown data set {name!r}{hint}; valid choices: {', '.join(DATASET_NAMES)}")


def _three(fn, seed, **kw):
    """Independent train / val / test draws of a generator (seeds s, s+1, s+2)."""
    parts = [fn(seed=seed + k, **kw) for k in range(3)]
    return D.Split(*parts[0], *parts[1], *parts[2])


def _hold_out(x_train, y_train, x_test, y_test, seed):
    x_tr, y_tr, x_va, y_va = D.random_split(x_train, y_train, 0.1, seed=seed)
    return D.Split(x_tr, y_tr, x_va, y_va, x_test, y_test)


def load_dataset(name: str, seed: int = 0, n_samples: int | None = None, n_train: int | None = None,
                 data_root=None, download: bool = True) -> Dataset:
    """Build data set ``name`` (see the module docstring). Raises ValueError listing the valid names."""
    if name not in DATASET_NAMES:
        raise _unknown(name)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"load_dataset: seed must be an int >= 0, got {seed!r}")
    spec = {"name": name, "seed": seed, "n_samples": n_samples, "n_train": n_train}
    if name == "spiral":
        n = 100 if n_samples is None else n_samples
        split = _three(D.spiral, seed, n_points=n, n_classes=3, noise=0.2)
        source = f"spiral (3 classes x {n} points, noise 0.2; train/val/test drawn with seeds {seed}/{seed + 1}/" \
                 f"{seed + 2})"
    elif name in ("moons", "circles", "xor"):
        n = 300 if n_samples is None else n_samples
        split = _three(getattr(D, name), seed, n_samples=n)
        source = f"{name} ({n} points; train/val/test drawn with seeds {seed}/{seed + 1}/{seed + 2})"
    elif name == "blobs":
        n = 300 if n_samples is None else n_samples
        centers = np.random.default_rng(seed).uniform(-10.0, 10.0, size=(3, 2))
        split = _three(D.blobs, seed, n_samples=n, centers=centers)
        source = f"blobs (3 classes, {n} points; centres and train/val/test draws from seed {seed})"
    elif name == "eecs498":
        split = D.eecs498_binary(seed=seed)
        source = f"eecs498_binary (synthetic stand-in for EECS 498 HW1 data.pkl, seed {seed}; 500/250/250)"
    elif name == "mnist":
        m = D.load_mnist(root=data_root, download=download, verbose=False)
        split = _hold_out(m.x_train, m.y_train, m.x_test, m.y_test, seed)
        if m.source == "subset":
            source = "mnist subset (built-in, 4000/1000)"
        else:
            source = f"mnist full (60000/10000) from {m.path}"
        source += f"; 1/10 of train held out as validation (seed {seed})"
    elif name == "cifar10":
        try:
            c = D.load_cifar10(root=data_root, download=download, verbose=False)
        except OSError as err:
            raise RuntimeError(f"cifar10 is not available: {err}\nCIFAR-10 has no built-in subset; put "
                               "cifar-10-python.tar.gz (or the extracted cifar-10-batches-py/) in the cache folder "
                               "(see microgradnet.data.resolve_cache_dir), or use 'fake-cifar10' to measure speed"
                               ) from None
        split = _hold_out(c.x_train, c.y_train, c.x_test, c.y_test, seed)
        source = f"cifar10 full (50000/10000) from {c.path}; 1/10 of train held out (seed {seed})"
    else:  # fake-cifar10
        n = 1000 if n_samples is None else n_samples
        parts = [D.fake_cifar10(n=size, seed=seed + k) for k, size in enumerate((n, max(n // 10, 1),
                                                                                  max(n // 10, 1)))]
        split = D.Split(*parts[0], *parts[1], *parts[2])
        source = f"fake-cifar10 (random pixels, no signal: {n} train / {max(n // 10, 1)} val / {max(n // 10, 1)} " \
                 f"test, seeds {seed}/{seed + 1}/{seed + 2})"
    if n_train is not None:
        if isinstance(n_train, bool) or not isinstance(n_train, int) or n_train < 1:
            raise ValueError(f"load_dataset: n_train must be an int >= 1, got {n_train!r}")
        split = split._replace(x_train=split.x_train[:n_train], y_train=split.y_train[:n_train])
        source += f"; first {len(split.y_train)} training samples used"
    labels = np.concatenate([split.y_train, split.y_val, split.y_test])
    n_classes = 10 if name in ("mnist", "cifar10", "fake-cifar10") else int(labels.max()) + 1
    return Dataset(name, split, source, max(n_classes, 2), spec)


__all__ = ["DATASET_NAMES", "Dataset", "load_dataset"]
