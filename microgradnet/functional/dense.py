"""Dense layers: ``linear``, ``embedding`` (a row lookup), ``cosine_similarity``."""

from __future__ import annotations

import numpy as np

from ..errors import DimError
from ..tensor import Tensor, where
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


def embedding(input, weight, padding_idx=None):
    """weight[input]: the rows of ``weight`` (num_embeddings, dim) picked by integer ``input`` (rule
    ``getitem``: a row picked twice gets both gradients). Rows at ``padding_idx`` are constants (no gradient)."""
    op = "embedding"
    w = _tensor(weight, op, "weight")
    idx = np.asarray(input.data if isinstance(input, Tensor) else input)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{op}: input must hold integer indices, got dtype {idx.dtype}")
    if w.ndim != 2:
        raise ValueError(f"{op}: weight must be 2-D (num_embeddings, embedding_dim), got shape {w.shape}")
    if idx.size and (idx.min() < 0 or idx.max() >= w.shape[0]):
        raise DimError(f"{op}: index {int(idx.max()) if idx.max() >= w.shape[0] else int(idx.min())} is out of "
                       f"range for {w.shape[0]} embeddings")
    out = w[idx]
    if padding_idx is not None:
        pad = (idx == (padding_idx % w.shape[0]))[..., None]
        out = where(pad, w.data[idx], out)
    return out


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """x₁·x₂ / max(‖x₁‖·‖x₂‖, ε) along ``dim`` (inputs broadcast)."""
    from ..tensor_ops import norm
    op = "cosine_similarity"
    a, b = _tensor(x1, op), _tensor(x2, op)
    return (a * b).sum(dim) / (norm(a, 2, dim) * norm(b, 2, dim)).clip(eps, None)
