"""``gradcheck``: autodiff against central finite differences, element by element, in float64.

numeric ∂f/∂xᵢ ≈ (f(x + ε eᵢ) − f(x − ε eᵢ)) / 2ε   (error O(ε²))

An element passes when |analytic − numeric| ≤ atol + rtol·|numeric|. The report also gives the cs231n relative
error |a − n| / max(|a|, |n|) (below ~1e-7 is excellent, above ~1e-2 usually a bug), the worst elements, and
warnings: float32 inputs (finite differences then mean little) and points within ε of a kink (relu at 0, a tie
in a max, an |x| at 0, a clip bound), where the two are not expected to agree.

A non-scalar ``f`` is checked through L = Σ f(x) ⊙ r with a fixed random r, which tests the whole Jacobian
product at once.

The same difference quotient for a plain numpy function ``f(x) -> float`` (no engine involved) is
:func:`microgradnet.closed_form.central_diff`: what the closed-form tests and ``microgradnet demo``'s
finite-difference column use.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .autograd import grad as _grad
from .engine import toposort
from .modes import no_grad
from .tensor import Tensor
from .value import Value

__all__ = ["GradcheckError", "GradcheckReport", "InputReport", "gradcheck"]


class GradcheckError(AssertionError):
    """Raised by ``gradcheck(..., raise_exception=True)``; ``.report`` holds the details."""

    def __init__(self, report):
        super().__init__(str(report))
        self.report = report


@dataclass
class InputReport:
    name: str
    shape: tuple
    analytic: np.ndarray
    numeric: np.ndarray
    max_abs_error: float
    max_rel_error: float
    failures: int
    worst: list = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.failures == 0


@dataclass
class GradcheckReport:
    inputs: list
    warnings: list
    eps: float
    atol: float
    rtol: float

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.inputs)

    @property
    def max_rel_error(self) -> float:
        return max((r.max_rel_error for r in self.inputs), default=0.0)

    def __bool__(self):
        return self.passed

    def __str__(self) -> str:
        lines = [f"gradcheck (central differences, eps={self.eps:g}, atol={self.atol:g}, rtol={self.rtol:g}): "
                 + ("PASS" if self.passed else "FAIL")]
        lines.append(f"  {'input':<16}{'shape':<14}{'max |a−n|':>12}{'max rel err':>14}{'bad':>6}")
        for r in self.inputs:
            lines.append(f"  {r.name:<16}{str(r.shape):<14}{r.max_abs_error:>12.3e}{r.max_rel_error:>14.3e}"
                         f"{r.failures:>6}")
            for idx, a, n in r.worst:
                lines.append(f"      worst at {idx}: autodiff {a:.8g}, numeric {n:.8g}")
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _kinks(root, eps) -> list[str]:
    found = []
    for n in toposort(root):
        if not n._prev:
            continue
        d = [np.asarray(p.data, dtype=np.float64) for p in n._prev]
        op = n._op
        hit = None
        if op in ("relu", "leaky_relu", "prelu", "abs"):
            hit = np.abs(d[0]) < eps
        elif op in ("maximum", "minimum"):
            hit = np.abs(d[0] - d[1]) < eps
        elif op == "clip":
            lo, hi = n._args
            hit = np.zeros(d[0].shape, bool)
            if lo is not None:
                hit |= np.abs(d[0] - lo) < eps
            if hi is not None:
                hit |= np.abs(d[0] - hi) < eps
        elif op in ("amax", "amin"):
            axis = n._args[0]
            x = d[0]
            outk = np.asarray(n.data, dtype=np.float64).reshape(
                tuple(1 if (axis is None or i in axis) else s for i, s in enumerate(x.shape)))
            near = (np.abs(x - outk) < 2 * eps).sum(axis=axis)
            hit = near > 1
        if hit is not None and np.any(hit):
            found.append(f"{int(np.sum(hit))} point(s) within eps of the kink of '{op}' (node v{n._id}"
                         f"{', ' + n.label if n.label else ''}); finite differences are not expected to match there")
    return found


def gradcheck(f, *inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=False, seed=0, max_worst=3):
    """Compare autodiff with central differences for every element of every differentiable input.

    ``inputs`` are Values, Tensors with ``requires_grad=True`` (others are passed through unchanged), or numpy
    arrays/floats (turned into float64 Tensors/Values that require grad). Returns a :class:`GradcheckReport`
    (truthy when it passes); with ``raise_exception=True`` a failure raises :class:`GradcheckError`.
    """
    args = []
    for x in inputs:
        if isinstance(x, np.ndarray):
            x = Tensor(x.astype(np.float64), requires_grad=True)
        elif isinstance(x, float):
            x = Value(x)
        args.append(x)
    leaves = [x for x in args if isinstance(x, Value) or (isinstance(x, Tensor) and x.requires_grad)]
    if not leaves:
        raise ValueError("gradcheck: no input requires grad; pass Values, Tensors with requires_grad=True or arrays")
    rng = np.random.default_rng(seed)
    out = f(*args)
    proj = None
    if isinstance(out, Tensor) and out.data.size != 1:
        proj = rng.standard_normal(out.shape)
        loss = (out * proj).sum()
    elif isinstance(out, (Tensor, Value)):
        loss = out
    else:
        raise TypeError(f"gradcheck: f must return a Value or a Tensor, got {type(out).__name__}")
    warnings = _kinks(loss, eps)
    analytic = _grad(loss, leaves, allow_unused=True)
    if any(isinstance(x, Tensor) and x.dtype != np.float64 for x in leaves):
        warnings.append("float32 input(s): autodiff runs in float32 (≈7 digits) while finite differences run in "
                        "float64, so expect relative errors near 1e-4; check in float64")

    def evaluate() -> float:
        with no_grad():
            o = f(*args)
        od = np.asarray(o.data, dtype=np.float64)
        return float(np.sum(od * proj)) if proj is not None else float(od)

    reports = []
    for k, (x, a) in enumerate(zip(leaves, analytic)):
        name = x.label or f"input {k}"
        if isinstance(x, Value):
            orig = x.data
            x.data = orig + eps
            fp = evaluate()
            x.data = orig - eps
            fm = evaluate()
            x.data = orig
            num = np.array((fp - fm) / (2 * eps))
            ana = np.array(0.0 if a is None else float(a))
        else:
            orig = x.data
            work = orig.astype(np.float64, copy=True)
            x.data = work
            num = np.zeros(work.shape)
            try:
                for idx in np.ndindex(work.shape):
                    v = work[idx]
                    work[idx] = v + eps
                    fp = evaluate()
                    work[idx] = v - eps
                    fm = evaluate()
                    work[idx] = v
                    num[idx] = (fp - fm) / (2 * eps)
            finally:
                x.data = orig
            ana = np.zeros(work.shape) if a is None else np.asarray(a, dtype=np.float64)
        diff = np.abs(ana - num)
        rel = diff / np.maximum(np.maximum(np.abs(ana), np.abs(num)), 1e-300)
        rel = np.where(diff == 0, 0.0, rel)
        bad = diff > atol + rtol * np.abs(num)
        order = np.argsort(-diff.ravel())[:max_worst] if bad.any() else []
        worst = [(np.unravel_index(i, diff.shape) if diff.ndim else (), float(ana.ravel()[i]), float(num.ravel()[i]))
                 for i in order]
        reports.append(InputReport(name, tuple(np.shape(ana)), ana, num, float(diff.max(initial=0.0)),
                                   float(rel.max(initial=0.0)), int(bad.sum()), worst))
    report = GradcheckReport(reports, warnings, eps, atol, rtol)
    if raise_exception and not report.passed:
        raise GradcheckError(report)
    return report
