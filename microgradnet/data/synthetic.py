"""Generated classification data sets (numpy only).

Every generator takes ``seed`` (None, an int, or a ``numpy.random.Generator``; default 0, so a call
without arguments is reproducible) and returns ``(X, y)`` with ``X`` float64 of shape ``(n, n_features)``
and ``y`` int64 class labels ``0 .. n_classes-1``. Samples are ordered by class unless said otherwise;
use ``DataLoader(..., shuffle=True)`` or ``random_split`` to mix them.

``gaussian_binary_20d`` returns a :class:`~microgradnet.data.split.Split` instead (train / val / test).
"""

from __future__ import annotations

import numbers

import numpy as np

from .split import Split, make_rng, train_val_test_split


def _positive_int(value, name: str, where: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{where}: {name} must be an int >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{where}: {name} must be an int >= {minimum}, got {value}")
    return int(value)


def _non_negative(value, name: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
        raise ValueError(f"{where}: {name} must be a real number >= 0, got {value!r}")
    return float(value)


def _per_class(n_samples: int, n_classes: int) -> np.ndarray:
    """Class sizes as equal as possible: the first ``n_samples % n_classes`` classes get one extra."""
    counts = np.full(n_classes, n_samples // n_classes, dtype=np.int64)
    counts[: n_samples % n_classes] += 1
    return counts


def spiral(n_points=100, n_classes=3, noise=0.2, seed=0):
    """The spiral problem (cs231n "Putting it together", TensorFlow playground's spiral).

    For arm ``k`` (= class ``k``), with ``N = n_points``::

        r     = linspace(0, 1, N + 1)[1:]          # i/N for i = 1..N
        theta = linspace(4k, 4(k+1), N) + noise * randn(N)
        X     = [r sin(theta), r cos(theta)]

    The noise only perturbs the angle, so every point's radius ``|X|`` is exactly ``r`` in (0, 1]. cs231n starts
    the radius at 0, which puts the first point of every class at the origin: identical inputs with different
    labels, so no classifier could reach 100 % training accuracy. Starting at 1/N keeps the arms apart.
    Returns ``X`` (n_points * n_classes, 2) float64 and ``y`` int64, class-ordered.
    """
    where = "spiral"
    n_points = _positive_int(n_points, "n_points", where)
    n_classes = _positive_int(n_classes, "n_classes", where)
    noise = _non_negative(noise, "noise", where)
    rng = make_rng(seed, where)
    X = np.empty((n_points * n_classes, 2), dtype=np.float64)
    y = np.repeat(np.arange(n_classes, dtype=np.int64), n_points)
    r = np.linspace(0.0, 1.0, n_points + 1)[1:]
    for k in range(n_classes):
        theta = np.linspace(4.0 * k, 4.0 * (k + 1), n_points) + noise * rng.standard_normal(n_points)
        X[k * n_points:(k + 1) * n_points] = np.column_stack([r * np.sin(theta), r * np.cos(theta)])
    return X, y


def moons(n_samples=200, noise=0.1, seed=0):
    """Two interleaving half circles (as scikit-learn's ``make_moons``).

    Class 0: ``(cos t, sin t)``, class 1: ``(1 - cos t, 0.5 - sin t)``, ``t = linspace(0, pi)``;
    then Gaussian noise of std ``noise`` on both coordinates. Class 0 gets the extra point if odd.
    """
    where = "moons"
    n_samples = _positive_int(n_samples, "n_samples", where, minimum=2)
    noise = _non_negative(noise, "noise", where)
    rng = make_rng(seed, where)
    n0, n1 = _per_class(n_samples, 2)
    t0 = np.linspace(0.0, np.pi, n0)
    t1 = np.linspace(0.0, np.pi, n1)
    X = np.concatenate([
        np.column_stack([np.cos(t0), np.sin(t0)]),
        np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)]),
    ])
    X = X + noise * rng.standard_normal(X.shape)
    y = np.repeat(np.arange(2, dtype=np.int64), [n0, n1])
    return X, y


def circles(n_samples=200, noise=0.05, factor=0.5, seed=0):
    """A circle of radius 1 (class 0) around a circle of radius ``factor`` (class 1), plus Gaussian noise.

    Angles are ``linspace(0, 2 pi)`` without the end point (as scikit-learn's ``make_circles``).
    """
    where = "circles"
    n_samples = _positive_int(n_samples, "n_samples", where, minimum=2)
    noise = _non_negative(noise, "noise", where)
    if isinstance(factor, bool) or not isinstance(factor, numbers.Real) or not 0.0 < factor < 1.0:
        raise ValueError(f"{where}: factor (inner radius / outer radius) must be in (0, 1), got {factor!r}")
    rng = make_rng(seed, where)
    n0, n1 = _per_class(n_samples, 2)
    t0 = np.linspace(0.0, 2.0 * np.pi, n0, endpoint=False)
    t1 = np.linspace(0.0, 2.0 * np.pi, n1, endpoint=False)
    X = np.concatenate([
        np.column_stack([np.cos(t0), np.sin(t0)]),
        factor * np.column_stack([np.cos(t1), np.sin(t1)]),
    ])
    X = X + noise * rng.standard_normal(X.shape)
    y = np.repeat(np.arange(2, dtype=np.int64), [n0, n1])
    return X, y


def xor(n_samples=200, noise=0.0, margin=0.05, seed=0):
    """The XOR problem: points in the square [-1, 1]^2, label 1 where the signs of x and y differ.

    Point ``i`` goes to quadrant ``i % 4`` (so the quadrants, and the classes, differ in size by at most
    one); within a quadrant ``|x|, |y|`` are uniform in ``[margin, 1]`` (a gap around the axes, as the
    TensorFlow playground does), labels are computed from the clean point, then Gaussian noise of std
    ``noise`` is added. Samples are interleaved (not class-ordered).
    """
    where = "xor"
    n_samples = _positive_int(n_samples, "n_samples", where, minimum=4)
    noise = _non_negative(noise, "noise", where)
    if isinstance(margin, bool) or not isinstance(margin, numbers.Real) or not 0.0 <= margin < 1.0:
        raise ValueError(f"{where}: margin must be in [0, 1), got {margin!r}")
    rng = make_rng(seed, where)
    quadrant = np.arange(n_samples) % 4
    signs = np.array([[1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]])[quadrant]
    X = signs * rng.uniform(margin, 1.0, size=(n_samples, 2))
    y = (np.sign(X[:, 0]) != np.sign(X[:, 1])).astype(np.int64)
    X = X + noise * rng.standard_normal(X.shape)
    return X, y


def blobs(n_samples=300, n_classes=3, n_features=2, cluster_std=1.0, centers=None, box=(-10.0, 10.0), seed=0):
    """Isotropic Gaussian blobs, one per class (as scikit-learn's ``make_blobs``).

    ``centers``: an array (n_classes, n_features); by default drawn uniformly in ``box``.
    Class ``k`` is ``centers[k] + cluster_std * randn``; class sizes differ by at most one.
    """
    where = "blobs"
    n_features = _positive_int(n_features, "n_features", where)
    rng = make_rng(seed, where)
    if centers is None:
        n_classes = _positive_int(n_classes, "n_classes", where)
        low, high = box
        centers = rng.uniform(low, high, size=(n_classes, n_features))
    else:
        centers = np.asarray(centers, dtype=np.float64)
        if centers.ndim != 2:
            raise ValueError(f"{where}: centers must be 2-D (n_classes, n_features), "
                             f"got shape {centers.shape}")
        n_classes, n_features = centers.shape
    n_samples = _positive_int(n_samples, "n_samples", where, minimum=n_classes)
    cluster_std = _non_negative(cluster_std, "cluster_std", where)
    counts = _per_class(n_samples, n_classes)
    y = np.repeat(np.arange(n_classes, dtype=np.int64), counts)
    X = centers[y] + cluster_std * rng.standard_normal((n_samples, n_features))
    return X, y


PLAYGROUND_N = 500  # the playground's NUM_SAMPLES_CLASSIFY


def playground_spiral(n_samples=PLAYGROUND_N, noise=0.0, train_fraction=0.5, seed=0):
    """The TensorFlow playground's spiral (``classifySpiralData`` in its ``dataset.ts``), Tsinghua HW1 §2.

    Two arms of ``n = n_samples // 2`` points each; for ``i = 0 .. n-1``::

        r = 5 i / n,   t = 1.75 · 2π · i / n + Δ,   x = (r sin t, r cos t) + noise · U(-1, 1)²

    with ``Δ = 0`` for class 1 (the playground's positive label +1) and ``Δ = π`` for class 0 (its −1). Coordinates
    lie in about [-5, 5]² (the playground draws [-6, 6]²). ``noise`` is the playground's slider divided by 100
    (the slider's 0–50 is 0–0.5 here; the playground's default is 0). The points are then shuffled and the first
    ``train_fraction`` of them (the playground's "ratio of training to test data", default 50 %) are the training
    set, the rest the test set.

    Returns ``(x_train, y_train, x_test, y_test)``: float64 (·, 2) and int64 labels 0/1.
    """
    where = "playground_spiral"
    n_samples = _positive_int(n_samples, "n_samples", where, minimum=4)
    noise = _non_negative(noise, "noise", where)
    if isinstance(train_fraction, bool) or not isinstance(train_fraction, numbers.Real) \
            or not 0.0 < train_fraction < 1.0:
        raise ValueError(f"{where}: train_fraction must be in (0, 1) (the playground offers 0.1 to 0.9), "
                         f"got {train_fraction!r}")
    rng = make_rng(seed, where)
    n = n_samples // 2
    i = np.arange(n)
    r = 5.0 * i / n
    parts, labels = [], []
    for delta, label in ((0.0, 1), (np.pi, 0)):
        t = 1.75 * 2.0 * np.pi * i / n + delta
        parts.append(np.column_stack([r * np.sin(t), r * np.cos(t)]) + noise * rng.uniform(-1.0, 1.0, (n, 2)))
        labels.append(np.full(n, label, dtype=np.int64))
    X, y = np.concatenate(parts), np.concatenate(labels)
    order = rng.permutation(len(y))
    X, y = X[order], y[order]
    cut = int(np.floor(len(y) * train_fraction))
    if not 0 < cut < len(y):
        raise ValueError(f"{where}: {n_samples} points with train_fraction {train_fraction} leave an empty part")
    return X[:cut], y[:cut], X[cut:], y[cut:]


PLAYGROUND_FEATURES = {
    "x1": lambda a, b: a,
    "x2": lambda a, b: b,
    "x1^2": lambda a, b: a * a,
    "x2^2": lambda a, b: b * b,
    "x1x2": lambda a, b: a * b,
    "sin_x1": lambda a, b: np.sin(a),
    "sin_x2": lambda a, b: np.sin(b),
}


def feature_map(X, features=("x1", "x2")):
    """The playground's input features of 2-D points: columns ``features`` chosen from :data:`PLAYGROUND_FEATURES`
    (x1, x2, x1², x2², x1·x2, sin x1, sin x2), in the order given. Returns float64 (N, len(features))."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"feature_map: expected points of shape (N, 2), got {X.shape}")
    features = list(features)
    unknown = [f for f in features if f not in PLAYGROUND_FEATURES]
    if not features or unknown or len(set(features)) != len(features):
        raise ValueError(f"feature_map: features must be distinct names from {', '.join(PLAYGROUND_FEATURES)}; "
                         f"got {features}")
    return np.column_stack([PLAYGROUND_FEATURES[f](X[:, 0], X[:, 1]) for f in features])


GAUSSIAN_BINARY_N, GAUSSIAN_BINARY_FEATURES, GAUSSIAN_BINARY_INFORMATIVE = 1000, 20, 5


def gaussian_binary_20d(seed=0, split=True):
    """Two Gaussian classes in 20 dimensions (5 informative, rotated), shaped like EECS 498 HW1's ``data.pkl``:
    1000 samples, 20 features, labels 0/1.

    The course's file is not redistributable, so this is a synthetic stand-in of the same shape, made as:

    * labels: exactly 500 zeros and 500 ones in random order;
    * features: 5 informative coordinates ``z = +/-0.5 * s + randn`` (``s`` a random sign per coordinate,
      ``+`` for class 1, ``-`` for class 0) and 15 pure-noise ``randn`` coordinates, all 20 mixed by a
      random rotation (so no single feature gives the answer away). The class means are
      ``sqrt(5) ~= 2.24`` apart with identity covariance, so the best possible (Bayes, linear)
      accuracy is ``Phi(sqrt(5)/2) ~= 0.87``: logistic regression and a small MLP both have room to learn.

    With ``split=True`` (default) returns the split the HW1 handout uses, first 500 train, next 250
    validation, last 250 test, as a :class:`Split` ``(x_train, y_train, x_val, y_val, x_test, y_test)``.
    With ``split=False`` returns ``(X, y)`` of all 1000.
    """
    where = "gaussian_binary_20d"
    rng = make_rng(seed, where)
    n, d, k = GAUSSIAN_BINARY_N, GAUSSIAN_BINARY_FEATURES, GAUSSIAN_BINARY_INFORMATIVE
    y = rng.permutation(np.repeat(np.arange(2, dtype=np.int64), n // 2))
    direction = rng.choice([-1.0, 1.0], size=k)
    Z = rng.standard_normal((n, d))
    Z[:, :k] += 0.5 * direction * np.where(y == 1, 1.0, -1.0)[:, None]
    Q, R = np.linalg.qr(rng.standard_normal((d, d)))
    Q = Q * np.sign(np.diag(R))  # a uniformly random rotation
    X = Z @ Q
    if not split:
        return X, y
    return train_val_test_split(X, y, train=500, val=250, test=250)


__all__ = ["PLAYGROUND_FEATURES", "Split", "blobs", "circles", "feature_map", "gaussian_binary_20d", "moons",
           "playground_spiral", "spiral", "xor", "COURSE_NAMES"]


#: Course-code names → descriptive names. Each old name below is the very same object as its new name, so
#: lecture code, notebooks and graders' scripts written against the old names keep running.
COURSE_NAMES = {
    "eecs498_binary": "gaussian_binary_20d",
    "EECS498_N": "GAUSSIAN_BINARY_N",
    "EECS498_FEATURES": "GAUSSIAN_BINARY_FEATURES",
    "EECS498_INFORMATIVE": "GAUSSIAN_BINARY_INFORMATIVE",
}
eecs498_binary = gaussian_binary_20d
EECS498_N = GAUSSIAN_BINARY_N
EECS498_FEATURES = GAUSSIAN_BINARY_FEATURES
EECS498_INFORMATIVE = GAUSSIAN_BINARY_INFORMATIVE
