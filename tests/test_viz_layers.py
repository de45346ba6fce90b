"""Layers as nodes, element order, the legend, summaries, the render budget, the steps page's script and the
Jupyter reprs."""

from __future__ import annotations

import math
import os
import re
import stat
import warnings

import numpy as np
import pytest
from graphs import edges

import microgradnet as mg
import microgradnet.functional as F
from microgradnet import Value, nn, tape
from microgradnet.functional.calls import layer_call, members
from viz import backward_steps, draw_dot, to_dot
from viz.demo_pictures import small_cnn
from viz.dot import summary
from viz.steps import script_json

NODE = re.compile(r'^\t+(\w+) \[label="(.*?)"(.*)\]$', re.M)


def nodes(dot) -> dict:
    return {name: label for name, label, _ in NODE.findall(dot)}


def lines(label: str) -> list[str]:
    return re.split(r"\\n| \| ", label.strip("{} "))


def shape_of(dot) -> tuple:
    """What a picture shows apart from numbers: each node's title lines (name, layer, options) and the edges
    between them, by title."""
    titles = {}
    for name, label in nodes(dot).items():
        keep = [re.sub(r"target=.*", "target=…", x) for x in lines(label)
                if not re.match(r"^(\(.*\) float|data |grad )", x)]
        titles[name] = " / ".join(keep)
    return (sorted(titles.values()),
            sorted((titles.get(s, s), titles.get(d, d), lab) for s, d, lab in edges(dot)))


class Net(nn.Module):
    """Conv2d(1, 4, 3, padding=1) → ReLU → MaxPool2d(2) → mean over space → Linear(4, 10): any input size."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(4, 10)

    def forward(self, x):
        return self.fc(self.pool(self.conv(x).relu()).mean((2, 3)))


def test_the_demo_cnn_is_its_layers_with_image_weight_and_bias_visible():
    model, loss = small_cnn()
    dot = to_dot(loss, rankdir="TB", params=model)
    labs = nodes(dot)
    assert len(labs) <= 25
    firsts = sorted(lines(lab)[0] for lab in labs.values())
    assert firsts == ["conv.bias", "conv.weight", "conv: conv2d", "cross_entropy", "fc.bias", "fc.weight",
                      "fc: linear", "flatten", "pool: max_pool2d", "relu", "relu", "x"]
    by_title = {lines(lab)[0]: name for name, lab in labs.items()}
    conv = by_title["conv: conv2d"]
    assert lines(labs[conv])[1:3] == ["padding=1", "(1, 4, 8, 8) float64"]
    into_conv = {(s, lab) for s, d, lab in edges(dot) if d == conv}
    assert into_conv == {(by_title["x"], "input"), (by_title["conv.weight"], "weight"),
                         (by_title["conv.bias"], "bias")}
    # the loss box holds cross_entropy's softmax and NLL; its target is written in; no grad noise like -2.8e-18
    assert lines(labs[by_title["cross_entropy"]])[1:3] == ["target=[3]", "loss"]
    assert "e-1" not in dot
    assert 'size="14,8.5"' in dot  # scaled down, if need be, to one 1344×816 px screen


def test_the_same_network_draws_the_same_picture_at_any_input_size():
    rng = np.random.default_rng(0)
    model = Net()
    pictures = []
    for n, hw in ((1, 8), (64, 28)):  # the second takes conv2d's batched gather path inside
        x = mg.tensor(rng.standard_normal((n, 1, hw, hw)), label="x")
        loss = F.cross_entropy(model(x), rng.integers(0, 10, n))
        loss.backward()
        pictures.append(shape_of(to_dot(loss, params=model)))
        model.zero_grad()
    assert pictures[0] == pictures[1]


def test_expand_opens_a_layer_into_a_cluster_of_its_operations():
    model, loss = small_cnn()
    closed = to_dot(loss, params=model)
    opened = to_dot(loss, params=model, expand={"conv"})
    assert "(expanded)" not in closed
    m = re.search(r'label="(conv: conv2d \(expanded\) → \(1, 4, 8, 8\))"', opened)
    assert m is not None
    assert "conv: conv2d" not in [lines(lab)[0] for lab in nodes(opened).values()]
    ops = [lab for name, lab in nodes(opened).items() if name.endswith("_op")]
    assert "@" in ops  # the matmul of im2col is drawn now
    # "all" opens every layer, nested ones too (cross_entropy → log_softmax, nll_loss)
    everything = to_dot(loss, params=model, expand="all", max_nodes=None)
    assert everything.count("(expanded)") == 7
    with pytest.raises(ValueError, match=r"expand names \['conv3'\] match no layer call.*conv"):
        to_dot(loss, params=model, expand="conv3")


def test_a_layer_call_records_its_inputs_and_nothing_under_no_grad():
    x = mg.tensor(np.ones((2, 3)))
    w = mg.tensor(np.ones((4, 3)), requires_grad=True)
    y = F.linear(x, w)
    call = layer_call(y)
    assert call.name == "linear" and [(k, t is v) for (k, t), v in zip(call.inputs, (x, w))] == [
        ("input", True), ("weight", True)]
    assert [m._op for m in members(y, call)] == ["transpose", "matmul"]
    with mg.no_grad():
        assert layer_call(F.linear(x, w)) is None


def test_scalar_level_layer_outputs_are_named_after_the_layer():
    x = mg.tensor(np.arange(9.0).reshape(1, 1, 3, 3), requires_grad=True)
    w = mg.tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
    with mg.scalar_level({"x": x, "w": w}):
        y = F.conv2d(x, w)
    got = sorted(v.label for v in y.level[1].flat)
    assert got == ["conv2d[0,0,0,0]", "conv2d[0,0,0,1]", "conv2d[0,0,1,0]", "conv2d[0,0,1,1]"]
    assert y.level[1][0, 0, 1, 1].data == 4 + 5 + 7 + 8


def bn_mlp():
    """Linear(4, 8) → BatchNorm1d(8) → ReLU → Linear(8, 3), cross-entropy, a batch of 6 (the second golden)."""
    rng = np.random.default_rng(3)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    for layer in (model[0], model[3]):
        nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=rng)
        nn.init.uniform_(layer.bias, -0.5, 0.5, generator=rng)
    x = mg.tensor(np.round(rng.standard_normal((6, 4)), 3), label="x")
    loss = F.cross_entropy(model(x), np.array([0, 1, 2, 0, 1, 2]))
    loss.label = "loss"
    loss.backward()
    return model, loss


def test_batch_norm_mlp_draws_one_box_per_layer():
    model, loss = bn_mlp()
    labs = nodes(to_dot(loss, params=model))
    # the ReLU module is a value node named "2" with its op "relu"; the running statistics are buffers, named
    assert sorted(lines(lab)[0] for lab in labs.values()) == [
        "0.bias", "0.weight", "0: linear", "1.bias", "1.running_mean", "1.running_var", "1.weight", "1: batch_norm",
        "2", "3.bias", "3.weight", "3: linear", "cross_entropy", "relu", "x"]


def test_scalar_elements_are_kept_in_index_order():
    X = mg.tensor(np.arange(16.0).reshape(4, 4), requires_grad=True, label="X")
    with mg.scalar_level({"X": X}):
        U = F.max_pool2d(X.reshape(1, 1, 4, 4), 2).sum()
    dot = to_dot(U)
    labs = nodes(dot)
    rank = re.search(r"\{rank=same; ([^}]*)\}", dot).group(1).split("; ")
    assert [lines(labs[n])[0] for n in rank] == [f"X[{i},{j}]" for i in range(4) for j in range(4)]
    assert 'remincross="false"' in dot


def test_the_legend_lists_only_the_colours_drawn():
    a = Value(2.0, label="a")
    b = a * a
    dot = to_dot(b, legend=True)
    rows = re.findall(r"BGCOLOR=\"\w+\">(\w+)<", dot)
    assert rows == ["leaf", "output", "op"] and "layer" not in dot and "mismatch" not in dot


def test_a_mean_that_is_rounding_residue_reads_zero():
    g = np.array([0.1, 0.2, -0.3, 1e-17])  # sums to ~1e-17 after rounding
    assert summary(np.array([0.7, -0.3, -0.4, 0.0, 0.0])) == "min -0.4 mean 0 max 0.7"
    assert "mean 0 " in summary(np.tile(g, 3))
    assert summary(np.array([1e-17, 2e-17, 3e-17, 4e-17, 5e-17])) == "min 1e-17 mean 3e-17 max 5e-17"


def reused_input(steps):
    x = Value(1.0, label="x")
    acc = x
    for _ in range(steps):
        acc = acc * 0.999999 + x
    acc.backward()
    return acc, x


def test_heavy_fan_out_uses_boxes_and_polylines_not_records():
    acc, x = reused_input(50)
    dot = to_dot(acc)
    assert 'shape="record"' not in dot and 'splines="polyline"' in dot
    assert x.grad == pytest.approx(sum(0.999999 ** k for k in range(51)), rel=1e-12)  # one path per use of x


def test_a_render_past_the_budget_warns_and_draws_the_collapsed_picture(tmp_path, monkeypatch):
    """A fake dot that sleeps when the DOT is long: the full picture times out, the fallback renders."""
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\nsrc=$(cat)\nif [ ${#src} -gt 20000 ]; then sleep 5; fi\n"
                    "echo '<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>'\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("MICROGRADNET_DOT", str(fake))
    acc, _ = reused_input(200)
    g = draw_dot(acc, budget=0.5)
    assert len(g.source) > 20000
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = g.save(tmp_path / "big.svg")
    assert os.path.exists(out)
    assert any("render budget" in str(w.message) and "max_nodes=40" in str(w.message) for w in caught)
    assert any("render budget" in n for n in g.notes)


def test_script_json_cannot_end_or_comment_out_the_script():
    text = script_json(["</script><!--<script>", "a & b > c", "line\u2028sep"])
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    import json
    assert json.loads(text) == ["</script><!--<script>", "a & b > c", "line\u2028sep"]


def test_step_captions_speak_the_chain_rule_with_user_labels():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    L = c + 1.0
    L.label = "L"
    titles = backward_steps(L).titles
    assert titles[0] == "start: ∂L/∂L = 1.0000"
    # c has no label: it is named by its expression, never by an internal name such as n3
    assert titles[1] == "step 1/2: ∂L/∂(a·b) += ∂L/∂L · 1 = 1.0000 · 1.0000 = 1.0000"
    assert titles[2] == ("step 2/2: ∂L/∂a += ∂L/∂(a·b) · b = 1.0000 · -3.0000 = -3.0000; "
                         "∂L/∂b += ∂L/∂(a·b) · a = 1.0000 · 2.0000 = 2.0000")
    assert not any(re.search(r"\bn\d+\b", t) for t in titles)


def test_tape_shows_as_an_html_table_and_tensor_rows_line_up():
    a = Value(2.0, label="a<b")
    c = a * a
    c.backward()
    t = tape(c)
    html = t._repr_html_()
    assert html.count("<tr>") == 3 and "a&lt;b = input" in html and "<td>4</td>" in html
    assert repr(t) == str(t)
    r = repr(mg.tensor([[1.0, -2.5], [3.25, 4.0]]))
    first, second = r.splitlines()
    assert second.index("[") == first.index("[[") + 1  # the second row starts under the first row's own "["
