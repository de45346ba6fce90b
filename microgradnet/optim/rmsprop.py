"""RMSprop (Hinton's lecture 6e) with momentum and the centered variant, exactly as ``torch.optim.RMSprop``.

For each parameter ``p`` with gradient ``g``::

    g  <- g + weight_decay * p
    s  <- alpha * s + (1 - alpha) * g^2                 (s starts at 0: the running mean of g^2)
    if centered:
        a   <- alpha * a + (1 - alpha) * g              (a starts at 0: the running mean of g)
        den  = sqrt(s - a^2) + eps                      (an estimate of the gradient's standard deviation)
    else:
        den  = sqrt(s) + eps
    if momentum > 0:
        b  <- momentum * b + g / den                    (b starts at 0)
        p  <- p - lr * b
    else:
        p  <- p - lr * g / den

There is no bias correction (unlike Adam), and ``eps`` is added *outside* the square root. The EECS 498 starter
code's ``rmsprop`` is the non-centred, momentum-free case (``decay_rate`` = alpha).
"""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, check_real


class RMSprop(Optimizer):
    """``RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False)``.

    State per parameter: ``step``, ``square_avg`` (s), ``momentum_buffer`` (b, if momentum > 0), ``grad_avg``
    (a, if centered).
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered))

    def _check_group(self, group):
        for key in ("lr", "eps", "weight_decay", "momentum"):
            group[key] = check_real(group[key], key, "RMSprop", low=0.0)
        group["alpha"] = check_real(group["alpha"], "alpha", "RMSprop", low=0.0, high=1.0)
        group["centered"] = bool(group["centered"])

    def _update(self, p, g, group):
        lr, alpha, eps, wd, mu = group["lr"], group["alpha"], group["eps"], group["weight_decay"], group["momentum"]
        st = self._state(p)
        if not st:
            st["step"] = 0
            st["square_avg"] = np.zeros_like(p.data)
        st["step"] += 1
        if wd:
            g = g + wd * p.data
        s = st["square_avg"]
        s *= alpha
        s += (1.0 - alpha) * (g * g)
        if group["centered"]:
            a = st.get("grad_avg")
            if a is None:
                a = st["grad_avg"] = np.zeros_like(p.data)
            a *= alpha
            a += (1.0 - alpha) * g
            den = np.sqrt(s - a * a) + eps
        else:
            den = np.sqrt(s) + eps
        if mu > 0:
            b = st.get("momentum_buffer")
            if b is None:
                b = st["momentum_buffer"] = np.zeros_like(p.data)
            b *= mu
            b += g / den
            p.data -= lr * b
        else:
            p.data -= lr * (g / den)


__all__ = ["RMSprop"]
