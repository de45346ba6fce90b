"""Atomic file writes: the one place microgradnet writes a file.

``atomic_write_bytes`` writes to a temporary file in the target's folder, flushes it to disk, gives it the
permissions a plain ``open(path, "w")`` would (0666 less the umask; ``mkstemp`` alone would leave 0600) and only
then ``os.replace``-s it onto the target. A crash or an error never leaves a half-written file, and a reader sees
either the old file or the new one. A process killed between the two steps leaves its temporary
(``.NAME.XXXXXXXX.tmp``); :func:`remove_stale_temporaries` clears them when the next run starts.
"""

from __future__ import annotations

import glob
import os
import tempfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path, payload, *, make_dirs: bool = True) -> Path:
    """Write ``payload`` (bytes, or str as UTF-8) to ``path`` atomically; returns the path."""
    path = Path(path)
    data = payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)
    if make_dirs:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException as err:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(err, OSError) and err.filename is None and err.errno is not None:
            raise OSError(err.errno, err.strerror, str(path)) from err  # a full disk names the file it was writing
        raise
    return path


def temporaries(folder, name: str, suffix: str = ".tmp") -> list[Path]:
    """The temporary files :func:`atomic_write_bytes` made for ``folder/name`` and never renamed (``.NAME.*.tmp``;
    downloads use ``suffix=".part"``): what a process killed mid-write leaves behind."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob(f".{glob.escape(name)}.*{suffix}") if p.is_file())


def remove_stale_temporaries(folder, names, suffix: str = ".tmp") -> list[Path]:
    """Delete the temporaries of ``folder/name`` for each of ``names`` (see :func:`temporaries`); returns them.

    Only for a folder no other process is writing to at the same time (the ``train`` command holds a lock).
    """
    removed = []
    for name in names:
        for p in temporaries(folder, name, suffix):
            try:
                p.unlink()
            except FileNotFoundError:
                continue
            removed.append(p)
    return removed
