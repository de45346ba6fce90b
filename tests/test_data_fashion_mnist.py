"""Fashion-MNIST: where the loader looks, checksums of the decompressed contents, the one-line message when it is
missing, downloads from file:// mirrors (generated files), and a short training run on the real files if installed."""

import gzip
import hashlib

import numpy as np
import pytest

from microgradnet.data import fashion_mnist as fm
from microgradnet.data.idx import encode_idx, write_idx

REAL = fm.find_fashion_mnist(root="/nonexistent-cache") is not None
SKIP_REAL = "Fashion-MNIST is not installed here (sudo apt-get install dataset-fashion-mnist, or make train-data)"


def small_set(seed=0, n_train=30, n_test=10):
    rng = np.random.default_rng(seed)
    return {"train_images": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
            "train_labels": (np.arange(n_train) % 10).astype(np.uint8),
            "test_images": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
            "test_labels": (np.arange(n_test)[::-1] % 10).astype(np.uint8)}


@pytest.fixture
def generated(monkeypatch):
    """Point the loader's checksums and counts at a small generated set; return its arrays."""
    arrays = small_set()
    files = {k: fm.FashionFile(f.name, "0" * 32, hashlib.sha256(encode_idx(arrays[k])).hexdigest())
             for k, f in fm.FASHION_MNIST_FILES.items()}
    monkeypatch.setattr(fm, "FASHION_MNIST_FILES", files)
    monkeypatch.setattr(fm, "COUNTS", {"train": 30, "test": 10})
    return arrays


def write_set(folder, arrays, mtime=0):
    folder.mkdir(parents=True, exist_ok=True)
    for key, f in fm.FASHION_MNIST_FILES.items():
        (folder / f.name).write_bytes(gzip.compress(encode_idx(arrays[key]), mtime=mtime))


def test_reads_the_cache_copy_first_then_the_system_folder(generated, tmp_path):
    system = tmp_path / "usr-share"
    write_set(system, generated, mtime=1)  # re-compressed like Debian's: other gzip header, same contents
    got = fm.load_fashion_mnist(root=tmp_path / "cache", download=False, system_dirs=[system])
    assert got.path == str(system) and got.source == "fashion-mnist"
    assert np.array_equal(got.x_train[:, 0] * 255, generated["train_images"].astype(np.float64))
    assert np.array_equal(got.y_test, generated["test_labels"].astype(np.int64)) and got.y_test.dtype == np.int64
    assert got.x_train.shape == (30, 1, 28, 28) and got.x_test.shape == (10, 1, 28, 28)
    write_set(tmp_path / "cache" / "fashion-mnist", generated, mtime=2)
    got = fm.load_fashion_mnist(root=tmp_path / "cache", download=False, system_dirs=[system], flatten=True,
                                dtype=np.float32)
    assert got.path == str(tmp_path / "cache" / "fashion-mnist")
    assert got.x_train.shape == (30, 784) and got.x_train.dtype == np.float32
    assert got.x_train.max() <= 1.0 and np.allclose(got.x_train * 255, generated["train_images"].reshape(30, -1))


def test_missing_says_in_one_line_how_to_install_it(generated, tmp_path):
    with pytest.raises(fm.FashionMnistMissing) as e:
        fm.load_fashion_mnist(root=tmp_path, download=False, system_dirs=[tmp_path / "none"])
    msg = str(e.value)
    assert "\n" not in msg and "sudo apt-get install dataset-fashion-mnist" in msg
    assert str(tmp_path / "fashion-mnist") in msg and "zalandoresearch/fashion-mnist" in msg
    assert isinstance(e.value, FileNotFoundError)


def test_an_incomplete_folder_is_skipped(generated, tmp_path):
    write_set(tmp_path / "a", generated)
    (tmp_path / "a" / "t10k-labels-idx1-ubyte.gz").unlink()
    write_set(tmp_path / "b", generated)
    assert fm.find_fashion_mnist(root=tmp_path / "c", system_dirs=[tmp_path / "a", tmp_path / "b"]) == tmp_path / "b"


def test_altered_contents_are_refused_naming_the_file(generated, tmp_path):
    altered = dict(generated, test_labels=generated["test_labels"].copy())
    altered["test_labels"][0] = (altered["test_labels"][0] + 1) % 10  # still valid labels, other contents
    write_set(tmp_path / "fashion-mnist", altered)
    with pytest.raises(ValueError, match=r"t10k-labels-idx1-ubyte.gz: wrong contents: expected sha256 "
                                         + fm.FASHION_MNIST_FILES["test_labels"].content_sha256):
        fm.load_fashion_mnist(root=tmp_path, download=False, system_dirs=[])


def test_a_malformed_file_is_a_value_error(generated, tmp_path):
    write_set(tmp_path / "fashion-mnist", generated)
    write_idx(tmp_path / "fashion-mnist" / "train-labels-idx1-ubyte.gz", np.arange(29, dtype=np.uint8))
    with pytest.raises(ValueError, match="30 images but 29 labels"):
        fm.load_fashion_mnist(root=tmp_path, download=False, system_dirs=[])


def test_downloads_into_the_cache_verified_by_the_published_md5(generated, tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    write_set(mirror, generated, mtime=5)
    files = {k: f._replace(gz_md5=hashlib.md5((mirror / f.name).read_bytes()).hexdigest())
             for k, f in fm.FASHION_MNIST_FILES.items()}
    monkeypatch.setattr(fm, "FASHION_MNIST_FILES", files)
    got = fm.load_fashion_mnist(root=tmp_path / "cache", download=True, system_dirs=[],
                                mirrors=["file:///nonexistent/", mirror.as_uri() + "/"])
    assert got.path == str(tmp_path / "cache" / "fashion-mnist")
    assert np.array_equal(got.y_train, generated["train_labels"])
    # a mirror serving other bytes is refused: nothing is left in the cache and the message is the install line
    monkeypatch.setattr(fm, "FASHION_MNIST_FILES", {k: f._replace(gz_md5="1" * 32) for k, f in files.items()})
    with pytest.raises(fm.FashionMnistMissing, match="could not be downloaded: sudo apt-get install"):
        fm.load_fashion_mnist(root=tmp_path / "other", download=True, system_dirs=[], mirrors=[mirror.as_uri() + "/"])
    assert not any((tmp_path / "other" / "fashion-mnist").iterdir())


@pytest.mark.skipif(not REAL, reason=SKIP_REAL)
def test_the_installed_files_are_the_published_data_set():
    got = fm.load_fashion_mnist(root="/nonexistent-cache", download=False, dtype=np.float32)
    assert got.x_train.shape == (60000, 1, 28, 28) and got.x_test.shape == (10000, 1, 28, 28)
    # Zalando's data set: exactly 6,000 training and 1,000 test images per class
    assert np.array_equal(np.bincount(got.y_train), [6000] * 10)
    assert np.array_equal(np.bincount(got.y_test), [1000] * 10)
    assert 0.27 < got.x_train.mean() < 0.30  # Fashion-MNIST's mean pixel is 0.2860 (MNIST's 0.1307)


@pytest.mark.skipif(not REAL, reason=SKIP_REAL)
def test_training_on_a_slice_of_the_real_files_learns(tmp_path):
    """2,000 real training images, softmax regression, 3 epochs: far above chance (10 %) on 1,000 test images."""
    import json

    from microgradnet.cli import main

    out = tmp_path / "run"
    assert main(["train", "fashion-mnist", "--model", "softmax", "--n-train", "2000", "--epochs", "3",
                 "--no-progress", "--quiet", "--no-plots", "--no-download", "--out", str(out)]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["data_source"].startswith("fashion-mnist (60000/10000) from ") and m["n_train"] == 2000
    assert m["n_test"] == 10000 and m["test_acc"] > 0.6
