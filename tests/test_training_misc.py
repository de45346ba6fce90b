"""Progress bar, lazy imports, losses by name, and the experiments' table helpers."""

import subprocess
import sys

import numpy as np
import pytest

import microgradnet as mg
from microgradnet.data import spiral
from microgradnet.models import MLP
from microgradnet.training import Solver, get_loss, predict
from microgradnet.training.experiments import epochs_to_reach, markdown_table, write_results


def _solver(progress, verbose):
    X, y = spiral(10, 3, 0.2, seed=0)
    mg.manual_seed(0)
    return Solver(MLP(2, [4], 3), {"X_train": X, "y_train": y, "X_val": X, "y_val": y}, batch_size=10,
                  num_epochs=2, progress=progress, verbose=verbose, optim_config={"lr": 0.1})


def test_progress_bar_shows_epoch_loss_and_accuracy_on_stderr(capsys):
    _solver(progress=True, verbose=False).train()
    err = capsys.readouterr().err
    assert "epoch 1/2" in err and "epoch 2/2" in err and "loss=" in err and "acc=" in err and "3/3" in err


def test_progress_can_be_disabled_and_verbose_prints_one_line_per_epoch(capsys):
    s = _solver(progress=False, verbose=True)
    s.train()
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("(Epoch 1 / 2) loss ")
    assert f"val acc {s.val_acc_history[1]:.4f}" in lines[1]


def test_tqdm_and_matplotlib_are_imported_lazily():
    code = ("import sys, microgradnet.training, microgradnet.training.solver, microgradnet.training.plots, "
            "microgradnet.models, microgradnet.optim, microgradnet.cli; "
            "print(sorted(m for m in ('tqdm', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_losses_by_name_and_predictions():
    s = mg.tensor([[2.0, 0.0], [0.0, 0.0]])
    # cross-entropy of [2, 0] with label 0 is log(1 + e^-2); of [0, 0] with label 1 is log 2
    want = (np.log1p(np.exp(-2.0)) + np.log(2.0)) / 2
    assert get_loss("cross_entropy")(s, np.array([0, 1])).item() == pytest.approx(want)
    b = mg.tensor([0.5, -2.0])
    # hinge with labels 1, 0 (read as -1): max(0, 1 - 0.5) = 0.5 and max(0, 1 - 2) = 0
    assert get_loss("hinge")(b, np.array([1, 0])).item() == pytest.approx(0.25)
    # logistic: log(1 + e^-0.5) for y = 1, log(1 + e^-2) for y = 0 at s = -2
    assert get_loss("bce_with_logits")(b, np.array([1, 0])).item() == pytest.approx(
        (np.log1p(np.exp(-0.5)) + np.log1p(np.exp(-2.0))) / 2)
    np.testing.assert_array_equal(predict(np.array([0.1, -0.1, 0.0])), [1, 0, 0])
    np.testing.assert_array_equal(predict(np.array([[0.1, 0.3, 0.2], [5, 1, 1]])), [1, 0])
    with pytest.raises(ValueError, match="valid choices: cross_entropy, bce_with_logits, hinge"):
        get_loss("l1")


def test_epochs_to_reach():
    assert epochs_to_reach([0.5, 0.94, 0.95, 0.99], 0.95) == 3
    assert epochs_to_reach([0.5, 0.9], 0.95) is None


def test_markdown_table_and_results_files(tmp_path):
    rows = [{"lr": 0.3, "hidden": 100, "val_acc": 0.98, "test_acc": 0.9866666, "seconds": 2.345, "x": None},
            {"lr": 0.003, "hidden": 10, "val_acc": 0.5, "test_acc": 0.5, "seconds": 1.0, "x": None}]
    cols = ["lr", "hidden", "val_acc", "test_acc", "seconds", "x"]
    assert markdown_table(rows, cols, bold=0).splitlines() == [
        "| lr | hidden | val_acc | test_acc | seconds | x |",
        "|---|---|---|---|---|---|",
        "| **0.3** | **100** | **0.9800** | **0.9867** | **2.3** | **–** |",
        "| 0.003 | 10 | 0.5000 | 0.5000 | 1.0 | – |",
    ]
    write_results(tmp_path, "T", [("a", rows, cols, 0)], notes="n")
    md = (tmp_path / "results.md").read_text()
    assert md.startswith("# T\n\nn\n\n## a\n\n| lr |")
    csv_lines = (tmp_path / "results.csv").read_text().splitlines()
    assert csv_lines[0] == "section,lr,hidden,val_acc,test_acc,seconds,x"
    assert csv_lines[1] == "a,0.3,100,0.98,0.9866666,2.345,"
