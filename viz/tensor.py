"""How a ``Tensor`` is drawn: shape, dtype and a compact summary of its values.

A tensor node is a record ``{ name | (2, 3) float64 | data min … mean … max … | grad … }``; tensors with at most
four elements show their values instead (``data [1, -2, 0.5]``). The name is the parameter name given by
``params=`` (``Module.named_parameters()``: ``conv1.weight``), else the tensor's ``label``. Tensors that do not
require grad have no grad field. The operation is a separate node: the rule's name and its attributes
(``Σ axis=(1,)``, ``reshape → (2, 6)``, ``windows 3×3 stride 2``).

Edge labels at tensor level: ``"local"`` writes the rule's local derivative formula for that input (``1 − out²``,
``∂L/∂a = g bᵀ``); ``"contrib"`` writes a summary of the vector-Jacobian product that flows down the edge
(``rule.vjp`` evaluated on the node's upstream gradient).

``show_saved=True`` lists, in the operation's node, what its rule keeps for backward (the rule table's ``saved``:
inputs ``a``/``b``/``x`` and/or the output ``out``) with shapes, dtypes and the bytes held.
"""

from __future__ import annotations

import numpy as np

from microgradnet.mathns import ARRAY

from .dot import shape_text, short, summary
from .scalar import op_symbol

_INPUT_NAMES = {"a": 0, "x": 0, "b": 1, "alpha": 1}
_SYMBOLS = {"add": "+", "sub": "−", "mul": "×", "div": "÷", "neg": "−", "matmul": "@", "sum": "Σ"}


def tensor_fields(t, name: str, grad_text: str | None) -> list[str]:
    """``[name] | shape dtype | data … [| grad …]``."""
    fields = [name] if name else []
    fields.append(f"{shape_text(t.data.shape)} {t.data.dtype}")
    fields.append(f"data {summary(t.data)}")
    if grad_text is not None:
        fields.append(f"grad {grad_text}")
    return fields


def grad_summary(g) -> str:
    return summary(g)


def index_text(index) -> str:
    """A getitem index written compactly: ``[0:2, 1]``, ``[array(3,)]``."""
    items = index if isinstance(index, tuple) else (index,)
    out = []
    for it in items:
        if isinstance(it, slice):
            a = "" if it.start is None else str(it.start)
            b = "" if it.stop is None else str(it.stop)
            out.append(f"{a}:{b}" + ("" if it.step in (None, 1) else f":{it.step}"))
        elif it is None:
            out.append("None")
        elif it is Ellipsis:
            out.append("...")
        elif isinstance(it, (np.ndarray, list)):
            arr = np.asarray(it)
            if arr.size <= 4:
                out.append("[" + ", ".join(str(x) for x in arr.ravel().tolist()) + "]")
            else:
                out.append(f"{arr.dtype.name}{shape_text(arr.shape)}")
        else:
            out.append(str(it))
    return "[" + ", ".join(out) + "]"


def _pair_text(p) -> str:
    return "×".join(str(int(x)) for x in p)


def op_label(t) -> str:
    """The operation's node text: its symbol or name and the attributes that matter."""
    name = t._op
    a = t.attrs
    if name in ("pow", "leaky_relu", "clip"):
        return op_symbol(t)  # elementwise attributes are labelled as at scalar level
    if name == "broadcast_to":
        return f"broadcast → {shape_text(a['shape'])}"
    if name == "reshape":
        return f"reshape → {shape_text(a['shape'])}"
    if name == "transpose":
        return f"transpose {tuple(int(x) for x in a['axes'])}"
    if name in ("sum", "amax", "amin"):
        sym = {"sum": "Σ", "amax": "max", "amin": "min"}[name]
        text = sym + ("" if a["axis"] is None else f" axis={tuple(int(x) for x in a['axis'])}")
        if a.get("keepdims"):
            text += " keepdim"
        if name != "sum" and a.get("tie", "split") != "split":
            text += f" tie={a['tie']}"
        return text
    if name == "getitem":
        return index_text(a["index"])
    if name == "scatter_add":
        return f"scatter_add {index_text(a['index'])} → {shape_text(a['shape'])}"
    if name == "pad":
        return "pad " + ", ".join(f"({int(b)}, {int(c)})" for b, c in a["pad_width"])
    if name in ("window", "fold"):
        text = ("windows " if name == "window" else "fold ") + _pair_text(a["kernel"])
        if tuple(a["stride"]) != (1, 1):
            text += f" stride {_pair_text(a['stride'])}"
        if tuple(a["dilation"]) != (1, 1):
            text += f" dilation {_pair_text(a['dilation'])}"
        return text
    if name == "concatenate":
        return f"cat axis={a['axis']}"
    if name == "where":
        return "where"
    return _SYMBOLS.get(name, name)


def const_text(t) -> str:
    """How a hidden constant tensor is written into its operation's label: its value when it has one element."""
    if t.data.size == 1:
        return short(t.data.ravel()[0])
    return f"const{shape_text(t.data.shape)}"


def edge_local(t, i: int) -> str:
    """The rule's local derivative formula for input ``i``."""
    rule = t.rule
    if rule is None or not rule.local_formulas:
        return ""
    lf = rule.local_formulas
    return lf[i] if i < len(lf) else lf[-1]


def contribution(t, i: int, g):
    """∂L/∂input_i = ``rule.vjp(i, …)`` at the node's upstream gradient ``g`` (numpy), with the input's dtype."""
    rule = t.rule
    args = tuple(p.data for p in t._prev) + tuple(t._args)
    c = rule.vjp(i, ARRAY, np.asarray(g), t.data, *args)
    return np.asarray(c)


def edge_contrib(t, i: int, g) -> str:
    if g is None or not t._prev[i].requires_grad:
        return "—"
    return summary(contribution(t, i, g))


def saved_text(t) -> str:
    """What the rule keeps for backward: ``saved a (2, 3) float64, b (3, 4) float64 = 144 B``."""
    rule = t.rule
    if rule is None or not rule.saved:
        return "saved nothing (shapes only)"
    parts, nbytes = [], 0
    for s in rule.saved:
        if s == "out":
            arr = t.data
        elif s in _INPUT_NAMES and _INPUT_NAMES[s] < len(t._prev):
            arr = t._prev[_INPUT_NAMES[s]].data
        else:
            continue
        nbytes += arr.nbytes
        parts.append(f"{s} {shape_text(arr.shape)} {arr.dtype}")
    return "saved " + ", ".join(parts) + f" = {nbytes:,} B"
