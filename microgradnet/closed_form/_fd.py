"""Central finite differences in float64 — how this package's tests check every closed form.

(The full checker, autodiff vs closed form vs finite differences, lives in ``microgradnet.check``; this is the
few lines the closed-form tests need, kept here so they need nothing else.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["central_diff", "numeric_grads"]


def central_diff(f: Callable[[np.ndarray], float], x, eps: float = 1e-6) -> np.ndarray:
    """``∂f/∂x`` by ``(f(x + εe_i) − f(x − εe_i)) / 2ε`` for every entry ``i`` of ``x`` (float64 copy)."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        fp = f(x)
        flat[i] = old - eps
        fm = f(x)
        flat[i] = old
        gflat[i] = (fp - fm) / (2.0 * eps)
    return grad


def numeric_grads(forward: Callable, inputs: Sequence, wrt: Sequence[int], g, params: dict | None = None,
                  eps: float = 1e-6) -> list[np.ndarray]:
    """Numeric ``∂⟨g, forward(*inputs, **params)⟩/∂inputs[k]`` for each ``k`` in ``wrt``.

    ``g`` is the upstream gradient (a scalar for a scalar forward); the scalar objective is ``Σ g ⊙ out``.
    """
    params = params or {}
    out = []
    for k in wrt:
        def f(xk, k=k):
            args = list(inputs)
            args[k] = xk
            return float(np.sum(np.asarray(forward(*args, **params)) * g))

        out.append(central_diff(f, inputs[k], eps))
    return out
