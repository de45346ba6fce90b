"""Rendering: finding `dot` (or graphviz-pure), the missing-Graphviz error, saving, and real SVG checked as XML.

Tests that need Graphviz's real `dot` skip when it is absent, unless MICROGRADNET_REQUIRE_DOT=1 (CI), where they
fail. The missing-`dot` path is tested by emptying PATH and the environment's script folders, never by uninstalling.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import xml.etree.ElementTree as ET

import graphviz
import pytest
from graphs import neuron

import viz
import viz.render as render
from microgradnet import Value
from viz import GraphvizNotFoundError, RenderError, backward_steps, draw_dot, find_renderer, to_dot
from viz.dot import _clean

SVG = "{http://www.w3.org/2000/svg}"
REQUIRE_DOT = os.environ.get("MICROGRADNET_REQUIRE_DOT", "") not in ("", "0")


def need_dot() -> str:
    path = shutil.which("dot")
    if path is None:
        if REQUIRE_DOT:
            pytest.fail("MICROGRADNET_REQUIRE_DOT=1 but Graphviz's `dot` is not on PATH")
        pytest.skip("Graphviz's `dot` is not on PATH (install graphviz; MICROGRADNET_REQUIRE_DOT=1 makes this fail)")
    return path


def pure_binary() -> str | None:
    hit = shutil.which("graphviz-pure")
    if hit:
        return hit
    for d in render.environment_bin_dirs():
        hit = shutil.which("graphviz-pure", path=d)
        if hit:
            return hit
    return None


PURE_BINARY = pure_binary()  # looked up before any test empties PATH


@pytest.fixture
def real_dot(monkeypatch):
    monkeypatch.delenv(render.ENV_VAR, raising=False)
    return need_dot()


@pytest.fixture
def no_renderer(monkeypatch, tmp_path):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv(render.ENV_VAR, raising=False)
    monkeypatch.setattr(render, "environment_bin_dirs", lambda: [str(empty)])
    return empty


def fake_program(folder, name, script: str) -> str:
    path = folder / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return str(path)


def svg_parts(svg: bytes | str):
    """(node titles, edge titles, all text contents) of a Graphviz SVG, parsed as XML."""
    root = ET.fromstring(svg.encode("utf-8") if isinstance(svg, str) else svg)
    nodes, edges = [], []
    for g in root.iter(SVG + "g"):
        cls = g.get("class")
        if cls in ("node", "edge"):
            (nodes if cls == "node" else edges).append(g.find(SVG + "title").text)
    texts = [t.text or "" for t in root.iter(SVG + "text")]
    return nodes, edges, texts, root


# ---------------------------------------------------------------------------------------------------- lookup
def test_lookup_order_path_then_environment_then_graphviz_pure(tmp_path, monkeypatch):
    monkeypatch.delenv(render.ENV_VAR, raising=False)
    on_path, env = tmp_path / "path", tmp_path / "env"
    on_path.mkdir()
    env.mkdir()
    progs = {(d, n): fake_program(d, n, "exit 0\n") for d in (on_path, env) for n in ("dot", "graphviz-pure")}
    expected = [((on_path, "dot"), "graphviz", "PATH"), ((env, "dot"), "graphviz", "environment"),
                ((on_path, "graphviz-pure"), "graphviz-pure", "PATH"),
                ((env, "graphviz-pure"), "graphviz-pure", "environment")]
    for key, kind, how in expected:
        r = find_renderer(search_path=str(on_path), env_dirs=[str(env)])
        assert (r.path, r.kind, r.found_by) == (progs[key], kind, how)
        os.unlink(progs[key])
    assert find_renderer(search_path=str(on_path), env_dirs=[str(env)]) is None


def test_explicit_env_var_wins_and_a_bad_value_is_an_error(tmp_path, monkeypatch):
    d = tmp_path / "bin"
    d.mkdir()
    mine = fake_program(d, "my-dot", "exit 0\n")
    fake_program(d, "dot", "exit 0\n")
    monkeypatch.setenv(render.ENV_VAR, mine)
    r = find_renderer(search_path=str(d), env_dirs=[])
    assert (r.path, r.found_by, r.kind) == (mine, "MICROGRADNET_DOT", "graphviz")
    monkeypatch.setenv(render.ENV_VAR, str(d / "no-such-program"))
    with pytest.raises(GraphvizNotFoundError, match="MICROGRADNET_DOT=.*no-such-program.*does not name an executable"):
        find_renderer(search_path=str(d), env_dirs=[])


def test_environment_folder_finds_the_installed_graphviz_pure(no_renderer, monkeypatch):
    pure = PURE_BINARY
    if pure is None:
        pytest.skip("graphviz-pure is not installed (pip install graphviz-pure)")
    monkeypatch.setattr(render, "environment_bin_dirs", lambda: [os.path.dirname(pure)])
    r = find_renderer()
    assert (r.path, r.kind, r.found_by) == (pure, "graphviz-pure", "environment")


# ---------------------------------------------------------------------------------------------------- missing
def test_missing_dot_gives_one_clear_error_and_dot_text_still_works(no_renderer, tmp_path):
    o = neuron()
    text = to_dot(o)  # needs nothing
    g = draw_dot(o)
    out = tmp_path / "out"
    assert open(g.save(out / "net.dot"), encoding="utf-8").read() == text
    assert open(g.save(out / "net.gv"), encoding="utf-8").read() == text
    with pytest.raises(GraphvizNotFoundError) as err:
        g.save(out / "net.svg")
    msg = str(err.value)
    for needle in ("save: cannot render 'svg'", "Graphviz's `dot` program was not found", "to_dot()",
                   "sudo apt-get install graphviz", "brew install graphviz", "conda install -c conda-forge graphviz",
                   "winget install graphviz", "pip install graphviz-pure"):
        assert needle in msg
    assert isinstance(err.value, graphviz.ExecutableNotFound)  # code written for the graphviz package catches it
    assert sorted(os.listdir(out)) == ["net.dot", "net.gv"]  # nothing half-written
    with pytest.raises(GraphvizNotFoundError, match="pipe: cannot render 'png'"):
        g.pipe(format="png")
    with pytest.raises(GraphvizNotFoundError, match="render: cannot render 'svg'"):
        g.render(directory=str(tmp_path / "r"))
    bundle = g._repr_mimebundle_()
    assert list(bundle) == ["text/plain"] and "apt-get install graphviz" in bundle["text/plain"]


def test_missing_dot_for_the_step_frames(no_renderer, tmp_path):
    o = neuron()
    steps = backward_steps(o)
    paths = steps.save(tmp_path / "frames", format="dot")
    assert len(paths) == len(steps) == 6 and open(paths[3], encoding="utf-8").read() == steps[3]
    with pytest.raises(GraphvizNotFoundError):
        steps.save(tmp_path / "svg", format="svg")
    with pytest.raises(GraphvizNotFoundError):
        steps.save_gif(tmp_path / "a.gif")
    html = steps._repr_html_()
    assert html.startswith("<pre>") and "brew install graphviz" in html
    assert not (tmp_path / "a.gif").exists()


def test_unknown_extension_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"cannot tell the format of .*net\.bmp.*\.svg \.png \.pdf"):
        draw_dot(neuron()).save(tmp_path / "net.bmp")


# ---------------------------------------------------------------------------------------------------- fallbacks
def test_failing_renderer_raises_with_its_message_and_leaves_no_file(no_renderer, tmp_path):
    fake_program(no_renderer, "dot", "while read -r _; do :; done\necho 'Error: syntax error in line 3' >&2\nexit 3\n")
    with pytest.raises(RenderError, match=r"exit code 3 rendering svg: Error: syntax error in line 3") as err:
        draw_dot(neuron()).save(tmp_path / "net.svg")
    assert err.value.returncode == 3
    assert os.listdir(tmp_path) == ["empty-bin"]


def test_graphviz_pure_fallback_is_used_when_dot_is_absent(no_renderer, tmp_path):
    log = tmp_path / "args.txt"
    fake_program(no_renderer, "graphviz-pure",
                 f"echo \"$@\" > {log}\nwhile read -r _; do :; done\nprintf '<svg xmlns=\"http://www.w3.org/2000/svg\"/>'\n")
    path = draw_dot(neuron()).save(tmp_path / "net.svg")
    assert open(path).read() == '<svg xmlns="http://www.w3.org/2000/svg"/>'
    assert log.read_text().split() == ["-Kdot", "-Tsvg"]
    with pytest.raises(GraphvizNotFoundError, match="only graphviz-pure was found .* not pdf"):
        draw_dot(neuron()).save(tmp_path / "net.pdf")
    assert not (tmp_path / "net.pdf").exists()


def test_real_graphviz_pure_renders_the_same_graph(no_renderer, tmp_path):
    pure = PURE_BINARY
    if pure is None:
        pytest.skip("graphviz-pure is not installed (pip install graphviz-pure)")
    os.symlink(pure, no_renderer / "graphviz-pure")
    assert find_renderer().kind == "graphviz-pure"
    g = draw_dot(neuron(), edge_labels="local")
    nodes, edges, texts, _ = svg_parts(g.pipe(format="svg"))
    assert len(nodes) == 10 + 5 and len(edges) == 9 + 5
    assert "grad -1.5000" in texts and "data 0.7071" in texts
    png = open(g.save(tmp_path / "n.png"), "rb").read()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------------------------------------------- real dot
def test_real_svg_has_the_nodes_edges_and_labels(real_dot, tmp_path):
    o = neuron()
    path = draw_dot(o, edge_labels="local").save(tmp_path / "neuron.svg")
    nodes, edges, texts, _ = svg_parts(open(path, "rb").read())
    # 10 values (5 leaves, 5 results) + 5 op nodes; 9 operand edges + 5 op → value edges
    assert len(nodes) == 15 and len(edges) == 14
    assert sorted(n for n in nodes if not n.endswith("_op")) == sorted(f"n{i}" for i in range(1, 11))
    for t in ("x1", "data 2.0000", "grad -1.5000", "w1", "grad 1.0000", "o", "data 0.7071", "tanh", "×", "+"):
        assert t in texts
    # local derivatives on the operand edges: ∂(x1·w1)/∂x1 = w1 = -3, ∂tanh/∂n = 1 − o² = 0.5
    assert "-3.0000" in texts and "0.5000" in texts


def test_real_png_pdf_jpg_and_render(real_dot, tmp_path):
    g = draw_dot(neuron())
    assert open(g.save(tmp_path / "n.png"), "rb").read()[:8] == b"\x89PNG\r\n\x1a\n"
    assert open(g.save(tmp_path / "n.pdf"), "rb").read()[:5] == b"%PDF-"
    assert open(g.save(tmp_path / "n.jpg"), "rb").read()[:3] == b"\xff\xd8\xff"
    out = g.render(filename="gout", directory=str(tmp_path / "lecture"))  # micrograd lecture style
    assert out.endswith("gout.svg")
    nodes, _, _, _ = svg_parts(open(out, "rb").read())
    assert len(nodes) == 15
    bundle = g._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml"] and len(svg_parts(bundle["image/svg+xml"])[0]) == 15


def _visible_lines(label: str) -> list[str]:
    return [" ".join(line.split()) for line in _clean(label).split("\n") if line.strip()]


@pytest.mark.parametrize("label", [
    '"]; injected [label="pwned"]; x [label="',
    "</text><script>alert(1)</script>",
    "a & b &amp; c &lt; d",
    "{ record | break } <port>",
    "back\\slash \\N \\l \\n",
    "line one\nline two",
    "bell\x07 esc\x1b",
    "unicode: é ∂L/∂w ∑ 日本語 😀",
    "   padded   ",
])
def test_hostile_labels_render_as_typed(real_dot, label):
    a = Value(2.0, label=label)
    b = a * 3.0
    b.label = label
    b.backward()
    svg = draw_dot(b).pipe(format="svg")
    nodes, edges, texts, root = svg_parts(svg)
    assert len(nodes) == 4 and len(edges) == 3  # a, 3, b, b's op; no injected node
    assert not any(el.tag.endswith("script") for el in root.iter())
    norm = [" ".join(t.split()) for t in texts]
    for line in _visible_lines(label):
        assert norm.count(line) >= 2, (line, norm)  # once in a's record, once in b's


def test_save_into_a_new_folder_is_atomic_and_creates_it(real_dot, tmp_path):
    target = tmp_path / "deep" / "er" / "n.svg"
    draw_dot(neuron()).save(target)
    assert os.listdir(target.parent) == ["n.svg"]
    assert re.search(rb"<svg", target.read_bytes())


def test_public_names():
    for name in ("draw_dot", "to_dot", "backward_steps", "rule_check", "from_report", "draw_legend", "Graph",
                 "GraphvizNotFoundError", "find_renderer", "MAX_NODES", "COLOURS"):
        assert hasattr(viz, name)


def test_legend_lists_every_colour_and_renders_as_one_table(real_dot):
    from viz import COLOURS, draw_legend, legend_dot

    text = legend_dot()
    for key, (fill, meaning) in COLOURS.items():
        assert f">{key}</TD>" in text and meaning.replace("&", "&amp;") in text
        if key not in ("more", "updated"):
            assert f'BGCOLOR="{fill}"' in text
    nodes, edges, texts, _ = svg_parts(draw_legend().pipe(format="svg"))
    assert nodes == ["legend"] and edges == []
    assert "match" in texts and "rule check: autodiff = closed form (✓)" in texts
    o = neuron()
    with_legend = draw_dot(o, legend=True)
    assert len(svg_parts(with_legend.pipe(format="svg"))[0]) == 15 + 1


def test_graph_copy_keeps_the_subclass_and_source():
    g = draw_dot(neuron())
    c = g.copy()
    assert type(c) is type(g) and c.source == g.source and c.format == "svg"
