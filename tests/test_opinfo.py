"""The op catalogue (microgradnet.opinfo), checked without PyTorch: every float64 sample's gradient against
central differences, every edge point against its hand-worked value (at Tensor level, and at Value level where the
op has a Value form, so the two agree at every domain edge), every misuse raises the builtin class PyTorch raises,
float32 stays float32, and docs/ops.md is the table the catalogue generates."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pytest

import microgradnet as mg
from microgradnet.opinfo import CATALOGUE
from microgradnet.opinfo.core import Arr, arrays, central_differences, microgradnet_lib, run_case
from microgradnet.opinfo.docs import render

L = microgradnet_lib()
OPS = {op.name: op for op in CATALOGUE}


def _ids(kind):
    return [(op.name, i) for op in CATALOGUE for i, _ in enumerate(getattr(op, kind))]


def test_catalogue_names_are_unique():
    assert len(OPS) == len(CATALOGUE)


@pytest.mark.parametrize("name", [op.name for op in CATALOGUE if op.grad])
def test_gradient_matches_central_differences(name):
    """Each float64 sample: the gradient of Σ w ⊙ out (fixed weights) against central differences."""
    op = OPS[name]
    for i, s in enumerate(op.samples):
        if not any(isinstance(x, Arr) and x.differentiable("float64") for x in s.inputs):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            run = run_case(L, op, "sample", i, s, "float64")
            assert run.error is None, f"{name} sample {i} ({s.note}): {type(run.error).__name__}: {run.error}"
            if not run.grads or not s.fd:
                continue
            want = central_differences(L, op, "sample", i, s)
        for k, (g, n) in enumerate(zip(run.grads, want)):
            g = np.zeros_like(n) if g is None else g
            np.testing.assert_allclose(g, n, rtol=1e-5, atol=1e-6, err_msg=f"{name} sample {i} input {k} ({s.note})")


@pytest.mark.parametrize("name", [op.name for op in CATALOGUE if "float32" in op.dtypes])
def test_float32_stays_float32(name):
    """Python numbers never promote: a float32 case gives float32 outputs (and float32 gradients)."""
    op = OPS[name]
    for i, s in enumerate(op.samples):
        run = run_case(L, op, "sample", i, s, "float32")
        assert run.error is None, f"{name} sample {i}: {run.error}"
        for o in run.outs:
            if isinstance(o, np.ndarray) and o.dtype.kind == "f":
                assert o.dtype == np.float32, (name, i, o.dtype)
        for g in run.grads:
            assert g is None or g.dtype == np.float32, (name, i)


def _same(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True) and np.array_equal(
        np.signbit(a[np.isinf(a)]), np.signbit(b[np.isinf(b)]))


@pytest.mark.parametrize("name, i", _ids("edges"))
def test_edge_point_has_its_hand_worked_value(name, i):
    op = OPS[name]
    s = op.edges[i]
    with np.errstate(all="ignore"):
        run = run_case(L, op, "edge", i, s, "float64")
    assert run.error is None, f"{name} edge {i}: {type(run.error).__name__}: {run.error}"
    want = s.out if isinstance(s.out, tuple) else (s.out,)
    if s.out is not None:
        assert len(run.outs) == len(want), (name, i)
        for got, w in zip(run.outs, want):
            assert _same(got, w), f"{name} edge {i}: output {got}, expected {w}"
    if s.grads is not None:
        for got, w in zip(run.grads, s.grads):
            assert _same(got, w), f"{name} edge {i}: gradient {got}, expected {w}"


@pytest.mark.parametrize("name, i", [(n, i) for n, i in _ids("edges") if OPS[n].value is not None])
def test_value_and_tensor_agree_at_the_edge(name, i):
    """The same edge point through Value (micrograd's front): the same outputs and gradients as the Tensor op
    (each run differentiates the sum of its outputs)."""
    op = OPS[name]
    s = op.edges[i]
    xs = arrays(op, "edge", i, s, "float64")
    if any(isinstance(x, np.ndarray) and x.size != 1 for x in xs):
        pytest.skip("not a scalar edge point")
    vals = [mg.Value(float(x)) if isinstance(x, np.ndarray) else x for x in xs]
    ts = [mg.tensor(x, requires_grad=True) if isinstance(x, np.ndarray) else x for x in xs]
    with np.errstate(all="ignore"):
        v_out, t_out = op.value(*vals), op.call(L, *ts)
    v_outs = v_out if isinstance(v_out, tuple) else (v_out,)
    t_outs = (t_out if isinstance(t_out, tuple) else (t_out,))[: len(v_outs)]
    sum(v_outs[1:], v_outs[0]).backward()
    with np.errstate(all="ignore"):
        sum((o.sum() for o in t_outs[1:]), t_outs[0].sum()).backward()
    for v, t in zip(v_outs, t_outs):
        assert _same(v.data, t.data.ravel()[0]), f"{name} edge {i}: Value {v.data}, Tensor {t.data}"
    for v, t in zip(vals, ts):
        if isinstance(v, mg.Value):
            assert _same(v.grad, t.grad.ravel()[0]), f"{name} edge {i}: Value gradient {v.grad}, Tensor {t.grad}"


@pytest.mark.parametrize("name, i", _ids("errors"))
def test_misuse_raises_the_builtin_class_pytorch_raises(name, i):
    op = OPS[name]
    s = op.errors[i]
    run = run_case(L, op, "error", i, s, "float64")
    assert run.error is not None, f"{name} error case {i} was accepted"
    assert isinstance(run.error, s.raises), f"{name}: {type(run.error).__name__} is not a {s.raises.__name__}"
    assert str(run.error), name  # a message, naming the op
    assert isinstance(run.error, (ValueError, TypeError)), "microgradnet's bad-input classes stay catchable"


def test_detect_anomaly_names_the_op_at_a_domain_edge():
    with mg.detect_anomaly(), pytest.raises(mg.AnomalyError, match="'powv'|'pow'"):
        mg.tensor([-1.0], requires_grad=True) ** 0.5
    with mg.detect_anomaly(), pytest.raises(mg.AnomalyError, match="'div'"):
        mg.Value(1.0) / 0.0
    x = mg.tensor([2.0], requires_grad=True)
    with mg.detect_anomaly(), pytest.raises(mg.AnomalyError, match="'div'"):
        x.var()  # one element, correction 1: 0/0


def test_supported_ops_doc_is_up_to_date():
    path = Path(__file__).resolve().parents[1] / "docs" / "ops.md"
    assert path.read_text(encoding="utf-8") == render(), \
        "docs/ops.md is stale: run `python -m microgradnet.opinfo.docs` to regenerate it"


def test_value_edges_match_pytorch_conventions_by_hand():
    """The three Value fixes of issue 13/15 worked by hand: x**0 at 0, x/0, log(0)."""
    x = mg.Value(0.0)
    (x ** 0).backward()
    assert x.grad == 0.0
    a, b = mg.Value(1.0), mg.Value(0.0)
    c = a / b
    c.backward()
    assert (c.data, a.grad, b.grad) == (math.inf, math.inf, -math.inf)
    z = mg.Value(0.0)
    y = z.log()
    y.backward()
    assert (y.data, z.grad) == (-math.inf, math.inf)


# every elementwise rule at its domain edges, through both fronts (issue 13: Value and Tensor agree)
EDGE_POINTS = (0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, 1000.0, -1000.0, math.inf, -math.inf)
BINARY_POINTS = (0.0, 1.0, -1.0, 2.0, 0.5, -0.5)
ATTRS = {"pow": [(p,) for p in (0, 1, 2, 3, 0.5, -0.5, -1, -2, 1 / 3)], "leaky_relu": [(0.1,)],
         "clip": [(0.0, 1.0), (None, 0.5), (-0.5, None)]}


def _value_front(name, xs, attrs):
    from microgradnet.value import apply as value_apply
    vs = [mg.Value(x) for x in xs]
    out = value_apply(name, tuple(vs), attrs)
    out.backward()
    return out.data, [v.grad for v in vs]


def _tensor_front(name, xs, attrs):
    from microgradnet.tensor import apply
    ts = [mg.tensor(np.array(x), requires_grad=True) for x in xs]
    out = apply(name, tuple(ts), attrs)
    out.backward(np.ones(()))
    return float(out.data), [float(t.grad) for t in ts]


@pytest.mark.parametrize("name", sorted(n for n, r in mg.RULES.items() if r.kind == "elementwise"
                                        and n != "where"))
def test_value_and_tensor_agree_at_every_domain_edge_of_every_rule(name):
    r = mg.RULES[name]
    points = [(a,) for a in EDGE_POINTS] if r.arity == 1 else [(a, b) for a in BINARY_POINTS for b in BINARY_POINTS]
    for attrs in ATTRS.get(name, [()]):
        for xs in points:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                v_out, v_grads = _value_front(name, xs, attrs)
                t_out, t_grads = _tensor_front(name, xs, attrs)
            assert _same(v_out, t_out), f"{name}{xs} {attrs}: Value {v_out}, Tensor {t_out}"
            for i, (gv, gt) in enumerate(zip(v_grads, t_grads)):
                assert _same(gv, gt), f"{name}{xs} {attrs}: ∂/∂input{i} Value {gv}, Tensor {gt}"


def test_prod_at_scalar_level_matches_tensor_level():
    x = mg.tensor([[2.0, 0.0, 3.0], [1.5, -2.0, 0.5]], requires_grad=True)
    x.prod(1).sum().backward()
    want = x.grad.copy()
    x.grad = None
    with mg.scalar_level():
        out = x.prod(1).sum()
    out.backward()
    np.testing.assert_array_equal(x.grad, want)
    np.testing.assert_array_equal(want, [[0.0, 6.0, 0.0], [-1.0, 0.75, -3.0]])  # products of the others
