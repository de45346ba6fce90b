"""functional: softmax, log_softmax and the losses — values against numpy written here, gradients against the
homework's closed forms (p − onehot) and central differences, extreme logits, label errors."""

from __future__ import annotations

import numpy as np
import pytest

import microgradnet as mg
import microgradnet.functional as F
from microgradnet import Tensor


def T(a):
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def check(f, *arrays):
    rep = mg.gradcheck(f, *[T(a) for a in arrays], atol=1e-6, rtol=1e-5)
    assert rep.passed, str(rep)


def np_softmax(s, axis):
    e = np.exp(s - s.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# ---------------------------------------------------------------------------------------------------- softmax
def test_softmax_and_log_softmax_values_and_gradcheck(rng):
    s = rng.standard_normal((3, 5))
    np.testing.assert_allclose(F.softmax(s, 1).data, np_softmax(s, 1), rtol=1e-14)
    np.testing.assert_allclose(F.softmax(s, 0).data, np_softmax(s, 0), rtol=1e-14)
    np.testing.assert_allclose(F.log_softmax(s, -1).data, np.log(np_softmax(s, 1)), rtol=1e-13)
    check(lambda t: F.softmax(t, 1), s)
    check(lambda t: F.log_softmax(t, 0), s)


def test_softmax_jacobian_is_diag_p_minus_ppT(rng):
    # ∂p_i/∂z_j = p_i (δ_ij − p_j) (EN4553 A2 Q2): the max shift is a constant and does not change it
    z = rng.standard_normal(4)
    p = np_softmax(z, 0)
    jac = np.diag(p) - np.outer(p, p)
    for i in range(4):
        t = T(z)
        F.softmax(t, 0)[i].backward()
        np.testing.assert_allclose(t.grad, jac[i], atol=1e-15)


def test_softmax_at_logits_plus_minus_1000_is_finite_and_exact():
    s = T([[1000.0, 0.0, -1000.0], [1000.0, 1000.0, 999.0]])
    p = F.softmax(s, 1)
    e = np.exp(-1.0)
    np.testing.assert_allclose(p.data, [[1.0, 0.0, 0.0], [1 / (2 + e), 1 / (2 + e), e / (2 + e)]], rtol=1e-15)
    lp = F.log_softmax(s, 1)
    np.testing.assert_allclose(lp.data, [[0.0, -1000.0, -2000.0], [-np.log(2 + e)] * 2 + [-1 - np.log(2 + e)]],
                               rtol=1e-15)
    lp.backward(np.ones((2, 3)))
    assert np.all(np.isfinite(s.grad))


def test_softmax_dim_errors():
    # an IndexError (as PyTorch) that is also a ValueError, naming the valid range
    with pytest.raises(IndexError, match=r"softmax: dimension out of range \(expected to be in range of \[-2, 1\], "
                                         r"but got 2\)"):
        F.softmax(np.ones((2, 3)), 2)
    with pytest.raises(ValueError, match="softmax: dimension out of range"):
        F.softmax(np.ones((2, 3)), -3)
    with pytest.raises(TypeError, match="log_softmax: dim must be an int"):
        F.log_softmax(np.ones((2, 3)), 1.0)
    # dim=None is PyTorch's implicit choice: dim 1 for a 2-d input
    np.testing.assert_allclose(F.log_softmax(np.zeros((2, 3)), None).data, np.full((2, 3), -np.log(3.0)))


# ---------------------------------------------------------------------------------------------------- cross entropy
def test_cross_entropy_gradient_is_p_minus_onehot_over_n(rng):
    # CSC 249 HW2 P1, CS 4670 PA5 C, EN4553 A2 Q2(c): ∂L/∂s_i = p_i − 1 at the label, p_i elsewhere
    s, y = rng.standard_normal((4, 5)), np.array([0, 4, 2, 2])
    t = T(s)
    loss = F.cross_entropy(t, y)
    p = np_softmax(s, 1)
    assert loss.item() == pytest.approx(-np.log(p[np.arange(4), y]).mean(), rel=1e-13)
    loss.backward()
    onehot = np.eye(5)[y]
    np.testing.assert_allclose(t.grad, (p - onehot) / 4, atol=1e-15)
    check(lambda t: F.cross_entropy(t, y), s)


def test_cross_entropy_one_example_by_hand():
    # scores (1, 2, 3), label 2: L = log(e + e² + e³) − 3, ∂L/∂s = p − (0, 0, 1)
    s = T([1.0, 2.0, 3.0])
    loss = F.cross_entropy(s, 2)
    z = np.exp([1.0, 2.0, 3.0]).sum()
    assert loss.item() == pytest.approx(np.log(z) - 3.0, rel=1e-14)
    loss.backward()
    np.testing.assert_allclose(s.grad, np.exp([1.0, 2.0, 3.0]) / z - [0, 0, 1], atol=1e-15)


def test_cross_entropy_extreme_logits_finite_and_correct():
    s = T([[1000.0, -1000.0], [-1000.0, 1000.0], [0.0, 1000.0]])
    loss = F.cross_entropy(s, np.array([1, 1, 1]), reduction="none")
    np.testing.assert_allclose(loss.data, [2000.0, 0.0, 0.0], rtol=1e-15, atol=0)
    loss.sum().backward()
    np.testing.assert_allclose(s.grad, [[1.0, -1.0], [0.0, 0.0], [0.0, 0.0]], atol=1e-300)


def test_cross_entropy_reductions_weights_ignore_index(rng):
    s, y = rng.standard_normal((5, 3)), np.array([0, 2, 1, -100, 2])
    w = np.array([0.5, 2.0, 1.5])
    logp = np.log(np_softmax(s, 1))
    valid = y != -100
    per = np.where(valid, -logp[np.arange(5), np.where(valid, y, 0)] * w[np.where(valid, y, 0)], 0.0)
    out = F.cross_entropy(s, y, weight=w, reduction="none")
    np.testing.assert_allclose(out.data, per, rtol=1e-13)
    assert F.cross_entropy(s, y, weight=w, reduction="sum").item() == pytest.approx(per.sum(), rel=1e-13)
    # 'mean' with class weights divides by the sum of the weights of the counted targets (PyTorch)
    mean = F.cross_entropy(s, y, weight=w)
    assert mean.item() == pytest.approx(per.sum() / w[y[valid]].sum(), rel=1e-13)
    check(lambda t: F.cross_entropy(t, y, weight=w), s)


def test_cross_entropy_spatial_and_soft_targets(rng):
    s, y = rng.standard_normal((2, 3, 2, 2)), rng.integers(0, 3, (2, 2, 2))
    logp = np.log(np_softmax(s, 1))
    picked = np.take_along_axis(logp, y[:, None], 1)[:, 0]
    assert F.cross_entropy(s, y).item() == pytest.approx(-picked.mean(), rel=1e-13)
    check(lambda t: F.cross_entropy(t, y), s)
    q = rng.dirichlet(np.ones(3), 4)
    s2 = rng.standard_normal((4, 3))
    assert F.cross_entropy(s2, q).item() == pytest.approx(-(q * np.log(np_softmax(s2, 1))).sum(1).mean(),
                                                          rel=1e-13)
    check(lambda t: F.cross_entropy(t, q), s2)


def test_nll_loss_of_log_softmax_equals_cross_entropy(rng):
    s, y = rng.standard_normal((4, 3)), np.array([2, 0, 1, 1])
    a = F.nll_loss(F.log_softmax(T(s), 1), y)
    b = F.cross_entropy(T(s), y)
    assert a.item() == pytest.approx(b.item(), rel=1e-15)
    x = rng.standard_normal((4, 3))
    assert F.nll_loss(x, y).item() == pytest.approx(-x[np.arange(4), y].mean(), rel=1e-14)
    check(lambda t: F.nll_loss(t, y, reduction="sum"), x)


@pytest.mark.parametrize("loss", [F.cross_entropy, F.nll_loss, F.multi_margin_loss])
def test_class_label_errors(loss):
    s = np.zeros((3, 4))
    with pytest.raises(TypeError, match=r"target must hold integer class indices \(dtype int64\).*got dtype "
                                        r"float64"):
        loss(s, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"target 4 at position \(1,\) is out of range for 4 classes"):
        loss(s, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match=r"target -1 at position \(2,\) is out of range"):
        loss(s, np.array([0, 1, -1]))
    with pytest.raises(ValueError, match=r"target of shape \(2,\) does not match input of shape \(3, 4\)"):
        loss(s, np.array([0, 1]))


def test_reduction_errors():
    for f in (lambda: F.cross_entropy(np.zeros((1, 2)), [0], reduction="avg"),
              lambda: F.mse_loss(np.zeros(2), np.zeros(2), reduction="max"),
              lambda: F.hinge_loss(np.zeros(2), [0, 1], reduction="mean_"),
              lambda: F.binary_cross_entropy_with_logits(np.zeros(2), np.zeros(2), reduction=None)):
        with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none'"):
            f()


def test_nll_loss_all_ignored_mean_refuses_instead_of_nan():
    with pytest.raises(ValueError, match="every target is ignore_index"):
        F.nll_loss(np.zeros((2, 3)), np.array([-100, -100]))


# ---------------------------------------------------------------------------------------------------- mse, bce
def test_mse_loss(rng):
    x, y = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    assert F.mse_loss(x, y).item() == pytest.approx(((x - y) ** 2).mean(), rel=1e-14)
    assert F.mse_loss(x, y, reduction="sum").item() == pytest.approx(((x - y) ** 2).sum(), rel=1e-14)
    t = T(x)
    F.mse_loss(t, y).backward()
    np.testing.assert_allclose(t.grad, 2 * (x - y) / 6, rtol=1e-14)
    with pytest.raises(ValueError, match=r"mse_loss: input of shape \(3, 2\) and target of shape \(2,\) differ"):
        F.mse_loss(x, y[0])


def test_bce_with_logits_matches_definition_and_gradient(rng):
    x, y = rng.standard_normal((4, 3)), rng.uniform(0, 1, (4, 3))
    sig = 1 / (1 + np.exp(-x))
    ref = -(y * np.log(sig) + (1 - y) * np.log(1 - sig))
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(x, y, reduction="none").data, ref, rtol=1e-12)
    t = T(x)
    F.binary_cross_entropy_with_logits(t, y, reduction="sum").backward()
    np.testing.assert_allclose(t.grad, sig - y, rtol=1e-12, atol=1e-15)  # EECS 498 §2: σ(s) − y
    pw, w = np.array([2.0, 0.5, 1.0]), rng.uniform(0.5, 2, (4, 3))
    ref_pw = -w * (pw * y * np.log(sig) + (1 - y) * np.log(1 - sig))
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(x, y, weight=w, pos_weight=pw,
                                                                  reduction="none").data, ref_pw, rtol=1e-12)
    check(lambda t: F.binary_cross_entropy_with_logits(t, y, weight=w, pos_weight=pw), x)


def test_bce_with_logits_stable_at_extremes_and_exact_at_zero():
    x = T([1000.0, -1000.0, 1000.0, -1000.0, 0.0])
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    np.testing.assert_allclose(loss.data, [0.0, 0.0, 1000.0, 1000.0, np.log(2.0)], rtol=1e-15, atol=0)
    loss.sum().backward()
    np.testing.assert_allclose(x.grad, [0.0, 0.0, 1.0, -1.0, -0.5], atol=1e-300)  # σ(x) − y, at x = 0 too


# ---------------------------------------------------------------------------------------------------- hinge, svm
def test_hinge_loss_eecs498_by_hand():
    s = T([2.0, 0.5, -0.3, 1.0])
    # labels in {0, 1}: 0 means −1. margins 1 − y·s: −1 → 0, 0.5, 0.7 (y = −1: 1 − 0.3), 0 (exactly the kink)
    loss = F.hinge_loss(s, np.array([1, 1, 0, 1]))
    assert loss.item() == pytest.approx((0.0 + 0.5 + 0.7 + 0.0) / 4)
    loss.backward()
    np.testing.assert_allclose(s.grad, [0.0, -0.25, 0.25, 0.0])  # −y/N where the margin is > 0; 0 at the kink
    same = F.hinge_loss(s.data.reshape(4, 1), np.array([1, 1, -1, 1]))
    assert same.item() == pytest.approx(loss.item())


def test_hinge_loss_label_errors():
    with pytest.raises(ValueError, match=r"hinge_loss: labels must be in \{-1, \+1\} or \{0, 1\}"):
        F.hinge_loss(np.zeros(2), np.array([2, 1]))
    with pytest.raises(ValueError, match="hinge_loss: labels mix 0 and -1"):
        F.hinge_loss(np.zeros(3), np.array([0, -1, 1]))
    with pytest.raises(ValueError, match="hinge_loss: scores must have shape"):
        F.hinge_loss(np.zeros((2, 2)), np.array([[0, 1], [1, 0]]))


def _svm_ref(s, y, margin=1.0, p=1, w=None, div=True):
    n, c = s.shape
    out = np.zeros(n)
    for i in range(n):
        for j in range(c):
            if j != y[i]:
                out[i] += max(0.0, margin - s[i, y[i]] + s[i, j]) ** p * (1.0 if w is None else w[y[i]])
    return out / c if div else out


def test_multi_margin_loss_pytorch_and_cs231n_forms(rng):
    s, y = rng.standard_normal((5, 4)), np.array([0, 3, 1, 1, 2])
    assert F.multi_margin_loss(s, y).item() == pytest.approx(_svm_ref(s, y).mean(), rel=1e-13)
    assert F.multi_margin_loss(s, y, form="cs231n").item() == pytest.approx(_svm_ref(s, y, div=False).mean(),
                                                                           rel=1e-13)
    w = np.array([1.0, 0.5, 2.0, 1.5])
    np.testing.assert_allclose(F.multi_margin_loss(s, y, p=2, margin=0.5, weight=w, reduction="none").data,
                               _svm_ref(s, y, 0.5, 2, w), rtol=1e-13)
    check(lambda t: F.multi_margin_loss(t, y), s)
    check(lambda t: F.multi_margin_loss(t, y, p=2, form="cs231n"), s)


def test_multi_margin_loss_cs231n_by_hand():
    # cs231n's example: scores (3.2, 5.1, −1.7), label 0, Δ = 1: max(0, 5.1 − 3.2 + 1) + max(0, −1.7 − 3.2 + 1) = 2.9
    s = T([[3.2, 5.1, -1.7]])
    loss = F.multi_margin_loss(s, np.array([0]), form="cs231n")
    assert loss.item() == pytest.approx(2.9)
    loss.backward()
    np.testing.assert_allclose(s.grad, [[-1.0, 1.0, 0.0]])
    assert F.multi_margin_loss(s.data, np.array([0])).item() == pytest.approx(2.9 / 3)  # PyTorch divides by C


def test_l2_penalty_has_the_half():
    w1, w2 = T([[1.0, 2.0], [3.0, 4.0]]), T([0.5, -0.5])
    r = F.l2_penalty([w1, w2], 0.1)
    assert r.item() == pytest.approx(0.5 * 0.1 * (1 + 4 + 9 + 16 + 0.25 + 0.25))
    r.backward()
    np.testing.assert_allclose(w1.grad, 0.1 * w1.data)  # ∂(½λ‖W‖²)/∂W = λW
    np.testing.assert_allclose(w2.grad, 0.1 * w2.data)
    with pytest.raises(ValueError, match="l2_penalty: no parameters given"):
        F.l2_penalty([], 0.1)
    with pytest.raises(ValueError, match="l2_penalty: weight_decay must be a number ≥ 0"):
        F.l2_penalty([w1], -1.0)
