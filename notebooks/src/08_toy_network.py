"""Notebook 08: the EN4553 toy network (source of notebooks/08_toy_network.ipynb; see notebooks/build.py)."""

# %% [markdown]
# # 8. The EN4553 toy network, end to end
#
# *Eighth notebook of the series. About 40 minutes.*
#
# EN4553 (Machine Vision, University of Moratuwa) Assignment 2, Question 1, puts together three layers from the
# previous notebooks — max-pooling, a leaky ReLU and a dense layer — into a network small enough to do entirely by
# hand, with an input built from the student's own **index number**. This notebook works the handout's example index
# 180577X, then lets you type yours and gives you X, every forward and backward value, and the graph.
#
# The network:
#
# X (4×4) → **Maxpool** (2×2 windows, stride 2) → U (2×2) → **LRelu** (slope 0.1) → V (2×2) → **Dense**
# y = Σᵢ vᵢwᵢ with (v₁, v₂, v₃, v₄) the entries of V row by row and **w = [1, 2, 10, 4]**.

# %%
import numpy as np

from microgradnet import check as checker
from microgradnet import closed_form as cf
from microgradnet.exercises import check
from viz import rule_check, show  # show(root): draw the graph (its DOT text without Graphviz)

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## (a) The loss
#
# The target t is a real number, so this is **regression**; with one datum at a time (SGD with mini-batch size 1)
# a suitable loss is the squared error **L = ½(y − t)²**. The ½ is for convenience: ∂L/∂y = y − t.
#
# ## (b) The input from an index number
#
# The handout's recipe, cell by cell from the top left, row by row:
#
# 1. the six digits of the index number fill cells 1–6 (the final letter is ignored);
# 2. a repeated digit gets +0.1 on its second occurrence, +0.2 on its third…, so the six values are distinct; every
#    0 becomes 0.5, 0.6, … in order;
# 3. cells 7–12 repeat cells 1–6 multiplied by −1;
# 4. the last row (cells 13–16) is the first row multiplied by −1.
#
# For **180577X**: the digits 1, 8, 0, 5, 7, 7 become 1, 8, 0.5, 5, 7, 7.1.

# %%
X = cf.index_to_X("180577X")
print("X =\n", X)
assert list(X.ravel()[:6]) == [1, 8, 0.5, 5, 7, 7.1]
assert np.array_equal(X.ravel()[6:12], -X.ravel()[:6]) and np.array_equal(X[3], -X[0])

# %% [markdown]
# **Forward.** Each 2×2 window's maximum:
#
# * top left {1, 8, 7, 7.1} → 8; top right {0.5, 5, −1, −8} → 5;
# * bottom left {−0.5, −5, −1, −8} → −0.5; bottom right {−7, −7.1, −0.5, −5} → −0.5.
#
# So U = [[8, 5], [−0.5, −0.5]]. LRelu keeps the positive entries and multiplies the negative ones by 0.1:
# V = [[8, 5], [−0.05, −0.05]]. Then y = 8·1 + 5·2 + (−0.05)·10 + (−0.05)·4 = 8 + 10 − 0.5 − 0.2 = **17.3**.

# %%
net = cf.pool_lrelu_net(X, dL_dy=2.0)
print("U =\n", net.U, "\nV =\n", net.V, "\ny =", round(net.y, 10))
assert np.array_equal(net.U, [[8, 5], [-0.5, -0.5]]) and np.allclose(net.V, [[8, 5], [-0.05, -0.05]])
assert abs(net.y - 17.3) < 1e-12

# %% [markdown]
# ## (c) Backward, with ∂L/∂y = 2.0
#
# * **Dense.** y = Σ vᵢwᵢ, so ∂y/∂vᵢ = wᵢ and ∂L/∂vᵢ = ∂L/∂y·wᵢ; the handout's ∂L/∂v₁ = 2 × 1 = 2, and
#   ∂L/∂V = 2·[[1, 2], [10, 4]] = [[2, 4], [20, 8]].
# * **LRelu.** ∂v/∂u = 1 where u ≥ 0 and 0.1 where u < 0: ∂L/∂U = [[2·1, 4·1], [20·0.1, 8·0.1]] = [[2, 4], [2, 0.8]].
#   (At u = 0 exactly this is the handout's convention, "x if x ≥ 0", so LRelu′(0) = 1; PyTorch and this library's
#   engine take the negative side's 0.1 there — notebook 6. For an index number the choice never shows: the recipe
#   turns every 0 into 0.5, 0.6, …, so no entry of X, and hence of U, is 0.)
# * **Maxpool.** Each window's gradient goes to its maximum: 2 to X(0, 1) (the 8), 4 to X(0, 3) (the 5), 2 to
#   X(2, 0) (a −0.5) and 0.8 to X(3, 2) (the other −0.5); every other entry of ∂L/∂X is 0.
#
# (With L = ½(y − t)², ∂L/∂y = 2 means the target was t = y − 2 = 15.3.)

# %%
print("dL/dV =\n", net.dL_dV, "\ndL/dU =\n", net.dL_dU, "\ndL/dX =\n", net.dL_dX)
assert np.array_equal(net.dL_dV, [[2, 4], [20, 8]]) and np.allclose(net.dL_dU, [[2, 4], [2, 0.8]])
expected = np.zeros((4, 4))
expected[0, 1], expected[0, 3], expected[2, 0], expected[3, 2] = 2, 4, 2, 0.8
assert np.allclose(net.dL_dX, expected)

# %% [markdown]
# The same network through the engine (`microgradnet.check.check_pool_lrelu_net` builds it from `F.max_pool2d`,
# `F.leaky_relu` and a dot product and back-propagates ∂L/∂y = 2), next to the hand-derived closed form:

# %%
result = checker.check_pool_lrelu_net("180577X", dL_dy=2.0)
print(result)
assert result.passed and np.allclose(result.dL_dX, net.dL_dX)
assert np.allclose(result.dL_dw, [16, 10, -0.1, -0.1])  # ∂L/∂w = ∂L/∂y · V: what SGD would use to update w

# %% [markdown]
# And drawn at scalar level, one Value per operation, grouped by the handout's three boxes. Each edge shows what it
# carries back (upstream gradient × local derivative): follow the 20 from V[1,0] through the LRelu's 0.1 to become
# 2 at U[1,0], and then to X[2,0].

# %%
graph = checker.pool_lrelu_net_graph("180577X", dL_dy=2.0)
assert graph.root.data == 17.3 and graph.nodes["U[1,0]"].grad == 2.0
show(graph.root, edge_labels="contrib")

# %% [markdown]
# ## Checking hand-derived numbers on the graph
#
# The drawing can also *check* numbers you derived by hand: give them as `expected` (keys are node labels, or the
# name of an input tensor such as "X") and every node is coloured green ✓ where your number equals the engine's
# gradient and salmon ✗ where it does not, with both numbers written in. Here the hand-derived ∂L/∂X and ∂L/∂V
# from above, and a ∂L/∂U worked with the most common slip — treating LRelu like ReLU, so a negative u passes
# nothing back:

# %%
slip_dU = np.where(net.U > 0, net.dL_dV, 0.0)   # ReLU's backward instead of LRelu's
expected = {"X": net.dL_dX}
expected.update({f"V[{i},{j}]": net.dL_dV[i, j] for i in range(2) for j in range(2)})
expected.update({f"U[{i},{j}]": slip_dU[i, j] for i in range(2) for j in range(2)})
results = rule_check(graph.root, expected)
wrong = [(r.name, float(r.closed_form), float(r.autodiff)) for r in results if not r.ok]
print(f"{len(results)} nodes checked; wrong: " + ", ".join(f"{n} (hand {h:g}, engine {a:g})" for n, h, a in wrong))
assert len(results) == 24 and wrong == [("U[1,0]", 0.0, 2.0), ("U[1,1]", 0.0, 0.8)]
show(graph.root, expected=expected)

# %% [markdown]
# **Exercise.** Write `toy_backward(X, dL_dy, w)` returning `(dL_dV, dL_dU, dL_dX)` (2×2, 2×2, 4×4) for this
# network (LRelu slope 0.1, and the handout's LRelu′ = 1 for u ≥ 0). If two entries of a window tie for its
# maximum, give the gradient to **each** of them (CSC 249's rule; the index recipe never makes ties, but a hidden
# case does). `X.reshape(2, 2, 2, 2)` has the window (a, b) at `[a, :, b, :]`.

# %% [exercise toy_backward]
def toy_backward(X, dL_dy, w):
    """Backward of Maxpool(2×2, stride 2) → LRelu(0.1) → y = Σ v_i w_i. Returns (dL/dV, dL/dU, dL/dX)."""
    raise NotImplementedError("write the toy network's backward here")

# %% [solution toy_backward]
def toy_backward(X, dL_dy, w):
    """Backward of Maxpool(2×2, stride 2) → LRelu(0.1) → y = Σ v_i w_i. Returns (dL/dV, dL/dU, dL/dX)."""
    U = X.reshape(2, 2, 2, 2).max(axis=(1, 3))                  # window (a, b) is X[2a:2a+2, 2b:2b+2]
    dL_dV = dL_dy * np.asarray(w, dtype=float).reshape(2, 2)     # ∂y/∂v_i = w_i, row-major
    dL_dU = np.where(U >= 0, dL_dV, 0.1 * dL_dV)                 # LRelu′ = 1 (u ≥ 0, the handout's) or 0.1
    dL_dX = np.zeros_like(X, dtype=float)
    for a in range(2):
        for b in range(2):
            window = X[2 * a:2 * a + 2, 2 * b:2 * b + 2]
            dL_dX[2 * a:2 * a + 2, 2 * b:2 * b + 2] = np.where(window == U[a, b], dL_dU[a, b], 0.0)
    return dL_dV, dL_dU, dL_dX

# %%
check("toy_backward", toy_backward)

# %% [markdown]
# ## (d) PRelu instead of LRelu
#
# Replace LRelu by PRelu: v = u for u ≥ 0, v = αu for u < 0, α learned (notebook 6; ∂v/∂α = u for u < 0 and 0
# otherwise, the same in both conventions at 0). The handout's U for this part is
# an image missing from the text; we use the U of the forward pass above, U = [[8, 5], [−0.5, −0.5]], with the
# handout's ∂L/∂V = [[2, −2.5], [1.5, 3]].
#
# * In terms of the current α₀: V = [[8, 5], [−0.5α₀, −0.5α₀]].
# * (∂L/∂α) at α₀ = Σ_{uᵢ<0} ∂L/∂vᵢ·uᵢ = 1.5·(−0.5) + 3·(−0.5) = **−2.25** (whatever α₀ is).

# %%
pr = checker.check_pool_lrelu_net_prelu(U=net.U, alpha=0.25)
print(pr)
assert pr.passed and pr.dL_dalpha == -2.25 and np.allclose(pr.V, [[8, 5], [-0.125, -0.125]])

# %% [markdown]
# **Exercise.** Write `prelu_dalpha(U, dL_dV)` returning ∂L/∂α (a number) for V = PRelu_α(U) with one shared α.

# %% [exercise prelu_dalpha]
def prelu_dalpha(U, dL_dV):
    """∂L/∂α = Σ over the entries with u < 0 of ∂L/∂v · u."""
    raise NotImplementedError("write ∂L/∂α here")

# %% [solution prelu_dalpha]
def prelu_dalpha(U, dL_dV):
    """∂L/∂α = Σ over the entries with u < 0 of ∂L/∂v · u."""
    return float(np.sum(np.where(U < 0, dL_dV * U, 0.0)))

# %%
check("prelu_dalpha", prelu_dalpha)

# %% [markdown]
# ## Your index number
#
# Type your index number below (six digits and a letter, like the handout's 180577X) and run the cells: you get your
# X, every forward and backward value computed twice (by the engine and by the hand-derived closed form, which
# must agree), the graph, and ∂L/∂α for part (d) with your U and the handout's ∂L/∂V.

# %%
INDEX = "180577X"   # ← type your index number here, e.g. "200311K"

# %%
mine = checker.check_pool_lrelu_net(INDEX, dL_dy=2.0)
print(mine)
print()
print(checker.check_pool_lrelu_net_prelu(U=mine.U, alpha=0.25))
assert mine.passed  # the engine and the hand-derived rules agree for any index
nonzero = np.count_nonzero(mine.dL_dX)
print(f"\n∂L/∂X has {nonzero} non-zero entries: one per window (its maximum)")
assert nonzero == 4

# %%
show(checker.pool_lrelu_net_graph(INDEX, dL_dy=2.0).root, edge_labels="contrib")

# %% [markdown]
# **Checkpoint.**
#
# 1. Why does every index number give exactly four non-zero entries in ∂L/∂X?
# 2. Which weight gets the largest gradient ∂L/∂wᵢ = ∂L/∂y·vᵢ for 180577X, and why?
# 3. Could ∂L/∂U ever have an entry equal to ∂L/∂V's? When?
#
# <details><summary>Answers</summary>
#
# 1. Each of the four 2×2 windows passes its gradient to its maximum only (the recipe makes the values of each
#    window distinct, so there are no ties), and that gradient is never 0: w has no zero entry, and LRelu's slope
#    on the negative side is 0.1 (ReLU's would be 0).
# 2. w₁: ∂L/∂w₁ = 2·v₁ = 2·8 = 16, because v₁ = 8 is the largest activation.
# 3. Yes, wherever u > 0 (LRelu′ = 1): here the top row, ∂L/∂U = ∂L/∂V = 2 and 4.
#
# </details>
#
# **Next:** [9. Training the handouts' models](09_training.ipynb).
