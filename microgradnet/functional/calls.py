"""Which nodes came from one layer call: what lets a picture draw ``conv2d(x, w, b)`` as one box.

Each layer of :mod:`microgradnet.functional` is wrapped by :func:`layer`. A call made while gradients are recorded
reserves one tape id (``first_id``) before it runs, so every node the layer creates has an id above it, and tags its
output node with a :class:`LayerCall`: the function's name, the module scope it ran in (``conv``, ``features.0``),
its Tensor arguments by parameter name (``input``, ``weight``, ``bias``) and its other arguments (``stride=2``, a
short target list; a large array by its shape). The arguments are kept as given and sorted into those fields only
when a picture asks for the call (:func:`layer_call`). Nothing else is stored: the nodes inside the layer are exactly
the output's ancestors with an id above ``first_id``, found by a walk when a picture needs them
(:func:`members`).

A layer that calls another (``cross_entropy`` → ``log_softmax``, ``nll_loss``) tags the inner outputs too; when two
calls return the same node the outer tag wins and keeps the inner one in ``inner``. A layer that returns its input
unchanged (``dropout`` with ``p=0`` or in eval mode) tags nothing. Under ``no_grad`` nothing is recorded.

The tags live in one dict keyed by the output's id, with a weak reference to the output whose callback removes the
entry when the output is freed, so a tag lives exactly as long as its output. It holds the layer's Tensor arguments
(as a saved tensor does in PyTorch): an input that does not require grad, such as the image, is not on the tape
(nothing is recorded for it), and the picture still shows it. Cost per call: one id, one small object, one weak
reference, one dict entry (about 3 µs). At scalar level (:class:`microgradnet.scalar_level`) the elements of the
layer's output are also labelled ``name[i,j,…]`` (``conv2d[0,0,1,1]``) when they have no label yet, so scalar
pictures and tapes name them.

The core stays renderer-agnostic: this module knows nothing about drawing.
"""

from __future__ import annotations

import functools
import weakref

import numpy as np

from ..engine import Node, node_ids
from ..modes import PER_THREAD

__all__ = ["ArrayOf", "LayerCall", "defaults", "layer", "layer_call", "members"]

_SMALL = 8
"""Arrays with at most this many elements are kept (a target such as ``[3]``); larger ones by shape only."""


class LayerCall:
    """One call of a layer: ``name`` (the function, ``'conv2d'``), ``scope`` (the module scope it ran in, or
    None), ``first_id`` (every node the call made has a larger id), ``inputs`` (``(parameter name, node)`` for
    each Tensor argument, in argument order), ``options`` (``(parameter name, value)`` for the other arguments
    given: numbers, strings, tuples, small arrays; a large array as an :class:`ArrayOf`, its shape and dtype) and
    ``inner`` (the call of a nested layer that returned the same node, or None)."""

    __slots__ = ("name", "scope", "first_id", "inputs", "options", "inner")

    def __init__(self, name, scope, first_id, inputs, options, inner=None):
        self.name = name
        self.scope = scope
        self.first_id = first_id
        self.inputs = inputs
        self.options = options
        self.inner = inner

    def __repr__(self) -> str:
        ins = ", ".join(f"{k}=#{t._id}" for k, t in self.inputs)
        return f"LayerCall({self.name}({ins}), scope={self.scope!r}, first_id={self.first_id})"


_CALLS: dict = {}  # output id -> (weak reference to the output, LayerCall)


class _Ref(weakref.ref):
    """A weak reference to a layer's output that knows its key in ``_CALLS``."""

    __slots__ = ("key",)


def _drop(ref) -> None:
    hit = _CALLS.get(ref.key)
    if hit is not None and hit[0] is ref:
        del _CALLS[ref.key]


_DEFAULTS: dict = {}  # layer name -> {parameter: default value}


class ArrayOf:
    """A large array argument, kept as its shape and dtype only."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape, self.dtype = shape, dtype

    def __repr__(self) -> str:
        return f"array{self.shape} {self.dtype}"


def _option(v):
    """A non-Tensor argument as stored: itself when small and plain, else a short description."""
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, (tuple, list)) and len(v) <= _SMALL and all(isinstance(i, (bool, int, float)) for i in v):
        return tuple(v)
    if isinstance(v, np.ndarray):
        return v.copy() if v.size <= _SMALL else ArrayOf(v.shape, v.dtype)
    if isinstance(v, np.generic):
        return v.item()
    return type(v).__name__


def _record(out, name, first, params, args, kwargs) -> None:
    """Tag ``out``: the arguments are kept as given and turned into a :class:`LayerCall` only when a picture asks
    (:func:`layer_call`), so a call costs a weak reference and a dict entry."""
    oid = out._id
    prev = _CALLS.get(oid)
    inner = prev if prev is not None and prev[0]() is out else None
    ref = _Ref(out, _drop)
    ref.key = oid
    _CALLS[oid] = (ref, (name, PER_THREAD.modes.scope, first, params, args, kwargs, inner))
    vals = getattr(out, "level", None)
    if vals is not None:  # scalar level: name the output's elements after the layer
        arr = vals[1]
        for idx in np.ndindex(arr.shape):
            v = arr[idx]
            if not v.label and v._id > first:
                v.label = f"{name}[{','.join(map(str, idx))}]" if idx else name


def _build(entry) -> LayerCall:
    """The :class:`LayerCall` of a ``_CALLS`` entry (built once, then kept in the entry)."""
    raw = entry[1]
    if isinstance(raw, LayerCall):
        return raw
    name, scope, first, params, args, kwargs, inner = raw
    inputs, options = [], []
    for k, a in list(zip(params, args)) + list(kwargs.items()):
        if isinstance(a, Node):
            inputs.append((k, a))
        else:
            options.append((k, _option(a)))
    call = LayerCall(name, scope, first, tuple(inputs), tuple(options), None if inner is None else _build(inner))
    key = entry[0].key
    if _CALLS.get(key) is entry:
        _CALLS[key] = (entry[0], call)
    return call


def layer(fn):
    """Decorator for a layer function: record each call on its output (see the module docstring)."""
    name = fn.__name__
    params = fn.__code__.co_varnames[:fn.__code__.co_argcount]
    _DEFAULTS[name] = dict(zip(params[len(params) - len(fn.__defaults__ or ()):], fn.__defaults__ or ()),
                           **(fn.__kwdefaults__ or {}))

    @functools.wraps(fn)
    def call(*args, **kwargs):
        if not PER_THREAD.modes.grad:
            return fn(*args, **kwargs)
        first = next(node_ids)
        out = fn(*args, **kwargs)
        if isinstance(out, Node) and out._id > first:
            _record(out, name, first, params, args, kwargs)
        return out

    call.layer_name = name
    return call


def defaults(name: str) -> dict:
    """The default values of layer ``name``'s parameters (``{'stride': 1, 'padding': 0, …}``)."""
    return dict(_DEFAULTS.get(name, {}))


def layer_call(node) -> LayerCall | None:
    """The outermost layer call whose output is ``node``, or None."""
    hit = _CALLS.get(node._id)
    if hit is None or hit[0]() is not node:
        return None
    return _build(hit)


def members(out, call: LayerCall) -> list:
    """The nodes ``call`` made to compute ``out`` (``out`` included), in creation order: ``out``'s ancestors with an
    id above ``call.first_id``. Iterative; visits only those nodes and their parents."""
    seen = {out._id: out}
    stack = [out]
    first = call.first_id
    while stack:
        for p in stack.pop()._prev:
            if p._id > first and p._id not in seen:
                seen[p._id] = p
                stack.append(p)
    return [seen[k] for k in sorted(seen)]
