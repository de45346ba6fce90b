"""conv2d and max-pool forward+backward beside PyTorch on CPU, in one run, and where the time goes.

    benchmarks/.venv-bench/bin/python benchmarks/layers_bench.py [--repeat 20] [--json out.json]

Shapes: MNIST-sized (batch 64, 1→8 and 8→16 channels, 28×28 / 14×14) and CIFAR-sized (batch 64, 3→16 and
16→32 channels, 32×32 / 16×16), float32, 3×3 or 5×5 kernels, stride 1 padding 1 or 2; max-pool 2×2 stride 2
and 3×3 stride 2 padding 1. PyTorch runs with 2 threads. Each case reports the median of --repeat runs and the
ratio to PyTorch; then the time of one CIFAR conv step is split by primitive rule (forward and backward of each
rule), which is what "where the time goes" means in an engine whose layers are compositions.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict

import numpy as np

import microgradnet as mg
import microgradnet.functional as F
from microgradnet.rules import RULES

CONV = [  # name, N, C, H, F, k, stride, pad
    ("mnist conv1 1→8 5×5 p2", 64, 1, 28, 8, 5, 1, 2),
    ("mnist conv2 8→16 3×3 p1", 64, 8, 14, 16, 3, 1, 1),
    ("cifar conv1 3→16 3×3 p1", 64, 3, 32, 16, 3, 1, 1),
    ("cifar conv2 16→32 3×3 p1", 64, 16, 16, 32, 3, 1, 1),
]
POOL = [  # name, N, C, H, k, stride, pad
    ("mnist pool 2×2 s2", 64, 8, 28, 2, 2, 0),
    ("cifar pool 2×2 s2", 64, 16, 32, 2, 2, 0),
    ("cifar pool 3×3 s2 p1", 64, 32, 16, 3, 2, 1),
]


def median_time(fn, repeat):
    fn()
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def ours_conv(n, c, h, f, k, s, p, rng):
    x = mg.Tensor(rng.standard_normal((n, c, h, h)).astype(np.float32), requires_grad=True)
    w = mg.Tensor(rng.standard_normal((f, c, k, k)).astype(np.float32) * 0.1, requires_grad=True)
    b = mg.Tensor(np.zeros(f, np.float32), requires_grad=True)

    def step():
        x.grad = w.grad = b.grad = None
        out = F.conv2d(x, w, b, stride=s, padding=p)
        out.backward(np.ones(out.shape, np.float32))
    return step


def ours_pool(n, c, h, k, s, p, rng):
    x = mg.Tensor(rng.standard_normal((n, c, h, h)).astype(np.float32), requires_grad=True)

    def step():
        x.grad = None
        out = F.max_pool2d(x, k, s, p)
        out.backward(np.ones(out.shape, np.float32))
    return step


def torch_conv(n, c, h, f, k, s, p, rng):
    import torch
    x = torch.tensor(rng.standard_normal((n, c, h, h)).astype(np.float32), requires_grad=True)
    w = torch.tensor(rng.standard_normal((f, c, k, k)).astype(np.float32) * 0.1, requires_grad=True)
    b = torch.zeros(f, requires_grad=True)

    def step():
        x.grad = w.grad = b.grad = None
        out = torch.nn.functional.conv2d(x, w, b, stride=s, padding=p)
        out.backward(torch.ones_like(out))
    return step


def torch_pool(n, c, h, k, s, p, rng):
    import torch
    x = torch.tensor(rng.standard_normal((n, c, h, h)).astype(np.float32), requires_grad=True)

    def step():
        x.grad = None
        out = torch.nn.functional.max_pool2d(x, k, s, p)
        out.backward(torch.ones_like(out))
    return step


def rule_profile(step, repeat=5):
    """Seconds per step spent in each rule's forward and backward, exclusive of nested rule calls (a backward
    that calls another rule's forward, e.g. matmul's, is charged only for its own part)."""
    import dataclasses
    acc = defaultdict(float)
    stack = []  # time spent in nested calls, per open frame
    saved = dict(RULES)

    def wrap(f, key):
        def g(*a, **k):
            stack.append(0.0)
            t = time.perf_counter()
            try:
                return f(*a, **k)
            finally:
                dt = time.perf_counter() - t
                nested = stack.pop()
                acc[key] += dt - nested
                if stack:
                    stack[-1] += dt
        return g

    for name, r in saved.items():
        vjps = tuple(wrap(v, (name, "backward")) for v in r.vjps) if type(r.vjps) is tuple else r.vjps
        derivs = tuple(wrap(d, (name, "backward")) if callable(d) else d for d in r.derivs)
        RULES[name] = dataclasses.replace(r, forward=wrap(r.forward, (name, "forward")), vjps=vjps, derivs=derivs)
    try:
        t = time.perf_counter()
        for _ in range(repeat):
            step()
        total = (time.perf_counter() - t) / repeat
    finally:
        RULES.update(saved)
    rows = sorted(((k, v / repeat) for k, v in acc.items()), key=lambda kv: -kv[1])
    return total, rows


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    try:
        import torch
        torch.set_num_threads(2)
        have_torch = True
    except ImportError:
        have_torch = False
    results = []
    print(f"{'case':<28}{'microgradnet ms':>16}{'torch ms':>10}{'ratio':>8}")
    for name, n, c, h, f, k, s, p in CONV:
        ours = median_time(ours_conv(n, c, h, f, k, s, p, rng), args.repeat)
        theirs = median_time(torch_conv(n, c, h, f, k, s, p, rng), args.repeat) if have_torch else float("nan")
        results.append(dict(case=name, ours_s=ours, torch_s=theirs, ratio=ours / theirs))
    for name, n, c, h, k, s, p in POOL:
        ours = median_time(ours_pool(n, c, h, k, s, p, rng), args.repeat)
        theirs = median_time(torch_pool(n, c, h, k, s, p, rng), args.repeat) if have_torch else float("nan")
        results.append(dict(case=name, ours_s=ours, torch_s=theirs, ratio=ours / theirs))
    for r in results:
        print(f"{r['case']:<28}{r['ours_s'] * 1e3:>16.2f}{r['torch_s'] * 1e3:>10.2f}{r['ratio']:>8.2f}")
    total, rows = rule_profile(ours_conv(*CONV[3][1:], rng))
    print(f"\nwhere the time goes: one '{CONV[3][0]}' forward+backward ({total * 1e3:.1f} ms; rule time below, "
          "the rest is Python bookkeeping)")
    for (rule, phase), sec in rows[:10]:
        print(f"  {rule:<14}{phase:<10}{sec * 1e3:>8.2f} ms  {100 * sec / total:5.1f} %")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(dict(cases=results, profile=[(k[0], k[1], v) for k, v in rows], total_s=total), fh, indent=2)


if __name__ == "__main__":
    main()
