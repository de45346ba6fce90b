"""The checkpoint file format: round trip, atomic writes, refusal of anything that is not what it claims."""

import json
import os
import zipfile

import numpy as np
import pytest

import microgradnet as mg
from microgradnet.models import CNN, MLP
from microgradnet.optim import Adam
from microgradnet.training import checkpoint as ck


def test_round_trip_keeps_arrays_dtypes_and_metadata(tmp_path):
    arrays = {"model/w": np.arange(6, dtype=np.float32).reshape(2, 3), "model/n": np.array(7, dtype=np.int64),
              "history/loss": np.array([1.5, 0.25])}
    meta = {"kind": "test", "epoch": 3, "big": 2 ** 100, "nested": {"betas": (0.9, 0.999)}}
    ck.save_checkpoint(tmp_path / "a.npz", arrays, meta)
    c = ck.read_checkpoint(tmp_path / "a.npz")
    assert set(c.arrays) == set(arrays)
    for k, v in arrays.items():
        assert c.arrays[k].dtype == v.dtype
        np.testing.assert_array_equal(c.arrays[k], v)
    assert c.meta["epoch"] == 3 and c.meta["big"] == 2 ** 100 and c.meta["nested"]["betas"] == [0.9, 0.999]
    assert c.meta["format"] == ck.FORMAT and c.meta["version"] == ck.VERSION
    assert c.group("model").keys() == {"w", "n"}
    # the metadata is a JSON string inside the npz, readable without pickle
    with np.load(tmp_path / "a.npz", allow_pickle=False) as z:
        assert json.loads(str(z["__meta__"]))["kind"] == "test"


def test_write_is_atomic_a_failed_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "c.npz"
    ck.save_checkpoint(path, {"a": np.ones(3)}, {"kind": "old"})
    old = path.read_bytes()

    def boom(src, dst):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        ck.save_checkpoint(path, {"a": np.zeros(3)}, {"kind": "new"})
    monkeypatch.undo()
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.npz"]  # the temp file was removed


@pytest.mark.parametrize("arrays,meta,match", [
    ({"a": np.array([object()], dtype=object)}, {}, "only numbers can be stored"),
    ({"a": np.ones(2)}, {"x": float("nan")}, "not JSON-able"),
    ({"a": np.ones(2)}, {"x": object()}, "not JSON-able"),
    ({"__meta__": np.ones(2)}, {}, "bad array name"),
])
def test_save_refuses_what_cannot_be_read_back_safely(tmp_path, arrays, meta, match):
    with pytest.raises((TypeError, ValueError), match=match):
        ck.save_checkpoint(tmp_path / "x.npz", arrays, meta)
    assert not (tmp_path / "x.npz").exists()


def test_files_that_are_not_checkpoints(tmp_path):
    with pytest.raises(ck.CheckpointError, match="no such file"):
        ck.read_checkpoint(tmp_path / "missing.npz")
    np.save(tmp_path / "single.npy", np.ones(3))
    with pytest.raises(ck.CheckpointError, match="single .npy array"):
        ck.read_checkpoint(tmp_path / "single.npy")
    np.savez(tmp_path / "plain.npz", w=np.ones(3))
    with pytest.raises(ck.CheckpointError, match="no '__meta__' member"):
        ck.read_checkpoint(tmp_path / "plain.npz")
    np.savez(tmp_path / "badjson.npz", __meta__=np.array("{not json"))
    with pytest.raises(ck.CheckpointError, match="not valid JSON"):
        ck.read_checkpoint(tmp_path / "badjson.npz")
    np.savez(tmp_path / "other.npz", __meta__=np.array(json.dumps({"format": "something-else"})))
    with pytest.raises(ck.CheckpointError, match="expected 'microgradnet-checkpoint'"):
        ck.read_checkpoint(tmp_path / "other.npz")
    np.savez(tmp_path / "future.npz", __meta__=np.array(json.dumps({"format": ck.FORMAT, "version": 99})))
    with pytest.raises(ck.CheckpointError, match="version 99"):
        ck.read_checkpoint(tmp_path / "future.npz")


def test_listed_shapes_are_checked(tmp_path):
    path = tmp_path / "s.npz"
    ck.save_checkpoint(path, {"a": np.ones((2, 3))}, {})
    with np.load(path) as z:
        meta = json.loads(str(z["__meta__"]))
    meta["arrays"]["a"] = [[3, 2], meta["arrays"]["a"][1]]
    os.unlink(path)
    np.savez(path, __meta__=np.array(json.dumps(meta)), a=np.ones((2, 3)))
    with pytest.raises(ck.CheckpointError, match=r"array 'a' is <f8 \(2, 3\), the metadata says <f8 \(3, 2\)"):
        ck.read_checkpoint(path)


def test_save_model_and_load_model_rebuild_from_metadata(tmp_path):
    mg.manual_seed(0)
    m = CNN(channels=(2, 3), kernel_size=3, hidden=8, batch_norm=True, dtype="float32")
    m.features[1].running_mean.data[...] = [0.5, -0.5]  # a buffer must travel too
    ck.save_model(tmp_path / "m.npz", m)
    loaded, c = ck.load_model(tmp_path / "m.npz")
    assert type(loaded) is CNN and loaded.config == m.config and not loaded.training
    x = mg.tensor(np.random.default_rng(0).random((2, 1, 28, 28)).astype(np.float32))
    m.eval()
    np.testing.assert_array_equal(loaded(x).data, m(x).data)
    np.testing.assert_array_equal(loaded.features[1].running_mean.data, [0.5, -0.5])


def test_load_model_refuses_unknown_models_and_mismatched_state(tmp_path):
    from microgradnet import nn

    ck.save_model(tmp_path / "plain.npz", nn.Linear(2, 3))
    with pytest.raises(ck.CheckpointError, match="cannot be rebuilt.*None.*class 'Linear'"):
        ck.load_model(tmp_path / "plain.npz")
    m = MLP(2, [4], 3)
    arrays = {f"model/{k}": v for k, v in ck.module_arrays(m).items()}
    arrays["model/net.1.weight"] = np.ones((5, 2))
    ck.save_checkpoint(tmp_path / "bad.npz", arrays, {"kind": "model", "model": ck.model_description(m)})
    with pytest.raises(ck.CheckpointError, match=r"size mismatch for net.1.weight: checkpoint \(5, 2\), model "
                                                 r"\(4, 2\)"):
        ck.load_model(tmp_path / "bad.npz")


def test_optimizer_state_packs_to_arrays_and_back():
    p = mg.tensor([1.0, 2.0], requires_grad=True)
    opt = Adam([p], lr=0.1, amsgrad=True)
    p.grad = np.array([0.5, -1.0])
    opt.step()
    arrays, desc = ck.optimizer_to_arrays(opt)
    assert set(arrays) == {"0/exp_avg", "0/exp_avg_sq", "0/max_exp_avg_sq"}
    assert desc["scalars"] == {"0": {"step": 1}}
    json.loads(ck.to_json(desc))  # JSON-able
    sd = ck.optimizer_from_arrays(json.loads(ck.to_json(desc)), arrays)
    q = mg.tensor([1.0, 2.0], requires_grad=True)
    opt2 = Adam([q], lr=1.0)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["betas"] == (0.9, 0.999) and opt2.param_groups[0]["lr"] == 0.1
    np.testing.assert_array_equal(opt2.state[q]["exp_avg"], opt.state[p]["exp_avg"])


def test_a_zip_with_a_bad_crc_is_reported_as_damaged(tmp_path):
    path = tmp_path / "crc.npz"
    ck.save_checkpoint(path, {"a": np.arange(1000.0)}, {})
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("a.npy")
    raw[info.header_offset + 30 + len("a.npy") + 200] ^= 0x01  # a byte of the array data, inside the member
    path.write_bytes(bytes(raw))
    with pytest.raises(ck.CheckpointError, match="damaged or truncated.*CRC"):
        ck.read_checkpoint(path)
