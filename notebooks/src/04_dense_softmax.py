"""Notebook 04: dense layer, softmax and NLL (source of notebooks/04_dense_softmax.ipynb; see notebooks/build.py)."""

# %% [markdown]
# # 4. The fully connected layer, softmax and the negative log-likelihood
#
# *Fourth notebook of the series. About an hour.*
#
# From here on the nodes hold arrays, and the question every homework asks is: given ∂L/∂y for a layer's output,
# what are the gradients with respect to its input and parameters — as a formula you can write with matrices? This
# notebook derives them for the two building blocks of every classifier, following the homework handouts:
#
# * the fully connected layer y = Wx + b (CSC 249 HW2 Problem 2, CS 4670 PA5 B, EECS 498 HW1 §1.1);
# * softmax followed by the negative log-likelihood (CSC 249 HW2 Problem 1, CS 4670 PA5 C, EN4553 A2 Q2),
#   and why every implementation subtracts the maximum first (EN4553 A2 Q2(a)).
#
# Each result is checked three ways: the **closed form** derived here (written out in
# `microgradnet.closed_form`), **autodiff** (the engine, with `Tensor`), and **finite differences**
# (`microgradnet.gradcheck`).

# %%
import matplotlib.pyplot as plt
import numpy as np

import microgradnet as mg
import microgradnet.functional as F
from microgradnet import closed_form as cf
from microgradnet.exercises import check
from viz import show  # show(root): draw the graph (its DOT text without Graphviz)

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## The fully connected layer: derivation
#
# CSC 249 HW2 Problem 2: x ∈ ℝᴸ, W ∈ ℝᴼˣᴸ, b ∈ ℝᴼ and **y = Wx + b**. Given ∂L/∂y, find ∂L/∂W, ∂L/∂b, ∂L/∂x.
#
# CS 4670's hint is the way to do it: write the matrix product with scalars, use the scalar chain rule, and turn
# the result back into matrices at the end. Component by component,
#
# $$y_i = \sum_j W_{ij} x_j + b_i .$$
#
# * **W.** W_ij appears only in y_i, multiplied by x_j, so ∂y_i/∂W_ij = x_j and
#   ∂L/∂W_ij = ∂L/∂y_i · x_j. As a matrix: **∂L/∂W = (∂L/∂y) xᵀ**, an outer product with W's shape O×L.
# * **b.** ∂y_i/∂b_i = 1, so **∂L/∂b = ∂L/∂y**.
# * **x.** x_j appears in *every* y_i (the layer is "fully connected"), so we add across those paths:
#   ∂L/∂x_j = Σ_i ∂L/∂y_i · W_ij = (Wᵀ ∂L/∂y)_j. So **∂L/∂x = Wᵀ ∂L/∂y** — CS 4670's "AᵀB" with A = W and
#   B = ∂L/∂y.
#
# A useful habit: **a gradient has the shape of what it is the gradient of**. ∂L/∂W must be O×L, and (O×1)(1×L)
# is the only product of ∂L/∂y and x with that shape; ∂L/∂x must have L entries, and only Wᵀ (L×O) times ∂L/∂y
# (O) gives that.
#
# (EECS 498 HW1 §1.1 writes the same layer as Y = WᵀX + b with W ∈ ℝ^{d_k×d_o}, and in code with one example per
# *row*: Y = XW + b, giving ∂L/∂W = XᵀG, ∂L/∂b = Σₙ Gₙ, ∂L/∂X = GWᵀ. Same derivation, transposed bookkeeping.)
#
# ## With numbers: closed form, autodiff, finite differences

# %%
W = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]])
x = np.array([2.0, -1.0, 4.0])
b = np.array([0.5, -0.5])
g = np.array([1.0, -2.0])  # ∂L/∂y, given

y = cf.linear_columns(x, W, b)
closed = cf.linear_columns_backward(x, W, b, g)
print("y = Wx + b       =", y)
print("dL/dW = g x^T    =\n", closed.dW)
print("dL/db = g        =", closed.db)
print("dL/dx = W^T g    =", closed.dx)
assert np.allclose(y, [6.5, 1.5])
assert np.allclose(closed.dW, [[2, -1, 4], [-4, 2, -8]]) and np.allclose(closed.dx, [-5, -2, 2.5])

# %% [markdown]
# Autodiff: the same layer with `Tensor`s. `y.backward(g)` starts backward from y with ∂L/∂y = g (as if
# L = Σ gᵢ yᵢ).

# %%
Wt, xt, bt = (mg.tensor(a, requires_grad=True) for a in (W, x, b))
yt = Wt @ xt + bt
yt.backward(mg.tensor(g))
print("autodiff dL/dW =\n", Wt.grad, "\nautodiff dL/dx =", xt.grad, " dL/db =", bt.grad)
assert np.array_equal(Wt.grad, closed.dW) and np.array_equal(xt.grad, closed.dx) and np.array_equal(bt.grad, g)

# %% [markdown]
# Finite differences: `gradcheck` nudges every entry of W, x and b by ±10⁻⁶.

# %%
report = mg.gradcheck(lambda W, x, b: ((W @ x + b) * mg.tensor(g)).sum(), W, x, b)
for r in report.inputs:
    print(f"{r.name} {r.shape}: autodiff and central differences agree within 1e-8: {r.max_abs_error < 1e-8}")
assert report.passed and max(r.max_abs_error for r in report.inputs) < 1e-8

# %% [markdown]
# Down at the scalar level, each yᵢ is a sum of products, and each xⱼ feeds both outputs — the "add across paths"
# of notebook 2. `scalar_level` runs the same Tensor code with one `Value` per scalar operation, so the graph can
# be drawn (here a 2×2 layer, with L = Σ gᵢ yᵢ on top).

# %%
W2 = mg.tensor([[1.0, -2.0], [3.0, 0.5]], requires_grad=True)
x2 = mg.tensor([2.0, -1.0], requires_grad=True)
b2 = mg.tensor([0.5, -0.5], requires_grad=True)
g2 = mg.tensor([1.0, -2.0])
with mg.scalar_level({"W": W2, "x": x2, "b": b2, "g": g2}):
    L = ((W2 @ x2 + b2) * g2).sum()
L.backward()
print("x.grad =", x2.grad, " (W^T g =", W2.data.T @ np.array([1.0, -2.0]), ")")
assert np.allclose(x2.grad, W2.data.T @ np.array([1.0, -2.0]))
show(L, edge_labels="contrib")

# %% [markdown]
# **Exercise.** Write `linear_backward(x, W, b, g)` for y = Wx + b returning `(dx, dW, db)`. `x` is a vector
# (L,) — or, for a batch, a matrix (L, N) whose N columns are examples, with `g` then (O, N) and `b` (O,) or
# (O, 1) added to every column. For a batch, ∂L/∂W = Σₙ gₙxₙᵀ = G Xᵀ and ∂L/∂b = Σₙ gₙ: the bias is shared by the
# columns, so its gradient is a **sum**. (Hint: `x.reshape(L, -1)` turns a vector into one column.) The check
# runs a tall W, a square W, one output, and the rule checker's batches.

# %% [exercise linear_backward]
def linear_backward(x, W, b, g):
    """y = W x + b. Returns (dL/dx, dL/dW, dL/db), each with the shape of x, W, b."""
    raise NotImplementedError("write the three gradients here")

# %% [solution linear_backward]
def linear_backward(x, W, b, g):
    """y = W x + b. Returns (dL/dx, dL/dW, dL/db), each with the shape of x, W, b."""
    O, L = W.shape
    X = x.reshape(L, -1)          # one column per example
    G = g.reshape(O, -1)
    dx = (W.T @ G).reshape(x.shape)
    dW = G @ X.T                  # Σ over examples of g xᵀ
    db = G.sum(axis=1).reshape(b.shape)
    return dx, dW, db

# %%
check("linear_backward", linear_backward)

# %% [markdown]
# ## Softmax and the negative log-likelihood: derivation
#
# A classifier outputs raw scores (logits) s ∈ ℝᴷ. **Softmax** turns them into probabilities,
#
# $$p_i = \frac{e^{s_i}}{\sum_j e^{s_j}},$$
#
# and the loss for an example of class y (the ground truth, "gt") is the **negative log-likelihood**
# L = −log p_y. (EN4553 A2 Q2(b): this is the cross-entropy H(g, p) = −Σᵢ gᵢ log pᵢ between the one-hot target
# g and p, since only the term i = y survives. Minimising it pushes the probability of the right class towards 1.)
#
# CSC 249 P1, CS 4670 C and EN4553 Q2(c) all ask to show
#
# $$\frac{\partial L}{\partial s_i} = p_i - 1[i = y], \qquad\text{i.e.}\qquad \frac{\partial L}{\partial s} = p - t.$$
#
# Following CS 4670's hint, go through p: ∂L/∂sᵢ = Σₖ ∂L/∂pₖ · ∂pₖ/∂sᵢ, and only k = y has ∂L/∂pₖ ≠ 0
# (∂L/∂p_y = −1/p_y). The softmax's own derivative, by the quotient rule, is
#
# $$\frac{\partial p_k}{\partial s_i} = p_k(1[k=i] - p_i).$$
#
# So ∂L/∂sᵢ = −(1/p_y)·p_y(1[y=i] − pᵢ) = pᵢ − 1[i = y]. The gradient pushes the right class's score up (pᵢ − 1 < 0)
# and every other score down, each in proportion to its probability. For a batch whose loss is the **mean** over N
# examples, each row also gets a factor 1/N.
#
# ## With numbers

# %%
s = np.array([[2.0, 1.0, 0.1]])
label = np.array([0])
p = cf.softmax(s)
loss = cf.cross_entropy(s, label)
closed = cf.cross_entropy_backward(s, label).dscores
print("p =", p, " L = -log p_0 =", round(loss, 4))
print("closed form p - t =", closed)
st = mg.tensor(s, requires_grad=True)
lt = F.cross_entropy(st, label)
lt.backward()
print("autodiff          =", st.grad)
assert np.allclose(p, [[0.6590, 0.2424, 0.0986]], atol=1e-4) and abs(loss - 0.4170) < 1e-4
assert np.allclose(closed, p - [[1, 0, 0]]) and np.allclose(st.grad, closed, rtol=1e-12)
report = mg.gradcheck(lambda s: F.cross_entropy(s, label), s)
assert report.passed

# %% [markdown]
# The softmax Jacobian ∂pₖ/∂sᵢ = pₖ(1[k=i] − pᵢ) = diag(p) − p pᵀ, and the chain through it:

# %%
pv = p[0]
J = np.diag(pv) - np.outer(pv, pv)
dL_dp = np.array([-1 / pv[0], 0.0, 0.0])
print("Jacobian dp/ds =\n", J)
print("J^T dL/dp =", J.T @ dL_dp)
assert np.allclose(J.T @ dL_dp, closed[0])
assert np.allclose(J.sum(axis=0), 0)  # adding a constant to every score changes no probability

# %% [markdown]
# The columns of the Jacobian sum to zero: adding the same constant to every score leaves p unchanged. That is the
# fact behind the next section.
#
# ## Why the maximum is subtracted
#
# EN4553 A2 Q2(a): let z̃ = z − max(z)·1. Then softmax(z̃) = softmax(z), because
#
# $$\frac{e^{z_i - m}}{\sum_j e^{z_j - m}} = \frac{e^{-m} e^{z_i}}{e^{-m}\sum_j e^{z_j}}
#   = \frac{e^{z_i}}{\sum_j e^{z_j}} .$$
#
# Mathematically nothing changes; numerically everything does. float64 overflows above e^709.78 (≈ 1.8·10³⁰⁸),
# float32 already above e^88.72. A logit of 1000 is not unusual for an untrained or diverging network:

# %%
z = np.array([1000.0, 999.0, -1000.0])
with np.errstate(over="ignore", invalid="ignore"):
    exps = np.exp(z)
    naive = exps / exps.sum()
stable = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
print("exp(z)          =", exps)
print("naive softmax   =", naive)
print("stable softmax  =", stable)
print("largest float64 exponent:", round(np.log(np.finfo(np.float64).max), 2),
      " float32:", round(float(np.log(np.finfo(np.float32).max)), 2))
assert np.isnan(naive[:2]).all() and np.allclose(stable, [0.7311, 0.2689, 0.0], atol=1e-4)
assert np.allclose(stable, F.softmax(mg.tensor(z), dim=0).numpy())

# %% [markdown]
# After the shift the largest exponent is e⁰ = 1, so nothing overflows, and the sum is at least 1, so nothing
# divides by zero. The same idea makes the loss itself stable: −log p_y = log Σⱼ e^{sⱼ} − s_y, with the log-sum-exp
# computed as m + log Σⱼ e^{sⱼ − m}. Computing log(p_y) after a softmax that rounded p_y to 0 gives −log 0 = ∞:

# %%
s_ext = np.array([[1000.0, -1000.0, 0.0]])
p_ext = cf.softmax(s_ext)
with np.errstate(divide="ignore"):
    naive_loss = -np.log(p_ext[0, 1])
stable_loss = cf.cross_entropy(s_ext, np.array([1]))
print(f"p = {p_ext[0]}; -log p_1 computed from p: {naive_loss}; with log-sum-exp: {stable_loss}")
assert np.isinf(naive_loss) and stable_loss == 2000.0

# %% [markdown]
# **Exercise.** Write `stable_softmax(z)`: softmax over the last axis (each row of a 2-D array is one example),
# stable for any logits. The check includes logits of ±1000 and a row of very negative logits.

# %% [exercise stable_softmax]
def stable_softmax(z):
    """p = softmax(z) over the last axis, computed without overflow."""
    raise NotImplementedError("write the stable softmax here")

# %% [solution stable_softmax]
def stable_softmax(z):
    """p = softmax(z) over the last axis, computed without overflow."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)

# %%
check("stable_softmax", stable_softmax)

# %% [markdown]
# **Exercise.** Write `cross_entropy_backward(scores, labels)`: `scores` is (N, K), `labels` N integer classes;
# the loss is the mean over the batch of −log p_{n, yₙ}. Return ∂L/∂scores, shape (N, K). Use your stable softmax
# (extreme logits are among the hidden cases).

# %% [exercise cross_entropy_backward]
def cross_entropy_backward(scores, labels):
    """∂L/∂scores for L = mean_n −log softmax(scores_n)[labels_n]."""
    raise NotImplementedError("write the gradient here")

# %% [solution cross_entropy_backward]
def cross_entropy_backward(scores, labels):
    """∂L/∂scores for L = mean_n −log softmax(scores_n)[labels_n]."""
    N = scores.shape[0]
    d = stable_softmax(scores)               # p
    d[np.arange(N), labels] -= 1.0           # p − t
    return d / N                             # the mean over the batch

# %%
check("cross_entropy_backward", cross_entropy_backward)

# %% [markdown]
# ## A picture: how the gradient moves the scores
#
# For two classes with scores (s, 0) and label 0, the loss is log(1 + e^{−s}) and ∂L/∂s = p₀ − 1. A confident
# right answer (large s) gets almost no gradient; a confident wrong one (very negative s) gets the full −1.

# %%
sv = np.linspace(-6, 6, 121)
two = np.stack([sv, np.zeros_like(sv)], axis=1)
losses = np.array([cf.cross_entropy(row[None], np.array([0])) for row in two])
grads = cf.cross_entropy_backward(two, np.zeros(len(sv), dtype=int)).dscores[:, 0] * len(sv)
fig, ax = plt.subplots(figsize=(6, 3.2))
ax.plot(sv, losses, label="loss −log p₀")
ax.plot(sv, grads, label="∂L/∂s₀ = p₀ − 1")
ax.axhline(0, color="grey", lw=0.5)
ax.set_xlabel("score of the right class, s₀ (other score 0)")
ax.legend()
plt.show()
assert abs(grads[60] + 0.5) < 1e-12 and abs(losses[60] - np.log(2)) < 1e-12  # s₀ = 0: p₀ = ½, L = log 2

# %% [markdown]
# At s₀ = 0 both classes have probability ½: the loss is log 2 = 0.693 and the gradient −0.5.
#
# **Checkpoint.**
#
# 1. What are the shapes of ∂L/∂W and ∂L/∂x for W ∈ ℝ^{10×784}? Which product gives each?
# 2. For a batch of 32 examples, is ∂L/∂b the sum or the mean of the per-example gradients? (The loss is the mean
#    over the batch.)
# 3. Softmax of [3, 1, −2] and of [1003, 1001, 998] — equal or not? Which is safe to compute naively in float32?
# 4. Why does minimising −log p_y make sense (EN4553 Q2(b))?
#
# <details><summary>Answers</summary>
#
# 1. ∂L/∂W is 10×784 = (∂L/∂y)(10×1) · xᵀ(1×784); ∂L/∂x has 784 entries = Wᵀ(784×10) · ∂L/∂y(10).
# 2. With ∂L/∂y already carrying the 1/N of the mean loss, ∂L/∂b is the **sum** over the batch of those rows. The
#    1/N comes from the loss, not from the layer.
# 3. Equal (they differ by the constant 1000). Only the first: e^1003 overflows float32 (limit e^88.7) and even
#    float64 (limit e^709.8).
# 4. −log p_y is 0 when the model gives the right class probability 1 and grows without bound as that probability
#    goes to 0; it is the log-likelihood of the data under the model, so minimising it is maximum likelihood.
#
# </details>
#
# **Next:** [5. Convolution](05_convolution.ipynb).
