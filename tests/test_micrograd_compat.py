"""micrograd's API unchanged: its own test expressions give the same numbers as the micrograd package."""

import pytest

micrograd = pytest.importorskip("micrograd.engine")

from microgradnet import Value  # noqa: E402


def sanity(V):
    x = V(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    return x, y


def more_ops(V):
    a = V(-4.0)
    b = V(2.0)
    c = a + b
    d = a * b + b ** 3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e ** 2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    return a, b, g


def test_sanity_check_matches_micrograd():
    (x1, y1), (x2, y2) = sanity(Value), sanity(micrograd.Value)
    assert y1.data == pytest.approx(y2.data)
    assert x1.grad == pytest.approx(x2.grad)
    assert (y1.data, x1.grad) == (pytest.approx(-20.0), pytest.approx(46.0))  # micrograd's torch-checked numbers


def test_more_ops_matches_micrograd():
    (a1, b1, g1), (a2, b2, g2) = more_ops(Value), more_ops(micrograd.Value)
    assert g1.data == pytest.approx(g2.data, rel=1e-12)
    assert a1.grad == pytest.approx(a2.grad, rel=1e-12)
    assert b1.grad == pytest.approx(b2.grad, rel=1e-12)
    assert g1.data == pytest.approx(24.70408163265306)
    assert a1.grad == pytest.approx(138.83381924198252)
    assert b1.grad == pytest.approx(645.5772594752186)


def test_lecture_api():
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    e = a * b
    e.label = "e"
    assert repr(e) == "Value(data=-6.0, grad=0.0, label='e')"
    assert set(e._prev) == {a, b} and e._op == "mul"
    assert Value(1.0, (a, b), "+")._prev == (a, b)
    L = e.exp().log()
    L.backward()
    assert (a.grad, b.grad) == (pytest.approx(-3.0), pytest.approx(2.0))
