"""Autodiff vs closed form vs finite differences, rule by rule, over the sweep.

For a case with inputs ``inputs``, parameters ``params`` and a random upstream gradient ``g``:

- **autodiff**: the rule's composition (:mod:`.compositions`) on Tensor leaves; the engine's gradient of
  ``Σ out ⊙ g`` with respect to each differentiated input (``microgradnet.grad`` with ``grad_outputs=g``);
- **closed form**: ``CLOSED_FORMS[name].backward(*inputs, g, **params)`` (and each of its ``alternatives``);
- **numeric**: central differences in float64, ``(f(x + εe_i) − f(x − εe_i)) / 2ε`` with ε = 1e-6, of
  ``f = Σ g ⊙ closed_form.forward(...)`` — skipped on cases where the rule is a convention rather than a
  derivative (tied maxima, an input exactly at a kink); the table says how many.

The forward values are compared too (the ``out`` row): autodiff and closed form must compute the same layer,
else comparing their gradients means nothing.

Errors per gradient, worst over the cases: ``abs = max |a − b|`` and ``rel = max |a − b| / max |b|`` (relative to
the gradient's largest entry, b the reference: closed form or numeric; cases whose reference is zero to within
atol do not count for ``rel``). A gradient passes when on every case
``abs ≤ atol + rtol · max |b|``, with (atol, rtol) = (1e-8, 1e-6) against the closed form and (1e-6, 1e-5)
against finite differences, has the reference's shape and holds no NaN.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .. import autograd, engine
from ..closed_form import CLOSED_FORMS, canonical_rule
from ..tensor import Tensor
from . import compositions
from .styles import grad_names
from .sweep import Case, cases

__all__ = ["TOLERANCES", "EPS", "Row", "RuleResult", "CheckReport", "autodiff", "numeric", "check_rule", "check"]

TOLERANCES = {"closed": (1e-8, 1e-6), "numeric": (1e-6, 1e-5)}
EPS = 1e-6


# ----------------------------------------------------------------------------------------------------- the three
def autodiff(name: str, inputs, params: dict, g):
    """(forward value, gradients) of rule ``name`` through the engine: the composition on Tensor leaves and the
    gradient of ``Σ out ⊙ g`` for each input in ``CLOSED_FORMS[name].wrt`` (a float64 numpy array each)."""
    rec = CLOSED_FORMS[name]
    comp = compositions.COMPOSITIONS.get(name)
    if comp is None:
        raise ValueError(f"check: rule {name!r} has no autodiff composition in microgradnet.check.compositions."
                       "COMPOSITIONS; write it as F / Tensor operations")
    leaves = {i: Tensor(np.array(inputs[i], dtype=np.float64), requires_grad=True) for i in rec.wrt}
    args = [leaves.get(i, a) for i, a in enumerate(inputs)]
    with engine.enable_grad():
        out = comp(*args, **params)
    if not isinstance(out, Tensor):
        raise TypeError(f"check: the autodiff composition of {name!r} returned a {type(out).__name__}, not a Tensor")
    grad_out = np.asarray(g, dtype=np.float64)
    if grad_out.shape != out.shape:
        raise ValueError(f"check: the autodiff composition of {name!r} returned shape {out.shape}; the closed-form "
                         f"forward has shape {grad_out.shape}")
    grads = autograd.grad(out, [leaves[i] for i in rec.wrt], grad_outputs=grad_out, allow_unused=True)
    grads = [np.zeros(leaves[i].shape) if d is None else np.asarray(d, dtype=np.float64)
             for i, d in zip(rec.wrt, grads)]
    return np.array(out.data, dtype=np.float64), grads


def numeric(name: str, inputs, params: dict, g, eps: float = EPS) -> list[np.ndarray]:
    """Central differences of ``Σ g ⊙ CLOSED_FORMS[name].forward(*inputs, **params)`` for each input in ``wrt``."""
    rec = CLOSED_FORMS[name]
    g = np.asarray(g, dtype=np.float64)
    out = []
    for k in rec.wrt:
        args = list(inputs)
        x = np.array(inputs[k], dtype=np.float64)
        args[k] = x
        grad = np.zeros_like(x)
        flat, gflat = x.reshape(-1), grad.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            fp = float(np.sum(np.asarray(rec.forward(*args, **params)) * g))
            flat[i] = old - eps
            fm = float(np.sum(np.asarray(rec.forward(*args, **params)) * g))
            flat[i] = old
            gflat[i] = (fp - fm) / (2.0 * eps)
        out.append(grad)
    return out


# ----------------------------------------------------------------------------------------------------- errors
@dataclass
class _Acc:
    """Worst errors of one gradient over the cases."""

    tol: tuple[float, float]
    cases: int = 0
    abs: float = 0.0
    rel: float = 0.0
    passed: bool = True

    def add(self, got, ref) -> str | None:
        """Fold one case in; return a description of the failure, if any."""
        self.cases += 1
        got, ref = np.asarray(got, dtype=np.float64), np.asarray(ref, dtype=np.float64)
        if got.shape != ref.shape:
            self.passed = False
            self.abs = self.rel = float("inf")
            return f"shape {got.shape} vs {ref.shape}"
        if np.isnan(got).any() or np.isnan(ref).any():
            self.passed = False
            self.abs = self.rel = float("nan")
            return "NaN"
        if got.size == 0:
            return None
        diff = np.abs(got - ref)
        err, scale = float(diff.max()), float(np.abs(ref).max())
        atol, rtol = self.tol
        self.abs = max(self.abs, err)
        if scale > atol:  # a reference that is zero to within atol has no meaningful relative error
            self.rel = max(self.rel, err / scale)
        if not err <= atol + rtol * scale:
            self.passed = False
            at = tuple(int(i) for i in np.unravel_index(int(diff.argmax()), diff.shape))
            return f"|error| {err:.3g} at {at}: {float(got[at]):.6g} vs {float(ref[at]):.6g}"
        return None


@dataclass(frozen=True)
class Row:
    """One line of the table: a gradient (or the forward value, ``out``) of one rule over the sweep."""

    rule: str
    gradient: str
    cases: int
    closed_abs: float
    closed_rel: float
    numeric_cases: int
    numeric_abs: float | None
    numeric_rel: float | None
    passed: bool
    note: str = ""


@dataclass
class RuleResult:
    """Everything checked for one rule: its table rows and a list of the failures (case and what went wrong)."""

    rule: str
    rows: list[Row]
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.problems and all(r.passed for r in self.rows)


def check_rule(name: str, *, quick: bool = False, seed: int = 0) -> RuleResult:
    """Run the sweep of rule ``name``: autodiff vs closed form (and its alternatives) vs finite differences."""
    name = canonical_rule(name)  # an old course-code rule name → its new name
    t0 = time.perf_counter()
    if name not in CLOSED_FORMS:
        raise ValueError(f"check: no closed-form rule named {name!r}; known rules: {', '.join(CLOSED_FORMS)}")
    rec = CLOSED_FORMS[name]
    sweep = cases(name, quick=quick, seed=seed)
    gnames = grad_names(name)
    out_acc = _Acc(TOLERANCES["closed"])
    closed = [_Acc(TOLERANCES["closed"]) for _ in rec.wrt]
    num = [_Acc(TOLERANCES["numeric"]) for _ in rec.wrt]
    alts = [[_Acc(TOLERANCES["closed"]) for _ in rec.wrt] for _ in rec.alternatives]
    skipped: dict[str, int] = {}
    problems: list[str] = []

    def note(case: Case, what: str, msg: str | None) -> None:
        if msg is not None:
            problems.append(f"{name} case {case.index} ({case.describe()}): {what}: {msg}")

    for case in sweep:
        try:
            out_a, grads_a = autodiff(name, case.inputs, case.params, case.g)
            out_c = rec.forward(*case.inputs, **case.params)
            grads_c = rec.backward(*case.inputs, case.g, **case.params)
            grads_alts = [alt(*case.inputs, case.g, **case.params) for alt in rec.alternatives]
        except Exception as e:  # a broken composition or rule is a failure of this rule, not of the whole run
            problems.append(f"{name} case {case.index} ({case.describe()}): raised {type(e).__name__}: {e}")
            continue
        note(case, "forward, autodiff vs closed form", out_acc.add(out_a, out_c))
        for j, gn in enumerate(gnames):
            note(case, f"{gn}, autodiff vs closed form", closed[j].add(grads_a[j], grads_c[j]))
        for alt, accs, grads_alt in zip(rec.alternatives, alts, grads_alts):
            for j, gn in enumerate(gnames):
                note(case, f"{gn}, autodiff vs {alt.__name__}", accs[j].add(grads_a[j], grads_alt[j]))
        if case.numeric_skip:
            skipped[case.numeric_skip] = skipped.get(case.numeric_skip, 0) + 1
            continue
        grads_n = numeric(name, case.inputs, case.params, case.g)
        for j, gn in enumerate(gnames):
            note(case, f"{gn}, autodiff vs numeric", num[j].add(grads_a[j], grads_n[j]))

    skip_note = "; ".join(f"numeric skipped on {n} case{'s' * (n > 1)}: {why}" for why, n in skipped.items())
    rows = [Row(name, "out", out_acc.cases, out_acc.abs, out_acc.rel, 0, None, None, out_acc.passed,
                "forward values")]
    for j, gn in enumerate(gnames):
        ok = closed[j].passed and num[j].passed
        rows.append(Row(name, gn, closed[j].cases, closed[j].abs, closed[j].rel, num[j].cases,
                        num[j].abs if num[j].cases else None, num[j].rel if num[j].cases else None, ok, skip_note))
    for alt, accs in zip(rec.alternatives, alts):
        short = alt.__name__.removeprefix(rec.backward.__name__).strip("_") or alt.__name__
        for j, gn in enumerate(gnames):
            rows.append(Row(f"{name} (alt: {short})", gn, accs[j].cases, accs[j].abs, accs[j].rel, 0, None, None,
                            accs[j].passed, f"alternative closed form {alt.__name__}"))
    return RuleResult(name, rows, problems, time.perf_counter() - t0)


# ----------------------------------------------------------------------------------------------------- all rules
@dataclass
class CheckReport:
    """The result of :func:`check`: one :class:`RuleResult` per rule; ``str()`` is the table."""

    results: list[RuleResult]
    seed: int
    quick: bool
    seconds: float

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def rows(self) -> list[Row]:
        return [row for r in self.results for row in r.rows]

    @property
    def problems(self) -> list[str]:
        return [p for r in self.results for p in r.problems]

    def table(self) -> str:
        from .report import table
        return table(self)

    def __str__(self) -> str:
        return self.table()

    def _repr_pretty_(self, p, cycle) -> None:  # IPython / Jupyter
        p.text(str(self))

    def to_dict(self) -> dict:
        from .report import to_dict
        return to_dict(self)


def check(names=None, *, quick: bool = False, seed: int = 0) -> CheckReport:
    """Check every rule of ``closed_form.CLOSED_FORMS`` (or only ``names``) over the sweep; see the module
    docstring. ``quick`` runs the smaller sweep; ``seed`` changes every random input and upstream gradient."""
    t0 = time.perf_counter()
    names = list(CLOSED_FORMS) if not names else list(names)
    unknown = [n for n in names if n not in CLOSED_FORMS]
    if unknown:
        raise ValueError(f"check: unknown rule name(s) {', '.join(map(repr, unknown))}; known rules: "
                       f"{', '.join(CLOSED_FORMS)}")
    results = [check_rule(n, quick=quick, seed=seed) for n in names]
    return CheckReport(results, seed, quick, time.perf_counter() - t0)
