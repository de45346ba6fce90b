"""The machinery of the op catalogue: input specs, running one case on a library, comparing two runs.

A case is written once as student code, ``call(L, *inputs, **kwargs)``, where ``L`` is a small namespace with
``L.t`` (the top module: ``microgradnet`` or ``torch``), ``L.F`` (``functional``) and ``L.nn``. The same call then
runs on microgradnet and, in ``make parity``, on PyTorch, from the same numpy inputs.

Nothing here imports microgradnet or torch at module level: the runner hands the library in, so the catalogue
can also be run against an older checkout of microgradnet (the "before" column of the parity report).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np

FLOATS = ("float64", "float32")


@dataclass(frozen=True)
class Arr:
    """An input tensor: ``shape`` and a ``domain`` the values are drawn from (seeded by the op's name), or fixed
    ``values``. ``dtype`` None means the case's float dtype; ``grad`` marks an input to differentiate."""

    shape: tuple = ()
    domain: str = "any"
    dtype: str | None = None
    grad: bool = True
    values: object = None

    def array(self, rng: np.random.Generator, float_dtype: str) -> np.ndarray:
        dt = self.dtype or float_dtype
        if self.values is not None:
            return np.array(self.values, dtype=dt)
        return draw(self.domain, self.shape, rng).astype(dt)

    def differentiable(self, float_dtype: str) -> bool:
        return self.grad and np.dtype(self.dtype or float_dtype).kind == "f"


def A(*shape, domain="any", dtype=None, grad=True):
    """An input of ``shape`` (see :class:`Arr`)."""
    return Arr(tuple(shape), domain, dtype, grad)


def V(values, dtype=None, grad=True):
    """An input with fixed values (an edge point, an integer index tensor ...)."""
    return Arr(np.shape(values), "fixed", dtype, grad, values)


def I(*shape, high=5, low=0):  # noqa: E743 - I for an integer tensor, as A for an array
    """An int64 input with values in [low, high)."""
    return Arr(tuple(shape), f"int:{low}:{high}", "int64", False)


def draw(domain: str, shape: tuple, rng: np.random.Generator) -> np.ndarray:
    """Values for an input. Domains keep finite differences away from kinks and ties:

    ``any`` N(0, 1); ``pos`` U(0.5, 2); ``unit`` U(0.05, 0.95); ``away`` ±U(0.3, 2) (away from 0); ``trig``
    U(−0.9, 0.9); ``distinct`` a permutation of evenly spaced values (no ties, gaps ≥ 0.05); ``int:lo:hi``
    integers; ``bool``; ``probs`` rows (last axis) that are probabilities; ``halves`` ±(k + U(0.1, 0.4)) (never
    a tie for round)."""
    n = int(np.prod(shape)) if shape else 1
    if domain == "any":
        v = rng.standard_normal(n)
    elif domain == "pos":
        v = rng.uniform(0.5, 2.0, n)
    elif domain == "unit":
        v = rng.uniform(0.05, 0.95, n)
    elif domain == "away":
        v = rng.choice((-1.0, 1.0), n) * rng.uniform(0.3, 2.0, n)
    elif domain == "trig":
        v = rng.uniform(-0.9, 0.9, n)
    elif domain == "distinct":
        v = rng.permutation(np.linspace(-2.0, 2.0, max(n, 2))[:n] + 0.05 * np.arange(n) / max(n, 1))
    elif domain == "halves":
        v = rng.integers(-3, 3, n) + rng.choice((-1.0, 1.0), n) * rng.uniform(0.1, 0.4, n)
    elif domain.startswith("int:"):
        lo, hi = (int(s) for s in domain.split(":")[1:])
        return rng.integers(lo, hi, n).reshape(shape)
    elif domain == "bool":
        return (rng.random(n) < 0.5).reshape(shape)
    elif domain == "probs":
        z = np.exp(rng.standard_normal(n).reshape(shape))
        return z / z.sum(-1, keepdims=True) if shape else np.ones(())
    else:
        raise ValueError(f"opinfo: unknown domain {domain!r}")
    return v.reshape(shape)


@dataclass
class Sample:
    """One way to call an op: inputs (``Arr`` specs or plain Python values) and keyword arguments."""

    inputs: tuple
    kwargs: dict = field(default_factory=dict)
    note: str = ""
    raises: type | None = None  # a misuse: microgradnet must raise an instance of this builtin class
    out: object = None  # hand-worked expected output (edge points), checked without PyTorch
    grads: tuple | None = None  # hand-worked expected gradients, one per differentiable input
    fd: bool = True  # False: on a kink or a domain edge, where central differences do not apply


def S(*inputs, note="", raises=None, out=None, grads=None, fd=True, **kwargs):
    return Sample(tuple(inputs), kwargs, note, raises, out, grads, fd)


@dataclass
class OpInfo:
    """One public op. ``name`` is what a student writes (``F.softmax``, ``Tensor.sum``, ``x + y``); ``call`` runs
    it; ``samples`` are ordinary inputs, ``edges`` points on a domain edge or a convention (hand-worked ``out``
    and ``grads``), ``errors`` misuses that must raise. ``dtypes``: the float dtypes each ordinary sample runs in
    (``(None,)`` when the inputs fix their dtypes). ``grad``: whether the op is differentiated. ``value``: the
    same op on ``Value`` (``value(*scalars)``), checked against the Tensor op at every edge point."""

    name: str
    family: str
    call: object
    samples: list
    edges: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    dtypes: tuple = FLOATS
    grad: bool = True
    convention: str = ""
    value: object = None
    rtol: float = 1e-6
    nondeterministic: bool = False  # random ops: only shapes and dtypes are compared

    def cases(self):
        """(kind, index, sample, float dtype) for every case of this op, in a fixed order."""
        for i, s in enumerate(self.samples):
            for dt in self.dtypes:
                yield "sample", i, s, dt or "float64"
        for i, s in enumerate(self.edges):
            yield "edge", i, s, "float64"
        for i, s in enumerate(self.errors):
            yield "error", i, s, "float64"


def seed_of(name: str, kind: str, index: int) -> int:
    return zlib.crc32(f"{name}|{kind}|{index}".encode())


def arrays(op: OpInfo, kind: str, index: int, sample: Sample, float_dtype: str) -> list:
    """The numpy inputs of a case (Python values pass through), identical for every library."""
    rng = np.random.default_rng(seed_of(op.name, kind, index))
    return [x.array(rng, float_dtype) if isinstance(x, Arr) else x for x in sample.inputs]


def keyword_args(L, sample: Sample, float_dtype: str) -> dict:
    """The sample's keyword arguments, tensors (class weights, pos_weight ...) made in the library, never
    differentiated."""
    rng = np.random.default_rng(0)
    return {k: L.t.tensor(v.array(rng, float_dtype)) if isinstance(v, Arr) else v for k, v in sample.kwargs.items()}


# ---------------------------------------------------------------------------------------------------- libraries
def microgradnet_lib():
    import microgradnet as mg
    import microgradnet.functional as F
    import microgradnet.nn as nn
    import microgradnet.optim  # noqa: F401 - L.t.optim, as torch.optim
    return SimpleNamespace(name="microgradnet", t=mg, F=F, nn=nn, tensor_type=mg.Tensor)


def torch_lib():
    import torch
    import torch.nn.functional as F
    import torch.optim  # noqa: F401
    torch.set_default_dtype(torch.float64)  # microgradnet's default; dtypes are compared with this set
    return SimpleNamespace(name="torch", t=torch, F=F, nn=torch.nn, tensor_type=torch.Tensor)


def to_lib(L, x, spec, float_dtype):
    """A numpy input as the library's tensor (requires_grad when the spec says so); other values as they are."""
    if not isinstance(spec, Arr):
        return x
    return L.t.tensor(x, requires_grad=spec.differentiable(float_dtype))


def to_numpy(L, x):
    if isinstance(x, L.tensor_type):
        if L.name == "torch":
            return x.detach().numpy()
        return np.asarray(x.data)
    return x


def flat_outputs(L, out) -> list:
    """The op's result as a list: tensors, numbers and bools in order (tuples and named tuples unpacked; a list,
    as ``tolist`` gives, is one value)."""
    if isinstance(out, tuple):
        res = []
        for o in out:
            res.extend(flat_outputs(L, o))
        return res
    return [out]


@dataclass
class Run:
    """What one library did on one case."""

    error: BaseException | None = None
    outs: list = field(default_factory=list)  # numpy arrays or Python values
    grads: list = field(default_factory=list)  # one per differentiable input: numpy array or None
    missing: bool = False  # the op's name does not exist in this library


def weights_for(outs, seed, unit=False):
    """A fixed weight per output element (U(0.5, 1.5)), or 1 everywhere for edge points (so their hand-worked
    gradients are plain derivatives)."""
    rng = np.random.default_rng(seed)
    return [(np.ones(np.shape(o)) if unit else rng.uniform(0.5, 1.5, np.shape(o)))
            if isinstance(o, np.ndarray) and o.dtype.kind == "f" else None for o in outs]


def run_case(L, op: OpInfo, kind, index, sample: Sample, float_dtype: str, backward=True) -> Run:
    """Run one case on library ``L``: forward, then (when the op is differentiated) backward of
    L = Σ_k Σ (out_k ⊙ w_k) with fixed weights w_k, so every output element gets a distinct upstream gradient."""
    xs = arrays(op, kind, index, sample, float_dtype)
    ins = [to_lib(L, x, s, float_dtype) for x, s in zip(xs, sample.inputs)]
    run = Run()
    try:
        out = op.call(L, *ins, **keyword_args(L, sample, float_dtype))
    except AttributeError as e:
        run.error, run.missing = e, True
        return run
    except Exception as e:  # noqa: BLE001 - a crash is a finding
        run.error = e
        return run
    raw = flat_outputs(L, out)
    run.outs = [to_numpy(L, o) for o in raw]
    diff = [t for t, s in zip(ins, sample.inputs) if isinstance(s, Arr) and s.differentiable(float_dtype)]
    if not (backward and op.grad and diff):
        return run
    ws = weights_for(run.outs, seed_of(op.name, kind, index) + 1, unit=kind == "edge")
    loss = None
    for o, w in zip(raw, ws):
        if not _in_loss(L, o, w, float_dtype):
            continue
        term = (o * L.t.tensor(w).to(o.dtype)).sum()
        loss = term if loss is None else loss + term
    if loss is None:
        return run
    try:
        loss.backward()
    except Exception as e:  # noqa: BLE001
        run.error = e
        return run
    for t in diff:
        g = t.grad
        run.grads.append(None if g is None else np.array(to_numpy(L, g) if L.name == "torch" else g))
    return run


def _in_loss(L, o, w, float_dtype) -> bool:
    """An output the loss differentiates: a tensor on the tape in the case's float dtype (a cast to another dtype
    is checked for its dtype, not by finite differences, whose float32 rounding would swamp the step)."""
    return (w is not None and isinstance(o, L.tensor_type) and bool(getattr(o, "requires_grad", False))
            and dtype_name(to_numpy(L, o)) == float_dtype)


def loss_of(L, op: OpInfo, kind, index, sample: Sample, float_dtype: str, xs: list) -> float:
    """The weighted loss of :func:`run_case` for given numpy inputs, computed forward only (for finite
    differences)."""
    ins = [to_lib(L, x, s, float_dtype) for x, s in zip(xs, sample.inputs)]
    raw = flat_outputs(L, op.call(L, *ins, **keyword_args(L, sample, float_dtype)))
    outs = [to_numpy(L, o) for o in raw]
    ws = weights_for(outs, seed_of(op.name, kind, index) + 1, unit=kind == "edge")
    return float(sum(np.sum(np.asarray(o, dtype=np.float64) * w) for r, o, w in zip(raw, outs, ws)
                     if _in_loss(L, r, w, float_dtype)))


def central_differences(L, op, kind, index, sample, eps=1e-6) -> list:
    """∂loss/∂input for each differentiable input, by central differences in float64."""
    xs = [np.array(x, dtype=np.float64) if isinstance(s, Arr) and s.differentiable("float64") else x
          for x, s in zip(arrays(op, kind, index, sample, "float64"), sample.inputs)]
    res = []
    for k, s in enumerate(sample.inputs):
        if not (isinstance(s, Arr) and s.differentiable("float64")):
            continue
        x = xs[k]
        g = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            old = x[idx]
            x[idx] = old + eps
            fp = loss_of(L, op, kind, index, sample, "float64", xs)
            x[idx] = old - eps
            fm = loss_of(L, op, kind, index, sample, "float64", xs)
            x[idx] = old
            g[idx] = (fp - fm) / (2 * eps)
        res.append(g)
    return res


def dtype_name(x) -> str:
    if isinstance(x, np.ndarray):
        return str(x.dtype)
    return type(x).__name__


def same_values(a, b, rtol, atol) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype.kind not in "biuf" or b.dtype.kind not in "biuf":
        return bool(np.array_equal(a, b))
    if a.dtype.kind in "biu" and b.dtype.kind in "biu":
        return bool(np.array_equal(a, b))
    return bool(np.allclose(a.astype(np.float64), b.astype(np.float64), rtol=rtol, atol=atol, equal_nan=True))
