"""Property tests: random expressions give the same value and gradients on Value, on Tensor, at scalar level,
and agree with central differences."""

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import microgradnet as mg
from microgradnet import Tensor, Value

UNARY = ["tanh", "sigmoid", "exp_s", "square", "neg", "lrelu"]
BINARY = ["add", "sub", "mul", "div_s"]


def _un(op, x):
    if op == "tanh":
        return x.tanh()
    if op == "sigmoid":
        return x.sigmoid()
    if op == "exp_s":
        return (x * 0.3).exp()
    if op == "square":
        return x * x
    if op == "neg":
        return -x
    return x.leaky_relu(0.2)


def _bin(op, a, b):
    if op == "add":
        return a + b
    if op == "sub":
        return a - b
    if op == "mul":
        return a * b
    return a / (b * b + 1.0)


program = st.lists(st.tuples(st.sampled_from(UNARY + BINARY), st.integers(0, 100), st.integers(0, 100)),
                   min_size=1, max_size=12)


def run(prog, leaves, kinks=None):
    """The program's value; with a list ``kinks``, appends the inputs of leaky_relu (whose derivative jumps at 0)."""
    regs = list(leaves)
    for op, i, j in prog:
        a, b = regs[i % len(regs)], regs[j % len(regs)]
        if op == "lrelu" and kinks is not None:
            kinks.append(float(a.data))
        regs.append(_un(op, a) if op in UNARY else _bin(op, a, b))
    out = regs[-1]
    for r in regs[len(leaves):-1]:
        out = out + r * 0.1  # every intermediate matters
    return out


@settings(max_examples=60, deadline=None)
@given(program, st.lists(st.floats(-2, 2), min_size=3, max_size=3))
def test_value_tensor_scalar_level_and_numeric_agree(prog, xs):
    xs = [x + 0.013 for x in xs]  # off the kink of leaky_relu at 0
    vs = [Value(x) for x in xs]
    kinks = []
    out_v = run(prog, vs, kinks)
    # central differences straddling leaky_relu's kink (e.g. lrelu(x0 − x1) with x0 = x1) average two slopes
    assume(all(abs(k) > 1e-4 for k in kinks))
    out_v.backward()
    gv = np.array([v.grad for v in vs])

    t = Tensor(np.array(xs), requires_grad=True)
    out_t = run(prog, [t[0], t[1], t[2]])
    out_t.backward()
    np.testing.assert_allclose(out_t.item(), out_v.data, rtol=1e-12)
    np.testing.assert_allclose(t.grad, gv, rtol=1e-9, atol=1e-12)

    t2 = Tensor(np.array(xs), requires_grad=True)
    with mg.scalar_level():
        out_s = run(prog, [t2[0], t2[1], t2[2]])
    out_s.backward()
    np.testing.assert_allclose(t2.grad, gv, rtol=1e-9, atol=1e-12)

    eps = 1e-6
    num = []
    for k in range(3):
        p = list(xs)
        p[k] += eps
        m = list(xs)
        m[k] -= eps
        with mg.no_grad():
            num.append((run(prog, [Value(x) for x in p]).data - run(prog, [Value(x) for x in m]).data) / (2 * eps))
    np.testing.assert_allclose(gv, num, rtol=1e-4, atol=1e-6)
