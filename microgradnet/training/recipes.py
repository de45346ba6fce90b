"""The training defaults of ``microgradnet train``: a default model per data set and a measured recipe per pair.

``microgradnet train DATASET`` with no other flag trains ``DEFAULT_MODEL[DATASET]`` with ``RECIPES[(DATASET,
MODEL)]``; the figures each default reaches on the project machine are in ``benchmarks/training.md`` (the
``cifar10`` recipes are the exception: no copy of CIFAR-10 was available to measure them). Rules:

* a flag given on the command line always wins;
* a recipe applies to its own (data set, model) pair only; any other pair gets :data:`GENERIC` (Adam at its
  usual rate 1e-3, 10 epochs, batch 64);
* choosing another optimiser than the recipe's drops the recipe's ``lr`` and ``momentum`` (a rate tuned for SGD
  with momentum is wrong for Adam), so they fall back to that optimiser's default (:data:`DEFAULT_LR`, momentum 0);
* training runs in float32 unless ``--dtype float64`` (twice as fast for the same accuracy here; the engine,
  ``gradcheck`` and ``check`` keep float64 as their default).
"""

from __future__ import annotations

DEFAULT_LR = {"sgd": 0.1, "adam": 1e-3, "rmsprop": 1e-3}
TRAIN_DTYPE = "float32"

GENERIC = {"optimizer": "adam", "momentum": 0.0, "batch_size": 64, "epochs": 10, "lr_decay": 1.0}

_SGD = {"optimizer": "sgd", "momentum": 0.9}

DEFAULT_MODEL = {
    "spiral": "mlp", "playground-spiral": "mlp", "moons": "mlp", "circles": "mlp", "xor": "mlp", "blobs": "softmax",
    "eecs498": "logistic", "mnist": "cnn", "fashion-mnist": "cnn", "cifar10": "cnn", "fake-cifar10": "vgg11",
}

RECIPES = {
    ("spiral", "mlp"): {**_SGD, "lr": 0.3, "batch_size": 32, "epochs": 300, "hidden": 100},
    ("playground-spiral", "mlp"): {**_SGD, "lr": 0.01, "batch_size": 10, "epochs": 100, "hidden": [32, 32]},
    ("moons", "mlp"): {**_SGD, "lr": 0.1, "batch_size": 32, "epochs": 100, "hidden": 16},
    ("circles", "mlp"): {**_SGD, "lr": 0.1, "batch_size": 32, "epochs": 100, "hidden": 16},
    ("xor", "mlp"): {**_SGD, "lr": 0.1, "batch_size": 32, "epochs": 100, "hidden": 16},
    ("blobs", "softmax"): {**_SGD, "lr": 0.05, "batch_size": 32, "epochs": 30},
    ("eecs498", "logistic"): {**_SGD, "lr": 0.05, "batch_size": 25, "epochs": 40},
    ("eecs498", "svm"): {**_SGD, "lr": 0.01, "batch_size": 25, "epochs": 40},
    ("mnist", "softmax"): {"optimizer": "adam", "lr": 0.01, "batch_size": 64, "epochs": 20},
    ("mnist", "twolayer"): {**_SGD, "lr": 0.1, "batch_size": 64, "epochs": 15, "hidden": 256},
    ("mnist", "cnn"): {**_SGD, "lr": 0.05, "batch_size": 64, "epochs": 10},
    ("fashion-mnist", "cnn"): {**_SGD, "lr": 0.05, "batch_size": 64, "epochs": 5, "lr_decay": 0.9},
    ("fashion-mnist", "vgg11"): {**_SGD, "lr": 0.01, "batch_size": 64, "epochs": 1, "batch_norm": True},
    ("cifar10", "cnn"): {**_SGD, "lr": 0.01, "batch_size": 64, "epochs": 10},
    ("cifar10", "vgg11"): {**_SGD, "lr": 0.01, "batch_size": 64, "epochs": 10, "batch_norm": True},
    ("fake-cifar10", "vgg11"): {**_SGD, "lr": 0.01, "batch_size": 64, "epochs": 1},
}

KEYS = ("optimizer", "lr", "momentum", "batch_size", "epochs", "lr_decay", "hidden", "batch_norm", "activation")


def resolve(dataset: str, model: str | None, given: dict) -> tuple[str, dict, str]:
    """``(model, settings, origin)``: the model to train, every setting of :data:`KEYS` (``None`` = the model's own
    default) and a phrase saying where they came from. ``given`` holds the flags the user set (others ``None``)."""
    model = model or DEFAULT_MODEL[dataset]
    recipe = RECIPES.get((dataset, model))
    base = dict(recipe) if recipe is not None else dict(GENERIC)
    origin = f"the {dataset}/{model} recipe" if recipe is not None else "the generic defaults (no recipe for " \
                                                                      f"{dataset}/{model})"
    chosen = given.get("optimizer")
    if chosen is not None and chosen != base.get("optimizer"):
        base.pop("lr", None)
        base["momentum"] = 0.0
    settings = {k: base.get(k) for k in KEYS}
    settings.update({k: v for k, v in given.items() if k in KEYS and v is not None})
    if settings["lr"] is None:
        settings["lr"] = DEFAULT_LR[settings["optimizer"]]
    settings["momentum"] = settings["momentum"] or 0.0
    settings["lr_decay"] = 1.0 if settings["lr_decay"] is None else settings["lr_decay"]
    settings["batch_norm"] = bool(settings["batch_norm"])
    return model, settings, origin


def _fmt(recipe: dict) -> str:
    parts = [recipe["optimizer"]]
    if "lr" in recipe:
        parts.append(f"lr {recipe['lr']:g}")
    if recipe.get("momentum"):
        parts.append(f"momentum {recipe['momentum']:g}")
    parts.append(f"batch {recipe['batch_size']}, {recipe['epochs']} epoch{'s' if recipe['epochs'] != 1 else ''}")
    if recipe.get("lr_decay", 1.0) != 1.0:
        parts.append(f"lr decay {recipe['lr_decay']:g}")
    if recipe.get("hidden") is not None:
        h = recipe["hidden"]
        parts.append("hidden " + (",".join(map(str, h)) if isinstance(h, list) else str(h)))
    if recipe.get("activation"):
        parts.append(recipe["activation"])
    if recipe.get("batch_norm"):
        parts.append("batch norm")
    return ", ".join(parts)


def help_table() -> str:
    """The defaults per data set, for ``microgradnet train --help``."""
    lines = ["defaults per data set (a flag you give wins; '*' marks the model used when --model is not given):"]
    for dataset, default in DEFAULT_MODEL.items():
        for (d, m), recipe in RECIPES.items():
            if d == dataset:
                lines.append(f"  {dataset + ' ' + m + (' *' if m == default else ''):<24} {_fmt(recipe)}")
    lines.append(f"  {'any other pair':<24} {_fmt(GENERIC)} (lr: sgd 0.1, adam/rmsprop 0.001)")
    lines.append(f"all in {TRAIN_DTYPE} unless --dtype float64. Measured results: benchmarks/training.md")
    return "\n".join(lines)


__all__ = ["DEFAULT_LR", "DEFAULT_MODEL", "GENERIC", "RECIPES", "TRAIN_DTYPE", "help_table", "resolve"]
