"""``microgradnet train DATASET --model MODEL [options]``: train a seed model and write its results to a folder.

Writes into ``--out DIR`` (default ``runs/DATASET-MODEL``):

* ``metrics.json`` -- final train / validation / test accuracy (of the best model by validation accuracy), the
  training seconds, the data source, every hyper-parameter, the per-epoch history, the files written;
* ``curves.png`` (loss and accuracy), ``grad_norms.png`` (gradient magnitude per layer), and
  ``decision_boundary.png`` for 2-D data sets / ``filters.png`` for convolutional models;
* ``best.npz`` (the state at the best epoch) and ``last.npz`` (the latest epoch; ``--resume`` continues from it).

A progress bar per epoch shows the running loss and accuracy (``--no-progress`` to hide it). A diverging run
(NaN/inf loss) stops with a message, exit status 1, and keeps the last good checkpoints.
"""

from __future__ import annotations

import argparse
import math
import platform
import sys
import time
from pathlib import Path

import numpy as np

HELP = "train a seed model on a data set: progress bar, metrics.json, curve plots and the best checkpoint"

DEFAULT_LR = {"sgd": 0.1, "adam": 1e-3, "rmsprop": 1e-3}


def _positive_int(text):
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive int, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be a positive int (>= 1), got {v}")
    return v


def _non_negative_float(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not 0 <= v < math.inf:
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {v}")
    return v


def _hidden(text):
    try:
        sizes = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an int or a comma-separated list of ints, got {text!r}") from None
    if not sizes or min(sizes) < 0:
        raise argparse.ArgumentTypeError(f"hidden sizes must be ints >= 0, got {text!r}")
    return sizes[0] if len(sizes) == 1 else sizes


def _pair(text):
    try:
        c = [int(t) for t in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be two ints 'c1,c2', got {text!r}") from None
    if len(c) != 2 or min(c) < 1:
        raise argparse.ArgumentTypeError(f"must be two positive ints 'c1,c2', got {text!r}")
    return c


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..models import MODELS
    from .datasets import DATASET_NAMES

    p.add_argument("dataset", choices=DATASET_NAMES, metavar="DATASET",
                   help=f"one of: {', '.join(DATASET_NAMES)}")
    p.add_argument("--model", required=True, choices=list(MODELS), metavar="MODEL",
                   help=f"one of: {', '.join(MODELS)}")
    p.add_argument("--epochs", type=_positive_int, default=10, help="passes over the training set (default 10)")
    p.add_argument("--lr", type=_non_negative_float, default=None,
                   help="learning rate (default: sgd 0.1, adam 0.001, rmsprop 0.001)")
    p.add_argument("--batch-size", type=_positive_int, default=64, help="mini-batch size (default 64)")
    p.add_argument("--optimizer", choices=("sgd", "adam", "rmsprop"), default="adam", help="default adam")
    p.add_argument("--momentum", type=_non_negative_float, default=0.0, help="for sgd / rmsprop (default 0)")
    p.add_argument("--weight-decay", type=_non_negative_float, default=0.0,
                   help="L2 coefficient λ added to the gradient as λ·w (default 0)")
    p.add_argument("--lr-decay", type=float, default=1.0, help="multiply lr by this after every epoch (default 1)")
    p.add_argument("--hidden", type=_hidden, default=None,
                   help="hidden width (mlp: a comma list, e.g. 100,100; logistic/svm: 0 = none)")
    p.add_argument("--dropout", type=_non_negative_float, default=0.0, help="drop probability (default 0)")
    p.add_argument("--batch-norm", action="store_true", help="add batch normalisation (mlp, twolayer, cnn, vgg11)")
    p.add_argument("--channels", type=_pair, default=None, help="cnn: channels of the two conv layers, e.g. 16,32")
    p.add_argument("--kernel-size", type=_positive_int, default=None, help="cnn: filter size (odd, default 5)")
    p.add_argument("--width", type=float, default=None, help="vgg11: channel multiplier (default 1.0)")
    p.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                   help="parameter and data precision (float32 is about twice as fast for conv nets)")
    p.add_argument("--seed", type=int, default=0, help="seed for data, initialisation, shuffling and dropout")
    p.add_argument("--n-samples", type=_positive_int, default=None,
                   help="size of generated data sets (spiral: per class, default 100; others: total, default 300)")
    p.add_argument("--n-train", type=_positive_int, default=None, help="use only the first N training samples")
    p.add_argument("--num-train-samples", type=_positive_int, default=1000,
                   help="training samples used for the per-epoch train accuracy (default 1000)")
    p.add_argument("--out", type=Path, default=None, help="output folder (default runs/DATASET-MODEL)")
    p.add_argument("--resume", action="store_true", help="continue from OUT/last.npz")
    p.add_argument("--data-root", type=Path, default=None, help="cache folder for MNIST / CIFAR-10 files")
    p.add_argument("--no-download", action="store_true", help="never download data (use what is cached or built in)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument("--quiet", action="store_true", help="no per-epoch lines")


def _hyper(args, lr) -> dict:
    return {
        "epochs": args.epochs, "lr": lr, "batch_size": args.batch_size, "optimizer": args.optimizer,
        "momentum": args.momentum, "weight_decay": args.weight_decay, "lr_decay": args.lr_decay,
        "hidden": args.hidden, "dropout": args.dropout, "batch_norm": args.batch_norm, "channels": args.channels,
        "kernel_size": args.kernel_size, "width": args.width, "dtype": args.dtype, "seed": args.seed,
        "n_samples": args.n_samples, "n_train": args.n_train, "num_train_samples": args.num_train_samples,
    }


def _optim_config(args, lr) -> dict:
    cfg = {"lr": lr, "weight_decay": args.weight_decay}
    if args.optimizer in ("sgd", "rmsprop"):
        cfg["momentum"] = args.momentum
    elif args.momentum:
        raise ValueError("--momentum applies to sgd and rmsprop; adam's momentum is its beta1")
    return cfg


def write_json(path: Path, obj) -> None:
    from ..fileio import atomic_write_bytes
    from .checkpoint import to_json

    atomic_write_bytes(path, (to_json(obj, indent=2) + "\n").encode())


def run(args) -> int:
    """The command; an OSError (a read-only or full disk) or MemoryError anywhere is one line and exit status 2."""
    try:
        return _run(args)
    except OSError as err:
        where = f": {err.filename}" if err.filename else ""
        print(f"microgradnet train: {err.strerror or err}{where}", file=sys.stderr)
    except MemoryError as err:
        print(f"microgradnet train: ran out of memory ({err or 'MemoryError'}); try a smaller model, batch or "
              "data set", file=sys.stderr)
    return 2


def _run(args) -> int:
    import microgradnet as mg

    from ..models import MODELS, model_config_for_data
    from .datasets import load_dataset
    from .losses import predict
    from .solver import DivergenceError, Solver, predict_scores
    from .validate import check_finite, check_training_memory, prepare_output

    out = args.out or Path("runs") / f"{args.dataset}-{args.model}"
    lr = DEFAULT_LR[args.optimizer] if args.lr is None else args.lr
    try:  # before any work: finite numbers, a folder the results can be written to
        check_finite(args)
        prepare_output(out)
    except ValueError as err:
        print(f"microgradnet train: {err}", file=sys.stderr)
        return 2
    try:
        ds = load_dataset(args.dataset, seed=args.seed, n_samples=args.n_samples, n_train=args.n_train,
                          data_root=args.data_root, download=not args.no_download)
    except (ValueError, RuntimeError) as err:
        print(f"microgradnet train: {err}", file=sys.stderr)
        return 2
    extra = {}
    if args.channels is not None:
        extra["channels"] = args.channels
    if args.kernel_size is not None:
        extra["kernel_size"] = args.kernel_size
    if args.width is not None:
        extra["width"] = args.width
    mg.manual_seed(args.seed)
    try:
        if extra and args.model not in ("cnn", "vgg11"):
            raise ValueError(f"--channels / --kernel-size / --width apply to cnn and vgg11, not {args.model!r}")
        if args.model == "cnn" and "width" in extra or args.model == "vgg11" and set(extra) - {"width"}:
            raise ValueError("--channels / --kernel-size are cnn options; --width is a vgg11 option")
        config = model_config_for_data(args.model, ds.input_shape, ds.n_classes, hidden=args.hidden,
                                       dropout=args.dropout, batch_norm=args.batch_norm, dtype=args.dtype, **extra)
        check_training_memory(args.model, config, optimizer=args.optimizer, momentum=args.momentum,
                              batch_size=args.batch_size, where=f"--model {args.model}")
        model = MODELS[args.model](**config)
        solver = Solver(model, ds.split, optimizer=args.optimizer, optim_config=_optim_config(args, lr),
                        lr_decay=args.lr_decay, batch_size=args.batch_size, num_epochs=args.epochs,
                        num_train_samples=args.num_train_samples, checkpoint_dir=out, seed=args.seed,
                        progress=not args.no_progress, verbose=not args.quiet,
                        metadata={"dataset": ds.spec, "data_source": ds.source, "hyper": _hyper(args, lr)})
    except (ValueError, TypeError) as err:
        print(f"microgradnet train: {err}", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    if args.resume:
        from .checkpoint import CheckpointError
        try:
            solver.load_checkpoint(out / "last.npz")
        except CheckpointError as err:
            print(f"microgradnet train --resume: {err}", file=sys.stderr)
            return 2
        if not args.quiet:
            print(f"resuming from {out / 'last.npz'} after epoch {solver.epoch}")
    n_params = sum(p.numel() for p in model.parameters())
    if not args.quiet:
        sizes = ds.sizes()
        print(f"{args.model} ({n_params:,} parameters, {args.dtype}) on {ds.source}: "
              f"{sizes['train']} train / {sizes['val']} val / {sizes['test']} test")
    status = "ok"
    message = ""
    try:
        solver.train()
    except DivergenceError as err:
        status, message = "diverged", str(err)
        print(f"microgradnet train: {err}", file=sys.stderr)
        if solver.best_params is not None:
            model.load_state_dict(solver.best_params)

    def acc(X, y):
        X = np.asarray(X).astype(solver.dtype, copy=False)
        return float(np.mean(predict(predict_scores(model, X, solver.eval_batch_size)) == y))

    s = ds.split
    metrics = {
        "status": status,
        "message": message,
        "dataset": args.dataset,
        "data_source": ds.source,
        "n_train": len(s.y_train), "n_val": len(s.y_val), "n_test": len(s.y_test),
        "model": args.model,
        "model_config": model.config,
        "n_parameters": n_params,
        "hyperparameters": _hyper(args, lr),
        "train_acc": acc(s.x_train, s.y_train) if solver.epoch else None,
        "val_acc": acc(s.x_val, s.y_val) if solver.epoch else None,
        "test_acc": acc(s.x_test, s.y_test) if solver.epoch else None,
        "best_epoch": solver.best_epoch,
        "best_val_acc": solver.best_val_acc,
        "epochs_run": solver.epoch,
        "train_seconds": round(solver.train_seconds, 3),
        "seconds_per_epoch": round(float(np.mean(solver.epoch_seconds)), 3) if solver.epoch_seconds else None,
        "seconds_per_batch": round(float(np.mean(solver.batch_seconds)), 4) if solver.batch_seconds else None,
        "final_loss": solver.epoch_loss_history[-1] if solver.epoch_loss_history else None,
        "history": {"epoch_loss": solver.epoch_loss_history, "train_acc": solver.train_acc_history,
                    "val_acc": solver.val_acc_history, "lr": solver.lr_history},
        "files": {},
        "command": "microgradnet train " + " ".join(sys.argv[2:]) if sys.argv[1:2] == ["train"] else None,
        "platform": {"python": platform.python_version(), "numpy": np.__version__, "machine": platform.machine()},
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    for name in ("best.npz", "last.npz"):
        if (out / name).exists():
            metrics["files"][name[:-4] + "_checkpoint"] = name
    if not args.no_plots and solver.epoch:
        from . import plots
        plots.plot_history(solver, out / "curves.png", title=f"{args.model} on {args.dataset}")
        plots.plot_grad_norms(solver, out / "grad_norms.png")
        metrics["files"].update(curves="curves.png", grad_norms="grad_norms.png")
        if ds.input_shape == (2,):
            plots.plot_decision_boundary(model, s.x_test, s.y_test, out / "decision_boundary.png",
                                         title=f"{args.model}: test points, accuracy {metrics['test_acc']:.3f}")
            metrics["files"]["decision_boundary"] = "decision_boundary.png"
        if args.model in ("cnn", "vgg11"):
            plots.plot_filters(model, out / "filters.png")
            metrics["files"]["filters"] = "filters.png"
    write_json(out / "metrics.json", metrics)
    if not args.quiet:
        if solver.epoch:
            print(f"best epoch {solver.best_epoch}: train {metrics['train_acc']:.4f}  val {metrics['val_acc']:.4f}  "
                  f"test {metrics['test_acc']:.4f}  ({solver.train_seconds:.1f} s)")
        print(f"wrote {out / 'metrics.json'}")
    return 0 if status == "ok" else 1


__all__ = ["HELP", "add_arguments", "run"]
