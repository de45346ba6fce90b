"""The Solver on a tiny spiral: best-parameter restore, checkpoints, resume, divergence, refusal of bad input."""

import math

import numpy as np
import pytest

import microgradnet as mg
from microgradnet import functional as F
from microgradnet.data import spiral
from microgradnet.models import MLP
from microgradnet.optim import SGD, Adam
from microgradnet.training import CheckpointError, DivergenceError, Solver, load_model
from microgradnet.training.checkpoint import module_arrays, save_checkpoint


@pytest.fixture(scope="module")
def data():
    X, y = spiral(30, 3, 0.2, seed=0)
    Xv, yv = spiral(30, 3, 0.2, seed=1)
    return {"X_train": X, "y_train": y, "X_val": Xv, "y_val": yv}


def make(data, epochs=12, seed=0, dropout=0.0, **kw):
    mg.manual_seed(seed)
    model = MLP(2, [16], 3, dropout=dropout)
    kw.setdefault("optimizer", "sgd")
    kw.setdefault("optim_config", {"lr": 1.0, "momentum": 0.9})
    return Solver(model, data, batch_size=16, num_epochs=epochs, progress=False, verbose=False, **kw)


def snapshot(model):
    return {k: v.copy() for k, v in module_arrays(model).items()}


def same_state(a, b):
    return list(a) == list(b) and all(np.array_equal(a[k], b[k]) for k in a)


def test_best_parameters_are_those_of_the_epoch_with_the_best_val_accuracy(data):
    snaps = []
    s = make(data, on_epoch_end=lambda sol: snaps.append(snapshot(sol.model)))
    s.train()
    va = s.val_acc_history
    best = int(np.argmax(va))  # first maximum: a later tie does not replace it
    assert len(va) == len(snaps) == 12
    assert 0 < best < 11, "this setting is chosen so that the best epoch is neither the first nor the last"
    assert s.best_epoch == best + 1 and s.best_val_acc == va[best]
    assert not same_state(snaps[-1], snaps[best])
    assert same_state(snapshot(s.model), snaps[best])
    assert s.check_accuracy(data["X_val"], data["y_val"]) == va[best]


def test_histories_lr_decay_and_grad_norms(data):
    snaps = []
    s = make(data, epochs=3, lr_decay=0.5, num_train_samples=None,
             on_epoch_end=lambda sol: snaps.append(snapshot(sol.model)))
    s.train()
    n_batches = math.ceil(90 / 16)
    assert len(s.loss_history) == 3 * n_batches and len(s.epoch_loss_history) == 3
    assert s.lr_history == [1.0, 0.5, 0.25]  # lr used in each epoch: 1 * 0.5^t
    assert s.optimizer.param_groups[0]["lr"] == 0.125
    assert len(s.batch_seconds) == 3 and all(0 < b * n_batches <= e for b, e in zip(s.batch_seconds, s.epoch_seconds))
    np.testing.assert_allclose(s.epoch_loss_history, np.mean(np.reshape(s.loss_history, (3, n_batches)), axis=1))
    assert set(s.grad_norm_history) == {"net.1.weight", "net.1.bias", "net.3.weight", "net.3.bias"}
    assert all(len(v) == 3 and all(x > 0 for x in v) for v in s.grad_norm_history.values())
    # each epoch's recorded accuracies are those of that epoch's parameters, in eval mode, on all samples
    for t, state in enumerate(snaps):
        s.model.load_state_dict(state)
        assert s.check_accuracy(data["X_train"], data["y_train"]) == s.train_acc_history[t]
        assert s.check_accuracy(data["X_val"], data["y_val"]) == s.val_acc_history[t]


def test_grad_norm_of_a_full_batch_epoch_is_the_gradient_norm_at_the_start(data):
    s = make(data, epochs=1)
    s.batch_size = 90
    from microgradnet.data import DataLoader
    s.loader = DataLoader(s.X_train, s.y_train, batch_size=90, shuffle=True, seed=0)
    model = s.model
    loss = F.cross_entropy(model(mg.tensor(data["X_train"])), data["y_train"])
    loss.backward()
    expected = {n: float(np.linalg.norm(p.grad)) for n, p in model.named_parameters()}
    model.zero_grad()
    s.train()
    for n, v in expected.items():
        assert s.grad_norm_history[n][0] == pytest.approx(v, rel=1e-10)


def test_checkpoint_round_trip_gives_identical_predictions(data, tmp_path):
    s = make(data, epochs=4, checkpoint_dir=tmp_path)
    s.train()
    model, ck = load_model(tmp_path / "best.npz")
    assert ck.meta["epoch"] == s.best_epoch
    grid = np.random.default_rng(5).uniform(-1, 1, size=(200, 2))
    s.model.eval()
    np.testing.assert_array_equal(model(mg.tensor(grid)).data, s.model(mg.tensor(grid)).data)
    last, ck_last = load_model(tmp_path / "last.npz")
    assert ck_last.meta["epoch"] == 4
    best_from_last, _ = load_model(tmp_path / "last.npz", which="best")
    np.testing.assert_array_equal(best_from_last(mg.tensor(grid)).data, model(mg.tensor(grid)).data)


@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_resume_continues_the_same_trajectory(data, tmp_path, opt):
    cfg = {"lr": 1.0, "momentum": 0.9} if opt == "sgd" else {"lr": 0.02}
    # uninterrupted: 5 epochs, dropout (draws from the global generator), lr decay (a scheduler)
    a = make(data, epochs=5, dropout=0.2, optimizer=opt, optim_config=cfg, lr_decay=0.8)
    a.train()
    # interrupted after 2 epochs ...
    b = make(data, epochs=2, dropout=0.2, optimizer=opt, optim_config=cfg, lr_decay=0.8, checkpoint_dir=tmp_path)
    b.train()
    mg.manual_seed(999)
    mg.randn(17)  # disturb the global generator: resume must restore it
    # ... and resumed in a fresh solver whose model starts from another initialisation
    c = make(data, epochs=5, seed=123, dropout=0.2, optimizer=opt, optim_config=cfg, lr_decay=0.8)
    c.load_checkpoint(tmp_path / "last.npz")
    assert c.epoch == 2 and c.loss_history == b.loss_history
    c.train()
    assert c.loss_history == a.loss_history
    assert c.val_acc_history == a.val_acc_history and c.train_acc_history == a.train_acc_history
    assert c.lr_history == a.lr_history and c.best_epoch == a.best_epoch
    assert same_state(snapshot(c.model), snapshot(a.model))
    for k in a.grad_norm_history:
        assert c.grad_norm_history[k] == a.grad_norm_history[k]


def test_nan_loss_stops_rolls_back_and_keeps_the_last_good_checkpoint(data, tmp_path):
    calls = {"n": 0}
    per_epoch = math.ceil(90 / 16)

    def loss(scores, y):  # cross-entropy, but NaN on the 2nd batch of epoch 3
        calls["n"] += 1
        out = F.cross_entropy(scores, y)
        return out * float("nan") if calls["n"] == 2 * per_epoch + 2 else out

    saved = {}

    def grab(sol):
        saved[sol.epoch] = (snapshot(sol.model), (tmp_path / "last.npz").read_bytes(), list(sol.loss_history))

    s = make(data, epochs=6, loss=loss, checkpoint_dir=tmp_path, on_epoch_end=grab)
    with pytest.raises(DivergenceError, match=r"epoch 3, batch 2/6: the loss is nan \(lr = 1\).*rolled back to the end "
                                              r"of epoch 2.*last.npz \(epoch 2\) is kept.*smaller learning rate"):
        s.train()
    assert s.epoch == 2 and s.diverged["epoch"] == 3 and s.diverged["batch"] == 2
    assert (tmp_path / "last.npz").read_bytes() == saved[2][1]
    assert same_state(snapshot(s.model), saved[2][0])
    assert s.loss_history == saved[2][2]
    assert all(np.all(np.isfinite(v)) for v in snapshot(s.model).values())
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp files left


def test_exploding_learning_rate_is_caught_before_any_epoch_finishes(data, tmp_path):
    # cross-entropy with ReLU is hard to break: lr = 1e12 gives huge but finite losses; 1e100 overflows
    s = make(data, epochs=3, optim_config={"lr": 1e100}, checkpoint_dir=tmp_path)
    before = snapshot(s.model)
    with pytest.raises(DivergenceError, match=r"epoch 1, batch \d+/6: the (loss is (nan|inf)|gradient of .* is not "
                                              r"finite).*rolled back to its state before training"):
        s.train()
    assert same_state(snapshot(s.model), before)
    assert not (tmp_path / "last.npz").exists() and s.epoch == 0 and s.loss_history == []


def _trained(data, tmp_path, **kw):
    s = make(data, epochs=2, checkpoint_dir=tmp_path, **kw)
    s.train()
    return s


def _unchanged(s):
    return snapshot(s.model), s.epoch, list(s.loss_history), s.optimizer.state_dict()


def _assert_unchanged(s, before):
    model, epoch, hist, opt = before
    assert same_state(snapshot(s.model), model) and s.epoch == epoch and s.loss_history == hist
    now = s.optimizer.state_dict()
    assert now["param_groups"] == opt["param_groups"]
    assert all(np.array_equal(now["state"][i][k], opt["state"][i][k]) for i in opt["state"] for k in opt["state"][i])


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "empty"])
def test_corrupted_checkpoint_is_refused_and_nothing_changes(data, tmp_path, damage):
    _trained(data, tmp_path)
    path = tmp_path / "last.npz"
    raw = bytearray(path.read_bytes())
    if damage == "truncate":
        raw = raw[: len(raw) // 2]
    elif damage == "flip":  # inside the stored array data: the zip CRC check must catch it
        raw[len(raw) // 3] ^= 0xFF
    elif damage == "garbage":
        raw = bytearray(b"not a checkpoint at all" * 10)
    else:
        raw = bytearray()
    path.write_bytes(bytes(raw))
    s = make(data, epochs=4, seed=7)
    s.train()  # some state of its own, which must survive the refused load
    before = _unchanged(s)
    with pytest.raises(CheckpointError, match=f"checkpoint {path}"):
        s.load_checkpoint(path)
    _assert_unchanged(s, before)


def test_mismatched_checkpoints_are_refused_with_the_reason(data, tmp_path):
    _trained(data, tmp_path)
    mg.manual_seed(0)
    other = Solver(MLP(2, [8], 3), data, num_epochs=1, progress=False, verbose=False)
    before = _unchanged(other)
    with pytest.raises(CheckpointError, match=r"written for model .*'hidden': \[16\].*this solver trains .*'hidden': "
                                              r"\[8\].*nothing was changed"):
        other.load_checkpoint(tmp_path / "last.npz")
    _assert_unchanged(other, before)
    adam = make(data, epochs=3, optimizer=Adam.__name__.lower(), optim_config={"lr": 0.01})
    before = _unchanged(adam)
    with pytest.raises(CheckpointError, match="saved with optimiser SGD, this solver uses Adam"):
        adam.load_checkpoint(tmp_path / "last.npz")
    _assert_unchanged(adam, before)
    decayed = make(data, epochs=3, lr_decay=0.5)
    with pytest.raises(CheckpointError, match="saved with scheduler None, this solver uses ExponentialLR"):
        decayed.load_checkpoint(tmp_path / "last.npz")


def test_a_checkpoint_needing_pickle_is_refused_without_running_code(data, tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    evil = tmp_path / "evil.npz"
    np.savez(evil, __meta__=np.array([Evil()], dtype=object))
    s = make(data, epochs=1)
    with pytest.raises(CheckpointError, match="pickle"):
        s.load_checkpoint(evil)
    assert not marker.exists()


def test_a_tampered_member_list_is_refused(data, tmp_path):
    s = _trained(data, tmp_path)
    arrays, meta = s._state()
    meta = {k: v for k, v in meta.items()}
    path = tmp_path / "tampered.npz"
    save_checkpoint(path, arrays, meta)
    import zipfile
    with zipfile.ZipFile(path, "a") as z:  # an extra member the metadata does not list
        z.writestr("model/extra.npy", b"")
    with pytest.raises(CheckpointError, match=r"unlisted \['model/extra'\]"):
        s.load_checkpoint(path)


@pytest.mark.parametrize("change,exc,match", [
    (dict(batch_size=0), ValueError, "batch_size must be an int >= 1, got 0"),
    (dict(optimizer="adagrad"), ValueError, "valid choices: sgd, adam, rmsprop"),
    (dict(loss="mse"), ValueError, "valid choices: cross_entropy, bce_with_logits, hinge"),
    (dict(loss="hinge"), ValueError, "does not fit the model's output"),
    (dict(lr_decay=0.0), ValueError, "lr_decay .* must be > 0"),
])
def test_bad_settings_are_refused(data, change, exc, match):
    mg.manual_seed(0)
    kw = dict(progress=False, verbose=False)
    kw.update(change)
    with pytest.raises(exc, match=match):
        Solver(MLP(2, [4], 3), data, **kw)


def test_labels_out_of_range_and_bad_data(data):
    mg.manual_seed(0)
    bad = dict(data, y_train=np.where(data["y_train"] == 2, 3, data["y_train"]))
    with pytest.raises(ValueError, match=r"training labels out of range: found \[3\].*expected 0..2 \(the model has 3 "
                                         r"outputs\)"):
        Solver(MLP(2, [4], 3), bad, progress=False)
    with pytest.raises(KeyError, match="no 'x_val'"):
        Solver(MLP(2, [4], 3), {k: v for k, v in data.items() if k != "X_val"}, progress=False)
    with pytest.raises(ValueError, match="cannot take inputs of shape"):
        Solver(MLP(3, [4], 3), data, progress=False)
    with pytest.raises(TypeError, match="labels must be integer classes"):
        Solver(MLP(2, [4], 3), dict(data, y_val=data["y_val"] + 0.5), progress=False)


def test_an_optimizer_instance_and_binary_models(data):
    from microgradnet.models import LogisticRegression
    X = np.array([[2.0, 0.0], [1.5, 0.5], [-2.0, 0.1], [-1.0, -1.0]] * 5)
    y = np.array([1, 1, 0, 0] * 5)
    mg.manual_seed(0)
    m = LogisticRegression(2)
    s = Solver(m, {"X_train": X, "y_train": y, "X_val": X, "y_val": y}, optimizer=SGD(m.parameters(), lr=0.5),
               batch_size=4, num_epochs=20, progress=False, verbose=False)
    s.train()
    assert s.loss_name == "bce_with_logits" and s.binary and s.n_outputs == 2
    assert s.best_val_acc == 1.0
    with pytest.raises(ValueError, match=r"labels out of range: found \[2\].*expected 0 or 1"):
        Solver(m, {"X_train": X, "y_train": y + 1, "X_val": X, "y_val": y}, progress=False)
