"""Faults in the engine (issue 13, items 1 and 6): grad and anomaly modes are per thread; Value and Tensor agree at
the domain edges of the rules (IEEE results, not a bare ZeroDivisionError); Tensor(ndarray) copies, from_numpy
shares."""

import math
import threading

import numpy as np
import pytest

import microgradnet as mg
import microgradnet.functional as F
from microgradnet import Tensor, Value, nn, optim


def run_threads(*targets):
    errors = []

    def wrap(f):
        def g():
            try:
                f()
            except BaseException as e:  # noqa: BLE001 - reported to the test thread below
                errors.append(e)
        return g

    threads = [threading.Thread(target=wrap(f)) for f in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        raise errors[0]


def mlp(seed):
    mg.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))


def test_training_in_one_thread_while_another_evaluates_under_no_grad():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 4)), rng.integers(0, 3, 16)
    steps = 30

    def train_steps(model):
        opt = optim.SGD(model.parameters(), lr=0.1)
        losses = []
        for _ in range(steps):
            opt.zero_grad()
            loss = F.cross_entropy(model(Tensor(x)), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses

    reference = train_steps(mlp(1))  # alone, in this thread

    evaluating, trained = threading.Event(), threading.Event()
    got = {}
    to_train, to_evaluate = mlp(1), mlp(2)  # made here: the generator behind initialisation is shared

    def trainer():
        assert evaluating.wait(30)
        got["losses"] = train_steps(to_train)  # runs while the evaluator sits inside no_grad
        trained.set()

    def evaluator():
        model = to_evaluate
        with mg.no_grad():
            evaluating.set()
            seen = []
            while not trained.is_set():
                out = model(Tensor(x))
                seen.append(out.requires_grad or bool(out.parents))
                trained.wait(0.001)
            got["recorded_under_no_grad"] = any(seen)
            got["evals"] = len(seen)

    run_threads(trainer, evaluator)
    assert got["losses"] == reference  # every step recorded and back-propagated as if alone
    assert got["recorded_under_no_grad"] is False and got["evals"] >= 1


def test_two_overlapping_no_grad_blocks_in_two_threads_each_restore_their_own_mode():
    """T1 enters, T2 enters, T1 leaves (T2 still off), T2 leaves: each thread, and the main one, end recording."""
    e1_in, e2_in, e1_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def t1():
        with mg.no_grad():
            e1_in.set()
            assert e2_in.wait(30)
            seen["t1 inside"] = mg.is_grad_enabled()
        e1_out.set()
        seen["t1 after"] = mg.is_grad_enabled()
        a = Value(2.0)
        seen["t1 records"] = bool((a * a).parents)

    def t2():
        assert e1_in.wait(30)
        with mg.no_grad():
            e2_in.set()
            assert e1_out.wait(30)
            seen["t2 inside after t1 left"] = mg.is_grad_enabled()
        seen["t2 after"] = mg.is_grad_enabled()

    run_threads(t1, t2)
    assert seen == {"t1 inside": False, "t1 after": True, "t1 records": True, "t2 inside after t1 left": False,
                    "t2 after": True}
    assert mg.is_grad_enabled()
    a = Value(3.0)
    b = a * a
    b.backward()
    assert a.grad == 6.0


def test_one_no_grad_decorator_shared_by_threads_and_a_new_thread_starts_recording():
    gate = threading.Barrier(2)
    seen = []

    @mg.no_grad()
    def evaluate():
        gate.wait(30)  # both threads inside the same decorated function at once
        seen.append(mg.is_grad_enabled())
        gate.wait(30)

    run_threads(evaluate, evaluate)
    assert seen == [False, False] and mg.is_grad_enabled()
    with mg.no_grad():
        fresh = {}
        run_threads(lambda: fresh.setdefault("grad", mg.is_grad_enabled()))
        assert fresh == {"grad": True} and not mg.is_grad_enabled()


def test_anomaly_mode_is_per_thread():
    inside, done = threading.Event(), threading.Event()
    got = {}

    def checker():
        with mg.detect_anomaly():
            inside.set()
            assert done.wait(30)
            with pytest.raises(mg.AnomalyError, match="forward of 'log'"):
                Value(0.0).log()

    def other():
        assert inside.wait(30)
        got["log0"] = Value(0.0).log().data  # not checked in this thread
        done.set()

    run_threads(checker, other)
    assert got["log0"] == -math.inf


# ---------------------------------------------------------------------------------------------------- domain edges
EDGES = [  # (what, Value function, Tensor function, input), at the points where Python float arithmetic raises
    ("log(0)", lambda v: v.log(), lambda t: t.log(), 0.0),
    ("log1p(-1)", lambda v: v.log1p(), lambda t: t.log1p(), -1.0),
    ("sqrt(0)", lambda v: v ** 0.5, lambda t: t ** 0.5, 0.0),
    ("0 ** -1 backward via pow 0.5 of a square", lambda v: (v * v) ** 0.5, lambda t: (t * t) ** 0.5, 0.0),
    ("1/x at x = 0 through log", lambda v: v.log() * 2.0, lambda t: t.log() * 2.0, 0.0),
    ("log of a negative", lambda v: v.log(), lambda t: t.log(), -1.0),
]


@pytest.mark.parametrize("what, fv, ft, x", EDGES, ids=[e[0] for e in EDGES])
@pytest.mark.parametrize("sweep", ["fast", "plain"])
def test_value_and_tensor_agree_at_domain_edges(what, fv, ft, x, sweep, monkeypatch):
    if sweep == "plain":
        monkeypatch.delitem(mg.engine.SWEEPS, Value)
    v = Value(x)
    yv = fv(v)
    yv.backward()
    t = Tensor([x], requires_grad=True)
    yt = ft(t)
    yt.sum().backward()
    np.testing.assert_array_equal(np.array([yv.data]), yt.data)
    np.testing.assert_array_equal(np.array([v.grad]), t.grad)


def test_value_log_of_zero_backward_is_plus_inf_as_the_table_says():
    v = Value(0.0)
    y = v.log()
    y.backward()
    assert y.data == -math.inf and v.grad == math.inf
    assert y.local_grads() == (math.inf,)
    a = Value(1.0)
    z = Value(0.0)
    w = a.log() + z.log1p() + (z - 1.0).log1p()  # log1p at −1: derivative 1/(1 + a) = +inf
    w.backward()
    assert z.grad == math.inf and a.grad == 1.0


def test_value_division_by_zero_is_still_refused_in_the_forward_pass():
    with pytest.raises(ZeroDivisionError, match="div: division by zero with inputs 1.0, 0.0"):
        Value(1.0) / Value(0.0)


# ---------------------------------------------------------------------------------------------------- copies
def test_tensor_and_mg_tensor_copy_the_array_so_an_optimiser_never_writes_into_it():
    for make in (lambda a: Tensor(a, requires_grad=True), lambda a: mg.tensor(a, requires_grad=True)):
        arr = np.array([1.0, 2.0, 3.0])
        p = make(arr)
        opt = optim.SGD([p], lr=0.5)
        (p * p).sum().backward()
        opt.step()
        np.testing.assert_array_equal(arr, [1.0, 2.0, 3.0])
        np.testing.assert_array_equal(p.data, [1.0 - 0.5 * 2.0, 2.0 - 0.5 * 4.0, 3.0 - 0.5 * 6.0])
    src = Tensor([1.0, 2.0])
    copy = Tensor(src)
    copy.data[0] = 9.0
    assert src.data[0] == 1.0


def test_from_numpy_shares_memory_both_ways():
    arr = np.array([1.0, 2.0, 3.0])
    p = mg.from_numpy(arr, requires_grad=True)
    opt = optim.SGD([p], lr=0.5)
    (p * p).sum().backward()
    opt.step()
    np.testing.assert_array_equal(arr, [0.0, 0.0, 0.0])  # x − 0.5·2x
    arr[1] = 7.0
    assert p.data[1] == 7.0 and p.numpy() is arr
    with pytest.raises(TypeError, match="from_numpy: expected a numpy array, got list"):
        mg.from_numpy([1.0])
    with pytest.raises(TypeError, match="from_numpy: only floating point tensors can require grad"):
        mg.from_numpy(np.arange(3), requires_grad=True)
