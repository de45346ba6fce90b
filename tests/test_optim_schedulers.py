"""Learning-rate schedules: the sequence of rates after each ``step()`` against the closed forms."""

import math

import numpy as np
import pytest

import microgradnet as mg
from microgradnet.optim import SGD, CosineAnnealingLR, ExponentialLR, StepLR


def make_opt(lr=1.0, groups=None):
    if groups:
        return SGD([{"params": [mg.tensor([0.0], requires_grad=True)], "lr": g} for g in groups], lr=lr)
    return SGD([mg.tensor([0.0], requires_grad=True)], lr=lr)


def rates(sched, n):
    out = [sched.get_last_lr()[0]]
    for _ in range(n):
        sched.optimizer.step()
        sched.step()
        out.append(sched.get_last_lr()[0])
    return out


def test_step_lr():
    # eta_t = 1 * 0.5 ** (t // 2)
    assert rates(StepLR(make_opt(), step_size=2, gamma=0.5), 6) == [1, 1, 0.5, 0.5, 0.25, 0.25, 0.125]


def test_exponential_lr_is_the_eecs498_lr_decay():
    s = ExponentialLR(make_opt(lr=0.1), gamma=0.95)
    assert rates(s, 4) == pytest.approx([0.1 * 0.95 ** t for t in range(5)], rel=1e-14)
    assert s.optimizer.param_groups[0]["lr"] == pytest.approx(0.1 * 0.95 ** 4)
    assert s.optimizer.param_groups[0]["initial_lr"] == 0.1


def test_cosine_annealing_matches_the_closed_form_through_two_periods():
    T, lo, base = 4, 0.1, 1.0
    got = rates(CosineAnnealingLR(make_opt(lr=base), T_max=T, eta_min=lo), 2 * T + 3)
    want = [lo + (base - lo) * (1 + math.cos(math.pi * t / T)) / 2 for t in range(2 * T + 4)]
    assert got == pytest.approx(want, abs=1e-12)
    # hand values: half-way it is the mean, at T_max it is eta_min
    assert got[2] == pytest.approx(0.55) and got[4] == pytest.approx(0.1)


def test_each_group_is_scheduled_from_its_own_base_rate():
    s = StepLR(make_opt(groups=[1.0, 0.1]), step_size=1, gamma=0.1)
    s.step()
    s.step()
    assert s.get_last_lr() == pytest.approx([0.01, 0.001])
    assert s.base_lrs == [1.0, 0.1]


def test_schedule_is_recursive_so_a_manual_change_carries_forward():
    s = ExponentialLR(make_opt(), gamma=0.5)
    s.step()  # 0.5
    s.optimizer.param_groups[0]["lr"] = 2.0
    s.step()
    assert s.get_last_lr() == [1.0]


def test_scheduler_drives_the_update_size():
    opt = make_opt(lr=1.0)
    p = opt.param_groups[0]["params"][0]
    s = StepLR(opt, step_size=1, gamma=0.5)
    moves = []
    for _ in range(3):
        p.grad = np.array([1.0])
        before = p.data[0]
        opt.step()
        moves.append(before - p.data[0])
        s.step()
    assert moves == [1.0, 0.5, 0.25]


def test_state_dict_round_trip():
    s = CosineAnnealingLR(make_opt(), T_max=10, eta_min=0.0)
    for _ in range(3):
        s.step()
    saved = s.state_dict()
    assert "optimizer" not in saved and saved["last_epoch"] == 3
    opt2 = make_opt()
    s2 = CosineAnnealingLR(opt2, T_max=10)
    s2.load_state_dict(saved)
    opt2.param_groups[0]["lr"] = s.get_last_lr()[0]
    s.step()
    s2.step()
    assert s2.get_last_lr() == s.get_last_lr()
    with pytest.raises(ValueError, match="another kind of scheduler"):
        StepLR(make_opt(), step_size=1).load_state_dict(saved)


@pytest.mark.parametrize("make,match", [
    (lambda o: StepLR(o, step_size=0), "step_size must be an int >= 1"),
    (lambda o: ExponentialLR(o, gamma=-0.5), "gamma must be >= 0"),
    (lambda o: CosineAnnealingLR(o, T_max=0), "T_max must be an int >= 1"),
    (lambda o: StepLR(o, step_size=1, last_epoch=3), "no 'initial_lr'"),
    (lambda o: StepLR("sgd", step_size=1), "expected an Optimizer"),
])
def test_bad_arguments(make, match):
    with pytest.raises((ValueError, TypeError, KeyError), match=match):
        make(make_opt())
