"""microgradnet: a scalar-level reverse-mode autodiff engine for seeing and checking backpropagation.

``Value`` (micrograd's scalar API) and ``Tensor`` (PyTorch's names, numpy inside) record every operation on one
tape through one table of rules (:data:`microgradnet.rules.RULES`); ``backward`` walks it in reverse.
"""

from . import rules
from . import tensor_ops as _tensor_ops
from . import value_fast as value_fast  # Value's specialisations, derived from the table (see that module)
from .autograd import grad
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
from .engine import toposort
from .errors import DimError, ShapeError
from .gradcheck import GradcheckError, gradcheck
from .modes import AnomalyError, detect_anomaly, enable_grad, is_grad_enabled, no_grad, scope
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
    clamp_max,
    clamp_min,
    clip,
    cos,
    cosh,
    cumsum,
    diag,
    diagonal,
    diff,
    div,
    divide,
    dot,
    einsum,
    eq,
    equal,
    erf,
    exp2,
    expm1,
    flatten,
    flip,
    floor,
    gather,
    ge,
    greater,
    greater_equal,
    gt,
    index_select,
    isclose,
    isfinite,
    isinf,
    isnan,
    le,
    lerp,
    less,
    less_equal,
    log2,
    log10,
    logaddexp,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    logit,
    logsumexp,
    lt,
    masked_fill,
    masked_select,
    max,
    mean,
    min,
    mm,
    mul,
    multiply,
    mv,
    ne,
    neg,
    negative,
    nonzero,
    norm,
    not_equal,
    numel,
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
    trace,
    transpose,
    tril,
    triu,
    true_divide,
    trunc,
    unbind,
    unsqueeze,
    var,
    xlogy,
)
from .value import Value, vmax, vmin, vsum

_tensor_ops.install()

from . import functional, nn, optim  # noqa: E402 - as torch.nn: mg.nn.Linear, mg.functional.relu after one import
from .functional import log_softmax, softmax  # noqa: E402 - mg.softmax(x, dim), and as methods:

Tensor.softmax, Tensor.log_softmax = softmax, log_softmax

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
    "argsort", "asin", "atan", "bmm", "bool", "broadcast_to", "cat", "ceil", "chunk", "clamp", "clamp_max",
    "clamp_min", "clip", "concatenate", "cos", "cosh", "cumsum", "detect_anomaly", "diag", "diagonal", "diff", "div",
    "divide", "dot", "double", "einsum", "empty", "empty_like", "enable_grad", "eq", "equal", "erf", "exp", "exp2",
    "expm1", "eye", "flatten", "flip", "float", "float16", "float32", "float64", "floor", "from_numpy", "full",
    "full_like", "functional", "gather", "ge", "generator", "grad", "gradcheck", "greater", "greater_equal", "gt",
    "half", "index_select", "int", "int16", "int32", "int64", "int8", "is_grad_enabled", "isclose", "isfinite",
    "isinf", "isnan", "le", "lerp", "less", "less_equal", "linspace", "log", "log10", "log1p", "log2", "log_softmax",
    "logaddexp", "logical_and", "logical_not", "logical_or", "logical_xor", "logit", "logsumexp", "long", "lt",
    "manual_seed", "masked_fill", "masked_select", "matmul", "max", "maximum", "mean", "min", "minimum", "mm", "mul",
    "multiply", "mv", "ne", "neg", "negative", "nn", "no_grad", "nonzero", "norm", "not_equal", "numel", "ones",
    "ones_like", "optim", "outer", "pad", "permute", "pow", "prod", "rand", "rand_like", "randint", "randn",
    "randn_like", "randperm", "reciprocal", "relu", "repeat", "reshape", "roll", "round", "rsqrt", "rules",
    "scalar_level", "scope", "sigmoid", "sign", "sin", "sinh", "softmax", "sort", "split", "sqrt", "square",
    "squeeze", "stack", "std", "sub", "subtract", "sum", "t", "tan", "tanh", "tape", "tensor", "topk", "toposort",
    "trace", "transpose", "tril", "triu", "true_divide", "trunc", "uint8", "unbind", "unsqueeze", "var", "vmax",
    "vmin", "vsum", "where", "windows", "xlogy", "zeros", "zeros_like",
]
