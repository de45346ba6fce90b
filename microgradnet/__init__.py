"""microgradnet: a scalar-level reverse-mode autodiff engine for seeing and checking backpropagation.

``Value`` (micrograd's scalar API) and ``Tensor`` (PyTorch's names, numpy inside) record every operation on one
tape through one table of rules (:data:`microgradnet.rules.RULES`); ``backward`` walks it in reverse.
"""

from . import rules
from . import tensor_ops as _tensor_ops
from . import value_fast as value_fast  # Value's specialisations, derived from the table (see that module)
from .creation import (
    arange,
    empty,
    empty_like,
    eye,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .engine import AnomalyError, detect_anomaly, enable_grad, grad, is_grad_enabled, no_grad, scope, toposort
from .errors import DimError, ShapeError
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
from .tensor_ops import (
    acos,
    add,
    all,
    allclose,
    amax,
    amin,
    any,
    arccos,
    arcsin,
    arctan,
    argmax,
    argmin,
    argsort,
    asin,
    atan,
    bmm,
    ceil,
    chunk,
    clamp,
    clip,
    cos,
    cosh,
    cumsum,
    div,
    divide,
    dot,
    einsum,
    erf,
    expm1,
    flatten,
    flip,
    floor,
    gather,
    index_select,
    isclose,
    isfinite,
    isinf,
    isnan,
    log2,
    log10,
    log_softmax,
    logsumexp,
    masked_fill,
    max,
    mean,
    min,
    mm,
    mul,
    multiply,
    mv,
    neg,
    negative,
    nonzero,
    norm,
    outer,
    permute,
    pow,
    prod,
    reciprocal,
    repeat,
    reshape,
    roll,
    round,
    rsqrt,
    sign,
    sin,
    sinh,
    softmax,
    sort,
    split,
    square,
    squeeze,
    std,
    sub,
    subtract,
    sum,
    t,
    tan,
    topk,
    transpose,
    tril,
    triu,
    true_divide,
    trunc,
    unbind,
    unsqueeze,
    var,
)
from .value import Value, vmax, vmin, vsum

_tensor_ops.install()

from . import functional, nn, optim  # noqa: E402 - as torch.nn: mg.nn.Linear, mg.functional.relu after one import

# dtype names, as torch.float32 ...: numpy accepts each name wherever a dtype goes, and x.dtype == mg.float32 holds
float16 = half = "float16"
float32 = "float32"
float64 = double = "float64"
int8, int16, int32, int64, uint8 = "int8", "int16", "int32", "int64", "uint8"
long = "int64"
float = "float32"  # noqa: A001 - torch.float is float32
int = "int32"  # noqa: A001 - torch.int is int32
bool = "bool"  # noqa: A001 - PyTorch's name (torch.bool)
__version__ = "0.1.0"

__all__ = [
    "AnomalyError", "DimError", "GradcheckError", "RULES", "ShapeError", "Tape", "Tensor", "Value", "abs", "acos",
    "add", "all", "allclose", "amax", "amin", "any", "arange", "arccos", "arcsin", "arctan", "argmax", "argmin",
    "argsort", "asin", "atan", "bmm", "bool", "broadcast_to", "cat", "ceil", "chunk", "clamp", "clip", "concatenate",
    "cos", "cosh", "cumsum", "detect_anomaly", "div", "divide", "dot", "double", "einsum", "empty", "empty_like",
    "enable_grad", "erf", "exp", "expm1", "eye", "flatten", "flip", "float", "float16", "float32", "float64",
    "floor", "from_numpy", "full", "full_like", "functional", "gather", "generator", "grad", "gradcheck", "half",
    "index_select", "int", "int16", "int32", "int64", "int8", "is_grad_enabled", "isclose", "isfinite", "isinf",
    "isnan", "linspace", "log", "log10", "log1p", "log2", "log_softmax", "logsumexp", "long", "manual_seed",
    "masked_fill", "matmul", "max", "maximum", "mean", "min", "minimum", "mm", "mul", "multiply", "mv", "neg",
    "negative", "nn", "no_grad", "nonzero", "norm", "ones", "ones_like", "optim", "outer", "pad", "permute", "pow",
    "prod", "rand", "rand_like", "randint", "randn", "randn_like", "randperm", "reciprocal", "relu", "repeat",
    "reshape", "roll", "round", "rsqrt", "rules", "scalar_level", "scope", "sigmoid", "sign", "sin", "sinh",
    "softmax", "sort", "split", "sqrt", "square", "squeeze", "stack", "std", "sub", "subtract", "sum", "t", "tan",
    "tanh", "tape", "tensor", "topk", "toposort", "transpose", "tril", "triu", "true_divide", "trunc", "uint8",
    "unbind", "unsqueeze", "var", "vmax", "vmin", "vsum", "where", "windows", "windows_flat", "zeros", "zeros_like",
]
