"""A photo archive, recursively: claim each output of the plan (``colorcli.archiveplan``),
colorize (or, asked to, keep a photo already in colour as it is), write atomically, and sum up
what was done and what failed.

Existing outputs are skipped (a rerun resumes where an interrupted one stopped) unless
``overwrite``. Each output is claimed (``colorcli.atomic.Claim``) before any work on it, so two
runs over the same folders share the work instead of repeating it. Films go through
``colorcli.video``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np

from colorcli.albumpages import photo_in_colour
from colorcli.animation import colorize_animation, encode_frames, is_animation, read_frames
from colorcli.archiveplan import Job
from colorcli.archiveresults import FileResult, FilmUpdate, failed_result, failure_reason
from colorcli.atomic import Claim, write_bytes_atomic
from colorcli.cards import LEFT_IN_TONE
from colorcli.compose import lightness
from colorcli.errors import ColorcliError, MediaError, StopsTheRun, write_failure
from colorcli.events import VideoDone
from colorcli.guide import Guide, guide_from_layer
from colorcli.imageio import DEFAULT_MAX_PIXELS, Image, file_size, read_image, still_arriving
from colorcli.imagewrite import alpha_note, write_image
from colorcli.incolour import RECOLOURED, no_colour_note
from colorcli.options import VideoOptions
from colorcli.pages import colorize_pages, colorize_pdf, read_pages
from colorcli.photometa import coloured_copy


def _claim(job: Job, overwrite: bool) -> tuple[Claim | None, FileResult | None]:
    """Claim a job's output before any work on it: (claim, None), or (None, why not)."""
    claim = Claim(job.dst)
    try:
        if not claim.acquire():
            return None, FileResult(job, "busy")
    except MediaError as e:
        return None, FileResult(job, "failed", e.reason)
    if job.dst.exists() and not overwrite:  # another run finished it since we planned
        claim.release()
        return None, FileResult(job, "skipped")
    return claim, None


def colorize_jobs(
    colorizer,
    jobs: list[Job],
    overwrite: bool = False,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    video_options: VideoOptions | None = None,
    reference: np.ndarray | None = None,
    keep_colour: bool = False,
) -> Iterator[FileResult | FilmUpdate]:
    """Colorize ``jobs``: images in batches (at most ``colorizer.batch_size`` of them and
    ``colorizer.max_batch_pixels`` pixels), films one by one through ``colorcli.video``.
    ``reference``: (h, w, 3) RGB of a colour photo that guides every photo without sidecar
    hints (``Colorizer.colorize_like``, one by one). ``keep_colour``: a photo already in
    colour (``colorcli.incolour``) and not guided is written as it is; without it, such a
    photo is recoloured from its lightness, and a notice says so.

    Yields one FileResult per file (and FilmUpdates while a film is coloured). A file that
    cannot be read, colorized or written yields a "failed" result and the rest go on.
    """
    keep_colour = keep_colour and not colorizer.negative  # a negative is never kept so
    batch = _Batch(colorizer, overwrite, reference)
    claim: Claim | None = None  # held for the file in hand, until the batch owns it
    try:
        for job in jobs:
            claim, refused = _claim(job, overwrite)
            if refused is not None:
                yield refused
                continue
            if job.fmt in ("video", "pdf"):
                yield from batch.flush()
                if job.fmt == "video":
                    yield from _colorize_film(colorizer, job, overwrite, video_options)
                else:
                    pdf = functools.partial(colorize_pdf, keep_colour=keep_colour)
                    yield _album(colorizer, job, overwrite, max_pixels, reference, pdf)
                claim.release()
                continue
            read = _read(colorizer, job, max_pixels)
            if isinstance(read, FileResult):
                claim.release()
                yield read
                continue
            image, guide, size = read
            apart = _apart(job, image, guide, reference, keep_colour)
            if apart is not None:  # a file of its own, not one of a batch
                if apart != "kept":
                    yield from batch.flush()
                yield _one_apart(
                    apart, colorizer, job, image, overwrite, max_pixels, reference, keep_colour
                )
                claim.release()
                continue
            batch.add(_Waiting(job, image, claim, guide, size))
            claim = None
            if batch.full():
                yield from batch.flush()
        yield from batch.flush()
    finally:  # interrupted (Ctrl-C, SIGTERM, the caller stopped): give back what we hold
        if claim is not None:
            claim.release()
        batch.release()


def _read(colorizer, job: Job, max_pixels: int):
    """A photo, its sidecar's Guide (or None) and its file's size before it was read (a
    copy in progress grows); or the failed FileResult of a file that cannot be read."""
    try:
        size = file_size(job.src)
        image = read_image(job.src, max_pixels=max_pixels)
        return image, _sidecar_guide(colorizer, job, image, max_pixels), size
    except MediaError as e:
        return FileResult(job, "failed", failure_reason(e, job.src))
    except MemoryError:
        return FileResult(job, "failed", "out of memory while decoding")


def _apart(job: Job, image: Image, guide: Guide | None, reference, keep_colour: bool) -> str | None:
    """How a photo goes on its own, or None for one of a batch: "album" (a multi-page TIFF:
    every page, into one), "kept" (in colour, with ``keep_colour``), "animation" (every
    frame, into one animation)."""
    if image.info.pages > 1 and job.fmt == "tiff" and guide is None:
        return "album"
    if keep_colour and guide is None and reference is None and photo_in_colour(image.pixels):
        return "kept"
    if guide is None and is_animation(image.info, job.fmt):
        return "animation"
    return None


def _one_apart(
    apart: str,
    colorizer,
    job: Job,
    image: Image,
    overwrite: bool,
    max_pixels: int,
    reference,
    keep_colour: bool,
) -> FileResult:
    """A photo that goes on its own (``_apart``)."""
    if apart == "album":  # each page in colour kept with --keep-colour
        keep = keep_colour and reference is None
        return _colour_album(colorizer, job, image, overwrite, max_pixels, reference, keep)
    if apart == "kept":
        return _kept(job, image, overwrite)
    done = _album(colorizer, job, overwrite, max_pixels, reference, colorize_animation)
    if (
        done.status == "done"
        and reference is None
        and photo_in_colour(image.pixels, colorizer.negative)
    ):
        done = dataclasses.replace(done, notices=(*done.notices, f"{job.src}: {RECOLOURED}"))
    return done


class _Waiting(NamedTuple):
    """A photo read, waiting for its batch: ``claim`` on its output, ``size``: its file's
    size before it was read."""

    job: Job
    image: Image
    claim: Claim
    guide: Guide | None
    size: int


class _Batch:
    """Photos read and waiting for one pass of the network (each holding its output's
    claim), then written one by one: a file that fails, fails alone."""

    def __init__(self, colorizer, overwrite: bool, reference) -> None:
        self.colorizer, self.overwrite, self.reference = colorizer, overwrite, reference
        self.pending: list[_Waiting] = []

    def add(self, waiting: _Waiting) -> None:
        """Take a photo into the batch, with its output's claim (released once written)."""
        self.pending.append(waiting)

    def full(self) -> bool:
        pixels = sum(w.image.pixels.shape[0] * w.image.pixels.shape[1] for w in self.pending)
        return (
            len(self.pending) >= self.colorizer.batch_size
            or pixels >= self.colorizer.max_batch_pixels
        )

    def release(self) -> None:
        for waiting in self.pending:
            waiting.claim.release()

    def _one(self, im: Image, guide: Guide | None) -> tuple[np.ndarray, str | None, str | None]:
        """One photo coloured alone, whether it was left in its tone ("card", "page", "blank") and
        what there is to say of an album page's prints in colour."""
        if self.reference is not None and guide is None:
            return self.colorizer.colorize_like(im.pixels, self.reference), None, None
        rgb = self.colorizer.colorize(im.pixels, guide)
        return rgb, self.colorizer.last_plain[0], self.colorizer.last_pages[0]

    def flush(self) -> Iterator[FileResult]:
        """Colour and write the batch: together, or one by one where that fails, so that
        only the file at fault fails."""
        outs = plain = said = None
        if self.reference is None and self.pending:
            try:
                outs = self.colorizer.colorize_batch(
                    [w.image.pixels for w in self.pending], [w.guide for w in self.pending]
                )
                plain, said = self.colorizer.last_plain, self.colorizer.last_pages
            except (ColorcliError, ValueError, MemoryError):
                pass
        for i, (job, im, claim, guide, size) in enumerate(self.pending):
            try:
                if outs is not None:
                    rgb, kind, page = outs[i], plain[i], said[i]
                else:
                    rgb, kind, page = self._one(im, guide)
                rgb = im.gray_where_missing(rgb)
                yield self._written(job, im, guide, rgb, (kind, page), size)
            except StopsTheRun:
                raise  # every file after would fail alike: the run stops, to resume later
            except Exception as e:  # this file's trouble: the archive goes on
                yield failed_result(job, e)
            finally:
                claim.release()
        self.pending.clear()

    def _written(
        self, job: Job, im: Image, guide: Guide | None, rgb: np.ndarray, said, size: int
    ) -> FileResult:
        """``rgb`` written as ``job``'s output, with what there is to say of it (``said``:
        whether it was left in its tone as a "card", a "page" or a "blank", and what of an album
        page's prints in colour; ``size``: its file's before it was read)."""
        kind, page = said
        if (arriving := still_arriving(job.src, im, size)) is not None:
            raise arriving
        # the scan's dpi, EXIF, XMP, text: carried over
        meta = coloured_copy(im.meta)
        write_image(job.dst, rgb, im.alpha, job.fmt, self.overwrite, im.info.bits, meta)
        lost = alpha_note(im.alpha, job.fmt)  # a HEIC's alpha into jpg, say
        said = (*im.info.notices, lost) if lost else im.info.notices
        notes = tuple(f"{job.src}: {n}" for n in said)
        notes += guide.notices if guide else ()
        if (
            guide is None
            and self.reference is None
            and photo_in_colour(im.pixels, self.colorizer.negative)
        ):
            notes += (f"{job.src}: {RECOLOURED}",)
        if kind is not None:
            notes += (f"{job.src}: {LEFT_IN_TONE[kind]}",)
        if page is not None:
            notes += (f"{job.src}: {page}",)
        if (why := no_colour_note(im.pixels)) is not None:
            notes += (f"{job.src}: {why}",)
        return FileResult(job, "done", notices=notes)


def _kept(job: Job, image: Image, overwrite: bool) -> FileResult:
    """A colour photograph written as it is: its bytes copied where its output keeps its
    format (every page, every tag, every frame), else decoded and written in the format
    asked (an animated GIF's frames as an animated PNG)."""
    copied = job.fmt == image.info.format
    animated = not copied and is_animation(image.info, job.fmt)
    try:
        if copied or animated:
            data = job.src.read_bytes() if copied else encode_frames(read_frames(job.src), job.fmt)
            try:
                write_bytes_atomic(job.dst, data, overwrite=overwrite)
            except OSError as e:
                raise write_failure(job.dst, e) from e
        else:
            write_image(
                job.dst, image.pixels, image.alpha, job.fmt, overwrite, image.info.bits, image.meta
            )
    except StopsTheRun:
        raise
    except (ColorcliError, ValueError) as e:
        return FileResult(job, "failed", failure_reason(e))
    # what reading it found (a page left out, damage) is said only where it was decoded
    notes = () if copied or animated else tuple(f"{job.src}: {n}" for n in image.info.notices)
    return FileResult(job, "kept", notices=(*notes, f"{job.src}: already in colour: kept as it is"))


def _colour_album(
    colorizer, job: Job, image: Image, overwrite, max_pixels: int, reference, keep: bool
) -> FileResult:
    """A multi-page TIFF: with ``keep`` (--keep-colour), kept whole where every page is in
    colour, else each page in colour kept and the rest coloured; without, every page coloured."""
    pages = None
    if keep:
        try:
            pages = read_pages(job.src, max_pixels)
        except (ColorcliError, ValueError) as e:
            return FileResult(job, "failed", failure_reason(e))
        if all(photo_in_colour(page.pixels) for page in pages):
            return _kept(job, image, overwrite)
    how = functools.partial(colorize_pages, keep_colour=keep, pages=pages)
    return _album(colorizer, job, overwrite, max_pixels, reference, how)


def _album(
    colorizer, job: Job, overwrite: bool, max_pixels: int, reference, how=colorize_pages
) -> FileResult:
    """A multi-page TIFF coloured page by page, or a scanned PDF picture by picture
    (``how``: ``colorcli.pages``)."""
    try:
        _, said = how(colorizer, job.src, job.dst, overwrite, max_pixels, reference)
        return FileResult(job, "done", notices=tuple(f"{job.src}: {n}" for n in said))
    except StopsTheRun:
        raise
    except Exception as e:  # this file's trouble: the archive goes on
        return failed_result(job, e)


def _sidecar_guide(colorizer, job: Job, image: Image, max_pixels: int) -> Guide | None:
    """The Guide of a photo's sidecar hints, or None; MediaError naming the sidecar."""
    if job.hints is None:
        return None
    if not colorizer.follows_hints:
        raise MediaError(
            job.hints,
            "not used: the model was not trained to take hints (train one with colorize train --hints)",
        )
    layer = read_image(job.hints, max_pixels=max_pixels)
    return guide_from_layer(
        layer.pixels, layer.present_alpha, lightness(image.pixels), str(job.hints)
    )


def _colorize_film(
    colorizer, job: Job, overwrite: bool, options: VideoOptions | None
) -> Iterator[FileResult | FilmUpdate]:
    from colorcli.video import colorize_video, prepare_video

    try:
        film = prepare_video(job.src, job.dst, options, overwrite, damaged_dst=job.damaged_dst)
        for ev in colorize_video(film, colorizer):
            if isinstance(ev, VideoDone) and ev.lost:
                yield FileResult(
                    job,
                    "failed",
                    f"input is damaged: {ev.lost} of {ev.promised} frames lost; the {ev.frames} that decode are coloured in {ev.path}",
                )
                return
            yield FilmUpdate(job, ev)
        yield FileResult(job, "done")
    except StopsTheRun:
        raise
    except Exception as e:  # this film's trouble: the archive goes on
        yield failed_result(job, e)
