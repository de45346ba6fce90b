"""Hand-derived backward rules from the homework handouts, in plain numpy (never imports the autodiff engine).

Each backward takes the forward inputs (and parameters) plus the upstream gradient ``g`` and returns a
NamedTuple of gradients. ``CLOSED_FORMS`` (rule name → :class:`ClosedForm`: forward, backward, inputs, wrt,
homework, formula, example, loss, alternatives) lets a checker iterate over every rule; ``MISTAKES`` (rule name →
list of ``(name, description, fn)``) catalogues common wrong versions. Float64 throughout.

Modules: ``dense`` (three FC conventions: column vectors ``y = Wx + b``, rows ``Y = XW + b``, no bias
``y = Wx``), ``conv`` (NCHW cross-correlation, vectorised; ``conv2d_chw`` unbatched), ``conv_loops`` (CSC 249
nested loops), ``conv_flip`` (true convolution with a flipped kernel, CS 4670; rotated-kernel backward),
``conv_fullfilt`` (the *full / *filt layer forms, EECS 498), ``pool``, ``activations``, ``dropout_layer``,
``norm`` (standard batch norm and one σ for the batch, EECS 498), ``softmax_ce``, ``losses``, ``pool_lrelu_network``
(the max-pool → LeakyReLU → dense network of EN4553 A2 Q1; ``toy`` is its old module name), ``mistakes``,
``registry``. (Module names differ from function names on purpose: a module ``dropout`` would be shadowed by the
re-exported function ``dropout``.)

Names are descriptive (the convention or layout a rule encodes); the course a rule comes from is in its docstring
and in ``ClosedForm.homework``. The old course-code names (``linear_eecs498``, ``conv_cs4670``, ...) still work:
``COURSE_NAMES`` maps each to its new name and both are bound to the same object; rule names in ``CLOSED_FORMS``
accept the old names through ``RULE_ALIASES``.
"""

from __future__ import annotations

from . import conv as _conv
from . import conv_flip as _conv_flip
from . import conv_fullfilt as _conv_fullfilt
from . import dense as _dense
from . import norm as _norm
from . import toy as _toy
from ._fd import central_diff, numeric_grads  # float64 finite differences, no engine
from .activations import (  # noqa: F401
    KINKS,
    PReLUGrads,
    leaky_relu,
    leaky_relu_backward,
    prelu,
    prelu_backward,
    relu,
    relu_backward,
    sigmoid,
    sigmoid_backward,
    tanh,
    tanh_backward,
)
from .conv import (  # noqa: F401
    Conv2dGrads,
    ConvGeometry,
    conv2d,
    conv2d_backward,
    conv2d_chw,
    conv2d_chw_backward,
    conv2d_geometry,
)
from .conv_flip import (  # noqa: F401
    TrueConvGrads,
    conv2d_backward_via_flip,
    flip2d,
    true_conv_indexed,
    true_conv_same,
    true_conv_same_backward,
    true_conv_same_backward_direct,
)
from .conv_fullfilt import (  # noqa: F401
    FullFiltGrads,
    conv_filt,
    conv_filt_layer,
    conv_filt_layer_backward,
    conv_full,
    conv_full_layer,
    conv_full_layer_backward,
)
from .conv_loops import (  # noqa: F401
    conv2d_backward_loops,
    conv2d_forward_loops,
)
from .dense import (  # noqa: F401
    LinearGrads,
    LinearNoBiasGrads,
    linear_columns,
    linear_columns_backward,
    linear_no_bias,
    linear_no_bias_backward,
    linear_rows,
    linear_rows_backward,
)
from .dropout_layer import (  # noqa: F401
    dropout,
    dropout_backward,
    dropout_mask,
)
from .losses import (  # noqa: F401
    MSEGrad,
    WeightDecayGrad,
    hinge_loss,
    hinge_loss_backward,
    logistic_loss,
    logistic_loss_backward,
    mse_loss,
    mse_loss_backward,
    multi_margin_loss,
    multi_margin_loss_backward,
    weight_decay,
    weight_decay_backward,
)
from .mistakes import (  # noqa: F401
    MISTAKES,
    Mistake,
    NotApplicable,
)
from .norm import (  # noqa: F401
    BatchNormGrads,
    BatchNormOneSigmaGrad,
    batch_norm,
    batch_norm_backward,
    batch_norm_eval,
    batch_norm_one_sigma,
    batch_norm_one_sigma_backward,
    batch_norm_one_sigma_dmu_dXi,
    batch_norm_one_sigma_dsigma_dXi,
    batch_norm_one_sigma_eval,
    batch_norm_one_sigma_stats,
)
from .pool import (  # noqa: F401
    TIE_RULES,
    PoolGeometry,
    avg_pool2d,
    avg_pool2d_backward,
    max_pool2d,
    max_pool2d_backward,
    pool2d_geometry,
)
from .pool_lrelu_network import (  # noqa: F401
    POOL_LRELU_NET_W,
    PoolLReLUNetPReLU,
    PoolLReLUNetResult,
    index_to_X,
    pool_lrelu_net,
    pool_lrelu_net_loss,
    pool_lrelu_net_prelu,
)
from .registry import (  # noqa: F401
    CLOSED_FORMS,
    RULE_ALIASES,
    ClosedForm,
    RuleTable,
    canonical_rule,
)
from .softmax_ce import (  # noqa: F401
    LogProbGrad,
    ScoresGrad,
    SoftmaxGrad,
    cross_entropy,
    cross_entropy_backward,
    log_softmax,
    log_softmax_backward,
    nll_loss,
    nll_loss_backward,
    softmax,
    softmax_backward,
)

#: Every old (course-code or "toy") public name of this package → its new name; ``mistakes.COURSE_NAMES`` has
#: the mistake functions' old names.
COURSE_NAMES = {**_dense.COURSE_NAMES, **_conv.COURSE_NAMES, **_conv_flip.COURSE_NAMES,
                **_conv_fullfilt.COURSE_NAMES, **_norm.COURSE_NAMES, **_toy.OLD_NAMES}

# The old names, each bound to the very same object as its new name: ``closed_form.linear_eecs498 is
# closed_form.linear_rows``. (Bound from COURSE_NAMES rather than listed again; every submodule also binds its own.)
globals().update({old: globals()[new] for old, new in COURSE_NAMES.items()})

__all__ = [
    "central_diff", "numeric_grads",
    "LinearGrads",
    "LinearNoBiasGrads",
    "linear_columns",
    "linear_columns_backward",
    "linear_rows",
    "linear_rows_backward",
    "linear_no_bias",
    "linear_no_bias_backward",
    "Conv2dGrads",
    "ConvGeometry",
    "conv2d_geometry",
    "conv2d",
    "conv2d_backward",
    "conv2d_chw",
    "conv2d_chw_backward",
    "conv2d_forward_loops",
    "conv2d_backward_loops",
    "TrueConvGrads",
    "true_conv_indexed",
    "flip2d",
    "true_conv_same",
    "true_conv_same_backward",
    "true_conv_same_backward_direct",
    "conv2d_backward_via_flip",
    "FullFiltGrads",
    "conv_full",
    "conv_filt",
    "conv_full_layer",
    "conv_full_layer_backward",
    "conv_filt_layer",
    "conv_filt_layer_backward",
    "TIE_RULES",
    "PoolGeometry",
    "pool2d_geometry",
    "max_pool2d",
    "max_pool2d_backward",
    "avg_pool2d",
    "avg_pool2d_backward",
    "KINKS",
    "PReLUGrads",
    "relu",
    "relu_backward",
    "leaky_relu",
    "leaky_relu_backward",
    "prelu",
    "prelu_backward",
    "tanh",
    "tanh_backward",
    "sigmoid",
    "sigmoid_backward",
    "dropout_mask",
    "dropout",
    "dropout_backward",
    "BatchNormGrads",
    "BatchNormOneSigmaGrad",
    "batch_norm",
    "batch_norm_backward",
    "batch_norm_one_sigma",
    "batch_norm_one_sigma_backward",
    "batch_norm_one_sigma_stats",
    "batch_norm_one_sigma_eval",
    "batch_norm_eval",
    "batch_norm_one_sigma_dmu_dXi",
    "batch_norm_one_sigma_dsigma_dXi",
    "SoftmaxGrad",
    "ScoresGrad",
    "LogProbGrad",
    "softmax",
    "softmax_backward",
    "log_softmax",
    "log_softmax_backward",
    "cross_entropy",
    "cross_entropy_backward",
    "nll_loss",
    "nll_loss_backward",
    "MSEGrad",
    "WeightDecayGrad",
    "logistic_loss",
    "logistic_loss_backward",
    "hinge_loss",
    "hinge_loss_backward",
    "multi_margin_loss",
    "multi_margin_loss_backward",
    "mse_loss",
    "mse_loss_backward",
    "weight_decay",
    "weight_decay_backward",
    "POOL_LRELU_NET_W",
    "PoolLReLUNetResult",
    "PoolLReLUNetPReLU",
    "index_to_X",
    "pool_lrelu_net_loss",
    "pool_lrelu_net",
    "pool_lrelu_net_prelu",
    "Mistake",
    "NotApplicable",
    "MISTAKES",
    "ClosedForm",
    "CLOSED_FORMS",
    "RULE_ALIASES",
    "RuleTable",
    "canonical_rule",
    "COURSE_NAMES",
]
