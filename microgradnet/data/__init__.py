"""Data sets and batching for microgradnet -- plain numpy, independent of the autodiff engine.

* generated: ``spiral``, ``moons``, ``circles``, ``xor``, ``blobs``, ``gaussian_binary_20d`` (synthetic.py)
* generated like the TensorFlow playground: ``playground_spiral`` and its input ``feature_map``
* real: ``load_mnist`` (full set, or the built-in 5,000-digit subset), ``load_fashion_mnist`` (Debian's package or
  a downloaded copy), ``load_cifar10``; ``fake_cifar10``
* files: ``read_idx`` / ``write_idx`` (IDX, MNIST's format), ``download_file`` (mirrors + checksum + cache)
* splitting and batching: ``train_val_test_split``, ``random_split``, ``DataLoader``

``load(name, **kw)`` calls ``DATASETS[name](**kw)``.
"""

from __future__ import annotations

import difflib

from .cifar import (
    CIFAR10,
    CIFAR10_CLASSES,
    SafeUnpickler,
    UnsafePickleError,
    fake_cifar10,
    load_cifar10,
    read_cifar_batch,
    read_cifar_meta,
    safe_load_pickle,
)
from .download import DownloadError, download_file, file_checksum, resolve_cache_dir, verify_file
from .fashion_mnist import FASHION_MNIST_CLASSES, FashionMnistMissing, find_fashion_mnist, load_fashion_mnist
from .idx import parse_idx, read_idx, write_idx
from .loader import DataLoader
from .mnist import MNIST, load_mnist, load_mnist_full, load_mnist_subset, read_mnist_idx, to_ascii
from .split import Split, random_split, train_val_test_split
from .synthetic import COURSE_NAMES as _SYNTHETIC_COURSE_NAMES
from .synthetic import (
    PLAYGROUND_FEATURES,
    blobs,
    circles,
    eecs498_binary,  # noqa: F401  (old name of gaussian_binary_20d, the same function)
    feature_map,
    gaussian_binary_20d,
    moons,
    playground_spiral,
    spiral,
    xor,
)

DATASETS = {
    "spiral": spiral,
    "moons": moons,
    "circles": circles,
    "xor": xor,
    "blobs": blobs,
    "gaussian_binary_20d": gaussian_binary_20d,
    "mnist": load_mnist,
    "mnist_subset": load_mnist_subset,
    "fashion_mnist": load_fashion_mnist,
    "playground_spiral": playground_spiral,
    "cifar10": load_cifar10,
    "fake_cifar10": fake_cifar10,
}

#: Old (course-code) data-set names ``load`` still accepts → the name in ``DATASETS``.
DATASET_ALIASES = {old: new for old, new in _SYNTHETIC_COURSE_NAMES.items() if new in DATASETS}


def load(name: str, **kw):
    """``DATASETS[name](**kw)`` (an old name of ``DATASET_ALIASES`` is accepted too); an unknown name raises
    ValueError listing the valid choices."""
    name = DATASET_ALIASES.get(name, name)
    if name not in DATASETS:
        close = difflib.get_close_matches(str(name), DATASETS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        choices = ", ".join(sorted(DATASETS))
        raise ValueError(f"load: unknown data set {name!r}{hint}; valid choices: {choices}")
    return DATASETS[name](**kw)


__all__ = [
    "CIFAR10",
    "CIFAR10_CLASSES",
    "DATASETS",
    "DATASET_ALIASES",
    "MNIST",
    "FASHION_MNIST_CLASSES",
    "PLAYGROUND_FEATURES",
    "DataLoader",
    "FashionMnistMissing",
    "DownloadError",
    "SafeUnpickler",
    "Split",
    "UnsafePickleError",
    "blobs",
    "circles",
    "download_file",
    "fake_cifar10",
    "feature_map",
    "file_checksum",
    "find_fashion_mnist",
    "gaussian_binary_20d",
    "load",
    "load_cifar10",
    "load_fashion_mnist",
    "load_mnist",
    "load_mnist_full",
    "load_mnist_subset",
    "moons",
    "parse_idx",
    "playground_spiral",
    "random_split",
    "read_cifar_batch",
    "read_cifar_meta",
    "read_idx",
    "read_mnist_idx",
    "resolve_cache_dir",
    "safe_load_pickle",
    "spiral",
    "to_ascii",
    "train_val_test_split",
    "verify_file",
    "write_idx",
    "xor",
]
