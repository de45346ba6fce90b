"""The forward/backward styles (:mod:`.styles`): cs231n's function pairs, and CSC 249 / Tsinghua layer classes.

Both run the student's FORWARD first (its output is checked against the closed form's, as ``out``) and then the
backward on what the forward kept: cs231n's ``cache``, or the object's own state. Parameters are given the way
each course's code takes them — cs231n's ``conv_param`` / ``pool_param`` / ``bn_param`` dictionaries; a class's
constructor arguments by name (``in_channels``, ``kernel_size``, ``stride``, ``padding``, ``shape``…) and its
weights set on the attributes it uses (``W``/``b``, ``weight``/``bias`` or ``params[...]``).
"""

from __future__ import annotations

import inspect

import numpy as np

from ..args import as_pair
from ..closed_form import CLOSED_FORMS
from .styles import (
    ACCEPTED,
    CaseProblem,
    Runner,
    StyleError,
    _defaults,
    _label,
    _positional,
    _signature,
    convention_policy,
    conventions,
    read_grads,
)

__all__ = ["detect", "cs231n", "layer_class", "CS231N_RULES", "CLASS_RULES"]

CS231N_RULES = ("conv2d", "max_pool2d", "batch_norm", "relu", "tanh", "sigmoid", "linear", "linear_rows")
CLASS_RULES = ("conv2d", "conv2d_chw", "max_pool2d", "linear", "relu", "tanh", "sigmoid")


def _method(cls, *names):
    for n in names:
        m = getattr(cls, n, None)
        if callable(m):
            return n, m
    return None, None


def detect(obj, forward=None) -> str:
    """The style of ``obj``: a class → ``csc249`` (``backward(x, dout)``) or ``tsinghua`` (``backward(dout)``); a
    forward given, or a backward ``(dout, cache)`` → ``cs231n``; else ``plain``."""
    if inspect.isclass(obj):
        name, bwd = _method(obj, "backward", "_backward")
        sig = _signature(bwd) if bwd is not None else None
        if sig is None:
            raise StyleError(f"class {obj.__name__} has no backward method; {ACCEPTED}")
        n = len(_positional(sig)) - 1
        if n == 2:
            return "csc249"
        if n == 1:
            return "tsinghua"
        raise StyleError(f"{obj.__name__}.{name}{sig} takes {n} arguments besides self; expected backward(x, dout) "
                         f"(CSC 249) or backward(dout) (Tsinghua); {ACCEPTED}")
    if forward is not None:
        return "cs231n"
    sig = _signature(obj)
    if sig is not None:
        names = [p.name for p in _positional(sig)]
        if len(names) == 2 and names[1] == "cache":
            return "cs231n"
    return "plain"


# ------------------------------------------------------------------------------------------------ cs231n
def _cs231n_forward_args(name, inputs, kw):
    if name == "conv2d":
        x, w, b = inputs
        return (x, w, b, {"stride": as_pair(kw.get("stride", 1))[0], "pad": as_pair(kw.get("padding", 0))[0]})
    if name == "max_pool2d":
        k = as_pair(kw["kernel_size"])
        s = as_pair(kw.get("stride") if kw.get("stride") is not None else k)
        return (inputs[0], {"pool_height": k[0], "pool_width": k[1], "stride": s[0]})
    if name == "batch_norm":
        return (*inputs, {"mode": "train", "eps": kw.get("eps", 1e-5), "momentum": 0.9})
    return tuple(inputs)


def _cs231n_skip(name):
    def skip(case):
        p = case.params
        if name == "conv2d":  # a core parameter first, so that --strict sees it
            for k in ("stride", "padding"):
                a, b = as_pair(p.get(k, 0))
                if a != b:
                    return (k, f"cs231n's conv_param has one {'pad' if k == 'padding' else k} for both directions")
            if as_pair(p.get("dilation", 1)) != (1, 1):
                return ("dilation", "cs231n's conv_param has no dilation")
        if name == "max_pool2d":
            if as_pair(p.get("padding", 0)) != (0, 0):
                return ("padding", "cs231n's pool_param has no padding")
            s = p.get("stride") if p.get("stride") is not None else p["kernel_size"]
            if as_pair(s)[0] != as_pair(s)[1]:
                return ("stride", "cs231n's pool_param has one stride for both directions")
        if name == "linear" and np.ndim(case.inputs[2]) == 2 and np.shape(case.inputs[2])[1] != 1:
            return ("b", "cs231n's affine has one bias per output")
        return None
    return skip


def cs231n(bwd, fwd, name: str, tie, kink) -> Runner:
    """cs231n's ``forward(...) -> (out, cache)`` and ``backward(dout, cache)`` (see :mod:`.styles`)."""
    if name not in CS231N_RULES:
        raise StyleError(f"{name}: the cs231n style covers {', '.join(CS231N_RULES)} (a loss like softmax_loss(x, y) "
                         f"-> (loss, dx) is graded as a plain function); {ACCEPTED}")
    if fwd is None:
        guess = getattr(bwd, "__name__", "").replace("backward", "forward")
        fwd = getattr(bwd, "__globals__", {}).get(guess)
        if not callable(fwd):
            raise StyleError(f"{name}: {_label(bwd)}(dout, cache) is a cs231n backward; its forward {guess!r} was not "
                             "found: name both, --func FORWARD,BACKWARD")
    expressible = {"conv2d": ("stride", "padding"), "max_pool2d": ("kernel_size", "stride"),
                   "batch_norm": ("eps",)}.get(name, ())

    def accepts(k):
        return k if k in expressible else None

    defaults = _defaults(CLOSED_FORMS[name])
    fn_tie, fn_kink = conventions(defaults, accepts, tie, kink, "first")

    def call(inputs, g, kw):
        if name == "linear":  # CSC 249's columns y = Wx + b as cs231n rows: out = x_rowsᵀ… with w = Wᵀ (D, M)
            x, W, b = inputs
            xr = np.asarray(x).reshape(W.shape[1], -1).T
            res = fwd(xr, np.asarray(W).T.copy(), np.asarray(b).reshape(-1))
            out, cache = _out_cache(name, res)
            got = bwd(np.asarray(g).reshape(W.shape[0], -1).T, cache)
            (dx, dw, db), _ = read_grads(name, got)
            y_shape = (W.shape[0],) if np.ndim(x) == 1 else (W.shape[0], np.shape(x)[1])
            return [dx.T.reshape(np.shape(x)) if dx.size == np.size(x) else dx, dw.T,
                    db.reshape(np.shape(b)) if db.size == np.size(b) else db], \
                {"out": _reshaped(np.asarray(out, dtype=float).T, y_shape)}
        one = name == "linear_rows" and np.ndim(inputs[0]) == 1  # one instance: a batch of one
        if one:
            inputs, g = (np.asarray(inputs[0])[None],) + tuple(inputs[1:]), np.asarray(g)[None]
        res = fwd(*_cs231n_forward_args(name, inputs, kw))
        out, cache = _out_cache(name, res)
        grads, _ = read_grads(name, bwd(g, cache))
        if one:
            grads[0] = grads[0][0] if grads[0].ndim == 2 and grads[0].shape[0] == 1 else grads[0]
            out = np.asarray(out)[0] if np.ndim(out) == 2 and np.shape(out)[0] == 1 else out
        return grads, {"out": out}

    text = f"{_label(fwd)}{_signature(fwd) or ''} -> (out, cache); {_label(bwd)}{_signature(bwd) or ''}"
    return Runner(name, "cs231n", text, fn_tie, fn_kink, True, convention_policy(defaults, accepts, _cs231n_skip(name)),
                  call)


def _out_cache(name, res):
    if not (isinstance(res, tuple) and len(res) == 2):
        raise CaseProblem(f"{name}: your forward returned a {type(res).__name__}; a cs231n forward returns "
                          "(out, cache)")
    return res


def _reshaped(a: np.ndarray, shape) -> np.ndarray:
    return a.reshape(shape) if a.size == int(np.prod(shape)) else a


# ------------------------------------------------------------------------------------------------ classes
_CANDIDATES = {
    "conv": lambda w, s, p, chans: {
        **dict.fromkeys(("in_channel", "in_channels", "c_in", "channels_in"), w.shape[1]),
        **dict.fromkeys(("out_channel", "out_channels", "c_out", "num_filters", "n_filters", "channels_out"),
                        w.shape[0]),
        "kernel_size": tuple(w.shape[2:]) if chans else tuple(w.shape),
        **dict.fromkeys(("filter_size", "filter_shape", "shape", "weight_shape"), tuple(w.shape)),
        **dict.fromkeys(("stride", "strides"), s), **dict.fromkeys(("padding", "pad"), p)},
    "pool": lambda k, s, p: {**dict.fromkeys(("kernel_size", "pool_size", "size", "kernel"), k),
                             **dict.fromkeys(("stride", "strides"), s), **dict.fromkeys(("padding", "pad"), p)},
    "linear": lambda W: {"shape": tuple(W.shape),
                         **dict.fromkeys(("d_in", "in_features", "input_size", "in_dim", "n_in"), W.shape[1]),
                         **dict.fromkeys(("d_out", "out_features", "output_size", "out_dim", "n_out"), W.shape[0])},
}
_CHANNEL_ARGS = ("in_channel", "in_channels", "c_in", "channels_in")
_CTOR_ALIASES = {"stride": ("stride", "strides"), "padding": ("padding", "pad"),
                 "kernel_size": ("kernel_size", "pool_size", "size", "kernel")}


def _candidates(cls, name, inputs, kw) -> dict:
    init = _signature(cls)
    names = set(init.parameters) if init is not None else set()
    if name in ("conv2d", "conv2d_chw"):
        return _CANDIDATES["conv"](np.asarray(inputs[1]), as_pair(kw.get("stride", 1)), as_pair(kw.get("padding", 0)),
                                   bool(names & set(_CHANNEL_ARGS)))
    if name == "max_pool2d":
        k = as_pair(kw["kernel_size"])
        s = as_pair(kw.get("stride") if kw.get("stride") is not None else k)
        return _CANDIDATES["pool"](k, s, as_pair(kw.get("padding", 0)))
    if name == "linear":
        return _CANDIDATES["linear"](np.asarray(inputs[1]))
    return {}


def _construct(cls, name, inputs, kw):
    cands = _candidates(cls, name, inputs, kw)
    init = _signature(cls)
    args, complete = {}, init is not None
    for p in (init.parameters.values() if init is not None else ()):
        if p.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        if p.name in cands:
            args[p.name] = cands[p.name]
        elif p.default is inspect.Parameter.empty:
            complete = False
    obj = cls(**args) if complete else cls.__new__(cls)
    if not complete:  # a constructor the grader cannot fill: set what a layer usually keeps
        for k, v in cands.items():
            setattr(obj, k, v)
    return obj


_PARAM_ATTRS = (("W", "b"), ("weight", "bias"), ("w", "b"), ("weights", "biases"))


def _like(old, new: np.ndarray) -> np.ndarray:
    """``new`` shaped like the array the object had (a (K, 1) bias stays (K, 1))."""
    old = np.asarray(old) if old is not None else None
    if old is not None and old.size == new.size and old.shape != new.shape:
        return new.reshape(old.shape).copy()
    return new.copy()


def _set_params(obj, W, b):
    done = False
    for wn, bn in _PARAM_ATTRS:
        if hasattr(obj, wn):
            setattr(obj, wn, _like(getattr(obj, wn), W))
            setattr(obj, bn, _like(getattr(obj, bn, None), b))
            done = True
    params = getattr(obj, "params", None)
    if isinstance(params, dict):
        for wn, bn in _PARAM_ATTRS:
            if wn in params:
                params[wn] = _like(params[wn], W)
                params[bn] = _like(params.get(bn), b)
                done = True
    if not done:
        obj.W, obj.b, obj.weight, obj.bias = W.copy(), b.copy(), W.copy(), b.copy()
        obj.params = {"weight": W.copy(), "bias": b.copy()}


def _param_grads(obj, name):
    grads = getattr(obj, "grads", None)
    found = []
    for keys in (("weight", "W", "w", "weights"), ("bias", "b", "biases")):
        value = None
        if isinstance(grads, dict):
            value = next((grads[k] for k in keys if k in grads and grads[k] is not None), None)
        if value is None:
            attrs = [f"d{k}" for k in keys] + [f"grad_{k}" for k in keys] + [f"{k}_grad" for k in keys]
            value = next((getattr(obj, a) for a in attrs if getattr(obj, a, None) is not None), None)
        if value is None:
            raise CaseProblem(f"{name}: your backward returned ∂L/∂x but left no {keys[0]} gradient in "
                              f"self.grads[{keys[0]!r}]")
        found.append(value)
    return found


def _class_skip(name, style):
    def skip(case):
        if name == "conv2d" and as_pair(case.params.get("dilation", 1)) != (1, 1):
            return ("dilation", "the layer class takes no dilation")
        if name == "linear" and np.ndim(case.inputs[0]) == 2 and np.shape(case.inputs[0])[1] != 1:
            return ("x", "a layer's forward takes one column x (L, 1), not a batch of columns")
        return None
    return skip


def layer_class(cls, name: str, style: str, tie, kink) -> Runner:
    """A CSC 249 (``backward(x, dout)``) or Tsinghua (``backward(dout)``, ``self.grads``) layer class."""
    if not inspect.isclass(cls):
        raise StyleError(f"{name}: the {style} style grades a class (e.g. Conv2D), got a {type(cls).__name__}; "
                         f"{ACCEPTED}")
    if name not in CLASS_RULES:
        raise StyleError(f"{name}: the layer-class styles cover {', '.join(CLASS_RULES)}")
    rec = CLOSED_FORMS[name]
    expressible = {"conv2d": ("stride", "padding"), "conv2d_chw": ("stride", "padding"),
                   "max_pool2d": ("kernel_size", "stride", "padding")}.get(name, ())
    init = _signature(cls)
    takes = None if init is None or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in init.parameters.values()) \
        else set(init.parameters)

    def accepts(k):  # a parameter the class's constructor has no argument for cannot be given to it
        if k not in expressible:
            return None
        return k if takes is None or takes & set(_CTOR_ALIASES[k]) else None

    defaults = _defaults(rec)
    fn_tie, fn_kink = conventions(defaults, accepts, tie, kink, "all" if style == "csc249" else "first")
    with_params = name in ("conv2d", "conv2d_chw", "linear")
    fwd_name, _ = _method(cls, "forward", "_forward", "__call__")
    bwd_name, _ = _method(cls, "backward", "_backward")

    def call(inputs, g, kw):
        obj = _construct(cls, name, inputs, kw)
        x, g = np.asarray(inputs[0]), np.asarray(g)
        if name == "linear":  # one column
            x, g = x.reshape(-1, 1), g.reshape(-1, 1)
        if with_params:
            _set_params(obj, np.asarray(inputs[1], dtype=np.float64), np.asarray(inputs[2], dtype=np.float64))
        if style == "tsinghua" and not isinstance(getattr(obj, "grads", None), dict):
            obj.grads = {}
        out = getattr(obj, fwd_name)(x.copy())
        if style == "csc249":
            got = getattr(obj, bwd_name)(x.copy(), g)
        else:
            dx = getattr(obj, bwd_name)(g)
            got = (dx, *_param_grads(obj, name)) if with_params else dx
        grads, _ = read_grads(name, got)
        shapes = [np.shape(inputs[i]) for i in rec.wrt]
        grads = [_reshaped(d, s) for d, s in zip(grads, shapes)]
        y_shape = np.shape(rec.forward(*inputs, **kw)) if name == "linear" else np.shape(out)
        return grads, {"out": _reshaped(np.asarray(out, dtype=np.float64), y_shape)}

    text = f"class {cls.__name__}: {fwd_name}(x), {bwd_name}({'x, dout' if style == 'csc249' else 'dout'})"
    return Runner(name, style, text, fn_tie, fn_kink, False,
                  convention_policy(defaults, accepts, _class_skip(name, style), "your class's constructor"), call)
