"""The progress bar: tqdm when it is installed and wanted, else a silent stand-in.

tqdm is imported only when a bar is actually shown (it is an optional dependency, the ``train`` extra). Bars are
made with ``leave=False`` by default so a notebook keeps only the per-epoch summary lines, not a stack of
finished bars.
"""

from __future__ import annotations

import sys
import warnings


class NullBar:
    """Does nothing; what ``make_bar`` returns when the bar is disabled."""

    def update(self, n=1):
        pass

    def set_postfix(self, *args, **kwargs):
        pass

    def refresh(self):
        pass

    def close(self):
        pass

    @staticmethod
    def write(text):
        print(text)


_warned = {"tqdm": False}


def make_bar(total: int, desc: str, enabled: bool = True, leave: bool = False, unit: str = "batch"):
    """A tqdm bar over ``total`` steps (to stderr), or a :class:`NullBar` if disabled or tqdm is missing."""
    if not enabled:
        return NullBar()
    try:
        from tqdm import tqdm
    except ImportError:
        if not _warned["tqdm"]:
            warnings.warn("progress bars need tqdm (pip install tqdm, or microgradnet[train]); training without one",
                          stacklevel=3)
            _warned["tqdm"] = True
        return NullBar()
    return tqdm(total=total, desc=desc, leave=leave, unit=unit, file=sys.stderr, dynamic_ncols=True)


def write_line(text: str, bar=None) -> None:
    """Print a line without breaking an active tqdm bar."""
    if bar is not None and not isinstance(bar, NullBar):
        bar.write(text)
    else:
        print(text)


__all__ = ["NullBar", "make_bar", "write_line"]
