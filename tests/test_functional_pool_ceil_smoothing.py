"""functional/nn: ``ceil_mode`` of max_pool2d/avg_pool2d and ``label_smoothing`` of cross_entropy (PyTorch semantics).

Pooling: output sizes hand-worked and counted by a loop, values against a numpy loop reference written here (cells
beyond the padded input never win a max; avg divisors counted cell by cell), divisors by hand, gradients by central
differences (microgradnet.gradcheck and tests/numgrad.py on the loop reference), the scalar level, module reprs.
Label smoothing: values against the formula in numpy (loops), with class weights, ignore_index and every reduction,
hand-worked numbers, the gradient against the closed form (p − ((1 − ε)·onehot + ε/K))/N, ε = 0 is the old loss.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from numgrad import numeric_grad
from test_functional_scalar_level import both_levels

import microgradnet as mg
import microgradnet.closed_form as cf
import microgradnet.functional as F
from microgradnet import Tensor, nn


def T(a):
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def check(f, *arrays):
    rep = mg.gradcheck(f, *[T(a) for a in arrays], atol=1e-6, rtol=1e-5)
    assert rep.passed, str(rep)
    assert not [w for w in rep.warnings if "kink" in w], rep.warnings


# ---------------------------------------------------------------------------------------------------- references
def starts_ref(n, k, s, p, d, ceil_mode):
    """Window starts along one axis, enumerated: a window is kept while it ends inside the padded input (floor), or
    (ceil) while it still reaches the padded input by less than a stride and does not start in the right padding."""
    ek = d * (k - 1) + 1
    out, i = [], 0
    while True:
        start = i * s - p
        ok = (start + ek - s < n + p and start < n) if ceil_mode else start + ek <= n + p
        if not ok:
            return out
        out.append(start)
        i += 1


def pool_ref(x, k, s, p, d, ceil_mode, kind, count_include_pad=True, divisor_override=None):
    """Pooling by loops over every window cell: a cell is real input, padding (inside the padded input) or beyond
    the padded input (only a ceil_mode window has those). Max: padding and beyond are −∞. Avg: the sum of real cells
    divided by divisor_override, by the cells inside the padded input (count_include_pad) or by the real cells."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = k, s, p, d
    n, c, h, w = x.shape
    rows = starts_ref(h, kh, sh, ph, dh, ceil_mode)
    cols = starts_ref(w, kw, sw, pw, dw, ceil_mode)
    y = np.zeros((n, c, len(rows), len(cols)))
    for a, ch, (i, r0), (j, c0) in itertools.product(range(n), range(c), enumerate(rows), enumerate(cols)):
        best, total, real, in_padded = -np.inf, 0.0, 0, 0
        for m, q in itertools.product(range(kh), range(kw)):
            r, cc = r0 + m * dh, c0 + q * dw
            if 0 <= r < h and 0 <= cc < w:
                best = max(best, x[a, ch, r, cc])
                total += x[a, ch, r, cc]
                real += 1
            if -ph <= r < h + ph and -pw <= cc < w + pw:
                in_padded += 1
        if kind == "max":
            y[a, ch, i, j] = best
        else:
            div = divisor_override or (in_padded if count_include_pad else real)
            y[a, ch, i, j] = total / div
    return y


def np_log_softmax(z, axis):
    m = z.max(axis=axis, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=axis, keepdims=True))


def smoothed_ce_ref(z, y, eps, weight=None, ignore_index=-100, reduction="mean"):
    """PyTorch's label-smoothed cross-entropy by loops over the examples of z (N, K) and labels y (N,)."""
    n, k = z.shape
    w = np.ones(k) if weight is None else np.asarray(weight, dtype=np.float64)
    logp = np_log_softmax(z, 1)
    per, denom = np.zeros(n), 0.0
    for i in range(n):
        if y[i] == ignore_index:
            continue
        nll = -logp[i, y[i]] * w[y[i]]
        smooth = sum(-logp[i, c] * w[c] for c in range(k))
        per[i] = (1 - eps) * nll + eps / k * smooth
        denom += w[y[i]]
    if reduction == "none":
        return per
    return per.sum() if reduction == "sum" else per.sum() / denom


# ---------------------------------------------------------------------------------------------------- ceil_mode: sizes
# (H, k, s, p): the floor size, the ceil size, hand-worked with ⌊/⌈(H + 2p − k)/s⌉ + 1
SIZES = [
    (5, 2, 2, 1, 3, 3),  # ⌈5/2⌉ + 1 = 4, but window 4 would start at 3·2 − 1 = 5 = H: in the padding, dropped
    (6, 3, 2, 1, 3, 4),  # ⌈5/2⌉ + 1 = 4; window 4 starts at 5 < H = 6, covers 5, 6 (padding), 7 (beyond)
    (4, 2, 2, 0, 2, 2),  # (4 − 2)/2 is whole: ceil changes nothing
    (7, 3, 2, 1, 4, 4),  # (7 + 2 − 3)/2 = 3 is whole: nothing changes
    (5, 2, 2, 0, 2, 3),  # ⌈3/2⌉ + 1 = 3: the last window is the last row plus one cell beyond
    (1, 2, 2, 0, None, 1),  # a window larger than the input: PyTorch's ceil_mode gives one output
    (3, 4, 2, 0, None, 1),
]


@pytest.mark.parametrize("h, k, s, p, floor, ceil", SIZES)
def test_ceil_mode_output_sizes_by_hand(h, k, s, p, floor, ceil):
    assert len(starts_ref(h, k, s, p, 1, True)) == ceil
    x = np.arange(2.0 * h * h).reshape(1, 2, h, h)
    assert F.max_pool2d(x, k, s, p, ceil_mode=True).shape == (1, 2, ceil, ceil)
    assert F.avg_pool2d(x, k, s, p, ceil_mode=True).shape == (1, 2, ceil, ceil)
    assert F.avg_pool2d(x, k, s, p, ceil_mode=True, count_include_pad=False).shape == (1, 2, ceil, ceil)
    if floor is None:
        with pytest.raises(ValueError, match="does not fit in the padded input"):
            F.max_pool2d(x, k, s, p)
    else:
        assert len(starts_ref(h, k, s, p, 1, False)) == floor
        assert F.max_pool2d(x, k, s, p).shape == (1, 2, floor, floor)
        assert F.avg_pool2d(x, k, s, p, ceil_mode=False).shape == (1, 2, floor, floor)


def test_ceil_mode_non_square_sizes():
    # H = 6: k 3, s 2, p 1 → 4 (as above); W = 5: k 2, s 3, p 1 → ⌈4/3⌉ + 1 = 3, window 3 starts at 5 = W: dropped → 2
    x = np.zeros((1, 1, 6, 5))
    assert F.max_pool2d(x, (3, 2), (2, 3), (1, 1), ceil_mode=True).shape == (1, 1, 4, 2)
    # with dilation 2 along H: effective window 5, ⌈(6 + 2 − 5)/2⌉ + 1 = 3, window 3 starts at 3 < 6
    assert F.max_pool2d(x, (3, 2), (2, 3), (1, 1), (2, 1), ceil_mode=True).shape == (1, 1, 3, 2)


# ---------------------------------------------------------------------------------------------------- ceil_mode: values
CEIL_SWEEP = [
    # input (H, W), kernel, stride, padding, dilation
    ((5, 5), (2, 2), (2, 2), (1, 1), (1, 1)),  # the dropped-window case
    ((6, 6), (3, 3), (2, 2), (1, 1), (1, 1)),  # a last window past the padding
    ((5, 7), (3, 2), (2, 3), (0, 1), (1, 1)),  # non-square
    ((7, 6), (3, 3), (3, 2), (1, 0), (2, 1)),  # dilation
    ((4, 4), (2, 2), (2, 2), (0, 0), (1, 1)),  # ceil changes nothing
    ((3, 3), (4, 4), (2, 2), (0, 0), (1, 1)),  # window larger than the input
]


@pytest.mark.parametrize("hw, k, s, p, d", CEIL_SWEEP)
def test_max_pool2d_ceil_mode_matches_loops_and_gradcheck(rng, hw, k, s, p, d):
    x = rng.standard_normal((2, 2) + hw)
    y = F.max_pool2d(T(x), k, s, p, d, ceil_mode=True)
    np.testing.assert_array_equal(y.data, pool_ref(x, k, s, p, d, True, "max"))
    for tie in ("first", "split", "all"):  # no ties in random data: all three are the derivative
        check(lambda x, tie=tie: F.max_pool2d(x, k, s, p, d, True, tie=tie), x)


@pytest.mark.parametrize("hw, k, s, p, d", [c for c in CEIL_SWEEP if c[4] == (1, 1)])
@pytest.mark.parametrize("include", [True, False])
def test_avg_pool2d_ceil_mode_matches_loops_and_gradcheck(rng, hw, k, s, p, d, include):
    x = rng.standard_normal((2, 2) + hw)
    y = F.avg_pool2d(T(x), k, s, p, ceil_mode=True, count_include_pad=include)
    np.testing.assert_allclose(y.data, pool_ref(x, k, s, p, d, True, "avg", include), rtol=1e-13, atol=1e-15)
    check(lambda x: F.avg_pool2d(x, k, s, p, True, include), x)
    # divisor_override still wins over both counts
    y3 = F.avg_pool2d(x, k, s, p, True, include, divisor_override=3)
    np.testing.assert_allclose(y3.data, pool_ref(x, k, s, p, d, True, "avg", divisor_override=3), rtol=1e-13,
                               atol=1e-15)


def test_ceil_mode_gradient_against_central_differences_of_the_loop_reference(rng):
    # independent of the engine: numeric_grad differentiates pool_ref (plain numpy loops)
    x, g = rng.standard_normal((1, 2, 6, 5)), rng.standard_normal((1, 2, 4, 3))
    for kind, f in (("max", lambda t: F.max_pool2d(t, 3, 2, 1, ceil_mode=True)),
                    ("avg", lambda t: F.avg_pool2d(t, 3, 2, 1, ceil_mode=True))):
        t = T(x)
        y = f(t)
        assert y.shape == g.shape
        y.backward(g)
        expected = numeric_grad(lambda a, kind=kind: float((pool_ref(a, (3, 3), (2, 2), (1, 1), (1, 1), True,
                                                                      kind) * g).sum()), x)
        np.testing.assert_allclose(t.grad, expected, rtol=1e-6, atol=1e-8)


def test_avg_pool2d_ceil_mode_divisors_by_hand():
    # one row 1 2 3 4, kernel (1, 3), stride (1, 2), padding (0, 1): ⌈(4 + 2 − 3)/2⌉ + 1 = 3 windows starting at
    # −1, 1, 3: [pad 1 2], [2 3 4], [4 pad beyond]; the last one reaches past the padded input
    x = T([[[[1.0, 2.0, 3.0, 4.0]]]])
    args = ((1, 3), (1, 2), (0, 1), True)
    # count_include_pad=True: divisors 3, 3 and min(3 + 3, 4 + 1) − 3 = 2 (the cell beyond is not counted)
    y = F.avg_pool2d(x, *args)
    np.testing.assert_allclose(y.data[0, 0, 0], [3 / 3, 9 / 3, 4 / 2], rtol=1e-15)
    y.backward(np.ones(y.shape))
    np.testing.assert_allclose(x.grad[0, 0, 0], [1 / 3, 2 / 3, 1 / 3, 1 / 3 + 1 / 2], rtol=1e-15)
    # count_include_pad=False: divisors 2, 3, 1 (real cells only)
    x.grad = None
    y = F.avg_pool2d(x, *args, count_include_pad=False)
    np.testing.assert_allclose(y.data[0, 0, 0], [3 / 2, 9 / 3, 4 / 1], rtol=1e-15)
    y.backward(np.ones(y.shape))
    np.testing.assert_allclose(x.grad[0, 0, 0], [1 / 2, 1 / 2 + 1 / 3, 1 / 3, 1 / 3 + 1], rtol=1e-15)
    # divisor_override wins
    np.testing.assert_allclose(F.avg_pool2d(x, *args, divisor_override=2).data[0, 0, 0], [3 / 2, 9 / 2, 4 / 2])


def test_avg_pool2d_ceil_mode_divisor_table_on_ones():
    # 4×4 ones, k 3, s 2, p 1, ceil: 3×3 windows starting at −1, 1, 3 per axis. Real cells per axis 2, 3, 1;
    # cells inside the padded input per axis 3, 3, 2 → the mean of ones is the ratio of the products
    ones = np.ones((1, 1, 4, 4))
    ratio = np.array([2 / 3, 3 / 3, 1 / 2])
    np.testing.assert_allclose(F.avg_pool2d(ones, 3, 2, 1, True).data[0, 0], np.outer(ratio, ratio), rtol=1e-15)
    np.testing.assert_allclose(F.avg_pool2d(ones, 3, 2, 1, True, False).data[0, 0], np.ones((3, 3)), rtol=1e-15)
    # without padding: 5×5 ones, k 2, s 2: windows at 0, 2, 4; the last holds 1 real cell and 1 beyond → divisor 1
    np.testing.assert_allclose(F.avg_pool2d(np.ones((1, 1, 5, 5)), 2, ceil_mode=True).data[0, 0], np.ones((3, 3)),
                               rtol=1e-15)


def test_max_pool2d_ceil_mode_cells_beyond_never_win_by_hand():
    # −1 −2 −3 −4 with kernel (1, 3), stride (1, 2), padding (0, 1), ceil: [pad −1 −2] [−2 −3 −4] [−4 pad beyond];
    # zeros there would win every window
    x = T([[[[-1.0, -2.0, -3.0, -4.0]]]])
    y = F.max_pool2d(x, (1, 3), (1, 2), (0, 1), ceil_mode=True)
    np.testing.assert_array_equal(y.data[0, 0, 0], [-1.0, -2.0, -4.0])
    y.backward(np.array([[[[1.0, 2.0, 3.0]]]]))
    np.testing.assert_array_equal(x.grad[0, 0, 0], [1.0, 2.0, 0.0, 3.0])
    with mg.detect_anomaly():  # no infinity on the tape
        F.max_pool2d(x, (1, 3), (1, 2), (0, 1), ceil_mode=True).sum().backward()


@pytest.mark.parametrize("tie, expected", [("first", [1, 0, 2]), ("all", [1, 1, 2]), ("split", [0.5, 0.5, 2])])
def test_max_pool2d_ceil_mode_tie_rules(tie, expected):
    # 5 5 5, kernel (1, 2), stride (1, 2), ceil: windows [5 5] (a tie) and [5 beyond] (no tie: beyond never wins)
    x = T([[[[5.0, 5.0, 5.0]]]])
    y = F.max_pool2d(x, (1, 2), ceil_mode=True, tie=tie)
    np.testing.assert_array_equal(y.data, [[[[5.0, 5.0]]]])
    y.backward(np.array([[[[1.0, 2.0]]]]))
    np.testing.assert_allclose(x.grad[0, 0, 0], expected)


@pytest.mark.parametrize("tie", ["first", "split", "all"])
def test_ceil_mode_at_scalar_level(rng, tie):
    x = np.array([[[[5.0, 5.0, 1.0, 2.0, 2.0], [5.0, 5.0, 1.0, 2.0, 0.0], [1.0, 1.0, 3.0, 3.0, 3.0]]]])
    both_levels(lambda t: F.max_pool2d(t, 2, ceil_mode=True, tie=tie), (x,))
    both_levels(lambda t: F.avg_pool2d(t, 3, 2, 1, ceil_mode=True, count_include_pad=tie == "all"),
                (rng.standard_normal((1, 2, 6, 5)),))


def test_pool_modules_ceil_mode_and_repr(rng):
    x = rng.standard_normal((1, 2, 6, 6))
    mp = nn.MaxPool2d(3, 2, 1, ceil_mode=True)
    assert repr(mp) == "MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=True, tie='first')"
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, tie='first')"
    np.testing.assert_array_equal(mp(Tensor(x)).data, pool_ref(x, (3, 3), (2, 2), (1, 1), (1, 1), True, "max"))
    # PyTorch's positional order: kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
    ap = nn.AvgPool2d(3, 2, 1, True, False)
    assert repr(ap) == "AvgPool2d(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)"
    assert repr(nn.AvgPool2d(2)) == "AvgPool2d(kernel_size=2, stride=2, padding=0)"
    np.testing.assert_allclose(ap(Tensor(x)).data, pool_ref(x, (3, 3), (2, 2), (1, 1), (1, 1), True, "avg", False),
                               rtol=1e-13)
    assert nn.AvgPool2d(3, 2, 1, True)(Tensor(x)).shape == (1, 2, 4, 4)
    with pytest.raises(TypeError, match="MaxPool2d: ceil_mode must be True or False, got 1"):
        nn.MaxPool2d(2, ceil_mode=1)
    with pytest.raises(TypeError, match="AvgPool2d: ceil_mode must be True or False, got 'yes'"):
        nn.AvgPool2d(2, ceil_mode="yes")


def test_ceil_mode_errors():
    x = np.ones((1, 1, 3, 3))
    with pytest.raises(TypeError, match=r"max_pool2d: ceil_mode must be True or False, got 'all'; pass tie by "
                                        r"keyword \(tie='all'\)"):
        F.max_pool2d(x, 2, 1, 0, 1, "all")
    with pytest.raises(TypeError, match="avg_pool2d: ceil_mode must be True or False, got None"):
        F.avg_pool2d(x, 2, ceil_mode=None)
    # ⌈(3 − 4)/1⌉ + 1 = 0: even ceil_mode gives no window
    with pytest.raises(ValueError, match=r"max_pool2d: the 4×4 window .* does not fit in the padded input 3×3 .*"
                                         r"ceil_mode=True: output size 0×0"):
        F.max_pool2d(x, 4, 1, ceil_mode=True)
    with pytest.raises(ValueError, match="avg_pool2d: padding .* at most half the window"):
        F.avg_pool2d(x, 2, padding=2, ceil_mode=True)


# ---------------------------------------------------------------------------------------------------- label smoothing
def test_label_smoothing_by_hand():
    # logits (0, ln 2, ln 2): p = (0.2, 0.4, 0.4); label 0, ε = 0.3, K = 3: the target is (0.8, 0.1, 0.1), so
    # ℓ = 0.7·ln 5 + 0.1·(ln 5 + 2 ln 2.5) = 0.8 ln 5 + 0.2 ln 2.5 and ∂ℓ/∂z = p − target = (−0.6, 0.3, 0.3)
    for shape in ((3,), (1, 3)):
        z = T(np.array([0.0, math.log(2), math.log(2)]).reshape(shape))
        loss = F.cross_entropy(z, 0 if shape == (3,) else [0], label_smoothing=0.3)
        assert loss.item() == pytest.approx(0.8 * math.log(5) + 0.2 * math.log(2.5), rel=1e-14)
        loss.backward()
        np.testing.assert_allclose(z.grad.reshape(3), [-0.6, 0.3, 0.3], atol=1e-15)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", [False, True])
def test_label_smoothing_matches_the_formula(rng, reduction, weighted, ignore):
    z = rng.standard_normal((6, 4))
    y = np.array([0, 3, 1, 2, 2, 1])
    if ignore:
        y[[1, 4]] = -100
    w = np.array([0.5, 2.0, 1.0, 1.5]) if weighted else None
    loss = F.cross_entropy(T(z), y, weight=w, reduction=reduction, label_smoothing=0.2)
    np.testing.assert_allclose(loss.data, smoothed_ce_ref(z, y, 0.2, w, reduction=reduction), rtol=1e-13)
    check(lambda t: F.cross_entropy(t, y, weight=w, reduction=reduction, label_smoothing=0.2), z)


def test_label_smoothing_custom_ignore_index_and_spatial_input(rng):
    # (N, C, d1) logits with (N, d1) labels: the same as the (N·d1, C) rows; ignore_index = 1 is a real class here
    z, y = rng.standard_normal((2, 3, 4)), np.array([[0, 1, 2, 2], [1, 0, 0, 2]])
    w = np.array([1.0, 3.0, 0.5])
    rows, labels = z.transpose(0, 2, 1).reshape(8, 3), y.reshape(8)
    for reduction in ("mean", "sum"):
        loss = F.cross_entropy(z, y, weight=w, ignore_index=1, reduction=reduction, label_smoothing=0.4)
        assert loss.item() == pytest.approx(smoothed_ce_ref(rows, labels, 0.4, w, 1, reduction), rel=1e-13)
    none = F.cross_entropy(z, y, weight=w, ignore_index=1, reduction="none", label_smoothing=0.4)
    np.testing.assert_allclose(none.data, smoothed_ce_ref(rows, labels, 0.4, w, 1, "none").reshape(2, 4),
                               rtol=1e-13)
    assert none.data[0, 1] == 0.0 and none.data[1, 0] == 0.0
    check(lambda t: F.cross_entropy(t, y, weight=w, ignore_index=1, label_smoothing=0.4), z)


@pytest.mark.parametrize("eps", [0.1, 0.5, 1.0])
def test_label_smoothing_gradient_is_the_closed_form(rng, eps):
    # unweighted mean: ∂L/∂z = (softmax(z) − ((1 − ε)·onehot + ε/K))/N; the homework's closed form takes the target
    # distribution directly: cross_entropy_backward(z, t').dscores = (p − t')/N
    n, k = 5, 4
    z, y = rng.standard_normal((n, k)), np.array([0, 3, 3, 1, 2])
    t = T(z)
    loss = F.cross_entropy(t, y, label_smoothing=eps)
    loss.backward()
    target = (1 - eps) * np.eye(k)[y] + eps / k
    p = np.exp(np_log_softmax(z, 1))
    np.testing.assert_allclose(t.grad, (p - target) / n, atol=1e-15)
    np.testing.assert_allclose(t.grad, cf.cross_entropy_backward(z, target).dscores, atol=1e-15)
    assert loss.item() == pytest.approx(cf.cross_entropy(z, target), rel=1e-13)


def test_label_smoothing_zero_is_the_old_loss(rng):
    z, y = rng.standard_normal((4, 3)), np.array([2, 0, -100, 1])
    w = np.array([0.5, 2.0, 1.5])
    for kw in ({}, {"weight": w}, {"weight": w, "reduction": "sum"}, {"reduction": "none"}):
        a, b = T(z), T(z)
        la = F.cross_entropy(a, y, label_smoothing=0.0, **kw)
        lb = F.nll_loss(F.log_softmax(b, 1), y, **kw)  # the loss before label_smoothing existed
        np.testing.assert_array_equal(la.data, lb.data)
        np.testing.assert_allclose(la.data, smoothed_ce_ref(z, y, 0.0, kw.get("weight"),
                                                           reduction=kw.get("reduction", "mean")), rtol=1e-13)
        la.backward(np.ones(la.shape))
        lb.backward(np.ones(lb.shape))
        np.testing.assert_array_equal(a.grad, b.grad)


def test_label_smoothing_one_is_the_uniform_target(rng):
    # ε = 1: the label no longer matters, ℓ_n = (1/K) Σ_k −log p_n[k]
    z = rng.standard_normal((3, 5))
    expected = -np_log_softmax(z, 1).mean(1)
    for y in ([0, 1, 2], [4, 4, 4]):
        np.testing.assert_allclose(F.cross_entropy(z, y, reduction="none", label_smoothing=1.0).data, expected,
                                   rtol=1e-13)


def test_label_smoothing_with_class_probability_targets(rng):
    # soft targets t become (1 − ε)·t + ε/K; PyTorch's ℓ_n = −Σ_k w_k t'_nk log p_nk, 'mean' divides by N
    z, q = rng.standard_normal((4, 3)), rng.dirichlet(np.ones(3), 4)
    w = np.array([0.5, 2.0, 1.5])
    tq = 0.75 * q + 0.25 / 3
    logp = np_log_softmax(z, 1)
    per = np.array([-sum(w[c] * tq[i, c] * logp[i, c] for c in range(3)) for i in range(4)])
    assert F.cross_entropy(z, q, weight=w, label_smoothing=0.25).item() == pytest.approx(per.mean(), rel=1e-13)
    np.testing.assert_allclose(F.cross_entropy(z, q, weight=w, reduction="none", label_smoothing=0.25).data, per,
                               rtol=1e-13)
    check(lambda t: F.cross_entropy(t, q, weight=w, label_smoothing=0.25), z)
    # a one-hot probability target smooths exactly like the class index
    y = np.array([2, 0, 1, 1])
    assert F.cross_entropy(z, np.eye(3)[y], label_smoothing=0.3).item() == pytest.approx(
        F.cross_entropy(z, y, label_smoothing=0.3).item(), rel=1e-14)


def test_cross_entropy_loss_module_label_smoothing(rng):
    z, y = rng.standard_normal((5, 3)), np.array([0, 2, 1, -100, 2])
    w = np.array([0.5, 2.0, 1.5])
    ce = nn.CrossEntropyLoss(weight=w, reduction="sum", label_smoothing=0.1)
    assert ce(Tensor(z), y).item() == pytest.approx(smoothed_ce_ref(z, y, 0.1, w, reduction="sum"), rel=1e-13)
    assert repr(ce) == "CrossEntropyLoss(label_smoothing=0.1, reduction='sum')"
    assert repr(nn.CrossEntropyLoss(label_smoothing=0.0)) == "CrossEntropyLoss()"
    ce_mean = nn.CrossEntropyLoss(None, -100, "mean", 0.3)  # PyTorch's order without size_average/reduce
    assert ce_mean(Tensor(z), y).item() == pytest.approx(smoothed_ce_ref(z, y, 0.3), rel=1e-13)


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan")])
def test_label_smoothing_out_of_range_raises(bad):
    z, y = np.zeros((2, 3)), np.array([0, 1])
    with pytest.raises(ValueError, match=rf"cross_entropy: label_smoothing must be in \[0, 1\].*got {bad!r}"):
        F.cross_entropy(z, y, label_smoothing=bad)
    with pytest.raises(ValueError, match=rf"CrossEntropyLoss: label_smoothing must be in \[0, 1\].*got {bad!r}"):
        nn.CrossEntropyLoss(label_smoothing=bad)
    with pytest.raises(TypeError, match=r"cross_entropy: label_smoothing must be a number in \[0, 1\], got True"):
        F.cross_entropy(z, y, label_smoothing=True)


def test_label_smoothing_mean_over_only_ignored_targets_raises():
    with pytest.raises(ValueError, match=r"every target is ignore_index \(-100\)"):
        F.cross_entropy(np.zeros((2, 3)), [-100, -100], label_smoothing=0.1)
    # 'sum' of nothing is 0 for both terms
    assert F.cross_entropy(np.zeros((2, 3)), [-100, -100], reduction="sum", label_smoothing=0.1).item() == 0.0


def test_label_smoothing_at_scalar_level(rng):
    w = np.array([0.5, 2.0, 1.5])
    both_levels(lambda t: F.cross_entropy(t, np.array([1, 2, -100]), weight=w, label_smoothing=0.2),
                (rng.standard_normal((3, 3)),))
