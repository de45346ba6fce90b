"""EN4553 A2 Q1's max-pool → LeakyReLU → dense network through the engine (tensor and scalar level),
against numbers worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

import microgradnet as mg
from microgradnet.check import check_pool_lrelu_net, check_pool_lrelu_net_prelu, pool_lrelu_net_graph

# Index 180577X, worked by hand from the handout's recipe (first six cells 1, 8, 0.5, 5, 7, 7.1; then ×−1; the last
# row is the first row ×−1), windows 2×2 stride 2, LRelu slope 0.1, w = [1, 2, 10, 4], ∂L/∂y = 2.
X_180577 = [[1, 8, 0.5, 5], [7, 7.1, -1, -8], [-0.5, -5, -7, -7.1], [-1, -8, -0.5, -5]]
U_180577 = [[8, 5], [-0.5, -0.5]]  # max of {1, 8, 7, 7.1}, {0.5, 5, −1, −8}, {−0.5, −5, −1, −8}, {−7, −7.1, −0.5, −5}
V_180577 = [[8, 5], [-0.05, -0.05]]
Y_180577 = 17.3  # 8·1 + 5·2 − 0.05·10 − 0.05·4 = 8 + 10 − 0.5 − 0.2
DV_180577 = [[2, 4], [20, 8]]  # 2·w
DU_180577 = [[2, 4], [2, 0.8]]  # ×0.1 where U < 0
DX_180577 = [[0, 2, 0, 4], [0, 0, 0, 0], [2, 0, 0, 0], [0, 0, 0.8, 0]]  # to each window's maximum
DW_180577 = [16, 10, -0.1, -0.1]  # ∂L/∂w = 2·V


def test_pool_lrelu_net_tensor_level_hand_numbers():
    r = check_pool_lrelu_net("180577X", 2.0)
    np.testing.assert_allclose(r.X, X_180577, rtol=0, atol=1e-12)
    np.testing.assert_allclose(r.U, U_180577, rtol=0, atol=1e-12)
    np.testing.assert_allclose(r.V, V_180577, rtol=0, atol=1e-12)
    assert r.y == pytest.approx(Y_180577, abs=1e-12)
    np.testing.assert_allclose(r.dL_dV, DV_180577, rtol=0, atol=1e-12)
    np.testing.assert_allclose(r.dL_dU, DU_180577, rtol=0, atol=1e-12)
    np.testing.assert_allclose(r.dL_dX, DX_180577, rtol=0, atol=1e-12)
    np.testing.assert_allclose(r.dL_dw, DW_180577, rtol=0, atol=1e-12)
    assert r.passed and max(r.errors.values()) <= 1e-12
    text = str(r)
    assert "EN4553 A2 Q1, index 180577X" in text and text.endswith("PASS")
    assert "17.3" in text


def test_pool_lrelu_net_another_index_with_zeros_and_a_negative_upstream_gradient():
    # 102030X: digits 1, 0, 2, 0, 3, 0 → 1, 0.5, 2, 0.6, 3, 0.7 (every 0 becomes 0.5, 0.6, 0.7 in turn)
    r = check_pool_lrelu_net("102030X", dL_dy=-1.0)
    X = [[1, 0.5, 2, 0.6], [3, 0.7, -1, -0.5], [-2, -0.6, -3, -0.7], [-1, -0.5, -2, -0.6]]
    np.testing.assert_allclose(r.X, X, rtol=0, atol=1e-12)
    np.testing.assert_allclose(r.U, [[3, 2], [-0.5, -0.6]], rtol=0, atol=1e-12)
    assert r.y == pytest.approx(3 * 1 + 2 * 2 - 0.05 * 10 - 0.06 * 4, abs=1e-12)  # 6.26
    np.testing.assert_allclose(r.dL_dV, [[-1, -2], [-10, -4]], rtol=0, atol=1e-12)
    np.testing.assert_allclose(r.dL_dU, [[-1, -2], [-1, -0.4]], rtol=0, atol=1e-12)
    dX = np.zeros((4, 4))
    dX[1, 0], dX[0, 2], dX[3, 1], dX[3, 3] = -1, -2, -1, -0.4
    np.testing.assert_allclose(r.dL_dX, dX, rtol=0, atol=1e-12)
    assert r.passed


def test_pool_lrelu_net_ties_follow_the_tie_rule():
    ones = np.ones((4, 4))  # every window is a plateau; U = 1 > 0, so ∂L/∂U = ∂L/∂V = 2w
    r_all = check_pool_lrelu_net(ones, tie="all")
    np.testing.assert_allclose(r_all.dL_dX, [[2, 2, 4, 4], [2, 2, 4, 4], [20, 20, 8, 8], [20, 20, 8, 8]], atol=0)
    r_first = check_pool_lrelu_net(ones, tie="first")
    np.testing.assert_allclose(r_first.dL_dX, [[2, 0, 4, 0], [0, 0, 0, 0], [20, 0, 8, 0], [0, 0, 0, 0]], atol=0)
    assert r_all.passed and r_first.passed and r_all.index is None
    with pytest.raises(ValueError, match="check_pool_lrelu_net: X must be an index number .* got shape \\(3, 4\\)"):
        check_pool_lrelu_net(np.ones((3, 4)))


def test_pool_lrelu_net_prelu_dalpha():
    # ∂L/∂α = Σ_{u<0} ∂L/∂v·u = 1.5·(−0.5) + 3·(−0.5) for the U of 180577X and the handout's ∂L/∂V
    p = check_pool_lrelu_net_prelu()
    assert p.dL_dalpha == pytest.approx(-2.25, abs=1e-12) and p.closed_dL_dalpha == pytest.approx(-2.25, abs=1e-12)
    np.testing.assert_allclose(p.V, [[8, 5], [-0.125, -0.125]], atol=1e-12)  # α₀ = 0.25
    assert p.passed
    q = check_pool_lrelu_net_prelu([[-1.0, 2.0], [0.0, -3.0]], alpha=0.7)
    assert q.dL_dalpha == pytest.approx(2.0 * -1.0 + 3.0 * -3.0, abs=1e-12)  # u = 0 contributes nothing
    assert q.passed


def test_pool_lrelu_net_scalar_level_graph():
    graph = pool_lrelu_net_graph("180577X", 2.0)
    root = graph.root
    assert root.label == "y" and root.data == pytest.approx(Y_180577) and root.grad == 2.0
    assert sorted(graph.leaves) == sorted([f"X[{i},{j}]" for i in range(4) for j in range(4)] +
                                          [f"w[{k}]" for k in range(4)])
    for i in range(4):
        for j in range(4):
            leaf = graph.leaves[f"X[{i},{j}]"]
            assert leaf.data == pytest.approx(X_180577[i][j]) and leaf.grad == pytest.approx(DX_180577[i][j])
    for k in range(4):
        assert graph.leaves[f"w[{k}]"].grad == pytest.approx(DW_180577[k])
    for i in range(2):
        for j in range(2):
            u, v = graph.nodes[f"U[{i},{j}]"], graph.nodes[f"V[{i},{j}]"]
            assert u.data == pytest.approx(U_180577[i][j]) and u.grad == pytest.approx(DU_180577[i][j])
            assert v.data == pytest.approx(V_180577[i][j]) and v.grad == pytest.approx(DV_180577[i][j])
    # the Tensors received the same gradients; the graph is made of scalar Values, every leaf reachable from y
    np.testing.assert_allclose(graph.X.grad, DX_180577, atol=1e-12)
    tape = mg.toposort(root)
    assert all(isinstance(n, mg.Value) for n in tape)
    ids = {n._id for n in tape}
    assert all(v._id in ids for v in graph.leaves.values())
    assert {n._meta[0] for n in tape if n._prev} == {"Maxpool", "LRelu", "Dense"}
    assert {n._op for n in tape if n._prev} >= {"amax", "leaky_relu", "mul"}


def test_pool_lrelu_net_scalar_level_without_backward():
    graph = pool_lrelu_net_graph("180577X", backward=False)
    assert graph.root.data == pytest.approx(Y_180577)
    assert all(not v.grad for v in graph.leaves.values()) and graph.X.grad is None
    graph.root.backward(2.0)
    assert graph.leaves["X[0,3]"].grad == pytest.approx(4.0)
