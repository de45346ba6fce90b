"""The ``Optimizer`` base class: parameter groups, per-parameter state, ``zero_grad``, ``state_dict``.

PyTorch semantics (``torch.optim.Optimizer``):

* ``params`` is an iterable of Tensors (one group) or of dicts ``{"params": [...], "lr": ...}`` (one group each,
  keys missing from a dict take the optimiser's defaults). Every group keeps its own hyper-parameters, so
  ``optimizer.param_groups[1]["lr"] = 0.01`` changes only that group's learning rate.
* ``step()`` reads each parameter's ``.grad`` (a numpy array filled by ``backward``) and updates ``.data`` **in
  place**; parameters whose ``.grad`` is ``None`` are skipped (they took no part in the last backward).
* ``zero_grad(set_to_none=True)`` sets every ``.grad`` to ``None`` (the engine then starts the next backward from
  scratch); ``set_to_none=False`` fills them with zeros instead. Leaves accumulate gradients across ``backward``
  calls (see :mod:`microgradnet.engine`), which is why a training loop calls this before every backward.
* ``state_dict()`` is ``{"state": {index: {name: value}}, "param_groups": [{..., "params": [indices]}]}`` with
  parameters numbered in group order, as PyTorch does; ``load_state_dict`` checks that the group sizes and every
  state array's shape match before changing anything.

The optimisers never record anything on the tape: they work on the numpy arrays behind the Tensors.
"""

from __future__ import annotations

import copy
import numbers

import numpy as np

from ..tensor import Tensor


def _grad_array(p, where: str) -> np.ndarray:
    """``p.grad`` as a numpy array of ``p``'s shape (a Tensor gradient from ``create_graph=True`` is unwrapped)."""
    g = p.grad
    if isinstance(g, Tensor):
        g = g.data
    g = np.asarray(g)
    if g.shape != p.data.shape:
        raise ValueError(f"{where}: parameter {p.label or 'p' + str(p._id)} has shape {p.data.shape} but its .grad "
                         f"has shape {g.shape}")
    return g


def check_real(value, name: str, where: str, low=None, high=None, low_open=False, high_open=False) -> float:
    """A hyper-parameter as a float; TypeError if it is not a real number, ValueError if outside the interval
    (``low``/``high`` bounds, closed unless ``low_open``/``high_open``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value != value:
        raise TypeError(f"{where}: {name} must be a real number, got {value!r}")
    value = float(value)
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        if high is None:
            want = f"{'>' if low_open else '>='} {low:g}"
        elif low is None:
            want = f"{'<' if high_open else '<='} {high:g}"
        else:
            want = f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"{where}: {name} must be {want}, got {value!r}")
    return value


class Optimizer:
    """Base class; subclasses set ``defaults``, validate a group in ``_check_group`` and update in ``step``."""

    def __init__(self, params, defaults: dict):
        self.defaults = dict(defaults)
        self.state: dict = {}
        self.param_groups: list[dict] = []
        name = type(self).__name__
        if isinstance(params, Tensor):
            raise TypeError(f"{name}: params must be an iterable of Tensors or of dicts, got a single Tensor; "
                            f"wrap it in a list: {name}([p], ...)")
        if isinstance(params, (set, frozenset)):
            raise TypeError(f"{name}: params must be an ordered iterable (list, generator), got a set: the order of "
                            "parameters must be the same from run to run for state_dict to make sense")
        try:
            params = list(params)
        except TypeError:
            raise TypeError(f"{name}: params must be an iterable of Tensors or of dicts, got "
                            f"{type(params).__name__}") from None
        if not params:
            raise ValueError(f"{name}: got an empty parameter list (did the model define any parameters?)")
        if not isinstance(params[0], dict):
            params = [{"params": params}]
        for group in params:
            self.add_param_group(group)

    # ------------------------------------------------------------------------------------------------ groups
    def add_param_group(self, group: dict) -> None:
        """Add ``{"params": [...], **hyper}``; missing hyper-parameters take the defaults."""
        name = type(self).__name__
        if not isinstance(group, dict):
            raise TypeError(f"{name}.add_param_group: a group must be a dict with a 'params' key, got "
                            f"{type(group).__name__}")
        if "params" not in group:
            raise ValueError(f"{name}.add_param_group: the group has no 'params' key (keys: {sorted(group)})")
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(f"{name}.add_param_group: 'params' must be ordered (a list), got a set")
        else:
            params = list(params)
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: parameter #{i} is a {type(p).__name__}, expected a Tensor (to train "
                                "micrograd Values, update v.data -= lr * v.grad yourself)")
            if not p.requires_grad:
                raise ValueError(f"{name}: parameter #{i} (shape {p.shape}) has requires_grad=False; only "
                                 "Tensors that require grad can be optimised")
            if p._prev:
                raise ValueError(f"{name}: parameter #{i} (shape {p.shape}) is not a leaf (it was computed by "
                                 f"'{p._op}'); optimise the leaf tensors it was computed from")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params) or any(id(p) in seen for p in params):
            raise ValueError(f"{name}: some parameters appear more than once (within a group or in two groups)")
        full = {**self.defaults, **group, "params": params}
        self._check_group(full)
        self.param_groups.append(full)

    def _check_group(self, group: dict) -> None:  # overridden
        check_real(group["lr"], "lr", type(self).__name__, low=0.0)

    def _params(self):
        for group in self.param_groups:
            yield from group["params"]

    # ------------------------------------------------------------------------------------------------ steps
    def zero_grad(self, set_to_none: bool = True) -> None:
        """``p.grad = None`` for every parameter (or zeros of its shape with ``set_to_none=False``)."""
        for p in self._params():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad = np.zeros_like(p.data)

    def step(self, closure=None):
        """One update of every parameter that has a gradient. ``closure`` (optional) recomputes and returns the
        loss after zeroing and running backward, as in PyTorch; its value is returned."""
        loss = None
        if closure is not None:
            from ..engine import enable_grad
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                self._update(p, _grad_array(p, f"{type(self).__name__}.step"), group)
        return loss

    def _update(self, p, g: np.ndarray, group: dict) -> None:  # overridden
        raise NotImplementedError

    def _state(self, p) -> dict:
        st = self.state.get(p)
        if st is None:
            st = self.state[p] = {}
        return st

    # ------------------------------------------------------------------------------------------------ state
    def state_dict(self) -> dict:
        """``{"state": {i: {...}}, "param_groups": [{hyper..., "params": [i, ...]}]}`` (copies, numbered in group
        order)."""
        index = {}
        groups = []
        for group in self.param_groups:
            ids = []
            for p in group["params"]:
                index[id(p)] = len(index)
                ids.append(index[id(p)])
            groups.append({**{k: copy.deepcopy(v) for k, v in group.items() if k != "params"}, "params": ids})
        state = {}
        for p, st in self.state.items():
            if id(p) in index and st:
                state[index[id(p)]] = {k: (np.array(v) if isinstance(v, np.ndarray) else v) for k, v in st.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore hyper-parameters and per-parameter state. Checks everything first: on a mismatch (number of
        groups, group sizes, state array shapes) it raises ValueError and leaves the optimiser unchanged."""
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            keys = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"{name}: expected a dict with keys 'state' and 'param_groups', got {keys}")
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(f"{name}: the saved state has {len(groups)} parameter group(s), this optimiser has "
                             f"{len(self.param_groups)}")
        params = []
        for k, (saved, mine) in enumerate(zip(groups, self.param_groups)):
            if len(saved["params"]) != len(mine["params"]):
                raise ValueError(f"{name}: group {k} has {len(saved['params'])} parameters in the saved state, "
                                 f"{len(mine['params'])} here")
            params.extend(zip(saved["params"], mine["params"]))
        by_index = dict(params)
        new_state = {}
        for i, st in state_dict["state"].items():
            i = int(i)
            if i not in by_index:
                raise ValueError(f"{name}: the saved state refers to parameter {i}, but there are only "
                                 f"{len(by_index)}")
            p = by_index[i]
            entry = {}
            for key, v in st.items():
                if isinstance(v, np.ndarray):
                    if v.shape != p.data.shape:
                        raise ValueError(f"{name}: state '{key}' of parameter {i} has shape {v.shape}, the "
                                         f"parameter has shape {p.data.shape}")
                    v = np.array(v, dtype=p.data.dtype)
                entry[key] = v
            new_state[p] = entry
        new_groups = []
        for saved, mine in zip(groups, self.param_groups):
            g = {**mine, **{k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}}
            self._check_group(g)
            new_groups.append(g)
        self.param_groups = new_groups
        self.state = new_state

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            hyper = ", ".join(f"{k}={v}" for k, v in g.items() if k != "params")
            lines.append(f"  group {i}: {len(g['params'])} tensors, {hyper}")
        return "\n".join(lines + [")"])


__all__ = ["Optimizer", "check_real"]
