"""Keep freed array memory in the process instead of handing it back to the OS after every operation.

A Tensor step allocates and frees many arrays of a few hundred kilobytes to a few megabytes (im2col columns,
gradients, windows). glibc's malloc serves blocks above ``M_MMAP_THRESHOLD`` (128 KiB by default) with a fresh
``mmap`` and returns them with ``munmap`` when freed, so every such array is paid for again in page faults: on the
conv layers of ``benchmarks/layers_bench.py`` that was half to two thirds of the time. PyTorch avoids it with its
own caching allocator; we ask glibc to do the same: blocks up to 32 MiB come from the heap, and up to 256 MiB of
freed heap is kept for reuse (``M_MMAP_THRESHOLD``, ``M_TRIM_THRESHOLD``).

Opt-in, because it changes the whole process (a Jupyter kernel included), not only microgradnet's objects:
importing ``microgradnet`` never calls it. The ``microgradnet train`` command and the benchmarks do, on Linux with
glibc only; it changes how this process's malloc returns memory to the OS (peak memory stays reserved, up to
256 MiB more), nothing else. Call :func:`tune_allocator` yourself for a long training script; set the environment
variable ``MICROGRADNET_MALLOC_TUNING=0`` to make it a no-op.
"""

from __future__ import annotations

import ctypes
import os
import platform

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024
TRIM_THRESHOLD = 256 * 1024 * 1024

_applied: dict = {"done": False, "result": None}


def tune_allocator(force: bool = False) -> bool:
    """Apply the malloc settings above; True when they were applied (glibc), False when skipped or unsupported."""
    if _applied["done"] and not force:
        return bool(_applied["result"])
    _applied["done"] = True
    ok = False
    if os.environ.get("MICROGRADNET_MALLOC_TUNING", "1") != "0" and platform.system() == "Linux" \
            and platform.libc_ver()[0] == "glibc":
        try:
            libc = ctypes.CDLL("libc.so.6")
            ok = bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and \
                bool(libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
        except (OSError, AttributeError):
            ok = False
    _applied["result"] = ok
    return ok


def allocator_tuned() -> bool:
    """Whether :func:`tune_allocator` changed malloc's settings in this process."""
    return bool(_applied["result"])
