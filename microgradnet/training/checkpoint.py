"""Checkpoints: one ``.npz`` file of plain arrays plus a JSON description, written atomically, read without pickle.

Layout of the file (a numpy ``.npz``, i.e. a zip of ``.npy`` arrays)::

    __meta__            0-d unicode array: a JSON object (format, version, epoch, model name and config,
                        optimiser hyper-parameters, scheduler, RNG states, histories' scalars, user metadata, and
                        "arrays": {name: [shape, dtype]} listing every other member)
    model/<name>        the model's state_dict: parameters and persistent buffers (dotted names)
    best/<name>         the best parameters so far (by validation accuracy), when known
    optim/<i>/<key>     the optimiser's per-parameter state arrays (momentum buffers, Adam moments ...)
    history/<name>      loss per iteration, accuracies per epoch ...

Writing goes to a temporary file in the same folder, then ``os.replace`` -- a crash never leaves a half-written
checkpoint under the real name. Reading uses ``np.load(allow_pickle=False)``, so no code is ever executed from a
file, and checks the format, the listed members and their shapes/dtypes before anything is used. Every problem
raises :class:`CheckpointError` naming the file and what was expected.
"""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..fileio import atomic_write_bytes

FORMAT = "microgradnet-checkpoint"
VERSION = 1
META_KEY = "__meta__"


class CheckpointError(ValueError):
    """A checkpoint that cannot be read, or does not fit the model / optimiser it is loaded into."""


class Checkpoint(NamedTuple):
    """A checkpoint read into memory: its path, the JSON metadata and the arrays by name."""

    path: str
    meta: dict
    arrays: dict

    def group(self, prefix: str) -> dict:
        """The arrays under ``prefix/`` with the prefix stripped (``group("model")`` is the model state)."""
        pre = prefix.rstrip("/") + "/"
        return {k[len(pre):]: v for k, v in self.arrays.items() if k.startswith(pre)}


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (tuple, set)):
        return list(o)
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"checkpoint metadata: cannot store a {type(o).__name__} as JSON")


def to_json(obj, **kw) -> str:
    """JSON text for metadata (numpy scalars become numbers; NaN/inf are refused: JSON has no such numbers)."""
    return json.dumps(obj, default=_json_default, allow_nan=False, **kw)


def save_checkpoint(path, arrays: dict, meta: dict) -> Path:
    """Write ``arrays`` (name → numeric array) and ``meta`` (JSON-able dict) to ``path`` atomically."""
    path = Path(path)
    where = f"save_checkpoint({path})"
    clean = {}
    for name, a in arrays.items():
        if not isinstance(name, str) or not name or name == META_KEY:
            raise ValueError(f"{where}: bad array name {name!r}")
        a = np.asarray(a)
        if a.dtype == object or a.dtype.kind not in "biuf":
            raise TypeError(f"{where}: array {name!r} has dtype {a.dtype}; only numbers can be stored")
        clean[name] = a
    meta = {**meta, "format": FORMAT, "version": VERSION,
            "arrays": {k: [list(a.shape), a.dtype.str] for k, a in clean.items()}}
    try:
        text = to_json(meta)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{where}: metadata is not JSON-able: {err}") from None
    buf = io.BytesIO()
    np.savez(buf, **{META_KEY: np.array(text)}, **clean)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_bytes(path, buf.getvalue())


def read_checkpoint(path) -> Checkpoint:
    """Read and check a checkpoint file (see the module docstring). Raises :class:`CheckpointError`."""
    path = Path(path)
    where = f"checkpoint {path}"
    if not path.is_file():
        raise CheckpointError(f"{where}: no such file")
    try:
        z = np.load(path, allow_pickle=False)
        if not isinstance(z, np.lib.npyio.NpzFile):
            raise CheckpointError(f"{where}: this is a single .npy array, not a microgradnet checkpoint (.npz)")
        with z:
            arrays = {k: z[k] for k in z.files}
    except CheckpointError:
        raise
    except ValueError as err:
        if "pickle" in str(err):
            raise CheckpointError(f"{where}: refused: the file needs pickle to load (not a microgradnet "
                                  f"checkpoint, or tampered with); pickled data is never loaded ({err})") from None
        raise CheckpointError(f"{where}: unreadable ({err})") from None
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, KeyError) as err:
        raise CheckpointError(f"{where}: damaged or truncated ({type(err).__name__}: {err})") from None
    if META_KEY not in arrays:
        raise CheckpointError(f"{where}: no '{META_KEY}' member; not a microgradnet checkpoint "
                              f"(members: {sorted(arrays)[:8]})")
    raw = arrays.pop(META_KEY)
    if raw.shape != () or raw.dtype.kind != "U":
        raise CheckpointError(f"{where}: '{META_KEY}' must be a JSON string, got an array {raw.dtype} {raw.shape}")
    try:
        meta = json.loads(str(raw))
    except json.JSONDecodeError as err:
        raise CheckpointError(f"{where}: metadata is not valid JSON ({err})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{where}: not a microgradnet checkpoint (format "
                              f"{meta.get('format') if isinstance(meta, dict) else None!r}, expected {FORMAT!r})")
    if not isinstance(meta.get("version"), int) or meta["version"] > VERSION:
        raise CheckpointError(f"{where}: format version {meta.get('version')!r}; this microgradnet reads up to "
                              f"version {VERSION}")
    listed = meta.get("arrays")
    if not isinstance(listed, dict):
        raise CheckpointError(f"{where}: metadata has no 'arrays' table")
    missing = sorted(set(listed) - set(arrays))
    extra = sorted(set(arrays) - set(listed))
    if missing or extra:
        raise CheckpointError(f"{where}: members do not match the metadata (missing {missing}, unlisted {extra})")
    for k, (shape, dtype) in listed.items():
        a = arrays[k]
        if list(a.shape) != list(shape) or a.dtype.str != dtype:
            raise CheckpointError(f"{where}: array {k!r} is {a.dtype.str} {a.shape}, the metadata says {dtype} "
                                  f"{tuple(shape)}")
        if a.dtype.kind not in "biuf":
            raise CheckpointError(f"{where}: array {k!r} has dtype {a.dtype}; only numbers are accepted")
    return Checkpoint(str(path), meta, arrays)


# ---------------------------------------------------------------------------------------------------- packing
def module_arrays(module) -> dict:
    """Copies of ``module.state_dict()`` as numpy arrays (parameters and persistent buffers)."""
    return {k: np.array(t.data if hasattr(t, "data") else t) for k, t in module.state_dict().items()}


def check_module_state(module, state: dict, where: str) -> None:
    """Refuse (CheckpointError) unless ``state`` has exactly the module's names and shapes; lists every problem."""
    own = {k: tuple(np.shape(t.data)) for k, t in module.state_dict().items()}
    problems = []
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    if missing:
        problems.append("missing from the checkpoint: " + ", ".join(missing))
    if unexpected:
        problems.append("not in the model: " + ", ".join(unexpected))
    for k, shape in own.items():
        if k in state and tuple(state[k].shape) != shape:
            problems.append(f"size mismatch for {k}: checkpoint {tuple(state[k].shape)}, model {shape}")
    if problems:
        raise CheckpointError(f"{where}: does not fit {type(module).__name__} (nothing was changed):\n  "
                              + "\n  ".join(problems))


def optimizer_to_arrays(optimizer) -> tuple[dict, dict]:
    """(arrays ``{i}/{key}``, JSON-able description) of ``optimizer.state_dict()``."""
    sd = optimizer.state_dict()
    arrays, scalars = {}, {}
    for i, st in sd["state"].items():
        for key, v in st.items():
            if isinstance(v, np.ndarray):
                arrays[f"{i}/{key}"] = v
            else:
                scalars.setdefault(str(i), {})[key] = v
    return arrays, {"class": type(optimizer).__name__, "param_groups": sd["param_groups"], "scalars": scalars}


def optimizer_from_arrays(desc: dict, arrays: dict) -> dict:
    """Inverse of :func:`optimizer_to_arrays`: a ``state_dict`` for ``Optimizer.load_state_dict``."""
    state: dict = {}
    for i, entry in desc.get("scalars", {}).items():
        state.setdefault(int(i), {}).update(entry)
    for name, a in arrays.items():
        i, key = name.split("/", 1)
        state.setdefault(int(i), {})[key] = a
    return {"state": state, "param_groups": desc["param_groups"]}


def save_model(path, model, extra: dict | None = None) -> Path:
    """Save just a model's state and how to rebuild it (``model.name`` / ``model.config`` for the seed models)."""
    meta = {"kind": "model", "model": model_description(model), **(extra or {})}
    return save_checkpoint(path, {f"model/{k}": v for k, v in module_arrays(model).items()}, meta)


def model_description(model) -> dict:
    desc = {"class": type(model).__name__}
    if getattr(model, "name", "") and isinstance(getattr(model, "config", None), dict):
        desc.update(name=model.name, config=model.config)
    return desc


def load_model(path, which: str = "model"):
    """Rebuild a seed model from a checkpoint's metadata and load its parameters.

    ``which``: ``"model"`` (the state when the file was written) or ``"best"`` (the best parameters by
    validation accuracy, if the checkpoint has them). Returns ``(model, checkpoint)``.
    """
    from ..models import MODELS, build_model

    ck = read_checkpoint(path)
    desc = ck.meta.get("model", {})
    name = desc.get("name")
    if name not in MODELS:
        raise CheckpointError(f"checkpoint {path}: the model cannot be rebuilt: its metadata names {name!r} (class "
                              f"{desc.get('class')!r}); known seed models: {', '.join(MODELS)}. Build the model "
                              "yourself and use Solver.load_checkpoint")
    try:
        model = build_model(name, **desc.get("config", {}))
    except (TypeError, ValueError) as err:
        raise CheckpointError(f"checkpoint {path}: cannot rebuild model {name!r} from its config "
                              f"{desc.get('config')}: {err}") from None
    state = ck.group(which)
    if which == "best" and not state:
        raise CheckpointError(f"checkpoint {path}: has no best parameters (no epoch finished)")
    check_module_state(model, state, f"checkpoint {path}")
    model.load_state_dict(state)
    model.eval()
    return model, ck


__all__ = ["FORMAT", "VERSION", "Checkpoint", "CheckpointError", "check_module_state", "load_model",
           "model_description", "module_arrays", "optimizer_from_arrays", "optimizer_to_arrays", "read_checkpoint",
           "save_checkpoint", "save_model", "to_json"]
