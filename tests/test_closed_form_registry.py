"""Every record of CLOSED_FORMS: backward == central differences of its forward; alternatives agree;
the calling convention holds; the package never imports the autodiff engine."""

import ast
import pathlib

import numpy as np
import pytest

import microgradnet.closed_form as cf
from microgradnet.closed_form._fd import numeric_grads

REQUIRED = ["linear", "conv2d", "max_pool2d", "avg_pool2d", "relu", "leaky_relu", "prelu", "tanh", "sigmoid",
            "dropout", "batch_norm", "batch_norm_one_sigma", "softmax", "cross_entropy", "nll", "logistic_loss",
            "hinge_loss", "multi_margin_loss", "mse_loss", "weight_decay"]


def _upstream(rec, out, rng):
    return 1.7 if rec.loss else rng.standard_normal(np.shape(out))


def test_required_rules_present():
    assert set(REQUIRED) <= set(cf.CLOSED_FORMS)
    for name, rec in cf.CLOSED_FORMS.items():
        assert rec.name == name
        assert rec.seed and rec.formula and "\n" not in rec.formula
        assert all(0 <= k < len(rec.inputs) for k in rec.wrt)


@pytest.mark.parametrize("name", sorted(cf.CLOSED_FORMS))
@pytest.mark.parametrize("seed", [0, 1])
def test_backward_matches_central_differences(name, seed):
    rec = cf.CLOSED_FORMS[name]
    rng = np.random.default_rng(seed)
    inputs, params = rec.example(rng)
    out = rec.forward(*inputs, **params)
    if rec.loss:
        assert isinstance(out, float)
    else:
        assert out.dtype == np.float64
    g = _upstream(rec, out, rng)
    grads = rec.backward(*inputs, g, **params)
    assert len(grads) == len(rec.wrt)
    numeric = numeric_grads(rec.forward, inputs, rec.wrt, g, params)
    for k, (got, want) in enumerate(zip(grads, numeric)):
        assert np.shape(got) == np.shape(inputs[rec.wrt[k]])
        assert np.asarray(got).dtype == np.float64
        msg = f"{name} d{rec.inputs[rec.wrt[k]]}"
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7, err_msg=msg)


@pytest.mark.parametrize("name", [n for n, r in cf.CLOSED_FORMS.items() if r.alternatives])
def test_alternative_implementations_agree(name):
    rec = cf.CLOSED_FORMS[name]
    rng = np.random.default_rng(3)
    inputs, params = rec.example(rng)
    g = _upstream(rec, rec.forward(*inputs, **params), rng)
    ref = rec.backward(*inputs, g, **params)
    for alt in rec.alternatives:
        got = alt(*inputs, g, **params)
        assert type(got) is type(ref)
        for a, b in zip(got, ref):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_closed_form_never_imports_the_engine():
    pkg = pathlib.Path(cf.__file__).parent
    for path in pkg.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                # only relative imports inside closed_form (level 1), or stdlib / numpy
                assert node.level in (0, 1), f"{path.name}: import from outside closed_form"
                if node.level == 0:
                    assert node.module.split(".")[0] in {"__future__", "collections", "dataclasses", "typing",
                                                         "numpy"}, f"{path.name} imports {node.module}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    assert alias.name.split(".")[0] in {"numpy"}, f"{path.name} imports {alias.name}"


def test_public_names_are_reexported():
    for mod in (cf.dense, cf.conv, cf.conv_loops, cf.conv_flip, cf.conv_fullfilt, cf.pool, cf.activations,
                cf.dropout_layer, cf.norm, cf.softmax_ce, cf.losses, cf.pool_lrelu_network, cf.mistakes, cf.registry):
        for name in mod.__all__:
            assert getattr(cf, name) is getattr(mod, name)
            assert name in cf.__all__
