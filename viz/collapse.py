"""Keeping big graphs readable: which tape nodes are drawn, and which are drawn together.

A drawing is made of *units*: a single tape node (drawn in full), or a group of nodes drawn as one box. When the
graph has more than ``max_nodes`` units, :func:`plan` collapses it one level at a time until it fits:

1. scalar nodes into their tensor op: inside :func:`microgradnet.scalar_level` every ``Value`` remembers the tensor
   operation that made it (``_meta = (scope, group, op)``); all Values of one tensor op become one box, and the
   elements of one named input tensor (``conv1.weight[0,0]``, …) another;
2. tensor ops into their module call: nodes made inside ``microgradnet.engine.scope(name)`` (which
   ``Module.__call__`` uses, with the module's attribute path such as ``features.0``) are grouped by module call,
   innermost modules first, then their parents (``features.0`` and ``features.1`` into ``features``; both ``.``
   and ``/`` separate levels);
3. if it still does not fit, only the ``max_nodes - 1`` units nearest to the output (breadth first) are drawn and
   everything farther is one ``…`` node.

Leaves that matter (parameters, inputs that require grad) are never folded into a module box. The picture says what
was collapsed (:attr:`Plan.notes`, drawn as the graph's caption).

``depth=`` draws only nodes at most that many operations away from the output (a ``…`` stub marks each cut);
``hide_constants=True`` leaves constants out, writing their value in the label of the operation that uses them.

Module calls are told apart by tape order: a call of scope ``S`` ends at the first recorded node outside ``S``, so a
module applied twice gives two boxes (and no cycle). Everything here is iterative: a 10⁵-node graph is planned in
linear time at the default recursion limit.
"""

from __future__ import annotations

import functools
import re
from collections import deque
from dataclasses import dataclass, field

from . import layers

MAX_NODES = 200
"""Default ``max_nodes``: past about this many boxes a Graphviz picture stops being legible."""

VISIBLE, HIDDEN, BEYOND = 0, -1, -2


@dataclass
class Unit:
    """One drawn box: ``kind`` is ``'node'`` (one tape node in full), ``'ops'`` (the scalar nodes of one tensor
    op), ``'input'`` (the elements of one named input tensor), ``'call'`` (a module call) or ``'more'`` (nodes not
    drawn). ``members`` are tape positions in ascending order."""

    kind: str
    members: list
    title: str
    cluster: tuple | None
    name: str = ""
    call: object = None  # a 'layer' unit: its microgradnet.functional.calls.LayerCall
    scope_title: str = ""  # the module path of a module call that holds this unit alone (its cluster is dropped)


@dataclass
class Plan:
    tape: list
    pos: dict
    roots: list
    state: list
    unit_of: list
    units: list
    consumers: list
    call_keys: list
    clusters: dict
    notes: list = field(default_factory=list)
    frontier: list = field(default_factory=list)
    hidden_constants: int = 0


@functools.lru_cache(maxsize=1024)
def _split_scope(s: str) -> tuple:
    parts = re.split(r"([/.])", s)
    out, acc = [], ""
    for k in range(0, len(parts), 2):
        comp = parts[k]
        sep = parts[k - 1] if k else ""
        if not comp:
            continue
        acc = acc + sep + comp if acc else comp
        out.append(acc)
    return tuple(out)


def scope_path(node) -> tuple:
    """The module scope a node was made in, as the chain of enclosing module paths, outermost first. Both
    ``engine.scope`` nesting (``/``) and module attribute paths (``.``) nest: ``'features.0'`` →
    ``('features', 'features.0')``, ``'outer/conv1'`` → ``('outer', 'outer/conv1')``."""
    m = node._meta
    s = m[0] if isinstance(m, tuple) else m
    if not s:
        return ()
    return _split_scope(str(s))


def scalar_group(node):
    """For a scalar-level Value: ``('ops', group, op)`` for the tensor op that made it, ``('input', name)`` for an
    element of a named lifted tensor, else None."""
    m = node._meta
    if not isinstance(m, tuple) or len(m) < 3:
        return None
    if m[1] is not None:
        return ("ops", m[1], m[2])
    if m[2] == "input" and node.label:
        return ("input", node.label.split("[", 1)[0])
    return None


def is_constant(node, names: dict) -> bool:
    """A leaf that does not require grad: a Tensor without ``requires_grad``, or an unlabelled, unnamed Value
    (the number in ``x * 2``)."""
    if node._prev:
        return False
    rg = getattr(node, "requires_grad", True)
    if not rg:
        return True
    if hasattr(node, "shape"):
        return False
    return not node.label and node._id not in names


def call_keys(tape) -> tuple[list, dict]:
    """For each tape node, its module-call path: a tuple of ``(scope prefix, call number)`` pairs, outermost first.
    Also the number of calls per scope prefix."""
    open_calls: dict = {}
    counts: dict = {}
    keys = []
    empty = ()
    for node in tape:
        m = node._meta
        if m is None or (m.__class__ is tuple and not m[0]):
            if open_calls:
                open_calls.clear()
            keys.append(empty)
            continue
        path = scope_path(node)
        for prefix in [p for p in open_calls if path[:len(p)] != p]:
            del open_calls[prefix]
        key = []
        for k in range(1, len(path) + 1):
            prefix = path[:k]
            if prefix not in open_calls:
                counts[prefix] = counts.get(prefix, 0) + 1
                open_calls[prefix] = counts[prefix]
            key.append((prefix, open_calls[prefix]))
        keys.append(tuple(key))
    return keys, counts


def plan(roots, tape, *, max_nodes=MAX_NODES, depth=None, hide_constants=False, names=None, expand=None,
         op="draw") -> Plan:
    """Decide what to draw (see the module docstring). ``names`` maps node ids to parameter names; ``expand`` is
    :func:`viz.layers.parse_expand`'s result (layer calls not named there are one box each)."""
    names = names or {}
    if max_nodes is not None and (not isinstance(max_nodes, int) or max_nodes < 1):
        raise ValueError(f"draw: max_nodes must be a positive int or None (no limit), got {max_nodes!r}")
    if depth is not None and (not isinstance(depth, int) or depth < 0):
        raise ValueError(f"draw: depth must be an int ≥ 0 (0 draws only the output) or None, got {depth!r}")
    n = len(tape)
    pos = {node._id: i for i, node in enumerate(tape)}
    consumers = [None] * n
    for i, node in enumerate(tape):
        for p in node._prev:
            j = pos[p._id]
            c = consumers[j]
            if c is None:
                consumers[j] = [i]
            else:
                c.append(i)
    empty: list = []
    consumers = [c if c is not None else empty for c in consumers]
    root_pos = sorted({pos[r._id] for r in roots})
    state = [VISIBLE] * n
    notes = []

    frontier = []
    if depth is not None:
        dist = [-1] * n
        queue = deque(root_pos)
        for r in root_pos:
            dist[r] = 0
        while queue:
            i = queue.popleft()
            if dist[i] >= depth:
                continue
            for p in tape[i]._prev:
                j = pos[p._id]
                if dist[j] < 0:
                    dist[j] = dist[i] + 1
                    queue.append(j)
        beyond = 0
        for i in range(n):
            if dist[i] < 0:
                state[i] = BEYOND
                beyond += 1
        frontier = [i for i in range(n) if state[i] == VISIBLE
                    and any(state[pos[p._id]] == BEYOND for p in tape[i]._prev)]
        if beyond:
            notes.append(f"depth={depth}: {beyond:,} node(s) farther than {depth} operation(s) from the output are "
                         f"not drawn (… marks each cut)")

    roots_set = set(root_pos)
    const = [i not in roots_set and is_constant(tape[i], names) for i in range(n)]
    hidden = 0
    if hide_constants:
        shown = layers.declared_inputs(tape)  # a layer's image stays visible even when it is a constant
        for i in range(n):
            node = tape[i]
            if const[i] and state[i] == VISIBLE and not (hasattr(node, "shape") and (node.label or node._id in shown)):
                state[i] = HIDDEN
                hidden += 1

    ckeys, counts = call_keys(tape)
    visible = [i for i in range(n) if state[i] == VISIBLE]
    groups = layers.find(tape, pos, [s == VISIBLE for s in state], expand, op)
    owner = groups.owner
    if hidden:
        inside = [i for i in range(n) if state[i] == HIDDEN and all(owner[k] >= 0 for k in consumers[i])]
        shown = hidden - len(inside)
        if shown:
            notes.append(f"{shown:,} constant(s) hidden (their values are written in the operation that uses them)")

    def kept_leaf(i):
        node = tape[i]
        return (not node._prev and not const[i]) or (scalar_group(node) or ("",))[0] == "input"

    def level_keys(level):
        """level 0: every node; 1: scalar ops grouped; ('call', d): module calls cut at depth d."""
        keys = {}
        for i in visible:
            node = tape[i]
            key = ("n", i) if owner[i] < 0 else ("layer", owner[i])
            if level != 0:
                g = scalar_group(node)
                if g is not None:
                    key = g
                if isinstance(level, tuple) and not kept_leaf(i):
                    d = level[1]
                    ck = ckeys[i]
                    if len(ck) >= d:
                        key = ("call", ck[:d])
            keys[i] = key
        if level != 0:  # a constant used by one group only is drawn inside it
            for i in visible:
                if const[i] and keys[i][0] == "n" and consumers[i]:
                    ks = {keys.get(c) for c in consumers[i]}
                    if len(ks) == 1:
                        (k,) = ks
                        if k is not None and k[0] != "n":
                            keys[i] = k
        return keys

    total = len(visible)
    levels = [0]
    if any(tape[i]._meta.__class__ is tuple and scalar_group(tape[i]) is not None for i in visible):
        levels.append(1)
    max_depth = max((len(ckeys[i]) for i in visible if ckeys[i]), default=0)
    levels += [("call", d) for d in range(max_depth, 0, -1)]
    chosen, keys = 0, None
    for level in levels:
        chosen = level
        if level == 0 and not groups.any:
            if max_nodes is None or total <= max_nodes or len(levels) == 1:
                keys = None  # every node its own unit
                break
            continue
        keys = level_keys(level)
        if max_nodes is None or len(set(keys.values())) <= max_nodes:
            break

    def key_of(i):
        return ("n", i) if keys is None else keys[i]

    cut = chosen[1] if isinstance(chosen, tuple) else None
    if chosen != 0:
        members_of: dict = {}
        for i in visible:
            k = keys[i]
            if k[0] != "n":
                members_of.setdefault(k, []).append(i)
        grouped = sum(len(m) for m in members_of.values())
        what = "scalar nodes into their tensor ops" if chosen == 1 else \
            f"nodes into their module calls (module depth {cut})"
        notes.append(f"max_nodes={max_nodes}: {total:,} nodes; collapsed {grouped:,} {what}: "
                     f"{len(members_of):,} box(es)")
    else:
        members_of = {}

    kept = None
    n_keys = total if keys is None else len(set(keys.values()))
    if max_nodes is not None and n_keys > max_nodes:
        kept = _nearest(tape, pos, root_pos, state, key_of, members_of, max(max_nodes - 1, 1))

    # units, in tape order of their first member
    unit_index: dict = {}
    units: list[Unit] = []
    unit_of = list(state)
    more = None
    for i in visible:
        key = key_of(i)
        if kept is not None and key not in kept:
            if more is None:
                more = Unit("more", [], "", None, "more")
            more.members.append(i)
            unit_of[i] = -3  # patched below, once the kept units are numbered
            continue
        u = unit_index.get(key)
        if u is None:
            u = unit_index[key] = len(units)
            ck = ckeys[i]
            call = None
            if key[0] == "call":
                kind, title, cl = "call", key[1][-1][0][-1], key[1][:-1]
            else:
                kind = {"n": "node", "ops": "ops", "input": "input", "layer": "layer"}[key[0]]
                title = key[2] if kind == "ops" else (key[1] if kind == "input" else "")
                cl = ck if cut is None or len(ck) < cut else ck[:cut - 1]
                if kind == "layer":
                    call = groups.calls[key[1]]
                    title = call.name
                if cut is None:
                    cl = tuple(cl) + groups.cluster[i]
            units.append(Unit(kind, [], title, cl or None, call=call))
        units[u].members.append(i)
        unit_of[i] = u
    if more is not None:
        mu = len(units)
        units.append(more)
        for i in more.members:
            unit_of[i] = mu
        notes.append(f"max_nodes={max_nodes}: only the {len(units) - 1:,} box(es) nearest the output are drawn; "
                     f"{len(more.members):,} more node(s) of {total:,} are the … node")

    for u in units:
        if u.kind != "more":
            u.name = f"n{u.members[0] + 1}" if u.kind == "node" else (
                f"n{u.members[-1] + 1}" if u.kind == "layer" else f"g{u.members[-1] + 1}")

    _drop_single_clusters(units, counts)
    clusters = _clusters(units, counts, groups)
    return Plan(tape=tape, pos=pos, roots=root_pos, state=state, unit_of=unit_of, units=units,
                consumers=consumers, call_keys=ckeys, clusters=clusters, notes=notes, frontier=frontier,
                hidden_constants=hidden)


def _nearest(tape, pos, root_pos, state, key_of, members_of, keep_n) -> set:
    """The ``keep_n`` boxes nearest to the output, breadth first over the graph of boxes (parents looked up only
    for the boxes visited, so a 10⁵-node graph costs little more than ``keep_n`` boxes)."""
    def parents(key):
        members = members_of.get(key) or [key[1]]
        out, seen = [], {key}
        for i in members:
            for p in tape[i]._prev:
                j = pos[p._id]
                if state[j] != VISIBLE:
                    continue
                k = key_of(j)
                if k not in seen:
                    seen.add(k)
                    out.append(k)
        return out

    kept: set = set()
    order: list = []
    queue = deque()
    for r in root_pos:
        k = key_of(r)
        if k not in kept:
            kept.add(k)
            queue.append(k)
    while queue and len(order) < keep_n:
        k = queue.popleft()
        order.append(k)
        for pk in parents(k):
            if pk not in kept:
                kept.add(pk)
                queue.append(pk)
    return set(order)


def _module_label(entry, counts) -> str:
    prefix, call = entry
    label = prefix[-1] if prefix else ""  # the module's full path: 'features.0'
    if counts.get(prefix, 1) > 1:
        label += f" (call {call})"
    return label


def _drop_single_clusters(units, counts) -> None:
    """A module call drawn as a single box (``nn.Conv2d`` around its one ``conv2d`` call) gets no cluster of its
    own: the box is named after the module instead (``conv: conv2d``). Innermost first, so ``features`` around a
    lone ``features.0`` goes too."""
    while True:
        direct: dict = {}
        nested: set = set()
        for u in units:
            key = u.cluster
            if not key:
                continue
            direct.setdefault(key, []).append(u)
            for k in range(1, len(key)):
                nested.add(key[:k])
        dropped = False
        for key, us in direct.items():
            if len(us) != 1 or key in nested or key[-1][0][:1] == (layers.LAYER,):
                continue
            u = us[0]
            if u.kind not in ("node", "layer"):
                continue
            if not u.scope_title:
                u.scope_title = _module_label(key[-1], counts)
            u.cluster = key[:-1] or None
            dropped = True
        if not dropped:
            return


def _clusters(units, counts, groups=None) -> dict:
    """Cluster key → (label, parent key, attrs), parents before children, in order of first use."""
    out: dict = {}
    for u in units:
        key = u.cluster
        if not key:
            continue
        chain = [key[:k] for k in range(1, len(key) + 1)]
        for k in chain:
            if k in out:
                continue
            if k[-1][0][:1] == (layers.LAYER,):
                call, node = groups.titles[k[-1]]
                out[k] = (layers.cluster_label(call, node), k[:-1] or None,
                          {"style": "dashed,rounded", "color": "slateblue"})
                continue
            out[k] = (_module_label(k[-1], counts), k[:-1] or None, {"style": "rounded", "color": "grey50"})
    return out
