"""Scalar granularity: run Tensor code so that every scalar operation is one ``Value`` node.

The same function written with Tensor operations (a layer, a loss, a whole toy network) can be run on a small
input at scalar level, giving the graph micrograd draws: one node per multiplication, addition, max...::

    with scalar_level(model) as sl:          # names parameters 'fc.weight[0,1]' ...
        loss = model(x).sum()
    loss.backward()                          # Value backward; grads written back to the Tensors
    model.fc.weight.grad                     # equal to the tensor-level gradient

Inside the block, every Tensor an operation touches is *lifted*: each element becomes a leaf ``Value`` (once per
tensor, cached). Elementwise rules make one ``Value`` per element; ``sum``/``amax``/``amin`` make one n-ary
``Value`` per output element (rules ``sum``/``amax``/``amin`` applied to that element's inputs); ``matmul`` makes
products and one n-ary sum per output; reshape, transpose, broadcast, indexing, padding and windows only move
references around (padding adds one constant zero). The result is a Tensor whose elements are Values; its
``backward`` runs the scalar engine and then adds each lifted tensor's element gradients into its ``.grad``, so
scalar-level and tensor-level gradients can be compared directly.

How it plugs in: a ``scalar_level`` block is another backend of the rule table. Entering it sets
``tensor.ACTIVE_LEVEL.backend`` (this thread only); ``tensor.apply`` then hands every operation to the block's
:meth:`~scalar_level.apply`, and a Tensor made here carries ``level = (block, values)``, so operations on it after
the block has closed, and its ``backward``, come back here too. Nothing in ``tensor.py`` imports this module.
"""

from __future__ import annotations

import numpy as np

from . import engine, value
from .engine import node_ids
from .rules import RULES
from .tensor import ACTIVE_LEVEL, Tensor, from_numpy


class scalar_level:
    """Context manager: Tensor operations inside record scalar ``Value`` nodes (see the module docstring).

    ``names``: a Module (its ``named_parameters()``) or a dict name → Tensor, used to label lifted elements.
    """

    def __init__(self, names=None):
        self.names = {}
        if names is not None:
            items = names.named_parameters() if hasattr(names, "named_parameters") else names.items()
            for n, t in items:
                self.names[id(t)] = n
        self.lifted = {}
        self.made = []
        self._prev = None

    def __enter__(self):
        self._prev = ACTIVE_LEVEL.backend
        ACTIVE_LEVEL.backend = self
        return self

    def __exit__(self, *exc):
        ACTIVE_LEVEL.backend = self._prev
        return False

    def apply(self, name, inputs, attrs):
        """Rule ``name`` on ``inputs`` at scalar level: a Tensor whose elements are Values (see the module)."""
        return apply_scalar(self, name, inputs, attrs)

    def backward(self, t: Tensor, gradient=None) -> None:
        """The Value engine from ``t``'s Values, then the gradients written back to the Tensors."""
        backward_scalar(t, gradient)

    def name(self, t: Tensor, label: str = "") -> None:
        self.names[id(t)] = label

    def values(self, t: Tensor) -> np.ndarray:
        """The object array of Values standing for ``t`` (lifting it if needed)."""
        if t.level is not None:
            return t.level[1]
        hit = self.lifted.get(id(t))
        if hit is not None:
            return hit[1]
        name = self.names.get(id(t)) or t.label or (f"t{t._id}" if t.requires_grad or t.data.size > 1 else "")
        arr = np.empty(t.shape, dtype=object)
        for idx in np.ndindex(t.shape):
            v = value.Value(float(t.data[idx]))
            if name:
                v.label = f"{name}[{','.join(map(str, idx))}]" if idx else name
            v._meta = (engine.current_scope(), None, "input")
            arr[idx] = v
        self.lifted[id(t)] = (t, arr)
        return arr


def _wrap(ctx, arr):
    data = np.empty(arr.shape, dtype=np.float64)
    for idx in np.ndindex(arr.shape):
        data[idx] = arr[idx].data
    t = from_numpy(data)
    t.level = (ctx, arr)
    ctx.made.append(t)
    return t


def _tag(arr, group, name):
    """Mark every Value this tensor op created (ids after ``group``) with (scope, group, op name), so the renderer
    can collapse them into their tensor op."""
    scope = engine.current_scope()
    stack = [v for v in arr.flat if v._id > group]
    while stack:
        v = stack.pop()
        if isinstance(v._meta, tuple) and v._meta[1] == group:
            continue
        v._meta = (scope, group, name)
        stack.extend(p for p in v._prev if p._id > group)


def apply_scalar(ctx, name, inputs, attrs):
    vals = [ctx.values(t) for t in inputs]
    rule = RULES[name]
    group = next(node_ids)
    if name == "where":
        out = np.where(attrs[0], vals[0], vals[1])
    elif rule.kind == "elementwise":
        bs = np.broadcast_arrays(*vals)
        out = np.empty(bs[0].shape, dtype=object)
        for idx in np.ndindex(out.shape):
            out[idx] = value.apply(name, tuple(b[idx] for b in bs), attrs)
    elif rule.kind == "reduce":
        out = _reduce(name, vals[0], attrs)
    elif name == "matmul":
        out = _matmul(vals[0], vals[1])
    elif name == "pad":
        (pw,) = attrs
        zero = value.Value(0.0)
        zero._meta = (engine.current_scope(), group, "pad")
        x = vals[0]
        out = np.empty(tuple(n + b + a for n, (b, a) in zip(x.shape, pw)), dtype=object)
        out[...] = zero
        out[tuple(slice(b, b + n) for n, (b, _) in zip(x.shape, pw))] = x
    elif name in ("scatter_add", "fold"):
        raise NotImplementedError(f"scalar_level: '{name}' appears only in a recorded backward pass "
                                  "(create_graph); differentiate scalar-level graphs with Value.backward")
    else:
        out = np.asarray(rule.forward(None, *vals, *attrs), dtype=object)
    _tag(out, group, name)
    return _wrap(ctx, out)


def _reduce(name, x, attrs):
    axis, keepdims = attrs[0], attrs[1]
    tie = attrs[2] if len(attrs) > 2 else None
    axes = tuple(range(x.ndim)) if axis is None else axis
    rest = tuple(i for i in range(x.ndim) if i not in axes)
    moved = x.transpose(rest + tuple(axes))
    lead = moved.shape[: len(rest)]
    flat = moved.reshape(lead + (-1,))
    out = np.empty(lead, dtype=object)
    for idx in np.ndindex(lead):
        row = list(flat[idx])
        if name == "sum":
            out[idx] = value.vsum(row)
        elif name == "prod":
            out[idx] = value.vprod(row)
        else:
            out[idx] = value.vmax(row, tie) if name == "amax" else value.vmin(row, tie)
    if keepdims:
        out = out.reshape(tuple(1 if i in axes else n for i, n in enumerate(x.shape)))
    return out


def _matmul(a, b):
    batch = a.shape[:-2]
    n, k, m = a.shape[-2], a.shape[-1], b.shape[-1]
    out = np.empty(batch + (n, m), dtype=object)
    for bi in np.ndindex(batch):
        for i in range(n):
            for j in range(m):
                out[bi + (i, j)] = value.vsum([a[bi + (i, kk)] * b[bi + (kk, j)] for kk in range(k)])
    return out


def backward_scalar(t: Tensor, gradient=None) -> None:
    """Backward from a scalar-level Tensor: the Value engine, then gradients written back to the Tensors."""
    ctx, arr = t.level
    roots = list(arr.flat)
    if gradient is None:
        if len(roots) != 1:
            raise RuntimeError(f"backward: the output has shape {t.shape}; pass gradient= for a non-scalar output")
        root_grads = [1.0]
    else:
        g = np.broadcast_to(np.asarray(getattr(gradient, "data", gradient), dtype=np.float64), t.shape)
        root_grads = [float(v) for v in g.flat]
    for _, varr in ctx.lifted.values():
        for v in varr.flat:
            v.grad = 0.0
    engine.backward(roots, root_grads)
    for src, varr in ctx.lifted.values():
        if src.requires_grad:
            g = np.array([v.grad for v in varr.flat], dtype=src.dtype).reshape(src.shape)
            src.grad = g if src.grad is None else src.grad + g
    for m in ctx.made:
        m.grad = np.array([v.grad for v in m.level[1].flat], dtype=np.float64).reshape(m.shape)
