"""The courses' models, built from :mod:`microgradnet.nn` layers (no backward code anywhere).

================  ==============================================================  ============================
name              architecture                                                    homework
================  ==============================================================  ============================
``logistic``      [Linear(d, H) → ReLU →] Linear(·, 1): one logit, loss log(1+e⁻ʸˢ)  EECS 498 HW1 §2
``svm``           [Linear(d, H) → ReLU →] Linear(·, 1): one score, hinge loss       EECS 498 HW1 §3
``softmax``       Linear(d, C), softmax cross-entropy                              EECS 498 HW1 §4.3
``twolayer``      Linear(d, H) → ReLU → Linear(H, C)                               EECS 498 HW1 §4.4
``cnn``           [Conv(k) → (BN) → ReLU → MaxPool 2]×2 → Linear → ReLU → (Dropout)  EECS 498 HW1 §5
                  → Linear(·, C); 'same' padding, so 28×28 → 14×14 → 7×7
``vgg11``         VGG-A: 64 M 128 M 256 256 M 512 512 M 512 512 M, 3×3 convs          EECS 498 HW1 §6
                  (+ BN), 32×32 → 1×1×512 → classifier
``mlp``           Linear(2, H₁) → ReLU → … → Linear(·, C) for 2-D toy problems        Tsinghua HW1 §2 (spiral)
================  ==============================================================  ============================

Every model flattens its input first (except ``cnn`` / ``vgg11``), so MNIST images (N, 1, 28, 28) go straight
in. Binary models (``logistic``, ``svm``) return scores of shape (N,) and predict ``score > 0``; the others
return (N, C) class scores and predict the arg-max. Each model keeps the keyword arguments it was built with in
``model.config`` and its registry name in ``model.name``, so ``build_model(model.name, **model.config)`` makes an
identical architecture (what the checkpoint loader does). ``model.loss_name`` is the loss it is trained with
(``'cross_entropy'``, ``'bce_with_logits'`` or ``'hinge'``; see :mod:`microgradnet.training.losses`).

:class:`SmallCNN` is not one of those: the 8×8 network ``microgradnet demo`` draws at tensor level, one box per
layer call; it is not in ``MODELS`` (nothing trains it).
"""

from __future__ import annotations

import difflib
import inspect
import math
import numbers

import numpy as np

from . import nn

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "leaky_relu": nn.LeakyReLU,
               "linear": nn.Identity}  # linear: the playground's identity activation

VGG11_CONFIG = (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M")


def _int(v, name, owner, minimum=1):
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < minimum:
        raise ValueError(f"{owner}: {name} must be an int >= {minimum}, got {v!r}")
    return int(v)


def _rate(p, owner):
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= float(p) < 1.0:
        raise ValueError(f"{owner}: dropout (the drop probability) must be in [0, 1), got {p!r}")
    return float(p)


def _activation(name, owner):
    if name not in ACTIVATIONS:
        raise ValueError(f"{owner}: unknown activation {name!r}; valid choices: {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]()


def _dtype_name(dtype):
    return None if dtype is None else str(np.dtype(dtype))


class CourseModel(nn.Module):
    """What every model here shares: ``name``, ``config``, ``loss_name``, ``binary``."""

    name = ""
    loss_name = "cross_entropy"
    binary = False

    def _remember(self, **config):
        object.__setattr__(self, "config", config)

    @property
    def n_classes(self) -> int:
        return 2 if self.binary else self.config["n_classes"]

    def extra_repr(self):
        return ", ".join(f"{k}={v!r}" for k, v in self.config.items())


SeedModel = CourseModel
"""The name :class:`CourseModel` had before "seed" meant only an RNG seed; the same class."""


class _BinaryLinear(CourseModel):
    binary = True

    def __init__(self, in_features, hidden=0, activation="relu", dtype=None):
        super().__init__()
        owner = type(self).__name__
        in_features = _int(in_features, "in_features", owner)
        hidden = _int(hidden, "hidden", owner, minimum=0)
        self._remember(in_features=in_features, hidden=hidden, activation=activation, dtype=_dtype_name(dtype))
        layers = [nn.Flatten()]
        if hidden:
            layers += [nn.Linear(in_features, hidden, dtype=dtype), _activation(activation, owner)]
        layers.append(nn.Linear(hidden or in_features, 1, dtype=dtype))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        s = self.net(x)
        return s.reshape(s.shape[0])


class LogisticRegression(_BinaryLinear):
    """Binary logistic regression s = wᵀx + b (``hidden=0``) or a two-layer net with a logistic output
    (``hidden=H``): P(y = 1 | x) = σ(s). Trained with ``binary_cross_entropy_with_logits`` (EECS 498 HW1 §2)."""

    name = "logistic"
    loss_name = "bce_with_logits"


class BinarySVM(_BinaryLinear):
    """Binary SVM s = wᵀx + b (``hidden=0``) or a two-layer net with a hinge-loss output (``hidden=H``); labels
    0/1 are read as −1/+1 and the loss is max(0, 1 − y·s) (EECS 498 HW1 §3). Add ``weight_decay`` in the
    optimiser for the usual ½λ‖w‖² term."""

    name = "svm"
    loss_name = "hinge"


class SoftmaxRegression(CourseModel):
    """Multinomial logistic regression: scores = W x + b, p = softmax(scores) (EECS 498 HW1 §4.3)."""

    name = "softmax"

    def __init__(self, in_features, n_classes=10, dtype=None):
        super().__init__()
        in_features = _int(in_features, "in_features", "SoftmaxRegression")
        n_classes = _int(n_classes, "n_classes", "SoftmaxRegression", minimum=2)
        self._remember(in_features=in_features, n_classes=n_classes, dtype=_dtype_name(dtype))
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(in_features, n_classes, dtype=dtype))

    def forward(self, x):
        return self.net(x)


class MLP(CourseModel):
    """A multi-layer perceptron Linear → act → … → Linear(·, C) on Tensors; ``hidden`` an int or a list of widths.
    The default (2 → 100 → 3) is cs231n's spiral network; ``dropout`` after each hidden activation. (micrograd's
    scalar MLP over ``Value``s is :class:`microgradnet.nn.MLP`.)"""

    name = "mlp"

    def __init__(self, in_features=2, hidden=(100,), n_classes=3, activation="relu", dropout=0.0,
                 batch_norm=False, dtype=None):
        super().__init__()
        owner = type(self).__name__
        in_features = _int(in_features, "in_features", owner)
        hidden = [hidden] if isinstance(hidden, numbers.Integral) else list(hidden)
        hidden = [_int(h, "hidden size", owner) for h in hidden]
        n_classes = _int(n_classes, "n_classes", owner, minimum=2)
        dropout = _rate(dropout, owner)
        self._remember(in_features=in_features, hidden=hidden, n_classes=n_classes, activation=activation,
                       dropout=dropout, batch_norm=bool(batch_norm), dtype=_dtype_name(dtype))
        layers = [nn.Flatten()]
        width = in_features
        for h in hidden:
            layers.append(nn.Linear(width, h, dtype=dtype))
            if batch_norm:
                layers.append(nn.BatchNorm1d(h, dtype=dtype))
            layers.append(_activation(activation, owner))
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = h
        layers.append(nn.Linear(width, n_classes, dtype=dtype))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


class TwoLayerNet(MLP):
    """affine → ReLU → affine (EECS 498 HW1 §4.4): ``TwoLayerNet(784, hidden=100, n_classes=10)``."""

    name = "twolayer"

    def __init__(self, in_features, hidden=100, n_classes=10, activation="relu", dropout=0.0, batch_norm=False,
                 dtype=None):
        if not isinstance(hidden, numbers.Integral) or isinstance(hidden, bool):
            raise ValueError(f"TwoLayerNet: hidden must be one int (the hidden layer's width), got {hidden!r}")
        super().__init__(in_features, [hidden], n_classes, activation, dropout, batch_norm, dtype)
        self.config["hidden"] = int(hidden)


class CNN(CourseModel):
    """The EECS 498 HW1 §5 network for 1×28×28 digits::

        [Conv2d(k×k, 'same') → (BatchNorm2d) → ReLU → MaxPool2d(2)] × 2 → Flatten
          → Linear(c₂·7·7, hidden) → (BatchNorm1d) → ReLU → (Dropout(p)) → Linear(hidden, C)

    ``channels`` (c₁, c₂), ``kernel_size`` k (odd), ``hidden`` units and the dropout rate are the quantities
    §5.3–5.4 asks to choose on a validation set. Other image sizes work: H×W → ⌊⌊H/2⌋/2⌋×⌊⌊W/2⌋/2⌋.
    """

    name = "cnn"

    def __init__(self, in_channels=1, n_classes=10, image_size=28, channels=(16, 32), kernel_size=5, hidden=128,
                 dropout=0.0, batch_norm=False, dtype=None):
        super().__init__()
        owner = "CNN"
        in_channels = _int(in_channels, "in_channels", owner)
        n_classes = _int(n_classes, "n_classes", owner, minimum=2)
        image_size = _int(image_size, "image_size", owner, minimum=4)
        channels = [channels] * 2 if isinstance(channels, numbers.Integral) else list(channels)
        if len(channels) != 2:
            raise ValueError(f"CNN: channels must be two ints (c1, c2), got {channels!r}")
        channels = [_int(c, "channels", owner) for c in channels]
        kernel_size = _int(kernel_size, "kernel_size", owner)
        if kernel_size % 2 == 0:
            raise ValueError(f"CNN: kernel_size must be odd (so 'same' padding is symmetric), got {kernel_size}")
        hidden = _int(hidden, "hidden", owner)
        dropout = _rate(dropout, owner)
        self._remember(in_channels=in_channels, n_classes=n_classes, image_size=image_size, channels=channels,
                       kernel_size=kernel_size, hidden=hidden, dropout=dropout, batch_norm=bool(batch_norm),
                       dtype=_dtype_name(dtype))
        feats = []
        c_in = in_channels
        for c in channels:
            feats.append(nn.Conv2d(c_in, c, kernel_size, padding=kernel_size // 2, bias=not batch_norm, dtype=dtype))
            if batch_norm:
                feats.append(nn.BatchNorm2d(c, dtype=dtype))
            feats += [nn.ReLU(), nn.MaxPool2d(2)]
            c_in = c
        self.features = nn.Sequential(*feats)
        side = (image_size // 2) // 2
        head = [nn.Flatten(), nn.Linear(c_in * side * side, hidden, bias=not batch_norm, dtype=dtype)]
        if batch_norm:
            head.append(nn.BatchNorm1d(hidden, dtype=dtype))
        head.append(nn.ReLU())
        if dropout:
            head.append(nn.Dropout(dropout))
        head.append(nn.Linear(hidden, n_classes, dtype=dtype))
        self.classifier = nn.Sequential(*head)

    def forward(self, x):
        return self.classifier(self.features(x))


class VGG11(CourseModel):
    """VGG-A (Simonyan & Zisserman 2015, configuration "A") for 32×32 CIFAR images (EECS 498 HW1 §6)::

        features:   64 M 128 M 256 256 M 512 512 M 512 512 M   (3×3 convs, padding 1, (BN,) ReLU; M = MaxPool 2)
                    32×32 → 16 → 8 → 4 → 2 → 1, so the features are 1×1×512
        classifier: Flatten → [Linear(512, h) → ReLU → Dropout(p)] × 2 → Linear(h, C)   (``classifier_hidden=h``)
                    or a single Linear(512, C) with ``classifier_hidden=0`` (the common CIFAR variant)

    ``width`` scales every channel count (1.0 is the standard network; tests use a narrow one).
    """

    name = "vgg11"

    def __init__(self, n_classes=10, in_channels=3, batch_norm=False, classifier_hidden=512, dropout=0.5,
                 width=1.0, image_size=32, dtype=None):
        super().__init__()
        owner = "VGG11"
        n_classes = _int(n_classes, "n_classes", owner, minimum=2)
        in_channels = _int(in_channels, "in_channels", owner)
        classifier_hidden = _int(classifier_hidden, "classifier_hidden", owner, minimum=0)
        dropout = _rate(dropout, owner)
        if isinstance(width, bool) or not isinstance(width, numbers.Real) or not width > 0:
            raise ValueError(f"VGG11: width must be a number > 0, got {width!r}")
        image_size = _int(image_size, "image_size", owner)
        if image_size != 32:
            raise ValueError(f"VGG11: expects 32×32 inputs (five 2×2 pools → 1×1), got image_size={image_size}")
        self._remember(n_classes=n_classes, in_channels=in_channels, batch_norm=bool(batch_norm),
                       classifier_hidden=classifier_hidden, dropout=dropout, width=float(width),
                       image_size=image_size, dtype=_dtype_name(dtype))
        feats = []
        c_in = in_channels
        for v in VGG11_CONFIG:
            if v == "M":
                feats.append(nn.MaxPool2d(2))
                continue
            c = max(1, int(math.ceil(v * width)))
            feats.append(nn.Conv2d(c_in, c, 3, padding=1, dtype=dtype))  # with bias even before BN, as torchvision
            if batch_norm:
                feats.append(nn.BatchNorm2d(c, dtype=dtype))
            feats.append(nn.ReLU())
            c_in = c
        self.features = nn.Sequential(*feats)
        head = [nn.Flatten()]
        width_in = c_in
        if classifier_hidden:
            for _ in range(2):
                head += [nn.Linear(width_in, classifier_hidden, dtype=dtype), nn.ReLU()]
                if dropout:
                    head.append(nn.Dropout(dropout))
                width_in = classifier_hidden
        head.append(nn.Linear(width_in, n_classes, dtype=dtype))
        self.classifier = nn.Sequential(*head)

    def forward(self, x):
        return self.classifier(self.features(x))


class SmallCNN(nn.Module):
    """A CNN small enough to draw one box per layer call (``microgradnet demo``'s tensor-level picture), for
    N×1×8×8 inputs::

        Conv2d(1, 4, 3, padding=1) → ReLU → MaxPool2d(2) → Flatten → Linear(4·4·4, 10)

    8×8 stays 8×8 through the padded 3×3 convolution and becomes 4×4 after the pool, so 4 channels · 4·4 = 64
    features reach the 10 class scores. The layers are the attributes ``conv``, ``relu``, ``pool``, ``flatten``,
    ``fc``: the names a picture gives the parameters (``conv.weight``, ``fc.bias``).

    ``generator`` (a ``numpy.random.Generator``): the parameters are drawn again from it with PyTorch's default
    initialisation, weight kaiming-uniform with a = √5 (that is U(±1/√fan_in)) and bias U(±1/√fan_in), in the
    order conv.weight, conv.bias, fc.weight, fc.bias; so one generator seed always gives the same network.
    Without it, the layers' own initialisation from :func:`microgradnet.generator`.
    """

    def __init__(self, generator=None):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(4 * 4 * 4, 10)
        if generator is not None:
            for layer, fan_in in ((self.conv, 1 * 3 * 3), (self.fc, 4 * 4 * 4)):
                nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)
                bound = 1 / math.sqrt(fan_in)
                nn.init.uniform_(layer.bias, -bound, bound, generator=generator)

    def forward(self, x):
        return self.fc(self.flatten(self.pool(self.relu(self.conv(x)))))


MODELS = {cls.name: cls for cls in (LogisticRegression, BinarySVM, SoftmaxRegression, TwoLayerNet, CNN, VGG11, MLP)}
IMAGE_MODELS = ("cnn", "vgg11")


def _unknown(name, choices, what):
    close = difflib.get_close_matches(str(name), list(choices), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return ValueError(f"unknown {what} {name!r}{hint}; valid choices: {', '.join(choices)}")


def build_model(name: str, **config) -> CourseModel:
    """``MODELS[name](**config)``; an unknown name raises ValueError listing the valid choices."""
    if name not in MODELS:
        raise _unknown(name, MODELS, "model")
    return MODELS[name](**config)


def model_config_for_data(name: str, input_shape, n_classes: int, hidden=None, dropout=0.0, batch_norm=False,
                          dtype=None, **extra) -> dict:
    """The constructor arguments of model ``name`` for samples of ``input_shape`` (without the batch axis) and
    ``n_classes`` classes (what :func:`model_for_data` builds; :func:`state_size` sizes it without building).

    ``hidden``: the hidden width (``logistic``/``svm``: 0 = no hidden layer, the default; ``twolayer``: default
    100; ``mlp``: an int or a list, default [100]; ``cnn``: the fully connected layer, default 128; ``vgg11``:
    the classifier width, default 512). ``extra`` goes to the constructor (e.g. ``channels``, ``kernel_size``).
    Errors say which model needs what (binary labels, image inputs).
    """
    if name not in MODELS:
        raise _unknown(name, MODELS, "model")
    input_shape = tuple(int(s) for s in input_shape)
    d = math.prod(input_shape)
    cls = MODELS[name]
    if cls.binary and n_classes != 2:
        raise ValueError(f"model {name!r} is a binary classifier, but the data has {n_classes} classes; use "
                         f"'softmax', 'twolayer', 'mlp' or 'cnn' for more than two classes")
    if name in IMAGE_MODELS:
        if len(input_shape) != 3 or input_shape[1] != input_shape[2]:
            raise ValueError(f"model {name!r} needs square images (C, H, W), got samples of shape {input_shape}; "
                             "for flat features use 'softmax', 'twolayer' or 'mlp'")
        c, h, _ = input_shape
        if name == "cnn":
            kw = dict(in_channels=c, n_classes=n_classes, image_size=h, dropout=dropout, batch_norm=batch_norm,
                      dtype=dtype)
            if hidden is not None:
                kw["hidden"] = hidden
        else:
            kw = dict(n_classes=n_classes, in_channels=c, image_size=h, batch_norm=batch_norm, dtype=dtype)
            if dropout:
                kw["dropout"] = dropout
            if hidden is not None:
                kw["classifier_hidden"] = hidden
        return {**kw, **extra}
    if name in ("logistic", "svm"):
        return dict(in_features=d, hidden=0 if hidden is None else hidden, dtype=dtype, **extra)
    if name == "softmax":
        if hidden:
            raise ValueError("model 'softmax' has no hidden layer; use 'twolayer' (or 'mlp') for --hidden")
        return dict(in_features=d, n_classes=n_classes, dtype=dtype, **extra)
    kw = dict(n_classes=n_classes, dropout=dropout, batch_norm=batch_norm, dtype=dtype)
    if hidden is not None:
        kw["hidden"] = hidden
    return dict(in_features=d, **kw, **extra)




def model_for_data(name: str, input_shape, n_classes: int, hidden=None, dropout=0.0, batch_norm=False,
                   dtype=None, **extra) -> CourseModel:
    """Build model ``name`` for samples of ``input_shape`` and ``n_classes`` classes: ``MODELS[name]`` with the
    arguments of :func:`model_config_for_data` (see there)."""
    config = model_config_for_data(name, input_shape, n_classes, hidden, dropout, batch_norm, dtype, **extra)
    return MODELS[name](**config)


# ------------------------------------------------------------------------------------------------ size without building
def _dense(n_in, n_out, bias=True, batch_norm=False):
    """Scalars of Linear(n_in, n_out) [+ BatchNorm(n_out): γ, β, running mean and var, num_batches_tracked]."""
    return n_in * n_out + (n_out if bias else 0) + (4 * n_out + 1 if batch_norm else 0)


def _mlp_size(in_features, hidden, n_classes, batch_norm):
    total, width = 0, in_features
    for h in hidden:
        total += _dense(width, h, batch_norm=batch_norm)
        width = h
    return total + _dense(width, n_classes)


def state_size(name: str, **config) -> int:
    """How many scalars ``build_model(name, **config).state_dict()`` holds (parameters and buffers), computed
    from the configuration alone -- nothing is allocated, so a configuration read from a file can be judged
    before it is built (``hidden=[100000, 100000]`` is 10¹⁰ scalars, 74.5 GiB in float64).

    Arguments are checked as the constructor checks them (ValueError naming the model). The figure equals
    ``sum(t.numel() for t in model.state_dict().values())``; a test pins that for every model.
    """
    if name not in MODELS:
        raise _unknown(name, MODELS, "model")
    cls = MODELS[name]
    sig = inspect.signature(cls.__init__)
    try:
        bound = sig.bind(None, **config)
    except TypeError as err:
        raise ValueError(f"{cls.__name__}: {err}") from None
    bound.apply_defaults()
    c = bound.arguments
    owner = cls.__name__
    if name in ("logistic", "svm"):
        d, h = _int(c["in_features"], "in_features", owner), _int(c["hidden"], "hidden", owner, minimum=0)
        return _dense(d, h) + _dense(h, 1) if h else _dense(d, 1)
    if name == "softmax":
        return _dense(_int(c["in_features"], "in_features", owner), _int(c["n_classes"], "n_classes", owner, 2))
    if name in ("mlp", "twolayer"):
        hidden = c["hidden"]
        hidden = [hidden] if isinstance(hidden, numbers.Integral) else list(hidden)
        return _mlp_size(_int(c["in_features"], "in_features", owner), [_int(h, "hidden size", owner) for h in hidden],
                         _int(c["n_classes"], "n_classes", owner, 2), bool(c["batch_norm"]))
    bn = bool(c["batch_norm"])
    n_classes = _int(c["n_classes"], "n_classes", owner, 2)
    c_in = _int(c["in_channels"], "in_channels", owner)
    if name == "cnn":
        channels = c["channels"]
        channels = [channels] * 2 if isinstance(channels, numbers.Integral) else list(channels)
        if len(channels) != 2:
            raise ValueError(f"CNN: channels must be two ints (c1, c2), got {channels!r}")
        k = _int(c["kernel_size"], "kernel_size", owner)
        side = (_int(c["image_size"], "image_size", owner, minimum=4) // 2) // 2
        total = 0
        for ch in (_int(v, "channels", owner) for v in channels):
            total += _dense(c_in * k * k, ch, bias=not bn, batch_norm=bn)
            c_in = ch
        hidden = _int(c["hidden"], "hidden", owner)
        return total + _dense(c_in * side * side, hidden, bias=not bn, batch_norm=bn) + _dense(hidden, n_classes)
    width = c["width"]  # vgg11
    if isinstance(width, bool) or not isinstance(width, numbers.Real) or not 0 < width < math.inf:
        raise ValueError(f"VGG11: width must be a finite number > 0, got {width!r}")
    total = 0
    for v in VGG11_CONFIG:
        if v != "M":
            ch = max(1, int(math.ceil(v * width)))
            total += _dense(c_in * 9, ch, batch_norm=bn)
            c_in = ch
    h = _int(c["classifier_hidden"], "classifier_hidden", owner, minimum=0)
    return total + (_dense(c_in, h) + _dense(h, h) + _dense(h, n_classes) if h else _dense(c_in, n_classes))


__all__ = ["ACTIVATIONS", "CNN", "MLP", "MODELS", "VGG11", "VGG11_CONFIG", "BinarySVM", "CourseModel",
           "LogisticRegression", "SeedModel", "SmallCNN", "SoftmaxRegression", "TwoLayerNet", "build_model",
           "model_config_for_data", "model_for_data", "state_size"]
