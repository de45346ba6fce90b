"""Tensor graphs: shapes, dtypes, value summaries, parameter names, module clusters, saved tensors, edge labels."""

from __future__ import annotations

import re

import numpy as np
import pytest
from graphs import edges

import microgradnet as mg
from microgradnet import scope
from viz import to_dot
from viz.dot import summary

NODE = re.compile(r'^\t+(n\w*|g\w*) \[label="(.*?)"(?: |\])', re.M)


def labels(dot):
    return dict(NODE.findall(dot))


def clusters(dot):
    """cluster label → (depth, [node names]) from the DOT's nesting."""
    out, stack = {}, []
    for line in dot.splitlines():
        s = line.strip()
        if s.startswith("subgraph cluster_"):
            stack.append(None)
        elif s.startswith("graph [") and stack and stack[-1] is None:
            stack[-1] = re.search(r'label="([^"]*)"', s).group(1)
            out[stack[-1]] = (len(stack), [])
        elif s == "}" and stack:
            stack.pop()
        elif stack and re.match(r"^(n\w*|g\w*) \[", s):
            out[stack[-1]][1].append(s.split(" ", 1)[0])
    return out


class TinyModel:
    """Anything with named_parameters() (as Module has)."""

    def __init__(self):
        self.w = mg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
        self.b = mg.tensor([0.5, -0.5], requires_grad=True)

    def named_parameters(self):
        return [("fc.weight", self.w), ("fc.bias", self.b)]

    def __call__(self, x):
        with scope("fc"):
            return x @ self.w.T + self.b


def test_tensor_nodes_show_shape_dtype_summary_and_grad():
    m = TinyModel()
    x = mg.tensor(np.arange(12.0).reshape(4, 3) / 4.0)
    x32 = mg.tensor(np.ones((2, 3)), requires_grad=True, dtype="float32")
    loss = m(x).relu().sum() + x32.sum().to("float64")
    before = labels(to_dot(loss, params=m))
    assert before["n1"] == "fc.weight | (2, 3) float64 | data min 0 mean 2.5 max 5 | grad —"
    loss.backward()
    labs = labels(to_dot(loss, params=m))
    w = m.w.data
    assert labs["n1"] == f"fc.weight | (2, 3) float64 | data {summary(w)} | grad {summary(m.w.grad)}"
    assert labs["n2"] == "fc.bias | (2,) float64 | data [0.5, -0.5] | grad [4, 4]"
    # a constant: no grad field; a float32 leaf keeps its dtype
    const = [lab for lab in labs.values() if lab.startswith("(4, 3) float64")]
    assert const == ["(4, 3) float64 | data min 0 mean 1.375 max 2.75"]
    assert any(lab.startswith("(2, 3) float32 | data all 1 | grad all 1") for lab in labs.values())
    # the root: a 0-d tensor shows its value
    assert labs[f"n{len(mg.toposort(loss))}"] == f"() float64 | data {float(loss.item()):.4g} | grad 1"


def test_params_from_a_dict_or_named_parameters_and_labels():
    w = mg.tensor([1.0, 2.0], requires_grad=True, label="my label")
    y = (w * w).sum()
    assert labels(to_dot(y))["n1"].startswith("my label | (2,) float64")
    assert labels(to_dot(y, params={"layer.w": w}))["n1"].startswith("layer.w | (2,) float64")


def test_module_scopes_become_nested_clusters_and_calls_are_told_apart():
    x = mg.tensor([[1.0, -2.0, 3.0]], requires_grad=True)
    with scope("features.0"):
        h = x * 2.0
    with scope("features.1"):
        h = h.relu()
    with scope("act"):
        h = h.tanh()
    h = h + 1.0
    with scope("act"):  # the same module called a second time
        h = h.tanh()
    y = h.sum()
    dot = to_dot(y)
    cl = clusters(dot)
    assert set(cl) == {"features", "features.0"}  # features.0 holds the constant 2 and the product
    assert cl["features"][0] == 1 and cl["features.0"][0] == 2
    # a module call drawn as one node (value + op) gets no cluster: the node is named after it instead
    labs = labels(dot)
    assert any(lab.startswith("features.1 | ") for lab in labs.values())
    assert sorted(lab.split(" | ")[0] for lab in labs.values() if lab.startswith("act")) == ["act (call 1)",
                                                                                               "act (call 2)"]


def test_show_saved_lists_the_tensors_and_bytes():
    a = mg.tensor(np.ones((2, 3)), requires_grad=True)
    b = mg.tensor(np.ones((3, 4)), requires_grad=True)
    y = (a @ b).tanh().sum()
    labs = labels(to_dot(y, show_saved=True))
    ops = {name: lab for name, lab in labs.items() if name.endswith("_op")}
    assert "@ | saved a (2, 3) float64, b (3, 4) float64 = 144 B" in ops.values()  # 6·8 + 12·8 bytes
    assert "tanh | saved out (2, 4) float64 = 64 B" in ops.values()
    assert "Σ | saved nothing (shapes only)" in ops.values()


def test_edge_labels_local_formulas_and_contrib_vjps():
    rng = np.random.default_rng(3)
    a = mg.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    b = mg.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    c = a @ b
    y = (c * c).sum()
    y.backward()
    local = [lab for _, dst, lab in edges(to_dot(y, edge_labels="local")) if dst == "n3_op"]
    assert local == ["∂L/∂a = g bᵀ", "∂L/∂b = aᵀ g"]
    contrib = [lab for _, dst, lab in edges(to_dot(y, edge_labels="contrib")) if dst == "n3_op"]
    g = 2 * (a.data @ b.data)  # ∂y/∂c, worked by hand
    assert contrib == [summary(g @ b.data.T), summary(a.data.T @ g)]
    np.testing.assert_allclose(a.grad, g @ b.data.T)


def test_op_labels_name_the_attributes():
    x = mg.tensor(np.arange(32.0).reshape(1, 2, 4, 4), requires_grad=True)
    parts = [
        mg.windows(x, (2, 3), stride=2).sum(),
        x.sum(dim=(2, 3), keepdim=True).sum(),
        x.reshape(2, 16).sum(),
        x[0, :, 1:3].sum(),
        mg.pad(x, ((0, 0), (0, 0), (1, 1), (2, 0))).sum(),
        mg.cat([x, x], dim=1).sum(),
        x.clamp(0.0, 6.0).sum(),
        x.leaky_relu(0.2).sum(),
        (x ** 3).sum(),
        x.amax(dim=3, tie="first").sum(),
        x.permute(0, 2, 3, 1).sum(),
    ]
    y = parts[0]
    for p in parts[1:]:
        y = y + p
    ops = {lab for name, lab in labels(to_dot(y, max_nodes=None)).items() if name.endswith("_op")}
    for expected in ("windows 2×3 stride 2×2", "Σ axis=(2, 3) keepdim", "reshape → (2, 16)", "[0, :, 1:3]",
                     "pad (0, 0), (0, 0), (1, 1), (2, 0)", "cat axis=1", "clip [0, 6]", "lrelu 0.2", "^3",
                     "max axis=(3,) tie=first", "transpose (0, 2, 3, 1)", "Σ", "+"):
        assert expected in ops, expected


def test_scalar_level_tensor_draws_its_values():
    w = mg.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
    x = mg.tensor([1.0, 2.0])
    with mg.scalar_level({"w": w}):
        y = (w @ x).relu().sum()
    y.backward()
    dot = to_dot(y)
    labs = labels(dot)
    # every element of w is its own Value node, named w[i,j], with the scalar-level gradient:
    # w @ x = [1 − 4, 0.5 + 6] = [−3, 6.5], so relu passes row 1 only and ∂y/∂w = [[0, 0], x]
    np.testing.assert_allclose(w.grad, [[0.0, 0.0], [1.0, 2.0]])
    # scalar-level graphs keep each tensor's elements in index order, which needs plain boxes, not records
    assert "w[0,1] | data -2.0000 | grad 0.0000" in labs.values()
    assert "w[1,0] | data 0.5000 | grad 1.0000" in labs.values()
    assert sum(1 for n in labs if not n.endswith("_op")) == len(mg.toposort(list(y.level[1].flat)))


@pytest.mark.parametrize("shape", [(3,), (2, 2)])
def test_tiny_tensors_show_their_values(shape):
    t = mg.tensor(np.arange(float(np.prod(shape))).reshape(shape) - 1.0, requires_grad=True)
    y = (t * 2.0).sum()
    lab = labels(to_dot(y))["n1"]
    assert lab.split(" | ")[1] == "data " + "[" + ", ".join(f"{v:g}" for v in t.data.ravel()) + "]"
