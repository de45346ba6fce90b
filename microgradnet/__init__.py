"""microgradnet: a scalar-level reverse-mode autodiff engine for seeing and checking backpropagation.

``Value`` (micrograd's scalar API) and ``Tensor`` (PyTorch's names, numpy inside) record every operation on one
tape through one table of rules (:data:`microgradnet.rules.RULES`); ``backward`` walks it in reverse.
"""

from . import rules
from . import value_fast as value_fast  # Value's specialisations, derived from the table (see that module)
from .creation import arange, full, ones, ones_like, rand, randn, tensor, zeros, zeros_like
from .engine import AnomalyError, detect_anomaly, enable_grad, grad, is_grad_enabled, no_grad, scope, toposort
from .gradcheck import GradcheckError, gradcheck
from .random import generator, manual_seed
from .rules import RULES
from .scalar_level import scalar_level
from .tape import Tape, tape
from .tensor import (
                     Tensor,
                     abs,
                     broadcast_to,
                     cat,
                     concatenate,
                     exp,
                     from_numpy,
                     log,
                     log1p,
                     matmul,
                     maximum,
                     minimum,
                     pad,
                     relu,
                     sigmoid,
                     sqrt,
                     stack,
                     tanh,
                     where,
                     windows,
                     windows_flat,
)
from .value import Value, vmax, vmin, vsum

float32 = "float32"
float64 = "float64"
__version__ = "0.1.0"

__all__ = [
    "RULES", "AnomalyError",
    "GradcheckError", "Tape", "Tensor", "Value", "abs", "arange", "broadcast_to", "cat",
    "concatenate", "detect_anomaly", "enable_grad", "exp", "from_numpy", "full", "generator", "grad", "gradcheck",
    "is_grad_enabled", "log", "log1p", "manual_seed", "matmul", "maximum", "minimum", "no_grad", "ones",
    "ones_like", "pad",
    "rand", "randn", "relu", "rules", "scalar_level", "scope", "sigmoid", "sqrt", "stack", "tanh", "tape", "tensor",
    "toposort", "vmax", "vmin", "vsum", "where", "windows", "windows_flat", "zeros", "zeros_like",
]
