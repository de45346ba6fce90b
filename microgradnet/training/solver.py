"""``Solver``: mini-batch training with bookkeeping, in the spirit of the EECS 498 (cs231n) starter code.

::

    solver = Solver(model, data, optimizer="sgd", optim_config={"lr": 0.1, "momentum": 0.9}, lr_decay=0.95,
                    batch_size=100, num_epochs=10, checkpoint_dir="runs/mnist")
    solver.train()
    solver.check_accuracy(X_test, y_test)

``data`` is a dict with ``X_train, y_train, X_val, y_val`` (the starter code's names; lower-case ``x_`` too) or a
:class:`microgradnet.data.Split`. Labels are integer classes 0 … C−1 (0/1 for binary models).

Each epoch: one shuffled pass over the training set in mini-batches (for each batch: ``zero_grad`` → forward →
loss → ``backward`` → ``step``), then the learning-rate schedule steps (``lr_decay`` γ: lr ← γ·lr, i.e.
``ExponentialLR``), then accuracy is measured in ``eval()`` mode on ``num_train_samples`` random training samples
and on the validation set. Recorded:

* ``loss_history`` (every iteration), ``epoch_loss_history`` (mean per epoch), ``lr_history`` (rate used in each
  epoch), ``train_acc_history``, ``val_acc_history``, ``epoch_seconds`` (whole epoch, evaluation included),
  ``batch_seconds`` (mean time of one training step -- zero_grad, forward, loss, backward, update -- per epoch);
* ``grad_norm_history[name]``: the mean over the epoch's batches of ‖∂L/∂p‖₂ for every parameter ``name``;
* ``best_val_acc``, ``best_epoch`` (1-based) and ``best_params`` (the whole state dict of that epoch; strictly
  better val accuracy replaces it, so ties keep the earlier epoch). After ``train()`` the model holds
  ``best_params``, as the starter code does.

Checkpoints (``checkpoint_dir``): ``last.npz`` after every epoch and then ``best.npz`` whenever val accuracy
improves; each holds the complete training state (parameters, buffers, optimiser and scheduler state, RNG states,
histories, the best parameters), see :mod:`.checkpoint`. ``load_checkpoint(path)`` restores it, and ``train()``
then continues to ``num_epochs`` along exactly the trajectory an uninterrupted run with the same seed takes
(the shuffling generator, the train-accuracy subsampling generator and :func:`microgradnet.generator`, which
draws dropout masks, are all restored). ``last.npz`` records the best epoch, and ``train()`` first rewrites
``best.npz`` if a kill between the two writes left it older (:meth:`Solver.repair_best_checkpoint`) and removes the
temporaries killed writes left, so the two files always agree once training runs again.

Divergence: if a batch's loss or any gradient is NaN or infinite, training stops with :class:`DivergenceError`.
The solver (model, optimiser, schedule, RNGs, histories) is rolled back to the end of the last completed epoch
(the start, if none), ``last.npz`` and ``best.npz`` are left as they were, and the message says where it happened
and what to try.
"""

from __future__ import annotations

import math
import numbers
import time
from pathlib import Path

import numpy as np

from ..data import DataLoader
from ..engine import no_grad
from ..fileio import remove_stale_temporaries
from ..optim import ExponentialLR, LRScheduler, Optimizer, make_optimizer
from ..tensor import Tensor
from ..tensor import generator as global_generator
from . import checkpoint as ck
from .losses import BINARY_LOSSES, get_loss, predict
from .progress import make_bar, write_line
from .regularization import check_regularization, penalty

CHECKPOINT_FILES = ("last.npz", "best.npz")


class DivergenceError(FloatingPointError):
    """Training produced a NaN or infinite loss or gradient; the solver was rolled back to its last good state."""


def _unpack(data):
    names = ("x_train", "y_train", "x_val", "y_val")
    if hasattr(data, "x_train") and hasattr(data, "y_val"):
        return tuple(getattr(data, n) for n in names)
    if isinstance(data, dict):
        out = []
        for n in names:
            key = next((k for k in (n[0].upper() + n[1:], n) if k in data), None)
            if key is None:
                raise KeyError(f"Solver: data has no {n!r}; expected X_train, y_train, X_val, y_val (got keys "
                               f"{sorted(data)})")
            out.append(data[key])
        return tuple(out)
    raise TypeError(f"Solver: data must be a dict with X_train, y_train, X_val, y_val or a Split, got "
                    f"{type(data).__name__}")


def _positive_int(v, name, minimum=1):
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < minimum:
        raise ValueError(f"Solver: {name} must be an int >= {minimum}, got {v!r}")
    return int(v)


class Solver:
    """Train ``model`` on ``data``; see the module docstring for what is recorded and saved.

    Parameters: ``optimizer`` an :class:`~microgradnet.optim.Optimizer` over the model's parameters, or a name
    ('sgd', 'adam', 'rmsprop') built with ``optim_config`` (e.g. ``{"lr": 1e-3, "weight_decay": 1e-4}``);
    ``lr_decay`` γ per epoch (1 = constant) or ``scheduler`` (an LRScheduler on that optimiser); ``loss`` a name
    from :data:`~microgradnet.training.losses.LOSSES` (default: ``model.loss_name``, else 'cross_entropy') or a
    function ``(scores, labels) -> scalar Tensor``; ``num_train_samples`` how many training samples the per-epoch
    train accuracy uses (None = all); ``num_val_samples`` likewise for validation; ``seed`` for shuffling and
    subsampling; ``progress`` a tqdm bar per epoch (``leave=False``); ``verbose`` one summary line per epoch;
    ``metadata`` a JSON-able dict stored in checkpoints; ``on_epoch_end(solver)`` called after each epoch;
    ``regularization`` ``None`` or ``("l2", λ)`` / ``("l1", λ)``: ½λ‖w‖² or λ‖w‖₁ over the weights only (not the
    biases), added to the loss (see :mod:`.regularization`; the recorded loss then includes it).
    """

    def __init__(self, model, data, *, optimizer="sgd", optim_config=None, lr_decay=1.0, scheduler=None, loss=None,
                 batch_size=100, num_epochs=10, num_train_samples=1000, num_val_samples=None, eval_batch_size=None,
                 checkpoint_dir=None, seed=0, progress=True, verbose=True, metadata=None, on_epoch_end=None,
                 regularization=None):
        self.model = model
        self.regularization = check_regularization(regularization, "Solver: regularization")
        self.batch_size = _positive_int(batch_size, "batch_size")
        self.eval_batch_size = self.batch_size if eval_batch_size is None else _positive_int(eval_batch_size,
                                                                                             "eval_batch_size")
        self.num_epochs = _positive_int(num_epochs, "num_epochs", minimum=0)
        self.num_train_samples = None if num_train_samples is None else _positive_int(num_train_samples,
                                                                                      "num_train_samples")
        self.num_val_samples = None if num_val_samples is None else _positive_int(num_val_samples,
                                                                                  "num_val_samples")
        self.progress = bool(progress)
        self.verbose = bool(verbose)
        self.metadata = dict(metadata or {})
        self.on_epoch_end = on_epoch_end
        self.checkpoint_dir = None if checkpoint_dir is None else Path(checkpoint_dir)
        params = list(model.parameters())
        if not params:
            raise ValueError(f"Solver: {type(model).__name__} has no parameters to train")
        self.dtype = params[0].data.dtype

        # ---- optimiser, schedule, loss
        if isinstance(optimizer, Optimizer):
            if optim_config:
                raise ValueError("Solver: optim_config is for an optimiser given by name; this one is already built")
            self.optimizer = optimizer
        else:
            self.optimizer = make_optimizer(optimizer, params, **(optim_config or {}))
        if scheduler is not None and lr_decay != 1.0:
            raise ValueError("Solver: give either lr_decay or scheduler, not both")
        if scheduler is not None:
            if not isinstance(scheduler, LRScheduler) or scheduler.optimizer is not self.optimizer:
                raise ValueError("Solver: scheduler must be an LRScheduler built on the solver's optimiser")
            self.scheduler = scheduler
        elif lr_decay != 1.0:
            if isinstance(lr_decay, bool) or not isinstance(lr_decay, numbers.Real) or not lr_decay > 0:
                raise ValueError(f"Solver: lr_decay (the factor applied to lr after each epoch) must be > 0, got "
                                 f"{lr_decay!r}")
            self.scheduler = ExponentialLR(self.optimizer, gamma=float(lr_decay))
        else:
            self.scheduler = None
        self.lr_decay = lr_decay
        if loss is None:
            loss = getattr(model, "loss_name", "cross_entropy")
        if callable(loss):
            self.loss_name, self.loss_fn = getattr(loss, "__name__", "custom"), loss
        else:
            self.loss_name, self.loss_fn = str(loss), get_loss(loss)

        # ---- data
        x_tr, y_tr, x_va, y_va = _unpack(data)
        self.X_train, self.y_train = self._check_xy(x_tr, y_tr, "training")
        self.X_val, self.y_val = self._check_xy(x_va, y_va, "validation")
        self.n_outputs, self.binary = self._probe()
        self._check_labels(self.y_train, "training")
        self._check_labels(self.y_val, "validation")

        # ---- randomness
        s_loader, s_sub = np.random.SeedSequence(seed).spawn(2)
        self.seed = seed
        self.loader = DataLoader(self.X_train, self.y_train, batch_size=self.batch_size, shuffle=True,
                                 seed=np.random.default_rng(s_loader))
        self.sub_rng = np.random.default_rng(s_sub)

        # ---- bookkeeping
        self.epoch = 0
        self.loss_history: list[float] = []
        self.epoch_loss_history: list[float] = []
        self.lr_history: list[float] = []
        self.train_acc_history: list[float] = []
        self.val_acc_history: list[float] = []
        self.epoch_seconds: list[float] = []
        self.batch_seconds: list[float] = []  # per epoch: mean seconds of one training step (forward to update)
        self.grad_norm_history: dict[str, list[float]] = {n: [] for n, _ in model.named_parameters()}
        self.best_val_acc: float | None = None
        self.best_epoch = 0
        self.best_params: dict | None = None
        self.train_seconds = 0.0
        self.diverged: dict | None = None
        self._last_good: tuple[dict, dict] | None = None  # the state at the end of the last completed epoch

    # ------------------------------------------------------------------------------------------------ checks
    def _check_xy(self, X, y, part):
        X = np.asarray(X)
        y = np.asarray(y)
        if X.ndim < 2:
            raise ValueError(f"Solver: {part} inputs must have a sample axis and features, got shape {X.shape}")
        if y.shape != (X.shape[0],):
            raise ValueError(f"Solver: {part} labels must have shape ({X.shape[0]},) (one per sample), got {y.shape}")
        if X.shape[0] == 0:
            raise ValueError(f"Solver: the {part} set is empty")
        if X.dtype.kind not in "biuf":
            raise TypeError(f"Solver: {part} inputs must be numbers, got dtype {X.dtype}")
        if y.dtype.kind not in "iu":
            if y.dtype.kind == "f" and np.all(y == np.round(y)):
                y = y.astype(np.int64)
            else:
                raise TypeError(f"Solver: {part} labels must be integer classes 0..C-1, got dtype {y.dtype}")
        if not np.all(np.isfinite(X)):
            raise ValueError(f"Solver: {part} inputs contain NaN or infinite values")
        return X.astype(self.dtype, copy=False), y.astype(np.int64, copy=False)

    def _probe(self):
        """Run the model on two samples (eval mode, no grad) to learn its output shape."""
        was = self.model.training
        try:
            self.model.eval()
            with no_grad():
                s = self.model(Tensor(self.X_train[:2]))
        except (ValueError, TypeError) as err:
            raise ValueError(f"Solver: {type(self.model).__name__} cannot take inputs of shape "
                             f"{self.X_train.shape[1:]} (per sample): {err}") from None
        finally:
            self.model.train(was)
        binary = s.ndim == 1 or (s.ndim == 2 and s.shape[1] == 1)
        if binary != (self.loss_name in BINARY_LOSSES) and self.loss_name in ("cross_entropy", *BINARY_LOSSES):
            raise ValueError(f"Solver: loss {self.loss_name!r} does not fit the model's output of shape "
                             f"{s.shape[1:]} per sample (binary losses need one score, cross_entropy needs C)")
        return (2 if binary else int(s.shape[1])), binary

    def _check_labels(self, y, part):
        lo, hi = int(y.min()), int(y.max())
        if lo < 0 or hi >= self.n_outputs:
            kind = "0 or 1 (binary model)" if self.binary else f"0..{self.n_outputs - 1} (the model has " \
                                                               f"{self.n_outputs} outputs)"
            bad = np.unique(y[(y < 0) | (y >= self.n_outputs)])[:10]
            raise ValueError(f"Solver: {part} labels out of range: found {bad.tolist()} (labels span {lo}..{hi}); "
                             f"expected {kind}")

    # ------------------------------------------------------------------------------------------------ evaluation
    def scores(self, X, batch_size=None) -> np.ndarray:
        """The model's raw outputs for ``X`` in eval mode (no grad), batched."""
        X = np.asarray(X).astype(self.dtype, copy=False)
        return predict_scores(self.model, X, batch_size or self.eval_batch_size)

    def check_accuracy(self, X, y, num_samples=None, batch_size=None, rng=None) -> float:
        """Fraction of correct predictions on ``(X, y)`` (a random ``num_samples`` subset if given)."""
        X = np.asarray(X)
        y = np.asarray(y)
        if num_samples is not None and X.shape[0] > num_samples:
            idx = (rng or np.random.default_rng(0)).choice(X.shape[0], num_samples, replace=False)
            X, y = X[idx], y[idx]
        return float(np.mean(predict(self.scores(X, batch_size)) == y))

    # ------------------------------------------------------------------------------------------------ training
    def _lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def train(self):
        """Run epochs ``self.epoch + 1 … num_epochs``; afterwards the model holds the best parameters.

        With a ``checkpoint_dir`` it first removes the temporaries a killed write left there and makes ``best.npz``
        hold the epoch the training state names as best (:meth:`repair_best_checkpoint`).
        """
        if self._last_good is None:
            self._last_good = self._state()
        if self.checkpoint_dir is not None:
            remove_stale_temporaries(self.checkpoint_dir, CHECKPOINT_FILES)
            self.repair_best_checkpoint()
        t_all = time.perf_counter()
        try:
            while self.epoch < self.num_epochs:
                self._run_epoch()
        finally:
            self.train_seconds += time.perf_counter() - t_all
        if self.best_params is not None:
            self.model.load_state_dict(self.best_params)
        return self

    def _run_epoch(self):
        model, opt = self.model, self.optimizer
        e = self.epoch + 1
        t0 = time.perf_counter()
        named = list(model.named_parameters())
        gsum = {n: 0.0 for n, _ in named}
        lr = self._lr()
        model.train()
        bar = make_bar(len(self.loader), f"epoch {e}/{self.num_epochs}", self.progress)
        total_loss, n_batches, correct, seen = 0.0, 0, 0, 0
        t_steps = 0.0
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # checked below
                for it, (xb, yb) in enumerate(self.loader):
                    t_step = time.perf_counter()
                    opt.zero_grad()
                    scores = model(Tensor(xb))
                    loss = self.loss_fn(scores, yb)
                    if self.regularization is not None and self.regularization[1]:
                        loss = loss + penalty(model, *self.regularization)
                    value = float(loss.item())
                    if not math.isfinite(value):
                        self._diverge(e, it, f"the loss is {value}")
                    loss.backward()
                    bad = [n for n, p in named if p.grad is not None and not np.all(np.isfinite(p.grad))]
                    if bad:
                        self._diverge(e, it, f"the gradient of {', '.join(bad[:4])} is not finite (loss {value:.4g})")
                    for n, p in named:
                        if p.grad is not None:
                            g = np.asarray(p.grad).ravel()
                            gsum[n] += math.sqrt(float(np.dot(g, g)))
                    opt.step()
                    t_steps += time.perf_counter() - t_step
                    self.loss_history.append(value)
                    total_loss += value
                    n_batches += 1
                    correct += int(np.sum(predict(scores.data) == yb))
                    seen += len(yb)
                    bar.set_postfix(loss=f"{total_loss / n_batches:.4f}", acc=f"{correct / seen:.3f}", refresh=False)
                    bar.update(1)  # redraws at most every 0.1 s
                bar.refresh()  # so the epoch's final loss and accuracy are always shown
        finally:
            bar.close()
        if self.scheduler is not None:
            self.scheduler.step()
        train_acc = self.check_accuracy(self.X_train, self.y_train, self.num_train_samples, rng=self.sub_rng)
        val_acc = self.check_accuracy(self.X_val, self.y_val, self.num_val_samples, rng=self.sub_rng)
        self.epoch = e
        self.epoch_loss_history.append(total_loss / max(n_batches, 1))
        self.lr_history.append(lr)
        self.train_acc_history.append(train_acc)
        self.val_acc_history.append(val_acc)
        for n in gsum:
            self.grad_norm_history[n].append(gsum[n] / max(n_batches, 1))
        improved = self.best_val_acc is None or val_acc > self.best_val_acc
        if improved:
            self.best_val_acc, self.best_epoch = val_acc, e
            self.best_params = ck.module_arrays(model)
        self.epoch_seconds.append(time.perf_counter() - t0)
        self.batch_seconds.append(t_steps / max(n_batches, 1))
        self._last_good = self._state()
        if self.checkpoint_dir is not None:
            self.save_checkpoint(self.checkpoint_dir / "last.npz", state=self._last_good)
            if improved:
                self.save_checkpoint(self.checkpoint_dir / "best.npz", state=self._last_good)
        if self.verbose:
            write_line(f"(Epoch {e} / {self.num_epochs}) loss {self.epoch_loss_history[-1]:.4f}  train acc "
                       f"{train_acc:.4f}  val acc {val_acc:.4f}  lr {lr:.3g}  "
                       f"({self.epoch_seconds[-1]:.1f} s){'  *best' if improved else ''}")
        if self.on_epoch_end is not None:
            self.on_epoch_end(self)

    def _diverge(self, epoch, it, why):
        lr = self._lr()
        good = self._last_good
        self._apply_state(*good)
        self.diverged = {"epoch": epoch, "batch": it + 1, "reason": why, "lr": lr}
        where = f"epoch {epoch}, batch {it + 1}/{len(self.loader)}"
        kept = ""
        if self.checkpoint_dir is not None and self.epoch > 0:
            kept = (f" The last good checkpoint {self.checkpoint_dir / 'last.npz'} (epoch {self.epoch}) is kept"
                    f"{' and so is best.npz' if self.best_epoch else ''}.")
        back = f"the end of epoch {self.epoch}" if self.epoch else "its state before training"
        raise DivergenceError(f"Solver: training diverged at {where}: {why} (lr = {lr:g}). Training stopped and the "
                              f"solver was rolled back to {back}.{kept} Try a smaller learning rate (e.g. "
                              f"{lr / 10:g}), lr decay, or weight decay.")

    # ------------------------------------------------------------------------------------------------ state
    def _state(self) -> tuple[dict, dict]:
        """(arrays, meta) describing the complete training state (what a checkpoint holds)."""
        arrays = {f"model/{k}": v for k, v in ck.module_arrays(self.model).items()}
        if self.best_params is not None:
            arrays.update({f"best/{k}": np.array(v) for k, v in self.best_params.items()})
        opt_arrays, opt_desc = ck.optimizer_to_arrays(self.optimizer)
        arrays.update({f"optim/{k}": v for k, v in opt_arrays.items()})
        hist = {"loss": self.loss_history, "epoch_loss": self.epoch_loss_history, "lr": self.lr_history,
                "train_acc": self.train_acc_history, "val_acc": self.val_acc_history,
                "epoch_seconds": self.epoch_seconds, "batch_seconds": self.batch_seconds}
        arrays.update({f"history/{k}": np.asarray(v, dtype=np.float64) for k, v in hist.items()})
        arrays.update({f"grad_norm/{k}": np.asarray(v, dtype=np.float64) for k, v in self.grad_norm_history.items()})
        meta = {
            "kind": "solver",
            "epoch": self.epoch,
            "num_epochs": self.num_epochs,
            "batch_size": self.batch_size,
            "seed": self.seed if isinstance(self.seed, (int, type(None))) else str(self.seed),
            "loss": self.loss_name,
            "lr_decay": self.lr_decay,
            "model": ck.model_description(self.model),
            "optimizer": opt_desc,
            "scheduler": None if self.scheduler is None else {"class": type(self.scheduler).__name__,
                                                              "state": self.scheduler.state_dict()},
            "best_val_acc": self.best_val_acc,
            "best_epoch": self.best_epoch,
            "train_seconds": self.train_seconds,
            "rng": {"loader": self.loader.rng.bit_generator.state, "loader_epoch": self.loader.epoch,
                    "subsample": self.sub_rng.bit_generator.state,
                    "global": global_generator().bit_generator.state},
            "user": self.metadata,
        }
        return arrays, meta

    def _apply_state(self, arrays: dict, meta: dict) -> None:
        """Restore everything from a state made by :meth:`_state` (already checked to fit)."""
        def group(prefix):
            pre = prefix + "/"
            return {k[len(pre):]: v for k, v in arrays.items() if k.startswith(pre)}

        self.optimizer.load_state_dict(ck.optimizer_from_arrays(meta["optimizer"], group("optim")))
        if self.scheduler is not None:
            self.scheduler.load_state_dict(meta["scheduler"]["state"])
        self.model.load_state_dict(group("model"))
        best = group("best")
        self.best_params = {k: np.array(v) for k, v in best.items()} or None
        self.best_val_acc, self.best_epoch = meta["best_val_acc"], meta["best_epoch"]
        hist = group("history")
        self.loss_history = hist["loss"].tolist()
        self.epoch_loss_history = hist["epoch_loss"].tolist()
        self.lr_history = hist["lr"].tolist()
        self.train_acc_history = hist["train_acc"].tolist()
        self.val_acc_history = hist["val_acc"].tolist()
        self.epoch_seconds = hist["epoch_seconds"].tolist()
        self.batch_seconds = hist["batch_seconds"].tolist()
        self.grad_norm_history = {k: v.tolist() for k, v in group("grad_norm").items()}
        self.epoch = int(meta["epoch"])
        self.train_seconds = float(meta["train_seconds"])
        rng = meta["rng"]
        self.loader.rng.bit_generator.state = rng["loader"]
        self.loader.epoch = rng["loader_epoch"]
        self.sub_rng.bit_generator.state = rng["subsample"]
        global_generator().bit_generator.state = rng["global"]

    def _best_file_agrees(self, path: Path) -> bool:
        try:
            c = ck.read_checkpoint(path)
        except ck.CheckpointError:
            return False
        model = c.group("model")
        return (c.meta.get("epoch") == self.best_epoch and model.keys() == self.best_params.keys()
                and all(np.array_equal(model[k], v) and model[k].dtype == np.asarray(v).dtype
                        for k, v in self.best_params.items()))

    def repair_best_checkpoint(self) -> bool:
        """Make ``checkpoint_dir/best.npz`` hold the best epoch this solver's state records; True if it rewrote it.

        Each epoch writes ``last.npz`` and then, if validation accuracy improved, ``best.npz``, both from one state.
        A process killed between the two leaves ``last.npz`` saying "best is this epoch" beside an older
        ``best.npz``; resuming from ``last.npz`` restores the best accuracy, so the epoch would never be written
        again. This writes it: the state itself when the best epoch is the current one (the file an uninterrupted
        run writes), else -- only if ``best.npz`` was removed or replaced by hand -- a model file (``kind``
        ``"model"``) with the best parameters and that epoch's number.
        """
        if self.checkpoint_dir is None or not self.best_epoch or self.best_params is None:
            return False
        path = self.checkpoint_dir / "best.npz"
        if self._best_file_agrees(path):
            return False
        if self.best_epoch == self.epoch:
            self.save_checkpoint(path, state=self._last_good)
        else:
            meta = {"kind": "model", "model": ck.model_description(self.model), "epoch": self.best_epoch,
                    "best_epoch": self.best_epoch, "best_val_acc": self.best_val_acc, "user": self.metadata}
            ck.save_checkpoint(path, {f"model/{k}": v for k, v in self.best_params.items()}, meta)
        return True

    def save_checkpoint(self, path, state=None) -> Path:
        """Write the complete training state to ``path`` (atomically)."""
        arrays, meta = state if state is not None else self._state()
        return ck.save_checkpoint(path, arrays, meta)

    def load_checkpoint(self, path) -> None:
        """Restore a state written by :meth:`save_checkpoint` so ``train()`` resumes from it.

        Everything is checked first -- the file (see :func:`~.checkpoint.read_checkpoint`), the model's name,
        config, parameter names and shapes, the optimiser's class and groups, the scheduler -- and on any
        mismatch :class:`~.checkpoint.CheckpointError` is raised with the solver unchanged.
        """
        c = ck.read_checkpoint(path)
        where = f"checkpoint {path}"
        try:
            self._check_fits(c, where)
        except (KeyError, TypeError, AttributeError, IndexError) as err:
            raise ck.CheckpointError(f"{where}: malformed training state ({type(err).__name__}: {err}); nothing was "
                                     "changed") from None
        backup = self._state()
        try:
            self._apply_state(c.arrays, c.meta)
        except (ValueError, KeyError, TypeError, RuntimeError, AttributeError, IndexError) as err:
            self._apply_state(*backup)
            raise ck.CheckpointError(f"{where}: does not fit this solver ({err}); nothing was changed") from None
        self._last_good = self._state()

    def _check_fits(self, c, where):
        """Refuse (CheckpointError) a checkpoint whose model, optimiser, scheduler or histories are not this one's."""
        meta = c.meta
        if meta.get("kind") != "solver":
            raise ck.CheckpointError(f"{where}: holds a {meta.get('kind')!r}, not a Solver's training state; "
                                     "use microgradnet.training.checkpoint.load_model for a model file")
        mine = ck.model_description(self.model)
        theirs = meta.get("model", {})
        if theirs != mine:
            raise ck.CheckpointError(f"{where}: written for model {theirs}, this solver trains {mine} (nothing was "
                                     "changed)")
        ck.check_module_state(self.model, c.group("model"), where)
        best = c.group("best")
        if best:
            ck.check_module_state(self.model, best, where + " (best parameters)")
        if meta["optimizer"]["class"] != type(self.optimizer).__name__:
            raise ck.CheckpointError(f"{where}: saved with optimiser {meta['optimizer']['class']}, this solver uses "
                                     f"{type(self.optimizer).__name__} (nothing was changed)")
        sched = meta.get("scheduler")
        mine_sched = None if self.scheduler is None else type(self.scheduler).__name__
        if (sched or {}).get("class") != mine_sched:
            raise ck.CheckpointError(f"{where}: saved with scheduler {(sched or {}).get('class')}, this solver uses "
                                     f"{mine_sched} (nothing was changed)")
        names = set(self.grad_norm_history)
        if set(c.group("grad_norm")) != names:
            raise ck.CheckpointError(f"{where}: gradient-norm history is for other parameter names")
        missing = [k for k in ("loss", "epoch_loss", "lr", "train_acc", "val_acc", "epoch_seconds", "batch_seconds")
                   if k not in c.group("history")]
        if missing or "rng" not in meta:
            raise ck.CheckpointError(f"{where}: incomplete training state (missing {missing or ['rng']})")


def predict_scores(model, X: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """``model(X)`` in eval mode under ``no_grad``, in batches, as one numpy array (restores the mode)."""
    was = model.training
    model.eval()
    try:
        out = []
        with no_grad():
            for i in range(0, X.shape[0], batch_size):
                out.append(model(Tensor(X[i:i + batch_size])).data)
    finally:
        model.train(was)
    return np.concatenate(out, axis=0)


__all__ = ["DivergenceError", "Solver", "predict_scores"]
