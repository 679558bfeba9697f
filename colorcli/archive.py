"""A photo archive, recursively: plan the work, claim each output, colorize, write atomically.

The output tree mirrors the input tree. Existing outputs are skipped (a rerun resumes where an
interrupted one stopped) unless ``overwrite``. ``shard=(k, n)`` keeps the files whose relative
path hashes to k modulo n, so a cluster job array can split a huge archive without coordination;
the split is the same on every machine and does not move when other files are added. Each
output is claimed (``colorcli.atomic.Claim``) before any work on it, so two runs over the same
folders share the work instead of repeating it. Films go through ``colorcli.video``.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from colorcli.atomic import WORK_MARK, Claim, check_folder_writable, is_temp, sweep_stale
from colorcli.compose import lightness
from colorcli.errors import ColorcliError, MediaError, OutputPathError
from colorcli.events import Event, VideoDone
from colorcli.guide import SIDECAR, Guide, guide_from_layer
from colorcli.imageio import DEFAULT_MAX_PIXELS, Image, read_image, write_image
from colorcli.options import FORMAT_EXT, IMAGE_FORMATS, VIDEO_CONTAINERS, VIDEO_EXTS, VideoOptions
from colorcli.pages import colorize_pages
from colorcli.photometa import read_meta


@dataclass(frozen=True)
class Job:
    """fmt: an image format name, or "video" (routed through the video pipeline)."""

    src: Path
    dst: Path
    fmt: str
    hints: Path | None = None  # a sidecar <stem>.hints.png beside a photo: its painted hints

    @property
    def damaged_dst(self) -> Path:
        """Where a film goes whose input lost frames: beside ``dst``, never under its name."""
        return self.dst.with_name(f"{self.dst.stem}.damaged{self.dst.suffix}")


@dataclass
class Plan:
    """jobs: files to colorize; existing: outputs already there (skipped); damaged: films an
    earlier run found damaged (their partial colour kept beside the output); unsearched:
    folders not entered, with the reason; unreadable: whether any of those is an error."""

    in_dir: Path
    out_dir: Path
    jobs: list[Job]
    existing: list[Job]
    damaged: list[Job] = field(default_factory=list)
    unsearched: list[tuple[Path, str]] = field(default_factory=list)
    # sidecars of hints whose photo is not beside them under that name (never used)
    orphans: list[Path] = field(default_factory=list)

    @property
    def films(self) -> int:
        return sum(j.fmt == "video" for j in self.jobs)

    @property
    def unreadable(self) -> int:
        return sum("symbolic link" not in reason for _, reason in self.unsearched)


@dataclass(frozen=True)
class FileResult:
    """One file handled: status "done", "failed" (with a one-line reason) or "busy" (another
    live run holds its output) or "skipped" (another run finished it meanwhile)."""

    job: Job
    status: str
    error: str | None = None
    notices: tuple[str, ...] = ()


@dataclass(frozen=True)
class FilmUpdate:
    """An event of the film now being coloured (progress, notices)."""

    job: Job
    event: Event


@dataclass
class Summary:
    done: int = 0
    skipped: int = 0
    busy: int = 0
    failed: list[tuple[Path, str]] = field(default_factory=list)

    def add(self, r: FileResult) -> None:
        if r.status == "done":
            self.done += 1
        elif r.status == "skipped":
            self.skipped += 1
        elif r.status == "busy":
            self.busy += 1
        else:
            self.failed.append((r.job.src, r.error or "failed"))


def default_output_dir(in_dir: Path) -> Path:
    """``<IN>_colorized`` beside IN."""
    in_dir = Path(in_dir).resolve()
    return in_dir.with_name(in_dir.name + "_colorized")


def shard_of(rel: Path, n: int) -> int:
    """Stable shard number of a relative path (crc32 of its POSIX form, modulo n)."""
    return zlib.crc32(rel.as_posix().encode("utf-8")) % n


def parse_shard(text: str) -> tuple[int, int]:
    """'K/N' with 0 <= K < N -> (K, N)."""
    try:
        k, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise OutputPathError(
            f"--shard must look like K/N (for example 0/8), got {text!r}"
        ) from None
    if not (n >= 1 and 0 <= k < n):
        raise OutputPathError(f"--shard K/N needs 0 <= K < N, got {text!r}")
    return k, n


def _is_within(path: Path, parent: Path) -> bool:
    try:
        path.relative_to(parent)
        return True
    except ValueError:
        return False


def _check_dirs(in_dir: Path, out_dir: Path | str | None) -> tuple[Path, Path]:
    if not in_dir.exists():
        raise MediaError(in_dir, "no such folder")
    if not in_dir.is_dir():
        raise MediaError(in_dir, "is not a folder (use 'colorize image' for one file)")
    in_abs = in_dir.resolve()
    out_abs = Path(out_dir).resolve() if out_dir is not None else default_output_dir(in_abs)
    if out_abs == in_abs or _is_within(out_abs, in_abs):
        raise OutputPathError(
            f"output folder {out_abs} is inside the input folder {in_abs}; choose another -o"
        )
    if _is_within(in_abs, out_abs):
        raise OutputPathError(
            f"output folder {out_abs} contains the input folder {in_abs}; choose another -o"
        )
    return in_abs, out_abs


def _job_for(src: Path, rel: Path, out_abs: Path, fmt: str | None) -> Job:
    ext = src.suffix.lower()
    dst = out_abs / rel
    if ext in VIDEO_EXTS:
        # containers we can read but not write (mpg, ts, wmv, flv, ogv) become mkv
        return Job(src, dst if ext in VIDEO_CONTAINERS else dst.with_suffix(".mkv"), "video")
    if fmt and IMAGE_FORMATS[ext] != fmt:
        dst = dst.with_suffix(FORMAT_EXT[fmt])
    sidecar = src.with_name(src.stem + SIDECAR)
    return Job(src, dst, fmt or IMAGE_FORMATS[ext], sidecar if sidecar.is_file() else None)


def plan_dir(
    in_dir: Path | str,
    out_dir: Path | str | None = None,
    fmt: str | None = None,
    shard: tuple[int, int] = (0, 1),
    overwrite: bool = False,
) -> Plan:
    """Find the images and films under ``in_dir`` and decide where each output goes.

    Raises MediaError if ``in_dir`` is not a folder, and OutputPathError if ``out_dir`` is
    ``in_dir``, inside it or above it (we never write into the input tree), or if two inputs
    would be written to one output. Folders that cannot be listed, and symbolic links to
    folders (not followed), are listed in ``unsearched``.
    """
    in_abs, out_abs = _check_dirs(Path(in_dir), out_dir)
    plan = Plan(in_abs, out_abs, [], [])
    k, n = shard

    def unreadable(e: OSError) -> None:
        plan.unsearched.append((Path(e.filename), f"cannot be read ({e.strerror or e})"))

    for root, dirs, files in os.walk(in_abs, onerror=unreadable):
        root_p = Path(root)
        for d in sorted(dirs):
            if (root_p / d).is_symlink():
                plan.unsearched.append(
                    (root_p / d, "is a symbolic link to a folder (not followed)")
                )
        # a film's unfinished segments (an output tree given as input) are not films to colour
        dirs[:] = sorted(
            d for d in dirs if not (root_p / d).is_symlink() and not d.endswith(WORK_MARK)
        )
        sidecars = {name for name in files if name.lower().endswith(SIDECAR)}
        for name in sorted(files):
            src = root_p / name
            ext = src.suffix.lower()
            if (ext not in IMAGE_FORMATS and ext not in VIDEO_EXTS) or is_temp(src):
                continue
            if name in sidecars:  # hints for a photo, not a photo
                continue
            sidecars.discard(src.stem + SIDECAR)
            rel = src.relative_to(in_abs)
            if n > 1 and shard_of(rel, n) != k:
                continue
            job = _job_for(src, rel, out_abs, fmt)
            if job.fmt == "video" and job.damaged_dst.exists() and not overwrite:
                plan.damaged.append(job)
            else:
                (plan.existing if job.dst.exists() and not overwrite else plan.jobs).append(job)
        plan.orphans += [root_p / name for name in sorted(sidecars)]
    # two inputs mapping to one output (a.png and a.jpg with --format png) would overwrite
    seen: dict[Path, Path] = {}
    for job in plan.jobs + plan.existing + plan.damaged:
        if job.dst in seen:
            raise OutputPathError(
                f"{seen[job.dst]} and {job.src} would both be written to {job.dst}; drop --format or rename one"
            )
        seen[job.dst] = job.src
    if plan.jobs:
        check_folder_writable(out_abs)
        sweep_stale(j.dst for j in plan.jobs + plan.existing)
    return plan


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
) -> Iterator[FileResult | FilmUpdate]:
    """Colorize ``jobs``: images in batches (at most ``colorizer.batch_size`` of them and
    ``colorizer.max_batch_pixels`` pixels), films one by one through ``colorcli.video``.
    ``reference``: (h, w, 3) RGB of a colour photo that guides every photo without sidecar
    hints (``Colorizer.colorize_like``, one by one).

    Yields one FileResult per file (and FilmUpdates while a film is coloured). A file that
    cannot be read, colorized or written yields a "failed" result and the rest go on.
    """
    pending: list[tuple[Job, Image, Claim, Guide | None]] = []

    def one(im: Image, guide: Guide | None) -> np.ndarray:
        if reference is not None and guide is None:
            return colorizer.colorize_like(im.pixels, reference)
        return colorizer.colorize(im.pixels, guide)

    def flush() -> Iterator[FileResult]:
        outs = None  # one by one when batching fails, so that only the file at fault fails
        if reference is None:
            try:
                outs = colorizer.colorize_batch(
                    [im.pixels for _, im, _, _ in pending], [g for *_, g in pending]
                )
            except (ColorcliError, ValueError, MemoryError):
                pass
        for i, (job, im, claim, guide) in enumerate(pending):
            try:
                rgb = outs[i] if outs is not None else one(im, guide)
                meta = read_meta(job.src)  # the scan's dpi, EXIF, XMP, text: carried over
                write_image(job.dst, rgb, im.alpha, job.fmt, overwrite, im.info.bits, meta)
                notes = tuple(f"{job.src}: {n}" for n in im.info.notices)
                notes += guide.notices if guide else ()
                yield FileResult(job, "done", notices=notes)
            except (ColorcliError, ValueError) as e:
                yield FileResult(job, "failed", _reason(e))
            except MemoryError:
                yield FileResult(job, "failed", "out of memory")
            except Exception as e:  # unforeseen, for this file: the archive goes on
                yield FileResult(job, "failed", _unexpected(e))
            finally:
                claim.release()
        pending.clear()

    claim: Claim | None = None  # held for the file in hand, until pending owns it
    try:
        for job in jobs:
            claim, refused = _claim(job, overwrite)
            if refused is not None:
                yield refused
                continue
            if job.fmt == "video":
                yield from flush()
                yield from _colorize_film(colorizer, job, overwrite, video_options)
                claim.release()
                continue
            try:
                image = read_image(job.src, max_pixels=max_pixels)
                guide = _sidecar_guide(colorizer, job, image, max_pixels)
            except (MediaError, MemoryError) as e:
                claim.release()
                reason = (
                    _reason(e, job.src)
                    if isinstance(e, MediaError)
                    else "out of memory while decoding"
                )
                yield FileResult(job, "failed", reason)
                continue
            if image.info.pages > 1 and job.fmt == "tiff" and guide is None:
                yield from flush()  # an album: every page, into one tiff
                yield _album(colorizer, job, overwrite, max_pixels, reference)
                claim.release()
                continue
            pending.append((job, image, claim, guide))
            claim = None
            batch_pixels = sum(im.pixels.shape[0] * im.pixels.shape[1] for _, im, _, _ in pending)
            if len(pending) >= colorizer.batch_size or batch_pixels >= colorizer.max_batch_pixels:
                yield from flush()
        if pending:
            yield from flush()
    finally:  # interrupted (Ctrl-C, SIGTERM, the caller stopped): give back what we hold
        if claim is not None:
            claim.release()
        for _, _, held, _ in pending:
            held.release()


def _album(colorizer, job: Job, overwrite: bool, max_pixels: int, reference) -> FileResult:
    """A multi-page TIFF coloured page by page (``colorcli.pages``)."""
    try:
        colorize_pages(colorizer, job.src, job.dst, overwrite, max_pixels, reference)
        return FileResult(job, "done")
    except (ColorcliError, ValueError) as e:
        return FileResult(job, "failed", _reason(e))
    except MemoryError:
        return FileResult(job, "failed", "out of memory")


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
    return guide_from_layer(layer.pixels, layer.alpha, lightness(image.pixels), str(job.hints))


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
    except (ColorcliError, ValueError) as e:
        yield FileResult(job, "failed", _reason(e))
    except Exception as e:  # unforeseen, for this film: the archive goes on
        yield FileResult(job, "failed", _unexpected(e))


def damaged_reason(job: Job) -> str:
    """The line for a film an earlier run found damaged (and does not redo)."""
    return f"input is damaged (found by an earlier run); the frames that decode are coloured in {job.damaged_dst}; remove it to try again"


def _reason(e: Exception, src: Path | None = None) -> str:
    """One line; a problem with a file other than ``src`` (a sidecar) names that file."""
    if isinstance(e, MediaError):
        return e.reason if src is None or e.path == src else f"{e.path}: {e.reason}"
    return str(e)


def _unexpected(e: Exception) -> str:
    return f"unexpected {type(e).__name__}: {e} (please report it)"
