"""The CLI as a real process: for signals, kills, concurrent runs and file permissions."""

from __future__ import annotations

import ctypes
import functools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

# Ctrl-C, SIGTERM and the other signals that end a run from outside (a closed terminal's
# SIGHUP; the warnings schedulers send before a job's time runs out: SLURM's --signal,
# Grid Engine's SIGUSR1 and SIGXCPU, LSF's SIGUSR2), with the exit code and the start of
# the line each one gets
STOPS = [
    (signal.SIGINT, 130, "interrupted"),
    (signal.SIGTERM, 143, "terminated (SIGTERM)"),
    (signal.SIGHUP, 129, "terminated (SIGHUP)"),
    (signal.SIGUSR1, 138, "terminated (SIGUSR1)"),
    (signal.SIGUSR2, 140, "terminated (SIGUSR2)"),
    (signal.SIGXCPU, 152, "terminated (SIGXCPU)"),
]
each_stop_signal = pytest.mark.parametrize(
    "sig,code,line", STOPS, ids=[signal.Signals(s).name for s, _, _ in STOPS]
)
# Ctrl-C and SIGTERM alone: for a film, whose run takes twice an archive's. Every signal goes
# through one handler (colorcli.cli.common), which the archive's test meets with all six; what
# a film keeps and resumes does not depend on which signal stopped it
CTRL_C_AND_TERM = STOPS[:2]
first_stop_signals = pytest.mark.parametrize(
    "sig,code,line", CTRL_C_AND_TERM, ids=[signal.Signals(s).name for s, _, _ in CTRL_C_AND_TERM]
)

_PR_CAPBSET_DROP = 24
_DAC_CAPS = (1, 2)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH


def _drop_dac_caps() -> None:
    """In the child before exec: without these two capabilities root obeys permission bits
    (dropped from the bounding set, so they do not come back at exec)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in _DAC_CAPS:
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _as_from_a_terminal() -> None:
    """In the child before exec: Ctrl-C and a hang-up as a terminal delivers them. A test run
    started in the background (``cmd &``, nohup, some CI runners) inherits SIGINT as ignored,
    and Python then installs no KeyboardInterrupt handler at all; under nohup it inherits
    SIGHUP as ignored too, which colorize rightly keeps (the SIGHUP tests then saw the run
    finish: 2 failures of ``nohup bash .ci/run``). ``start(ignoring=...)`` sets them after."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def permissions_enforceable() -> bool:
    """Whether a child process will obey file modes (always for a normal user; for root
    when it may drop its DAC capabilities)."""
    if os.geteuid() != 0:
        return True
    probe = subprocess.run(
        [sys.executable, "-c", "pass"], preexec_fn=_drop_dac_caps, capture_output=True
    )
    return probe.returncode == 0


def start(
    *args, obey_permissions: bool = False, ignoring: tuple[int, ...] = (), **kw
) -> subprocess.Popen:
    """``python -m colorcli ARGS`` in its own process group, stdout/stderr captured;
    ``ignoring``: signals it starts with ignored, as nohup starts a command."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    steps = [
        _as_from_a_terminal,
        *(functools.partial(signal.signal, s, signal.SIG_IGN) for s in ignoring),
    ]
    if obey_permissions and os.geteuid() == 0:
        if not permissions_enforceable():
            reason = "root here cannot drop CAP_DAC_OVERRIDE, so file modes bind nobody"
            pytest.skip(reason)
        steps.append(_drop_dac_caps)

    def pre() -> None:
        for step in steps:
            step()

    return subprocess.Popen(
        [sys.executable, "-m", "colorcli", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=pre,
        **kw,
    )


def run(*args, obey_permissions: bool = False, timeout: float = 300) -> subprocess.CompletedProcess:
    p = start(*args, obey_permissions=obey_permissions)
    out, err = p.communicate(timeout=timeout)
    return subprocess.CompletedProcess(p.args, p.returncode, out, err)


def wait_for(cond: Callable[[], bool], timeout: float = 120, proc=None) -> None:
    """Poll until ``cond()``; fail if ``proc`` ends first or time runs out."""
    t0 = time.monotonic()
    while not cond():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"process ended first ({proc.returncode}): {proc.stderr.read()}")
        if time.monotonic() - t0 > timeout:
            raise AssertionError("condition not reached in time")
        time.sleep(0.02)


def stop(proc: subprocess.Popen, sig: int = signal.SIGINT, timeout: float = 60):
    """Send ``sig`` and wait; returns (returncode, stdout, stderr)."""
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def film(src: Path, dst: Path, model: Path, *extra) -> tuple:
    """``colorize video`` arguments for a film coloured by a tiny model at a size that takes a
    few seconds: long enough to signal, kill or race it part way."""
    return ("video", src, dst, "--model", model, "-q", "--size", "240", *extra)


def leftovers(root: Path) -> list[Path]:
    """Our temporary and lock files anywhere under ``root``."""
    return [p for p in root.rglob(".*") if "colorcli-tmp" in p.name or "colorcli-lock" in p.name]
