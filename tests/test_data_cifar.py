"""CIFAR-10: batches written as the official pickles, the safe unpickler against hostile pickles."""

import builtins
import codecs
import hashlib
import io
import os
import pickle
import struct
import tarfile

import numpy as np
import pytest

from microgradnet.data import cifar
from microgradnet.data.cifar import (
    CIFAR10_CLASSES,
    UnsafePickleError,
    fake_cifar10,
    load_cifar10,
    read_cifar10_tarball,
    read_cifar_batch,
    read_cifar_meta,
    safe_load_pickle,
)


class Py2Pickler(pickle._Pickler):
    """Writes what Python 2's cPickle wrote: every str / bytes as a BINSTRING (no _codecs.encode)."""

    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2_str(self, obj):
        raw = obj if isinstance(obj, bytes) else obj.encode("latin1")
        if len(raw) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(raw)]) + raw)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(raw)) + raw)
        self.memoize(obj)

    dispatch[bytes] = save_py2_str
    dispatch[str] = save_py2_str


def py2_pickle(obj) -> bytes:
    buf = io.BytesIO()
    Py2Pickler(buf, protocol=2).dump(obj)
    # numpy 1.x (the official batches) named the module numpy.core.multiarray
    return buf.getvalue().replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n")


def make_batch(n, seed, label_offset=0):
    rng = np.random.default_rng(seed)
    return {
        b"batch_label": b"training batch %d of 5" % seed,
        b"labels": [int(v) for v in (rng.integers(0, 10, n) + label_offset)],
        b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
        b"filenames": [b"img_%d.png" % i for i in range(n)],
    }


META = {b"num_cases_per_batch": 10000, b"label_names": [c.encode() for c in CIFAR10_CLASSES],
        b"num_vis": 3072}


def test_py2_style_batch_round_trip(tmp_path):
    batch = make_batch(6, seed=1)
    raw = py2_pickle(batch)
    assert b"cnumpy.core.multiarray\n_reconstruct\n" in raw and b"_codecs" not in raw
    (tmp_path / "data_batch_1").write_bytes(raw)
    images, labels = read_cifar_batch(tmp_path / "data_batch_1")
    assert images.shape == (6, 3, 32, 32) and images.dtype == np.uint8
    np.testing.assert_array_equal(images.reshape(6, -1), batch[b"data"])
    # rows are 1024 red, then 1024 green, then 1024 blue values, each a row-major 32 x 32 plane
    np.testing.assert_array_equal(images[2, 1], batch[b"data"][2, 1024:2048].reshape(32, 32))
    assert labels.dtype == np.int64 and labels.tolist() == batch[b"labels"]


def test_python3_protocol2_round_trip_uses_codecs_encode(tmp_path):
    batch = make_batch(4, seed=2)
    raw = pickle.dumps(batch, protocol=2)
    assert b"c_codecs\nencode\n" in raw  # how Python 3 stores bytes at protocol 2
    (tmp_path / "b").write_bytes(raw)
    images, labels = read_cifar_batch(tmp_path / "b")
    np.testing.assert_array_equal(images.reshape(4, -1), batch[b"data"])
    assert labels.tolist() == batch[b"labels"]


def test_meta(tmp_path):
    (tmp_path / "batches.meta").write_bytes(py2_pickle(META))
    assert read_cifar_meta(tmp_path / "batches.meta") == CIFAR10_CLASSES


def write_folder(folder, n=3):
    folder.mkdir(parents=True)
    batches = {}
    for i, name in enumerate([*cifar.TRAIN_BATCHES, cifar.TEST_BATCH]):
        batches[name] = make_batch(n, seed=10 + i)
        (folder / name).write_bytes(py2_pickle(batches[name]))
    (folder / "batches.meta").write_bytes(py2_pickle(META))
    return batches


def test_load_cifar10_from_extracted_folder(tmp_path, capsys):
    batches = write_folder(tmp_path / "cifar10" / "cifar-10-batches-py")
    data = load_cifar10(root=tmp_path, download=False)
    assert "CIFAR-10: using the full data set" in capsys.readouterr().out
    assert data.x_train.shape == (15, 3, 32, 32) and data.x_test.shape == (3, 3, 32, 32)
    assert data.x_train.dtype == np.float64 and data.y_train.dtype == np.int64
    expected = np.concatenate([batches[b][b"data"] for b in cifar.TRAIN_BATCHES]).reshape(15, 3, 32, 32)
    np.testing.assert_array_equal(data.x_train, expected / 255.0)
    assert data.y_test.tolist() == batches["test_batch"][b"labels"]
    assert data.classes == CIFAR10_CLASSES and data.source == "folder"
    flat = load_cifar10(root=tmp_path, download=False, flatten=True, dtype=np.float32, verbose=False)
    assert flat.x_train.shape == (15, 3072) and flat.x_train.dtype == np.float32


def make_tarball(path, src_folder, extra=()):
    with tarfile.open(path, "w:gz") as tar:
        for name in sorted(os.listdir(src_folder)):
            tar.add(src_folder / name, arcname=f"cifar-10-batches-py/{name}")
        for arcname, payload in extra:
            info = tarfile.TarInfo(arcname)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))


def test_download_and_read_tarball(tmp_path, monkeypatch):
    write_folder(tmp_path / "src")
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    tarball = mirror / "cifar-10-python.tar.gz"
    # a member outside the folder is ignored (nothing is ever extracted to disk)
    make_tarball(tarball, tmp_path / "src", extra=[("../escape.txt", b"x")])
    monkeypatch.setattr(cifar, "CIFAR10_MD5", hashlib.md5(tarball.read_bytes()).hexdigest())
    monkeypatch.setattr(cifar, "CIFAR10_SIZE", tarball.stat().st_size)
    urls = [(tmp_path / "missing.tar.gz").as_uri(), tarball.as_uri()]
    data = load_cifar10(root=tmp_path / "cache", urls=urls, verbose=False)
    assert data.source == "tarball" and data.x_train.shape == (15, 3, 32, 32)
    assert sorted(os.listdir(tmp_path / "cache" / "cifar10")) == ["cifar-10-python.tar.gz"]
    assert not (tmp_path / "cache" / "escape.txt").exists() and not (tmp_path / "escape.txt").exists()


def test_tarball_errors(tmp_path):
    write_folder(tmp_path / "src")
    os.remove(tmp_path / "src" / "data_batch_3")
    make_tarball(tmp_path / "t.tar.gz", tmp_path / "src")
    with pytest.raises(ValueError, match=r"missing \['data_batch_3'\]"):
        read_cifar10_tarball(tmp_path / "t.tar.gz")
    raw = (tmp_path / "t.tar.gz").read_bytes()
    (tmp_path / "cut.tar.gz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match=r"cut\.tar\.gz: unreadable or truncated"):
        read_cifar10_tarball(tmp_path / "cut.tar.gz")


def test_load_cifar10_without_data_or_download(tmp_path):
    with pytest.raises(FileNotFoundError, match="download=False"):
        load_cifar10(root=tmp_path, download=False)
    with pytest.raises(ValueError, match="dtype must be float32 or float64"):
        load_cifar10(root=tmp_path, dtype=np.int32)


# --- hostile pickles -------------------------------------------------------------------------------


class Reduce:
    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def test_os_system_is_refused_and_not_run(tmp_path):
    marker = tmp_path / "pwned"
    evil = {b"data": np.zeros((1, 3072), np.uint8), b"labels": [Reduce(os.system, f"touch {marker}")]}
    (tmp_path / "evil").write_bytes(pickle.dumps(evil, protocol=2))
    with pytest.raises(UnsafePickleError, match=rf"evil: refusing to load forbidden global "
                                                rf"{os.system.__module__}\.system"):
        read_cifar_batch(tmp_path / "evil")
    assert not marker.exists()


def test_eval_is_refused_and_not_run(tmp_path):
    marker = tmp_path / "pwned"
    payload = pickle.dumps(Reduce(builtins.eval, f"open({str(marker)!r}, 'w').close()"), protocol=2)
    # protocol 2 writes Python 2's module name, __builtin__
    with pytest.raises(UnsafePickleError, match=r"refusing to load forbidden global __builtin__\.eval"):
        safe_load_pickle(io.BytesIO(payload))
    assert not marker.exists()
    # sanity: the payload is really hostile -- plain pickle would have run it
    pickle.loads(payload)
    assert marker.exists()


def test_refused_error_is_also_a_value_error(tmp_path):
    payload = pickle.dumps(Reduce(os.getcwd), protocol=4)
    with pytest.raises(ValueError, match=r"posix\.getcwd|nt\.getcwd"):
        safe_load_pickle(io.BytesIO(payload), name="x")


def test_codecs_encode_only_for_latin1_str():
    payload = pickle.dumps(Reduce(codecs.encode, "abc", "rot13"), protocol=2)
    with pytest.raises(UnsafePickleError, match=r"encode\(str, 'latin1'\).*got encode\(str, 'rot13'"):
        safe_load_pickle(io.BytesIO(payload))


def test_other_numpy_globals_are_refused():
    payload = pickle.dumps(Reduce(np.load, "x.npy"), protocol=2)
    with pytest.raises(UnsafePickleError, match=r"forbidden global numpy\.load"):
        safe_load_pickle(io.BytesIO(payload))


# --- malformed batches ----------------------------------------------------------------------------


U8 = np.zeros((2, 3072), np.uint8)


@pytest.mark.parametrize(("batch", "message"), [
    ({b"data": U8, b"labels": [0, 10]}, r"labels must be in 0..9, found 10 at index 1"),
    ({b"data": U8, b"labels": [0, -1]}, r"found -1 at index 1"),
    ({b"data": U8, b"labels": [0]}, r"expected 2 labels \(one per image\)"),
    ({b"data": U8.astype(np.float32), b"labels": [0, 1]}, r"found float32 array of shape \(2, 3072\)"),
    ({b"data": U8[:, :3000], b"labels": [0, 1]}, r"shape \(N, 3072\), found uint8 array"),
    ({b"labels": [0, 1]}, r"missing \['data'\]"),
    ([1, 2, 3], r"expected a pickled dict, found list"),
])
def test_malformed_batches(tmp_path, batch, message):
    (tmp_path / "b").write_bytes(py2_pickle(batch))
    with pytest.raises(ValueError, match=message):
        read_cifar_batch(tmp_path / "b")


def test_truncated_pickle(tmp_path):
    raw = py2_pickle(make_batch(2, seed=0))
    (tmp_path / "cut").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match=r"cut: truncated or corrupt pickle"):
        read_cifar_batch(tmp_path / "cut")


def test_fake_cifar10():
    X, y = fake_cifar10(50, seed=3)
    assert X.shape == (50, 3, 32, 32) and X.dtype == np.float64 and y.dtype == np.int64
    assert X.min() >= 0.0 and X.max() <= 1.0
    np.testing.assert_allclose(X * 255, np.round(X * 255), atol=1e-9)
    assert set(np.unique(y)) <= set(range(10))
    X2, y2 = fake_cifar10(50, seed=3)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    assert not np.array_equal(X, fake_cifar10(50, seed=4)[0])
    assert fake_cifar10(5, flatten=True)[0].shape == (5, 3072)
    with pytest.raises(ValueError, match="n must be an int >= 1"):
        fake_cifar10(0)


def test_official_tarball_constants():
    assert cifar.CIFAR10_MD5 == "c58f30108f718f92721af3b95e74349a"
    assert cifar.CIFAR10_URLS[0] == "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    assert len(CIFAR10_CLASSES) == 10 and CIFAR10_CLASSES[0] == "airplane" and CIFAR10_CLASSES[9] == "truck"
