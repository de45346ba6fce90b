"""The malloc tuning applied at import: on here (glibc), off with MICROGRADNET_MALLOC_TUNING=0."""

import platform
import subprocess
import sys

import pytest

CODE = "import microgradnet; print(microgradnet.allocator_tuned())"


def _run(env_value):
    env = {"PATH": "/usr/bin:/bin"}
    if env_value is not None:
        env["MICROGRADNET_MALLOC_TUNING"] = env_value
    return subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, env=env,
                          check=True).stdout.strip()


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the tuning applies to glibc's malloc only")
def test_applied_by_default_on_glibc():
    assert _run(None) == "True"


def test_opt_out():
    assert _run("0") == "False"
