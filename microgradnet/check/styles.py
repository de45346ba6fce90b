"""The signatures students really write, and how the grader calls each: one :class:`Runner` per submission.

Styles (detected from the object and its signature; ``style=`` / ``--style`` forces one):

- ``plain`` — a function called like the closed form's backward, ``fn(*inputs, g, **params)`` (e.g.
  ``conv2d_backward(x, w, b, g, stride=1, padding=0)``). Arguments are bound by name when every required parameter
  has a name the rule knows (``dout``/``dy``/``grad`` for ``g``, ``weight`` for ``w``, ``y``/``target`` for
  ``labels``…: so ``dropout_backward(mask, g, p, inverted)`` needs no ``x``), else by position. A loss may leave
  out ``g`` (the grader multiplies by it) and may return ``(loss, dscores)`` — cs231n's ``softmax_loss(x, y)`` and
  ``svm_loss(x, y)`` — whose loss value is checked too.
- ``cs231n`` — a forward ``f(x, …, param_dict) -> (out, cache)`` and a backward ``b(dout, cache) -> grads``
  (``conv_param`` {stride, pad}, ``pool_param`` {pool_height, pool_width, stride}, ``bn_param`` {mode, eps,
  momentum}, ``affine_forward(x, w, b)`` with ``x`` reshaped to (N, D) and ``w`` (D, M)). The grader runs the
  student's forward, checks its output, and feeds its cache to the backward. The forward is named with
  ``FORWARD,BACKWARD`` or found by replacing ``backward`` with ``forward`` in the backward's name.
- ``csc249`` — a layer class (CSC 249 HW2's ``layer.py``): ``forward(x)``, ``backward(x, dv_y) -> (dv_x, dv_W,
  dv_b)`` (or ``dv_x``), weights in ``self.W`` / ``self.b``, one ``(C, H, W)`` example (a column for
  ``FullyConnected``); ties go to every maximum by default (its Problem 5).
- ``tsinghua`` — a module class (Tsinghua DL HW1's ``module.py``): ``forward``/``_forward(x)``,
  ``backward``/``_backward(dy) -> dx``, parameter gradients in ``self.grads["weight"]`` / ``self.grads["bias"]``.

Case policy: a case needs parameters the style can express; a case that needs one it cannot (a stride the
function has no argument for, dilation for cs231n's ``conv_param``…) is SKIPPED with the parameter and the reason,
and :mod:`.grade` counts it (``strict`` turns a skipped stride, padding or kernel size into a failure). A function
without a ``tie`` (``kink``) argument implements one convention and is graded against the chosen one.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..closed_form import CLOSED_FORMS
from ..engine import Node
from . import layouts

__all__ = ["STYLES", "ACCEPTED", "StyleError", "CaseProblem", "Runner", "grad_names"]

STYLES = ("plain", "cs231n", "csc249", "tsinghua")

ACCEPTED = ("accepted signatures: plain fn(*inputs, g, **params) like the closed form (see `microgradnet check "
            "--list`), a loss fn(scores, labels) -> dscores or (loss, dscores); cs231n FORWARD,BACKWARD "
            "(forward(..., param) -> (out, cache), backward(dout, cache)); a layer class with forward(x) and "
            "backward(x, dout) (CSC 249) or backward(dout) with self.grads (Tsinghua)")


class StyleError(TypeError):
    """The submission fits no accepted signature for this rule (one line, naming what is accepted)."""


class CaseProblem(Exception):
    """What the function returned cannot be read as the rule's gradients (wrong count, None, not numbers…)."""


def grad_names(name: str) -> tuple[str, ...]:
    """The closed form's gradient names (``dx``, ``dW``…) from its NamedTuple, in ``wrt`` order."""
    rec = CLOSED_FORMS[name]
    inputs, params = rec.example(np.random.default_rng(0))
    y = rec.forward(*inputs, **params)
    res = rec.backward(*inputs, 1.0 if rec.loss else np.ones(np.shape(y)), **params)
    return tuple(getattr(type(res), "_fields", ())) or tuple(f"d{rec.inputs[i]}" for i in rec.wrt)


# ------------------------------------------------------------------------------------------- reading returns
def _number_array(name: str, what: str, item) -> np.ndarray:
    if item is None:
        raise CaseProblem(f"{name}: your function returned None for {what}")
    if isinstance(item, Node):  # a microgradnet Tensor (or Value): its numbers
        item = item.data
    try:
        return np.asarray(item, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise CaseProblem(f"{name}: your {what} is not an array of numbers ({type(item).__name__}: {e})") from None


def read_grads(name: str, got, *, loss_first: bool = False) -> tuple[list[np.ndarray], dict]:
    """The student's return value as float64 arrays in ``wrt`` order, and ``{"loss": value}`` when a loss
    returned ``(loss, dscores)``. A tuple/list/NamedTuple in the closed form's order, a dict keyed by the gradient
    (``dx``…) or input (``x``…) names, or one array for a rule with one gradient."""
    rec = CLOSED_FORMS[name]
    gnames = grad_names(name)
    n, what = len(gnames), ", ".join(gnames)
    extras = {}
    if rec.loss and isinstance(got, (tuple, list)) and len(got) == n + 1 and np.ndim(got[0]) == 0 and \
            not isinstance(got[0], (tuple, list)):
        extras["loss"] = _number_array(name, "loss", got[0])
        got = got[1] if n == 1 else tuple(got[1:])
    if isinstance(got, dict):
        keys = [k if k in got else rec.inputs[i] for k, i in zip(gnames, rec.wrt)]
        missing = [k for k in keys if k not in got]
        if missing:
            raise CaseProblem(f"{name}: your function returned a dict without {', '.join(missing)}; expected the "
                              f"keys {what}")
        items = [got[k] for k in keys]
    elif n == 1 and not isinstance(got, (tuple, list)):
        items = [got]
    elif n == 1 and isinstance(got, (tuple, list)) and len(got) == 1 and (
            hasattr(got, "_fields") or isinstance(got[0], (np.ndarray, Node)) or got[0] is None):
        items = [got[0]]
    elif n == 1 and isinstance(got, list):
        items = [got]  # nested lists: one array
    elif isinstance(got, (tuple, list)):
        if len(got) != n:
            inputs = ", ".join(rec.inputs[i] for i in rec.wrt)
            raise CaseProblem(f"{name}: your function returned {len(got)} value{'s' * (len(got) != 1)}; expected "
                              f"{n} ({what}: the gradients with respect to {inputs}, in that order)")
        items = list(got)
    else:
        raise CaseProblem(f"{name}: your function returned a {type(got).__name__}; expected {n} gradients ({what}) "
                          "as a tuple, list or dict")
    return [_number_array(name, gn, item) for gn, item in zip(gnames, items)], extras


# ------------------------------------------------------------------------------------------- binding by name
_ROLE_ALIASES = {
    "g": {"g", "dout", "dy", "grad", "grad_output", "grad_out", "upstream", "dl_dy", "dv_y", "dl_dout", "delta",
          "dl_dv", "dl_dz", "gy"},
    "x": {"x", "z", "input", "inputs", "a", "u"},
    "w": {"w", "weight", "weights", "kernel", "filters"},
    "b": {"b", "bias", "biases"},
    "scores": {"scores", "s", "x", "logits", "z"},
    "labels": {"labels", "y", "target", "targets", "t", "label"},
    "alpha": {"alpha", "a"},
    "mask": {"mask", "m"},
    "logp": {"logp", "log_probs", "x"},
    "y": {"y", "pred", "prediction", "yhat"},
    "t": {"t", "target", "targets"},
}
_PARAM_ALIASES = {"stride": ("stride", "strides"), "padding": ("padding", "pad"),
                  "kernel_size": ("kernel_size", "pool_size")}
CORE_PARAMS = ("stride", "padding", "kernel_size")
"""Parameters whose skip ``strict`` turns into a failure: they are the rule, not a convention."""


def _aliases(role: str) -> set[str]:
    return _ROLE_ALIASES.get(role.lower(), {role.lower()})


def _same(a, b) -> bool:
    """A case's parameter value equals the backward's default (``(1, 1)`` equals ``1``, as for stride)."""
    if a is None or b is None:
        return a is b
    try:
        return bool(np.all(np.asarray(a) == np.asarray(b)))
    except (TypeError, ValueError):
        return False


def _signature(obj) -> inspect.Signature | None:
    try:
        return inspect.signature(obj)
    except (TypeError, ValueError):
        return None


def _positional(sig) -> list[inspect.Parameter]:
    return [p for p in sig.parameters.values()
            if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)]


def _label(obj) -> str:
    return getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or type(obj).__name__


def _defaults(rec) -> dict:
    sig = inspect.signature(rec.backward)
    return {k: p.default for k, p in sig.parameters.items() if p.default is not inspect.Parameter.empty}


def _signature_text(rec) -> str:
    sig = inspect.signature(rec.backward).replace(return_annotation=inspect.Signature.empty)
    return f"{rec.backward.__name__}{sig}"


# ------------------------------------------------------------------------------------------------ the runner
@dataclass
class Runner:
    """A submission made callable on the sweep's cases.

    ``style``: its style; ``signature``: the signature as understood (for reports); ``tie`` / ``kink``: the
    convention every case is graded under (None: each case's own, passed to the function); ``batched``: the
    image layout (:func:`.layouts.adapt`); ``policy(case) -> (kwargs, skip)``; ``call(inputs, g, kwargs)``.
    """

    name: str
    style: str
    signature: str
    tie: str | None
    kink: str | None
    batched: bool
    policy: Callable
    call: Callable

    def convention(self) -> dict:
        """``{"tie": …, "kink": …}``: the overrides :func:`.grade.prepare` applies to the cases."""
        return {"tie": self.tie, "kink": self.kink}

    def run(self, case) -> tuple[list | None, dict, str | None, tuple[str, str] | None]:
        """``(grads, extras, error, skip)`` for one case (copies of its inputs, so the student cannot change them).
        The student's exceptions propagate (the caller decides how broadly to catch them)."""
        kwargs, skip = self.policy(case)
        if skip is not None:
            return None, {}, None, skip
        inputs = tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in case.inputs)
        g = np.array(case.g, copy=True) if isinstance(case.g, np.ndarray) else case.g
        try:
            grads, extras = layouts.adapt(self.name, self.call, inputs, g, kwargs, batched=self.batched)
        except CaseProblem as e:
            return None, {}, str(e), None
        return [np.asarray(a, dtype=np.float64) for a in grads], \
            {k: np.asarray(v, dtype=np.float64) for k, v in extras.items()}, None, None


def convention_policy(defaults, accepts: Callable[[str], str | None], extra_skip: Callable | None = None,
                      who: str = "your function"):
    """``policy(case) -> (kwargs for the student, skip)``: a parameter the function takes is passed (under the
    name it uses); ``tie``/``kink`` it does not take are graded under the chosen convention; any other parameter
    it does not take is left out at its default value, else the case is skipped."""

    def policy(case):
        if extra_skip is not None:
            skip = extra_skip(case)
            if skip is not None:
                return {}, skip
        kwargs = {}
        for k, v in case.params.items():  # the case is prepared: its tie and kink are the graded convention
            as_name = accepts(k)
            if as_name is not None:
                kwargs[as_name] = v
            elif k in ("tie", "kink") or (k in defaults and _same(v, defaults[k])):
                continue
            else:
                return {}, (k, f"{who} takes no {k} parameter")
        return kwargs, None

    return policy


def conventions(defaults: dict, accepts, tie, kink, default_tie: str) -> tuple[str | None, str | None]:
    """The (tie, kink) every case is graded under. ``tie``: the one asked for; else, for a function without a
    ``tie`` argument, ``default_tie`` (it implements one rule); else None (each case's own, passed to it).
    ``kink``: the one asked for, else ``"negative"``, for rules that have a kink."""
    if "tie" not in defaults:
        fn_tie = None
    elif tie is not None:
        fn_tie = tie
    else:
        fn_tie = default_tie if accepts("tie") is None else None
    fn_kink = (kink or "negative") if "kink" in defaults else None
    return fn_tie, fn_kink


def _accepts_fn(sig: inspect.Signature | None):
    if sig is None:
        return lambda k: k
    params = sig.parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return lambda k: k
    names = {k for k, p in params.items() if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                                        inspect.Parameter.KEYWORD_ONLY)}

    def accepts(k):
        for alias in _PARAM_ALIASES.get(k, (k,)):
            if alias in names:
                return alias
        return None

    return accepts


def _plain(fn, name: str, tie, kink) -> Runner:
    rec = CLOSED_FORMS[name]
    sig = _signature(fn)
    label = _label(fn)
    roles = list(rec.inputs) + ["g"]
    param_names = set(_defaults(rec))
    binding: dict[str, str] = {}  # the function's parameter → the case's role
    positional = _positional(sig) if sig is not None else []
    by_name = sig is not None
    for p in positional:
        hits = [r for r in roles if p.name.lower() in _aliases(r) and r not in binding.values()]
        if len(hits) == 1:
            binding[p.name] = hits[0]
        elif p.default is inspect.Parameter.empty and p.name not in param_names and \
                not any(p.name in al for al in _PARAM_ALIASES.values()):
            by_name = False
            break
    if by_name and "g" not in binding.values() and not rec.loss:
        by_name = False
    if not by_name:
        binding = {}
        required = [p for p in positional if p.default is inspect.Parameter.empty]
        n_in = len(rec.inputs)
        if sig is not None and not any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in sig.parameters.values()):
            if len(positional) < n_in + (0 if rec.loss else 1) or len(required) > n_in + 1:
                call = ", ".join(list(rec.inputs) + ["g"])
                raise StyleError(f"{name}: your function {label}{sig} cannot be called as {label}({call}). Expected "
                                 f"the signature of the closed form: {_signature_text(rec)}; {ACCEPTED}")
            for p, role in zip(positional, roles):
                binding[p.name] = role
    takes_g = sig is None or "g" in binding.values() or any(
        p.kind is inspect.Parameter.VAR_POSITIONAL for p in sig.parameters.values())
    defaults = _defaults(rec)
    accepts = _accepts_fn(sig)
    fn_tie, fn_kink = conventions(defaults, accepts, tie, kink, "first")

    def call(inputs, g, kwargs):
        values = dict(zip(rec.inputs, inputs))
        values["g"] = g
        if sig is None:
            got = fn(*inputs, g, **kwargs)
        elif binding:  # bound parameters by position while they run from the start, the rest by keyword
            named = {p: values[r] for p, r in binding.items()}
            args = []
            for p in positional:
                if p.name not in named:
                    break
                args.append(named.pop(p.name))
            got = fn(*args, **named, **kwargs)
        else:
            got = fn(*inputs, *([g] if takes_g else []), **kwargs)
        grads, extras = read_grads(name, got)
        if rec.loss and not takes_g:
            grads = [d * float(g) for d in grads]
        return grads, extras

    text = f"{label}{sig}" if sig is not None else label
    # an image API: conv batched (N, C, H, W) like the closed form; pooling one (C, H, W) example, as the sources
    # write it (CSC 249, Tsinghua, EN4553)
    batched = name not in ("max_pool2d", "avg_pool2d")
    return Runner(name, "plain", text, fn_tie, fn_kink, batched,
                  convention_policy(defaults, accepts), call)
