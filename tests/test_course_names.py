"""Old course-code names (``linear_eecs498``, ``conv_cs4670``, ``en4553``, ...) keep working after the rename to
descriptive names: each is the very same object as its new name, and old rule names select the same rule in the
tables, the checker, the grader and the CLI."""

from __future__ import annotations

import importlib
import json

import numpy as np
import pytest

import microgradnet.check as check
import microgradnet.check.compositions as compositions
import microgradnet.check.toy as check_toy
import microgradnet.closed_form as cf
import microgradnet.closed_form.toy as cf_toy
import microgradnet.data as data
import microgradnet.data.synthetic as synthetic
from microgradnet.check.sweep import SWEEPS, cases
from microgradnet.cli import main

# Written out by hand (not read from the mappings under test) so a lost or misspelt alias fails here.
CLOSED_FORM_NAMES = {
    "linear_csc249": "linear_columns", "linear_csc249_backward": "linear_columns_backward",
    "linear_eecs498": "linear_rows", "linear_eecs498_backward": "linear_rows_backward",
    "linear_cs4670": "linear_no_bias", "linear_cs4670_backward": "linear_no_bias_backward",
    "conv2d_tsinghua": "conv2d_chw", "conv2d_tsinghua_backward": "conv2d_chw_backward",
    "conv_cs4670": "true_conv_same", "conv_cs4670_backward": "true_conv_same_backward",
    "conv_cs4670_backward_direct": "true_conv_same_backward_direct",
    "conv_eecs498": "conv_full_layer", "conv_eecs498_backward": "conv_full_layer_backward",
    "conv_eecs498_valid": "conv_filt_layer", "conv_eecs498_valid_backward": "conv_filt_layer_backward",
    "batch_norm_eecs498": "batch_norm_one_sigma", "batch_norm_eecs498_backward": "batch_norm_one_sigma_backward",
    "batch_norm_eecs498_stats": "batch_norm_one_sigma_stats", "batch_norm_eecs498_eval": "batch_norm_one_sigma_eval",
    "eecs498_dmu_dXi": "batch_norm_one_sigma_dmu_dXi", "eecs498_dsigma_dXi": "batch_norm_one_sigma_dsigma_dXi",
    "BatchNormEECS498Grad": "BatchNormOneSigmaGrad",
    "EN4553_W": "POOL_LRELU_NET_W", "ToyResult": "PoolLReLUNetResult", "ToyPReLU": "PoolLReLUNetPReLU",
    "toy_network": "pool_lrelu_net", "toy_loss": "pool_lrelu_net_loss", "toy_prelu": "pool_lrelu_net_prelu",
}
MISTAKE_NAMES = {
    "eecs498_dW_transposed": "linear_rows_dW_transposed", "eecs498_db_mean": "linear_rows_db_mean",
    "cs4670_A_not_transposed": "linear_no_bias_A_not_transposed",
    "cs4670_dW_transposed": "linear_no_bias_dW_transposed",
    "cs4670_kernel_not_flipped": "true_conv_same_kernel_not_flipped",
    "cs4670_x_not_flipped": "true_conv_same_x_not_flipped",
    "eecs498_kernel_flipped": "conv_full_layer_kernel_flipped",
}
COMPOSITION_NAMES = {
    "linear_csc249": "linear_columns", "linear_eecs498": "linear_rows", "linear_cs4670": "linear_no_bias",
    "conv2d_tsinghua": "conv2d_chw", "conv_cs4670": "true_conv_same", "conv_eecs498": "conv_full_layer",
    "conv_eecs498_valid": "conv_filt_layer", "batch_norm_eecs498": "batch_norm_one_sigma",
}
CHECK_NAMES = {
    "EN4553": "PoolLReLUNetCheck", "EN4553PReLU": "PoolLReLUNetPReLUCheck", "EN4553Graph": "PoolLReLUNetGraph",
    "en4553": "check_pool_lrelu_net", "en4553_prelu": "check_pool_lrelu_net_prelu",
    "en4553_graph": "pool_lrelu_net_graph",
}
RULE_NAMES = {
    "linear_eecs498": "linear_rows", "linear_cs4670": "linear_no_bias", "conv2d_tsinghua": "conv2d_chw",
    "conv2d_cs4670": "true_conv_same", "conv2d_eecs498": "conv_full_layer", "conv2d_eecs498_valid": "conv_filt_layer",
    "batch_norm_eecs498": "batch_norm_one_sigma",
}


@pytest.mark.parametrize("old,new", sorted(CLOSED_FORM_NAMES.items()))
def test_closed_form_old_name_is_the_new_object(old, new):
    assert getattr(cf, old) is getattr(cf, new)
    assert cf.COURSE_NAMES[old] == new
    assert old not in cf.__all__ and new in cf.__all__
    # the defining module binds the old name too (the network's old names live in the old module, closed_form.toy)
    module = cf_toy if old in cf_toy.OLD_NAMES else importlib.import_module(getattr(cf, new).__module__)
    assert getattr(module, old) is getattr(cf, new)


def test_old_module_names_still_import():
    for old, new in CLOSED_FORM_NAMES.items():
        if old in cf_toy.OLD_NAMES:
            assert getattr(cf_toy, old) is getattr(cf.pool_lrelu_network, new)
    for old, new in CHECK_NAMES.items():
        assert getattr(check_toy, old) is getattr(check, new) is getattr(check.pool_lrelu_network, new)
    assert check_toy.SEED_DL_DV_PRELU is check.pool_lrelu_network.HANDOUT_DL_DV_PRELU
    from microgradnet.check.toy import SEED_DL_DV_PRELU, en4553, en4553_graph, en4553_prelu  # viz/demo.py's import
    assert (en4553, en4553_graph, en4553_prelu) == (check.check_pool_lrelu_net, check.pool_lrelu_net_graph,
                                                    check.check_pool_lrelu_net_prelu)
    assert SEED_DL_DV_PRELU == ((2.0, -2.5), (1.5, 3.0))


@pytest.mark.parametrize("old,new", sorted(MISTAKE_NAMES.items()))
def test_mistake_old_name_is_the_new_object(old, new):
    assert getattr(cf.mistakes, old) is getattr(cf.mistakes, new)
    assert cf.mistakes.COURSE_NAMES[old] == new


@pytest.mark.parametrize("old,new", sorted(COMPOSITION_NAMES.items()))
def test_composition_old_name_is_the_new_object(old, new):
    assert getattr(compositions, old) is getattr(compositions, new)


def test_data_old_names():
    assert data.eecs498_binary is synthetic.eecs498_binary is data.gaussian_binary_20d
    assert (synthetic.EECS498_N, synthetic.EECS498_FEATURES, synthetic.EECS498_INFORMATIVE) == (1000, 20, 5)
    X_old, y_old = data.load("eecs498_binary", seed=4, split=False)
    X_new, y_new = data.gaussian_binary_20d(seed=4, split=False)
    assert np.array_equal(X_old, X_new) and np.array_equal(y_old, y_new)
    assert "eecs498_binary" not in data.DATASETS  # listed once, under the new name


@pytest.mark.parametrize("old,new", sorted(RULE_NAMES.items()))
def test_old_rule_name_selects_the_same_rule(old, new):
    assert cf.RULE_ALIASES[old] == new and cf.canonical_rule(old) == new
    assert old in cf.CLOSED_FORMS and cf.CLOSED_FORMS[old] is cf.CLOSED_FORMS[new]
    assert cf.CLOSED_FORMS.get(old) is cf.CLOSED_FORMS[new] and cf.CLOSED_FORMS[new].name == new
    assert old not in list(cf.CLOSED_FORMS)  # iteration lists every rule once, by its new name
    assert compositions.COMPOSITIONS[old] is compositions.COMPOSITIONS[new]
    assert SWEEPS[old] is SWEEPS[new]
    if new in cf.MISTAKES:
        assert cf.MISTAKES[old] is cf.MISTAKES[new]
    a, b = cases(old, quick=True), cases(new, quick=True)
    assert len(a) == len(b) and all(np.array_equal(x, y) for ca, cb in zip(a, b) for x, y in zip(ca.inputs, cb.inputs))


def test_old_rule_name_grades_like_the_new_one():
    def my_linear_rows_backward(X, W, b, g):  # Y = XW + b, rows, worked out again here
        G = np.asarray(g).reshape(-1, W.shape[1])
        return (G @ W.T).reshape(np.shape(X)), np.reshape(X, (G.shape[0], -1)).T @ G, G.sum(axis=0)

    old, new = check.rule(my_linear_rows_backward, "linear_eecs498", quick=True), \
        check.rule(my_linear_rows_backward, "linear_rows", quick=True)
    assert old.passed and new.passed and str(old) == str(new)
    report = check.check(["linear_eecs498"], quick=True)
    assert report.passed and [r.rule for r in report.results] == ["linear_rows"]


def test_old_rule_name_through_the_cli(tmp_path, capsys):
    out = tmp_path / "old.json"
    assert main(["check", "batch_norm_eecs498", "--quick", "--json", str(out)]) == 0
    rules = [r["rule"] for r in json.loads(out.read_text())["rules"]]
    assert rules == ["batch_norm_one_sigma"]
    capsys.readouterr()
    assert main(["check", "--list"]) == 0
    listing = capsys.readouterr().out
    assert "batch_norm_one_sigma " in listing and "(old name: batch_norm_eecs498)" in listing
    assert "\nbatch_norm_eecs498 " not in listing  # listed under its new name only
    assert main(["check", "--en4553", "180577X"]) == 0  # the old flag of --pool-lrelu-net
    assert "17.3" in capsys.readouterr().out


def test_old_rule_name_through_the_grade_command(tmp_path, capsys):
    sub = tmp_path / "rows.py"
    sub.write_text("import numpy as np\n\n\ndef bwd(X, W, b, g):  # Y = XW + b, one instance per row\n"
                   "    G = np.asarray(g).reshape(-1, W.shape[1])\n"
                   "    return (G @ W.T).reshape(np.shape(X)), np.reshape(X, (G.shape[0], -1)).T @ G, G.sum(axis=0)\n")
    assert main(["grade", "linear_eecs498", str(sub), "--func", "bwd", "--quick"]) == 0
    assert "1 of 1 pass" in capsys.readouterr().out
