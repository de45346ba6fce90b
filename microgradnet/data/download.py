"""Downloading a data file from a list of mirrors into the cache, verified by checksum (urllib only).

``download_file(filename, urls, checksum)`` returns the path of ``<cache>/<subdir>/<filename>``:

1. If that file is already there and its checksum matches, nothing is fetched.
2. Otherwise each mirror URL is tried in order: the body is streamed into a temp file *in the cache
   folder* (``.<filename>.<random>.part``) while being hashed; the download counts only if it is complete
   (as many bytes as the server's Content-Length, when it sends one) and the checksum matches, and only
   then is the temp file ``os.replace``-d onto the final name. Any failure (HTTP error, missing file,
   timeout, connection dropped, short body, checksum mismatch) removes the temp file and moves on.
3. If no mirror worked, :class:`DownloadError` lists every URL tried and why it failed. No partial file
   is ever left in the cache, and a good file is never replaced by a bad one.

Checksums: ``"sha256:<hex>"``, ``"md5:<hex>"``, or bare hex (64 digits = sha256, 32 = md5), or pass
``algorithm=``. (md5 is only an integrity check here, for data sets whose publishers give only md5.)

Cache folder: the ``cache_dir`` argument, else the ``MICROGRADNET_DATA`` environment variable, else
``~/.cache/microgradnet``.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import tempfile
from pathlib import Path
from urllib.request import urlopen

from ..fileio import remove_stale_temporaries

log = logging.getLogger("microgradnet.data")

ENV_VAR = "MICROGRADNET_DATA"
DEFAULT_CACHE = Path("~/.cache/microgradnet")
CHUNK = 1 << 20
_HEX_LENGTHS = {64: "sha256", 32: "md5"}


class DownloadError(OSError):
    """No mirror delivered a file with the expected checksum.

    ``file_name`` is the file asked for, ``attempts`` a list of ``(url, reason)`` in the order tried.
    """

    def __init__(self, filename: str, attempts: list[tuple[str, str]], note: str = ""):
        self.file_name = filename  # not ``filename``: OSError would print it as "[Errno None] None: ..."
        self.attempts = list(attempts)
        lines = [f"could not download {filename}: all {len(attempts)} mirror(s) failed{note}"]
        lines += [f"  - {url}: {reason}" for url, reason in attempts]
        super().__init__("\n".join(lines))


def resolve_cache_dir(path=None) -> Path:
    """The data cache folder: ``path``, else ``$MICROGRADNET_DATA``, else ``~/.cache/microgradnet``."""
    if path is None:
        path = os.environ.get(ENV_VAR) or DEFAULT_CACHE
    return Path(path).expanduser()


def parse_checksum(checksum: str, algorithm: str | None = None) -> tuple[str, str]:
    """``(algorithm, lowercase hex)`` from ``"sha256:..."`` / ``"md5:..."`` / bare hex (+ ``algorithm``)."""
    if not isinstance(checksum, str) or not checksum:
        raise ValueError(f"download: checksum must be a non-empty hex string, got {checksum!r}")
    if ":" in checksum:
        prefix, checksum = checksum.split(":", 1)
        if algorithm is not None and algorithm != prefix:
            raise ValueError(f"download: checksum says {prefix!r} but algorithm={algorithm!r}")
        algorithm = prefix
    checksum = checksum.strip().lower()
    if algorithm is None:
        algorithm = _HEX_LENGTHS.get(len(checksum))
        if algorithm is None:
            raise ValueError(
                f"download: cannot tell the algorithm of a {len(checksum)}-digit checksum; expected 64 hex "
                f"digits (sha256) or 32 (md5), or pass algorithm="
            )
    algorithm = algorithm.lower()
    if algorithm not in ("sha256", "md5"):
        raise ValueError(f"download: checksum algorithm must be 'sha256' or 'md5', got {algorithm!r}")
    want = hashlib.new(algorithm).digest_size * 2
    if len(checksum) != want or any(c not in "0123456789abcdef" for c in checksum):
        raise ValueError(f"download: a {algorithm} checksum is {want} hex digits, got {checksum!r}")
    return algorithm, checksum


def file_checksum(path, algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in 1 MiB chunks."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_file(path, checksum: str, algorithm: str | None = None) -> bool:
    """True if ``path`` exists and its checksum matches."""
    algorithm, expected = parse_checksum(checksum, algorithm)
    path = Path(path)
    return path.is_file() and file_checksum(path, algorithm) == expected


def _fetch_one(url: str, folder: Path, filename: str, algorithm: str, expected: str, timeout: float,
               size: int | None = None) -> str:
    """Download ``url`` into a temp file in ``folder``; return the temp path if complete and verified.

    Raises OSError / ValueError with the reason otherwise; never leaves the temp file behind.
    """
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{filename}.", suffix=".part")
    ok = False
    try:
        digest = hashlib.new(algorithm)
        received = 0
        with os.fdopen(fd, "wb") as out, urlopen(url, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            if size is not None and length is not None and length.isdigit() and int(length) != size:
                raise OSError(f"the server announces {int(length)} bytes, expected {size}")
            for block in iter(lambda: response.read(CHUNK), b""):
                received += len(block)
                if size is not None and received > size:
                    raise OSError(f"the body is longer than the expected {size} bytes (stopped)")
                out.write(block)
                digest.update(block)
            if length is not None and length.isdigit() and received != int(length):
                raise OSError(f"truncated download: expected {int(length)} bytes, got {received}")
            out.flush()
            os.fsync(out.fileno())
        found = digest.hexdigest()
        if found != expected:
            raise ValueError(
                f"checksum mismatch: expected {algorithm} {expected}, found {found} ({received} bytes)"
            )
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600
        ok = True
        return tmp
    finally:
        if not ok and os.path.exists(tmp):
            os.unlink(tmp)


def download_file(filename: str, urls, checksum: str, *, algorithm: str | None = None, cache_dir=None,
             subdir: str | None = None, timeout: float = 30.0, force: bool = False, size: int | None = None) -> Path:
    """Fetch ``filename`` into ``<cache>/<subdir>/`` from the first mirror that delivers the right bytes.

    ``urls``: one URL or a sequence of full URLs (mirrors), tried in order (``http(s)://``, ``file://``...).
    ``force``: download even if a verified copy is cached. ``size``: the file's size in bytes, when known; a
    mirror announcing another size, or sending more, is dropped at once (a body never fills the disk). The
    ``.part`` files a killed download left for this file are removed first. Returns the final path.
    Raises :class:`DownloadError` (an ``OSError``) listing each URL and its failure if none worked.
    """
    if not isinstance(filename, str) or not filename or Path(filename).name != filename:
        raise ValueError(f"download: filename must be a plain file name without folders, got {filename!r}")
    algorithm, expected = parse_checksum(checksum, algorithm)
    if isinstance(urls, str):
        urls = [urls]
    urls = list(urls)
    if not urls:
        raise ValueError(f"download: no mirror URLs given for {filename}")
    folder = resolve_cache_dir(cache_dir)
    if subdir:
        folder = folder / subdir
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(folder, [filename], suffix=".part")
    target = folder / filename
    note = ""
    if target.exists() and not force:
        found = file_checksum(target, algorithm)
        if found == expected:
            log.info("using cached %s", target)
            return target
        note = f" (the cached {target} has {algorithm} {found}, expected {expected}; it was left as is)"
        log.warning("cached %s has a wrong %s checksum; downloading again", target, algorithm)
    attempts: list[tuple[str, str]] = []
    for url in urls:
        log.info("downloading %s from %s", filename, url)
        try:
            tmp = _fetch_one(url, folder, filename, algorithm, expected, timeout, size)
        except (OSError, ValueError, http.client.HTTPException) as err:  # URLError, HTTPError, timeouts...
            reason = f"{type(err).__name__}: {err}"
            log.info("mirror failed: %s: %s", url, reason)
            attempts.append((url, reason))
            continue
        os.replace(tmp, target)
        log.info("saved %s", target)
        return target
    raise DownloadError(filename, attempts, note)


__all__ = ["DownloadError", "download_file", "file_checksum", "parse_checksum", "resolve_cache_dir",
           "verify_file"]
