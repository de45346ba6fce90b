"""Optimisers against PyTorch's update equations, worked by hand for three steps.

Each test feeds a scalar (or a small vector) parameter a fixed sequence of gradients (set on ``.grad`` directly,
as ``backward`` would) and compares the parameter after every step with numbers worked out by hand from the
equations in the optimiser's docstring (= ``torch.optim``'s documented algorithm).
"""

import math

import numpy as np
import pytest

import microgradnet as mg
from microgradnet.optim import OPTIMIZERS, SGD, Adam, RMSprop, make_optimizer

GRADS = (1.0, 2.0, -1.0)


def run(opt_cls, grads=GRADS, p0=1.0, **hyper):
    """Parameter values after each step, feeding ``grads`` one per step."""
    p = mg.tensor([p0], requires_grad=True)
    opt = opt_cls([p], **hyper)
    out = []
    for g in grads:
        opt.zero_grad()
        p.grad = np.array([g])
        opt.step()
        out.append(p.data[0])
    return out, opt, p


# ------------------------------------------------------------------------------------------------------- SGD
def test_sgd_plain_is_p_minus_lr_g():
    vals, _, _ = run(SGD, lr=0.1)
    # 1 - 0.1*1 = 0.9; 0.9 - 0.1*2 = 0.7; 0.7 + 0.1 = 0.8
    assert vals == pytest.approx([0.9, 0.7, 0.8], abs=1e-15)


def test_sgd_momentum_with_dampening():
    vals, opt, p = run(SGD, lr=0.1, momentum=0.5, dampening=0.5)
    # t1: b = g = 1 (no dampening on the first step)          p = 1 - 0.1*1 = 0.9
    # t2: b = 0.5*1 + (1-0.5)*2 = 1.5                          p = 0.9 - 0.15 = 0.75
    # t3: b = 0.5*1.5 + 0.5*(-1) = 0.25                        p = 0.75 - 0.025 = 0.725
    assert vals == pytest.approx([0.9, 0.75, 0.725], abs=1e-15)
    assert opt.state[p]["momentum_buffer"] == pytest.approx([0.25])


def test_sgd_nesterov():
    vals, _, _ = run(SGD, lr=0.1, momentum=0.5, nesterov=True)
    # t1: b = 1,                 g' = 1 + 0.5*1 = 1.5         p = 1 - 0.15 = 0.85
    # t2: b = 0.5 + 2 = 2.5,     g' = 2 + 0.5*2.5 = 3.25      p = 0.85 - 0.325 = 0.525
    # t3: b = 1.25 - 1 = 0.25,   g' = -1 + 0.125 = -0.875     p = 0.525 + 0.0875 = 0.6125
    assert vals == pytest.approx([0.85, 0.525, 0.6125], abs=1e-15)


def test_sgd_weight_decay_adds_wd_times_p_to_the_gradient():
    vals, _, _ = run(SGD, lr=0.1, weight_decay=0.1)
    # t1: g = 1 + 0.1*1 = 1.1            p = 1 - 0.11 = 0.89
    # t2: g = 2 + 0.1*0.89 = 2.089       p = 0.89 - 0.2089 = 0.6811
    # t3: g = -1 + 0.06811 = -0.93189    p = 0.6811 + 0.093189 = 0.774289
    assert vals == pytest.approx([0.89, 0.6811, 0.774289], abs=1e-14)


def test_sgd_momentum_and_weight_decay_on_a_vector_through_backward():
    # loss = sum(p^2)/2 so dL/dp = p; wd = 1 doubles it: g = 2p. lr = 0.25, momentum = 0.5:
    # t1: b = 2p0 = [2, -4]           p1 = p0 - 0.25 b = [0.5, -1]
    # t2: b = 0.5 b + 2 p1 = [2, -4]  p2 = [0, 0]
    p = mg.tensor([1.0, -2.0], requires_grad=True)
    opt = SGD([p], lr=0.25, momentum=0.5, weight_decay=1.0)
    for expected in ([0.5, -1.0], [0.0, 0.0]):
        opt.zero_grad()
        ((p * p).sum() * 0.5).backward()
        opt.step()
        np.testing.assert_allclose(p.data, expected, atol=1e-15)


# ------------------------------------------------------------------------------------------------------- Adam
def test_adam_constant_gradient_moves_by_lr_each_step():
    # With g = 1 every step, m_hat = v_hat = 1 exactly (bias correction), so each step is lr * 1/(1 + eps).
    vals, _, _ = run(Adam, grads=(1.0, 1.0, 1.0), lr=0.1, eps=0.0)
    assert vals == pytest.approx([0.9, 0.8, 0.7], abs=1e-12)


def test_adam_three_steps_written_out():
    b1, b2, lr, eps = 0.5, 0.75, 0.1, 1e-8
    vals, opt, p = run(Adam, lr=lr, betas=(b1, b2), eps=eps)
    # t1: m = 0.5, v = 0.25; m_hat = 0.5/0.5 = 1, v_hat = 0.25/0.25 = 1       p = 1 - 0.1*1/(1 + eps)
    p1 = 1 - 0.1 / (1 + eps)
    # t2: m = 0.25 + 0.5*2 = 1.25, v = 0.1875 + 0.25*4 = 1.1875
    #     m_hat = 1.25/0.75, sqrt(v_hat) = sqrt(1.1875/0.4375)
    p2 = p1 - 0.1 * (1.25 / 0.75) / (math.sqrt(1.1875) / math.sqrt(0.4375) + eps)
    # t3: m = 0.625 - 0.5 = 0.125, v = 0.890625 + 0.25 = 1.140625; 1 - b1^3 = 0.875, 1 - b2^3 = 0.578125
    p3 = p2 - 0.1 * (0.125 / 0.875) / (math.sqrt(1.140625) / math.sqrt(0.578125) + eps)
    assert vals == pytest.approx([p1, p2, p3], abs=1e-14)
    st = opt.state[p]
    assert st["step"] == 3 and st["exp_avg"] == pytest.approx([0.125]) and st["exp_avg_sq"] == pytest.approx(
        [1.140625])


def test_adam_amsgrad_keeps_the_max_of_raw_v():
    # g = 2, 0, 0 with beta2 = 0.5: v = 2, 1, 0.5 (decreasing), so v_max stays 2.
    b1, b2, lr = 0.5, 0.5, 0.1
    vals, opt, p = run(Adam, grads=(2.0, 0.0, 0.0), lr=lr, betas=(b1, b2), eps=0.0, amsgrad=True)
    # t1: m = 1, v = v_max = 2; m_hat = 2, sqrt(v_max / 0.5) = 2                        p = 1 - 0.1*2/2 = 0.9
    # t2: m = 0.5, v = 1, v_max = 2; m_hat = 0.5/0.75, sqrt(2/0.75)                      p = 0.9 - 0.1*(2/3)/sqrt(8/3)
    p2 = 0.9 - 0.1 * (0.5 / 0.75) / math.sqrt(2 / 0.75)
    # t3: m = 0.25, v_max = 2; m_hat = 0.25/0.875, sqrt(2/0.875)
    p3 = p2 - 0.1 * (0.25 / 0.875) / math.sqrt(2 / 0.875)
    assert vals == pytest.approx([0.9, p2, p3], abs=1e-14)
    assert opt.state[p]["max_exp_avg_sq"] == pytest.approx([2.0])
    # without amsgrad the same gradients use the decayed v (1 then 0.5): a different, larger step
    plain, _, _ = run(Adam, grads=(2.0, 0.0, 0.0), lr=lr, betas=(b1, b2), eps=0.0)
    assert plain[1] == pytest.approx(0.9 - 0.1 * (0.5 / 0.75) / math.sqrt(1 / 0.75), abs=1e-14)


def test_adam_weight_decay_is_coupled_l2():
    # t1: g = 1 + 0.5*1 = 1.5; m_hat = 1.5, v_hat = 2.25 -> step = lr * 1.5/1.5 = lr whatever g is
    vals, opt, p = run(Adam, grads=(1.0,), lr=0.1, eps=0.0, weight_decay=0.5)
    assert vals == pytest.approx([0.9], abs=1e-14)
    assert opt.state[p]["exp_avg"] == pytest.approx([0.1 * 1.5])  # (1 - 0.9) * 1.5


# ------------------------------------------------------------------------------------------------------- RMSprop
def test_rmsprop_plain():
    vals, _, _ = run(RMSprop, lr=0.1, alpha=0.5, eps=0.0)
    # t1: s = 0.5*1 = 0.5                 p = 1 - 0.1 * 1/sqrt(0.5)
    p1 = 1 - 0.1 / math.sqrt(0.5)
    # t2: s = 0.25 + 0.5*4 = 2.25         p = p1 - 0.1 * 2/1.5
    p2 = p1 - 0.1 * 2 / 1.5
    # t3: s = 1.125 + 0.5 = 1.625         p = p2 + 0.1 * 1/sqrt(1.625)
    p3 = p2 + 0.1 / math.sqrt(1.625)
    assert vals == pytest.approx([p1, p2, p3], abs=1e-14)


def test_rmsprop_centered():
    vals, opt, p = run(RMSprop, lr=0.1, alpha=0.5, eps=0.0, centered=True)
    # t1: s = 0.5, a = 0.5, den = sqrt(0.5 - 0.25) = 0.5                  p = 1 - 0.1*1/0.5 = 0.8
    # t2: s = 2.25, a = 0.25 + 1 = 1.25, den = sqrt(2.25 - 1.5625)         p = 0.8 - 0.1*2/sqrt(0.6875)
    p2 = 0.8 - 0.2 / math.sqrt(0.6875)
    # t3: s = 1.625, a = 0.625 - 0.5 = 0.125, den = sqrt(1.625 - 0.015625)
    p3 = p2 + 0.1 / math.sqrt(1.609375)
    assert vals == pytest.approx([0.8, p2, p3], abs=1e-14)
    assert opt.state[p]["grad_avg"] == pytest.approx([0.125])


def test_rmsprop_momentum_buffer_starts_at_zero():
    vals, _, _ = run(RMSprop, grads=(1.0, 2.0), lr=0.1, alpha=0.5, eps=0.0, momentum=0.5)
    # t1: den = sqrt(0.5), b = 0 + 1/sqrt(0.5) = sqrt(2)               p = 1 - 0.1*sqrt(2)
    # t2: den = 1.5, b = 0.5*sqrt(2) + 2/1.5                          p = p1 - 0.1*b
    p1 = 1 - 0.1 * math.sqrt(2)
    assert vals == pytest.approx([p1, p1 - 0.1 * (0.5 * math.sqrt(2) + 2 / 1.5)], abs=1e-14)


def test_rmsprop_eps_is_outside_the_square_root():
    vals, _, _ = run(RMSprop, grads=(1.0,), lr=0.1, alpha=0.0, eps=1.0)
    # alpha = 0: s = g^2 = 1, den = sqrt(1) + 1 = 2                     p = 1 - 0.1 * 1/2
    assert vals == pytest.approx([0.95], abs=1e-15)


# ------------------------------------------------------------------------------------------------------- common
def test_param_groups_have_their_own_lr():
    a = mg.tensor([1.0], requires_grad=True)
    b = mg.tensor([1.0], requires_grad=True)
    opt = SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    a.grad, b.grad = np.array([1.0]), np.array([1.0])
    opt.step()
    assert (a.data[0], b.data[0]) == pytest.approx((0.9, 0.5))
    opt.param_groups[0]["lr"] = 0.2
    opt.step()
    assert (a.data[0], b.data[0]) == pytest.approx((0.7, 0.0))


def test_zero_grad_and_parameters_without_grad_are_skipped():
    a = mg.tensor([1.0], requires_grad=True)
    b = mg.tensor([1.0], requires_grad=True)
    opt = Adam([a, b], lr=0.1)
    a.grad = np.array([3.0])
    opt.step()
    assert b.data[0] == 1.0 and b not in opt.state and a.data[0] == pytest.approx(0.9)
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(a.grad, [0.0])
    assert b.grad is None
    opt.zero_grad()
    assert a.grad is None


def test_gradients_accumulate_without_zero_grad():
    # the engine accumulates into leaves: two backward calls without zero_grad double the step
    p = mg.tensor([1.0], requires_grad=True)
    opt = SGD([p], lr=0.1)
    (p * 3.0).sum().backward()
    (p * 3.0).sum().backward()
    opt.step()
    assert p.data[0] == pytest.approx(1 - 0.1 * 6)


@pytest.mark.parametrize("name,hyper", [("sgd", dict(lr=0.1, momentum=0.9, nesterov=True)),
                                        ("adam", dict(lr=0.05, amsgrad=True, weight_decay=0.01)),
                                        ("rmsprop", dict(lr=0.01, momentum=0.5, centered=True))])
def test_state_dict_round_trip_continues_identically(name, hyper):
    rng = np.random.default_rng(0)
    grads = rng.standard_normal((6, 3))
    p = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    opt = make_optimizer(name, [p], **hyper)
    for g in grads[:3]:
        p.grad = g.copy()
        opt.step()
    saved, p_saved = opt.state_dict(), p.data.copy()
    for g in grads[3:]:
        p.grad = g.copy()
        opt.step()
    q = mg.tensor(p_saved, requires_grad=True)
    opt2 = OPTIMIZERS[name]([q], lr=123.0)  # wrong lr on purpose: load_state_dict restores the saved one
    opt2.load_state_dict(saved)
    assert opt2.param_groups[0]["lr"] == hyper["lr"]
    for g in grads[3:]:
        q.grad = g.copy()
        opt2.step()
    np.testing.assert_array_equal(q.data, p.data)
    # the saved dict holds copies, not the live buffers
    assert saved["state"][0] is not opt.state_dict()["state"][0]


def test_load_state_dict_mismatch_leaves_optimizer_unchanged():
    p = mg.tensor([1.0, 2.0], requires_grad=True)
    opt = SGD([p], lr=0.1, momentum=0.9)
    p.grad = np.array([1.0, 1.0])
    opt.step()
    other = SGD([mg.tensor([1.0, 2.0, 3.0], requires_grad=True)], lr=0.5, momentum=0.9)
    other.state[other.param_groups[0]["params"][0]] = {"momentum_buffer": np.ones(3)}
    before = opt.state_dict()
    with pytest.raises(ValueError, match=r"momentum_buffer.*shape \(3,\).*\(2,\)"):
        opt.load_state_dict(other.state_dict())
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    np.testing.assert_array_equal(after["state"][0]["momentum_buffer"], before["state"][0]["momentum_buffer"])
    with pytest.raises(ValueError, match="2 parameter group"):
        opt.load_state_dict({"state": {}, "param_groups": [before["param_groups"][0]] * 2})


@pytest.mark.parametrize("make,match", [
    (lambda p: SGD([p], lr=-1), "lr must be >= 0"),
    (lambda p: SGD([p], lr=0.1, nesterov=True), "Nesterov momentum requires momentum > 0"),
    (lambda p: SGD([p], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "dampening = 0"),
    (lambda p: Adam([p], betas=(0.9, 1.0)), r"beta2 must be in \[0, 1\)"),
    (lambda p: Adam([p], betas=0.9), "betas must be a pair"),
    (lambda p: RMSprop([p], alpha=1.5), r"alpha must be in \[0, 1\]"),
    (lambda p: SGD([], lr=0.1), "empty parameter list"),
    (lambda p: SGD(p, lr=0.1), "single Tensor"),
    (lambda p: SGD({p}, lr=0.1), "got a set"),
    (lambda p: SGD([p, p], lr=0.1), "more than once"),
    (lambda p: SGD([p * 2], lr=0.1), "not a leaf"),
    (lambda p: SGD([mg.tensor([1.0])], lr=0.1), "requires_grad=False"),
    (lambda p: make_optimizer("adagrad", [p]), "valid choices: sgd, adam, rmsprop"),
])
def test_bad_hyper_parameters_are_refused(make, match):
    p = mg.tensor([1.0], requires_grad=True)
    with pytest.raises((ValueError, TypeError), match=match):
        make(p)


def test_gradient_shape_mismatch_is_reported():
    p = mg.tensor([1.0, 2.0], requires_grad=True)
    opt = SGD([p], lr=0.1)
    p.grad = np.ones(3)
    with pytest.raises(ValueError, match=r"shape \(2,\) but its .grad has shape \(3,\)"):
        opt.step()


def test_float32_parameters_stay_float32():
    p = mg.tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    opt = Adam([p], lr=0.1)
    p.grad = np.array([1.0, 1.0])
    opt.step()
    assert p.data.dtype == np.float32 and opt.state[p]["exp_avg"].dtype == np.float32
    np.testing.assert_allclose(p.data, [0.9, 1.9], rtol=1e-6)


def test_closure_is_called_and_its_loss_returned():
    p = mg.tensor([3.0], requires_grad=True)
    opt = SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 9.0 and p.data[0] == pytest.approx(3 - 0.25 * 6)
