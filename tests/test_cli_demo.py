"""``microgradnet demo`` is the drawn EN4553 demo (viz), ``microgradnet neuron`` the core's text-only neuron; with
``viz`` missing, ``demo`` says so in one line. The neuron's printed gradients are checked against the chain rule
worked here with ``math`` (tanh' = 1/cosh²), not against the engine."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import math
import re

import pytest

import microgradnet.cli as cli
from microgradnet.cli import main

X1, X2, W1, W2, B = 2.0, 0.0, -3.0, 1.0, 6.8813735870195432


def run(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def subcommands() -> dict:
    """name → the function its sub-parser runs."""
    sub = next(a for a in cli.build_parser()._actions if a.dest == "command")
    return {name: p.get_default("_run") for name, p in sub.choices.items()}


def test_the_neuron_prints_the_chain_rule_worked_by_hand():
    n = X1 * W1 + X2 * W2 + B
    d = 1 / math.cosh(n) ** 2  # ∂o/∂n = tanh'(n), not computed as 1 − tanh² here
    want = {"x1": d * W1, "x2": d * W2, "w1": d * X1, "w2": d * X2, "b": d}
    assert d == pytest.approx(0.5, abs=1e-15)  # b was chosen so that n = atanh(1/√2)
    code, out, err = run("neuron")
    assert code == 0, err
    assert f"∂o/∂n = 1 − o² = {d:.6f}" in out
    rows = dict(re.findall(r"^  (\w+)\s+\S.*?\s+(-?\d+\.\d{6})\s+-?\d+\.\d{6}$", out, re.M))
    assert {k: float(v) for k, v in rows.items()} == {k: pytest.approx(v, abs=5e-7) for k, v in want.items()}
    autodiff = dict(re.findall(r"^  (\w+)\s+\S.*?\s+-?\d+\.\d{6}\s+(-?\d+\.\d{6})$", out, re.M))
    assert {k: float(v) for k, v in autodiff.items()} == {k: pytest.approx(v, abs=5e-7) for k, v in want.items()}
    tape_o = re.search(r"^o = tanh\(n\)\s+data=(\S+)\s+grad=(\S+)$", out, re.M)
    assert float(tape_o.group(1)) == pytest.approx(math.tanh(n), abs=5e-6) and float(tape_o.group(2)) == 1
    assert "closed form vs autodiff: PASS" in out and "gradcheck (central differences" in out
    assert re.search(r"^gradcheck .*: PASS$", out, re.M)


def test_the_neuron_fails_when_the_closed_form_disagrees(monkeypatch):
    import microgradnet.neuron as neuron
    right = neuron.closed_forms
    monkeypatch.setattr(neuron, "closed_forms",
                        lambda o, leaves: [(k, f, v + (k == "w1")) for k, f, v in right(o, leaves)])
    code, out, _ = run("neuron")
    assert code == 1 and "closed form vs autodiff: FAIL" in out


def test_each_command_name_means_one_thing():
    import microgradnet.neuron
    import viz.demo
    runs = subcommands()
    assert runs["demo"] is viz.demo.run and runs["neuron"] is microgradnet.neuron.run
    assert not importlib.util.find_spec("microgradnet.demo")  # no second module calling itself the demo


@pytest.fixture
def without_viz(monkeypatch):
    real = importlib.import_module

    def import_module(name, *a):
        if name == "viz" or name.startswith("viz."):
            raise ModuleNotFoundError(f"No module named {name!r}", name="viz")
        return real(name, *a)

    monkeypatch.setattr(cli.importlib, "import_module", import_module)


@pytest.mark.parametrize("registered", [True, False], ids=["entry-point-but-no-viz", "no-entry-point"])
def test_without_viz_demo_says_so_in_one_line(without_viz, monkeypatch, tmp_path, registered):
    if not registered:
        monkeypatch.setattr(cli, "entry_points", lambda group: [])
    code, out, err = run("demo", "--out", str(tmp_path / "d"), "--format", "png")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("microgradnet demo: needs the viz package")
    assert "`microgradnet neuron`" in err and not (tmp_path / "d").exists()
    assert run("neuron")[0] == 0  # the core's own demo still works
    with pytest.raises(SystemExit) as e, contextlib.redirect_stderr(io.StringIO()):
        main(["neuron", "--out", "x"])  # other commands still refuse arguments they do not know
    assert e.value.code == 2
