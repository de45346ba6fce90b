"""The sweep: for every closed-form rule, a deterministic list of test cases (inputs, parameters, upstream g).

The cases cover what the handouts' derivations must survive (CONTRIBUTING's testing habits): strides 1–3,
paddings 0–2, non-square kernels, dilation, several channels and batches, unbatched inputs, overlapping pooling
windows, windows with tied maxima (under each tie rule), inputs exactly at a kink (relu'(0), the hinge), logits up
to ±1000, every convention switch a rule has (inverted dropout, reductions, ½ factors, per-feature σ…).

Each case carries its upstream gradient ``g`` (random, of the output's shape; a random scalar for losses) so the
checker and the grader feed exactly the same numbers to autodiff, to the closed form and to a student's function.
``Case.numeric_skip`` says why central differences do not apply (tied maxima, an input at a kink): there the rule
is a convention, not a derivative, and only autodiff vs closed form is compared.

Randomness: one ``numpy`` Generator per (seed, rule name), so a case list does not depend on which other rules
are checked. ``quick=True`` keeps a subset that still has every stride, padding, tie rule and convention switch.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from ..args import as_pair
from ..closed_form import CLOSED_FORMS, canonical_rule, dropout_mask, index_to_X
from ..closed_form.registry import RuleTable

__all__ = ["Case", "SWEEPS", "NONDIFF", "cases", "describe_params"]

# How close to a kink / a tie counts as "at" it: central differences with eps = 1e-6 straddle anything closer.
NEAR = 1e-4


@dataclass(frozen=True, eq=False)
class Case:
    """One test case of rule ``rule``: ``rec.backward(*inputs, g, **params)`` is defined for it."""

    rule: str
    index: int
    inputs: tuple
    params: dict
    g: np.ndarray | float
    note: str = ""
    numeric_skip: str | None = None
    names: tuple[str, ...] = field(default=())

    @property
    def size(self) -> int:
        """Total number of input elements (the order in which failing cases are reported: smallest first)."""
        return int(sum(np.size(a) for a in self.inputs))

    def describe(self) -> str:
        """``x (1, 2, 5, 5), w (3, 2, 2, 3), b (3,); stride=2, padding=1`` plus the note (ties, kink…)."""
        parts = []
        for name, a in zip(self.names, self.inputs):
            arr = np.asarray(a)
            parts.append(f"{name} {arr.shape}" + (" (int labels)" if arr.dtype.kind in "iu" else ""))
        text = ", ".join(parts)
        p = describe_params(self.params)
        if p:
            text += "; " + p
        notes = [n for n in (self.note, self.numeric_skip) if n and not (n is self.numeric_skip and n in self.note)]
        if notes:
            text += f" [{'; '.join(notes)}]"
        return text


def describe_params(params: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in params.items())


CaseGenerator = Callable[[np.random.Generator, bool], Iterator[tuple[tuple, dict, str]]]


def _n(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.standard_normal(shape)


def _away(rng: np.random.Generator, *shape: int) -> np.ndarray:
    """Normal samples pushed at least 0.1 away from 0 (no kink nearby for central differences)."""
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < 0.1, np.sign(x + 1e-300) * 0.1 + x, x)


def _ints(rng: np.random.Generator, *shape: int, lo: int = -2, hi: int = 2) -> np.ndarray:
    """Small integers as floats: many exact ties and exact zeros."""
    return rng.integers(lo, hi + 1, size=shape).astype(np.float64)


# ----------------------------------------------------------------------------------------------------- dense
def _linear(rng, quick):
    # (L, O, x shape, b shape, note)
    configs = [((4,), (3,), ""), ((4, 1), (3, 1), "one column"), ((4, 5), (3,), "batch of 5 columns"),
               ((3, 2), (3,), "square W")]
    if not quick:
        configs += [((6, 7), (2, 1), "batch of 7 columns"), ((1,), (1,), "1×1"), ((5,), (5,), "square W")]
    for xs, bs, note in configs:
        L, O = xs[0], bs[0]
        yield (_n(rng, *xs), _n(rng, O, L), _n(rng, *bs)), {}, note


def _linear_rows(rng, quick):
    configs = [((4,), 4, 3, "one instance"), ((5, 4), 4, 3, "5 rows"), ((3, 2, 3), 6, 2, "rows flattened")]
    if not quick:
        configs += [((2, 5), 5, 5, "square W"), ((7, 1), 1, 4, "d_k = 1")]
    for xs, dk, do, note in configs:
        yield (_n(rng, *xs), _n(rng, dk, do), _n(rng, do)), {}, note


def _linear_no_bias(rng, quick):
    configs = [((4, 1), 3, "the handout's column"), ((4,), 3, ""), ((3, 5), 3, "square W, 5 columns")]
    if not quick:
        configs += [((6, 2), 2, "2 columns"), ((2, 1), 2, "square W")]
    for xs, O, note in configs:
        yield (_n(rng, *xs), _n(rng, O, xs[0])), {}, note


# ----------------------------------------------------------------------------------------------------- conv
def _size(rng, k: int, d: int, p: int, s: int) -> int:
    ek = d * (k - 1) + 1
    return max(1, ek - 2 * p) + s * int(rng.integers(0, 3)) + int(rng.integers(0, 2))


def _conv_geoms(quick: bool):
    """(stride, padding, kernel, dilation, N, C, K): every stride 1–3 × padding 0–2, non-square kernels."""
    kernels = [(2, 3), (3, 2), (3, 3), (1, 2), (2, 2)]
    out = []
    i = 0
    for s in (1, 2, 3):
        for p in (0, 1, 2):
            if quick and (s, p) not in ((1, 0), (2, 1), (3, 2), (1, 2)):
                continue
            for _ in range(1 if quick else 2):  # the full sweep: two kernels per (stride, padding)
                k = kernels[i % len(kernels)]
                d = 2 if i % 4 == 3 else 1
                out.append(((s, s), (p, p), k, (d, d), 1 + i % 2, 1 + i % 3, 1 + (i + 1) % 3))
                i += 1
    out.append(((2, 1), (1, 2), (3, 2), (1, 2), 2, 2, 3))  # the registry's example geometry
    if not quick:
        out.append(((1, 3), (0, 1), (2, 3), (2, 1), 2, 3, 2))
    return out


def _compact(v: tuple[int, int]) -> int | tuple[int, int]:
    """An int when both directions agree (what a student's code most likely expects), else the pair."""
    return v[0] if v[0] == v[1] else v


def _conv2d(rng, quick):
    for s, p, k, d, N, C, K in _conv_geoms(quick):
        H, W = _size(rng, k[0], d[0], p[0], s[0]), _size(rng, k[1], d[1], p[1], s[1])
        x = _n(rng, N, C, H, W)
        params = dict(stride=_compact(s), padding=_compact(p), dilation=_compact(d))
        yield (x, _n(rng, K, C, *k), _n(rng, K)), params, "non-square stride" if s[0] != s[1] else ""
    # unbatched (C, H, W)
    yield (_n(rng, 2, 5, 4), _n(rng, 3, 2, 2, 3), _n(rng, 3)), dict(stride=2, padding=1, dilation=1), "unbatched"


def _conv2d_chw(rng, quick):
    geoms = [(1, 0, (3, 3)), (2, 1, (2, 3)), (3, 2, (3, 2))]
    if not quick:
        geoms += [(1, 2, (1, 2)), (2, 0, (2, 2)), (3, 1, (3, 3))]
    for i, (s, p, k) in enumerate(geoms):
        C, K = 1 + i % 3, 1 + (i + 1) % 2
        H, W = _size(rng, k[0], 1, p, s), _size(rng, k[1], 1, p, s)
        yield (_n(rng, C, H, W), _n(rng, K, C, *k), _n(rng, K)), dict(stride=s, padding=p), ""


def _true_conv_same(rng, quick):
    configs = [((5, 5), (3, 3), None, "centred 3×3"), ((6, 5), (3, 2), None, "non-square, even width"),
               ((4, 6), (2, 2), (0, 0), "origin at the corner")]
    if not quick:
        configs += [((7, 4), (1, 3), (0, 2), "origin at the right"), ((3, 3), (3, 3), (2, 1), "kernel as big as x")]
    for xs, ks, origin, note in configs:
        params = {} if origin is None else dict(w_origin=origin)
        yield (_n(rng, *xs), _n(rng, *ks)), params, note


def _conv_full_filt_layer(rng, quick):
    configs = [((1, 1, 4, 4), (1, 1, 2, 2)), ((2, 2, 5, 4), (3, 2, 3, 2)), ((1, 3, 3, 5), (2, 3, 2, 3))]
    if not quick:
        configs += [((2, 1, 6, 3), (2, 1, 1, 3)), ((1, 2, 4, 4), (1, 2, 4, 4))]
    for xs, ws in configs:
        yield (_n(rng, *xs), _n(rng, *ws)), {}, ""


# ----------------------------------------------------------------------------------------------------- pooling
_POOL_GEOMS = [  # (kernel, stride, padding, note)
    ((2, 2), 2, 0, "2×2 stride 2, EN4553"),
    ((3, 3), 2, 1, "overlapping windows"),
    ((3, 2), (1, 2), (1, 0), "overlapping, non-square"),
    ((2, 3), 1, 0, "overlapping, stride 1"),
    ((3, 3), 3, 0, "stride 3"),
    ((2, 2), 1, 1, "padding 1, stride 1"),
    ((3, 3), (2, 3), 1, "padding 1"),
]


def _pool_shape(rng, k, s, p, batched=True):
    k = (k, k) if isinstance(k, int) else k
    s = (s, s) if isinstance(s, int) else s
    p = (p, p) if isinstance(p, int) else p
    H = max(k[0], k[0] - 2 * p[0]) + s[0] * int(rng.integers(1, 3))
    W = max(k[1], k[1] - 2 * p[1]) + s[1] * int(rng.integers(1, 3))
    lead = (int(rng.integers(1, 3)), int(rng.integers(1, 3))) if batched else (2,)
    return lead + (H, W)


def _max_pool2d(rng, quick):
    geoms = _POOL_GEOMS[:3] if quick else _POOL_GEOMS
    ties = ("all", "first", "split")
    for i, (k, s, p, note) in enumerate(geoms):
        shape = _pool_shape(rng, k, s, p, batched=i != 2)
        base = dict(kernel_size=k, stride=s, padding=p)
        yield (_n(rng, *shape),), dict(base, tie=ties[i % 3]), note + ", no ties"
        for tie in (ties if not quick or i == 1 else ties[i % 3:i % 3 + 1]):
            yield (_ints(rng, *shape),), dict(base, tie=tie), note + ", tied maxima"
    # EN4553's input (all window values distinct) and a constant plateau (every cell ties)
    yield (index_to_X("180577X")[None, None],), dict(kernel_size=2, stride=2, padding=0, tie="all"), "EN4553 X"
    yield (np.full((1, 1, 4, 5), 0.5),), dict(kernel_size=3, stride=1, padding=1, tie="all"), "constant plateau"


def _avg_pool2d(rng, quick):
    geoms = _POOL_GEOMS[:3] if quick else _POOL_GEOMS
    for i, (k, s, p, note) in enumerate(geoms):
        shape = _pool_shape(rng, k, s, p, batched=i != 2)
        padded = p != 0 and p != (0, 0)
        for cip in ((True, False) if padded else (True,)):
            yield (_n(rng, *shape),), dict(kernel_size=k, stride=s, padding=p, count_include_pad=cip), note


# ----------------------------------------------------------------------------------------------------- activations
_ACT_SHAPES = [(5,), (3, 4), (2, 3, 2, 2)]


def _act(kink: bool, **params):
    def gen(rng, quick):
        shapes = _ACT_SHAPES[:2] if quick else _ACT_SHAPES
        for shape in shapes:
            yield (_away(rng, *shape),), dict(params), ""
        if kink:
            yield (_ints(rng, 4, 5),), dict(params), "inputs at the kink 0"
    return gen


def _leaky_relu(rng, quick):
    for slope in ((0.1, 0.01) if quick else (0.1, 0.01, 0.3)):
        yield (_away(rng, 3, 4),), dict(slope=slope), ""
    yield (_ints(rng, 4, 5),), dict(slope=0.1), "inputs at the kink 0"
    if not quick:
        yield (_away(rng, 2, 3, 2, 2),), dict(slope=0.2), ""


def _prelu(rng, quick):
    yield (_away(rng, 3, 4, 2), np.array([0.1, 0.25, 0.05, 0.3])), {}, "one α per channel"
    yield (_away(rng, 5, 3), np.array([0.2])), {}, "one shared α"
    yield (_ints(rng, 4, 3), np.array([0.1, 0.3, 0.2])), {}, "inputs at the kink 0"
    if not quick:
        yield (_away(rng, 2, 2, 3, 3), np.array([0.25, 0.5])), {}, "NCHW, one α per channel"
        yield (_away(rng, 6), np.array(0.15)), {}, "0-d α"


def _smooth(big: float):
    def gen(rng, quick):
        shapes = _ACT_SHAPES[:2] if quick else _ACT_SHAPES
        for shape in shapes:
            yield (_n(rng, *shape),), {}, ""
        yield (_n(rng, 3, 4) * big,), {}, f"large inputs (×{big:g})"
    return gen


def _dropout(rng, quick):
    combos = [(0.3, inv, train) for inv in (False, True) for train in (True, False)]
    if not quick:
        combos += [(0.5, True, True), (0.5, False, True), (0.7, True, True)]
    for i, (p, inv, train) in enumerate(combos):
        shape = (4, 5) if i % 2 == 0 else (2, 3, 4)
        mask = dropout_mask(shape, p, rng)
        note = ("inverted" if inv else "handout form") + (", train" if train else ", test")
        yield (_n(rng, *shape), mask), dict(p=p, inverted=inv, train=train), note


# ----------------------------------------------------------------------------------------------------- norm
def _batch_norm(rng, quick):
    configs = [((6, 4), 1e-5), ((4, 3, 2, 2), 1e-5)]
    if not quick:
        configs += [((2, 5), 1e-3), ((3, 2, 3, 1), 1e-5), ((8, 1), 1e-5)]
    for xs, eps in configs:
        C = xs[1]
        yield (_n(rng, *xs) * 2 + 1, _n(rng, C), _n(rng, C)), dict(eps=eps), ""


def _batch_norm_one_sigma(rng, quick):
    configs = [((5, 3), False), ((5, 3), True), ((2, 4), False)]
    if not quick:
        configs += [((6, 1), False), ((4, 6), True), ((3, 2), True)]
    for xs, pf in configs:
        yield (_n(rng, *xs) * 1.5 - 0.5,), dict(eps=1e-5, per_feature=pf), "one σ per feature" if pf else "one σ"


# ----------------------------------------------------------------------------------------------------- softmax
def _extreme(rng, *shape: int) -> np.ndarray:
    """Logits up to ±1000 (EN4553 A2 Q2(a): without the max shift, e^1000 overflows)."""
    z = rng.uniform(-1000.0, 1000.0, size=shape)
    z.reshape(-1)[0] = 1000.0
    z.reshape(-1)[-1] = -1000.0
    return z


def _softmax_like(rng, quick):
    yield (_n(rng, 5),), {}, ""
    yield (_n(rng, 3, 5),), {}, ""
    yield (_n(rng, 4, 3),), dict(axis=0), "along axis 0"
    yield (_extreme(rng, 3, 6),), {}, "logits up to ±1000"
    if not quick:
        yield (_n(rng, 2, 3, 4) * 3,), dict(axis=1), "3-D, axis 1"
        yield (np.array([[1000.0, 1000.0, -1000.0], [0.0, 1e-3, 0.0]]),), {}, "tied large logits"


def _labels(rng, n, k):
    return rng.integers(0, k, size=n)


def _cross_entropy(rng, quick):
    yield (_n(rng, 4, 5), _labels(rng, 4, 5)), {}, ""
    yield (_n(rng, 5), np.int64(rng.integers(0, 5))), {}, "one example"
    yield (_extreme(rng, 6, 10), _labels(rng, 6, 10)), {}, "logits up to ±1000"
    t = rng.dirichlet(np.ones(4), size=3)
    yield (_n(rng, 3, 4), t), {}, "target distributions"
    if not quick:
        yield (_n(rng, 1, 3) * 4, _labels(rng, 1, 3)), {}, "N = 1"
        yield (_extreme(rng, 8), np.int64(3)), {}, "one example, logits up to ±1000"


def _nll(rng, quick):
    def logp(*shape):
        z = _n(rng, *shape) * 2
        return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))

    yield (logp(4, 5), _labels(rng, 4, 5)), {}, ""
    yield (logp(5), np.int64(rng.integers(0, 5))), {}, "one example"
    yield (_n(rng, 3, 6), _labels(rng, 3, 6)), {}, "arbitrary scores"
    if not quick:
        yield (logp(1, 3), _labels(rng, 1, 3)), {}, "N = 1"


def _binary_scores(rng, shape):
    s = _n(rng, *shape) * 2
    return np.where(np.abs(np.abs(s) - 1.0) < 0.05, s * 1.2, s)  # away from the hinge at |s| = 1


def _logistic(rng, quick):
    yield (_n(rng, 6), rng.integers(0, 2, 6).astype(float)), {}, ""
    yield (_n(rng, 5, 1), rng.integers(0, 2, (5, 1)).astype(float)), {}, "(N, 1) scores"
    yield (_extreme(rng, 6), np.array([0.0, 1, 1, 0, 1, 0])), {}, "scores up to ±1000"
    if not quick:
        yield (np.array(0.7), np.array(1.0)), {}, "a single score"


def _hinge(rng, quick):
    y = np.array([-1.0, 1, 1, -1, 1, -1])
    yield (_binary_scores(rng, (6,)), y), {}, "labels ±1"
    yield (_binary_scores(rng, (5, 1)), rng.integers(0, 2, (5, 1)).astype(float)), {}, "labels {0, 1}"
    s = _binary_scores(rng, (6,))
    s[[1, 4]] = y[[1, 4]]  # y·s = 1 exactly: the hinge's kink
    yield (s, y), {}, "scores exactly at the hinge"
    if not quick:
        yield (_binary_scores(rng, (9,)) * 3, np.where(rng.random(9) < 0.5, -1.0, 1.0)), {}, ""


def _multi_margin(rng, quick):
    yield (_n(rng, 4, 5), _labels(rng, 4, 5)), dict(margin=1.0, divide_by_classes=False), "cs231n (no 1/K)"
    yield (_n(rng, 4, 5), _labels(rng, 4, 5)), dict(margin=1.0, divide_by_classes=True), "PyTorch (÷K)"
    yield (_ints(rng, 3, 4), _labels(rng, 3, 4)), dict(margin=1.0, divide_by_classes=False), \
        "margins exactly at the hinge"
    if not quick:
        yield (_n(rng, 6), np.int64(2)), dict(margin=0.5, divide_by_classes=False), "one example, margin 0.5"
        yield (_n(rng, 5, 3) * 2, _labels(rng, 5, 3)), dict(margin=2.0, divide_by_classes=True), "margin 2"


def _mse(rng, quick):
    combos = [((3, 4), "mean", False), ((5,), "sum", True), ((2, 3, 2), "mean", True), ((4,), "sum", False)]
    for shape, red, half in combos:
        yield (_n(rng, *shape), _n(rng, *shape)), dict(reduction=red, half=half), ""


def _weight_decay(rng, quick):
    combos = [((3, 4), 0.1, True), ((5,), 0.01, False), ((2, 3, 2), 1.0, True)]
    for shape, lam, half in combos:
        yield (_n(rng, *shape),), dict(lam=lam, half=half), ""


SWEEPS: RuleTable = RuleTable({
    "linear": _linear,
    "linear_rows": _linear_rows,
    "linear_no_bias": _linear_no_bias,
    "conv2d": _conv2d,
    "conv2d_chw": _conv2d_chw,
    "true_conv_same": _true_conv_same,
    "conv_full_layer": _conv_full_filt_layer,
    "conv_filt_layer": _conv_full_filt_layer,
    "max_pool2d": _max_pool2d,
    "avg_pool2d": _avg_pool2d,
    "relu": _act(kink=True),
    "leaky_relu": _leaky_relu,
    "prelu": _prelu,
    "tanh": _smooth(5.0),
    "sigmoid": _smooth(30.0),
    "dropout": _dropout,
    "batch_norm": _batch_norm,
    "batch_norm_one_sigma": _batch_norm_one_sigma,
    "softmax": _softmax_like,
    "log_softmax": _softmax_like,
    "cross_entropy": _cross_entropy,
    "nll": _nll,
    "logistic_loss": _logistic,
    "hinge_loss": _hinge,
    "multi_margin_loss": _multi_margin,
    "mse_loss": _mse,
    "weight_decay": _weight_decay,
})


# ----------------------------------------------------------------------------------------------------- kinks/ties
def _pool_ties(inputs, params) -> str | None:
    x = np.asarray(inputs[0], dtype=np.float64)
    xb = x[None] if x.ndim == 3 else x
    k = as_pair(params["kernel_size"])
    s = k if params.get("stride") is None else as_pair(params["stride"])
    p = as_pair(params.get("padding", 0))
    xp = np.pad(xb, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])), constant_values=-np.inf)
    win = np.lib.stride_tricks.sliding_window_view(xp, k, axis=(2, 3))[:, :, ::s[0], ::s[1]]
    flat = np.sort(win.reshape(win.shape[:4] + (-1,)), axis=-1)
    if flat.shape[-1] > 1 and (flat[..., -1] - flat[..., -2] <= NEAR).any():
        return "tied maxima"
    return None


def _at_zero(inputs, params) -> str | None:
    if (np.abs(np.asarray(inputs[0], dtype=np.float64)) <= NEAR).any():
        return "inputs at the kink 0"
    return None


def _hinge_kink(inputs, params) -> str | None:
    s = np.asarray(inputs[0], dtype=np.float64).reshape(-1)
    y = np.asarray(inputs[1], dtype=np.float64).reshape(-1)
    y = np.where(y == 0, -1.0, y)
    if (np.abs(1.0 - y * s) <= NEAR).any():
        return "scores at the hinge"
    return None


def _margin_kink(inputs, params) -> str | None:
    s = np.asarray(inputs[0], dtype=np.float64)
    s = s.reshape(-1, s.shape[-1])
    y = np.asarray(inputs[1]).reshape(-1)
    rows = np.arange(s.shape[0])
    m = s - s[rows, y][:, None] + params.get("margin", 1.0)
    m[rows, y] = 1.0
    if (np.abs(m) <= NEAR).any():
        return "margins at the hinge"
    return None


NONDIFF: dict[str, Callable[[tuple, dict], str | None]] = {
    "max_pool2d": _pool_ties,
    "relu": _at_zero,
    "leaky_relu": _at_zero,
    "prelu": _at_zero,
    "hinge_loss": _hinge_kink,
    "multi_margin_loss": _margin_kink,
}


# ----------------------------------------------------------------------------------------------------- driver
def _rng(name: str, seed: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), zlib.crc32(name.encode())])


def cases(name: str, *, quick: bool = False, seed: int = 0) -> list[Case]:
    """The sweep of rule ``name`` (a key of ``closed_form.CLOSED_FORMS``), in generation order.

    Each case's ``g`` is drawn after its inputs from the same Generator, with the shape of
    ``CLOSED_FORMS[name].forward(*inputs, **params)`` (a scalar for losses).
    """
    name = canonical_rule(name)  # an old course-code rule name → its new name
    if name not in CLOSED_FORMS:
        raise ValueError(f"check: no closed-form rule named {name!r}; known rules: {', '.join(CLOSED_FORMS)}")
    if name not in SWEEPS:
        raise ValueError(f"check: rule {name!r} has no sweep in microgradnet.check.sweep.SWEEPS; add a case "
                       "generator for it")
    rec = CLOSED_FORMS[name]
    rng = _rng(name, seed)
    out = []
    for i, (inputs, params, note) in enumerate(SWEEPS[name](rng, quick)):
        y = rec.forward(*inputs, **params)
        g = float(rng.standard_normal() + 2.0 * np.sign(rng.standard_normal())) if rec.loss \
            else rng.standard_normal(np.shape(y))
        skip = NONDIFF[name](inputs, params) if name in NONDIFF else None
        out.append(Case(rule=name, index=i, inputs=tuple(inputs), params=dict(params), g=g, note=note,
                        numeric_skip=skip, names=rec.inputs))
    return out
