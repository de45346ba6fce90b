"""Reading and writing IDX files, the format MNIST ships in (numpy only).

Layout (all integers big-endian)::

    byte 0-1   0x00 0x00                     (the first half of the "magic number")
    byte 2     dtype code                    0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
                                             0x0D float32, 0x0E float64
    byte 3     ndim                          number of dimensions
    4 * ndim   dims                          uint32 each
    rest       data                          prod(dims) items of the dtype, big-endian, C order

The magic number is bytes 0-3 read as one big-endian uint32: MNIST images are 2051 (0x00000803: uint8,
3 dims), labels 2049 (0x00000801: uint8, 1 dim). Files may be gzip-compressed (recognised by their
first two bytes 0x1f 0x8b, not by the name).

Every malformed file raises :class:`IdxError` (a ``ValueError``) naming the file, what was expected and what was
found. Reading is bounded: the header is checked from the first bytes of the stream, and a file declaring more
than :data:`MAX_IDX_BYTES` is refused before anything is inflated (a 2 MB ``.gz`` could otherwise expand to GBs).
"""

from __future__ import annotations

import gzip
import math
import zlib
from pathlib import Path

import numpy as np

from ..fileio import atomic_write_bytes

IDX_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODE_OF = {(dt.kind, dt.itemsize): code for code, dt in IDX_DTYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20
MAX_IDX_BYTES = 1 << 30  # 1 GiB of data: MNIST's largest file holds 47 MB; pass max_bytes= for larger sets


def _codes_text() -> str:
    return ", ".join(f"0x{code:02X} ({dt.name})" for code, dt in IDX_DTYPES.items())


def idx_magic(dtype_code: int, ndim: int) -> int:
    """The 32-bit magic number of an IDX file: ``dtype_code << 8 | ndim`` (2051 for MNIST images)."""
    return (dtype_code << 8) | ndim


class IdxError(ValueError):
    """A malformed IDX file, or one declaring more data than :data:`MAX_IDX_BYTES`; the message names the file."""


def _header(raw: bytes, name: str, expected_magic: int | None, max_bytes: int) -> tuple[np.dtype, tuple, int, int]:
    """(dtype, dims, header length, data bytes) from the first bytes of an IDX stream, checked against
    ``expected_magic`` and ``max_bytes`` -- before any data is read. ``raw`` holds at least the header if the
    file does."""
    if len(raw) < 4:
        raise IdxError(
            f"IDX file {name}: truncated: expected at least a 4-byte header (magic number), "
            f"found {len(raw)} bytes"
        )
    if raw[0] != 0 or raw[1] != 0:
        found = int.from_bytes(raw[:4], "big")
        gz = " (it looks gzip-compressed but did not decompress)" if raw[:2] == _GZIP_MAGIC else ""
        raise IdxError(
            f"IDX file {name}: wrong magic number: expected 0x0000 in the first two bytes "
            f"(e.g. 0x00000803 = 2051 for MNIST images), found 0x{found:08X} = {found}{gz}"
        )
    code, ndim = raw[2], raw[3]
    magic = int.from_bytes(raw[:4], "big")
    if expected_magic is not None and magic != expected_magic:
        raise IdxError(
            f"IDX file {name}: wrong magic number: expected 0x{expected_magic:08X} = {expected_magic}, "
            f"found 0x{magic:08X} = {magic}"
        )
    if code not in IDX_DTYPES:
        raise IdxError(f"IDX file {name}: wrong dtype code: expected one of {_codes_text()}, found 0x{code:02X}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise IdxError(f"IDX file {name}: truncated header: {ndim} dims need {header} header bytes, found {len(raw)}")
    dims = tuple(int.from_bytes(raw[4 + 4 * k:8 + 4 * k], "big") for k in range(ndim))
    dtype = IDX_DTYPES[code]
    nbytes = math.prod(dims) * dtype.itemsize  # Python ints: no overflow
    if nbytes > max_bytes:
        raise IdxError(f"IDX file {name}: refused: dims {dims} of {dtype.name} declare {nbytes:,} data bytes, more "
                       f"than the limit of {max_bytes:,} (max_bytes; MNIST's largest file holds 47,040,000)")
    return dtype, dims, header, nbytes


def _size_error(name, dims, dtype, nbytes, found, at_least=False) -> IdxError:
    if found < nbytes:
        return IdxError(f"IDX file {name}: truncated: dims {dims} of {dtype.name} need {nbytes} data bytes, "
                        f"found {found}")
    more = "at least " if at_least else ""
    return IdxError(f"IDX file {name}: data size does not match dims: dims {dims} of {dtype.name} need {nbytes} "
                    f"data bytes, found {more}{found} ({more}{found - nbytes} extra)")


def _array(data, dtype, dims) -> np.ndarray:
    return np.frombuffer(data, dtype=dtype).reshape(dims).astype(dtype.newbyteorder("="), copy=True)


def parse_idx(raw: bytes, name: str = "<bytes>", expected_magic: int | None = None,
              max_bytes: int | None = None) -> np.ndarray:
    """Parse uncompressed IDX bytes into an array of native byte order. ``name`` is used in errors."""
    dtype, dims, header, nbytes = _header(raw, name, expected_magic, MAX_IDX_BYTES if max_bytes is None else max_bytes)
    found = len(raw) - header
    if found != nbytes:
        raise _size_error(name, dims, dtype, nbytes, found)
    return _array(memoryview(raw)[header:], dtype, dims)


def _read_exactly(fh, n: int) -> bytearray:
    """Up to ``n`` bytes from ``fh`` in 1 MiB reads (fewer only at the end of the stream)."""
    out = bytearray()
    while len(out) < n:
        block = fh.read(min(_CHUNK, n - len(out)))
        if not block:
            break
        out += block
    return out


def _read_stream(fh, name, expected_magic, max_bytes) -> np.ndarray:
    head = _read_exactly(fh, 4)
    if len(head) == 4:
        head += _read_exactly(fh, 4 * head[3])
    dtype, dims, _, nbytes = _header(bytes(head), name, expected_magic, max_bytes)
    data = _read_exactly(fh, nbytes)
    if len(data) < nbytes:
        raise _size_error(name, dims, dtype, nbytes, len(data))
    extra = 0
    while extra <= _CHUNK * 64:  # count what follows, without keeping it, up to 64 MiB
        block = fh.read(_CHUNK)
        if not block:
            break
        extra += len(block)
    if extra:
        raise _size_error(name, dims, dtype, nbytes, nbytes + extra, at_least=extra > _CHUNK * 64)
    return _array(data, dtype, dims)


def read_idx(path, expected_magic: int | None = None, max_bytes: int | None = None) -> np.ndarray:
    """Read an IDX file (plain or gzip) into a numpy array (native byte order, a fresh writable copy).

    The header is checked from the first bytes of the (decompressed) stream, and a file declaring more than
    ``max_bytes`` (default :data:`MAX_IDX_BYTES`) of data is refused before anything else is read or inflated; the
    data is then read in 1 MiB blocks, so memory never exceeds what the header declared.
    ``expected_magic``: if given (e.g. 2051 for MNIST images, 2049 for labels) a different magic number
    is an error. Raises :class:`IdxError` (a ``ValueError``) naming the file for a wrong magic number, wrong dtype
    code, truncated file, data size that does not match the dims, or a size above the limit;
    ``FileNotFoundError`` if the file is missing.
    """
    path = Path(path)
    max_bytes = MAX_IDX_BYTES if max_bytes is None else max_bytes
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        if not gzipped:
            return _read_stream(raw, str(path), expected_magic, max_bytes)
        try:
            with gzip.GzipFile(fileobj=raw) as fh:
                return _read_stream(fh, str(path), expected_magic, max_bytes)
        except EOFError as err:
            raise IdxError(f"IDX file {path}: truncated gzip stream ({err})") from err
        except (gzip.BadGzipFile, zlib.error) as err:
            raise IdxError(f"IDX file {path}: corrupt gzip stream ({err})") from err


def encode_idx(array) -> bytes:
    """The uncompressed IDX bytes of ``array`` (dtype uint8, int8, int16, int32, float32 or float64)."""
    array = np.asarray(array)
    code = _CODE_OF.get((array.dtype.kind, array.dtype.itemsize))
    if code is None:
        raise TypeError(
            f"write_idx: dtype {array.dtype} cannot be stored in IDX; expected one of {_codes_text()}"
        )
    if array.ndim > 255 or any(d >= 2**32 for d in array.shape):
        raise ValueError(f"write_idx: IDX stores at most 255 dims each < 2**32, got shape {array.shape}")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    return header + np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()


def write_idx(path, array, compress: bool | None = None) -> Path:
    """Write ``array`` as an IDX file, atomically; gzip it if ``compress`` (default: name ends in .gz)."""
    path = Path(path)
    payload = encode_idx(array)
    if compress is None:
        compress = path.suffix == ".gz"
    if compress:
        payload = gzip.compress(payload, mtime=0)
    return atomic_write_bytes(path, payload)


__all__ = ["IDX_DTYPES", "MAX_IDX_BYTES", "IdxError", "encode_idx", "idx_magic", "parse_idx", "read_idx", "write_idx"]
