"""Checks the ``train`` command makes before any work: numbers, the output folder, the model's memory.

Each check raises ``ValueError`` with one line naming the option and what was expected, so ``train`` can print it
and exit 2 -- instead of running an epoch and then failing on the first write, or dying in a traceback:

* :func:`check_finite` -- every float option is a finite number (``--lr inf`` used to run and then fail writing
  ``metrics.json``, since JSON has no inf);
* :func:`prepare_output` -- ``--out`` is a folder, or can be made, and a file can be written in it (it writes and
  removes a probe); no file the run writes is a folder there; the temporaries a killed run left are removed;
* :func:`check_training_memory` -- the model's lower-bound footprint (see :mod:`.memory`) fits in the memory
  available (``--hidden 100000000`` used to end in a 49-line MemoryError traceback).
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

from ..fileio import remove_stale_temporaries

OUTPUT_FILES = ("metrics.json", "last.npz", "best.npz", "curves.png", "grad_norms.png", "decision_boundary.png",
                "filters.png")
PROBE = "write-probe"  # the file prepare_output writes and removes to learn that --out is writable


def check_finite(args) -> None:
    """Refuse any float option that is NaN or infinite, naming it as it is typed (``--weight-decay``)."""
    for name, value in sorted(vars(args).items()):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"--{name.replace('_', '-')} must be a finite number, got {value}")


def prepare_output(out: Path, files=OUTPUT_FILES) -> list[Path]:
    """Make sure the run can write ``files`` in folder ``out`` (making it), before any work; see the module docstring.

    The probe is a temporary like those of :func:`~microgradnet.fileio.atomic_write_bytes` (``.write-probe.*.tmp``),
    so a run killed while probing leaves nothing the next run does not remove.

    Returns the stale temporaries it removed. Raises ``ValueError`` naming the path and the reason.
    """
    out = Path(out)
    where = f"--out {out}"
    if out.exists() and not out.is_dir():
        raise ValueError(f"{where}: is an existing file; the run needs a folder to write its results in")
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(f"{where}: {parent} is a file, so no folder can be made under it")
            break
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=out, prefix=f".{PROBE}.", suffix=".tmp")
        try:
            os.write(fd, b"x")
        finally:
            os.close(fd)
            os.unlink(probe)
    except OSError as err:
        raise ValueError(f"{where}: cannot write there ({err.strerror or err})") from None
    for name in files:
        if (out / name).is_dir():
            raise ValueError(f"{where}: {out / name} is a folder; the run writes a file of that name")
    return remove_stale_temporaries(out, (*files, PROBE))


def check_training_memory(name: str, config: dict, *, optimizer: str, momentum: float, where: str,
                          batch_size: int = 0) -> int:
    """Refuse a model whose training would not fit in memory, with both figures (see :mod:`.memory`);
    ``batch_size`` adds a batch's layer outputs and gradients to the estimate (0: the state alone)."""
    from .memory import check_model_fits

    return check_model_fits(name, config, where, training=True, optimizer=optimizer, momentum=momentum or 0.0,
                            batch_size=batch_size)


__all__ = ["OUTPUT_FILES", "check_finite", "check_training_memory", "prepare_output"]
