"""``parity train``: one training loop on one backend, or every backend side by side (``--compare``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from impls import BackendUnavailable, backend_class, known_backends, load_backend
from parity.text import format_columns
from reference import loops


def _train_once(args, name: str, device: str, grad: str):
    reason = backend_class(name).unsupported_reason(args.loop)
    if reason:
        raise BackendUnavailable(f"{name} cannot run {args.loop}: {reason}")
    backend = load_backend(name)
    problem = backend.device_problem(device)
    if problem:
        raise BackendUnavailable(problem)
    kwargs = {"device": device, "dtype": args.dtype, "grad": grad}
    if args.steps:
        kwargs["steps"] = args.steps
    if args.optimizer and args.loop in ("mlp", "cnn"):
        kwargs["optimizer"] = args.optimizer
    if getattr(args, "amp", None):
        if args.loop not in ("mlp", "cnn"):
            raise BackendUnavailable(f"--amp runs the classifiers (mlp, cnn), not {args.loop}")
        if grad == "auto" and backend_class(name).case_problem({"grad": grad, "amp": args.amp}):
            raise BackendUnavailable(backend_class(name).case_problem({"grad": grad, "amp": args.amp}))
        kwargs["amp"] = args.amp
        if args.loss_scale is not None:
            kwargs["loss_scale"] = {"init_scale": args.loss_scale}
    return loops.LOOPS[args.loop](backend, **kwargs)


def _default_grad(name: str) -> str:
    return "auto" if backend_class(name).autograd else "manual"


def cmd_train(args) -> int:
    if args.compare:
        return _train_compare(args)
    grad = args.grad or _default_grad(args.backend)
    try:
        result = _train_once(args, args.backend, args.device, grad)
    except (BackendUnavailable, NotImplementedError) as error:
        print(f"cannot train {args.loop} on {args.backend}/{args.device}: {error}", file=sys.stderr)
        return 2
    if args.json:
        text = json.dumps(result.summary(), indent=1)
        if args.output:
            Path(args.output).write_text(text)
        print(text)
    else:
        amp = f" amp={args.amp}" if getattr(args, "amp", None) else ""
        skipped = result.extra.get("skipped_steps")
        scaler = "" if skipped is None else f", {len(skipped)} step(s) skipped by the loss scaler {skipped}"
        print(
            f"{args.loop} {result.backend}/{result.device} {result.dtype}{amp} grad={grad} steps={result.steps}: "
            f"{result.seconds:.3f} s, final loss {result.final_loss:.10g}{scaler}"
        )
    return 0


def _train_compare(args) -> int:
    """Every available backend, device and gradient mode on the same loop; ratios against numpy."""
    rows = []
    for name in known_backends():
        cls = backend_class(name)
        for device in cls.devices:
            for grad in ("manual", "auto") if cls.autograd else ("manual",):
                try:
                    rows.append(_train_once(args, name, device, grad))
                except BackendUnavailable as error:
                    print(f"# {name}/{device}: skipped ({error})")
                    break
            else:
                continue
            if cls.unsupported_reason(args.loop):
                break  # the loop itself is unsupported: one line, not one per device
    reference = next((r for r in rows if r.backend == "numpy"), rows[0])
    print(compare_table(rows, reference))
    return 0


def compare_table(rows, reference) -> str:
    """``parity train --compare``'s table: one line per run, timed and compared against ``reference``."""
    header = ["backend", "device", "grad", "seconds", "vs numpy", "final loss", "|loss - numpy|"]
    lines = [
        [
            r.backend,
            r.device,
            r.grad,
            f"{r.seconds:.3f}",
            f"{r.seconds / reference.seconds:.2f}x",
            f"{r.final_loss:.15g}",
            f"{abs(r.final_loss - reference.final_loss):.3g}",
        ]
        for r in rows
    ]
    return format_columns(header, lines, right=range(3, len(header)))
