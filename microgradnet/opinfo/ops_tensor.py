"""Catalogue entries for the Tensor front: arithmetic, elementwise functions, comparisons, reductions, shape and
indexing, creation and conversion. See :mod:`microgradnet.opinfo` for what an entry is."""

from __future__ import annotations

import math

from .core import A, I, OpInfo, S, V

INF, NAN = math.inf, math.nan

UNARY_SHAPES = ((3, 4), (), (0, 3), (2, 1, 3))


def unary_samples(domain="any"):
    return [S(A(*sh, domain=domain)) for sh in UNARY_SHAPES]


def binary_samples(da="any", db="any"):
    return [
        S(A(3, 4, domain=da), A(3, 4, domain=db)),
        S(A(3, 4, domain=da), A(4, domain=db), note="broadcast"),
        S(A(2, 1, 4, domain=da), A(3, 1, domain=db), note="both broadcast"),
        S(A(domain=da), A(2, 3, domain=db), note="0-d"),
        S(A(0, 3, domain=da), A(3, domain=db), note="empty"),
        S(A(3, 4, domain=da), 1.5, note="Python number"),
        S(1.5, A(3, 4, domain=db), note="reflected"),
    ]


def int_binary_samples(low=0, high=5):
    return [S(I(3, 4, low=low, high=high), I(3, 4, low=low, high=high)),
            S(I(3, 4, low=low, high=high), I(4, low=low, high=high), note="broadcast"),
            S(I(3, 4, low=low, high=high), 2, note="Python int")]


def _binop(name, f, value, da="any", db="any", family="arithmetic", edges=(), ints=True, convention="", **kw):
    samples = binary_samples(da, db)
    extra = int_binary_samples(1 if db != "any" else 0) if ints else []
    return [OpInfo(name, family, f, samples, edges=list(edges), value=value, convention=convention, **kw)] + (
        [OpInfo(name + " (int)", family, f, extra, dtypes=(None,), grad=False, convention="integer tensors stay "
                "integer (true division gives the default float dtype)")] if ints else [])


def _fn_and_method(name):
    """torch.name(a, b) and a.name(b), both."""
    def call(L, a, b):
        return getattr(L.t, name)(a, b), getattr(a, name)(b)
    return call


ARITH = [
    *_binop("x + y", lambda L, a, b: a + b, lambda a, b: a + b),
    *_binop("x - y", lambda L, a, b: a - b, lambda a, b: a - b),
    *_binop("x * y", lambda L, a, b: a * b, lambda a, b: a * b),
    *_binop("x / y", lambda L, a, b: a / b, lambda a, b: a / b, db="away",
            edges=[S(V(1.0), V(0.0), out=INF, grads=(INF, -INF)), S(V(-1.0), V(0.0), out=-INF, grads=(INF, INF)),
                   S(V(0.0), V(0.0), out=NAN, grads=(INF, NAN)), S(V(3.0), V(2.0), out=1.5, grads=(0.5, -0.75))],
            convention="x / 0 = ±inf and 0 / 0 = NaN, Value and Tensor alike (detect_anomaly names the op)"),
    *[OpInfo(f"torch.{n} / Tensor.{n}", "arithmetic",
             _fn_and_method(n),
             binary_samples(db="away" if n == "div" else "any")[:6]) for n in ("add", "sub", "mul", "div")],
    OpInfo("-x / Tensor.neg / torch.neg", "arithmetic", lambda L, x: (-x, x.neg(), L.t.neg(x)), unary_samples(),
           value=lambda a: -a),
    OpInfo("x ** p", "arithmetic", lambda L, x, p: x ** p,
           [S(A(3, 4, domain="pos"), 2), S(A(3, 4, domain="pos"), 0.5), S(A(3, 4, domain="pos"), -1.5),
            S(A(3, 4), 3), S(A(3, 4), 0), S(A(), 2.0), S(A(0, 2), 2)],
           edges=[S(V(0.0), 0, out=1.0, grads=(0.0,)), S(V(0.0), 2, out=0.0, grads=(0.0,)),
                  S(V(0.0), 0.5, out=0.0, grads=(INF,)), S(V(-1.0), 0.5, out=NAN, grads=(NAN,)),
                  S(V(0.0), -1, out=INF, grads=(-INF,)), S(V(-2.0), 3, out=-8.0, grads=(12.0,)),
                  S(V(-2.0), 2.0, out=4.0, grads=(-4.0,)), S(V(5.0), 0, out=1.0, grads=(0.0,))],
           value=lambda a, p: a ** p,
           convention="x**0 = 1 with gradient 0 everywhere, 0 included; a negative base with a non-integer exponent "
                      "gives NaN; 0**negative = inf"),
    OpInfo("x ** y (tensor exponent)", "arithmetic", lambda L, a, b: a ** b,
           [S(A(3, 4, domain="pos"), A(3, 4)), S(A(3, 4, domain="pos"), A(4)), S(A(domain="pos"), A(2, 3)),
            S(2.0, A(3, 4), note="Python base")],
           edges=[S(V(0.0), V(0.0), out=1.0, grads=(0.0, 0.0)), S(V(0.0), V(2.0), out=0.0, grads=(0.0, 0.0)),
                  S(V(0.0), V(0.5), out=0.0, grads=(INF, 0.0)), S(V(-1.0), V(2.0), out=1.0, grads=(-2.0, NAN)),
                  S(V(2.0), V(3.0), out=8.0, grads=(12.0, 8.0 * math.log(2.0)))],
           value=lambda a, b: a ** b,
           convention="∂/∂x of x**y is y·x**(y−1), taken as 0 where y = 0; ∂/∂y = out·ln x, 0 where x = 0 and y ≥ 0,"
                      " NaN where x < 0"),
    OpInfo("torch.pow / Tensor.pow", "arithmetic", lambda L, a, b: (L.t.pow(a, b), a.pow(b)),
           [S(A(3, 4, domain="pos"), A(3, 4)), S(A(3, 4, domain="pos"), 2.0)]),
    OpInfo("x // y", "arithmetic", lambda L, a, b: a // b,
           [S(A(3, 4, domain="any"), A(3, 4, domain="away")), S(A(3, 4), 0.7)], grad=False,
           edges=[S(V(7.0, grad=False), V(-2.0, grad=False), out=-4.0), S(V(-7.0, grad=False), V(2.0, grad=False),
                                                                          out=-4.0)],
           convention="floor division (rounds toward −inf, as Python and PyTorch); no gradient"),
    OpInfo("x // y (int)", "arithmetic", lambda L, a, b: a // b, int_binary_samples(1, 5), dtypes=(None,),
           grad=False),
    OpInfo("x % y", "arithmetic", lambda L, a, b: a % b,
           [S(A(3, 4, domain="any"), A(3, 4, domain="pos")), S(A(3, 4), 0.7), S(A(3, 4), A(3, 4, domain="away"))],
           edges=[S(V(-7.0), V(2.0), out=1.0, grads=(1.0, 4.0)), S(V(7.0), V(-2.0), out=-1.0, grads=(1.0, 4.0))],
           convention="x − y·floor(x/y): the sign of the divisor (Python's and PyTorch's remainder); ∂/∂x = 1, "
                      "∂/∂y = −floor(x/y)"),
    OpInfo("x % y (int)", "arithmetic", lambda L, a, b: a % b, int_binary_samples(1, 5), dtypes=(None,), grad=False),
]

BITWISE = [
    OpInfo("x & y", "comparison", lambda L, a, b: a & b,
           [S(I(3, 4, high=16), I(3, 4, high=16)), S(A(3, 4, domain="bool", dtype="bool"),
                                                     A(3, 4, domain="bool", dtype="bool")),
            S(I(3, 4, high=16), 6)], dtypes=(None,), grad=False,
           edges=[S(V(12, dtype="int64"), V(10, dtype="int64"), out=8)],
           convention="bitwise on integers (12 & 10 = 8), logical on bool"),
    OpInfo("x | y", "comparison", lambda L, a, b: a | b,
           [S(I(3, 4, high=16), I(3, 4, high=16)), S(A(3, 4, domain="bool", dtype="bool"),
                                                     A(3, 4, domain="bool", dtype="bool"))], dtypes=(None,),
           grad=False, edges=[S(V(12, dtype="int64"), V(10, dtype="int64"), out=14)]),
    OpInfo("x ^ y", "comparison", lambda L, a, b: a ^ b,
           [S(I(3, 4, high=16), I(3, 4, high=16)), S(A(3, 4, domain="bool", dtype="bool"),
                                                     A(3, 4, domain="bool", dtype="bool"))], dtypes=(None,),
           grad=False, edges=[S(V(12, dtype="int64"), V(10, dtype="int64"), out=6)]),
    OpInfo("~x", "comparison", lambda L, a: ~a,
           [S(I(3, 4, high=16)), S(A(3, 4, domain="bool", dtype="bool"))], dtypes=(None,), grad=False,
           edges=[S(V(5, dtype="int64"), out=-6), S(V(True, dtype="bool"), out=False)]),
]

COMPARE = [OpInfo(sym, "comparison", f, binary_samples()[:5] + [S(A(3, 4), 0.0)], grad=False)
           for sym, f in (("x < y", lambda L, a, b: a < b), ("x <= y", lambda L, a, b: a <= b),
                          ("x > y", lambda L, a, b: a > b), ("x >= y", lambda L, a, b: a >= b),
                          ("x == y", lambda L, a, b: a == b), ("x != y", lambda L, a, b: a != b))]


def _unary(name, family="elementwise", domain="any", edges=(), value=None, convention="", grad=True, method=True,
           fn=True):
    """An elementwise op in both forms, torch.name(x) and x.name()."""
    def call(L, x):
        outs = []
        if fn:
            outs.append(getattr(L.t, name)(x))
        if method:
            outs.append(getattr(x, name)())
        return tuple(outs)
    forms = " / ".join(f for f, on in ((f"torch.{name}", fn), (f"Tensor.{name}", method)) if on)
    return OpInfo(forms, family, call, unary_samples(domain), edges=list(edges), value=value, grad=grad,
                  convention=convention)


ELEMENTWISE = [
    _unary("exp", edges=[S(V(0.0), out=(1.0, 1.0), grads=(2.0,)), S(V(1000.0), out=(INF, INF), grads=(INF,))],
           value=lambda a: a.exp()),
    _unary("log", domain="pos", edges=[S(V(0.0), out=(-INF, -INF), grads=(INF,)),
                                       S(V(-1.0), out=(NAN, NAN), grads=(-2.0,))], value=lambda a: a.log(),
           convention="log 0 = −inf (gradient +inf), log of a negative = NaN (gradient 1/x, as PyTorch)"),
    _unary("log1p", domain="unit", edges=[S(V(-1.0), out=(-INF, -INF), grads=(INF,))], value=lambda a: a.log1p()),
    _unary("log2", domain="pos", edges=[S(V(8.0), out=(3.0, 3.0), grads=(2 / (8 * math.log(2)),))]),
    _unary("log10", domain="pos", edges=[S(V(100.0), out=(2.0, 2.0), grads=(2 / (100 * math.log(10)),))]),
    _unary("expm1", edges=[S(V(0.0), out=(0.0, 0.0), grads=(2.0,))]),
    _unary("sqrt", domain="pos", edges=[S(V(0.0), out=(0.0, 0.0), grads=(INF,)), S(V(4.0), out=(2.0, 2.0),
                                                                                   grads=(0.5,)),
                                        S(V(-1.0), out=(NAN, NAN), grads=(NAN,))],
           convention="sqrt 0 = 0 with gradient +inf; sqrt of a negative = NaN"),
    _unary("rsqrt", domain="pos", edges=[S(V(4.0), out=(0.5, 0.5), grads=(-0.125,)),
                                         S(V(0.0), out=(INF, INF), grads=(-INF,))]),
    _unary("tanh", value=lambda a: a.tanh()),
    _unary("sigmoid", edges=[S(V(-800.0), out=(0.0, 0.0), grads=(0.0,)), S(V(0.0), out=(0.5, 0.5), grads=(0.5,))],
           value=lambda a: a.sigmoid()),
    _unary("relu", domain="away", edges=[S(V(0.0), out=(0.0, 0.0), grads=(0.0,))], value=lambda a: a.relu(),
           convention="relu'(0) = 0"),
    _unary("abs", domain="away", edges=[S(V(0.0), out=(0.0, 0.0), grads=(0.0,))], value=lambda a: a.abs(),
           convention="abs'(0) = 0"),
    _unary("sign", domain="away", edges=[S(V(0.0), out=(0.0, 0.0), grads=(0.0,))], convention="gradient 0"),
    _unary("floor", domain="halves", convention="gradient 0"),
    _unary("ceil", domain="halves", convention="gradient 0"),
    _unary("round", domain="halves", edges=[S(V(2.5), out=(2.0, 2.0), grads=(0.0,)),
                                            S(V(-0.5), out=(-0.0, -0.0), grads=(0.0,))],
           convention="halves round to even (as PyTorch and numpy); gradient 0"),
    _unary("trunc", domain="halves", convention="gradient 0"),
    _unary("sin"), _unary("cos"), _unary("tan", domain="trig"), _unary("asin", domain="trig"),
    _unary("acos", domain="trig"), _unary("atan"), _unary("sinh"), _unary("cosh"),
    _unary("reciprocal", domain="away", edges=[S(V(0.0), out=(INF, INF), grads=(-INF,))]),
    _unary("square"),
    OpInfo("torch.clamp / Tensor.clamp / Tensor.clip", "elementwise",
           lambda L, x, **k: (L.t.clamp(x, **k), x.clamp(**k), x.clip(**k)),
           [S(A(3, 4), min=-0.5, max=0.5), S(A(3, 4), min=0.0), S(A(3, 4), max=0.2), S(A(), min=-0.1, max=0.1)],
           edges=[S(V([-1.0, 0.0, 0.5, 1.0, 2.0]), min=0.0, max=1.0, out=([0.0, 0.0, 0.5, 1.0, 1.0],) * 3,
                    grads=([0.0, 3.0, 3.0, 3.0, 0.0],))],
           value=None, convention="the gradient passes at the bounds themselves"),
    OpInfo("torch.maximum / torch.minimum", "elementwise", lambda L, a, b: (L.t.maximum(a, b), L.t.minimum(a, b)),
           binary_samples()[:5], edges=[S(V(2.0), V(2.0), out=(2.0, 2.0), grads=(1.0, 1.0))],
           value=lambda a, b: (a.max(b), a.min(b)), convention="a tie gives each operand half the gradient"),
    OpInfo("torch.where", "elementwise", lambda L, c, a, b: L.t.where(c, a, b),
           [S(A(3, 4, domain="bool", dtype="bool"), A(3, 4), A(3, 4)),
            S(A(3, 1, domain="bool", dtype="bool"), A(4), A(3, 4)),
            S(A(3, 4, domain="bool", dtype="bool"), A(3, 4), 0.0)]),
    OpInfo("isnan / isinf / isfinite", "comparison",
           lambda L, x: (L.t.isnan(x), x.isnan(), L.t.isinf(x), x.isinf(), L.t.isfinite(x)),
           [S(V([0.0, INF, -INF, NAN, 1.0])), S(A(3, 4))], grad=False),
    OpInfo("torch.isclose", "comparison", lambda L, a, b, **k: L.t.isclose(a, b, **k),
           [S(V([1.0, 1.0 + 1e-9, 2.0, NAN]), V([1.0, 1.0, 2.1, NAN])),
            S(V([1.0, NAN]), V([1.0, NAN]), equal_nan=True), S(V([1.0, 2.0]), V([1.05, 2.0]), atol=0.1)], grad=False),
]

RED_SAMPLES = [S(A(3, 4)), S(A(3, 4), 0), S(A(3, 4), -1), S(A(2, 3, 4), (0, 2)), S(A(3, 4), 1, True),
               S(A(), note="0-d"), S(A(), 0, note="0-d with dim 0"), S(A(2, 3, 4), -2, True)]


def _red(name, domain="any", samples=None, edges=(), convention="", grad=True):
    samples = samples or [S(*(A(*s.inputs[0].shape, domain=domain),) + s.inputs[1:], note=s.note)
                          for s in RED_SAMPLES]
    return OpInfo(f"Tensor.{name}", "reduction", lambda L, x, *a: getattr(x, name)(*a), samples,
                  edges=list(edges), convention=convention, grad=grad,
                  errors=[S(A(3, 4), 2, raises=IndexError), S(A(), 1, raises=IndexError)])


REDUCTIONS = [
    _red("sum", edges=[S(A(0, 3), 0, out=[0.0, 0.0, 0.0])]),
    OpInfo("Tensor.sum(dtype=)", "reduction", lambda L, x: x.sum(dtype=L.t.float64), [S(A(3, 4, dtype="float32"))],
           dtypes=(None,)),
    OpInfo("Tensor.sum (int)", "reduction", lambda L, x: (x.sum(), x.sum(0)), [S(I(3, 4))], dtypes=(None,),
           grad=False),
    _red("mean", edges=[S(V([[]], grad=False), 1, out=[NAN])], convention="the mean over no elements is NaN"),
    _red("var", edges=[S(V([2.0]), out=NAN, grads=([NAN],))],
         convention="unbiased (n − 1); NaN when n ≤ correction"),
    OpInfo("Tensor.var(correction=)", "reduction", lambda L, x, **k: x.var(**k),
           [S(A(3, 4), dim=1, correction=0), S(A(3, 4), dim=0, correction=2), S(A(3, 4), dim=1, unbiased=False),
            S(A(2, 3), dim=1, correction=3, note="n ≤ correction: inf/NaN", fd=False)]),
    _red("std", edges=[S(V([2.0]), out=NAN, grads=([NAN],))]),
    _red("amax", domain="distinct"), _red("amin", domain="distinct"),
    _red("prod", domain="away", samples=[S(A(3, 4, domain="away")), S(A(3, 4, domain="away"), 1),
                                         S(A(3, 4, domain="away"), -1, True), S(A(domain="away")),
                                         S(A(domain="away"), 0)],
         edges=[S(V([2.0, 0.0, 3.0]), out=0.0, grads=([0.0, 6.0, 0.0],))],
         convention="the gradient is the product of the other elements (exact with a zero)"),
    _red("logsumexp", samples=[S(A(3, 4), 1), S(A(3, 4), -1, True), S(A(2, 3, 4), (0, 2)), S(A(), 0)],
         edges=[S(V([1000.0, 1000.0]), 0, out=1000.0 + math.log(2), grads=([0.5, 0.5],))]),
    OpInfo("Tensor.cumsum", "reduction", lambda L, x, d: (x.cumsum(d), L.t.cumsum(x, d)),
           [S(A(3, 4), 1), S(A(3, 4), 0), S(A(2, 3, 4), -1), S(A(5), 0), S(A(), 0)]),
    OpInfo("Tensor.max() / Tensor.min()", "reduction", lambda L, x: (x.max(), x.min()),
           [S(A(3, 4, domain="distinct")), S(A(domain="distinct"))],
           edges=[S(V([1.0, 3.0, 3.0]), out=(3.0, 1.0), grads=([1.0, 0.5, 0.5],))],
           convention="a tie shares the gradient (as torch.max() without dim)"),
    OpInfo("Tensor.max(dim) / Tensor.min(dim)", "reduction",
           lambda L, x, *a, **k: (*x.max(*a, **k), *x.min(*a, **k)),
           [S(A(3, 4, domain="distinct"), 1), S(A(3, 4, domain="distinct"), 0, True),
            S(A(3, 4, domain="distinct"), dim=-1), S(A(3, 4, domain="distinct"), axis=1),
            S(A(domain="distinct"), 0)],
           edges=[S(V([[1.0, 3.0, 3.0]]), 1, out=([3.0], [1], [1.0], [0]), grads=([[1.0, 1.0, 0.0]],))],
           errors=[S(A(3, 4), 2, raises=IndexError)],
           convention="(values, indices); a tie sends the gradient to the returned (first) index"),
    OpInfo("Tensor.argmax / Tensor.argmin", "reduction",
           lambda L, x, *a: (x.argmax(*a), x.argmin(*a), L.t.argmax(x, *a)),
           [S(A(3, 4, domain="distinct")), S(A(3, 4, domain="distinct"), 1), S(A(3, 4, domain="distinct"), 0, True)],
           grad=False),
    OpInfo("Tensor.all / Tensor.any", "reduction", lambda L, x, *a: (x.all(*a), x.any(*a), L.t.all(x), L.t.any(x)),
           [S(A(3, 4, domain="bool", dtype="bool")), S(A(3, 4, domain="bool", dtype="bool"), 1),
            S(I(3, 4, high=2))], dtypes=(None,), grad=False),
    OpInfo("Tensor.softmax / Tensor.log_softmax", "reduction",
           lambda L, x, d: (x.softmax(d), x.log_softmax(d), L.t.softmax(x, d), L.t.log_softmax(x, d)),
           [S(A(3, 4), 1), S(A(3, 4), 0), S(A(2, 3, 4), -1), S(A(), 0, note="0-d"), S(A(), -1)],
           errors=[S(A(3, 4), 2, raises=IndexError)]),
    OpInfo("torch.norm / Tensor.norm", "reduction", lambda L, x, *a, **k: x.norm(*a, **k),
           [S(A(3, 4, domain="away")), S(A(3, 4, domain="away"), dim=1), S(A(3, 4, domain="away"), 1, 0),
            S(A(3, 4, domain="away"), dim=0, keepdim=True)]),
]


SHAPE = [
    OpInfo("Tensor.reshape / Tensor.view", "shape", lambda L, x, *s: (x.reshape(*s), x.view(*s)),
           [S(A(3, 4), 2, 6), S(A(3, 4), -1), S(A(3, 4), (4, 3)), S(A(), 1), S(A(1), ()), S(A(0, 3), 3, 0)],
           errors=[S(A(3, 4), 5, raises=RuntimeError)]),
    OpInfo("Tensor.flatten / torch.flatten", "shape", lambda L, x, *a: (x.flatten(*a), L.t.flatten(x, *a)),
           [S(A(2, 3, 4)), S(A(2, 3, 4), 1), S(A(2, 3, 4), 0, 1), S(A(2, 3, 4), -2, -1), S(A()), S(A(), 0)],
           errors=[S(A(2, 3, 4), 5, raises=IndexError), S(A(2, 3, 4), 0, 3, raises=IndexError)]),
    OpInfo("Tensor.unsqueeze", "shape", lambda L, x, d: (x.unsqueeze(d), L.t.unsqueeze(x, d)),
           [S(A(2, 3), 0), S(A(2, 3), -1), S(A(2, 3), 2), S(A(), 0), S(A(), -1)],
           errors=[S(A(2, 3), 5, raises=IndexError), S(A(2, 3), -4, raises=IndexError)]),
    OpInfo("Tensor.squeeze", "shape", lambda L, x, *d: (x.squeeze(*d), L.t.squeeze(x, *d)),
           [S(A(2, 1, 3)), S(A(2, 1, 3), 1), S(A(2, 1, 3), 0), S(A(2, 1, 3), -2), S(A()), S(A(), 0), S(A(), -1),
            S(A(1, 2, 1), (0, 2))],
           errors=[S(A(4, 1, 6), 4, raises=IndexError), S(A(), 1, raises=IndexError)]),
    OpInfo("Tensor.permute / Tensor.transpose / .T", "shape",
           lambda L, x: (x.permute(2, 0, 1), x.transpose(0, 2), x.transpose(-1, 1), L.t.permute(x, (1, 0, 2))),
           [S(A(2, 3, 4))], errors=[S(A(2, 3), raises=RuntimeError)]),
    OpInfo("Tensor.T", "shape", lambda L, x: x.T, [S(A(2, 3)), S(A(3)), S(A())]),
    OpInfo("Tensor.expand", "shape", lambda L, x, *s: x.expand(*s),
           [S(A(3, 1), 3, 4), S(A(3, 1), -1, 4), S(A(4), 2, 3, 4), S(A(), 2, 2)]),
    OpInfo("Tensor.contiguous", "shape", lambda L, x: x.T.contiguous(), [S(A(2, 3))]),
    OpInfo("torch.flip / Tensor.flip", "shape", lambda L, x, d: (x.flip(d), L.t.flip(x, d)),
           [S(A(3, 4), (0,)), S(A(3, 4), (0, 1)), S(A(2, 3, 4), (-1,)), S(A(), ())]),
    OpInfo("Tensor.repeat", "shape", lambda L, x, *r: x.repeat(*r),
           [S(A(2, 3), 2, 1), S(A(2, 3), 1, 1, 2), S(A(3), 2), S(A(), 3)]),
    OpInfo("torch.roll / Tensor.roll", "shape", lambda L, x, *a, **k: (x.roll(*a, **k), L.t.roll(x, *a, **k)),
           [S(A(3, 4), 1, 1), S(A(3, 4), -1, 0), S(A(3, 4), (1, 2), (0, 1)), S(A(3, 4), 5)]),
    OpInfo("torch.tril / torch.triu", "shape",
           lambda L, x, *d: (L.t.tril(x, *d), L.t.triu(x, *d), x.tril(*d), x.triu(*d)),
           [S(A(3, 4)), S(A(3, 4), 1), S(A(3, 4), -1), S(A(2, 3, 3))]),
    OpInfo("torch.cat", "shape", lambda L, *xs, dim=0: L.t.cat(list(xs), dim=dim),
           [S(A(2, 3), A(1, 3)), S(A(2, 3), A(2, 1), dim=1), S(A(2, 3), A(2, 3), dim=-1), S(A(0, 3), A(2, 3))],
           errors=[S(A(2, 3), A(2, 4), raises=RuntimeError)]),
    OpInfo("torch.stack", "shape", lambda L, *xs, dim=0: L.t.stack(list(xs), dim=dim),
           [S(A(2, 3), A(2, 3)), S(A(2, 3), A(2, 3), dim=-1), S(A(), A())],
           errors=[S(A(2, 3), A(3, 3), raises=RuntimeError)]),
    OpInfo("torch.gather / Tensor.gather", "indexing", lambda L, x, d, i: (L.t.gather(x, d, i), x.gather(d, i)),
           [S(A(3, 4), 1, V([[0, 1], [3, 3], [2, 0]], dtype="int64")),
            S(A(3, 4), 0, V([[0, 1, 2, 0]], dtype="int64")), S(A(3, 4), -1, V([[1], [2], [0]], dtype="int64"))],
           convention="an index picked twice gets the sum of both gradients"),
    OpInfo("Tensor.masked_fill", "indexing", lambda L, x, m, v: x.masked_fill(m, v),
           [S(A(3, 4), A(3, 4, domain="bool", dtype="bool"), 0.0),
            S(A(3, 4), A(4, domain="bool", dtype="bool"), -10.0)]),
    OpInfo("torch.sort / Tensor.sort", "indexing", lambda L, x, *a, **k: (*x.sort(*a, **k),),
           [S(A(3, 4, domain="distinct")), S(A(3, 4, domain="distinct"), 0),
            S(A(3, 4, domain="distinct"), descending=True), S(A(5, domain="distinct"))]),
    OpInfo("torch.argsort / Tensor.argsort", "indexing", lambda L, x, *a, **k: (x.argsort(*a, **k),
                                                                                   L.t.argsort(x, *a, **k)),
           [S(A(3, 4, domain="distinct")), S(A(3, 4, domain="distinct"), 0),
            S(A(3, 4, domain="distinct"), descending=True)], grad=False),
    OpInfo("torch.topk / Tensor.topk", "indexing", lambda L, x, k, *a, **kw: (*x.topk(k, *a, **kw),),
           [S(A(3, 5, domain="distinct"), 2), S(A(3, 5, domain="distinct"), 1, 0),
            S(A(3, 5, domain="distinct"), 3, largest=False), S(A(6, domain="distinct"), 3)]),
    OpInfo("x[index]", "indexing", lambda L, x, idx: x[idx],
           [S(A(2, 3, 4), (0, slice(None), [0, 1]), note="int + list: PyTorch's shape rule"),
            S(A(2, 3, 4), (slice(None), 1, [0, 2]), note="slice, int, list"),
            S(A(2, 3, 4), ([0, 1], slice(None), [0, 1]), note="lists apart"),
            S(A(2, 3, 4), ([0, 1], [1, 2]), note="adjacent lists"),
            S(A(2, 3, 4), (Ellipsis, 1)), S(A(2, 3, 4), (None, 0, slice(1, 3))), S(A(3, 4), ([0, 0, 2],),
                                                                                   note="repeats add up"),
            S(A(2, 3, 4), (0, [0, 1], [1, 2])), S(A(5), slice(None, None, 2)), S(A(2, 3), -1)],
           errors=[S(A(2, 3), 2, raises=IndexError), S(A(2, 3), (0, 0, 0), raises=IndexError),
                   S(A(), 0, raises=IndexError)]),
    OpInfo("x[bool mask]", "indexing", lambda L, x, m: x[m],
           [S(A(3, 4), A(3, 4, domain="bool", dtype="bool")), S(A(3, 4), A(3, domain="bool", dtype="bool"))]),
    OpInfo("torch.einsum", "linalg", lambda L, eq, *xs: L.t.einsum(eq, *xs),
           [S("ij,jk->ik", A(2, 3), A(3, 4)), S("bij,bjk->bik", A(2, 2, 3), A(2, 3, 2)), S("ii->i", A(3, 3)),
            S("ij->", A(2, 3)), S("i,j->ij", A(3), A(2)), S("ij->ji", A(2, 3)), S("...j,j->...", A(2, 3, 4), A(4))]),
]

LINALG = [
    OpInfo("x @ y / torch.matmul / Tensor.matmul", "linalg", lambda L, a, b: (a @ b, L.t.matmul(a, b), a.matmul(b)),
           [S(A(2, 3), A(3, 4)), S(A(3), A(3, 4)), S(A(2, 3), A(3)), S(A(3), A(3)), S(A(2, 2, 3), A(3, 4)),
            S(A(2, 1, 2, 3), A(3, 3, 2)), S(A(0, 3), A(3, 2))],
           errors=[S(A(2, 3), A(4, 2), raises=RuntimeError), S(A(), A(3), raises=RuntimeError)]),
]

CREATION = [
    OpInfo("torch.zeros / ones / full / empty (shape)", "creation",
           lambda L: (L.t.zeros(2, 3), L.t.ones((2, 3)), L.t.full((2, 3), 1.5), L.t.zeros(2, dtype=L.t.float32),
                      L.t.ones(3, dtype=L.t.int64), L.t.full((2,), 7), L.t.empty(2, 3).shape),
           [S()], dtypes=(None,), grad=False),
    OpInfo("torch.zeros_like / ones_like / full_like / empty_like", "creation",
           lambda L, x: (L.t.zeros_like(x), L.t.ones_like(x), L.t.full_like(x, 2.5), L.t.empty_like(x).shape,
                         L.t.zeros_like(x, dtype=L.t.int64)),
           [S(A(2, 3)), S(I(2, 3))], grad=False),
    OpInfo("torch.eye", "creation", lambda L, *a: L.t.eye(*a), [S(3), S(2, 3), S(0)], dtypes=(None,), grad=False),
    OpInfo("torch.linspace", "creation", lambda L, *a: L.t.linspace(*a), [S(0, 1, 5), S(-1.0, 1.0, 3), S(2, 2, 1)],
           dtypes=(None,), grad=False),
    OpInfo("torch.arange", "creation",
           lambda L, *a, dtype=None: L.t.arange(*a, **({"dtype": getattr(L.t, dtype)} if dtype else {})),
           [S(5), S(1, 4), S(0, 1, 0.25), S(5, dtype=None), S(0.0, 3.0), S(5, 0, -1), S(3, dtype="float32")],
           dtypes=(None,), grad=False, convention="ints give int64, a float argument the default float dtype"),
    OpInfo("torch.tensor", "creation", lambda L, v: L.t.tensor(v), [S([1, 2]), S([1.0, 2.0]), S(3.0), S(True),
                                                                    S([[1, 2], [3, 4]])],
           dtypes=(None,), grad=False),
]

CONVERSION = [
    OpInfo("Tensor.float / double / int / long / bool", "conversion",
           lambda L, x: (x.float(), x.double(), x.int(), x.long(), x.bool()),
           [S(A(2, 3, domain="halves")), S(I(2, 3))], dtypes=("float64",)),
    OpInfo("Tensor.to(dtype) / Tensor.type(dtype)", "conversion",
           lambda L, x: (x.to(L.t.float32), x.to(L.t.float64), x.type(L.t.int64), x.to(dtype=L.t.float32)),
           [S(A(2, 3, domain="halves")), S(I(2, 3))], dtypes=("float64",)),
    OpInfo("Tensor.detach / clone / item / tolist", "conversion",
           lambda L, x: (x.detach(), x.clone(), x.sum().item(), x.tolist()), [S(A(2, 3))]),
]



def _sgd_step(L, w, x):
    """The hand-written SGD step of a first course: backward, then ``w -= lr * w.grad`` under no_grad, twice."""
    for _ in range(2):
        loss = ((x @ w) ** 2).sum()
        loss.backward()
        with L.t.no_grad():
            w -= 0.1 * (w.grad if L.name == "torch" else L.t.tensor(w.grad))
            w.grad = None
    return w.detach().clone(), w.requires_grad, w.is_leaf


def _inplace_ops(L, x):
    y = x.detach().clone()
    y.add_(1.0)
    y.mul_(2.0)
    y.sub_(0.5, alpha=2.0)
    y.div_(4.0)
    z = y.clone().clamp_(-0.1, 0.1)
    y += 1
    return y, z, y.clone().fill_(3.0), y.clone().zero_()


INPLACE = [
    OpInfo("w -= lr * w.grad (under no_grad)", "inplace", _sgd_step, [S(A(3, 2), A(4, 3, grad=False))],
           dtypes=("float64",), grad=False,
           convention="the step runs in place on the leaf: w stays the same leaf that requires grad"),
    OpInfo("add_ / sub_ / mul_ / div_ / clamp_ / fill_ / zero_ / +=", "inplace", _inplace_ops, [S(A(3, 4))],
           grad=False),
    OpInfo("in place on a leaf that requires grad", "inplace", lambda L, w: w.add_(1.0), [], dtypes=("float64",),
           errors=[S(A(3), raises=RuntimeError)], convention="refused while recording (RuntimeError), as PyTorch"),
]

MORE_SHAPE = [
    OpInfo("Tensor.t / torch.t", "shape", lambda L, x: (x.t(), L.t.t(x)), [S(A(2, 3)), S(A(3)), S(A())],
           errors=[S(A(2, 3, 4), raises=RuntimeError)]),
    OpInfo("torch.split / Tensor.split", "shape", lambda L, x, k, d=0: (*L.t.split(x, k, d), *x.split(k, d)),
           [S(A(5, 3), 2), S(A(5, 3), [1, 2], 1), S(A(4, 6), 3, -1)]),
    OpInfo("torch.chunk / Tensor.chunk", "shape", lambda L, x, k, d=0: (*L.t.chunk(x, k, d), *x.chunk(k, d)),
           [S(A(5, 3), 2), S(A(6, 3), 3), S(A(4, 7), 3, 1)]),
    OpInfo("torch.unbind / Tensor.unbind", "shape", lambda L, x, d=0: (*x.unbind(d),), [S(A(3, 2)), S(A(2, 3), 1)]),
    OpInfo("Tensor.expand_as / view_as / reshape_as / type_as", "shape",
           lambda L, x, y: (x.expand_as(y), x.expand(3, 4).reshape(-1).view_as(y), x.type_as(y)),
           [S(A(3, 1), A(3, 4))]),
    OpInfo("torch.index_select / Tensor.index_select", "indexing",
           lambda L, x, d, i: (L.t.index_select(x, d, i), x.index_select(d, i)),
           [S(A(4, 3), 0, V([0, 2, 2], dtype="int64")), S(A(4, 3), 1, V([1], dtype="int64"))],
           errors=[S(A(4, 3), 0, V([4], dtype="int64"), raises=IndexError)]),
    OpInfo("torch.nonzero / Tensor.nonzero", "indexing",
           lambda L, x: (L.t.nonzero(x), x.nonzero(), *L.t.nonzero(x, as_tuple=True)),
           [S(A(3, 4, domain="bool", dtype="bool")), S(I(5, high=2))], dtypes=(None,), grad=False),
    OpInfo("torch.mm / bmm / mv / dot / outer", "linalg",
           lambda L, a, b, c, v: (L.t.mm(a, b), a.mm(b), L.t.bmm(c, c.transpose(1, 2)), L.t.mv(a, v), L.t.dot(v, v),
                                  L.t.outer(v, b[0])),
           [S(A(2, 3), A(3, 4), A(2, 2, 3), A(3))], errors=[S(A(2, 3), A(2, 3), A(2, 2, 3), A(3),
                                                              raises=RuntimeError)]),
    OpInfo("Tensor.cpu / .device / .to('cpu') / is_floating_point", "conversion",
           lambda L, x: (x.cpu(), str(x.device), x.to("cpu"), x.is_floating_point()), [S(A(2, 3))],
           dtypes=("float64",)),
    OpInfo("torch.randint / randperm / rand_like / randn_like (shape, dtype)", "creation",
           lambda L, x: (L.t.randint(0, 5, (2, 3)).shape, L.t.randint(0, 5, (2, 3)).dtype == L.t.int64,
                         sorted(L.t.randperm(5).tolist()), L.t.rand_like(x).shape, L.t.randn_like(x).dtype == x.dtype),
           [S(A(2, 3))], grad=False),
]

KEYWORDS = [
    OpInfo("keyword forms (dim=, keepdim=, dims=, shape=, ...)", "shape",
           lambda L, x: (x.sum(dim=1, keepdim=True), x.mean(dim=(0, 1)), x.unsqueeze(dim=0), x.squeeze(dim=-1),
                         x.transpose(dim0=0, dim1=2), x.permute(dims=(2, 0, 1)), x.reshape(shape=(6, 2)),
                         x.flatten(start_dim=1), L.t.cat(tensors=[x, x], dim=1), x.softmax(dim=-1),
                         x.argmax(dim=-1), *x.max(dim=1, keepdim=True), x.amax(dim=(0, 2)), x.logsumexp(dim=2),
                         x.cumsum(dim=0), x.var(dim=1, unbiased=False), x.std(dim=0, keepdim=True)),
           [S(A(2, 3, 2, domain="distinct"))]),
    OpInfo("clamp with tensor bounds", "elementwise",
           lambda L, x, lo, hi: (L.t.clamp(x, lo, hi), x.clamp(min=lo, max=hi), x.clamp(min=lo)),
           [S(A(3, 4), A(4, grad=False), A(3, 4, domain="pos", grad=False))]),
]

MORE_TENSOR = [
    OpInfo("torch.eq / ne / lt / le / gt / ge (and methods)", "comparison",
           lambda L, a, b: (L.t.eq(a, b), a.ne(b), L.t.lt(a, b), a.le(b), L.t.gt(a, 0.0), a.ge(b)),
           [S(A(3, 4), A(4)), S(A(3, 4), A(3, 4))], grad=False),
    OpInfo("torch.logical_and / or / xor / not, torch.equal, numel", "comparison",
           lambda L, a, b: (L.t.logical_and(a, b), L.t.logical_or(a, b), L.t.logical_xor(a, b), L.t.logical_not(a),
                            a.logical_not(), L.t.equal(a, b), L.t.equal(a, a), L.t.numel(a)),
           [S(A(3, 4, domain="bool", dtype="bool"), A(3, 4, domain="bool", dtype="bool")), S(I(3, 4, high=2),
                                                                                               I(3, 4, high=2))],
           dtypes=(None,), grad=False),
    OpInfo("torch.masked_select", "indexing", lambda L, x, m: (L.t.masked_select(x, m), x.masked_select(m)),
           [S(A(3, 4), A(3, 4, domain="bool", dtype="bool")), S(A(3, 4), A(4, domain="bool", dtype="bool"))]),
    OpInfo("torch.diag / diagonal / trace", "linalg",
           lambda L, m, v: (L.t.diag(m), L.t.diag(v), L.t.diag(v, 1), L.t.diag(v, -2), L.t.diagonal(m, 1),
                            m.diagonal(), L.t.trace(m), m.trace()),
           [S(A(3, 3), A(3)), S(A(3, 4), A(2))]),
    OpInfo("torch.clamp_min / clamp_max", "elementwise", lambda L, x: (L.t.clamp_min(x, -0.3), x.clamp_max(0.4)),
           [S(A(3, 4))]),
    OpInfo("torch.diff", "shape", lambda L, x, *a, **k: L.t.diff(x, *a, **k),
           [S(A(5)), S(A(3, 4), n=2), S(A(3, 4), dim=0)]),
    OpInfo("torch.logaddexp / lerp / exp2 / logit / xlogy", "elementwise",
           lambda L, a, b, p: (L.t.logaddexp(a, b), L.t.lerp(a, b, 0.3), L.t.exp2(a), L.t.logit(p), L.t.xlogy(p, p),
                               a.logaddexp(b)),
           [S(A(3, 4), A(3, 4), A(3, 4, domain="unit")), S(A(3, 4), A(4), A(4, domain="unit"))],
           edges=[S(V(0.0), V(0.0), V(0.5), out=(math.log(2.0), 0.0, 1.0, 0.0, 0.5 * math.log(0.5), math.log(2.0)),
                    grads=(1.7 + math.log(2.0), 1.3, 4.0 + math.log(0.5) + 1.0))],
           convention="xlogy(0, y) = 0 with gradient 0 for x and y (PyTorch: NaN for y at (0, 0))"),
    OpInfo("Tensor.new_zeros / new_ones / new_full / new_tensor", "creation",
           lambda L, x: (x.new_zeros(2, 3), x.new_ones((2,)), x.new_full((2, 2), 1.5), x.new_tensor([1, 2]),
                         x.is_contiguous()),
           [S(A(2, 3)), S(A(2, 3, dtype="float32"))], dtypes=(None,), grad=False),
]

TENSOR_OPS = (MORE_TENSOR + KEYWORDS + ARITH + BITWISE + COMPARE + ELEMENTWISE + REDUCTIONS + SHAPE + LINALG + CREATION
              + CONVERSION + INPLACE + MORE_SHAPE)
