"""Grading a student's backward rule: run it through the sweep, compare with the closed form, name the mistake.

``rule(my_fn, "conv2d")`` calls ``my_fn`` exactly as the closed form's backward is called —
``my_fn(*inputs, g, **params)``, e.g. ``my_fn(x, w, b, g, stride=2, padding=1, dilation=1)`` for ``conv2d`` — on
every case of the sweep (:mod:`.sweep`), smallest case first, and compares what it returns with
``CLOSED_FORMS[name].backward``: same shapes, and ``max |yours − closed| ≤ 1e-6 + 1e-5 · max |closed|`` per
gradient (loose enough for float32 arithmetic, far too tight for any wrong formula).

The function may return the gradients as a tuple/list/NamedTuple in the closed form's order (its ``wrt``), a dict
keyed by the gradient names (``dx``, ``dw``…) or, for a rule with one gradient, a single array. Keyword parameters
the function does not accept are left out when they have their default value; cases that need another value
are skipped and the grade says so.

When it fails, every known mistake of that rule (``closed_form.MISTAKES[name]``) is run on the same cases; a
mistake whose outputs equal the student's on every case (to the same tolerance) is reported by name, in plain
words (:mod:`.explain`), with the smallest failing case. A mistake that explains only some gradients is reported
for those (a function can make two mistakes at once).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import numpy as np

from ..closed_form import CLOSED_FORMS, MISTAKES, NotApplicable
from ..engine import Node
from .explain import explanation
from .sweep import Case, cases

__all__ = ["GRADE_TOL", "Mismatch", "Failure", "Diagnosis", "Grade", "rule"]

GRADE_TOL = (1e-6, 1e-5)


@dataclass(frozen=True)
class Mismatch:
    """One wrong gradient of one case: the message, and the worst element (index, expected, got) if shapes agree."""

    gradient: str
    message: str
    index: tuple | None = None
    expected: float | None = None
    got: float | None = None
    abs_error: float | None = None


@dataclass(frozen=True)
class Failure:
    """A failing case: what was wrong with each gradient, or the exception the function raised."""

    case: Case
    mismatches: tuple[Mismatch, ...] = ()
    error: str | None = None

    @property
    def gradients(self) -> tuple[str, ...]:
        return tuple(m.gradient for m in self.mismatches)

    def __str__(self) -> str:
        lines = [f"case {self.case.index}: {self.case.describe()}"]
        if self.error:
            lines.append(f"  {self.error}")
        lines += [f"  {m.message}" for m in self.mismatches]
        return "\n".join(lines)


@dataclass(frozen=True)
class Diagnosis:
    """A known mistake (``closed_form.MISTAKES``) that reproduces the student's wrong gradients."""

    name: str
    description: str
    explanation: str
    gradients: tuple[str, ...]
    case: Case

    def headline(self) -> str:
        return f"Known mistake '{self.name}' ({', '.join(self.gradients)}): {self.explanation}"

    def __str__(self) -> str:
        return f"{self.headline()}\nSmallest failing case: {self.case.describe()}"


@dataclass
class Grade:
    """The grade of one student function for one rule. ``str(grade)`` is the friendly report."""

    rule: str
    function: str
    passed: bool
    cases_run: int
    failures: list[Failure]
    gradients: tuple[str, ...] = ()
    diagnoses: list[Diagnosis] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    max_error: float = 0.0

    @property
    def diagnosis(self) -> Diagnosis | None:
        """The known mistake that explains the failures (the first one if several mistakes combine), or None."""
        return self.diagnoses[0] if self.diagnoses else None

    def __str__(self) -> str:
        skipped = ""
        if self.skipped:
            skipped = " (" + "; ".join(f"{n} case{'s' * (n > 1)} skipped: {why}" for why, n in self.skipped.items()) \
                + ")"
        n = self.cases_run
        if self.passed:
            return (f"{self.rule}: PASS. {self.function} agrees with the closed form on "
                    f"{'all ' if n > 1 else ''}{n} case{'s' * (n != 1)} (max |error| {self.max_error:.1e}){skipped}.")
        bad = {g for f in self.failures for g in f.gradients}
        wrong = [g for g in self.gradients if g in bad] or sorted(bad)
        what = f" (wrong: {', '.join(wrong)})" if wrong else ""
        lines = [f"{self.rule}: FAIL. {self.function} is wrong on {len(self.failures)} of {n} "
                 f"case{'s' * (n != 1)}{what}{skipped}."]
        first = self.failures[0]
        for d in self.diagnoses:
            lines.append(d.headline())
            if d.case is not first.case:
                lines.append(f"  (first seen on: {d.case.describe()})")
        if not self.diagnoses:
            lines.append("No known mistake matches; compare your formula with the closed form on the smallest "
                         "failing case.")
        lines.append(f"Smallest failing case: {first.case.describe()}")
        if first.error:
            lines.append(f"  {first.error}")
        lines += [f"  {m.message}" for m in first.mismatches]
        return "\n".join(lines)

    def __repr__(self) -> str:
        status = "passed" if self.passed else f"failed on {len(self.failures)} of {self.cases_run} cases"
        diag = f", diagnosis={self.diagnosis.name!r}" if self.diagnosis else ""
        return f"<Grade {self.rule}: {self.function} {status}{diag}>"

    def _repr_pretty_(self, p, cycle) -> None:  # IPython / Jupyter show the report
        p.text(str(self))


# ----------------------------------------------------------------------------------------------------- calling
def _fn_name(fn) -> str:
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or type(fn).__name__


def _backward_defaults(rec) -> dict:
    sig = inspect.signature(rec.backward)
    return {k: p.default for k, p in sig.parameters.items() if p.default is not inspect.Parameter.empty}


def _accepts(sig: inspect.Signature | None):
    if sig is None:
        return lambda name: True
    params = sig.parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return lambda name: True
    names = {k for k, p in params.items() if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                                         inspect.Parameter.KEYWORD_ONLY)}
    return lambda name: name in names


def _same(a, b) -> bool:
    """A case's parameter value equals the backward's default (``(1, 1)`` equals ``1``, as for stride)."""
    if a is None or b is None:
        return a is b
    try:
        return bool(np.all(np.asarray(a) == np.asarray(b)))
    except (TypeError, ValueError):
        return False


def _signature_text(rec) -> str:
    sig = inspect.signature(rec.backward).replace(return_annotation=inspect.Signature.empty)
    return f"{rec.backward.__name__}{sig}"


def _copy(a):
    return np.array(a, copy=True) if isinstance(a, np.ndarray) else a


def _normalise(name: str, rec, gnames: tuple[str, ...], got) -> tuple[list | None, str | None]:
    """The student's return value as a list of float64 arrays in ``wrt`` order, or an error message."""
    n = len(gnames)
    what = ", ".join(gnames)
    inputs = ", ".join(rec.inputs[i] for i in rec.wrt)
    if isinstance(got, dict):
        keys = [k if k in got else rec.inputs[i] for k, i in zip(gnames, rec.wrt)]
        missing = [k for k in keys if k not in got]
        if missing:
            return None, (f"{name}: your function returned a dict without {', '.join(missing)}; expected the keys "
                          f"{what}")
        items = [got[k] for k in keys]
    elif n == 1 and not isinstance(got, (tuple, list)):
        items = [got]
    elif n == 1 and isinstance(got, (tuple, list)) and len(got) == 1 and (
            hasattr(got, "_fields") or isinstance(got[0], np.ndarray) or got[0] is None):
        items = [got[0]]
    elif n == 1 and isinstance(got, list):
        items = [got]  # nested lists: one array
    elif isinstance(got, (tuple, list)):
        if len(got) != n:
            return None, (f"{name}: your function returned {len(got)} value{'s' * (len(got) != 1)}; expected {n} "
                          f"({what}: the gradients with respect to {inputs}, in that order)")
        items = list(got)
    else:
        return None, (f"{name}: your function returned a {type(got).__name__}; expected {n} gradients ({what}) as a "
                      "tuple, list or dict")
    out = []
    for gn, item in zip(gnames, items):
        if item is None:
            return None, f"{name}: your function returned None for {gn}"
        if isinstance(item, Node):  # a microgradnet Tensor (or Value): its numbers
            item = item.data
        try:
            arr = np.asarray(item, dtype=np.float64)
        except (TypeError, ValueError) as e:
            return None, f"{name}: your {gn} is not an array of numbers ({type(item).__name__}: {e})"
        out.append(arr)
    return out, None


def _compare(name: str, rec, gnames, got: list, expected: list, tol) -> tuple[list[Mismatch], float]:
    """Mismatches of ``got`` against ``expected`` (shapes, NaN, values), and the largest error seen."""
    out, worst = [], 0.0
    atol, rtol = tol
    for k, (gn, a, b) in enumerate(zip(gnames, got, expected)):
        b = np.asarray(b, dtype=np.float64)
        if a.shape != b.shape:
            owner = rec.inputs[rec.wrt[k]]
            out.append(Mismatch(gn, f"{name}: your function returned {gn} of shape {a.shape}; expected {b.shape} "
                                    f"(the shape of {owner})"))
            continue
        if a.size == 0:
            continue
        if np.isnan(a).any():
            at = tuple(int(i) for i in np.argwhere(np.isnan(a))[0])
            out.append(Mismatch(gn, f"{gn}: NaN at {at} (expected {float(b[at]):.6g})", at, float(b[at]),
                                float("nan"), float("nan")))
            continue
        diff = np.abs(a - b)
        err, scale = float(diff.max()), float(np.abs(b).max())
        worst = max(worst, err)
        if not err <= atol + rtol * scale:
            at = tuple(int(i) for i in np.unravel_index(int(diff.argmax()), diff.shape))
            out.append(Mismatch(gn, f"{gn}: worst at {at}: expected {float(b[at]):.6g}, got {float(a[at]):.6g} "
                                    f"(|error| {err:.3g})", at, float(b[at]), float(a[at]), err))
    return out, worst


def _close(a: np.ndarray, b: np.ndarray, tol) -> bool:
    if a.shape != b.shape:
        return False
    if a.size == 0:
        return True
    if np.isnan(a).any() or np.isnan(b).any():
        return bool(np.array_equal(np.isnan(a), np.isnan(b))) and _close(np.nan_to_num(a), np.nan_to_num(b), tol)
    return float(np.abs(a - b).max()) <= tol[0] + tol[1] * float(np.abs(b).max())


# ----------------------------------------------------------------------------------------------------- diagnosis
def _diagnose(name, rec, gnames, runs, failures) -> list[Diagnosis]:
    """Known mistakes that reproduce the student's outputs, per failing gradient (see the module docstring)."""
    failing = {f.case.index: set(f.gradients) for f in failures if not f.error}
    wrong = {g for gs in failing.values() for g in gs}
    if not wrong:
        return []
    by_index = {f.case.index: f for f in failures}
    matches = []  # (mistake, gradients it explains, smallest case it explains)
    for mistake in MISTAKES.get(name, []):
        ok = dict.fromkeys(gnames, True)
        explains: dict[str, bool] = dict.fromkeys(gnames, False)
        compared = False
        for case, got in runs:
            args = [_copy(a) for a in case.inputs]
            try:
                res = mistake.fn(*args, _copy(case.g), **case.params)
            except NotApplicable:
                continue
            except Exception:
                ok = dict.fromkeys(gnames, False)
                break
            mine, err = _normalise(name, rec, gnames, res)
            if err:
                ok = dict.fromkeys(gnames, False)
                break
            compared = True
            for k, gn in enumerate(gnames):
                if ok[gn] and not _close(got[k], mine[k], GRADE_TOL):
                    ok[gn] = False
                if ok[gn] and gn in failing.get(case.index, ()):
                    explains[gn] = True
        if not compared:
            continue
        grads = tuple(gn for gn in gnames if ok[gn] and explains[gn])
        if grads:
            first = min((by_index[i] for i, gs in failing.items() if gs & set(grads)), key=lambda f: (f.case.size,
                                                                                                      f.case.index))
            full = all(ok[gn] for gn in gnames)
            matches.append((full, len(grads), mistake, grads, first.case))
    if not matches:
        return []
    # a mistake reproducing the whole output wins; otherwise cover the wrong gradients greedily, most first
    full = [m for m in matches if m[0] and set(m[3]) >= wrong]
    if full:
        _, _, mistake, grads, case = full[0]
        return [Diagnosis(mistake.name, mistake.description, explanation(name, mistake.name, mistake.description),
                          grads, case)]
    out, covered = [], set()
    for _, _, mistake, grads, case in sorted(matches, key=lambda m: -m[1]):
        new = tuple(g for g in grads if g not in covered)
        if not new:
            continue
        covered |= set(new)
        out.append(Diagnosis(mistake.name, mistake.description, explanation(name, mistake.name, mistake.description),
                             new, case))
    return out


# ----------------------------------------------------------------------------------------------------- rule()
def rule(fn, name: str, *, quick: bool = False, seed: int = 0, kink: str | None = None) -> Grade:
    """Grade ``fn``, a student's backward for closed-form rule ``name``, over the checker's sweep.

    ``fn`` is called like ``CLOSED_FORMS[name].backward``: ``fn(*inputs, g, **params)`` (see the module docstring
    for what it may return). Returns a :class:`Grade`: ``.passed``, ``.failures`` (smallest case first, each with
    the worst element: index, expected, got), ``.diagnosis`` (the matching known mistake, or None); ``print`` it.

    Raises ``TypeError`` when ``fn`` is not callable or cannot be called with the rule's arguments (naming the
    expected signature) and ``ValueError`` for an unknown rule name.
    """
    if name not in CLOSED_FORMS:
        raise ValueError(f"check.rule: no closed-form rule named {name!r}; known rules: {', '.join(CLOSED_FORMS)}")
    if not callable(fn):
        raise TypeError(f"check.rule: expected a function (the backward of {name!r}), got a {type(fn).__name__}")
    rec = CLOSED_FORMS[name]
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        sig = None
    accepts = _accepts(sig)
    defaults = _backward_defaults(rec)
    sweep = sorted(cases(name, quick=quick, seed=seed), key=lambda c: (c.size, c.index))
    if kink is not None and "kink" in defaults:  # the convention at the kink: the closed form and the function
        sweep = [Case(c.rule, c.index, c.inputs, dict(c.params, kink=kink), c.g, c.note, c.numeric_skip, c.names)
                 for c in sweep]
    first = rec.backward(*sweep[0].inputs, sweep[0].g, **sweep[0].params)
    gnames = tuple(getattr(type(first), "_fields", ())) or tuple(f"d{rec.inputs[i]}" for i in rec.wrt)
    label = _fn_name(fn)

    skipped: dict[str, int] = {}
    runs: list[tuple[Case, list]] = []
    failures: list[Failure] = []
    worst = 0.0
    bound_checked = False
    for case in sweep:
        kwargs, needs = {}, []
        for k, v in case.params.items():
            if accepts(k):
                kwargs[k] = v
            elif k == "kink":
                continue  # a function without a kink parameter implements one convention: graded against ``kink``
            elif not (k in defaults and _same(v, defaults[k])):
                needs.append(f"{k}={v!r}")
        if needs:
            why = f"your function takes no {', '.join(n.split('=')[0] for n in needs)} parameter"
            skipped[why] = skipped.get(why, 0) + 1
            continue
        args = [_copy(a) for a in case.inputs] + [_copy(case.g)]
        if sig is not None and not bound_checked:
            try:
                sig.bind(*args, **kwargs)
            except TypeError as e:
                call = ", ".join(list(rec.inputs) + ["g"] + [f"{k}={v!r}" for k, v in kwargs.items()])
                raise TypeError(f"{name}: your function {label}{sig} cannot be called as {label}({call}): {e}. "
                                f"Expected the signature of the closed form: {_signature_text(rec)}") from None
            bound_checked = True
        expected = list(rec.backward(*case.inputs, case.g, **case.params))
        try:
            got = fn(*args, **kwargs)
        except Exception as e:  # the student's code: report it on this case and go on
            pairs = [f"{k}={v!r}" for k, v in kwargs.items() if isinstance(v, tuple)]
            hint = f" (this case passes {', '.join(pairs)} as (height, width) pairs)" if pairs else ""
            failures.append(Failure(case, error=f"your function raised {type(e).__name__}: {e}{hint}"))
            continue
        got, err = _normalise(name, rec, gnames, got)
        if err:
            failures.append(Failure(case, error=err))
            continue
        mism, w = _compare(name, rec, gnames, got, expected, GRADE_TOL)
        worst = max(worst, w)
        runs.append((case, got))
        if mism:
            failures.append(Failure(case, tuple(mism)))
    cases_run = len(sweep) - sum(skipped.values())
    if cases_run == 0:
        raise TypeError(f"{name}: no case could be run: {'; '.join(skipped)}. Expected the signature of the closed "
                        f"form: {_signature_text(rec)}")
    diagnoses = _diagnose(name, rec, gnames, runs, failures) if failures else []
    return Grade(rule=name, function=label, passed=not failures, cases_run=cases_run, failures=failures,
                 gradients=gnames, diagnoses=diagnoses, skipped=skipped, max_error=worst)
