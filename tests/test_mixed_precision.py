"""Mixed precision (issue #16): the reference's autocast and loss scaling against torch's own, and what a step
skipped by the loss scaler does to a training run.

``reference.amp`` states torch.autocast's op lists and GradScaler's rules by hand; here torch itself is the
oracle: the dtypes its ops return under ``torch.autocast("cpu")``, GradScaler's scale and skipped steps on a
sequence of gradients with infinities, and a whole mlp trained with ``nn`` modules under autocast and GradScaler
against the reference run under the same autocast.
"""

from __future__ import annotations

import numpy as np
import pytest

from parity.checks import reference_training
from parity.compare import Context, assert_close
from parity.inputs import round_to, sample
from reference import CATALOG, LOOP_SPECS, amp, loops
from tests.test_training_oracle import NAMES, _torch_model

LOWS = ("bfloat16", "float16")
# the catalog entries the loops run, and those in torch's CPU lists
AUTOCAST_ENTRIES = sorted(
    amp.LOWER_PRECISION["cpu"] | amp.FLOAT32["cpu"]
    | {"relu", "max_pool2d", "avg_pool2d", "batch_norm", "flatten", "add", "exp", "softmax", "sum", "layer_norm"}
)  # fmt: skip


@pytest.mark.torch
@pytest.mark.parametrize("low", LOWS)
@pytest.mark.parametrize("entry", AUTOCAST_ENTRIES)
def test_reference_autocast_lists_give_torch_cpu_autocast_dtypes(entry, low):
    """Float32 inputs, and (for ops outside the lists) inputs already in the low type: the dtype torch's op
    returns under torch.autocast("cpu", low) is the one ``reference.amp.Autocast`` says."""
    torch = pytest.importorskip("torch")
    from impls import load_backend

    backend = load_backend("torch")
    spec = CATALOG[entry]
    case = spec.cases[0]
    inputs = round_to(sample(spec.domain, case.shapes, 7), low)
    rule = amp.Autocast(low, "cpu")
    for dtype in ("float32", low):
        arrays = [None if x is None else backend.asarray(x, "int64" if x.dtype.kind in "iu" else dtype)
                  for x in inputs]  # fmt: skip
        with torch.autocast("cpu", dtype=getattr(torch, low)):
            out = backend.run(entry, arrays, dict(case.params))
        floats = [dtype for x in inputs if x is not None and x.dtype.kind == "f"]
        assert str(out.dtype).removeprefix("torch.") == rule.result_dtype(entry, floats), (entry, dtype)


@pytest.mark.torch
def test_loss_scaler_follows_torch_grad_scaler():
    """Gradients with an inf or a NaN at steps 1 and 5: both skip the step and halve the scale, and the scale
    doubles after growth_interval = 3 clean steps in a row -- torch.amp.GradScaler and reference.amp.LossScaler
    step for step."""
    torch = pytest.importorskip("torch")
    settings = {"init_scale": 8.0, "growth_factor": 2.0, "backoff_factor": 0.5, "growth_interval": 3}
    bad = {1: np.inf, 5: np.nan}
    param = torch.zeros(2, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=0.1)
    scaler = torch.amp.GradScaler("cpu", **settings)
    ours = amp.scaler_from(settings)
    torch_scales, torch_skipped = [], []
    for step in range(9):
        weights = torch.tensor([1.0, bad.get(step, 2.0)])
        optimizer.zero_grad()
        before = param.detach().clone()
        scaler.scale((param * weights).sum()).backward()
        scaler.step(optimizer)
        torch_scales.append(scaler.get_scale())
        scaler.update()
        if torch.equal(before, param.detach()):
            torch_skipped.append(step)
        ours.update(step, found_inf=step in bad)
    assert torch_skipped == ours.skipped == [1, 5]
    assert torch_scales == ours.scales == [8.0, 8.0, 4.0, 4.0, 4.0, 8.0, 4.0, 4.0, 4.0]


def torch_autocast_training(torch, model: str, low: str, optimizer: str, loss_scale: dict | None):
    """The classifier trained by torch alone: float32 ``nn`` modules under torch.autocast("cpu", low), with
    torch.amp.GradScaler when ``loss_scale`` is given.  Returns the losses and the steps the scaler skipped."""
    net = _torch_model(torch, model).float()
    names = NAMES[model]
    net.load_state_dict({names[k]: torch.tensor(v, dtype=torch.float32)
                         for k, v in loops.init_params(model).items()}, strict=False)  # fmt: skip
    data = loops.classifier_data(model)
    steps, batch = loops.CLASSIFIER_DEFAULTS[model]["steps"], loops.CLASSIFIER_DEFAULTS[model]["batch"]
    hyper = dict(loops.OPTIMIZER_DEFAULTS[optimizer])
    opt = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[optimizer](net.parameters(), **hyper)
    scaler = torch.amp.GradScaler("cpu", **loss_scale) if loss_scale is not None else None
    losses, skipped = [], []
    for step, index in enumerate(loops._batches(len(data["y"]), batch, steps)):
        opt.zero_grad()
        with torch.autocast("cpu", dtype=getattr(torch, low)):
            logits = net(torch.tensor(data["x"][index], dtype=torch.float32))
            loss = torch.nn.functional.cross_entropy(logits, torch.tensor(data["y"][index]))
        losses.append(loss.item())
        if scaler is None:
            loss.backward()
            opt.step()
            continue
        scale = scaler.get_scale()
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        if scaler.get_scale() < scale:
            skipped.append(step)
    return np.array(losses), skipped


MLP_AMP_CASES = [i for i, c in enumerate(LOOP_SPECS["mlp"].cases) if c.params.get("amp")]


@pytest.mark.torch
@pytest.mark.parametrize("case", MLP_AMP_CASES)
def test_reference_autocast_run_agrees_with_torch_autocast_and_grad_scaler(case):
    """torch's own autocast (its op lists, its kernels, GradScaler) against the reference under
    ``reference.amp``'s autocast: every loss within the mixed-precision allowance of the check (LoopSpec)."""
    torch = pytest.importorskip("torch")
    spec = LOOP_SPECS["mlp"]
    params = spec.cases[case].params
    truth = reference_training("mlp", case)
    plain = reference_training("mlp", case, without_amp=True)
    low, optimizer = params["amp"], params["optimizer"]
    losses, skipped = torch_autocast_training(torch, "mlp", low, optimizer, params.get("loss_scale"))
    assert skipped == truth.extra.get("skipped_steps", [])
    atol = 1e-5 + spec.allowance("float32", len(losses), float(np.max(np.abs(truth.losses))))
    atol = atol + spec.amp_allowance(truth.losses, plain.losses, per_step=True)
    context = Context("mlp", "torch.autocast + GradScaler", "cpu", "float32", "train", "loss at each step")
    assert_close(losses.astype(np.float32), truth.losses, dtype="float32", rtol=1.3e-6, atol=atol, context=context)


def initial_losses(backend, steps: int) -> np.ndarray:
    """The initial mlp's loss on each of the first ``steps`` batches, under the reference's float16 autocast."""
    data = loops.classifier_data("mlp")
    autocast = amp.Autocast("float16", "cpu", "float64", emulate=True)
    params = {k: backend.asarray(v, "float64") for k, v in loops.init_params("mlp").items()}
    out = []
    for index in loops._batches(len(data["y"]), loops.CLASSIFIER_DEFAULTS["mlp"]["batch"], steps):
        x, y = backend.asarray(data["x"][index], "float64"), backend.asarray(data["y"][index], "int64")
        logits, dtype = loops._forward(backend, loops.MLP, x, params, {}, training=True, autocast=autocast,
                                       dtype="float64")  # fmt: skip
        out.append(float(loops._run(backend, "cross_entropy", [logits, y], [dtype, None], {}, autocast=autocast)[0]))
    return np.array(out)


def test_a_step_skipped_on_overflow_leaves_the_parameters_and_shifts_the_trajectory():
    """float16 autocast with the loss scaled by 2**24: the scaled gradient of the logits, 2**24 (p - y) / 32, is
    past float16's 65504 wherever |p - y| > 1/8, as it is at the start (p ~ 1/3), so the first steps overflow,
    are skipped and halve the scale until the gradients fit (GradScaler semantics).  A skipped step leaves the
    parameters where they were: the run trains on fewer batches, and its losses move away from the run whose
    scale never overflowed (torch's default, 2**16) by far more than rounding -- the divergence a port that
    forgets to skip (or skips without backing off) would show."""
    from impls.numpy_backend import NumpyBackend

    backend = NumpyBackend()
    kw = {"dtype": "float64", "grad": "manual", "optimizer": "sgd", "amp": "float16", "emulate_amp": True}
    high = loops.LOOPS["mlp"](backend, loss_scale={"init_scale": 2.0**24}, **kw)
    default = loops.LOOPS["mlp"](backend, loss_scale={}, **kw)
    skipped = high.extra["skipped_steps"]
    assert default.extra["skipped_steps"] == []
    # the first steps in a row, down to the default scale (measured: 2**17 still overflows, where the gradient of
    # fc1's weights sums 32 products of ~2**17 * 0.5)
    assert skipped == list(range(8)), skipped
    assert high.extra["loss_scales"][: len(skipped) + 1] == [2.0 ** (24 - k) for k in range(len(skipped) + 1)]
    # the skipped steps left the parameters at their initial values: every loss up to the first step taken is the
    # initial model's on that step's batch, and the first step taken starts from there too
    np.testing.assert_allclose(high.losses[: len(skipped) + 1], initial_losses(backend, len(skipped) + 1),
                               rtol=1e-12)  # fmt: skip
    spec = LOOP_SPECS["mlp"]
    plain = loops.LOOPS["mlp"](backend, dtype="float64", grad="manual", optimizer="sgd")
    rounding = spec.amp_allowance(default.losses, plain.losses, per_step=True)
    shift = np.abs(high.losses - default.losses)
    assert np.max(shift) > 10 * np.max(rounding), (np.max(shift), np.max(rounding))
