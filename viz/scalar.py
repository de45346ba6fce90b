"""How a scalar ``Value`` is drawn: micrograd's picture.

A value node is a record ``{ label | data 2.0000 | grad -1.5000 }`` (``%.4f``, as in micrograd's lecture; the grad
reads ``grad —`` before any backward). Its operation is a separate small node showing the rule's symbol (``+``,
``×``, ``tanh``, ``^2``…), and each operand is one edge into it, in argument order, so ``a + a`` has two edges.

Edge labels (``edge_labels=``):

- ``"local"``: the local derivative ∂out/∂in of that edge, from the rule table (``Value.local_grads()``);
- ``"contrib"``: upstream × local = out.grad · ∂out/∂in, the amount of gradient that flows down the edge; a node's
  grad is the sum of the contributions on its outgoing edges (the chain rule: multiply along a path, add across
  paths).
"""

from __future__ import annotations

from .dot import num, short

_INPUT_NAMES = {"a": 0, "x": 0, "b": 1, "alpha": 1}


def value_fields(v, name: str, grad_text: str) -> list[str]:
    """``[label] | data … | grad …`` for a Value (the label field is left out when there is none)."""
    fields = [name] if name else []
    fields.append(f"data {num(v.data)}")
    fields.append(f"grad {grad_text}")
    return fields


def op_symbol(node) -> str:
    """The rule's symbol, with its attributes where they matter (``^2``, ``lrelu 0.1``, ``clip [0, 6]``, tie
    rules other than the default)."""
    rule = node.rule
    attrs = node.attrs
    name = node._op
    if name == "pow":
        return f"^{short(attrs['p'])}"
    if name == "leaky_relu":
        return f"lrelu {short(attrs['slope'])}"
    if name == "clip":
        lo, hi = attrs["lo"], attrs["hi"]
        return f"clip [{'' if lo is None else short(lo)}, {'' if hi is None else short(hi)}]"
    if name in ("amax", "amin") and attrs.get("tie", "split") != "split":
        return f"{rule.symbol} (tie={attrs['tie']})"
    return rule.symbol if rule is not None else name


def with_constants(sym: str, arity: int, folded: list) -> str:
    """An op label with its hidden constant operands written in: ``× 2`` (constant second), ``2 −`` (first),
    otherwise the constants listed after the symbol."""
    if not folded:
        return sym
    if arity == 2 and len(folded) == 1:
        i, text = folded[0]
        return f"{text} {sym}" if i == 0 else f"{sym} {text}"
    return f"{sym} ({', '.join(text for _, text in folded)})"


def const_text(node) -> str:
    return short(node.data)


def local_grads(v) -> tuple:
    """∂out/∂parent for each parent (``Value.local_grads``)."""
    return v.local_grads()


def edge_local(v, i: int, cache: dict) -> str:
    if v.rule is None:  # a Value built by hand with an op name outside the rule table
        return ""
    loc = cache.get(v._id)
    if loc is None:
        loc = cache[v._id] = local_grads(v)
    return num(loc[i])


def edge_contrib(v, i: int, g, cache: dict) -> str:
    """upstream × local for edge ``i`` (``—`` when the upstream gradient is not known)."""
    if g is None:
        return "—"
    if v.rule is None:
        return ""
    loc = cache.get(v._id)
    if loc is None:
        loc = cache[v._id] = local_grads(v)
    return num(g * loc[i])


def saved_text(v) -> str:
    """What the rule keeps for backward, with the numbers: ``saved a=2.0000, b=-3.0000``."""
    rule = v.rule
    if rule is None or not rule.saved:
        return "saved nothing"
    parts = []
    for s in rule.saved:
        if s == "out":
            parts.append(f"out={num(v.data)}")
        elif s in _INPUT_NAMES and _INPUT_NAMES[s] < len(v._prev):
            parts.append(f"{s}={num(v._prev[_INPUT_NAMES[s]].data)}")
        elif rule.kind == "reduce" and s == "x":
            parts.append(f"x=({len(v._prev)} inputs)")
    return "saved " + ", ".join(parts)
