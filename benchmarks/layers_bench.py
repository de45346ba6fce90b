"""conv2d and max-pool forward+backward beside PyTorch on CPU, in one run, and where the time goes.

    benchmarks/.venv-bench/bin/python benchmarks/layers_bench.py [--repeat 20] [--rounds 3] [--json out.json]

Shapes: MNIST-sized (batch 64, 1→8 and 8→16 channels, 28×28 / 14×14) and CIFAR-sized (batch 64, 3→16 and
16→32 channels, 32×32 / 16×16), float32, 3×3 or 5×5 kernels, stride 1 padding 1 or 2; max-pool 2×2 stride 2
and 3×3 stride 2 padding 1. PyTorch runs with 2 threads. A round measures each case's median over --repeat runs;
the two libraries' rounds alternate (--rounds of each), each library keeps its best round, and the ratio of those
is reported with the ratio of every round beside it (this shared VM has slow spells of ±50 %). Then the time of
one CIFAR conv step is split by primitive rule (forward and backward of each rule), which is what "where the
time goes" means in an engine whose layers are compositions.

Each library is timed in its own child process (one command still runs both, side by side): numpy's OpenBLAS and
PyTorch's OpenMP keep worker threads spinning after a call, and in one process each slows the other by up to 2×.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
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


def measure(lib, repeat):
    """Median seconds per case for one library ('ours' or 'torch'), in this process."""
    rng = np.random.default_rng(0)
    if lib == "torch":
        import torch
        torch.set_num_threads(2)
        conv, pool = torch_conv, torch_pool
    else:
        conv, pool = ours_conv, ours_pool
    out = {}
    for name, n, c, h, f, k, s, p in CONV:
        out[name] = median_time(conv(n, c, h, f, k, s, p, rng), repeat)
    for name, n, c, h, k, s, p in POOL:
        out[name] = median_time(pool(n, c, h, k, s, p, rng), repeat)
    return out


def in_child(lib, repeat):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, f"{lib}.json")
        r = subprocess.run([sys.executable, __file__, "--child", lib, "--repeat", str(repeat), "--json", path],
                           capture_output=True, text=True)
        if r.returncode != 0:
            return None, r.stderr.strip().splitlines()[-1] if r.stderr.strip() else f"exit {r.returncode}"
        with open(path) as fh:
            return json.load(fh), None


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds of the two libraries (best kept)")
    ap.add_argument("--json")
    ap.add_argument("--child", choices=["ours", "torch"], help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    from microgradnet.allocator import tune_allocator
    tune_allocator()  # as `microgradnet train` does (importing microgradnet leaves malloc alone); children too
    if args.child:
        with open(args.json, "w") as fh:
            json.dump(measure(args.child, args.repeat), fh)
        return
    rounds_ours, rounds_theirs = [], []
    for _ in range(args.rounds):  # alternate the two children, so a slow spell of the machine hits both
        ours, err = in_child("ours", args.repeat)
        if ours is None:
            raise SystemExit(f"layers_bench: measuring microgradnet failed: {err}")
        rounds_ours.append(ours)
        theirs, err = in_child("torch", args.repeat)
        if theirs is None:
            print(f"(PyTorch not measured: {err})")
            theirs = {k: float("nan") for k in ours}
        rounds_theirs.append(theirs)
    # per case: each library's best round (its median over --repeat runs); the other rounds give the spread
    ours = {k: min(r[k] for r in rounds_ours) for k in rounds_ours[0]}
    theirs = {k: min(r[k] for r in rounds_theirs) for k in rounds_theirs[0]}
    spread = {k: [a[k] / b[k] for a, b in zip(rounds_ours, rounds_theirs)] for k in ours}
    results = [dict(case=k, ours_s=ours[k], torch_s=theirs[k], ratio=ours[k] / theirs[k],
                    round_ratios=spread[k]) for k in ours]
    print(f"{'case':<28}{'microgradnet ms':>16}{'torch ms':>10}{'ratio':>8}   ratio in each round")
    for r in results:
        print(f"{r['case']:<28}{r['ours_s'] * 1e3:>16.2f}{r['torch_s'] * 1e3:>10.2f}{r['ratio']:>8.2f}   "
              + " ".join(f"{x:.2f}" for x in r["round_ratios"]))
    rng = np.random.default_rng(0)
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
