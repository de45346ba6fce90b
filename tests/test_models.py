"""The courses' models: architectures (parameter counts worked out by hand), output shapes, registry and errors."""

import numpy as np
import pytest

import microgradnet as mg
from microgradnet import nn
from microgradnet.models import (
    CNN,
    MLP,
    MODELS,
    VGG11,
    BinarySVM,
    LogisticRegression,
    SoftmaxRegression,
    TwoLayerNet,
    build_model,
    model_for_data,
)


def n_params(m):
    return sum(p.numel() for p in m.parameters())


def test_registry_names_and_unknown_name_lists_choices():
    assert list(MODELS) == ["logistic", "svm", "softmax", "twolayer", "cnn", "vgg11", "mlp"]
    with pytest.raises(ValueError, match="unknown model 'cnnn' \\(did you mean 'cnn'\\?\\); valid choices: logistic, "
                                         "svm, softmax, twolayer, cnn, vgg11, mlp"):
        build_model("cnnn")
    with pytest.raises(ValueError, match="valid choices"):
        model_for_data("resnet", (2,), 3)


@pytest.mark.parametrize("make,count", [
    # w (20) + b (1)
    (lambda: LogisticRegression(20), 21),
    # hidden 10: 20*10 + 10, then 10 + 1
    (lambda: BinarySVM(20, hidden=10), 221),
    # 784*10 + 10
    (lambda: SoftmaxRegression(784, 10), 7850),
    # 784*100 + 100 + 100*10 + 10
    (lambda: TwoLayerNet(784, hidden=100, n_classes=10), 79510),
    # cs231n spiral net: 2*100 + 100 + 100*3 + 3
    (lambda: MLP(2, [100], 3), 603),
    # conv1 16*1*25 + 16, conv2 32*16*25 + 32, fc 32*7*7*128 + 128, out 128*10 + 10
    (lambda: CNN(), 416 + 12832 + 200832 + 1290),
    # batch norm: convs and the hidden linear lose their bias (BN's shift replaces it); BN adds 2 per channel
    (lambda: CNN(channels=(8, 8), kernel_size=3, hidden=32, batch_norm=True),
     8 * 9 + 2 * 8 + 8 * 8 * 9 + 2 * 8 + 8 * 49 * 32 + 2 * 32 + 32 * 10 + 10),
])
def test_parameter_counts(make, count):
    assert n_params(make()) == count


def test_vgg11_standard_configuration_parameter_count():
    # 3x3 convs 3-64-128-256-256-512-512-512-512 with biases:
    convs = [(3, 64), (64, 128), (128, 256), (256, 256), (256, 512), (512, 512), (512, 512), (512, 512)]
    conv = sum(9 * i * o + o for i, o in convs)
    assert conv == 9_220_480
    classifier = (512 * 512 + 512) * 2 + 512 * 10 + 10
    assert n_params(VGG11()) == conv + classifier
    # the common CIFAR variant (kuangliu/pytorch-cifar's VGG11, 9,231,114 parameters): batch norm (+2 per channel;
    # the convs keep their bias, as torchvision's vgg11_bn) and one Linear(512, 10)
    bn = conv + sum(2 * o for _, o in convs)
    assert n_params(VGG11(batch_norm=True, classifier_hidden=0)) == bn + 5130 == 9_231_114
    names = [type(m).__name__ for m in VGG11().features]
    assert names.count("Conv2d") == 8 and names.count("MaxPool2d") == 5


def test_vgg11_takes_32x32_to_1x1x512_features():
    mg.manual_seed(0)
    m = VGG11(width=1 / 16, batch_norm=True, classifier_hidden=16)  # 4..32 channels, same layout
    x = mg.tensor(np.random.default_rng(0).random((2, 3, 32, 32)))
    feats = m.features(x)
    assert feats.shape == (2, 32, 1, 1)  # 512 / 16 channels, 32 / 2^5 = 1
    assert m(x).shape == (2, 10)
    with pytest.raises(ValueError, match="expects 32×32 inputs"):
        VGG11(image_size=28)


def test_cnn_same_padding_halves_twice():
    mg.manual_seed(0)
    m = CNN(channels=(3, 5), kernel_size=7, hidden=11)
    x = mg.tensor(np.zeros((4, 1, 28, 28)))
    assert m.features(x).shape == (4, 5, 7, 7)
    assert m(x).shape == (4, 10)
    assert [tuple(c.weight.shape) for c in m.features if isinstance(c, nn.Conv2d)] == [(3, 1, 7, 7), (5, 3, 7, 7)]
    with pytest.raises(ValueError, match="kernel_size must be odd"):
        CNN(kernel_size=4)


def test_binary_models_return_one_score_per_sample_and_equal_the_affine_map():
    mg.manual_seed(0)
    m = LogisticRegression(3)
    x = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]])
    lin = m.net[1]
    expected = x @ lin.weight.data[0] + lin.bias.data[0]
    np.testing.assert_allclose(m(mg.tensor(x)).data, expected, rtol=1e-15)
    assert m.binary and m.loss_name == "bce_with_logits" and m.n_classes == 2
    assert BinarySVM(3).loss_name == "hinge"


def test_flat_models_flatten_images():
    mg.manual_seed(0)
    m = SoftmaxRegression(784, 10)
    x = np.random.default_rng(1).random((3, 1, 28, 28))
    w, b = m.net[1].weight.data, m.net[1].bias.data
    np.testing.assert_allclose(m(mg.tensor(x)).data, x.reshape(3, 784) @ w.T + b, rtol=1e-12)


@pytest.mark.parametrize("name,config", [
    ("mlp", dict(in_features=2, hidden=[8, 4], n_classes=3, dropout=0.25, batch_norm=True)),
    ("twolayer", dict(in_features=5, hidden=7, n_classes=4)),
    ("cnn", dict(channels=[2, 3], kernel_size=3, hidden=5, dropout=0.5, batch_norm=True)),
    ("svm", dict(in_features=6, hidden=3)),
])
def test_config_rebuilds_the_same_architecture_and_init(name, config):
    mg.manual_seed(3)
    a = build_model(name, **config)
    mg.manual_seed(3)
    b = build_model(a.name, **a.config)
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for k in sa:
        np.testing.assert_array_equal(sa[k].data, sb[k].data)


def test_float32_models_have_float32_parameters_and_outputs():
    mg.manual_seed(0)
    m = CNN(channels=(2, 2), hidden=4, dtype="float32")
    assert {p.data.dtype for p in m.parameters()} == {np.dtype(np.float32)}
    assert m(mg.tensor(np.zeros((1, 1, 28, 28), dtype=np.float32))).dtype == np.float32
    assert m.config["dtype"] == "float32"


def test_model_for_data_picks_shapes_and_refuses_misfits():
    m = model_for_data("cnn", (3, 32, 32), 10, hidden=16, channels=(4, 4))
    assert m.config["in_channels"] == 3 and m.config["image_size"] == 32 and m.config["hidden"] == 16
    assert model_for_data("twolayer", (1, 28, 28), 10).config["in_features"] == 784
    assert model_for_data("logistic", (20,), 2).config["hidden"] == 0
    with pytest.raises(ValueError, match="binary classifier, but the data has 3 classes"):
        model_for_data("svm", (2,), 3)
    with pytest.raises(ValueError, match="needs square images"):
        model_for_data("cnn", (2,), 3)
    with pytest.raises(ValueError, match="no hidden layer"):
        model_for_data("softmax", (2,), 3, hidden=10)


@pytest.mark.parametrize("make,match", [
    (lambda: MLP(hidden=[0]), "hidden size must be an int >= 1"),
    (lambda: MLP(dropout=1.0), r"dropout .* must be in \[0, 1\)"),
    (lambda: MLP(activation="gelu"), "valid choices: relu, tanh, sigmoid, leaky_relu"),
    (lambda: CNN(channels=(1, 2, 3)), "two ints"),
    (lambda: TwoLayerNet(10, hidden=[5, 5]), "one int"),
    (lambda: VGG11(width=0), "width must be a number > 0"),
])
def test_bad_configs(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_seedmodel_is_the_old_name_of_coursemodel():
    """"seed" now means only an RNG seed; the old class name is the same class, so isinstance checks still hold."""
    from microgradnet import models
    assert models.SeedModel is models.CourseModel
    net = models.build_model("softmax", in_features=4, n_classes=3)
    assert isinstance(net, models.SeedModel) and net.n_classes == 3
