"""Old module name of :mod:`.pool_lrelu_network` (the max-pool → LeakyReLU → dense network of EN4553 A2 Q1).

"toy" used to name this network; the module is now :mod:`microgradnet.closed_form.pool_lrelu_network`. This module
keeps ``from microgradnet.closed_form.toy import ...`` working: each name below is the very same object as the
one in :mod:`.pool_lrelu_network`.
"""

from __future__ import annotations

from . import pool_lrelu_network as _net
from .pool_lrelu_network import index_to_X

#: old name → new name.
OLD_NAMES = {
    "EN4553_W": "POOL_LRELU_NET_W",
    "ToyResult": "PoolLReLUNetResult",
    "ToyPReLU": "PoolLReLUNetPReLU",
    "toy_network": "pool_lrelu_net",
    "toy_loss": "pool_lrelu_net_loss",
    "toy_prelu": "pool_lrelu_net_prelu",
}

# Each old name bound to the very same object as its new name.
globals().update({old: getattr(_net, new) for old, new in OLD_NAMES.items()})

__all__ = ["OLD_NAMES", "index_to_X", *OLD_NAMES]
