"""Notebook 02: the chain rule (source of notebooks/02_chain_rule.ipynb; build with notebooks/build.py)."""

# %% [markdown]
# # 2. The chain rule
#
# *Second notebook of the series. About 45 minutes.*
#
# A neural network's loss is a long **composition** of simple operations: multiply, add, tanh, max… The chain rule
# says how to get the derivative of a composition from the derivatives of its parts, and backpropagation is the
# chain rule applied in a clever order. In this notebook you will:
#
# 1. apply the chain rule by hand to a small expression, with numbers;
# 2. build the same expression as a graph of `Value`s and draw it, with each node's **data** and **grad** and the
#    **local derivative** on every edge;
# 3. see the two rules that make up backpropagation: **multiply along a path, add across paths**;
# 4. see why gradients must be *added* into `.grad` (the wrong answer `=` gives), and why the nodes must be visited
#    in reverse **topological order** (the wrong answer a plain recursion gives);
# 5. write `backward` yourself.

# %%
import math
import sys

from microgradnet import Value, tape, toposort
from microgradnet.exercises import check
from viz import show  # show(root): draw the graph (its DOT text without Graphviz)

# %% [markdown]
# ## The chain rule on numbers
#
# If L depends on d and d depends on e, then a small change in e changes d, which changes L:
#
# $$\frac{\partial L}{\partial e} = \frac{\partial L}{\partial d}\cdot\frac{\partial d}{\partial e}.$$
#
# "If a car goes twice as fast as a bicycle and the bicycle four times as fast as a walker, the car goes 2·4 = 8
# times as fast as the walker."
#
# Our first expression (from micrograd's lecture): a = 2, b = −3, c = 10, f = −2 and
#
# e = a·b,  d = e + c,  L = d·f.
#
# Forward, with numbers: e = −6, d = 4, L = −8. Backward, one step at a time, starting from ∂L/∂L = 1:
#
# * L = d·f: ∂L/∂d = f = −2 and ∂L/∂f = d = 4 (for a product, each factor's derivative is *the other factor*);
# * d = e + c: ∂d/∂e = ∂d/∂c = 1 (a sum passes the gradient through), so ∂L/∂e = ∂L/∂c = −2·1 = −2;
# * e = a·b: ∂L/∂a = ∂L/∂e·b = −2·(−3) = 6 and ∂L/∂b = ∂L/∂e·a = −2·2 = −4.

# %%
a, b, c, f = 2.0, -3.0, 10.0, -2.0
e = a * b
d = e + c
L = d * f
dL_dd, dL_df = f, d
dL_de = dL_dc = dL_dd * 1.0
dL_da, dL_db = dL_de * b, dL_de * a
print(f"forward: e = {e}, d = {d}, L = {L}")
print(f"backward: dL/dd = {dL_dd}, dL/df = {dL_df}, dL/de = dL/dc = {dL_de}, dL/da = {dL_da}, dL/db = {dL_db}")
assert (e, d, L) == (-6.0, 4.0, -8.0)
assert (dL_dd, dL_df, dL_de, dL_da, dL_db) == (-2.0, 4.0, -2.0, 6.0, -4.0)

# %% [markdown]
# Check one of them the way notebook 1 taught: nudge a and watch L.

# %%
def L_of(a):
    return (a * b + c) * f


h = 1e-6
numeric = (L_of(a + h) - L_of(a - h)) / (2 * h)
print(f"central difference: dL/da ≈ {numeric:.8f}")
assert abs(numeric - 6.0) < 1e-8

# %% [markdown]
# ## The same expression as a graph of Values
#
# `Value` wraps a number and records how it was made. Every operation creates a new node that remembers its
# inputs (its `parents`, `_prev`) and the rule that made it (`_op`). `L.backward()` then does exactly what we did
# by hand.

# %%
a = Value(2.0, label="a")
b = Value(-3.0, label="b")
c = Value(10.0, label="c")
f = Value(-2.0, label="f")
e = a * b
e.label = "e"
d = e + c
d.label = "d"
L = d * f
L.label = "L"
L.backward()
for v in (a, b, c, f, e, d, L):
    print(f"{v.label}: data = {v.data:5}, grad = {v.grad:5}")
assert (a.grad, b.grad, c.grad, f.grad, e.grad, d.grad) == (6.0, -4.0, -2.0, 4.0, -2.0, -2.0)

# %% [markdown]
# The picture: each box is a Value (label | data | grad), each small oval an operation. The number on an edge is
# the **local derivative** ∂(output of that operation)/∂(this input): for × it is the other factor, for + it is 1.
# Inputs (leaves) are blue, the output green.
#
# `show` (from `viz`) draws it; on a machine without Graphviz it prints the graph's DOT text instead.

# %%
show(L, edge_labels="local")

# %% [markdown]
# **Multiply along a path.** a reaches L along a → e → d → L. The gradient of a is the product of the local
# derivatives on that path, times ∂L/∂L = 1:
#
# ∂L/∂a = (∂e/∂a)·(∂d/∂e)·(∂L/∂d) = b·1·f = (−3)·1·(−2) = 6.
#
# `local_grads()` gives the numbers on a node's incoming edges, parents in argument order:

# %%
print("e = a*b:", e.local_grads(), "  d = e+c:", d.local_grads(), "  L = d*f:", L.local_grads())
path_product = e.local_grads()[0] * d.local_grads()[0] * L.local_grads()[0]
print(f"product along a -> e -> d -> L: {path_product}")
assert e.local_grads() == (-3.0, 2.0) and d.local_grads() == (1.0, 1.0) and L.local_grads() == (-2.0, 4.0)
assert path_product == a.grad == 6.0

# %% [markdown]
# With `edge_labels="contrib"` each edge shows instead what travels along it during backward: the gradient of the
# operation's output times the local derivative — the contribution that edge adds into the input's `.grad`.

# %%
show(L, edge_labels="contrib")

# %% [markdown]
# The **tape** is the list of operations in the order they were recorded (a Wengert list). Backward reads it from
# the bottom up.

# %%
print(tape(L))

# %% [markdown]
# ## Add across paths
#
# Now an input that is used **twice**. With x = 3 and y = −2:
#
# q = x·y,  f = q + x,  L = f².
#
# x reaches f along two paths: through q, and directly. A small change δ in x moves q by y·δ *and* f directly by
# δ; both changes reach L. So the gradient is the **sum** over paths of the product along each path:
#
# ∂L/∂x = (∂L/∂f)(∂f/∂q)(∂q/∂x) + (∂L/∂f)(∂f/∂x) = (∂L/∂f)·1·y + (∂L/∂f)·1.
#
# **Exercise (by hand).** Work out ∂L/∂f, ∂L/∂q, ∂L/∂x and ∂L/∂y with pen and paper, then type your four numbers
# (replace the `...`). Do not run the Value graph below first!

# %% [exercise chain_by_hand]
answer = {"f": ..., "q": ..., "x": ..., "y": ...}  # your numbers: ∂L/∂f, ∂L/∂q, ∂L/∂x, ∂L/∂y

# %% [solution chain_by_hand]
# f = q + x = x·y + x = 3·(−2) + 3 = −3, and L = f² = 9.
# ∂L/∂f = 2f = −6;  ∂L/∂q = ∂L/∂f · ∂f/∂q = −6 · 1 = −6
# ∂L/∂x = ∂L/∂q · ∂q/∂x + ∂L/∂f · ∂f/∂x = (−6)(−2) + (−6)(1) = 12 − 6 = 6   (two paths, added)
# ∂L/∂y = ∂L/∂q · ∂q/∂y = (−6)(3) = −18
answer = {"f": -6.0, "q": -6.0, "x": 6.0, "y": -18.0}

# %%
check("chain_by_hand", answer)

# %% [markdown]
# Now the graph. On the picture, x has **two** outgoing edges; its grad is the sum of what comes back along them.

# %%
x = Value(3.0, label="x")
y = Value(-2.0, label="y")
q = x * y
q.label = "q"
fx = q + x
fx.label = "f"
L2 = fx ** 2
L2.label = "L"
L2.backward()
through_q = fx.grad * fx.local_grads()[0] * q.local_grads()[0]
direct = fx.grad * fx.local_grads()[1]
print(f"path x -> q -> f: {through_q}, path x -> f: {direct}, sum: {through_q + direct}, x.grad = {x.grad}")
assert (through_q, direct, x.grad) == (12.0, -6.0, 6.0)
show(L2, edge_labels="contrib")

# %% [markdown]
# ## Why `+=`: gradients accumulate
#
# The engine adds each contribution into a parent's `.grad`. The smallest example is a + a: a's two edges each
# carry 1, so ∂(a + a)/∂a = 2.

# %%
a = Value(5.0, label="a")
s = a + a
s.backward()
print(f"d(a + a)/da = {a.grad}")
assert a.grad == 2.0

# %% [markdown]
# What goes wrong with `=` shows on a **diamond**: a node used by two others. Take a = 2 and
#
# b = 3a,  c = b + 1,  L = b·c.
#
# b feeds both c and L. So ∂L/∂b = c + b·1 = 7 + 6 = 13 (through L directly, and through c), and
# ∂L/∂a = 13·3 = 39. Here is a backward pass that *assigns* instead of adding:

# %%
def diamond():
    a = Value(2.0, label="a")
    b = a * 3
    b.label = "b"
    c = b + 1
    c.label = "c"
    L = b * c
    L.label = "L"
    return a, b, c, L


def backward_with_assignment(root):
    """WRONG: parent.grad = ... keeps only the last contribution."""
    root.grad = 1.0
    for node in reversed(toposort(root)):
        for parent, local in zip(node._prev, node.local_grads()):
            parent.grad = node.grad * local


a, b, c, L = diamond()
backward_with_assignment(L)
wrong_a, wrong_b = a.grad, b.grad
a, b, c, L = diamond()
L.backward()
print(f"with '=':  b.grad = {wrong_b}, a.grad = {wrong_a}")
print(f"with '+=': b.grad = {b.grad}, a.grad = {a.grad}")
assert (wrong_b, wrong_a) == (6.0, 18.0) and (b.grad, a.grad) == (13.0, 39.0)
show(L, edge_labels="contrib", hide_constants=True)

# %% [markdown]
# With `=`, b keeps only the contribution of the last edge processed (6, from c) and loses the 7 from L, so a gets
# 18 instead of 39. The picture shows both edges leaving b, carrying 7 and 6.
#
# (`hide_constants=True` folds the constants 3 and 1 into their operations, "×3" and "+1", to keep the picture
# small.)
#
# ## Why the order matters: the tape, reversed
#
# A node may pass its gradient on only when it is **complete**: when every node that uses it has already sent its
# contribution back. A natural first attempt — "give each parent its share, then recurse into it" — breaks that
# rule on the diamond:

# %%
def backward_naive_recursion(root):
    """WRONG: a node passes on its gradient as soon as it receives any of it."""
    root.grad = 1.0

    def visit(node):
        for parent, local in zip(node._prev, node.local_grads()):
            parent.grad += node.grad * local
            visit(parent)

    visit(root)


a, b, c, L = diamond()
backward_naive_recursion(L)
print(f"naive recursion: b.grad = {b.grad}, a.grad = {a.grad}  (right: 13 and 39)")
assert (b.grad, a.grad) == (13.0, 60.0)

# %% [markdown]
# b's *final* gradient is right (13), but a got 60: b first passed on 7·3 = 21 (only L's share had arrived), then,
# reached again through c, passed on its full 13·3 = 39. The 21 was counted twice.
#
# The fix is to visit nodes in an order where every node comes **after all the nodes that use it**: the reverse of
# a **topological order** (an order where every node comes after its parents). The order in which the nodes were
# created is one, since a node can only be made from nodes that already exist. That is the tape, and backward
# walks it backwards:

# %%
a, b, c, L = diamond()
order = toposort(L)
print("tape (creation order):", [n.label or f"const {n.data:g}" for n in order])
print("backward visits:      ", [n.label or f"const {n.data:g}" for n in reversed(order)])
assert [n.label for n in order if n.label] == ["a", "b", "c", "L"]

# %% [markdown]
# ## Leaves accumulate across calls
#
# Because gradients are *added*, calling `backward` twice adds twice. Inputs and parameters (leaves) keep
# accumulating — that is why a training loop sets them to zero before every backward pass (`zero_grad`).
# Intermediate nodes hold the gradient of the latest backward pass only.

# %%
a, b, c, L = diamond()
L.backward()
first = a.grad
L.backward()
print(f"after one backward: a.grad = {first}; after two: a.grad = {a.grad}; b (intermediate): {b.grad}")
assert (first, a.grad, b.grad) == (39.0, 78.0, 13.0)

# %% [markdown]
# **Checkpoint.**
#
# 1. In the diamond, which node's gradient is the sum of two contributions, and what are they?
# 2. Give a topological order of the nodes x, y, q, f, L of the two-paths example, and the order backward visits
#    them in.
# 3. Why does the recursion in `backward_naive_recursion` give the right answer for the first example (a, b, c, f)?
#
# <details><summary>Answers</summary>
#
# 1. b: 7 (∂L/∂b through L = b·c directly, i.e. c) and 6 (through c: ∂L/∂c · ∂c/∂b = b · 1). a then gets
#    13 · 3 = 39 through a single edge.
# 2. x, y, q, f, L (creation order; y, x, q, f, L also works). Backward: L, f, q, y, x (any order where f comes
#    before q and x, and q before x and y).
# 3. No *intermediate* node is used twice there, so every node is reached exactly once, with its complete
#    gradient. (In the two-paths example only the *input* x is shared; x has no parents, so it passes nothing on
#    and the recursion is right there too. The diamond breaks it because the shared node b has a parent.)
#
# </details>
#
# ## Exercise: write `backward`
#
# Write `backward(root)` that fills `.grad` of every node `root` depends on, like `root.backward()`:
#
# 1. list the nodes in a topological order (every node after its parents) **without recursion** — keep the nodes
#    still to visit in a Python list used as a stack (a graph can be thousands of nodes deep, and Python stops
#    recursing at 1,000 levels);
# 2. set `root.grad = 1.0`;
# 3. walk the order **backwards**; for each node, add `node.grad * local` into each parent's `.grad`, for
#    `parent, local in zip(node._prev, node.local_grads())`.
#
# (Do not use `toposort` or `.backward()`: that would be the library's answer, not yours.) The check runs your
# function on the lecture's neuron, a diamond, a + a, and a chain 5,000 nodes deep, and compares every node's
# gradient with the engine's.

# %% [exercise backward]
def backward(root):
    """Fill .grad of every node that root depends on with ∂root/∂node (grads start at 0)."""
    raise NotImplementedError("write backward here")

# %% [solution backward]
def backward(root):
    """Fill .grad of every node that root depends on with ∂root/∂node (grads start at 0)."""
    # 1. post-order depth-first search with an explicit stack: a node is appended after all its parents
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))          # comes back here after its parents
        for parent in node._prev:
            if id(parent) not in seen:
                stack.append((parent, False))
    # 2. set root.grad = 1, 3. reverse topological order, accumulating
    root.grad = 1.0
    for node in reversed(order):
        for parent, local in zip(node._prev, node.local_grads()):
            parent.grad += node.grad * local

# %%
check("backward", backward)

# %% [markdown]
# ## Depth: why the library never recurses
#
# micrograd's lecture builds the topological order with a recursive function. It is short and clear, but Python
# stops any recursion about 1,000 calls deep, and a graph is easily deeper than that (a 1,000-step loop, a long
# sequence, a scalar-level layer). The library's `toposort` and `backward` are iterative. (The limit is
# `sys.getrecursionlimit()`, 1,000 unless something raised it; the chain below is 3,000 deep, or three times the
# limit where it was raised, so the recursion fails wherever you run it.)

# %%
def recursive_topo(root):
    order, seen = [], set()

    def build(v):
        if v not in seen:
            seen.add(v)
            for p in v._prev:
                build(p)
            order.append(v)

    build(root)
    return order


depth = max(3000, 3 * sys.getrecursionlimit())
x = Value(1.0, label="x")
y = x
for _ in range(depth):
    y = y * 1.0001
try:
    recursive_topo(y)
    outcome = "finished"
except RecursionError:
    outcome = "RecursionError"
y.backward()
expected = 1.0001 ** depth
print(f"recursive topological sort on a chain {depth:,} deep: {outcome}")
print(f"library backward: x.grad = {x.grad:.6f} (1.0001**{depth} = {expected:.6f})")
assert outcome == "RecursionError" and math.isclose(x.grad, expected, rel_tol=1e-9)

# %% [markdown]
# **Next:** [3. A neuron and an MLP](03_neuron_mlp.ipynb) — the chain rule inside a network that learns.
