"""VGG11 (EECS 498 HW1 §6) on real images: Fashion-MNIST zero-padded to 32×32, one channel, on a budget.

    .venv/bin/python benchmarks/vgg11_fashion.py [--n-train 3200] [--epochs 1] [--n-val 1000] [--n-test 2000]
                                                 [--json out.json]

The standard VGG-A network (64 M 128 M 256 256 M 512 512 M 512 512 M, 3×3 convs, batch norm, classifier 512-512-10
with dropout 0.5; 9.2 M parameters with one input channel), float32, SGD lr 0.01 momentum 0.9, batch 64 — the
``fashion-mnist``/``vgg11`` recipe of ``microgradnet train`` — trained on the first ``--n-train`` images of the
54,000-image training part (``load_dataset("fashion-mnist", seed=0, pad_to=32)``), with the per-epoch accuracy
measured on ``--n-val`` random validation images and the final accuracy on the first ``--n-test`` test images.
The subsets exist only because one step of this network takes about a second on two idle cores (and many more on
a busy machine); ``microgradnet train fashion-mnist --model vgg11`` runs the same recipe on everything.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

import microgradnet as mg
from microgradnet.models import VGG11
from microgradnet.training import Solver
from microgradnet.training.datasets import load_dataset


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n-train", type=int, default=3200)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--n-val", type=int, default=1000)
    p.add_argument("--n-test", type=int, default=2000)
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    ds = load_dataset("fashion-mnist", seed=0, pad_to=32, n_train=args.n_train)
    s = ds.split
    mg.manual_seed(0)
    model = VGG11(n_classes=10, in_channels=1, batch_norm=True, dtype="float32")
    n_params = sum(q.numel() for q in model.parameters())
    print(f"VGG11 ({n_params:,} parameters) on {ds.source}", flush=True)
    solver = Solver(model, s, optimizer="sgd", optim_config={"lr": 0.01, "momentum": 0.9}, batch_size=64,
                    num_epochs=args.epochs, num_train_samples=args.n_val, num_val_samples=args.n_val, seed=0,
                    progress=False, verbose=True)
    solver.train()
    t = time.perf_counter()
    test_acc = solver.check_accuracy(s.x_test[:args.n_test], s.y_test[:args.n_test])
    test_seconds = time.perf_counter() - t
    result = {"n_parameters": n_params, "n_train": len(s.y_train), "epochs": args.epochs, "n_val": args.n_val,
              "n_test": args.n_test, "val_acc": solver.val_acc_history, "train_acc": solver.train_acc_history,
              "best_epoch": solver.best_epoch, "test_acc": test_acc, "epoch_seconds": solver.epoch_seconds,
              "seconds_per_batch": [float(b) for b in solver.batch_seconds], "test_seconds": test_seconds,
              "data_source": ds.source}
    print(f"test accuracy on the first {args.n_test} test images: {test_acc:.4f} ({test_seconds:.0f} s); "
          f"{np.mean(solver.batch_seconds):.2f} s per training batch of 64", flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2)


if __name__ == "__main__":
    main()
