"""The TensorFlow playground's spiral and input features, against the generator's formulas worked by hand."""

import numpy as np
import pytest

from microgradnet.data import PLAYGROUND_FEATURES, feature_map, playground_spiral
from microgradnet.training.datasets import load_dataset


def test_without_noise_every_point_lies_on_its_arm():
    x_tr, y_tr, x_te, y_te = playground_spiral(500, noise=0.0, seed=3)
    X, y = np.concatenate([x_tr, x_te]), np.concatenate([y_tr, y_te])
    assert X.shape == (500, 2) and np.array_equal(np.bincount(y), [250, 250])
    # r = 5 i / n for i = 0 .. n-1 (n = 250), t = 1.75 · 2π · i / n (+ π for class 0); x = r sin t, y = r cos t
    r = np.hypot(X[:, 0], X[:, 1])
    i = np.round(r * 250 / 5).astype(int)
    assert np.allclose(r, 5 * i / 250) and np.array_equal(np.sort(i[y == 1]), np.arange(250))
    t = 1.75 * 2 * np.pi * i / 250 + np.where(y == 1, 0.0, np.pi)
    assert np.allclose(X[:, 0], r * np.sin(t), atol=1e-12) and np.allclose(X[:, 1], r * np.cos(t), atol=1e-12)


def test_noise_is_uniform_within_plus_minus_noise_on_each_coordinate():
    # the generator draws the same numbers whatever the noise (noise · U(-1, 1)), so with one seed the points differ
    # from the clean ones by exactly noise · U: within ±noise, spread over the whole interval
    clean = np.concatenate(playground_spiral(500, noise=0.0, seed=1)[::2])
    diff = np.concatenate(playground_spiral(500, noise=0.3, seed=1)[::2]) - clean
    assert np.abs(diff).max() <= 0.3 and np.abs(diff).max() > 0.29
    assert abs(np.abs(diff).mean() - 0.15) < 0.02  # E|noise · U(-1, 1)| = noise / 2


def test_the_train_fraction_is_the_playground_ratio():
    x_tr, y_tr, x_te, y_te = playground_spiral(500, train_fraction=0.3, seed=0)
    assert len(y_tr) == 150 and len(y_te) == 350  # floor(500 · 0.3) training points, the rest for testing
    a, b = playground_spiral(seed=7), playground_spiral(seed=7)
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    with pytest.raises(ValueError, match="train_fraction must be in"):
        playground_spiral(train_fraction=1.0)


def test_feature_map_of_one_point_by_hand():
    got = feature_map([[1.0, 2.0]], list(PLAYGROUND_FEATURES))
    assert np.allclose(got, [[1.0, 2.0, 1.0, 4.0, 2.0, np.sin(1.0), np.sin(2.0)]])
    assert np.array_equal(feature_map([[3.0, -1.0]], ["x1x2", "x1"]), [[-3.0, 3.0]])
    with pytest.raises(ValueError, match="distinct names"):
        feature_map([[1.0, 2.0]], ["x3"])


def test_the_data_set_has_a_validation_part_from_the_next_seed():
    ds = load_dataset("playground-spiral", seed=4, noise=0.1, features=["x1", "x2", "sin_x1"])
    x_tr, y_tr, x_te, y_te = playground_spiral(noise=0.1, seed=4)
    assert np.array_equal(ds.split.x_train[:, :2], x_tr) and np.allclose(ds.split.x_train[:, 2], np.sin(x_tr[:, 0]))
    assert np.array_equal(ds.split.y_test, y_te) and ds.n_classes == 2 and ds.input_shape == (3,)
    assert np.array_equal(ds.split.x_val[:, :2], playground_spiral(noise=0.1, seed=5)[0])
    assert ds.spec == {"name": "playground-spiral", "seed": 4, "n_samples": None, "n_train": None, "noise": 0.1,
                       "features": ["x1", "x2", "sin_x1"]}
    with pytest.raises(ValueError, match="takes no option noise"):
        load_dataset("spiral", noise=0.1)
