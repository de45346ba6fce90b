"""The rule-check overlay: which of my hand-derived gradients disagree with autodiff?

Give the gradients you derived by hand (``microgradnet.closed_form``, or your own) as ``expected``::

    draw_dot(loss, expected={"W": dW_closed, U: dU_closed, "x1": 0.5}, rtol=1e-5, atol=1e-8)

Keys select nodes of the graph:

- a node object (``Value`` or ``Tensor``); a scalar-level tensor (made inside ``scalar_level``) stands for its
  element Values, each compared with the matching element of the expected array;
- a string: a parameter name from ``params=`` (``"conv1.weight"``), else the ``label`` of nodes in the graph (every
  node with that label is checked), else the name of a scalar-level input tensor, whose elements are the Values
  labelled ``name[i,j]``.

A node *matches* when ``|autodiff − closed_form| ≤ atol + rtol·|closed_form|`` elementwise (numpy's ``isclose``,
NaN never matches) and the shapes agree. Matches are filled palegreen and marked ✓, mismatches salmon and marked
✗, and both numbers are written in the node (for tensors a summary, the largest difference and where it is).
A key that selects nothing raises ``ValueError`` listing the names that exist; a node with no gradient yet (no
backward has run) raises too, rather than colouring a guess.

:func:`from_report` turns a checker report into ``expected``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .dot import num, shape_text, short, summary


@dataclass
class CheckResult:
    """One checked node: its name, autodiff and closed-form gradients, whether they match, the largest absolute
    difference and (for arrays) the index where it occurs, and a note (e.g. a shape mismatch)."""

    name: str
    node: object
    autodiff: object
    closed_form: object
    ok: bool
    max_abs_diff: float
    where: tuple | None = None
    note: str = ""

    def fields(self) -> list[str]:
        """The text added to the node's record."""
        mark = "✓" if self.ok else "✗"
        if np.ndim(self.closed_form) == 0 and np.ndim(self.autodiff) == 0:
            out = [f"closed form {num(self.closed_form)} {mark}"]
            if not self.ok:
                out.append(f"autodiff − closed {num(float(self.autodiff) - float(self.closed_form))}")
            return out
        out = [f"closed form {summary(self.closed_form)} {mark}"]
        if self.note:
            out.append(self.note)
        elif not self.ok:
            at = "" if self.where is None else f" at {self.where}"
            out.append(f"max abs diff {short(self.max_abs_diff)}{at}")
        return out


def _is_node(x) -> bool:
    return hasattr(x, "_prev") and hasattr(x, "_id")


def from_report(report) -> dict:
    """``expected`` (name → closed-form gradient) from a checker report.

    Accepted forms: a mapping ``name → (autodiff, closed_form)``; a mapping ``name → obj`` where ``obj`` has a
    ``closed_form`` attribute; an object with ``.items()`` giving either of those; an iterable of objects with
    ``name`` and ``closed_form`` attributes. The report's own autodiff numbers are not used: the overlay compares
    the closed form with the gradients held by the graph being drawn.
    """
    out = {}
    if isinstance(report, Mapping) or hasattr(report, "items"):
        items = list(report.items())
    else:
        try:
            items = [(r.name, r) for r in report]
        except (TypeError, AttributeError):
            raise TypeError(f"from_report: expected a mapping name → (autodiff, closed_form) or rows with .name and "
                            f".closed_form, got {type(report).__name__}") from None
    for name, entry in items:
        if hasattr(entry, "closed_form"):
            out[str(name)] = entry.closed_form
        elif isinstance(entry, (tuple, list)) and len(entry) == 2:
            out[str(name)] = entry[1]
        else:
            raise TypeError(f"from_report: entry {name!r} must be an (autodiff, closed_form) pair or have a "
                            f".closed_form attribute, got {type(entry).__name__}")
    return out


def _compare(name, node, auto, closed, rtol, atol) -> CheckResult:
    a = np.asarray(auto, dtype=np.float64)
    c = np.asarray(closed, dtype=np.float64) if not _is_node(closed) else np.asarray(closed.data, np.float64)
    if a.shape != c.shape and not (a.size == c.size == 1):
        return CheckResult(name, node, auto, c, False, float("nan"), None,
                           f"shape {shape_text(c.shape)} ≠ autodiff {shape_text(a.shape)}")
    a2, c2 = a.reshape(c.shape), c
    close = np.isclose(a2, c2, rtol=rtol, atol=atol, equal_nan=False)
    diff = np.abs(a2 - c2)
    if diff.size and np.isnan(diff).any():
        worst = np.unravel_index(int(np.argmax(np.isnan(diff))), diff.shape) if diff.ndim else None
        mad = float("nan")
    else:
        worst = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.ndim else None
        mad = float(diff.max()) if diff.size else 0.0
    where = tuple(int(i) for i in worst) if worst is not None else None
    auto_out = float(a2) if a2.ndim == 0 else a2
    closed_out = float(c2) if c2.ndim == 0 else c2
    return CheckResult(name, node, auto_out, closed_out, bool(close.all()), mad, where)


def _grad(node, fresh_ids: set, key) -> object:
    g = node.grad
    if g is None or node._id in fresh_ids:
        who = node.label or f"node #{node._id}"
        raise ValueError(f"rule check: {who} (selected by {key!r}) has no gradient yet; run backward() before "
                         "drawing the overlay")
    return g


def check(tape, expected, *, names=None, rtol=1e-5, atol=1e-8, fresh_ids=frozenset()) -> dict:
    """Compare autodiff gradients on ``tape`` with ``expected`` (see the module docstring).

    Returns ``{node id: CheckResult}``. ``names`` maps node ids to parameter names; ``fresh_ids`` are Values whose
    0.0 gradient only means that no backward has run.
    """
    if not isinstance(expected, Mapping):
        raise TypeError(f"rule check: expected must be a mapping node-or-name → gradient, got "
                        f"{type(expected).__name__}")
    if rtol < 0 or atol < 0:
        raise ValueError(f"rule check: tolerances must be ≥ 0, got rtol={rtol}, atol={atol}")
    names = names or {}
    by_id = {n._id: n for n in tape}
    by_name = {name: by_id[i] for i, name in names.items() if i in by_id}
    by_label: dict = {}
    elements: dict = {}
    for n in tape:
        if n.label:
            by_label.setdefault(n.label, []).append(n)
            if "[" in n.label and n.label.endswith("]"):
                base, _, idx = n.label[:-1].partition("[")
                try:
                    elements.setdefault(base, []).append((tuple(int(k) for k in idx.split(",") if k != ""), n))
                except ValueError:
                    pass
    results: dict = {}
    missing = []
    for key, closed in expected.items():
        targets = []  # (name, node, expected value)
        if _is_node(key):
            vals = getattr(key, "level", None)
            if vals is not None:
                arr = vals[1]
                c = np.asarray(closed, dtype=np.float64)
                if c.shape != arr.shape:
                    raise ValueError(f"rule check: expected value for a scalar-level tensor of shape "
                                     f"{shape_text(arr.shape)} has shape {shape_text(c.shape)}")
                for idx in np.ndindex(arr.shape):
                    v = arr[idx]
                    if v._id in by_id:
                        targets.append((v.label or f"{key.label or 'tensor'}{list(idx)}", v, c[idx]))
            elif key._id in by_id:
                targets.append((names.get(key._id) or key.label or f"node #{key._id}", key, closed))
        else:
            k = str(key)
            if k in by_name:
                targets.append((k, by_name[k], closed))
            elif k in by_label:
                targets.extend((k, n, closed) for n in by_label[k])
            elif k in elements:
                c = np.asarray(closed, dtype=np.float64)
                for idx, n in elements[k]:
                    if len(idx) != c.ndim or any(i >= s for i, s in zip(idx, c.shape)):
                        raise ValueError(f"rule check: {n.label!r} has no element in the expected value for {k!r} "
                                         f"(shape {shape_text(c.shape)})")
                    targets.append((n.label, n, c[idx]))
        if not targets:
            missing.append(key)
            continue
        for name, node, value in targets:
            results[node._id] = _compare(name, node, _grad(node, fresh_ids, key), value, rtol, atol)
    if missing:
        known = sorted(set(by_name) | set(by_label) | set(elements))
        shown = ", ".join(repr(s) for s in known[:20]) + (", …" if len(known) > 20 else "")
        raise ValueError(f"rule check: {len(missing)} key(s) select no node of the graph: "
                         f"{', '.join(repr(m) if isinstance(m, str) else type(m).__name__ for m in missing)}. "
                         f"Names in this graph: {shown or '(none: give nodes labels or pass params=)'}")
    return results

