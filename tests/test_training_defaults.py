"""The training defaults (recipes), the weights-only penalty, and the CLI's output details."""

import json
import sys

import numpy as np
import pytest

import microgradnet as mg
from microgradnet.cli import main
from microgradnet.models import CNN, MLP
from microgradnet.training import recipes
from microgradnet.training.regularization import penalty, weight_parameters


def test_no_flags_gives_the_data_sets_recipe():
    model, cfg, origin = recipes.resolve("spiral", None, {})
    assert model == "mlp" and origin == "the spiral/mlp recipe"
    assert (cfg["optimizer"], cfg["lr"], cfg["momentum"], cfg["batch_size"], cfg["epochs"], cfg["hidden"]) == (
        "sgd", 0.3, 0.9, 32, 300, 100)
    assert recipes.resolve("fashion-mnist", None, {})[0] == "cnn" and recipes.resolve("mnist", None, {})[0] == "cnn"


def test_a_flag_wins_and_another_optimiser_drops_the_recipes_rate_and_momentum():
    _, cfg, _ = recipes.resolve("spiral", "mlp", {"epochs": 5, "lr": None})
    assert cfg["epochs"] == 5 and cfg["lr"] == 0.3
    _, cfg, _ = recipes.resolve("spiral", "mlp", {"optimizer": "adam"})
    assert (cfg["optimizer"], cfg["lr"], cfg["momentum"], cfg["epochs"]) == ("adam", 1e-3, 0.0, 300)
    _, cfg, origin = recipes.resolve("moons", "twolayer", {})  # no recipe for the pair: the generic defaults
    assert origin.startswith("the generic defaults") and (cfg["optimizer"], cfg["lr"], cfg["epochs"]) == (
        "adam", 1e-3, 10)


def test_help_lists_the_defaults_per_data_set(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    assert "spiral mlp *" in out and "sgd, lr 0.3, momentum 0.9, batch 32, 300 epochs, hidden 100" in out
    assert "fashion-mnist cnn *" in out and "benchmarks/training.md" in out and "float32" in out


def test_l2_and_l1_penalties_reach_the_weights_only():
    mg.manual_seed(0)
    model = MLP(2, [3], 2, batch_norm=True)
    weights = weight_parameters(model)
    assert [tuple(w.shape) for w in weights] == [(3, 2), (2, 3)]  # not the biases, not batch norm's γ, β
    model.zero_grad()
    loss = penalty(model, "l2", 0.1)
    loss.backward()
    assert np.isclose(loss.item(), 0.05 * sum(float(np.sum(w.data ** 2)) for w in weights))
    for name, p in model.named_parameters():
        expected = 0.1 * p.data if p.data.ndim >= 2 else 0.0  # ∂(½λ‖w‖²)/∂w = λw; nothing for the rest
        assert np.allclose(p.grad if p.grad is not None else 0.0, expected), name
    model.zero_grad()
    penalty(model, "l1", 0.5).backward()
    for name, p in model.named_parameters():
        expected = 0.5 * np.sign(p.data) if p.data.ndim >= 2 else 0.0
        assert np.allclose(p.grad if p.grad is not None else 0.0, expected), name
    with pytest.raises(ValueError, match="kind must be 'l1' or 'l2'"):
        penalty(model, "l3", 0.1)


def test_the_solver_adds_the_penalty_to_the_recorded_loss():
    from microgradnet.data import Split
    from microgradnet.training import Solver

    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    y = np.array([0, 1])
    losses = {}
    for reg in (None, ("l2", 0.2)):
        mg.manual_seed(0)
        model = MLP(2, [4], 2)
        w0 = 0.1 * sum(float(np.sum(w.data ** 2)) for w in weight_parameters(model))
        s = Solver(model, Split(X, y, X, y, X, y), optim_config={"lr": 0.0}, batch_size=2, num_epochs=1,
                   progress=False, verbose=False, regularization=reg)
        s.train()
        losses[reg] = (s.loss_history[0], w0)
    assert np.isclose(losses[("l2", 0.2)][0] - losses[None][0], losses[None][1])  # ½ · 0.2 · Σw², lr 0: no step


def test_cnn_penalty_skips_the_conv_and_linear_biases():
    model = CNN(channels=(2, 3), kernel_size=3, hidden=4)
    assert [n for n, p in model.named_parameters() if p.data.ndim >= 2] == [
        "features.0.weight", "features.3.weight", "classifier.1.weight", "classifier.3.weight"]


@pytest.fixture(scope="module")
def quiet_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("quiet")
    argv = ["train", "spiral", "--hidden", "16", "--epochs", "6", "--lr", "2.0", "--no-progress", "--quiet",
            "--no-plots", "--out", str(out)]
    return out, argv


def test_quiet_keeps_the_final_summary_and_last_epoch_figures(quiet_run, capsys):
    out, argv = quiet_run
    assert main(argv) == 0
    printed = capsys.readouterr().out.splitlines()
    m = json.loads((out / "metrics.json").read_text())
    assert printed == [f"best epoch {m['best_epoch']}: train {m['train_acc']:.4f}  val {m['val_acc']:.4f}  test "
                       f"{m['test_acc']:.4f}  ({m['train_seconds']:.1f} s)", f"wrote {out / 'metrics.json'}"]
    assert m["hyperparameters"]["dtype"] == "float32" and m["settings_from"] == "the spiral/mlp recipe"
    assert m["last"]["epoch"] == 6 and m["history"]["val_acc"][-1] == m["last"]["val_acc"]


def test_evaluate_last_compares_with_the_last_epochs_own_number(quiet_run, capsys):
    out, argv = quiet_run
    if not (out / "metrics.json").exists():
        assert main(argv) == 0
    m = json.loads((out / "metrics.json").read_text())
    capsys.readouterr()
    assert main(["evaluate", str(out), "--checkpoint", "last", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["epoch"] == 6 and r["recorded_accuracy"] == m["last"]["test_acc"] == r["accuracy"]
    assert main(["evaluate", str(out), "--checkpoint", "last", "--split", "val", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["accuracy"] == m["history"]["val_acc"][-1]


def test_a_piped_progress_bar_ends_its_line(capsys, monkeypatch):
    from microgradnet.training.progress import make_bar

    pytest.importorskip("tqdm")
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    bar = make_bar(3, "epoch 1/1")
    for _ in range(3):
        bar.update(1)
    bar.close()
    err = capsys.readouterr().err  # pytest's capture is not a terminal: the bar is kept and its line ended
    assert err.endswith("\n") and "3/3" in err.splitlines()[-1]
