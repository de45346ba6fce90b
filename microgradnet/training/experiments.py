"""The homework's training experiments, as functions and as ``python -m microgradnet.training.experiments NAME``.

=========  ==================================================================================================
``hidden`` EECS 498 HW1 §2–4: choose the number of hidden units on the validation set. Logistic regression and
           a binary SVM on ``eecs498_binary`` (500 / 250 / 250) without a hidden layer (H = 0) and with one
           (H ∈ 5 … 200); softmax regression and the two-layer net on MNIST (1/10 of train held out).
``cnn``    EECS 498 HW1 §5: the CNN on MNIST -- choose the filter size and the hidden units on the validation set
           (§5.3), then with batch normalisation the dropout rate (§5.4).
``spiral`` how the learning rate, the hidden size and L2 regularisation change the accuracy and the speed of
           convergence on cs231n's 3-class spiral (epochs until 95 % training accuracy).
``playground`` Tsinghua HW1 §2 proper: the same questions (and activation, L1 / L2, input features) on the
           TensorFlow playground's two-class spiral (:mod:`.playground_study`).
=========  ==================================================================================================

Each writes ``OUT/NAME/results.md`` (a markdown table, the chosen setting in bold, and what was run),
``results.csv`` and PNG plots, atomically. ``--quick`` runs a reduced grid (fewer epochs / settings) for a
smoke test. Every setting is trained by the :class:`~microgradnet.training.Solver`, and "test accuracy" is always
that of the parameters with the best validation accuracy: the test set plays no part in any choice.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .study_tools import _best, _clean, _say, epochs_to_reach, fit, markdown_table, write_results


# ---------------------------------------------------------------------------------------------------- hidden
def hidden_study(out="experiments", quick=False, seed=0, verbose=True) -> dict:
    """EECS 498 HW1 §2–4: the hidden-layer size chosen on the validation set (see the module docstring)."""
    import microgradnet as mg

    from ..models import BinarySVM, LogisticRegression, SoftmaxRegression, TwoLayerNet
    from .datasets import load_dataset
    from .plots import plot_lines

    folder = Path(out) / "hidden"
    binary = load_dataset("eecs498", seed=seed).split
    sizes = [0, 5, 20, 100] if quick else [0, 5, 10, 20, 50, 100, 200]
    sections = []
    curves = {}
    for name, cls, cfg in (("logistic", LogisticRegression, {"lr": 0.05, "momentum": 0.9}),
                           ("svm", BinarySVM, {"lr": 0.01, "momentum": 0.9, "weight_decay": 1e-3})):
        rows = []
        for h in sizes:
            mg.manual_seed(seed)
            r = fit(cls(20, hidden=h), binary, "sgd", cfg, epochs=15 if quick else 40, batch_size=25, seed=seed)
            rows.append({"model": name, "hidden": h, **_clean(r)})
            _say(f"{name} H={h}: val {r['val_acc']:.3f} test {r['test_acc']:.3f} ({r['seconds']:.1f} s)", verbose)
        b = _best(rows)
        curves[name] = [r["val_acc"] for r in rows]
        sections.append((f"{name} on eecs498_binary (H = 0: no hidden layer); chosen H = {rows[b]['hidden']}",
                         rows, ["model", "hidden", "best_epoch", "train_acc", "val_acc", "test_acc", "seconds"], b))
    mnist = load_dataset("mnist", seed=seed, n_train=1000 if quick else None)
    split = mnist.split
    rows = []
    m_sizes = [32, 128] if quick else [32, 64, 128, 256, 512]
    for h in [0] + m_sizes:
        mg.manual_seed(seed)
        model = SoftmaxRegression(784, 10) if h == 0 else TwoLayerNet(784, hidden=h, n_classes=10)
        r = fit(model, split, "sgd", {"lr": 0.1 if h else 0.05, "momentum": 0.9}, epochs=4 if quick else 15,
                batch_size=64, seed=seed)
        rows.append({"model": "softmax" if h == 0 else "twolayer", "hidden": h, **_clean(r)})
        _say(f"mnist H={h}: val {r['val_acc']:.3f} test {r['test_acc']:.3f} ({r['seconds']:.1f} s)", verbose)
    b = _best(rows)
    curves["mnist (softmax / two-layer)"] = [r["val_acc"] for r in rows]
    sections.append((f"softmax regression (H = 0) and the two-layer net on {mnist.source}; chosen H = "
                     f"{rows[b]['hidden']}", rows,
                     ["model", "hidden", "best_epoch", "train_acc", "val_acc", "test_acc", "seconds"], b))
    xs = {"logistic": sizes, "svm": sizes, "mnist (softmax / two-layer)": [0] + m_sizes}
    plot_lines({k: [max(v, 0.5) for v in xs[k]] for k in xs}, curves, folder / "val_acc_vs_hidden.png",
               xlabel="hidden units H (0 plotted at 0.5: no hidden layer)", ylabel="validation accuracy",
               title="choosing the hidden size on the validation set", logx=True)
    notes = ("SGD with momentum 0.9; the SVM adds the optimiser's weight decay 1e-3 (PyTorch's semantics: λ·p added "
             "to the gradient of every parameter, the bias too; the SVM objective's ½λ‖w‖² would spare the bias, "
             "see Solver(regularization=...)). "
             "Test accuracy is that of the parameters with the best validation accuracy; the chosen row (bold) "
             "is the best validation accuracy.")
    write_results(folder, "Choosing the hidden size (EECS 498 HW1 §2–4)", sections, notes)
    return {"folder": str(folder), "sections": sections}


# ---------------------------------------------------------------------------------------------------- cnn
def cnn_study(out="experiments", quick=False, seed=0, verbose=True) -> dict:
    """EECS 498 HW1 §5: filter size × hidden units, then the dropout rate with batch norm (CNN on MNIST)."""
    import microgradnet as mg

    from ..models import CNN
    from .datasets import load_dataset
    from .plots import plot_history, plot_lines

    folder = Path(out) / "cnn"
    mnist = load_dataset("mnist", seed=seed, n_train=600 if quick else None)
    split = mnist.split
    epochs = 2 if quick else 6
    kernels = [3, 5] if quick else [3, 5, 7]
    hiddens = [32] if quick else [64, 128]
    channels = (4, 8) if quick else (16, 32)
    cfg = {"lr": 0.05, "momentum": 0.9}
    rows = []
    for k in kernels:
        for h in hiddens:
            mg.manual_seed(seed)
            r = fit(CNN(channels=channels, kernel_size=k, hidden=h, dtype="float32"), split, "sgd", cfg, epochs=epochs,
                    batch_size=64, seed=seed)
            rows.append({"kernel_size": k, "hidden": h, "channels": f"{channels[0]},{channels[1]}", **_clean(r)})
            _say(f"cnn k={k} H={h}: val {r['val_acc']:.3f} test {r['test_acc']:.3f} ({r['seconds']:.0f} s)",
                 verbose)
    b1 = _best(rows)
    k_best, h_best = rows[b1]["kernel_size"], rows[b1]["hidden"]
    rates = [0.0, 0.5] if quick else [0.0, 0.25, 0.5]
    rows2 = []
    best_solver = None
    for p in rates:
        mg.manual_seed(seed)
        r = fit(CNN(channels=channels, kernel_size=k_best, hidden=h_best, dropout=p, batch_norm=True,
                    dtype="float32"), split, "sgd", cfg, epochs=epochs, batch_size=64, seed=seed)
        rows2.append({"kernel_size": k_best, "hidden": h_best, "batch_norm": True, "dropout": p, **_clean(r)})
        _say(f"cnn+bn dropout={p}: val {r['val_acc']:.3f} test {r['test_acc']:.3f} ({r['seconds']:.0f} s)", verbose)
        if best_solver is None or r["val_acc"] > best_solver[0]:
            best_solver = (r["val_acc"], r["solver"])
    b2 = _best(rows2)
    plot_lines({f"k={k}": hiddens for k in kernels},
               {f"k={k}": [r["val_acc"] for r in rows if r["kernel_size"] == k] for k in kernels},
               folder / "val_acc_kernel_hidden.png", xlabel="hidden units", ylabel="validation accuracy",
               title="CNN: filter size and hidden units")
    plot_history(best_solver[1], folder / "curves_best_dropout.png", title="CNN + BN, chosen dropout")
    cols = ["kernel_size", "hidden", "channels", "best_epoch", "train_acc", "val_acc", "test_acc", "seconds"]
    cols2 = ["kernel_size", "hidden", "batch_norm", "dropout", "best_epoch", "train_acc", "val_acc", "test_acc",
             "seconds"]
    notes = (f"Data: {mnist.source}. CNN [conv k×k 'same' → ReLU → maxpool 2]×2 → FC(H) → ReLU → FC(10), channels "
             f"{channels}, float32, SGD lr 0.05 momentum 0.9, batch 64, {epochs} epochs per setting. Test accuracy "
             "is that of the parameters with the best validation accuracy.")
    write_results(folder, "CNN on MNIST: filter size, hidden units, dropout (EECS 498 HW1 §5)", [
        (f"§5.3 filter size × hidden units (chosen: k = {k_best}, H = {h_best})", rows, cols, b1),
        (f"§5.4 with batch normalisation: dropout rate (chosen: p = {rows2[b2]['dropout']})", rows2, cols2, b2),
    ], notes)
    return {"folder": str(folder), "rows": rows, "rows_dropout": rows2}


# ---------------------------------------------------------------------------------------------------- spiral
def spiral_study(out="experiments", quick=False, seed=0, verbose=True) -> dict:
    """Tsinghua HW1 §2: learning rate, hidden size and L2 regularisation on the spiral (see the module doc)."""
    import microgradnet as mg

    from ..models import MLP
    from .datasets import load_dataset
    from .plots import plot_decision_boundary, plot_lines

    folder = Path(out) / "spiral"
    ds = load_dataset("spiral", seed=seed)
    split = ds.split
    epochs = 60 if quick else 300
    base = {"lr": 0.3, "hidden": 100, "weight_decay": 0.0}
    grids = {
        "lr": [0.03, 0.3] if quick else [0.003, 0.03, 0.1, 0.3, 1.0, 3.0],
        "hidden": [10, 100] if quick else [3, 10, 25, 50, 100, 300],
        "weight_decay": [0.0, 1e-2] if quick else [0.0, 1e-4, 1e-3, 1e-2, 3e-2, 1e-1],
    }
    sections = []
    best_overall = None
    for knob, values in grids.items():
        rows, curves = [], {}
        for v in values:
            setting = {**base, knob: v}
            mg.manual_seed(seed)
            model = MLP(2, [setting["hidden"]], 3)
            r = fit(model, split, "sgd", {"lr": setting["lr"], "momentum": 0.9,
                                          "weight_decay": setting["weight_decay"]},
                    epochs=epochs, batch_size=32, seed=seed, num_train_samples=None)
            s = r.pop("solver")
            row = {"lr": setting["lr"], "hidden": setting["hidden"], "weight_decay": setting["weight_decay"],
                   **r, "final_train_acc": s.train_acc_history[-1],
                   "epochs_to_95%": epochs_to_reach(s.train_acc_history, 0.95),
                   "final_loss": s.epoch_loss_history[-1]}
            rows.append(row)
            curves[f"{knob}={v:g}"] = s.train_acc_history
            _say(f"spiral {knob}={v:g}: train {row['final_train_acc']:.3f} test {row['test_acc']:.3f} "
                 f"95% at epoch {row['epochs_to_95%']} ({r['seconds']:.1f} s)", verbose)
            if best_overall is None or row["val_acc"] > best_overall[0]["val_acc"]:
                best_overall = (row, model)
        b = _best(rows)
        plot_lines(list(range(1, epochs + 1)), curves, folder / f"train_acc_vs_epoch_{knob}.png", xlabel="epoch",
                   ylabel="training accuracy", title=f"spiral: effect of {knob}", markers=False)
        sections.append((f"varying {knob} (others: lr {base['lr']}, hidden {base['hidden']}, L2 "
                         f"{base['weight_decay']})", rows,
                         ["lr", "hidden", "weight_decay", "epochs_to_95%", "final_train_acc", "final_loss",
                          "best_epoch", "val_acc", "test_acc", "seconds"], b))
    row, model = best_overall
    plot_decision_boundary(model, split.x_test, split.y_test, folder / "decision_boundary_best.png",
                           title=f"best setting (lr {row['lr']:g}, H {row['hidden']}, L2 {row['weight_decay']:g}): "
                                 f"test {row['test_acc']:.3f}")
    notes = (f"Data: {ds.source}. MLP 2 → H → ReLU → 3, SGD momentum 0.9, batch 32, {epochs} epochs. "
             "'epochs_to_95%' is the first epoch whose training accuracy (all 300 points, eval mode) reaches 0.95 "
             "(– if never); 'final_train_acc' is at the last epoch; val/test accuracy are of the parameters with "
             "the best validation accuracy.")
    write_results(folder, "Spiral: learning rate, hidden size, L2 (Tsinghua HW1 §2)", sections, notes)
    return {"folder": str(folder), "sections": sections, "best": _clean(row)}


def playground_study(out="experiments", quick=False, seed=0, verbose=True) -> dict:
    """Tsinghua HW1 §2 on the TensorFlow playground's spiral (see :mod:`.playground_study`)."""
    from .playground_study import run

    return run(out=out, quick=quick, seed=seed, verbose=verbose)


EXPERIMENTS = {"hidden": hidden_study, "cnn": cnn_study, "spiral": spiral_study, "playground": playground_study}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m microgradnet.training.experiments",
                                description="Run one of the homework's training experiments; writes results.md, "
                                            "results.csv and PNG plots.")
    p.add_argument("name", choices=list(EXPERIMENTS),
                   help="hidden (EECS 498 §2-4), cnn (§5), spiral (cs231n), playground (Tsinghua §2)")
    p.add_argument("--out", type=Path, default=Path("experiments"), help="output folder (default experiments/)")
    p.add_argument("--quick", action="store_true", help="a reduced grid (a smoke test, not the real study)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    result = EXPERIMENTS[args.name](out=args.out, quick=args.quick, seed=args.seed, verbose=not args.quiet)
    print(f"{args.name}: wrote {result['folder']}/results.md in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["EXPERIMENTS", "cnn_study", "epochs_to_reach", "fit", "hidden_study", "markdown_table", "playground_study",
           "spiral_study", "write_results"]
