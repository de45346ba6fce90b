"""The core's text-only demo: a neuron with tanh, forward and backward, its tape and a gradient check.

``microgradnet demo`` runs this only when the renderer package ``viz`` is not installed; with ``viz`` installed,
its :mod:`viz.demo` (the EN4553 network, drawn) registers itself as ``demo`` and replaces this one (see
:mod:`microgradnet.cli`)."""

from __future__ import annotations

from .gradcheck import gradcheck
from .tape import tape
from .value import Value

HELP = "build a small network, run backward, print its tape and check the gradients"


def add_arguments(parser) -> None:
    pass


def neuron():
    """micrograd's lecture neuron: o = tanh(x1·w1 + x2·w2 + b)."""
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


def run(args) -> int:
    o, leaves = neuron()
    o.backward()
    print("The neuron o = tanh(x1·w1 + x2·w2 + b), after o.backward():\n")
    print(tape(o))
    print("\n∂o/∂w1 by the chain rule: (1 − o²)·x1 =", f"{(1 - o.data ** 2) * 2.0:.6f};",
          "autodiff:", f"{leaves[2].grad:.6f}\n")

    def f(x1, x2, w1, w2, b):
        return (x1 * w1 + x2 * w2 + b).tanh()

    report = gradcheck(f, *[Value(v.data, label=v.label) for v in leaves])
    print(report)
    return 0 if report.passed else 1
