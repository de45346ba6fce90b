"""PNG plots of training: curves, decision boundaries, first-layer filters, gradient magnitudes per layer.

matplotlib is imported inside each function, and only its object-oriented API is used (``Figure`` +
the Agg canvas): no ``pyplot``, no change of the global backend, so a notebook's inline display is untouched.
Every function returns the ``Figure`` (a notebook shows it) and, given ``path``, writes a PNG atomically (rendered
in memory, written to a temp file in the same folder, then ``os.replace``).

* :func:`plot_history` -- loss per iteration (and its per-epoch mean), train / validation accuracy per epoch;
* :func:`plot_decision_boundary` -- the predicted class over the plane for a 2-D problem, with the data on top;
* :func:`plot_filters` -- the first convolution layer's kernels as small images;
* :func:`plot_grad_norms` -- ‖∂L/∂W‖₂ per parameter tensor per epoch (log scale): vanishing / exploding
  gradients by layer (EECS 498 §7.1);
* :func:`plot_lines` -- a generic one-panel plot for the experiments' sweeps.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from ..fileio import atomic_write_bytes


def _figure(width=10.0, height=4.0):
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plots need matplotlib: pip install matplotlib (or microgradnet[train])") from None
    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def save_png(fig, path) -> Path:
    """Render ``fig`` to PNG bytes and write them to ``path`` atomically."""
    path = Path(path)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_bytes(path, buf.getvalue())


def _finish(fig, path):
    if path is not None:
        save_png(fig, path)
    return fig


def _history_of(history) -> dict:
    if isinstance(history, dict):
        return history
    keys = ("loss_history", "epoch_loss_history", "train_acc_history", "val_acc_history", "lr_history")
    return {k: getattr(history, k) for k in keys if hasattr(history, k)}


def plot_history(history, path=None, title: str = ""):
    """Two panels: the loss per iteration with its per-epoch mean, and train / val accuracy per epoch.

    ``history``: a :class:`~microgradnet.training.Solver` or a dict with ``loss_history``,
    ``epoch_loss_history``, ``train_acc_history``, ``val_acc_history`` (lists).
    """
    h = _history_of(history)
    loss = np.asarray(h.get("loss_history", []), dtype=float)
    ep_loss = np.asarray(h.get("epoch_loss_history", []), dtype=float)
    tr = np.asarray(h.get("train_acc_history", []), dtype=float)
    va = np.asarray(h.get("val_acc_history", []), dtype=float)
    if loss.size == 0 and tr.size == 0:
        raise ValueError("plot_history: the history is empty (train for at least one epoch first)")
    fig = _figure()
    ax1, ax2 = fig.subplots(1, 2)
    n_ep = max(len(tr), len(ep_loss), 1)
    if loss.size:
        per_epoch = loss.size / n_ep
        ax1.plot(np.arange(1, loss.size + 1) / per_epoch, loss, lw=0.6, alpha=0.5, label="per iteration")
    if ep_loss.size:
        ax1.plot(np.arange(1, ep_loss.size + 1), ep_loss, "o-", ms=3, label="epoch mean")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("training loss")
    if loss.size and np.all(loss > 0) and loss.max() / max(loss.min(), 1e-300) > 100:
        ax1.set_yscale("log")
    ax1.legend()
    ax1.grid(alpha=0.3)
    ep = np.arange(1, len(tr) + 1)
    if tr.size:
        ax2.plot(ep, tr, "o-", ms=3, label="train")
    if va.size:
        ax2.plot(ep, va, "s-", ms=3, label="validation")
        best = int(np.argmax(va))
        ax2.axvline(best + 1, color="gray", ls=":", lw=1)
        ax2.annotate(f"best val {va[best]:.3f}", (best + 1, va[best]), textcoords="offset points", xytext=(4, -12),
                     fontsize=8)
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("accuracy")
    ax2.set_ylim(min(0.0, float(np.nanmin(np.r_[tr, va]))) if (tr.size + va.size) else 0.0, 1.02)
    ax2.legend(loc="lower right")
    ax2.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    return _finish(fig, path)


def plot_decision_boundary(model, X, y, path=None, resolution: int = 200, title: str = "", margin: float = 0.25,
                           features=None):
    """The predicted class on a ``resolution``² grid covering the 2-D points ``X`` (plus ``margin``), with the
    points coloured by their label ``y`` on top (the cs231n / TensorFlow-playground picture).

    ``features``: for a model trained on derived inputs (the playground's x1², sin x1, ...), the function that maps
    2-D points (N, 2) to the model's inputs, e.g. ``lambda P: feature_map(P, ["x1", "x2", "sin_x1"])``."""
    _check_points(X, resolution, "plot_decision_boundary")
    fig = _figure(5.5, 5.0)
    ax = fig.subplots()
    acc = _draw_boundary(ax, model, X, y, resolution, margin, features)
    ax.set_title(title or f"decision boundary (accuracy on these points {acc:.3f})")
    return _finish(fig, path)


def plot_decision_boundaries(panels, path=None, ncols: int = 4, resolution: int = 120, margin: float = 0.25):
    """Several decision boundaries side by side: ``panels`` a list of ``(model, X, y, title)`` or ``(model, X, y,
    title, features)`` (see :func:`plot_decision_boundary`); each title gets the accuracy on its points appended."""
    panels = list(panels)
    if not panels:
        raise ValueError("plot_decision_boundaries: nothing to plot")
    ncols = max(1, min(ncols, len(panels)))
    nrows = -(-len(panels) // ncols)
    fig = _figure(3.2 * ncols, 3.2 * nrows)
    axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
    for ax, panel in zip(axes, panels):
        model, X, y, title, *rest = panel
        _check_points(X, resolution, "plot_decision_boundaries")
        acc = _draw_boundary(ax, model, X, y, resolution, margin, rest[0] if rest else None, size=6)
        ax.set_title(f"{title}\naccuracy {acc:.3f}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes[len(panels):]:
        ax.axis("off")
    return _finish(fig, path)


def _check_points(X, resolution, where):
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"{where}: needs 2-D points (N, 2), got shape {X.shape}")
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"{where}: resolution must be an int >= 2, got {resolution!r}")


def _draw_boundary(ax, model, X, y, resolution, margin, features, size=14) -> float:
    """Draw one decision boundary and the points on ``ax``; return the accuracy on the points."""
    from .losses import predict
    from .solver import predict_scores

    X = np.asarray(X)
    y = np.asarray(y)
    lo, hi = X.min(0) - margin, X.max(0) + margin
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    dtype = next(iter(model.parameters())).data.dtype
    inputs = features or (lambda points: points)
    pred = predict(predict_scores(model, inputs(grid).astype(dtype), 4096)).reshape(gx.shape)
    n_classes = int(max(pred.max(), y.max())) + 1
    cmap = "Spectral" if n_classes > 2 else "coolwarm"
    ax.contourf(gx, gy, pred, levels=np.arange(n_classes + 1) - 0.5, cmap=cmap, alpha=0.35)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap=cmap, s=size, edgecolors="k", linewidths=0.4, vmin=0,
               vmax=n_classes - 1)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_aspect("equal")
    return float(np.mean(predict(predict_scores(model, inputs(X).astype(dtype), 4096)) == y))


def first_conv_weight(model) -> np.ndarray:
    """The weight (F, C, kH, kW) of the first Conv2d in ``model`` (ValueError if it has none)."""
    from ..nn import Conv2d

    for _, m in model.named_modules():
        if isinstance(m, Conv2d):
            return np.asarray(m.weight.data)
    raise ValueError(f"plot_filters: {type(model).__name__} has no Conv2d layer")


def plot_filters(weight_or_model, path=None, title: str = "", max_filters: int = 64):
    """The first layer's kernels as images: a (F, C, kH, kW) array (or a model, whose first Conv2d is used).

    C = 1: grey levels; C = 3: RGB; other C: one row of C grey images per filter. Each kernel is scaled to its own
    [min, max] so the pattern (not the magnitude) is visible.
    """
    w = weight_or_model if isinstance(weight_or_model, np.ndarray) else first_conv_weight(weight_or_model)
    if w.ndim != 4:
        raise ValueError(f"plot_filters: expected a conv weight (F, C, kH, kW), got shape {w.shape}")
    w = w[:max_filters].astype(np.float64)
    f, c = w.shape[:2]

    def norm(a):
        span = a.max() - a.min()
        return (a - a.min()) / span if span > 0 else np.zeros_like(a)

    if c in (1, 3):
        cols = int(np.ceil(np.sqrt(f)))
        rows = int(np.ceil(f / cols))
        fig = _figure(1.1 * cols, 1.1 * rows + 0.4)
        axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
        for i, ax in enumerate(axes):
            ax.axis("off")
            if i < f:
                img = norm(w[i])
                if c == 1:
                    ax.imshow(img[0], cmap="gray", interpolation="nearest")
                else:
                    ax.imshow(np.transpose(img, (1, 2, 0)), interpolation="nearest")
    else:
        fig = _figure(0.9 * c, 0.9 * f + 0.4)
        axes = np.asarray(fig.subplots(f, c)).reshape(f, c)
        for i in range(f):
            for j in range(c):
                axes[i, j].axis("off")
                axes[i, j].imshow(norm(w[i, j]), cmap="gray", interpolation="nearest")
    fig.suptitle(title or f"first-layer filters ({w.shape[0]} of shape {tuple(w.shape[1:])})")
    return _finish(fig, path)


def plot_grad_norms(grad_norm_history, path=None, title: str = "", only_weights: bool = False):
    """‖∂L/∂p‖₂ (mean over each epoch's batches) per parameter tensor, one line each, log scale.

    ``grad_norm_history``: a Solver or a dict ``name -> list per epoch`` (``Solver.grad_norm_history``).
    ``only_weights`` skips biases and batch-norm shifts (names ending in ``bias``).
    """
    h = getattr(grad_norm_history, "grad_norm_history", grad_norm_history)
    items = [(k, np.asarray(v, dtype=float)) for k, v in h.items() if not (only_weights and k.endswith("bias"))]
    items = [(k, v) for k, v in items if v.size]
    if not items:
        raise ValueError("plot_grad_norms: no gradient norms recorded (train for at least one epoch first)")
    fig = _figure(7.5, 4.5)
    ax = fig.subplots()
    for k, v in items:
        ax.plot(np.arange(1, v.size + 1), np.maximum(v, 1e-300), "o-", ms=2.5, lw=1, label=k)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean ‖∂L/∂p‖₂ per batch")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, ncol=2 if len(items) > 8 else 1, loc="best")
    ax.set_title(title or "gradient magnitude per parameter tensor")
    return _finish(fig, path)


def plot_lines(x, series: dict, path=None, xlabel: str = "", ylabel: str = "", title: str = "", logx: bool = False,
               logy: bool = False, markers: bool = True):
    """One panel, one line per ``series`` entry (label → y values over ``x``)."""
    if not series:
        raise ValueError("plot_lines: nothing to plot")
    fig = _figure(6.5, 4.2)
    ax = fig.subplots()
    for label, ys in series.items():
        xs = x if not isinstance(x, dict) else x[label]
        ax.plot(xs, ys, "o-" if markers else "-", ms=3, lw=1.2, label=str(label))
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _finish(fig, path)


__all__ = ["first_conv_weight", "plot_decision_boundaries", "plot_decision_boundary", "plot_filters",
           "plot_grad_norms", "plot_history", "plot_lines", "save_png"]
