"""micrograd's ``nn``: ``Neuron``, ``Layer``, ``MLP`` over scalar ``Value``s, with micrograd's exact API.

As in Karpathy's micrograd (``micrograd/nn.py``): a neuron computes ``relu(Σᵢ wᵢ·xᵢ + b)`` (or the affine sum
with ``nonlin=False``), written as the same chain of binary additions starting from ``b``, so the drawn graph is
the lecture's. Weights start as ``random.uniform(-1, 1)`` from Python's ``random`` module and biases at 0, exactly
as micrograd, so ``random.seed(1337)`` reproduces the lecture's numbers. ``zero_grad`` sets every grad to 0;
``parameters()`` lists weights then bias, neuron by neuron, layer by layer.

Not to be confused with :class:`microgradnet.models.MLP`, the Tensor model the ``train`` command builds.
"""

from __future__ import annotations

import random

from ..engine import scope
from ..value import Value

__all__ = ["MLP", "Layer", "Module", "Neuron"]


class Module:
    """micrograd's tiny base class: ``parameters()`` and ``zero_grad()``."""

    def zero_grad(self):
        for p in self.parameters():
            p.grad = 0

    def parameters(self):
        return []


class Neuron(Module):
    """``Neuron(nin, nonlin=True)``: out = relu(w·x + b) (or w·x + b)."""

    def __init__(self, nin, nonlin=True):
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0)
        self.nonlin = nonlin

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.relu() if self.nonlin else act

    def parameters(self):
        return self.w + [self.b]

    def __repr__(self):
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):
    """``Layer(nin, nout, **kwargs)``: ``nout`` neurons on the same input; a single output is returned bare."""

    def __init__(self, nin, nout, **kwargs):
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x):
        out = []
        for j, n in enumerate(self.neurons):
            with scope(f"neurons.{j}"):  # so the renderer can collapse a big MLP into neuron boxes
                out.append(n(x))
        return out[0] if len(out) == 1 else out

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self):
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """``MLP(nin, nouts)``: layers of sizes ``nouts``; ReLU everywhere but the last layer (linear)."""

    def __init__(self, nin, nouts):
        sz = [nin] + nouts
        self.layers = [Layer(sz[i], sz[i + 1], nonlin=i != len(nouts) - 1) for i in range(len(nouts))]

    def __call__(self, x):
        for i, layer in enumerate(self.layers):
            with scope(f"layers.{i}"):
                x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self):
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
