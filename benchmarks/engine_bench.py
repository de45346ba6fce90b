"""Engine speed and memory against the peers, measured side by side in one run.

    make bench                                   # sets up benchmarks/.venv-bench (micrograd, torch CPU), runs all
    benchmarks/.venv-bench/bin/python benchmarks/engine_bench.py [--steps 20] [--rounds 3] [--json out.json]

1. micrograd's own demo step: a 2-16-16-1 MLP on 100 moons points, max-margin loss + 1e-4·L2, forward, backward
   and an SGD update (≈66,000 nodes), for micrograd and microgradnet, each with Python's garbage collector on
   (the default) and off. Mean over --steps steps after one warm-up: the collector's full passes fall on some
   steps and not on others, so the mean is the cost per step (the median would count them or not by chance).
   --rounds (3) alternating rounds of the two libraries, each library's best round kept, every round printed.
2. A chain 10⁶ operations deep: forward + backward (micrograd's recursive topological sort cannot do it at the
   default recursion limit; we record the error it raises).
3. Memory per node (tracemalloc, the chain's nodes).
4. Tensor: one SGD step of a 784-256-10 MLP, batch 128, float32, against PyTorch on CPU with 2 threads (median
   of steps; no collector effect here; three alternating rounds, each library's best kept). Each
   side runs in its own child process: numpy's OpenBLAS and PyTorch's OpenMP keep worker threads spinning after
   a call, and in one process each slows the other.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import subprocess
import sys
import time
import tracemalloc

import numpy as np


def moons(n=100, noise=0.1, seed=1):
    from microgradnet.data import moons as mk
    X, y = mk(n_samples=n, noise=noise, seed=seed)
    return X, (2 * y - 1).astype(float)


def micrograd_step_fn(Value, MLP, X, y):
    random.seed(1337)
    model = MLP(2, [16, 16, 1])

    def step():
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in model.parameters())
        total = data_loss + reg_loss
        model.zero_grad()
        total.backward()
        for p in model.parameters():
            p.data -= 0.05 * p.grad
        return total
    return step


def time_steps(step, steps, gc_on, stat=statistics.mean):
    was = gc.isenabled()
    (gc.enable if gc_on else gc.disable)()
    try:
        step()
        ts = []
        for _ in range(steps):
            t = time.perf_counter()
            step()
            ts.append(time.perf_counter() - t)
    finally:
        (gc.enable if was else gc.disable)()
        gc.collect()
    return stat(ts)


def count_nodes(step_root_fn):
    from microgradnet import toposort
    return len(toposort(step_root_fn()))


def chain(Value, n):
    t = time.perf_counter()
    x = Value(0.5)
    y = x
    for _ in range(n):
        y = y + 1e-7
    t_fwd = time.perf_counter() - t
    t = time.perf_counter()
    y.backward()
    return t_fwd, time.perf_counter() - t, x.grad


def mem_per_node(Value, n=200_000):
    gc.collect()
    tracemalloc.start()
    x = Value(0.5)
    y = x
    for _ in range(n):
        y = y * 1.0000001
    cur, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del x, y
    return cur / (2 * n)  # each step makes the product and a constant Value


def tensor_mlp(steps):
    import microgradnet as mg
    from microgradnet import nn
    from microgradnet.functional import cross_entropy
    rng = np.random.default_rng(0)
    X = rng.standard_normal((128, 784)).astype(np.float32)
    y = rng.integers(0, 10, 128)
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256, dtype="float32"), nn.ReLU(), nn.Linear(256, 10, dtype="float32"))
    params = list(model.parameters())
    xb = mg.Tensor(X)

    def step():
        loss = cross_entropy(model(xb), y)
        for p in params:
            p.grad = None
        loss.backward()
        for p in params:
            p.data -= 0.01 * p.grad
    return time_steps(step, steps, True, statistics.median)


def torch_mlp(steps):
    import torch
    torch.set_num_threads(2)
    rng = np.random.default_rng(0)
    X = torch.from_numpy(rng.standard_normal((128, 784)).astype(np.float32))
    y = torch.from_numpy(rng.integers(0, 10, 128))
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)

    def step():
        loss = torch.nn.functional.cross_entropy(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return time_steps(step, steps, True, statistics.median)


def in_child(which, steps):
    """Seconds per step of ``tensor_mlp`` or ``torch_mlp`` measured in a fresh process (None, reason on failure)."""
    r = subprocess.run([sys.executable, __file__, "--child", which, "--steps", str(steps)], capture_output=True,
                       text=True)
    if r.returncode != 0:
        return None, (r.stderr.strip().splitlines() or [f"exit {r.returncode}"])[-1]
    return float(r.stdout.strip().splitlines()[-1]), None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds of the scalar step (best kept)")
    ap.add_argument("--chain", type=int, default=1_000_000)
    ap.add_argument("--json")
    ap.add_argument("--child", choices=["tensor", "torch"], help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    from microgradnet.allocator import tune_allocator
    tune_allocator()  # as `microgradnet train` does (importing microgradnet leaves malloc alone); children too
    if args.child:
        print(tensor_mlp(args.steps) if args.child == "tensor" else torch_mlp(args.steps))
        return None
    res = {"python": sys.version.split()[0], "numpy": np.__version__}

    import microgradnet
    from microgradnet.nn import MLP as MgnMLP
    X, y = moons()
    mgn_step = micrograd_step_fn(microgradnet.Value, MgnMLP, X, y)
    res["nodes_per_step"] = count_nodes(mgn_step)
    try:
        import micrograd.engine as mge
        import micrograd.nn as mgnn
        steps = {"microgradnet": mgn_step, "micrograd": micrograd_step_fn(mge.Value, mgnn.MLP, X, y)}
    except ImportError:
        mge, steps = None, {"microgradnet": mgn_step}
    # alternating rounds (ours, theirs, ours, theirs, ...), each library's best round kept: a slow spell of this
    # shared VM then has to hit every round of one library to bias the ratio
    rounds = {(lib, gc_on): [] for lib in steps for gc_on in (True, False)}
    for _ in range(args.rounds):
        for gc_on in (True, False):
            for lib, step in steps.items():
                rounds[lib, gc_on].append(time_steps(step, args.steps, gc_on))
    for (lib, gc_on), ts in rounds.items():
        key = f"{lib}_step_s" if gc_on else f"{lib}_step_nogc_s"
        res[key] = min(ts)
        res[key + "_rounds"] = " ".join(f"{t:.4f}" for t in ts)
    if mge is None:
        res["micrograd"] = "not installed (pip install micrograd==0.1.0)"
    else:
        res["speedup_vs_micrograd_default"] = res["micrograd_step_s"] / res["microgradnet_step_s"]
        res["speedup_vs_micrograd_nogc"] = res["micrograd_step_nogc_s"] / res["microgradnet_step_s"]
        try:
            chain(mge.Value, args.chain)
            res["micrograd_chain"] = "ok"
        except RecursionError as e:
            res["micrograd_chain"] = f"RecursionError: {e}"
        res["micrograd_bytes_per_node"] = mem_per_node(mge.Value)

    f, b, g = chain(microgradnet.Value, args.chain)
    res["microgradnet_chain_forward_s"], res["microgradnet_chain_backward_s"] = f, b
    assert g == 1.0
    res["microgradnet_bytes_per_node"] = mem_per_node(microgradnet.Value)

    ours_rounds, torch_rounds = [], []
    for _ in range(3):  # alternating child processes, each library's best round kept (this VM has slow spells)
        t, err = in_child("tensor", args.steps * 5)
        if err:
            raise SystemExit(f"engine_bench: the Tensor MLP failed: {err}")
        ours_rounds.append(t)
        t, err = in_child("torch", args.steps * 5)
        if err:
            res["torch"] = f"not measured: {err}"
            break
        torch_rounds.append(t)
    res["tensor_mlp_step_s"] = min(ours_rounds)
    if torch_rounds:
        res["torch_mlp_step_s"] = min(torch_rounds)
        res["tensor_mlp_ratio_vs_torch"] = res["tensor_mlp_step_s"] / res["torch_mlp_step_s"]
        res["tensor_mlp_ratio_each_round"] = " ".join(f"{a / b:.2f}" for a, b in zip(ours_rounds, torch_rounds))

    width = max(map(len, res))
    for k, v in res.items():
        print(f"{k:<{width}}  {v:.4g}" if isinstance(v, float) else f"{k:<{width}}  {v}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(res, fh, indent=2)
    return res


if __name__ == "__main__":
    main()
