"""Neural-network modules with PyTorch's names (``Module``, ``Linear``, ``Conv2d``, ...) and micrograd's scalar
``Neuron``/``Layer``/``MLP``.

Every layer's ``forward`` is a composition of primitives (see :mod:`microgradnet.functional`); none has backward
code. ``Module`` follows ``torch.nn.Module``: registration on assignment, ``named_parameters()`` in registration
order with dotted names, ``train()``/``eval()``, ``zero_grad()``, ``state_dict()``/``load_state_dict()``.

Two MLPs, on purpose: ``nn.MLP`` (with ``nn.Neuron``, ``nn.Layer``) is micrograd's SCALAR network over ``Value``s,
API and initialisation exactly as micrograd's ``nn.py``, for the lecture; :class:`microgradnet.models.MLP` is a
TENSOR model (``Linear`` → activation → … → ``Linear``, a ``Module``) that ``microgradnet train --model mlp``
trains. Neither replaces the other; both names are public API.
"""

from . import init
from .activation import (
    ELU,
    GELU,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    PReLU,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from .container import ModuleList, Sequential
from .conv import Conv2d
from .dropout import Dropout
from .flatten import Flatten
from .linear import Identity, Linear
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HingeLoss, L1Loss, MSELoss, MultiMarginLoss, NLLLoss
from .micrograd import MLP, Layer, Neuron
from .module import IncompatibleKeys, Module, Parameter
from .norm import BatchNorm1d, BatchNorm2d
from .pooling import AvgPool2d, MaxPool2d

__all__ = [
    "ELU", "GELU", "Hardtanh", "L1Loss", "LogSigmoid", "ReLU6", "SiLU", "Softplus", "BCELoss",
    "MLP", "AvgPool2d", "BCEWithLogitsLoss", "BatchNorm1d", "BatchNorm2d", "Conv2d", "CrossEntropyLoss", "Dropout",
    "Flatten", "HingeLoss", "Identity", "IncompatibleKeys", "Layer", "LeakyReLU", "Linear", "LogSoftmax", "MSELoss",
    "MaxPool2d", "Module", "ModuleList", "MultiMarginLoss", "NLLLoss", "Neuron", "PReLU", "Parameter", "ReLU",
    "Sequential", "Sigmoid", "Softmax", "Tanh", "init",
]
