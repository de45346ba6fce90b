"""Fashion-MNIST (Zalando): 60,000 train / 10,000 test 28×28 grey images of clothes in 10 classes, MNIST's format.

Where the four IDX files are looked for, in this order (the first folder that has all four wins):

1. ``<root>/fashion-mnist/`` when ``root`` is given, else ``<cache>/fashion-mnist/`` (the cache folder of
   :mod:`.download`: ``$MICROGRADNET_DATA`` or ``~/.cache/microgradnet``) -- where a downloaded copy lives;
2. ``/usr/share/datasets/fashion-mnist/``, where Debian's package puts them (``sudo apt-get install
   dataset-fashion-mnist``);
3. with ``download=True``, the official files are fetched from Zalando's mirrors into the cache folder (verified
   by the md5 Zalando and torchvision publish).

Checksums: every file is verified by the sha256 of its **decompressed** IDX bytes (``CONTENT_SHA256``), so the
official ``.gz`` files and Debian's re-compressed ones (same contents, different gzip headers: their md5s differ
from Zalando's) are both accepted, and nothing else is. A wrong file raises ``ValueError`` naming it, the expected
and the found checksum. When no copy is found, :class:`FashionMnistMissing` says in one line how to get one.

Arrays: as :func:`~.mnist.load_mnist`: images float64 in [0, 1] shaped (N, 1, 28, 28) (or (N, 784) with
``flatten``; ``dtype=np.float32`` halves the memory: 188 MB instead of 376 MB for the training images), labels
int64 0..9 (:data:`FASHION_MNIST_CLASSES` names them). Returned as an :class:`~.mnist.MNIST` whose ``source`` is
``"fashion-mnist"`` and ``path`` the folder read.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .download import DownloadError, download_file, resolve_cache_dir
from .idx import encode_idx
from .mnist import MNIST, N_TEST, N_TRAIN, read_mnist_idx

log = logging.getLogger("microgradnet.data")

FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                         "Ankle boot")
SUBDIR = "fashion-mnist"
SYSTEM_DIRS = (Path("/usr/share/datasets/fashion-mnist"),)
MIRRORS = (
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
)
INSTALL_HINT = ("sudo apt-get install dataset-fashion-mnist (Debian/Ubuntu), or put the four files of "
                "https://github.com/zalandoresearch/fashion-mnist (data/fashion/*.gz) in {cache}")


class FashionFile(NamedTuple):
    name: str
    gz_md5: str  # of Zalando's published .gz (what a download is checked against)
    content_sha256: str  # of the decompressed IDX bytes (what every copy is checked against)


FASHION_MNIST_FILES = {
    "train_images": FashionFile("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                                "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
    "train_labels": FashionFile("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe",
                                "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
    "test_images": FashionFile("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79",
                               "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
    "test_labels": FashionFile("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310",
                               "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
}


COUNTS = {"train": N_TRAIN, "test": N_TEST}  # images per part, checked when reading


class FashionMnistMissing(FileNotFoundError):
    """No folder holds the four Fashion-MNIST files (and none could be downloaded); the message says how to get
    them in one line."""


def _complete(folder: Path) -> bool:
    return all((folder / f.name).is_file() for f in FASHION_MNIST_FILES.values())


def candidate_folders(root=None, system_dirs=SYSTEM_DIRS) -> list[Path]:
    """The folders searched, in order: ``<root or cache>/fashion-mnist``, then the system folders."""
    return [resolve_cache_dir(root) / SUBDIR, *(Path(d) for d in system_dirs)]


def find_fashion_mnist(root=None, system_dirs=SYSTEM_DIRS) -> Path | None:
    """The first folder of :func:`candidate_folders` holding all four files, or None."""
    return next((f for f in candidate_folders(root, system_dirs) if _complete(f)), None)


def _download(folder: Path, mirrors, timeout: float) -> None:
    for spec in FASHION_MNIST_FILES.values():
        download_file(spec.name, [m + spec.name for m in mirrors], "md5:" + spec.gz_md5, cache_dir=folder,
                      timeout=timeout)


def _verified(arrays, paths, keys) -> None:
    for array, path, key in zip(arrays, paths, keys):
        want = FASHION_MNIST_FILES[key].content_sha256
        found = hashlib.sha256(encode_idx(array)).hexdigest()
        if found != want:
            raise ValueError(f"Fashion-MNIST file {path}: wrong contents: expected sha256 {want} of the "
                             f"decompressed IDX bytes, found {found}; reinstall the package or delete the file")


def load_fashion_mnist(root=None, download=True, flatten=False, dtype=np.float64, system_dirs=SYSTEM_DIRS,
                       mirrors=MIRRORS, timeout=30.0, verbose=False) -> MNIST:
    """Fashion-MNIST from the first folder that has it (see the module docstring), downloading if allowed.

    Raises :class:`FashionMnistMissing` (one line: how to install it) when there is no copy and none could be
    downloaded, ``ValueError`` for a malformed or altered file.
    """
    folder = find_fashion_mnist(root, system_dirs)
    if folder is None and download:
        target = resolve_cache_dir(root) / SUBDIR
        try:
            target.mkdir(parents=True, exist_ok=True)
            _download(target, mirrors, timeout)
            folder = target
        except (DownloadError, OSError) as err:
            log.debug("Fashion-MNIST download failed: %s", err)
    if folder is None:
        cache = resolve_cache_dir(root) / SUBDIR
        raise FashionMnistMissing("Fashion-MNIST is not installed" + (" and could not be downloaded" if download
                                                                      else "") + ": "
                                  + INSTALL_HINT.format(cache=cache))
    p = {k: folder / f.name for k, f in FASHION_MNIST_FILES.items()}
    xtr, ytr = read_mnist_idx(p["train_images"], p["train_labels"], "Fashion-MNIST train", COUNTS["train"])
    xte, yte = read_mnist_idx(p["test_images"], p["test_labels"], "Fashion-MNIST test", COUNTS["test"])
    _verified((xtr, ytr, xte, yte), p.values(), p.keys())
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"load_fashion_mnist: dtype must be a float type, got {dtype}")

    def images(x):
        x = x.astype(dtype) / dtype.type(255)
        return x.reshape(len(x), -1) if flatten else x.reshape(len(x), 1, 28, 28)

    msg = f"Fashion-MNIST: 60,000 train / 10,000 test from {folder}"
    log.info(msg)
    if verbose:
        print(msg)
    return MNIST(images(xtr), ytr.astype(np.int64), images(xte), yte.astype(np.int64), source="fashion-mnist",
                 path=str(folder))


__all__ = ["FASHION_MNIST_CLASSES", "FASHION_MNIST_FILES", "FashionMnistMissing", "candidate_folders",
           "find_fashion_mnist", "load_fashion_mnist"]
