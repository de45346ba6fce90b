"""The supported-ops table (``docs/ops.md``), generated from the catalogue.

    python -m microgradnet.opinfo.docs          # rewrites docs/ops.md (tests/test_opinfo.py checks it is current)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from . import CATALOGUE
from .core import Arr

FAMILIES = ("arithmetic", "comparison", "elementwise", "reduction", "shape", "indexing", "linalg", "creation",
            "conversion", "inplace", "activation", "layer", "pooling", "norm", "regulariser", "loss", "module",
            "optimizer")


def _shapes(op) -> str:
    seen = []
    for s in op.samples:
        parts = []
        for x in s.inputs:
            if isinstance(x, Arr):
                parts.append(("int " if (x.dtype or "").startswith("int") else "bool " if x.dtype == "bool" else "")
                             + ("×".join(map(str, x.shape)) if x.shape else "0-d"))
            else:
                parts.append(repr(x) if not isinstance(x, str) else f"'{x}'")
        parts += [f"{k}={v!r}" if not isinstance(v, Arr) else f"{k}=tensor" for k, v in s.kwargs.items()]
        text = ", ".join(parts)
        if text not in seen:
            seen.append(text)
    return "; ".join(f"({t})" for t in seen[:4]) + (" …" if len(seen) > 4 else "")


def render() -> str:
    lines = [
        "# Supported ops",
        "",
        "Generated from the op catalogue (`microgradnet/opinfo/`) by `python -m microgradnet.opinfo.docs`; a test",
        "checks it is current. Every row is a case list the test suite runs (gradients against float64 central",
        "differences, edge points against hand-worked values at Tensor and Value level, misuses against the error",
        "class PyTorch raises) and `make parity` compares with PyTorch (values, gradients, shapes, dtypes).",
        "",
        "Columns: the op as a student writes it (`torch.` is `mg.`, `F` is `microgradnet.functional`); the dtypes",
        "its samples run in; whether it is differentiated; its samples' input shapes (0-d, empty and broadcast",
        "shapes included); how many edge points and misuses it is checked on; its convention.",
        "",
    ]
    for fam in FAMILIES:
        ops = [op for op in CATALOGUE if op.family == fam]
        if not ops:
            continue
        lines += [f"## {fam}", "", "| op | dtypes | grad | samples | edges / misuses | convention |",
                  "|---|---|---|---|---|---|"]
        for op in ops:
            dts = ", ".join(d for d in op.dtypes if d) or "as given"
            conv = op.convention.replace("|", "\\|")
            lines.append(f"| `{op.name}` | {dts} | {'yes' if op.grad else 'no'} | {_shapes(op)} | "
                         f"{len(op.edges)} / {len(op.errors)} | {conv} |")
        lines.append("")
    missing = [op.family for op in CATALOGUE if op.family not in FAMILIES]
    assert not missing, f"families without a section: {sorted(set(missing))}"
    return "\n".join(lines)


def main(argv=None) -> int:
    path = Path(__file__).resolve().parents[2] / "docs" / "ops.md"
    path.parent.mkdir(exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(render(), encoding="utf-8")
    os.replace(tmp, path)
    print(f"wrote {path} ({len(CATALOGUE)} ops)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
