"""EN4553 A2 Q1 worked by hand for index 180577X, plus the index recipe and the PReLU part (d)."""

import numpy as np
import pytest

from microgradnet.closed_form import index_to_X, pool_lrelu_net, pool_lrelu_net_loss, pool_lrelu_net_prelu
from microgradnet.closed_form._fd import central_diff


def test_index_180577X_by_hand():
    # digits 1 8 0 5 7 7: the 0 becomes 0.5, the second 7 becomes 7.1 → first six cells 1, 8, 0.5, 5, 7, 7.1
    # cells 7–12 are those × −1; the last row is the first row × −1.
    X = index_to_X("180577X")
    np.testing.assert_array_equal(X, [[1.0, 8.0, 0.5, 5.0],
                                      [7.0, 7.1, -1.0, -8.0],
                                      [-0.5, -5.0, -7.0, -7.1],
                                      [-1.0, -8.0, -0.5, -5.0]])


@pytest.mark.parametrize("index,first_six", [
    ("180577X", [1, 8, 0.5, 5, 7, 7.1]),
    ("100100A", [1, 0.5, 0.6, 1.1, 0.7, 0.8]),   # three 0s → 0.5, 0.6, 0.7, 0.8 in order; second 1 → 1.1
    ("777777", [7, 7.1, 7.2, 7.3, 7.4, 7.5]),
    ("2-3-4-5-6-7", [2, 3, 4, 5, 6, 7]),          # non-digits ignored
])
def test_index_recipe(index, first_six):
    X = index_to_X(index)
    np.testing.assert_allclose(X.reshape(-1)[:6], first_six)
    np.testing.assert_allclose(X.reshape(-1)[6:12], -np.array(first_six))
    np.testing.assert_allclose(X[3], -X[0])


def test_index_needs_six_digits():
    with pytest.raises(ValueError, match="index_to_X: expected exactly 6 digits, got 5"):
        index_to_X("18057X")
    with pytest.raises(TypeError, match="index must be a str"):
        index_to_X(180577)


def test_forward_and_backward_180577X_by_hand():
    r = pool_lrelu_net("180577X")  # ∂L/∂y = 2.0, w = [1, 2, 10, 4], LRelu slope 0.1
    # U = 2×2 max-pool, stride 2:
    #   top-left  {1, 8, 7, 7.1} → 8        top-right    {0.5, 5, −1, −8}     → 5
    #   bot-left  {−0.5, −5, −1, −8} → −0.5  bottom-right {−7, −7.1, −0.5, −5} → −0.5
    np.testing.assert_array_equal(r.U, [[8.0, 5.0], [-0.5, -0.5]])
    # V = LRelu(U): negatives × 0.1
    np.testing.assert_allclose(r.V, [[8.0, 5.0], [-0.05, -0.05]], rtol=1e-15)
    # y = 8·1 + 5·2 + (−0.05)·10 + (−0.05)·4 = 8 + 10 − 0.5 − 0.2 = 17.3
    assert r.y == pytest.approx(17.3, rel=1e-15)
    # ∂L/∂v_i = ∂L/∂y · w_i = 2 × [1, 2, 10, 4]
    np.testing.assert_array_equal(r.dL_dV, [[2.0, 4.0], [20.0, 8.0]])
    # ∂L/∂U = ∂L/∂V · LRelu'(U): 1 for 8 and 5, 0.1 for −0.5 → [[2, 4], [2, 0.8]]
    np.testing.assert_allclose(r.dL_dU, [[2.0, 4.0], [2.0, 0.8]], rtol=1e-15)
    # ∂L/∂X: each ∂L/∂u goes to its window's arg-max: 8 at X[0,1], 5 at X[0,3], −0.5 at X[2,0] and X[3,2]
    np.testing.assert_allclose(r.dL_dX, [[0.0, 2.0, 0.0, 4.0],
                                         [0.0, 0.0, 0.0, 0.0],
                                         [2.0, 0.0, 0.0, 0.0],
                                         [0.0, 0.0, 0.8, 0.0]], rtol=1e-15)
    # no ties in any window (the recipe makes the six values unique), so the tie rule cannot matter
    for tie in ("first", "split"):
        np.testing.assert_array_equal(pool_lrelu_net("180577X", tie=tie).dL_dX, r.dL_dX)


def test_backward_matches_finite_differences_and_loss():
    X = index_to_X("180577X")

    def y_of(Z):
        return pool_lrelu_net(Z).y

    np.testing.assert_allclose(pool_lrelu_net(X, dL_dy=2.0).dL_dX, 2.0 * central_diff(y_of, X), atol=1e-8)
    # (a): L = ½ (y − t)², so ∂L/∂y = y − t; ∂L/∂y = 2.0 means t = y − 2 = 15.3
    assert pool_lrelu_net_loss(17.3, 15.3) == pytest.approx(2.0)


def test_prelu_part_d():
    U = np.array([[8.0, -3.0], [-0.5, 2.0]])
    d = pool_lrelu_net_prelu(U)  # ∂L/∂V defaults to the handout's [[2.0, −2.5], [1.5, 3.0]]
    # V = [[8, −3α], [−0.5α, 2]]
    np.testing.assert_array_equal(d.V_const, [[8.0, 0.0], [0.0, 2.0]])
    np.testing.assert_array_equal(d.V_alpha, [[0.0, -3.0], [-0.5, 0.0]])
    np.testing.assert_allclose(d.V_at(0.25), [[8.0, -0.75], [-0.125, 2.0]])
    # ∂L/∂α = Σ_{u<0} ∂L/∂v · u = (−2.5)(−3) + (1.5)(−0.5) = 7.5 − 0.75 = 6.75
    assert d.dL_dalpha == pytest.approx(6.75)
    # with the U of the 180577X forward pass: (1.5)(−0.5) + (3.0)(−0.5) = −2.25
    assert pool_lrelu_net_prelu(pool_lrelu_net("180577X").U).dL_dalpha == pytest.approx(-2.25)
