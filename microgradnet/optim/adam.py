"""Adam (Kingma & Ba 2015) with L2 weight decay and optional AMSGrad, exactly as ``torch.optim.Adam``.

For each parameter ``p`` with gradient ``g`` at step ``t`` (t = 1, 2, ...)::

    g     <- g + weight_decay * p                      (coupled L2, as PyTorch's Adam; not AdamW)
    m     <- beta1 * m + (1 - beta1) * g               (m, v start at 0)
    v     <- beta2 * v + (1 - beta2) * g^2
    v_max <- max(v_max, v)                             (amsgrad only; v_max starts at 0)
    p     <- p - lr / (1 - beta1^t) * m / (sqrt(V) / sqrt(1 - beta2^t) + eps)     V = v_max if amsgrad else v

i.e. ``m_hat = m / (1 - beta1^t)`` and ``v_hat = v / (1 - beta2^t)`` are the bias-corrected moments and the
update is ``lr * m_hat / (sqrt(v_hat) + eps)``. Note that PyTorch's AMSGrad keeps the maximum of the *raw* ``v``
and bias-corrects it afterwards; so does this.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .optimizer import Optimizer, check_real


class Adam(Optimizer):
    """``Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False)``.

    State per parameter: ``step`` (int), ``exp_avg`` (m), ``exp_avg_sq`` (v) and, with amsgrad,
    ``max_exp_avg_sq``.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad))

    def _check_group(self, group):
        for key in ("lr", "eps", "weight_decay"):
            group[key] = check_real(group[key], key, "Adam", low=0.0)
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2 or not all(
                isinstance(b, numbers.Real) for b in betas):
            raise TypeError(f"Adam: betas must be a pair of numbers (beta1, beta2), got {betas!r}")
        group["betas"] = tuple(check_real(b, f"beta{i + 1}", "Adam", low=0.0, high=1.0, high_open=True)
                               for i, b in enumerate(betas))
        group["amsgrad"] = bool(group["amsgrad"])

    def _update(self, p, g, group):
        lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        st = self._state(p)
        if not st:
            st["step"] = 0
            st["exp_avg"] = np.zeros_like(p.data)
            st["exp_avg_sq"] = np.zeros_like(p.data)
            if group["amsgrad"]:
                st["max_exp_avg_sq"] = np.zeros_like(p.data)
        st["step"] += 1
        t = st["step"]
        if wd:
            g = g + wd * p.data
        m, v = st["exp_avg"], st["exp_avg_sq"]
        m *= beta1
        m += (1.0 - beta1) * g
        v *= beta2
        v += (1.0 - beta2) * (g * g)
        if group["amsgrad"]:
            if "max_exp_avg_sq" not in st:  # amsgrad switched on after some steps
                st["max_exp_avg_sq"] = np.zeros_like(p.data)
            np.maximum(st["max_exp_avg_sq"], v, out=st["max_exp_avg_sq"])
            v = st["max_exp_avg_sq"]
        bias1 = 1.0 - beta1 ** t
        bias2 = 1.0 - beta2 ** t
        denom = np.sqrt(v) / math.sqrt(bias2) + eps
        p.data -= (lr / bias1) * m / denom


__all__ = ["Adam"]
