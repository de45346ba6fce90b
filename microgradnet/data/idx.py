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

Every malformed file raises ``ValueError`` naming the file, what was expected and what was found.
"""

from __future__ import annotations

import gzip
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


def _codes_text() -> str:
    return ", ".join(f"0x{code:02X} ({dt.name})" for code, dt in IDX_DTYPES.items())


def idx_magic(dtype_code: int, ndim: int) -> int:
    """The 32-bit magic number of an IDX file: ``dtype_code << 8 | ndim`` (2051 for MNIST images)."""
    return (dtype_code << 8) | ndim


def parse_idx(raw: bytes, name: str = "<bytes>", expected_magic: int | None = None) -> np.ndarray:
    """Parse uncompressed IDX bytes into an array of native byte order. ``name`` is used in errors."""
    if len(raw) < 4:
        raise ValueError(
            f"IDX file {name}: truncated: expected at least a 4-byte header (magic number), "
            f"found {len(raw)} bytes"
        )
    if raw[0] != 0 or raw[1] != 0:
        found = int.from_bytes(raw[:4], "big")
        gz = " (it looks gzip-compressed but did not decompress)" if raw[:2] == _GZIP_MAGIC else ""
        raise ValueError(
            f"IDX file {name}: wrong magic number: expected 0x0000 in the first two bytes "
            f"(e.g. 0x00000803 = 2051 for MNIST images), found 0x{found:08X} = {found}{gz}"
        )
    code, ndim = raw[2], raw[3]
    magic = int.from_bytes(raw[:4], "big")
    if expected_magic is not None and magic != expected_magic:
        raise ValueError(
            f"IDX file {name}: wrong magic number: expected 0x{expected_magic:08X} = {expected_magic}, "
            f"found 0x{magic:08X} = {magic}"
        )
    if code not in IDX_DTYPES:
        raise ValueError(
            f"IDX file {name}: wrong dtype code: expected one of {_codes_text()}, found 0x{code:02X}"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(
            f"IDX file {name}: truncated header: {ndim} dims need {header} header bytes, found {len(raw)}"
        )
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    found = len(raw) - header
    if found < expected:
        raise ValueError(
            f"IDX file {name}: truncated: dims {dims} of {dtype.name} need {expected} data bytes, "
            f"found {found}"
        )
    if found > expected:
        raise ValueError(
            f"IDX file {name}: data size does not match dims: dims {dims} of {dtype.name} need {expected} "
            f"data bytes, found {found} ({found - expected} extra)"
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)
    return data.astype(dtype.newbyteorder("="), copy=True)


def read_idx(path, expected_magic: int | None = None) -> np.ndarray:
    """Read an IDX file (plain or gzip) into a numpy array (native byte order, a fresh writable copy).

    ``expected_magic``: if given (e.g. 2051 for MNIST images, 2049 for labels) a different magic number
    is an error. Raises ``ValueError`` for a wrong magic number, wrong dtype code, truncated file or data
    size that does not match the dims; ``FileNotFoundError`` if the file is missing.
    """
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except EOFError as err:
            raise ValueError(f"IDX file {path}: truncated gzip stream ({err})") from err
        except (gzip.BadGzipFile, zlib.error) as err:
            raise ValueError(f"IDX file {path}: corrupt gzip stream ({err})") from err
    return parse_idx(raw, name=str(path), expected_magic=expected_magic)


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


__all__ = ["IDX_DTYPES", "encode_idx", "idx_magic", "parse_idx", "read_idx", "write_idx"]
