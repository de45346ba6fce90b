"""The rest of PyTorch's tensor vocabulary, as compositions of the rules (no backward code here).

Each name is a function (``mg.flip(x, dims)``) and, where PyTorch has one, a ``Tensor`` method (``x.flip(dims)``):
:func:`install` puts the methods on the class when the package is imported (``softmax``/``log_softmax`` come from
:mod:`microgradnet.functional`, which imports this module, so the package's ``__init__`` installs those two).
Elementwise functions with a rule of their own (sin, floor, erf ...) apply it; the others are written with Tensor
operations, so their gradients come from the table: ``log2 x = ln x / ln 2``, ``rsqrt x = x^(−1/2)``,
``gather``/``sort``/``topk``/``roll`` are integer indexing (rule ``getitem``, a position picked twice gets both
gradients), ``tril``/``masked_fill`` are ``where``, ``repeat`` is reshape + broadcast, ``cumsum``/``prod`` are
rules, ``logsumexp`` shifts by the maximum (a constant), ``einsum`` aligns its operands, multiplies them with
broadcasting and sums.
"""

from __future__ import annotations

import builtins
import math
import string

import numpy as np

from .errors import DimError, ShapeError, dim_index
from .tensor import Tensor, _axes, _tmake, apply, lift, maximum, minimum, where

_LN2, _LN10 = math.log(2.0), math.log(10.0)


def _off(data) -> Tensor:
    """A constant result (an index, a mask): off the tape."""
    return _tmake(np.asarray(data), (), "", (), False)


# ---------------------------------------------------------------------------------------------------- elementwise
def _rule_fn(name):
    def f(input):
        x = lift(input, None, name)
        if x.dtype.kind != "f":
            x = Tensor(x.data.astype(np.float64))
        return apply(name, (x,))
    f.__name__ = name
    f.__doc__ = f"Elementwise {name} (rule ``{name}``; see ``microgradnet rules`` for its derivative)."
    return f


sin, cos, tan, asin, acos, atan, sinh, cosh, erf, expm1 = (_rule_fn(n) for n in (
    "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "erf", "expm1"))
arcsin, arccos, arctan = asin, acos, atan


def _step_fn(name):
    def f(input):
        x = lift(input, None, name)
        if x.dtype.kind in "biu":  # integers are their own floor/ceil/round; sign keeps the dtype too
            return _off(getattr(np, name)(x.data)) if name == "sign" else x
        return apply(name, (x,))
    f.__name__ = name
    f.__doc__ = f"Elementwise {name} (rule ``{name}``): piecewise constant, so its gradient is 0, jumps included."
    return f


floor, ceil, round, trunc, sign = (_step_fn(n) for n in ("floor", "ceil", "round", "trunc", "sign"))  # noqa: A001


def log2(input):
    """log₂ x = ln x / ln 2."""
    return lift(input, None, "log2").log() * (1.0 / _LN2)


def log10(input):
    """log₁₀ x = ln x / ln 10."""
    return lift(input, None, "log10").log() * (1.0 / _LN10)


def rsqrt(input):
    """1/√x = x^(−1/2): 0 gives inf (gradient −inf), a negative gives NaN."""
    return lift(input, None, "rsqrt") ** -0.5


def reciprocal(input):
    """1/x (rule ``div``): 1/0 = inf."""
    x = lift(input, None, "reciprocal")
    return 1.0 / x


def square(input):
    """x·x (rule ``mul``: the gradient 2x comes from the product rule)."""
    x = lift(input, None, "square")
    return x * x


def neg(input):
    return -lift(input, None, "neg")


negative = neg


def add(input, other, *, alpha=1):
    """input + alpha·other."""
    x = lift(input, None, "add")
    return x + (other if alpha == 1 else other * alpha)


def sub(input, other, *, alpha=1):
    """input − alpha·other."""
    x = lift(input, None, "sub")
    return x - (other if alpha == 1 else other * alpha)


subtract = sub


def mul(input, other):
    return lift(input, None, "mul") * other


multiply = mul


def div(input, other, *, rounding_mode=None):
    """input / other; ``rounding_mode='floor'`` is ``//`` and ``'trunc'`` rounds toward 0 (both off the tape, as
    PyTorch has no derivative for them)."""
    x = lift(input, None, "div")
    if rounding_mode is None:
        return x / other
    if rounding_mode == "floor":
        return x // other
    if rounding_mode == "trunc":
        with np.errstate(divide="ignore", invalid="ignore"):
            q = np.trunc(np.divide(x.data, lift(other, x, "div").data))
        return _off(q.astype(np.result_type(x.data, lift(other, x, "div").data)) if x.dtype.kind in "biu" else q)
    raise ValueError(f"div: rounding_mode must be None, 'floor' or 'trunc', got {rounding_mode!r}")


divide = true_divide = div


def pow(input, exponent):  # noqa: A001 - PyTorch's name
    """input ** exponent (rules ``pow``/``powv``)."""
    if not isinstance(input, Tensor):
        return lift(exponent, None, "pow").__rpow__(input)
    return input ** exponent


def clamp(input, min=None, max=None):  # noqa: A002 - PyTorch's names
    """Clamp to [min, max] (rule ``clip``, or maximum/minimum with tensor bounds); the gradient passes at the
    bounds."""
    x = lift(input, None, "clamp")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        if min is not None:
            x = maximum(x, min)
        if max is not None:
            x = minimum(x, max)
        return x
    return x.clip(min, max)


clip = clamp


def isnan(input):
    return _off(np.isnan(lift(input, None, "isnan").data))


def isinf(input):
    return _off(np.isinf(lift(input, None, "isinf").data))


def isfinite(input):
    return _off(np.isfinite(lift(input, None, "isfinite").data))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|input − other| ≤ atol + rtol·|other|, elementwise (bool, off the tape)."""
    a, b = lift(input, None, "isclose"), lift(other, None, "isclose")
    return _off(np.isclose(a.data, b.data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    return bool(isclose(input, other, rtol, atol, equal_nan).data.all())


# ---------------------------------------------------------------------------------------------------- reductions
def _reduce_bool(f, x, dim, keepdim, op):
    x = lift(x, None, op)
    ax = _axes(dim, x.ndim, op)
    return _off(f(x.data, axis=ax, keepdims=keepdim) if ax != () else x.data.astype(bool))


def all(input, dim=None, keepdim=False):  # noqa: A001
    """True where every element (along ``dim``) is non-zero; a bool tensor."""
    return _reduce_bool(np.all, input, dim, keepdim, "all")


def any(input, dim=None, keepdim=False):  # noqa: A001
    """True where some element (along ``dim``) is non-zero; a bool tensor."""
    return _reduce_bool(np.any, input, dim, keepdim, "any")


def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Π over ``dim`` (rule ``prod``: the gradient is the product of the other elements, exact at zeros)."""
    x = lift(input, None, "prod")
    if dtype is not None:
        x = x.to(dtype)
    ax = _axes(dim, x.ndim, "prod")
    if x.dtype.kind in "biu":
        return _off(np.prod(x.data, axis=ax, keepdims=keepdim, dtype=np.int64))
    return apply("prod", (x,), (ax, bool(keepdim)))


def cumsum(input, dim, *, dtype=None):
    """Running sum along ``dim`` (rule ``cumsum``; its backward is the reversed running sum)."""
    x = lift(input, None, "cumsum")
    if dtype is not None:
        x = x.to(dtype)
    d = dim_index(dim, x.ndim, "cumsum")
    if x.dtype.kind in "biu":
        return _off(np.cumsum(x.data, axis=d if x.ndim else None, dtype=np.int64).reshape(x.shape))
    if x.ndim == 0:
        return x.clone()
    return apply("cumsum", (x,), (d, False))


def logsumexp(input, dim, keepdim=False):
    """log Σ exp(x) along ``dim``, as M + log Σ exp(x − M) with M = max (a constant, so no overflow; its
    derivative terms cancel): the gradient is softmax(x)."""
    x = lift(input, None, "logsumexp")
    ax = _axes(dim, x.ndim, "logsumexp")
    if ax == ():
        return x.clone()
    m = np.max(x.data, axis=ax, keepdims=True)
    m = np.where(np.isfinite(m), m, 0).astype(x.dtype, copy=False)
    out = (x - m).exp().sum(ax, keepdim=True).log() + m
    return out if keepdim else out.reshape(tuple(n for i, n in enumerate(out.shape) if i not in ax))


def norm(input, p="fro", dim=None, keepdim=False):
    """The p-norm (Σ|x|^p)^(1/p) over ``dim`` (all when None; 'fro' is p = 2). At a zero vector the 2-norm's
    gradient is taken as 0 (as PyTorch), not the 0/0 of x/‖x‖."""
    x = lift(input, None, "norm")
    p = 2.0 if p in ("fro", None) else float(p)
    ax = _axes(dim, x.ndim, "norm")
    if p == 2.0:
        s = (x * x).sum(ax, keepdim)
        pos = s.data > 0
        return where(pos, where(pos, s, 1.0) ** 0.5, 0.0)
    if p == 1.0:
        return x.abs().sum(ax, keepdim)
    if p == math.inf:
        return x.abs().amax(ax, keepdim)
    return (x.abs() ** p).sum(ax, keepdim) ** (1.0 / p)


# ---------------------------------------------------------------------------------------------------- shape
def flip(input, dims):
    """Reverse the order along each of ``dims`` (a step −1 slice: rule ``getitem``)."""
    x = lift(input, None, "flip")
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    idx = [slice(None)] * x.ndim
    for d in dims:
        idx[dim_index(d, x.ndim, "flip")] = slice(None, None, -1)
    return x[tuple(idx)] if dims else x


def roll(input, shifts, dims=None):
    """Shift elements along ``dims`` cyclically (integer indexing); without dims, over the flattened tensor."""
    x = lift(input, None, "roll")
    if dims is None:
        return roll(x.reshape(-1), shifts, 0).reshape(x.shape)
    shifts = (shifts,) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if len(shifts) != len(dims):
        raise ValueError(f"roll: shifts {shifts} and dims {dims} must have the same length")
    for s, d in zip(shifts, dims):
        d = dim_index(d, x.ndim, "roll")
        n = x.shape[d]
        if n:
            x = x[(slice(None),) * d + ((np.arange(n) - int(s)) % n,)]
    return x


def repeat(input, *sizes):
    """Tile: out[i·s + j] = x[j] along every dim (``Tensor.repeat``); a reshape, a broadcast and a reshape, so the
    gradient of each copy is summed back."""
    x = lift(input, None, "repeat")
    sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else tuple(sizes)
    if len(sizes) < x.ndim:
        raise ValueError(f"repeat: {len(sizes)} repeat counts for a tensor with {x.ndim} dimensions; expected at "
                         f"least {x.ndim}")
    shape = (1,) * (len(sizes) - x.ndim) + x.shape
    x = x.reshape(shape)
    inter = tuple(v for n in shape for v in (1, n))
    big = tuple(v for r, n in zip(sizes, shape) for v in (r, n))
    return x.reshape(inter).expand(*big).reshape(tuple(r * n for r, n in zip(sizes, shape)))


def _tri(x, diagonal, lower, op):
    x = lift(x, None, op)
    if x.ndim < 2:
        raise ValueError(f"{op}: needs a matrix (at least 2 dimensions), got shape {x.shape}")
    n, m = x.shape[-2:]
    mask = np.tri(n, m, diagonal, dtype=bool) if lower else ~np.tri(n, m, diagonal - 1, dtype=bool)
    if x.dtype.kind != "f":
        return _off(np.where(mask, x.data, 0))
    return where(mask, x, 0.0)


def tril(input, diagonal=0):
    """The lower triangle (j ≤ i + diagonal), zeros above: a ``where``."""
    return _tri(input, diagonal, True, "tril")


def triu(input, diagonal=0):
    """The upper triangle (j ≥ i + diagonal), zeros below: a ``where``."""
    return _tri(input, diagonal, False, "triu")


def _take(x, dim, index):
    """x picked along ``dim`` at ``index`` (an int array of x's rank): out[..., i, ...] = x[..., index[..., i, ...],
    ...]; integer indexing (rule ``getitem``)."""
    grid = list(np.indices(index.shape, sparse=True))
    grid[dim] = index
    return x[tuple(grid)]


def gather(input, dim, index):
    """out[i][j] = x[index[i][j]][j] (dim 0) / x[i][index[i][j]] (dim 1) ...: a position picked twice gets the
    sum of both gradients."""
    x = lift(input, None, "gather")
    idx = np.asarray(index.data if isinstance(index, Tensor) else index)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"gather: index must be an integer tensor, got dtype {idx.dtype}")
    d = dim_index(dim, x.ndim, "gather")
    if idx.ndim != x.ndim:
        raise ShapeError(f"gather: index has {idx.ndim} dimensions, the input {x.ndim} (shape {x.shape}); expected "
                         "the same number")
    n = x.shape[d] if x.ndim else 1
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise DimError(f"gather: index {int(idx.max()) if idx.max() >= n else int(idx.min())} is out of bounds for "
                       f"dimension {d} with size {n}")
    return _take(x, d, idx % builtins.max(n, 1))


def masked_fill(input, mask, value):
    """value where mask is True, x elsewhere (a ``where``: the filled cells get no gradient)."""
    x = lift(input, None, "masked_fill")
    mk = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if mk.dtype != bool:
        raise TypeError(f"masked_fill: mask must be a bool tensor, got dtype {mk.dtype}")
    v = value.data if isinstance(value, Tensor) else value
    if x.dtype.kind != "f":
        return _off(np.where(mk, v, x.data).astype(x.dtype))
    return where(mk, np.asarray(v, dtype=x.dtype), x)


def sort(input, dim=-1, descending=False, stable=False):
    """(values, indices) sorted along ``dim``; values are x picked at the indices, so their gradient is routed back
    to where each value came from. Ties keep their order (a stable sort)."""
    from .tensor import MaxResult
    x = lift(input, None, "sort")
    if x.ndim == 0:
        return MaxResult(x.clone() if x.dtype.kind == "f" else x, _off(np.zeros((), dtype=np.int64)))
    d = dim_index(dim, x.ndim, "sort")
    idx = argsort(x, d, descending).data
    return MaxResult(_take(x, d, idx), _off(idx))


def argsort(input, dim=-1, descending=False, stable=False):
    """The indices that sort ``dim`` (stable: ties keep their order), int64."""
    x = lift(input, None, "argsort")
    if x.ndim == 0:
        return _off(np.zeros((), dtype=np.int64))
    d = dim_index(dim, x.ndim, "argsort")
    data = x.data
    if descending:  # stable on −x: equal elements keep their order
        data = -data if data.dtype.kind in "fi" else -data.astype(np.int64)
    return _off(np.argsort(data, axis=d, kind="stable").astype(np.int64))


def topk(input, k, dim=-1, largest=True, sorted=True):  # noqa: A002 - PyTorch's name
    """The k largest (or smallest) along ``dim`` as (values, indices), values picked by integer indexing."""
    from .tensor import MaxResult
    x = lift(input, None, "topk")
    d = dim_index(dim, x.ndim, "topk")
    n = x.shape[d] if x.ndim else 1
    if not 0 <= k <= n:
        raise DimError(f"topk: k = {k} is out of range for dimension {d} of size {n}")
    if x.ndim == 0:
        return MaxResult(x.clone(), _off(np.zeros((), dtype=np.int64)))
    idx = argsort(x, d, descending=largest).data
    idx = idx[(slice(None),) * d + (slice(0, k),)]
    return MaxResult(_take(x, d, idx), _off(idx))


def einsum(equation, *operands):
    """Einstein summation, as ``torch.einsum``: each operand's axes are aligned to one list of letters (a
    repeated letter within an operand takes the diagonal), the operands are multiplied with broadcasting and the
    letters missing from the output are summed. Its gradient comes from mul, sum, transpose, reshape, broadcast
    and getitem."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    xs = [lift(o, None, "einsum") for o in operands]
    eq = equation.replace(" ", "")
    lhs, rhs = eq.split("->") if "->" in eq else (eq, None)
    terms = lhs.split(",")
    if len(terms) != len(xs):
        raise ValueError(f"einsum: '{equation}' names {len(terms)} operands, {len(xs)} given")
    free = [c for c in string.ascii_letters if c not in eq]
    n_ell = builtins.max([x.ndim - (len(t) - 3) for t, x in zip(terms, xs) if "..." in t] or [0])
    ell = "".join(free[:n_ell])
    terms = [t.replace("...", ell[n_ell - (x.ndim - (len(t) - 3)):]) if "..." in t else t for t, x in zip(terms, xs)]
    for t, x in zip(terms, xs):
        if len(t) != x.ndim:
            raise ShapeError(f"einsum: subscripts '{t}' for an operand of shape {x.shape}")
    if rhs is None:
        counts = "".join(terms)
        rhs = ell + "".join(sorted(c for c in set(counts) if counts.count(c) == 1 and c not in ell))
    else:
        rhs = rhs.replace("...", ell)
    xs = list(xs)
    for k, (t, x) in enumerate(zip(terms, xs)):
        while len(set(t)) < len(t):  # a repeated letter: take the diagonal of its two axes, moved to the end
            c = next(c for c in t if t.count(c) > 1)
            i, j = t.index(c), t.index(c, t.index(c) + 1)
            rest = [a for a in range(len(t)) if a not in (i, j)]
            x = x.permute(*rest, i, j)
            ar = np.arange(builtins.min(x.shape[-2:]))
            x = x[(Ellipsis, ar, ar)]
            t = "".join(t[a] for a in rest) + c
        terms[k], xs[k] = t, x
    letters = []
    for t in terms:
        letters += [c for c in t if c not in letters]
    aligned = []
    for t, x in zip(terms, xs):
        order = [c for c in letters if c in t]
        x = x.permute(*[t.index(c) for c in order]) if x.ndim > 1 else x
        sizes = {c: n for c, n in zip(order, x.shape)}
        aligned.append(x.reshape(tuple(sizes.get(c, 1) for c in letters)))
    out = aligned[0]
    for x in aligned[1:]:
        out = out * x
    summed = tuple(i for i, c in enumerate(letters) if c not in rhs)
    if summed:
        out = out.sum(summed)
    kept = [c for c in letters if c in rhs]
    if out.ndim > 1:
        out = out.permute(*[kept.index(c) for c in rhs])
    return out


def t(input):
    """The transpose of a matrix (a 0-d or 1-d tensor is returned as is), as ``torch.t``."""
    x = lift(input, None, "t")
    if x.ndim > 2:
        raise ShapeError(f"t: expects a tensor with at most 2 dimensions, got shape {x.shape}; use transpose")
    return x.T if x.ndim == 2 else x


def split(tensor, split_size_or_sections, dim=0):
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the given sizes: slices (rule
    ``getitem``), so each piece's gradient goes back to its own cells."""
    x = lift(tensor, None, "split")
    d = dim_index(dim, x.ndim, "split")
    n = x.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        k = int(split_size_or_sections)
        if k <= 0:
            raise ValueError(f"split: split_size must be positive, got {k}")
        sizes = [builtins.min(k, n - i) for i in range(0, n, k)] or [0]
    else:
        sizes = [int(v) for v in split_size_or_sections]
        if builtins.sum(sizes) != n:
            raise ShapeError(f"split: sizes {sizes} add up to {builtins.sum(sizes)}, not the size {n} of dim {d}")
    out, start = [], 0
    for k in sizes:
        out.append(x[(slice(None),) * d + (slice(start, start + k),)])
        start += k
    return tuple(out)


def chunk(input, chunks, dim=0):
    """``chunks`` pieces of ⌈n/chunks⌉ along ``dim`` (fewer when they run out), as ``torch.chunk``."""
    x = lift(input, None, "chunk")
    d = dim_index(dim, x.ndim, "chunk")
    if int(chunks) <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}")
    return split(x, builtins.max(-(-x.shape[d] // int(chunks)), 1), d)


def unbind(input, dim=0):
    """The slices along ``dim``, each without that dim."""
    x = lift(input, None, "unbind")
    d = dim_index(dim, x.ndim, "unbind")
    return tuple(x[(slice(None),) * d + (i,)] for i in range(x.shape[d]))


def index_select(input, dim, index):
    """x picked at the integer ``index`` (1-D) along ``dim``; a repeated index gets both gradients."""
    x = lift(input, None, "index_select")
    idx = np.asarray(index.data if isinstance(index, Tensor) else index)
    if idx.dtype.kind not in "iu" or idx.ndim > 1:
        raise TypeError(f"index_select: index must be a 1-D integer tensor, got dtype {idx.dtype} shape {idx.shape}")
    d = dim_index(dim, x.ndim, "index_select")
    n = x.shape[d] if x.ndim else 1
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise DimError(f"index_select: index out of range for dimension {d} of size {n}: {idx.tolist()}")
    return x[(slice(None),) * d + (idx.reshape(-1),)]


def nonzero(input, *, as_tuple=False):
    """Indices of the non-zero elements: an (n, ndim) int64 tensor, or one index tensor per dim."""
    x = lift(input, None, "nonzero")
    nz = np.nonzero(x.data) if x.ndim else np.nonzero(x.data.reshape(1))
    if as_tuple:
        return tuple(_off(i.astype(np.int64)) for i in nz)
    return _off(np.stack(nz, axis=-1).astype(np.int64).reshape(-1, x.ndim))


def _matrices(op, *xs, ndims):
    ts = [lift(x, None, op) for x in xs]
    for x, nd in zip(ts, ndims):
        if x.ndim != nd:
            raise ShapeError(f"{op}: expected {'-'.join(str(n) for n in ndims)}-d operands, got shapes "
                             f"{[t.shape for t in ts]}")
    return ts


def mm(input, mat2):
    """Matrix product of two 2-d tensors (rule ``matmul``)."""
    a, b = _matrices("mm", input, mat2, ndims=(2, 2))
    return a @ b


def bmm(input, mat2):
    """Batched matrix product of (b, n, m) and (b, m, p) tensors."""
    a, b = _matrices("bmm", input, mat2, ndims=(3, 3))
    return a @ b


def mv(input, vec):
    a, v = _matrices("mv", input, vec, ndims=(2, 1))
    return a @ v


def dot(input, other):
    """Σ aᵢbᵢ of two 1-d tensors."""
    a, b = _matrices("dot", input, other, ndims=(1, 1))
    return a @ b


def outer(input, vec2):
    """aᵢ·bⱼ: a broadcast product (rule ``mul``)."""
    a, b = _matrices("outer", input, vec2, ndims=(1, 1))
    return a.reshape(-1, 1) * b.reshape(1, -1)


def _expand_as(self, other):
    return self.expand(*other.shape)


def _view_as(self, other):
    return self.reshape(other.shape)


def _type_as(self, other):
    return self.to(other.dtype)


def _compare(f):
    def g(input, other):
        x = lift(input, None, f.__name__)
        return _off(f(x.data, other.data if isinstance(other, Tensor) else other))
    g.__name__ = f.__name__
    g.__doc__ = f"Elementwise ``{f.__name__}`` (a bool tensor, off the tape)."
    return g


eq, ne, lt, le, gt, ge = (_compare(f) for f in (np.equal, np.not_equal, np.less, np.less_equal, np.greater,
                                                np.greater_equal))
logical_and, logical_or, logical_xor = (_compare(f) for f in (np.logical_and, np.logical_or, np.logical_xor))
greater, less, greater_equal, less_equal, not_equal = gt, lt, ge, le, ne


def logical_not(input):
    return _off(np.logical_not(lift(input, None, "logical_not").data))


def equal(input, other) -> bool:
    """True when both have the same shape and elements."""
    a, b = lift(input, None, "equal"), lift(other, None, "equal")
    return a.shape == b.shape and bool(np.array_equal(a.data, b.data))


def numel(input) -> int:
    return lift(input, None, "numel").data.size


def masked_select(input, mask):
    """The elements where ``mask`` (broadcast to x's shape) is True, as a 1-d tensor (boolean indexing)."""
    x = lift(input, None, "masked_select")
    mk = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    return x[np.broadcast_to(mk, x.shape)]


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal x[..., i, i + offset] of the (dim1, dim2) planes, moved to the last axis (integer indexing)."""
    x = lift(input, None, "diagonal")
    d1, d2 = dim_index(dim1, x.ndim, "diagonal"), dim_index(dim2, x.ndim, "diagonal")
    rest = [a for a in range(x.ndim) if a not in (d1, d2)]
    x = x.permute(*rest, d1, d2)
    n, m = x.shape[-2:]
    rows = np.arange(builtins.max(0, -offset), builtins.min(n, m - offset)) if m - offset > 0 else np.arange(0)
    return x[(Ellipsis, rows, rows + offset)]


def diag(input, diagonal=0):
    """A 1-d tensor → the square matrix with it on diagonal ``diagonal`` (a constant 0/1 matrix times it, so the
    gradient is read back off that diagonal); a 2-d tensor → its diagonal."""
    x = lift(input, None, "diag")
    if x.ndim == 2:
        return globals()["diagonal"](x, diagonal)
    if x.ndim != 1:
        raise ShapeError(f"diag: expects a 1-d or 2-d tensor, got shape {x.shape}")
    n, k = x.shape[0], int(diagonal)
    m = n + builtins.abs(k)
    place = np.zeros((m * m, n), dtype=x.dtype if x.dtype.kind == "f" else np.float64)
    i = np.arange(n)
    place[(i + builtins.max(-k, 0)) * m + i + builtins.max(k, 0), i] = 1.0
    if x.dtype.kind != "f":
        return _off((place @ x.data).reshape(m, m).astype(x.dtype))
    return (Tensor(place) @ x).reshape(m, m)


def trace(input):
    """Σ of the main diagonal of a matrix."""
    return diagonal(input).sum()


def clamp_min(input, min):  # noqa: A002
    return clamp(input, min=min)


def clamp_max(input, max):  # noqa: A002
    return clamp(input, max=max)


def diff(input, n=1, dim=-1):
    """x[1:] − x[:-1] along ``dim``, ``n`` times (slices and a subtraction)."""
    x = lift(input, None, "diff")
    d = dim_index(dim, x.ndim, "diff")
    for _ in range(int(n)):
        x = x[(slice(None),) * d + (slice(1, None),)] - x[(slice(None),) * d + (slice(None, -1),)]
    return x


def logaddexp(input, other):
    """log(eᵃ + eᵇ) = M + log(e^(a−M) + e^(b−M)) with M = max(a, b) a constant (no overflow)."""
    a, b = lift(input, None, "logaddexp"), lift(other, None, "logaddexp")
    m = np.maximum(a.data, b.data)
    m = np.where(np.isfinite(m), m, 0).astype(np.result_type(a.data, b.data), copy=False)
    return ((a - m).exp() + (b - m).exp()).log() + m


def lerp(input, end, weight):
    """input + weight·(end − input)."""
    a = lift(input, None, "lerp")
    return a + (end - a) * weight


def exp2(input):
    """2^x (rule ``powv`` with a constant base)."""
    return 2.0 ** lift(input, None, "exp2")


def logit(input, eps=None):
    """log(p / (1 − p)) = log p − log(1 − p); ``eps`` clamps p to [eps, 1 − eps] first."""
    p = lift(input, None, "logit")
    if eps is not None:
        p = p.clip(eps, 1.0 - eps)
    return p.log() - (-p).log1p()


def xlogy(input, other):
    """x·log y, 0 where x = 0 (y = 0 included, with a zero gradient there)."""
    x, y = lift(input, None, "xlogy"), lift(other, None, "xlogy")
    zero = np.broadcast_to(x.data == 0, np.broadcast_shapes(x.shape, y.shape))
    return where(zero, 0.0, x * where(zero, 1.0, y).log())


def _new(fill):
    def f(self, *size, dtype=None, requires_grad=False):
        size = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
        data = np.full(size, fill if not callable(fill) else 0, dtype=dtype or self.dtype)
        return Tensor(data, requires_grad=requires_grad)
    return f


def _new_full(self, size, fill_value, dtype=None, requires_grad=False):
    return Tensor(np.full(tuple(size), fill_value, dtype=dtype or self.dtype), requires_grad=requires_grad)


def _new_tensor(self, data, dtype=None, requires_grad=False):
    return Tensor(np.array(data.data if isinstance(data, Tensor) else data, dtype=dtype or self.dtype),
                  requires_grad=requires_grad)


# ---------------------------------------------------------------------------------------------------- module forms
def _method_form(name):
    def f(input, *args, **kwargs):
        return getattr(lift(input, None, name), name)(*args, **kwargs)
    f.__name__ = name
    f.__doc__ = f"``torch.{name}(x, ...)``: the same as ``x.{name}(...)``."
    return f


(reshape, flatten, unsqueeze, squeeze, permute, transpose, argmax, argmin, amax, amin, mean, var, std,
 sum) = (_method_form(n) for n in ("reshape", "flatten", "unsqueeze", "squeeze", "permute", "transpose",  # noqa: A001
                                   "argmax", "argmin", "amax", "amin", "mean", "var", "std", "sum"))


def max(input, *args, **kwargs):  # noqa: A001
    """``torch.max(x)``, ``torch.max(x, dim)`` (values, indices) or ``torch.max(x, y)`` (elementwise)."""
    return lift(input, None, "max").max(*args, **kwargs)


def min(input, *args, **kwargs):  # noqa: A001
    return lift(input, None, "min").min(*args, **kwargs)


METHODS = dict(
    sin=sin, cos=cos, tan=tan, asin=asin, acos=acos, atan=atan, arcsin=asin, arccos=acos, arctan=atan, sinh=sinh,
    cosh=cosh, erf=erf, expm1=expm1, floor=floor, ceil=ceil, round=round, trunc=trunc, sign=sign, log2=log2,
    log10=log10, rsqrt=rsqrt, reciprocal=reciprocal, square=square, neg=neg, negative=neg, add=add, sub=sub,
    subtract=sub, mul=mul, multiply=mul, div=div, divide=div, true_divide=div, pow=pow, isnan=isnan, isinf=isinf,
    isfinite=isfinite, isclose=isclose, allclose=allclose, all=all, any=any, prod=prod, cumsum=cumsum,
    logsumexp=logsumexp, norm=norm, flip=flip, roll=roll, repeat=repeat, tril=tril, triu=triu, gather=gather,
    masked_fill=masked_fill, sort=sort, argsort=argsort, topk=topk,
    t=t, split=split, chunk=chunk, unbind=unbind, index_select=index_select, nonzero=nonzero, mm=mm, bmm=bmm, mv=mv,
    dot=dot, outer=outer, expand_as=_expand_as, view_as=_view_as, reshape_as=_view_as, type_as=_type_as,
    eq=eq, ne=ne, lt=lt, le=le, gt=gt, ge=ge, logical_and=logical_and, logical_or=logical_or,
    logical_xor=logical_xor, logical_not=logical_not, equal=equal, masked_select=masked_select, diagonal=diagonal,
    diag=diag, trace=trace, clamp_min=clamp_min, clamp_max=clamp_max, diff=diff, logaddexp=logaddexp, lerp=lerp,
    exp2=exp2, logit=logit, xlogy=xlogy, new_zeros=_new(0), new_ones=_new(1), new_empty=_new(0),
    new_full=_new_full, new_tensor=_new_tensor, is_contiguous=lambda self: True,
)


def _matmul_method(self, other):
    return self @ other


def install() -> None:
    """Put the methods on ``Tensor`` (called once by ``microgradnet/__init__``)."""
    for name, f in METHODS.items():
        setattr(Tensor, name, f)
    Tensor.matmul = _matmul_method
