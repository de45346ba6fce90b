"""Notebook 07: batch norm and dropout (source of notebooks/07_batchnorm_dropout.ipynb; see notebooks/build.py)."""

# %% [markdown]
# # 7. Batch normalisation and dropout
#
# *Seventh notebook of the series. About an hour.*
#
# Two layers that behave differently in **training** and in **evaluation**, from EECS 498 HW1 §1.3–1.4 (and §7.2):
#
# * **batch normalisation** standardises each feature with the mean and variance *of the current batch*. Every
#   output depends on every input of the batch, so its backward pass is the longest derivation of the series. We do
#   it twice: **staged**, one small operation at a time along the graph, and as the **compact closed form**, and
#   check that they agree. Then the EECS 498 variant with its unusual σ;
# * **dropout** multiplies by a random 0/1 mask; its backward is one line, but the train/test scaling is where the
#   mistakes are.

# %%
import numpy as np

import microgradnet as mg
import microgradnet.functional as F
from microgradnet import closed_form as cf
from microgradnet import nn
from microgradnet.exercises import check
from viz import show  # show(root): draw the graph (its DOT text without Graphviz)

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## Batch norm, forward
#
# A batch x of m examples (rows) and D features (columns). Per feature:
#
# μ = (1/m) Σᵢ xᵢ,  σ² = (1/m) Σᵢ (xᵢ − μ)²,  x̂ᵢ = (xᵢ − μ)/√(σ² + ε),  yᵢ = γ x̂ᵢ + β.
#
# γ and β (one per feature) are learned; ε (10⁻⁵) keeps the division safe when a feature is constant in the batch.
#
# ## The staged graph
#
# Written as Tensor operations, the forward is a chain of small steps, each with an easy local derivative. Autodiff
# just walks it backwards. Here is the graph for a batch of 4 examples with 3 features, top to bottom (each box is
# a whole tensor, summarised by its shape and a few numbers; the loss L = Σ g ⊙ y with a fixed g plays the role of
# "whatever comes after"; the "broadcast" steps copy a per-feature row to every example, and their backward sums
# over the batch).

# %%
rng = np.random.default_rng(0)
x = rng.normal(size=(4, 3)) * 2 + 1
gamma, beta = np.array([1.5, 0.5, -1.0]), np.array([0.1, 0.0, 2.0])
g = rng.normal(size=(4, 3))

xt, gt, bt = (mg.tensor(a, requires_grad=True, label=n) for a, n in ((x, "x"), (gamma, "γ"), (beta, "β")))
mu = xt.mean(0, keepdim=True)
mu.label = "μ"
diff = xt - mu
diff.label = "x − μ"
var = (diff * diff).mean(0, keepdim=True)
var.label = "σ²"
inv_std = (var + 1e-5) ** -0.5
inv_std.label = "1/√(σ²+ε)"
xhat = diff * inv_std
xhat.label = "x̂"
y = gt * xhat + bt
y.label = "y"
L = (y * mg.tensor(g)).sum()
L.label = "L"
L.backward()
show(L, rankdir="TB", hide_constants=True)

# %% [markdown]
# Reading the graph backwards gives the **staged** backward, one line per node (g = ∂L/∂y, sums over the batch):
#
# 1. ∂L/∂β = Σᵢ gᵢ,  ∂L/∂γ = Σᵢ gᵢ x̂ᵢ,  ∂L/∂x̂ = γ g;
# 2. x̂ = (x − μ)·s with s = 1/√(σ² + ε): ∂L/∂s = Σᵢ ∂L/∂x̂ᵢ (xᵢ − μ), and (x − μ) gets ∂L/∂x̂ · s *directly*;
# 3. s = (σ² + ε)^(−½): ∂L/∂σ² = ∂L/∂s · (−½)(σ² + ε)^(−3/2);
# 4. σ² = (1/m) Σ (xᵢ − μ)²: (x − μ) gets a second contribution ∂L/∂σ² · 2(xᵢ − μ)/m — **add across paths**;
# 5. (x − μ): x gets ∂L/∂(x − μ) directly, and μ gets −Σᵢ ∂L/∂(xᵢ − μ);
# 6. μ = (1/m) Σ xᵢ: every x gets ∂L/∂μ / m — a third path.
#
# Done numerically, step by step:

# %%
m = x.shape[0]
mu_, var_ = x.mean(0), x.var(0)
s_ = 1 / np.sqrt(var_ + 1e-5)
xhat_ = (x - mu_) * s_
d_beta, d_gamma, d_xhat = g.sum(0), (g * xhat_).sum(0), gamma * g         # 1
d_s = (d_xhat * (x - mu_)).sum(0)                                          # 2
d_diff = d_xhat * s_
d_var = d_s * -0.5 * (var_ + 1e-5) ** -1.5                                 # 3
d_diff = d_diff + d_var * 2 * (x - mu_) / m                                # 4
d_mu = -d_diff.sum(0)                                                      # 5
d_x = d_diff + d_mu / m                                                    # 6
print("staged dL/dx =\n", d_x)
print("autodiff     =\n", xt.grad)
assert np.allclose(d_x, xt.grad, atol=1e-12) and np.allclose(d_gamma, gt.grad) and np.allclose(d_beta, bt.grad)

# %% [markdown]
# ## The compact closed form
#
# Collecting the three paths algebraically (the terms through μ and through σ² simplify because Σᵢ (xᵢ − μ) = 0)
# gives one line, per feature:
#
# $$\frac{\partial L}{\partial x_i} = \frac{\gamma}{m\sqrt{\sigma^2+\epsilon}}
#   \Big( m\, g_i - \sum_j g_j - \hat{x}_i \sum_j g_j \hat{x}_j \Big).$$
#
# Read it as: take the incoming gradient, remove its mean (the μ path) and its component along x̂ (the σ path),
# then scale. That is why batch-norm gradients always sum to zero over the batch and are orthogonal to x̂ (exactly
# when ε = 0, up to a term of order ε otherwise) — a uniform shift or rescaling of a feature's inputs cannot change
# its (normalised) outputs.

# %%
closed = cf.batch_norm_backward(x, gamma, beta, g)
print("closed form dL/dx =\n", closed.dx)
print("dL/dx sums to 0 over the batch:", np.allclose(closed.dx.sum(0), 0, atol=1e-12),
      "  sum of dL/dx * xhat is O(eps):", np.abs((closed.dx * xhat_).sum(0)).max() < 1e-4)
report = mg.gradcheck(lambda x: (F.batch_norm(x, None, None, mg.tensor(gamma), mg.tensor(beta), training=True)
                                 * mg.tensor(g)).sum(), x)
print("autodiff vs central differences:", "PASS" if report.passed else "FAIL")
assert np.allclose(closed.dx, d_x, atol=1e-12) and np.allclose(closed.dgamma, d_gamma)
assert np.allclose(closed.dx.sum(0), 0, atol=1e-12) and np.abs((closed.dx * xhat_).sum(0)).max() < 1e-4
eps0 = cf.batch_norm_backward(x, gamma, beta, g, eps=0.0).dx
assert np.allclose((eps0 * (x - mu_) / x.std(0)).sum(0), 0, atol=1e-12)  # exactly orthogonal when ε = 0
assert report.passed

# %% [markdown]
# **Exercise.** Write `batchnorm_backward(x, gamma, beta, g, eps=1e-5)` for x (N, D) in training mode, returning
# `(dx, dgamma, dbeta)`. Use the compact form (or the staged one). The hidden cases include a batch of 2, features
# far from 0 and a constant feature; the rule checker's sweep then adds images (N, C, H, W), whose statistics are
# per channel (it reshapes them to (N·H·W, C) for your function).

# %% [exercise batchnorm_backward]
def batchnorm_backward(x, gamma, beta, g, eps=1e-5):
    """Training-mode batch norm over the rows of x (N, D). Returns (dL/dx, dL/dgamma, dL/dbeta)."""
    raise NotImplementedError("write the batch-norm backward here")

# %% [solution batchnorm_backward]
def batchnorm_backward(x, gamma, beta, g, eps=1e-5):
    """Training-mode batch norm over the rows of x (N, D). Returns (dL/dx, dL/dgamma, dL/dbeta)."""
    m = x.shape[0]
    mu = x.mean(axis=0)
    std = np.sqrt(((x - mu) ** 2).mean(axis=0) + eps)
    xhat = (x - mu) / std
    dbeta = g.sum(axis=0)
    dgamma = (g * xhat).sum(axis=0)
    dx = gamma / (m * std) * (m * g - dbeta - xhat * dgamma)
    return dx, dgamma, dbeta

# %%
check("batchnorm_backward", batchnorm_backward)

# %% [markdown]
# ## Training and evaluation
#
# In training, an example's output depends on the *other* examples of its batch (through μ and σ²). At test time we
# want a deterministic function of one example, so `BatchNorm1d` keeps **running averages** of the batch statistics
# during training (`running_mean ← 0.9·running_mean + 0.1·μ`, and likewise for the unbiased variance) and uses
# them after `.eval()`. The same example in two different batches:

# %%
bn = nn.BatchNorm1d(3)
sample = x[:1]
batch_a = np.concatenate([sample, rng.normal(size=(3, 3))])
batch_b = np.concatenate([sample, rng.normal(size=(3, 3)) + 5])
out_a, out_b = bn(mg.tensor(batch_a)).numpy()[0], bn(mg.tensor(batch_b)).numpy()[0]
print("train mode, batch A:", out_a, "\ntrain mode, batch B:", out_b)
print("running_mean after two batches:", bn.running_mean.numpy())
bn.eval()
eval_a, eval_b = bn(mg.tensor(batch_a)).numpy()[0], bn(mg.tensor(batch_b)).numpy()[0]
print("eval mode, batch A: ", eval_a, "\neval mode, batch B: ", eval_b)
expected_rm = 0.9 * (0.1 * batch_a.mean(0)) + 0.1 * batch_b.mean(0)
assert not np.allclose(out_a, out_b) and np.allclose(eval_a, eval_b)
assert np.allclose(bn.running_mean.numpy(), expected_rm)

# %% [markdown]
# In evaluation mode μ and σ² are constants, so the layer is an elementwise affine map and its backward is just
# ∂L/∂x = g·γ/√(running_var + ε) — none of the extra paths.

# %%
xe = mg.tensor(batch_a, requires_grad=True)
bn(xe).backward(mg.tensor(np.ones_like(batch_a)))
scale = bn.weight.numpy() / np.sqrt(bn.running_var.numpy() + bn.eps)
print("eval-mode dL/dx (g = 1):", xe.grad[0], " gamma / sqrt(running_var + eps):", scale)
assert np.allclose(xe.grad, np.broadcast_to(scale, batch_a.shape))

# %% [markdown]
# ## The EECS 498 variant
#
# EECS 498 HW1 §1.4 defines, for rows Xᵢ ∈ ℝᵈ,
#
# Yᵢ = (Xᵢ − μ)/σ,  μ = (1/n) Σⱼ Xⱼ,  **σ = √(Σⱼ ‖Xⱼ − μ‖² + ε)**
#
# — read literally, σ is **one number for the whole batch** (‖·‖² sums over the d features) and has **no 1/n**.
# It asks for ∂μ/∂Xᵢ, ∂σ/∂Xᵢ and then ∂L/∂Xᵢ:
#
# * ∂μ/∂Xᵢ = (1/n) I_d;
# * ∂σ/∂Xᵢ = (1/2σ) Σⱼ 2(Xⱼ − μ)ᵀ(∂Xⱼ/∂Xᵢ − ∂μ/∂Xᵢ) = (Xᵢ − μ)/σ, because the μ terms add up to
#   −(1/n) Σⱼ (Xⱼ − μ) = 0;
# * ∂L/∂Xᵢ = Σⱼ ∂L/∂Yⱼ ∂Yⱼ/∂Xᵢ = (Gᵢ − Ḡ)/σ − (Xᵢ − μ) Σⱼ ⟨Gⱼ, Xⱼ − μ⟩/σ³, with G = ∂L/∂Y and Ḡ its mean over
#   the batch.

# %%
X = rng.normal(size=(5, 3)) * 1.5 - 0.5
G = rng.normal(size=(5, 3))
dsig = cf.eecs498_dsigma_dXi(X, 2)
Xt = mg.tensor(X, requires_grad=True)
D = Xt - Xt.mean(0, keepdim=True)
sigma = ((D * D).sum() + 1e-5).sqrt()
sigma.backward()
print("dsigma/dX_2 by the formula:", dsig, "  by autodiff:", Xt.grad[2])
assert np.allclose(dsig, Xt.grad[2]) and np.allclose(cf.eecs498_dmu_dXi(X, 2), np.eye(3) / 5)
Xt = mg.tensor(X, requires_grad=True)
D = Xt - Xt.mean(0, keepdim=True)
(D / ((D * D).sum() + 1e-5).sqrt()).backward(mg.tensor(G))
seed_rule = cf.batch_norm_eecs498_backward(X, G).dX
print("dL/dX by the seed's formula equals autodiff:", np.allclose(seed_rule, Xt.grad, atol=1e-12))
print(f"sigma = {float(sigma.item()):.4f} (one number); the usual per-feature std would be {X.std(0)}")
assert np.allclose(seed_rule, Xt.grad, atol=1e-12)

# %% [markdown]
# With this σ the outputs are much smaller than with the usual per-feature standard deviation (σ here is about
# √(n·d) times larger), which is why most students read the seed as the usual batch norm; the library implements
# both readings (`per_feature=True` gives one σ per feature, still without 1/n).
#
# ## Dropout
#
# EECS 498 HW1 §1.3: given a mask M of 0s and 1s (1 = kept, each kept with probability 1 − p), Y = X ⊙ M. The mask
# is a constant, so **∂L/∂X = ∂L/∂Y ⊙ M**: dropped units pass no gradient.
#
# §7.2 asks how to use the layer at test time. During training a unit's output is X with probability 1 − p and 0
# otherwise, so its **expected** output is (1 − p)X. Without a mask at test time, multiply by (1 − p) to match.
# **Inverted dropout** (what PyTorch and this library's `nn.Dropout` do) moves the factor into training:
# Y = X ⊙ M/(1 − p), expected output X, and the test-time layer is the identity; its backward is
# ∂L/∂X = ∂L/∂Y ⊙ M/(1 − p).

# %%
mg.manual_seed(0)
drop = nn.Dropout(p=0.25)
ones = mg.tensor(np.ones((2000, 50)), requires_grad=True)
out = drop(ones)
kept = float((out.numpy() != 0).mean())
print(f"kept fraction {kept:.3f} (1 - p = 0.75); kept units are scaled to {out.numpy().max():.4f} = 1/0.75; "
      f"mean output {out.numpy().mean():.3f}")
out.backward(mg.tensor(np.ones((2000, 50))))
assert abs(kept - 0.75) < 0.01 and np.isclose(out.numpy().max(), 1 / 0.75)
assert np.array_equal(ones.grad, out.numpy())  # ∂L/∂X = g ⊙ M/(1 − p) with g = 1
drop.eval()
assert np.array_equal(drop(ones).numpy(), ones.numpy())
print("after .eval(): the identity")

# %% [markdown]
# **Exercise.** Write `dropout_backward(mask, g, p, inverted)`: ∂L/∂X for the seed's form (Y = X ⊙ M,
# `inverted=False`) or inverted dropout (Y = X ⊙ M/(1 − p), `inverted=True`), in training mode.

# %% [exercise dropout_backward]
def dropout_backward(mask, g, p, inverted):
    """∂L/∂X for Y = X ⊙ M (inverted=False) or X ⊙ M / (1 − p) (inverted=True)."""
    raise NotImplementedError("write the dropout backward here")

# %% [solution dropout_backward]
def dropout_backward(mask, g, p, inverted):
    """∂L/∂X for Y = X ⊙ M (inverted=False) or X ⊙ M / (1 − p) (inverted=True)."""
    return g * mask / (1 - p) if inverted else g * mask

# %%
check("dropout_backward", dropout_backward)

# %% [markdown]
# **Checkpoint.**
#
# 1. Why do the batch-norm input gradients of a batch always sum to zero (per feature)?
# 2. A network with batch norm is evaluated on one image at a time in training mode by mistake. What happens?
# 3. With p = 0.5 and the seed's form of dropout, what must the test-time layer compute? And with inverted
#    dropout?
#
# <details><summary>Answers</summary>
#
# 1. Adding the same constant to every example of a feature changes μ by that constant and leaves x̂, hence y
#    and L, unchanged: the directional derivative along (1, 1, …, 1) is zero, and that is the sum of the gradients.
# 2. With a batch of one, x − μ = 0 for every feature: every output equals β, whatever the image (and the gradient
#    with respect to x is 0). `microgradnet` refuses to train batch norm on one value per channel.
# 3. Y = (1 − p)X = 0.5X (scale by the keep probability); with inverted dropout, Y = X.
#
# </details>
#
# **Next:** [8. The EN4553 toy network, end to end](08_toy_network.ipynb).
