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
``fashion-mnist``   Fashion-MNIST (60,000 / 10,000) from Debian's ``dataset-fashion-mnist`` package or a copy in the
                    cache (see :mod:`microgradnet.data.fashion_mnist`); 1/10 of train held out (seed s)
``playground-spiral`` the TensorFlow playground's two-class spiral, 500 points, ``noise`` (default 0), train/test
                    ``train_fraction`` (default 0.5) of one draw (seed s); validation: the same number of points
                    as the test part from an independent draw (seed s+1); input ``features`` (default x1, x2)
``cifar10``         CIFAR-10 (50,000 / 10,000) from the cache or a download; 1/10 of train held out.
                    Offline with nothing cached it fails with a clear message (there is no built-in subset)
``fake-cifar10``    random CIFAR-shaped images (no signal, chance accuracy), for speed measurements
==================  ===========================================================================================

``n`` (``n_samples``) is per class for ``spiral`` (default 100) and in total for the others (default 300);
``pad_to`` zero-pads image data sets to that side (e.g. 28×28 → 32×32 for VGG11) and is recorded in ``spec``.
``n_train`` keeps only the first ``n_train`` training samples (after the split), e.g. for a quick run.
``load_dataset`` returns a :class:`Dataset` whose ``source`` says exactly what was used, and whose ``spec`` (name
and arguments) lets ``evaluate`` rebuild the same test set.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import numpy as np

from .. import data as D

DATASET_NAMES = ("spiral", "playground-spiral", "moons", "circles", "xor", "blobs", "eecs498", "mnist", "fashion-mnist",
                 "cifar10", "fake-cifar10")
IMAGE_DATASETS = ("mnist", "fashion-mnist", "cifar10", "fake-cifar10")


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


def _pad(split: D.Split, side: int) -> D.Split:
    h, w = split.x_train.shape[-2:]
    if h > side or w > side:
        raise ValueError(f"load_dataset: pad_to={side} is smaller than the images ({h}×{w})")
    top, left = (side - h) // 2, (side - w) // 2
    pads = ((0, 0), (0, 0), (top, side - h - top), (left, side - w - left))
    return split._replace(x_train=np.pad(split.x_train, pads), x_val=np.pad(split.x_val, pads),
                          x_test=np.pad(split.x_test, pads))


def _playground(seed, n_samples, options):
    noise = options.get("noise", 0.0)
    fraction = options.get("train_fraction", 0.5)
    features = list(options.get("features") or ["x1", "x2"])
    n = D.synthetic.PLAYGROUND_N if n_samples is None else n_samples
    x_tr, y_tr, x_te, y_te = D.playground_spiral(n, noise, fraction, seed=seed)
    x_va, y_va, x_va2, y_va2 = D.playground_spiral(n, noise, fraction, seed=seed + 1)
    x_va, y_va = np.concatenate([x_va, x_va2])[:len(y_te)], np.concatenate([y_va, y_va2])[:len(y_te)]
    fm = D.feature_map
    split = D.Split(fm(x_tr, features), y_tr, fm(x_va, features), y_va, fm(x_te, features), y_te)
    source = (f"playground-spiral (2 classes, {n} points, noise {noise:g}, train {fraction:g} / test "
              f"{1 - fraction:g} of seed {seed}; validation from seed {seed + 1}; features {', '.join(features)})")
    return split, source


def load_dataset(name: str, seed: int = 0, n_samples: int | None = None, n_train: int | None = None,
                 data_root=None, download: bool = True, pad_to: int | None = None, **options) -> Dataset:
    """Build data set ``name`` (see the module docstring). Raises ValueError listing the valid names.

    ``options``: for ``playground-spiral`` only, ``noise``, ``train_fraction`` and ``features``.
    """
    if name not in DATASET_NAMES:
        raise _unknown(name)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"load_dataset: seed must be an int >= 0, got {seed!r}")
    extra = set(options) - ({"noise", "train_fraction", "features"} if name == "playground-spiral" else set())
    if extra:
        raise ValueError(f"load_dataset: {name!r} takes no option {', '.join(sorted(extra))} (noise, train_fraction "
                         "and features are playground-spiral's)")
    if pad_to is not None and name not in IMAGE_DATASETS:
        raise ValueError(f"load_dataset: pad_to applies to image data sets ({', '.join(IMAGE_DATASETS)}), not {name!r}")
    spec = {"name": name, "seed": seed, "n_samples": n_samples, "n_train": n_train}
    if pad_to is not None:
        spec["pad_to"] = pad_to
    spec.update({k: v for k, v in options.items() if v is not None})
    if name == "playground-spiral":
        split, source = _playground(seed, n_samples, options)
    elif name == "spiral":
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
    elif name == "fashion-mnist":
        f = D.load_fashion_mnist(root=data_root, download=download, dtype=np.float32)
        split = _hold_out(f.x_train, f.y_train, f.x_test, f.y_test, seed)
        source = f"fashion-mnist (60000/10000) from {f.path}; 1/10 of train held out as validation (seed {seed})"
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
    if pad_to is not None:
        split = _pad(split, pad_to)
        source += f"; images zero-padded to {pad_to}×{pad_to}"
    if n_train is not None:
        if isinstance(n_train, bool) or not isinstance(n_train, int) or n_train < 1:
            raise ValueError(f"load_dataset: n_train must be an int >= 1, got {n_train!r}")
        split = split._replace(x_train=split.x_train[:n_train], y_train=split.y_train[:n_train])
        source += f"; first {len(split.y_train)} training samples used"
    labels = np.concatenate([split.y_train, split.y_val, split.y_test])
    n_classes = 10 if name in IMAGE_DATASETS else int(labels.max()) + 1
    return Dataset(name, split, source, max(n_classes, 2), spec)


__all__ = ["DATASET_NAMES", "IMAGE_DATASETS", "Dataset", "load_dataset"]
