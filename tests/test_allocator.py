"""The malloc tuning is opt-in: importing microgradnet leaves malloc alone; the train command and the benchmarks
turn it on (glibc only); MICROGRADNET_MALLOC_TUNING=0 makes it a no-op."""

import platform
import subprocess
import sys

import pytest

import microgradnet
from microgradnet import allocator, cli

GLIBC = platform.libc_ver()[0] == "glibc"


def _run(code, env_value=None):
    env = {"PATH": "/usr/bin:/bin"}
    if env_value is not None:
        env["MICROGRADNET_MALLOC_TUNING"] = env_value
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          check=True).stdout.strip()


def test_import_does_not_tune_and_the_public_api_does_not_offer_it():
    out = _run("import microgradnet, microgradnet.allocator as a; print(a.allocator_tuned(), a._applied['done'])")
    assert out == "False False"
    assert "tune_allocator" not in microgradnet.__all__ and "allocator_tuned" not in microgradnet.__all__


@pytest.mark.skipif(not GLIBC, reason="the tuning applies to glibc's malloc only")
def test_applied_on_request_on_glibc():
    assert _run("from microgradnet.allocator import tune_allocator as t, allocator_tuned as a; print(t(), a())") \
        == "True True"


def test_opt_out():
    assert _run("from microgradnet.allocator import tune_allocator as t; print(t())", "0") == "False"


def test_the_train_command_turns_it_on_and_other_commands_do_not(monkeypatch):
    calls = []
    monkeypatch.setattr(allocator, "tune_allocator", lambda: calls.append(1) or True)
    for name, _ in cli.COMMANDS:
        if name in ("train", "rules"):
            mod = cli._load([dict(cli.COMMANDS)[name]])
            monkeypatch.setattr(mod, "run", lambda args: 0)
    assert cli.main(["rules"]) == 0 and calls == []
    assert cli.main(["train", "spiral", "--model", "mlp"]) == 0 and calls == [1]
