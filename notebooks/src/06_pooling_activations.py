"""Notebook 06: max-pooling and activations (source of notebooks/06_pooling_activations.ipynb; see build.py)."""

# %% [markdown]
# # 6. Max-pooling and activations
#
# *Sixth notebook of the series. About 45 minutes.*
#
# Two kinds of layer whose backward passes are short but full of traps:
#
# * **max-pooling** (CSC 249 HW2 Problems 4 and 5.3, Tsinghua HW1 §1.1, EN4553 A2 Q1): the gradient goes only to
#   the maximum of each window — but what if two entries tie for the maximum? There are three rules in use, and
#   only one of them is a true (sub)gradient;
# * **activations**: the ReLU (EECS 498 HW1 §1.2), tanh (Tsinghua HW1), the leaky ReLU and the parametric ReLU
#   (EN4553 A2 Q1), including the gradient with respect to PReLU's learned slope α, and what each does at its kink.

# %%
import matplotlib.pyplot as plt
import numpy as np

import microgradnet as mg
import microgradnet.functional as F
from microgradnet import closed_form as cf
from microgradnet.exercises import check

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## Max-pooling
#
# CSC 249 HW2 P4: with C channels, an M×N window and stride s,
#
# $$y(c, i, j) = \max_{m<M,\ n<N} x(c,\, i s + m,\, j s + n).$$
#
# Inside one window, max is a **selector**: if x(c, a, b) is the (unique) largest entry, then y = x(c, a, b) near
# the current point, so ∂y/∂x(c, a, b) = 1 and ∂y/∂(every other entry) = 0 — moving a non-maximum a little changes
# nothing. Hence
#
# $$\frac{\partial L}{\partial x(c,a,b)} = \sum_{(i,j):\ (a,b) = \operatorname{argmax\ of\ window}(i,j)}
#   \frac{\partial L}{\partial y(c,i,j)} .$$
#
# With non-overlapping windows (stride = window size, as EN4553's 2×2/stride 2) each position is in one window and
# the sum has at most one term. With **overlapping** windows (stride < window) a position can win several windows
# and then **collects all their gradients**.
#
# A 4×4 example with 2×2 windows and stride 2:

# %%
x = np.array([[1.0, 8.0, 0.5, 5.0],
              [7.0, 7.1, -1.0, -8.0],
              [-0.5, -5.0, -7.0, -7.1],
              [-1.0, -8.0, -0.5, -5.0]])
g = np.array([[2.0, 4.0], [2.0, 0.8]])            # ∂L/∂y, given
y = cf.max_pool2d(x[None], kernel_size=2, stride=2)[0]
dx = cf.max_pool2d_backward(x[None], g[None], kernel_size=2, stride=2)[0][0]
print("y =\n", y, "\ndL/dx =\n", dx)
assert np.array_equal(y, [[8, 5], [-0.5, -0.5]])
assert dx[0, 1] == 2 and dx[0, 3] == 4 and dx[2, 0] == 2 and dx[3, 2] == 0.8 and np.count_nonzero(dx) == 4

# %% [markdown]
# Overlapping windows: a 3×3 window with stride 1 on a 4×4 input has 4 windows; if the same entry is the maximum
# of all four, it collects four gradients.

# %%
x_ov = np.array([[0.0, 1.0, 0.0, 0.0],
                 [1.0, 9.0, 2.0, 0.0],
                 [0.0, 3.0, 1.0, 1.0],
                 [0.0, 0.0, 1.0, 0.0]])
g_ov = np.array([[1.0, 2.0], [3.0, 4.0]])
dx_ov = cf.max_pool2d_backward(x_ov[None], g_ov[None], kernel_size=3, stride=1)[0][0]
print("dL/dx =\n", dx_ov)
assert dx_ov[1, 1] == 1 + 2 + 3 + 4 and np.count_nonzero(dx_ov) == 1

# %% [markdown]
# ## Ties: three rules
#
# When two entries of a window share the maximum, max is not differentiable there: nudging one tied entry **up**
# by h raises y by h (slope 1), nudging it **down** leaves y unchanged (slope 0). Libraries must pick a rule:
#
# * **`all`** — CSC 249 HW2 P5.3: "the backward pass of max pooling should assign the gradient to multiple
#   activations which achieve the same maximum". Every tied entry gets the full ∂L/∂y.
# * **`first`** — PyTorch: only the first maximum (in row-major window order) gets it.
# * **`split`** — the k tied entries get ∂L/∂y / k each.
#
# Which one is "the" derivative? The central difference of notebook 1 averages the two one-sided slopes, 1 and 0:

# %%
win = np.array([[3.0, 3.0], [1.0, 2.0]])


def pooled(w):
    return cf.max_pool2d(w[None, None], kernel_size=2, stride=2).item()


h = 1e-6
numeric = np.zeros_like(win)
for idx in np.ndindex(win.shape):
    up, down = win.copy(), win.copy()
    up[idx] += h
    down[idx] -= h
    numeric[idx] = (pooled(up) - pooled(down)) / (2 * h)
rules = {tie: cf.max_pool2d_backward(win[None, None], np.ones((1, 1, 1, 1)), kernel_size=2, stride=2,
                                     tie=tie).dx[0, 0] for tie in ("all", "first", "split")}
print("central differences:\n", numeric)
for tie, d in rules.items():
    print(f"tie={tie!r}:", d.ravel(), f"(sum {d.sum():g})")
assert np.allclose(numeric, [[0.5, 0.5], [0, 0]], atol=1e-9)
assert list(rules["all"].ravel()) == [1, 1, 0, 0] and list(rules["first"].ravel()) == [1, 0, 0, 0]
assert list(rules["split"].ravel()) == [0.5, 0.5, 0, 0]

# %% [markdown]
# * `split` matches the central difference, and its total is 1: if *every* input rises by δ, y rises by δ.
# * `first` is also a valid subgradient (the slope of one side), also with total 1; it is what PyTorch does.
# * `all` hands out a total of 2: it is **not** the gradient of anything — but it is what CSC 249 asks for, and the
#   CSC 249 unit tests expect it. A gradient check at a tie will fail for `all` (and will be fragile for the
#   others), which is why `gradcheck` warns about inputs near a tie.
#
# Away from ties all three agree with each other and with the true derivative. Ties are not rare: after a ReLU,
# a window of all zeros is a four-way tie. The engine implements all three (`F.max_pool2d(..., tie=...)`):

# %%
for tie, d in rules.items():
    xt = mg.tensor(win[None, None], requires_grad=True)
    F.max_pool2d(xt, 2, stride=2, tie=tie).sum().backward()
    assert np.array_equal(xt.grad[0, 0], d)
print("autodiff agrees with the closed form under all three tie rules")

# %% [markdown]
# **Exercise.** Write `maxpool_backward(x, g, kernel_size, stride, tie)` for one image x (C, H, W) and
# g = ∂L/∂y (C, OH, OW), no padding, with `tie` one of `"all"`, `"first"`, `"split"`. `kernel_size` and `stride`
# may be an int or a (height, width) pair. Hints: `np.argwhere(window == window.max())` lists the tied positions
# in row-major order; **add** (+=) into dx so overlapping windows work. The hidden cases have ties under each rule
# and overlapping windows.

# %%
def pair(v):
    """2 -> (2, 2); (3, 2) -> (3, 2)."""
    return (v, v) if isinstance(v, (int, np.integer)) else tuple(v)

# %% [exercise maxpool_backward]
def maxpool_backward(x, g, kernel_size, stride, tie):
    """∂L/∂x for y = max-pool(x); x (C, H, W), g (C, OH, OW)."""
    raise NotImplementedError("write the max-pool backward here")

# %% [solution maxpool_backward]
def maxpool_backward(x, g, kernel_size, stride, tie):
    """∂L/∂x for y = max-pool(x); x (C, H, W), g (C, OH, OW)."""
    (kh, kw), (sh, sw) = pair(kernel_size), pair(stride)
    C, OH, OW = g.shape
    dx = np.zeros_like(x, dtype=float)
    for c in range(C):
        for i in range(OH):
            for j in range(OW):
                window = x[c, i * sh:i * sh + kh, j * sw:j * sw + kw]
                winners = np.argwhere(window == window.max())   # row-major order
                if tie == "first":
                    winners = winners[:1]
                share = g[c, i, j] / len(winners) if tie == "split" else g[c, i, j]
                for m, n in winners:
                    dx[c, i * sh + m, j * sw + n] += share
    return dx

# %%
check("maxpool_backward", maxpool_backward)

# %% [markdown]
# ## ReLU
#
# EECS 498 HW1 §1.2: "Let X be a tensor and Y = ReLU(X). Express ∂L/∂X in terms of ∂L/∂Y." ReLU(x) = max(0, x),
# applied to every entry on its own.
#
# 1. **The chain rule over every output**: ∂L/∂Xⱼ = Σᵢ ∂L/∂Yᵢ · ∂Yᵢ/∂Xⱼ, the sum over all entries i of Y.
# 2. **The Jacobian is diagonal.** Yᵢ = max(0, Xᵢ) depends on Xᵢ alone, so ∂Yᵢ/∂Xⱼ = 0 for i ≠ j and the sum keeps
#    one term: ∂L/∂Xⱼ = ∂L/∂Yⱼ · ∂Yⱼ/∂Xⱼ.
# 3. **The local derivative.** Where Xⱼ > 0, Yⱼ = Xⱼ: slope 1. Where Xⱼ < 0, Yⱼ = 0: slope 0.
# 4. So **∂L/∂X = ∂L/∂Y ⊙ 1[X > 0]**: the gradient passes where the input was positive and is blocked elsewhere.
#    The mask can be read from the output as well (Y > 0 exactly where X > 0), so a layer may save either.
#
# At Xⱼ = 0 exactly the function has a kink: ReLU is max(0, x), a **tie** between its two arguments, just like the
# tied window above. The slope is 1 on the right and 0 on the left, and a library has to pick. PyTorch and this
# library take **relu′(0) = 0**; the central difference, as at the max-pool tie, reports the average ½:

# %%
X = np.array([[1.5, -2.0, 0.0], [0.3, -0.1, 4.0]])
G = np.array([[1.0, 2.0, 3.0], [-1.0, 5.0, 0.5]])           # ∂L/∂Y, given
dX = cf.relu_backward(X, G).dx
Xt = mg.tensor(X, requires_grad=True)
F.relu(Xt).backward(mg.tensor(G))
h = 1e-6
numeric_at_0 = (max(0.0, 0.0 + h) - max(0.0, 0.0 - h)) / (2 * h)
print("dL/dX = dL/dY * 1[X > 0] =\n", dX, "\nautodiff =\n", Xt.grad)
print(f"at the kink X = 0: library relu'(0) = 0; central difference = {numeric_at_0:.2f}")
assert np.array_equal(dX, [[1.0, 0.0, 0.0], [-1.0, 0.0, 0.5]]) and np.array_equal(Xt.grad, dX)
assert abs(numeric_at_0 - 0.5) < 1e-9

# %% [markdown]
# The zero at position (0, 2) is the convention, not arithmetic: with relu′(0) = 1 it would be 3. Inputs exactly 0
# do occur (integer-valued data, a zero-padded border with no bias before the ReLU), so a gradient check must step
# around them; `gradcheck` warns when a point is within its step of a kink. A unit whose input is negative for every
# example gets no gradient at all and never recovers: a **dead ReLU** (notebook 3's small MLP showed the one-example
# version: its second hidden neuron passed nothing back).
#
# **Exercise.** Write `relu_backward(x, g)` returning ∂L/∂X for Y = ReLU(x), elementwise, given g = ∂L/∂Y (any
# shape), with relu′(0) = 0. The hidden cases include inputs exactly 0 and a 4-D feature map.

# %% [exercise relu_backward]
def relu_backward(x, g):
    """∂L/∂X for Y = max(0, X), relu'(0) = 0."""
    raise NotImplementedError("write the ReLU backward here")

# %% [solution relu_backward]
def relu_backward(x, g):
    """∂L/∂X for Y = max(0, X), relu'(0) = 0."""
    return np.where(x > 0, g, 0.0)

# %%
check("relu_backward", relu_backward)

# %% [markdown]
# ## tanh
#
# Tsinghua HW1 §1.1: y = (e^z − e^−z)/(e^z + e^−z). By the quotient rule, with u = e^z − e^−z and
# v = e^z + e^−z (so u′ = v and v′ = u):
#
# $$\frac{dy}{dz} = \frac{v\cdot v - u \cdot u}{v^2} = 1 - \frac{u^2}{v^2} = 1 - y^2 .$$
#
# The derivative is written with the **output** y, which the forward pass already computed: the backward pass
# needs no exponential. Elementwise, dL/dz = dL/dy ⊙ (1 − y²). At z = 0.5: y = 0.4621, 1 − y² = 0.7864.

# %%
z = 0.5
yv = (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))
slope = 1 - yv ** 2
numeric = (np.tanh(z + 1e-6) - np.tanh(z - 1e-6)) / 2e-6
print(f"tanh(0.5) = {yv:.4f}, 1 - y^2 = {slope:.4f}, central difference = {numeric:.4f}")
assert abs(yv - 0.4621) < 1e-4 and abs(slope - 0.7864) < 1e-4 and abs(numeric - slope) < 1e-9

zs = np.linspace(-4, 4, 161)
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(zs, np.tanh(zs), label="tanh z")
ax.plot(zs, 1 - np.tanh(zs) ** 2, label="1 − tanh² z")
ax.plot(zs, 1 / (1 + np.exp(-zs)) * (1 - 1 / (1 + np.exp(-zs))), "--", label="σ′(z) = σ(1 − σ)")
ax.legend(fontsize=8)
ax.set_xlabel("z")
plt.show()
print(f"largest slope: tanh' = {1 - np.tanh(0.0) ** 2:.2f}, sigmoid' = {0.5 * 0.5:.2f}; "
      f"at z = 4: tanh' = {1 - np.tanh(4.0) ** 2:.4f}")
assert abs((1 - np.tanh(4.0) ** 2) - 0.0013) < 1e-4

# %% [markdown]
# The slope is at most 1 (at z = 0) and almost 0 once |z| > 3: a **saturated** unit passes almost no gradient.
# The sigmoid is worse, its slope never exceeds 0.25 — the "main difficulty in training deep networks with the
# sigmoid non-linearity" of EECS 498 HW1 §7.1: each sigmoid layer multiplies the gradient by at most 0.25, so it
# vanishes after a few layers.
#
# **Exercise.** Write `tanh_backward(z, g)` returning dL/dz for y = tanh(z), elementwise, given g = dL/dy.

# %% [exercise tanh_backward]
def tanh_backward(z, g):
    """dL/dz for y = tanh(z)."""
    raise NotImplementedError("write the tanh backward here")

# %% [solution tanh_backward]
def tanh_backward(z, g):
    """dL/dz for y = tanh(z)."""
    y = np.tanh(z)
    return g * (1 - y * y)

# %%
check("tanh_backward", tanh_backward)

# %% [markdown]
# ## Leaky ReLU and parametric ReLU
#
# EN4553 A2 Q1: LRelu(x) = x if x ≥ 0, and 0.1x otherwise. Its derivative is 1 on the right and 0.1 on the left.
#
# **At exactly 0 there are two conventions.** The handout puts 0 in the "x if x ≥ 0" branch, so differentiating the
# branch that holds there gives **LRelu′(0) = 1**; this notebook uses that convention while it works EN4553's
# problem. PyTorch takes the slope of the *negative* side at 0 (LRelu′(0) = 0.1, PRelu′(0) = α), consistent with
# its relu′(0) = 0, and so do this library's engine and, by default, its closed forms (`kink="negative"`;
# `kink="positive"` gives the handout's). Both are valid subgradients (any slope between 0.1 and 1 is); the forward
# values agree, since both branches give 0 at 0; only ∂L/∂u at an input exactly 0 differs: g or 0.1·g (α·g).
#
# PRelu (Q1(d)) replaces 0.1 by a learned α: v = u for u ≥ 0, v = αu for u < 0. Two derivatives:
#
# * **∂v/∂u** = 1 (u ≥ 0) or α (u < 0), as for LRelu (the handout's convention; PyTorch: 1 for u > 0, α for u ≤ 0);
# * **∂v/∂α** = u where u < 0 and 0 elsewhere — the same in both conventions, since α·u = 0 at u = 0. One α is
#   shared by all the units, so its gradient adds over them:
#
# $$\frac{\partial L}{\partial \alpha} = \sum_{i:\ u_i < 0} \frac{\partial L}{\partial v_i}\, u_i .$$
#
# With the U of EN4553's max-pool → LeakyReLU → dense network for index 180577X (notebook 8),
# U = [[8, 5], [−0.5, −0.5]], and the handout's ∂L/∂V = [[2, −2.5], [1.5, 3]]:
#
# * V = [[8, 5], [−0.5α₀, −0.5α₀]] for the current α = α₀ (only the negative entries depend on α);
# * (∂L/∂α) at α₀ = 1.5·(−0.5) + 3·(−0.5) = **−2.25** — it does not depend on α₀ at all, because V is linear in α.

# %%
U = np.array([[8.0, 5.0], [-0.5, -0.5]])
dL_dV = np.array([[2.0, -2.5], [1.5, 3.0]])
part_d = cf.pool_lrelu_net_prelu(U, dL_dV)
print("V = V_const + alpha * V_alpha with V_const =\n", part_d.V_const, "\nand V_alpha =\n", part_d.V_alpha)
print("dL/dalpha =", part_d.dL_dalpha)
alpha = mg.tensor([0.25], requires_grad=True)
Ut = mg.tensor(U, requires_grad=True)
F.prelu(Ut, alpha).backward(mg.tensor(dL_dV))
print("autodiff: dL/dalpha =", alpha.grad, " dL/dU =\n", Ut.grad)
assert part_d.dL_dalpha == -2.25 and np.allclose(alpha.grad, [-2.25])
assert np.allclose(Ut.grad, [[2.0, -2.5], [1.5 * 0.25, 3.0 * 0.25]])

# %% [markdown]
# This U has no entry exactly 0, so the two conventions give the same numbers. They part only at 0:

# %%
u0 = np.array([-1.0, 0.0, 2.0])
g0 = np.ones(3)
handout = cf.prelu_backward(u0, 0.25, g0, kink="positive")
pytorch = cf.prelu_backward(u0, 0.25, g0, kink="negative")
u0t, alpha0 = mg.tensor(u0, requires_grad=True), mg.tensor([0.25], requires_grad=True)
F.prelu(u0t, alpha0).backward(mg.tensor(g0))
print("u = [-1, 0, 2], alpha = 0.25, dL/dv = 1")
print("EN4553 (x if x >= 0):    dL/du =", handout.dx, " dL/dalpha =", handout.dalpha)
print("PyTorch (slope at 0 = α): dL/du =", pytorch.dx, " dL/dalpha =", pytorch.dalpha)
print("this library's autodiff: dL/du =", u0t.grad, "(PyTorch's)")
assert list(handout.dx) == [0.25, 1.0, 1.0] and list(pytorch.dx) == [0.25, 0.25, 1.0]
assert np.array_equal(u0t.grad, pytorch.dx) and float(handout.dalpha) == float(pytorch.dalpha) == -1.0

# %% [markdown]
# **Exercise.** Write `prelu_backward(x, alpha, g)` for one shared α (a float): return `(dx, dalpha)` with
# `dalpha` a number. Convention at x = 0: **the handout's**, ∂v/∂x = 1 there (`check(..., kink="positive")` grades with
# it; `kink="negative"` would grade PyTorch's). The hidden cases include inputs exactly 0 and all-positive inputs;
# the rule checker's sweep then tries one α per channel (calling your function once per channel).

# %% [exercise prelu_backward]
def prelu_backward(x, alpha, g):
    """v = x (x ≥ 0) or alpha·x (x < 0). Returns (dL/dx, dL/dalpha)."""
    raise NotImplementedError("write the PReLU backward here")

# %% [solution prelu_backward]
def prelu_backward(x, alpha, g):
    """v = x (x ≥ 0) or alpha·x (x < 0). Returns (dL/dx, dL/dalpha)."""
    dx = np.where(x >= 0, g, alpha * g)               # EN4553: the x ≥ 0 branch holds at 0
    dalpha = float(np.sum(np.where(x < 0, g * x, 0.0)))
    return dx, dalpha

# %%
check("prelu_backward", prelu_backward, kink="positive")

# %% [markdown]
# **Checkpoint.**
#
# 1. A 2×2 max-pool window after a ReLU holds [0, 0, 0, 0] and ∂L/∂y = 1. What does each rule give?
# 2. Why is it cheaper to write tanh′ as 1 − y² than with exponentials?
# 3. α = 0.25 and every u is positive. What is ∂L/∂α? What does SGD do to α?
# 4. A PRelu input is exactly u = 0, with ∂L/∂v = 2 and α = 0.25. What is ∂L/∂u in EN4553's convention, and in
#    PyTorch's? What is this entry's share of ∂L/∂α?
#
# <details><summary>Answers</summary>
#
# 1. `all`: 1 to each of the four; `first`: 1 to the top-left, 0 elsewhere; `split`: 0.25 to each.
# 2. y was computed in the forward pass and can be saved; the backward then needs one multiply and one subtract.
# 3. 0: α multiplies only negative inputs; with none, α gets no gradient and SGD leaves it unchanged.
# 4. EN4553 ("x if x ≥ 0", slope 1 at 0): 2. PyTorch (the negative side's slope α at 0): 0.5. Its share of
#    ∂L/∂α is 0 in both: ∂v/∂α = u = 0.
#
# </details>
#
# **Next:** [7. Batch normalisation and dropout](07_batchnorm_dropout.ipynb).
