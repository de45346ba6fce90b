"""``Tensor``: the array node, numpy-backed, with PyTorch's names and semantics.

float64 by default (``dtype="float32"`` on request); ``requires_grad``; ``.grad`` is a numpy array of the node's
shape. Every operation goes through the rule table (:mod:`microgradnet.rules`); composites (``mean``, ``var``,
``softmax`` ...) are built from those primitives and have no backward code of their own.

Broadcasting is explicit: when a binary operation broadcasts an input that requires grad, a ``broadcast_to``
node is recorded first, and its backward is the single place a gradient is summed back to a shape. Python
numbers never promote: ``x * 2.0`` keeps ``x``'s dtype.

Inside :class:`~microgradnet.scalar_level.scalar_level` the same Tensor code records one ``Value`` per scalar
operation instead: that block registers itself as another backend of the rule table (``ACTIVE_LEVEL``), and the
tensors it makes carry it in ``level``, so every operation on them goes to it too.
"""

from __future__ import annotations

import numbers
import threading
from collections import namedtuple
from types import SimpleNamespace

import numpy as np

from . import engine
from .args import pair
from .engine import Node, node_ids
from .errors import DimError, InPlaceError, ShapeError, dim_index
from .kernels import assign
from .mathns import ARRAY
from .modes import PER_THREAD, check_backward, check_forward
from .random import generator as generator  # the array front's generator, also at microgradnet.generator
from .random import manual_seed as manual_seed
from .rules import RULES, raw

_new = object.__new__
_FLOATS = (np.float16, np.float32, np.float64)


class _ActiveLevel(threading.local):
    backend = None  # the other level recording in this thread (a scalar_level block), or None: numpy arrays


ACTIVE_LEVEL = _ActiveLevel()
"""``ACTIVE_LEVEL.backend``: the object that runs the rule table at another level in this thread, if any. It has
``apply(name, inputs, attrs) -> Tensor`` and ``backward(tensor, gradient)``; a tensor it makes has
``level = (backend, values)``."""

MaxResult = namedtuple("MaxResult", ["values", "indices"])


def _canon_dtype(dtype):
    if dtype is None:
        return None
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"Tensor: unknown dtype {dtype!r}; expected e.g. 'float64', 'float32', 'int64'") from None


def _as_array(data, dtype, op="Tensor"):
    if isinstance(data, Node):
        if isinstance(data, Tensor):
            data = data.data
        else:
            raise TypeError(f"{op}: cannot make a Tensor from a {type(data).__name__}; use its .data")
    try:
        arr = np.asarray(data)
    except (ValueError, TypeError) as e:
        raise TypeError(f"{op}: data must be numbers (a number, nested lists or a numpy array): {e}") from None
    if arr.dtype == object or arr.dtype.kind in "USVMmc":
        raise TypeError(f"{op}: data must be real numbers, got dtype {arr.dtype} from {type(data).__name__}")
    if dtype is not None:
        return arr.astype(dtype, copy=False)
    if arr.dtype.kind == "f" and arr.dtype != np.float64 and not isinstance(data, np.ndarray):
        return arr.astype(np.float64)
    if arr.dtype.kind == "f" and isinstance(data, np.ndarray):
        return arr
    return arr


def _tmake(data, prev, op, args, requires_grad):
    t = _new(Tensor)
    t.data = data
    t.grad = None
    t._prev = prev
    t._op = op
    t._args = args
    t._id = next(node_ids)
    t.label = ""
    t._meta = PER_THREAD.modes.scope
    t.requires_grad = requires_grad
    t.level = None
    if PER_THREAD.modes.anomaly and data.dtype.kind == "f":
        check_forward(t)
    return t


def _own_copy(g, like):
    """A leaf's first gradient: a fresh copy of ``g`` (which may alias other nodes' arrays) in the leaf's memory
    layout, as PyTorch gives ``.grad`` its parameter's strides (an update ``p -= lr·g`` then runs on like
    layouts)."""
    out = np.empty(like.shape, dtype=g.dtype, order="F" if like.flags.f_contiguous and not like.flags.c_contiguous
                   else "C")
    assign(out, g)
    return out


def apply(name, inputs, attrs=()):
    """Run rule ``name`` on Tensors ``inputs`` (already of matching shapes) and record it on the tape."""
    backend = ACTIVE_LEVEL.backend
    if backend is None:
        for t in inputs:
            if t.level is not None:
                backend = t.level[0]
                break
    if backend is not None:  # another level of the same table (scalar_level): one Value per scalar operation
        return backend.apply(name, inputs, attrs)
    data = RULES[name].forward(ARRAY, *[t.data for t in inputs], *attrs)
    if data.__class__ is not np.ndarray:
        data = np.asarray(data)
    if PER_THREAD.modes.grad:
        for t in inputs:
            if t.requires_grad:
                return _tmake(data, tuple(inputs), name, attrs, True)
    return _tmake(data, (), "", (), False)


def lift(x, like=None, op="op"):
    """A Tensor from x: Tensors pass through; numbers and arrays become constants (numbers take ``like``'s
    dtype, as PyTorch's Python scalars do)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, Node):
        raise TypeError(f"{op}: cannot combine a Tensor with a {type(x).__name__}; wrap the scalar's .data or "
                        "use Values throughout")
    if isinstance(x, numbers.Number) and not isinstance(x, np.ndarray):
        dt = like.data.dtype if like is not None and like.data.dtype.kind == "f" else (
            np.float64 if isinstance(x, float) else None)
        return _tmake(np.asarray(x, dtype=dt), (), "", (), False)
    return _tmake(_as_array(x, None, op), (), "", (), False)


def _broadcast_inputs(name, inputs):
    try:
        shape = np.broadcast_shapes(*[t.shape for t in inputs])
    except ValueError:
        raise ShapeError(f"{name}: shapes {' and '.join(str(t.shape) for t in inputs)} cannot be broadcast "
                         "together (numpy rules: trailing dimensions must be equal or 1)") from None
    return [broadcast_to(t, shape) if t.requires_grad and t.shape != shape else t for t in inputs]


def elementwise(name, *inputs, attrs=()):
    """Apply an elementwise rule with numpy broadcasting made explicit."""
    first = next((x for x in inputs if isinstance(x, Tensor)), None)
    ts = [lift(x, first, name) for x in inputs]
    if len(ts) > 1 and any(t.shape != ts[0].shape for t in ts):
        ts = _broadcast_inputs(name, ts)
    return apply(name, ts, attrs)


def _axes(axis, ndim, op):
    if axis is None:
        return None
    if isinstance(axis, (int, np.integer)):
        axis = (int(axis),)
    out = {dim_index(a, ndim, op) for a in axis}
    return () if ndim == 0 else tuple(sorted(out))  # a 0-d tensor: dim 0 or −1 reduces nothing (as PyTorch)


def _norm_index(index):
    if isinstance(index, tuple):
        return tuple(_norm_index(i) for i in index)
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return np.asarray(index)
    return index


def _pick(axis, dim, default=None):
    return axis if axis is not None else (dim if dim is not None else default)


class Tensor(Node):
    """An n-dimensional array on the tape (see the module docstring)."""

    __slots__ = ("_prev", "requires_grad", "level")
    __array_ufunc__ = None  # ndarray ∘ Tensor defers to the Tensor's reflected operator (as torch.Tensor does)

    def __init__(self, data, requires_grad=False, dtype=None, label=""):
        """A leaf holding a COPY of ``data`` (numbers, nested lists, a numpy array or a Tensor), as
        ``torch.tensor``: an optimiser's in-place update never reaches the caller's array. To share the array's
        memory instead, use :func:`from_numpy`."""
        arr = _as_array(data, _canon_dtype(dtype))
        src = data.data if isinstance(data, Tensor) else data
        if isinstance(src, np.ndarray) and np.may_share_memory(arr, src):
            arr = arr.copy(order="K")  # the same memory layout, as torch.tensor keeps strides
        if requires_grad and arr.dtype.kind != "f":
            raise TypeError(f"Tensor: only floating point tensors can require grad, got dtype {arr.dtype}; "
                            "pass dtype='float64' (or float32)")
        self.data = arr
        self.grad = None
        self._prev = ()
        self._op = ""
        self._args = ()
        self._id = next(node_ids)
        self.label = label
        self._meta = PER_THREAD.modes.scope
        self.requires_grad = bool(requires_grad)
        self.level = None

    # -------------------------------------------------------------------------------------------- basics
    def __repr__(self):
        body = np.array2string(self.data, precision=4, separator=", ", threshold=20, edgeitems=2,
                               prefix="tensor(")  # continuation rows line up under the first
        extra = ""
        if self.data.dtype != np.float64:
            extra += f", dtype={self.data.dtype}"
        if self.requires_grad:
            extra += ", requires_grad=True" if not self._prev else f", op={self._op}"
        if self.label:
            extra += f", label={self.label!r}"
        return f"tensor({body}{extra})"

    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    def dim(self):
        return self.data.ndim

    def size(self, dim=None):
        return self.data.shape if dim is None else self.data.shape[dim]

    def numel(self):
        return self.data.size

    def __len__(self):
        if not self.data.ndim:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    @property
    def _values(self):
        """The old name of ``level`` (kept for code that reads ``t._values[1]``, the tensor's Values)."""
        return self.level

    @property
    def is_leaf(self):
        return not self._prev

    @property
    def T(self):
        return self.permute(*reversed(range(self.ndim)))

    def numpy(self):
        """The data as a numpy array (shared, not copied, as ``torch.Tensor.numpy``)."""
        return self.data

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item: only a tensor with one element can be converted to a number, got shape "
                             f"{self.shape}")
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def __float__(self):
        return float(self.item())

    def detach(self):
        """The same data, off the tape (no parents, no grad)."""
        return _tmake(self.data, (), "", (), False)

    def requires_grad_(self, flag=True):
        if flag and self.data.dtype.kind != "f":
            raise TypeError(f"requires_grad_: only floating point tensors can require grad, got {self.dtype}")
        self.requires_grad = bool(flag)
        return self

    def to(self, dtype=None, *args, **kwargs):
        """This tensor in another dtype (``to(dtype)``, ``to(dtype=...)``; a device such as ``'cpu'`` is accepted
        and ignored). Between floating dtypes the cast is recorded (rule ``cast``: the gradient comes back in the
        input's dtype); to an integer or bool dtype the result is off the tape, as in PyTorch."""
        dtype = kwargs.pop("dtype", dtype)
        if isinstance(dtype, Tensor):
            dtype = dtype.dtype
        if dtype is None or (isinstance(dtype, str) and dtype in ("cpu", "cuda", "mps")):
            dtype = next((a for a in args if not isinstance(a, (str, bool))), None)
            if dtype is None:
                return self
        dt = _canon_dtype(dtype)
        if dt == self.dtype:
            return self
        if dt.kind == "f" and self.dtype.kind == "f":
            return apply("cast", (self,), (dt,))
        return _tmake(self.data.astype(dt), (), "", (), False)

    def type(self, dtype=None):
        """The dtype's name without an argument, else ``to(dtype)``."""
        if dtype is None:
            return f"microgradnet.{self.dtype}"
        return self.to(dtype)

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    def half(self):
        return self.to(np.float16)

    def int(self):
        return self.to(np.int32)

    def long(self):
        return self.to(np.int64)

    def bool(self):
        return self.to(np.bool_)

    def contiguous(self):
        """numpy arrays need no contiguity for any operation here: the tensor itself (as PyTorch does for a
        contiguous tensor)."""
        return self

    def clone(self):
        """A copy on the tape (x · 1 as far as the gradient goes)."""
        return apply("cast", (self,), (self.dtype,)) if self.dtype.kind == "f" else _tmake(
            self.data.copy(), (), "", (), False)

    def zero_(self):
        """Fill with zeros in place (see :meth:`_inplace` for when in-place is allowed)."""
        return self._inplace(lambda d: np.multiply(d, 0, out=d), "zero_")

    # in place, as PyTorch: allowed on anything off the tape, and on parameters inside no_grad (the SGD step
    # ``with no_grad(): w -= lr * w.grad`` keeps w the same leaf); refused on a leaf that requires grad while
    # recording; a non-leaf on the tape gets the out-of-place result (Python rebinds the name), which has the
    # values and gradients PyTorch's recorded in-place op has
    def _inplace(self, f, op, o=None):
        if self.requires_grad and PER_THREAD.modes.grad:
            if not self._prev:
                raise InPlaceError(f"{op}: a leaf tensor that requires grad cannot be changed in place while "
                                   "gradients are recorded (its graph would be wrong); do the update inside "
                                   "`with microgradnet.no_grad():`")
            return None
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            f(self.data)
        return self

    def _iop(self, o, ufunc, op, fallback):
        if isinstance(o, Tensor) and o.requires_grad and PER_THREAD.modes.grad:
            return fallback(o)  # the result depends on a recorded tensor: on the tape, out of place
        od = raw(o) if isinstance(o, Tensor) else np.asarray(o)
        done = self._inplace(lambda d: ufunc(d, od, out=d, casting="same_kind"), op)
        return fallback(o) if done is None else done

    def __iadd__(self, o):
        return self._iop(o, np.add, "+=", self.__add__)

    def __isub__(self, o):
        return self._iop(o, np.subtract, "-=", self.__sub__)

    def __imul__(self, o):
        return self._iop(o, np.multiply, "*=", self.__mul__)

    def __itruediv__(self, o):
        return self._iop(o, np.divide, "/=", self.__truediv__)

    def add_(self, other, *, alpha=1):
        return self.__iadd__(other if alpha == 1 else raw(other) * alpha)

    def sub_(self, other, *, alpha=1):
        return self.__isub__(other if alpha == 1 else raw(other) * alpha)

    def mul_(self, other):
        return self.__imul__(other)

    def div_(self, other):
        return self.__itruediv__(other)

    def fill_(self, value):
        return self._inplace(lambda d: d.__setitem__(Ellipsis, raw(value)), "fill_")

    def copy_(self, src):
        return self._inplace(lambda d: d.__setitem__(Ellipsis, raw(src)), "copy_")

    def clamp_(self, min=None, max=None):  # noqa: A002 - PyTorch's names
        return self._inplace(lambda d: np.clip(d, min, max, out=d), "clamp_")

    clip_ = clamp_

    def uniform_(self, a=0.0, b=1.0, generator=None):
        from .random import generator as _gen
        g = generator or _gen()
        return self._inplace(lambda d: d.__setitem__(Ellipsis, g.uniform(a, b, d.shape)), "uniform_")

    def normal_(self, mean=0.0, std=1.0, generator=None):
        from .random import generator as _gen
        g = generator or _gen()
        return self._inplace(lambda d: d.__setitem__(Ellipsis, g.normal(mean, std, d.shape)), "normal_")

    # devices: numpy runs on the CPU; code written for PyTorch's .cpu()/.to('cpu') runs unchanged
    @property
    def device(self):
        return "cpu"

    is_cuda = False

    def cpu(self):
        return self

    def cuda(self, *args, **kwargs):
        raise RuntimeError("cuda: microgradnet runs on the CPU (numpy); drop .cuda() / use .cpu()")

    def retain_grad(self):
        """Every node keeps its gradient here (for drawing), so this does nothing."""
        return self

    def is_floating_point(self):
        return self.dtype.kind == "f"

    # -------------------------------------------------------------------------------------------- backward
    def backward(self, gradient=None, create_graph=False):
        """Accumulate ∂self/∂leaf into every leaf's ``.grad`` (see :mod:`microgradnet.engine` for semantics).

        ``gradient`` (∂L/∂self) is required unless self has one element, as in PyTorch.
        """
        if self.level is not None:  # made at another level (scalar_level): that backend's backward
            return self.level[0].backward(self, gradient)
        if not self.requires_grad:
            raise RuntimeError("backward: this tensor does not require grad and has no grad history (no input "
                               "of the computation had requires_grad=True, or it ran under no_grad)")
        g = self._unit_grad("backward") if gradient is None else self._as_root_grad(gradient, create_graph,
                                                                                       "backward")
        engine.backward([self], [g], create_graph=create_graph)

    def _unit_grad(self, op):
        if self.data.size != 1:
            raise RuntimeError(f"{op}: the output has shape {self.shape}; a gradient can be implied only for a "
                               f"scalar output. Pass gradient=<array of shape {self.shape}> (∂L/∂output)")
        return np.ones(self.shape, dtype=self.dtype)

    def _as_root_grad(self, g, create_graph, op):
        if create_graph:
            g = lift(g, self, op)
            if g.shape != self.shape:
                raise ValueError(f"{op}: gradient has shape {g.shape}, expected the output's shape {self.shape}")
            return g
        g = np.asarray(raw(g), dtype=self.dtype)
        if g.shape != self.shape:
            raise ValueError(f"{op}: gradient has shape {g.shape}, expected the output's shape {self.shape}")
        return g

    @staticmethod
    def _accumulate(current, g):
        return g if current is None else current + g

    def _zero_grad(self):
        return np.zeros_like(self.data) if self.requires_grad else None

    def _reset_grad(self):
        return None

    def _propagate(self, create_graph, anomaly):
        rule = RULES[self._op]
        prev = self._prev
        g = self.grad
        if create_graph:
            m, out, args = GRAPH, self, prev + self._args
        else:
            m, out, args = ARRAY, self.data, tuple(p.data for p in prev) + self._args
        for i, p in enumerate(prev):
            if not p.requires_grad:
                continue
            c = rule.vjp(i, m, g, out, *args)
            cd = c.data if create_graph else c
            if cd.shape != p.data.shape:
                raise RuntimeError(f"backward of '{self._op}': the gradient for input #{i} has shape {cd.shape}, "
                                   f"but that input has shape {p.data.shape} (a rule bug)")
            if not create_graph and cd.dtype != p.data.dtype:
                c = cd.astype(p.data.dtype)
            if anomaly:
                check_backward(self, p, i, c)
            pg = p.grad
            if pg is None:
                p.grad = c if (p._prev or create_graph) else _own_copy(c, p.data)
            else:
                p.grad = pg + c

    # -------------------------------------------------------------------------------------------- arithmetic
    def __add__(self, o):
        return elementwise("add", self, o)

    def __radd__(self, o):
        return elementwise("add", o, self)

    def __sub__(self, o):
        return elementwise("sub", self, o)

    def __rsub__(self, o):
        return elementwise("sub", o, self)

    def __mul__(self, o):
        return elementwise("mul", self, o)

    def __rmul__(self, o):
        return elementwise("mul", o, self)

    def __truediv__(self, o):
        return elementwise("div", self, o)

    def __rtruediv__(self, o):
        return elementwise("div", o, self)

    def __neg__(self):
        return apply("neg", (self,))

    def __pos__(self):
        return self

    def __pow__(self, p):
        """x ** p: a negative base with a non-integer exponent gives NaN, 0 ** negative gives inf (as PyTorch);
        x ** 0 = 1 with gradient 0 (rules ``pow``/``powv``)."""
        if isinstance(p, (Tensor, np.ndarray)):
            return elementwise("powv", self, p)
        if isinstance(p, numbers.Real) and not isinstance(p, bool):
            return apply("pow", (self,), (p,))
        raise TypeError(f"pow: the exponent must be a number or a Tensor, got {type(p).__name__} {p!r}")

    def __rpow__(self, base):
        return elementwise("powv", base, self)

    def __matmul__(self, o):
        return matmul(self, o)

    def __rmatmul__(self, o):
        return matmul(lift(o, self, "matmul"), self)

    # comparisons: bool tensors, off the tape (as in PyTorch)
    def _cmp(self, o, f):
        return _tmake(np.asarray(f(self.data, raw(o) if isinstance(o, Tensor) else o)), (), "", (), False)

    def __lt__(self, o):
        return self._cmp(o, np.less)

    def __le__(self, o):
        return self._cmp(o, np.less_equal)

    def __gt__(self, o):
        return self._cmp(o, np.greater)

    def __ge__(self, o):
        return self._cmp(o, np.greater_equal)

    def __eq__(self, o):
        return self._cmp(o, np.equal)

    def __ne__(self, o):
        return self._cmp(o, np.not_equal)

    # bitwise on integers, logical on bool (numpy's bitwise ufuncs do both), as PyTorch; refused on floats
    def _bits(self, o, f, sym):
        od = raw(o) if isinstance(o, Tensor) else np.asarray(o)
        if self.dtype.kind not in "biu" or od.dtype.kind not in "biu":
            raise TypeError(f"{sym}: bitwise operations need integer or bool tensors, got {self.dtype} and "
                            f"{od.dtype}")
        return _tmake(np.asarray(f(self.data, o if not isinstance(o, Tensor) else od)), (), "", (), False)

    def __and__(self, o):
        return self._bits(o, np.bitwise_and, "&")

    def __or__(self, o):
        return self._bits(o, np.bitwise_or, "|")

    def __xor__(self, o):
        return self._bits(o, np.bitwise_xor, "^")

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    def __invert__(self):
        if self.dtype.kind not in "biu":
            raise TypeError(f"~: bitwise not needs an integer or bool tensor, got {self.dtype}")
        return _tmake(np.invert(self.data), (), "", (), False)

    def __floordiv__(self, o):
        """⌊x / y⌋ rounded toward −inf (Python's and PyTorch's floor division); off the tape (no derivative)."""
        return _floordiv(self, o)

    def __rfloordiv__(self, o):
        return _floordiv(lift(o, self, "floordiv"), self)

    def __mod__(self, o):
        """x − y·⌊x/y⌋, with the divisor's sign (Python's and PyTorch's remainder); ∂/∂x = 1, ∂/∂y = −⌊x/y⌋."""
        return _remainder(self, o)

    def __rmod__(self, o):
        return _remainder(lift(o, self, "remainder"), self)

    __hash__ = object.__hash__

    # -------------------------------------------------------------------------------------------- elementwise
    def exp(self):
        return apply("exp", (self,))

    def log(self):
        return apply("log", (self,))

    def log1p(self):
        """ln(1 + x), accurate for small x (rule ``log1p``)."""
        return apply("log1p", (self,))

    def tanh(self):
        return apply("tanh", (self,))

    def sigmoid(self):
        return apply("sigmoid", (self,))

    def relu(self):
        return apply("relu", (self,))

    def leaky_relu(self, negative_slope=0.01):
        return apply("leaky_relu", (self,), (float(negative_slope),))

    def abs(self):
        return apply("abs", (self,))

    def sqrt(self):
        return self ** 0.5

    def clip(self, min=None, max=None):  # noqa: A002 - PyTorch's names
        """Clamp to [min, max]; the gradient passes where min ≤ x ≤ max (bounds included). Tensor bounds go
        through maximum/minimum (a tie splits the gradient)."""
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            out = self if min is None else maximum(self, min)
            return out if max is None else minimum(out, max)
        return apply("clip", (self,), (min, max))

    clamp = clip

    # -------------------------------------------------------------------------------------------- reductions
    def sum(self, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):
        """Σ over ``dim`` (all when None). PyTorch's ``dim``/``keepdim`` or numpy's ``axis``/``keepdims``;
        ``dtype`` casts first (as PyTorch). Integer and bool tensors sum to int64, as PyTorch."""
        x = self if dtype is None else self.to(dtype)
        ax = _axes(_pick(axis, dim), x.ndim, "sum")
        kd = bool(keepdims if keepdims is not None else keepdim)
        if x.dtype.kind in "biu":
            return _tmake(np.asarray(np.sum(x.data, axis=ax, keepdims=kd, dtype=np.int64)), (), "", (), False)
        return apply("sum", (x,), (ax, kd))

    def mean(self, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):
        """Σx / n, a composition of ``sum`` and a multiplication; over no elements it is NaN (0/0, as PyTorch)."""
        x = self if dtype is None else self.to(dtype)
        ax = _axes(_pick(axis, dim), x.ndim, "mean")
        n = x.data.size if ax is None else int(np.prod([x.shape[a] for a in ax]))
        total = x.sum(ax, keepdims if keepdims is not None else keepdim)
        return total * (1.0 / n) if n else total / 0.0

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
        """Σ(x − mean)² / max(0, n − correction); ``correction`` defaults to 1 (``unbiased=True``), as PyTorch,
        whose positional order (dim, unbiased, keepdim) this keeps. n ≤ correction gives inf, or NaN where every
        deviation is 0 (one element), as PyTorch."""
        ax = _axes(_pick(axis, dim), self.ndim, "var")
        kd = keepdims if keepdims is not None else keepdim
        n = self.data.size if ax is None else int(np.prod([self.shape[a] for a in ax]))
        c = (0 if unbiased is False else 1) if correction is None else correction
        if n > c:
            d = self - self.mean(ax, True)
            return (d * d).sum(ax, kd) * (1.0 / (n - c))
        # no degrees of freedom: Σd²/0. The mean is taken as a constant here (its gradient terms sum to 0), so
        # the gradient is 2d/0 = ±inf as in PyTorch, not the inf − inf = NaN the mean's backward would add
        d = self - np.mean(self.data, axis=ax, keepdims=True)
        return (d * d).sum(ax, kd) / 0.0

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
        """√var (see :meth:`var`)."""
        return self.var(dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims) ** 0.5

    def amax(self, dim=None, keepdim=False, tie="split"):
        """max over ``dim``; ties share the gradient by ``tie`` ('split' as torch.amax, 'first', 'all')."""
        return apply("amax", (self,), (_axes(dim, self.ndim, "amax"), bool(keepdim), tie))

    def amin(self, dim=None, keepdim=False, tie="split"):
        return apply("amin", (self,), (_axes(dim, self.ndim, "amin"), bool(keepdim), tie))

    def max(self, dim=None, keepdim=False, *, axis=None):
        """As ``torch.max``: without ``dim`` the largest element (ties share the gradient); with ``dim`` (or
        ``axis``) a ``(values, indices)`` pair whose gradient goes to the returned (first) index; with a Tensor,
        the elementwise maximum."""
        if isinstance(dim, Tensor):
            return maximum(self, dim)
        dim = _pick(axis, dim)
        if dim is None:
            return self.amax()
        vals = self.amax(dim, keepdim, tie="first")
        return MaxResult(vals, self.argmax(dim, keepdim))

    def min(self, dim=None, keepdim=False, *, axis=None):
        """As :meth:`max`, for the smallest."""
        if isinstance(dim, Tensor):
            return minimum(self, dim)
        dim = _pick(axis, dim)
        if dim is None:
            return self.amin()
        return MaxResult(self.amin(dim, keepdim, tie="first"), self.argmin(dim, keepdim))

    def _arg(self, f, dim, keepdim, op):
        if dim is None:
            return _tmake(np.asarray(f(self.data)), (), "", (), False)
        d = dim_index(dim, self.ndim, op)
        if self.ndim == 0:
            return _tmake(np.asarray(0), (), "", (), False)
        return _tmake(np.asarray(f(self.data, axis=d, keepdims=keepdim)), (), "", (), False)

    def argmax(self, dim=None, keepdim=False):
        """Index of the (first) largest element, over everything or along ``dim``."""
        return self._arg(np.argmax, dim, keepdim, "argmax")

    def argmin(self, dim=None, keepdim=False):
        return self._arg(np.argmin, dim, keepdim, "argmin")

    # -------------------------------------------------------------------------------------------- shape
    def reshape(self, *shape, **kwargs):
        """The same data in another shape (one −1 entry is inferred); ``reshape(2, 3)``, ``reshape((2, 3))`` or
        ``reshape(shape=(2, 3))``."""
        if not shape:
            shape = kwargs.get("shape", kwargs.get("size", ()))
        shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else tuple(shape)
        try:
            new = np.empty(self.shape, dtype=bool).reshape(shape).shape
        except ValueError:
            raise ShapeError(f"reshape: cannot reshape a tensor of shape {self.shape} ({self.data.size} "
                             f"elements) into {shape}") from None
        if new == self.shape:
            return self
        return apply("reshape", (self,), (new,))

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        """Merge dims start_dim..end_dim into one (a 0-d tensor becomes shape (1,)); dims out of range raise
        an IndexError naming the valid range."""
        nd = self.ndim
        s, e = dim_index(start_dim, nd, "flatten"), dim_index(end_dim, nd, "flatten")
        if nd == 0:
            return self.reshape(1)
        if s > e:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for shape {self.shape}")
        return self.reshape(self.shape[:s] + (int(np.prod(self.shape[s:e + 1])),) + self.shape[e + 1:])

    def unsqueeze(self, dim):
        """A new axis of size 1 at ``dim`` ∈ [−ndim − 1, ndim]."""
        d = dim_index(dim, self.ndim, "unsqueeze", extra=1)
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def squeeze(self, dim=None):
        """Drop axes of size 1: all of them, or those in ``dim`` (an int or a tuple); an axis of another size is
        kept, as PyTorch."""
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        drop = {dim_index(d, self.ndim, "squeeze") for d in dims}
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if not (i in drop and n == 1)))

    def permute(self, *axes, dims=None):
        axes = axes or tuple(dims or ())
        axes = tuple(axes[0]) if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        if sorted(a % max(self.ndim, 1) for a in axes) != list(range(self.ndim)):
            raise ShapeError(f"permute: {axes} is not a permutation of the {self.ndim} axes of shape {self.shape}")
        axes = tuple(a % self.ndim for a in axes)
        return apply("transpose", (self,), (axes,))

    def transpose(self, dim0=-2, dim1=-1):
        axes = list(range(self.ndim))
        if self.ndim == 0:
            dim_index(dim0, 0, "transpose"), dim_index(dim1, 0, "transpose")
            return self
        dim0, dim1 = dim_index(dim0, self.ndim, "transpose"), dim_index(dim1, self.ndim, "transpose")
        axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
        return self.permute(*axes)

    def expand(self, *shape, size=None):
        shape = shape or tuple(size or ())
        shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        lead = len(shape) - self.ndim
        shape = tuple(self.shape[i - lead] if n == -1 else n for i, n in enumerate(shape))
        return broadcast_to(self, shape)

    def __getitem__(self, index):
        """x[index] with PyTorch's rule where integers and lists (or integer tensors) mix: the integers are
        applied first, as selections, then the rest (numpy would treat the integers as advanced indices too and
        could move the indexed axes to the front: ``t[0, :, [0, 1]]`` is (3, 2) here and in PyTorch, (2, 3) in
        numpy)."""
        index = _norm_index(index)
        items = index if isinstance(index, tuple) else (index,)
        arrays = [i for i in items if isinstance(i, np.ndarray) and i.ndim > 0]
        ints = [k for k, i in enumerate(items) if isinstance(i, (int, np.integer)) and not isinstance(i, bool)]
        if arrays and ints:
            first = tuple(i if k in ints else slice(None) for k, i in enumerate(items) if i is not None
                          and i is not Ellipsis) if not any(i is Ellipsis for i in items) else None
            if first is not None:
                rest = tuple(i for k, i in enumerate(items) if k not in ints)
                return self[first][rest]
        try:
            self.data[index]
        except IndexError as e:
            raise DimError(f"getitem: index {index!r} is invalid for a tensor of shape {self.shape}: {e}") from None
        return apply("getitem", (self,), (index,))

    def __setitem__(self, index, value):
        if self._prev or self.requires_grad:
            raise RuntimeError("setitem: in-place assignment into a tensor on the tape would make the recorded "
                               "graph wrong; build a new tensor (e.g. with where or cat) instead")
        self.data[_norm_index(index)] = raw(value)


# ---------------------------------------------------------------------------------------------------- functions
def from_numpy(ndarray, requires_grad=False):
    """A leaf Tensor that SHARES ``ndarray``'s memory (as ``torch.from_numpy``): writing into one changes the
    other, and an optimiser step on it updates the array. ``Tensor(ndarray)`` and :func:`tensor` copy instead."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy array, got {type(ndarray).__name__}")
    if ndarray.dtype == object or ndarray.dtype.kind not in "biuf":
        raise TypeError(f"from_numpy: the array must hold real numbers, got dtype {ndarray.dtype}")
    if requires_grad and ndarray.dtype.kind != "f":
        raise TypeError(f"from_numpy: only floating point tensors can require grad, got dtype {ndarray.dtype}")
    t = _tmake(ndarray, (), "", (), bool(requires_grad))
    return t


def broadcast_to(x, shape):
    x = lift(x, None, "broadcast_to")
    shape = tuple(shape)
    if x.shape == shape:
        return x
    try:
        np.broadcast_shapes(x.shape, shape)
        if np.broadcast_shapes(x.shape, shape) != shape:
            raise ValueError
    except ValueError:
        raise ShapeError(f"broadcast_to: cannot broadcast shape {x.shape} to {shape}") from None
    return apply("broadcast_to", (x,), (shape,))


def matmul(a, b):
    """a @ b with numpy/PyTorch semantics (1-D operands promoted and the extra axis removed, batch dims
    broadcast). Rule ``matmul``: ∂L/∂a = g bᵀ, ∂L/∂b = aᵀ g."""
    a, b = lift(a, None, "matmul"), lift(b, a, "matmul")
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(f"matmul: both operands need at least one dimension, got shapes {a.shape} and {b.shape}")
    va, vb = a.ndim == 1, b.ndim == 1
    if va:
        a = a.reshape(1, -1)
    if vb:
        b = b.reshape(-1, 1)
    if a.shape[-1] != b.shape[-2]:
        raise ShapeError(f"matmul: shapes {a.shape} and {b.shape} do not align: {a.shape[-1]} (last dim of the "
                         f"first) must equal {b.shape[-2]} (second-to-last of the second)")
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    if a.shape[:-2] != batch:
        a = broadcast_to(a, batch + a.shape[-2:])
    if b.shape[:-2] != batch:
        b = broadcast_to(b, batch + b.shape[-2:])
    out = apply("matmul", (a, b))
    if va and vb:
        return out.reshape(out.shape[:-2])
    if va:
        return out.reshape(out.shape[:-2] + out.shape[-1:])
    if vb:
        return out.reshape(out.shape[:-1])
    return out


def where(cond, a, b):
    """a where cond else b (cond is not differentiated)."""
    c = np.asarray(raw(cond) if isinstance(cond, Tensor) else cond, dtype=bool)
    first = next((x for x in (a, b) if isinstance(x, Tensor)), None)
    ta, tb = lift(a, first, "where"), lift(b, first, "where")
    try:
        shape = np.broadcast_shapes(c.shape, ta.shape, tb.shape)
    except ValueError:
        raise ShapeError(f"where: condition {c.shape}, a {ta.shape} and b {tb.shape} cannot be broadcast") from None
    ta = broadcast_to(ta, shape) if ta.requires_grad and ta.shape != shape else ta
    tb = broadcast_to(tb, shape) if tb.requires_grad and tb.shape != shape else tb
    return apply("where", (ta, tb), (np.broadcast_to(c, shape),))


def maximum(a, b):
    """Elementwise max; a tie gives each operand half the gradient."""
    return elementwise("maximum", a, b)


def minimum(a, b):
    return elementwise("minimum", a, b)


def cat(tensors, dim=0):
    """Join along ``dim`` (rule ``concatenate``)."""
    ts = [lift(t, None, "cat") for t in tensors]
    if not ts:
        raise ValueError("cat: expected a non-empty list of tensors")
    nd = ts[0].ndim
    d = dim_index(dim, nd, "cat")
    for t in ts:
        if t.ndim != nd or t.shape[:d] + t.shape[d + 1:] != ts[0].shape[:d] + ts[0].shape[d + 1:]:
            raise ShapeError(f"cat: shapes {[t.shape for t in ts]} differ outside dimension {dim}")
    return apply("concatenate", tuple(ts), (d,))


concatenate = cat


def stack(tensors, dim=0):
    """Join along a new axis ``dim`` (a reshape of each, then ``cat``)."""
    ts = [lift(t, None, "stack") for t in tensors]
    if not ts or any(t.shape != ts[0].shape for t in ts):
        raise ShapeError(f"stack: expected tensors of one shape, got {[t.shape for t in ts]}")
    d = dim_index(dim, ts[0].ndim, "stack", extra=1)
    return cat([t.unsqueeze(d) for t in ts], d)


def pad(x, pad_width):
    """Zero padding; ``pad_width`` as numpy's ((before, after), ...) per axis, or an int for every axis."""
    x = lift(x, None, "pad")
    if isinstance(pad_width, (int, np.integer)):
        pad_width = ((int(pad_width), int(pad_width)),) * x.ndim
    pw = tuple((int(b), int(a)) for b, a in pad_width)
    if len(pw) != x.ndim or any(b < 0 or a < 0 for b, a in pw):
        raise ValueError(f"pad: pad_width {pad_width} must give (before, after) ≥ 0 for each of the {x.ndim} axes")
    if not any(b or a for b, a in pw):
        return x
    return apply("pad", (x,), (pw,))


def windows(x, kernel_size, stride=1, dilation=1):
    """Sliding windows over the last two axes: (..., H, W) → (..., OH, OW, KH, KW) with
    out[..., i, j, p, q] = x[..., i·s + p·d, j·s + q·d] and OH = ⌊(H − d(KH − 1) − 1)/s⌋ + 1.

    The building block of convolution and pooling (rule ``window``; its backward adds overlapping windows)."""
    x = lift(x, None, "windows")
    k, s, d = (pair(v, name, "windows", 1) for v, name in ((kernel_size, "kernel_size"), (stride, "stride"),
                                                            (dilation, "dilation")))
    if x.ndim < 2:
        raise ValueError(f"windows: needs at least 2 dimensions (..., H, W), got shape {x.shape}")
    h, w = x.shape[-2:]
    if d[0] * (k[0] - 1) + 1 > h or d[1] * (k[1] - 1) + 1 > w:
        raise ValueError(f"windows: a {k[0]}×{k[1]} window (dilation {d}) does not fit in an input of "
                         f"{h}×{w} (shape {x.shape})")
    return apply("window", (x,), (k, s, d))


def _t(name):
    def f(x, *args):
        return getattr(lift(x, None, name), name)(*args)
    f.__name__ = name
    f.__doc__ = f"Elementwise {name} (rule ``{name}``)."
    return f


exp, log, log1p, tanh, sigmoid, relu, abs, sqrt = (_t(n) for n in ("exp", "log", "log1p", "tanh", "sigmoid",
                                                                    "relu", "abs", "sqrt"))  # noqa: A001


def _floordiv(a, b):
    a = lift(a, None, "floordiv")
    b = lift(b, a, "floordiv")
    with np.errstate(divide="ignore", invalid="ignore"):
        return _tmake(np.asarray(np.floor_divide(a.data, b.data)), (), "", (), False)


def _remainder(a, b):
    """a − b·⌊a/b⌋ (⌊a/b⌋ a constant: its derivative is 0 wherever it exists). Integers: numpy's remainder,
    off the tape."""
    a = lift(a, None, "remainder")
    b = lift(b, a, "remainder")
    if a.dtype.kind in "biu" and b.dtype.kind in "biu":
        with np.errstate(divide="ignore", invalid="ignore"):
            return _tmake(np.asarray(np.remainder(a.data, b.data)), (), "", (), False)
    return a - b * _floordiv(a, b)


def _gapply(name, *args):
    rule = RULES[name]
    n = rule.arity if rule.arity >= 0 else len(args) - 1
    return apply(name, tuple(lift(a, None, name) for a in args[:n]), tuple(args[n:]))


def _gfun(name):
    def f(x):
        return getattr(x, name)() if isinstance(x, Tensor) else getattr(ARRAY, name)(x)
    return f


# The graph-building namespace: the rule formulas evaluated on Tensors record nodes (create_graph=True).
GRAPH = SimpleNamespace(
    name="tensor-graph",
    exp=_gfun("exp"),
    log=_gfun("log"),
    log1p=_gfun("log1p"),
    tanh=_gfun("tanh"),
    abs=_gfun("abs"),
    div=lambda a, b: a / b if isinstance(a, Tensor) or isinstance(b, Tensor) else ARRAY.div(a, b),
    sin=_gfun("sin"),
    cos=_gfun("cos"),
    sinh=_gfun("sinh"),
    cosh=_gfun("cosh"),
    sign=lambda x: np.sign(raw(x)),
    where=lambda c, a, b: where(raw(c), a, b),
    ind=lambda c: where(raw(c), 1.0, 0.0),
    pow=lambda a, p: a ** p,
    maximum=maximum,
    minimum=minimum,
    apply=_gapply,
)

