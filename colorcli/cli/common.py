"""What every command shares: errors and signals turned into one line and an exit code, and
the one progress display (the options: ``colorcli.cli.optionbuild``).

This package is the only code that imports click or rich, prints, or exits. Heavy imports
(torch, numba, PyAV) happen inside the commands, so ``colorize --help`` is fast.
"""

from __future__ import annotations

import errno
import functools
import os
import re
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from colorcli import __version__

EXIT_FAILED = 1
EXIT_INTERRUPTED = 130  # Ctrl-C (SIGINT)
# 128 + the signal's number: SIGTERM's 143 (kill, systemd, docker stop, SLURM at the limit)
EXIT_SIGNALLED = 128
# signals that end a run from outside, each stopped like SIGTERM (whole files kept, the rest
# given back) where it would otherwise kill the process on the spot: a closed terminal or a
# dropped SSH session (SIGHUP; not where it is ignored: nohup), and the warnings schedulers
# send ahead of a job's limit (SLURM's --signal, Grid Engine's SIGUSR1 and SIGXCPU, LSF's
# SIGUSR2)
STOP_SIGNALS = ("SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGXCPU")


class Terminated(KeyboardInterrupt):
    """SIGTERM or another of ``STOP_SIGNALS`` (its number the argument), raised in the main
    thread so that it unwinds (and cleans up) like Ctrl-C."""

    @property
    def signum(self) -> int:
        return int(self.args[0])


# a stop signal already raised once: raised again at the next progress step, should a library
# have caught it on the way (a C extension that polls for signals and clears what it gets)
_STOPPED: list[KeyboardInterrupt] = []


def _on_stop_signal(signum: int, frame: Any) -> None:
    _STOPPED.append(Terminated(signum))
    raise Terminated(signum)


def _on_sigint(signum: int, frame: Any) -> None:
    _STOPPED.append(KeyboardInterrupt())
    raise KeyboardInterrupt()


def stop_if_signalled() -> None:
    """Raise again a Ctrl-C or stop signal that has come and not stopped the run."""
    if _STOPPED:
        first = _STOPPED[0]
        raise type(first)(*first.args)


def _quiet_unraisable(hook: Callable[[Any], None]) -> Callable[[Any], None]:
    """``sys.unraisablehook`` that keeps quiet about a stop signal raised where Python cannot
    raise it (a signal that lands while a weakref callback or a finalizer runs): Python printed
    "Exception ignored in ..." with a traceback, and the run went on. It is in ``_STOPPED``,
    so the next progress step raises it again (``stop_if_signalled``); anything else goes to
    ``hook``."""

    def quiet(unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt) and _STOPPED:
            return
        hook(unraisable)

    return quiet


def _catch_stop_signals(ctx: click.Context) -> None:
    """Each of ``STOP_SIGNALS`` this platform has, and Ctrl-C, stop the run cleanly (and are
    given back their handlers when the command ends); one that is ignored stays ignored."""
    previous_hook = sys.unraisablehook
    sys.unraisablehook = _quiet_unraisable(previous_hook)
    ctx.call_on_close(functools.partial(setattr, sys, "unraisablehook", previous_hook))
    for name in STOP_SIGNALS:
        sig = getattr(signal, name, None)
        if sig is None or signal.getsignal(sig) is signal.SIG_IGN:
            continue
        previous = signal.signal(sig, _on_stop_signal)
        ctx.call_on_close(functools.partial(signal.signal, sig, previous))
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not when ignored (nohup)
        ctx.call_on_close(lambda: signal.signal(signal.SIGINT, signal.default_int_handler))
        signal.signal(signal.SIGINT, _on_sigint)


class _Unread:
    """A message stream (stdout, stderr) that outlives its reader: once a write or flush fails
    (the pipe's reader gone: ``2>&1 | tee log`` with the tee killed, a terminal closed under
    ``disown``; a full disk under ``2> log``), what follows is dropped and the run goes on.
    Before, the first line after it raised BrokenPipeError and the run stopped, exit 1, its work
    undone. ``buffer`` (a film written to ``-``) is the stream's own: a film's reader gone is
    still the run's failure."""

    def __init__(self, stream: Any) -> None:
        self._stream, self.gone = stream, False

    def _guarded(self, op: str, *args: Any) -> Any:
        if not self.gone:
            try:
                return getattr(self._stream, op)(*args)
            except UnicodeEncodeError:  # a name the stream's encoding lacks: '?' for it
                encoding = getattr(self._stream, "encoding", None) or "ascii"
                return self._guarded(op, args[0].encode(encoding, "replace").decode(encoding))
            except (OSError, ValueError):  # ValueError: a stream closed under us
                self.gone = True
        return len(args[0]) if args else None

    def write(self, text: str) -> int:
        return self._guarded("write", text)

    def flush(self) -> None:
        self._guarded("flush")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _outlive_readers(ctx: click.Context) -> None:
    """stdout and stderr as :class:`_Unread` while the command runs (given back at its end)."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, _Unread):
            setattr(sys, name, _Unread(stream))
            ctx.call_on_close(functools.partial(setattr, sys, name, stream))


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="colorize")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Bring colour back to black-and-white photos and films."""
    # OpenMP workers (torch, numba) otherwise spin for a while after each parallel region and
    # take the cores the video codec and the decoder threads need; must precede torch's import.
    # OpenCV's own log lines ("[ WARN ]", "[ERROR]" about a damaged file) would reach the
    # terminal beside our one line; every failure still comes back to us (a None, an error)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("OPENCV_LOG_LEVEL", "FATAL")
    from colorcli import cstderr

    cstderr.ENABLED = True  # libjpeg's own warnings become our notices, naming the file
    _STOPPED.clear()
    _catch_stop_signals(ctx)
    _outlive_readers(ctx)
    if (atomic := sys.modules.get("colorcli.atomic")) is not None:
        atomic.take_unlocked()  # another command's, in this process (a test, a notebook)


def shown(message: str) -> str:
    """``message`` as one line a terminal shows: a file name that is not UTF-8 (an old
    archive's Latin-1 'café.jpg') with a replacement character where Python held its bytes
    as '\\udce9', a newline inside a name as '\\n', and every other control character
    (an escape sequence in a name would restyle or retitle the terminal, a BEL ring it) as
    its code, '\\x1b'."""
    text = message.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return _CONTROLS.sub(_escaped, text)


_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(m: re.Match) -> str:
    c = m.group()
    return _NAMED.get(c) or f"\\x{ord(c):02x}"


def fail(message: str, code: int = EXIT_FAILED) -> None:
    click.echo(f"error: {shown(message)}", err=True)
    sys.exit(code)


def after_interrupt(hint: str) -> None:
    """What a rerun of the running command does, for the line after Ctrl-C or SIGTERM (the
    default: "rerun to start again"; only `dir` and `train` continue where they stopped)."""
    click.get_current_context().meta["after_interrupt"] = hint


def _rerun_hint() -> str:
    """What a rerun of the running command does (see :func:`after_interrupt`)."""
    ctx = click.get_current_context(silent=True)
    return (ctx.meta if ctx else {}).get("after_interrupt", "rerun to start again")


def handle_errors(fn: Callable) -> Callable:
    """Typed library errors -> one line on stderr and exit 1; Ctrl-C -> exit 130 and SIGTERM ->
    exit 143, each with a line saying that nothing half-written was left and what a rerun does;
    anything unforeseen -> one line too (COLORCLI_DEBUG=1 shows the traceback)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return _one_line_errors(fn, *args, **kwargs)
        finally:
            _say_uncached()
            _say_unlocked()

    return wrapper


def _say_uncached() -> None:
    """Where numba had nowhere to keep its compiled kernels, say so once, after the run (the
    kernels load with the command's work, not before it)."""
    kernels = sys.modules.get("colorcli.kernels.parallel")
    if kernels is not None and kernels.uncached():
        echo(
            "notice: numba found no writable folder to keep its compiled kernels (the install "
            "and the home folder are read-only), so every run compiles them first; set "
            "NUMBA_CACHE_DIR to a writable folder to keep them"
        )


def _say_unlocked() -> None:
    """Where outputs were claimed on a file system that locks no files, say so once, after
    the run."""
    atomic = sys.modules.get("colorcli.atomic")
    for folder, why in (atomic.take_unlocked() if atomic is not None else {}).items():
        echo(
            f"notice: {folder}: its disk does not lock files ({why}): written without locks, so runs on other machines writing the same outputs at the same time would not see each other"
        )


def _one_line_errors(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """``fn``, with every failure turned into one line and an exit code (see handle_errors)."""
    from colorcli.errors import NAME_TOO_LONG, NO_SPACE, ColorcliError, StopsTheRun, out_of_space

    try:
        return fn(*args, **kwargs)
    except StopsTheRun as e:  # a full or failed disk: what a rerun does
        fail(f"{e}; {_rerun_hint()}")
    except ColorcliError as e:
        fail(str(e))
    except KeyboardInterrupt as e:
        signalled = isinstance(e, Terminated)
        what = f"terminated ({signal.Signals(e.signum).name})" if signalled else "interrupted"
        click.echo(
            f"{what}: no partial output was left under a final name; {_rerun_hint()}", err=True
        )
        sys.exit(EXIT_SIGNALLED + e.signum if signalled else EXIT_INTERRUPTED)
    except MemoryError:
        fail("out of memory (try a smaller --batch-size or --size)")
    except (click.exceptions.Exit, click.ClickException, SystemExit):
        raise
    except Exception as e:
        if type(e).__name__ == "OutOfMemoryError" and type(e).__module__.startswith("torch"):
            # the GPU's, met where no back-off caught it (another job took its memory)
            first = str(e).split(". ", 2)[:2]
            fail(
                f"out of memory on the GPU ({'. '.join(first)}); try a smaller --batch-size or --size, or --device cpu"
            )
        named = f"{shown(str(e.filename))}: " if getattr(e, "filename", None) else ""
        if out_of_space(e):  # a full disk, met where no typed error was made of it
            fail(f"{named}{NO_SPACE}; {_rerun_hint()}")
        if getattr(e, "errno", None) == errno.ENAMETOOLONG:  # a name typed or pasted too long
            fail(f"{named}{NAME_TOO_LONG}")
        if os.environ.get("COLORCLI_DEBUG"):
            raise
        where = traceback.extract_tb(e.__traceback__)[-1]
        fail(
            f"unexpected {type(e).__name__}: {e} (at {Path(where.filename).name}:{where.lineno}; please report it; COLORCLI_DEBUG=1 shows the traceback)"
        )


# ---------------------------------------------------------------- the one progress display
class Bar:
    """Rich progress bars on stderr (count, rate, elapsed, ETA), or nothing when quiet.

    A task's rate is completed / elapsed; a task given ``elapsed=`` takes the library's clock
    (a film's), so the bar's last rate is the one the summary line states.
    """

    def __init__(self, quiet: bool) -> None:
        self.quiet, self._progress = quiet, None

    def __enter__(self) -> Bar:
        return self

    def _start(self) -> None:
        """The bars appear with the first task: a command that stops before any (a bad input)
        leaves its one error line, not a blank line before it."""
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
                elapsed = task.fields.get("elapsed") or task.elapsed or 0.0
                if elapsed <= 0 or not task.completed:
                    return super().render(task)
                # completed / elapsed: rich's windowed speed spikes when a batch lands
                return f"{task.completed / elapsed:.2f} {task.fields['unit']}/s"

        # a film's name is text, not rich markup ('[red]take 2.mp4' keeps its brackets)
        self._progress = Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            MofNCompleteColumn(),
            Rate(""),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[info]}", markup=False),
            console=Console(stderr=True),
        )
        self._progress.__enter__()

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(None, None, None)
            self._progress = None

    def add(self, description: str, total: int | None, unit: str, completed: int = 0) -> Any:
        stop_if_signalled()
        if self.quiet:
            return None
        if self._progress is None:
            self._start()
        return self._progress.add_task(
            shown(description), total=total or None, completed=completed, unit=unit, info=""
        )

    def update(self, task: Any, advance: int = 0, **fields: Any) -> None:
        stop_if_signalled()  # every command reports its progress here, quiet or not
        if self._progress is not None and task is not None:
            shown_fields = {k: shown(v) if isinstance(v, str) else v for k, v in fields.items()}
            self._progress.update(task, advance=advance, **shown_fields)

    def remove(self, task: Any) -> None:
        if self._progress is not None and task is not None:
            self._progress.remove_task(task)


def echo(message: str) -> None:
    """One line on stderr (above the bars while they are shown)."""
    click.echo(shown(message), err=True)


def read_reference(path: Path):
    """A --reference photo's (h, w, 3) RGB, with one notice when it has almost no colour."""
    from colorcli import refs

    rgb, note = refs.read_reference(path)
    if note is not None:
        echo(f"notice: {note}")
    return rgb
