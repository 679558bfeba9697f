"""``colorize video``: a thin command over ``colorcli.video``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from colorcli.atomic import is_folder
from colorcli.cli import common as cc
from colorcli.cli import optionbuild as ob
from colorcli.options import PIPE_FORMATS, VideoOptions
from colorcli.words import counted


@cc.main.command("video")
@click.argument(
    "srcs", metavar="SRC...", nargs=-1, type=click.Path(path_type=Path, allow_dash=True)
)
@click.argument("dst", type=click.Path(path_type=Path, allow_dash=True))
@ob.options_from(VideoOptions)
@click.option(
    "--shard",
    default=None,
    help="Colour only share K of N (0 <= K < N) of the film's segments, into the work folder beside DST that every share sees (shared storage): for cluster job arrays. The run that finds every segment done joins the film.",
)
@click.option(
    "--restart", is_flag=True, help="Discard the unfinished work of an earlier run and start again."
)
@click.option(
    "--pipe-format",
    type=click.Choice(PIPE_FORMATS),
    default=PIPE_FORMATS[0],
    show_default=True,
    help="Container of a film written to a pipe (DST '-').",
)
@ob.colorize_options()
@cc.handle_errors
def video_cmd(
    srcs: tuple[Path, ...], dst: Path, shard, restart: bool, pipe_format: str, overwrite: bool,
    quiet: bool, **opts,
) -> None:  # fmt: skip
    """Colorize a film SRC into DST: same frames, timing, size and sound.

    The container follows DST's extension (mp4, mkv, mov, avi, webm); DST a folder: SRC's
    name in it (several SRC go there, as `colorize dir` colours a folder's films). Audio is
    copied packet for packet where the container accepts it. DST appears only when complete;
    until then the finished segments wait beside it, so a rerun of the same command resumes.
    """
    from colorcli.archiveplan import parse_shard
    from colorcli.video import prepare_video

    if not srcs:  # one argument: click took it for DST, and said SRC was missing
        raise click.UsageError("Missing argument 'DST' (a file, or the folder it goes into).")
    video_opts = ob.settings(VideoOptions, opts)
    if len(srcs) > 1:
        _several(srcs, dst, video_opts, shard, restart, overwrite, quiet, opts)
        return
    src = srcs[0]
    if opts.get("negative"):  # said before any work (the film's job says it too)
        from colorcli.video import negative_refused

        negative_refused(str(src) == "-" or str(dst) == "-")
    dst = _into_folder(src, dst, video_opts.codec)
    _no_terminal(str(src) == "-", str(dst) == "-")
    _after_interrupt(str(src) == "-" or str(dst) == "-", dst, video_opts)
    job = prepare_video(  # before torch loads
        sys.stdin.buffer if str(src) == "-" else src,
        sys.stdout.buffer if str(dst) == "-" else dst,
        video_opts, overwrite, shard=parse_shard(shard) if shard else None, restart=restart,
        pipe_format=pipe_format,
    )  # fmt: skip
    done = _drawn(job, ob.make_colorizer(opts), quiet)
    if done is not None:
        _said_done(done, video_opts.stats, str(dst) == "-", quiet)


def _after_interrupt(piped: bool, dst: Path, video_opts) -> None:
    """What an interrupted run leaves and how to go on, said if one is."""
    from colorcli.framefiles import frames_out

    if piped:
        cc.after_interrupt("a pipe cannot resume: send the film through again")
    elif frames_out(dst):
        cc.after_interrupt("the finished frames are kept: rerun the same command to resume")
    elif video_opts.segment_seconds > 0:
        cc.after_interrupt("the finished segments are kept: rerun the same command to resume")
    else:
        cc.after_interrupt("rerun to colorize the film again from its start")


def _drawn(job, colorizer, quiet: bool):
    """The film coloured under its bars (the scenes' scan, then the frames), its notices
    said; returns its VideoDone, or None where it ended without one."""
    from colorcli.events import Frames, Notice, Scanned, VideoDone, VideoStart
    from colorcli.video import colorize_video

    done = None
    with cc.Bar(quiet) as bar:
        task = scan = None
        for ev in colorize_video(job, colorizer):
            if isinstance(ev, Scanned):  # the pass the stills need, before the first frame
                if scan is None:
                    scan = bar.add("finding scenes", ev.total, "frames")
                bar.update(scan, advance=ev.n)
                continue
            if scan is not None and isinstance(ev, Frames | VideoDone):
                bar.remove(scan)
                scan = None
            if isinstance(ev, VideoStart) and not quiet:
                info = ev.info
                cc.echo(
                    f"{info.width}x{info.height} {info.codec}, {ev.total or '?'} frames, {float(info.rate or 0):.3f} fps"
                )
                if task is not None:  # begun again (a joined film, now read as one)
                    bar.remove(task)
                task = bar.add("colorizing", ev.total, "frames")
            elif isinstance(ev, Notice):
                cc.echo(f"notice: {ev.message}")
            elif isinstance(ev, Frames):
                bar.update(task, advance=ev.n, elapsed=ev.elapsed)
            elif isinstance(ev, VideoDone):
                done = ev
                bar.update(task, completed=ev.frames, elapsed=ev.seconds)
    return done


def _said_done(done, stats: bool, to_stdout: bool, quiet: bool) -> None:
    """The last line (frames, time, rate, where), and with --stats the film's temporal
    figures: on stdout, unless the film itself goes there."""
    if not quiet:
        where = f"-> {done.path}" if done.path else "(segments kept for the join)"
        kept = f", {done.kept} of them already in colour, kept as they came" if done.kept else ""
        cc.echo(
            f"{counted(done.frames, 'frame')} in {done.seconds:.1f} s ({done.frames / max(done.seconds, 1e-9):.2f} frames/s{kept}) {where}"
        )
    if stats and done.stats:
        s = done.stats
        click.echo(
            f"stats: flicker {s['flicker']:.3f} (mean |delta ab| where L is steady, Lab units), CDC {s['cdc']:.4f}, scene cuts {s['scene_cuts']}, frames {s['frames']}",
            err=to_stdout,
        )


# what guides or cuts one film, not several (each film's own: give them one by one)
_ONE_FILMS = ("refs", "reference", "start", "end")


def _several(srcs, dst: Path, video_opts, shard, restart, overwrite, quiet, opts) -> None:
    """``colorize video A B C FOLDER``: each film into FOLDER under its own name, as ``dir``
    colours a folder's films."""
    from colorcli.cli.folders import several
    from colorcli.errors import ConfigError

    given = [f"--{k}" for k in _ONE_FILMS if getattr(video_opts, k) is not None]
    given += ["--shard"] * (shard is not None) + ["--restart"] * restart
    given += ["--stats"] * video_opts.stats
    if given:
        verb = "goes" if len(given) == 1 else "go"
        raise ConfigError(f"{' and '.join(given)} {verb} with one film: give the films one by one")
    if any(str(s) == "-" for s in srcs) or str(dst) == "-":
        raise ConfigError("'-' (a pipe) carries one film: give the films one by one")
    how = {"video_options": video_opts, "keep_colour": video_opts.keep_colour}
    several(srcs, dst, _not_a_film, "film", overwrite, quiet, opts, how)


def _not_a_film(src: Path) -> str | None:
    """Why ``colorize video`` does not take ``src`` among several, or None."""
    from colorcli.framefiles import is_sequence
    from colorcli.options import VIDEO_EXTS

    if is_folder(src) or is_sequence(src):
        return "numbered frames, or a folder: give them to colorize video alone"
    if src.suffix.lower() not in VIDEO_EXTS:
        return "not a film (`colorize image` takes photos)"
    return None


def _into_folder(src: Path, dst: Path, codec: str | None) -> Path:
    """DST a folder, as cp takes one: the film under its own name there (as `colorize dir`
    names it: an .mpg as .mkv). A pipe or numbered frames have no name to take."""
    from colorcli.archiveplan import named_in
    from colorcli.errors import OutputPathError
    from colorcli.framefiles import is_sequence

    if str(dst) == "-" or not is_folder(dst):
        return dst
    if str(src) == "-" or is_folder(src) or is_sequence(src):
        raise OutputPathError(
            f"{dst} is a folder: give the film's file name in it ({dst / 'film.mkv'}), or a frame pattern ({dst / '%06d.tif'})"
        )
    return named_in(src, dst, codec)


def _no_terminal(film_in: bool, film_out: bool) -> None:
    """A film is read from a pipe and written into one, never to or from a terminal: '-' with
    nothing piped in waited for ever, and a film written out filled the screen with bytes."""
    from colorcli.errors import ConfigError

    if film_in and sys.stdin.isatty():
        raise ConfigError(
            "SRC '-' reads a film from a pipe, and nothing is piped in "
            "(ffmpeg -i film.mov -f matroska - | colorize video - out.mkv)"
        )
    if film_out and sys.stdout.isatty():
        raise ConfigError(
            "DST '-' writes the film into a pipe, and the output is a terminal "
            "(colorize video film.mkv - | ffmpeg -f matroska -i - ...)"
        )


@cc.main.command("scenes")
@click.argument("src", type=click.Path(path_type=Path, dir_okay=True))
@click.argument("out", type=click.Path(path_type=Path, dir_okay=True, file_okay=False))
@click.option(
    "--rate",
    type=click.FloatRange(min=0.0, min_open=True),
    default=VideoOptions.rate,
    show_default=True,
    help="Frames per second of a numbered-frame sequence SRC.",
)
@click.option(
    "--reference",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Colour the stills after this colour photo of similar content (the same place, the same actor), then carry them with colorize video --refs.",
)
@ob.colorize_options(exclude=("batch_size",))
@cc.handle_errors
def scenes_cmd(
    src: Path, out: Path, rate: float, reference, overwrite: bool, quiet: bool, **opts
) -> None:
    """Write the first frame of each scene of SRC as OUT/<N>.png (N: the frame's number from 0;
    a scene that fades in from black: its clearest frame of the first second), coloured by the
    model as a starting point. Recolour any of them in an editor (or with
    colorize image --hints), then give the folder to colorize video --refs. Stills already in
    OUT are kept unless --overwrite."""
    from colorcli.events import Frames, Notice, VideoDone, VideoStart
    from colorcli.scenes import write_scene_stills

    ref = None
    if reference is not None:  # a bad reference stops before any work
        ref = cc.read_reference(reference)
    done = None
    with cc.Bar(quiet) as bar:
        task = None
        stills = write_scene_stills(src, out, ob.make_colorizer(opts), rate, overwrite, ref)
        for ev in stills:
            if isinstance(ev, VideoStart):
                task = bar.add("finding scenes", ev.total, "frames")
            elif isinstance(ev, Frames):
                bar.update(task, advance=ev.n, elapsed=ev.elapsed)
            elif isinstance(ev, Notice):
                cc.echo(f"notice: {ev.message}")
            elif isinstance(ev, VideoDone):
                done = ev
    if done is not None and not quiet:
        cc.echo(
            f"{counted(done.frames, 'still')} of {counted(done.promised, 'frame')} -> {done.path}"
        )
