"""A photo archive's plan: which files under a folder are photos and films to colour, where
each output goes (a mirror of the input tree, never inside it), which are done already, and
which of them this shard of a cluster job array takes.

``shard=(k, n)`` keeps the files whose relative path hashes to k modulo n, so a cluster job
array can split a huge archive without coordination; the split is the same on every machine
and does not move when other files are added.
"""

from __future__ import annotations

import os
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from colorcli.atomic import (
    WORK_MARK,
    check_folder_writable,
    exists,
    fit_name,
    is_temp,
    sweep_stale,
)
from colorcli.casefold import separate
from colorcli.entries import not_a_film, special_entry, system_entry
from colorcli.errors import MediaError, OutputPathError
from colorcli.guide import SIDECAR
from colorcli.options import (
    CONTAINER_CODECS,
    DOCUMENT_EXTS,
    FORMAT_EXT,
    IMAGE_FORMATS,
    PHOTO_EXTS,
    READ_ONLY_IMAGES,
    UNREAD_MEDIA,
    VIDEO_CONTAINERS,
    VIDEO_EXTS,
)


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
        return self.dst.with_name(fit_name(self.dst.stem, f".damaged{self.dst.suffix}"))


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
    # what operating systems and NAS boxes keep beside photos, passed over (system_entry)
    passed_over: list[Path] = field(default_factory=list)
    not_files: list[tuple[Path, str]] = field(default_factory=list)  # a pipe named like a photo
    # pictures and films colorize cannot read, by extension (options.UNREAD_MEDIA)
    other_kinds: Counter = field(default_factory=Counter)
    # films written as .mkv because their own container cannot hold --codec, by extension
    rewrapped: Counter = field(default_factory=Counter)
    # outputs renamed "<stem> (2)" on a disk that ignores case (``colorcli.casefold``)
    apart: list[Job] = field(default_factory=list)

    @property
    def films(self) -> int:
        return sum(j.fmt == "video" for j in self.jobs)

    @property
    def outdated(self) -> list[Job]:
        """Of ``existing``, those whose input, or its sidecar of hints, was modified after the
        output was made (a photo rescanned under its name, coloured while it was still being
        copied, or hints painted since): still skipped, as done, but said."""

        def newer(job: Job) -> bool:
            try:
                made = job.dst.stat().st_mtime_ns
                inputs = (job.src, job.hints) if job.hints is not None else (job.src,)
                return any(p.stat().st_mtime_ns > made for p in inputs)
            except OSError:
                return False

        return [job for job in self.existing if newer(job)]

    @property
    def unreadable(self) -> int:
        return sum("symbolic link" not in reason for _, reason in self.unsearched)


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


def _written_as(src: Path, dst: Path, suffix: str) -> Path:
    """``dst`` with the extension it is written as; where the input folder also holds a file
    of that name (scan.gif beside scan.png), or another file written under it (IMG_1.heic
    beside IMG_1.avif, tape.mod beside tape.mpg), the old extension stays in the name
    (scan.gif.png), so that neither is lost or refused."""
    own = src.suffix.lower()
    kin = _READ_ONLY_FILMS if own in VIDEO_EXTS else READ_ONLY_IMAGES
    others = [e for e in kin if e != own and kin.get(e, suffix) == suffix] + [suffix]
    if any(exists(src.with_suffix(e)) or exists(src.with_suffix(e.upper())) for e in others):
        return dst.with_name(dst.name + suffix)
    return dst.with_suffix(suffix)


def _is_photo(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in PHOTO_EXTS


# films read but written as .mkv (each maps to the extension it is written as)
_READ_ONLY_FILMS = {e: ".mkv" for e in sorted(VIDEO_EXTS - set(VIDEO_CONTAINERS))}


def _rewrapped(src: Path, dst: Path) -> Path:
    """``dst`` as Matroska, for a codec its own container cannot hold; where the folder holds
    another film of its stem (reel.mp4 beside reel.avi or reel.mkv), its old extension stays
    in the name (reel.mp4.mkv), so that neither is lost or refused."""
    own = src.suffix.lower()
    siblings = (e for e in VIDEO_EXTS if e != own)
    if any(exists(src.with_suffix(e)) or exists(src.with_suffix(e.upper())) for e in siblings):
        return dst.with_name(dst.name + ".mkv")
    return dst.with_suffix(".mkv")


def _job_for(
    src: Path,
    rel: Path,
    out_abs: Path,
    fmt: str | None,
    kin: bool = False,
    codec: str | None = None,
) -> Job:
    """Where ``src`` is written. ``kin``: its folder holds another photo of its stem (IMG_1.jpg
    beside IMG_1.png, a phone's HEIC beside its JPEG): written in another format (--format),
    each keeps its old extension in its name (IMG_1.jpg.tif), so that neither is lost.
    ``codec``: films' --codec, where given: a film whose container cannot hold it is written
    as Matroska."""
    ext = src.suffix.lower()
    dst = out_abs / rel
    if ext in VIDEO_EXTS:
        # containers we can read but not write (mpg, ts, wmv, flv, ogv) become mkv
        if ext not in VIDEO_CONTAINERS:
            return Job(src, _written_as(src, dst, ".mkv"), "video")
        if codec is not None and codec not in CONTAINER_CODECS[VIDEO_CONTAINERS[ext]]:
            return Job(src, _rewrapped(src, dst), "video")
        return Job(src, dst, "video")
    if ext in DOCUMENT_EXTS:  # a scanned PDF: its photos coloured, a PDF again (no --format)
        return Job(src, dst, "pdf")
    if fmt and IMAGE_FORMATS.get(ext) != fmt:  # every photo in one format
        new = FORMAT_EXT[fmt]
        dst = dst.with_name(dst.name + new) if kin else dst.with_suffix(new)
    elif not fmt and ext in READ_ONLY_IMAGES:  # written under another extension (a GIF as png)
        dst = _written_as(src, dst, READ_ONLY_IMAGES[ext])
    sidecar = src.with_name(src.stem + SIDECAR)
    try:
        painted = sidecar.is_file()
    except OSError:  # its name would be longer than a file name may be: there is none
        painted = False
    fmt = fmt or IMAGE_FORMATS[dst.suffix.lower()]
    return Job(src, dst, fmt, sidecar if painted else None)


def named_in(src: Path, folder: Path, codec: str | None = None) -> Path:
    """Where ``colorize image`` or ``video`` writes ``src`` when DST is a folder: its name
    there, as ``colorize dir`` would write it (a HEIC as .avif, an .mpg film as .mkv, a film
    whose container cannot hold ``codec`` as .mkv; a name without a picture's extension, such
    as a scanner's ``scan001``, as .png)."""
    return job_in(src, folder, codec).dst


def job_in(src: Path, folder: Path, codec: str | None = None) -> Job:
    """``src`` as a Job writing it into ``folder`` under its own name (see ``named_in``), its
    sidecar of hints found as ``colorize dir`` finds it."""
    ext = src.suffix.lower()
    if ext in VIDEO_EXTS or ext in DOCUMENT_EXTS or ext in IMAGE_FORMATS or ext in READ_ONLY_IMAGES:
        return _job_for(src, Path(src.name), folder, None, codec=codec)
    return _job_for(src, Path(src.name), folder, "png", kin=True)


def settle(plan: Plan, jobs: list[Job], folder: Path, overwrite: bool) -> None:
    """Each of ``jobs`` into the plan's lists (to do, done already, or a film an earlier run
    found damaged), its output renamed apart where ``folder``'s disk ignores case and another
    output differs from it in case alone (``Plan.apart``; in the order of the inputs, so that
    the same twin is renamed on every rerun)."""
    apart = dict(separate(sorted(jobs, key=lambda j: j.src), folder))
    for job in jobs:
        job = apart.get(job, job)
        if job.fmt == "video" and exists(job.damaged_dst) and not overwrite:
            plan.damaged.append(job)
        else:
            (plan.existing if exists(job.dst) and not overwrite else plan.jobs).append(job)
    plan.apart += sorted(apart.values(), key=lambda j: j.src)


def _folders_entered(plan: Plan, root: Path, dirs: list[str]) -> list[str]:
    """Of the folders in ``root``, those the walk enters, in order; symbolic links (not
    followed) said in ``plan.unsearched``, system folders in ``plan.passed_over``, and a
    film's unfinished segments (an output tree given as input) left alone."""
    entered = []
    for d in sorted(dirs):
        if (root / d).is_symlink():
            plan.unsearched.append((root / d, "is a symbolic link to a folder (not followed)"))
        elif system_entry(d, True):
            plan.passed_over.append(root / d)
        elif not d.endswith(WORK_MARK):
            entered.append(d)
    return entered


def _to_colour(plan: Plan, src: Path) -> bool:
    """Whether ``src`` is a photo, film or document to colour; what it is otherwise said in
    the plan where a user would look for it (another kind of picture, a system file, a pipe
    named like a photo)."""
    ext = src.suffix.lower()
    if is_temp(src):
        return False
    if ext not in PHOTO_EXTS and ext not in VIDEO_EXTS and ext not in DOCUMENT_EXTS:
        if ext in UNREAD_MEDIA and not src.name.startswith("."):
            plan.other_kinds[ext] += 1
        return False
    if system_entry(src.name, False):
        plan.passed_over.append(src)
        return False
    kind = special_entry(src)
    if kind is not None:  # opening a pipe would wait for a writer that never comes
        plan.not_files.append((src, kind))
        return False
    return not not_a_film(src)


def _one_output_each(jobs: list[Job], fmt: str | None) -> None:
    """OutputPathError where two inputs map to one output (a.png and a.jpg with --format
    png): one would overwrite the other."""
    written: dict[Path, Path] = {}
    for job in jobs:
        if job.dst in written:
            raise OutputPathError(
                f"{written[job.dst]} and {job.src} would both be written to {job.dst}; "
                + ("drop --format or rename one" if fmt else "rename one")
            )
        written[job.dst] = job.src


PROGRESS_EVERY = 256  # files looked at between two calls of plan_dir's progress


def plan_dir(
    in_dir: Path | str,
    out_dir: Path | str | None = None,
    fmt: str | None = None,
    shard: tuple[int, int] = (0, 1),
    overwrite: bool = False,
    codec: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Plan:
    """Find the images and films under ``in_dir`` and decide where each output goes;
    ``progress(files seen)`` now and then (an archive of 100,000 photos on a network share
    takes minutes of looking before the first is coloured).

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

    seen, found = 0, []
    for root, dirs, files in os.walk(in_abs, onerror=unreadable):
        root_p = Path(root)
        dirs[:] = _folders_entered(plan, root_p, dirs)
        sidecars = {name for name in files if name.lower().endswith(SIDECAR)}
        stems = Counter(os.path.splitext(n)[0] for n in files if _is_photo(n))
        for name in sorted(files):
            seen += 1
            if progress is not None and seen % PROGRESS_EVERY == 0:
                progress(seen)
            src = root_p / name
            if not _to_colour(plan, src) or name in sidecars:  # a sidecar: hints, not a photo
                continue
            sidecars.discard(src.stem + SIDECAR)
            rel = src.relative_to(in_abs)
            if n > 1 and shard_of(rel, n) != k:
                continue
            job = _job_for(src, rel, out_abs, fmt, kin=stems[src.stem] > 1, codec=codec)
            ext = src.suffix.lower()
            if job.fmt == "video" and job.dst.suffix != rel.suffix and ext in VIDEO_CONTAINERS:
                plan.rewrapped[ext] += 1  # for the codec asked
            found.append(job)
        plan.orphans += [root_p / name for name in sorted(sidecars)]
    settle(plan, found, out_abs, overwrite)
    _one_output_each(plan.jobs + plan.existing + plan.damaged, fmt)
    if plan.jobs:
        check_folder_writable(out_abs)
        sweep_stale(j.dst for j in plan.jobs + plan.existing)
    return plan
