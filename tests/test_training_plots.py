"""The training plots: valid PNG files written atomically, and figures that show what they claim."""

import os
import struct
import sys

import numpy as np
import pytest

import microgradnet as mg
from microgradnet.models import CNN, MLP
from microgradnet.training import plots

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path):
    """(width, height) from the IHDR chunk, after checking the signature."""
    raw = path.read_bytes()
    assert len(raw) > 0 and raw[:8] == PNG_SIGNATURE
    assert raw[12:16] == b"IHDR"
    return struct.unpack(">II", raw[16:24])


HISTORY = {"loss_history": [2.0, 1.5, 1.0, 0.8, 0.5, 0.4], "epoch_loss_history": [1.75, 0.9, 0.45],
           "train_acc_history": [0.5, 0.8, 0.9], "val_acc_history": [0.45, 0.85, 0.8]}


def test_history_plot_is_a_png_and_marks_the_best_epoch(tmp_path):
    path = tmp_path / "curves.png"
    fig = plots.plot_history(HISTORY, path, title="t")
    w, h = png_size(path)
    assert w > 300 and h > 150
    loss_ax, acc_ax = fig.axes
    lines = {ln.get_label(): ln for ln in acc_ax.get_lines()}
    np.testing.assert_array_equal(lines["validation"].get_ydata(), HISTORY["val_acc_history"])
    # the dotted vertical line sits at the best validation epoch (2, 1-based)
    vlines = [ln for ln in acc_ax.get_lines() if ln.get_linestyle() == ":"]
    assert len(vlines) == 1 and list(vlines[0].get_xdata()) == [2, 2]
    # the per-iteration loss is spread over the epochs: 6 iterations in 3 epochs -> x = 0.5, 1, ..., 3
    it = {ln.get_label(): ln for ln in loss_ax.get_lines()}["per iteration"]
    np.testing.assert_allclose(it.get_xdata(), [0.5, 1, 1.5, 2, 2.5, 3])


def test_decision_boundary_colours_the_plane_by_the_models_prediction(tmp_path):
    mg.manual_seed(0)
    m = MLP(2, [4], 2)
    # a fixed linear rule: class 1 iff x0 > 0 (the hidden layer passes relu(x0), relu(-x0) through)
    w1 = np.zeros((4, 2))
    w1[0, 0], w1[1, 0] = 1.0, -1.0
    m.net[1].weight.data[...] = w1
    m.net[1].bias.data[...] = 0.0
    m.net[3].weight.data[...] = [[0, 1, 0, 0], [1, 0, 0, 0]]
    m.net[3].bias.data[...] = 0.0
    X = np.array([[-1.0, 0.0], [1.0, 0.5], [0.5, -1.0], [-0.5, 1.0]])
    y = (X[:, 0] > 0).astype(int)
    path = tmp_path / "db.png"
    fig = plots.plot_decision_boundary(m, X, y, path, resolution=50)
    png_size(path)
    assert "accuracy on these points 1.000" in fig.axes[0].get_title()
    with pytest.raises(ValueError, match=r"needs 2-D points \(N, 2\), got shape \(4, 3\)"):
        plots.plot_decision_boundary(m, np.zeros((4, 3)), y)


def test_filters_plot_draws_one_image_per_filter(tmp_path):
    mg.manual_seed(0)
    m = CNN(channels=(6, 4), kernel_size=3, hidden=8)
    path = tmp_path / "f.png"
    fig = plots.plot_filters(m, path)
    png_size(path)
    images = [im for ax in fig.axes for im in ax.get_images()]
    assert len(images) == 6
    # each kernel is scaled to [0, 1] on its own
    k0 = m.features[0].weight.data[0, 0]
    np.testing.assert_allclose(images[0].get_array(), (k0 - k0.min()) / (k0.max() - k0.min()))
    rgb = plots.plot_filters(np.random.default_rng(0).random((5, 3, 3, 3)))
    assert [im.get_array().shape for ax in rgb.axes for im in ax.get_images()] == [(3, 3, 3)] * 5
    with pytest.raises(ValueError, match="has no Conv2d layer"):
        plots.plot_filters(MLP())


def test_grad_norm_plot_has_one_line_per_tensor(tmp_path):
    h = {"fc1.weight": [1.0, 0.5, 0.25], "fc1.bias": [0.1, 0.1, 0.1], "fc2.weight": [2.0, 1.0, 0.5]}
    path = tmp_path / "g.png"
    fig = plots.plot_grad_norms(h, path)
    png_size(path)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert [ln.get_label() for ln in ax.get_lines()] == list(h)
    assert [ln.get_label() for ln in plots.plot_grad_norms(h, only_weights=True).axes[0].get_lines()] == [
        "fc1.weight", "fc2.weight"]
    with pytest.raises(ValueError, match="no gradient norms recorded"):
        plots.plot_grad_norms({"w": []})


def test_png_write_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "curves.png"
    plots.plot_history(HISTORY, path)
    old = path.read_bytes()

    def boom(src, dst):
        raise OSError("simulated crash during rename")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="simulated"):
        plots.plot_history({**HISTORY, "val_acc_history": [0.1, 0.2, 0.3]}, path)
    monkeypatch.undo()
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curves.png"]


def test_empty_history_is_refused():
    with pytest.raises(ValueError, match="history is empty"):
        plots.plot_history({})


def test_plots_do_not_touch_pyplot_or_the_global_backend():
    import matplotlib

    backend = matplotlib.get_backend()
    plots.plot_lines([1, 2, 3], {"a": [1, 2, 3]})
    assert matplotlib.get_backend() == backend
    if "matplotlib.pyplot" in sys.modules:
        import matplotlib.pyplot as plt
        assert plt.get_fignums() == []
