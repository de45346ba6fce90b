"""``microgradnet neuron``: micrograd's lecture neuron, its tape, the chain rule by hand and a gradient check.

    o = tanh(n),   n = x1·w1 + x2·w2 + b,   x1 = 2, x2 = 0, w1 = −3, w2 = 1, b = 6.8813735870195432

b is chosen so that n = 0.8814 = atanh(1/√2): o = 1/√2 and ∂o/∂n = 1 − o² = ½. ``n`` passes ∂o/∂n on unchanged
to b and times the other factor to each weight and input::

    ∂o/∂x1 = (1 − o²)·w1 = −1.5   ∂o/∂w1 = (1 − o²)·x1 = 1   ∂o/∂x2 = (1 − o²)·w2 = 0.5   ∂o/∂w2 = (1 − o²)·x2 = 0
    ∂o/∂b = 1 − o² = 0.5

The command prints the tape after ``o.backward()``, those five closed forms beside autodiff, and
:func:`~microgradnet.gradcheck` (autodiff vs central finite differences). Text only: it needs neither ``viz`` nor
Graphviz (``microgradnet demo`` is the drawn one). Exit code 0 when both comparisons pass, 1 otherwise.
"""

from __future__ import annotations

from .gradcheck import gradcheck
from .tape import tape
from .value import Value

HELP = "micrograd's lecture neuron o = tanh(x1·w1 + x2·w2 + b): its tape, the chain rule by hand vs autodiff, " \
       "a gradient check (text only)"
CF_TOL = 1e-12
"""The closed form and autodiff multiply the same float64 numbers: |autodiff − closed| ≤ 1e-12."""


def add_arguments(parser) -> None:
    pass


def neuron():
    """micrograd's lecture neuron o = tanh(x1·w1 + x2·w2 + b), not yet backward: returns (o, (x1, x2, w1, w2, b))."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    n = x1w1 + x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, (x1, x2, w1, w2, b)


def closed_forms(o, leaves) -> list[tuple[str, str, float]]:
    """(leaf, formula, value) of ∂o/∂leaf by the chain rule through tanh' = 1 − tanh², from the forward values."""
    x1, x2, w1, w2, _ = (v.data for v in leaves)
    d = 1 - o.data ** 2
    return [("x1", "(1 − o²)·w1", d * w1), ("x2", "(1 − o²)·w2", d * w2), ("w1", "(1 − o²)·x1", d * x1),
            ("w2", "(1 − o²)·x2", d * x2), ("b", "1 − o²", d)]


def run(args) -> int:
    o, leaves = neuron()
    o.backward()
    print("microgradnet neuron: micrograd's lecture neuron o = tanh(x1·w1 + x2·w2 + b), after o.backward()\n")
    print(tape(o))
    print(f"\nThe chain rule by hand: ∂o/∂n = 1 − o² = {1 - o.data ** 2:.6f}, passed on by n = x1·w1 + x2·w2 + b")
    print(f"  {'∂o/∂':<6}{'closed form':<14}{'value':>11}{'autodiff':>11}")
    grads = {v.label: v.grad for v in leaves}
    agree = True
    for name, formula, value in closed_forms(o, leaves):
        agree &= abs(grads[name] - value) <= CF_TOL
        print(f"  {name:<6}{formula:<14}{value:>11.6f}{grads[name]:>11.6f}")
    print(f"  closed form vs autodiff: {'PASS' if agree else 'FAIL'}\n")

    def f(x1, x2, w1, w2, b):
        return (x1 * w1 + x2 * w2 + b).tanh()

    report = gradcheck(f, *[Value(v.data, label=v.label) for v in leaves])
    print(report)
    return 0 if report.passed and agree else 1
