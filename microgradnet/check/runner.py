"""Which style a submission is written in, and the :class:`~.styles.Runner` that calls it for the grader.

One dispatch over the accepted styles: plain functions (:mod:`.styles`), and the cs231n pairs and the CSC 249 /
Tsinghua layer classes (:mod:`.styles_layers`). Kept apart from both so neither imports the other's caller.
"""

from __future__ import annotations

from ..closed_form import CLOSED_FORMS, KINKS, TIE_RULES, canonical_rule
from . import styles_layers
from .styles import STYLES, Runner, _plain

__all__ = ["make_runner"]


def make_runner(obj, name: str, *, style: str | None = None, forward=None, tie: str | None = None,
                kink: str | None = None) -> Runner:
    """The :class:`Runner` of submission ``obj`` (a function, or a class for the layer styles) for rule ``name``.

    ``style`` forces one of :data:`STYLES` (default: detected); ``forward`` is the cs231n forward; ``tie`` /
    ``kink`` the convention a function without that argument is graded under (default: ``"first"`` — CSC 249's
    layer classes ``"all"`` — and ``"negative"``). Raises :class:`StyleError` (a ``TypeError``) when ``obj`` fits
    no accepted signature."""
    name = canonical_rule(name)  # an old course-code rule name → its new name
    if name not in CLOSED_FORMS:
        raise ValueError(f"check.rule: no closed-form rule named {name!r}; known rules: {', '.join(CLOSED_FORMS)}")
    if style is not None and style not in STYLES:
        raise ValueError(f"check.rule: style must be one of {', '.join(STYLES)}, got {style!r}")
    if tie is not None and tie not in TIE_RULES:
        raise ValueError(f"check.rule: tie must be one of {', '.join(TIE_RULES)}, got {tie!r}")
    if kink is not None and kink not in KINKS:
        raise ValueError(f"check.rule: kink must be one of {', '.join(KINKS)}, got {kink!r}")
    if not callable(obj):
        raise TypeError(f"check.rule: expected a function (the backward of {name!r}), got a {type(obj).__name__}")
    if style is None:
        style = styles_layers.detect(obj, forward)
    if style == "plain":
        return _plain(obj, name, tie, kink)
    if style == "cs231n":
        return styles_layers.cs231n(obj, forward, name, tie, kink)
    return styles_layers.layer_class(obj, name, style, tie, kink)
