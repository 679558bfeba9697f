"""``colorize image`` and ``colorize dir``: thin commands over imageio, archive and video."""

from __future__ import annotations

import functools
import sys
import time
from pathlib import Path

import click

from colorcli.cli import common as cc
from colorcli.cli import optionbuild as ob
from colorcli.options import (
    FORMAT_NAMES,
    MAX_MEGAPIXELS,
    MEGAPIXELS_CAP,
    OUTPUT_IMAGE_FORMATS,
    VideoOptions,
)


def _megapixels(f):
    """--max-megapixels, for image and dir: the largest photo read."""
    return click.option(
        "--max-megapixels",
        type=click.IntRange(1, MEGAPIXELS_CAP),
        default=MAX_MEGAPIXELS,
        show_default=True,
        help=f"Refuse a photo larger than this (a guard against decompression bombs; a 100-megapixel scan takes about 1.6 GB of memory to colour; at most {MEGAPIXELS_CAP}).",
    )(f)


@cc.main.command("image")
@click.argument("src", type=click.Path(path_type=Path))
@click.argument("dst", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--hints",
    "hints_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Image of wanted colours (any size, scaled to SRC): its opaque pixels (alpha >= 128) are hints, transparent ones are not; only their colour counts, not their lightness.",
)
@click.option(
    "--reference",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="A colour photo of similar content (the same street today, the same actor elsewhere): its colours where its lightness matches, the model's elsewhere.",
)
@click.option(
    "--hint",
    "points",
    multiple=True,
    metavar="X,Y,COLOUR",
    callback=lambda ctx, param, value: _parse_points(value),
    help="A wanted colour at X,Y of SRC: pixels from its top left, or percentages of its width and height (50%,20%); COLOUR is #RRGGBB, #RGB or a CSS colour name (navy, olive, skyblue). Repeatable.",
)
@_megapixels
@ob.colorize_options(exclude=("batch_size",))
@cc.handle_errors
def image_cmd(
    src: Path,
    dst: Path,
    hints_path,
    reference,
    points,
    max_megapixels: int,
    overwrite: bool,
    quiet: bool,
    **opts,
) -> None:
    """Colorize one image SRC into DST (format from DST's extension), guided by hints if given."""
    from colorcli.animation import colorize_animation, is_animation
    from colorcli.atomic import Claim, check_name, check_writable
    from colorcli.errors import ConfigError, MediaError, OutputPathError
    from colorcli.imageio import read_image
    from colorcli.imagewrite import alpha_note, write_image
    from colorcli.incolour import in_colour, no_colour_note
    from colorcli.options import DOCUMENT_EXTS, IMAGE_FORMATS, WRITABLE_NAMES
    from colorcli.pages import colorize_pages

    parsed = points  # (x, y, rgb), checked by click before any work
    if reference is not None and (hints_path is not None or parsed):
        raise ConfigError("--reference goes alone: give hints or a reference, not both")
    max_pixels = max_megapixels * 1_000_000
    if src.is_dir():
        raise MediaError(src, "a folder, not a photo (`colorize dir` takes folders)")

    check_name(dst)
    if dst.resolve() == src.resolve() or (dst.exists() and src.exists() and dst.samefile(src)):
        raise OutputPathError(f"output {dst} is the input; refusing to overwrite an original")
    pdf = src.suffix.lower() in DOCUMENT_EXTS
    if pdf != (dst.suffix.lower() in DOCUMENT_EXTS):
        raise OutputPathError(f"{dst}: a PDF is coloured into a PDF, a picture into a picture")
    if not pdf and dst.suffix.lower() not in IMAGE_FORMATS:
        raise OutputPathError(f"{dst}: cannot write a {dst.suffix!r} image (use {WRITABLE_NAMES})")
    if dst.exists() and not overwrite:
        raise OutputPathError(f"{dst} exists already (use --overwrite)")
    check_writable(dst)
    if pdf:
        if hints_path is not None or parsed:
            raise ConfigError("hints guide one picture: give them to the photos, not a PDF")
        _pdf(src, dst, reference, overwrite, quiet, opts, max_pixels)
        return
    img = read_image(src, max_pixels)
    with Claim(dst):
        colorizer = ob.make_colorizer(opts)
        guide = None
        if hints_path is not None or parsed:
            guide = _guide_for(img, hints_path, parsed, colorizer, opts["model"])
        t0 = time.perf_counter()
        if guide is None and is_animation(img.info, IMAGE_FORMATS[dst.suffix.lower()]):
            with cc.Bar(quiet) as bar:  # every frame: the network's work of a film
                task = bar.add("colorizing", img.info.frames, "frames")
                how = functools.partial(
                    colorize_animation, progress=lambda k, n: bar.update(task, advance=k, total=n)
                )
                _many(how, "frames", colorizer, src, dst, reference, overwrite, quiet)
            return
        if img.info.pages > 1 and IMAGE_FORMATS[dst.suffix.lower()] == "tiff" and guide is None:
            pages = functools.partial(colorize_pages, max_pixels=max_pixels)
            _many(pages, "pages", colorizer, src, dst, reference, overwrite, quiet)
            return
        if reference is not None:
            rgb = colorizer.colorize_like(img.pixels, cc.read_reference(reference))
        else:
            rgb = colorizer.colorize(img.pixels, guide)
        rgb = img.gray_where_missing(rgb)
        lost = alpha_note(img.alpha, IMAGE_FORMATS[dst.suffix.lower()])
        for note in (*img.info.notices, lost) if lost else img.info.notices:
            cc.echo(f"notice: {src}: {note}")
        if guide is None and reference is None and in_colour(img.pixels):
            cc.echo(f"notice: {src}: already in colour: recoloured from its lightness alone")
        if (why := no_colour_note(img.pixels)) is not None:
            cc.echo(f"notice: {src}: {why}")
        # the scan's dpi, EXIF, XMP, text: carried over
        write_image(dst, rgb, img.alpha, overwrite=overwrite, bits=img.info.bits, meta=img.meta)
    if not quiet:  # its size as shown (upright), as --hint counts pixels
        h, w = img.pixels.shape[:2]
        cc.echo(f"{src} -> {dst} ({w}x{h}, {time.perf_counter() - t0:.1f} s)")


def _pdf(
    src: Path, dst: Path, reference, overwrite: bool, quiet: bool, opts, max_pixels: int
) -> None:
    """``colorize image scan.pdf out.pdf``: every photo or scan in it coloured."""
    from colorcli.atomic import Claim
    from colorcli.pages import colorize_pdf

    with Claim(dst):
        colorizer = ob.make_colorizer(opts)
        how = functools.partial(colorize_pdf, max_pixels=max_pixels)
        _many(how, "pictures coloured", colorizer, src, dst, reference, overwrite, quiet)


def _many(how, unit: str, colorizer, src: Path, dst: Path, reference, overwrite, quiet) -> None:
    """A picture of many (an album, a PDF, an animation) coloured whole by ``how``
    (``colorcli.pages``, ``colorcli.animation``), after ``reference`` if given; what it found
    and how many it coloured said."""
    ref = cc.read_reference(reference) if reference is not None else None
    count, said = how(colorizer, src, dst, overwrite, reference=ref)
    for note in said:
        cc.echo(f"notice: {src}: {note}")
    if not quiet:
        cc.echo(f"{src} -> {dst} ({count} {unit})")


def _parse_points(texts: tuple[str, ...]) -> list:
    from colorcli.errors import ConfigError
    from colorcli.guide import parse_point

    try:
        return [parse_point(t) for t in texts]
    except ConfigError as e:
        raise click.BadParameter(str(e).removeprefix("--hint ")) from None


def _guide_for(img, hints_path: Path | None, points: list, colorizer, model):
    """The Guide of ``colorize image``'s --hints and --hint, notices echoed."""
    from colorcli.compose import lightness
    from colorcli.errors import ConfigError
    from colorcli.guide import guide_from_layer, guide_from_points, merge
    from colorcli.imageio import read_image

    if not colorizer.follows_hints:
        raise ConfigError(
            f"--hints/--hint: {model or 'the shipped model'} was not trained to take hints (train one with colorize train --hints)"
        )
    l_full = lightness(img.pixels)
    layer = None
    if hints_path is not None:
        h = read_image(hints_path)
        layer = guide_from_layer(h.pixels, h.present_alpha, l_full, str(hints_path))
    guide = merge(layer, guide_from_points(points, l_full) if points else None)
    for note in guide.notices if guide is not None else ():
        cc.echo(f"notice: {note}")
    return guide


class _FormatChoice(click.Choice):
    """A written format by its name or by an extension of it (jpg, TIF, .png)."""

    def convert(self, value, param, ctx):  # noqa: ANN001, ANN201 (click's signature)
        name = FORMAT_NAMES.get(str(value).lower().lstrip("."))
        return name if name is not None else super().convert(value, param, ctx)


@cc.main.command("dir")
@click.argument("src", type=click.Path(path_type=Path))
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
    type=_FormatChoice(OUTPUT_IMAGE_FORMATS),
    default=None,
    help="Write every photo in this format.  [default: each input's own]",
)
@click.option(
    "--shard",
    default="0/1",
    show_default=True,
    help="Process only share K of N (0 <= K < N), stable across machines: for cluster job arrays.",
)
@click.option(
    "--reference",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="A colour photo of similar content that guides every photo without a sidecar of hints (films: use colorize video --refs).",
)
@_megapixels
@ob.options_from(
    VideoOptions,
    exclude=("start", "end", "stats", "refs", "reference"),
    overrides={
        "keep_colour": {
            "help": "Write photos, and films' scenes, already in colour (colours that vary apart from their lightness, not one tint such as sepia) as they are, instead of recolouring them from their lightness."
        }
    },
)
@ob.colorize_options()
@cc.handle_errors
def dir_cmd(
    src: Path,
    out,
    fmt,
    shard,
    reference,
    max_megapixels: int,
    overwrite: bool,
    quiet: bool,
    **opts,
) -> None:
    """Colorize every photo (jpg, png, tif, bmp, webp, jp2, gif, pnm) and film (mp4, mkv, mov, avi, webm,
    mpg, ts, ...) under SRC, recursively, into a mirrored tree.

    Films keep their timing and sound, as with `colorize video` (the video options apply to
    each). Outputs that already exist are skipped, so rerunning after an interruption resumes;
    two runs over the same folders share the work.
    """
    cc.after_interrupt("rerun the same command to resume (finished files are skipped)")
    from colorcli.archive import Summary, colorize_jobs, damaged_reason
    from colorcli.archiveplan import parse_shard, plan_dir
    from colorcli.errors import MediaError, NoSpaceError
    from colorcli.guide import SIDECAR

    if src.exists() and not src.is_dir():
        raise MediaError(
            src, "a file, not a folder (`colorize image` takes one photo, `colorize video` a film)"
        )
    video_opts = ob.settings(VideoOptions, opts)
    ref = None
    if reference is not None:  # a bad reference stops the run before any work
        ref = cc.read_reference(reference)
    plan = plan_dir(
        src, out, fmt=fmt, shard=parse_shard(shard), overwrite=overwrite, codec=video_opts.codec
    )
    summary = Summary(skipped=len(plan.existing))
    for path, reason in plan.unsearched:
        cc.echo(f"not searched: {path}: {reason}")
    for path, kind in plan.not_files:
        cc.echo(f"notice: {path}: {kind}, not a file: not read")
    if plan.passed_over:
        n, first = len(plan.passed_over), plan.passed_over[0]
        cc.echo(
            f"notice: {n} system folders and files passed over (NAS thumbnails, recycle bins, "
            f"macOS ._ files, Photo CD overviews; the first: {first})"
        )
    if plan.other_kinds:
        kinds = sorted(plan.other_kinds.items(), key=lambda kn: (-kn[1], kn[0]))
        shown = ", ".join(f"{ext} {n}" for ext, n in kinds[:8]) + (
            ", ..." if len(kinds) > 8 else ""
        )
        cc.echo(f"notice: passed over, as colorize cannot read them: {shown}")
    for path in plan.orphans:
        cc.echo(
            f"notice: {path}: not used: no photo beside it is named so (hints for photo.jpg go in photo{SIDECAR})"
        )
    if outdated := plan.outdated:
        cc.echo(
            f"notice: {len(outdated)} of the {len(plan.existing)} already done were modified after they were coloured (the photo or film, or its hints), and are skipped as done (the first: {outdated[0].src}); remove their outputs, or use --overwrite, to colour them again"
        )
    if not quiet:
        photos = len(plan.jobs) - plan.films
        cc.echo(
            f"{photos} photos and {plan.films} films to colorize, {len(plan.existing)} already done, into {plan.out_dir}"
        )
    if plan.rewrapped:
        kinds = " or ".join(f"{ext} ({n})" for ext, n in sorted(plan.rewrapped.items()))
        cc.echo(
            f"notice: --codec {video_opts.codec} does not go in {kinds}: those films are written as .mkv"
        )
    if ref is not None and plan.films:
        cc.echo(
            f"notice: --reference guides the photos; the {plan.films} films are coloured without it (colorize video --refs carries stills through a film)"
        )
    pdfs = sum(j.fmt == "pdf" for j in plan.jobs)
    if fmt and pdfs:
        cc.echo(
            f"notice: --format {fmt} is for pictures: the {pdfs} PDFs stay PDFs, their pictures coloured inside"
        )
    if plan.jobs:
        colorizer = ob.make_colorizer(opts)
        jobs = colorize_jobs(
            colorizer,
            plan.jobs,
            overwrite=overwrite,
            max_pixels=max_megapixels * 1_000_000,
            video_options=video_opts,
            reference=ref,
            keep_colour=video_opts.keep_colour,
        )
        try:
            _draw_jobs(jobs, len(plan.jobs), quiet, summary)
        except NoSpaceError:  # the run stops: what it did before, then the one line
            left = len(plan.jobs) - summary.done - summary.kept - summary.skipped - summary.busy
            cc.echo(
                f"{summary.done} colorized before the disk filled up, {len(summary.failed)} failed, {left} not done"
            )
            raise
    for job in plan.damaged:
        summary.failed.append((job.src, damaged_reason(job)))
    _report(summary, plan)


def _draw_jobs(jobs, total: int, quiet: bool, summary) -> None:
    """One bar for the files, and one for the frames of the film being coloured."""
    from colorcli.archive import FilmUpdate
    from colorcli.events import Frames, Notice, VideoStart

    with cc.Bar(quiet) as bar:
        files = bar.add("colorizing", total, "files")
        film = None
        for r in jobs:
            if isinstance(r, FilmUpdate):
                ev = r.event
                if isinstance(ev, VideoStart):
                    if film is not None:  # begun again (a joined film, now read as one)
                        bar.remove(film)
                    film = bar.add(f"  {r.job.src.name}", ev.total, "frames")
                elif isinstance(ev, Frames):
                    bar.update(film, advance=ev.n, elapsed=ev.elapsed)
                elif isinstance(ev, Notice):  # named once, whether the film's words name it
                    named = ev.message.startswith(f"{r.job.src}: ")
                    cc.echo(f"notice: {ev.message if named else f'{r.job.src}: {ev.message}'}")
                continue
            bar.remove(film)
            film = None
            summary.add(r)
            bar.update(files, advance=1)
            for note in r.notices:
                cc.echo(f"notice: {note}")
            if r.status == "failed":
                cc.echo(f"failed: {r.job.src}: {r.error}")
            elif r.status == "busy":
                cc.echo(f"busy: {r.job.dst}: another colorcli run is writing it; left to that run")


def _report(summary, plan) -> None:
    kept = f", {summary.kept} kept in colour" if summary.kept else ""
    line = f"{summary.done} colorized{kept}, {summary.skipped} skipped (already there), {len(summary.failed)} failed"
    if summary.busy:
        line += f", {summary.busy} left to another run"
    if plan.unsearched:
        n = len(plan.unsearched)
        line += f", {n} folder{'s' * (n != 1)} not searched"
    cc.echo(line)
    for path, reason in summary.failed:
        cc.echo(f"  {path}: {reason}")
    if summary.failed or plan.unreadable:
        sys.exit(cc.EXIT_FAILED)
