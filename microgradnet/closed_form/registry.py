"""``CLOSED_FORMS``: one record per rule so a checker can iterate over every hand-derived backward.

Calling convention, the same for every record ``rec``::

    inputs, params = rec.example(rng)              # a valid, kink-free, tie-free example
    out   = rec.forward(*inputs, **params)         # ndarray, or a float for losses (rec.loss)
    grads = rec.backward(*inputs, g, **params)     # g = ∂L/∂out, out's shape (a float for losses)
    grads[i] is ∂L/∂inputs[rec.wrt[i]]             # a NamedTuple; len(grads) == len(rec.wrt)

``rec.alternatives`` are other implementations of the same backward (loops, flipped kernels, eq. 3 summed
literally) with the same signature; they must agree with ``rec.backward``.

Rule names describe the convention or layout (``linear_rows`` is ``Y = XW + b`` with one instance per row); the
course a rule comes from is in ``rec.homework``. ``RULE_ALIASES`` maps the old course-code rule names
(``linear_eecs498``, ``conv2d_cs4670``, ...) to the new ones: ``CLOSED_FORMS[old] is CLOSED_FORMS[new]`` and
``old in CLOSED_FORMS``, while iterating ``CLOSED_FORMS`` yields only the new names. :func:`canonical_rule`
resolves a name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import activations as act
from . import conv, conv_flip, conv_fullfilt, conv_loops, dense, losses, norm, pool
from . import dropout_layer as dp
from . import softmax_ce as softmax

__all__ = ["ClosedForm", "CLOSED_FORMS", "RULE_ALIASES", "RuleTable", "canonical_rule"]

Example = Callable[[np.random.Generator], tuple[tuple, dict]]


@dataclass(frozen=True)
class ClosedForm:
    """A hand-derived rule: forward and backward (plain numpy), the homework it comes from, its formula."""

    name: str
    forward: Callable
    backward: Callable
    inputs: tuple[str, ...]
    wrt: tuple[int, ...]
    homework: str
    formula: str
    example: Example
    loss: bool = False
    alternatives: tuple[Callable, ...] = ()

    @property
    def seed(self) -> str:
        """Old name of :attr:`homework` (the homework handout the rule comes from; not a random seed)."""
        return self.homework


def _n(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.standard_normal(shape)


def _away_from_zero(rng: np.random.Generator, *shape: int) -> np.ndarray:
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < 0.1, np.sign(x) * 0.1 + x, x)


def _ex_conv(rng):
    return (_n(rng, 2, 3, 7, 6), _n(rng, 4, 3, 3, 2), _n(rng, 4)), dict(stride=(2, 1), padding=(1, 2),
                                                                      dilation=(1, 2))


def _ex_bin(rng, labels):
    s = _n(rng, 6)
    s = np.where(np.abs(np.abs(s) - 1.0) < 0.05, s * 1.2, s)  # keep away from the hinge at y·s = 1
    return (s, np.array(labels, dtype=float)), {}


def _ex_multi(rng):
    s = _n(rng, 4, 5)
    return (s, rng.integers(0, 5, size=4)), dict(margin=1.0)


_RECORDS = [
    ClosedForm("linear", dense.linear_columns, dense.linear_columns_backward, ("x", "W", "b"), (0, 1, 2),
               "CSC 249 HW2 Problem 2 (and P5.1)",
               "y = Wx + b: ∂L/∂W = (∂L/∂y) xᵀ, ∂L/∂b = ∂L/∂y, ∂L/∂x = Wᵀ ∂L/∂y",
               lambda r: ((_n(r, 4, 5), _n(r, 3, 4), _n(r, 3)), {})),
    ClosedForm("linear_rows", dense.linear_rows, dense.linear_rows_backward, ("X", "W", "b"),
               (0, 1, 2), "EECS 498 HW1 §1.1",
               "Y = WᵀX + b (rows: Y = XW + b): ∂L/∂W = Xᵀ G, ∂L/∂b = Σ_n G_n, ∂L/∂X = G Wᵀ",
               lambda r: ((_n(r, 5, 4), _n(r, 4, 3), _n(r, 3)), {})),
    ClosedForm("linear_no_bias", dense.linear_no_bias, dense.linear_no_bias_backward, ("x", "W"), (0, 1),
               "CS 4670 PA5 B.1", "y = Wx: ∂L/∂x = AᵀB with A = W, B = ∂L/∂y; ∂L/∂W = B xᵀ",
               lambda r: ((_n(r, 4, 1), _n(r, 3, 4)), {})),
    ClosedForm("conv2d", conv.conv2d, conv.conv2d_backward, ("x", "w", "b"), (0, 1, 2),
               "CSC 249 HW2 Problem 3 / P5.2 (with padding, dilation, batch)",
               "y[n,k,i,j] = b[k] + Σ_{t,m,q} xp[n,t,is+md,js+qd] w[k,t,m,q]; ∂L/∂w = Σ g·xp, "
               "∂L/∂xp scatters g·w",
               _ex_conv, alternatives=(conv_loops.conv2d_backward_loops, conv_flip.conv2d_backward_via_flip)),
    ClosedForm("conv2d_chw", conv.conv2d_chw, conv.conv2d_chw_backward,
               ("z", "weight", "bias"), (0, 1, 2), "Tsinghua DL HW1 §1.1",
               "y(j) = bias(j) + Σ_k weight(j,k) ⋆ z(k) (cross-correlation, CHW)",
               lambda r: ((_n(r, 3, 6, 5), _n(r, 2, 3, 3, 2), _n(r, 2)), dict(stride=2, padding=1))),
    ClosedForm("true_conv_same", conv_flip.true_conv_same, conv_flip.true_conv_same_backward, ("x", "w"), (0, 1),
               "CS 4670 PA5 A.1, A.2",
               "y[e,f] = Σ x[a,b] w[e−a,f−b]: ∂L/∂x = ∂L/∂y ⋆ w̃, ∂L/∂w = ∂L/∂y ⋆ x̃ (flipped)",
               lambda r: ((_n(r, 6, 5), _n(r, 3, 2)), {}),
               alternatives=(conv_flip.true_conv_same_backward_direct,)),
    ClosedForm("conv_full_layer", conv_fullfilt.conv_full_layer, conv_fullfilt.conv_full_layer_backward, ("X", "W"),
               (0, 1), "EECS 498 HW1 §1.5",
               "Y_nf = Σ_c X_nc *full W_fc: ∂L/∂X_nc = Σ_f ∂L/∂Y_nf *filt W_fc, "
               "∂L/∂W_fc = Σ_n ∂L/∂Y_nf *filt X_nc",
               lambda r: ((_n(r, 2, 2, 5, 4), _n(r, 3, 2, 3, 2)), {})),
    ClosedForm("conv_filt_layer", conv_fullfilt.conv_filt_layer,
               conv_fullfilt.conv_filt_layer_backward, ("X", "W"), (0, 1),
               "EECS 498 HW1 §1.5 (the H'' = H − H' + 1 reading)",
               "Y_nf = Σ_c X_nc *filt W_fc: ∂L/∂X_nc = Σ_f ∂L/∂Y_nf *full W_fc, "
               "∂L/∂W_fc = Σ_n X_nc *filt ∂L/∂Y_nf",
               lambda r: ((_n(r, 2, 2, 5, 4), _n(r, 3, 2, 3, 2)), {})),
    ClosedForm("max_pool2d", pool.max_pool2d, pool.max_pool2d_backward, ("x",), (0,),
               "CSC 249 HW2 Problem 4 / P5.3; Tsinghua DL HW1 §1.1; EN4553 A2 Q1",
               "y = max over the window; ∂L/∂x: g to the arg-max (tie: 'all' | 'first' | 'split'), summed "
               "over overlapping windows",
               lambda r: ((_n(r, 2, 2, 7, 6),), dict(kernel_size=3, stride=2, padding=1, tie="all"))),
    ClosedForm("avg_pool2d", pool.avg_pool2d, pool.avg_pool2d_backward, ("x",), (0,),
               "not in the homework handouts (PyTorch avg_pool2d)",
               "y = (1/D) Σ window; ∂L/∂x += g/D over every window containing x",
               lambda r: ((_n(r, 2, 2, 7, 6),), dict(kernel_size=(3, 2), stride=(2, 1), padding=1))),
    ClosedForm("relu", act.relu, act.relu_backward, ("x",), (0,), "EECS 498 HW1 §1.2",
               "∂L/∂X = ∂L/∂Y ⊙ 1[X > 0] (relu'(0) = 0)", lambda r: ((_away_from_zero(r, 3, 4),), {})),
    ClosedForm("leaky_relu", act.leaky_relu, act.leaky_relu_backward, ("x",), (0,), "EN4553 A2 Q1",
               "∂L/∂x = ∂L/∂y (x > 0), slope·∂L/∂y (x ≤ 0)",
               lambda r: ((_away_from_zero(r, 3, 4),), dict(slope=0.1))),
    ClosedForm("prelu", act.prelu, act.prelu_backward, ("x", "alpha"), (0, 1), "EN4553 A2 Q1(d)",
               "∂L/∂x = g (x > 0), αg (x ≤ 0); ∂L/∂α = Σ_{x<0} g·x",
               lambda r: ((_away_from_zero(r, 3, 4, 2), np.array([0.1, 0.25, 0.05, 0.3])), {})),
    ClosedForm("tanh", act.tanh, act.tanh_backward, ("x",), (0,), "Tsinghua DL HW1 §1.1",
               "dy/dz = 1 − y²", lambda r: ((_n(r, 3, 4),), {})),
    ClosedForm("sigmoid", act.sigmoid, act.sigmoid_backward, ("x",), (0,),
               "EECS 498 HW1 §2 / §7.1 (sigmoid output and non-linearity)",
               "∂L/∂x = ∂L/∂y ⊙ σ(x)(1 − σ(x))", lambda r: ((_n(r, 3, 4),), {})),
    ClosedForm("dropout", dp.dropout, dp.dropout_backward, ("x", "mask"), (0,), "EECS 498 HW1 §1.3",
               "Y = X ⊙ M (or inverted X ⊙ M/(1−p)): ∂L/∂X = ∂L/∂Y ⊙ M (/(1−p))",
               lambda r: ((_n(r, 4, 5), dp.dropout_mask((4, 5), 0.3, r)), dict(p=0.3, inverted=True))),
    ClosedForm("batch_norm", norm.batch_norm, norm.batch_norm_backward, ("x", "gamma", "beta"), (0, 1, 2),
               "standard batch norm (Ioffe & Szegedy 2015), used in EECS 498 HW1 §5.4",
               "∂L/∂x = γ/(m√(σ²+ε)) (m g − Σg − x̂ Σ g x̂), ∂L/∂γ = Σ g x̂, ∂L/∂β = Σ g",
               lambda r: ((_n(r, 6, 4) * 2 + 1, _n(r, 4), _n(r, 4)), dict(eps=1e-5))),
    ClosedForm("batch_norm_one_sigma", norm.batch_norm_one_sigma, norm.batch_norm_one_sigma_backward, ("X",), (0,),
               "EECS 498 HW1 §1.4",
               "Y_i = (X_i − μ)/σ, σ = √(Σ_j ||X_j − μ||² + ε) (one scalar): "
               "∂L/∂X_i = (G_i − Ḡ)/σ − (X_i − μ) Σ_j⟨G_j, X_j − μ⟩/σ³",
               lambda r: ((_n(r, 5, 3),), dict(eps=1e-5))),
    ClosedForm("softmax", softmax.softmax, softmax.softmax_backward, ("z",), (0,), "EN4553 A2 Q2(a)",
               "p = softmax(z − max z); ∂L/∂z = p ⊙ (g − ⟨g, p⟩)", lambda r: ((_n(r, 3, 5),), {})),
    ClosedForm("log_softmax", softmax.log_softmax, softmax.log_softmax_backward, ("z",), (0,),
               "not in the homework handouts (PyTorch log_softmax)", "∂L/∂z = g − p Σ g",
               lambda r: ((_n(r, 3, 5),), {})),
    ClosedForm("cross_entropy", softmax.cross_entropy, softmax.cross_entropy_backward, ("scores", "labels"),
               (0,), "CSC 249 HW2 Problem 1; CS 4670 PA5 C.1; EN4553 A2 Q2(b)-(c)",
               "L = −(1/N) Σ log p_{n,gt}: ∂L/∂s = (p − t)/N",
               lambda r: ((_n(r, 4, 5), r.integers(0, 5, 4)), {}), loss=True),
    ClosedForm("nll", softmax.nll_loss, softmax.nll_loss_backward, ("logp", "labels"), (0,),
               "PyTorch nll_loss (CSC 249 HW2 P1 = nll ∘ log_softmax)", "L = −(1/N) Σ logp[n, y_n]",
               lambda r: ((_n(r, 4, 5), r.integers(0, 5, 4)), {}), loss=True),
    ClosedForm("logistic_loss", losses.logistic_loss, losses.logistic_loss_backward, ("scores", "labels"),
               (0,), "EECS 498 HW1 §2", "L = mean(log(1 + e^s) − y s), y ∈ {0,1}: ∂L/∂s = (σ(s) − y)/N",
               lambda r: _ex_bin(r, [0, 1, 1, 0, 1, 0]), loss=True),
    ClosedForm("hinge_loss", losses.hinge_loss, losses.hinge_loss_backward, ("scores", "labels"), (0,),
               "EECS 498 HW1 §3", "L = mean max(0, 1 − y s), y ∈ {−1,+1}: ∂L/∂s = −y 1[1 − ys > 0]/N",
               lambda r: _ex_bin(r, [-1, 1, 1, -1, 1, -1]), loss=True),
    ClosedForm("multi_margin_loss", losses.multi_margin_loss, losses.multi_margin_loss_backward,
               ("scores", "labels"), (0,), "EECS 498 HW1 §3-4 / cs231n multiclass SVM",
               "L = (1/N) Σ_n Σ_{j≠y} max(0, s_j − s_y + 1)", _ex_multi, loss=True),
    ClosedForm("mse_loss", losses.mse_loss, losses.mse_loss_backward, ("y", "t"), (0,), "EN4553 A2 Q1(a)",
               "L = mean (y − t)² (½(y − t)² per datum): ∂L/∂y = 2(y − t)/size",
               lambda r: ((_n(r, 3, 4), _n(r, 3, 4)), dict(reduction="mean", half=False)), loss=True),
    ClosedForm("weight_decay", losses.weight_decay, losses.weight_decay_backward, ("W",), (0,),
               "EECS 498 HW1 (solver L2 regularisation)", "R = ½ λ Σ W²: ∂R/∂W = λ W",
               lambda r: ((_n(r, 3, 4),), dict(lam=0.1, half=True)), loss=True),
]

#: Old course-code rule names → the descriptive rule names (the CLI, the grader and the notebooks' checker accept
#: both; reports show the new name).
RULE_ALIASES: dict[str, str] = {
    "linear_eecs498": "linear_rows",
    "linear_cs4670": "linear_no_bias",
    "conv2d_tsinghua": "conv2d_chw",
    "conv2d_cs4670": "true_conv_same",
    "conv2d_eecs498": "conv_full_layer",
    "conv2d_eecs498_valid": "conv_filt_layer",
    "batch_norm_eecs498": "batch_norm_one_sigma",
}


def canonical_rule(name):
    """The current rule name for ``name``: an old name of ``RULE_ALIASES`` → its new name; anything else as is."""
    return RULE_ALIASES.get(name, name) if isinstance(name, str) else name


class RuleTable(dict):
    """A dict keyed by rule name that also answers to the old names of ``RULE_ALIASES``.

    ``table[old]``, ``table.get(old)`` and ``old in table`` resolve ``old`` to its new name first; iteration,
    ``len``, ``keys()`` and ``items()`` see only the new names, so nothing is listed twice.
    """

    def __getitem__(self, name):
        return super().__getitem__(canonical_rule(name))

    def __contains__(self, name):
        return super().__contains__(canonical_rule(name))

    def get(self, name, default=None):
        return super().get(canonical_rule(name), default)


CLOSED_FORMS: RuleTable = RuleTable((rec.name, rec) for rec in _RECORDS)
