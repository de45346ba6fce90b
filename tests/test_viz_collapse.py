"""Big graphs stay readable: collapse into tensor ops and module calls, depth=, hide_constants, 10⁵ nodes."""

from __future__ import annotations

import re
import sys

import numpy as np
import pytest

import microgradnet as mg
from microgradnet import Value, scope
from viz import MAX_NODES, draw_dot, to_dot

BOX = re.compile(r'^\t+((?:n|g)\d+|more) \[label="(.*?)"', re.M)
EDGE = re.compile(r"^\t(\w+) -> (\w+)", re.M)


def boxes(dot):
    return dict(BOX.findall(dot))


def edges(dot):
    return EDGE.findall(dot)


def is_dag(edge_list) -> bool:
    """Kahn's algorithm on the drawn edges (op nodes included)."""
    succ, indeg = {}, {}
    for a, b in edge_list:
        succ.setdefault(a, []).append(b)
        indeg[b] = indeg.get(b, 0) + 1
        indeg.setdefault(a, 0)
    queue = [n for n, d in indeg.items() if d == 0]
    seen = 0
    while queue:
        n = queue.pop()
        seen += 1
        for m in succ.get(n, []):
            indeg[m] -= 1
            if indeg[m] == 0:
                queue.append(m)
    return seen == len(indeg)


def chain(n_iter):
    """x → (·1.0000001 + 0.001) repeated: 4 tape nodes per iteration (two constants, mul, add)."""
    x = Value(0.5, label="x")
    v = x
    for _ in range(n_iter):
        v = v * 1.0000001 + 0.001
    v.label = "out"
    return v, x


def test_scalar_level_graph_collapses_into_its_tensor_ops():
    rng = np.random.default_rng(0)
    x = mg.tensor(rng.standard_normal((1, 1, 6, 6)))
    w = mg.tensor(rng.standard_normal((2, 1, 3, 3)), requires_grad=True)
    with mg.scalar_level({"x": x, "conv.weight": w}):
        with scope("conv"):
            cols = mg.windows(x, 3).permute(0, 2, 3, 1, 4, 5).reshape(1, 16, 9)
            y = cols @ w.reshape(2, 9).T
        with scope("pool"):
            z = y.amax(1)
        loss = (z * z).sum()
    loss.backward()
    total = len(mg.toposort(list(loss.level[1].flat)))
    assert total > MAX_NODES
    dot = to_dot(loss)
    b = boxes(dot)
    # x and conv.weight (their elements), matmul (products and sums), amax, mul, sum: six boxes
    titles = sorted(lab.split(" | ")[0] for lab in b.values())
    assert titles == ["amax", "conv.weight", "matmul", "mul", "sum", "x"]
    assert any(lab.startswith("conv.weight | 18 elements | data ") for lab in b.values())
    note = f"max_nodes={MAX_NODES}: {total:,} nodes; collapsed {total:,} scalar nodes into their tensor ops: 6 box(es)"
    assert note in dot
    assert is_dag(edges(dot))
    # matmul's box holds 2·16·9 products and 2·16 sums; its output summary is over the 32 outputs
    mm = next(lab for lab in b.values() if lab.startswith("matmul"))
    assert mm.startswith(f"matmul | {2 * 16 * 9 + 2 * 16} scalar nodes | data ")
    assert 'label="conv"' in dot and 'label="pool"' in dot  # clusters kept
    # drawing everything is still possible on request
    assert len([n for n in boxes(to_dot(loss, max_nodes=None)) if n.startswith("n")]) == total


def _layered(reuse=False):
    x = mg.tensor(np.linspace(-1, 1, 6), requires_grad=True, label="x")
    h = x
    with scope("features.0"):
        for _ in range(6):
            h = (h * 1.5).tanh()
    with scope("features.1"):
        for _ in range(6):
            h = (h + 0.5).relu()
    with scope("head"):
        h = h * 2.0
    if reuse:
        h = h + 1.0
        with scope("head"):  # the same module applied again
            h = h * 2.0
    return h.sum()


def test_module_calls_collapse_innermost_first_then_into_their_parent():
    y = _layered()
    full = len(boxes(to_dot(y, max_nodes=None)))
    mid = to_dot(y, max_nodes=10)
    b = boxes(mid)
    assert len(b) <= 10 < full
    titles = sorted(lab.split(" | ")[0] for n, lab in b.items() if n.startswith("g"))
    assert titles == ["features.0", "features.1"]
    # each module call: 6 × (a constant, an op, an activation) = 18 nodes, 12 of them ops
    assert "collapsed 36 nodes into their module calls (module depth 2): 2 box(es)" in mid
    f0 = next(lab for lab in b.values() if lab.startswith("features.0"))
    assert f0.startswith("features.0 | 12 ops: mul, tanh | (6,) float64")
    assert 'label="features"' in mid  # the parent module is still a cluster around the two boxes
    top = to_dot(y, max_nodes=5)
    titles = sorted(lab.split(" | ")[0] for n, lab in boxes(top).items() if n.startswith("g"))
    assert titles == ["features", "head"]
    assert "(module depth 1)" in top
    assert is_dag(edges(mid)) and is_dag(edges(top))


def test_a_module_called_twice_gives_two_boxes_and_no_cycle():
    y = _layered(reuse=True)
    dot = to_dot(y, max_nodes=6)
    heads = [lab for lab in boxes(dot).values() if lab.startswith("head")]
    assert len(heads) == 2
    assert is_dag(edges(dot))
    assert 'label="head (call 1)"' in to_dot(y, max_nodes=None)


def test_depth_limits_the_distance_from_the_output():
    v, _ = chain(10)
    dot = to_dot(v, depth=3)
    values = [n for n in boxes(dot) if n.startswith("n")]
    # out = add(mul, c) ← mul(add, c) ← add(mul, c) ← mul: the output and two nodes per step back
    assert len(values) == 1 + 2 + 2 + 2
    assert dot.count('[label="…" shape="plaintext"]') == 1
    total = 1 + 4 * 10
    assert f"depth=3: {total - 7} node(s) farther than 3 operation(s) from the output are not drawn" in dot
    assert [n for n in boxes(to_dot(v, depth=0))] == [f"n{len(mg.toposort(v))}"]


def test_hide_constants_for_tensors():
    x = mg.tensor([1.0, 2.0], requires_grad=True, label="x")
    y = ((x * 2.0) + mg.tensor([0.5, 0.5])).sum()
    dot = to_dot(y, hide_constants=True)
    ops = [lab for n, lab in re.findall(r'^\t+(n\d+_op) \[label="(.*?)"', dot, re.M)]
    assert ops == ["× 2", "+ const(2,)", "Σ"]
    assert "2 constant(s) hidden" in dot


def test_a_hundred_thousand_nodes_without_recursion_or_hanging():
    limit = sys.getrecursionlimit()
    v, x = chain(25_000)
    total = len(mg.toposort(v))
    assert total == 100_001
    v.backward()
    dot = to_dot(v)
    b = boxes(dot)
    assert len(b) == MAX_NODES and "more" in b
    kept = MAX_NODES - 1
    assert b["more"] == f"… {total - kept:,} more nodes"
    # breadth first from the output: the kept nodes are the last ones recorded
    assert sorted(int(n[1:]) for n in b if n != "more") == list(range(total - kept + 1, total + 1))
    assert f"only the {kept} box(es) nearest the output are drawn; {total - kept:,} more node(s) of " \
           f"{total:,} are the … node" in dot
    assert is_dag(edges(dot))
    g = draw_dot(v, depth=2, max_nodes=None)
    assert len(boxes(g.source)) == 5 and g.notes[0].startswith("depth=2: 99,996 node(s)")
    assert sys.getrecursionlimit() == limit


@pytest.mark.parametrize("max_nodes", [1, 2, 7])
def test_tiny_max_nodes_still_draws_the_output(max_nodes):
    v, _ = chain(20)
    b = boxes(to_dot(v, max_nodes=max_nodes))
    assert f"n{len(mg.toposort(v))}" in b and "more" in b
    assert len(b) == max(max_nodes, 2)
