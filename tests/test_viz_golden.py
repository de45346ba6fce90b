"""Golden DOT files: the same construction gives byte-identical DOT, in this process or another.

To regenerate after an intended change of the drawing: ``MICROGRADNET_UPDATE_GOLDEN=1 pytest tests/test_viz_golden.py``
(then review the diff of tests/golden/ before committing).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from graphs import diamond

import microgradnet as mg
from microgradnet import Value
from microgradnet.engine import scope
from viz import draw_dot, to_dot
from viz.render import write_atomic

GOLDEN = Path(__file__).parent / "golden"


# ---------------------------------------------------------------------------------------------------- graphs
def neuron():
    """micrograd's lecture neuron o = tanh(x1·w1 + x2·w2 + b), after backward."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o, dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, n=n)


def a_plus_a():
    a = Value(3.0, label="a")
    b = a + a
    b.label = "b"
    b.backward()
    return b, a


def conv_layer():
    """A 2-filter 2×2 convolution of a 1×1×4×4 input at tensor level, written with raw Tensor ops inside
    ``scope('conv1')`` (windows → reshape → matmul → + bias), then a relu in ``scope('act')`` and Σ y²."""
    x = mg.tensor(np.arange(16.0).reshape(1, 1, 4, 4) / 10.0, label="x")
    w = mg.tensor(np.arange(8.0).reshape(2, 1, 2, 2) / 10.0 - 0.3, requires_grad=True)
    b = mg.tensor([0.1, -0.2], requires_grad=True)
    with scope("conv1"):
        cols = mg.windows(x, 2).permute(0, 2, 3, 1, 4, 5).reshape(1, 9, 4)   # (N, OH·OW, C·KH·KW)
        y = cols @ w.reshape(2, 4).T + b                                       # (1, 9, 2)
    with scope("act"):
        z = y.relu()
    loss = (z * z).sum()
    loss.backward()
    return loss, {"conv1.weight": w, "conv1.bias": b}


CASES = {
    "neuron": lambda: to_dot(neuron()[0], edge_labels="local"),
    "a_plus_a": lambda: to_dot(a_plus_a()[0], edge_labels="contrib"),
    "diamond": lambda: to_dot(diamond()[0], edge_labels="contrib"),
}


def _conv_case():
    loss, params = conv_layer()
    return to_dot(loss, params=params, show_saved=True)


CASES["conv_layer"] = _conv_case


def _demo_cnn_case():
    """The demo's CNN as ``make demo`` draws it: one box per layer call (viz.layers)."""
    from viz.demo_pictures import small_cnn
    model, loss = small_cnn()
    return to_dot(loss, rankdir="TB", params=model)


def _bn_mlp_case():
    """Linear → BatchNorm1d → ReLU → Linear, cross-entropy (tests/test_viz_layers.py builds it)."""
    from test_viz_layers import bn_mlp
    model, loss = bn_mlp()
    return to_dot(loss, params=model)


CASES["demo_cnn"] = _demo_cnn_case
CASES["bn_mlp"] = _bn_mlp_case


# ---------------------------------------------------------------------------------------------------- tests
@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_dot(name):
    text = CASES[name]()
    path = GOLDEN / f"{name}.dot"
    if os.environ.get("MICROGRADNET_UPDATE_GOLDEN") == "1":
        write_atomic(path, text)
    assert path.exists(), f"missing golden file {path}; run with MICROGRADNET_UPDATE_GOLDEN=1 to create it"
    assert text == path.read_text(encoding="utf-8")


def test_same_construction_same_bytes_twice_in_one_process():
    first = CASES["diamond"]()
    for _ in range(50):  # ids move on; names come from tape positions, so the text does not
        Value(1.0) * 2.0
    assert CASES["diamond"]() == first


def test_same_bytes_in_another_process_after_other_nodes():
    here = str(Path(__file__).parent)
    code = (f"import sys; sys.path.insert(0, {here!r})\n"
            "from microgradnet import Value\n"
            "junk = [Value(float(i)) * 2.0 for i in range(777)]\n"
            "import test_viz_golden as t\n"
            "sys.stdout.write(t.CASES['neuron']() + t.CASES['conv_layer']())\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, encoding="utf-8",
                         check=True, cwd=str(Path(__file__).parent.parent)).stdout
    assert out == CASES["neuron"]() + CASES["conv_layer"]()


def test_draw_dot_source_is_to_dot_and_a_real_digraph():
    import graphviz

    o, _ = neuron()
    g = draw_dot(o, edge_labels="local")
    assert isinstance(g, graphviz.Digraph)
    assert g.format == "svg"
    assert g.source == to_dot(o, edge_labels="local")
    assert draw_dot(o, format="png").format == "png"


def test_golden_numbers_are_the_hand_worked_ones():
    # the lecture's numbers: ∂o/∂x1 = w1·(1 − o²) = −3·0.5 = −1.5, ∂o/∂w1 = x1·0.5 = 1, ∂o/∂x2 = 0.5, ∂o/∂w2 = 0
    text = (GOLDEN / "neuron.dot").read_text(encoding="utf-8")
    assert '"{ x1 | data 2.0000 | grad -1.5000 }"' in text
    assert '"{ w1 | data -3.0000 | grad 1.0000 }"' in text
    assert '"{ x2 | data 0.0000 | grad 0.5000 }"' in text
    assert '"{ w2 | data 1.0000 | grad 0.0000 }"' in text
    assert '"{ o | data 0.7071 | grad 1.0000 }"' in text
    # diamond: out = p·q, p = h + 1 = 10, q = 4h = 36, h = 9; ∂out/∂h = q·1 + p·4 = 76, ∂out/∂x = 76·2x = 456
    text = (GOLDEN / "diamond.dot").read_text(encoding="utf-8")
    assert '"{ h | data 9.0000 | grad 76.0000 }"' in text
    assert '"{ x | data 3.0000 | grad 456.0000 }"' in text
    # the two edges out of h carry upstream × local: 36·1 into p's +, 10·4 into q's ×
    assert 'n2 -> n4_op [label="36.0000"]' in text
    assert 'n2 -> n6_op [label="40.0000"]' in text
    # a + a: two edges, each carrying 1·1, summing to a.grad = 2
    text = (GOLDEN / "a_plus_a.dot").read_text(encoding="utf-8")
    assert text.count('n1 -> n2_op [label="1.0000"]') == 2
    assert '"{ a | data 3.0000 | grad 2.0000 }"' in text
