"""Downloader: file:// mirrors made in tmp_path (no network), fallback, checksum, partial downloads."""

import hashlib
import http.client
import io
import os
from pathlib import Path

import pytest

from microgradnet.data import download as dl
from microgradnet.data.download import DownloadError, download_file, parse_checksum, resolve_cache_dir

PAYLOAD = bytes(range(256)) * 40 + b"tail"  # 10,244 bytes
SHA = hashlib.sha256(PAYLOAD).hexdigest()
MD5 = hashlib.md5(PAYLOAD).hexdigest()


@pytest.fixture
def mirrors(tmp_path):
    good = tmp_path / "good"
    good.mkdir()
    (good / "data.bin").write_bytes(PAYLOAD)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "data.bin").write_bytes(PAYLOAD[:-1] + b"X")  # same size, one byte differs
    cut = tmp_path / "cut"
    cut.mkdir()
    (cut / "data.bin").write_bytes(PAYLOAD[:5000])  # an interrupted copy
    return {
        "good": (good / "data.bin").as_uri(),
        "bad": (bad / "data.bin").as_uri(),
        "cut": (cut / "data.bin").as_uri(),
        "missing": (tmp_path / "nowhere" / "data.bin").as_uri(),
    }


def cache_files(folder: Path):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_success_and_atomic_result(tmp_path, mirrors):
    cache = tmp_path / "cache"
    path = download_file("data.bin", [mirrors["good"]], SHA, cache_dir=cache)
    assert path == cache / "data.bin"
    assert path.read_bytes() == PAYLOAD
    assert cache_files(cache) == ["data.bin"]
    assert os.stat(path).st_mode & 0o777 == 0o644


def test_cached_file_is_used_without_fetching(tmp_path, mirrors):
    cache = tmp_path / "cache"
    download_file("data.bin", mirrors["good"], SHA, cache_dir=cache)
    # the only mirror is missing now: a verified cached copy needs none
    path = download_file("data.bin", [mirrors["missing"]], SHA, cache_dir=cache)
    assert path.read_bytes() == PAYLOAD


def test_falls_back_to_next_mirror(tmp_path, mirrors):
    cache = tmp_path / "cache"
    urls = [mirrors["missing"], mirrors["bad"], mirrors["cut"], mirrors["good"]]
    path = download_file("data.bin", urls, SHA, cache_dir=cache)
    assert path.read_bytes() == PAYLOAD
    assert cache_files(cache) == ["data.bin"]


def test_all_mirrors_fail_lists_each_and_leaves_nothing(tmp_path, mirrors):
    cache = tmp_path / "cache"
    urls = [mirrors["missing"], mirrors["bad"], mirrors["cut"]]
    with pytest.raises(DownloadError) as info:
        download_file("data.bin", urls, SHA, cache_dir=cache)
    err = info.value
    assert isinstance(err, OSError)
    assert [u for u, _ in err.attempts] == urls
    msg = str(err)
    assert msg.startswith("could not download data.bin: all 3 mirror(s) failed")
    assert f"{mirrors['missing']}: URLError" in msg and "No such file" in msg
    assert f"{mirrors['bad']}: ValueError: checksum mismatch: expected sha256 {SHA}" in msg
    assert hashlib.sha256(PAYLOAD[:5000]).hexdigest() in msg and "(5000 bytes)" in msg
    assert cache_files(cache) == []  # no final file, no .part file


def test_checksum_mismatch_leaves_no_file(tmp_path, mirrors):
    cache = tmp_path / "cache"
    with pytest.raises(DownloadError, match="checksum mismatch"):
        download_file("data.bin", [mirrors["bad"]], SHA, cache_dir=cache)
    assert cache_files(cache) == []


def test_md5_checksums(tmp_path, mirrors):
    cache = tmp_path / "cache"
    assert download_file("data.bin", [mirrors["good"]], "md5:" + MD5, cache_dir=cache).read_bytes() == PAYLOAD
    assert download_file("data.bin", [mirrors["good"]], MD5.upper(), cache_dir=cache, force=True).is_file()
    with pytest.raises(DownloadError, match=f"expected md5 {MD5}"):
        download_file("other.bin", [mirrors["bad"]], MD5, cache_dir=cache)


class FakeResponse(io.BytesIO):
    """What urlopen returns, with a chosen Content-Length and an optional failure mid-stream."""

    def __init__(self, body, length=None, fail_after=None):
        super().__init__(body)
        self.headers = {} if length is None else {"Content-Length": str(length)}
        self.fail_after = fail_after

    def read(self, n=-1):
        if self.fail_after is not None and self.tell() >= self.fail_after:
            raise http.client.IncompleteRead(b"", 1234)
        return super().read(min(n, self.fail_after - self.tell()) if self.fail_after is not None else n)


def test_short_body_against_content_length_is_rejected(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    responses = {  # url -> a new response each time it is opened
        "http://a.invalid/data.bin": lambda: FakeResponse(PAYLOAD[:6000], length=len(PAYLOAD)),
        "http://b.invalid/data.bin": lambda: FakeResponse(PAYLOAD, length=len(PAYLOAD), fail_after=4096),
        "http://c.invalid/data.bin": lambda: FakeResponse(PAYLOAD, length=len(PAYLOAD)),
    }
    seen = []

    def fake_urlopen(url, timeout):
        seen.append(url)
        # the temp file exists in the cache while the body streams in
        assert any(name.endswith(".part") for name in os.listdir(cache))
        return responses[url]()

    monkeypatch.setattr(dl, "urlopen", fake_urlopen)
    with pytest.raises(DownloadError) as info:
        download_file("data.bin", list(responses)[:2], SHA, cache_dir=cache)
    msg = str(info.value)
    assert f"truncated download: expected {len(PAYLOAD)} bytes, got 6000" in msg
    assert "IncompleteRead" in msg
    assert cache_files(cache) == []
    # and the third (complete) one is accepted after the two partial ones
    assert download_file("data.bin", list(responses), SHA, cache_dir=cache).read_bytes() == PAYLOAD
    assert seen[-3:] == list(responses)
    assert cache_files(cache) == ["data.bin"]


def test_interrupt_mid_download_leaves_no_partial_file(tmp_path, monkeypatch):
    cache = tmp_path / "cache"

    class Interrupting(FakeResponse):
        def read(self, n=-1):
            if self.tell():
                raise KeyboardInterrupt
            return super().read(100)

    monkeypatch.setattr(dl, "urlopen", lambda url, timeout: Interrupting(PAYLOAD))
    with pytest.raises(KeyboardInterrupt):
        download_file("data.bin", ["http://x.invalid/data.bin"], SHA, cache_dir=cache)
    assert cache_files(cache) == []


def test_good_cached_file_is_not_replaced_by_a_bad_download(tmp_path, mirrors):
    cache = tmp_path / "cache"
    download_file("data.bin", [mirrors["good"]], SHA, cache_dir=cache)
    with pytest.raises(DownloadError):
        download_file("data.bin", [mirrors["bad"]], SHA, cache_dir=cache, force=True)
    assert (cache / "data.bin").read_bytes() == PAYLOAD


def test_corrupt_cached_file_is_replaced(tmp_path, mirrors):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "data.bin").write_bytes(b"garbage")
    with pytest.raises(DownloadError, match=r"the cached .*data\.bin has sha256 .* it was left as is"):
        download_file("data.bin", [mirrors["missing"]], SHA, cache_dir=cache)
    assert (cache / "data.bin").read_bytes() == b"garbage"
    assert download_file("data.bin", [mirrors["good"]], SHA, cache_dir=cache).read_bytes() == PAYLOAD


def test_subdir(tmp_path, mirrors):
    path = download_file("data.bin", [mirrors["good"]], SHA, cache_dir=tmp_path, subdir="set")
    assert path == tmp_path / "set" / "data.bin"


def test_cache_dir_resolution(tmp_path, monkeypatch):
    monkeypatch.delenv("MICROGRADNET_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert resolve_cache_dir() == tmp_path / "home" / ".cache" / "microgradnet"
    monkeypatch.setenv("MICROGRADNET_DATA", str(tmp_path / "env"))
    assert resolve_cache_dir() == tmp_path / "env"
    assert resolve_cache_dir(tmp_path / "arg") == tmp_path / "arg"


def test_env_var_is_used_by_download(tmp_path, mirrors, monkeypatch):
    monkeypatch.setenv("MICROGRADNET_DATA", str(tmp_path / "env"))
    assert download_file("data.bin", [mirrors["good"]], SHA) == tmp_path / "env" / "data.bin"


@pytest.mark.parametrize(("checksum", "algorithm", "message"), [
    ("abc", None, "cannot tell the algorithm of a 3-digit checksum"),
    ("sha1:" + "0" * 40, None, "must be 'sha256' or 'md5', got 'sha1'"),
    ("md5:" + "0" * 64, None, "a md5 checksum is 32 hex digits"),
    ("z" * 64, None, "a sha256 checksum is 64 hex digits"),
    ("md5:" + "0" * 32, "sha256", "checksum says 'md5' but algorithm='sha256'"),
    ("", None, "non-empty hex string"),
])
def test_bad_checksum_arguments(checksum, algorithm, message):
    with pytest.raises(ValueError, match=message):
        parse_checksum(checksum, algorithm)


def test_bad_arguments(tmp_path, mirrors):
    with pytest.raises(ValueError, match="plain file name without folders"):
        download_file("../evil.bin", [mirrors["good"]], SHA, cache_dir=tmp_path)
    with pytest.raises(ValueError, match="no mirror URLs given for data.bin"):
        download_file("data.bin", [], SHA, cache_dir=tmp_path)
