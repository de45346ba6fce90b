"""The op catalogue (in the spirit of PyTorch's OpInfo): every public op with sample inputs and its conventions.

One entry (:class:`~microgradnet.opinfo.core.OpInfo`) is what a student writes, as a function of a library
namespace, with inputs drawn from broadcast shapes, 0-d and empty tensors, negative dims, float32 and float64 and
integers where they apply, plus edge points with hand-worked values and misuses that must raise. The same table

- is checked by the test suite (``tests/test_opinfo.py``): every float64 sample's gradient against central
  differences, every edge point against its hand-worked value at Tensor and Value level, every misuse;
- is compared against PyTorch by ``make parity`` (:mod:`microgradnet.opinfo.parity`): values, gradients, shapes,
  dtypes and error classes, with a printed report;
- generates the supported-ops table in ``docs/ops.md`` (:mod:`microgradnet.opinfo.docs`).

Importing it imports neither microgradnet's fronts nor torch: the runner passes a library in.
"""

from .core import A, Arr, I, OpInfo, S, Sample, V
from .ops_nn import NN_OPS
from .ops_tensor import TENSOR_OPS

CATALOGUE = TENSOR_OPS + NN_OPS

__all__ = ["A", "CATALOGUE", "Arr", "I", "OpInfo", "S", "Sample", "V"]
