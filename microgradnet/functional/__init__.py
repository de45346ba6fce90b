"""Layers and losses as compositions of primitives (imported as ``F``, PyTorch's ``torch.nn.functional`` names).

Nothing here knows a derivative: every function is written with Tensor operations that go through the rule table
(:mod:`microgradnet.rules`), so the same code runs at tensor level and, inside
:class:`microgradnet.scalar_level`, at scalar level (one ``Value`` per scalar operation) with equal gradients.

Shapes follow PyTorch: images are (N, C, H, W) (an unbatched (C, H, W) is accepted where PyTorch accepts it),
class scores (N, C), a linear weight (out_features, in_features), a conv weight (out_channels, in_channels, kH, kW).

Where each formula comes from (the five homework sets the project was built from):

- ``linear`` — CSC 249 HW2 P2 (y = Wx + b), EECS 498 HW1 §1.1 (Y = WᵀX + b), CS 4670 PA5 B (y = Wx);
- ``conv2d`` — CSC 249 HW2 P3/P5, Tsinghua DL HW1 §1.1, EECS 498 HW1 §1.5, CS 4670 PA5 A;
- ``max_pool2d`` — CSC 249 HW2 P4/P5 (ties: "assign the gradient to multiple activations"), Tsinghua §1.1,
  EN4553 A2 Q1;
- ``relu``/``dropout``/``batch_norm`` — EECS 498 HW1 §1.2–1.4; ``leaky_relu``/``prelu`` — EN4553 A2 Q1;
  ``tanh`` — Tsinghua §1.1;
- ``softmax``/``log_softmax``/``cross_entropy``/``nll_loss`` — CSC 249 HW2 P1, CS 4670 PA5 C, EN4553 A2 Q2 (the
  max shift of Q2(a));
- ``binary_cross_entropy_with_logits``, ``hinge_loss`` — EECS 498 HW1 §2, §3; ``multi_margin_loss`` — the
  multiclass SVM (PyTorch's form and cs231n's); ``l2_penalty`` — the regularisation of EECS 498 / Tsinghua §2.
"""

from ._checks import REDUCTIONS as REDUCTIONS
from ._checks import TIE_RULES as TIE_RULES
from .activation import (
    celu,
    elu,
    gelu,
    hardsigmoid,
    hardswish,
    hardtanh,
    leaky_relu,
    log_softmax,
    logsigmoid,
    mish,
    normalize,
    one_hot,
    prelu,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    softmax,
    softmin,
    softplus,
    softsign,
    tanh,
)
from .conv import conv1d, conv2d, conv_transpose2d
from .dense import cosine_similarity, embedding, linear
from .loss import _label_smoothing as _label_smoothing  # nn.CrossEntropyLoss checks its argument the same way
from .loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    huber_loss,
    kl_div,
    l1_loss,
    l2_penalty,
    mse_loss,
    multi_margin_loss,
    nll_loss,
    smooth_l1_loss,
)
from .normalization import batch_norm, dropout, layer_norm
from .pooling import avg_pool1d, avg_pool2d, max_pool1d, max_pool2d
from .shape import PAD_MODES as PAD_MODES
from .shape import flatten, pad

__all__ = [
    "avg_pool1d", "avg_pool2d", "batch_norm", "binary_cross_entropy", "binary_cross_entropy_with_logits", "celu",
    "conv1d", "conv2d", "conv_transpose2d", "cosine_similarity", "cross_entropy", "dropout", "elu", "embedding",
    "flatten", "gelu", "hardsigmoid", "hardswish", "hardtanh", "hinge_loss", "huber_loss", "kl_div", "l1_loss",
    "l2_penalty", "layer_norm", "leaky_relu", "linear", "log_softmax", "logsigmoid", "max_pool1d", "max_pool2d",
    "mish", "mse_loss", "multi_margin_loss", "nll_loss", "normalize", "one_hot", "pad", "prelu", "relu", "relu6",
    "selu", "sigmoid", "silu", "smooth_l1_loss", "softmax", "softmin", "softplus", "softsign", "tanh",
]
