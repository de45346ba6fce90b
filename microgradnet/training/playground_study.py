"""Tsinghua HW1 §2 on the TensorFlow playground's spiral: what the learning rate, the hidden size, regularisation,
the activation and the input features do to accuracy and convergence.

Data: ``playground-spiral`` (:func:`microgradnet.data.playground_spiral`): two arms, 500 points, noise 0.1 (the
playground's slider at 10), half for training and half for testing, as the playground splits them; validation
points from an independent draw. Model: the playground's kind of network, inputs → [H → activation] × 2 → 2
scores, trained with softmax cross-entropy (the playground fits tanh outputs by squared error; cross-entropy is
the homework's loss for classes). SGD with momentum 0.9 (the playground uses plain SGD: momentum makes 100 epochs
enough here), batch 10 (the playground's default), 100 epochs.

One knob is varied at a time around the base setting (lr 0.01, two hidden layers of H = 32, ReLU, no
regularisation, inputs x1, x2):

* ``lr``: 0.001 … 0.1;  ``hidden``: H = 2 … 64 (both layers);  ``regularization``: L2 (½λ‖w‖²) and L1 (λ‖w‖₁) on
  the weights only, λ = 0.001, 0.01, 0.1, as the playground applies them;
* ``activation``: ReLU, tanh, sigmoid, linear;  ``features``: x1, x2 against all seven of the playground's inputs
  (x1, x2, x1², x2², x1·x2, sin x1, sin x2) with H = 8.

Per setting: the first epoch whose training accuracy (all training points) reaches 95 % ("convergence"), the final
training accuracy and loss, and validation / test accuracy of the best-validation parameters. Writes
``OUT/playground/results.md``, ``results.csv``, training-accuracy curves per knob and decision-boundary pictures
per knob (``boundaries_KNOB.png``) and of the best setting (``decision_boundary_best.png``).
"""

from __future__ import annotations

import time
from pathlib import Path

ALL_FEATURES = ("x1", "x2", "x1^2", "x2^2", "x1x2", "sin_x1", "sin_x2")
NOISE = 0.1
BASE = {"lr": 0.01, "hidden": 32, "activation": "relu", "regularization": "none", "features": "x1,x2"}
GRIDS = {
    "lr": [0.001, 0.003, 0.01, 0.03, 0.1],
    "hidden": [2, 4, 8, 16, 32, 64],
    "regularization": ["none", "l2 0.001", "l2 0.01", "l2 0.1", "l1 0.001", "l1 0.01", "l1 0.1"],
    "activation": ["relu", "tanh", "sigmoid", "linear"],
    "features": ["x1,x2", "all seven (H = 8)"],
}
QUICK_GRIDS = {"lr": [0.001, 0.01], "hidden": [4, 32], "regularization": ["none", "l2 0.1", "l1 0.01"],
               "activation": ["relu", "linear"], "features": ["x1,x2", "all seven (H = 8)"]}


def _regularization(text):
    if text == "none":
        return None
    kind, rate = text.split()
    return kind, float(rate)


def _features(text):
    return ALL_FEATURES if text.startswith("all") else ("x1", "x2")


def setting_for(knob, value) -> dict:
    """The full setting of the study's row ``knob = value`` (the others at :data:`BASE`)."""
    setting = {**BASE, knob: value}
    if knob == "features" and value.startswith("all"):
        setting["hidden"] = 8
    return setting


def train_setting(setting, seed=0, epochs=100, dtype="float32"):
    """Train one setting; return ``(row, model, split, features)``."""
    import microgradnet as mg

    from ..data import feature_map
    from ..models import MLP
    from .datasets import load_dataset
    from .study_tools import epochs_to_reach, fit

    feats = list(_features(setting["features"]))
    ds = load_dataset("playground-spiral", seed=seed, noise=NOISE, features=feats)
    mg.manual_seed(seed)
    model = MLP(len(feats), [setting["hidden"]] * 2, 2, activation=setting["activation"], dtype=dtype)
    r = fit(model, ds.split, "sgd", {"lr": setting["lr"], "momentum": 0.9}, epochs=epochs, batch_size=10, seed=seed,
            num_train_samples=None, regularization=_regularization(setting["regularization"]))
    s = r.pop("solver")
    row = {**setting, **r, "final_train_acc": s.train_acc_history[-1],
           "epochs_to_95%": epochs_to_reach(s.train_acc_history, 0.95), "final_loss": s.epoch_loss_history[-1],
           "train_acc_history": list(s.train_acc_history)}
    return row, model, ds, (lambda points: feature_map(points, feats))


def run(out="experiments", quick=False, seed=0, verbose=True) -> dict:
    """Run the study (see the module docstring); ``quick``: 30 epochs and a reduced grid (a smoke test)."""
    from .plots import plot_decision_boundaries, plot_decision_boundary, plot_lines
    from .study_tools import _say, write_results

    folder = Path(out) / "playground"
    epochs = 30 if quick else 100
    grids = QUICK_GRIDS if quick else GRIDS
    done: dict = {}
    sections, best = [], None
    t_all = time.perf_counter()
    for knob, values in grids.items():
        rows, panels, curves = [], [], {}
        for v in values:
            setting = setting_for(knob, v)
            key = tuple(sorted(setting.items()))
            if key not in done:
                done[key] = train_setting(setting, seed, epochs)
                row = done[key][0]
                _say(f"playground {knob}={v}: train {row['final_train_acc']:.3f} test {row['test_acc']:.3f} "
                     f"95% at epoch {row['epochs_to_95%']} ({row['seconds']:.1f} s)", verbose)
            row, model, ds, fmap = done[key]
            rows.append({"knob": knob, "value": v, **{k: x for k, x in row.items() if k != "train_acc_history"}})
            curves[f"{knob} = {v}"] = row["train_acc_history"]
            panels.append((model, _raw_test_points(ds), ds.split.y_test, f"{knob} = {v}", fmap))
            if best is None or row["val_acc"] > best[0]["val_acc"]:
                best = (row, model, ds, fmap)
        plot_lines(list(range(1, epochs + 1)), curves, folder / f"train_acc_vs_epoch_{knob}.png", xlabel="epoch",
                   ylabel="training accuracy", title=f"playground spiral: effect of {knob}", markers=False)
        plot_decision_boundaries(panels, folder / f"boundaries_{knob}.png", ncols=4)
        b = max(range(len(rows)), key=lambda i: rows[i]["val_acc"])
        sections.append((f"varying {knob} (others: lr {BASE['lr']}, H {BASE['hidden']} × 2, {BASE['activation']}, "
                         f"no regularisation, inputs x1, x2)", rows,
                         ["value", "epochs_to_95%", "final_train_acc", "final_loss", "best_epoch", "val_acc",
                          "test_acc", "seconds"], b))
    row, model, ds, fmap = best
    title = (f"best: lr {row['lr']:g}, H {row['hidden']}, {row['activation']}, {row['regularization']}, "
             f"{row['features']}: test {row['test_acc']:.3f}")
    plot_decision_boundary(model, _raw_test_points(ds), ds.split.y_test, folder / "decision_boundary_best.png",
                           features=fmap, title=title)
    notes = (f"Data: playground-spiral, 500 points, noise {NOISE}, train/test 50/50, validation from the next seed. "
             f"MLP inputs → [H → act] × 2 → 2, softmax cross-entropy, SGD momentum 0.9, batch 10, {epochs} epochs. "
             "'epochs_to_95%': first epoch whose training accuracy reaches 0.95 (– if never); val/test accuracy "
             "are of the parameters with the best validation accuracy; the loss includes the penalty.")
    write_results(folder, "The TensorFlow playground's spiral (Tsinghua HW1 §2)", sections, notes)
    return {"folder": str(folder), "sections": sections, "seconds": time.perf_counter() - t_all,
            "best": {k: v for k, v in row.items() if k != "train_acc_history"}, "best_model": model,
            "rows": {key: r for key, (r, *_rest) in done.items()}}


def _raw_test_points(ds):
    """The test points as (x1, x2): the first two input columns (every feature list here starts with x1, x2)."""
    assert list(ds.spec.get("features", ["x1", "x2"]))[:2] == ["x1", "x2"]
    return ds.split.x_test[:, :2]


__all__ = ["ALL_FEATURES", "BASE", "GRIDS", "run", "setting_for", "train_setting"]
