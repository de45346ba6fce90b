"""Backward, step by step: the starting gradient, frames in backward order, partial sums, last frame = backward()."""

from __future__ import annotations

import io
import os
import re
import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from graphs import diamond, neuron

import microgradnet as mg
from viz import backward_steps

REQUIRE_DOT = os.environ.get("MICROGRADNET_REQUIRE_DOT", "") not in ("", "0")
NODE = re.compile(r'^\t+(n\d+) \[label="(.*?)" (.*)\]$', re.M)
SVG = "{http://www.w3.org/2000/svg}"


def need_dot():
    if shutil.which("dot") is None:
        if REQUIRE_DOT:
            pytest.fail("MICROGRADNET_REQUIRE_DOT=1 but Graphviz's `dot` is not on PATH")
        pytest.skip("Graphviz's `dot` is not on PATH (install graphviz; MICROGRADNET_REQUIRE_DOT=1 makes this fail)")


@pytest.fixture
def real_dot(monkeypatch):
    monkeypatch.delenv("MICROGRADNET_DOT", raising=False)
    need_dot()


def value_nodes(dot):
    """name → (fields list, attrs) of the value records."""
    out = {}
    for name, lab, attrs in NODE.findall(dot):
        out[name] = ([f.strip().replace("\u00a0", "") for f in lab.strip("{} ").split("|")], attrs)
    return out


def test_one_frame_per_operation_in_backward_order_and_the_starting_gradient_first():
    out, v = diamond(backward=False)
    steps = backward_steps(out)
    assert len(steps) == 4 + 1  # x·x, h + 1, h·4, p·q, and the starting gradient ∂out/∂out
    assert steps.titles[0] == "start: ∂out/∂out = 1.0000"
    assert [t.split(": ", 1)[1] for t in steps.titles[1:]] == [
        # x = 3: h = 9, p = 10, q = 36; each caption is one chain-rule step, worked by hand
        "∂out/∂p += ∂out/∂out · q = 1.0000 · 36.0000 = 36.0000; ∂out/∂q += ∂out/∂out · p = 1.0000 · 10.0000 = "
        "10.0000",
        "∂out/∂h += ∂out/∂q · 4.0000 = 10.0000 · 4.0000 = 40.0000",  # the constant 4 gets no caption of its own
        "∂out/∂h += ∂out/∂p · 1 = 36.0000 · 1.0000 = 36.0000",
        "∂out/∂x += ∂out/∂h · ∂h/∂x = 76.0000 · 6.0000 = 456.0000",  # h = x·x: ∂h/∂x = 2x = 6; 40 + 36 = 76
    ]
    start = value_nodes(steps[0])
    assert all(f[-1] == "grad —" for name, (f, _) in start.items() if f[0] != "out")
    assert start["n7"][0][-1] == "grad 1.0000"


def test_partial_sums_are_marked_until_every_consumer_is_processed():
    out, v = diamond(backward=False)
    steps = backward_steps(out)
    h_after_q = value_nodes(steps[2])["n2"]  # q = 4h processed first (created later): h has 10·4 = 40 so far
    assert h_after_q[0][-1] == "grad 40.0000" and 'fillcolor="thistle"' in h_after_q[1]
    assert 'color="orange"' in h_after_q[1]  # just updated
    h_after_p = value_nodes(steps[3])["n2"]  # then p = h + 1 adds 36: the sum is complete
    assert h_after_p[0][-1] == "grad 76.0000" and 'fillcolor="thistle"' not in h_after_p[1]
    for k in range(1, len(steps)):
        assert len(re.findall(r'^\tn\d+ \[.*fillcolor="gold"', steps[k], re.M)) == 1  # the node being processed


def test_final_frame_equals_backward_and_the_graph_is_left_untouched():
    o = neuron(backward=False)
    tape = mg.toposort(o)
    before = [n.grad for n in tape]
    steps = backward_steps(o, edge_labels="contrib")
    assert [n.grad for n in tape] == before == [0.0] * len(tape)
    o.backward()
    final = steps.final_grads
    for n in tape:
        assert final[n._id] == pytest.approx(n.grad)
    last = value_nodes(steps[-1])
    for k, n in enumerate(tape, 1):
        assert last[f"n{k}"][0][-1] == f"grad {n.grad:.4f}"
    after = [n.grad for n in tape]
    backward_steps(o)
    assert [n.grad for n in tape] == after


def test_contrib_labels_appear_once_their_node_is_processed():
    out, v = diamond(backward=False)
    steps = backward_steps(out, edge_labels="contrib")
    into_out = lambda k: re.findall(r"-> n7_op \[.*?label=\"([^\"]*)\"", steps[k])  # noqa: E731
    assert [s.replace("\u00a0", "") for s in into_out(0)] == ["—", "—"]
    assert [s.replace("\u00a0", "") for s in into_out(1)] == ["36.0000", "10.0000"]  # q·1, p·1 … ∂out/∂p = q


def test_tensor_steps_match_tensor_backward():
    rng = np.random.default_rng(1)
    a = mg.tensor(rng.standard_normal((2, 3)), requires_grad=True, label="a")
    b = mg.tensor(rng.standard_normal((3,)), requires_grad=True, label="b")
    y = ((a * b).tanh() @ b).sum()
    steps = backward_steps(y, show_saved=True)
    assert a.grad is None and b.grad is None
    y.backward()
    final = steps.final_grads
    np.testing.assert_allclose(final[a._id], a.grad)
    np.testing.assert_allclose(final[b._id], b.grad)


def test_starting_gradient_of_a_non_scalar_output_and_limits():
    t = mg.tensor([1.0, -2.0], requires_grad=True, label="t")
    y = t * 3.0
    with pytest.raises(RuntimeError, match="backward_steps: the output has shape"):
        backward_steps(y)
    steps = backward_steps(y, gradient=np.array([1.0, 10.0]))
    np.testing.assert_allclose(steps.final_grads[t._id], [3.0, 30.0])
    v, _ = diamond(backward=False)
    with pytest.raises(ValueError, match="5 frames .one per operation, plus one for the starting gradient. exceed "
                                         "max_frames=3"):
        backward_steps(v, max_frames=3)


def test_frames_keep_the_layout_still(real_dot, tmp_path):
    out, _ = diamond(backward=False)
    paths = backward_steps(out, edge_labels="contrib").save(tmp_path, format="svg")
    assert [os.path.basename(p) for p in paths] == [f"step_{k:03d}.svg" for k in range(5)]
    layouts = []
    for p in paths:
        root = ET.parse(p).getroot()
        shapes = {}
        for g in root.iter(SVG + "g"):
            if g.get("class") == "node":
                el = g.find(SVG + "polygon")
                el = el if el is not None else g.find(SVG + "ellipse")
                shapes[g.find(SVG + "title").text] = [el.get(k) for k in ("points", "cx", "cy", "rx", "ry")]
        layouts.append((root.get("width"), root.get("height"), shapes))
    assert all(lay == layouts[0] for lay in layouts[1:])


def test_gif_and_html_slider(real_dot, tmp_path):
    from PIL import Image

    o = neuron(backward=False)
    steps = backward_steps(o)
    path = steps.save_gif(tmp_path / "backward.gif", duration=500)
    with Image.open(path) as im:
        assert im.format == "GIF" and im.n_frames == len(steps) == 6
    html = steps.html()
    assert html.count("<svg") == 6 and html.count('class="mgn-frame"') == 6
    import html as _html
    assert _html.escape(steps.titles[1]) in html  # titles are HTML-escaped in the no-script fallback
    assert '<input type="range" min="0" max="5"' in html and "<script>" in html
    assert "<\\/" not in html.split("<script>")[0]
    with pytest.raises(ValueError, match="must end in .gif"):
        steps.save_gif(tmp_path / "x.png")


def test_steps_and_graphs_display_in_a_notebook(real_dot):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("from microgradnet import Value\nfrom viz import draw_dot, backward_steps\n"
                                  "a = Value(2.0, label='a'); b = a * a + 1.0; b.label = 'b'\nb.backward()\n"
                                  "draw_dot(b)"),
        nbformat.v4.new_code_cell("backward_steps(b)"),
    ]
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    first, second = nb.cells[0].outputs[0], nb.cells[1].outputs[0]
    svg = first["data"]["image/svg+xml"]
    ET.fromstring(svg.encode("utf-8"))
    assert "grad 4.0000" in svg
    assert 'class="mgn-steps"' in second["data"]["text/html"]
    buf = io.StringIO(second["data"]["text/html"])
    assert buf.read().count("<svg") == 3


def test_without_system_graphviz_the_pure_fallback_draws_frames_and_notebooks(monkeypatch, tmp_path):
    import viz.render as render

    pure = shutil.which("graphviz-pure") or next(
        (shutil.which("graphviz-pure", path=d) for d in render.environment_bin_dirs()
         if shutil.which("graphviz-pure", path=d)), None)
    if pure is None:
        pytest.skip("graphviz-pure is not installed (pip install graphviz-pure)")
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from PIL import Image

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    os.symlink(pure, bin_dir / "graphviz-pure")
    monkeypatch.setenv("PATH", str(bin_dir))  # no `dot` anywhere on PATH, for this process and the kernel
    monkeypatch.delenv("MICROGRADNET_DOT", raising=False)
    assert render.find_renderer().kind == "graphviz-pure"
    out, _ = diamond(backward=False)
    steps = backward_steps(out)
    with Image.open(steps.save_gif(tmp_path / "d.gif")) as im:
        assert im.n_frames == 5
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("from microgradnet import Value\nfrom viz import draw_dot\n"
                                          "import viz.render as r\nprint(r.find_renderer().kind)\n"
                                          "a = Value(3.0, label='a'); b = a + a; b.backward()\ndraw_dot(b)")]
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    outputs = nb.cells[0].outputs
    assert outputs[0]["text"].strip() == "graphviz-pure"
    svg = outputs[1]["data"]["image/svg+xml"]
    assert "grad 2.0000" in svg and "graphviz-pure" in svg  # rendered by the fallback
