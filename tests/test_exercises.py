"""The notebooks' exercise checks (microgradnet.exercises): right answers pass, stubs are "not done yet", and known
wrong answers get the right plain-words diagnosis.

Right answers here are written independently of the notebooks' solutions: from the hand-derived closed forms
(microgradnet.closed_form) or, for the Value exercises, from the engine. The notebooks' own solutions are graded in
tests/test_notebooks.py when the notebooks run.
"""

from __future__ import annotations

import numpy as np
import pytest

from microgradnet import closed_form as cf
from microgradnet import toposort
from microgradnet.closed_form import MISTAKES
from microgradnet.exercises import EXERCISES, STRICT_ENV, CheckFailed, check, grade


def _stub(*args, **kwargs):
    raise NotImplementedError


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


# ---------------------------------------------------------------------------------------- right answers
def _backward(root):
    root.grad = 1.0
    for node in reversed(toposort(root)):
        for parent, local in zip(node._prev, node.local_grads()):
            parent.grad += node.grad * local


def _hinge(scores, labels):
    terms = [(1 - y * s).relu() for s, y in zip(scores, labels)]
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total / len(terms)


def _sgd(model, loss, lr):
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= lr * p.grad


def _pool(x, g, kernel_size, stride, tie):
    return cf.max_pool2d_backward(x, g, kernel_size=kernel_size, stride=stride, tie=tie).dx


def _toy(X, dL_dy, w):
    r = cf.pool_lrelu_net(X, dL_dy=dL_dy, w=w, tie="all")
    return r.dL_dV, r.dL_dU, r.dL_dX


def _field(i, j, kernel_size, stride, padding, height, width):
    """By autodiff-free brute force: which inputs change output (i, j) of a conv with a ones kernel."""
    x = np.zeros((1, 1, height, width))
    out = set()
    for r in range(height):
        for c in range(width):
            x[...] = 0.0
            x[0, 0, r, c] = 1.0
            y = cf.conv2d(x, np.ones((1, 1, kernel_size, kernel_size)), None, stride=stride, padding=padding)
            if y[0, 0, i, j] != 0.0:
                out.add((r, c))
    return out


RIGHT = {
    "central_difference": lambda f, x, h: (f(x + h) - f(x - h)) / (2 * h),
    "chain_by_hand": {"f": -6.0, "q": -6.0, "x": 6.0, "y": -18.0},  # q = xy, f = q + x, L = f² at (3, −2)
    "backward": _backward,
    "hinge_loss": _hinge,
    "sgd_step": _sgd,
    "linear_backward": lambda x, W, b, g: tuple(cf.linear_columns_backward(x, W, b, g)),
    "stable_softmax": cf.softmax,
    "cross_entropy_backward": lambda s, y: cf.cross_entropy_backward(s, y).dscores,
    "conv2d_backward": lambda x, w, b, g, stride=1, padding=0: tuple(
        cf.conv2d_backward(x, w, b, g, stride=stride, padding=padding)),
    "receptive_field": _field,
    "maxpool_backward": _pool,
    "prelu_backward": lambda x, alpha, g: tuple(cf.prelu_backward(x, alpha, g)),
    "relu_backward": lambda x, g: np.where(x > 0, g, 0.0),
    "batchnorm_sigma_backward": lambda X, g, eps=1e-5: cf.batch_norm_one_sigma_backward(X, g, eps=eps).dX,
    "tanh_backward": lambda z, g: cf.tanh_backward(z, g).dx,
    "batchnorm_backward": lambda x, gamma, beta, g, eps=1e-5: tuple(cf.batch_norm_backward(x, gamma, beta, g,
                                                                                           eps=eps)),
    "dropout_backward": lambda mask, g, p, inverted: mask * g / (1 - p) if inverted else mask * g,
    "toy_backward": _toy,
    "prelu_dalpha": lambda U, dL_dV: cf.pool_lrelu_net_prelu(U, dL_dV).dL_dalpha,
    "logistic_loss": lambda s, y: (cf.logistic_loss(s, y), cf.logistic_loss_backward(s, y).dscores),
}


def test_every_exercise_has_a_right_answer_here():
    assert set(RIGHT) == set(EXERCISES)


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_right_answer_passes(name, capsys, monkeypatch):
    monkeypatch.setenv(STRICT_ENV, "1")
    res = grade(name, RIGHT[name])
    assert res.status == "passed", res.report()
    assert res.problems == [] and len(res.passed) == res.total >= 3
    check(name, RIGHT[name])
    out = capsys.readouterr().out
    assert out.startswith(f"check {name}: ✓ correct on all {res.total} cases")


def test_rule_exercises_include_the_checker_sweep():
    for name in ("linear_backward", "cross_entropy_backward", "conv2d_backward", "maxpool_backward",
                 "prelu_backward", "tanh_backward", "batchnorm_backward", "batchnorm_sigma_backward",
                 "dropout_backward", "logistic_loss"):
        res = grade(name, RIGHT[name])
        assert any(p.startswith("the rule checker's sweep") for p in res.passed), (name, res.passed)


@pytest.mark.parametrize("name", sorted(set(EXERCISES) - {"chain_by_hand"}))
def test_stub_is_not_done_and_never_raises(name, capsys, monkeypatch):
    monkeypatch.setenv(STRICT_ENV, "1")
    assert grade(name, _stub).status == "not done"
    check(name, _stub)
    assert capsys.readouterr().out.startswith(f"check {name}: not done yet.")


def test_chain_by_hand_unfilled_is_not_done(capsys):
    blank = {"f": ..., "q": ..., "x": ..., "y": ...}
    assert grade("chain_by_hand", blank).status == "not done"
    check("chain_by_hand", blank)
    assert "not done yet. Your answer still has ... in it" in capsys.readouterr().out
    partial = grade("chain_by_hand", {"f": -6.0, "q": ..., "x": ..., "y": ...})
    assert partial.status == "failed" and partial.passed == ["∂L/∂f = -6"]
    assert "∂L/∂q: not filled in yet" in partial.report()
    assert "∂L/∂y: missing from your answer (the dict needs the key 'y')" in grade(
        "chain_by_hand", {"f": -6.0, "q": -6.0, "x": 6.0}).report()


# ----------------------------------------------------------------------------------- known wrong answers
def _mistake(rule, name):
    return next(m.fn for m in MISTAKES[rule] if m.name == name)


def _naive_recursion(root):
    root.grad = 1.0

    def go(n):
        for p, local in zip(n._prev, n.local_grads()):
            p.grad += n.grad * local
            go(p)
    go(root)


def _assign(root):
    root.grad = 1.0
    for node in reversed(toposort(root)):
        for parent, local in zip(node._prev, node.local_grads()):
            parent.grad = node.grad * local


def _recursive_topo(root):
    topo, seen = [], set()

    def build(v):
        if v not in seen:
            seen.add(v)
            for c in v._prev:
                build(c)
            topo.append(v)
    build(root)
    root.grad = 1.0
    for node in reversed(topo):
        for parent, local in zip(node._prev, node.local_grads()):
            parent.grad += node.grad * local


def _sgd_no_zero(model, loss, lr):
    loss.backward()
    for p in model.parameters():
        p.data -= lr * p.grad


def _naive_softmax(z):
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)


def _pool_first(x, g, kernel_size, stride, tie):
    return cf.max_pool2d_backward(x, g, kernel_size=kernel_size, stride=stride, tie="first").dx


def _toy_relu(X, dL_dy, w):
    U = cf.max_pool2d(X[None], kernel_size=2, stride=2)[0]
    dV = dL_dy * np.asarray(w, dtype=float).reshape(2, 2)
    dU = np.where(U > 0, dV, 0.0)
    return dV, dU, cf.max_pool2d_backward(X[None], dU[None], kernel_size=2, stride=2, tie="all").dx[0]


def _naive_logistic(s, y):
    with np.errstate(over="ignore"):
        loss = np.mean(np.log(1 + np.exp(s)) - y * s)
    return loss, cf.logistic_loss_backward(s, y).dscores


def _seed_bn(X, g, eps=1e-5, variant="right"):
    """EECS 498 §1.4's layer Y_i = (X_i − μ)/σ, σ = √(Σ_j ||X_j − μ||² + ε) — or a plausible wrong σ or μ —
    differentiated by the engine (an answer written another way than the check's closed form). ``variant``:
    "right", "one_over_n" (√((1/n) Σ ... + ε)), "eps_outside" (√Σ ... + ε), "per_feature" (one σ per column, no
    1/n), "usual" (the usual batch norm's √(var + ε) per column), "sigma_constant" / "mean_constant" (σ / μ
    detached from the graph)."""
    from microgradnet import Tensor, autograd
    xt = Tensor(np.array(X, dtype=float), requires_grad=True)
    mu = xt.mean(axis=0, keepdims=True)
    d = xt - (mu.detach() if variant == "mean_constant" else mu)
    sq = d * d
    sigma = {"right": lambda: (sq.sum() + eps) ** 0.5,
             "sigma_constant": lambda: ((sq.sum() + eps) ** 0.5).detach(),
             "mean_constant": lambda: (sq.sum() + eps) ** 0.5,
             "one_over_n": lambda: (sq.sum() / xt.shape[0] + eps) ** 0.5,
             "eps_outside": lambda: sq.sum() ** 0.5 + eps,
             "per_feature": lambda: (sq.sum(axis=0, keepdims=True) + eps) ** 0.5,
             "usual": lambda: (sq.mean(axis=0, keepdims=True) + eps) ** 0.5}[variant]()
    (dX,) = autograd.grad(d / sigma, [xt], grad_outputs=np.asarray(g, dtype=float))
    return np.asarray(dX)


WRONG = [
    # (exercise, wrong answer, words the report must contain)
    ("central_difference", lambda f, x, h: (f(x + h) - f(x)) / h, "FORWARD difference"),
    ("central_difference", lambda f, x, h: (f(x + h) - f(x - h)) / 2 * h, "Python reads /2*h as (…/2)·h"),
    ("central_difference", lambda f, x, h: (f(x + h) - f(x - h)) / h, "divide by 2h"),
    ("chain_by_hand", {"f": -6.0, "q": -6.0, "x": 12.0, "y": -18.0}, "add the two paths"),
    ("chain_by_hand", {"f": -3.0, "q": -6.0, "x": 6.0, "y": -18.0}, "the factor 2 is missing"),
    ("backward", _assign, "instead of adding to it"),
    ("backward", _naive_recursion, "as soon as it gets one"),
    ("backward", _recursive_topo, "recursion limit"),
    ("hinge_loss", lambda s, y: sum((1 - yi * si).relu() for si, yi in zip(s, y)), "SUM of the hinge terms"),
    ("sgd_step", _sgd_no_zero, "model.zero_grad()"),
    ("sgd_step", lambda m, L, lr: (m.zero_grad(), L.backward(),
                                   [setattr(p, "data", p.data + lr * p.grad) for p in m.parameters()]),
     "moved UP the gradient"),
    ("linear_backward", lambda x, W, b, g: tuple(_mistake("linear", "dW_transposed")(x, W, b, g)),
     "∂L/∂W transposed"),
    ("linear_backward", lambda x, W, b, g: (W @ g if W.shape[0] == W.shape[1] else W.T @ g, np.outer(g, x), g),
     "it must be Wᵀ·∂L/∂y"),
    ("stable_softmax", _naive_softmax, "subtract max(z) first"),
    ("cross_entropy_backward", lambda s, y: _mistake("cross_entropy", "forgot_minus_one")(s, y).dscores,
     "p_gt − 1"),
    ("cross_entropy_backward", lambda s, y: _mistake("cross_entropy", "missing_1_over_N")(s, y).dscores,
     "factor 1/N"),
    ("conv2d_backward", lambda x, w, b, g, stride=1, padding=0: tuple(
        _mistake("conv2d", "stride_ignored")(x, w, b, g, stride=stride, padding=padding)), "ignores the stride"),
    ("conv2d_backward", lambda x, w, b, g, stride=1, padding=0: tuple(
        _mistake("conv2d", "dw_flipped")(x, w, b, g, stride=stride, padding=padding)), "rotated by 180°"),
    ("receptive_field", lambda i, j, kernel_size, stride, padding, height, width: {
        (r, c) for r in range(i * stride - padding, i * stride - padding + kernel_size)
        for c in range(j * stride - padding, j * stride - padding + kernel_size)}, "zero padding"),
    ("maxpool_backward", _pool_first, "one position only"),
    ("prelu_backward", lambda x, a, g: tuple(_mistake("prelu", "dalpha_all_inputs")(x, a, g)), "ALL"),
    ("tanh_backward", lambda z, g: g * (1 - z * z), "1 − z²"),
    ("relu_backward", lambda x, g: np.where(x >= 0, g, 0.0), "relu'(0) = 1"),
    ("relu_backward", lambda x, g: np.where(g > 0, g, 0.0), "must come from the INPUT"),
    ("prelu_backward", lambda x, a, g: (np.where(x >= 0, g, a * g), float(np.sum(np.where(x < 0, g * x, 0.0)))),
     "the other convention (kink='positive')"),
    ("batchnorm_sigma_backward", lambda X, g, eps=1e-5: _seed_bn(X, g, eps, "eps_outside"),
     "ε belongs under the square root"),
    ("batchnorm_sigma_backward", lambda X, g, eps=1e-5: _seed_bn(X, g, eps, "one_over_n"), "WITHOUT 1/n"),
    ("batchnorm_sigma_backward", lambda X, g, eps=1e-5: _seed_bn(X, g, eps, "sigma_constant"),
     "treats σ as a constant"),
    ("batchnorm_sigma_backward", lambda X, g, eps=1e-5: _seed_bn(X, g, eps, "mean_constant"),
     "treats μ as a constant"),
    ("batchnorm_sigma_backward", lambda X, g, eps=1e-5: _seed_bn(X, g, eps, "per_feature"),
     "You used one σ per feature"),
    ("batchnorm_sigma_backward", lambda X, g, eps=1e-5: _seed_bn(X, g, eps, "usual"),
     "This is the usual batch norm"),
    ("batchnorm_backward", lambda x, ga, be, g, eps=1e-5: tuple(
        _mistake("batch_norm", "stats_treated_as_constants")(x, ga, be, g, eps=eps)), "constant"),
    ("dropout_backward", lambda mask, g, p, inverted: mask * g, "1/(1 − p)"),
    ("toy_backward", _toy_relu, "that is ReLU"),
    ("prelu_dalpha", lambda U, g: float(np.sum(U * g)), "over ALL entries"),
    ("logistic_loss", _naive_logistic, "overflow"),
]


@pytest.mark.parametrize("name,answer,words", WRONG, ids=[f"{w[0]}-{k}" for k, w in enumerate(WRONG)])
def test_known_wrong_answer_gets_its_diagnosis(name, answer, words, capsys, monkeypatch):
    res = grade(name, answer)
    assert res.status == "failed"
    report = res.report()
    assert report.startswith(f"check {name}: ✗ not right yet")
    assert words in report, report
    monkeypatch.setenv(STRICT_ENV, "1")
    with pytest.raises(CheckFailed) as err:
        check(name, answer)
    assert err.value.result.status == "failed" and words in str(err.value)
    monkeypatch.delenv(STRICT_ENV)
    check(name, answer)  # not strict: prints, does not raise
    assert words in capsys.readouterr().out


def _seed_bn_loss(X, g, eps):
    """L = Σ G ⊙ Y for EECS 498 §1.4's layer, in plain numpy (for central differences)."""
    d = X - X.mean(axis=0)
    return float(np.sum(g * d / np.sqrt(np.sum(d * d) + eps)))


def test_bn_sigma_cases_are_the_seeds_layer_by_autodiff_and_central_differences():
    from microgradnet.exercises import _bn_sigma_cases
    cases = _bn_sigma_cases()
    shapes = [c.args[0].shape for c in cases]
    assert (2, 3) in shapes and any(s[1] == 1 for s in shapes) and any(s[1] > 2 * s[0] for s in shapes)
    for case in cases:
        (X, g), eps, (expected,) = case.args, case.kwargs["eps"], case.expected
        assert np.allclose(expected, _seed_bn(X, g, eps), rtol=1e-10, atol=1e-12), case.label
        h, numeric = 1e-6, np.zeros_like(X)
        for idx in np.ndindex(X.shape):
            up, down = X.copy(), X.copy()
            up[idx] += h
            down[idx] -= h
            numeric[idx] = (_seed_bn_loss(up, g, eps) - _seed_bn_loss(down, g, eps)) / (2 * h)
        assert np.allclose(expected, numeric, rtol=1e-6, atol=1e-8), case.label
        # the handout's σ is ONE number and has no 1/n: not the usual batch norm's per-feature √(var + ε)
        if X.shape[1] > 1:
            assert not np.allclose(expected, _seed_bn(X, g, eps, "usual"), rtol=1e-4), case.label


def test_bn_sigma_worked_example_by_hand():
    # μ = (3, 2), X − μ = [[−2, 0], [0, −2], [2, 2]], Σ‖Xⱼ − μ‖² = 16, σ = 4 (ε = 0), Ḡ = (2/3, 0),
    # Σ⟨Gⱼ, Xⱼ − μ⟩ = −2 − 2 + 0 = −4, so ∂L/∂X = (G − Ḡ)/4 + (X − μ)/16
    from microgradnet.exercises import BN_SIGMA_EXAMPLE, _bn_sigma_cases
    by_hand = np.array([[-1 / 24, 0.0], [-1 / 6, 1 / 8], [5 / 24, -1 / 8]])
    first = _bn_sigma_cases()[0]
    assert np.array_equal(first.args[0], np.array(BN_SIGMA_EXAMPLE["X"])) and first.kwargs["eps"] == 0.0
    assert np.allclose(first.expected[0], by_hand, rtol=0, atol=1e-15)


def test_the_checker_sweep_catches_what_the_own_cases_miss():
    # right on every case of the exercise (one example, x a vector) but written with np.outer, which is wrong for a
    # batch of columns x (L, N): the rule checker's sweep has such batches, and its report says what is wrong
    def linear_vector_only(x, W, b, g):
        return W.T @ g, np.outer(g, x), g

    assert all(np.ndim(c.args[0]) == 1 for c in __import__("microgradnet.exercises").exercises._linear_cases())
    res = grade("linear_backward", linear_vector_only)
    assert res.status == "failed"
    text = res.report()
    assert len(res.passed) == res.total - 1
    assert "the rule checker's sweep for 'linear'" in text and "linear: FAIL" in text
    assert "returned dW of shape (6, 6); expected (3, 3) (the shape of W)" in text


def test_plain_words_for_crashes_shapes_and_nan():
    res = grade("conv2d_backward", lambda x, w, b, g, stride=1, padding=0: 1 / 0)
    assert res.status == "failed" and "your function raised ZeroDivisionError: division by zero" in res.report()
    res = grade("linear_backward", lambda x, W, b, g: (x, W))
    assert "should return 3 results (∂L/∂x, ∂L/∂W, ∂L/∂b, in that order)" in res.report()
    res = grade("tanh_backward", lambda z, g: g[..., :1] * 0 + 1)
    assert res.status == "failed"
    res = grade("stable_softmax", lambda z: np.full(z.shape, np.nan))
    assert "contains NaN" in res.report()
    res = grade("tanh_backward", lambda z, g: (g * (1 - np.tanh(z) ** 2)).T)
    assert "it should have shape (2, 3, 3)" in res.report()


def test_numbers_in_reports_are_the_right_ones():
    # ∂L/∂x of the hand exercise: 6 (= −6·(−2) + (−6)·1); the report quotes it back when the answer is wrong
    res = grade("chain_by_hand", {"f": -6.0, "q": -6.0, "x": 7.0, "y": -18.0})
    assert "∂L/∂x: you have 7, that is not it." in res.report()
    assert res.passed == ["∂L/∂f = -6", "∂L/∂q = -6", "∂L/∂y = -18"]


def test_unknown_exercise_names_the_close_one():
    with pytest.raises(ValueError, match="did you mean 'conv2d_backward'"):
        grade("conv2d_backwards", _stub)


@pytest.mark.parametrize("name", ["relu_backward", "prelu_backward"])
def test_kink_option_selects_the_convention_at_zero(name, monkeypatch):
    monkeypatch.setenv(STRICT_ENV, "1")
    if name == "relu_backward":
        negative, positive = RIGHT[name], (lambda x, g: np.where(x >= 0, g, 0.0))
    else:
        negative = RIGHT[name]

        def positive(x, a, g):
            return np.where(x >= 0, g, a * g), float(np.sum(np.where(x < 0, g * x, 0.0)))
    assert grade(name, positive, kink="positive").status == "passed"
    assert grade(name, negative, kink="negative").status == "passed"
    res = grade(name, negative, kink="positive")
    assert res.status == "failed" and "inputs exactly 0" in res.report()
    with pytest.raises(ValueError, match="kink must be one of"):
        grade(name, negative, kink="seed")
    with pytest.raises(TypeError, match="unknown option"):
        grade("tanh_backward", RIGHT["tanh_backward"], kink="positive")
