"""CIFAR-10 (python version): downloader, safe reader of the pickled batches, and a fake generator.

The official ``cifar-10-python.tar.gz`` holds ``cifar-10-batches-py/`` with ``data_batch_1`` ..
``data_batch_5`` (10,000 images each), ``test_batch`` (10,000) and ``batches.meta``. Each is a Python 2
protocol-2 pickle of a dict: ``data`` a uint8 array (10000, 3072) (rows are 1024 red, 1024 green,
1024 blue values of a 32x32 image, row-major), ``labels`` a list of ints 0..9, plus ``batch_label`` and
``filenames``; ``batches.meta`` has ``label_names``. Read with ``encoding="bytes"`` the keys are bytes.

Pickles can run arbitrary code when loaded, so they are never read with plain ``pickle.load``:
:class:`SafeUnpickler` admits only the globals numpy needs to rebuild an array
(``numpy.core.multiarray._reconstruct`` or ``numpy._core.multiarray._reconstruct``, ``numpy.ndarray``,
``numpy.dtype``) plus ``_codecs.encode`` restricted to ``(str, "latin1")`` (how Python 3 writes bytes in
a protocol-2 pickle); anything else raises :class:`UnsafePickleError` naming the forbidden global, before
it can be called.

Arrays: images float64 in [0, 1] (pixel / 255) shaped ``(N, 3, 32, 32)`` (``flatten=True``: (N, 3072));
labels int64. The full float64 training set takes 1.5 GB of memory (``dtype=np.float32``: 0.74 GB).
"""

from __future__ import annotations

import codecs
import io
import logging
import pickle
import struct
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .download import download_file, resolve_cache_dir, verify_file
from .split import make_rng

try:  # numpy >= 2
    from numpy._core.multiarray import _reconstruct
except ImportError:  # pragma: no cover - numpy 1.x
    from numpy.core.multiarray import _reconstruct

log = logging.getLogger("microgradnet.data")

CIFAR10_URLS = ("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",)
CIFAR10_TARBALL = "cifar-10-python.tar.gz"
CIFAR10_MD5 = "c58f30108f718f92721af3b95e74349a"
CIFAR10_SIZE = 170_498_071  # bytes of cifar-10-python.tar.gz
CIFAR10_FOLDER = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
META_FILE = "batches.meta"
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
IMAGE_SHAPE = (3, 32, 32)
MAX_PICKLE_BYTES = 256 << 20  # one pickled batch; CIFAR-10's are 31 MB, CIFAR-100's training set 155 MB


class CifarError(ValueError):
    """A CIFAR file that is malformed or asks for more than it may build; the message names the file."""


class UnsafePickleError(pickle.UnpicklingError, CifarError):
    """A pickle asked for a global outside the allow-list (it was not imported or called), or for more operations
    or bytes than a CIFAR file needs."""


def _latin1_encode(obj, encoding="utf-8", errors="strict"):
    """``_codecs.encode`` as protocol-2 pickles of ``bytes`` use it: ``encode(str, "latin1")`` only."""
    if not isinstance(obj, str) or encoding != "latin1" or errors != "strict":
        raise UnsafePickleError(
            f"_codecs.encode is allowed only as encode(str, 'latin1') (how pickle stores bytes), "
            f"got encode({type(obj).__name__}, {encoding!r}, {errors!r})"
        )
    return codecs.encode(obj, "latin1")


def _empty_reconstruct(subtype, shape, dtype):
    """numpy's ``_reconstruct`` as pickles use it: an empty array that ``__setstate__`` then fills from the file's
    bytes. A non-empty shape would allocate memory the file does not pay for (``(10**7, 10**6)`` is 9 TiB)."""
    if subtype is not np.ndarray or tuple(shape) != (0,):
        raise UnsafePickleError(f"numpy _reconstruct is allowed only as _reconstruct(ndarray, (0,), ...) (how numpy "
                                f"pickles an array), got _reconstruct({getattr(subtype, '__name__', subtype)}, "
                                f"{shape!r:.40})")
    return _reconstruct(subtype, (0,), dtype)


ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _empty_reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _empty_reconstruct,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): _latin1_encode,
}


def _counted(op):
    def run(self):
        self.ops += 1
        if self.ops > self.max_ops:
            raise UnsafePickleError(f"{self.name}: refused: more than {self.max_ops:,} pickle operations (a CIFAR "
                                    "batch needs about 40,000)")
        op(self)
    return run


class SafeUnpickler(pickle._Unpickler):  # noqa: SLF001 - the pure-Python unpickler: its memo is a dict
    """An Unpickler whose ``find_class`` returns only :data:`ALLOWED_GLOBALS` and refuses the rest, and that
    executes at most ``max_ops`` pickle operations.

    ``name`` (the file's name) is used in error messages. Persistent ids are refused too (the default). It is
    the pure-Python unpickler: its memo is a dict, where the C one sizes an array by the largest memo index a file
    names (9 bytes asking for index 2³¹ made it allocate 16 GiB).
    """

    dispatch = {code: _counted(op) for code, op in pickle._Unpickler.dispatch.items()}  # noqa: SLF001

    def __init__(self, file, *, name: str = "<pickle>", encoding: str = "bytes", max_ops: int = 2_000_000):
        super().__init__(file, encoding=encoding)
        self.name = name
        self.ops = 0
        self.max_ops = max_ops

    def find_class(self, module, name):
        try:
            return ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            allowed = ", ".join(sorted(f"{m}.{n}" for m, n in ALLOWED_GLOBALS))
            raise UnsafePickleError(
                f"{self.name}: refusing to load forbidden global {module}.{name} (a CIFAR batch holds only "
                f"dicts, lists, bytes, numbers and numpy arrays; allowed globals: {allowed})"
            ) from None


def safe_load_pickle(source, name: str | None = None, encoding: str = "bytes", max_bytes: int = MAX_PICKLE_BYTES):
    """Unpickle a file path or binary file object with :class:`SafeUnpickler` (``encoding="bytes"``).

    At most ``max_bytes`` are read (a CIFAR-10 batch is 31 MB): the pickle is read into memory first, so a length
    field asking for more than the file holds finds the end of the data instead of allocating it. Raises
    :class:`UnsafePickleError` for a forbidden global, too many operations or too many bytes, and
    :class:`CifarError` (a ``ValueError``) for a truncated or corrupt stream or one that runs out of memory, all
    naming the file.
    """
    if isinstance(source, (str, Path)):
        with open(source, "rb") as fh:
            return safe_load_pickle(fh, name or str(source), encoding, max_bytes)
    name = name or str(getattr(source, "name", "<pickle>"))
    data = source.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UnsafePickleError(f"{name}: refused: larger than {max_bytes:,} bytes (max_bytes; a CIFAR-10 batch is "
                                "31,035,704)")
    try:
        return SafeUnpickler(io.BytesIO(data), name=name, encoding=encoding).load()
    except UnsafePickleError as err:
        if str(err).startswith(name):
            raise
        raise UnsafePickleError(f"{name}: {err}") from None
    except MemoryError:
        raise CifarError(f"{name}: refused: unpickling it ran out of memory") from None
    except RecursionError:
        raise CifarError(f"{name}: refused: nested too deeply for a CIFAR file") from None
    except (EOFError, pickle.UnpicklingError, ValueError, TypeError, KeyError, IndexError, AttributeError,
            struct.error, OverflowError) as err:
        raise CifarError(f"{name}: truncated or corrupt pickle ({type(err).__name__}: {err})") from err


def _str_keys(obj, name: str) -> dict:
    if not isinstance(obj, dict):
        raise CifarError(f"CIFAR file {name}: expected a pickled dict, found {type(obj).__name__}")
    return {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in obj.items()}


def read_cifar_batch(source, name: str | None = None, n_classes: int = 10):
    """Read one CIFAR-10 batch (path or binary file object): uint8 images (N, 3, 32, 32), int64 labels (N,).

    Raises :class:`CifarError` (a ``ValueError``) naming the file if the content is not a batch: missing keys,
    ``data`` not a uint8 (N, 3072) array, labels not a flat list of N ints in ``0 .. n_classes-1``.
    """
    name = name or str(getattr(source, "name", source))
    batch = _str_keys(safe_load_pickle(source, name), name)
    missing = [k for k in ("data", "labels") if k not in batch]
    if missing:
        raise CifarError(f"CIFAR batch {name}: expected keys 'data' and 'labels', missing {missing} "
                         f"(found {sorted(batch)})")
    data = batch["data"]
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        found = type(data).__name__
        if isinstance(data, np.ndarray):
            found = f"{data.dtype} array of shape {data.shape}"
        raise CifarError(f"CIFAR batch {name}: expected 'data' a uint8 array of shape (N, 3072), "
                         f"found {found}")
    raw = batch["labels"]
    # checked before numpy sees it: a list of memo-shared lists would expand to 10⁹ numbers in np.asarray
    if not isinstance(raw, list):
        raise CifarError(f"CIFAR batch {name}: 'labels' must be a flat list of ints, found {type(raw).__name__}")
    odd = next((v for v in raw if type(v) is not int), None)
    if odd is not None:
        raise CifarError(f"CIFAR batch {name}: 'labels' must be a flat list of ints, found a {type(odd).__name__} "
                         "in it")
    if len(raw) != data.shape[0]:
        raise CifarError(f"CIFAR batch {name}: expected {data.shape[0]} labels (one per image), found {len(raw)}")
    try:
        labels = np.asarray(raw, dtype=np.int64)
    except OverflowError as err:
        raise CifarError(f"CIFAR batch {name}: 'labels' must be ints 0..{n_classes - 1} ({err})") from None
    bad = np.flatnonzero((labels < 0) | (labels >= n_classes))
    if bad.size:
        raise CifarError(f"CIFAR batch {name}: labels must be in 0..{n_classes - 1}, "
                         f"found {int(labels[bad[0]])} at index {int(bad[0])}")
    return data.reshape(-1, *IMAGE_SHAPE), labels


def read_cifar_meta(source, name: str | None = None) -> tuple[str, ...]:
    """The class names from ``batches.meta`` (``label_names``, decoded to str)."""
    name = name or str(getattr(source, "name", source))
    meta = _str_keys(safe_load_pickle(source, name), name)
    names = meta.get("label_names")
    if not isinstance(names, list) or not all(isinstance(n, (bytes, str)) for n in names):
        raise CifarError(f"CIFAR meta {name}: expected 'label_names', a list of strings, found {names!r:.80}")
    return tuple(n.decode("utf-8") if isinstance(n, bytes) else n for n in names)


@dataclass(frozen=True, eq=False)
class CIFAR10:
    """CIFAR-10 arrays and where they came from. Unpacks as ``x_train, y_train, x_test, y_test``."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: tuple[str, ...]
    source: str
    path: str

    def __iter__(self):
        return iter((self.x_train, self.y_train, self.x_test, self.y_test))


def _assemble(files: dict, where: str, flatten: bool, dtype, source: str) -> CIFAR10:
    """``files`` maps each needed file name to a path or file object (read in the order given)."""
    parts = {n: read_cifar_batch(src, f"{where}/{n}") for n, src in files.items() if n != META_FILE}
    classes = CIFAR10_CLASSES
    if META_FILE in files:
        classes = read_cifar_meta(files[META_FILE], f"{where}/{META_FILE}")
    xtr = np.concatenate([parts[b][0] for b in TRAIN_BATCHES])
    ytr = np.concatenate([parts[b][1] for b in TRAIN_BATCHES])
    xte, yte = parts[TEST_BATCH]

    def scale(x):
        x = x.astype(dtype) / dtype.type(255)
        return x.reshape(len(x), -1) if flatten else x

    return CIFAR10(scale(xtr), ytr, scale(xte), yte, classes, source, where)


def read_cifar10_folder(folder, flatten=False, dtype=np.float64) -> CIFAR10:
    """Read an extracted ``cifar-10-batches-py`` folder."""
    folder = Path(folder)
    needed = (*TRAIN_BATCHES, TEST_BATCH, META_FILE)
    missing = [n for n in needed if not (folder / n).is_file()]
    if missing:
        raise FileNotFoundError(f"CIFAR-10 folder {folder}: missing {missing}")
    return _assemble({n: folder / n for n in needed}, str(folder), flatten, np.dtype(dtype), "folder")


def read_cifar10_tarball(path, flatten=False, dtype=np.float64) -> CIFAR10:
    """Read the batches straight out of ``cifar-10-python.tar.gz`` (one pass; nothing is written to disk)."""
    path = Path(path)
    needed = {f"{CIFAR10_FOLDER}/{n}": n for n in (*TRAIN_BATCHES, TEST_BATCH, META_FILE)}
    if not path.is_file():
        raise FileNotFoundError(f"CIFAR-10 tarball {path} does not exist")
    found = {}
    try:
        with tarfile.open(path, "r:*") as tar:
            for member in tar:
                short = needed.get(member.name)
                if short is None:
                    continue
                if not member.isfile():
                    raise CifarError(f"CIFAR-10 tarball {path}: {member.name} is not a regular file")
                if member.size > MAX_PICKLE_BYTES:
                    raise UnsafePickleError(f"CIFAR-10 tarball {path}: refused: {member.name} declares "
                                            f"{member.size:,} bytes, more than {MAX_PICKLE_BYTES:,}")
                found[short] = tar.extractfile(member).read()
    except (tarfile.TarError, EOFError, OSError, zlib.error) as err:
        raise CifarError(f"CIFAR-10 tarball {path}: unreadable or truncated ({err})") from err
    missing = sorted(set(needed.values()) - set(found))
    if missing:
        raise CifarError(f"CIFAR-10 tarball {path}: expected members {CIFAR10_FOLDER}/<name>, "
                         f"missing {missing}")
    ordered = {n: io.BytesIO(found[n]) for n in (*TRAIN_BATCHES, TEST_BATCH, META_FILE)}
    return _assemble(ordered, str(path), flatten, np.dtype(dtype), "tarball")


def load_cifar10(root=None, download=True, flatten=False, dtype=np.float64, verbose=True,
                 urls=CIFAR10_URLS, timeout=60.0) -> CIFAR10:
    """CIFAR-10: images (N, 3, 32, 32) in [0, 1] of ``dtype`` (float64 default), int64 labels.

    Looks in ``<root>/cifar10/`` (root defaults to the cache folder, see
    :func:`~microgradnet.data.download.resolve_cache_dir`): an extracted ``cifar-10-batches-py/`` folder,
    else the tarball (md5-verified), downloading it (163 MB) if missing and ``download``. Raises
    ``OSError`` if it cannot be had -- there is no built-in subset; ``fake_cifar10`` makes random data of
    the same shape for speed tests.
    """
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"load_cifar10: dtype must be float32 or float64, got {dtype}")
    folder = resolve_cache_dir(root) / "cifar10"
    extracted = folder / CIFAR10_FOLDER
    if extracted.is_dir():
        data = read_cifar10_folder(extracted, flatten, dtype)
    else:
        tarball = folder / CIFAR10_TARBALL
        if not verify_file(tarball, "md5:" + CIFAR10_MD5):
            if not download:
                raise FileNotFoundError(f"load_cifar10: neither {extracted} nor a valid {tarball} exists, "
                                        f"and download=False")
            folder.mkdir(parents=True, exist_ok=True)
            tarball = download_file(CIFAR10_TARBALL, urls, "md5:" + CIFAR10_MD5, cache_dir=folder,
                                    timeout=timeout, size=CIFAR10_SIZE)
        data = read_cifar10_tarball(tarball, flatten, dtype)
    msg = f"CIFAR-10: using the full data set (50,000 train / 10,000 test) from {data.path}"
    log.info(msg)
    if verbose:
        print(msg)
    return data


def fake_cifar10(n=1000, seed=0, n_classes=10, flatten=False):
    """Random CIFAR-shaped data for speed tests: ``X`` (n, 3, 32, 32) float64 with values k/255, ``y`` int64.

    Pixels are uniform over 0..255 then divided by 255 (so the value set matches real CIFAR); labels are
    uniform in ``0 .. n_classes-1``. Carries no signal: accuracy stays at chance.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"fake_cifar10: n must be an int >= 1, got {n!r}")
    rng = make_rng(seed, "fake_cifar10")
    X = rng.integers(0, 256, size=(n, *IMAGE_SHAPE), dtype=np.uint8).astype(np.float64) / 255.0
    y = rng.integers(0, n_classes, size=n).astype(np.int64)
    return (X.reshape(n, -1) if flatten else X), y


__all__ = ["CIFAR10", "CIFAR10_CLASSES", "CIFAR10_MD5", "CIFAR10_URLS", "CifarError", "SafeUnpickler",
           "UnsafePickleError", "fake_cifar10", "load_cifar10", "read_cifar10_folder", "read_cifar10_tarball",
           "read_cifar_batch", "read_cifar_meta", "safe_load_pickle"]
