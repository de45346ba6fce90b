"""Layers as nodes: a call of ``conv2d``, ``max_pool2d``, ``linear``, ``cross_entropy``… drawn as one box.

Every layer of :mod:`microgradnet.functional` records its calls (:mod:`microgradnet.functional.calls`): the output
node carries the layer's name, the module scope it ran in, its Tensor arguments (``input``, ``weight``, ``bias``)
and its other arguments. At tensor level the picture draws each call as **one box**: the layer's name as the user
called it (the module's attribute path, ``conv`` or ``features.0``, when the module holds just that call, else the
function's name), the arguments that were given (``padding=1``), and its output's shape, data and grad. Its inputs
(the image, the weight, the bias) are their own nodes with an edge each, named after the parameter. The primitives
inside (pad, windows, reshapes, the matmul) are not drawn, so the same network draws the same picture whatever
path the layer took inside and whatever the input size.

``expand=`` opens layers: a layer name (``"conv2d"``, every call of it), a module path (``"conv"``), an output's
label, a set of those, or ``"all"``. An opened layer's primitives are drawn inside a dashed cluster named after the
call; layers it calls (``cross_entropy`` → ``log_softmax``, ``nll_loss``) are boxes in there, opened in turn if
named too. A name that matches no layer raises ``ValueError`` listing the layers of the graph.

Scalar-level graphs (``scalar_level``) have no layer boxes: each scalar operation is its own node there, and the
layer's output elements carry its name (``conv2d[0,0,1,1]``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from microgradnet.functional.calls import ArrayOf, defaults, layer_call, members

from .dot import shape_text, short

ALL = "all"
LAYER = "\x00layer"
"""First element of a cluster-key entry that stands for an expanded layer (module entries hold scope paths)."""


def parse_expand(expand, op: str):
    """``expand`` as None, ``"all"`` or a frozenset of names (a ValueError/TypeError for anything else)."""
    if expand is None or expand is False:
        return None
    if expand is True or expand == ALL:
        return ALL
    if isinstance(expand, str):
        return frozenset([expand])
    try:
        names = frozenset(expand)
    except TypeError:
        raise TypeError(f"{op}: expand must be a layer name, a set of names or 'all', got "
                        f"{type(expand).__name__}") from None
    if not all(isinstance(n, str) for n in names):
        raise TypeError(f"{op}: expand must hold layer names (str), got {sorted(map(repr, names))}")
    return names


def scope_tail(scope) -> str:
    """The innermost module path of a scope (``outer/features.0`` → ``features.0``)."""
    return str(scope).rsplit("/", 1)[-1] if scope else ""


def call_names(call, out) -> set:
    """The names ``expand=`` accepts for a call: the function, the module path, the output's label."""
    names = {call.name}
    if call.scope:
        names.add(str(call.scope))
        names.add(scope_tail(call.scope))
    if out.label:
        names.add(out.label)
    return names


@dataclass
class Groups:
    """What the layer calls of a tape make of it: ``owner[i]`` is the tape position of the output of the layer box
    that position ``i`` is drawn in (-1: not in a box); ``cluster[i]`` the expanded-layer cluster entries around
    position ``i`` (outermost first); ``calls`` maps a box's output position to its call."""

    owner: list
    cluster: list
    calls: dict = field(default_factory=dict)
    titles: dict = field(default_factory=dict)  # expanded cluster entry -> label

    @property
    def any(self) -> bool:
        return bool(self.calls) or bool(self.titles)


def _chain(call) -> list:
    out = []
    while call is not None:
        out.append(call)
        call = call.inner
    return out


def find(tape, pos: dict, visible: list, expand, op: str = "draw") -> Groups:
    """Group the tensor nodes of ``tape`` into layer boxes (see the module docstring). ``visible[i]`` says whether
    position ``i`` is drawn at all. Walks each call's members once (iterative)."""
    n = len(tape)
    owner = [-1] * n
    cluster: list = [()] * n
    g = Groups(owner, cluster)
    matched: set = set()
    seen_names: list = []
    for i in range(n - 1, -1, -1):
        if owner[i] >= 0 or not visible[i]:
            continue
        node = tape[i]
        if not node._prev or not hasattr(node, "shape"):
            continue
        call = layer_call(node)
        if call is None:
            continue
        cl = cluster[i]
        for c in _chain(call):
            names = call_names(c, node)
            seen_names.append(c.scope and scope_tail(c.scope) or c.name)
            hit = expand == ALL or (expand is not None and names & expand)
            if hit and expand != ALL:
                matched |= names & expand
            inside = [pos[m._id] for m in members(node, c)]
            if hit:
                entry = ((LAYER, c.name), i)
                g.titles[entry] = (c, node)
                cl = cl + (entry,)
                for j in inside:
                    cluster[j] = cl
                continue
            for j in inside:
                if visible[j]:
                    owner[j] = i
            g.calls[i] = c
            break
    if expand not in (None, ALL):
        missing = sorted(expand - matched)
        if missing:
            known = ", ".join(dict.fromkeys(reversed(seen_names))) or "(none: no layer of microgradnet.functional)"
            raise ValueError(f"{op}: expand names {missing} match no layer call of this graph; its layers: {known}")
    return g


# ---------------------------------------------------------------------------------------------------- text
def option_text(v) -> str:
    if isinstance(v, ArrayOf):
        return f"({', '.join(map(str, v.shape))}) {v.dtype}"
    if isinstance(v, np.ndarray):
        return "[" + ", ".join(short(x) if v.dtype.kind == "f" else str(x) for x in v.ravel().tolist()) + "]"
    if isinstance(v, float):
        return short(v)
    if isinstance(v, tuple):
        return "(" + ", ".join(option_text(x) for x in v) + ("," if len(v) == 1 else "") + ")"
    return repr(v) if isinstance(v, str) else str(v)


def _is_default(v, d) -> bool:
    if isinstance(v, np.ndarray) or isinstance(d, np.ndarray):
        return False
    if isinstance(v, tuple) and v and not isinstance(d, tuple) and all(x == d for x in v):
        return True  # nn.Conv2d passes stride=(1, 1) where conv2d's default is 1
    return v == d and type(v) is type(d)


def options_text(call) -> str:
    """The non-Tensor arguments that differ from their defaults: ``padding=1 stride=2``; a loss's target as
    ``target=[3]``; a pair of equal values as one number."""
    dflt = defaults(call.name)
    parts = []
    for k, v in call.options:
        if v is None or (k in dflt and _is_default(v, dflt[k])):
            continue
        if isinstance(v, tuple) and len(v) == 2 and v[0] == v[1]:
            v = v[0]
        parts.append(f"{k}={option_text(v)}")
    return " ".join(parts)


def declared_inputs(tape) -> set:
    """Ids of the nodes passed as Tensor arguments to the layer calls of ``tape`` (drawn even when constant)."""
    out = set()
    for node in tape:
        if node._prev and hasattr(node, "shape"):
            call = layer_call(node)
            while call is not None:
                out.update(t._id for _, t in call.inputs)
                call = call.inner
    return out


def with_inputs(tape) -> list:
    """``tape`` plus the constant Tensor arguments of its layer calls, in creation order. An input that does not
    require grad (the image) is not on the tape: the layer's first operation on it recorded nothing, so the
    picture would otherwise show only what was made from it (a ``(9, 64)`` column matrix)."""
    have = {n._id for n in tape}
    extra = {}
    for node in tape:
        if node._prev and hasattr(node, "shape"):
            call = layer_call(node)
            while call is not None:
                for _, t in call.inputs:
                    if t._id not in have and not t._prev:
                        extra[t._id] = t
                call = call.inner
    if not extra:
        return tape
    return sorted(list(tape) + list(extra.values()), key=lambda n: n._id)


def title(call, scope_title: str = "") -> str:
    """``conv: conv2d`` when the call is the only one of module ``conv``, else ``conv2d``."""
    return f"{scope_title}: {call.name}" if scope_title and scope_title != call.name else call.name


def cluster_label(call, out) -> str:
    return f"{scope_tail(call.scope) + ': ' if call.scope else ''}{call.name} (expanded) → {shape_text(out.shape)}"
