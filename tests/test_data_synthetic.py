"""Generated data sets and the split helpers."""

import numpy as np
import pytest

from microgradnet.data import (
    Split,
    blobs,
    circles,
    gaussian_binary_20d,
    moons,
    random_split,
    spiral,
    train_val_test_split,
    xor,
)

GENERATORS = {
    "spiral": (lambda seed: spiral(seed=seed), 300, [100, 100, 100]),
    "moons": (lambda seed: moons(201, seed=seed), 201, [101, 100]),
    "circles": (lambda seed: circles(200, seed=seed), 200, [100, 100]),
    "xor": (lambda seed: xor(202, seed=seed), 202, [101, 101]),
    "blobs": (lambda seed: blobs(301, n_classes=4, n_features=3, seed=seed), 301, [76, 75, 75, 75]),
}


@pytest.mark.parametrize("name", GENERATORS)
def test_shapes_counts_and_reproducibility(name):
    make, n, counts = GENERATORS[name]
    X, y = make(0)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert X.shape[0] == y.shape[0] == n and X.ndim == 2
    assert np.bincount(y).tolist() == counts
    X2, y2 = make(0)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    X3, _ = make(1)
    assert not np.allclose(X, X3)
    X4, _ = make(np.random.default_rng(0))  # a Generator works as seed too
    assert np.array_equal(X, X4)


def test_spiral_follows_the_cs231n_formula():
    X, y = spiral(n_points=50, n_classes=4, noise=0.3, seed=0)
    assert X.shape == (200, 2) and np.bincount(y).tolist() == [50] * 4
    radius = np.hypot(X[:, 0], X[:, 1])
    assert radius.min() > 0.0 and radius.max() <= 1.0 + 1e-12
    # noise only moves the angle: each arm's radii are exactly i/50 for i = 1..50 (never the origin, so no two
    # classes share a point)
    np.testing.assert_allclose(radius.reshape(4, 50), np.tile(np.arange(1, 51) / 50, (4, 1)), atol=1e-12)
    assert len({tuple(p) for p in X}) == len(X)
    Xc, _ = spiral(n_points=5, n_classes=2, noise=0.0)
    # arm 1, last point: r = 1, theta = 8  ->  (sin 8, cos 8)
    np.testing.assert_allclose(Xc[9], [np.sin(8.0), np.cos(8.0)], atol=1e-15)
    # arm 0, third point: r = 3/5, theta = 2  ->  0.6 (sin 2, cos 2)
    np.testing.assert_allclose(Xc[2], [0.6 * np.sin(2.0), 0.6 * np.cos(2.0)], atol=1e-15)


def test_noise_free_geometry():
    X, y = circles(100, noise=0.0, factor=0.3)
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1.0)
    np.testing.assert_allclose(np.hypot(*X[y == 1].T), 0.3)
    X, y = moons(100, noise=0.0)
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1.0)
    np.testing.assert_allclose(np.hypot(X[y == 1, 0] - 1.0, X[y == 1, 1] - 0.5), 1.0)
    X, y = xor(400, noise=0.0, margin=0.1)
    assert np.all(np.abs(X) >= 0.1) and np.all(np.abs(X) <= 1.0)
    assert np.array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(np.int64))


def test_blobs_centres():
    centers = np.array([[0.0, 0.0], [10.0, -5.0]])
    X, y = blobs(2000, centers=centers, cluster_std=0.5, seed=3)
    assert np.bincount(y).tolist() == [1000, 1000]
    np.testing.assert_allclose([X[y == k].mean(axis=0) for k in range(2)], centers, atol=0.05)
    np.testing.assert_allclose(X[y == 0].std(axis=0), 0.5, atol=0.05)


def test_gaussian_binary_20d_shape_and_split():
    s = gaussian_binary_20d(seed=0)
    assert isinstance(s, Split)
    assert s.x_train.shape == (500, 20) and s.x_val.shape == (250, 20) and s.x_test.shape == (250, 20)
    assert s.y_train.dtype == np.int64 and set(np.unique(s.y_train)) == {0, 1}
    X, y = gaussian_binary_20d(seed=0, split=False)
    assert X.shape == (1000, 20) and np.bincount(y).tolist() == [500, 500]
    np.testing.assert_array_equal(s.x_train, X[:500])
    np.testing.assert_array_equal(s.x_val, X[500:750])
    np.testing.assert_array_equal(s.y_test, y[750:])
    assert not np.array_equal(X, gaussian_binary_20d(seed=1, split=False)[0])


def test_gaussian_binary_20d_is_learnable_but_not_trivial():
    # least-squares linear classifier: the documented Bayes accuracy is ~0.87
    s = gaussian_binary_20d(seed=0)
    w = np.linalg.lstsq(np.c_[s.x_train, np.ones(500)], 2.0 * s.y_train - 1.0, rcond=None)[0]
    acc = np.mean((np.c_[s.x_val, np.ones(250)] @ w > 0) == s.y_val)
    assert 0.75 < acc < 0.95
    # no single feature gives it away
    best_single = max(max(np.mean((s.x_val[:, j] > 0) == s.y_val), np.mean((s.x_val[:, j] < 0) == s.y_val))
                      for j in range(20))
    assert best_single < acc


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: spiral(n_points=0), ValueError, "spiral: n_points must be an int >= 1, got 0"),
    (lambda: spiral(n_classes=2.5), TypeError, "n_classes must be an int"),
    (lambda: spiral(noise=-1), ValueError, "noise must be a real number >= 0"),
    (lambda: circles(factor=1.5), ValueError, r"factor .* must be in \(0, 1\)"),
    (lambda: xor(margin=1.0), ValueError, r"margin must be in \[0, 1\)"),
    (lambda: blobs(centers=[1.0, 2.0]), ValueError, "centers must be 2-D"),
    (lambda: moons(seed="abc"), TypeError, "seed must be None, a non-negative int or a numpy Generator"),
    (lambda: moons(seed=-1), ValueError, "seed must be a non-negative int"),
])
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_random_split_leaves_a_tenth_out():
    X = np.arange(100).reshape(50, 2)
    y = np.arange(50)
    Xa, ya, Xb, yb = random_split(X, y, 0.1, seed=0)
    assert len(ya) == 45 and len(yb) == 5
    assert sorted(np.concatenate([ya, yb]).tolist()) == list(range(50))  # disjoint, complete
    np.testing.assert_array_equal(Xa[:, 0], 2 * ya)  # rows stay paired with their labels
    assert np.all(np.diff(ya) > 0) and np.all(np.diff(yb) > 0)  # original order kept
    assert np.array_equal(yb, random_split(X, y, 0.1, seed=0)[3])
    assert not np.array_equal(yb, random_split(X, y, 0.1, seed=1)[3])
    assert len(random_split(X, y, 7, seed=0)[3]) == 7


def test_train_val_test_split():
    X = np.arange(20)[:, None] * 1.0
    y = np.arange(20)
    s = train_val_test_split(X, y, train=10, val=5, test=5)
    assert s.y_train.tolist() == list(range(10)) and s.y_val.tolist() == list(range(10, 15))
    assert s.y_test.tolist() == list(range(15, 20))
    s = train_val_test_split(X, y, train=0.5, val=0.2)  # test = the rest
    assert (len(s.y_train), len(s.y_val), len(s.y_test)) == (10, 4, 6)
    s = train_val_test_split(X, y, 10, 5, 5, shuffle=True, seed=0)
    assert sorted(np.concatenate([s.y_train, s.y_val, s.y_test]).tolist()) == list(range(20))
    assert s.y_train.tolist() != list(range(10))
    with pytest.raises(ValueError, match="sizes train=15 \\+ val=10 exceed the 20 samples"):
        train_val_test_split(X, y, 15, 10)
    with pytest.raises(ValueError, match="fraction val=1.5 must be in"):
        train_val_test_split(X, y, 0.5, 1.5)
    with pytest.raises(ValueError, match=r"same number of samples, got X.shape=\(20, 1\), y.shape=\(19,\)"):
        train_val_test_split(X, y[:-1])
