"""``colorize image``: one photo (or a scanned PDF, an animation, a multi-page TIFF), a thin
command over imageio, the colorizer and the guidance (``colorize dir`` is in ``folders``)."""

from __future__ import annotations

import functools
import time
from pathlib import Path

import click

from colorcli.atomic import is_folder
from colorcli.cli import common as cc
from colorcli.cli import optionbuild as ob
from colorcli.options import (
    MAX_MEGAPIXELS,
    MEGAPIXELS_CAP,
)


def megapixels_option(f):
    """--max-megapixels, for image and dir: the largest photo read."""
    return click.option(
        "--max-megapixels",
        type=click.IntRange(1, MEGAPIXELS_CAP),
        default=MAX_MEGAPIXELS,
        show_default=True,
        help=f"Refuse a photo larger than this (a guard against decompression bombs; a 100-megapixel scan takes about 1.6 GB of memory to colour; at most {MEGAPIXELS_CAP}).",
    )(f)


@cc.main.command("image")
@click.argument("srcs", metavar="SRC...", nargs=-1, type=click.Path(path_type=Path))
@click.argument("dst", type=click.Path(path_type=Path))
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
@megapixels_option
@ob.colorize_options(exclude=("batch_size",))
@cc.handle_errors
def image_cmd(
    srcs: tuple[Path, ...],
    dst: Path,
    hints_path,
    reference,
    points,
    max_megapixels: int,
    overwrite: bool,
    quiet: bool,
    **opts,
) -> None:
    """Colorize one image SRC into DST (format from DST's extension; a folder: SRC's name in
    it), guided by hints if given. Several SRC (a shell's *.jpg) go into the folder DST, each
    under its own name, as `colorize dir` colours a folder's."""
    from colorcli.errors import ConfigError

    if not srcs:  # one argument: click took it for DST, and said SRC was missing
        raise click.UsageError("Missing argument 'DST' (a file, or the folder it goes into).")
    parsed = points  # (x, y, rgb), checked by click before any work
    if reference is not None and (hints_path is not None or parsed):
        raise ConfigError("--reference goes alone: give hints or a reference, not both")
    max_pixels = max_megapixels * 1_000_000
    if len(srcs) > 1:
        from colorcli.guide import SIDECAR

        if hints_path is not None or parsed:
            raise ConfigError(
                f"--hints and --hint guide one photo: for several, paint each one's beside it as <name>{SIDECAR}"
            )
        from colorcli.cli.folders import several

        ref = cc.read_reference(reference) if reference is not None else None
        how = {"max_pixels": max_pixels, "reference": ref}
        several(srcs, dst, _not_a_photo, "photo", overwrite, quiet, opts, how)
        return
    src = srcs[0]
    dst, pdf = _output_for(src, dst, overwrite)
    if pdf:
        if hints_path is not None or parsed:
            raise ConfigError("hints guide one picture: give them to the photos, not a PDF")
        _pdf(src, dst, reference, overwrite, quiet, opts, max_pixels)
        return
    guidance = (hints_path, parsed, reference)
    _one_photo(src, dst, guidance, max_pixels, overwrite, quiet, opts)


def _output_for(src: Path, dst: Path, overwrite: bool) -> tuple[Path, bool]:
    """Where ``colorize image`` writes ``src`` (DST, or its name in the folder DST), checked
    before any work, and whether it is a PDF; MediaError / OutputPathError."""
    from colorcli.atomic import check_name, check_writable
    from colorcli.errors import MediaError, OutputPathError
    from colorcli.options import DOCUMENT_EXTS, IMAGE_FORMATS, WRITABLE_NAMES

    if is_folder(src):
        raise MediaError(src, "a folder, not a photo (`colorize dir` takes folders)")
    if is_folder(dst):  # as cp takes a folder: the photo under its own name there
        from colorcli.archiveplan import named_in

        dst = named_in(src, dst)
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
    return dst, pdf


def _one_photo(src: Path, dst: Path, guidance, max_pixels: int, overwrite, quiet, opts) -> None:
    """One picture (or an animation, or an album of pages) coloured into ``dst``, after
    ``guidance`` (hints layer, points, reference photo)."""
    from colorcli.albumpages import photo_in_colour
    from colorcli.animation import colorize_animation, is_animation
    from colorcli.atomic import Claim
    from colorcli.cards import LEFT_IN_TONE
    from colorcli.imageio import file_size, read_image, still_arriving
    from colorcli.imagewrite import alpha_note, write_image
    from colorcli.incolour import RECOLOURED_ALONE, no_colour_note
    from colorcli.options import IMAGE_FORMATS
    from colorcli.pages import colorize_pages
    from colorcli.photometa import coloured_copy

    hints_path, parsed, reference = guidance
    size_at_read = file_size(src)
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
        if (arriving := still_arriving(src, img, size_at_read)) is not None:
            raise arriving
        lost = alpha_note(img.alpha, IMAGE_FORMATS[dst.suffix.lower()])
        for note in (*img.info.notices, lost) if lost else img.info.notices:
            cc.echo(f"notice: {src}: {note}")
        if guide is None and reference is None and photo_in_colour(img.pixels, colorizer.negative):
            cc.echo(f"notice: {src}: {RECOLOURED_ALONE}")
        if (why := no_colour_note(img.pixels)) is not None:
            cc.echo(f"notice: {src}: {why}")
        if reference is None and (kind := colorizer.last_plain[0]) is not None:
            cc.echo(f"notice: {src}: {LEFT_IN_TONE[kind]}")
        if reference is None and (page := colorizer.last_pages[0]) is not None:
            cc.echo(f"notice: {src}: {page}")
        # the scan's dpi, EXIF, XMP, text: carried over
        meta = coloured_copy(img.meta)  # and marked as a coloured copy
        write_image(dst, rgb, img.alpha, overwrite=overwrite, bits=img.info.bits, meta=meta)
    if not quiet:  # its size as shown (upright), as --hint counts pixels
        h, w = img.pixels.shape[:2]
        cc.echo(f"{src} -> {dst} ({w}x{h}, {time.perf_counter() - t0:.1f} s)")


def _not_a_photo(src: Path) -> str | None:
    """Why ``colorize image`` does not take ``src`` among several, or None."""
    from colorcli.options import VIDEO_EXTS

    if is_folder(src):
        return "a folder, not a photo (`colorize dir` takes folders)"
    if src.suffix.lower() in VIDEO_EXTS:
        return "a film, not a photo (`colorize video` takes films)"
    return None


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
