"""DataLoader batching, the DATASETS registry, and the package's independence from the engine."""

import ast
import sys
from pathlib import Path

import numpy as np
import pytest

import microgradnet.data as data
from microgradnet.data import DATASETS, DataLoader, load, spiral


def make(n=103):
    X = np.arange(n, dtype=np.float64)[:, None] * np.ones((1, 3))
    return X, np.arange(n) * 2


def epoch_indices(loader):
    return [xb[:, 0].astype(int).tolist() for xb, _ in loader]


def test_each_sample_exactly_once_per_epoch():
    X, y = make()
    loader = DataLoader(X, y, batch_size=10, seed=0)
    assert len(loader) == 11
    for _ in range(3):
        batches = list(loader)
        assert len(batches) == 11
        assert [len(yb) for _, yb in batches] == [10] * 10 + [3]
        seen = np.concatenate([yb for _, yb in batches]) // 2
        assert sorted(seen.tolist()) == list(range(103))
        for xb, yb in batches:
            assert xb.shape[1:] == (3,)
            np.testing.assert_array_equal(xb[:, 0] * 2, yb)  # rows stay paired with labels
    assert loader.epoch == 3


def test_reshuffled_each_epoch_and_reproducible():
    X, y = make()
    a, b = DataLoader(X, y, 16, seed=7), DataLoader(X, y, 16, seed=7)
    epochs_a = [epoch_indices(a) for _ in range(3)]
    epochs_b = [epoch_indices(b) for _ in range(3)]
    assert epochs_a == epochs_b
    assert epochs_a[0] != epochs_a[1] != epochs_a[2]
    assert epoch_indices(DataLoader(X, y, 16, seed=8)) != epochs_a[0]
    assert epochs_a[0][0] != list(range(16))


def test_no_shuffle_keeps_order():
    X, y = make(7)
    assert epoch_indices(DataLoader(X, y, 3, shuffle=False)) == [[0, 1, 2], [3, 4, 5], [6]]


def test_drop_last():
    X, y = make()
    loader = DataLoader(X, y, batch_size=10, seed=0, drop_last=True)
    assert len(loader) == 10
    batches = list(loader)
    assert len(batches) == 10 and all(len(yb) == 10 for _, yb in batches)
    assert len(np.unique(np.concatenate([yb for _, yb in batches]))) == 100
    assert len(DataLoader(X, y, batch_size=200, drop_last=True)) == 0
    assert len(DataLoader(X, y, batch_size=200)) == 1


def test_image_shaped_arrays():
    X = np.zeros((9, 1, 28, 28))
    xb, yb = next(iter(DataLoader(X, np.arange(9), 4, seed=0)))
    assert xb.shape == (4, 1, 28, 28) and yb.shape == (4,)


@pytest.mark.parametrize(("batch_size", "error"), [(0, ValueError), (-3, ValueError), (2.5, TypeError),
                                                   (True, TypeError), ("8", TypeError)])
def test_bad_batch_size(batch_size, error):
    X, y = make(5)
    with pytest.raises(error, match=r"DataLoader: batch_size must be a positive int \(e\.g\. 32\), got"):
        DataLoader(X, y, batch_size=batch_size)


def test_mismatched_lengths():
    with pytest.raises(ValueError, match=r"DataLoader: X and y must have the same number of samples, "
                                         r"got X.shape=\(5, 3\), y.shape=\(4,\)"):
        DataLoader(np.zeros((5, 3)), np.zeros(4), 2)


def test_registry():
    assert set(DATASETS) == {"spiral", "moons", "circles", "xor", "blobs", "gaussian_binary_20d", "mnist",
                             "mnist_subset", "fashion_mnist", "playground_spiral", "cifar10", "fake_cifar10"}
    X, y = load("spiral", n_points=10, seed=3)
    X2, y2 = spiral(n_points=10, seed=3)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    with pytest.raises(ValueError, match=r"unknown data set 'spirals' \(did you mean 'spiral'\?\); valid "
                                         r"choices: blobs, cifar10, circles, fake_cifar10, fashion_mnist, "
                                         r"gaussian_binary_20d"):
        load("spirals")


def test_public_names_exist():
    for name in data.__all__:
        assert hasattr(data, name), name


STDLIB = set(sys.stdlib_module_names)


def test_data_package_imports_only_numpy_and_stdlib():
    # the one module it may share with the rest of the package is microgradnet.fileio (stdlib only, checked too)
    fileio = Path(data.__file__).parent.parent / "fileio.py"
    for node in ast.walk(ast.parse(fileio.read_text())):
        if isinstance(node, (ast.Import, ast.ImportFrom)) and not getattr(node, "level", 0):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            assert all(n.split(".")[0] in STDLIB for n in names), f"fileio.py imports {names}"
    folder = Path(data.__file__).parent
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                roots = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    ok = node.level == 1 or (node.level == 2 and node.module == "fileio")
                    assert ok, f"{path.name} imports from outside microgradnet.data"
                    continue
                roots = [node.module.split(".")[0]]
            else:
                continue
            for root in roots:
                assert root == "numpy" or root in STDLIB, f"{path.name} imports {root}"
