"""The progress bar: tqdm when it is installed and wanted, else a silent stand-in.

tqdm is imported only when a bar is actually shown (it is an optional dependency, the ``train`` extra). Bars are
made with ``leave=False`` by default so a terminal or a notebook keeps only the per-epoch summary lines, not a stack
of finished bars. When stderr is piped to a file or another program (not a terminal, not a notebook), a cleared bar
would leave its last text and a carriage return without a newline, so there each bar is kept and ends its line,
and it redraws at most every 5 s instead of 0.1 s.
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
    piped = not _interactive(sys.stderr)
    return tqdm(total=total, desc=desc, leave=leave or piped, unit=unit, file=sys.stderr, dynamic_ncols=True,
                mininterval=5.0 if piped else 0.1)


def _interactive(stream) -> bool:
    """True for a terminal or a Jupyter kernel's stream (both redraw a line on a carriage return)."""
    if "ipykernel" in sys.modules:
        return True
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def write_line(text: str, bar=None) -> None:
    """Print a line without breaking an active tqdm bar."""
    if bar is not None and not isinstance(bar, NullBar):
        bar.write(text)
    else:
        print(text)


__all__ = ["NullBar", "make_bar", "write_line"]
