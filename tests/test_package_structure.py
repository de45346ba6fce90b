"""The package's shape: no import cycles among its modules, and importing it changes nothing outside Python
objects (no malloc tuning, no environment, working directory, threads, signal handlers or global RNG touched)."""

import ast
import json
import pathlib
import subprocess
import sys

import microgradnet

ROOT = pathlib.Path(microgradnet.__file__).resolve().parent.parent


def import_graph(package="microgradnet"):
    """module → the package modules it imports anywhere in its text (top level or inside a function), from ast."""
    mods = {}
    for f in (ROOT / package).rglob("*.py"):
        parts = list(f.relative_to(ROOT).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        mods[".".join(parts[:-1] if is_pkg else parts)] = (f, is_pkg)
    graph = {}
    for name, (f, is_pkg) in mods.items():
        here = name.split(".") if is_pkg else name.split(".")[:-1]
        targets = set()
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = ".".join(here[: len(here) - node.level + 1] + ([node.module] if node.module else [])) \
                    if node.level else (node.module or "")
                for a in node.names:
                    targets.add(f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base)
        graph[name] = {t for t in targets if t in mods and t != name}
    return graph


def cycles(graph):
    """Every strongly connected set of two or more modules (Tarjan's algorithm, iterative)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def test_the_cycle_finder_finds_a_planted_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_among_the_package_modules():
    graph = import_graph()
    assert "microgradnet.engine" in graph and "microgradnet.rules" in graph["microgradnet.engine"]
    assert "microgradnet.scalar_level" not in graph["microgradnet.tensor"]  # the cycle this issue removed
    assert cycles(graph) == []


def test_the_core_never_imports_the_renderer_or_graphviz():
    for name, deps in import_graph().items():
        assert not any(d == "viz" or d.startswith("viz.") for d in deps), name
    text = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "microgradnet").rglob("*.py"))
    assert "import graphviz" not in text


PROBE = r"""
import gc, json, os, random, signal, sys, threading, warnings
import numpy as np

def state():
    return {
        "env": dict(os.environ), "cwd": os.getcwd(), "threads": threading.active_count(),
        "os_threads": len(os.listdir("/proc/self/task")) if os.path.isdir("/proc/self/task") else None,
        "signals": {int(s): repr(signal.getsignal(s)) for s in signal.valid_signals()},
        "recursion": sys.getrecursionlimit(), "switch": sys.getswitchinterval(), "gc": [gc.isenabled(),
        list(gc.get_threshold())], "warnings": repr(warnings.filters), "np_err": np.geterr(),
        "np_print": repr(np.get_printoptions()), "random": repr(random.getstate()),
        "np_random": repr(np.random.get_state()[1][:8]), "path": list(sys.path), "meta_path": len(sys.meta_path),
        "umask": os.umask(os.umask(0o22)),
    }

before = state()
import microgradnet, microgradnet.functional, microgradnet.nn, microgradnet.optim
after = state()
import microgradnet.allocator  # only now, to read its state: importing it tunes nothing either
print(json.dumps({"same": before == after,
                  "changed": sorted(k for k in before if before[k] != after[k]),
                  "malloc_tuned": microgradnet.allocator._applied["done"]}))
"""


def test_importing_the_package_changes_nothing_outside_python_objects():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True,
                         cwd=str(ROOT)).stdout
    got = json.loads(out)
    assert got == {"same": True, "changed": [], "malloc_tuned": False}
