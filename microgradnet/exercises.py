"""The notebooks' exercise checks: ``check("conv2d_backward", conv2d_backward)`` grades the reader's answer.

Each exercise runs the reader's function on a few cases: the example worked in the notebook, then *hidden* edge
cases that a plausible wrong answer gets wrong (a diamond in the graph, tied maxima, stride 2, padding, extreme
logits such as ±1000, a batch instead of one example, a chain deeper than Python's recursion limit). The report
says in plain words what is wrong, where, and — when the answer behaves exactly like a known mistake (the catalogue
in :data:`microgradnet.closed_form.MISTAKES`, explained by :mod:`microgradnet.check.explain`, plus the mistakes
listed here) — which mistake it is.

* :func:`check` prints the report. A function that still raises ``NotImplementedError`` is reported as "not done
  yet" (the notebook carries on). With the environment variable ``MICROGRADNET_CHECK_STRICT=1`` (set by the
  notebook tests and by ``notebooks/build.py``) a wrong answer raises :class:`CheckFailed`.
* :func:`grade` returns the :class:`Result` without printing (``.status`` is ``"passed"``, ``"failed"`` or
  ``"not done"``; ``.problems`` the plain-words findings; ``.diagnoses`` the known mistakes recognised).
* :data:`EXERCISES` lists every exercise: its notebook, what the reader writes and the cases it runs.

Right answers are computed another way: the hand-derived rules of :mod:`microgradnet.closed_form` (float64), the
engine's own ``backward`` on the same graph, or a formula written out here. Arrays are compared with
``|yours − right| ≤ 1e-6·|right| + 1e-9·max(1, max|right|)`` entry by entry (a difference of rounding passes; a
wrong formula does not); the grading core's sweep uses its tolerance (:data:`microgradnet.check.grade.GRADE_TOL`).
"""

from __future__ import annotations

import copy
import math
import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import closed_form as cf
from .closed_form import MISTAKES, NotApplicable

__all__ = ["EXERCISES", "STRICT_ENV", "CheckFailed", "Exercise", "Result", "check", "grade"]

STRICT_ENV = "MICROGRADNET_CHECK_STRICT"
RTOL, ATOL = 1e-6, 1e-9


class CheckFailed(AssertionError):
    """A checked answer is wrong (raised by :func:`check` in strict mode); ``.result`` holds the report."""

    def __init__(self, result: Result):
        super().__init__(result.report())
        self.result = result


class _NotDone(Exception):
    pass


class _Stop(Exception):
    """A problem that makes further cases pointless (e.g. the wrong number of outputs)."""


@dataclass
class Result:
    """The outcome of one check: ``status`` ("passed", "failed", "not done"), the cases passed, the problems."""

    exercise: str
    status: str
    passed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    diagnoses: list[str] = field(default_factory=list)
    total: int = 0
    numbers: bool = False  # the answer is numbers (a dict), not a function

    def __bool__(self) -> bool:
        return self.status == "passed"

    def report(self) -> str:
        """The plain-words report :func:`check` prints."""
        if self.status == "not done":
            if self.numbers:
                return (f"check {self.exercise}: not done yet. Your answer still has ... in it: replace each ... "
                        "with your number, run the cell, then run this check again.")
            return (f"check {self.exercise}: not done yet. Your function still raises NotImplementedError: replace "
                    "that line with your code, run the cell, then run this check again.")
        if self.status == "passed":
            return (f"check {self.exercise}: ✓ correct on all {self.total} cases: " + "; ".join(self.passed) + ".")
        lines = [f"check {self.exercise}: ✗ not right yet ({len(self.passed)} of {self.total} cases pass)."]
        lines += ["  ✓ " + p for p in self.passed]
        lines += ["  ✗ " + p for p in self.problems]
        return "\n".join(lines)


@dataclass(frozen=True)
class Exercise:
    """One exercise: ``name`` (what :func:`check` is called with), the ``notebook`` it belongs to, the
    ``signature`` the reader writes, and ``run(answer, result)`` which grades."""

    name: str
    notebook: str
    signature: str
    run: Callable
    numbers: bool = False
    options: tuple[str, ...] = ()  # keyword options check() accepts for this exercise (e.g. "kink")
    rule: str | None = None        # the closed-form rule whose sweep (microgradnet.check.rule) follows its cases


def _strict() -> bool:
    return os.environ.get(STRICT_ENV, "").strip() not in ("", "0", "false", "False")


def grade(name: str, answer, **options) -> Result:
    """Run exercise ``name`` on ``answer`` (the reader's function or numbers); return the :class:`Result`.

    ``options`` are the exercise's conventions (``Exercise.options``): ``kink="negative"`` (default: the derivative
    at 0 is the negative side's, as in PyTorch) or ``kink="positive"`` (1 at 0, EN4553's "x if x ≥ 0") for
    ``relu_backward`` and ``prelu_backward``."""
    if name not in EXERCISES:
        import difflib
        close = difflib.get_close_matches(str(name), EXERCISES, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"check: unknown exercise {name!r}{hint}; the exercises are {', '.join(EXERCISES)}")
    ex = EXERCISES[name]
    bad = sorted(set(options) - set(ex.options))
    if bad:
        takes = f"it takes {', '.join(ex.options)}" if ex.options else "it takes none"
        raise TypeError(f"check {name!r}: unknown option(s) {', '.join(bad)}; {takes}")
    if "kink" in options:
        from .closed_form import KINKS
        if options["kink"] not in KINKS:
            raise ValueError(f"check {name!r}: kink must be one of {KINKS}, got {options['kink']!r}")
    res = Result(name, "failed", numbers=ex.numbers)
    try:
        ex.run(answer, res, **options)
        if ex.rule is not None and res.problems:
            res.problems.append("(the rule checker's sweep of more shapes runs once these cases pass)")
        elif ex.rule is not None:
            _with_checker(answer, res, ex.rule, **options)
    except _NotDone:
        res.status = "not done"
        return res
    except _Stop:
        pass
    if res.status != "not done":
        res.status = "passed" if not res.problems and res.passed else "failed"
    return res


def check(name: str, answer, **options) -> None:
    """Grade ``answer`` for exercise ``name`` and print the report (see the module docstring); ``options`` as for
    :func:`grade`, e.g. ``check("prelu_backward", prelu_backward, kink="positive")``."""
    res = grade(name, answer, **options)
    print(res.report())
    if res.status == "failed" and _strict():
        raise CheckFailed(res)


# ==================================================================================================== machinery
def _call(fn, case_label: str, args=(), kwargs=None):
    """Call the reader's function; NotImplementedError means not done, any other error is reported."""
    if not callable(fn):
        raise _Stop(f"expected a function, got {type(fn).__name__} {fn!r:.60}")
    try:
        return fn(*copy.deepcopy(args), **copy.deepcopy(kwargs or {}))
    except NotImplementedError:
        raise _NotDone() from None
    except RecursionError:
        raise _CaseError(f"{case_label}: your function hit Python's recursion limit. A recursive walk fails on "
                         "deep graphs; keep the nodes still to visit in a list used as a stack instead.") from None
    except Exception as e:  # noqa: BLE001 - the reader's code may raise anything; we report it in plain words
        raise _CaseError(f"{case_label}: your function raised {type(e).__name__}: {e}") from None


class _CaseError(Exception):
    pass


def _fmt(v) -> str:
    v = float(v)
    if v == 0:
        return "0"
    return f"{v:.6g}"


def _as_array(x, what: str, case_label: str) -> np.ndarray:
    try:
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise _CaseError(f"{case_label}: {what} should be an array of numbers, got {type(x).__name__} "
                         f"{x!r:.80}") from None
    return a


def _compare(mine: np.ndarray, right: np.ndarray, what: str) -> str | None:
    """None if equal within tolerance, else a sentence saying where and by how much they differ."""
    if mine.shape != right.shape:
        if mine.size == right.size and right.ndim <= 1 and mine.ndim <= 1:
            mine = mine.reshape(right.shape)
        else:
            return f"{what} has shape {mine.shape}, it should have shape {right.shape}"
    if not np.all(np.isfinite(mine)):
        bad = np.argwhere(~np.isfinite(mine))
        return (f"{what} contains {'NaN' if np.isnan(mine).any() else 'inf'} ({len(bad)} of {mine.size} entries, "
                f"first at {tuple(int(i) for i in bad[0])}); NaN and inf usually come from an overflow (e.g. exp of "
                "a large number) or from 0/0")
    scale = float(np.max(np.abs(right))) if right.size else 0.0
    tol = RTOL * np.abs(right) + ATOL * max(scale, 1.0)
    wrong = np.abs(mine - right) > tol
    if not wrong.any():
        return None
    if right.size == 1:
        return f"{what} is {_fmt(mine.reshape(-1)[0])}, it should be {_fmt(right.reshape(-1)[0])}"
    diff = np.abs(mine - right)
    k = np.unravel_index(int(np.argmax(np.where(wrong, diff, -1))), right.shape) if right.ndim else ()
    where = f" at index {tuple(int(i) for i in k)}" if right.ndim else ""
    return (f"{what} is wrong in {int(wrong.sum())} of {right.size} entries (largest difference "
            f"{_fmt(diff[k])}{where}: yours is {_fmt(mine[k])}, the right value is {_fmt(right[k])})")


def _same(a, b) -> bool:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        if a.size == b.size and a.ndim <= 1 and b.ndim <= 1:
            a = a.reshape(b.shape)
        else:
            return False
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return False
    scale = max(float(np.max(np.abs(b))) if b.size else 0.0, 1.0)
    return bool(np.all(np.abs(a - b) <= RTOL * np.abs(b) + ATOL * scale))


@dataclass
class Case:
    """One case of an array exercise: ``label`` (plain words), the reader's ``args``/``kwargs``, the right
    ``expected`` outputs, ``wrong``: (explanation, thunk → outputs) pairs recognised when the answer matches them,
    and ``hint``: a sentence said when this case fails."""

    label: str
    args: tuple
    kwargs: dict
    expected: tuple
    wrong: list = field(default_factory=list)
    hint: str = ""


def _outputs(out, names: tuple[str, ...], label: str) -> list[np.ndarray]:
    n = len(names)
    if n == 1:
        if isinstance(out, tuple) and len(out) == 1:
            out = out[0]
        return [_as_array(out, names[0], label)]
    if not isinstance(out, (tuple, list)) or len(out) != n:
        got = f"{type(out).__name__} of length {len(out)}" if isinstance(out, (tuple, list)) else type(out).__name__
        raise _Stop(f"{label}: your function should return {n} results ({', '.join(names)}, in that order); it "
                    f"returned a {got}")
    return [_as_array(o, nm, label) for o, nm in zip(out, names)]


def _run_cases(answer, res: Result, cases: list[Case], names: tuple[str, ...]) -> None:
    """Grade an array exercise on its own cases: every case, every output; diagnose a failing case against its
    known mistakes. (:func:`grade` then runs the grading core's sweep of the exercise's ``rule``.)"""
    res.total = len(cases)
    _own_cases(answer, res, cases, names)


def _with_checker(answer, res: Result, rule_name: str, **rule_options) -> None:
    from .check import rule

    res.total += 1
    try:
        grade = rule(answer, rule_name, quick=True, **rule_options)
    except TypeError as e:
        res.problems.append(f"the rule checker could not call your function: {e}")
        return
    label = f"the rule checker's sweep for {rule_name!r} ({grade.cases_run} more cases)"
    if grade.passed:
        res.passed.append(label)
    else:
        res.problems.append(label + ":\n    " + str(grade).replace("\n", "\n    "))
        if grade.diagnosis is not None:
            res.diagnoses.append(grade.diagnosis.explanation)


def _own_cases(answer, res: Result, cases: list[Case], names: tuple[str, ...]) -> None:
    for case in cases:
        try:
            outs = _outputs(_call(answer, case.label, case.args, case.kwargs), names, case.label)
        except _CaseError as e:
            res.problems.append(str(e) + (f" ({case.hint})" if case.hint else ""))
            continue
        except _Stop as e:
            res.problems.append(str(e))
            raise
        found = [p for p in (_compare(o, np.asarray(e, dtype=np.float64), nm)
                             for o, e, nm in zip(outs, case.expected, names)) if p]
        if not found:
            res.passed.append(case.label)
            continue
        msg = f"{case.label}: " + "; ".join(found) + "."
        if case.hint:
            msg += f" ({case.hint})"
        diag = _diagnose(outs, case)
        if diag:
            msg += _arrow(res, diag)
        res.problems.append(msg)


def _arrow(res: Result, diag: str) -> str:
    """The diagnosis line under a failing case (said once; later cases refer back to it)."""
    if diag in res.diagnoses:
        return "\n    → the same mistake as above."
    res.diagnoses.append(diag)
    return "\n    → " + diag


def _diagnose(outs: list[np.ndarray], case: Case) -> str | None:
    """The explanation of the first known mistake whose outputs equal the reader's (every output that differs
    from the right answer must match the mistake's)."""
    for explanation, thunk in case.wrong:
        try:
            wrong = thunk()
        except (NotApplicable, ValueError, TypeError, FloatingPointError):
            continue
        wrong = list(wrong) if isinstance(wrong, (tuple, list)) else [wrong]
        if len(wrong) != len(outs):
            continue
        if all(_same(o, w) for o, w in zip(outs, wrong)) and not all(
                _same(o, e) for o, e in zip(outs, case.expected)):
            return explanation
    return None


def _explain(rule: str, mistake) -> str:
    try:
        from .check.explain import explanation
    except ImportError:  # pragma: no cover - the checker is part of the package
        return f"This is exactly what a known mistake gives: {mistake.description}."
    return "This is exactly what a known mistake gives. " + explanation(rule, mistake.name, mistake.description)


def _catalogue(rule: str, call: Callable) -> list:
    """(explanation, thunk) for every catalogued mistake of ``rule``; ``call(fn)`` runs a backward with the
    case's inputs and returns the reader-shaped outputs."""
    return [(_explain(rule, m), (lambda m=m: call(m.fn))) for m in MISTAKES.get(rule, [])]


def _rng(name: str) -> np.random.Generator:
    return np.random.default_rng(sum(map(ord, name)) * 7919)


def _distinct(rng, *shape) -> np.ndarray:
    """Random values, all different and away from 0 (so maxima are unique and no kink is hit)."""
    n = int(np.prod(shape))
    v = rng.permutation(n) - n // 2 + 0.5 + rng.uniform(-0.2, 0.2, n)
    return (v / 2.0).reshape(shape)


# ========================================================================= notebook 01: derivatives as slopes
def _run_central_difference(answer, res: Result) -> None:
    fns = [
        ("x³ at x = 2 with h = 0.001", lambda x: x ** 3, 2.0, 1e-3),
        ("sin(x) at x = 1 with h = 1e-5", math.sin, 1.0, 1e-5),
        ("3x² − x at x = −1.5 with h = 0.1 (a parabola: the central difference is exact)",
         lambda x: 3 * x * x - x, -1.5, 0.1),
        ("eˣ at x = 0 with a large step h = 0.5", math.exp, 0.0, 0.5),
    ]
    res.total = len(fns)
    for label, f, x, h in fns:
        right = (f(x + h) - f(x - h)) / (2 * h)
        wrongs = [
            ("This is the FORWARD difference (f(x + h) − f(x))/h: its error shrinks like h, the central one's like "
             "h². Use f(x + h) − f(x − h).", (f(x + h) - f(x)) / h),
            ("This is the backward difference (f(x) − f(x − h))/h; use both sides: f(x + h) − f(x − h).",
             (f(x) - f(x - h)) / h),
            ("This is f(x + h) − f(x − h) divided by h: the two points are 2h apart, so divide by 2h.",
             (f(x + h) - f(x - h)) / h),
            ("This is (f(x + h) − f(x − h))/2*h: Python reads /2*h as (…/2)·h. Write / (2 * h) with brackets.",
             (f(x + h) - f(x - h)) / 2 * h),
        ]
        try:
            got = _call(answer, label, (f, x, h))
        except _CaseError as e:
            res.problems.append(str(e))
            continue
        try:
            got = float(got)
        except (TypeError, ValueError):
            res.problems.append(f"{label}: your function should return a number, got {type(got).__name__}")
            continue
        if abs(got - right) <= 1e-9 * max(1.0, abs(right)):
            res.passed.append(label)
            continue
        msg = f"{label}: you return {_fmt(got)}, the central difference is {_fmt(right)}."
        for text, w in wrongs:
            if abs(got - w) <= 1e-9 * max(1.0, abs(w)):
                msg += _arrow(res, text)
                break
        res.problems.append(msg)


# =========================================================================== notebook 02: the chain rule
CHAIN_EXAMPLE = {"x": 3.0, "y": -2.0}
"""Notebook 02's hand exercise: q = x·y, f = q + x, L = f² at x = 3, y = −2 (x is used twice: a diamond)."""


def _chain_numbers(x, y):
    q = x * y
    f = q + x
    dL_df = 2 * f
    dL_dq = dL_df
    return {"f": dL_df, "q": dL_dq, "x": dL_dq * y + dL_df, "y": dL_dq * x}


def _run_chain_by_hand(answer, res: Result) -> None:
    from .value import Value

    x, y = Value(CHAIN_EXAMPLE["x"], label="x"), Value(CHAIN_EXAMPLE["y"], label="y")
    q = x * y
    f = q + x
    L = f ** 2
    L.backward()
    right = {"f": f.grad, "q": q.grad, "x": x.grad, "y": y.grad}
    assert right == _chain_numbers(CHAIN_EXAMPLE["x"], CHAIN_EXAMPLE["y"])
    res.total = 4
    if answer is None or answer is ...:
        raise _NotDone()
    if not isinstance(answer, dict):
        raise _Stop(f"give your answer as a dict like {{'f': ..., 'q': ..., 'x': ..., 'y': ...}}, got "
                    f"{type(answer).__name__}")
    if any(v is ... or v is None for v in answer.values()) and not any(
            isinstance(v, (int, float)) for v in answer.values()):
        raise _NotDone()
    wrong_x = {
        right["q"] * CHAIN_EXAMPLE["y"]: "you followed only the path x → q → f → L. x also reaches f directly "
                                         "(f = q + x): add the two paths, ∂L/∂x = ∂L/∂q·y + ∂L/∂f·1.",
        right["f"]: "you followed only the direct path x → f. x also reaches f through q = x·y: add "
                    "∂L/∂q·∂q/∂x = ∂L/∂q·y.",
    }
    for key in ("f", "q", "x", "y"):
        label = f"∂L/∂{key}"
        if key not in answer:
            res.problems.append(f"{label}: missing from your answer (the dict needs the key {key!r})")
            continue
        if answer[key] is ... or answer[key] is None:
            res.problems.append(f"{label}: not filled in yet (replace the ... with your number)")
            continue
        try:
            v = float(answer[key])
        except (TypeError, ValueError):
            res.problems.append(f"{label}: should be a number, got {answer[key]!r}")
            continue
        if abs(v - right[key]) < 1e-9:
            res.passed.append(f"{label} = {_fmt(right[key])}")
            continue
        msg = f"{label}: you have {_fmt(v)}, that is not it."
        if key == "x" and v in wrong_x:
            msg += _arrow(res, wrong_x[v])
        elif abs(v + right[key]) < 1e-9:
            msg += _arrow(res, "The size is right but the sign is flipped.")
        elif key in ("f", "q") and abs(v - right[key] / 2) < 1e-9:
            msg += _arrow(res, "d(f²)/df = 2f: the factor 2 is missing.")
        res.problems.append(msg)


def _graphs():
    """The graphs the reader's ``backward`` runs on: (label, builder → (root, nodes in creation order), hint)."""
    from .value import Value

    def neuron():
        x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
        w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
        b = Value(6.8813735870195432, label="b")
        n = x1 * w1 + x2 * w2 + b
        o = n.tanh()
        return o, [x1, x2, w1, w2, b, n, o]

    def diamond():
        a = Value(0.5, label="a")
        b = a * 3.0           # b is used three times below: a diamond through an intermediate
        c = b.exp()
        d = b * c
        e = d + b
        return e, [a, b, c, d, e]

    def same_operand():
        a = Value(-1.5, label="a")
        b = a + a
        c = b * b
        return c, [a, b, c]

    def chain():
        x = Value(1.0, label="x")
        nodes = [x]
        y = x
        for _ in range(5000):
            y = y * 0.9999
            nodes.append(y)
        return y, nodes

    return [
        ("the lecture's neuron tanh(x1·w1 + x2·w2 + b)", neuron, ""),
        ("a diamond: b = 3a feeds c = eᵇ, d = b·c and e = d + b", diamond,
         "a node used by several others must collect the sum of what each of them sends back"),
        ("the same operand twice: b = a + a, c = b·b", same_operand,
         "∂(a + a)/∂a = 2: both edges from a must add into a.grad"),
        ("a chain 5,000 nodes deep", chain,
         "Python stops recursion at about 1,000 (IPython 3,000) levels"),
    ]


def _reference_backward(root, mode: str) -> None:
    """The right backward and some wrong ones, on a Value graph (grads must start at 0)."""
    from .engine import toposort

    order = toposort(root)
    if mode == "right":
        root.backward()
        return
    if mode == "assign":
        root.grad = 1.0
        for node in reversed(order):
            for p, local in zip(node._prev, node.local_grads()):
                p.grad = node.grad * local
        return
    if mode == "forward_order":
        root.grad = 1.0
        for node in order:
            for p, local in zip(node._prev, node.local_grads()):
                p.grad += node.grad * local
        return
    if mode == "naive_recursion":
        # go(node): for each parent: parent.grad += node.grad * local; go(parent) -- simulated with explicit frames
        root.grad = 1.0
        stack = [(root, 0)]
        while stack:
            node, k = stack.pop()
            if k < len(node._prev):
                stack.append((node, k + 1))
                parent = node._prev[k]
                parent.grad += node.grad * node.local_grads()[k]
                stack.append((parent, 0))
        return
    if mode == "root_grad_unset":
        for node in reversed(order):
            for p, local in zip(node._prev, node.local_grads()):
                p.grad += node.grad * local
        return
    raise ValueError(mode)


_BACKWARD_MISTAKES = [
    ("assign", "Your backward sets parent.grad = … instead of adding to it: a node that feeds several others "
               "keeps only the last contribution. Use parent.grad += node.grad * local."),
    ("naive_recursion", "Your backward sends each node's gradient to its parents as soon as it gets one (a plain "
                        "recursion), so a node shared by two paths passes its partial gradient on twice. Visit the "
                        "nodes in reverse topological order: a node only after every node that uses it."),
    ("forward_order", "Your backward walks the nodes in forward (creation) order: a node sends its gradient before "
                      "it has received any. Walk the topological order in reverse."),
    ("root_grad_unset", "Every gradient is 0: the output's own gradient ∂L/∂L = 1 was never set (root.grad = 1.0)."),
]


def _run_backward(answer, res: Result) -> None:
    graphs = _graphs()
    res.total = len(graphs)
    for label, build, hint in graphs:
        root, nodes = build()
        try:
            _call_raw(answer, label, root)
        except _CaseError as e:
            res.problems.append(str(e))
            continue
        mine = np.array([n.grad for n in nodes], dtype=np.float64)
        root2, nodes2 = build()
        _reference_backward(root2, "right")
        right = np.array([n.grad for n in nodes2])
        if _same(mine, right):
            res.passed.append(label)
            continue
        names = [n.label or f"node {k}" for k, n in enumerate(nodes)]
        bad = [k for k in range(len(nodes)) if not _same(mine[k], right[k])]
        k = bad[0]
        msg = (f"{label}: {len(bad)} of {len(nodes)} gradients are wrong; e.g. {names[k]}.grad is {_fmt(mine[k])}, "
               f"it should be {_fmt(right[k])}.")
        if hint:
            msg += f" ({hint})"
        for mode, text in _BACKWARD_MISTAKES:
            root3, nodes3 = build()
            _reference_backward(root3, mode)
            if _same(mine, np.array([n.grad for n in nodes3])):
                msg += _arrow(res, text)
                break
        res.problems.append(msg)


def _call_raw(answer, label, *args):
    """Call the reader's function on our own objects (no copies: it must change them, or we read their grads)."""
    if not callable(answer):
        raise _Stop(f"expected a function, got {type(answer).__name__}")
    try:
        return answer(*args)
    except NotImplementedError:
        raise _NotDone() from None
    except RecursionError:
        raise _CaseError(f"{label}: your function hit Python's recursion limit. A recursive walk fails on deep "
                         "graphs; keep the nodes still to visit in a list used as a stack instead.") from None
    except Exception as e:  # noqa: BLE001 - the reader's code may raise anything
        raise _CaseError(f"{label}: your function raised {type(e).__name__}: {e}") from None


# ================================================================================ notebook 03: a neuron, an MLP
def _hinge_ref(scores, labels, mode="right"):
    from .value import Value

    s = [Value(v) for v in scores]
    terms = []
    for yi, si in zip(labels, s):
        if mode == "no_relu":
            terms.append(1 + -yi * si)
        elif mode == "sign":
            terms.append((1 + yi * si).relu())
        else:
            terms.append((1 + -yi * si).relu())
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    loss = total if mode == "sum" else total * (1.0 / len(terms))
    loss.backward()
    return loss.data, np.array([v.grad for v in s])


def _run_hinge_loss(answer, res: Result) -> None:
    from .value import Value

    cases = [
        ("four scores, two on the wrong side", [0.5, -2.0, 1.5, -0.3], [1, 1, -1, -1], ""),
        ("a score exactly on the margin (y·s = 1)", [1.0, -0.2, 3.0], [1, -1, 1],
         "at y·s = 1 the hinge has a kink; relu'(0) = 0, so that score gets no gradient"),
        ("every score beyond the margin (the loss is 0)", [2.0, -1.5, 4.0, -3.0], [1, -1, 1, -1], ""),
        ("one example", [-0.7], [1], ""),
    ]
    res.total = len(cases)
    for label, scores, labels, hint in cases:
        s = [Value(v) for v in scores]
        try:
            loss = _call_raw(answer, label, s, list(labels))
        except _CaseError as e:
            res.problems.append(str(e))
            continue
        if not isinstance(loss, Value):
            res.problems.append(f"{label}: your function should return one Value (the mean loss), got "
                                f"{type(loss).__name__}; build it from the score Values so it can be back-propagated")
            continue
        loss.backward()
        mine = np.array([loss.data] + [v.grad for v in s])
        ld, gr = _hinge_ref(scores, labels)
        right = np.concatenate([[ld], gr])
        if _same(mine, right):
            res.passed.append(label)
            continue
        msg = f"{label}: " + (_compare(mine[:1], right[:1], "the loss") or _compare(mine[1:], right[1:],
                                                                                    "∂loss/∂scores")) + "."
        if hint:
            msg += f" ({hint})"
        for mode, text in [("sum", "You return the SUM of the hinge terms; the loss is their MEAN (divide by the "
                                   "number of examples)."),
                           ("no_relu", "You left out the max(0, ·): a score far beyond the margin would then lower "
                                       "the loss without limit. Use (1 − y·s).relu()."),
                           ("sign", "You wrote 1 + y·s: the hinge is max(0, 1 − y·s).")]:
            wd, wg = _hinge_ref(scores, labels, mode)
            if _same(mine, np.concatenate([[wd], wg])):
                msg += _arrow(res, text)
                break
        res.problems.append(msg)


def _tiny_model(seed: int):
    from .nn.micrograd import MLP

    state = random.getstate()
    random.seed(seed)
    try:
        return MLP(3, [4, 1])
    finally:
        random.setstate(state)


def _tiny_loss(model, k: int):
    xs = [[1.0, -2.0, 0.5], [0.3, 0.8, -1.2], [-1.0, 0.4, 2.0]]
    ys = [1.0, -1.0, 1.0]
    out = None
    for x, y in zip(xs, ys):
        term = (model(x) - y * (1 + 0.5 * k)) ** 2
        out = term if out is None else out + term
    return out * (1.0 / len(xs))


def _sgd_ref(model, loss, lr, mode):
    if mode != "no_zero":
        for p in model.parameters():
            p.grad = 0.0
    loss.backward()
    for p in model.parameters():
        if mode == "ascent":
            p.data += lr * p.grad
        elif mode == "no_lr":
            p.data -= p.grad
        else:
            p.data -= lr * p.grad


def _run_sgd_step(answer, res: Result) -> None:
    settings = [("two steps with lr = 0.1", 0.1), ("two steps with lr = 0.02", 0.02)]
    res.total = 2 * len(settings)
    for label, lr in settings:
        mine_model = _tiny_model(7)
        for step in (1, 2):
            case = f"{label}, step {step}"
            loss = _tiny_loss(mine_model, step)
            try:
                _call_raw(answer, case, mine_model, loss, lr)
            except _CaseError as e:
                res.problems.append(str(e))
                break
            mine = np.array([p.data for p in mine_model.parameters()])
            refs = {}
            for mode in ("right", "no_zero", "ascent", "no_lr"):
                m = _tiny_model(7)
                for s in range(1, step + 1):
                    _sgd_ref(m, _tiny_loss(m, s), lr, mode)
                refs[mode] = np.array([p.data for p in m.parameters()])
            if _same(mine, refs["right"]):
                res.passed.append(case)
                continue
            msg = f"{case}: " + _compare(mine, refs["right"], "the parameter vector after the step") + "."
            for mode, text in [
                ("no_zero", "The first step is right but the second is not: the gradients were not set to 0 "
                            "before backward, so step 2 used the sum of both steps' gradients (leaves ACCUMULATE "
                            "their .grad). Call model.zero_grad() before loss.backward()."),
                ("ascent", "The parameters moved UP the gradient: gradient descent is p.data -= lr * p.grad."),
                ("no_lr", "The step ignores the learning rate: p.data -= lr * p.grad."),
            ]:
                if _same(mine, refs[mode]):
                    msg += _arrow(res, text)
                    break
            res.problems.append(msg)
            break


# ========================================================================= notebook 04: dense layer and softmax
def _linear_cases() -> list[Case]:
    rng = _rng("linear_backward")
    out = []
    specs = [("the example in the text: W 2×3, x of 3", 2, 3, ""),
             ("a tall W (4×2)", 4, 2, "∂L/∂W has W's shape (O×L), ∂L/∂x has x's shape (L)"),
             ("a square W (3×3)", 3, 3, "∂L/∂x_j = Σ_i W_ij ∂L/∂y_i: the transpose matters"),
             ("one output (W 1×5)", 1, 5, "")]
    for label, O, L, hint in specs:
        x, W, b, g = _distinct(rng, L), _distinct(rng, O, L), _distinct(rng, O), _distinct(rng, O)
        r = cf.linear_columns_backward(x, W, b, g)

        def call(fn, x=x, W=W, b=b, g=g):
            w = fn(x, W, b, g)
            return (w.dx, w.dW, w.db)

        out.append(Case(label, (x, W, b, g), {}, (r.dx, r.dW, r.db), _catalogue("linear", call), hint))
    return out


def _run_linear_backward(answer, res):
    _run_cases(answer, res, _linear_cases(), ("∂L/∂x", "∂L/∂W", "∂L/∂b"))


def _softmax_cases() -> list[Case]:
    z_batch = _rng("softmax").normal(size=(3, 4)) * 3

    def naive(z):
        with np.errstate(over="ignore", invalid="ignore"):
            e = np.exp(z)
            return e / e.sum(axis=-1, keepdims=True)

    def whole(z):
        e = np.exp(z - z.max())
        return e / e.sum()

    specs = [("z = [1, 2, 3]", np.array([1.0, 2.0, 3.0]), ""),
             ("extreme logits z = [1000, 999, −1000]", np.array([1000.0, 999.0, -1000.0]),
              "e¹⁰⁰⁰ overflows float64 (the largest float is about 1.8·10³⁰⁸): subtract max(z) first"),
             ("very negative logits z = [−1000, −1001]", np.array([-1000.0, -1001.0]),
              "e⁻¹⁰⁰⁰ underflows to 0, and 0/0 is NaN: subtracting max(z) fixes this too"),
             ("a batch of 3 rows (normalise each row)", z_batch, "each row of a (N, C) array is one example")]
    out = []
    for label, z, hint in specs:
        wrong = [("This is the textbook formula e^z / Σ e^z without subtracting the maximum: it overflows.",
                  lambda z=z: naive(z))]
        if z.ndim == 2:
            wrong.append(("You normalised over the whole array; each row (the last axis) must sum to 1: use "
                          "axis=-1, keepdims=True.", lambda z=z: whole(z)))
        out.append(Case(label, (z,), {}, (cf.softmax(z),), wrong, hint))
    return out


def _run_stable_softmax(answer, res):
    _run_cases(answer, res, _softmax_cases(), ("p",))


def _ce_cases() -> list[Case]:
    rng = _rng("cross_entropy_backward")
    specs = [("one example, scores [2, 1, 0.1], label 0", np.array([[2.0, 1.0, 0.1]]), np.array([0]), ""),
             ("a batch of 4 (the loss is the mean)", rng.normal(size=(4, 5)), np.array([1, 4, 0, 4]),
              "L is the mean over the batch, so every row of ∂L/∂s carries 1/N"),
             ("extreme logits ±1000", np.array([[1000.0, -1000.0, 0.0], [-1000.0, 999.0, 1000.0]]),
              np.array([1, 2]), "p = softmax(s) must be computed stably (subtract the row maximum)"),
             ("the label is the last class", rng.normal(size=(2, 3)), np.array([2, 2]), "")]
    out = []
    for label, s, y, hint in specs:
        r = cf.cross_entropy_backward(s, y)

        def call(fn, s=s, y=y):
            return (fn(s, y).dscores,)

        out.append(Case(label, (s, y), {}, (r.dscores,), _catalogue("cross_entropy", call), hint))
    return out


def _run_cross_entropy_backward(answer, res):
    _run_cases(answer, res, _ce_cases(), ("∂L/∂s",))


# ============================================================================== notebook 05: convolution
def _conv_cases() -> list[Case]:
    rng = _rng("conv2d_backward")
    specs = [("one 3×3 channel, a 2×2 kernel (the Tsinghua hint)", (1, 1, 3, 3), (1, 1, 2, 2), 1, 0, ""),
             ("a batch of 2, 3 channels in, 2 filters, 3×3 kernel", (2, 3, 5, 5), (2, 3, 3, 3), 1, 0, ""),
             ("stride 2", (1, 2, 7, 7), (3, 2, 3, 3), 2, 0,
              "output (i, j) reads the window whose top-left corner is (i·s, j·s)"),
             ("padding 1", (2, 1, 4, 5), (2, 1, 3, 3), 1, 1,
              "the gradient reaching the zero padding is dropped; ∂L/∂x has x's unpadded shape"),
             ("stride 2, padding 1, a 3×2 kernel", (1, 2, 6, 5), (2, 2, 3, 2), 2, 1, "")]
    out = []
    for label, xs, ws, s, p, hint in specs:
        x, w, b = rng.normal(size=xs), rng.normal(size=ws), rng.normal(size=ws[0])
        y = cf.conv2d(x, w, b, stride=s, padding=p)
        g = rng.normal(size=y.shape)
        r = cf.conv2d_backward(x, w, b, g, stride=s, padding=p)

        def call(fn, x=x, w=w, b=b, g=g, s=s, p=p):
            z = fn(x, w, b, g, stride=s, padding=p, dilation=1)
            return (z.dx, z.dw, z.db)

        out.append(Case(label, (x, w, b, g), dict(stride=s, padding=p), (r.dx, r.dw, r.db),
                        _catalogue("conv2d", call), hint))
    return out


def _run_conv2d_backward(answer, res):
    _run_cases(answer, res, _conv_cases(), ("∂L/∂x", "∂L/∂w", "∂L/∂b"))


def _field_ref(i, j, k, s, p, H, W, mode="right"):
    if mode == "no_stride":
        s = 1
    rows = range(i * s - (0 if mode == "no_padding_shift" else p), i * s - (0 if mode == "no_padding_shift" else p)
                 + k + (1 if mode == "inclusive" else 0))
    cols = range(j * s - (0 if mode == "no_padding_shift" else p), j * s - (0 if mode == "no_padding_shift" else p)
                 + k + (1 if mode == "inclusive" else 0))
    keep = (lambda r, c: True) if mode == "keep_padding" else (lambda r, c: 0 <= r < H and 0 <= c < W)
    return {(r, c) for r in rows for c in cols if keep(r, c)}


def _run_receptive_field(answer, res: Result) -> None:
    cases = [("output (0, 0), 3×3 kernel, stride 1, no padding, 5×5 input", (0, 0, 3, 1, 0, 5, 5), ""),
             ("output (1, 2), 2×2 kernel, stride 2, 6×6 input", (1, 2, 2, 2, 0, 6, 6),
              "with stride s, output (i, j) starts at input row i·s, column j·s"),
             ("output (0, 0), 3×3 kernel, padding 1, 4×4 input", (0, 0, 3, 1, 1, 4, 4),
              "padding shifts the window up and left by p; positions in the padding are not inputs"),
             ("output (2, 1), 3×3 kernel, stride 2, padding 1, 5×5 input", (2, 1, 3, 2, 1, 5, 5), "")]
    res.total = len(cases)
    for label, (i, j, k, s, p, H, W), hint in cases:
        right = _field_ref(i, j, k, s, p, H, W)
        try:
            got = _call(answer, label, (i, j), dict(kernel_size=k, stride=s, padding=p, height=H, width=W))
        except _CaseError as e:
            res.problems.append(str(e))
            continue
        try:
            got = {(int(r), int(c)) for r, c in got}
        except (TypeError, ValueError):
            res.problems.append(f"{label}: return a set of (row, column) pairs, got {got!r:.80}")
            continue
        if got == right:
            res.passed.append(label)
            continue
        extra, missing = sorted(got - right), sorted(right - got)
        msg = f"{label}: "
        if extra:
            msg += f"{len(extra)} position(s) you list do not receive gradient, e.g. {extra[0]}; "
        if missing:
            msg += f"{len(missing)} position(s) that do are missing, e.g. {missing[0]}; "
        msg = msg.rstrip("; ") + "." + (f" ({hint})" if hint else "")
        for mode, text in [("keep_padding", "You kept positions that fall in the zero padding (row or column < 0 or "
                                            "≥ the input size): they are not inputs and receive nothing."),
                           ("no_stride", "You placed the window at (i, j) instead of (i·stride, j·stride)."),
                           ("no_padding_shift", "You forgot that padding shifts the window: it starts at "
                                                "(i·s − p, j·s − p) in the unpadded input."),
                           ("inclusive", "Your window is one too wide: range(start, start + k) has k positions.")]:
            if got == _field_ref(i, j, k, s, p, H, W, mode):
                msg += _arrow(res, text)
                break
        res.problems.append(msg)


# =================================================================== notebook 06: max-pooling and activations
def _pool_cases() -> list[Case]:
    rng = _rng("maxpool_backward")
    tied = np.array([[[1.0, 3.0, 2.0, 2.0],
                      [3.0, 0.5, 2.0, 2.0],
                      [-1.0, -1.0, 4.0, 0.0],
                      [-2.0, -1.0, 1.0, 4.0]]])
    overlap_tied = np.array([[[5.0, 1.0, 5.0],
                              [0.0, 5.0, 2.0],
                              [1.0, 2.0, 3.0]]])
    specs = [("4×4, 2×2 windows, stride 2, no ties (EN4553)", _distinct(rng, 1, 4, 4), 2, 2, "all", ""),
             ("tied maxima, tie='all' (CSC 249: every maximum gets the gradient)", tied, 2, 2, "all",
              "every position that equals its window's maximum receives the full ∂L/∂y"),
             ("tied maxima, tie='first' (PyTorch: the first in row-major order)", tied, 2, 2, "first", ""),
             ("tied maxima, tie='split' (k tied positions get ∂L/∂y / k each)", tied, 2, 2, "split", ""),
             ("overlapping 3×3 windows, stride 2, 2 channels", _distinct(rng, 2, 5, 5), 3, 2, "all",
              "a position that wins two windows receives both gradients: they add"),
             ("overlapping 2×2 windows, stride 1, with ties", overlap_tied, 2, 1, "split", "")]
    out = []
    for label, x, k, s, tie, hint in specs:
        y = cf.max_pool2d(x, kernel_size=k, stride=s, tie=tie)
        g = np.round(rng.normal(size=y.shape), 2) + 0.05
        r = cf.max_pool2d_backward(x, g, kernel_size=k, stride=s, tie=tie)

        def call(fn, x=x, g=g, k=k, s=s, tie=tie):
            return (fn(x, g, kernel_size=k, stride=s, padding=0, tie=tie).dx,)

        out.append(Case(label, (x, g), dict(kernel_size=k, stride=s, tie=tie), (r.dx,),
                        _catalogue("max_pool2d", call), hint))
    return out


def _run_maxpool_backward(answer, res):
    _run_cases(answer, res, _pool_cases(), ("∂L/∂x",))


def _prelu_cases(kink: str = "negative") -> list[Case]:
    rng = _rng("prelu_backward")
    at_zero = ("convention: PReLU'(0) = α (the negative side, as relu'(0) = 0 and PyTorch)" if kink == "negative"
               else "convention kink='positive': PReLU'(0) = 1, the x ≥ 0 branch of EN4553's definition")
    specs = [("the EN4553 Q1(d) layout: a 2×2 U with ∂L/∂V = [[2, −2.5], [1.5, 3]]",
              np.array([[1.5, -2.0], [-0.5, 3.0]]), 0.25, np.array([[2.0, -2.5], [1.5, 3.0]]), ""),
             ("every input positive (α receives nothing)", np.abs(_distinct(rng, 3, 2)) + 0.1, 0.1,
              rng.normal(size=(3, 2)), "∂L/∂α sums only over the inputs where the α side is used (x < 0)"),
             ("inputs exactly 0", np.array([0.0, -1.0, 0.0, 2.0]), 0.3, np.array([1.0, 2.0, -1.0, 0.5]), at_zero),
             ("a 3×4 input, α = 0.05", _distinct(rng, 3, 4), 0.05, rng.normal(size=(3, 4)), "")]
    out = []
    for label, x, a, g, hint in specs:
        r = cf.prelu_backward(x, a, g, kink=kink)

        def call(fn, x=x, a=a, g=g):
            z = fn(x, a, g)
            return (z.dx, float(np.sum(z.dalpha)))

        other = "positive" if kink == "negative" else "negative"
        wrong = _catalogue("prelu", call) + [
            ("∂L/∂α has the wrong sign: v = α·x on the negative side, so ∂v/∂α = x (not −x).",
             lambda r=r: (r.dx, -float(r.dalpha))),
            (f"At x = 0 you used the other convention (kink='{other}'); this check uses kink='{kink}'. Pass "
             f"kink='{other}' to check(...) if that is the convention your course asks for.",
             lambda x=x, a=a, g=g, r=r, other=other: (cf.prelu_backward(x, a, g, kink=other).dx, float(r.dalpha)))]
        out.append(Case(label, (x, a, g), {}, (r.dx, float(r.dalpha)), wrong, hint))
    return out


def _run_prelu_backward(answer, res, kink="negative"):
    _run_cases(answer, res, _prelu_cases(kink), ("∂L/∂x", "∂L/∂α"))


def _relu_cases(kink: str = "negative") -> list[Case]:
    rng = _rng("relu_backward")
    at_zero = ("convention: relu'(0) = 0 (EECS 498's 1[X > 0], PyTorch)" if kink == "negative"
               else "convention kink='positive': relu'(0) = 1")
    specs = [("x = [−2, −0.5, 1, 3] (EECS 498 §1.2)", np.array([-2.0, -0.5, 1.0, 3.0]),
              np.array([1.0, -2.0, 0.5, -1.5]), "the mask comes from x; ∂L/∂Y may be negative where x > 0"),
             ("inputs exactly 0", np.array([[0.0, 1.0], [-1.0, 0.0]]), np.array([[2.0, -1.0], [3.0, -0.5]]), at_zero),
             ("a (2, 3, 4) tensor", _distinct(rng, 2, 3, 4), rng.normal(size=(2, 3, 4)), "ReLU is element-wise: "
              "∂L/∂X has X's shape"),
             ("every input negative (nothing passes)", -np.abs(_distinct(rng, 3, 3)) - 0.1, rng.normal(size=(3, 3)),
              "")]
    out = []
    for label, x, g, hint in specs:
        r = cf.relu_backward(x, g, kink=kink)

        def call(fn, x=x, g=g):
            return (fn(x, g).dx,)

        wrong = _catalogue("relu", call)
        other = "positive" if kink == "negative" else "negative"
        wrong.append((f"At x = 0 you used the other convention (kink='{other}'); this check uses kink='{kink}'.",
                      lambda x=x, g=g, other=other: (cf.relu_backward(x, g, kink=other).dx,)))
        out.append(Case(label, (x, g), {}, (r.dx,), wrong, hint))
    return out


def _run_relu_backward(answer, res, kink="negative"):
    _run_cases(answer, res, _relu_cases(kink), ("∂L/∂X",))


def _tanh_cases() -> list[Case]:
    rng = _rng("tanh_backward")
    specs = [("z = [−1, 0, 0.5, 2]", np.array([-1.0, 0.0, 0.5, 2.0]), np.array([1.0, -2.0, 0.5, 3.0]), ""),
             ("a (2, 3, 3) feature map", rng.normal(size=(2, 3, 3)), rng.normal(size=(2, 3, 3)), ""),
             ("saturated inputs z = ±20", np.array([20.0, -20.0, 0.1]), np.array([1.0, 1.0, 1.0]),
              "tanh(±20) = ±1 to 17 digits, so its slope 1 − y² is 0 there")]
    out = []
    for label, z, g, hint in specs:
        r = cf.tanh_backward(z, g)

        def call(fn, z=z, g=g):
            return (fn(z, g).dx,)

        out.append(Case(label, (z, g), {}, (r.dx,), _catalogue("tanh", call), hint))
    return out


def _run_tanh_backward(answer, res):
    _run_cases(answer, res, _tanh_cases(), ("dL/dz",))


# =============================================================================== notebook 07: batch norm, dropout
def _bn_cases() -> list[Case]:
    rng = _rng("batchnorm_backward")
    specs = [("a batch of 4, 3 features", rng.normal(size=(4, 3)) * 2 + 1, ""),
             ("a batch of 2 (the smallest)", rng.normal(size=(2, 3)), ""),
             ("features far from 0 (mean 50, spread 10)", rng.normal(size=(6, 2)) * 10 + 50,
              "the gradient through μ matters even when x is large"),
             ("a constant feature (variance 0: ε keeps σ away from 0)", np.c_[np.full(5, 3.0), rng.normal(size=5)],
              "")]
    out = []
    for label, x, hint in specs:
        D = x.shape[1]
        gamma, beta, g = rng.normal(size=D) + 1.5, rng.normal(size=D), rng.normal(size=x.shape)
        r = cf.batch_norm_backward(x, gamma, beta, g, eps=1e-5)

        def call(fn, x=x, gamma=gamma, beta=beta, g=g):
            z = fn(x, gamma, beta, g, eps=1e-5)
            return (z.dx, z.dgamma, z.dbeta)

        out.append(Case(label, (x, gamma, beta, g), dict(eps=1e-5), (r.dx, r.dgamma, r.dbeta),
                        _catalogue("batch_norm", call), hint))
    return out


def _run_batchnorm_backward(answer, res):
    _run_cases(answer, res, _bn_cases(), ("∂L/∂x", "∂L/∂γ", "∂L/∂β"))


BN_SIGMA_EXAMPLE = {"X": [[1.0, 2.0], [3.0, 0.0], [5.0, 4.0]], "G": [[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]], "eps": 0.0}
"""Notebook 07's worked example of the handout's batch norm (EECS 498 HW1 §1.4): μ = (3, 2), Σⱼ‖Xⱼ − μ‖² = 16,
σ = 4 (ε = 0), Σⱼ⟨Gⱼ, Xⱼ − μ⟩ = −4, so ∂L/∂X = (G − Ḡ)/4 + (X − μ)/16 = [[−1/24, 0], [−1/6, 1/8], [5/24, −1/8]]."""


def _bn498_variant(X, g, eps, mode):
    """The handout's layer ``Y_i = (X_i − μ)/σ`` with ``σ = s(S)``, ``S = Σ_j ||X_j − μ||²`` (or per feature) and the
    exact backward ``∂L/∂X_i = (G_i − Ḡ)/σ − (X_i − μ) · s'(S)·2/σ² · Σ_j ⟨G_j, X_j − μ⟩``, for two plausible
    wrong σ: ``mode`` "eps_outside" (σ = √S + ε) or "usual" (the usual batch norm, one σ per feature,
    σ_k = √((1/n) Σ_j (X_jk − μ_k)² + ε))."""
    X, g = np.asarray(X, dtype=np.float64), np.asarray(g, dtype=np.float64)
    d = X - X.mean(axis=0)
    if mode == "eps_outside":
        root = np.sqrt((d * d).sum())
        sigma, two_ds = root + eps, 1.0 / root
        dots = (g * d).sum()
    else:
        n = X.shape[0]
        sigma = np.sqrt((d * d).mean(axis=0) + eps)
        two_ds = 1.0 / (n * sigma)
        dots = (g * d).sum(axis=0)
    return (g - g.mean(axis=0)) / sigma - d * (two_ds / sigma**2) * dots


def _bn_sigma_cases() -> list[Case]:
    rng = _rng("batchnorm_sigma_backward")
    ex = BN_SIGMA_EXAMPLE
    specs = [("the worked example X = [[1, 2], [3, 0], [5, 4]], ε = 0 (σ = 4)", np.array(ex["X"]), np.array(ex["G"]),
              ex["eps"], "μ = (3, 2), σ = √(Σⱼ‖Xⱼ − μ‖²) = √16 = 4, Σⱼ⟨Gⱼ, Xⱼ − μ⟩ = −4"),
             ("a batch of 2 (one pair of rows: X₁ − μ = −(X₂ − μ))", rng.normal(size=(2, 3)),
              rng.normal(size=(2, 3)), 1e-5, "σ sums over every row AND every feature, with no 1/n"),
             ("one feature (d = 1, X of shape (6, 1))", rng.normal(size=(6, 1)) * 2 + 3, rng.normal(size=(6, 1)),
              1e-5, "with d = 1 the one σ is √(Σⱼ (Xⱼ − μ)² + ε), still without 1/n"),
             ("a wide batch (4 rows, 12 features)", rng.normal(size=(4, 12)) * 1.5 - 0.5, rng.normal(size=(4, 12)),
              1e-5, "σ is ONE number for the whole batch: ‖Xⱼ − μ‖² sums over the 12 features"),
             ("a large ε = 0.5 (ε under the square root)", rng.normal(size=(5, 3)) * 0.5, rng.normal(size=(5, 3)),
              0.5, "σ = √(Σⱼ‖Xⱼ − μ‖² + ε): ε is inside the square root")]
    out = []
    for label, X, g, eps, hint in specs:
        r = cf.batch_norm_one_sigma_backward(X, g, eps=eps).dX

        def call(fn, X=X, g=g, eps=eps):
            return (fn(X, g, eps=eps).dX,)

        wrong = _catalogue("batch_norm_one_sigma", call) + [
            ("You computed σ = √(Σⱼ‖Xⱼ − μ‖²) + ε: ε belongs under the square root, σ = √(Σⱼ‖Xⱼ − μ‖² + ε).",
             lambda X=X, g=g, eps=eps: (_bn498_variant(X, g, eps, "eps_outside"),)),
            ("You used one σ per feature, σ_k = √(Σⱼ (X_jk − μ_k)² + ε); the handout's ‖Xⱼ − μ‖² is the squared norm "
             "of the whole row, so σ is ONE number for the batch and ∂σ/∂X_i = (X_i − μ)/σ couples every feature.",
             lambda X=X, g=g, eps=eps: (cf.batch_norm_one_sigma_backward(X, g, eps=eps, per_feature=True).dX,)),
            ("This is the usual batch norm (one σ per feature, σ_k = √(var_k + ε) with the 1/n); the handout's σ is "
             "√(Σⱼ‖Xⱼ − μ‖² + ε): one number, no 1/n.",
             lambda X=X, g=g, eps=eps: (_bn498_variant(X, g, eps, "usual"),))]
        out.append(Case(label, (X, g), dict(eps=eps), (r,), wrong, hint))
    return out


def _run_batchnorm_sigma_backward(answer, res):
    _run_cases(answer, res, _bn_sigma_cases(), ("∂L/∂X",))


def _dropout_cases() -> list[Case]:
    rng = _rng("dropout_backward")
    specs = [("handout form Y = X ⊙ M, p = 0.5", 0.5, False, ""),
             ("inverted dropout, p = 0.5", 0.5, True, "inverted dropout scales the kept units by 1/(1 − p)"),
             ("inverted dropout, p = 0.2", 0.2, True, ""),
             ("handout form, p = 0.3, a (2, 3, 4) input", 0.3, False, "")]
    out = []
    for label, p, inv, hint in specs:
        shape = (2, 3, 4) if "(2, 3, 4)" in label else (3, 5)
        x = rng.normal(size=shape)
        mask = cf.dropout_mask(shape, p, rng)
        g = rng.normal(size=shape)
        r = cf.dropout_backward(x, mask, g, p=p, inverted=inv)

        def call(fn, x=x, mask=mask, g=g, p=p, inv=inv):
            return (fn(x, mask, g, p=p, inverted=inv).dx,)

        out.append(Case(label, (mask, g), dict(p=p, inverted=inv), (r.dx,), _catalogue("dropout", call), hint))
    return out


def _run_dropout_backward(answer, res):
    _run_cases(answer, res, _dropout_cases(), ("∂L/∂X",))


# ============================================================ notebook 08: the max-pool → LeakyReLU → dense network
def _pool_lrelu_net_wrong(X, dL_dy, w, mode):
    w = np.asarray(w, dtype=np.float64)
    U = cf.max_pool2d(X[None], kernel_size=2, stride=2)[0]
    dV = dL_dy * (w.reshape(2, 2).T if mode == "column_major" else w.reshape(2, 2))
    if mode == "slope_forgotten":
        dU = np.where(U > 0, dV, 0.0)
    elif mode == "slope_on_value":
        dU = np.where(U > 0, dV, 0.1 * U)
    else:
        dU = cf.leaky_relu_backward(U, dV, slope=0.1).dx
    if mode == "whole_window":
        dX = np.kron(dU, np.ones((2, 2)))
    elif mode == "ties_first":
        dX = cf.max_pool2d_backward(X[None], dU[None], kernel_size=2, stride=2, tie="first").dx[0]
    else:
        dX = cf.max_pool2d_backward(X[None], dU[None], kernel_size=2, stride=2, tie="all").dx[0]
    return dV, dU, dX


def _pool_lrelu_net_cases() -> list[Case]:
    X_tie = np.array([[3.0, 3.0, -1.0, -2.0],
                      [1.0, 2.0, -1.0, -3.0],
                      [-4.0, -0.5, 2.0, 1.0],
                      [-0.5, -5.0, 0.0, 2.0]])
    specs = [("the handout's example index 180577X", cf.index_to_X("180577X"), 2.0, cf.POOL_LRELU_NET_W, ""),
             ("index 200311X (repeated digits and zeros)", cf.index_to_X("200311X"), 2.0, cf.POOL_LRELU_NET_W, ""),
             ("∂L/∂y = −0.5 and other weights", cf.index_to_X("524913X"), -0.5, (0.5, -1.0, 3.0, 2.0), ""),
             ("a hand-made X with tied maxima and a window whose maximum is negative", X_tie, 1.0, cf.POOL_LRELU_NET_W,
              "tied maxima: each receives the gradient (CSC 249's rule); a negative maximum passes 0.1·∂L/∂u")]
    out = []
    for label, X, dy, w, hint in specs:
        r = cf.pool_lrelu_net(X, dL_dy=dy, w=w, tie="all")
        wrong = []
        for mode, text in [("slope_forgotten", "∂L/∂U is 0 where U < 0: LRelu passes 0.1·∂L/∂v there, not 0 (that "
                                               "is ReLU)."),
                           ("slope_on_value", "Where U < 0 you used 0.1·u; the rule multiplies the incoming gradient: "
                                              "∂L/∂u = 0.1·∂L/∂v."),
                           ("whole_window", "You copied ∂L/∂u to all four cells of its window; only the maximum "
                                            "receives it, the others get 0."),
                           ("column_major", "∂L/∂V is transposed: v1, v2, v3, v4 run along the rows (v1 v2 on top), "
                                            "so ∂L/∂V = ∂L/∂y·[[w1, w2], [w3, w4]]."),
                           ("ties_first", "With tied maxima you gave the gradient to the first only; this notebook "
                                          "uses CSC 249's rule: every maximum receives it.")]:
            wrong.append((text, (lambda X=X, dy=dy, w=w, mode=mode: _pool_lrelu_net_wrong(X, dy, w, mode))))
        out.append(Case(label, (X, dy, w), {}, (r.dL_dV, r.dL_dU, r.dL_dX), wrong, hint))
    return out


def _run_toy_backward(answer, res):
    _run_cases(answer, res, _pool_lrelu_net_cases(), ("∂L/∂V", "∂L/∂U", "∂L/∂X"))


def _dalpha_cases() -> list[Case]:
    dV = np.array([[2.0, -2.5], [1.5, 3.0]])
    specs = [("U = [[1, −2], [−0.5, 3]] with the handout's ∂L/∂V", np.array([[1.0, -2.0], [-0.5, 3.0]]), dV, ""),
             ("every u ≥ 0", np.array([[0.5, 2.0], [0.0, 1.0]]), dV, "α multiplies only the negative entries"),
             ("every u < 0", np.array([[-1.0, -2.0], [-3.0, -0.25]]), np.array([[1.0, -1.0], [0.5, 2.0]]), "")]
    out = []
    for label, U, g, hint in specs:
        right = cf.pool_lrelu_net_prelu(U, g).dL_dalpha
        neg = U < 0
        wrong = [("You summed ∂L/∂v·u over ALL entries; ∂v/∂α = u only where u < 0 (elsewhere v = u does not "
                  "depend on α).", lambda U=U, g=g: (float(np.sum(g * U)),)),
                 ("The sign is flipped: ∂(α·u)/∂α = +u.", lambda right=right: (-right,)),
                 ("You summed ∂L/∂v over the negative entries without multiplying by u.",
                  lambda U=U, g=g, neg=neg: (float(np.sum(g[neg])),))]
        out.append(Case(label, (U, g), {}, (right,), wrong, hint))
    return out


def _run_prelu_dalpha(answer, res):
    _run_cases(answer, res, _dalpha_cases(), ("∂L/∂α",))


# ============================================================================== notebook 09: training on MNIST
def _logistic_cases() -> list[Case]:
    rng = _rng("logistic_loss")
    specs = [("four scores", np.array([0.5, -1.0, 2.0, -0.3]), np.array([1, 0, 1, 1]), ""),
             ("extreme logits s = ±1000", np.array([1000.0, -1000.0, 1000.0, -1000.0]), np.array([1, 0, 0, 1]),
              "log(1 + e¹⁰⁰⁰) overflows if computed literally; log(1 + eˢ) = max(s, 0) + log(1 + e^−|s|)"),
             ("one example", np.array([0.7]), np.array([0]), ""),
             ("a batch of 10", rng.normal(size=10) * 3, rng.integers(0, 2, 10), "")]
    out = []
    for label, s, y, hint in specs:
        loss = cf.logistic_loss(s, y)
        d = cf.logistic_loss_backward(s, y).dscores

        def call(fn, s=s, y=y, loss=loss):
            return (loss, fn(s, y).dscores)

        out.append(Case(label, (s, y), {}, (loss, d), _catalogue("logistic_loss", call), hint))
    return out


def _run_logistic_loss(answer, res):
    _run_cases(answer, res, _logistic_cases(), ("the loss", "∂L/∂s"))


# ==================================================================================================== registry
EXERCISES: dict[str, Exercise] = {ex.name: ex for ex in [
    Exercise("central_difference", "01_derivatives", "central_difference(f, x, h) -> float", _run_central_difference),
    Exercise("chain_by_hand", "02_chain_rule", "{'f': ∂L/∂f, 'q': ∂L/∂q, 'x': ∂L/∂x, 'y': ∂L/∂y}", _run_chain_by_hand,
             numbers=True),
    Exercise("backward", "02_chain_rule", "backward(root): fills .grad of every node", _run_backward),
    Exercise("hinge_loss", "03_neuron_mlp", "hinge_loss(scores, labels) -> Value", _run_hinge_loss),
    Exercise("sgd_step", "03_neuron_mlp", "sgd_step(model, loss, lr)", _run_sgd_step),
    Exercise("linear_backward", "04_dense_softmax", "linear_backward(x, W, b, g) -> (dx, dW, db)",
             _run_linear_backward, rule="linear"),
    Exercise("stable_softmax", "04_dense_softmax", "stable_softmax(z) -> p (over the last axis)",
             _run_stable_softmax),
    Exercise("cross_entropy_backward", "04_dense_softmax", "cross_entropy_backward(scores, labels) -> dscores",
             _run_cross_entropy_backward, rule="cross_entropy"),
    Exercise("conv2d_backward", "05_convolution", "conv2d_backward(x, w, b, g, stride=1, padding=0) -> (dx, dw, db)",
             _run_conv2d_backward, rule="conv2d"),
    Exercise("receptive_field", "05_convolution",
             "receptive_field(i, j, kernel_size, stride, padding, height, width) -> set of (row, col)",
             _run_receptive_field),
    Exercise("maxpool_backward", "06_pooling_activations",
             "maxpool_backward(x, g, kernel_size, stride, tie) -> dx", _run_maxpool_backward, rule="max_pool2d"),
    Exercise("prelu_backward", "06_pooling_activations", "prelu_backward(x, alpha, g) -> (dx, dalpha)",
             _run_prelu_backward, options=("kink",), rule="prelu"),
    Exercise("relu_backward", "06_pooling_activations", "relu_backward(x, g) -> dx", _run_relu_backward,
             options=("kink",), rule="relu"),
    Exercise("tanh_backward", "06_pooling_activations", "tanh_backward(z, g) -> dz", _run_tanh_backward, rule="tanh"),
    Exercise("batchnorm_backward", "07_batchnorm_dropout",
             "batchnorm_backward(x, gamma, beta, g, eps) -> (dx, dgamma, dbeta)", _run_batchnorm_backward,
             rule="batch_norm"),
    Exercise("batchnorm_sigma_backward", "07_batchnorm_dropout",
             "batchnorm_sigma_backward(X, g, eps=1e-5) -> dX, the handout's σ = √(Σⱼ‖Xⱼ − μ‖² + ε) (EECS 498 §1.4)",
             _run_batchnorm_sigma_backward, rule="batch_norm_one_sigma"),
    Exercise("dropout_backward", "07_batchnorm_dropout", "dropout_backward(mask, g, p, inverted) -> dx",
             _run_dropout_backward, rule="dropout"),
    Exercise("toy_backward", "08_toy_network", "toy_backward(X, dL_dy, w) -> (dL_dV, dL_dU, dL_dX)",
             _run_toy_backward),
    Exercise("prelu_dalpha", "08_toy_network", "prelu_dalpha(U, dL_dV) -> float", _run_prelu_dalpha),
    Exercise("logistic_loss", "09_training", "logistic_loss(scores, labels) -> (loss, dscores)", _run_logistic_loss,
             rule="logistic_loss"),
]}
