"""Module protocol: registration order, dotted names, train/eval, zero_grad, state_dict round trip and refusals
that change nothing, repr text, the scope each module call records, Parameter."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import microgradnet as mg
import microgradnet.nn as nn
from microgradnet import Tensor


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.BatchNorm2d(2), nn.ReLU(), nn.MaxPool2d(2))
        self.flat = nn.Flatten()
        self.fc = nn.Linear(8, 3)
        self.scale = nn.Parameter(np.ones(1))
        self.register_buffer("calls", Tensor(np.zeros(())))
        self.register_buffer("scratch", Tensor(np.zeros(2)), persistent=False)

    def forward(self, x):
        return self.fc(self.flat(self.features(x))) * self.scale


NAMES = ["scale", "features.0.weight", "features.0.bias", "features.1.weight", "features.1.bias", "fc.weight",
         "fc.bias"]


def test_named_parameters_registration_order_and_dotted_names():
    m = Net()
    # own parameters first, then each child in registration order (PyTorch)
    assert [n for n, _ in m.named_parameters()] == NAMES
    assert [id(p) for p in m.parameters()] == [id(p) for _, p in m.named_parameters()]
    assert [n for n, _ in m.named_parameters(recurse=False)] == ["scale"]
    assert [n for n, _ in m.named_modules()] == ["", "features", "features.0", "features.1", "features.2",
                                                 "features.3", "flat", "fc"]
    assert [n for n, _ in m.named_children()] == ["features", "flat", "fc"]
    assert m.get_submodule("features.0") is m.features[0]
    assert [n for n, _ in m.named_buffers()] == ["calls", "scratch", "features.1.running_mean",
                                                 "features.1.running_var", "features.1.num_batches_tracked"]


def test_shared_parameter_is_listed_once():
    a = nn.Linear(2, 2)
    m = nn.Sequential(a, nn.ReLU(), a)
    assert [n for n, _ in m.named_parameters()] == ["0.weight", "0.bias"]


def test_reassigning_and_deleting_registered_attributes():
    m = nn.Linear(2, 3)
    with pytest.raises(TypeError, match="Linear: cannot assign a Tensor as parameter 'weight'"):
        m.weight = Tensor(np.zeros((3, 2)))
    m.bias = None
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    m.extra = nn.Parameter(np.zeros(1))
    del m.extra
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    m.weight = nn.Parameter(np.ones((3, 2)))
    np.testing.assert_array_equal(m.weight.data, np.ones((3, 2)))


def test_unknown_attribute_names_the_module():
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'conv9'"):
        _ = Net().conv9


def test_assigning_before_super_init_is_an_error():
    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.zeros(1))

    with pytest.raises(AttributeError, match=r"cannot assign parameters before Bad.__init__\(\) called "
                                             r"super\(\).__init__\(\)"):
        Bad()


def test_train_eval_propagate_to_every_module():
    m = Net()
    assert all(x.training for x in m.modules())
    assert m.eval() is m
    assert not any(x.training for x in m.modules())
    m.features.train()
    assert m.features[1].training and not m.fc.training and not m.training
    m.train()
    assert all(x.training for x in m.modules())


def test_zero_grad_sets_none_or_zeros(rng):
    m = Net()
    m(Tensor(rng.standard_normal((2, 1, 4, 4)))).sum().backward()
    assert all(p.grad is not None and p.grad.shape == p.shape for p in m.parameters())
    m.zero_grad(set_to_none=False)
    assert all(np.all(p.grad == 0) for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_state_dict_round_trip_includes_buffers(rng):
    mg.manual_seed(1)
    a = Net()
    x = Tensor(rng.standard_normal((3, 1, 4, 4)))
    a(x)  # moves the running statistics
    sd = a.state_dict()
    assert list(sd) == ["scale", "calls", "features.0.weight", "features.0.bias", "features.1.weight",
                        "features.1.bias", "features.1.running_mean", "features.1.running_var",
                        "features.1.num_batches_tracked", "fc.weight", "fc.bias"]  # 'scratch' is not persistent
    assert sd["features.1.num_batches_tracked"].item() == 1
    assert not sd["fc.weight"].requires_grad and sd["fc.weight"].data is a.fc.weight.data  # detached, shared
    mg.manual_seed(2)
    b = Net()
    assert not np.array_equal(b.fc.weight.data, a.fc.weight.data)
    b_weight = b.fc.weight
    result = b.load_state_dict({k: v.numpy().copy() for k, v in sd.items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert b.fc.weight is b_weight  # loaded in place: an optimiser holding the Parameter still sees it
    for k, v in b.state_dict().items():
        np.testing.assert_array_equal(v.data, sd[k].data)
    a.eval()
    b.eval()
    np.testing.assert_array_equal(a(x).data, b(x).data)


def _snapshot(m):
    return {k: v.data.copy() for k, v in m.state_dict().items()}


def _unchanged(m, snap):
    now = m.state_dict()
    return list(now) == list(snap) and all(np.array_equal(now[k].data, snap[k]) for k in snap)


def test_load_state_dict_refusals_change_nothing():
    mg.manual_seed(3)
    m = Net()
    good = {k: np.full(v.shape, 7.0, dtype=v.dtype) for k, v in m.state_dict().items()}
    snap = _snapshot(m)
    missing = {k: v for k, v in good.items() if k != "fc.bias"}
    with pytest.raises(RuntimeError, match=r"(?s)Error\(s\) in loading state_dict for Net \(nothing was changed\).*"
                                           r"missing keys: 'fc.bias'"):
        m.load_state_dict(missing)
    assert _unchanged(m, snap)
    extra = dict(good, **{"fc.gamma": np.zeros(3), "head.weight": np.zeros(2)})
    with pytest.raises(RuntimeError, match="unexpected keys: 'fc.gamma', 'head.weight'"):
        m.load_state_dict(extra)
    assert _unchanged(m, snap)
    shaped = dict(good, **{"fc.weight": np.zeros((8, 3))})
    with pytest.raises(RuntimeError, match=r"size mismatch for 'fc.weight': the checkpoint has shape \(8, 3\), "
                                           r"the model \(3, 8\)"):
        m.load_state_dict(shaped)
    assert _unchanged(m, snap)
    with pytest.raises(RuntimeError, match="size mismatch"):  # even when not strict
        m.load_state_dict(shaped, strict=False)
    assert _unchanged(m, snap)
    texty = dict(good, scale=np.array(["a"]))
    with pytest.raises(RuntimeError, match="'scale' has dtype <U1, expected numbers"):
        m.load_state_dict(texty)
    assert _unchanged(m, snap)


def test_load_state_dict_not_strict_reports_and_loads_the_rest():
    m = nn.Linear(2, 2)
    res = m.load_state_dict({"weight": np.eye(2), "other": np.zeros(1)}, strict=False)
    assert res.missing_keys == ["bias"] and res.unexpected_keys == ["other"]
    np.testing.assert_array_equal(m.weight.data, np.eye(2))


def test_repr_like_pytorch():
    assert repr(Net()) == (
        "Net(\n"
        "  (features): Sequential(\n"
        "    (0): Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"
        "    (1): BatchNorm2d(2, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
        "    (2): ReLU()\n"
        "    (3): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, tie='first')\n"
        "  )\n"
        "  (flat): Flatten(start_dim=1, end_dim=-1)\n"
        "  (fc): Linear(in_features=8, out_features=3, bias=True)\n"
        ")")
    assert repr(nn.Linear(2, 3, bias=False)) == "Linear(in_features=2, out_features=3, bias=False)"
    assert repr(nn.Conv2d(3, 4, (2, 3), stride=2, dilation=2, bias=False)) == \
        "Conv2d(3, 4, kernel_size=(2, 3), stride=(2, 2), dilation=(2, 2), bias=False)"
    assert repr(nn.Dropout(0.25)) == "Dropout(p=0.25)"
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"
    assert repr(nn.ModuleList([nn.Tanh()])) == "ModuleList(\n  (0): Tanh()\n)"


def test_each_module_call_records_its_attribute_path(rng):
    m = Net()
    out = m(Tensor(rng.standard_normal((2, 1, 4, 4)), requires_grad=True))
    scopes = {n._meta for n in mg.toposort(out) if n._prev}
    assert scopes == {"", "features.0", "features.1", "features.2", "features.3", "flat", "fc"}
    conv_ops = {n._op for n in mg.toposort(out) if n._meta == "features.0"}
    assert {"pad", "window", "matmul"} <= conv_ops
    with mg.scope("block"):
        out = m(Tensor(rng.standard_normal((2, 1, 4, 4))))
    assert {n._meta for n in mg.toposort(out) if n._prev} == {"block", "block/features.0", "block/features.1",
                                                                "block/features.2", "block/features.3",
                                                                "block/flat", "block/fc"}
    assert mg.engine.current_scope() is None


def test_scope_is_restored_after_an_error_inside_forward():
    m = nn.Sequential(nn.Linear(2, 2), nn.Linear(3, 1))
    with pytest.raises(ValueError, match="linear: input of shape"):
        m(Tensor(np.ones((1, 2))))
    assert mg.engine.current_scope() is None
    out = nn.Linear(2, 1)(Tensor(np.ones((1, 2))))
    assert {n._meta for n in mg.toposort(out) if n._prev} == {""}


def test_parameter_is_a_tensor_that_requires_grad():
    p = nn.Parameter([[1, 2], [3, 4]])
    assert isinstance(p, Tensor) and p.requires_grad and p.dtype == np.float64
    assert repr(p).startswith("Parameter containing:\ntensor(")
    t = Tensor(np.ones(3, dtype=np.float32))
    q = nn.Parameter(t)
    assert q.data is t.data and q.dtype == np.float32
    with pytest.raises(TypeError, match="Parameter: data must be floating point"):
        nn.Parameter(np.array(["x"]))


def test_register_buffer_and_add_module_errors():
    m = nn.Linear(2, 2)
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        m.register_buffer("weight", Tensor(np.zeros(1)))
    with pytest.raises(TypeError, match="register_buffer: 'b' must be a Tensor or None"):
        m.register_buffer("b", np.zeros(1))
    with pytest.raises(KeyError, match="must be non-empty and contain no '.'"):
        m.add_module("a.b", nn.ReLU())
    with pytest.raises(TypeError, match="register_parameter: 'p' must be a Parameter or None"):
        m.register_parameter("p", Tensor(np.zeros(1)))


def test_sequential_and_module_list_containers():
    s = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(s) == 3 and isinstance(s[0], nn.Linear) and isinstance(s[-1], nn.Linear)
    sub = s[1:]
    assert isinstance(sub, nn.Sequential) and len(sub) == 2 and sub[1] is s[2]
    assert [n for n, _ in sub.named_parameters()] == ["2.weight", "2.bias"]
    s.append(nn.Sigmoid())
    assert len(s) == 4 and [type(m).__name__ for m in s] == ["Linear", "ReLU", "Linear", "Sigmoid"]
    with pytest.raises(IndexError, match="Sequential: index 4 is out of range for 4 modules"):
        s[4]
    named = nn.Sequential(OrderedDict(enc=nn.Linear(2, 2), act=nn.Tanh()))
    assert [n for n, _ in named.named_parameters()] == ["enc.weight", "enc.bias"]
    ml = nn.ModuleList([nn.Linear(1, 1)])
    ml.append(nn.Linear(1, 2))
    ml.insert(0, nn.Tanh())
    ml += [nn.ReLU()]
    assert [type(m).__name__ for m in ml] == ["Tanh", "Linear", "Linear", "ReLU"]
    assert [n for n, _ in ml.named_parameters()] == ["1.weight", "1.bias", "2.weight", "2.bias"]
    with pytest.raises(TypeError, match="Sequential: argument 1 is a int, expected a Module"):
        nn.Sequential(nn.ReLU(), 3)


def test_apply_and_requires_grad():
    m = Net()
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen[-1] == "Net" and seen.count("Linear") == 1
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
