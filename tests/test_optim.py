"""Optimizers: every backend's trajectory against the reference update rules (torch.optim semantics)."""

import numpy as np
import pytest

from reference import optim


@pytest.mark.parametrize(
    ("name", "hyper", "error", "match"),
    [
        ("sgd", {"nesterov": True}, ValueError, "nesterov momentum requires momentum > 0"),
        ("adam", {"betas": (0.9, 1.0)}, ValueError, r"betas\[1\] must be in \[0, 1\)"),
        ("adam", {"betas": 0.9}, TypeError, "betas must be a pair"),
        ("rmsprop", {"momentum": -0.1}, ValueError, "momentum must be >= 0"),
        ("adagrad", {"lr_decay": -0.1}, ValueError, "lr_decay must be >= 0"),
        ("adagrad", {"initial_accumulator_value": -1.0}, ValueError, "initial_accumulator_value must be >= 0"),
        ("sgd", {"lr_": 1.0}, TypeError, "unexpected keyword"),
    ],
)
def test_optimizer_rejects_bad_hyperparameters(name, hyper, error, match):
    with pytest.raises(error, match=match):
        optim.OPTIMIZERS[name](np.ones(3), np.ones(3), {}, lr=0.1, **hyper)


def test_optimizer_rejects_a_gradient_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"grad \(2,\) must have param's shape \(3,\)"):
        optim.sgd(np.ones(3), np.ones(2), {}, lr=0.1)
