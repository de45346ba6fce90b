"""``microgradnet demo`` (viz/demo.py) run through the console entry point, checked against numbers worked by hand.

EN4553 A2 Q1 for index 180577X (EN4553's own example), with L = ½(y − t)² and the default t = y − 2:
    X = [[1, 8, 0.5, 5], [7, 7.1, −1, −8], [−0.5, −5, −7, −7.1], [−1, −8, −0.5, −5]]
    U = [[8, 5], [−0.5, −0.5]]    V = [[8, 5], [−0.05, −0.05]]    y = 8 + 10 − 0.5 − 0.2 = 17.3,  t = 15.3,  L = 2
    ∂L/∂y = 2   ∂L/∂V = 2·w = [[2, 4], [20, 8]]   ∂L/∂U = [[2, 4], [2, 0.8]] (×0.1 where U < 0)
    ∂L/∂X = 2 at (0, 1), 4 at (0, 3), 2 at (2, 0), 0.8 at (3, 2)   ∂L/∂w = 2·V = [16, 10, −0.1, −0.1]
    Q1(d): ∂L/∂α = Σ_{u<0} ∂L/∂v·u = 1.5·(−0.5) + 3·(−0.5) = −2.25  (the homework's ∂L/∂V = [[2, −2.5], [1.5, 3]])

Index 102030X: digits 1 0 2 0 3 0; the zeros become 0.5, 0.6, 0.7, so cells 1–6 = 1, 0.5, 2, 0.6, 3, 0.7:
    X = [[1, 0.5, 2, 0.6], [3, 0.7, −1, −0.5], [−2, −0.6, −3, −0.7], [−1, −0.5, −2, −0.6]]
    U = [[3, 2], [−0.5, −0.6]]  (maxima at (1, 0), (0, 2), (3, 1), (3, 3))   V = [[3, 2], [−0.05, −0.06]]
    y = 3 + 4 − 0.5 − 0.24 = 6.26;  default t = 4.26 (∂L/∂y = 2): the same ∂L/∂V and ∂L/∂U as above,
    ∂L/∂X = 2 at (1, 0), 4 at (0, 2), 2 at (3, 1), 0.8 at (3, 3);  ∂L/∂w = 2·V = [6, 4, −0.1, −0.12]
    Q1(d): 1.5·(−0.5) + 3·(−0.6) = −2.55
    with --target 5.26: ∂L/∂y = 1, L = ½, and every gradient is half the above.

Tests that render pictures skip when no renderer is found, unless MICROGRADNET_REQUIRE_DOT=1 (CI), where they fail.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import microgradnet as mg
import microgradnet.closed_form as closed_form
import viz.render as render
from microgradnet.cli import main

SVG = "{http://www.w3.org/2000/svg}"
REQUIRE_DOT = os.environ.get("MICROGRADNET_REQUIRE_DOT", "") not in ("", "0")
NUM = r"-?\d+\.\d{4}"

X_180577 = [[1, 8, 0.5, 5], [7, 7.1, -1, -8], [-0.5, -5, -7, -7.1], [-1, -8, -0.5, -5]]
X_102030 = [[1, 0.5, 2, 0.6], [3, 0.7, -1, -0.5], [-2, -0.6, -3, -0.7], [-1, -0.5, -2, -0.6]]


def dX_at(points) -> np.ndarray:
    d = np.zeros((4, 4))
    for (i, j), v in points.items():
        d[i, j] = v
    return d


CASES = {
    "180577X": dict(X=X_180577, U=[[8, 5], [-0.5, -0.5]], V=[[8, 5], [-0.05, -0.05]], y=17.3, t=15.3, L=2.0, dy=2.0,
                    dV=[[2, 4], [20, 8]], dU=[[2, 4], [2, 0.8]], dw=[16, 10, -0.1, -0.1], dalpha=-2.25,
                    dX=dX_at({(0, 1): 2, (0, 3): 4, (2, 0): 2, (3, 2): 0.8})),
    "102030X": dict(X=X_102030, U=[[3, 2], [-0.5, -0.6]], V=[[3, 2], [-0.05, -0.06]], y=6.26, t=4.26, L=2.0, dy=2.0,
                    dV=[[2, 4], [20, 8]], dU=[[2, 4], [2, 0.8]], dw=[6, 4, -0.1, -0.12], dalpha=-2.55,
                    dX=dX_at({(1, 0): 2, (0, 2): 4, (3, 1): 2, (3, 3): 0.8})),
}


def run_demo(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["demo", *map(str, argv)])
    return code, out.getvalue(), err.getvalue()


def said(text: str, phrase: str) -> bool:
    """``phrase`` appears in the output, wherever the demo wrapped its lines."""
    return " ".join(phrase.split()) in " ".join(text.split())


def grids(text: str, title: str, rows: int) -> np.ndarray:
    """The numbers printed under the line that starts with ``title`` (after the indent): ``rows`` lines."""
    lines = text.splitlines()
    k = next(i for i, line in enumerate(lines) if line.strip().startswith(title))
    return np.array([[float(v) for v in re.findall(NUM, line)] for line in lines[k + 1:k + 1 + rows]])


def scalar(text: str, pattern: str) -> float:
    m = re.search(pattern + r"\s*=\s*(" + NUM + ")", text)
    assert m, f"{pattern!r} not printed"
    return float(m.group(1))


def table(text: str) -> dict:
    """quantity → (autodiff, closed form, finite diff, max abs err, result) from the comparison table."""
    rows = re.findall(r"^  (∂L/∂\S+(?: \(Q1\(d\)\))?)\s+(" + NUM + r")\s+(" + NUM + r")\s+(" + NUM
                      + r")\s+(\S+)\s+(PASS|FAIL)$", text, re.M)
    return {q: (float(a), float(c), float(n), float(e), r) for q, a, c, n, e, r in rows}


def expected_rows(case: dict) -> dict:
    """Every gradient the table lists, worked by hand."""
    rows = {"∂L/∂y": case["dy"], "∂L/∂α (Q1(d))": case["dalpha"]}
    for q, arr in (("V", case["dV"]), ("U", case["dU"]), ("X", case["dX"]), ("w", case["dw"])):
        arr = np.asarray(arr, dtype=float)
        for idx in np.ndindex(arr.shape):
            rows[f"∂L/∂{q}[{','.join(map(str, idx))}]"] = float(arr[idx])
    return rows


def check_numbers(out: str, case: dict, scale: float = 1.0) -> None:
    np.testing.assert_allclose(grids(out, "X (the input)", 4), case["X"], atol=5e-5)
    uv = grids(out, "U = Maxpool(X)", 2)
    np.testing.assert_allclose(uv[:, :2], case["U"], atol=5e-5)
    np.testing.assert_allclose(uv[:, 2:], case["V"], atol=5e-5)
    assert scalar(out, "y = Σ vᵢwᵢ") == pytest.approx(case["y"], abs=5e-5)
    assert scalar(out, r"L = ½\(y − t\)²") == pytest.approx(case["L"] * scale ** 2, abs=5e-5)
    assert scalar(out, r"∂L/∂y = y − t") == pytest.approx(case["dy"] * scale, abs=5e-5)
    dvu = grids(out, "∂L/∂V = ∂L/∂y · w", 2)
    np.testing.assert_allclose(dvu[:, :2], np.multiply(case["dV"], scale), atol=5e-5)
    np.testing.assert_allclose(dvu[:, 2:], np.multiply(case["dU"], scale), atol=5e-5)
    np.testing.assert_allclose(grids(out, "∂L/∂X", 4), case["dX"] * scale, atol=5e-5)
    dw = [float(v) for v in re.findall(NUM, re.search(r"∂L/∂w = ∂L/∂y · V = \[(.*)\]", out).group(1))]
    np.testing.assert_allclose(dw, np.multiply(case["dw"], scale), atol=5e-5)
    rows = table(out)
    hand = expected_rows(case)
    assert set(rows) == set(hand) and len(rows) == 30
    for q, v in hand.items():
        want = v if q.startswith("∂L/∂α") else v * scale  # Q1(d) uses the homework's own ∂L/∂V
        a, c, n, err, result = rows[q]
        assert (a, c, n) == (pytest.approx(want, abs=5e-5),) * 3, q
        assert result == "PASS" and err < 1e-6, q
    assert "All 30 gradients agree three ways: PASS" in out


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    """One full run with the defaults (pictures included), shared by the tests that read its output."""
    out_dir = tmp_path_factory.mktemp("demo") / "out"
    code, out, err = run_demo("--out", out_dir)
    return code, out, err, out_dir


def renderer_or_skip():
    r = render.find_renderer()
    if r is None or not r.supports("svg"):
        if REQUIRE_DOT:
            pytest.fail("MICROGRADNET_REQUIRE_DOT=1 but no renderer (Graphviz's dot or graphviz-pure) was found")
        pytest.skip("no Graphviz renderer found (MICROGRADNET_REQUIRE_DOT=1 makes this fail)")
    return r


def svg_nodes(path) -> list[tuple[list[str], str]]:
    """(texts, fill colour) of every node of a rendered SVG, parsed as XML."""
    root = ET.parse(path).getroot()
    nodes = []
    for g in root.iter(SVG + "g"):
        if g.get("class") == "node":
            # a record draws each field as its own text; a box with fields side by side writes them with " | "
            texts = [f for t in g.iter(SVG + "text") for f in (t.text or "").split(" | ")]
            shape = g.find(SVG + "polygon")
            nodes.append((texts, shape.get("fill") if shape is not None else None))
    return nodes


def svg_edge_labels(path) -> list[str]:
    root = ET.parse(path).getroot()
    return [t.text or "" for g in root.iter(SVG + "g") if g.get("class") == "edge" for t in g.iter(SVG + "text")]


# ---------------------------------------------------------------------------------------------------- numbers
def test_default_run_prints_the_homeworks_hand_worked_numbers(default_run):
    code, out, err, _ = default_run
    assert code == 0, err
    check_numbers(out, CASES["180577X"])
    assert said(out, "Target t = 15.3 (chosen so that ∂L/∂y = y − t = 2")
    assert said(out, "digits 1 8 0 5 7 7 fill cells 1–6, row by row from the top-left: 1, 8, 0.5, 5, 7, 7.1")
    assert said(out, "with U from above and the homework's ∂L/∂V = [[2.0, -2.5], [1.5, 3.0]]")


def test_another_index_changes_x_as_the_homework_describes(tmp_path):
    code, out, err = run_demo("--index", "102030X", "--out", tmp_path, "--no-graphs")
    assert code == 0, err
    check_numbers(out, CASES["102030X"])
    assert said(out, "Target t = 4.26") and said(out, "top-left: 1, 0.5, 2, 0.6, 3, 0.7")
    assert not any(tmp_path.iterdir())  # --no-graphs writes nothing


def test_target_sets_the_loss_gradient(tmp_path):
    # y = 6.26 and t = 5.26: ∂L/∂y = y − t = 1, L = ½, every gradient half the ∂L/∂y = 2 ones
    code, out, err = run_demo("--index", "102030X", "--target", "5.26", "--no-graphs")
    assert code == 0, err
    check_numbers(out, CASES["102030X"], scale=0.5)
    assert said(out, "Target t = 5.26 (from --target)")


def test_the_tape_lists_every_node_in_creation_order(default_run):
    code, out, _, out_dir = default_run
    lines = re.findall(r"^\s+(\d+)  (\S.*?\S)\s+(" + NUM + r")\s+(" + NUM + r")$", out, re.M)
    assert [int(k) for k, *_ in lines] == list(range(1, 39))  # 16 X + 4 U + 4 V + 4 w + 4 products + y, t, d, ², ½, L
    by_expr = {e.strip(): (float(d), float(g)) for _, e, d, g in lines}
    assert by_expr["U[1,0] = amax(X[2,0], X[2,1], X[3,0], X[3,1], tie='all')"] == (-0.5, 2.0)
    assert by_expr["V[1,0] = leaky_relu(U[1,0], slope=0.1)"] == (-0.05, 20.0)
    assert by_expr["V[1,1]·w[3] = mul(V[1,1], w[3])"] == (-0.2, 2.0)
    assert by_expr["y − t = sub(y, t)"] == (2.0, 2.0)
    assert by_expr["t = input"] == (15.3, -2.0)  # ∂L/∂t = −(y − t)
    assert by_expr["L = mul(v1, (y − t)²)"] == (2.0, 1.0)
    text = (out_dir / "tape.txt").read_text(encoding="utf-8")
    assert len(text.splitlines()) == 38 and text.splitlines()[-1].startswith("L = mul(v1, (y − t)²)")


def test_a_wrong_closed_form_fails_the_run_on_exactly_the_wrong_rows(monkeypatch):
    right = closed_form.pool_lrelu_net

    def forgot_slope(X, **kw):  # the LRelu backward taken as 1 everywhere, propagated through the max-pool
        r = right(X, **kw)
        dU = r.dL_dV
        dX = closed_form.max_pool2d_backward(r.X[None], dU[None], kernel_size=2, stride=2, tie=r.tie).dx[0]
        return r.__class__(**{**r.__dict__, "dL_dU": dU, "dL_dX": dX})

    monkeypatch.setattr(closed_form, "pool_lrelu_net", forgot_slope)
    code, out, _ = run_demo("--no-graphs")
    assert code == 1
    rows = table(out)
    assert sorted(q for q, r in rows.items() if r[4] == "FAIL") == ["∂L/∂U[1,0]", "∂L/∂U[1,1]", "∂L/∂X[2,0]",
                                                                     "∂L/∂X[3,2]"]
    assert rows["∂L/∂U[1,0]"][:2] == (2.0, 20.0) and rows["∂L/∂U[1,0]"][3] == pytest.approx(18.0)
    assert said(out, "4 of 30 gradients disagree: FAIL")


def test_tensor_level_disagreeing_with_the_scalar_graph_fails_the_run(monkeypatch):
    import dataclasses

    import viz.demo as demo
    right = demo.check_pool_lrelu_net

    def off_by_one_at_x00(*a, **k):
        r = right(*a, **k)
        dX = r.dL_dX.copy()
        dX[0, 0] += 1.0
        return dataclasses.replace(r, dL_dX=dX)

    monkeypatch.setattr(demo, "check_pool_lrelu_net", off_by_one_at_x00)
    code, out, _ = run_demo("--no-graphs")
    assert code == 1
    assert all(r[4] == "PASS" for r in table(out).values())  # every gradient row still agrees three ways
    assert said(out, "vs the scalar graph: max abs diff 1.0e+00. FAIL")
    assert said(out, "All 30 gradients agree three ways, but the forward values or the tensor-level gradients "
                     "differ: FAIL")


def test_bad_arguments_are_refused_with_the_reason(tmp_path):
    code, out, err = run_demo("--index", "12345X", "--out", tmp_path)
    assert code == 2 and "expected exactly 6 digits, got 5 in '12345X'" in err and out == ""
    code, out, err = run_demo("--target", "nan", "--out", tmp_path)
    assert code == 2 and "--target must be a finite number, got nan" in err
    with pytest.raises(SystemExit) as e, contextlib.redirect_stderr(io.StringIO()):
        main(["demo", "--format", "gif"])
    assert e.value.code == 2
    assert not any(tmp_path.iterdir())


# ---------------------------------------------------------------------------------------------------- pictures
STEMS = ("toy_scalar", "toy_contrib", "toy_check", "toy_check_wrong", "cnn_tensor")


def test_dot_sources_are_written_and_listed(default_run):
    code, out, _, out_dir = default_run
    assert code == 0
    for stem in STEMS:
        src = (out_dir / f"{stem}.dot").read_text(encoding="utf-8")
        assert src.startswith("digraph {") and src.rstrip().endswith("}")
    scalar_src = (out_dir / "toy_scalar.dot").read_text(encoding="utf-8")
    assert all(f"U[{i},{j}]" in scalar_src for i in range(2) for j in range(2))
    cnn = (out_dir / "cnn_tensor.dot").read_text(encoding="utf-8")
    assert all(name in cnn for name in ("conv.weight", "conv.bias", "fc.weight", "fc.bias", "conv: conv2d"))
    frames = sorted(p.name for p in (out_dir / "backward_steps").glob("*.dot"))
    assert frames == [f"step_{k:03d}.dot" for k in range(17)]  # ∂L/∂L = 1 first, then one per node with parents: 16
    assert "∂L/∂y = 2.0000" in (out_dir / "toy_contrib.dot").read_text(encoding="utf-8")


def test_rendered_pictures_show_local_derivatives_and_contributions(default_run):
    renderer_or_skip()
    code, out, _, out_dir = default_run
    for stem in STEMS:
        path = out_dir / f"{stem}.svg"
        assert str(path) in out
        ET.parse(path)  # well-formed XML
    texts = [t for texts, _ in svg_nodes(out_dir / "toy_scalar.svg") for t in texts]
    assert "U[0,0]" in texts and "X[3,2]" in texts and "grad 20.0000" in texts
    local = svg_edge_labels(out_dir / "toy_scalar.svg")
    # U[1,0] → V[1,0] is LRelu on its negative side: 0.1; V[1,0] → V[1,0]·w[2]: w[2] = 10; y → y − t: 1
    assert local.count("0.1000") == 2 and "10.0000" in local and local.count("1.0000") >= 8
    contrib = svg_edge_labels(out_dir / "toy_contrib.svg")
    # what flows down each edge: ∂L/∂V[1,0]·0.1 = 2 into U[1,0]; ∂L/∂y·V[0,0] = 16 into w[0]; 0.8 into X[3,2]
    assert "16.0000" in contrib and "0.8000" in contrib and "20.0000" in contrib
    assert (out_dir / "backward_steps.html").read_text(encoding="utf-8").count("<svg") == 17


def overlay_colours(path) -> dict:
    """node label (its first text) → fill, for the X, U, V, w, y nodes."""
    pattern = re.compile(r"^(X\[\d,\d\]|U\[\d,\d\]|V\[\d,\d\]|w\[\d\]|y)$")
    return {texts[0]: fill for texts, fill in svg_nodes(path) if texts and pattern.match(texts[0])}


def test_rule_check_overlay_is_all_green_and_the_wrong_one_marks_the_corrupted_nodes(default_run):
    renderer_or_skip()
    code, out, _, out_dir = default_run
    right = overlay_colours(out_dir / "toy_check.svg")
    assert len(right) == 16 + 4 + 4 + 4 + 1 and set(right.values()) == {"palegreen"}
    wrong = overlay_colours(out_dir / "toy_check_wrong.svg")
    red = sorted(k for k, fill in wrong.items() if fill == "salmon")
    # LRelu's slope forgotten: ∂L/∂U = 0 where U < 0 (U[1,0], U[1,1]) and so 0 at those windows' maxima
    assert red == ["U[1,0]", "U[1,1]", "X[2,0]", "X[3,2]"]
    assert all(fill == "palegreen" for k, fill in wrong.items() if k not in red)
    assert said(out, "29 nodes ✓, 0 ✗")
    assert said(out, "✗ on U[1,0], U[1,1], X[2,0], X[3,2]; going back from L, V is still ✓ and U is the first ✗: "
                     "LRelu's backward (V → U) is the wrong step")


def test_png_and_dot_formats(tmp_path):
    code, out, err = run_demo("--format", "dot", "--out", tmp_path / "d")
    assert code == 0, err
    assert sorted(p.suffix for p in (tmp_path / "d").iterdir() if p.is_file()) == [".dot"] * 5 + [".txt"]
    r = renderer_or_skip()
    if not r.supports("png"):
        pytest.skip(f"{r.kind} cannot render png")
    code, out, err = run_demo("--format", "png", "--out", tmp_path / "p")
    assert code == 0, err
    for stem in STEMS:
        assert (tmp_path / "p" / f"{stem}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------------------------------------------- no renderer
@pytest.fixture
def no_renderer(monkeypatch):
    monkeypatch.setattr(render, "find_renderer", lambda *a, **k: None)


def test_without_a_renderer_the_dot_files_are_written_and_the_demo_succeeds(no_renderer, tmp_path, monkeypatch):
    monkeypatch.delenv("MICROGRADNET_REQUIRE_DOT", raising=False)
    code, out, err = run_demo("--out", tmp_path)
    assert code == 0
    assert err.count(render.INSTALL_HELP) == 1 and "only the .dot sources were written" in err
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == sorted(
        [f"{s}.dot" for s in STEMS] + ["tape.txt"])
    assert len(list((tmp_path / "backward_steps").glob("*.dot"))) == 17
    assert not list(tmp_path.rglob("*.svg")) and not list(tmp_path.rglob("*.tmp"))
    check_numbers(out, CASES["180577X"])


def test_without_a_renderer_require_dot_makes_it_an_error(no_renderer, tmp_path, monkeypatch):
    monkeypatch.setenv("MICROGRADNET_REQUIRE_DOT", "1")
    code, out, err = run_demo("--out", tmp_path)
    assert code == 1
    assert "MICROGRADNET_REQUIRE_DOT is set" in err and (tmp_path / "toy_check.dot").exists()
    assert "exit code 1" in out


# ---------------------------------------------------------------------------------------------------- the CNN
def test_the_small_cnn_drawn_is_its_five_layers_worked_in_numpy():
    """models.SmallCNN (the demo's tensor-level picture): its logits against the layers written out in numpy, and
    PyTorch's default initialisation from the generator given (every |weight|, |bias| ≤ 1/√fan_in)."""
    from microgradnet.models import SmallCNN

    model, same = SmallCNN(generator=np.random.default_rng(7)), SmallCNN(generator=np.random.default_rng(7))
    p = {name: t.data for name, t in model.named_parameters()}
    assert sorted(p) == ["conv.bias", "conv.weight", "fc.bias", "fc.weight"]
    assert all(np.array_equal(p[name], t.data) for name, t in same.named_parameters())
    for name, fan_in in (("conv", 9), ("fc", 64)):
        for kind in ("weight", "bias"):
            a = np.abs(p[f"{name}.{kind}"])
            assert a.max() <= 1 / np.sqrt(fan_in) and a.max() > 0.5 / np.sqrt(fan_in), (name, kind)
    x = np.random.default_rng(1).standard_normal((2, 1, 8, 8))
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    conv = np.zeros((2, 4, 8, 8))
    for n, c, i, j in np.ndindex(conv.shape):
        conv[n, c, i, j] = np.sum(xp[n, 0, i:i + 3, j:j + 3] * p["conv.weight"][c, 0]) + p["conv.bias"][c]
    pooled = np.maximum(conv, 0).reshape(2, 4, 4, 2, 4, 2).max(axis=(3, 5))
    want = pooled.reshape(2, 64) @ p["fc.weight"].T + p["fc.bias"]
    np.testing.assert_allclose(model(mg.tensor(x)).data, want, rtol=0, atol=1e-12)
