"""The grading core: one case type, one comparison and tolerance, one catalogue of named mistakes.

Every grader in the project goes through here: ``microgradnet.check.rule(fn, "conv2d")`` (in this process), the
notebooks' ``check(...)`` (:mod:`microgradnet.exercises`, after its own worked cases), and ``microgradnet grade`` /
``microgradnet check --grade`` (:mod:`.submission`: the student's code runs in a child process that returns only
arrays; the comparison happens here, in the parent). The steps:

1. :func:`prepare` — the rule's sweep (:mod:`.sweep`), smallest case first, under the chosen conventions: a
   ``tie`` rule for max-pooling and a ``kink`` (the derivative at 0 of ReLU / leaky ReLU / PReLU).
2. :func:`collect` — the submission's :class:`~.styles.Runner` (its style: plain, cs231n, CSC 249 or Tsinghua
   classes; shapes adapted in :mod:`.layouts`) on every case: an :class:`Outcome` of arrays, an error, or a skip
   with its parameter and reason.
3. :func:`judge` — each outcome against ``CLOSED_FORMS[name]`` (the forward output and a loss value too, when the
   style has them): same shapes, no NaN, and ``max |yours − closed| ≤ 1e-6 + 1e-5 · max |closed|`` per array
   (:data:`GRADE_TOL`: loose enough for float32 arithmetic, far too tight for any wrong formula). On failure every
   known mistake of the rule (``closed_form.MISTAKES``) runs on the same cases; one whose gradients equal the
   student's on every case it can run is named, in plain words (:mod:`.explain`), with the smallest case it
   explains; a mistake that explains only some gradients is named for those (two mistakes can combine).

Verdict: PASS when at least one case ran and none failed; with ``strict``, a case skipped for a core parameter
(stride, padding, kernel size) is a failure too. ``score`` = passed / (ran + strict skips).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..closed_form import CLOSED_FORMS, MISTAKES, NotApplicable, canonical_rule
from .explain import explanation
from .runner import make_runner
from .styles import CORE_PARAMS, CaseProblem, grad_names, read_grads
from .sweep import Case, cases

__all__ = ["GRADE_TOL", "Outcome", "Mismatch", "Failure", "Diagnosis", "Grade", "prepare", "collect", "judge",
           "rule"]

GRADE_TOL = (1e-6, 1e-5)


@dataclass(frozen=True)
class Outcome:
    """What a submission produced on one case — arrays and strings only (it crosses the process boundary).

    ``grads`` in the closed form's order and layout, ``extras`` (``"out"``: its forward output; ``"loss"``), or
    ``error`` (one line), or ``skip`` = (parameter, reason)."""

    index: int
    grads: tuple = ()
    extras: dict = field(default_factory=dict)
    error: str | None = None
    skip: tuple[str, str] | None = None


@dataclass(frozen=True)
class Mismatch:
    """One wrong array of one case: the message, and the worst element (index, expected, got) if shapes agree."""

    gradient: str
    message: str
    index: tuple | None = None
    expected: float | None = None
    got: float | None = None
    abs_error: float | None = None


@dataclass(frozen=True)
class Failure:
    """A failing case: what was wrong with each array, or the error the function raised."""

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


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


@dataclass
class Grade:
    """The grade of one submission for one rule. ``str(grade)`` is the report; :meth:`to_dict` the JSON row.

    ``skipped``: ``"param (reason)" → count``; ``reason``: one line when nothing could be graded (the submission
    did not load, fits no signature, timed out…)."""

    rule: str
    function: str
    passed: bool
    cases_run: int
    failures: list[Failure]
    gradients: tuple[str, ...] = ()
    diagnoses: list[Diagnosis] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    max_error: float = 0.0
    style: str = ""
    strict_skips: int = 0
    reason: str | None = None
    seconds: float = 0.0

    @property
    def diagnosis(self) -> Diagnosis | None:
        """The known mistake that explains the failures (the first one if several mistakes combine), or None."""
        return self.diagnoses[0] if self.diagnoses else None

    @property
    def cases_passed(self) -> int:
        return self.cases_run - len(self.failures)

    @property
    def score(self) -> float:
        """Cases passed / (cases run + cases a strict grade counts as failed); 0 when nothing ran."""
        total = self.cases_run + self.strict_skips
        return self.cases_passed / total if total else 0.0

    def _counts(self) -> str:
        text = f"{self.cases_passed}/{self.cases_run}"
        if self.skipped:
            n = sum(self.skipped.values())
            text += f", {n} skipped: " + "; ".join(f"{why}" + (f" ×{k}" if k > 1 else "")
                                                    for why, k in self.skipped.items())
        return text

    def one_line(self) -> str:
        """Why it failed, in one line (None-equivalent "" when it passed)."""
        if self.passed:
            return ""
        if self.reason:
            return self.reason
        if self.failures:
            bad = {g for f in self.failures for g in f.gradients}
            wrong = [g for g in (*self.gradients, "out", "loss") if g in bad]
            errs = [f.error for f in self.failures if f.error]
            what = f" ({', '.join(wrong)})" if wrong else ""
            line = f"wrong on {len(self.failures)} of {_plural(self.cases_run, 'case')}{what}"
            if errs:
                line += f"; {errs[0]}"
            if self.diagnosis is not None:
                line += f"; known mistake {'+'.join(d.name for d in self.diagnoses)}"
            return line
        return (f"--strict: {_plural(self.strict_skips, 'case')} needing {', '.join(CORE_PARAMS)} skipped "
                f"({'; '.join(self.skipped)})")

    def to_dict(self, path: str | None = None) -> dict:
        """The row of ``--json``: ``{"path", "verdict", "score", "cases", "mistake", "reason",
        "smallest_failing_case"}``."""
        first = self.failures[0].case.describe() if self.failures else None
        return {"path": path, "verdict": "pass" if self.passed else "fail", "score": round(self.score, 6),
                "cases": {"passed": self.cases_passed, "failed": len(self.failures),
                          "skipped": sum(self.skipped.values())},
                "mistake": "+".join(d.name for d in self.diagnoses) or None,
                "reason": self.one_line() or None, "smallest_failing_case": first}

    def __str__(self) -> str:
        if self.reason and not self.cases_run:
            return f"{self.rule}: FAIL. {self.function}: {self.reason}"
        if self.passed:
            return (f"{self.rule}: PASS {self._counts()}. {self.function} agrees with the closed form "
                    f"(max |error| {self.max_error:.1e}).")
        head = f"{self.rule}: FAIL {self._counts()}."
        if not self.failures:
            return f"{head} {self.one_line()}."
        bad = {g for f in self.failures for g in f.gradients}
        wrong = [g for g in (*self.gradients, "out", "loss") if g in bad]
        what = f" (wrong: {', '.join(wrong)})" if wrong else ""
        lines = [f"{head} {self.function} is wrong on {len(self.failures)} of "
                 f"{_plural(self.cases_run, 'case')}{what}."]
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


def failed(name: str, function: str, reason: str, style: str = "") -> Grade:
    """The grade of a submission that could not be graded at all (one-line ``reason``)."""
    return Grade(rule=name, function=function, passed=False, cases_run=0, failures=[], gradients=grad_names(name),
                 style=style, reason=reason)


# ----------------------------------------------------------------------------------------------------- 1. cases
def prepare(name: str, *, quick: bool = False, seed: int = 0, tie: str | None = None,
            kink: str | None = None) -> list[Case]:
    """The sweep of rule ``name``, smallest case first, with every case's ``tie`` set to ``tie`` and ``kink``
    added (for rules whose backward has those parameters) when given."""
    name = canonical_rule(name)  # an old course-code rule name → its new name
    if name not in CLOSED_FORMS:
        raise ValueError(f"check.rule: no closed-form rule named {name!r}; known rules: {', '.join(CLOSED_FORMS)}")
    sweep = sorted(cases(name, quick=quick, seed=seed), key=lambda c: (c.size, c.index))
    out = []
    for c in sweep:
        params = dict(c.params)
        if tie is not None and "tie" in params:
            params["tie"] = tie
        if kink is not None and name in ("relu", "leaky_relu", "prelu"):
            params["kink"] = kink
        out.append(Case(c.rule, c.index, c.inputs, params, c.g, c.note, c.numeric_skip, c.names))
    return out


# ----------------------------------------------------------------------------------------------------- 2. run
def _raised(e: BaseException, params: dict) -> str:
    if isinstance(e, SystemExit):
        return f"your function called sys.exit({e.code!r})"
    if isinstance(e, MemoryError):
        return f"your function ran out of memory (MemoryError: {e})"[:300] + " — the limit is --memory"
    if isinstance(e, RecursionError):
        return "your function hit Python's recursion limit (a recursive walk; use a loop)"
    pairs = [f"{k}={v!r}" for k, v in params.items() if isinstance(v, tuple)]
    hint = f" (this case passes {', '.join(pairs)} as (height, width) pairs)" if pairs else ""
    return f"your function raised {type(e).__name__}: {e}"[:400] + hint


def collect(runner, sweep: list[Case], *, catch_all: bool = False) -> list[Outcome]:
    """Run the submission (its :class:`~.styles.Runner`) on every case. ``catch_all`` (in the grading child) also
    turns ``SystemExit`` and ``KeyboardInterrupt`` into a failed case; in-process they propagate."""
    out = []
    for case in sweep:
        try:
            grads, extras, error, skip = runner.run(case)
        except CaseProblem as e:
            grads, extras, error, skip = None, {}, str(e), None
        except Exception as e:  # noqa: BLE001 - the student's code may raise anything: a failed case
            grads, extras, error, skip = None, {}, _raised(e, case.params), None
        except BaseException as e:
            if not catch_all:
                raise
            grads, extras, error, skip = None, {}, _raised(e, case.params), None
        out.append(Outcome(case.index, tuple(grads or ()), extras, error, skip))
    return out


# ----------------------------------------------------------------------------------------------------- 3. judge
def _compare(name: str, rec, gnames, got, expected, tol=GRADE_TOL) -> tuple[list[Mismatch], float]:
    """Mismatches of ``got`` against ``expected`` (shapes, NaN, values), and the largest error seen."""
    out, worst = [], 0.0
    atol, rtol = tol
    for k, (gn, a, b) in enumerate(zip(gnames, got, expected)):
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        if a.shape != b.shape:
            owner = rec.inputs[rec.wrt[k]] if gn not in ("out", "loss") else "the closed form's " + (
                "forward" if gn == "out" else "loss")
            what = "your forward returned out" if gn == "out" else f"your function returned {gn}"
            out.append(Mismatch(gn, f"{name}: {what} of shape {a.shape}; expected {b.shape} "
                                    f"(the shape of {owner})"))
            continue
        if a.size == 0:
            continue
        if not np.isfinite(a).all():
            at = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
            kind = "NaN" if np.isnan(a[at]) else "inf"
            out.append(Mismatch(gn, f"{gn}: {kind} at {at} (expected {float(b[at]):.6g})", at, float(b[at]),
                                float(a[at]), float("nan")))
            continue
        diff = np.abs(a - b)
        err, scale = float(diff.max()), float(np.abs(b).max())
        worst = max(worst, err)
        if not err <= atol + rtol * scale:
            at = tuple(int(i) for i in np.unravel_index(int(diff.argmax()), diff.shape))
            out.append(Mismatch(gn, f"{gn}: worst at {at}: expected {float(b[at]):.6g}, got {float(a[at]):.6g} "
                                    f"(|error| {err:.3g})", at, float(b[at]), float(a[at]), err))
    return out, worst


def _close(a: np.ndarray, b: np.ndarray, tol=GRADE_TOL) -> bool:
    if a.shape != b.shape:
        return False
    if a.size == 0:
        return True
    if np.isnan(a).any() or np.isnan(b).any():
        return bool(np.array_equal(np.isnan(a), np.isnan(b))) and _close(np.nan_to_num(a), np.nan_to_num(b), tol)
    return float(np.abs(a - b).max()) <= tol[0] + tol[1] * float(np.abs(b).max())


def _diagnose(name, gnames, runs, failures) -> list[Diagnosis]:
    """Known mistakes that reproduce the student's outputs, per failing gradient (see the module docstring)."""
    failing = {f.case.index: set(f.gradients) & set(gnames) for f in failures if not f.error}
    wrong = {g for gs in failing.values() for g in gs}
    if not wrong:
        return []
    by_index = {f.case.index: f for f in failures}
    matches = []  # (whole output, gradients it explains, mistake, those gradients, smallest case it explains)
    for mistake in MISTAKES.get(name, []):
        ok = dict.fromkeys(gnames, True)
        explains = dict.fromkeys(gnames, False)
        compared = False
        for case, got in runs:
            args = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in case.inputs]
            try:
                res = mistake.fn(*args, case.g, **case.params)
            except NotApplicable:
                continue
            except Exception:  # noqa: BLE001 - a catalogue entry that cannot run this case explains nothing
                ok = dict.fromkeys(gnames, False)
                break
            mine, _ = read_grads(name, res)
            compared = True
            for k, gn in enumerate(gnames):
                if ok[gn] and not _close(np.asarray(got[k]), mine[k]):
                    ok[gn] = False
                if ok[gn] and gn in failing.get(case.index, ()):
                    explains[gn] = True
        if not compared:
            continue
        grads = tuple(gn for gn in gnames if ok[gn] and explains[gn])
        if grads:
            first = min((by_index[i] for i, gs in failing.items() if gs & set(grads)),
                        key=lambda f: (f.case.size, f.case.index))
            matches.append((all(ok.values()), len(grads), mistake, grads, first.case))
    full = [m for m in matches if m[0] and set(m[3]) >= wrong]
    chosen = full[:1] or sorted(matches, key=lambda m: -m[1])
    out, covered = [], set()
    for _, _, mistake, grads, case in chosen:
        new = tuple(g for g in grads if g not in covered)
        if new:
            covered |= set(new)
            out.append(Diagnosis(mistake.name, mistake.description,
                                 explanation(name, mistake.name, mistake.description), new, case))
    return out


def judge(name: str, sweep: list[Case], outcomes: list[Outcome], *, function: str, style: str = "",
          strict: bool = False) -> Grade:
    """The :class:`Grade` of ``outcomes`` (from :func:`collect`, here or in a child process) on the prepared
    ``sweep``: compared with the closed form here, whatever the submission did to its own process."""
    name = canonical_rule(name)  # an old course-code rule name → its new name
    rec = CLOSED_FORMS[name]
    gnames = grad_names(name)
    by_index = {o.index: o for o in outcomes}
    skipped: dict[str, int] = {}
    strict_skips = 0
    runs, failures, worst, ran = [], [], 0.0, 0
    for case in sweep:
        o = by_index.get(case.index)
        if o is None:
            o = Outcome(case.index, error="no result for this case")
        if o.skip is not None:
            param, why = o.skip
            key = f"{param} ({why})"
            skipped[key] = skipped.get(key, 0) + 1
            strict_skips += strict and param in CORE_PARAMS
            continue
        ran += 1
        if o.error is not None:
            failures.append(Failure(case, error=o.error))
            continue
        expected = list(rec.backward(*case.inputs, case.g, **case.params))
        got = list(o.grads)
        if len(got) != len(gnames):
            failures.append(Failure(case, error=f"{name}: {len(got)} gradients came back; expected {len(gnames)}"))
            continue
        names, refs = list(gnames), expected
        kw = {k: v for k, v in case.params.items() if k != "kink"}
        for key in ("out", "loss"):
            if key in o.extras:
                names.append(key)
                got.append(o.extras[key])
                refs = refs + [np.asarray(rec.forward(*case.inputs, **kw), dtype=np.float64)]
        mism, w = _compare(name, rec, names, got, refs)
        worst = max(worst, w)
        runs.append((case, got[:len(gnames)]))
        if mism:
            failures.append(Failure(case, tuple(mism)))
    diagnoses = _diagnose(name, gnames, runs, failures) if failures else []
    passed = ran > 0 and not failures and not strict_skips
    reason = None
    if ran == 0:
        reason = "no case could be run: " + "; ".join(skipped) if skipped else "no case could be run"
    return Grade(rule=name, function=function, passed=passed, cases_run=ran, failures=failures, gradients=gnames,
                 diagnoses=diagnoses, skipped=skipped, max_error=worst, style=style, strict_skips=strict_skips,
                 reason=reason)


# ----------------------------------------------------------------------------------------------------- rule()
def rule(fn, name: str, *, quick: bool = False, seed: int = 0, tie: str | None = None, kink: str | None = None,
         style: str | None = None, forward=None, strict: bool = False) -> Grade:
    """Grade ``fn``, a student's backward for closed-form rule ``name``, over the checker's sweep, in this process.

    ``fn`` in any style of :mod:`.styles` (``fn(*inputs, g, **params)`` like ``CLOSED_FORMS[name].backward``, a
    cs231n backward with its ``forward``, a CSC 249 / Tsinghua layer class); ``style`` forces one. ``tie`` /
    ``kink``: the convention a function without that argument is graded under (default ``"first"`` — CSC 249's
    classes ``"all"`` — and ``"negative"``); given, they apply to every case. ``strict``: a case skipped for a
    stride, padding or kernel size fails the grade. Returns a :class:`Grade` (``.passed``, ``.failures`` smallest
    case first, ``.diagnosis``); ``print`` it. To grade untrusted code use :mod:`.submission` (a child process).

    Raises ``TypeError`` when ``fn`` fits no accepted signature (the message lists them) and ``ValueError`` for
    an unknown rule, style, tie or kink.
    """
    name = canonical_rule(name)  # an old course-code rule name → its new name
    runner = make_runner(fn, name, style=style, forward=forward, tie=tie, kink=kink)
    sweep = prepare(name, quick=quick, seed=seed, **runner.convention())
    label = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or type(fn).__name__
    return judge(name, sweep, collect(runner, sweep), function=label, style=runner.style, strict=strict)
