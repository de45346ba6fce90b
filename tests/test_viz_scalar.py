"""Scalar graphs: value records, op nodes, repeated operands, and edge labels checked against central differences."""

from __future__ import annotations

import math
import re

import pytest
from graphs import edges

from microgradnet import Value, vmax, vsum
from viz import to_dot

NODE = re.compile(r'^\t+(n\w*) \[label="(.*?)"(?: |\])', re.M)


def labels(dot):
    return dict(NODE.findall(dot))


def central(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


BINARY = {
    "mul": lambda a, b: a * b,
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "div": lambda a, b: a / b,
    "powv": lambda a, b: a ** b,
    "max": lambda a, b: a.max(b) if isinstance(a, Value) else max(a, b),
}
UNARY = {
    "tanh": (lambda v: v.tanh(), math.tanh),
    "exp": (lambda v: v.exp(), math.exp),
    "log": (lambda v: v.log(), math.log),
    "sigmoid": (lambda v: v.sigmoid(), lambda x: 1 / (1 + math.exp(-x))),
    "relu": (lambda v: v.relu(), lambda x: max(x, 0.0)),
    "leaky_relu": (lambda v: v.leaky_relu(0.1), lambda x: x if x > 0 else 0.1 * x),
    "pow3": (lambda v: v ** 3, lambda x: x ** 3),
    "abs": (lambda v: v.abs(), abs),
    "neg": (lambda v: -v, lambda x: -x),
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_local_edge_labels_are_the_partial_derivatives(name):
    f = BINARY[name]
    a0, b0 = 1.7, 0.6
    a, b = Value(a0, label="a"), Value(b0, label="b")
    out = f(a, b)
    dot = to_dot(out, edge_labels="local")
    (e1, e2) = [e for e in edges(dot) if e[1] == "n3_op"]
    assert (e1[0], e2[0]) == ("n1", "n2")  # argument order
    assert float(e1[2]) == pytest.approx(central(lambda x: f(x, b0), a0), abs=1e-4)
    assert float(e2[2]) == pytest.approx(central(lambda x: f(a0, x), b0), abs=1e-4)


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("x0", [-0.8, 1.3])
def test_local_edge_labels_unary(name, x0):
    if name == "log" and x0 < 0:
        x0 = 0.8
    build, ref = UNARY[name]
    x = Value(x0, label="x")
    dot = to_dot(build(x), edge_labels="local")
    ((src, dst, lab),) = [e for e in edges(dot) if e[1].endswith("_op")]
    assert float(lab) == pytest.approx(central(ref, x0), abs=1e-4)


def test_contrib_labels_sum_to_each_nodes_grad():
    # chain rule read off the picture: a node's grad = Σ of upstream × local on its outgoing edges
    x, y = Value(0.7, label="x"), Value(-1.2, label="y")
    h = x * y
    h.label = "h"
    k = h.tanh() + x * 3.0 - h.exp() / (y * y)
    k.label = "k"
    k.backward()
    dot = to_dot(k, edge_labels="contrib")
    names = {lab.split(" | ")[0].lstrip("{ "): n for n, lab in labels(dot).items() if not n.endswith("_op")}
    out_sum = {}
    for src, _dst, lab in edges(dot):
        if lab is not None:
            out_sum[src] = out_sum.get(src, 0.0) + float(lab)
    for name, v in (("x", x), ("y", y), ("h", h)):
        assert out_sum[names[name]] == pytest.approx(v.grad, abs=5e-4 * 4)


def test_grad_shows_a_dash_before_backward_and_numbers_after():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    before = labels(to_dot(c))
    assert before["n1"] == "{ a | data 2.0000 | grad — }"
    assert before["n3"] == "{ c | data -6.0000 | grad — }"
    c.backward()
    after = labels(to_dot(c))
    assert after["n1"] == "{ a | data 2.0000 | grad -3.0000 }"
    assert after["n2"] == "{ b | data -3.0000 | grad 2.0000 }"
    assert after["n3"] == "{ c | data -6.0000 | grad 1.0000 }"
    assert labels(to_dot(c, edge_labels="contrib"))  # and contrib before backward writes —
    d = Value(1.0) * Value(2.0)
    assert {lab for _, _, lab in edges(to_dot(d, edge_labels="contrib")) if lab} == {"—"}


def test_repeated_operand_is_two_edges_each_with_its_own_local_derivative():
    a = Value(3.0, label="a")
    s = a * a
    s.backward()
    es = [e for e in edges(to_dot(s, edge_labels="local")) if e[1] == "n2_op"]
    assert es == [("n1", "n2_op", "3.0000"), ("n1", "n2_op", "3.0000")]  # 2a = 6 = 3 + 3
    assert a.grad == 6.0


def test_hide_constants_writes_them_into_the_operation():
    x = Value(1.5, label="x")
    y = (2.0 - x) * 4.0 + x ** 2
    y.label = "y"
    full = to_dot(y)
    hidden = to_dot(y, hide_constants=True)
    ops = {lab for n, lab in labels(hidden).items() if n.endswith("_op")}
    assert ops == {"2 −", "× 4", "^2", "+"}
    values = [n for n in labels(full) if not n.endswith("_op")]
    assert len(values) == 7 and len([n for n in labels(hidden) if not n.endswith("_op")]) == 5
    assert "2 constant(s) hidden" in hidden


def test_show_saved_lists_what_the_rule_keeps():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = (a * b).tanh()
    labs = labels(to_dot(c, show_saved=True))
    assert labs["n3_op"] == "× | saved a=2.0000, b=-3.0000"
    assert labs["n4_op"] == f"tanh | saved out={math.tanh(-6.0):.4f}"


def test_nary_nodes_and_tie_split_locals():
    a, b, c = Value(2.0, label="a"), Value(5.0, label="b"), Value(5.0, label="c")
    m = vmax([a, b, c])
    s = vsum([a, b, c])
    out = m + s
    out.backward()
    dot = to_dot(out, edge_labels="local")
    into_max = [lab for src, dst, lab in edges(dot) if dst == "n4_op"]
    assert into_max == ["0.0000", "0.5000", "0.5000"]  # the tie shares the gradient (rule amax, tie='split')
    assert labels(dot)["n4_op"] == "max" and labels(dot)["n5_op"] == "Σ"
    assert b.grad == pytest.approx(1.5) and a.grad == pytest.approx(1.0)


def test_params_name_values_and_bad_arguments_are_refused():
    w = Value(0.5)
    y = w * 2.0
    assert labels(to_dot(y, params={"layer.w": w}))["n1"] == "{ layer.w | data 0.5000 | grad — }"
    with pytest.raises(TypeError, match="to_dot: expected a microgradnet Value or Tensor"):
        to_dot(3.0)
    with pytest.raises(ValueError, match="edge_labels must be None, 'local' or 'contrib'"):
        to_dot(y, edge_labels="grad")
    with pytest.raises(ValueError, match="rankdir must be one of"):
        to_dot(y, rankdir="XY")
    with pytest.raises(ValueError, match="max_nodes must be a positive int"):
        to_dot(y, max_nodes=0)
    with pytest.raises(ValueError, match="depth must be an int ≥ 0"):
        to_dot(y, depth=-1)
    with pytest.raises(TypeError, match="params must be a dict"):
        to_dot(y, params=[w])
    with pytest.raises(ValueError, match="nothing to draw"):
        to_dot([])


def test_rankdir_tb_turns_records():
    a = Value(1.0, label="a")
    b = a.exp()
    lr, tb = labels(to_dot(b)), labels(to_dot(b, rankdir="TB"))
    assert lr["n1"] == "{ a | data 1.0000 | grad — }" and tb["n1"] == "a | data 1.0000 | grad —"
    assert 'rankdir="TB"' in to_dot(b, rankdir="TB")
