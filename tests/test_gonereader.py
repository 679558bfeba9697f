"""A run whose reader has gone: its messages' pipe closed (``colorize ... 2>&1 | tee log``
with the tee killed, a log collector restarted, a terminal closed under ``disown``). The work
goes on and is kept; only the lines are lost."""

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from tests.media import make_clip


def _run_into_closed_pipe(*args: str, streams: tuple[str, ...]) -> subprocess.CompletedProcess:
    """``python -m colorcli ARGS`` with each of ``streams`` (stdout, stderr) a pipe whose
    reader has already gone, the others captured."""
    r, w = os.pipe()
    os.close(r)
    try:
        kw = {s: (w if s in streams else subprocess.PIPE) for s in ("stdout", "stderr")}
        return subprocess.run(
            [sys.executable, "-m", "colorcli", *args], timeout=300, text=True, **kw
        )
    finally:
        os.close(w)


@pytest.mark.parametrize("streams", [("stderr",), ("stdout", "stderr")])
def test_an_archive_is_coloured_when_nobody_reads_its_lines(tmp_path, tiny_ckpt, streams):
    src = tmp_path / "photos"
    src.mkdir()
    for i in range(3):
        Image.fromarray(np.full((24, 32), 40 * i + 20, np.uint8)).save(src / f"{i}.png")
    r = _run_into_closed_pipe(
        "dir", str(src), "-o", str(tmp_path / "out"), "--model", str(tiny_ckpt), streams=streams
    )
    assert r.returncode == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["0.png", "1.png", "2.png"]


def test_a_film_is_coloured_when_nobody_reads_its_lines(tmp_path, tiny_ckpt):
    src = make_clip(tmp_path / "in.mkv", n=6, size=(32, 48))
    dst = tmp_path / "out.mkv"
    r = _run_into_closed_pipe(
        "video", str(src), str(dst), "--model", str(tiny_ckpt), streams=("stdout", "stderr")
    )
    assert r.returncode == 0
    assert dst.stat().st_size > 0
    assert not [p for p in tmp_path.iterdir() if "colorcli-tmp" in p.name]


def test_a_failure_is_still_a_failure_when_nobody_reads_its_line(tmp_path, tiny_ckpt):
    (tmp_path / "bad.png").write_bytes(b"not a picture")
    r = _run_into_closed_pipe(
        "image",
        str(tmp_path / "bad.png"),
        str(tmp_path / "o.png"),
        "--model",
        str(tiny_ckpt),
        streams=("stdout", "stderr"),
    )
    assert r.returncode == 1
    assert not (tmp_path / "o.png").exists()


def test_a_film_piped_into_a_program_that_stops_reading_says_so(tmp_path, tiny_ckpt):
    """`colorize video in.mkv - | player` with the player closed: one line, not "unexpected
    BrokenPipeError ... please report it"."""
    src = make_clip(tmp_path / "in.mkv", n=40, size=(32, 48))
    r = _run_into_closed_pipe(
        "video", str(src), "-", "--model", str(tiny_ckpt), "-q", streams=("stdout",)
    )
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        "error: <stdout>: the program reading the film stopped before its end (its pipe was "
        "closed): it got the beginning only"
    ]
