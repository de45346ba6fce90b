"""What every training study shares: train one setting (:func:`fit`), read a curve (:func:`epochs_to_reach`) and
write the results (:func:`write_results`: ``results.md`` tables with the chosen row in bold, and ``results.csv``).

Used by :mod:`.experiments` (the homework's studies) and :mod:`.playground_study`, so neither imports the other.
"""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import numpy as np

from ..fileio import atomic_write_bytes


def fit(model, split, optimizer="sgd", optim_config=None, epochs=10, batch_size=64, lr_decay=1.0, seed=0,
        num_train_samples=1000, progress=False, regularization=None) -> dict:
    """Train with a Solver; return accuracies of the best-by-validation parameters, timings and the solver."""
    from .solver import Solver

    s = Solver(model, split, optimizer=optimizer, optim_config=optim_config or {"lr": 0.1}, lr_decay=lr_decay,
               batch_size=batch_size, num_epochs=epochs, num_train_samples=num_train_samples, seed=seed,
               progress=progress, verbose=False, regularization=regularization)
    t0 = time.perf_counter()
    s.train()
    seconds = time.perf_counter() - t0
    return {
        "train_acc": s.check_accuracy(split.x_train, split.y_train),
        "val_acc": s.check_accuracy(split.x_val, split.y_val),
        "test_acc": s.check_accuracy(split.x_test, split.y_test),
        "best_epoch": s.best_epoch,
        "seconds": seconds,
        "solver": s,
    }


def epochs_to_reach(history, level: float):
    """The first epoch (1-based) whose accuracy is ≥ ``level``, or None."""
    for i, a in enumerate(history):
        if a >= level:
            return i + 1
    return None


# ---------------------------------------------------------------------------------------------------- tables
def _fmt(v, column=""):
    if v is None:
        return "–"
    if isinstance(v, bool) or not isinstance(v, float):
        return str(v)
    if column.endswith("acc") or column.endswith("loss"):
        return f"{v:.4f}"
    if column == "seconds":
        return f"{v:.1f}"
    return f"{v:g}"


def markdown_table(rows: list[dict], columns: list[str], bold=None) -> str:
    """A markdown table of ``rows`` (dicts) over ``columns``; the row index ``bold`` is in bold."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    for i, r in enumerate(rows):
        cells = [_fmt(r.get(c), c) for c in columns]
        if i == bold:
            cells = [f"**{c}**" for c in cells]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_results(folder: Path, title: str, sections: list[tuple[str, list[dict], list[str], int | None]],
                  notes: str = "") -> Path:
    """``results.md`` (one table per section) and ``results.csv`` (all rows, with a 'section' column)."""
    folder.mkdir(parents=True, exist_ok=True)
    md = [f"# {title}", ""]
    if notes:
        md += [notes, ""]
    all_cols: list[str] = ["section"]
    for name, rows, cols, bold in sections:
        md += [f"## {name}", "", markdown_table(rows, cols, bold), ""]
        all_cols += [c for c in cols if c not in all_cols]
    atomic_write_bytes(folder / "results.md", "\n".join(md).encode())
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=all_cols, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for name, rows, _, _ in sections:
        for r in rows:
            w.writerow({"section": name, **{k: ("" if v is None else v) for k, v in r.items()}})
    atomic_write_bytes(folder / "results.csv", buf.getvalue().encode())
    return folder / "results.md"


def _best(rows, key="val_acc"):
    return int(np.argmax([r[key] for r in rows]))


def _say(text, verbose=True):
    if verbose:
        print(text, flush=True)


def _clean(r):
    return {k: v for k, v in r.items() if k != "solver"}
