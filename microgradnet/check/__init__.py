"""The checker and the grader: every hand-derived rule beside autodiff and finite differences, and students'
backward rules graded against them.

Two halves of each rule meet here: the layer as a composition of primitives (:mod:`.compositions`, built on
``microgradnet.functional``; the engine differentiates it) and the rule a student derives by hand
(``microgradnet.closed_form``). Over a deterministic sweep of cases (:mod:`.sweep`: strides 1–3, paddings 0–2,
non-square kernels, channels and batches, overlapping and tied pooling windows, logits up to ±1000) they must
agree with each other and with central differences::

    from microgradnet import check
    report = check.check(quick=True)      # every rule; print(report) is the table; report.passed
    grade = check.rule(my_conv_backward, "conv2d")
    print(grade)                          # PASS, or where it goes wrong and which known mistake it is
    print(check.check_pool_lrelu_net("180577X"))   # EN4553 A2 Q1's network, by autodiff and by hand

Words: to *check* is to compare the closed forms with autodiff and finite differences (:mod:`.compare`); to
*grade* is to judge a student's function against a closed form (one core, :mod:`.grade`: its signatures in
:mod:`.styles`, its shapes in :mod:`.layouts`, untrusted code in :mod:`.isolation`); the notebooks' ``check(...)``
(:mod:`microgradnet.exercises`) is an *exercise* check that ends with the same grade.

On the command line: ``microgradnet check [NAME ...] [--quick] [--seed N] [--json FILE]``,
``microgradnet check --grade FILE:FUNCTION NAME``, ``microgradnet grade NAME PATH... --func FUNCTION``,
``microgradnet check --pool-lrelu-net INDEX``.

Old course-code names (``en4553``, ``EN4553``, rule names such as ``linear_eecs498``) still work: see
:mod:`.toy` and ``closed_form.RULE_ALIASES``.
"""

from __future__ import annotations

from .compare import CheckReport, Row, RuleResult, autodiff, check, check_rule, numeric
from .compositions import COMPOSITIONS
from .grade import GRADE_TOL, Diagnosis, Failure, Grade, Mismatch, Outcome, rule
from .isolation import Grader, grade_many, grade_submission
from .pool_lrelu_network import (
    PoolLReLUNetCheck,
    PoolLReLUNetGraph,
    PoolLReLUNetPReLUCheck,
    check_pool_lrelu_net,
    check_pool_lrelu_net_prelu,
    pool_lrelu_net_graph,
)
from .report import table, write_json
from .styles import STYLES
from .sweep import SWEEPS, Case, cases
from .toy import EN4553, EN4553Graph, EN4553PReLU, en4553, en4553_graph, en4553_prelu  # noqa: F401  (old names)

__all__ = [
    "check", "check_rule", "CheckReport", "RuleResult", "Row", "autodiff", "numeric", "table", "write_json",
    "rule", "Grade", "Failure", "Mismatch", "Diagnosis", "Outcome", "GRADE_TOL", "STYLES",
    "grade_submission", "grade_many", "Grader",
    "cases", "Case", "SWEEPS", "COMPOSITIONS",
    "check_pool_lrelu_net", "check_pool_lrelu_net_prelu", "pool_lrelu_net_graph",
    "PoolLReLUNetCheck", "PoolLReLUNetPReLUCheck", "PoolLReLUNetGraph",
]
