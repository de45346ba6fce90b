"""``microgradnet evaluate DIR``: rebuild the model saved by ``microgradnet train`` and report its accuracy.

The model is rebuilt from the checkpoint's metadata (registry name + config), its parameters loaded from
``DIR/best.npz`` (or ``--checkpoint last``), and the data set regenerated from the same specification (name,
seed, sizes, options) the training run recorded, so the test accuracy reported equals ``metrics.json``'s
``test_acc`` (for ``last.npz``: ``metrics.json``'s ``last.test_acc``, the last epoch's own figure; the training
accuracy of the last epoch is not recorded when it is not the best epoch).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

HELP = "reload a model trained by 'microgradnet train' (from its folder or checkpoint) and report test accuracy"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", type=Path, metavar="DIR", help="the train output folder (or a .npz checkpoint)")
    p.add_argument("--checkpoint", choices=("best", "last"), default="best",
                   help="which checkpoint of the folder (default best)")
    p.add_argument("--split", choices=("test", "val", "train"), default="test", help="default test")
    p.add_argument("--data-root", type=Path, default=None, help="cache folder for MNIST / CIFAR-10 files")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")


def evaluate(path, checkpoint: str = "best", split: str = "test", data_root=None) -> dict:
    """Accuracy of a saved model on a split of the data set it was trained on (see the module docstring)."""
    from .checkpoint import CheckpointError, load_model
    from .datasets import load_dataset
    from .losses import predict
    from .solver import predict_scores

    path = Path(path)
    folder = path if path.is_dir() else path.parent
    file = path / f"{checkpoint}.npz" if path.is_dir() else path
    model, ck = load_model(file, which="model")
    spec = ck.meta.get("user", {}).get("dataset")
    if not spec:
        raise CheckpointError(f"checkpoint {file}: records no data set (it was not written by 'microgradnet train'); "
                              "evaluate the model yourself with load_model")
    options = {k: v for k, v in spec.items() if k not in ("name", "seed", "n_samples", "n_train")}
    ds = load_dataset(spec["name"], seed=spec["seed"], n_samples=spec.get("n_samples"), n_train=spec.get("n_train"),
                      data_root=data_root, **options)
    X, y = {"test": (ds.split.x_test, ds.split.y_test), "val": (ds.split.x_val, ds.split.y_val),
            "train": (ds.split.x_train, ds.split.y_train)}[split]
    dtype = next(iter(model.parameters())).data.dtype
    pred = predict(predict_scores(model, np.asarray(X).astype(dtype, copy=False), 256))
    correct = int(np.sum(pred == y))
    result = {"checkpoint": str(file), "model": ck.meta["model"].get("name"), "epoch": ck.meta.get("epoch"),
              "dataset": spec["name"], "data_source": ds.source, "split": split, "accuracy": correct / len(y),
              "correct": correct, "total": int(len(y))}
    trained_source = ck.meta.get("user", {}).get("data_source")
    if trained_source and trained_source != ds.source:
        result["warning"] = f"trained on '{trained_source}' but evaluated on '{ds.source}'"
    metrics = folder / "metrics.json"
    if metrics.is_file():
        try:
            recorded = json.loads(metrics.read_text())
        except (OSError, json.JSONDecodeError):
            recorded = {}
        if file.name == "last.npz":  # the last epoch's own figures, not the best epoch's
            recorded = recorded.get("last") or {}
        result["recorded_accuracy"] = recorded.get(f"{split}_acc")
    return result


def run(args) -> int:
    from .checkpoint import CheckpointError

    try:
        r = evaluate(args.path, args.checkpoint, args.split, args.data_root)
    except (CheckpointError, ValueError, RuntimeError, OSError) as err:
        print(f"microgradnet evaluate: {err}", file=sys.stderr)
        return 2
    except MemoryError as err:
        print(f"microgradnet evaluate: ran out of memory ({err or 'MemoryError'})", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(r))
        return 0
    print(f"{r['model']} (epoch {r['epoch']}) on {r['data_source']}")
    line = f"{r['split']} accuracy: {r['accuracy']:.4f} ({r['correct']}/{r['total']})"
    if r.get("recorded_accuracy") is not None:
        line += f"   [metrics.json{' (last epoch)' if r['checkpoint'].endswith('last.npz') else ''}: " \
                f"{r['recorded_accuracy']:.4f}]"
    print(line)
    if "warning" in r:
        print(f"warning: {r['warning']}", file=sys.stderr)
    return 0


__all__ = ["HELP", "add_arguments", "evaluate", "run"]
