"""``Module`` and ``Parameter``: PyTorch's module protocol over microgradnet Tensors.

Registration happens on assignment (``__setattr__``): a :class:`Parameter` becomes a parameter, a ``Module`` a
child, and :meth:`Module.register_buffer` adds a non-trainable tensor that still belongs to the state (e.g. batch
norm's ``running_mean``). Everything is kept in registration order, so ``named_parameters()`` is stable::

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 4, 3)     # registered first
            self.fc = nn.Linear(4 * 26 * 26, 10)

    [n for n, _ in Net().named_parameters()]   # ['conv1.weight', 'conv1.bias', 'fc.weight', 'fc.bias']

Calling a module runs ``forward`` inside :func:`microgradnet.engine.scope` with the module's attribute path
('conv1', 'features.0'; the module called from outside is '' ), so every node it records carries that path in
``_meta`` and the renderer can cluster a module's nodes. Tree walks are iterative.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from typing import NamedTuple

import numpy as np

from .. import engine
from ..engine import Node
from ..tensor import Tensor


class Parameter(Tensor):
    """A Tensor that a Module registers as a parameter when assigned to one of its attributes.

    ``Parameter(data=None, requires_grad=True)``: ``data`` a Tensor (its array is shared, as in PyTorch), an
    array or nested lists (floats; float64 unless the array is float32). ``isinstance(p, Tensor)`` holds.
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = np.zeros((0,), dtype=np.float64)
        if isinstance(data, Tensor):
            data = data.data
        elif isinstance(data, Node):
            raise TypeError(f"Parameter: data must be a Tensor or an array, got a {type(data).__name__}")
        arr = np.asarray(data)
        if arr.dtype.kind != "f":
            if arr.dtype.kind in "biu" and not isinstance(data, np.ndarray):
                arr = arr.astype(np.float64)
            else:
                raise TypeError(f"Parameter: data must be floating point, got dtype {arr.dtype}")
        super().__init__(np.empty(0, arr.dtype), requires_grad=requires_grad)  # Tensor copies; a Parameter shares
        self.data = arr

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` skipped."""

    missing_keys: list
    unexpected_keys: list


class _Call:
    """The module-call stack: the outermost call names every module in its tree (attribute paths)."""

    stack: list = []


@contextlib.contextmanager
def _path_scope(path: str, outer):
    """Set the engine's scope to the module's absolute path for the duration of its forward.

    ``engine.scope`` nests names with '/', which would give 'features/features.0'; a module's nodes should carry
    its own path only ('features.0'), prefixed by whatever scope was active outside the outermost module call
    (``outer/features.0``). So the path replaces the caller's module path instead of nesting inside it.
    """
    with engine.scope(path if outer is None else (f"{outer}/{path}" if path else outer), absolute=True):
        yield


class Module:
    """Base class of every layer (PyTorch's API).

    Subclasses call ``super().__init__()`` first, assign Parameters, buffers (``register_buffer``) and
    sub-Modules as attributes, and define ``forward``; ``extra_repr`` gives the text inside the parentheses of the
    repr. ``training`` is a per-module flag set by ``train()``/``eval()`` on the whole tree.
    """

    def __init__(self):
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())

    # -------------------------------------------------------------------------------------------- registration
    def _check_init(self, what):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {what} before {type(self).__name__}.__init__() called "
                                 "super().__init__()")

    def __setattr__(self, name, value):
        d = self.__dict__
        if isinstance(value, Parameter):
            self._check_init("parameters")
            self._forget(name)
            d["_parameters"][name] = value
        elif isinstance(value, Module):
            self._check_init("modules")
            self._forget(name)
            d["_modules"][name] = value
        elif "_parameters" in d and name in d["_parameters"]:
            if value is not None:
                raise TypeError(f"{type(self).__name__}: cannot assign a {type(value).__name__} as parameter "
                                f"'{name}' (a microgradnet.nn.Parameter or None expected)")
            d["_parameters"][name] = None
        elif "_modules" in d and name in d["_modules"]:
            if value is not None:
                raise TypeError(f"{type(self).__name__}: cannot assign a {type(value).__name__} as child module "
                                f"'{name}' (a Module or None expected)")
            d["_modules"][name] = None
        elif "_buffers" in d and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"{type(self).__name__}: cannot assign a {type(value).__name__} as buffer "
                                f"'{name}' (a Tensor or None expected)")
            d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name):
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            d[key].pop(name, None)
        d["_non_persistent"].discard(name)
        d.pop(name, None)

    def __getattr__(self, name):
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            store = d.get(key)
            if store is not None and name in store:
                return store[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            if name in d.get(key, {}):
                del d[key][name]
                d["_non_persistent"].discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))

    @staticmethod
    def _check_name(name, what, owner):
        if not isinstance(name, str):
            raise TypeError(f"{owner}: {what} name must be a string, got {type(name).__name__}")
        if not name or "." in name:
            raise KeyError(f"{owner}: {what} name {name!r} must be non-empty and contain no '.'")

    def register_parameter(self, name: str, param) -> None:
        """Add ``param`` (a Parameter or None) under ``name``."""
        self._check_init("parameters")
        self._check_name(name, "parameter", type(self).__name__)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"{type(self).__name__}.register_parameter: '{name}' must be a Parameter or None, got "
                            f"a {type(param).__name__}")
        if name in self.__dict__ and name not in self._parameters:
            raise KeyError(f"{type(self).__name__}.register_parameter: attribute '{name}' already exists")
        self._forget(name)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """Add a non-trainable tensor that is part of the module's state (``state_dict`` includes it unless
        ``persistent=False``), e.g. batch norm's running statistics."""
        self._check_init("buffers")
        self._check_name(name, "buffer", type(self).__name__)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"{type(self).__name__}.register_buffer: '{name}' must be a Tensor or None, got a "
                            f"{type(tensor).__name__}")
        if name in self._parameters or name in self._modules or (name in self.__dict__):
            raise KeyError(f"{type(self).__name__}.register_buffer: attribute '{name}' already exists")
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)

    def add_module(self, name: str, module) -> None:
        """Add a child module under ``name`` (what ``self.name = module`` does)."""
        self._check_init("modules")
        self._check_name(name, "module", type(self).__name__)
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}.add_module: '{name}' must be a Module or None, got a "
                            f"{type(module).__name__}")
        self._forget(name)
        self._modules[name] = module

    register_module = add_module

    # -------------------------------------------------------------------------------------------- traversal
    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        """(path, module) for this module and every descendant, pre-order (registration order); the module
        itself has the path ``prefix`` ('' by default). A module reachable twice is listed once."""
        seen = set() if memo is None else memo
        stack = [(prefix, self)]
        while stack:
            path, m = stack.pop()
            if remove_duplicate:
                if id(m) in seen:
                    continue
                seen.add(id(m))
            yield path, m
            kids = [(f"{path}.{n}" if path else n, c) for n, c in m._modules.items() if c is not None]
            stack.extend(reversed(kids))

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def _named_members(self, key, prefix, recurse, remove_duplicate=True):
        seen = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for path, m in mods:
            for name, t in getattr(m, key).items():
                if t is None or (remove_duplicate and id(t) in seen):
                    continue
                seen.add(id(t))
                yield (f"{path}.{name}" if path else name), t

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        """(dotted name, Parameter) in registration order, own parameters before each child's ('conv1.weight',
        'conv1.bias', 'fc.weight', ...). A parameter shared by two modules is listed once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target: str):
        """The module at dotted path ``target`` ('' is self)."""
        m = self
        for part in target.split(".") if target else []:
            sub = m._modules.get(part)
            if sub is None:
                raise AttributeError(f"{type(m).__name__} has no submodule '{part}' (looking up '{target}')")
            m = sub
        return m

    # -------------------------------------------------------------------------------------------- modes
    def train(self, mode: bool = True):
        """Set ``training`` on this module and every descendant; returns self."""
        if not isinstance(mode, bool):
            raise ValueError(f"{type(self).__name__}.train: mode must be a bool, got {mode!r}")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self):
        """``train(False)``: dropout becomes the identity, batch norm uses its running statistics."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the parameters' gradients: ``.grad = None`` (PyTorch ≥ 2), or zeros with ``set_to_none=False``."""
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad = np.zeros_like(p.data)

    def requires_grad_(self, requires_grad: bool = True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def apply(self, fn):
        """Call ``fn(m)`` on every descendant then on self (children first, as PyTorch); returns self."""
        for m in reversed(list(self.modules())):
            fn(m)
        return self

    # -------------------------------------------------------------------------------------------- state
    def state_dict(self, prefix: str = "", keep_vars: bool = False) -> OrderedDict:
        """Parameters and persistent buffers by dotted name, in registration order, as Tensors sharing the data
        (detached unless ``keep_vars``), as ``torch.nn.Module.state_dict``."""
        out = OrderedDict()
        for path, m in self.named_modules(prefix=prefix.rstrip(".")):
            pre = f"{path}." if path else ""
            for name, p in m._parameters.items():
                if p is not None:
                    out[pre + name] = p if keep_vars else p.detach()
            for name, b in m._buffers.items():
                if b is not None and name not in m._non_persistent:
                    out[pre + name] = b if keep_vars else b.detach()
        return out

    def load_state_dict(self, state_dict, strict: bool = True) -> IncompatibleKeys:
        """Copy ``state_dict`` (name → Tensor or array) into the parameters and buffers, in place.

        Every check runs before anything is written, so a refused load changes nothing. It refuses: a value of a
        different shape (always), non-numeric values, and with ``strict=True`` missing or unexpected keys — the
        error names them all. Returns ``(missing_keys, unexpected_keys)``.
        """
        own = self.state_dict(keep_vars=True)
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(f"{type(self).__name__}.load_state_dict: expected a mapping name → array, got "
                            f"{type(state_dict).__name__}")
        given = list(state_dict.keys())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in given if k not in own]
        problems = []
        arrays = {}
        for k, t in own.items():
            if k not in state_dict:
                continue
            v = state_dict[k]
            if isinstance(v, Tensor):
                arr = v.data
            elif isinstance(v, Node):
                problems.append(f"'{k}' is a {type(v).__name__}, expected a Tensor or an array")
                continue
            else:
                arr = np.asarray(v)
            if arr.dtype == object or arr.dtype.kind not in "biuf":
                problems.append(f"'{k}' has dtype {arr.dtype}, expected numbers")
                continue
            if arr.shape != t.shape:
                problems.append(f"size mismatch for '{k}': the checkpoint has shape {arr.shape}, the model "
                                f"{t.shape}")
                continue
            if t.dtype.kind in "iu" and arr.dtype.kind == "f" and not np.all(arr == np.round(arr)):
                problems.append(f"'{k}' holds non-integer values for an integer buffer")
                continue
            arrays[k] = arr
        if strict:
            if missing:
                problems.append("missing keys: " + ", ".join(f"'{k}'" for k in missing))
            if unexpected:
                problems.append("unexpected keys: " + ", ".join(f"'{k}'" for k in unexpected))
        if problems:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__} (nothing was changed):\n\t"
                               + "\n\t".join(problems))
        for k, arr in arrays.items():
            t = own[k]
            t.data[...] = arr.astype(t.dtype, copy=False)
        return IncompatibleKeys(missing, unexpected)

    # -------------------------------------------------------------------------------------------- calling
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward(); subclasses of Module define it")

    def __call__(self, *args, **kwargs):
        if not _Call.stack:
            names = {id(m): n for n, m in self.named_modules()}
            path = ""
            outer = engine.current_scope()
        else:
            names, parent, outer = _Call.stack[-1]
            path = names.get(id(self))
            if path is None:  # a module not registered in the tree being called (e.g. kept in a plain list)
                path = f"{parent}.<{type(self).__name__}>" if parent else f"<{type(self).__name__}>"
        frame = (names, path, outer)
        with _path_scope(path, outer):
            _Call.stack.append(frame)
            try:
                return self.forward(*args, **kwargs)
            finally:
                _Call.stack.pop()

    # -------------------------------------------------------------------------------------------- repr
    def extra_repr(self) -> str:
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self):
        lines = []
        extra = self.extra_repr()
        if extra:
            lines.extend(extra.split("\n"))
        for name, m in self._modules.items():
            text = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {text}")
        main = self._get_name() + "("
        if lines:
            if len(lines) == 1 and not self._modules:
                main += lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"
