"""Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay (``torch.optim.SGD``).

For each parameter ``p`` with gradient ``g`` at step ``t`` (t = 1, 2, ...), exactly PyTorch's update::

    g  <- g + weight_decay * p                       (L2 penalty (weight_decay/2)*||p||^2 folded into g)
    if momentum != 0:
        b  <- g                                      at t = 1
        b  <- momentum * b + (1 - dampening) * g     at t > 1
        g  <- g + momentum * b   if nesterov   else   b
    p  <- p - lr * g

With ``momentum=0`` this is plain SGD, the EECS 498 starter code's ``sgd`` rule (``w -= learning_rate * dw``);
with momentum it is the starter code's ``sgd_momentum`` written in PyTorch's convention (the velocity holds the
gradient sum, and ``lr`` multiplies it at the update) -- the two conventions give the same trajectory for a
constant learning rate. Nesterov needs ``momentum > 0`` and ``dampening = 0``.
"""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, check_real


class SGD(Optimizer):
    """``SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False)``; see the module docstring.

    Example::

        opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
        opt.zero_grad(); loss.backward(); opt.step()
    """

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov))

    def _check_group(self, group):
        for key in ("lr", "momentum", "weight_decay"):
            group[key] = check_real(group[key], key, "SGD", low=0.0)
        group["dampening"] = check_real(group["dampening"], "dampening", "SGD", low=0.0, high=1.0)
        group["nesterov"] = bool(group["nesterov"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"SGD: Nesterov momentum requires momentum > 0 and dampening = 0, got "
                             f"momentum={group['momentum']}, dampening={group['dampening']}")

    def _update(self, p, g, group):
        lr, mu, wd = group["lr"], group["momentum"], group["weight_decay"]
        if wd:
            g = g + wd * p.data
        if mu:
            st = self._state(p)
            buf = st.get("momentum_buffer")
            if buf is None:
                buf = st["momentum_buffer"] = np.array(g, dtype=p.data.dtype)
            else:
                buf *= mu
                buf += (1.0 - group["dampening"]) * g
            g = g + mu * buf if group["nesterov"] else buf
        p.data -= lr * g


__all__ = ["SGD"]
