"""The checker: every hand-derived rule of the seeds, side by side with autodiff and finite differences.

Two halves of each rule meet here: the layer as a composition of primitives (:mod:`.compositions`, built on
``microgradnet.functional``; the engine differentiates it) and the rule a student derives by hand
(``microgradnet.closed_form``). Over a deterministic sweep of cases (:mod:`.sweep`: strides 1–3, paddings 0–2,
non-square kernels, channels and batches, overlapping and tied pooling windows, logits up to ±1000) they must
agree with each other and with central differences::

    from microgradnet import check
    report = check.check(quick=True)      # every rule; print(report) is the table; report.passed
    grade = check.rule(my_conv_backward, "conv2d")
    print(grade)                          # PASS, or where it goes wrong and which known mistake it is
    print(check.en4553("180577X"))        # EN4553 A2 Q1's toy network, by autodiff and by hand

On the command line: ``microgradnet check [NAME ...] [--quick] [--seed N] [--json FILE]``,
``microgradnet check --grade file.py:function NAME``, ``microgradnet check --en4553 INDEX``.
"""

from __future__ import annotations

from .compare import CheckReport, Row, RuleResult, autodiff, check, check_rule, numeric
from .compositions import COMPOSITIONS
from .grade import Diagnosis, Failure, Grade, Mismatch, rule
from .report import table, write_json
from .sweep import SWEEPS, Case, cases
from .toy import EN4553, EN4553Graph, EN4553PReLU, en4553, en4553_graph, en4553_prelu

__all__ = [
    "check", "check_rule", "CheckReport", "RuleResult", "Row", "autodiff", "numeric", "table", "write_json",
    "rule", "Grade", "Failure", "Mismatch", "Diagnosis",
    "cases", "Case", "SWEEPS", "COMPOSITIONS",
    "en4553", "en4553_prelu", "en4553_graph", "EN4553", "EN4553PReLU", "EN4553Graph",
]
