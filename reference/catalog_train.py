"""Catalog entries of issue #15's training machinery: the Adagrad optimizer and the transformer loop.

Their references: :func:`reference.optim.adagrad` (torch.optim.Adagrad's update rule), :mod:`reference.schedules`
(learning-rate schedules and gradient clipping by global norm, checked step by step against torch's in
tests/test_schedules.py) and :mod:`reference.transformer` (the model, its hand-derived backward and the loop).
"""

from __future__ import annotations

from reference import loops, optim
from reference.spec import Case, LoopSpec, OptimizerSpec


def _configs(*hypers, shape=(3, 4)):
    return tuple(Case((shape,), h) for h in hypers)


OPTIMIZERS = (
    OptimizerSpec(
        "adagrad",
        optim.adagrad,
        _configs(
            {},
            {"lr_decay": 0.05, "weight_decay": 0.01},
            {"initial_accumulator_value": 0.1, "eps": 1e-6},
            {"lr_decay": 0.01, "weight_decay": 0.01, "initial_accumulator_value": 0.5, "maximize": True},
        )
        + _configs({"lr_decay": 0.1}, shape=(5,)),
        notes="the step's learning rate lr / (1 + (k - 1) lr_decay) at step k (from 1); eps is added after the square "
        "root of the running sum of squares, which starts at initial_accumulator_value; weight_decay is L2",
    ),
)

LOOPS = (
    LoopSpec(
        "transformer",
        loops.LOOPS["transformer"],
        (Case((), {"grad": "manual"}), Case((), {"grad": "auto"})),
        # the classifiers' allowance (32 roundings per step along the longest path, growing linearly): measured on
        # this machine, the float32 runs of numpy, torch (manual and auto), autograd and cupy (emulated) use at most
        # 1% of it after 30 steps -- AdamW normalises each update, and no parameter has a structurally zero gradient
        # (no q/k/v biases) whose rounding noise it would amplify
        roundings=32,
        notes="a 1-block, 2-head causal transformer LM (vocabulary 16, sequences of 8, batch 4, d_model 16, tied "
        "output layer), 30 AdamW steps with linear warmup + cosine decay and clipping to global norm 1; "
        "see reference/transformer.py",
    ),
)
