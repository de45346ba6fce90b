"""Every rule in the table, checked by central differences on Value and on Tensor (over broadcast shapes)."""

import numpy as np
import pytest
from numgrad import numeric_grad

import microgradnet as mg
from microgradnet import RULES, Tensor, Value
from microgradnet.mathns import ARRAY, SCALAR
from microgradnet.tensor import elementwise

# One catalogue of elementwise cases: rule -> (function on Values/Tensors, input sampler avoiding kinks/poles)
POS = (0.3, 2.0)
ANY = (-2.0, 2.0)
CATALOGUE = {
    "add": (lambda a, b: a + b, [ANY, ANY]),
    "sub": (lambda a, b: a - b, [ANY, ANY]),
    "mul": (lambda a, b: a * b, [ANY, ANY]),
    "div": (lambda a, b: a / b, [ANY, POS]),
    "neg": (lambda a: -a, [ANY]),
    "pow": (lambda a: a ** 3, [ANY]),
    "powv": (lambda a, b: a ** b, [POS, ANY]),
    "exp": (lambda a: a.exp(), [ANY]),
    "log": (lambda a: a.log(), [POS]),
    "log1p": (lambda a: a.log1p(), [POS]),
    "tanh": (lambda a: a.tanh(), [ANY]),
    "sigmoid": (lambda a: a.sigmoid(), [ANY]),
    "relu": (lambda a: a.relu(), [ANY]),
    "leaky_relu": (lambda a: a.leaky_relu(0.1), [ANY]),
    "abs": (lambda a: a.abs(), [ANY]),
    "maximum": (lambda a, b: a.max(b) if isinstance(a, Value) else mg.maximum(a, b), [ANY, ANY]),
    "minimum": (lambda a, b: a.min(b) if isinstance(a, Value) else mg.minimum(a, b), [ANY, ANY]),
    "clip": (lambda a: a.clip(-0.5, 0.7), [ANY]),
    "sin": (lambda a: _fn("sin", a), [ANY]),
    "cos": (lambda a: _fn("cos", a), [ANY]),
    "tan": (lambda a: _fn("tan", a), [(-1.2, 1.2)]),
    "asin": (lambda a: _fn("asin", a), [(-0.9, 0.9)]),
    "acos": (lambda a: _fn("acos", a), [(-0.9, 0.9)]),
    "atan": (lambda a: _fn("atan", a), [ANY]),
    "sinh": (lambda a: _fn("sinh", a), [ANY]),
    "cosh": (lambda a: _fn("cosh", a), [ANY]),
    "expm1": (lambda a: _fn("expm1", a), [ANY]),
    "erf": (lambda a: _fn("erf", a), [ANY]),
    # piecewise constant: derivative 0 away from the jumps (samples avoid integers and halves by > 1e-3)
    "floor": (lambda a: _fn("floor", a), [ANY]),
    "ceil": (lambda a: _fn("ceil", a), [ANY]),
    "round": (lambda a: _fn("round", a), [ANY]),
    "trunc": (lambda a: _fn("trunc", a), [ANY]),
    "sign": (lambda a: _fn("sign", a), [ANY]),
}


def _fn(name, a):
    """A rule that Value has no method for, applied through the same front as its Tensor form."""
    if isinstance(a, Value):
        from microgradnet.value import apply
        return apply(name, (a,))
    return getattr(a, name)()


def _sample(rng, lohi, shape):
    lo, hi = lohi
    x = rng.uniform(lo, hi, size=shape)
    # keep away from kinks (0, ±0.5, 0.7) by more than the finite-difference step
    bad = np.isclose(x, 0, atol=1e-3) | np.isclose(np.abs(x), 0.5, atol=1e-3) | np.isclose(x, 0.7, atol=1e-3)
    return np.where(bad, x + 0.01, x)


def test_catalogue_covers_every_elementwise_rule():
    ew = {n for n, r in RULES.items() if r.kind == "elementwise"} - {"prelu", "where"}
    assert ew == set(CATALOGUE), ew ^ set(CATALOGUE)


def test_every_rule_is_documented():
    for r in RULES.values():
        assert r.formula and r.symbol, r.name
        if r.kind == "elementwise":
            assert len(r.local_formulas) == r.arity == len(r.derivs), r.name


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_rule_on_value(name, rng):
    f, samplers = CATALOGUE[name]
    for _ in range(5):
        xs = [float(_sample(rng, s, ())) for s in samplers]
        vs = [Value(x) for x in xs]
        out = f(*vs)
        assert out._op == name
        out.backward()
        for i, v in enumerate(vs):
            def g(z, i=i, xs=xs):
                args = [Value(x) for x in xs]
                args[i] = Value(float(z))
                return f(*args).data
            assert v.grad == pytest.approx(float(numeric_grad(g, np.array(xs[i]))), rel=1e-6, abs=1e-8)


SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 4)), ((4, 1, 3), (2, 1)), ((), (2, 2)), ((2, 3), ())]


@pytest.mark.parametrize("name", sorted(CATALOGUE))
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_rule_on_tensor_with_broadcasting(name, shapes, rng):
    f, samplers = CATALOGUE[name]
    shapes = shapes[: len(samplers)]
    ts = [Tensor(_sample(rng, s, sh), requires_grad=True) for s, sh in zip(samplers, shapes)]
    report = mg.gradcheck(f, *ts)
    assert report.passed, str(report)
    for t in ts:
        assert t.grad is None  # gradcheck leaves .grad alone
    # and the analytic gradient against a numpy-only numeric gradient of the same function
    w = rng.standard_normal(np.broadcast_shapes(*shapes))
    out = f(*ts)
    (out * w).sum().backward()
    for i, t in enumerate(ts):
        def g(z, i=i):
            args = [Tensor(x.data) for x in ts]
            args[i] = Tensor(z)
            return float((f(*args).data * w).sum())
        np.testing.assert_allclose(t.grad, numeric_grad(g, t.data), rtol=1e-6, atol=1e-8)


def test_same_rule_entry_serves_float_and_array():
    for name, r in RULES.items():
        if r.kind != "elementwise" or name in ("where", "clip", "pow", "leaky_relu"):
            continue
        xs = [0.7, 1.3][: r.arity]
        s = r.forward(SCALAR, *xs)
        a = r.forward(ARRAY, *[np.array([x]) for x in xs])
        assert float(a[0]) == pytest.approx(s), name
        for i in range(r.arity):
            ls = r.local(i, SCALAR, s, *xs)
            la = r.local(i, ARRAY, a, *[np.array([x]) for x in xs])
            assert float(np.asarray(la).ravel()[0]) == pytest.approx(float(ls)), (name, i)


def test_prelu_and_where_rules(rng):
    a = Tensor(rng.standard_normal((3, 4)) + 0.05, requires_grad=True)
    alpha = Tensor(rng.uniform(0.1, 0.3, (3, 4)), requires_grad=True)
    assert mg.gradcheck(lambda a, al: elementwise("prelu", a, al), a, alpha).passed
    cond = rng.random((3, 4)) > 0.5
    b = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    out = mg.where(cond, a, b)
    out.backward(np.ones((3, 4)))
    np.testing.assert_array_equal(a.grad, cond.astype(float))
    np.testing.assert_array_equal(b.grad, (~cond).astype(float))


STRUCTURAL = {
    "sum_axis": (lambda x: x.sum(1), (3, 4)),
    "sum_keep": (lambda x: x.sum((0, 2), keepdim=True) * 2.0, (2, 3, 4)),
    "mean": (lambda x: x.mean(0), (3, 4)),
    "var": (lambda x: x.var(1), (3, 5)),
    "amax": (lambda x: x.amax(1), (3, 4)),
    "amin_all": (lambda x: x.amin(), (3, 4)),
    "reshape": (lambda x: x.reshape(4, 3) * Tensor(np.arange(12.0).reshape(4, 3)), (3, 4)),
    "transpose": (lambda x: x.permute(2, 0, 1) * Tensor(np.arange(24.0).reshape(4, 2, 3)), (2, 3, 4)),
    "getitem_basic": (lambda x: x[1:, ::2] * 3.0, (3, 4)),
    "getitem_int_array": (lambda x: x[[0, 2, 0], [1, 1, 1]], (3, 4)),
    "getitem_bool": (lambda x: x[x.data > 0], (3, 4)),
    "pad": (lambda x: mg.pad(x, ((1, 2), (0, 1))) * Tensor(np.arange(30.0).reshape(6, 5)), (3, 4)),
    "windows": (lambda x: mg.windows(x, (2, 3), stride=(1, 2), dilation=1) * 1.5, (1, 2, 5, 7)),
    "windows_dilated": (lambda x: mg.windows(x, 2, stride=2, dilation=2).tanh(), (2, 6, 6)),
    "cat": (lambda x: mg.cat([x, x * 2.0, x[:1]], 0), (2, 3)),
    "stack": (lambda x: mg.stack([x, x.exp()], 1), (2, 3)),
    "matmul": (lambda x: x @ Tensor(np.arange(8.0).reshape(4, 2)), (3, 4)),
    "matmul_vec": (lambda x: x @ x[0], (3, 4)),
    "matmul_batch": (lambda x: x @ x.transpose(-1, -2), (2, 3, 4)),
    "broadcast": (lambda x: x.expand(2, 3, 4) * Tensor(np.arange(24.0).reshape(2, 3, 4)), (3, 1)),
}


@pytest.mark.parametrize("name", sorted(STRUCTURAL))
def test_structural_rules(name, rng):
    f, shape = STRUCTURAL[name]
    x = Tensor(rng.standard_normal(shape), requires_grad=True)
    report = mg.gradcheck(f, x)
    assert report.passed, str(report)


def test_matmul_long_reduction_takes_the_transposed_route_with_equal_numbers(rng):
    from microgradnet.mathns import ARRAY
    from microgradnet.rules import RULES
    a, b = rng.standard_normal((3, 200)), rng.standard_normal((200, 4))  # K > 8·max(M, N): computed as (bᵀaᵀ)ᵀ
    out = RULES["matmul"].forward(ARRAY, a, b)
    assert out.flags.f_contiguous and not out.flags.c_contiguous
    want = np.array([[sum(a[i, k] * b[k, j] for k in range(200)) for j in range(4)] for i in range(3)])
    np.testing.assert_allclose(out, want, rtol=1e-12)
    assert RULES["matmul"].forward(ARRAY, a[:, :20], b[:20]).flags.c_contiguous  # short reductions: plain route


def test_matmul_gradient_follows_the_operands_memory_layout(rng):
    """A weight used as W.T (nn.Linear) gets a row-major gradient, like W itself, so p -= lr·grad runs on
    matching layouts; the numbers are the closed forms gᵀx and g W."""
    W = Tensor(rng.standard_normal((5, 7)), requires_grad=True)
    x = Tensor(rng.standard_normal((3, 7)), requires_grad=True)
    g = rng.standard_normal((3, 5))
    (x @ W.T).backward(g)
    assert W.grad.flags.c_contiguous
    np.testing.assert_allclose(W.grad, g.T @ x.data, rtol=1e-13)
    np.testing.assert_allclose(x.grad, g @ W.data, rtol=1e-13)
    A = Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    B = Tensor(rng.standard_normal((4, 6)), requires_grad=True)
    h = rng.standard_normal((3, 6))
    (A.T @ B).backward(h)
    assert A.grad.flags.c_contiguous
    np.testing.assert_allclose(A.grad, B.data @ h.T, rtol=1e-13)
    np.testing.assert_allclose(B.grad, A.data @ h, rtol=1e-13)
    # the same route recorded on the tape (create_graph): ∂/∂W of ⟨∂f/∂W, V⟩ for f = ½‖x Wᵀ‖² is V xᵀx
    V = rng.standard_normal((5, 7))

    def inner(w):
        (gw,) = mg.grad(((x @ w.T) ** 2).sum() * 0.5, [w], create_graph=True)
        return (gw * Tensor(V)).sum()

    w = Tensor(W.data.copy(), requires_grad=True)
    inner(w).backward()
    np.testing.assert_allclose(w.grad, V @ x.data.T @ x.data, rtol=1e-12)


@pytest.mark.parametrize("src, dst", [
    (np.s_[:, :3, :16], np.s_[:, 1:4, 2:18]),      # short rows, both strided: moved row by row as whole items
    (np.s_[:, :3, :1], np.s_[:, :3, :1]),          # one-cell rows: the plain copy
    (np.s_[:, ::2, 3:19], np.s_[:, 2:5, 4:20]),    # every other row of the source
    (np.s_[:, 3:, :80], np.s_[:, :3, :80]),        # rows longer than SHORT_ROW: the plain copy
    (np.s_[:, :3, 16:0:-1], np.s_[:, :3, :16]),    # a reversed last axis is not contiguous: the plain copy
    (np.s_[:0, :3, :16], np.s_[:0, :3, :16]),      # nothing to copy
])
def test_assign_copies_short_rows_bit_for_bit(rng, src, dst):
    from microgradnet.rules import assign
    a = rng.standard_normal((2, 6, 90)).astype(np.float32)
    a[0, 0, 0] = np.nan
    z, want = np.full((2, 5, 90), 7.0, np.float32), np.full((2, 5, 90), 7.0, np.float32)
    want[dst] = a[src]
    assign(z[dst], a[src])
    np.testing.assert_array_equal(z.view(np.uint32), want.view(np.uint32))  # NaN payloads and -0.0 included
    objs = np.empty((3, 4), object)
    assign(objs, np.arange(12).reshape(3, 4).astype(object))  # object arrays: the plain copy
    assert objs.tolist() == np.arange(12).reshape(3, 4).tolist()


def test_a_leafs_first_gradient_is_a_copy_in_the_leafs_layout(rng):
    """conv2d's ∂L/∂x comes out of its channel-major wide rows as a permuted view; the leaf still gets an
    (N, C, H, W) row-major array of its own, like PyTorch's x.grad, with the numbers of the windows path."""
    import microgradnet.functional as F
    x = Tensor(rng.standard_normal((16, 3, 16, 16)), requires_grad=True)  # a batch: kernels.fold's whole runs
    w = Tensor(rng.standard_normal((4, 3, 3, 3)), requires_grad=True)
    y = F.conv2d(x, w, padding=1)
    g = rng.standard_normal(y.shape)
    y.backward(g)
    assert x.grad.flags.c_contiguous and w.grad.flags.c_contiguous and x.grad.flags.owndata
    xs, ws = Tensor(x.data[:2], requires_grad=True), Tensor(w.data, requires_grad=True)
    ys = F.conv2d(xs, ws, padding=1)  # two images: the textbook fold loop
    ys.backward(g[:2])
    np.testing.assert_allclose(x.grad[:2], xs.grad, rtol=1e-12, atol=1e-12)
    fortran = Tensor(np.asfortranarray(rng.standard_normal((5, 7))), requires_grad=True)
    (fortran * 2.0).backward(np.ones((5, 7)))
    assert fortran.grad.flags.f_contiguous and not fortran.grad.flags.c_contiguous
    np.testing.assert_array_equal(fortran.grad, np.full((5, 7), 2.0))


@pytest.mark.parametrize("index", [np.s_[1:3, :2], np.s_[-2:], np.s_[:, 1:4], np.s_[0:0], np.s_[:, :, 2:],
                                   np.s_[2:5:1, -3:-1, :]])
def test_slice_backward_and_pad_write_zeros_around_the_box(rng, monkeypatch, index):
    """scatter_add of a box of unit-step slices writes the data and zeros only around it: against zeros + assign.
    Fresh arrays are filled with NaN here, so a cell left unwritten shows."""
    from microgradnet.mathns import ARRAY
    from microgradnet.rules import RULES
    shape = (5, 6, 4)
    g = rng.standard_normal(np.zeros(shape)[index].shape)
    want = np.zeros(shape)
    want[index] = g
    pw = ((1, 2), (0, 3), (2, 0))
    x = rng.standard_normal(shape)
    want_pad = np.pad(x, pw)
    monkeypatch.setattr(np, "empty", lambda shape, dtype=float: np.full(shape, np.nan, dtype=dtype))
    assert np.isnan(np.empty((2,))).all()
    np.testing.assert_array_equal(RULES["scatter_add"].forward(ARRAY, g, index, shape), want)
    np.testing.assert_array_equal(RULES["pad"].forward(ARRAY, x, pw), want_pad)


@pytest.mark.parametrize("shape, ax", [((9, 4, 3), 0), ((2, 5, 3), 1), ((3, 2, 7), 2), ((4,), 0), ((2, 80), 1)])
def test_tie_first_weights_pick_the_first_maximum_along_the_axis(rng, shape, ax):
    """tie='first' one-hot weights against a loop over every slice: the first index holding the maximum; a slice
    whose maximum is NaN (no cell equals it) routes to index 0. Short axes go slice by slice, long ones by argmax."""
    from microgradnet.rules import tie_weights
    x = rng.integers(0, 3, shape).astype(float)  # plenty of ties
    x[(0,) * len(shape)] = np.nan
    out = np.max(x, axis=ax)
    want = np.zeros(shape)
    moved, wmoved = np.moveaxis(x, ax, -1), np.moveaxis(want, ax, -1)
    for idx in np.ndindex(moved.shape[:-1]):
        row = moved[idx]
        hits = [i for i, v in enumerate(row) if v == np.max(row)]
        wmoved[idx + (hits[0] if hits else 0,)] = 1.0
    np.testing.assert_array_equal(tie_weights(x, out, (ax,), False, "first"), want)


def test_getitem_repeated_index_adds_up():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 0.0, 1.0])


def test_windows_values_and_overlap_gradient():
    x = Tensor(np.arange(16.0).reshape(4, 4), requires_grad=True)
    w = mg.windows(x, 2, stride=1)
    assert w.shape == (3, 3, 2, 2)
    np.testing.assert_array_equal(w.data[1, 2], [[6.0, 7.0], [10.0, 11.0]])
    w.sum().backward()
    # how many 2×2 stride-1 windows cover each cell
    np.testing.assert_array_equal(x.grad, [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]])
