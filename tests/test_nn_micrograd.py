"""microgradnet.nn's Neuron/Layer/MLP against Karpathy's micrograd package: same init from the same
random.seed, same forward and backward, same training steps, same repr."""

from __future__ import annotations

import random

import pytest

from microgradnet import Value
from microgradnet.nn import MLP, Layer, Neuron

micrograd_nn = pytest.importorskip("micrograd.nn")

XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
YS = [1.0, -1.0, -1.0, 1.0]


def test_same_seed_same_parameters_and_repr():
    random.seed(1337)
    theirs = micrograd_nn.MLP(3, [4, 4, 1])
    random.seed(1337)
    ours = MLP(3, [4, 4, 1])
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    assert len(ours.parameters()) == 41
    assert repr(ours) == repr(theirs)
    assert all(isinstance(p, Value) for p in ours.parameters())


def _copy(src, dst):
    for a, b in zip(src.parameters(), dst.parameters()):
        b.data = a.data


def _loss(model):
    preds = [model(x) for x in XS]
    return sum((yout - ygt) ** 2 for ygt, yout in zip(YS, preds))


def test_forward_backward_and_training_match_micrograd_after_copying_parameters():
    random.seed(7)
    theirs = micrograd_nn.MLP(3, [4, 4, 1])
    random.seed(99)
    ours = MLP(3, [4, 4, 1])
    _copy(theirs, ours)
    first = _loss(ours).data
    for _ in range(5):  # the lecture's loop: forward, zero_grad, backward, SGD step
        lt, lo = _loss(theirs), _loss(ours)
        assert lo.data == pytest.approx(lt.data, rel=1e-12)
        theirs.zero_grad()
        ours.zero_grad()
        lt.backward()
        lo.backward()
        for a, b in zip(theirs.parameters(), ours.parameters()):
            assert b.grad == pytest.approx(a.grad, rel=1e-10, abs=1e-14)
        for m in (theirs, ours):
            for p in m.parameters():
                p.data += -0.05 * p.grad
    assert _loss(ours).data == pytest.approx(_loss(theirs).data, rel=1e-12)
    assert _loss(ours).data < first  # five SGD steps did reduce the loss


def test_neuron_layer_api():
    random.seed(0)
    n = Neuron(2)
    out = n([1.0, -2.0])
    expected = max(0.0, n.w[0].data * 1.0 + n.w[1].data * -2.0 + 0.0)
    assert out.data == pytest.approx(expected)
    assert repr(n) == "ReLUNeuron(2)" and repr(Neuron(2, nonlin=False)) == "LinearNeuron(2)"
    single = Layer(2, 1)
    assert isinstance(single([1.0, 2.0]), Value)  # one neuron: returned bare, as micrograd
    many = Layer(2, 3, nonlin=False)
    assert len(many([1.0, 2.0])) == 3
    assert repr(many) == "Layer of [LinearNeuron(2), LinearNeuron(2), LinearNeuron(2)]"
    out.backward()
    n.zero_grad()
    assert all(p.grad == 0 for p in n.parameters())
    # the neuron's graph is micrograd's chain: b + w0·x0, then + w1·x1, then relu
    assert out.op == "relu" and out.parents[0].op == "add" and out.parents[0].parents[0].op == "add"
