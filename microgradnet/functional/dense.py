"""Dense layers: ``linear``."""

from __future__ import annotations

from ._checks import _tensor
from .calls import layer


@layer
def linear(input, weight, bias=None):
    """y = x Wᵀ + b for x of shape (*, in_features), W (out_features, in_features), b (out_features,).

    PyTorch's layout; per example it is CSC 249 HW2 P2's y = Wx + b (and EECS 498 HW1 §1.1's Y = WᵀX + b with
    their W transposed). Composition: matmul (∂L/∂x = g W, ∂L/∂W = gᵀ x) and a broadcast add (∂L/∂b = Σ g over
    the batch).
    """
    op = "linear"
    x, w = _tensor(input, op), _tensor(weight, op, "weight")
    if w.ndim != 2:
        raise ValueError(f"{op}: weight must be 2-D (out_features, in_features), got shape {w.shape}")
    if x.ndim == 0 or x.shape[-1] != w.shape[1]:
        raise ValueError(f"{op}: input of shape {x.shape} does not match weight of shape {w.shape}: expected the "
                         f"last dimension of the input to be in_features = {w.shape[1]}")
    lead = x.shape[:-1]
    flat = x if x.ndim == 2 else x.reshape(-1, w.shape[1])
    out = flat @ w.T
    if bias is not None:
        b = _tensor(bias, op, "bias")
        if b.shape != (w.shape[0],):
            raise ValueError(f"{op}: bias must have shape ({w.shape[0]},) (out_features), got {b.shape}")
        out = out + b
    return out if x.ndim == 2 else out.reshape(lead + (w.shape[0],))
