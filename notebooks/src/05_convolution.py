"""Notebook 05: convolution backward (source of notebooks/05_convolution.ipynb; see notebooks/build.py)."""

# %% [markdown]
# # 5. Convolution, backward
#
# *Fifth notebook of the series. About an hour.*
#
# A convolutional layer slides a small kernel over its input. Its backward pass is the favourite derivation of the
# courses whose homework this series follows: CSC 249 HW2 Problem 3 (with stride), CS 4670 PA5 A ("the backward pass
# is a convolution with a flipped kernel"), EECS 498 HW1 §1.5 (the *full and *filt forms) and Tsinghua's HW1 §1.1
# (start from a 1×3×3 input and a 2×2 kernel). Here you will derive it once, with indices, then see each course's
# way of writing the answer, and what stride and padding change. The picture to keep in mind: **one output reads
# one window of the input, so in backward it sends its gradient back to that window, weighted by the kernel**.

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
# ## The layer
#
# CSC 249 HW2 P3: an input x with T channels, K filters W_k of size T×M×N, stride s:
#
# $$y(k, i, j) = \sum_{t=0}^{T-1}\sum_{m=0}^{M-1}\sum_{n=0}^{N-1} x(t,\, i s + m,\, j s + n)\, W_k(t, m, n) + b_k .$$
#
# (This is what deep-learning libraries call a convolution; mathematicians call it a *cross-correlation*, because
# the kernel is not flipped. CS 4670 uses the true convolution; we come back to that.)
#
# ## The derivation
#
# Every term is a product, so each partial derivative is "the other factor", summed over every place the variable
# appears:
#
# * **Bias.** b_k is added to every output of map k: **∂L/∂b_k = Σᵢⱼ ∂L/∂y(k, i, j)**.
# * **Weights.** W_k(t, m, n) multiplies x(t, is + m, js + n) in output (k, i, j), for every (i, j):
#   **∂L/∂W_k(t, m, n) = Σᵢⱼ ∂L/∂y(k, i, j) · x(t, is + m, js + n)** — a correlation of the input with ∂L/∂y.
# * **Input.** x(t, a, c) appears in output (k, i, j) whenever a = is + m and c = js + n for some kernel position
#   (m, n): **∂L/∂x(t, a, c) = Σ_k Σ_{(i,j,m,n): is+m=a, js+n=c} ∂L/∂y(k, i, j) · W_k(t, m, n)**.
#
# The last line is easiest to *compute* the other way round: loop over the outputs, and let each output (i, j)
# add ∂L/∂y(k, i, j)·W_k into the window of x it read. That is the "scatter" form; the sum above is the "gather"
# form of the same thing.
#
# ## Tsinghua's hint: one channel, a 3×3 input, a 2×2 kernel
#
# x = [[1, 2, 3], [4, 5, 6], [7, 8, 9]], w = [[1, 0], [−1, 2]], b = 0.5, and ∂L/∂y = [[1, 2], [−1, 1]] given.
# Forward, y(0, 0) = 1·1 + 2·0 + 4·(−1) + 5·2 + 0.5 = 7.5. Backward, by the formulas:
#
# * ∂L/∂b = 1 + 2 − 1 + 1 = 3;
# * ∂L/∂w(0, 0) = Σᵢⱼ ∂L/∂y(i, j)·x(i, j) = 1·1 + 2·2 + (−1)·4 + 1·5 = 6;
# * ∂L/∂x(1, 1): the centre is in all four windows, at kernel position (1, 1) of window (0, 0), (1, 0) of (0, 1),
#   (0, 1) of (1, 0) and (0, 0) of (1, 1): 1·2 + 2·(−1) + (−1)·0 + 1·1 = 1.

# %%
x = np.array([[1.0, 2, 3], [4, 5, 6], [7, 8, 9]])[None, None]     # (N=1, C=1, 3, 3)
w = np.array([[1.0, 0], [-1, 2]])[None, None]                     # (K=1, C=1, 2, 2)
b = np.array([0.5])
g = np.array([[1.0, 2], [-1, 1]])[None, None]                     # ∂L/∂y, (1, 1, 2, 2)
y = cf.conv2d(x, w, b)
r = cf.conv2d_backward(x, w, b, g)
print("y =\n", y[0, 0])
print("dL/db =", r.db, "\ndL/dw =\n", r.dw[0, 0], "\ndL/dx =\n", r.dx[0, 0])
assert y[0, 0, 0, 0] == 7.5 and r.db[0] == 3.0 and r.dw[0, 0, 0, 0] == 6.0 and r.dx[0, 0, 1, 1] == 1.0

# %% [markdown]
# Autodiff gives the same numbers; at scalar level the graph shows each of the four outputs as a sum of four
# products, and x(1, 1) feeding all four.

# %%
xt, wt, bt = mg.tensor(x, requires_grad=True), mg.tensor(w, requires_grad=True), mg.tensor(b, requires_grad=True)
F.conv2d(xt, wt, bt).backward(mg.tensor(g))
assert np.array_equal(xt.grad, r.dx) and np.array_equal(wt.grad, r.dw) and np.array_equal(bt.grad, r.db)
gt = mg.tensor(g)
with mg.scalar_level({"x": xt, "w": wt, "b": bt, "g": gt}):
    L = (F.conv2d(xt, wt, bt) * gt).sum()
L.backward()
assert np.array_equal(xt.grad, 2 * r.dx)  # the Tensor-level backward above added r.dx once already
show(L, hide_constants=True)

# %% [markdown]
# ## The flipped kernel
#
# Write the input gradient in the gather form for stride 1: ∂L/∂x(a, c) = Σ_{m,n} ∂L/∂y(a − m, c − n)·w(m, n),
# with ∂L/∂y taken as 0 outside its range. Substitute m' = M − 1 − m, n' = N − 1 − n: that is a plain
# correlation, the forward operation again, of **∂L/∂y padded with M − 1 zeros on every side** with the kernel
# **rotated by 180°**. So the backward of a convolution is a convolution with the flipped kernel (CS 4670 A.1):

# %%
gp = np.pad(g[0, 0], 1)                      # pad by kernel size − 1 = 1
w_rot = w[0, 0, ::-1, ::-1]                  # rotate by 180°
dx_flip = cf.conv2d(gp[None, None], w_rot[None, None])[0, 0]
print("padded dL/dy correlated with the rotated kernel =\n", dx_flip)
assert np.array_equal(dx_flip, r.dx[0, 0])

# %% [markdown]
# **CS 4670 PA5 A** states it for the *true* convolution y[e, f] = Σ_{a,b} x[a, b]·w[e − a, f − b]. Then
# ∂y[e, f]/∂x[a, b] = w[e − a, f − b] and
#
# ∂L/∂x[a, b] = Σ_{e,f} ∂L/∂y[e, f]·w[e − a, f − b] = Σ_{e,f} ∂L/∂y[e, f]·w̃[a − e, b − f] = (∂L/∂y ⋆ w̃)[a, b],
#
# with w̃[c, d] = w[−c, −d]: again the same operation with the flipped kernel. The weight gradient has the same
# shape of answer, ∂L/∂w = ∂L/∂y ⋆ x̃ (A.2), derived step by step in the next section.
# `closed_form.true_conv_same_backward` implements these two lines; `true_conv_same_backward_direct` sums the chain rule
# (equation 3 of the handout) literally:

# %%
rng = np.random.default_rng(0)
x1, w1 = rng.normal(size=(5, 6)), rng.normal(size=(3, 3))
g1 = rng.normal(size=cf.true_conv_same(x1, w1).shape)
via_flip = cf.true_conv_same_backward(x1, w1, g1)
direct = cf.true_conv_same_backward_direct(x1, w1, g1)
print("flip identities == chain rule summed literally:",
      np.allclose(via_flip.dx, direct.dx, atol=1e-12), np.allclose(via_flip.dw, direct.dw, atol=1e-12))
assert np.allclose(via_flip.dx, direct.dx, atol=1e-12) and np.allclose(via_flip.dw, direct.dw, atol=1e-12)

# %% [markdown]
# ## ∂L/∂w, derived: a correlation with the input, a convolution with the flipped input (CS 4670 A.2)
#
# The handout asks to *show* ∂L/∂w = ∂L/∂y ⋆ x̃ with x̃[a, b] = x[−a, −b] ("an answer with no derivation will receive
# no credit"). The derivation is the one for x with the roles of the two factors exchanged; here it is one step at
# a time. Indices: x[a, b] and y[e, f] run over the image (y has x's size, zero padding); w[c, d] over the kernel,
# centred, so a 3×3 kernel has c, d ∈ {−1, 0, 1}; any array is 0 outside its index set.
#
# 1. **The chain rule** (the handout's equation 3, written for w): L depends on w[c, d] only through the outputs, so
#    ∂L/∂w[c, d] = Σ_{e,f} ∂L/∂y[e, f] · ∂y[e, f]/∂w[c, d].
# 2. **The local derivative.** In y[e, f] = Σ_{a,b} x[a, b]·w[e − a, f − b], the weight w[c, d] appears in the
#    one term with e − a = c and f − b = d, that is a = e − c, b = f − d, and its factor there is x[e − c, f − d].
#    Every other term does not contain w[c, d]. So ∂y[e, f]/∂w[c, d] = x[e − c, f − d] (0 where e − c, f − d fall
#    outside the image: there w[c, d] met the zero padding).
# 3. **Substitute:** ∂L/∂w[c, d] = Σ_{e,f} ∂L/∂y[e, f] · x[e − c, f − d].
# 4. **Flip x.** With x̃[a, b] = x[−a, −b] we have x[e − c, f − d] = x̃[c − e, d − f], so
#    ∂L/∂w[c, d] = Σ_{e,f} ∂L/∂y[e, f] · x̃[c − e, d − f] = (∂L/∂y ⋆ x̃)[c, d]: equation 2 again, with ∂L/∂y in
#    the place of the image and x̃ in the place of the kernel, evaluated on the kernel's index set. ∎
# 5. **The handout's hint, x ⋆ w = w ⋆ x:** substituting c = e − a in equation 2 gives
#    y[e, f] = Σ_{c,d} w[c, d]·x[e − c, f − d] = (w ⋆ x)[e, f]. Read this way w is the "image" and x the "kernel",
#    so A.1's result with the two exchanged, ∂L/∂(image) = ∂L/∂y ⋆ (flipped kernel), is exactly step 4.
# 6. **As a correlation.** Substituting a = e − c, b = f − d in step 3 instead:
#    ∂L/∂w[c, d] = Σ_{a,b} x[a, b] · ∂L/∂y[a + c, b + d]. Lay x over ∂L/∂y shifted by (c, d), multiply and add — no
#    flip. A convolution with the flipped input is a correlation with the input itself; that is why the libraries'
#    correlation layer (the CSC 249 form at the top) has "a correlation of the input with ∂L/∂y" as its ∂L/∂W.
#
# Each step as code, on the 5×6 image, the 3×3 kernel and the ∂L/∂y of the cell above, against autodiff. The
# forward for autodiff is written with the library's correlation: (w ⋆ x)[e, f] = Σ_{c,d} w[c, d]·x[e − c, f − d]
# is a correlation of the zero-padded x with the kernel rotated by 180°, so the graph contains the flip and
# `w.grad` is the gradient for the unflipped w.

# %%
H1, W1 = x1.shape
kernel_idx = (-1, 0, 1)                                  # c and d; w[c, d] is stored at w1[c + 1, d + 1]


def x_at(a, b):
    """x[a, b], and 0 outside the image (the zero padding)."""
    return x1[a, b] if 0 <= a < H1 and 0 <= b < W1 else 0.0


step3 = np.zeros((3, 3))                                 # Σ_{e,f} ∂L/∂y[e, f]·x[e − c, f − d], summed literally
for c in kernel_idx:
    for d in kernel_idx:
        step3[c + 1, d + 1] = sum(g1[e, f] * x_at(e - c, f - d) for e in range(H1) for f in range(W1))
x_flip, x_flip_origin = cf.flip2d(x1, (0, 0))             # x̃[a, b] = x[−a, −b], indexed from (−4, −5)
step4 = cf.true_conv_indexed(g1, (0, 0), x_flip, x_flip_origin,   # (∂L/∂y ⋆ x̃), equation 2's sum,
                              out_lo=(-1, -1), out_shape=(3, 3))     # evaluated on c, d ∈ {−1, 0, 1}
g1_padded = np.pad(g1, 1)
step6 = np.zeros((3, 3))                                 # Σ_{a,b} x[a, b]·∂L/∂y[a + c, b + d]: no flip
for c in kernel_idx:
    for d in kernel_idx:
        step6[c + 1, d + 1] = np.sum(x1 * g1_padded[1 + c:1 + c + H1, 1 + d:1 + d + W1])

w1t = mg.tensor(w1, requires_grad=True)
y1 = F.conv2d(mg.tensor(x1[None, None]), w1t[::-1, ::-1].reshape(1, 1, 3, 3), padding=1)[0, 0]
assert np.allclose(y1.numpy(), cf.true_conv_same(x1, w1), atol=1e-12)   # the same forward as equation 2
(y1 * mg.tensor(g1)).sum().backward()
print("dL/dw by autodiff =\n", w1t.grad)
for name, value in (("step 3, the chain rule summed", step3), ("step 4, dL/dy conv flipped x", step4),
                    ("step 6, correlation with x", step6)):
    same = np.allclose(value, w1t.grad, atol=1e-12)
    print(f"{name:31s} equals autodiff (to 1e-12): {same}")
    assert same
assert np.allclose(via_flip.dw, w1t.grad, atol=1e-12)

# %% [markdown]
# **EECS 498 HW1 §1.5** uses two named operations (1-based in the handout, 0-based here):
#
# * full convolution (a *full b)[i, j] = Σ_{m,n} a[m, n]·b[i − m, j − n], size (H + H′ − 1)×(W + W′ − 1);
# * filtering (a *filt b)[i, j] = Σ_{m,n} a[i + m, j + n]·b[m, n], size (H − H′ + 1)×(W − W′ + 1).
#
# With the layer Y_{n,f} = Σ_c X_{n,c} *full W_{f,c}, the handout asks to show **∂L/∂X_{n,c} = Σ_f ∂L/∂Y_{n,f} *filt
# W_{f,c}** and **∂L/∂W_{f,c} = Σ_n ∂L/∂Y_{n,f} *filt X_{n,c}**: the flip of *full and the flip of the backward
# cancel, so *filt needs none. (The handout gives Y the size H − H′ + 1, which only fits a *filt forward; with that
# forward the correct rules are ∂L/∂X = Σ_f ∂L/∂Y *full W and ∂L/∂W = Σ_n X *filt ∂L/∂Y — see
# `closed_form.conv_fullfilt`.) Checked against autodiff:

# %%
X2, W2 = rng.normal(size=(2, 3, 5, 4)), rng.normal(size=(4, 3, 3, 2))
Y2 = cf.conv_full_layer(X2, W2)
G2 = rng.normal(size=Y2.shape)
rule = cf.conv_full_layer_backward(X2, W2, G2)
one = cf.conv_filt(G2[0, 1], W2[1, 2])        # one term of the sum: ∂L/∂Y_{0,1} *filt W_{1,2}
Xt, Wt = mg.tensor(X2, requires_grad=True), mg.tensor(W2, requires_grad=True)
kh, kw = W2.shape[2:]
F.conv2d(Xt, Wt[:, :, ::-1, ::-1], padding=(kh - 1, kw - 1)).backward(mg.tensor(G2))  # *full as a correlation
print(f"Y: {Y2.shape} (H + H' - 1 = 7, W + W' - 1 = 5); one *filt term: {one.shape} = X's 5×4")
print("*filt rules == autodiff:", np.allclose(rule.dX, Xt.grad, atol=1e-12), np.allclose(rule.dW, Wt.grad, atol=1e-12))
assert Y2.shape == (2, 4, 7, 5) and one.shape == (5, 4)
assert np.allclose(rule.dX, Xt.grad, atol=1e-12) and np.allclose(rule.dW, Wt.grad, atol=1e-12)

# %% [markdown]
# ## Stride and padding
#
# With **stride** s, output (i, j) reads the window whose top-left corner is (is, js), so in backward it sends its
# gradient to that window. With **padding** p the input is surrounded by p zeros; the window of output (i, j)
# starts at (is − p, js − p) in the unpadded input, and gradient reaching the padding is simply dropped (the zeros
# are constants). The picture shows, for three set-ups, ∂y(i, j)/∂x for one output (i, j), with an all-ones 3×3
# kernel: the window that output reads. The last panel shows Σ over **all** outputs: with stride 2 and a 3×3
# kernel, neighbouring windows overlap by one row or column, so some inputs feed 2 or 4 outputs — and collect
# that many gradients.

# %%
def one_output(H, i, j, stride, padding):
    xt = mg.tensor(np.zeros((1, 1, H, H)), requires_grad=True)
    y = F.conv2d(xt, mg.tensor(np.ones((1, 1, 3, 3))), stride=stride, padding=padding)
    onehot = np.zeros(y.shape)
    onehot[0, 0, i, j] = 1.0
    y.backward(mg.tensor(onehot))
    return xt.grad[0, 0]


def all_outputs(H, stride, padding):
    xt = mg.tensor(np.zeros((1, 1, H, H)), requires_grad=True)
    F.conv2d(xt, mg.tensor(np.ones((1, 1, 3, 3))), stride=stride, padding=padding).sum().backward()
    return xt.grad[0, 0]


panels = [("output (1, 2), stride 1", one_output(6, 1, 2, 1, 0)),
          ("output (1, 1), stride 2", one_output(7, 1, 1, 2, 0)),
          ("output (0, 0), stride 2, padding 1", one_output(7, 0, 0, 2, 1)),
          ("all outputs, stride 2: count", all_outputs(7, 2, 0))]
fig, axes = plt.subplots(1, 4, figsize=(13, 3.4))
for ax, (title, grad) in zip(axes, panels):
    ax.imshow(grad, cmap="Oranges", vmin=0, vmax=4)
    for (r, c), v in np.ndenumerate(grad):
        ax.text(c, r, f"{v:g}", ha="center", va="center", fontsize=8, color="white" if v >= 3 else "black")
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
plt.show()
counts = panels[3][1]
print("how many outputs each input of a 7×7 input feeds (3×3 kernel, stride 2):\n", counts)
assert panels[0][1][1:4, 2:5].sum() == 9 and panels[1][1][2:5, 2:5].sum() == 9
assert panels[2][1].sum() == 4 and panels[2][1][:2, :2].sum() == 4   # 5 of the 9 positions are padding
assert counts[2, 2] == 4 and counts[0, 2] == 2 and counts[1, 1] == 1

# %% [markdown]
# **Exercise.** Write `receptive_field(i, j, kernel_size, stride, padding, height, width)`: the set of (row,
# column) positions of the (unpadded) height×width input that output (i, j) of a square kernel reads — the
# positions that receive gradient from it. The check includes stride 2 and padding.

# %% [exercise receptive_field]
def receptive_field(i, j, kernel_size, stride, padding, height, width):
    """{(row, col) of the input read by output (i, j)} (positions in the padding excluded)."""
    raise NotImplementedError("write the window here")

# %% [solution receptive_field]
def receptive_field(i, j, kernel_size, stride, padding, height, width):
    """{(row, col) of the input read by output (i, j)} (positions in the padding excluded)."""
    top, left = i * stride - padding, j * stride - padding
    return {(r, c) for r in range(top, top + kernel_size) for c in range(left, left + kernel_size)
            if 0 <= r < height and 0 <= c < width}

# %%
check("receptive_field", receptive_field)

# %% [markdown]
# Stride and padding through the three checks (closed form, autodiff, finite differences) on a batch of 2 with 3
# channels, 4 filters of 3×2, stride 2 and padding 1:

# %%
xs, ws, bs = rng.normal(size=(2, 3, 7, 6)), rng.normal(size=(4, 3, 3, 2)), rng.normal(size=4)
ys = cf.conv2d(xs, ws, bs, stride=2, padding=1)
gs = rng.normal(size=ys.shape)
rs = cf.conv2d_backward(xs, ws, bs, gs, stride=2, padding=1)
xt, wt, bt = (mg.tensor(a, requires_grad=True) for a in (xs, ws, bs))
F.conv2d(xt, wt, bt, stride=2, padding=1).backward(mg.tensor(gs))
report = mg.gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1), xs, ws, bs)
print(f"y: {ys.shape} (⌊(7 + 2 - 3)/2⌋ + 1 = 4 rows, ⌊(6 + 2 - 2)/2⌋ + 1 = 4 columns)")
print("closed form == autodiff:", all(np.allclose(a, b, atol=1e-12) for a, b in
                                    ((rs.dx, xt.grad), (rs.dw, wt.grad), (rs.db, bt.grad))))
print("autodiff vs finite differences:", "PASS" if report.passed else "FAIL")
assert ys.shape == (2, 4, 4, 4)
assert np.allclose(rs.dx, xt.grad, atol=1e-12) and np.allclose(rs.dw, wt.grad, atol=1e-12) and report.passed

# %% [markdown]
# **Exercise.** Write `conv2d_backward(x, w, b, g, stride=1, padding=0)` for CSC 249's layer (batched:
# x (N, C, H, W), w (K, C, kH, kW), b (K,), g = ∂L/∂y (N, K, OH, OW)), returning `(dx, dw, db)`. The handout asks for
# nested loops; a loop over the output positions (i, j), with numpy doing the sums over batch, channels and
# filters, is a good middle way. Stride and padding may be an int or a (height, width) pair: `pair(v)` turns
# both into a pair. Pad x, accumulate into a padded dx, crop at the end. The hidden cases include stride 2,
# padding 1 and a non-square kernel; then the rule checker's sweep runs strides 1–3 and paddings 0–2.

# %%
def pair(v):
    """2 -> (2, 2); (2, 1) -> (2, 1)."""
    return (v, v) if isinstance(v, (int, np.integer)) else tuple(v)

# %% [exercise conv2d_backward]
def conv2d_backward(x, w, b, g, stride=1, padding=0):
    """CSC 249 HW2 P3 with batch and padding. Returns (dL/dx, dL/dw, dL/db)."""
    raise NotImplementedError("write the convolution backward here")

# %% [solution conv2d_backward]
def conv2d_backward(x, w, b, g, stride=1, padding=0):
    """CSC 249 HW2 P3 with batch and padding. Returns (dL/dx, dL/dw, dL/db)."""
    (sh, sw), (ph, pw) = pair(stride), pair(padding)
    N, C, H, W = x.shape
    K, _, kh, kw = w.shape
    OH, OW = g.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for i in range(OH):
        for j in range(OW):
            rows, cols = slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw)
            gij = g[:, :, i, j]                                              # (N, K)
            dw += np.einsum("nk,nchw->kchw", gij, xp[:, :, rows, cols])      # Σ g · the window it read
            dxp[:, :, rows, cols] += np.einsum("nk,kchw->nchw", gij, w)      # scatter g · w into that window
    db = g.sum(axis=(0, 2, 3))
    return dxp[:, :, ph:ph + H, pw:pw + W], dw, db

# %%
check("conv2d_backward", conv2d_backward)

# %% [markdown]
# **Checkpoint.**
#
# 1. For stride 1 and no padding, what is the input gradient of a convolution in one sentence?
# 2. Why does an input pixel near the centre of the image usually get more gradient terms than a corner pixel?
# 3. A 3×3 kernel, stride 2, padding 1 on a 7×7 input: how many outputs are there, and does pixel (0, 0) get any
#    gradient?
#
# <details><summary>Answers</summary>
#
# 1. ∂L/∂y, zero-padded by kernel − 1 on every side, correlated with the kernel rotated by 180° (summed over
#    the filters, one result per input channel).
# 2. It lies in more windows (up to kH·kW for stride 1); a corner pixel lies in one window only.
# 3. ⌊(7 + 2 − 3)/2⌋ + 1 = 4 per side, 16 in all. Yes: output (0, 0)'s window covers rows and columns −1…1, so
#    (0, 0) is in it (third panel of the picture).
#
# </details>
#
# **Next:** [6. Max-pooling and activations](06_pooling_activations.ipynb).
