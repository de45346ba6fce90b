"""Old module name of :mod:`.pool_lrelu_network` (EN4553 A2 Q1's max-pool → LeakyReLU → dense network by autodiff).

"toy" and the course code used to name this network; the module is now :mod:`microgradnet.check.pool_lrelu_network`.
This module keeps ``from microgradnet.check.toy import ...`` working: each old name is the very same object as its
new name.
"""

from __future__ import annotations

from . import pool_lrelu_network as _net

#: old name → new name.
OLD_NAMES = {
    "EN4553": "PoolLReLUNetCheck",
    "EN4553PReLU": "PoolLReLUNetPReLUCheck",
    "EN4553Graph": "PoolLReLUNetGraph",
    "en4553": "check_pool_lrelu_net",
    "en4553_prelu": "check_pool_lrelu_net_prelu",
    "en4553_graph": "pool_lrelu_net_graph",
    "SEED_DL_DV_PRELU": "HANDOUT_DL_DV_PRELU",
}

# Each old name bound to the very same object as its new name.
globals().update({old: getattr(_net, new) for old, new in OLD_NAMES.items()})

__all__ = ["OLD_NAMES", *OLD_NAMES]
