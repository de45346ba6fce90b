"""The same Tensor code at scalar granularity: one Value per scalar operation, equal gradients."""

import numpy as np
import pytest

import microgradnet as mg
from microgradnet import Tensor, Value


def composite(x, w, b):
    """A small conv-pool-dense-softmax network written with Tensor primitives only."""
    h = mg.windows(mg.pad(x, ((0, 0), (1, 1), (1, 1))), 2, stride=1)  # (1, 4, 4, 2, 2)
    h = (h * w).sum((-1, -2)) + b  # a 2×2 "conv" with one filter
    h = h.leaky_relu(0.1)
    p = mg.windows(h, 2, stride=2).amax((-1, -2))  # 2×2 max-pool
    z = p.reshape(1, 4)
    z = z - z.amax(1, keepdim=True).detach()
    logp = z - z.exp().sum(1, keepdim=True).log()
    return -logp[0, 2] + (w * w).sum() * 0.01


def test_composite_scalar_level_equals_tensor_level(rng):
    x = Tensor(rng.standard_normal((1, 3, 3)), requires_grad=True, label="x")
    w = Tensor(rng.standard_normal((2, 2)), requires_grad=True, label="w")
    b = Tensor(0.1, requires_grad=True, label="b")
    out_t = composite(x, w, b)
    out_t.backward()
    grads_t = [t.grad.copy() for t in (x, w, b)]
    for t in (x, w, b):
        t.grad = None
    with mg.scalar_level({"x": x, "w": w, "b": b}):
        out_s = composite(x, w, b)
    assert out_s._values is not None
    root = out_s._values[1].item()
    assert isinstance(root, Value)
    assert out_s.item() == pytest.approx(out_t.item(), rel=1e-12)
    out_s.backward()
    for t, g in zip((x, w, b), grads_t):
        np.testing.assert_allclose(t.grad, g, rtol=1e-10, atol=1e-12)
    # one Value per scalar op: every node of the scalar graph is a Value, and the lifted leaves are labelled
    nodes = mg.toposort(root)
    assert all(isinstance(n, Value) for n in nodes)
    labels = {n.label for n in nodes if n.label}
    assert {"x[0,0,0]", "w[1,1]", "b"} <= labels
    ops = {n._op for n in nodes}
    assert {"mul", "sum", "amax", "leaky_relu", "exp", "log"} <= ops


def test_scalar_level_matmul_counts_nodes():
    a = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    b = Tensor(np.ones((3, 2)), requires_grad=True)
    with mg.scalar_level():
        c = a @ b
    c.backward(np.ones((2, 2)))
    np.testing.assert_array_equal(a.grad, np.full((2, 3), 2.0))
    np.testing.assert_array_equal(b.grad, np.array([[3.0, 3.0], [5.0, 5.0], [7.0, 7.0]]))
    nodes = mg.toposort(list(c._values[1].flat))
    assert sum(n._op == "mul" for n in nodes) == 2 * 2 * 3  # one product per (i, j, k)
    assert sum(n._op == "sum" for n in nodes) == 4  # one n-ary sum per output
    # Values made by the tensor op are tagged with it (for collapsing in the renderer)
    assert {n._meta[2] for n in nodes if n._op == "mul"} == {"matmul"}


def test_scalar_level_intermediate_grads_filled():
    x = Tensor([1.0, -2.0, 3.0], requires_grad=True)
    with mg.scalar_level():
        h = x * x
        y = h.sum()
    y.backward()
    np.testing.assert_array_equal(h.grad, [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(x.grad, [2.0, -4.0, 6.0])
