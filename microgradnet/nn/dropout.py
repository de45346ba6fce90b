"""``Dropout``: inverted dropout, the identity in evaluation mode."""

from __future__ import annotations

import numbers

from .. import functional as F
from .module import Module


class Dropout(Module):
    """y = x ⊙ M / (1 − p) while ``training`` (M ~ Bernoulli(1 − p) from :func:`microgradnet.generator`), y = x
    after ``eval()``; see :func:`microgradnet.functional.dropout` (EECS 498 HW1 §1.3, §7.2)."""

    def __init__(self, p=0.5):
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= float(p) < 1.0:
            raise ValueError(f"Dropout: p (the drop probability) must be in [0, 1), got {p!r}")
        self.p = float(p)

    def forward(self, input):
        return F.dropout(input, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"
