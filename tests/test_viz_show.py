"""viz.can_render / viz.show: the picture where a renderer exists, the DOT text where none does."""

import sys
import types

import pytest

import viz
from microgradnet import Value
from viz import display as show
from viz import render


@pytest.fixture
def displayed(monkeypatch):
    shown = []
    fake = types.ModuleType("IPython.display")
    fake.display = lambda obj, raw=False: shown.append((obj, raw))
    monkeypatch.setitem(sys.modules, "IPython.display", fake)
    return shown


def _graph():
    a = Value(2.0, label="a")
    b = a * a
    b.label = "b"
    b.backward()
    return b


def test_can_render_follows_the_lookup(monkeypatch):
    monkeypatch.setattr(show, "find_renderer", lambda: None)
    assert viz.can_render() is False
    monkeypatch.setattr(show, "find_renderer", lambda: render.Renderer("/x/graphviz-pure", render.PURE, "PATH"))
    assert viz.can_render("svg") is True
    assert viz.can_render("pdf") is False  # graphviz-pure has no pdf
    monkeypatch.setattr(show, "find_renderer", lambda: render.Renderer("/usr/bin/dot", "graphviz", "PATH"))
    assert viz.can_render("pdf") is True


def test_bad_env_var_is_no_renderer(monkeypatch):
    monkeypatch.setenv("MICROGRADNET_DOT", "/nonexistent/dot")
    assert viz.can_render() is False


def test_show_without_renderer_displays_dot_text(monkeypatch, displayed):
    monkeypatch.setattr(show, "find_renderer", lambda: None)
    assert viz.show(_graph(), edge_labels="local") is None
    (obj, raw), = displayed
    # the same construction gives the same DOT
    assert raw and obj["text/plain"] == show.NO_RENDERER_NOTE + viz.to_dot(_graph(), edge_labels="local")


def test_show_with_renderer_displays_the_graph(monkeypatch, displayed):
    monkeypatch.setattr(show, "find_renderer", lambda: render.Renderer("/usr/bin/dot", "graphviz", "PATH"))
    assert viz.show(_graph()) is None
    (obj, raw), = displayed
    assert isinstance(obj, viz.Graph) and not raw
    assert obj.source == viz.to_dot(_graph())
