"""Faults and hostile files (issue 13): one section per numbered item of the issue, each with its reproducer.

Item 1 (per-thread grad mode) and item 6 (Value/Tensor agreement, copies) are tested in ``test_faults_engine.py``.
Hostile files are built here from small generated data; where a test must show that memory stays bounded it runs
the reader in a subprocess under ``RLIMIT_AS`` (address space) so a regression fails instead of swapping.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import pickle
import struct
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest

from microgradnet.cli import main
from microgradnet.data import cifar
from microgradnet.data.cifar import CifarError, SafeUnpickler, UnsafePickleError, read_cifar_batch, safe_load_pickle
from microgradnet.data.idx import IdxError, read_idx, write_idx
from microgradnet.models import MLP, build_model, state_size
from microgradnet.training import checkpoint as ck
from microgradnet.training.evaluate_cli import evaluate

ROOT = Path(__file__).resolve().parents[1]
GiB = 1 << 30


def run_limited(code: str, limit: int = GiB, cwd=None, timeout=120) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter whose address space is capped at ``limit`` bytes."""
    prelude = f"import resource\nresource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))\n"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=timeout)


def outcome_under_limit(call: str, error: str, path, limit: int = 512 << 20) -> str:
    """``call(path)`` in a fresh interpreter under ``limit`` bytes of address space: "refused <message>" if it
    raised ``error`` (``module.Name``), "accepted <repr>" otherwise; any other end fails the test."""
    module, func = call.rsplit(".", 1)
    err_module, err_name = error.rsplit(".", 1)
    r = run_limited(f"""
        from {module} import {func}
        from {err_module} import {err_name}
        try:
            out = {func}({str(path)!r})
        except {err_name} as err:
            print("refused", err)
        else:
            print("accepted", repr(out))
        """, limit=limit)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


# ================================================================================================================
# 2. Checkpoints that cannot disagree
# ================================================================================================================
# 3 epochs of this run: validation accuracy improves, improves, falls (0.463, 0.523, 0.507), so the best epoch (2)
# is not the last one -- the case in which a stale best.npz used to survive resume for good.
# the optimiser and dtype are given: these tests' figures were worked out for Adam in float64 (the spiral's own
# recipe is SGD with momentum in float32, see training/recipes.py)
TRAIN = ["train", "spiral", "--model", "mlp", "--hidden", "8", "--lr", "0.01", "--batch-size", "32", "--epochs", "3",
         "--optimizer", "adam", "--dtype", "float64", "--no-progress", "--quiet", "--no-plots"]

# Forks one child per boundary from a process that has imported microgradnet once. A boundary is each step of
# fileio.atomic_write_bytes that changes what is on disk: before the temporary is made (mkstemp), with the
# temporary complete but not renamed (os.replace), and after the rename. The k-th boundary ends the child with
# os._exit(99) -- no cleanup, no finally blocks, as a SIGKILL would.
KILL_DRIVER = r"""
import json, os, sys, tempfile
from microgradnet.cli import main
from microgradnet.data import cifar
from microgradnet.data.cifar import CifarError, SafeUnpickler, UnsafePickleError, read_cifar_batch, safe_load_pickle
from microgradnet.data.idx import IdxError, read_idx, write_idx

argv, outs = json.loads(sys.argv[1]), json.loads(sys.argv[2])
real_mkstemp, real_replace = tempfile.mkstemp, os.replace
count, kill_at = [0], [0]

def boundary():
    count[0] += 1
    if count[0] == kill_at[0]:
        os._exit(99)

def mkstemp(*a, **kw):
    boundary()
    return real_mkstemp(*a, **kw)

def replace(src, dst):
    boundary()
    real_replace(src, dst)
    boundary()

tempfile.mkstemp, os.replace = mkstemp, replace

def child(args, k):
    pid = os.fork()
    if pid == 0:
        kill_at[0] = k
        sys.stdout = sys.stderr = open(os.devnull, "w")
        code = main(args)
        sys.stdout.flush()
        os._exit(100 + code)  # 100: finished normally; count[0] boundaries passed
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])

results = []
for k, out in enumerate(outs, start=1):
    killed = child(argv + ["--out", out], k)
    resumed = child(argv + ["--out", out, "--resume"], 0)
    fresh = child(argv + ["--out", out], 0) if resumed != 100 else None
    results.append([k, killed, resumed, fresh])
# the number of boundaries in a whole run, counted in a child that is not killed
pid = os.fork()
if pid == 0:
    main(argv + ["--out", outs[0] + "-count"])
    os._exit(min(count[0], 250))
results.append(["count", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])])
print(json.dumps(results))
"""


def _agree(out: Path, reference: dict):
    """metrics.json, last.npz, best.npz and `evaluate` tell one story, the uninterrupted run's."""
    m = json.loads((out / "metrics.json").read_text())
    last, best = ck.read_checkpoint(out / "last.npz"), ck.read_checkpoint(out / "best.npz")
    assert m["best_epoch"] == last.meta["best_epoch"] == best.meta["epoch"] == reference["best_epoch"]
    assert last.meta["epoch"] == m["epochs_run"] == 3
    last_best, best_model = last.group("best"), best.group("model")
    assert last_best.keys() == best_model.keys()
    for k, v in last_best.items():
        np.testing.assert_array_equal(best_model[k], v)
    r = evaluate(out)
    assert r["epoch"] == m["best_epoch"] and r["accuracy"] == m["test_acc"] == reference["test_acc"]
    assert m["history"] == reference["history"]
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]


def test_a_kill_at_every_write_boundary_then_resume_leaves_files_that_agree(tmp_path):
    ref_dir = tmp_path / "reference"
    assert main(TRAIN + ["--out", str(ref_dir)]) == 0
    reference = json.loads((ref_dir / "metrics.json").read_text())
    assert reference["history"]["val_acc"][2] < reference["history"]["val_acc"][1]  # the scenario described above
    assert reference["best_epoch"] == 2
    # writes: the probe of --out, last1 best1 last2 best2 last3 metrics.json = 7, three boundaries each but the
    # probe's one (it is removed, not renamed)
    n = 19
    outs = [str(tmp_path / f"k{k:02d}") for k in range(1, n + 1)]
    proc = subprocess.run([sys.executable, "-c", KILL_DRIVER, json.dumps(TRAIN), json.dumps(outs)],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads(proc.stdout.splitlines()[-1])
    assert results[-1] == ["count", n]
    for k, killed, resumed, fresh in results[:-1]:
        out = Path(outs[k - 1])
        assert killed == 99, (k, killed)  # the child died at boundary k, every time
        if resumed != 100:
            # killed before the first last.npz existed: resume refuses (exit 2); a fresh run finishes
            assert k <= 3 and resumed == 102 and fresh == 100, (k, resumed, fresh)
        _agree(out, reference)


def test_resume_rewrites_a_best_npz_left_behind_by_a_kill_between_the_two_writes(tmp_path, capsys):
    """The issue's reproducer, by hand: last.npz of epoch 2 (the best), best.npz still of epoch 1."""
    out = tmp_path / "run"
    assert main(TRAIN + ["--epochs", "2", "--out", str(out)]) == 0  # the last --epochs wins
    stale = tmp_path / "epoch1"
    assert main(TRAIN + ["--epochs", "1", "--out", str(stale)]) == 0
    os.replace(stale / "best.npz", out / "best.npz")
    (out / ".last.npz.abcd1234.tmp").write_bytes(b"half a checkpoint")
    (out / ".best.npz.x.tmp").write_bytes(b"")
    assert ck.read_checkpoint(out / "best.npz").meta["epoch"] == 1 != ck.read_checkpoint(out / "last.npz").meta[
        "best_epoch"]
    assert main(TRAIN + ["--out", str(out), "--resume"]) == 0
    reference_dir = tmp_path / "reference"
    assert main(TRAIN + ["--out", str(reference_dir)]) == 0
    _agree(out, json.loads((reference_dir / "metrics.json").read_text()))


def test_a_best_npz_removed_by_hand_is_rewritten_from_the_best_parameters(tmp_path):
    out = tmp_path / "run"
    assert main(TRAIN + ["--out", str(out)]) == 0
    expected = ck.read_checkpoint(out / "best.npz").group("model")
    (out / "best.npz").unlink()
    assert main(TRAIN + ["--out", str(out), "--resume"]) == 0
    best = ck.read_checkpoint(out / "best.npz")
    assert best.meta["kind"] == "model" and best.meta["epoch"] == 2  # the epoch's full state is gone; its weights
    for k, v in expected.items():
        np.testing.assert_array_equal(best.group("model")[k], v)
    m = json.loads((out / "metrics.json").read_text())
    assert evaluate(out)["accuracy"] == m["test_acc"]


# ================================================================================================================
# 3. Bounded reads: checkpoints, model configurations, IDX, CIFAR pickles
# ================================================================================================================
def _npy_header(shape, descr="<f8") -> bytes:
    b = io.BytesIO()
    np.lib.format.write_array_header_1_0(b, {"descr": descr, "fortran_order": False, "shape": shape})
    return b.getvalue()


def _zip_bomb_checkpoint(path: Path, declared_items: int) -> None:
    """A checkpoint whose metadata lists model/w as float64 (3,) but whose member inflates to 8·n bytes of zeros."""
    ck.save_checkpoint(path.with_suffix(".good.npz"), {"model/w": np.ones(3)}, {"kind": "model"})
    with zipfile.ZipFile(path.with_suffix(".good.npz")) as zin, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        zout.writestr("__meta__.npy", zin.read("__meta__.npy"))
        with zout.open("model/w.npy", "w", force_zip64=True) as fh:
            fh.write(_npy_header((declared_items,)))
            zeros = bytes(1 << 20)
            for _ in range(declared_items * 8 >> 20):
                fh.write(zeros)


def test_an_npz_zip_bomb_is_refused_from_its_declared_size_before_inflating(tmp_path):
    bomb = tmp_path / "bomb.npz"
    _zip_bomb_checkpoint(bomb, 64 << 20)  # 512 MiB of zeros in a ~0.5 MB file (the was 1.58 GB in 1.6 MB)
    assert bomb.stat().st_size < 1 << 20
    with pytest.raises(ck.CheckpointError, match=r"bomb.npz: refused: member 'model/w' declares 536,871,040 bytes, "
                                                 r"but the metadata's <f8 \(3,\) needs 24"):
        ck.read_checkpoint(bomb)
    # and within 512 MiB of address space, so nothing was inflated
    out = outcome_under_limit("microgradnet.training.checkpoint.read_checkpoint",
                              "microgradnet.training.checkpoint.CheckpointError", bomb)
    assert out.startswith("refused") and "declares 536,871,040 bytes" in out


def test_a_checkpoint_whose_metadata_is_consistent_but_larger_than_memory_is_refused_with_the_figures(tmp_path):
    # metadata and member agree on 2^24 float64 (128 MiB of zeros, deflated to ~0.1 MB); max_bytes stands in for
    # the machine's memory
    ck.save_checkpoint(tmp_path / "g.npz", {"w": np.ones(3)}, {"kind": "model"})
    with zipfile.ZipFile(tmp_path / "g.npz") as z:
        meta = json.loads(str(np.load(io.BytesIO(z.read("__meta__.npy")))))
    meta["arrays"] = {"w": [[1 << 24], "<f8"]}
    big = tmp_path / "big.npz"
    with zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as z:
        b = io.BytesIO()
        np.save(b, np.array(json.dumps(meta)))
        z.writestr("__meta__.npy", b.getvalue())
        with z.open("w.npy", "w", force_zip64=True) as fh:
            fh.write(_npy_header((1 << 24,)))
            zeros = bytes(1 << 20)
            for _ in range(128):
                fh.write(zeros)
    with pytest.raises(ck.CheckpointError, match=r"big.npz: refused: its arrays need 128 MiB of memory; 64 MiB is "
                                                 r"available"):
        ck.read_checkpoint(big, max_bytes=64 << 20)
    assert ck.read_checkpoint(big, max_bytes=256 << 20).arrays["w"].shape == (1 << 24,)  # within the limit: read


def _model_file(path, config_override, kind="model"):
    m = MLP(2, [3], 3)
    desc = ck.model_description(m)
    desc["config"] = {**desc["config"], **config_override}
    ck.save_checkpoint(path, {f"model/{k}": v for k, v in ck.module_arrays(m).items()},
                       {"kind": kind, "model": desc, "user": {"dataset": {"name": "spiral", "seed": 0}}})


def test_a_model_configuration_in_a_file_is_bounded_by_the_file_before_anything_is_built(tmp_path):
    _model_file(tmp_path / "big.npz", {"hidden": [10000, 10000]})  # the issue: a 1.57 GB model was built
    out = outcome_under_limit("microgradnet.training.checkpoint.load_model",
                              "microgradnet.training.checkpoint.CheckpointError", tmp_path / "big.npz")
    assert out.startswith("refused") and "cannot rebuild model 'mlp'" in out
    assert "holds 100,070,003 scalars, the file's model arrays only 21; nothing was built" in out


def test_evaluate_refuses_a_huge_configuration_in_one_line(tmp_path):
    """The issue: `[100000]*2` through evaluate tried to allocate 74.5 GiB."""
    _model_file(tmp_path / "best.npz", {"hidden": [100000, 100000]})
    r = run_limited(f"""
        import sys
        from microgradnet.cli import main
        sys.exit(main(["evaluate", {str(tmp_path)!r}]))
        """)
    assert r.returncode == 2 and r.stdout == "", r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    # 2·10⁵ + 10⁵ (first layer) + 10¹⁰ + 10⁵ (second) + 3·10⁵ + 3 (output); MLP(2, [3], 3) holds 9 + 3 + 9
    assert "holds 10,000,700,003 scalars, the file's model arrays only 21" in r.stderr


@pytest.mark.parametrize("name,config", [
    ("logistic", dict(in_features=7, hidden=0)), ("logistic", dict(in_features=7, hidden=5)),
    ("svm", dict(in_features=3, hidden=4)), ("softmax", dict(in_features=6, n_classes=4)),
    ("mlp", dict(in_features=2, hidden=[5, 6], n_classes=3, batch_norm=True)), ("mlp", dict(hidden=9)),
    ("twolayer", dict(in_features=8, hidden=5, n_classes=3, batch_norm=True)),
    ("cnn", dict(in_channels=2, image_size=12, channels=(3, 4), kernel_size=3, hidden=7, batch_norm=True)),
    ("cnn", dict(image_size=9, channels=3, kernel_size=1)),
    ("vgg11", dict(width=0.1, batch_norm=True)), ("vgg11", dict(width=0.05, classifier_hidden=0)),
])
def test_state_size_counts_what_the_built_model_holds(name, config):
    model = build_model(name, **config)
    assert state_size(name, **config) == sum(t.data.size for t in model.state_dict().values())


def _gz_idx(path: Path, dims, zeros_mib: int) -> Path:
    """A gzip IDX file whose header declares ``dims`` of uint8, followed by ``zeros_mib`` MiB of zeros."""
    with gzip.open(path, "wb", compresslevel=9) as g:
        g.write(bytes([0, 0, 8, len(dims)]) + np.asarray(dims, dtype=">u4").tobytes())
        zeros = bytes(1 << 20)
        for _ in range(zeros_mib):
            g.write(zeros)
    return path


def test_an_idx_gz_declaring_more_than_the_limit_is_refused_from_its_header_before_inflating(tmp_path):
    """The issue: a 2 MB .gz reached 4.1 GB RSS. Here 64 MiB of zeros behind a header declaring 10 GB (64 KB)."""
    bomb = _gz_idx(tmp_path / "bomb-idx3-ubyte.gz", (100000, 1000, 100), 64)
    assert bomb.stat().st_size < 100_000
    msg = (r"IDX file .*bomb-idx3-ubyte.gz: refused: dims \(100000, 1000, 100\) of uint8 declare 10,000,000,000 data "
           r"bytes, more than the limit of 1,073,741,824")
    with pytest.raises(IdxError, match=msg):
        read_idx(bomb)
    out = outcome_under_limit("microgradnet.data.idx.read_idx", "microgradnet.data.idx.IdxError", bomb)
    assert out.startswith("refused") and "10,000,000,000" in out


def test_an_idx_gz_within_the_limit_is_read_in_blocks_and_a_long_tail_is_counted_not_kept(tmp_path):
    # declares 1000 bytes, then 200 MiB more follow: refused after counting 64 MiB of the tail, in bounded memory
    tail = _gz_idx(tmp_path / "tail.gz", (1000,), 200)
    out = outcome_under_limit("microgradnet.data.idx.read_idx", "microgradnet.data.idx.IdxError", tail)
    assert out.startswith("refused") and "data size does not match dims: dims (1000,) of uint8 need 1000 data bytes, " \
                                         "found at least" in out
    small = tmp_path / "ok.gz"
    write_idx(small, np.arange(60, dtype=np.uint8).reshape(3, 4, 5))
    np.testing.assert_array_equal(read_idx(small), np.arange(60).reshape(3, 4, 5))
    with pytest.raises(IdxError, match=r"ok.gz: refused: dims \(3, 4, 5\) of uint8 declare 60 data bytes, more than "
                                       r"the limit of 59"):
        read_idx(small, max_bytes=59)


def _memo_shared_labels_batch() -> bytes:
    """A CIFAR batch whose labels are [[[0]*1000]*1000]*1000 with the inner lists shared through the pickle memo:
    37 KB that np.asarray would expand to 10⁹ int64 (7.45 GiB)."""
    inner = [0] * 1000
    for _ in range(2):
        inner = [inner] * 1000
    return pickle.dumps({b"data": np.zeros((10, 3072), np.uint8), b"labels": inner}, protocol=2)


def test_a_cifar_batch_of_memo_shared_nested_lists_is_refused_without_expanding_it(tmp_path):
    path = tmp_path / "data_batch_1"
    path.write_bytes(_memo_shared_labels_batch())
    assert path.stat().st_size < 40_000
    with pytest.raises(CifarError, match=r"data_batch_1: 'labels' must be a flat list of ints, found a list in it"):
        read_cifar_batch(path)
    out = outcome_under_limit("microgradnet.data.cifar.read_cifar_batch", "microgradnet.data.cifar.CifarError", path)
    assert out.startswith("refused") and "flat list of ints" in out


class _Reconstruct:
    def __init__(self, shape):
        self.shape = shape

    def __reduce__(self):
        from numpy._core.multiarray import _reconstruct
        return (_reconstruct, (np.ndarray, self.shape, b"b"))


@pytest.mark.parametrize("payload,match", [
    # numpy's _reconstruct asked for 9 TiB (a MemoryError with numpy's message before)
    (pickle.dumps({b"data": _Reconstruct((10 ** 7, 10 ** 6))}, protocol=2),
     r"_reconstruct is allowed only as _reconstruct\(ndarray, \(0,\), ...\)"),
    # a bytes length field of 2^40 (the C unpickler tried to allocate it)
    (b"\x80\x04\x8e" + struct.pack("<Q", 1 << 40) + b".", "truncated or corrupt pickle"),
])
def test_a_hostile_cifar_pickle_is_refused_naming_the_file_in_bounded_memory(tmp_path, payload, match):
    path = tmp_path / "test_batch"
    path.write_bytes(payload)
    with pytest.raises(CifarError, match="test_batch: .*" + match):
        safe_load_pickle(path)
    out = outcome_under_limit("microgradnet.data.cifar.safe_load_pickle", "microgradnet.data.cifar.CifarError", path)
    assert out.startswith(f"refused {path}: ")


def test_a_memo_index_of_two_to_the_31_costs_nothing(tmp_path):
    """9 bytes: PROTO 2, EMPTY_DICT, LONG_BINPUT 0x7fffffff, STOP. The C unpickler sizes its memo array by the index
    (16 GiB); the pure-Python one used here keeps a dict. Under 512 MiB of address space it loads as {}."""
    path = tmp_path / "batches.meta"
    path.write_bytes(b"\x80\x02}r\xff\xff\xff\x7f.")
    assert outcome_under_limit("microgradnet.data.cifar.safe_load_pickle", "builtins.ValueError", path) == \
        "accepted {}\n"


def test_a_cifar_pickle_is_capped_in_operations_and_bytes(tmp_path):
    data = pickle.dumps(list(range(1000)), protocol=2)  # 1000 BININT2/BININT1 + a few more operations
    with pytest.raises(UnsafePickleError, match=r"many.pkl: refused: more than 100 pickle operations"):
        SafeUnpickler(io.BytesIO(data), name="many.pkl", max_ops=100).load()
    assert SafeUnpickler(io.BytesIO(data), name="many.pkl", max_ops=2000).load() == list(range(1000))
    path = tmp_path / "big.pkl"
    path.write_bytes(data)
    with pytest.raises(UnsafePickleError, match=r"big.pkl: refused: larger than 1,000 bytes"):
        safe_load_pickle(path, max_bytes=1000)


def test_a_cifar_tarball_member_larger_than_the_cap_is_refused_before_it_is_read(tmp_path, monkeypatch):
    tar_path = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(tar_path, "w:gz") as tar:
        blob = bytes(5000)
        info = tarfile.TarInfo("cifar-10-batches-py/data_batch_1")
        info.size = len(blob)
        tar.addfile(info, io.BytesIO(blob))
    monkeypatch.setattr(cifar, "MAX_PICKLE_BYTES", 4096)
    with pytest.raises(CifarError, match=r"cifar-10-python.tar.gz: refused: cifar-10-batches-py/data_batch_1 "
                                         r"declares 5,000 bytes, more than 4,096"):
        cifar.read_cifar10_tarball(tar_path)


# ================================================================================================================
# 4. Raw exceptions become the module's own error, naming the file
# ================================================================================================================
def _npz_with_meta(path, text):
    b = io.BytesIO()
    np.savez(b, __meta__=np.array(text))
    path.write_bytes(b.getvalue())


@pytest.mark.parametrize("make,match", [
    (lambda p: _npz_with_meta(p, "[" * 100_000), "nested too deeply"),  # was RecursionError
    (lambda p: _npz_with_meta(p, json.dumps({"format": ck.FORMAT, "version": 1, "arrays": {"a": 5}})),
     r"metadata entry for array 'a' must be \[shape, dtype\], got 5"),  # was TypeError
    (lambda p: _npz_with_meta(p, json.dumps({"format": ck.FORMAT, "version": 1, "arrays": {"a": [[2], "|O"]}})),
     "only numbers are accepted"),
    (lambda p: p.write_text("hello, this is a text file\n"),
     r"this is a text file \(it starts 'hello, this is a text file\\n'\), not a microgradnet checkpoint"),
    (lambda p: p.write_bytes(b""), "the file is empty"),
    (lambda p: p.write_bytes(b"\x80\x04K\x01."), "this is a Python pickle.*never loaded"),
    (lambda p: p.write_bytes(b"\x00\xff\x10binary"), r"starts with bytes b'\\x00\\xff\\x10binar'"),
])
def test_read_checkpoint_raises_checkpoint_error_naming_the_file(tmp_path, make, match):
    path = tmp_path / "x.npz"
    make(path)
    with pytest.raises(ck.CheckpointError, match=match) as err:
        ck.read_checkpoint(path)
    assert str(path) in str(err.value)


def test_read_checkpoint_turns_memory_error_into_checkpoint_error(tmp_path, monkeypatch):
    ck.save_checkpoint(tmp_path / "a.npz", {"w": np.ones(3)}, {"kind": "model"})

    def no_memory(*a, **kw):
        raise MemoryError

    monkeypatch.setattr(ck.np, "empty", no_memory)
    with pytest.raises(ck.CheckpointError, match=r"a.npz: refused: reading it ran out of memory"):
        ck.read_checkpoint(tmp_path / "a.npz")


def test_idx_dims_whose_product_overflows_int64_are_named_with_the_file(tmp_path):
    """The issue: "need -9223372036854775808 data bytes", without the file's name."""
    path = tmp_path / "ovf-idx1-ubyte"
    path.write_bytes(bytes([0, 0, 8, 4]) + np.array([2 ** 32 - 1] * 4, dtype=">u4").tobytes())
    with pytest.raises(IdxError, match=r"IDX file .*ovf-idx1-ubyte: refused: dims \(4294967295, 4294967295, "
                                       r"4294967295, 4294967295\) of uint8 declare "
                                       r"340,282,366,604,025,813,516,997,721,482,669,850,625 data bytes"):
        read_idx(path)
    assert (2 ** 32 - 1) ** 4 == 340282366604025813516997721482669850625


def test_the_restricted_unpickler_turns_memory_error_into_an_error_naming_the_file(tmp_path, monkeypatch):
    path = tmp_path / "data_batch_2"
    path.write_bytes(pickle.dumps({b"labels": [1]}, protocol=2))

    def no_memory(self):
        raise MemoryError  # an empty message, as the C unpickler gave

    monkeypatch.setattr(SafeUnpickler, "load", no_memory)
    with pytest.raises(CifarError, match=r"data_batch_2: refused: unpickling it ran out of memory"):
        safe_load_pickle(path)


def test_train_resume_from_a_malformed_state_is_one_line_and_exit_2(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(TRAIN + ["--out", str(out)]) == 0
    c = ck.read_checkpoint(out / "last.npz")
    meta = dict(c.meta)
    meta["optimizer"] = ["not", "a", "dict"]  # TypeError inside load_checkpoint before
    ck.save_checkpoint(out / "last.npz", c.arrays, {k: v for k, v in meta.items() if k not in ("arrays",)})
    capsys.readouterr()
    assert main(TRAIN + ["--out", str(out), "--resume"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "malformed training state" in err and "last.npz" in err


# ================================================================================================================
# 5. The train command: output paths, OSError, non-finite numbers, memory -- one line and exit 2, before any work
# ================================================================================================================
def _one_line_error(capsys, *fragments):
    cap = capsys.readouterr()
    assert cap.out == "" and cap.err.count("\n") == 1, cap
    for f in fragments:
        assert f in cap.err, (f, cap.err)
    return cap.err


def test_out_that_is_an_existing_file_is_refused_before_any_work(tmp_path, capsys):
    f = tmp_path / "results.txt"
    f.write_text("keep me")
    assert main(TRAIN + ["--out", str(f)]) == 2
    _one_line_error(capsys, f"--out {f}: is an existing file")
    assert f.read_text() == "keep me"


def test_out_under_a_file_is_refused_before_any_work(tmp_path, capsys):
    f = tmp_path / "results.txt"
    f.write_text("x")
    assert main(TRAIN + ["--out", str(f / "run" / "a")]) == 2
    _one_line_error(capsys, f"{f} is a file, so no folder can be made under it")


def test_an_output_file_name_taken_by_a_folder_is_refused_before_any_work(tmp_path, capsys):
    (tmp_path / "run" / "metrics.json").mkdir(parents=True)
    assert main(TRAIN + ["--out", str(tmp_path / "run")]) == 2
    _one_line_error(capsys, "metrics.json is a folder; the run writes a file of that name")
    assert not (tmp_path / "run" / "last.npz").exists()  # no epoch ran


def _as_unprivileged(argv):
    """Run argv so that file permissions apply: as root, without CAP_DAC_OVERRIDE (setpriv)."""
    if os.geteuid() != 0:
        return argv
    if not Path("/usr/bin/setpriv").exists():
        pytest.skip("running as root without setpriv: a read-only folder cannot be made")
    return ["/usr/bin/setpriv", "--bounding-set=-dac_override,-dac_read_search", *argv]


def test_a_read_only_out_is_one_line_and_exit_2_before_an_epoch_runs(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        code = f"import sys\nfrom microgradnet.cli import main\nsys.exit(main({TRAIN + ['--out', str(ro)]!r}))"
        r = subprocess.run(_as_unprivileged([sys.executable, "-c", code]), capture_output=True, text=True,
                           timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    finally:
        ro.chmod(0o755)
    assert r.returncode == 2 and r.stdout == "", r
    assert r.stderr == f"microgradnet train: --out {ro}: cannot write there (Permission denied)\n"
    assert list(ro.iterdir()) == []


def test_a_full_disk_while_writing_is_one_line_and_exit_2_and_leaves_no_temporary(tmp_path):
    """RLIMIT_FSIZE stands in for a full disk: the probe byte fits, the first checkpoint does not (EFBIG)."""
    out = tmp_path / "run"
    code = ("import resource, sys\nresource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))\n"
            f"from microgradnet.cli import main\nsys.exit(main({TRAIN + ['--out', str(out)]!r}))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 2 and r.stdout == "", r
    assert r.stderr == f"microgradnet train: File too large: {out / 'last.npz'}\n"
    assert sorted(p.name for p in out.iterdir()) == []  # the temporary was removed


@pytest.mark.parametrize("option,value", [("--lr", "inf"), ("--weight-decay", "inf"), ("--momentum", "inf"),
                                          ("--lr", "nan"), ("--weight-decay", "1e400"), ("--dropout", "inf")])
def test_non_finite_hyper_parameters_are_refused_by_the_parser(tmp_path, capsys, option, value):
    with pytest.raises(SystemExit) as e:
        main(TRAIN + ["--out", str(tmp_path / "run"), option, value])
    assert e.value.code == 2
    assert f"argument {option}: must be a finite number >= 0, got {float(value)}" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("option,value", [("--lr-decay", "inf"), ("--lr-decay", "nan"), ("--width", "inf")])
def test_non_finite_numbers_are_refused_before_any_work(tmp_path, capsys, option, value):
    assert main(TRAIN + ["--out", str(tmp_path / "run"), option, value]) == 2
    _one_line_error(capsys, f"{option} must be a finite number, got {float(value)}")
    assert not (tmp_path / "run").exists()


def test_a_model_larger_than_the_machine_is_refused_with_the_figure(tmp_path):
    """The issue: `--hidden 100000000` gave a 49-line MemoryError traceback."""
    r = run_limited(f"""
        import sys
        from microgradnet.cli import main
        sys.exit(main({TRAIN + ['--hidden', '100000000', '--batch-size', '64', '--out', str(tmp_path / 'run')]!r}))
        """, limit=GiB)
    assert r.returncode == 2 and r.stdout == "" and r.stderr.count("\n") == 1, r.stderr
    # state 2·10⁸ + 10⁸ + 3·10⁸ + 3 = 600,000,003 scalars × 13 (Adam, see training/memory.py) plus a batch of 64's
    # outputs and gradients 2 · 64 · (2·10⁸ + 3); × 8 bytes = 267,200,003,384 bytes = 248.85 GiB
    assert (600_000_003 * 13 + 2 * 64 * 200_000_003) * 8 == 267_200_003_384
    assert "model 'mlp' (600,000,003 scalars; × 13 for training" in r.stderr
    # under a 1 GiB address space what is left after the imports is some hundreds of MiB
    assert "needs at least 249 GiB of memory; this machine has" in r.stderr
    assert "MiB available. Choose a smaller model" in r.stderr
    assert not (tmp_path / "run" / "last.npz").exists()


def test_memory_error_during_training_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch):
    from microgradnet.training import solver

    def no_memory(self):
        raise MemoryError("Unable to allocate 74.5 GiB")

    monkeypatch.setattr(solver.Solver, "train", no_memory)
    assert main(TRAIN + ["--out", str(tmp_path / "run")]) == 2
    _one_line_error(capsys, "microgradnet train: ran out of memory (Unable to allocate 74.5 GiB)")


def test_a_download_stops_at_the_files_known_size_and_clears_the_parts_a_kill_left(tmp_path):
    from microgradnet.data.download import DownloadError, download_file

    payload = bytes(range(256)) * 8  # 2,048 bytes
    digest = hashlib.sha256(payload).hexdigest()
    (tmp_path / "long").mkdir()
    (tmp_path / "long" / "f.bin").write_bytes(payload + bytes(10_000))  # a mirror serving more than the file
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "f.bin").write_bytes(payload)
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / ".f.bin.k1ll3d.part").write_bytes(b"half a download")
    with pytest.raises(DownloadError, match="the server announces 12048 bytes, expected 2048"):
        download_file("f.bin", [(tmp_path / "long" / "f.bin").as_uri()], digest, cache_dir=cache, size=2048)
    assert sorted(p.name for p in cache.iterdir()) == []  # the stale part went first; the refused one left nothing
    urls = [(tmp_path / "long" / "f.bin").as_uri(), (tmp_path / "ok" / "f.bin").as_uri()]
    assert download_file("f.bin", urls, digest, cache_dir=cache, size=2048).read_bytes() == payload


def test_a_download_without_a_length_is_cut_off_past_the_known_size(tmp_path, monkeypatch):
    from microgradnet.data import download as dl

    class Endless:  # a server that never stops sending and announces no length
        headers: dict = {}
        sent = 0

        def read(self, n):
            Endless.sent += n
            return bytes(n)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(dl, "urlopen", lambda url, timeout: Endless())
    with pytest.raises(dl.DownloadError, match=r"the body is longer than the expected 3000000 bytes \(stopped\)"):
        dl.download_file("f.bin", ["https://example.invalid/f.bin"], "0" * 64, cache_dir=tmp_path, size=3_000_000)
    assert Endless.sent == 3 * dl.CHUNK and list(tmp_path.iterdir()) == []


def test_load_model_refuses_a_model_the_memory_left_cannot_hold_with_the_figures(tmp_path, monkeypatch):
    from microgradnet.training import memory

    m = MLP(2, [3], 3)  # 21 float64 scalars: 168 bytes
    ck.save_model(tmp_path / "m.npz", m)
    left = iter([1000, 100])  # enough to read the file's arrays, then too little for a second copy
    monkeypatch.setattr(memory, "available_bytes", lambda: next(left))
    with pytest.raises(ck.CheckpointError, match=r"m.npz: cannot rebuild model 'mlp' .*building it: model 'mlp' "
                                                 r"\(21 scalars\) needs at least 168 B of memory; this machine has "
                                                 r"100 B available"):
        ck.load_model(tmp_path / "m.npz")
    monkeypatch.setattr(memory, "available_bytes", lambda: 168)
    model, _ = ck.load_model(tmp_path / "m.npz")
    assert sum(t.data.size for t in model.state_dict().values()) == 21
