"""A photo archive, recursively: plan the work, colorize in batches, write atomically.

The output tree mirrors the input tree. Existing outputs are skipped (a rerun resumes where an
interrupted one stopped) unless ``overwrite``. ``shard=(k, n)`` keeps the files whose relative
path hashes to k modulo n, so a cluster job array can split a huge archive without coordination;
the split is the same on every machine and does not move when other files are added.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from colorcli.atomic import is_temp
from colorcli.errors import ColorcliError, MediaError, OutputPathError
from colorcli.imageio import (
    DEFAULT_MAX_PIXELS,
    FORMAT_EXT,
    IMAGE_FORMATS,
    Image,
    read_image,
    write_image,
)

# video extensions, duplicated from colorcli.video so that planning does not import PyAV
VIDEO_EXTS = {
    ".mp4",
    ".m4v",
    ".mkv",
    ".mov",
    ".avi",
    ".webm",
    ".mpg",
    ".mpeg",
    ".ts",
    ".wmv",
    ".flv",
    ".ogv",
}
OUTPUT_FORMATS = {".mp4", ".m4v", ".mkv", ".mov", ".avi", ".webm"}


@dataclass(frozen=True)
class Job:
    """fmt: an image format name, or "video" (routed through the video pipeline)."""

    src: Path
    dst: Path
    fmt: str


@dataclass
class Plan:
    """jobs: files to colorize; existing: outputs already there (skipped)."""

    in_dir: Path
    out_dir: Path
    jobs: list[Job]
    existing: list[Job]


@dataclass(frozen=True)
class FileResult:
    """One file handled: status is "done" or "failed" (with a one-line reason)."""

    job: Job
    status: str
    error: str | None = None


@dataclass
class Summary:
    done: int = 0
    skipped: int = 0
    failed: list[tuple[Path, str]] = field(default_factory=list)

    def add(self, r: FileResult) -> None:
        if r.status == "done":
            self.done += 1
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


def plan_dir(
    in_dir: Path | str,
    out_dir: Path | str | None = None,
    fmt: str | None = None,
    shard: tuple[int, int] = (0, 1),
    overwrite: bool = False,
) -> Plan:
    """Find the images under ``in_dir`` and decide where each output goes.

    Raises MediaError if ``in_dir`` is not a folder and OutputPathError if ``out_dir`` is
    ``in_dir`` or inside it (we never write into the input tree).
    """
    in_dir = Path(in_dir)
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
    k, n = shard
    jobs, existing = [], []
    for root, dirs, files in os.walk(in_abs):
        dirs.sort()
        root_p = Path(root)
        if _is_within(root_p, out_abs):
            continue
        for name in sorted(files):
            src = root_p / name
            ext = src.suffix.lower()
            if (ext not in IMAGE_FORMATS and ext not in VIDEO_EXTS) or is_temp(src):
                continue
            rel = src.relative_to(in_abs)
            if n > 1 and shard_of(rel, n) != k:
                continue
            dst = out_abs / rel
            if ext in VIDEO_EXTS:
                # containers we can read but not write (mpg, ts, wmv, flv, ogv) become mkv
                job = Job(src, dst if ext in OUTPUT_FORMATS else dst.with_suffix(".mkv"), "video")
            else:
                out_fmt = fmt or IMAGE_FORMATS[ext]
                if fmt and IMAGE_FORMATS[ext] != fmt:
                    dst = dst.with_suffix(FORMAT_EXT[fmt])
                job = Job(src, dst, out_fmt)
            (existing if dst.exists() and not overwrite else jobs).append(job)
    # two inputs mapping to one output (a.png and a.jpg with --format png) would overwrite
    seen: dict[Path, Path] = {}
    for job in jobs + existing:
        if job.dst in seen:
            raise OutputPathError(
                f"{seen[job.dst]} and {job.src} would both be written to {job.dst}; drop --format or rename one"
            )
        seen[job.dst] = job.src
    return Plan(in_abs, out_abs, jobs, existing)


def colorize_jobs(
    colorizer,
    jobs: list[Job],
    overwrite: bool = False,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    video_options=None,
) -> Iterator[FileResult]:
    """Colorize ``jobs`` (images in batches of ``colorizer.batch_size``, videos one by one
    through :func:`colorcli.video.colorize_video`); yield one result per file.

    A file that cannot be read, colorized or written yields a "failed" result and the rest go on.
    """
    pending: list[tuple[Job, Image]] = []

    def flush() -> Iterator[FileResult]:
        if not pending:
            return
        try:
            outs = colorizer.colorize_batch([im.pixels for _, im in pending])
        except (ColorcliError, ValueError):
            outs = None
        for i, (job, im) in enumerate(pending):
            try:
                rgb = outs[i] if outs is not None else colorizer.colorize(im.pixels)
                write_image(job.dst, rgb, im.alpha, job.fmt, overwrite=overwrite)
                yield FileResult(job, "done")
            except (ColorcliError, ValueError) as e:
                yield FileResult(job, "failed", _reason(e))
        pending.clear()

    for job in jobs:
        if job.fmt == "video":
            yield from flush()
            yield _colorize_video_job(colorizer, job, overwrite, video_options)
            continue
        try:
            pending.append((job, read_image(job.src, max_pixels=max_pixels)))
        except MediaError as e:
            yield FileResult(job, "failed", e.reason)
            continue
        except MemoryError:
            yield FileResult(job, "failed", "out of memory while decoding")
            continue
        if len(pending) >= colorizer.batch_size:
            yield from flush()
    yield from flush()


def _colorize_video_job(colorizer, job: Job, overwrite: bool, options) -> FileResult:
    from colorcli.video import colorize_video

    try:
        for ev in colorize_video(job.src, job.dst, colorizer, options, overwrite=overwrite):
            if ev["event"] == "done" and ev["lost"]:
                return FileResult(job, "done", f"damaged input, {ev['lost']} frames lost")
        return FileResult(job, "done")
    except (ColorcliError, ValueError) as e:
        return FileResult(job, "failed", _reason(e))


def _reason(e: Exception) -> str:
    return e.reason if isinstance(e, MediaError) else str(e)
