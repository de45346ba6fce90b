"""Notebook 01: derivatives as slopes (source of notebooks/01_derivatives.ipynb; build with notebooks/build.py)."""

# %% [markdown]
# # 1. Derivatives as slopes
#
# *The first notebook of the microgradnet series on backpropagation. About 30 minutes.*
#
# Everything in the series rests on one idea: the **derivative** of a function at a point is the slope of the
# function there — how much the output moves per unit the input moves, for a very small move. Backpropagation is
# nothing more than an efficient way to get many of these slopes at once. Before we compute derivatives the
# efficient way, we compute them the slow, obvious way: **nudge the input and watch the output**. This numeric
# derivative is also how every gradient in this library is tested, so it pays to know exactly when it can be
# trusted.
#
# You will learn:
#
# 1. the numeric derivative (f(x + h) − f(x))/h and why the *central* version (f(x + h) − f(x − h))/2h is better;
# 2. what goes wrong when the step h is **too large** (the slope of a chord, not of the curve) and **too small**
#    (rounding: the two values of f agree in almost every digit);
# 3. why float32 and float64 need very different step sizes.
#
# **How the exercises work.** Some cells ask you to write a function. They start as a stub that raises
# `NotImplementedError`; the `check(...)` cell below each one then prints *not done yet*. When you have written
# your code, run the stub cell and the check cell again: `check` runs your function on the example from the text
# and on hidden edge cases, and says in plain words what is wrong. Worked solutions are in `solutions/`.

# %%
import matplotlib.pyplot as plt
import numpy as np

import microgradnet as mg
from microgradnet.exercises import check

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## A function and its slope
#
# Take the parabola f(x) = 3x² − 4x + 5. Calculus says its derivative is f′(x) = 6x − 4, so at x = 3 the slope is
# 6·3 − 4 = 14: near x = 3, f rises about 14 times as fast as x.
#
# Without any calculus we can *measure* the slope: move x by a small step h and divide the change in f by h.

# %%
def f(x):
    return 3 * x * x - 4 * x + 5


x, h = 3.0, 0.001
slope = (f(x + h) - f(x)) / h
print(f"f(3) = {f(x)}")
print(f"(f(3 + h) - f(3)) / h with h = {h}: {slope:.6f}")
print(f"calculus: f'(3) = 6*3 - 4 = {6 * x - 4}")
assert f(x) == 20.0
assert abs(slope - 14.003) < 1e-9

# %% [markdown]
# The measured slope, 14.003, is close to 14 but not equal: with a finite h we measure the slope of the **chord**
# from (3, f(3)) to (3 + h, f(3 + h)), not of the tangent. For a parabola the chord's slope is exactly
# f′(x) + 3h (try it: f(x + h) − f(x) = (6x − 4)h + 3h²), so the error here is 3·0.001 = 0.003.
#
# The picture shows f, the tangent at x = 3 (slope 14), and the chord for a deliberately large h = 1 (slope
# f′(3) + 3·1 = 17).

# %%
xs = np.linspace(0.5, 4.5, 200)
fig, ax = plt.subplots(figsize=(6, 3.6))
ax.plot(xs, f(xs), label="f(x) = 3x² − 4x + 5")
ax.plot(xs, f(3) + 14 * (xs - 3), "--", label="tangent at x = 3, slope 14")
chord = (f(4.0) - f(3.0)) / 1.0
ax.plot(xs, f(3) + chord * (xs - 3), ":", label=f"chord from 3 to 4, slope {chord:g}")
ax.plot([3, 4], [f(3), f(4)], "ko")
ax.set_ylim(-5, 60)
ax.set_xlabel("x")
ax.legend(loc="upper left")
plt.show()
assert chord == 17.0

# %% [markdown]
# ## Forward and central differences
#
# The **forward difference** (f(x + h) − f(x))/h looks only to the right of x. The **central difference**
# (f(x + h) − f(x − h))/2h looks both ways; the errors of the two sides cancel to first order. By Taylor's
# theorem
#
# * forward: (f(x + h) − f(x))/h = f′(x) + **h·f″(x)/2** + …  (the error shrinks like h)
# * central: (f(x + h) − f(x − h))/2h = f′(x) + **h²·f‴(x)/6** + …  (the error shrinks like h²)
#
# Shrinking h ten times divides the forward error by 10 and the central error by 100. To see both errors we need a
# function whose third derivative is not zero (the parabola's central difference is exact), so from here on we use
# the cubic g(x) = x³ − 2x at x = 1.5, where g′(1.5) = 3·1.5² − 2 = 4.75, g″ = 6x = 9 and g‴ = 6. (We write x³ as
# `x * x * x`: plain multiplications round the same way on every machine, so the numbers below are reproducible.)

# %%
def g(x):
    return x * x * x - 2 * x


x0, exact = 1.5, 4.75
print("      h    forward error   central error")
for h in [1e-1, 1e-2, 1e-3, 1e-4]:
    fwd = (g(x0 + h) - g(x0)) / h
    cen = (g(x0 + h) - g(x0 - h)) / (2 * h)
    print(f"{h:7.0e}   {abs(fwd - exact):13.3e}   {abs(cen - exact):13.3e}")
    assert abs(abs(fwd - exact) - 4.5 * h) < 1.01 * h * h  # h·g''/2 = 4.5h, plus h² from the next term
    assert abs(abs(cen - exact) - h * h) < 1e-10            # h²·g'''/6 = h² exactly for a cubic

# %% [markdown]
# As predicted: the forward error is 4.5·h (h·g″/2 with g″ = 9) and the central error is h² (h²·g‴/6 with g‴ = 6).
# At h = 10⁻⁴ the forward difference is right to about 4 digits, the central one to about 8.
#
# ## When h is too small: rounding
#
# So why not take h = 10⁻¹⁵? Because the computer stores about 16 significant decimal digits (float64). When h is
# tiny, g(x + h) and g(x) agree in almost all of those digits and their difference keeps only the few that
# differ: **catastrophic cancellation**. Dividing by a tiny h then magnifies what is left, rounding noise
# included. Roughly, rounding contributes an error of ε·|g(x)|/h, where ε is the *machine epsilon*, the gap
# between 1 and the next float.

# %%
eps64 = np.finfo(np.float64).eps
print(f"float64 machine epsilon: {eps64:.3e}")
for h in [1e-8, 1e-12, 1e-15]:
    fwd = (g(x0 + h) - g(x0)) / h
    print(f"h = {h:.0e}: g(x+h) = {g(x0 + h):.17f}, g(x) = {g(x0):.17f}, forward difference = {fwd:.6f}")
assert eps64 == 2.0 ** -52
assert abs((g(x0 + 1e-15) - g(x0)) / 1e-15 - exact) > 0.1   # at h = 1e-15 not even one decimal is right

# %% [markdown]
# ## The error against h
#
# Both effects together: for large h the truncation error (∝ h or h²) dominates; for small h the rounding error
# (∝ ε/h) dominates. On a log–log plot each is a straight line and the total error is a "V". The bottom of the V
# is the best h we can use, and its height the best accuracy we can get.
#
# We sweep h from 10⁻¹⁶ to 1 in float64 and, doing every operation in float32, in float32 too.

# %%
hs = np.logspace(-16, 0, 161)


def errors(dtype):
    x = dtype(x0)
    fwd = np.array([abs(float((g(x + dtype(h)) - g(x)) / dtype(h)) - exact) for h in hs])
    cen = np.array([abs(float((g(x + dtype(h)) - g(x - dtype(h))) / (dtype(2) * dtype(h))) - exact) for h in hs])
    return fwd, cen


err = {name: errors(dt) for name, dt in [("float64", np.float64), ("float32", np.float32)]}
fig, ax = plt.subplots(figsize=(7, 4.2))
for name, style in [("float64", "-"), ("float32", "--")]:
    fwd, cen = err[name]
    ax.loglog(hs, np.maximum(fwd, 1e-17), style, color="tab:blue", label=f"forward, {name}")
    ax.loglog(hs, np.maximum(cen, 1e-17), style, color="tab:orange", label=f"central, {name}")
ax.set_xlabel("step h")
ax.set_ylabel("|numeric − exact|")
ax.set_title("Error of the numeric derivative of x³ − 2x at x = 1.5")
ax.legend(fontsize=8)
ax.grid(True, which="major", alpha=0.3)
plt.show()

best = {}
for name in err:
    for kind, e in zip(("forward", "central"), err[name]):
        k = int(np.argmin(e))
        best[name, kind] = (hs[k], e[k])
        print(f"{name} {kind:8s}: best h = {hs[k]:.1e}, smallest error = {e[k]:.1e}")

# %%
# the numbers quoted in the text below
assert 1e-9 <= best["float64", "forward"][0] <= 1e-7 and best["float64", "forward"][1] < 1e-7
assert 1e-6 <= best["float64", "central"][0] <= 1e-4 and best["float64", "central"][1] < 1e-10
assert 1e-5 <= best["float32", "forward"][0] <= 1e-3 and best["float32", "forward"][1] > 1e-5
assert 1e-3 <= best["float32", "central"][0] <= 1e-2 and best["float32", "central"][1] > 1e-6
assert err["float32"][0][np.argmin(abs(hs - 1e-8))] == exact  # x + h == x in float32: the "derivative" is 0

# %% [markdown]
# Read the V's off the plot (the printed numbers above are its minima):
#
# * **float64, forward**: best near h ≈ 10⁻⁸ ≈ √ε, error ≈ 10⁻⁸ — only half of the 16 digits survive.
# * **float64, central**: best near h ≈ 10⁻⁵ to 10⁻⁶ ≈ ∛ε, error around 10⁻¹¹. This is why gradient checks use
#   central differences with h around 10⁻⁶ in float64 (`microgradnet.gradcheck` uses `eps=1e-6`).
# * **float32** (ε ≈ 1.2·10⁻⁷): everything shifts. The best central h is about 10⁻³ and even then only about 5
#   digits are right. Below h ≈ 10⁻⁷·x, x + h rounds back to x, the difference is exactly 0, and the error is the
#   whole derivative (the flat dashed line at the top left of the plot).
#
# The two epsilons:

# %%
eps32 = np.finfo(np.float32).eps
print(f"float32: eps = {eps32:.3e}, about {-np.log10(eps32):.1f} decimal digits")
print(f"float64: eps = {eps64:.3e}, about {-np.log10(eps64):.1f} decimal digits")
print(f"float32: 1.5 + 1e-8 == 1.5 is {np.float32(1.5) + np.float32(1e-8) == np.float32(1.5)}")
assert eps32 == 2.0 ** -23
assert np.float32(1.5) + np.float32(1e-8) == np.float32(1.5)

# %% [markdown]
# **Checkpoint.** Answer before opening the answers.
#
# 1. Halving h divides the forward-difference error by about what? And the central one?
# 2. In float64, with a function whose values are around 1, roughly how small can the error of a central
#    difference get, and at what h?
# 3. A network has a million parameters. How many evaluations of the loss does a numeric gradient need (central
#    differences)? How many does backpropagation need?
#
# <details><summary>Answers</summary>
#
# 1. By 2 (error ∝ h) and by 4 (error ∝ h²) — as long as h is well above the bottom of the V.
# 2. About 10⁻¹⁰ to 10⁻¹¹, near h ≈ 10⁻⁵ to 10⁻⁶ (∛ε·|x|); see the plot.
# 3. Two million (two per parameter), against one forward and one backward pass, which cost about as much as a
#    few evaluations. That is the whole reason backpropagation exists; finite differences are for *checking* it.
#
# </details>
#
# ## Exercise: the central difference
#
# Write `central_difference(f, x, h)` returning (f(x + h) − f(x − h))/2h. Mind the brackets.

# %% [exercise central_difference]
def central_difference(f, x, h):
    """(f(x + h) - f(x - h)) / (2h): the slope of f at x, error about h²·f'''/6."""
    raise NotImplementedError("write the central difference here")

# %% [solution central_difference]
def central_difference(f, x, h):
    """(f(x + h) - f(x - h)) / (2h): the slope of f at x, error about h²·f'''/6."""
    return (f(x + h) - f(x - h)) / (2 * h)

# %%
check("central_difference", central_difference)

# %% [markdown]
# ## The library's gradient check
#
# `microgradnet.gradcheck(f, *inputs)` puts the two ways side by side: it computes the derivative by
# backpropagation (the subject of the next notebooks) and by central differences with `eps=1e-6`, and compares
# them. For our cubic at x = 1.5:

# %%
report = mg.gradcheck(lambda x: x * x * x - 2 * x, 1.5)
print(report)
analytic = float(report.inputs[0].analytic)
print(f"backpropagation says g'(1.5) = {analytic}")
assert report.passed and analytic == 4.75
assert report.inputs[0].max_abs_error < 1e-8

# %% [markdown]
# Backpropagation gives 4.75 exactly; the finite difference is within 10⁻⁹ of it, as the V predicted for
# h = 10⁻⁶.
#
# **Next:** [2. The chain rule](02_chain_rule.ipynb) — derivatives of *compositions* of functions, by hand and
# as a graph.
