"""IDX reader/writer: round trips (plain and gzip) and each kind of corrupt file."""

import gzip
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from microgradnet.data.idx import encode_idx, idx_magic, parse_idx, read_idx, write_idx

DTYPES = ["uint8", "int8", ">i2", ">i4", ">f4", ">f8", "<i2", "<f8"]


def header(code, dims):
    return bytes([0, 0, code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["a.idx", "a.idx.gz"])
def test_round_trip_each_dtype(tmp_path, dtype, name):
    rng = np.random.default_rng(0)
    a = (rng.standard_normal((3, 4, 5)) * 100).astype(dtype)
    path = write_idx(tmp_path / name, a)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == name.endswith(".gz")
    b = read_idx(path)
    assert b.shape == (3, 4, 5)
    assert b.dtype == np.dtype(dtype).newbyteorder("=")
    np.testing.assert_array_equal(a, b)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no temp file left


def test_header_bytes_match_the_mnist_layout(tmp_path):
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    raw = encode_idx(images)
    assert raw[:16] == b"\x00\x00\x08\x03" + struct.pack(">III", 2, 28, 28)
    assert int.from_bytes(raw[:4], "big") == idx_magic(0x08, 3) == 2051
    assert raw[16:] == images.tobytes()
    expected = header(0x0C, [2]) + b"\x00\x00\x00\x01\x00\x00\x00\x02"
    assert encode_idx(np.array([1, 2], dtype=">i4")) == expected


def test_gzip_is_detected_by_content_not_name(tmp_path):
    a = np.arange(10, dtype=np.int8) - 5
    path = write_idx(tmp_path / "plain-name.idx", a, compress=True)
    np.testing.assert_array_equal(read_idx(path), a)


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(dtype=st.sampled_from([np.uint8, np.int16, np.float32, np.float64]),
                  shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=4)))
def test_round_trip_property(a):
    b = parse_idx(encode_idx(a))
    assert b.shape == a.shape
    np.testing.assert_array_equal(a, b)


def test_wrong_magic(tmp_path):
    path = tmp_path / "bad.idx"
    path.write_bytes(b"\x01\x02\x08\x01" + struct.pack(">I", 1) + b"x")
    with pytest.raises(ValueError, match=r"bad\.idx: wrong magic number: expected 0x0000.*found 0x01020801"):
        read_idx(path)


def test_expected_magic_mismatch(tmp_path):
    path = write_idx(tmp_path / "labels.idx", np.zeros(3, dtype=np.uint8))
    with pytest.raises(ValueError, match=r"labels\.idx: wrong magic number: expected 0x00000803 = 2051, "
                                         r"found 0x00000801 = 2049"):
        read_idx(path, expected_magic=2051)
    assert read_idx(path, expected_magic=2049).shape == (3,)


def test_wrong_dtype_code(tmp_path):
    path = tmp_path / "code.idx"
    path.write_bytes(header(0x0A, [2]) + b"ab")
    with pytest.raises(ValueError, match=r"code\.idx: wrong dtype code: expected one of 0x08 \(uint8\).*"
                                         r"found 0x0A"):
        read_idx(path)


def test_truncated_header(tmp_path):
    path = tmp_path / "short.idx"
    path.write_bytes(header(0x08, [2, 3, 4])[:9])
    with pytest.raises(ValueError, match=r"short\.idx: truncated header: 3 dims need 16 header bytes, "
                                         r"found 9"):
        read_idx(path)
    path.write_bytes(b"\x00\x00")
    with pytest.raises(ValueError, match=r"short\.idx: truncated: expected at least a 4-byte header"
                                         r".*found 2"):
        read_idx(path)


def test_truncated_data(tmp_path):
    path = tmp_path / "cut.idx"
    path.write_bytes(encode_idx(np.zeros((3, 4, 5), dtype=np.uint8))[:-10])
    with pytest.raises(ValueError, match=r"cut\.idx: truncated: dims \(3, 4, 5\) of uint8 need 60 data "
                                         r"bytes, found 50"):
        read_idx(path)


def test_data_longer_than_dims(tmp_path):
    path = tmp_path / "long.idx"
    path.write_bytes(encode_idx(np.zeros(4, dtype=">f4")) + b"\x00" * 3)
    with pytest.raises(ValueError, match=r"long\.idx: data size does not match dims: dims \(4,\) of float32 "
                                         r"need 16 data bytes, found 19 \(3 extra\)"):
        read_idx(path)


def test_truncated_gzip(tmp_path):
    path = tmp_path / "cut.idx.gz"
    path.write_bytes(gzip.compress(encode_idx(np.ones((50, 50), dtype=np.uint8)))[:-12])
    with pytest.raises(ValueError, match=r"cut\.idx\.gz: truncated gzip stream"):
        read_idx(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nope.idx")


@pytest.mark.parametrize("dtype", ["int64", "float16", "bool", "uint16"])
def test_writer_refuses_dtypes_idx_cannot_store(tmp_path, dtype):
    with pytest.raises(TypeError, match=rf"dtype {np.dtype(dtype)} cannot be stored in IDX; expected one of"):
        write_idx(tmp_path / "x.idx", np.zeros(2, dtype=dtype))
    assert list(tmp_path.iterdir()) == []
