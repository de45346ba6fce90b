"""Atomic writes: the old file or the new one, never a half-written file; permissions as a plain open()."""

import os
import stat

import pytest

from microgradnet.fileio import atomic_write_bytes


def test_writes_and_replaces(tmp_path):
    p = tmp_path / "sub" / "f.txt"
    atomic_write_bytes(p, "héllo")
    assert p.read_bytes() == "héllo".encode()
    atomic_write_bytes(p, b"new")
    assert p.read_bytes() == b"new"
    assert os.listdir(p.parent) == ["f.txt"]  # no temporary left behind


def test_permissions_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        p = atomic_write_bytes(tmp_path / "f", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(p.stat().st_mode) == 0o644


def test_failure_keeps_the_old_file(tmp_path, monkeypatch):
    p = tmp_path / "f"
    p.write_bytes(b"old")

    def boom(src, dst):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_bytes(p, b"new")
    assert p.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["f"]
