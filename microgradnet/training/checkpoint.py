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
checkpoint under the real name. Reading parses the zip and each ``.npy`` header itself (numbers only, never
pickle, so no code is ever executed from a file) and checks before inflating anything: the metadata member's
size, the format, the listed members, each member's declared size against the shape and dtype the metadata gives
it, and the total against the memory available. A model is rebuilt from the metadata only when its configuration
holds no more scalars than the file's arrays (see :func:`~microgradnet.models.state_size`). Every problem
raises :class:`CheckpointError` naming the file and what was expected.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
import zlib
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..fileio import atomic_write_bytes

FORMAT = "microgradnet-checkpoint"
VERSION = 1
META_KEY = "__meta__"
MAX_META_BYTES = 64 << 20  # the JSON metadata member; histories are arrays, so real metadata is a few KB
_NPY_MIN_HEADER, _NPY_MAX_HEADER = 16, 65_536 + 12  # .npy: magic, version, header length, the header dict
_CHUNK = 1 << 20


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


def read_checkpoint(path, max_bytes: int | None = None) -> Checkpoint:
    """Read and check a checkpoint file (see the module docstring). Raises :class:`CheckpointError`.

    Nothing is inflated before it is checked: the metadata member is read first (at most
    :data:`MAX_META_BYTES`), then every member's declared size is compared with what the metadata's shape and
    dtype need, and the total with ``max_bytes`` (default: the memory available, see
    :func:`~.memory.available_bytes`) -- so a small zip bomb is refused, with its figures, before it is read.
    """
    path = Path(path)
    where = f"checkpoint {path}"
    if not path.is_file():
        raise CheckpointError(f"{where}: no such file")
    try:
        meta, arrays = _read_members(path, where, max_bytes)
    except CheckpointError:
        raise
    except MemoryError:
        raise CheckpointError(f"{where}: refused: reading it ran out of memory") from None
    except RecursionError:
        raise CheckpointError(f"{where}: its metadata is nested too deeply to be a microgradnet checkpoint") from None
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, KeyError, ValueError, TypeError) as err:
        raise CheckpointError(f"{where}: damaged or truncated ({type(err).__name__}: {err})") from None
    return Checkpoint(str(path), meta, arrays)


def _not_a_zip(head: bytes, where: str) -> str:
    """Why a file that does not start like a zip archive is not a checkpoint, in words."""
    if head.startswith(b"\x93NUMPY"):
        return f"{where}: this is a single .npy array, not a microgradnet checkpoint (.npz)"
    if head[:1] == b"\x80":
        return f"{where}: this is a Python pickle, not a microgradnet checkpoint (.npz); pickled data is never loaded"
    if not head:
        return f"{where}: the file is empty, not a microgradnet checkpoint (.npz, a zip archive)"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and all(c.isprintable() or c in "\t\r\n" for c in text):
        return (f"{where}: this is a text file (it starts {text[:40]!r}), not a microgradnet checkpoint "
                "(.npz, a zip archive)")
    return f"{where}: not a microgradnet checkpoint (.npz, a zip archive): it starts with bytes {head[:8]!r}"


def _npy_header(fh, name: str, where: str):
    """(shape, fortran_order, dtype) from the header of the ``.npy`` member open in ``fh``."""
    version = np.lib.format.read_magic(fh)
    if version not in ((1, 0), (2, 0)):
        raise CheckpointError(f"{where}: member {name!r} is .npy format version {version}; expected 1.0 or 2.0")
    read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, fortran, dtype = read(fh)
    if dtype.hasobject:
        raise CheckpointError(f"{where}: refused: member {name!r} holds pickled Python objects (not a microgradnet "
                              "checkpoint, or tampered with); pickled data is never loaded")
    return shape, fortran, dtype


def _read_npy(zf, info, name, shape, dtype, where) -> np.ndarray:
    """Read one member into a fresh array, after checking its header against ``shape``/``dtype`` (metadata's)."""
    with zf.open(info) as fh:
        found_shape, fortran, found_dtype = _npy_header(fh, name, where)
        if list(found_shape) != list(shape) or found_dtype.str != dtype.str:
            raise CheckpointError(f"{where}: array {name!r} is {found_dtype.str} {tuple(found_shape)}, the metadata "
                                  f"says {dtype.str} {tuple(shape)}")
        out = np.empty(shape, dtype=dtype, order="F" if fortran else "C")
        view = memoryview(out.reshape(-1, order="A").view(np.uint8))
        pos = 0
        while pos < out.nbytes:
            block = fh.read(min(_CHUNK, out.nbytes - pos))
            if not block:
                raise CheckpointError(f"{where}: array {name!r} is truncated: {pos} of {out.nbytes} data bytes")
            view[pos:pos + len(block)] = block
            pos += len(block)
        if fh.read(1):
            raise CheckpointError(f"{where}: array {name!r} has more data than its shape {tuple(shape)} needs")
    return out


def _listed_arrays(meta: dict, where: str) -> dict:
    """The metadata's ``arrays`` table checked: name → (shape, dtype), numbers only."""
    listed = meta.get("arrays")
    if not isinstance(listed, dict):
        raise CheckpointError(f"{where}: metadata has no 'arrays' table")
    out = {}
    for name, entry in listed.items():
        ok = isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], list) and isinstance(entry[1], str)
        ok = ok and all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d < 2 ** 63 for d in entry[0])
        if not ok or len(entry[0]) > 32:
            raise CheckpointError(f"{where}: metadata entry for array {name!r} must be [shape, dtype], got "
                                  f"{str(entry)[:80]}")
        try:
            dtype = np.dtype(entry[1])
        except TypeError:
            raise CheckpointError(f"{where}: array {name!r} has an unknown dtype {entry[1]!r}") from None
        if dtype.kind not in "biuf" or dtype.str != entry[1]:
            raise CheckpointError(f"{where}: array {name!r} has dtype {entry[1]!r}; only numbers are accepted")
        out[name] = (tuple(entry[0]), dtype)
    return out


def _read_members(path: Path, where: str, max_bytes: int | None):
    with open(path, "rb") as fh:
        head = fh.read(64)
    if not head.startswith(b"PK"):
        raise CheckpointError(_not_a_zip(head, where))
    with zipfile.ZipFile(path) as zf:
        infos = {}
        for info in zf.infolist():
            if not info.filename.endswith(".npy") or info.filename in infos:
                raise CheckpointError(f"{where}: member {info.filename!r} is not a single .npy array; not a "
                                      "microgradnet checkpoint")
            infos[info.filename] = info
        meta_info = infos.pop(META_KEY + ".npy", None)
        if meta_info is None:
            raise CheckpointError(f"{where}: no '{META_KEY}' member; not a microgradnet checkpoint "
                                  f"(members: {sorted(infos)[:8]})")
        if meta_info.file_size > MAX_META_BYTES:
            raise CheckpointError(f"{where}: refused: its metadata member declares {meta_info.file_size:,} bytes; "
                                  f"a microgradnet checkpoint's is at most {MAX_META_BYTES:,}")
        with zf.open(meta_info) as mfh:
            shape, _, dtype = _npy_header(mfh, META_KEY, where)
            if shape != () or dtype.kind != "U":
                raise CheckpointError(f"{where}: '{META_KEY}' must be a JSON string, got an array {dtype} {shape}")
        raw = _read_npy(zf, meta_info, META_KEY, (), dtype, where)
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
        listed = _listed_arrays(meta, where)
        members = {k[:-len(".npy")]: info for k, info in infos.items()}
        missing, extra = sorted(set(listed) - set(members)), sorted(set(members) - set(listed))
        if missing or extra:
            raise CheckpointError(f"{where}: members do not match the metadata (missing {missing}, unlisted {extra})")
        total = 0
        for name, (shape, dtype) in listed.items():
            nbytes = math.prod(shape) * dtype.itemsize
            declared = members[name].file_size
            if not nbytes + _NPY_MIN_HEADER <= declared <= nbytes + _NPY_MAX_HEADER:
                raise CheckpointError(f"{where}: refused: member {name!r} declares {declared:,} bytes, but the "
                                      f"metadata's {dtype.str} {shape} needs {nbytes:,} (plus a header of at most "
                                      f"{_NPY_MAX_HEADER:,})")
            total += nbytes
        from .memory import available_bytes, format_bytes
        limit = available_bytes() if max_bytes is None else max_bytes
        if limit is not None and total > limit:
            raise CheckpointError(f"{where}: refused: its arrays need {format_bytes(total)} of memory; "
                                  f"{format_bytes(limit)} is available")
        arrays = {name: _read_npy(zf, members[name], name, shape, dtype, where)
                  for name, (shape, dtype) in listed.items()}
    return meta, arrays


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
    """Save just a model's state and how to rebuild it (``model.name`` / ``model.config`` for the homework models)."""
    meta = {"kind": "model", "model": model_description(model), **(extra or {})}
    return save_checkpoint(path, {f"model/{k}": v for k, v in module_arrays(model).items()}, meta)


def model_description(model) -> dict:
    desc = {"class": type(model).__name__}
    if getattr(model, "name", "") and isinstance(getattr(model, "config", None), dict):
        desc.update(name=model.name, config=model.config)
    return desc


def load_model(path, which: str = "model"):
    """Rebuild a homework model from a checkpoint's metadata and load its parameters.

    ``which``: ``"model"`` (the state when the file was written) or ``"best"`` (the best parameters by
    validation accuracy, if the checkpoint has them). Returns ``(model, checkpoint)``.
    """
    from ..models import MODELS, build_model, state_size
    from .memory import check_model_fits

    ck = read_checkpoint(path)
    desc = ck.meta.get("model", {})
    name = desc.get("name")
    if name not in MODELS:
        raise CheckpointError(f"checkpoint {path}: the model cannot be rebuilt: its metadata names {name!r} (class "
                              f"{desc.get('class')!r}); known homework models: {', '.join(MODELS)}. Build the model "
                              "yourself and use Solver.load_checkpoint")
    config = desc.get("config", {})
    try:
        if not isinstance(config, dict):
            raise TypeError(f"the config must be a JSON object, got {type(config).__name__}")
        need = state_size(name, **config)
        have = sum(a.size for a in ck.group("model").values())
        if need > have:  # the file bounds the model: refuse before building what the arrays could not fill
            raise ValueError(f"that configuration holds {need:,} scalars, the file's model arrays only {have:,}; "
                             "nothing was built")
        check_model_fits(name, config, "building it")  # a second copy beside the arrays just read
        model = build_model(name, **config)
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
