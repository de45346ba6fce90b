"""Label escaping and number formatting: any label renders as typed and cannot break or inject into the DOT.

(The same hostile labels are rendered through Graphviz and read back from the SVG in tests/test_viz_render.py.)
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import microgradnet as mg
from microgradnet import Value
from viz import to_dot
from viz.dot import escape, num, short, summary

HOSTILE = [
    '"]; injected [label="pwned"]; x [label="',
    "</text><script>alert(1)</script>",
    "a & b &amp; c &lt; d",
    "{ record | break } <port>",
    "back\\slash \\N \\l \\n \\\\",
    "line one\nline two\r\nthree",
    "bell\x07 nul\x00 esc\x1b del\x7f",
    "unicode: é ∂L/∂w ∑ 日本語 😀",
    "lone surrogate \ud800 here",
    "   padded   ",
    "",
]


def skeleton(dot: str) -> str:
    """The DOT text with every double-quoted string replaced by "" (backslash escapes honoured): what Graphviz's
    parser sees as structure. Two drawings with the same skeleton have the same nodes, edges and attributes."""
    out, i, n = [], 0, len(dot)
    while i < n:
        c = dot[i]
        if c == '"':
            i += 1
            while i < n and dot[i] != '"':
                i += 2 if dot[i] == "\\" else 1
            if i >= n:
                raise AssertionError("unterminated string in DOT")
            out.append('""')
            i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def test_escape_quotes_and_backslashes():
    assert escape('a"b') == 'a\\"b'
    assert escape("\\N") == "\\\\N"          # a user's \N stays literal (Graphviz would substitute the node name)
    assert escape("x\\") == "x\\\\"          # a trailing backslash cannot escape the closing quote


def test_escape_entities_and_record_metacharacters():
    assert escape("<b>&amp;") == "&lt;b&gt;&amp;amp;"
    assert escape("{x|y}") == "{x|y}"
    assert escape("{x|y}", record=True) == "\\{x\\|y\\}"


def test_escape_newlines_controls_and_surrogates():
    assert escape("a\nb") == "a\\nb"
    assert escape("a\r\nb\rc") == "a\\nb\\nc"
    assert escape("t\tab") == "t ab"
    # a control character becomes the visible text \x07 (its backslash escaped for DOT)
    assert escape("\x07") == "\\\\x07"
    assert escape("\x00\x1b\x7f\x85") == "\\\\x00\\\\x1b\\\\x7f\\\\x85"
    assert escape("a\ud800b") == "a\ufffdb"
    assert escape("é∂😀") == "é∂😀"


@pytest.mark.parametrize("label", HOSTILE)
def test_hostile_value_labels_do_not_change_the_dot_structure(label):
    def build(lab):
        a = Value(2.0, label=lab)
        b = Value(-3.0, label="b")
        c = a * b + a
        c.label = lab
        c.backward()
        return to_dot(c, edge_labels="local", title="T" + lab)

    hostile, benign = build(label), build("L")
    assert skeleton(hostile) == skeleton(benign)
    hostile.encode("utf-8")  # always valid UTF-8, even from a lone surrogate
    assert "injected" not in skeleton(hostile)


@pytest.mark.parametrize("label", HOSTILE[:5])
def test_hostile_tensor_labels_params_and_scopes(label):
    def build(lab):
        w = mg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, label=lab)
        x = mg.tensor([0.5, -1.0], label=lab)
        with mg.scope("s" + lab.replace("/", "").replace(".", "")):  # "/" and "." nest scopes, by design
            y = (w @ x).relu().sum()
        y.backward()
        return to_dot(y, params={lab: w}, show_saved=True, edge_labels="local")

    assert skeleton(build(label)) == skeleton(build("L"))


def test_num_is_micrograd_format_with_readable_extremes():
    assert num(2) == "2.0000"
    assert num(-1.5) == "-1.5000"
    assert num(-0.0) == "0.0000"
    assert num(1e-7) == "1.000e-07"            # not 0.0000: a tiny gradient stays visible
    assert num(12345678.9) == "1.235e+07"
    assert num(float("nan")) == "nan"
    assert num(-math.inf) == "-inf"


def test_summary_small_large_nonfinite_bool_int():
    assert summary(np.array([1.0, -2.0, 0.5])) == "[1, -2, 0.5]"
    assert summary(np.array(3.25)) == "3.25"
    a = np.arange(12.0).reshape(3, 4) - 2.5
    assert summary(a) == f"min {short(a.min())} mean {short(a.mean())} max {short(a.max())}"
    assert summary(a) == "min -2.5 mean 3 max 8.5"
    assert summary(np.ones((3, 3))) == "all 1"
    b = np.array([1.0, np.nan, 3.0, np.inf, 5.0])
    assert summary(b) == "min 1 mean 3 max 5 (2 non-finite)"
    assert summary(np.full(6, np.nan)) == "all 6 non-finite"
    assert summary(np.array([True, False, True])) == "2 of 3 True"
    assert summary(np.arange(10)) == "min 0 max 9"
    assert summary(np.zeros((0, 3))) == "empty"
