"""``make parity``: run every catalogue case on microgradnet and on PyTorch and print a parity report.

    PYTHONPATH=$PWD benchmarks/.venv-bench/bin/python -m microgradnet.opinfo.parity [--failures] [--json FILE]

Each case is compared on: whether both raise (a misuse must raise an instance of the builtin class PyTorch's error
is), the number of outputs, each output's shape, dtype and values (NaN equals NaN; float32 cases at float32
precision), and each differentiable input's gradient. PyTorch runs with float64 as its default dtype, which is
microgradnet's. Verdicts: ``ok``; ``missing`` (the name does not exist); ``crash`` (microgradnet raises where
PyTorch does not); ``wrong shape``/``wrong dtype``/``wrong value``/``wrong grad``; ``no error`` (a misuse
accepted); ``torch refuses`` (PyTorch rejects the sample: not counted).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from collections import Counter

import numpy as np

from . import CATALOGUE
from .core import dtype_name, microgradnet_lib, run_case, same_values, torch_lib

VERDICTS = ("ok", "missing", "crash", "no error", "wrong shape", "wrong dtype", "wrong value", "wrong grad")


def _tol(dt):
    return (1e-4, 1e-5) if dt == "float32" else (1e-6, 1e-9)


def _is_dtype_of(x, ref):
    """microgradnet output x has the same dtype as torch's output ref (numpy names on both sides)."""
    return dtype_name(np.asarray(x)) == dtype_name(np.asarray(ref)) if isinstance(ref, np.ndarray) else \
        type(x).__name__ == type(ref).__name__ or (isinstance(x, (int, float, bool)) and isinstance(ref, (int, float,
                                                                                                         bool)))


def compare(op, kind, sample, fdt, mine, ref) -> tuple[str, str]:
    """(verdict, detail) for one case."""
    if mine.missing:
        return "missing", str(mine.error)[:120]
    if sample.raises is not None or kind == "error":
        if mine.error is None:
            return "no error", "accepted a misuse that PyTorch refuses" if ref.error else "accepted a misuse"
        want = type(ref.error) if ref.error is not None else sample.raises
        builtin = next(c for c in want.__mro__ if c.__module__ == "builtins")
        if isinstance(mine.error, builtin):
            return "ok", ""
        return "crash", f"raised {type(mine.error).__name__} (not an instance of {builtin.__name__}): {mine.error}"
    if ref.error is not None:
        return "torch refuses", f"{type(ref.error).__name__}: {str(ref.error)[:100]}"
    if mine.error is not None:
        return "crash", f"{type(mine.error).__name__}: {str(mine.error)[:160]}"
    if len(mine.outs) != len(ref.outs):
        return "wrong shape", f"{len(mine.outs)} outputs, PyTorch gives {len(ref.outs)}"
    rtol, atol = _tol(fdt)
    if op.nondeterministic:
        rtol = atol = np.inf
    for k, (a, b) in enumerate(zip(mine.outs, ref.outs)):
        if isinstance(b, np.ndarray):
            if not isinstance(a, np.ndarray) and not np.isscalar(a):
                return "wrong shape", f"output {k} is a {type(a).__name__}, PyTorch gives a tensor"
            a = np.asarray(a)
            if a.shape != b.shape:
                return "wrong shape", f"output {k}: shape {a.shape}, PyTorch {b.shape}"
        if not _is_dtype_of(a, b):
            return "wrong dtype", f"output {k}: {dtype_name(np.asarray(a))}, PyTorch {dtype_name(np.asarray(b))}"
        if not same_values(a, b, rtol, atol):
            return "wrong value", f"output {k}: {np.asarray(a).ravel()[:4]} vs PyTorch {np.asarray(b).ravel()[:4]}"
    if len(mine.grads) != len(ref.grads):
        return "wrong grad", f"{len(mine.grads)} gradients, PyTorch gives {len(ref.grads)}"
    for k, (a, b) in enumerate(zip(mine.grads, ref.grads)):
        if b is None and a is None:
            continue
        a = np.zeros(np.shape(b)) if a is None else a
        b = np.zeros(np.shape(a)) if b is None else b
        if not same_values(a, b, rtol * 10, atol * 10):
            return "wrong grad", f"input {k}: {np.asarray(a).ravel()[:4]} vs PyTorch {np.asarray(b).ravel()[:4]}"
    return "ok", ""


def run(ops=CATALOGUE):
    mg, torch = microgradnet_lib(), torch_lib()
    rows = []
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for op in ops:
            for kind, i, sample, fdt in op.cases():
                mine = run_case(mg, op, kind, i, sample, fdt)
                ref = run_case(torch, op, kind, i, sample, fdt)
                verdict, detail = compare(op, kind, sample, fdt, mine, ref)
                rows.append(dict(op=op.name, family=op.family, kind=kind, index=i, dtype=fdt, note=sample.note,
                                 verdict=verdict, detail=detail))
    return rows


def report(rows, show_failures=True, out=sys.stdout) -> dict:
    counted = [r for r in rows if r["verdict"] != "torch refuses"]
    totals = Counter(r["verdict"] for r in counted)
    ops_ok = Counter()
    ops_all = Counter()
    for r in counted:
        ops_all[r["op"]] += 1
        ops_ok[r["op"]] += r["verdict"] == "ok"
    n, ok = len(counted), totals["ok"]
    print(f"parity with PyTorch: {ok}/{n} cases ok ({100.0 * ok / max(n, 1):.1f} %), "
          f"{sum(ops_ok[o] == ops_all[o] for o in ops_all)}/{len(ops_all)} ops fully ok", file=out)
    print("  " + ", ".join(f"{v}: {totals[v]}" for v in VERDICTS if totals[v]), file=out)
    refused = len(rows) - n
    if refused:
        print(f"  ({refused} samples PyTorch itself refuses, not counted)", file=out)
    if show_failures:
        for r in counted:
            if r["verdict"] != "ok":
                where = f"{r['kind']} {r['index']} {r['dtype']}" + (f" ({r['note']})" if r["note"] else "")
                print(f"  {r['verdict']:12s} {r['op']} [{where}] {r['detail']}", file=out)
    return dict(cases=n, ok=ok, **{v: totals[v] for v in VERDICTS if v != "ok"})


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quiet", action="store_true", help="totals only, no list of failing cases")
    ap.add_argument("--json", help="also write the rows and totals to this file")
    args = ap.parse_args(argv)
    rows = run()
    totals = report(rows, show_failures=not args.quiet)
    if args.json:
        tmp = args.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(dict(totals=totals, rows=rows), f, indent=1)
        os.replace(tmp, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
