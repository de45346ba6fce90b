"""Turning DOT into pictures: finding a renderer, saving files, and the ``Graph`` that ``draw_dot`` returns.

Which program renders (:func:`find_renderer`, looked up at each render, in this order):

1. ``$MICROGRADNET_DOT``, when set: a path or a program name (an error if it does not name an executable);
2. Graphviz's ``dot`` on ``PATH``;
3. ``dot`` in this Python environment's ``bin``/``Scripts`` folder (a conda or venv install not on ``PATH``);
4. ``graphviz-pure`` (on ``PATH``, then in the environment's folder): a pip-installable Rust port of Graphviz
   (``pip install graphviz-pure``, or the ``viz-pure`` extra). It renders svg, png and jpeg, not pdf, and its
   text widths for non-ASCII characters are estimated, so labels with ``∂`` or ``—`` may be slightly loose.

When nothing is found, rendering raises :class:`GraphvizNotFoundError` (a ``graphviz.ExecutableNotFound``, so code
written for the ``graphviz`` package catches it) whose message gives the install command for apt, brew, conda and
winget. DOT text never needs a renderer: ``to_dot`` and saving ``.dot``/``.gv`` work everywhere.

Every file is written atomically: to a temporary file in the same folder, then ``os.replace``; a failed render
leaves no file behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import warnings
from dataclasses import dataclass
from pathlib import Path

from microgradnet.fileio import atomic_write_bytes

try:  # the graphviz Python package is only needed for draw_dot's Digraph; to_dot works without it
    import graphviz as _gv
except ImportError:  # pragma: no cover - exercised only where the viz extra is not installed
    _gv = None

ENV_VAR = "MICROGRADNET_DOT"
PURE = "graphviz-pure"
TIMEOUT = 300.0
"""Seconds a single render may take before it is stopped (a huge graph: use ``max_nodes``/``depth``)."""

SUFFIX_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".jpg": "jpg", ".jpeg": "jpeg",
                  ".dot": "dot", ".gv": "dot"}
PURE_FORMATS = frozenset({"svg", "png", "jpg", "jpeg", "jpe", "dot", "gv", "xdot", "xdot1.2", "xdot1.4", "json",
                          "json0", "dot_json", "xdot_json", "plain", "plain-ext", "canon"})

INSTALL_HELP = """Install Graphviz with one of:
  Debian/Ubuntu:  sudo apt-get install graphviz
  macOS:          brew install graphviz
  conda:          conda install -c conda-forge graphviz
  Windows:        winget install graphviz
or, without system packages (svg and png only): pip install graphviz-pure"""

_Base = _gv.ExecutableNotFound if _gv is not None else RuntimeError


class GraphvizNotFoundError(_Base):
    """No program that can render this format was found; the message says what was searched and how to install."""

    def __init__(self, message: str):
        RuntimeError.__init__(self, message)

    def __str__(self) -> str:
        return self.args[0]


class RenderError(subprocess.CalledProcessError):
    """The renderer ran but failed (bad DOT, unsupported format, a crash, a timeout); ``str()`` gives its stderr."""

    def __init__(self, message: str, returncode: int, cmd, stderr: bytes = b""):
        super().__init__(returncode, cmd, None, stderr)
        self.message = message

    def __str__(self) -> str:
        return self.message


class RenderTimeout(RenderError):
    """The renderer did not finish within the time allowed (and was stopped)."""


@dataclass(frozen=True)
class Renderer:
    """A program that turns DOT into pictures: its ``path``, ``kind`` (``'graphviz'`` or ``'graphviz-pure'``) and
    how it was found (``'MICROGRADNET_DOT'``, ``'PATH'`` or ``'environment'``)."""

    path: str
    kind: str
    found_by: str

    def supports(self, fmt: str) -> bool:
        return self.kind != PURE or fmt.split(":")[0] in PURE_FORMATS


def environment_bin_dirs() -> list[str]:
    """This Python environment's script folders (where pip, conda or a venv put programs)."""
    dirs = []
    for d in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        if d and d not in dirs:
            dirs.append(d)
    return dirs


def _kind(path: str) -> str:
    return PURE if PURE in os.path.basename(path) else "graphviz"


def find_renderer(search_path: str | None = None, env_dirs: list[str] | None = None) -> Renderer | None:
    """The program used to render (see the module docstring), or None. ``search_path`` replaces ``$PATH`` and
    ``env_dirs`` the environment's script folders (for tests)."""
    explicit = os.environ.get(ENV_VAR, "").strip()
    if explicit:
        found = shutil.which(explicit) if os.path.dirname(explicit) == "" else (
            explicit if os.path.isfile(explicit) and os.access(explicit, os.X_OK) else None)
        if found is None:
            raise GraphvizNotFoundError(f"{ENV_VAR}={explicit!r} does not name an executable program; set it to the "
                                        f"path of Graphviz's dot (or of graphviz-pure), or unset it to search PATH")
        return Renderer(found, _kind(found), ENV_VAR)
    env_dirs = environment_bin_dirs() if env_dirs is None else env_dirs
    for prog in ("dot", PURE):
        hit = shutil.which(prog, path=search_path)
        if hit:
            return Renderer(hit, _kind(hit) if prog == PURE else "graphviz", "PATH")
        for d in env_dirs:
            hit = shutil.which(prog, path=d)
            if hit:
                return Renderer(hit, _kind(hit) if prog == PURE else "graphviz", "environment")
    return None


def missing_message(op: str, fmt: str, renderer: Renderer | None = None) -> str:
    if renderer is not None:
        return (f"{op}: cannot render {fmt!r}: only graphviz-pure was found ({renderer.path}), and it renders svg, "
                f"png and jpeg but not {fmt}. Save as .svg or .png, or install Graphviz for {fmt}.\n{INSTALL_HELP}")
    return (f"{op}: cannot render {fmt!r}: Graphviz's `dot` program was not found (looked for ${ENV_VAR}, `dot` on "
            f"PATH, `dot` in {', '.join(environment_bin_dirs())}, and graphviz-pure).\n"
            f"to_dot() and saving .dot files work without it.\n{INSTALL_HELP}")


def require_renderer(fmt: str, op: str = "render") -> Renderer:
    """The renderer for ``fmt``, or :class:`GraphvizNotFoundError` with the install instructions."""
    r = find_renderer()
    if r is None:
        raise GraphvizNotFoundError(missing_message(op, fmt))
    if not r.supports(fmt):
        raise GraphvizNotFoundError(missing_message(op, fmt, r))
    return r


def run(source: str, fmt: str, *, engine: str = "dot", renderer: str | None = None, formatter: str | None = None,
        neato_no_op=None, op: str = "render", timeout: float | None = TIMEOUT, encoding: str = "utf-8") -> bytes:
    """Render DOT ``source`` to ``fmt`` and return the bytes (the program's stdout)."""
    if not isinstance(fmt, str) or not fmt:
        raise ValueError(f"{op}: format must be a string such as 'svg', 'png' or 'pdf', got {fmt!r}")
    flag = ":".join(x for x in (fmt, renderer, formatter) if x)
    r = require_renderer(flag, op)
    cmd = [r.path, f"-K{engine}", f"-T{flag}"]
    if neato_no_op:
        cmd.append(f"-n{int(neato_no_op)}")
    try:
        proc = subprocess.run(cmd, input=source.encode(encoding), capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RenderTimeout(f"{op}: {r.kind} ({r.path}) did not finish rendering {fmt} within {timeout:g} s; draw a "
                            "smaller picture with max_nodes= or depth=", -1, cmd) from None
    except OSError as e:
        raise RenderError(f"{op}: could not run {r.kind} at {r.path}: {e}", -1, cmd) from None
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip()
        raise RenderError(f"{op}: {r.kind} ({r.path}) failed with exit code {proc.returncode} rendering {fmt}: "
                          f"{err or '(no message)'}", proc.returncode, cmd, proc.stderr)
    return proc.stdout


def write_atomic(path, data) -> str:
    """Write ``data`` (str as UTF-8, or bytes) to ``path`` atomically (:func:`microgradnet.fileio.atomic_write_bytes`);
    the folder is created if needed. Returns the path as a string."""
    return os.fspath(atomic_write_bytes(path, data))


def format_of(path, op: str = "save") -> str:
    """The output format named by ``path``'s extension (``.svg`` → ``'svg'``; ``.dot``/``.gv`` → ``'dot'``)."""
    suffix = Path(os.fspath(path)).suffix.lower()
    try:
        return SUFFIX_FORMATS[suffix]
    except KeyError:
        raise ValueError(f"{op}: cannot tell the format of {os.fspath(path)!r} from its extension "
                         f"{suffix or '(none)'}; expected one of {' '.join(SUFFIX_FORMATS)}") from None


def save_source(source: str, path, op: str = "save") -> str:
    """Render DOT ``source`` into ``path`` in the format its extension names (DOT text for ``.dot``/``.gv``, which
    needs no Graphviz), atomically."""
    fmt = format_of(path, op)
    if fmt == "dot":
        return write_atomic(path, source)
    return write_atomic(path, run(source, fmt, op=op))


if _gv is not None:
    class Graph(_gv.Digraph):
        """A ``graphviz.Digraph`` (``.source``, ``.render``, ``.pipe``, inline display in Jupyter) that renders through
        :func:`find_renderer` (so the graphviz-pure fallback works everywhere) and adds ``save(path)``.

        ``notes`` lists what the picture collapsed or left out; ``checks`` holds the rule-check results by node id.
        """

        def __init__(self, *args, notes=None, checks=None, fallback=None, budget=None, **kwargs):
            super().__init__(*args, **kwargs)
            self.notes = list(notes or [])
            self.checks = dict(checks or {})
            self.fallback = fallback
            self.budget = budget
            self._in_render = False

        def _rendered(self, fmt: str, op: str, **kw) -> bytes:
            """Render within the time budget (:mod:`viz.layout`); past it, warn and render the collapsed fallback."""
            from .layout import BUDGET
            budget = BUDGET if self.budget is None else self.budget
            if self.fallback is None:
                return run(self.source, fmt, op=op, encoding=self.encoding, **kw)
            try:
                return run(self.source, fmt, op=op, encoding=self.encoding, timeout=budget, **kw)
            except RenderTimeout:
                message = (f"{op}: Graphviz did not finish this picture within the {budget:g} s render budget; "
                           f"drawing it collapsed instead (max_nodes={_fallback_nodes()}). Pass max_nodes= or "
                           f"depth= for a smaller picture, or budget= to wait longer.")
                warnings.warn(message, RuntimeWarning, stacklevel=3)
                self.notes.append(message)
                return run(self.fallback(), fmt, op=op, encoding=self.encoding, timeout=max(budget, TIMEOUT), **kw)

        def pipe(self, format=None, renderer=None, formatter=None, neato_no_op=None,  # noqa: A002
                 quiet=False, *, engine=None, encoding=None):
            """The rendered bytes (or text with ``encoding``), as ``graphviz.Digraph.pipe``, within the render budget
            (:mod:`viz.layout`)."""
            fmt = format or self.format
            out = self._rendered(fmt, "pipe", engine=engine or self.engine, renderer=renderer, formatter=formatter,
                                 neato_no_op=neato_no_op)
            return out.decode(encoding) if encoding is not None else out

        def render(self, *args, **kwargs):
            """``graphviz.Digraph.render``, run with the renderer :func:`find_renderer` picks."""
            outfile = kwargs.get("outfile")
            fmt = kwargs.get("format") or (format_of(outfile, "render") if outfile is not None else self.format)
            r = require_renderer(fmt, "render")
            from graphviz.backend import dot_command
            old = dot_command.DOT_BINARY
            dot_command.DOT_BINARY = Path(r.path)
            self._in_render = True
            try:
                return super().render(*args, **kwargs)
            finally:
                dot_command.DOT_BINARY = old
                self._in_render = False

        def save(self, filename=None, directory=None, *, skip_existing=False):
            """Save to ``filename`` in the format its extension names: ``.svg``, ``.png``, ``.pdf``, ``.jpg``
            (rendered), ``.dot``/``.gv`` (the DOT text; no Graphviz needed). Written atomically. Returns the path.

            Without a filename, saves the DOT source to ``self.filepath`` (``graphviz.Digraph.save``)."""
            if self._in_render:  # graphviz's render() saves its source file through here
                return super().save(filename, directory=directory, skip_existing=skip_existing)
            if filename is None:
                path = self.filepath if directory is None else os.path.join(directory, self.filename)
            else:
                path = os.fspath(filename) if directory is None else os.path.join(directory, os.fspath(filename))
            if skip_existing and os.path.exists(path):
                return path
            if filename is None:
                return write_atomic(path, self.source)
            fmt = format_of(path, "save")
            if fmt == "dot":
                return write_atomic(path, self.source)
            return write_atomic(path, self._rendered(fmt, "save"))

        def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
            try:
                return super()._repr_mimebundle_(include=include, exclude=exclude, **kwargs)
            except GraphvizNotFoundError as e:
                return {"text/plain": str(e)}
else:  # pragma: no cover
    Graph = None


def _fallback_nodes() -> int:
    from .layout import FALLBACK_NODES
    return FALLBACK_NODES


def make_graph(source: str, format: str = "svg", notes=None, checks=None, fallback=None,  # noqa: A002
               budget=None):
    """A :class:`Graph` whose ``.source`` is exactly ``source`` (DOT text as written by :func:`viz.dot.write_dot`);
    ``fallback()`` gives the DOT drawn instead when rendering takes longer than ``budget`` seconds."""
    if _gv is None:
        raise ImportError("draw_dot needs the graphviz Python package: pip install graphviz (the 'viz' extra); "
                          "to_dot() works without it")
    head, tail = "digraph {\n", "}\n"
    if not (source.startswith(head) and source.endswith(tail)):
        raise ValueError("make_graph: expected DOT text starting with 'digraph {' and ending with '}'")
    body = source[len(head):-len(tail)].splitlines(keepends=True)
    return Graph(body=body, format=format, notes=notes, checks=checks, fallback=fallback, budget=budget)
