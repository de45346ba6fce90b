"""Every catalogued mistake has the correct rule's signature and demonstrably differs from it on a case
(the rule's example, or a case built to expose it: ties, a zero input, a square W…)."""

import inspect

import numpy as np
import pytest

import microgradnet.closed_form as cf
from microgradnet.closed_form.mistakes import MISTAKES, NotApplicable

TIES = np.array([[1.0, 4.0, 4.0, 0.0],
                 [4.0, 0.0, 2.0, 3.0],
                 [0.0, 1.0, 4.0, 4.0],
                 [2.0, 2.0, 1.0, 0.0]])[None, None]

# (rule, mistake) → (inputs, params) where the mistake shows; otherwise the rule's own example is used.
CASES = {
    ("linear", "dx_W_not_transposed"): ((np.arange(6.0).reshape(3, 2), np.arange(9.0).reshape(3, 3) ** 1.5,
                                         np.ones(3)), {}),
    ("linear_no_bias", "A_not_transposed"): (
        (np.array([[1.0], [2.0], [-1.0]]), np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 3.0], [4.0, 0.0, 1.0]])),
        {}),
    ("max_pool2d", "ties_to_one"): ((TIES,), dict(kernel_size=2, stride=1, tie="all")),
    ("max_pool2d", "ties_to_all"): ((TIES,), dict(kernel_size=2, stride=1, tie="first")),
    ("relu", "one_at_zero"): ((np.array([-1.0, 0.0, 2.0]),), {}),
    ("dropout", "mask_not_applied"): ((np.ones((2, 2)), np.array([[1.0, 0.0], [0.0, 1.0]])), dict(p=0.5)),
    ("hinge_loss", "label_ignored"): ((np.zeros(4), np.array([1.0, -1.0, -1.0, 1.0])), {}),
    ("multi_margin_loss", "correct_class_not_updated"): ((np.zeros((2, 3)), np.array([0, 2])), {}),
}


def _all_mistakes():
    return [(rule, m.name) for rule, ms in MISTAKES.items() for m in ms]


def _get(rule, name):
    return next(m for m in MISTAKES[rule] if m.name == name)


def _differs(a, b) -> bool:
    for x, y in zip(a, b):
        if x is None or y is None:
            if (x is None) != (y is None):
                return True
            continue
        if np.shape(x) != np.shape(y) or not np.allclose(x, y, rtol=1e-9, atol=1e-12):
            return True
    return False


def _params(sig):
    return [(p.name, p.kind, p.default) for p in sig.parameters.values()]


def test_registry_shape():
    assert set(MISTAKES) <= set(cf.CLOSED_FORMS)
    for rule in ("conv2d", "true_conv_same", "linear", "max_pool2d", "cross_entropy", "mse_loss"):
        assert MISTAKES[rule], rule
    for rule, ms in MISTAKES.items():
        names = [m.name for m in ms]
        assert len(names) == len(set(names)), rule
        for _name, description, fn in ms:  # unpacks as a (name, description, fn) triple
            assert description and "\n" not in description and len(description) < 110
            assert callable(fn)


@pytest.mark.parametrize("rule,name", _all_mistakes())
def test_mistake_has_the_rule_signature(rule, name):
    fn = _get(rule, name).fn
    assert _params(inspect.signature(fn)) == _params(inspect.signature(cf.CLOSED_FORMS[rule].backward))


@pytest.mark.parametrize("rule,name", _all_mistakes())
def test_mistake_differs_from_the_correct_rule(rule, name):
    rec = cf.CLOSED_FORMS[rule]
    rng = np.random.default_rng(0)
    inputs, params = CASES.get((rule, name)) or rec.example(rng)
    out = rec.forward(*inputs, **params)
    g = 1.3 if rec.loss else np.random.default_rng(1).standard_normal(np.shape(out))
    right = rec.backward(*inputs, g, **params)
    wrong = _get(rule, name).fn(*inputs, g, **params)
    assert type(wrong) is type(right)
    assert _differs(wrong, right), f"{rule}/{name} coincides with the correct rule on its test case"


def test_not_applicable_for_non_square_weights():
    x, W, b = np.ones((4, 2)), np.ones((3, 4)), np.ones(3)
    with pytest.raises(NotApplicable, match="needs a square W"):
        _get("linear", "dx_W_not_transposed").fn(x, W, b, np.ones((3, 2)))
    assert issubclass(NotApplicable, ValueError)


def test_stride_mistakes_are_invisible_at_stride_one():
    """They are stride mistakes, not something else: with stride 1 they give the right answer."""
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal((1, 2, 5, 5)), rng.standard_normal((2, 2, 2, 2)), rng.standard_normal(2)
    g = rng.standard_normal((1, 2, 4, 4))
    assert not _differs(_get("conv2d", "stride_ignored").fn(x, w, b, g), cf.conv2d_backward(x, w, b, g))
    gp = rng.standard_normal((1, 2, 4, 4))
    assert not _differs(_get("max_pool2d", "stride_ignored").fn(x, gp, kernel_size=2, stride=1),
                        cf.max_pool2d_backward(x, gp, kernel_size=2, stride=1))


def test_flip_mistakes_describe_a_flip():
    """The CS 4670 'kernel not flipped' answer is the flipped-kernel answer of the 180°-rotated kernel."""
    rng = np.random.default_rng(4)
    x, w, g = rng.standard_normal((5, 5)), rng.standard_normal((3, 3)), rng.standard_normal((5, 5))
    wrong = _get("true_conv_same", "kernel_not_flipped").fn(x, w, g)
    np.testing.assert_allclose(wrong.dx, cf.true_conv_same_backward(x, w[::-1, ::-1], g).dx)
