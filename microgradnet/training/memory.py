"""How much memory a model needs, how much the machine has, and a refusal that names both figures.

The estimates are lower bounds, counted from the configuration without building anything (see
:func:`microgradnet.models.state_size`): refusing on a lower bound never turns away a run that would fit.

* evaluating: the state (parameters and buffers) once;
* training: the state, its gradients and the optimiser's ``b`` per-parameter buffers (SGD with momentum 1, RMSprop
  1, or 2 with momentum, Adam 2); the best parameters the Solver keeps; the training state it keeps to roll back to
  (parameters, best parameters, optimiser buffers) and the bytes of the checkpoint written from it (the same
  again) -- ``(7 + 3b) × state`` -- plus one batch's layer outputs and their gradients (``2 × batch ×``
  :func:`activation_size`). Measured: Adam on an MLP of 12 M scalars (96 MB, batch 4) peaked at 1.75 GB RSS,
  18× its state; the estimate says 13×.

What the machine has: ``MemAvailable`` of ``/proc/meminfo`` (else the physical memory), and no more than the
address space left under ``RLIMIT_AS`` when the process has one.
"""

from __future__ import annotations

import math
import os

from ..models import state_size

OPTIMIZER_BUFFERS = {"sgd": 0, "sgd+momentum": 1, "rmsprop": 1, "rmsprop+momentum": 2, "adam": 2}


class MemoryRefusal(ValueError):
    """A model or file needs more memory than the machine has; the message gives both figures."""


def format_bytes(n: int) -> str:
    """``80000000000`` → ``'74.5 GiB'`` (binary units, three significant figures)."""
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.3g} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def _meminfo(key: str) -> int | None:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _address_space_left() -> int | None:
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return None
    used = 0
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    used = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return max(soft - used, 0)


def available_bytes() -> int | None:
    """Bytes this process can still allocate (see the module docstring); None if the platform does not say."""
    figures = [_meminfo("MemAvailable"), _address_space_left()]
    if figures[0] is None:
        try:
            figures[0] = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            pass
    figures = [f for f in figures if f is not None]
    return min(figures) if figures else None


def check_fits(needed: int, what: str, where: str) -> None:
    """Raise :class:`MemoryRefusal` if ``needed`` bytes exceed :func:`available_bytes`."""
    have = available_bytes()
    if have is not None and needed > have:
        raise MemoryRefusal(f"{where}: {what} needs at least {format_bytes(needed)} of memory; this machine has "
                            f"{format_bytes(have)} available. Choose a smaller model")


def optimizer_buffers(optimizer: str, momentum: float = 0.0) -> int:
    """Per-parameter state arrays the optimiser keeps (see :data:`OPTIMIZER_BUFFERS`)."""
    key = optimizer if optimizer == "adam" or not momentum else optimizer + "+momentum"
    return OPTIMIZER_BUFFERS.get(key, 2)


def activation_size(name: str, config: dict) -> int:
    """Scalars of the layer outputs one sample produces in a forward pass (linear/conv outputs, activations, pools);
    a lower bound: intermediate results inside a layer are not counted."""
    c = config
    if name in ("logistic", "svm"):
        return 2 * c.get("hidden", 0) + 1
    if name == "softmax":
        return c["n_classes"]
    if name in ("mlp", "twolayer"):
        hidden = c.get("hidden", 100)
        hidden = [hidden] if isinstance(hidden, int) else list(hidden)
        return 2 * sum(hidden) + c.get("n_classes", 10)
    side, total = c.get("image_size", 28 if name == "cnn" else 32), 0
    if name == "cnn":
        channels = c.get("channels", (16, 32))
        layers = [channels] * 2 if isinstance(channels, int) else list(channels)
        layers = [layers[0], "M", layers[1], "M"]
        head = [c.get("hidden", 128)] * 2
    else:
        from ..models import VGG11_CONFIG

        width = c.get("width", 1.0)
        layers = [v if v == "M" else max(1, int(math.ceil(v * width))) for v in VGG11_CONFIG]
        head = [c.get("classifier_hidden", 512)] * 4 if c.get("classifier_hidden", 512) else []
    for v in layers:
        if v == "M":
            side //= 2
        total += v * side * side * 2 if v != "M" else 0
    return total + sum(head) + c.get("n_classes", 10)


def model_bytes(name: str, config: dict) -> int:
    """Bytes of the state of ``build_model(name, **config)`` (float64 unless the config's dtype says float32)."""
    itemsize = 4 if config.get("dtype") == "float32" else 8
    return state_size(name, **config) * itemsize


def check_model_fits(name: str, config: dict, where: str, *, training: bool = False, optimizer: str = "adam",
                     momentum: float = 0.0, batch_size: int = 0) -> int:
    """Refuse (:class:`MemoryRefusal`) a model whose lower-bound footprint exceeds the memory available.

    Returns the estimate in bytes. ``training``: count gradients, optimiser buffers and the Solver's copies too.
    """
    state = model_bytes(name, config)
    copies = 7 + 3 * optimizer_buffers(optimizer, momentum) if training else 1
    needed = state * copies
    what = (f"model {name!r} ({state_size(name, **config):,} scalars"
            + (f"; × {copies} for training: parameters, gradients, optimiser state, best and checkpoint copies"
               if training else ""))
    if batch_size:
        needed += 2 * batch_size * activation_size(name, config) * (state // max(state_size(name, **config), 1))
        what += f"; plus the layer outputs of a batch of {batch_size} and their gradients"
    what += ")"
    check_fits(needed, what, where)
    return needed


__all__ = ["MemoryRefusal", "activation_size", "available_bytes", "check_fits", "check_model_fits", "format_bytes",
           "model_bytes", "optimizer_buffers"]
