"""``microgradnet check``: the table and exit codes; ``--grade`` on student files; ``--json``; ``--pool-lrelu-net``."""

from __future__ import annotations

import json
import textwrap

import pytest

from microgradnet import functional as F
from microgradnet.check import COMPOSITIONS
from microgradnet.cli import main

# A student's conv2d backward in plain loops (CSC 249 HW2 P5.2 style); KERNEL_INDEX is the tap of w that multiplies
# g when scattering into x: (m, q) is right, (kh − 1 − m, kw − 1 − q) slides the kernel without rotating it.
STUDENT = textwrap.dedent("""\
    import numpy as np


    def _pair(v):
        return (v, v) if isinstance(v, int) else tuple(v)


    def conv_backward(x, w, b, g, stride=1, padding=0, dilation=1):
        (sh, sw), (ph, pw), (dh, dv) = _pair(stride), _pair(padding), _pair(dilation)
        unbatched = x.ndim == 3
        if unbatched:
            x, g = x[None], g[None]
        N, C, H, W = x.shape
        K, _, kh, kw = w.shape
        xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        dxp, dw = np.zeros_like(xp), np.zeros_like(w)
        for n in range(N):
            for k in range(K):
                for i in range(g.shape[2]):
                    for j in range(g.shape[3]):
                        for m in range(kh):
                            for q in range(kw):
                                u, v = i * sh + m * dh, j * sw + q * dv
                                dw[k, :, m, q] += g[n, k, i, j] * xp[n, :, u, v]
                                dxp[n, :, u, v] += g[n, k, i, j] * w[k, :, KERNEL_INDEX]
        dx = dxp[:, :, ph:ph + H, pw:pw + W]
        return (dx[0] if unbatched else dx), dw, g.sum(axis=(0, 2, 3))
    """)


def _student(tmp_path, name, index):
    path = tmp_path / f"{name}.py"
    path.write_text(STUDENT.replace("KERNEL_INDEX", index))
    return path


def test_check_two_rules_quick(capsys):
    assert main(["check", "conv2d", "max_pool2d", "--quick"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["rule", "gradient"]
    body = [line.split() for line in lines[2:] if line.startswith(("conv2d ", "max_pool2d ")) and "(alt:" not in line]
    assert [(b[0], b[1]) for b in body] == [("conv2d", "out"), ("conv2d", "dx"), ("conv2d", "dw"), ("conv2d", "db"),
                                           ("max_pool2d", "out"), ("max_pool2d", "dx")]
    assert all("PASS" in b for b in body)
    assert "numeric skipped on" in out and "tied maxima" in out
    assert "conv2d (alt: loops)" in out and "conv2d (alt: via_flip)" in out
    assert "2 rules, 12 rows, quick sweep, seed 0: all passed" in lines[-1]


def test_check_exit_code_one_on_a_failure(capsys, monkeypatch):
    monkeypatch.setitem(COMPOSITIONS, "relu", lambda x: F.leaky_relu(x, 0.01))
    assert main(["check", "relu", "tanh", "--quick"]) == 1
    out = capsys.readouterr().out
    assert "FAILED: relu" in out and "relu case" in out and "autodiff vs closed form" in out


def test_check_usage_errors(capsys):
    assert main(["check", "conv3d"]) == 2
    assert "unknown rule name(s) 'conv3d'" in capsys.readouterr().err


def test_check_json(tmp_path, capsys):
    out = tmp_path / "out.json"
    assert main(["check", "softmax", "--quick", "--seed", "5", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["seed"] == 5 and data["passed"] is True
    assert [(r["rule"], r["gradient"], r["passed"]) for r in data["rows"]] == [("softmax", "out", True),
                                                                               ("softmax", "dz", True)]
    assert f"wrote {out}" in capsys.readouterr().out


def test_grade_right_and_unflipped_student_files(tmp_path, capsys):
    right = _student(tmp_path, "right", "m, q")
    assert main(["check", "--quick", "--grade", f"{right}:conv_backward", "conv2d"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("conv2d: PASS 6/6. conv_backward agrees with the closed form (max |error|")

    wrong = _student(tmp_path, "wrong", "kh - 1 - m, kw - 1 - q")
    assert main(["check", "--grade", f"{wrong}:conv_backward", "conv2d"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("conv2d: FAIL ") and " conv_backward is wrong on " in out.splitlines()[0]
    assert "(wrong: dx)" in out
    assert "Known mistake 'dx_kernel_not_rotated' (dx)" in out and "the kernel was not flipped" in out
    assert "Smallest failing case: x (1, 1, " in out and "dx: worst at" in out


def test_grade_usage_errors_and_submission_failures(tmp_path, capsys):
    right = _student(tmp_path, "right", "m, q")
    # the student's file: a FAIL with one line (exit 1)
    assert main(["check", "--grade", f"{right}:nope", "conv2d"]) == 1
    assert "defines no 'nope'; its functions: conv_backward" in capsys.readouterr().out
    assert main(["check", "--grade", f"{right}:conv_backward", "relu"]) == 1  # no signature fits relu
    assert "relu: your function conv_backward" in capsys.readouterr().out
    broken = tmp_path / "broken.py"
    broken.write_text("raise RuntimeError('boom')\n")
    assert main(["check", "--grade", f"{broken}:f", "relu"]) == 1
    assert "loading the submission raised RuntimeError: boom" in capsys.readouterr().out
    # the teacher's command: exit 2
    assert main(["check", "--grade", f"{tmp_path / 'missing.py'}:f", "conv2d"]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["check", "--grade", f"{right}:conv_backward"]) == 2
    assert "name exactly one rule" in capsys.readouterr().err
    assert main(["check", "--grade", f"{right}:conv_backward", "conv3d"]) == 2
    assert "no closed-form rule named 'conv3d'" in capsys.readouterr().err


def test_grade_json_for_one_submission(tmp_path, capsys):
    import json
    wrong = _student(tmp_path, "wrong", "kh - 1 - m, kw - 1 - q")
    out = tmp_path / "one.json"
    assert main(["check", "--quick", "--grade", f"{wrong}:conv_backward", "conv2d", "--json", str(out)]) == 1
    (row,) = json.loads(out.read_text())["submissions"]
    assert row["path"] == str(wrong) and row["verdict"] == "fail" and row["mistake"] == "dx_kernel_not_rotated"
    assert set(row) == {"path", "verdict", "score", "cases", "mistake", "reason", "smallest_failing_case"}
    assert row["cases"]["passed"] + row["cases"]["failed"] == 6 and 0 <= row["score"] < 1
    assert row["smallest_failing_case"].startswith("x (1, 1, ")


def test_pool_lrelu_net_command(capsys):
    assert main(["check", "--pool-lrelu-net", "180577X"]) == 0
    out = capsys.readouterr().out
    assert "17.3" in out and "∂L/∂α: autodiff -2.25" in out and "PASS" in out
    assert main(["check", "--pool-lrelu-net", "12X"]) == 2
    assert "expected exactly 6 digits" in capsys.readouterr().err


@pytest.mark.parametrize("flag", ["--list"])
def test_list(flag, capsys):
    assert main(["check", flag]) == 0
    out = capsys.readouterr().out
    assert "conv2d                 conv2d_backward(x, w, b, g, *, stride=1, padding=0, dilation=1)" in out
