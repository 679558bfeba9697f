"""``colorize dir``: a photo archive (and the films in it), recursively; a thin command over
archiveplan and archive that says what the plan found, draws the work and sums it up."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from colorcli.atomic import exists, is_folder
from colorcli.cli import common as cc
from colorcli.cli import optionbuild as ob
from colorcli.cli.photos import megapixels_option
from colorcli.options import FORMAT_NAMES, OUTPUT_IMAGE_FORMATS, VideoOptions
from colorcli.words import counted


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
@megapixels_option
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
    from colorcli.archive import colorize_jobs
    from colorcli.archiveresults import Summary
    from colorcli.errors import MediaError

    if src.exists() and not src.is_dir():
        raise MediaError(
            src, "a file, not a folder (`colorize image` takes one photo, `colorize video` a film)"
        )
    video_opts = ob.settings(VideoOptions, opts)
    ref = None
    if reference is not None:  # a bad reference stops the run before any work
        ref = cc.read_reference(reference)
    plan = _looked_through(src, out, fmt, shard, overwrite, video_opts.codec, quiet)
    summary = Summary(skipped=len(plan.existing))
    _say_found(plan)
    if not quiet:
        photos = len(plan.jobs) - plan.films
        cc.echo(
            f"{counted(photos, 'photo')} and {counted(plan.films, 'film')} to colorize, {len(plan.existing)} already done, into {plan.out_dir}"
        )
    _say_apart(plan)
    _say_options(plan, video_opts, ref, fmt)
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
        drawn(jobs, len(plan.jobs), quiet, summary)
    report(summary, plan)


def _looked_through(src: Path, out, fmt, shard: str, overwrite: bool, codec, quiet: bool):
    """``plan_dir``, with a bar once a large archive's look takes a while (minutes of stats
    on a network share before the first photo)."""
    from colorcli.archiveplan import parse_shard, plan_dir

    with cc.Bar(quiet) as bar:
        looking: list = []

        def looked(n: int) -> None:
            if not looking:
                looking.append(bar.add("looking through", None, "files"))
            bar.update(looking[0], completed=n)

        return plan_dir(
            src, out, fmt=fmt, shard=parse_shard(shard), overwrite=overwrite, codec=codec,
            progress=looked,
        )  # fmt: skip


def _say_found(plan) -> None:
    """What the look found besides the work: folders not searched, entries passed over,
    stray hint layers, outputs older than their inputs."""
    from colorcli.guide import SIDECAR

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
    _say_outdated(plan)


def _say_outdated(plan) -> None:
    """The notice for outputs there already whose input (or hints) changed since."""
    if outdated := plan.outdated:
        cc.echo(
            f"notice: {len(outdated)} of the {len(plan.existing)} already done were modified after they were coloured (the photo or film, or its hints), and are skipped as done (the first: {outdated[0].src}); remove their outputs, or use --overwrite, to colour them again"
        )


def _say_options(plan, video_opts, ref, fmt) -> None:
    """What the options do otherwise than asked for some files of the plan."""
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


def _say_apart(plan) -> None:
    """The notice for outputs renamed apart on a disk that ignores case (``Plan.apart``)."""
    if plan.apart:
        first, n = plan.apart[0], len(plan.apart)
        cc.echo(
            f"notice: {plan.out_dir} is on a disk that ignores the case of names: {counted(n, 'output')} whose names differ from another's only in case {'is' if n == 1 else 'are'} written as '<name> (2)' (the first: {first.src} -> {first.dst.name})"
        )


def drawn(jobs, total: int, quiet: bool, summary) -> None:
    """``draw_jobs``; where a full or failed disk stops the run, what it did before it is said,
    then the error goes on to its one line."""
    from colorcli.errors import StopsTheRun

    try:
        draw_jobs(jobs, total, quiet, summary)
    except StopsTheRun as e:
        left = total - summary.done - summary.kept - summary.skipped - summary.busy
        cc.echo(
            f"{summary.done} colorized {e.before}, {len(summary.failed)} failed, {left} not done"
        )
        raise


def draw_jobs(jobs, total: int, quiet: bool, summary) -> None:
    """One bar for the files, and one for the frames of the film being coloured."""
    from colorcli.archiveresults import FilmUpdate
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


def report(summary, plan) -> None:
    """The last lines: what was done and what failed (films an earlier run found damaged
    among them); exit 1 where any failed or a folder could not be read."""
    from colorcli.archiveresults import damaged_reason

    summary.failed += [(job.src, damaged_reason(job)) for job in plan.damaged]
    kept = f", {summary.kept} kept in colour" if summary.kept else ""
    line = f"{summary.done} colorized{kept}, {summary.skipped} skipped (already there), {len(summary.failed)} failed"
    if summary.busy:
        line += f", {summary.busy} left to another run"
    if plan.unsearched:
        line += f", {counted(len(plan.unsearched), 'folder')} not searched"
    cc.echo(line)
    for path, reason in summary.failed:
        cc.echo(f"  {path}: {reason}")
    if summary.failed or plan.unreadable:
        sys.exit(cc.EXIT_FAILED)


def several(srcs, dst: Path, refuse, kind: str, overwrite, quiet, opts, how: dict) -> None:
    """``colorize image A B C FOLDER`` (or ``video``): each file under its own name in
    FOLDER, as ``dir`` colours a folder's: outputs already there skipped (a rerun resumes), a
    file that fails named and the others coloured, a summary (exit 1 where any failed).
    ``refuse(src)``: why the command does not take a file, or None; ``how``: the rest of
    ``colorize_jobs``'s arguments."""
    from colorcli.archive import colorize_jobs
    from colorcli.archiveplan import Plan, settle
    from colorcli.archiveresults import Summary
    from colorcli.errors import OutputPathError
    from colorcli.guide import SIDECAR

    cc.after_interrupt("rerun the same command to resume (finished files are skipped)")
    if not is_folder(dst):
        raise OutputPathError(
            f"{dst}: not a folder: with several {kind}s, DST is the folder they go into"
        )
    plan, summary = Plan(dst, dst, [], []), Summary()
    layers = [s for s in srcs if s.name.lower().endswith(SIDECAR)]  # a shell's *.png has them
    if layers:
        more = f" and {len(layers) - 1} more" if len(layers) > 1 else ""
        cc.echo(
            f"notice: hint layers among the photos ({layers[0].name}{more}): each guides the photo beside it named so, and is not coloured itself"
        )
    jobs = list(_jobs_into([s for s in srcs if s not in layers], dst, refuse, opts.get("codec")))
    summary.failed += [job for job in jobs if isinstance(job, tuple)]
    settle(plan, [job for job in jobs if not isinstance(job, tuple)], dst, overwrite)
    _say_apart(plan)
    _say_outdated(plan)
    summary.skipped = len(plan.existing)
    if not quiet:
        cc.echo(
            f"{counted(len(plan.jobs), kind)} to colorize, {len(plan.existing)} already done, into {dst}"
        )
    if plan.jobs:
        jobs = colorize_jobs(ob.make_colorizer(opts), plan.jobs, overwrite=overwrite, **how)
        drawn(jobs, len(plan.jobs), quiet, summary)
    report(summary, plan)


def _jobs_into(srcs, folder: Path, refuse, codec: str | None):
    """A Job for each of ``srcs`` written into ``folder``, or (src, why not): not there, not
    taken (``refuse``), its output the input itself; OutputPathError where two would be
    written under one name."""
    from colorcli.archiveplan import job_in
    from colorcli.errors import OutputPathError, missing

    real = {src: src.resolve() for src in srcs if exists(src)}  # those there, resolved once
    inputs = {r: src for src, r in real.items()}
    seen: dict[Path, Path] = {}  # output -> the input written there
    taken: set[Path] = set()  # those inputs (a glob's thousands: no scan of seen for each)
    for src in srcs:
        if src not in real:
            yield src, missing(src).reason
            continue
        if real[src] in taken:
            continue  # one file given twice (a.jpg ./a.jpg)
        if (why := refuse(src)) is not None:
            yield src, why
            continue
        job = job_in(src, folder, codec)
        out = job.dst.resolve()
        if out == real[src]:
            yield (
                src,
                "its output would be the input itself (DST is its own folder): refusing to overwrite an original",
            )
        elif out in inputs:  # out/x.jpg given too: an original, not an output
            yield (
                src,
                f"its output would be {inputs[out]}, another input: refusing to overwrite an original",
            )
        elif (other := seen.setdefault(out, real[src])) != real[src]:
            raise OutputPathError(
                f"{other} and {src} would both be written as {job.dst}: colour them into folders of their own"
            )
        else:
            taken.add(real[src])
            yield job
