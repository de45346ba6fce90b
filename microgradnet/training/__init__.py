"""Training the homework models: the ``Solver``, checkpoints, plots, the ``train``/``evaluate`` commands and the
homework's experiments (``python -m microgradnet.training.experiments NAME``).

matplotlib and tqdm are imported only when a plot is drawn or a progress bar shown.
"""

from .checkpoint import Checkpoint, CheckpointError, load_model, read_checkpoint, save_checkpoint, save_model
from .losses import LOSSES, get_loss, predict
from .solver import DivergenceError, Solver, predict_scores

__all__ = ["LOSSES", "Checkpoint", "CheckpointError", "DivergenceError", "Solver", "get_loss", "load_model",
           "predict", "predict_scores", "read_checkpoint", "save_checkpoint", "save_model"]
