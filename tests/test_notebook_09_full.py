"""Notebook 9 at full length (``MICROGRADNET_FAST`` unset), as a reader runs it, in a fresh kernel.

Its training cells assert ranges that hold with a margin (not exact figures of chaotic runs), so this test fails
only if the library stops reaching what the notebook's prose says. It runs the solutions notebook: the reader's
differs only in the one exercise cell (run, blank, by the quick runs in ``test_notebooks.py``), and the training
is the same. Marked ``fullrun`` (in the default suite and CI; ``-m 'not fullrun'`` skips it). It takes about
four minutes of computing (3.8 min of CPU time measured; see ``benchmarks/training.md``).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytest.importorskip("nbformat")
pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("notebooks_build_09", ROOT / "notebooks" / "build.py")
build = importlib.util.module_from_spec(_spec)
sys.modules["notebooks_build_09"] = build
_spec.loader.exec_module(build)


@pytest.mark.fullrun
def test_notebook_9_runs_at_full_length():
    src = next(p for p in build.sources(["09"]))
    _, solutions = build.make_notebooks(src)
    build.execute(solutions, fast=False, strict=True, timeout=3600)  # raises on any failing cell or assertion
    out = "".join(o.get("text", "") for c in solutions.cells if c.cell_type == "code" for o in c.get("outputs", [])
                  if o.get("output_type") == "stream" and o.get("name") == "stdout")
    assert "check logistic_loss: ✓ correct on all" in out and "✗" not in out
    assert "best by validation accuracy: lr " in out
