"""Isolation: every submission runs in its own child process; only arrays come back; the parent judges.

A *grading server* (``python -m microgradnet.check.isolation``, started by :class:`Grader`) imports the grader
once and never runs a submission itself: for each request it forks a child, which

- starts its own session (so the submission and anything it starts can be killed together), closes the server's
  pipes, sends its prints to files and works in the submission's folder (first on ``sys.path``, so the
  submission can import its own helpers);
- sets a memory limit (:data:`DEFAULT_MEMORY_MB` MiB of address space, ``resource.setrlimit(RLIMIT_AS)``), so a
  huge allocation raises ``MemoryError`` inside the submission;
- loads and runs the submission (:func:`.submission.run_child`) and writes arrays and a JSON account.

The server waits for the child up to the wall-clock timeout (:data:`DEFAULT_TIMEOUT` seconds for the whole
submission), kills its session on timeout, and reports the exit status. The parent reads the arrays
(``allow_pickle=False``) and compares them with the closed form itself (:func:`.grade.judge`), so a submission that
patches the grader in its own process changes nothing. Import and syntax errors, ``sys.exit``, ``os._exit``,
``KeyboardInterrupt``, a hang, a crash or an oversized allocation each end as a FAIL with a one-line reason, and
the next submission is graded in a fresh child.

Not a sandbox: the submission runs with the grader's user and may read or write its files; and it can still
compute its answer with microgradnet's own closed forms. A child starts in milliseconds (forked from the server);
a class of 30 grades in a few seconds.
"""

from __future__ import annotations

import json
import os
import queue
import select
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..closed_form import canonical_rule
from .grade import Grade, failed, judge, prepare

__all__ = ["DEFAULT_TIMEOUT", "DEFAULT_MEMORY_MB", "Grader", "shared_grader", "grade_submission", "grade_many"]

DEFAULT_TIMEOUT = 60.0
"""Seconds one submission may take for all its cases, wall clock."""
DEFAULT_MEMORY_MB = 1024
"""MiB of address space a grading child may use (numpy and the sweep need about 200)."""


# ----------------------------------------------------------------------------------------------------- the server
def _child(req: dict) -> None:
    """In the forked child: a session of its own, no server pipes, prints to files, then the submission."""
    from .submission import run_child

    os.setsid()
    _die_with_parent()
    out_dir = Path(req["out"])
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    for fd, name in ((1, "stdout.txt"), (2, "stderr.txt")):
        f = os.open(out_dir / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(f, fd)
        os.close(f)
    os.chdir(Path(req["path"]).parent)
    run_child(req)


def _die_with_parent() -> None:
    """Linux: the kernel kills this child when the server dies (the grader interrupted or killed), so a hung
    submission never outlives the grading."""
    server = os.getppid()
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != server:  # the server died before the request took effect
        os._exit(1)


_CURRENT: list[int] = []  # the child the server is waiting for


def _stop(signum, frame) -> None:
    """The server is told to stop (SIGTERM, SIGHUP, Ctrl-C): kill the running child's session first."""
    for pid in _CURRENT:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    os._exit(1)


def _wait(pid: int, timeout: float) -> tuple[int | None, bool]:
    """(exit code, timed out): waitpid with a deadline (polling; a signal's death is a negative code)."""
    deadline = time.monotonic() + timeout
    pause = 0.001
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status), False
        if time.monotonic() >= deadline:
            return None, True
        time.sleep(pause)
        pause = min(pause * 2, 0.02)


def serve() -> int:
    """The grading server's loop: one JSON request per line on stdin, one JSON reply per line on stdout."""
    from . import grade, runner, styles, styles_layers, submission  # noqa: F401 - imported once, shared by every child

    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, _stop)
    for line in sys.stdin:
        msg = json.loads(line)
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:  # the child: never returns to this loop
            for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
                signal.signal(sig, signal.SIG_DFL)
            code = 0
            try:
                _child(msg["req"])
            except BaseException:  # noqa: BLE001 - a failure of the grader's own child code: report, exit 3
                traceback.print_exc()
                code = 3
            finally:
                os._exit(code)
        _CURRENT[:] = [pid]
        rc, timed_out = _wait(pid, float(msg["timeout"]))
        try:
            os.killpg(pid, signal.SIGKILL)  # on timeout, and anything the submission left running
        except (ProcessLookupError, PermissionError):
            pass
        if timed_out:
            rc, _ = _wait(pid, 5.0)
        _CURRENT.clear()
        print(json.dumps({"rc": rc, "timed_out": timed_out}), flush=True)
    return 0


# ----------------------------------------------------------------------------------------------------- the parent
def _env() -> dict:
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[k] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


class _Server:
    """One grading server subprocess (it handles one request at a time)."""

    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, "-m", "microgradnet.check.isolation"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=_env(), text=True,
                                     bufsize=1)

    def run(self, req: dict, timeout: float) -> dict:
        self.proc.stdin.write(json.dumps({"req": req, "timeout": timeout}) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout + 60.0)  # the server's own start-up too
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            self.close()
            raise RuntimeError("the grading server stopped answering")
        return json.loads(line)

    def close(self) -> None:
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()


class Grader:
    """Grades submissions in isolation with ``jobs`` grading servers; use as a context manager (the servers stop
    when it exits)::

        with Grader(jobs=2) as grader:
            grade = grader.grade("hw/alice.py", "conv2d", "conv_backward", quick=True)
    """

    def __init__(self, jobs: int = 1):
        if jobs < 1:
            raise ValueError(f"Grader: jobs must be at least 1, got {jobs}")
        self.jobs = jobs
        self._idle: queue.Queue = queue.Queue()
        self._all: list[_Server] = []

    def __enter__(self) -> Grader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for s in self._all:
            s.close()
        self._all.clear()

    def _server(self) -> _Server:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            s = _Server()
            self._all.append(s)
            return s

    def grade(self, path, rule_name: str, func: str, *, quick: bool = False, seed: int = 0, tie: str | None = None,
              kink: str | None = None, style: str | None = None, strict: bool = False,
              timeout: float = DEFAULT_TIMEOUT, memory_mb: int = DEFAULT_MEMORY_MB) -> Grade:
        """Grade one submission (see :func:`grade_submission`)."""
        rule_name = canonical_rule(rule_name)  # an old course-code rule name → its new name
        from .submission import read_outcomes

        path = Path(path)
        label = func.split(",")[-1].strip() or func
        t0 = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="microgradnet-grade-") as tmp:
            out_dir = Path(tmp)
            req = {"path": str(path.resolve()), "func": func, "rule": rule_name, "quick": quick, "seed": seed,
                   "tie": tie, "kink": kink, "style": style, "memory_mb": memory_mb, "out": str(out_dir)}
            server = self._server()
            try:
                reply = server.run(req, timeout)
            except (RuntimeError, OSError, ValueError) as e:
                self._all.remove(server)
                return failed(rule_name, label, f"could not be graded: {e}")
            self._idle.put(server)
            if reply["timed_out"]:
                return failed(rule_name, label, f"timed out after {timeout:g} s (an endless loop, or far too slow; "
                                                "--timeout sets the limit)")
            result = out_dir / "result.json"
            if not result.exists():
                return failed(rule_name, label, _died(reply["rc"], out_dir / "stderr.txt", memory_mb))
            try:
                meta = json.loads(result.read_text(encoding="utf-8"))
                if meta.get("status") != "ok":
                    return failed(rule_name, label, str(meta.get("reason", "the submission could not be graded")))
                outcomes = read_outcomes(out_dir, meta)
                conv = meta.get("convention") or {}
                tie_used = conv.get("tie") if conv.get("tie") in ("all", "first", "split") else None
                kink_used = conv.get("kink") if conv.get("kink") in ("negative", "positive") else None
                sweep = prepare(rule_name, quick=quick, seed=seed, tie=tie_used, kink=kink_used)
            except (OSError, ValueError, KeyError, TypeError, IndexError) as e:
                return failed(rule_name, label, f"the grading process returned an unreadable result ({e})"[:300])
        grade = judge(rule_name, sweep, outcomes, function=label, style=str(meta.get("style", "")), strict=strict)
        grade.seconds = time.monotonic() - t0
        return grade


def _died(rc, stderr: Path, memory_mb: int) -> str:
    tail = ""
    try:
        lines = [ln for ln in stderr.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()]
        tail = lines[-1][:200] if lines else ""
    except OSError:
        pass
    if rc is not None and rc < 0:
        try:
            name = signal.Signals(-rc).name
        except ValueError:
            name = f"signal {-rc}"
        return f"the grading process was killed by {name} (a crash, or over the {memory_mb} MiB limit)"
    if rc == 0:
        return "the submission ended the grading process (os._exit?) before it returned any result"
    return f"the grading process exited with status {rc}" + (f": {tail}" if tail else "")


_SHARED: Grader | None = None


def shared_grader(jobs: int = 1) -> Grader:
    """This process's :class:`Grader`, kept between calls so that repeated grading (a class graded rule by rule,
    a test suite) starts its servers once; it grows to ``jobs`` servers and stops them when the process exits."""
    global _SHARED
    if _SHARED is None:
        import atexit
        _SHARED = Grader(jobs)
        atexit.register(_SHARED.close)
    _SHARED.jobs = max(_SHARED.jobs, jobs)
    return _SHARED


def grade_submission(path, rule_name: str, func: str, **options) -> Grade:
    """Grade one submission (a ``.py`` file or a notebook) for ``rule_name`` in an isolated child (see the module
    docstring). ``func``: the function's name, ``FORWARD,BACKWARD`` for cs231n, or a class name. Options: ``quick``,
    ``seed``, ``tie``, ``kink``, ``style``, ``strict`` (as for :func:`.grade.rule`), ``timeout`` (seconds,
    :data:`DEFAULT_TIMEOUT`), ``memory_mb`` (:data:`DEFAULT_MEMORY_MB`). Always returns a :class:`~.grade.Grade` —
    a submission that cannot be graded fails with a one-line ``reason``."""
    return shared_grader().grade(path, rule_name, func, **options)


def grade_many(paths, rule_name: str, func: str, *, jobs: int = 1, on_grade=None, **options) -> list[Grade]:
    """Grade every submission of ``paths`` (in order), ``jobs`` at a time; ``on_grade(path, grade)`` is called in
    order as the grades come in."""
    paths = list(paths)
    grader = shared_grader(jobs)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(grader.grade, p, rule_name, func, **options) for p in paths]
        grades = []
        for p, fut in zip(paths, futures):
            grades.append(fut.result())
            if on_grade is not None:
                on_grade(p, grades[-1])
    return grades


if __name__ == "__main__":
    sys.exit(serve())
