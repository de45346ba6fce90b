"""Layer modules: PyTorch's default initialisation from the seeded generator, dtype, modules equal to the
functional forms, batch norm's running statistics through the module, losses as modules, a small CNN through
gradcheck, errors naming the layer."""

from __future__ import annotations

import math

import numpy as np
import pytest

import microgradnet as mg
import microgradnet.functional as F
import microgradnet.nn as nn
from microgradnet import Tensor


def T(a):
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


# ---------------------------------------------------------------------------------------------------- init
def test_linear_init_is_kaiming_uniform_sqrt5_then_bias_from_the_seeded_generator():
    mg.manual_seed(7)
    m = nn.Linear(4, 3)
    g = np.random.default_rng(7)
    bound = 1 / math.sqrt(4)  # gain √(2/(1+5)) · √(3/fan_in) = 1/√fan_in
    np.testing.assert_allclose(m.weight.data, g.uniform(-bound, bound, (3, 4)), rtol=1e-14)  # bound to a few ulp
    np.testing.assert_allclose(m.bias.data, g.uniform(-bound, bound, (3,)), rtol=1e-14)


def test_conv2d_init_uses_fan_in_of_channels_times_kernel():
    mg.manual_seed(8)
    m = nn.Conv2d(3, 5, (2, 3))
    g = np.random.default_rng(8)
    bound = 1 / math.sqrt(3 * 2 * 3)
    np.testing.assert_allclose(m.weight.data, g.uniform(-bound, bound, (5, 3, 2, 3)), rtol=1e-14)
    np.testing.assert_allclose(m.bias.data, g.uniform(-bound, bound, (5,)), rtol=1e-14)


def test_grouped_conv2d_module_weight_shape_init_and_output(rng):
    mg.manual_seed(3)
    m = nn.Conv2d(4, 6, 3, padding=1, groups=2)
    assert m.weight.shape == (6, 2, 3, 3) and "groups=2" in repr(m)
    g = np.random.default_rng(3)
    bound = 1 / math.sqrt(2 * 3 * 3)  # fan_in = in_channels/groups · kH · kW, as PyTorch
    np.testing.assert_allclose(m.weight.data, g.uniform(-bound, bound, (6, 2, 3, 3)), rtol=1e-14)
    x = rng.standard_normal((2, 4, 5, 5))
    y = m(Tensor(x)).data
    # group k of the output sees only input channels 2k, 2k+1: two ordinary convolutions side by side
    for k in range(2):
        part = nn.Conv2d(2, 3, 3, padding=1)
        part.weight.data[...] = m.weight.data[3 * k:3 * k + 3]
        part.bias.data[...] = m.bias.data[3 * k:3 * k + 3]
        np.testing.assert_allclose(y[:, 3 * k:3 * k + 3], part(Tensor(x[:, 2 * k:2 * k + 2])).data, rtol=1e-12)


def test_init_distribution_and_reproducibility():
    mg.manual_seed(0)
    a = nn.Linear(400, 500)
    mg.manual_seed(0)
    b = nn.Linear(400, 500)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    w = a.weight.data
    assert np.abs(w).max() <= 0.05 and np.abs(w).max() > 0.0499
    assert w.var() == pytest.approx(0.05 ** 2 / 3, rel=0.02)  # variance of U(−b, b) is b²/3


def test_init_functions():
    t = Tensor(np.zeros((20, 30)))
    nn.init.xavier_uniform_(t, generator=np.random.default_rng(0))
    assert np.abs(t.data).max() <= math.sqrt(6 / 50)
    nn.init.kaiming_normal_(t, nonlinearity="relu", generator=np.random.default_rng(0))
    assert t.data.std() == pytest.approx(math.sqrt(2 / 30), rel=0.05)
    nn.init.constant_(t, 0.5)
    assert np.all(t.data == 0.5)
    assert nn.init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))
    assert nn.init.calculate_gain("tanh") == pytest.approx(5 / 3)
    with pytest.raises(ValueError, match="fan in and fan out need a tensor with at least 2 dimensions"):
        nn.init.xavier_uniform_(Tensor(np.zeros(3)))


def test_dtype_float32_on_request():
    m = nn.Sequential(nn.Conv2d(1, 2, 3, dtype="float32"), nn.BatchNorm2d(2, dtype=mg.float32), nn.Flatten(),
                      nn.Linear(8, 2, dtype=np.float32))
    assert all(p.dtype == np.float32 for p in m.parameters())
    y = m(Tensor(np.ones((3, 1, 4, 4), dtype=np.float32)))
    assert y.dtype == np.float32
    assert nn.Linear(2, 2).weight.dtype == np.float64
    with pytest.raises(TypeError, match="Linear: parameters must be floating point, got dtype int64"):
        nn.Linear(2, 2, dtype="int64")


# ---------------------------------------------------------------------------------------------------- modules = F
def test_modules_equal_their_functional_forms(rng):
    x = T(rng.standard_normal((2, 3, 6, 6)))
    conv = nn.Conv2d(3, 4, (3, 2), stride=(2, 1), padding=1, dilation=(1, 2))
    np.testing.assert_array_equal(conv(x).data, F.conv2d(x, conv.weight, conv.bias, (2, 1), 1, (1, 2)).data)
    np.testing.assert_array_equal(nn.MaxPool2d(3, 2, 1, tie="all")(x).data, F.max_pool2d(x, 3, 2, 1).data)
    np.testing.assert_array_equal(nn.AvgPool2d(2)(x).data, F.avg_pool2d(x, 2).data)
    np.testing.assert_array_equal(nn.LeakyReLU(0.2)(x).data, F.leaky_relu(x, 0.2).data)
    np.testing.assert_array_equal(nn.Softmax(dim=1)(x).data, F.softmax(x, 1).data)
    np.testing.assert_array_equal(nn.LogSoftmax(dim=1)(x).data, F.log_softmax(x, 1).data)
    np.testing.assert_array_equal(nn.Tanh()(x).data, np.tanh(x.data))
    np.testing.assert_array_equal(nn.Sigmoid()(x).data, F.sigmoid(x).data)
    np.testing.assert_array_equal(nn.ReLU()(x).data, np.maximum(x.data, 0))
    assert nn.Flatten()(x).shape == (2, 108)
    assert nn.Identity(54, unused=True)(x) is x


def test_conv2d_padding_modes(rng):
    x = rng.standard_normal((1, 2, 5, 5))
    for mode in ("reflect", "replicate", "circular"):
        conv = nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode=mode)
        ref = F.conv2d(F.pad(x, (2, 2, 1, 1), mode=mode), conv.weight, conv.bias)
        np.testing.assert_allclose(conv(x).data, ref.data, rtol=1e-14)
        assert f"padding_mode={mode}" in repr(conv)
    same = nn.Conv2d(2, 1, (2, 3), padding="same")
    assert same(x).shape == (1, 1, 5, 5)


def test_prelu_module_per_channel_gradients(rng):
    m = nn.PReLU(3, init=0.1)
    x = T(rng.standard_normal((4, 3, 2)))
    y = m(x)
    g = rng.standard_normal(y.shape)
    y.backward(g)
    np.testing.assert_allclose(m.weight.grad, (g * np.where(x.data > 0, 0, x.data)).sum((0, 2)), rtol=1e-13)
    assert repr(m) == "PReLU(num_parameters=3)"


def test_dropout_module_train_and_eval():
    m = nn.Dropout(0.5)
    x = Tensor(np.ones((100, 100)))
    mg.manual_seed(4)
    y = m(x).data
    assert set(np.unique(y)) == {0.0, 2.0}
    m.eval()
    assert m(x) is x
    with pytest.raises(ValueError, match=r"Dropout: p \(the drop probability\) must be in \[0, 1\), got 1"):
        nn.Dropout(1)


# ---------------------------------------------------------------------------------------------------- batch norm
def test_batchnorm1d_module_running_stats_two_steps_and_eval():
    bn = nn.BatchNorm1d(2)
    bn(Tensor(np.array([[1.0, 2], [3, 4], [5, 6], [7, 8]])))
    bn(Tensor(np.array([[0.0, 1], [0, 1], [2, 1], [2, 5]])))
    np.testing.assert_allclose(bn.running_mean.data, [0.46, 0.65])
    # by hand (see test_functional_norm_dropout): 0.9·(0.9 + 0.1·20/3) + 0.1·4/3 and 0.9·(0.9 + 0.1·20/3) + 0.1·4
    np.testing.assert_allclose(bn.running_var.data, [1.41 + 0.4 / 3, 1.81])
    assert bn.num_batches_tracked.item() == 2
    bn.eval()
    x = np.array([[1.0, -1.0]])
    np.testing.assert_allclose(bn(Tensor(x)).data, (x - bn.running_mean.data) / np.sqrt(bn.running_var.data + 1e-5))
    assert bn.num_batches_tracked.item() == 2  # evaluation does not count


def test_batchnorm_momentum_none_is_a_cumulative_average():
    bn = nn.BatchNorm1d(1, momentum=None)
    for batch in ([[0.0], [2.0]], [[4.0], [6.0]], [[1.0], [1.0]]):
        bn(Tensor(np.array(batch)))
    np.testing.assert_allclose(bn.running_mean.data, [(1 + 5 + 1) / 3])
    np.testing.assert_allclose(bn.running_var.data, [(2 + 2 + 0) / 3])


def test_batchnorm_without_running_stats_uses_batch_stats_in_eval(rng):
    bn = nn.BatchNorm2d(2, affine=False, track_running_stats=False).eval()
    x = rng.standard_normal((3, 2, 2, 2))
    ref = (x - x.mean((0, 2, 3), keepdims=True)) / np.sqrt(x.var((0, 2, 3), keepdims=True) + 1e-5)
    np.testing.assert_allclose(bn(Tensor(x)).data, ref, rtol=1e-12)
    assert list(bn.state_dict()) == []


def test_batchnorm_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected a 4-D input \(N, C, H, W\), got shape \(2, 3\)"):
        nn.BatchNorm2d(3)(Tensor(np.ones((2, 3))))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(4\): input of shape \(2, 3\) has 3 channels"):
        nn.BatchNorm1d(4)(Tensor(np.ones((2, 3))))
    with pytest.raises(ValueError, match="BatchNorm1d: momentum must be in"):
        nn.BatchNorm1d(4, momentum=2.0)


def test_batchnorm_module_gradcheck(rng):
    bn = nn.BatchNorm2d(2)
    bn.weight.data[...] = [1.5, -0.5]
    x = T(rng.standard_normal((3, 2, 2, 3)))
    rep = mg.gradcheck(lambda x, w, b: bn(x), x, bn.weight, bn.bias)
    assert rep.passed, str(rep)


# ---------------------------------------------------------------------------------------------------- losses
def test_loss_modules_equal_functional(rng):
    s, y = rng.standard_normal((4, 3)), np.array([2, 0, 1, 1])
    w = np.array([1.0, 2.0, 0.5])
    assert nn.CrossEntropyLoss()(s, y).item() == F.cross_entropy(s, y).item()
    ce = nn.CrossEntropyLoss(weight=w, reduction="sum")
    assert ce(s, y).item() == F.cross_entropy(s, y, weight=w, reduction="sum").item()
    assert list(ce.state_dict()) == ["weight"]
    assert repr(ce) == "CrossEntropyLoss(reduction='sum')"
    assert nn.NLLLoss()(s, y).item() == F.nll_loss(s, y).item()
    assert nn.MSELoss()(s, s * 2).item() == F.mse_loss(s, s * 2).item()
    q = rng.uniform(0, 1, (4, 3))
    assert nn.BCEWithLogitsLoss(pos_weight=np.array([1.0, 2.0, 3.0]))(s, q).item() == \
        F.binary_cross_entropy_with_logits(s, q, pos_weight=np.array([1.0, 2.0, 3.0])).item()
    assert nn.MultiMarginLoss(form="cs231n")(s, y).item() == F.multi_margin_loss(s, y, form="cs231n").item()
    assert nn.HingeLoss()(s[:, 0], np.array([1, -1, 1, 1])).item() == \
        F.hinge_loss(s[:, 0], np.array([1, -1, 1, 1])).item()
    with pytest.raises(ValueError, match="CrossEntropyLoss: reduction must be"):
        nn.CrossEntropyLoss(reduction="avg")


# ---------------------------------------------------------------------------------------------------- a network
def test_small_cnn_gradcheck_through_modules(rng):
    mg.manual_seed(5)
    net = nn.Sequential(nn.Conv2d(1, 2, 3, stride=1, padding=1), nn.Tanh(), nn.MaxPool2d(2), nn.Flatten(),
                        nn.Linear(8, 3))
    loss_fn = nn.CrossEntropyLoss()
    y = np.array([0, 2])
    x = T(rng.standard_normal((2, 1, 4, 4)))
    params = list(net.parameters())
    rep = mg.gradcheck(lambda x, *ps: loss_fn(net(x), y), x, *params, atol=1e-7, rtol=1e-5)
    assert rep.passed, str(rep)


def test_layer_errors_name_layer_and_shapes():
    conv = nn.Conv2d(3, 2, 3)
    with pytest.raises(ValueError, match=r"conv2d: input of shape \(1, 2, 5, 5\) has 2 channels but weight of shape "
                                         r"\(2, 3, 3, 3\) expects 3"):
        conv(Tensor(np.ones((1, 2, 5, 5))))
    with pytest.raises(ValueError, match=r"Conv2d: groups=3 must divide in_channels \(4\) and out_channels \(6\)"):
        nn.Conv2d(4, 6, 3, groups=3)
    with pytest.raises(ValueError, match="MaxPool2d: tie must be"):
        nn.MaxPool2d(2, tie="max")
    with pytest.raises(ValueError, match=r"max_pool2d: the 3×3 window .* does not fit"):
        nn.MaxPool2d(3)(Tensor(np.ones((1, 1, 2, 2))))
    with pytest.raises(ValueError, match=r"linear: input of shape \(2, 5\) does not match weight of shape \(1, 4\)"):
        nn.Linear(4, 1)(Tensor(np.ones((2, 5))))
    with pytest.raises(TypeError, match="Softmax: dim must be an int"):
        nn.Softmax(None)
    with pytest.raises(ValueError, match="Linear: in_features must be a positive int"):
        nn.Linear(0, 2)


def test_module_network_at_scalar_level_equals_tensor_level(rng):
    mg.manual_seed(6)
    net = nn.Sequential(nn.Conv2d(1, 2, 3, stride=2, padding=1), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(),
                        nn.Linear(8, 3))
    x, y = rng.standard_normal((2, 1, 4, 4)), np.array([1, 2])
    loss = F.cross_entropy(net(Tensor(x)), y)
    loss.backward()
    grads = {n: p.grad.copy() for n, p in net.named_parameters()}
    net.zero_grad()
    with mg.scalar_level(net):
        loss_s = F.cross_entropy(net(Tensor(x)), y)
    assert loss_s.item() == pytest.approx(loss.item(), rel=1e-12)
    loss_s.backward()
    for n, p in net.named_parameters():
        np.testing.assert_allclose(p.grad, grads[n], rtol=1e-9, atol=1e-12)
    root = loss_s._values[1].item()
    labels = {v.label for v in mg.toposort(root) if v.label}
    assert {"0.weight[1,0,2,2]", "4.bias[2]"} <= labels  # parameters named element by element
    scopes = {v._meta[0] for v in mg.toposort(root) if v._prev}
    assert {"0", "1", "2", "4"} <= scopes  # each scalar op knows its module
