"""Notebook 09: training the seeds' models (source of notebooks/09_training.ipynb; see notebooks/build.py)."""

# %% [markdown]
# # 9. Training the seeds' models
#
# *Last notebook of the series. About an hour; the full run of the cells takes about three minutes.*
#
# Everything so far was one backward pass. Training repeats it thousands of times: forward a mini-batch, compute
# the loss, backward, update the parameters, and watch the loss and the accuracy. Here we train the models the EECS
# 498 HW1 seed asks for, with the layers, losses and backward passes derived in notebooks 4–7:
#
# * **logistic regression** (§2) and a **binary SVM** (§3), without and with a hidden layer, on the seed's binary
#   data set (`eecs498_binary`, a synthetic stand-in for the course's `data.pkl`, split 500 / 250 / 250), then
#   on MNIST as a binary question (3 or 8?);
# * **softmax regression** (§4.3), a **two-layer net** (§4.4) and a **CNN with batch normalisation and dropout**
#   (§5) on MNIST — here the built-in real subset of 4,000 training and 1,000 test digits, so it runs offline;
#   `microgradnet train` uses the full 60,000 when it can download them;
#
# and then **the spiral study** of Tsinghua HW1 §2: how the learning rate, the hidden size and L2 regularisation
# change what a small MLP learns, with its decision boundaries and a table of findings.
#
# Training uses `microgradnet.training.Solver` (the cs231n / EECS 498 starter code's design): mini-batch SGD with
# momentum, the accuracy on the training and validation sets after each epoch, and the parameters of the epoch with
# the best **validation** accuracy kept at the end. The test set is used once, at the very end, for the chosen
# model. *(The test suite runs this notebook with `MICROGRADNET_FAST=1`: fewer epochs, same code. The numbers in the
# text come from the full run shown here.)*

# %%
import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

import microgradnet as mg
from microgradnet import data as D
from microgradnet.exercises import check
from microgradnet.models import CNN, MLP, BinarySVM, LogisticRegression, SoftmaxRegression, TwoLayerNet
from microgradnet.training import Solver
from microgradnet.training.experiments import spiral_study
from microgradnet.training.plots import plot_decision_boundary, plot_filters, plot_history

FAST = os.environ.get("MICROGRADNET_FAST") == "1"  # the test suite's quick run
np.set_printoptions(precision=4, suppress=True)


def train(model, split, config, epochs, batch_size=64, seed=0):
    """Train with the Solver (SGD with momentum) and return it; the model keeps its best-validation parameters."""
    mg.manual_seed(seed)  # the dropout masks
    solver = Solver(model, split, optimizer="sgd", optim_config=config, batch_size=batch_size, num_epochs=epochs,
                    num_train_samples=1000, seed=seed, progress=False, verbose=False)
    solver.train()
    return solver

# %% [markdown]
# ## The data
#
# The binary set has 20 features per example and labels 0/1; MNIST digits are 1×28×28 images with grey levels in
# [0, 1]. One tenth of MNIST's training part is held out for validation, as EECS 498 §4–5 suggest.

# %%
binary = D.eecs498_binary(seed=0)
mnist = D.load_mnist(subset=True, verbose=False)
x_tr, y_tr, x_va, y_va = D.random_split(mnist.x_train, mnist.y_train, 0.1, seed=0)
digits = D.Split(x_tr, y_tr, x_va, y_va, mnist.x_test, mnist.y_test)
print(f"binary: train {binary.x_train.shape}, val {binary.x_val.shape}, test {binary.x_test.shape}")
print(f"MNIST subset: train {digits.x_train.shape}, val {digits.x_val.shape}, test {digits.x_test.shape}")
assert binary.x_train.shape == (500, 20) and len(binary.y_val) == len(binary.y_test) == 250
assert digits.x_train.shape == (3600, 1, 28, 28) and len(digits.y_val) == 400 and len(digits.y_test) == 1000
fig, axes = plt.subplots(1, 10, figsize=(10, 1.3))
for ax, k in zip(axes, range(10)):
    ax.imshow(digits.x_train[np.flatnonzero(digits.y_train == k)[0], 0], cmap="gray_r")
    ax.set_title(str(k))
    ax.axis("off")
plt.show()

# %% [markdown]
# ## Logistic regression (EECS 498 §2)
#
# One score s = wᵀx + b per example, P(y = 1 | x) = σ(s), and the loss is the negative log-likelihood averaged over
# the batch:
#
# L = (1/N) Σₙ −[yₙ log σ(sₙ) + (1 − yₙ) log(1 − σ(sₙ))] = (1/N) Σₙ [log(1 + e^{sₙ}) − yₙ sₙ],
#
# with ∂L/∂sₙ = (σ(sₙ) − yₙ)/N — the binary case of softmax's p − t (notebook 4). The same overflow trap as there:
# computed literally, log(1 + e^{1000}) is log(∞).
#
# **Exercise.** Write `logistic_loss(scores, labels)` returning `(loss, dscores)` for scores (N,) and labels
# (N,) in {0, 1}, stable for any score: log(1 + eˢ) = max(s, 0) + log(1 + e^{−|s|}) never overflows, and
# σ(s) = e^{−log(1 + e^{−s})} neither.

# %% [exercise logistic_loss]
def logistic_loss(scores, labels):
    """Mean of log(1 + e^s) − y·s over the batch, and its gradient (σ(s) − y)/N."""
    raise NotImplementedError("write the logistic loss here")

# %% [solution logistic_loss]
def logistic_loss(scores, labels):
    """Mean of log(1 + e^s) − y·s over the batch, and its gradient (σ(s) − y)/N."""
    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels, dtype=float)
    softplus = np.maximum(s, 0) + np.log1p(np.exp(-np.abs(s)))        # log(1 + e^s), no overflow
    loss = np.mean(softplus - y * s)
    sigma = np.exp(-(np.maximum(-s, 0) + np.log1p(np.exp(-np.abs(s)))))  # σ(s) = exp(−log(1 + e^−s))
    return loss, (sigma - y) / s.size

# %%
check("logistic_loss", logistic_loss)

# %% [markdown]
# The seed asks for a logistic classifier without hidden units, then a two-layer net with a logistic output whose
# hidden size is chosen on the validation set. One run of each (the size H = 20 is the choice of the full study,
# `python -m microgradnet.training.experiments hidden`):

# %% volatile
epochs_binary = 10 if FAST else 40
svm_config = {"lr": 0.01, "momentum": 0.9, "weight_decay": 1e-3}  # weight decay: the ½λ‖w‖² of the SVM
results = {}
for name, make, config in [
        ("logistic, no hidden layer", lambda: LogisticRegression(20, hidden=0), {"lr": 0.05, "momentum": 0.9}),
        ("logistic, H = 20", lambda: LogisticRegression(20, hidden=20), {"lr": 0.05, "momentum": 0.9}),
        ("SVM, no hidden layer", lambda: BinarySVM(20, hidden=0), svm_config),
        ("SVM, H = 20", lambda: BinarySVM(20, hidden=20), svm_config)]:
    mg.manual_seed(0)  # the initial weights
    model_solver = train(make(), binary, config, epochs_binary, batch_size=25)
    results[name] = (model_solver.best_val_acc, model_solver.check_accuracy(binary.x_test, binary.y_test))
    print(f"{name:26s} best val {results[name][0]:.3f} (epoch {model_solver.best_epoch:2d}), "
          f"test {results[name][1]:.3f}")
    if name == "logistic, H = 20":
        display(plot_history(model_solver, title="logistic regression with 20 hidden units"))
if FAST:
    assert all(test > 0.7 for _, test in results.values())
else:
    assert abs(results["logistic, no hidden layer"][1] - 0.844) < 0.005
    assert all(test > 0.8 for _, test in results.values())

# %% [markdown]
# In the full run the linear models reach about 84–85% test accuracy, and a hidden layer does not add much on this
# data: the two classes are nearly separable by a hyperplane plus noise, so the hinge (SVM, §3) and the logistic
# loss land in the same place. Note the curves: the training accuracy keeps climbing after the validation accuracy
# stops — the gap is over-fitting, and the Solver keeps the parameters of the best validation epoch (the dotted
# line), not the last.
#
# The same two binary classifiers work on MNIST once the question is binary. Is this digit a 3 or an 8? Each
# image becomes a vector of 784 grey levels, label 1 for an 8 and 0 for a 3, and the model is again one score
# wᵀx + b per image:

# %% volatile
def binary_digits(split, negative=3, positive=8):
    """The 3s and 8s of an MNIST split, flattened to 784 features, labels 1 for `positive` and 0 for `negative`."""
    parts = []
    for x, y in ((split.x_train, split.y_train), (split.x_val, split.y_val), (split.x_test, split.y_test)):
        keep = (y == negative) | (y == positive)
        parts += [x[keep].reshape(int(keep.sum()), -1), (y[keep] == positive).astype(np.int64)]
    return D.Split(*parts)


three_eight = binary_digits(digits)
print(f"3 vs 8: train {three_eight.x_train.shape}, val {three_eight.x_val.shape}, test {three_eight.x_test.shape}")
mnist_binary = {}
for name, make, config in [
        ("logistic regression", lambda: LogisticRegression(784, hidden=0), {"lr": 0.05, "momentum": 0.9}),
        ("binary SVM", lambda: BinarySVM(784, hidden=0), svm_config)]:
    mg.manual_seed(0)
    model_solver = train(make(), three_eight, config, 5 if FAST else 20, batch_size=25)
    mnist_binary[name] = model_solver.check_accuracy(three_eight.x_test, three_eight.y_test)
    print(f"{name:20s} 3 vs 8 on MNIST: best val {model_solver.best_val_acc:.3f}, test {mnist_binary[name]:.3f}")
assert all(acc > 0.9 for acc in mnist_binary.values())

# %% [markdown]
# Both separate the 3s from the 8s with a single hyperplane in pixel space, on well over nine test images in ten.
#
# ## Softmax regression and the two-layer net on MNIST (EECS 498 §4)
#
# Softmax regression is notebook 4's dense layer and softmax cross-entropy on the 784 pixels; the two-layer net
# puts a hidden ReLU layer of H units in between. The seed asks for H chosen on the validation set:

# %% volatile
epochs_mnist = 3 if FAST else 15
mnist_results = {}
mg.manual_seed(0)
softmax_solver = train(SoftmaxRegression(784, 10), digits, {"lr": 0.05, "momentum": 0.9}, epochs_mnist)
mnist_results["softmax"] = (softmax_solver.best_val_acc,
                            softmax_solver.check_accuracy(digits.x_test, digits.y_test))
for H in [32, 128, 512]:
    mg.manual_seed(0)
    s = train(TwoLayerNet(784, hidden=H, n_classes=10), digits, {"lr": 0.1, "momentum": 0.9}, epochs_mnist)
    mnist_results[f"two-layer, H = {H}"] = (s.best_val_acc, s.check_accuracy(digits.x_test, digits.y_test))
    if H == 128:
        twolayer_solver = s
for name, (val, test) in mnist_results.items():
    print(f"{name:20s} best val {val:.3f}, test {test:.3f}")
chosen = max((k for k in mnist_results if k.startswith("two")), key=lambda k: mnist_results[k][0])
print(f"chosen on the validation set: {chosen}")
display(plot_history(twolayer_solver, title="two-layer net, H = 128, on the MNIST subset"))
if FAST:
    assert mnist_results["softmax"][1] > 0.8 and mnist_results["two-layer, H = 128"][1] > 0.8
else:
    assert abs(mnist_results["softmax"][1] - 0.898) < 0.005
    assert all(mnist_results[k][1] > 0.92 for k in mnist_results if k.startswith("two"))

# %% [markdown]
# Softmax regression gets about 90% of the test digits right; one hidden layer brings that to about 93–94%. The
# training accuracy of the two-layer net reaches almost 100% within a few epochs — 3,600 images are easy to
# memorise for a net with 100,000 parameters — which is why the validation set, not the training accuracy, decides.
#
# ## A CNN with batch normalisation and dropout (EECS 498 §5)
#
# [conv 5×5 → batch norm → ReLU → max-pool 2]×2 → dense 64 → batch norm → ReLU → dropout 0.25 → dense 10: every
# layer of notebooks 4–7 at once, and every backward pass produced by the engine from the rule table. float32 makes
# it about twice as fast.

# %% volatile
mg.manual_seed(0)
cnn = CNN(channels=(8, 16), kernel_size=5, hidden=64, dropout=0.25, batch_norm=True, dtype="float32")
n_params = sum(p.data.size for p in cnn.parameters())
cnn_solver = train(cnn, digits, {"lr": 0.05, "momentum": 0.9}, 1 if FAST else 8)
cnn_test = cnn_solver.check_accuracy(digits.x_test, digits.y_test)
print(cnn)
print(f"{n_params} parameters; best val {cnn_solver.best_val_acc:.3f} (epoch {cnn_solver.best_epoch}), "
      f"test {cnn_test:.3f}")
display(plot_history(cnn_solver, title="CNN + batch norm + dropout on the MNIST subset"))
display(plot_filters(cnn, title="the eight first-layer 5×5 filters after training"))
assert n_params == (8 * 25 + 16) + (16 * 8 * 25 + 32) + (64 * 784 + 128) + (64 * 10 + 10) == 54_402
if FAST:
    assert cnn_test > 0.85
else:
    assert cnn_test > 0.97

# %% [markdown]
# The CNN passes 97% on the test digits, with 54,402 parameters — about half of the two-layer net's 100,000 at
# H = 128 — because a convolution reuses the same 5×5 filters everywhere in the image. (The layers in front of a
# batch norm have no bias: the batch norm's β does that job, and a bias would be subtracted away with the mean.)
# After `train()` the model is back in evaluation mode for `check_accuracy`: batch norm uses its running statistics
# and dropout is the identity (notebook 7).
#
# ## The spiral study (Tsinghua HW1 §2)
#
# Three interleaved spirals, 100 points each, noise 0.2 — the TensorFlow playground's hardest data set. An MLP
# 2 → H → ReLU → 3, SGD with momentum 0.9, batch 32, 300 epochs. `spiral_study` varies one knob at a time around
# lr = 0.3, H = 100, no L2 (weight decay), and records how fast training accuracy reaches 95% and the accuracies
# of the best-validation parameters. First, what three of those settings learn:

# %% volatile
spiral = D.Split(*D.spiral(100, 3, 0.2, seed=0), *D.spiral(100, 3, 0.2, seed=1), *D.spiral(100, 3, 0.2, seed=2))
spiral_epochs = 60 if FAST else 300
fig, axes = plt.subplots(1, 3, figsize=(13, 4.3))
boundaries = {}
for ax, (title, lr, H, l2) in zip(axes, [("lr 0.003 (too small)", 0.003, 100, 0.0),
                                         ("lr 0.3, H 100 (the best)", 0.3, 100, 0.0),
                                         ("lr 0.3, L2 0.01 (too much)", 0.3, 100, 0.01)]):
    mg.manual_seed(0)
    model = MLP(2, [H], 3)
    s = Solver(model, spiral, optimizer="sgd", optim_config={"lr": lr, "momentum": 0.9, "weight_decay": l2},
               batch_size=32, num_epochs=spiral_epochs, num_train_samples=None, seed=0, progress=False,
               verbose=False)
    s.train()
    boundaries[title] = s.check_accuracy(spiral.x_test, spiral.y_test)
    f = plot_decision_boundary(model, spiral.x_test, spiral.y_test, resolution=150)
    f.canvas.draw()
    ax.imshow(np.asarray(f.canvas.buffer_rgba()))
    ax.set_title(f"{title}: test {boundaries[title]:.3f}", fontsize=10)
    ax.axis("off")
plt.show()
for title, acc in boundaries.items():
    print(f"{title:28s} test accuracy {acc:.3f}")
if not FAST:
    assert boundaries["lr 0.3, H 100 (the best)"] > 0.98
    assert boundaries["lr 0.003 (too small)"] < 0.85 and boundaries["lr 0.3, L2 0.01 (too much)"] < 0.85

# %% [markdown]
# With lr = 0.003 the network is still nearly linear after 300 epochs: it has not had time to bend its boundary
# around the arms. With L2 0.01 the weights are pulled towards 0 so hard that the boundary stays smooth and cuts
# through the spirals. The best setting wraps each arm.
#
# The whole study (18 trainings in the full run; the table is written by the library to `results.md`):

# %% volatile
with tempfile.TemporaryDirectory() as tmp:
    study = spiral_study(out=tmp, quick=FAST, verbose=False)
    table = (Path(study["folder"]) / "results.md").read_text(encoding="utf-8")
display(Markdown(table.split("\n", 2)[2]))  # without the title line
rows = {(r["lr"], r["hidden"], r["weight_decay"]): r for _, rs, _, _ in study["sections"] for r in rs}
best = study["best"]
print(f"best by validation accuracy: lr {best['lr']:g}, H {best['hidden']}, L2 {best['weight_decay']:g} -> "
      f"test {best['test_acc']:.3f}, 95% training accuracy at epoch {best['epochs_to_95%']}")
if not FAST:  # the findings below, as stated
    assert (best["lr"], best["hidden"], best["weight_decay"]) == (0.3, 100, 0.0) and best["test_acc"] == 299 / 300
    assert rows[(0.003, 100, 0.0)]["epochs_to_95%"] is None and rows[(0.003, 100, 0.0)]["final_train_acc"] <= 0.8
    assert [rows[(lr, 100, 0.0)]["epochs_to_95%"] for lr in (0.03, 0.1, 0.3)] == [106, 33, 14]
    assert rows[(1.0, 100, 0.0)]["epochs_to_95%"] == 38 and rows[(1.0, 100, 0.0)]["final_train_acc"] < 0.7
    assert rows[(3.0, 100, 0.0)]["epochs_to_95%"] is None and rows[(3.0, 100, 0.0)]["final_train_acc"] < 0.5
    assert rows[(3.0, 100, 0.0)]["final_loss"] > 0.9              # ln 3 = 1.10 is the loss of a uniform guess
    assert 0.8 < rows[(0.3, 3, 0.0)]["final_train_acc"] < 0.85    # too few hidden units
    assert all(rows[(0.3, h, 0.0)]["test_acc"] >= 0.99 for h in (10, 25, 50, 100, 300))
    assert rows[(0.3, 10, 0.0)]["epochs_to_95%"] == 27 and rows[(0.3, 300, 0.0)]["epochs_to_95%"] == 13
    assert [rows[(0.3, 100, l2)]["epochs_to_95%"] for l2 in (0.0001, 0.001)] == [14, 21]
    assert all(rows[(0.3, 100, l2)]["final_train_acc"] <= 0.72 for l2 in (0.01, 0.03, 0.1))  # too much L2
    assert rows[(0.3, 100, 0.1)]["final_train_acc"] == 1 / 3       # chance: one class everywhere

# %% [markdown]
# ### Findings (from the full run above)
#
# * **Learning rate.** Too small (0.003): after 300 epochs about 80%; it never reaches 95%. 0.03, 0.1 and 0.3
#   reach 95% at epochs 106, 33 and 14: up to a point, a larger step converges proportionally faster. At 1 training
#   becomes erratic: it reaches 95% at epoch 38, then overshoots, and the final accuracy falls to about 66%. At 3
#   it **never learns**: accuracy stays below 50% and the loss near 1.0, close to ln 3 ≈ 1.10, the loss of a
#   uniform guess over three classes.
# * **Hidden size.** 3 units cannot represent the spiral (about 83%). From 10 units on, all reach 99–100% on the
#   test points; more units converge in fewer epochs (27 for 10 units, 13 for 300), but each epoch costs more.
# * **L2 regularisation (weight decay).** 10⁻⁴ changes little (95% at epoch 14, as without it); 10⁻³ slows
#   convergence (epoch 21); from 10⁻² on the penalty dominates the loss and the model under-fits (72% and below),
#   down to chance (33%) at 0.1. On this data regularisation does not improve the test accuracy.
#
# The chosen setting (best validation accuracy) is lr 0.3, 100 hidden units, no L2: 299 of the 300 test points
# right (99.7%).
#
# **Checkpoint** (EECS 498 §7).
#
# 1. Why is training deep networks with the sigmoid non-linearity difficult?
# 2. During training, dropout with probability p is applied to the input of a linear layer, y = W(x ⊙ m). What
#    should the layer compute at inference?
# 3. The training loss goes down quickly and then diverges. Which hyper-parameter do you change first?
#
# <details><summary>Answers</summary>
#
# 1. Its derivative is at most 0.25 and nearly 0 when the unit saturates, so the gradient shrinks by a factor of at
#    least 4 per layer on its way back: the early layers barely learn (vanishing gradients, notebook 6).
# 2. y = W((1 − p)x) = (1 − p)Wx, the expected value of the training-time output; with inverted dropout (dividing
#    by 1 − p during training) simply y = Wx (notebook 7).
# 3. Lower the learning rate (or decay it over the epochs); the spiral study's lr = 1 and 3 rows show what too
#    large a step does.
#
# </details>
#
# **That is the series.** Every backward pass in this notebook was computed by the engine from the rule table
# of notebooks 2–3, and every rule was derived by hand in notebooks 4–8 and checked against it.
