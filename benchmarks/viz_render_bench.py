"""How long the reused-input graph takes to draw (issue 16): ``acc = acc·0.999999 + x`` repeated, one input x feeding
every step. Prints the time to build the DOT (``draw_dot``) and to render it to SVG with Graphviz (``.save``).

    python benchmarks/viz_render_bench.py                 # 50 steps (151 nodes) and 33,333 steps (10⁵ nodes)
    python benchmarks/viz_render_bench.py --steps 40 100

Before issue 16 (records, no iteration limits) 50 steps took 35–37 s and the 10⁵-node version did not finish.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from microgradnet import Value
from viz import draw_dot


def reused_input(steps: int) -> Value:
    x = Value(1.0, label="x")
    acc = x
    for _ in range(steps):
        acc = acc * 0.999999 + x
    acc.backward()
    return acc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, nargs="+", default=[50, 33333])
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for steps in args.steps:
            root = reused_input(steps)
            for r in range(args.rounds):
                t0 = time.perf_counter()
                g = draw_dot(root)
                t1 = time.perf_counter()
                g.save(os.path.join(tmp, f"reused_{steps}.svg"))
                t2 = time.perf_counter()
                print(f"steps {steps:>6} ({3 * steps + 1:,} nodes) round {r + 1}: draw_dot {t1 - t0:.2f} s, "
                      f"render {t2 - t1:.2f} s, total {t2 - t0:.2f} s" + (f"; {g.notes[0]}" if g.notes else ""))


if __name__ == "__main__":
    main()
