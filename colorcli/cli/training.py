"""``colorize train`` and ``colorize eval``: thin commands over ``colorcli.train``."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import click

from colorcli.cli import common as cc
from colorcli.cli import optionbuild as ob
from colorcli.options import NOT_NEGATIVES
from colorcli.train.config import EvalOptions, TrainConfig
from colorcli.words import counted


class _ArchChoice(click.Choice):
    """The registered architectures (``colorcli.models``), read when first needed: the
    registry imports torch, and ``colorize --help`` should not wait for it."""

    def __init__(self) -> None:
        super().__init__(())

    @property
    def choices(self) -> tuple[str, ...]:
        from colorcli.models import list_archs

        return tuple(list_archs())

    @choices.setter
    def choices(self, value: object) -> None:  # click's __init__ assigns; the registry rules
        pass


@cc.main.command("train")
@ob.options_from(TrainConfig, overrides={"arch": {"type": _ArchChoice()}})
@click.option(
    "--resume",
    is_flag=True,
    help="Continue the run in --out from its last.pt (same optimizer, schedule and step).",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Start a new run in an --out that holds one (its checkpoints are replaced as the new "
    "run saves). Without it (or --resume) such a folder is refused.",
)
@click.option("--quiet", "-q", is_flag=True, help="No live display.")
@cc.handle_errors
def train_cmd(resume: bool, overwrite: bool, quiet: bool, **opts) -> None:
    """Train a colorization model: quantize ab, compute the prior, rebalance, train.

    Writes config.json, metrics.jsonl, last.pt, best.pt and validation contact sheets into the
    run folder. Under torchrun it trains data-parallel (gloo on CPU, NCCL on CUDA).
    """
    from colorcli.events import DataLoaded, Loading, PriorReady, Resumed, Step, Validation
    from colorcli.train.loop import run_training

    if resume and overwrite:
        raise click.UsageError("--resume continues a run and --overwrite starts one: not both")
    out = opts.pop("out")
    if out is None:
        if resume:
            raise click.UsageError("--resume needs --out (the run folder to continue)")
        out = Path("runs") / dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        # the folder was not named: the line after Ctrl-C names it
        cc.after_interrupt(
            f"rerun the same command with --out {out} --resume to continue from the last save"
        )
    else:
        cc.after_interrupt("rerun the same command with --resume to continue from the last save")
    cfg = ob.settings(TrainConfig, opts, out=str(out))
    ctx = click.get_current_context()
    typed = (click.core.ParameterSource.COMMANDLINE, click.core.ParameterSource.ENVIRONMENT)
    given = frozenset(n for n in opts if ctx.get_parameter_source(n) in typed)
    events = run_training(cfg, resume=resume, overwrite=overwrite, given=given)
    if int(os.environ.get("RANK", "0")) != 0:  # under torchrun only rank 0 speaks
        for _ in events:
            pass
        return
    last_val = None
    with cc.Bar(quiet) as bar:
        task = reading = None
        for ev in events:
            if isinstance(ev, Loading):  # the photos read and cached, before any step
                if reading is None:
                    reading = bar.add("reading photos", ev.total, "photos")
                bar.update(reading, completed=ev.done)
                continue
            if isinstance(ev, DataLoaded):
                bar.remove(reading)
                for path, why in ev.skipped:
                    cc.echo(f"skipped: {path}: {why}")
                gray = f" ({ev.val_dropped} colourless left out)" if ev.val_dropped else ""
                cc.echo(
                    f"data: {ev.train} training photos ({ev.pixels / 1e6:.1f} Mpx cached), {ev.dropped} dropped as colourless, {ev.unreadable} skipped, {ev.val} for validation{gray}"
                )
                if ev.in_val:
                    cc.echo(
                        f"notice: {counted(ev.in_val, 'photo')} under --data {'are --val photos' if ev.in_val > 1 else 'is a --val photo'} too: kept for validation, not trained on"
                    )
            elif isinstance(ev, PriorReady):
                cc.echo(
                    f"prior: {ev.bins} {cfg.color_space} colour classes ({cfg.bins}), entropy {ev.entropy:.2f} nats"
                )
            elif isinstance(ev, Resumed):
                cc.echo(f"resuming {out} at step {ev.step}")
                if ev.stretch:
                    cc.echo(f"schedule: {ev.stretch}")
            elif isinstance(ev, Validation):
                last_val = ev
                cc.echo(
                    f"step {ev.step}: validation PSNR {ev.psnr:.2f} dB (gray baseline {ev.gray_psnr:.2f} dB)"
                )
            elif isinstance(ev, Step):
                if task is None:
                    task = bar.add("train", ev.steps, "steps", completed=ev.step - 1)
                val = f"  val {last_val.psnr:.2f} dB" if last_val else ""
                d = f"  D {ev.d_loss:.3f}" if ev.d_loss is not None else ""
                bar.update(
                    task,
                    advance=1,
                    info=f"loss {ev.loss:.3f}{d}  lr {ev.lr:.2e}  {ev.images_per_s:.1f} img/s{val}",
                )
    cc.echo(
        f"done: {Path(out) / 'last.pt'}"
        + (f", last validation PSNR {last_val.psnr:.2f} dB" if last_val is not None else "")
    )


@cc.main.command("eval")
@ob.options_from(EvalOptions)
@ob.colorize_options(exclude=NOT_NEGATIVES)
@cc.handle_errors
def eval_cmd(overwrite: bool, quiet: bool, **opts) -> None:
    """Measure a model on held-out colour photos: PSNR, SSIM and colourfulness of its
    colorizations, beside the gray baseline (the lightness alone)."""
    from colorcli.atomic import write_bytes_atomic
    from colorcli.errors import ConfigError, OutputPathError
    from colorcli.train.evaluate import eval_paths, evaluate, sheet_of, summarize

    o = ob.settings(EvalOptions, opts)
    outputs = [Path(o.json)] + ([Path(o.sheet)] if o.sheet else [])
    for p in outputs:
        if p.exists() and not overwrite:
            raise OutputPathError(f"{p} exists already (use --overwrite)")
    paths = eval_paths(Path(o.data))
    colorizer = ob.make_colorizer(opts)
    if o.hints and not colorizer.follows_hints:
        raise ConfigError(
            f"--hints: {opts['model'] or 'the shipped model'} was not trained to take hints (train one with colorize train --hints)"
        )
    records = []
    with cc.Bar(quiet) as bar:
        task = bar.add("evaluating", len(paths), "img")
        for r in evaluate(colorizer, paths, o.resize, o.min_colorfulness, o.hints, o.gray):
            if "skipped" in r:
                cc.echo(f"skipped: {r['skipped']}")
            records.append(r)
            bar.update(task, advance=1)
    summary = summarize(records, Path(o.data))
    summary["model"] = str(opts["model"]) if opts["model"] else "shipped default"
    summary["settings"] = {
        "temperature": colorizer.temperature,
        "prior_correction": colorizer.ckpt.prior_correction,
        "photo_decode": colorizer.ckpt.photo_decode,
        "saturation": colorizer.saturation,
        "size": colorizer.size,
        "resize": o.resize,
        "hints": o.hints,
        "gray": o.gray,
    }
    ours, gray, truth = summary["ours"], summary["gray"], summary["truth"]
    click.echo(f"{summary['images']} photos from {o.data}")
    click.echo(f"{'':<8}{'PSNR dB':>9}{'SSIM':>8}{'colourfulness':>15}{'vs truth':>10}")
    click.echo(
        f"{'ours':<8}{ours['psnr']:>9.2f}{ours['ssim']:>8.4f}{ours['colorfulness']:>15.1f}{100 * ours['colorfulness_ratio']:>9.0f}%"
    )
    for name in ("hinted", "spread"):
        if name in summary:
            r = summary[name]
            click.echo(
                f"{name:<8}{r['psnr']:>9.2f}{r['ssim']:>8.4f}{r['colorfulness']:>15.1f}{100 * r['colorfulness_ratio']:>9.0f}%"
            )
    click.echo(f"{'gray':<8}{gray['psnr']:>9.2f}{gray['ssim']:>8.4f}{0.0:>15.1f}{0:>9.0f}%")
    click.echo(f"{'truth':<8}{'':>9}{'':>8}{truth['colorfulness']:>15.1f}{100:>9.0f}%")
    if o.hints:
        click.echo(
            f"hinted: ours with {o.hints} simulated hints (5x5 squares of the true colour); spread: the same hints spread with a Gaussian in (x, y, L)"
        )
    text = json.dumps(summary, indent=2) + "\n"
    write_bytes_atomic(o.json, text.encode(), overwrite=overwrite)
    if o.sheet:
        from colorcli.imagewrite import write_image

        write_image(o.sheet, sheet_of(records), overwrite=overwrite)
    if not quiet:
        cc.echo(f"wrote {o.json}" + (f" and {o.sheet}" if o.sheet else ""))
