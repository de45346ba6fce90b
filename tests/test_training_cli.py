"""``microgradnet train`` / ``microgradnet evaluate`` on the spiral: files, keys, reproducibility, errors."""

import json
import re

import numpy as np
import pytest

from microgradnet.cli import main
from microgradnet.data import spiral
from microgradnet.training import load_model, predict, predict_scores

BASE = ["train", "spiral", "--model", "mlp", "--hidden", "32", "--optimizer", "adam", "--lr", "0.02", "--batch-size",
        "32", "--no-progress", "--quiet"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("spiral")
    assert main(BASE + ["--epochs", "4", "--out", str(out)]) == 0
    return out


def test_train_writes_metrics_with_the_documented_keys(run_dir):
    m = json.loads((run_dir / "metrics.json").read_text())
    for key in ("train_acc", "val_acc", "test_acc", "train_seconds", "data_source", "hyperparameters", "model",
                "model_config", "best_epoch", "epochs_run", "history", "files", "status"):
        assert key in m, key
    assert m["status"] == "ok" and m["epochs_run"] == 4 and m["train_seconds"] > 0
    assert m["data_source"].startswith("spiral (3 classes x 100 points, noise 0.2")
    hyper = m["hyperparameters"]
    assert (hyper["lr"], hyper["batch_size"], hyper["optimizer"], hyper["hidden"], hyper["epochs"], hyper["seed"]) == (
        0.02, 32, "adam", 32, 4, 0)
    assert m["model_config"]["hidden"] == [32] and m["n_train"] == m["n_test"] == 300
    assert len(m["history"]["val_acc"]) == 4 and m["best_val_acc"] == max(m["history"]["val_acc"])
    for name in ("metrics.json", "best.npz", "last.npz", "curves.png", "grad_norms.png", "decision_boundary.png"):
        assert (run_dir / name).is_file() and (run_dir / name).stat().st_size > 0, name
    assert (run_dir / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_test_accuracy_is_that_of_the_saved_model_on_a_spiral_drawn_with_seed_2(run_dir):
    m = json.loads((run_dir / "metrics.json").read_text())
    model, _ = load_model(run_dir / "best.npz")
    X, y = spiral(100, 3, 0.2, seed=2)  # the test set: another seed than train (0) and val (1)
    acc = float(np.mean(predict(predict_scores(model, X)) == y))
    assert m["test_acc"] == acc
    Xt, yt = spiral(100, 3, 0.2, seed=0)
    assert m["train_acc"] == float(np.mean(predict(predict_scores(model, Xt)) == yt))


def test_evaluate_reproduces_the_test_accuracy(run_dir, capsys):
    m = json.loads((run_dir / "metrics.json").read_text())
    assert main(["evaluate", str(run_dir), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["accuracy"] == m["test_acc"] and r["recorded_accuracy"] == m["test_acc"] and r["total"] == 300
    assert r["data_source"] == m["data_source"]
    assert main(["evaluate", str(run_dir), "--split", "val"]) == 0
    out = capsys.readouterr().out
    assert f"val accuracy: {m['val_acc']:.4f}" in out


def test_resume_reaches_the_same_result_as_an_uninterrupted_run(run_dir, tmp_path):
    out = tmp_path / "r"
    assert main(BASE + ["--epochs", "2", "--out", str(out)]) == 0
    assert main(BASE + ["--epochs", "4", "--out", str(out), "--resume"]) == 0
    a = json.loads((run_dir / "metrics.json").read_text())
    b = json.loads((out / "metrics.json").read_text())
    assert b["history"] == a["history"]
    assert (b["train_acc"], b["val_acc"], b["test_acc"]) == (a["train_acc"], a["val_acc"], a["test_acc"])


def test_a_diverging_run_exits_1_and_says_why(tmp_path, capsys):
    out = tmp_path / "d"
    code = main(["train", "spiral", "--model", "mlp", "--optimizer", "sgd", "--lr", "1e100", "--epochs", "2",
                 "--out", str(out), "--no-progress", "--quiet", "--no-plots"])
    assert code == 1
    err = capsys.readouterr().err
    assert "training diverged at epoch 1" in err and "smaller learning rate" in err
    m = json.loads((out / "metrics.json").read_text())
    assert m["status"] == "diverged" and m["epochs_run"] == 0 and m["test_acc"] is None
    assert not (out / "best.npz").exists()


def choices(names):
    """argparse's list of choices, quoted ('a', 'b': Python <= 3.12) or not (a, b: later versions)."""
    return ", ".join(f"'?{n}'?" for n in names.split())


@pytest.mark.parametrize("argv,match", [
    (["train", "spirals", "--model", "mlp"], "invalid choice: 'spirals'.*" + choices(
        "spiral playground-spiral moons circles xor blobs eecs498 mnist fashion-mnist cifar10 fake-cifar10")),
    (["train", "spiral", "--model", "resnet"], "invalid choice: 'resnet'.*" + choices(
        "logistic svm softmax twolayer cnn vgg11 mlp")),
    (["train", "spiral", "--model", "mlp", "--batch-size", "0"], "--batch-size: must be a positive int"),
    (["train", "spiral", "--model", "mlp", "--optimizer", "lbfgs"], "invalid choice: 'lbfgs'"),
])
def test_argument_errors_list_the_valid_choices(argv, match, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert re.search(match, err.replace("\n", " "))
    # one line of error and one pointing to --help, not argparse's 13-line usage block first
    assert "usage:" not in err and len(err.strip().splitlines()) == 2 and "microgradnet train --help" in err


@pytest.mark.parametrize("argv,match", [
    (["train", "spiral", "--model", "svm"], "binary classifier, but the data has 3 classes"),
    (["train", "spiral", "--model", "cnn"], "needs square images"),
    (["train", "spiral", "--model", "mlp", "--channels", "4,4"], "apply to cnn and vgg11"),
    (["train", "spiral", "--model", "mlp", "--optimizer", "adam", "--momentum", "0.9"], "adam's momentum is its beta1"),
])
def test_model_data_misfits_are_clear_errors(argv, match, capsys, tmp_path):
    assert main(argv + ["--out", str(tmp_path), "--no-progress"]) == 2
    assert match in capsys.readouterr().err


def test_cifar10_offline_fails_with_a_clear_message(tmp_path, capsys):
    code = main(["train", "cifar10", "--model", "vgg11", "--no-download", "--data-root", str(tmp_path),
                 "--out", str(tmp_path / "o")])
    assert code == 2
    err = capsys.readouterr().err
    assert "cifar10 is not available" in err and "fake-cifar10" in err


def test_evaluate_refuses_a_folder_without_a_checkpoint(tmp_path, capsys):
    assert main(["evaluate", str(tmp_path)]) == 2
    assert "no such file" in capsys.readouterr().err
