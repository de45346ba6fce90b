"""The one place where the grader adapts a case's shapes to the layout a student's function works in.

A sweep case is written in the closed form's layout (:mod:`.sweep`); a student's function may work in a narrower
one. The grader calls it in that narrower layout and maps what it returns back, so the comparison and the
mistake diagnosis always see the closed form's layout. Every adaptation is exact for a right answer (the math is
the same), so it never turns a right answer wrong or a wrong one right:

- **images** (``conv2d``, ``max_pool2d``, ``avg_pool2d``): a *batched* API gets an unbatched ``(C, H, W)`` case as
  a batch of one, and ∂L/∂x back without the batch axis; a *per-example* API (CSC 249's and Tsinghua's layers,
  pooling written for ``(C, H, W)``) gets a batch one example at a time: ∂L/∂x is stacked, ∂L/∂w and ∂L/∂b summed.
- **batch norm** written for 2-D ``(N, D)``: a 4-D ``(N, C, H, W)`` case is every ``(n, h, w)`` as one sample of C
  features, i.e. ``x.transpose(0, 2, 3, 1).reshape(-1, C)``, and ∂L/∂x reshaped back.
- **PReLU**: one call per channel with a plain number α (``x[:, c]``, ``α[c]``); ∂L/∂α is the sum of what each call
  returns (a scalar or an array).
- **cross entropy / NLL**: one example ``(C,)`` as a batch of one; target distributions ``t`` (CS 4670's p − t) for
  a function that takes class indices as ``Σ_k t_k · (its answer for label k)``, exact because ∂L/∂s is affine in t.
- **binary losses** (logistic, hinge): scores and labels flattened to 1-D (every score is one example), ∂L/∂s
  reshaped back.

``call(inputs, g, params) -> (grads, extras)`` is the style's call of the student's function (:mod:`.styles`); it
returns the gradients in the closed form's order and optionally ``extras`` (``"out"``, the forward value; ``"loss"``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["IMAGE_RULES", "adapt"]

IMAGE_RULES = ("conv2d", "max_pool2d", "avg_pool2d")

Call = Callable[[tuple, object, dict], tuple[list, dict]]


def _a(v) -> np.ndarray:
    return np.asarray(v, dtype=np.float64)


def _drop_batch(v):
    a = _a(v)
    return a[0] if a.ndim >= 1 and a.shape[0] == 1 else a


def _images(call: Call, inputs: tuple, g, params: dict, batched: bool):
    x = _a(inputs[0])
    if batched and x.ndim == 3:
        grads, extras = call((x[None],) + tuple(inputs[1:]), _a(g)[None], params)
        grads = [_drop_batch(grads[0])] + list(grads[1:])
        return grads, {k: _drop_batch(v) for k, v in extras.items()}
    if not batched and x.ndim == 4:
        per = [call((x[n],) + tuple(inputs[1:]), _a(g)[n], params) for n in range(x.shape[0])]
        grads = [np.stack([_a(p[0][0]) for p in per])]
        for k in range(1, len(per[0][0])):
            grads.append(sum(_a(p[0][k]) for p in per))
        extras = {key: np.stack([_a(p[1][key]) for p in per]) for key in per[0][1]}
        return grads, extras
    return call(inputs, g, params)


def _rows_back(v, shape):
    N, C, H, W = shape
    a = _a(v)
    return a.reshape(N, H, W, C).transpose(0, 3, 1, 2) if a.size == N * C * H * W else a


def _batch_norm(call: Call, inputs: tuple, g, params: dict):
    x = _a(inputs[0])
    if x.ndim != 4:
        return call(inputs, g, params)
    C = x.shape[1]
    rows = x.transpose(0, 2, 3, 1).reshape(-1, C)
    grads, extras = call((rows,) + tuple(inputs[1:]), _a(g).transpose(0, 2, 3, 1).reshape(-1, C), params)
    grads = [_rows_back(grads[0], x.shape)] + list(grads[1:])
    return grads, {k: _rows_back(v, x.shape) for k, v in extras.items()}


def _prelu(call: Call, inputs: tuple, g, params: dict):
    x, alpha, g = _a(inputs[0]), _a(inputs[1]), _a(g)
    if alpha.size == 1:
        (dx, da), extras = call((x, float(alpha.reshape(-1)[0])), g, params)
        return [dx, np.full(alpha.shape, float(np.sum(_a(da))))], extras
    dx, da = np.empty_like(x), np.empty(alpha.shape)
    outs = []
    for c in range(alpha.shape[0]):  # one α per channel (axis 1)
        (dxc, dac), extras = call((x[:, c], float(alpha[c])), g[:, c], params)
        dx[:, c], da[c] = _a(dxc), float(np.sum(_a(dac)))
        outs.append(extras.get("out"))
    extras = {"out": np.stack([_a(o) for o in outs], axis=1)} if all(o is not None for o in outs) else {}
    return [dx, da], extras


def _classes(name: str, call: Call, inputs: tuple, g, params: dict):
    s, labels = _a(inputs[0]), np.asarray(inputs[1])
    one = s.ndim == 1
    S = s[None] if one else s
    if name == "cross_entropy" and labels.dtype.kind == "f" and labels.shape == s.shape:
        T = labels[None] if one else labels
        d = 0.0
        for k in range(S.shape[1]):
            (dk,), _ = call((S, np.full(len(S), k, dtype=np.int64)), g, params)
            d = d + T[:, k:k + 1] * _a(dk)
        return [_drop_batch(d) if one else d], {}
    (d,), extras = call((S, np.atleast_1d(labels).astype(np.int64)), g, params)
    return [_drop_batch(d) if one else _a(d)], extras


def _binary(call: Call, inputs: tuple, g, params: dict):
    s = _a(inputs[0])
    (d,), extras = call((s.reshape(-1), np.asarray(inputs[1]).reshape(-1)), g, params)
    d = _a(d)
    return [d.reshape(s.shape) if d.size == s.size else d], extras


def adapt(name: str, call: Call, inputs: tuple, g, params: dict, *, batched: bool = True):
    """Run ``call`` on the case (``inputs``, ``g``, ``params``) in the layout the student's function takes and
    return ``(grads, extras)`` in the closed form's layout (see the module docstring). ``batched``: whether an
    image API takes ``(N, C, H, W)`` (True) or one ``(C, H, W)`` example (False)."""
    if name in IMAGE_RULES:
        return _images(call, inputs, g, params, batched)
    if name == "batch_norm":
        return _batch_norm(call, inputs, g, params)
    if name == "prelu":
        return _prelu(call, inputs, g, params)
    if name in ("cross_entropy", "nll"):
        return _classes(name, call, inputs, g, params)
    if name in ("logistic_loss", "hinge_loss"):
        return _binary(call, inputs, g, params)
    return call(inputs, g, params)
