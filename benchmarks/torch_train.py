"""The default Fashion-MNIST CNN and schedule of ``microgradnet train fashion-mnist``, trained by PyTorch on CPU.

    PYTHONPATH=$PWD benchmarks/.venv-bench/bin/python benchmarks/torch_train.py [--epochs 5] [--json out.json]

Same data (``microgradnet.training.datasets.load_dataset("fashion-mnist", seed=0)``: 54,000 train / 6,000
validation / 10,000 test, float32), same network (conv 5×5·16 'same' → ReLU → max-pool 2 → conv 5×5·32 → ReLU →
max-pool 2 → FC 128 → ReLU → FC 10), same schedule as the recipe in ``microgradnet/training/recipes.py`` (SGD
lr 0.05, momentum 0.9, batch 64, lr × 0.9 after every epoch, 5 epochs) and the same per-epoch bookkeeping as the
Solver (accuracy on 1,000 random training samples and on the validation set, in eval mode). What differs: the
initial weights (PyTorch's default init vs microgradnet's, both Kaiming-uniform-style but different draws) and
the shuffling order, so the accuracies are comparable, not equal. On a busy machine run it with
``OMP_NUM_THREADS=1``: two OpenMP workers spin on oversubscribed cores (it finished no epoch in 25 minutes so).

Prints one line per epoch (seconds of the training steps, of the whole epoch) and the best-validation epoch's test
accuracy; ``--json`` writes them.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from torch import nn

from microgradnet.training.datasets import load_dataset


def make_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


def accuracy(model, x, y, batch=64):
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(x[i:i + batch]).argmax(1) for i in range(0, len(x), batch)])
    model.train()
    return float((pred == y).float().mean())


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    torch.manual_seed(0)
    s = load_dataset("fashion-mnist", seed=0).split
    xtr, ytr = torch.from_numpy(np.ascontiguousarray(s.x_train, np.float32)), torch.from_numpy(s.y_train)
    xva, yva = torch.from_numpy(np.ascontiguousarray(s.x_val, np.float32)), torch.from_numpy(s.y_val)
    xte, yte = torch.from_numpy(np.ascontiguousarray(s.x_test, np.float32)), torch.from_numpy(s.y_test)
    model = make_cnn()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, 0.9)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(0)
    rows, best = [], (-1.0, None)
    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        steps = 0.0
        order = torch.from_numpy(rng.permutation(len(ytr)))
        for i in range(0, len(order), 64):
            idx = order[i:i + 64]
            t = time.perf_counter()
            opt.zero_grad()
            loss = loss_fn(model(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
            steps += time.perf_counter() - t
        sched.step()
        sub = torch.from_numpy(rng.choice(len(ytr), 1000, replace=False))
        train_acc = accuracy(model, xtr[sub], ytr[sub])
        val_acc = accuracy(model, xva, yva)
        seconds = time.perf_counter() - t0
        if val_acc > best[0]:
            best = (val_acc, {k: v.clone() for k, v in model.state_dict().items()}, epoch)
        rows.append({"epoch": epoch, "step_seconds": steps, "epoch_seconds": seconds, "train_acc": train_acc,
                     "val_acc": val_acc})
        print(f"epoch {epoch}: steps {steps:.1f} s, epoch {seconds:.1f} s, train acc {train_acc:.4f}, "
              f"val acc {val_acc:.4f}", flush=True)
    model.load_state_dict(best[1])
    test_acc = accuracy(model, xte, yte)
    print(f"best epoch {best[2]}: val {best[0]:.4f} test {test_acc:.4f}; mean epoch "
          f"{np.mean([r['epoch_seconds'] for r in rows]):.1f} s (steps {np.mean([r['step_seconds'] for r in rows]):.1f}"
          f" s), torch {torch.__version__}, {torch.get_num_threads()} threads")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"rows": rows, "best_epoch": best[2], "val_acc": best[0], "test_acc": test_acc,
                       "torch": torch.__version__, "threads": torch.get_num_threads()}, fh, indent=2)


if __name__ == "__main__":
    main()
