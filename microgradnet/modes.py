"""Grad mode, anomaly mode and module scopes: the switches the engine reads, kept per thread.

As in PyTorch, each thread has its own modes: ``no_grad`` in one thread (an evaluation loop, say) leaves another
thread's recording alone, and two threads entering and leaving ``no_grad`` blocks in any interleaving each get
back exactly what they had. A new thread starts recording, without anomaly checks, outside any scope.
"""

from __future__ import annotations

import contextlib
import math
import threading

import numpy as np


class Modes:
    """One thread's switches. ``plain`` (recording, no anomaly checks, no scope) lets ``Value``'s hot path test
    one flag; it is recomputed by every change made through :func:`set_mode`."""

    __slots__ = ("grad", "anomaly", "scope", "plain")

    def __init__(self):
        self.grad, self.anomaly, self.scope, self.plain = True, False, None, True


class _PerThread(threading.local):
    def __init__(self):  # runs once in each thread that looks, so every thread starts with the defaults
        self.modes = Modes()


PER_THREAD = _PerThread()
"""``PER_THREAD.modes`` is the calling thread's :class:`Modes` (one thread-local lookup; read it once per
operation and keep it in a local variable)."""


def set_mode(key: str, value) -> None:
    """Change one of this thread's modes (``grad``, ``anomaly`` or ``scope``)."""
    m = PER_THREAD.modes
    setattr(m, key, value)
    m.plain = m.grad and not m.anomaly and m.scope is None


# ---------------------------------------------------------------------------------------------------- grad mode
def is_grad_enabled() -> bool:
    return PER_THREAD.modes.grad


class _GradMode(contextlib.ContextDecorator):
    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.prev = threading.local()  # a decorated function may run in several threads at once

    def __enter__(self):
        self.prev.__dict__.setdefault("stack", []).append(PER_THREAD.modes.grad)
        set_mode("grad", self.enabled)

    def __exit__(self, *exc):
        set_mode("grad", self.prev.stack.pop())
        return False


def no_grad():
    """Context manager (and decorator): operations inside are computed but not recorded on the tape (this thread)."""
    return _GradMode(False)


def enable_grad():
    """Context manager: record operations again inside a ``no_grad`` block (this thread)."""
    return _GradMode(True)


# ---------------------------------------------------------------------------------------------------- anomaly mode
class AnomalyError(FloatingPointError):
    """Raised by ``detect_anomaly`` at the first operation whose output or gradient is NaN or infinite."""


class detect_anomaly(contextlib.ContextDecorator):
    """Inside this block (in this thread) every operation checks its output, and backward checks every gradient it
    computes; the first NaN or infinity raises :class:`AnomalyError` naming the operation and its inputs."""

    def __init__(self):
        self.prev = threading.local()

    def __enter__(self):
        self.prev.__dict__.setdefault("stack", []).append(PER_THREAD.modes.anomaly)
        set_mode("anomaly", True)
        return self

    def __exit__(self, *exc):
        set_mode("anomaly", self.prev.stack.pop())
        return False


def anomaly_enabled() -> bool:
    return PER_THREAD.modes.anomaly


def describe(x) -> str:
    """A node or a gradient in one line, for error messages: its name and value, or an array's shape and range."""
    node = hasattr(x, "parents")  # a Value or a Tensor (numpy arrays have a .data too: the raw buffer)
    d = x.data if node else x
    if isinstance(d, np.ndarray) and d.size > 6:
        return f"array{d.shape} {d.dtype} (min {np.nanmin(d):.4g}, max {np.nanmax(d):.4g}, " \
               f"{int(np.sum(~np.isfinite(d)))} non-finite)"
    name = f"{x.label or 'v' + str(x.id)}=" if node else ""
    return f"{name}{np.array2string(np.asarray(d), precision=4) if isinstance(d, np.ndarray) else d!r}"


def _finite(d) -> bool:
    if isinstance(d, float):
        return math.isfinite(d)
    return bool(np.all(np.isfinite(d)))


def check_forward(node) -> None:
    """Anomaly mode: raise if ``node.data`` has a NaN or infinity."""
    if not _finite(node.data):
        ins = ", ".join(describe(p) for p in node.parents) or "(a leaf)"
        raise AnomalyError(f"detect_anomaly: forward of '{node.op}' produced a non-finite value "
                           f"{describe(node)}; its inputs: {ins}; attributes: {node.attrs}")


def check_backward(node, parent, i, contrib) -> None:
    """Anomaly mode: raise if the gradient ``contrib`` that ``node``'s rule gives its input #i is not finite."""
    if not _finite(contrib.data if hasattr(contrib, "parents") else contrib):
        raise AnomalyError(f"detect_anomaly: backward of '{node.op}' (node v{node.id}) produced a non-finite "
                           f"gradient for its input #{i} {describe(parent)}; upstream gradient "
                           f"{describe(node.grad)}; node value {describe(node)}")


# ---------------------------------------------------------------------------------------------------- scopes
@contextlib.contextmanager
def scope(name: str, absolute: bool = False):
    """Nodes created inside (in this thread) are tagged with ``name`` (modules use this so the renderer can cluster
    them). Scopes nest as ``outer/name``; with ``absolute=True`` the name replaces the current scope instead."""
    prev = PER_THREAD.modes.scope
    set_mode("scope", name if (prev is None or absolute) else f"{prev}/{name}")
    try:
        yield
    finally:
        set_mode("scope", prev)


def current_scope():
    return PER_THREAD.modes.scope
