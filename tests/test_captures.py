"""Films as capture programs and old cameras write them: an AVI whose capture dropped frames
(empty chunks) is whole, and one cut short is still damaged; a Matroska film whose frames
were left out where the picture did not change is whole, and one damaged inside still is."""

import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from colorcli.cli import main
from colorcli.packets import shows_damage
from tests.media import make_clip, read_clip

# an AVI at 25 fps whose frames 3 and 7 came too late: the capture left an empty chunk each
TICKS = [0, 1, 2, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _capture(path):
    return make_clip(
        path, n=len(TICKS), pts=TICKS, time_base=Fraction(1, 25), audio=None, codec="mjpeg",
        pix_fmt="yuvj420p",
    )  # fmt: skip


def _whole(src, tmp_path, tiny_ckpt, segments, ticks: int = 25) -> list[int]:
    """The frames' times (in ``ticks`` a second) of ``src`` coloured, not called damaged."""
    dst = tmp_path / "out.mkv"
    r = run("video", src, dst, "--model", tiny_ckpt, "-q", "--segment-seconds", segments)
    assert r.exit_code == 0, r.stderr
    assert "damaged" not in r.stderr, r.stderr
    out = read_clip(dst)
    got = np.round(np.asarray(out["pts"], float) * float(out["time_base"]) * ticks).astype(int)
    return list(got)


@pytest.mark.parametrize("segments", ["0", "0.3"])
def test_an_avi_with_dropped_frames_is_whole(tmp_path, tiny_ckpt, segments):
    """Its header counts 18 frames, its demuxer passes over the two empty chunks: the film
    was called damaged ('2 of 18 lost'), and `colorize dir` failed it and wrote it under a
    .damaged name. Each empty chunk holds the picture before it: nothing is lost, and the
    coloured film keeps the hold."""
    assert _whole(_capture(tmp_path / "vhs.avi"), tmp_path, tiny_ckpt, segments) == TICKS


@pytest.mark.parametrize("segments", ["0", "0.2"])
def test_an_avi_mencoder_wrote_is_whole(tmp_path, tiny_ckpt, segments):
    """tests/data/mencoder.avi (MEncoder 1.5, MJPEG and MP3; see tests/data/SOURCES.md)
    starts with an empty chunk, where its A/V sync skipped a frame, as every AVI MEncoder
    wrote from a film with B-frames or primed sound did: each was called damaged ('1 of 16
    lost') and `colorize dir` failed it. The coloured film starts where its first picture
    does, its frames at their times."""
    src = Path(__file__).parent / "data" / "mencoder.avi"
    assert _whole(src, tmp_path, tiny_ckpt, segments) == [1, *range(3, 16)]


@pytest.mark.parametrize("name", ["tape1.avi", "reel1.mkv"])
def test_an_archive_of_films_with_frames_left_out_goes_through(tmp_path, tiny_ckpt, name):
    """A capture's AVI with dropped frames; a decimated Matroska film (below)."""
    root = tmp_path / "tapes"
    root.mkdir()
    (_capture if name.endswith(".avi") else _holed)(root / name)
    r = run("dir", root, "-o", tmp_path / "out", "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.stderr
    assert "1 colorized, 0 skipped (already there), 0 failed" in r.stderr, r.stderr
    assert (tmp_path / "out" / name).is_file()


@pytest.mark.parametrize("segments", ["0", "0.3"])
def test_an_avi_with_dropped_frames_cut_short_is_still_damaged(tmp_path, tiny_ckpt, segments):
    """The empty chunks are not lost frames; the pictures past where a copy stopped are."""
    src = _capture(tmp_path / "vhs.avi")
    data = src.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    args = ("--model", tiny_ckpt, "-q", "--segment-seconds", segments)
    r = run("video", cut, tmp_path / "out.mkv", *args)
    assert r.exit_code == 0, r.stderr
    assert "input is damaged" in r.stderr, r.stderr


def test_an_ogg_vlc_wrote_is_whole(tmp_path, tiny_ckpt):
    """tests/data/vlc.ogg (VLC 3.0's Theora, see tests/data/SOURCES.md) ends its video with
    an empty packet that has a time; given to the decoder it was taken for the end, the next
    call failed, and the film was 'input is damaged: 25 frames colorized, 0 of 25 lost (1
    undecodable packets)'. Its skeleton stream is dropped with a notice that names no codec
    'None'."""
    src = Path(__file__).parent / "data" / "vlc.ogg"
    dst = tmp_path / "out.mkv"
    r = run("video", src, dst, "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.stderr
    assert "damaged" not in r.stderr and "(None)" not in r.stderr, r.stderr
    assert "data stream 0 (of a kind FFmpeg does not name) dropped" in r.stderr
    assert len(read_clip(dst)["pts"]) == 25


# a 25 fps film in milliseconds with frames 10 to 19 left out (FFmpeg's mpdecimate, a capture
# that drops repeats): Matroska keeps no frame count, the times show the holes
HOLED = [i * 40 for i in range(30) if not 10 <= i < 20]


def _holed(path, audio=None):
    return make_clip(path, n=len(HOLED), pts=HOLED, time_base=Fraction(1, 1000), audio=audio)


def _damaged_inside(tmp_path, how: str = "zeros") -> Path:
    """A whole 25 fps Matroska film damaged in the middle: a run of its bytes zeroed (a bad
    sector: its demuxer passes over them) or cut out (a copy that skipped a block: the file
    is shorter than its Segment says). The frames there are lost."""
    src = make_clip(tmp_path / "whole.mkv", n=60, size=(96, 128), audio=None, gop=12)
    data = bytearray(src.read_bytes())
    a, b = int(len(data) * 0.4), int(len(data) * (0.42 if how == "zeros" else 0.45))
    if how == "zeros":
        data[a:b] = bytes(b - a)
    else:
        del data[a:b]
    out = tmp_path / f"{how}.mkv"
    out.write_bytes(bytes(data))
    return out


@pytest.mark.parametrize(
    "made,segments",
    [("ffmpeg", "0"), ("ffmpeg", "0.3"), ("mkvmerge", "0"), ("mkvmerge", "0.3"), ("ts", "0.3")],
)
def test_a_film_with_frames_left_out_is_whole(tmp_path, tiny_ckpt, made, segments):
    """It was called damaged ('20 frames colorized, 10 of 30 lost') and `colorize dir` set
    it aside as .damaged, though every frame it holds decodes: the holes are its timing, and
    the coloured film keeps them. As FFmpeg writes it, and as mkvmerge does (its sound laced:
    tests/data/SOURCES.md)."""
    if made == "mkvmerge":
        src = Path(__file__).parent / "data" / "mkvmerge_holed.mkv"
    elif made == "ts":
        src = make_clip(
            tmp_path / "decimated.ts", n=len(HOLED), pts=[t * 90 for t in HOLED],
            time_base=Fraction(1, 90000), audio="mp2",
        )  # fmt: skip
    else:
        src = _holed(tmp_path / "decimated.mkv", audio="aac")
    got = _whole(src, tmp_path, tiny_ckpt, segments, ticks=1000)
    assert [t - got[0] for t in got] == HOLED  # from the film's first picture (a TS's: 1.4 s)


@pytest.mark.parametrize("how,segments", [("zeros", "0"), ("zeros", "0.3"), ("cut", "0")])
def test_a_matroska_film_damaged_inside_is_still_damaged(tmp_path, tiny_ckpt, how, segments):
    args = ("--model", tiny_ckpt, "-q", "--segment-seconds", segments)
    r = run("video", _damaged_inside(tmp_path, how), tmp_path / "out.mkv", *args)
    assert r.exit_code == 0, r.stderr
    assert re.search(r"input is damaged: \d+ frames colorized, \d+ of 60 lost", r.stderr), r.stderr


def test_bytes_passed_over_tell_damage_from_timing(tmp_path):
    """What tells the two apart: a damaged file's demuxer passes over bytes between blocks,
    or the file is shorter than its Segment says; a whole one's blocks follow each other.
    Another container: None."""
    assert shows_damage(_holed(tmp_path / "holed.mkv", audio="aac")) is False
    # mkvmerge laces its sound: 8 frames to a block, each packet at the block's position
    assert shows_damage(Path(__file__).parent / "data" / "mkvmerge_holed.mkv") is False
    assert shows_damage(_damaged_inside(tmp_path, "zeros")) is True
    assert shows_damage(_damaged_inside(tmp_path, "cut")) is True
    assert shows_damage(make_clip(tmp_path / "c.mp4", n=4)) is None
    # a transport stream: its demuxer marks the packets a continuity error broke
    ts = make_clip(tmp_path / "w.ts", n=60, size=(96, 128), audio="mp2", gop=12)
    assert shows_damage(ts) is False
    data = bytearray(ts.read_bytes())
    del data[len(data) // 2 : len(data) // 2 + 2000]
    (tmp_path / "cut.ts").write_bytes(bytes(data))
    assert shows_damage(tmp_path / "cut.ts") is True
    (tmp_path / "junk.mkv").write_bytes(b"not a film")
    assert shows_damage(tmp_path / "junk.mkv") is None
