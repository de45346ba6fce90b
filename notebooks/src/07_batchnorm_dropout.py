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
#   check that they agree. Then the EECS 498 variant with its unusual σ, the handout's own route through ∂σ/∂x, and
#   its test-mode forward;
# * **dropout** multiplies by a random 0/1 mask; its backward is one line, but the train/test scaling is where the
#   mistakes are.
#
# At the end, all the layers of notebooks 4–7 together: the EECS 498 VGG11, forward and backward.

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
dsig = cf.batch_norm_one_sigma_dsigma_dXi(X, 2)
Xt = mg.tensor(X, requires_grad=True)
D = Xt - Xt.mean(0, keepdim=True)
sigma = ((D * D).sum() + 1e-5).sqrt()
sigma.backward()
print("dsigma/dX_2 by the formula:", dsig, "  by autodiff:", Xt.grad[2])
assert np.allclose(dsig, Xt.grad[2]) and np.allclose(cf.batch_norm_one_sigma_dmu_dXi(X, 2), np.eye(3) / 5)
Xt = mg.tensor(X, requires_grad=True)
D = Xt - Xt.mean(0, keepdim=True)
(D / ((D * D).sum() + 1e-5).sqrt()).backward(mg.tensor(G))
handout_rule = cf.batch_norm_one_sigma_backward(X, G).dX
print("dL/dX by the handout's formula equals autodiff:", np.allclose(handout_rule, Xt.grad, atol=1e-12))
print(f"sigma = {float(sigma.item()):.4f} (one number); the usual per-feature std would be {X.std(0)}")
assert np.allclose(handout_rule, Xt.grad, atol=1e-12)

# %% [markdown]
# With this σ the outputs are much smaller than with the usual per-feature standard deviation (σ here is about
# √(n·d) times larger), which is why most students read the handout as the usual batch norm; the library implements
# both readings (`per_feature=True` gives one σ per feature, still without 1/n).
#
# **A worked example.** n = 3 rows, d = 2 features, ε = 0 so that the numbers stay exact:
#
# X = [[1, 2], [3, 0], [5, 4]],  G = ∂L/∂Y = [[1, 0], [0, 1], [1, −1]].
#
# 1. μ = (3, 2), so X − μ = [[−2, 0], [0, −2], [2, 2]].
# 2. σ = √(Σⱼ ‖Xⱼ − μ‖²) = √(4 + 4 + 8) = 4 — one number for the batch; ∂σ/∂X₁ = (X₁ − μ)/σ = (−1/2, 0).
# 3. Ḡ = (2/3, 0) and Σⱼ ⟨Gⱼ, Xⱼ − μ⟩ = (−2 + 0) + (0 − 2) + (2 − 2) = −4, so
#    ∂L/∂X = (G − Ḡ)/4 − (X − μ)·(−4)/4³ = (G − Ḡ)/4 + (X − μ)/16
#    = [[−1/24, 0], [−1/6, 1/8], [5/24, −1/8]].
#
# Each column of ∂L/∂X adds up to 0: shifting every row by the same vector changes neither X − μ nor σ, so it cannot
# change L.

# %%
Xw, Gw = np.array([[1.0, 2.0], [3.0, 0.0], [5.0, 4.0]]), np.array([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]])
dX_by_hand = np.array([[-1 / 24, 0.0], [-1 / 6, 1 / 8], [5 / 24, -1 / 8]])
mu_w, sigma_w = cf.batch_norm_one_sigma_stats(Xw, eps=0.0)
print("mu =", mu_w, " sigma =", float(sigma_w), " dsigma/dX_1 =", cf.batch_norm_one_sigma_dsigma_dXi(Xw, 0, eps=0.0))
print("dL/dX by hand:\n", dX_by_hand)
assert np.allclose(mu_w, [3.0, 2.0]) and float(sigma_w) == 4.0
assert np.allclose(cf.batch_norm_one_sigma_backward(Xw, Gw, eps=0.0).dX, dX_by_hand, atol=1e-15)
assert np.allclose(dX_by_hand.sum(axis=0), 0.0)

# %% [markdown]
# **Exercise.** Write `batchnorm_sigma_backward(X, g, eps=1e-5)` for the handout's layer (X of shape (n, d), rows are
# instances, no γ or β): compute μ and the handout's σ = √(Σⱼ ‖Xⱼ − μ‖² + ε) — one number, no 1/n — and return
# ∂L/∂X = (G − Ḡ)/σ − (X − μ) Σⱼ ⟨Gⱼ, Xⱼ − μ⟩/σ³ (shape (n, d)). The check starts with the worked example above; its
# hidden cases are a batch of 2, a single feature (d = 1), a wide batch (4 rows, 12 features) and a large ε = 0.5,
# and it names the plausible slips: σ with the 1/n of a variance, the ∂σ/∂X path (or the ∂μ/∂X path) forgotten, ε
# outside the square root, one σ per feature, and the usual batch norm's σ = √(var + ε).

# %% [exercise batchnorm_sigma_backward]
def batchnorm_sigma_backward(X, g, eps=1e-5):
    """EECS 498 §1.4: Y_i = (X_i − μ)/σ, σ = √(Σ_j ‖X_j − μ‖² + ε) (one number). Returns dL/dX, shape (n, d)."""
    raise NotImplementedError("write the backward through μ and the handout's σ here")

# %% [solution batchnorm_sigma_backward]
def batchnorm_sigma_backward(X, g, eps=1e-5):
    """EECS 498 §1.4: Y_i = (X_i − μ)/σ, σ = √(Σ_j ‖X_j − μ‖² + ε) (one number). Returns dL/dX, shape (n, d)."""
    d = X - X.mean(axis=0)                                  # X_i − μ
    sigma = np.sqrt(np.sum(d * d) + eps)                    # the handout's σ: ONE number, no 1/n
    return (g - g.mean(axis=0)) / sigma - d * np.sum(g * d) / sigma**3

# %%
check("batchnorm_sigma_backward", batchnorm_sigma_backward)

# %% [markdown]
# ## The handout's route, for the layer libraries use
#
# The handout's way to the gradient — first ∂μ/∂Xᵢ, then ∂σ/∂Xᵢ, then the chain rule — works for the usual layer too,
# and gives the compact form of above in another arrangement. Per feature, with a batch of m rows,
#
# y = γ (x − μ)/σ + β,  μ = (1/m) Σⱼ xⱼ,  **σ = √(σ² + ε)** with σ² = (1/m) Σⱼ (xⱼ − μ)² (the biased variance).
#
# 1. ∂μ/∂xᵢ = 1/m.
# 2. ∂σ/∂xᵢ = (1/2σ)·(2/m) Σⱼ (xⱼ − μ)(1[i = j] − 1/m) = (xᵢ − μ)/(mσ): the −1/m terms add up to
#    −(1/m) Σⱼ (xⱼ − μ) = 0, as in the handout's σ (which is the same without the 1/m and with one σ for all
#    features).
# 3. ∂yⱼ/∂xᵢ = γ [(1[i = j] − 1/m)/σ − (xⱼ − μ)/σ² · ∂σ/∂xᵢ], so with g = ∂L/∂y
#
# $$\frac{\partial L}{\partial x_i} = \sum_j g_j \frac{\partial y_j}{\partial x_i}
#   = \frac{\gamma}{\sigma}\,(g_i - \bar g) - \frac{\gamma\,(x_i - \mu)}{m\,\sigma^3}\sum_j g_j\,(x_j - \mu),$$
#
#    and ∂L/∂γ = Σⱼ gⱼ (xⱼ − μ)/σ, ∂L/∂β = Σⱼ gⱼ. With x̂ = (x − μ)/σ this is γ/(mσ)·(m gᵢ − Σⱼ gⱼ − x̂ᵢ Σⱼ gⱼ x̂ⱼ),
#    the compact form: two derivations, one answer.

# %%
rs = np.random.default_rng(7)  # its own stream, so the later cells draw what they drew before
xs, gs = rs.normal(size=(6, 3)) * 2 + 1, rs.normal(size=(6, 3))
gam, bet = rs.normal(size=3) + 1.5, rs.normal(size=3)
mu_s, d_s = xs.mean(axis=0), xs - xs.mean(axis=0)
sig_s = np.sqrt((d_s * d_s).mean(axis=0) + 1e-5)                      # √(σ² + ε), biased σ²
route = gam / sig_s * (gs - gs.mean(axis=0)) - gam * d_s / (6 * sig_s**3) * (gs * d_s).sum(axis=0)
compact = cf.batch_norm_backward(xs, gam, bet, gs).dx
print("the handout's route equals the compact form:", np.allclose(route, compact, rtol=1e-12, atol=1e-12))
assert np.allclose(route, compact, rtol=1e-12, atol=1e-12)

# %% [markdown]
# ## The handout's σ at test time
#
# The handout adds: "For the forward pass implementation, you will have to consider train and test scenarios." In
# training, μ and σ come from the batch. At test time the output for one example must not depend on which other
# examples happen to share its batch, so the layer normalises with **fixed** statistics: running averages of the
# training batches' μ and σ (here with momentum 0.1, as `BatchNorm1d` keeps its running mean),
#
# test mode: Yᵢ = (Xᵢ − μ_run)/σ_run.
#
# With the handout's σ this matters twice over: σ = √(Σⱼ ‖Xⱼ − μ‖² + ε) has no 1/n, so it grows like √n with the
# **batch size**. Normalising a test batch with its own σ would scale its outputs by √(n_train/n_test) — and a
# single test example would give X − μ = 0, an output of all zeros. `closed_form.batch_norm_one_sigma_stats` gives a
# batch's (μ, σ), `closed_form.batch_norm_one_sigma_eval` the test-mode forward:

# %%
stream = np.random.default_rng(3)
spread, centre = np.array([1.0, 2.0, 0.5]), np.array([0.0, 1.0, -2.0])
run_mu, run_sigma = np.zeros(3), 1.0
for _ in range(200):                                     # 200 training batches of 16 examples
    mu_b, sigma_b = cf.batch_norm_one_sigma_stats(stream.normal(size=(16, 3)) * spread + centre)
    run_mu, run_sigma = 0.9 * run_mu + 0.1 * mu_b, 0.9 * run_sigma + 0.1 * float(sigma_b)
expected_sigma = np.sqrt(15 * (spread**2).sum())         # E Σⱼ‖Xⱼ − μ‖² = (n − 1)·Σ variances, n = 16
print(f"running mu = {run_mu.round(1)} (the data's centre {centre}); running sigma = {run_sigma:.1f} "
      f"(about sqrt(15 * 5.25) = {expected_sigma:.1f})")
assert np.allclose(run_mu, centre, atol=0.5) and abs(run_sigma - expected_sigma) < 1.5

example = np.array([[0.5, 2.0, -1.0]])
others = stream.normal(size=(63, 3)) * spread + centre
for n in (4, 64):
    batch = np.concatenate([example, others[:n - 1]])
    train_out = cf.batch_norm_one_sigma(batch)[0]
    test_out = cf.batch_norm_one_sigma_eval(batch, run_mu, run_sigma)[0]
    print(f"the example in a batch of {n:2d}: training-mode Y = {train_out.round(3)}, "
          f"test-mode Y = {test_out.round(3)}")
alone = cf.batch_norm_one_sigma(example)[0]
print("the example alone, training mode:", alone)
test_4 = cf.batch_norm_one_sigma_eval(np.concatenate([example, others[:3]]), run_mu, run_sigma)[0]
test_64 = cf.batch_norm_one_sigma_eval(np.concatenate([example, others]), run_mu, run_sigma)[0]
assert np.array_equal(test_4, test_64) and np.allclose(test_4, (example[0] - run_mu) / run_sigma)
assert np.array_equal(alone, np.zeros(3))
sig_4 = float(cf.batch_norm_one_sigma_stats(np.concatenate([example, others[:3]]))[1])
sig_64 = float(cf.batch_norm_one_sigma_stats(np.concatenate([example, others]))[1])
assert 2.5 < sig_64 / sig_4 < 7.0                        # about sqrt(63 / 3) = 4.6: the batch size sets the scale

# %% [markdown]
# In test mode μ_run and σ_run are constants, so the layer is Yᵢ = (Xᵢ − μ_run)/σ_run, elementwise, and its
# backward is just **∂L/∂X = ∂L/∂Y / σ_run** — none of the paths through μ and σ of training mode:

# %%
Xe = mg.tensor(np.concatenate([example, others[:3]]), requires_grad=True)
Ge = rng.normal(size=(4, 3))
((Xe - mg.tensor(run_mu)) / run_sigma).backward(mg.tensor(Ge))
print("test-mode dL/dX equals dL/dY / sigma_run:", np.allclose(Xe.grad, Ge / run_sigma, atol=1e-15))
assert np.allclose(Xe.grad, Ge / run_sigma, atol=1e-15)

# %% [markdown]
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
# **Exercise.** Write `dropout_backward(mask, g, p, inverted)`: ∂L/∂X for the handout's form (Y = X ⊙ M,
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
# ## Putting the layers together: VGG11 (EECS 498 HW1 §6)
#
# The last part of the EECS 498 homework builds **VGG11** for CIFAR-10 (32×32 colour images, 10 classes) from the
# layers of these notebooks: eight 3×3 convolutions with padding 1 (notebook 5), each followed by batch norm
# (above) and a ReLU (notebook 6), five 2×2 max-pools that halve the image 32 → 16 → 8 → 4 → 2 → 1 (notebook 6),
# then a classifier of fully connected layers (notebook 4) with dropout (above):
#
# * features: 64 M 128 M 256 256 M 512 512 M 512 512 M (a number is a convolution with that many output channels,
#   M a max-pool);
# * classifier: Linear(512, 512) → ReLU → Dropout(0.5) → Linear(512, 512) → ReLU → Dropout(0.5) → Linear(512, 10).
#
# `microgradnet.models.VGG11` is that network, made only of the library's layers: no line of backward code, so its
# backward pass is the chain rule through everything the previous notebooks derived. Its layers, and the shape each
# one gives a batch of two images:

# %%
from microgradnet.models import VGG11

mg.manual_seed(0)
vgg = VGG11(n_classes=10, in_channels=3, batch_norm=True)
images = np.random.default_rng(1).normal(size=(2, 3, 32, 32))   # two CIFAR-shaped images (random pixels)
classes = np.array([3, 8])


def n_params(module):
    return sum(int(np.prod(p.shape)) for p in module.parameters())


h_shape = mg.tensor(images)
rows = []
with mg.no_grad():
    for layer in list(vgg.features) + list(vgg.classifier):
        h_shape = layer(h_shape)
        rows.append((type(layer).__name__, tuple(h_shape.shape), n_params(layer)))
for name, shape, count in rows:
    print(f"{name:12s} {str(shape):18s} {count:>10,d}")
total = n_params(vgg)
print(f"{'total':12s} {'':18s} {total:>10,d} parameters")

# %% [markdown]
# The count by hand: a 3×3 convolution from C to C′ channels has (9C + 1)·C′ parameters (weights and a bias per
# output channel), batch norm 2C′ (γ and β), a Linear(n, m) layer (n + 1)·m. Most of them sit in the last four
# convolutions — 1.18 million in the 256 → 512 one and 2.36 million in each of the three 512 → 512 ones, 8.26 of
# the 9.76 million — although those see images of only 4×4 and 2×2 pixels:

# %%
convs = [(3, 64), (64, 128), (128, 256), (256, 256), (256, 512), (512, 512), (512, 512), (512, 512)]
by_hand = (sum((9 * c + 1) * c2 + 2 * c2 for c, c2 in convs)
           + (512 + 1) * 512 + (512 + 1) * 512 + (512 + 1) * 10)
print(f"by hand: {by_hand:,d}; the model: {total:,d}")
conv_counts = [count for name, _, count in rows if name == "Conv2d"]
print(f"the last four convolutions: {sum(conv_counts[-4:]):,d}")
assert by_hand == total == 9_756_426 and sum(conv_counts[-4:]) == 1_180_160 + 3 * 2_359_808 == 8_259_584
assert [shape for name, shape, _ in rows if name == "MaxPool2d"] == [(2, 64, 16, 16), (2, 128, 8, 8),
                                                                      (2, 256, 4, 4), (2, 512, 2, 2),
                                                                      (2, 512, 1, 1)]
assert rows[-1][1] == (2, 10)

# %% [markdown]
# One training step's worth of work: forward the batch in training mode (batch statistics, a random dropout mask),
# take the cross-entropy, and back-propagate. Every parameter receives a gradient of its own shape.
#
# How can we know the ten million numbers are right? Checking each by central differences would need twenty
# million forward passes. Checking **one direction** needs two: for a random direction d (one random number per
# parameter), the derivative of the loss along d is Σ ∂L/∂θ · d by the chain rule, and
# (L(θ + h d) − L(θ − h d))/2h by notebook 1. The dropout mask is drawn again with the same seed for each forward,
# so all three passes compute the same function. (A ReLU input or a max-pool window that changes sides inside the
# step ±h breaks the comparison at its kink; with h = 10⁻⁸ none does here, and the two agree to about eight digits.
# With h = 10⁻⁶ a few do and only two or three digits agree — what a reader trying larger steps will see.)

# %% volatile
def vgg_loss(seed=1):
    mg.manual_seed(seed)                                  # the same dropout mask every time
    return F.cross_entropy(vgg(mg.tensor(images)), classes)


vgg.train()
vgg.zero_grad()
loss = vgg_loss()
loss.backward()
params = list(vgg.parameters())
assert all(p.grad.shape == p.shape for p in params)
direction = [np.random.default_rng(2).normal(size=p.shape) for p in params]
along_d = sum(float((p.grad * d).sum()) for p, d in zip(params, direction))   # Σ ∂L/∂θ · d
h = 1e-8
with mg.no_grad():
    for p, d in zip(params, direction):
        p.data += h * d
    up = vgg_loss().item()
    for p, d in zip(params, direction):
        p.data -= 2 * h * d
    down = vgg_loss().item()
    for p, d in zip(params, direction):
        p.data += h * d                                   # back where we started
numeric = (up - down) / (2 * h)
print(f"loss {loss.item():.3f} (chance level: ln 10 = {np.log(10):.3f})")
print(f"derivative along d: backprop {along_d:.6f}, central difference {numeric:.6f}")
assert 1.0 < loss.item() < 4.0        # an untrained network: near chance, whatever the platform's rounding
assert abs(along_d - numeric) <= 1e-5 * abs(along_d)

# %% [markdown]
# The loss of the untrained network is near ln 10 ≈ 2.3, the loss of a uniform guess among 10 classes (the exact
# value depends on the random initialisation). Training it on real images takes 0.75–1.5 s per batch of 64 on two
# CPU cores (float32 to float64, `benchmarks/training.md`); `microgradnet train cifar10 --model vgg11` does it from
# the command line where CIFAR-10's files are present, and notebook 9 trains the smaller networks of the homework.

# %% [markdown]
# **Checkpoint.**
#
# 1. Why do the batch-norm input gradients of a batch always sum to zero (per feature)?
# 2. A network with batch norm is evaluated on one image at a time in training mode by mistake. What happens?
# 3. With p = 0.5 and the handout's form of dropout, what must the test-time layer compute? And with inverted
#    dropout?
# 4. The handout's σ was averaged over training batches of 16. Why would normalising a test batch of 64 with its own
#    σ be wrong even though 64 examples give good statistics?
# 5. Which layers hold most of VGG11's 9.76 million parameters, and which do most of its arithmetic?
#
# <details><summary>Answers</summary>
#
# 1. Adding the same constant to every example of a feature changes μ by that constant and leaves x̂, hence y
#    and L, unchanged: the directional derivative along (1, 1, …, 1) is zero, and that is the sum of the gradients.
# 2. With a batch of one, x − μ = 0 for every feature: every output equals β, whatever the image (and the gradient
#    with respect to x is 0). `microgradnet` refuses to train batch norm on one value per channel.
# 3. Y = (1 − p)X = 0.5X (scale by the keep probability); with inverted dropout, Y = X.
# 4. The handout's σ has no 1/n: it grows like √n, so a batch of 64 gets a σ about √(63/15) ≈ 2 times the training
#    one, and every output comes out about half as large as the network was trained on. Test mode uses the fixed
#    running σ (and μ), whatever the test batch's size.
# 5. The last four convolutions hold 8.26 million (the 256 → 512 one 1.18 million, each 512 → 512 one 2.36
#    million), on maps of only 4×4 and 2×2 pixels. The arithmetic is spread differently: a layer's multiply-adds are
#    its weights times the positions it is applied at (H·W·C·C′·9), so the three convolutions on the 16×16 and 8×8
#    maps, with 0.96 million parameters, do about half of the 153 million per image, and the two 512 → 512 ones on
#    2×2 maps, with 4.7 million parameters, only 12%.
#
# </details>
#
# **Next:** [8. The EN4553 toy network, end to end](08_toy_network.ipynb).
