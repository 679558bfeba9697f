"""Films shown otherwise than stored: on their side (a phone's portrait film: the pictures
stored turned, with a display rotation) or with non-square pixels (DVD, DV). The network sees
a turned film as it is shown, `colorize scenes` writes its stills as shown, and `--refs` takes
them so."""

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from colorcli.cli import main
from colorcli.kernels import rgb_to_lab
from tests.media import make_clip, shown_frames

LOSSLESS = {"codec": "ffv1", "pix_fmt": "yuv444p", "audio": None, "size": (48, 80)}


def _colour(src, dst, ckpt, *more):
    args = ["video", str(src), str(dst), "--model", str(ckpt), "--codec", "ffv1", "-q", *more]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    return shown_frames(dst)


@pytest.mark.parametrize(
    ("turned", "more"), [(1, ()), (-1, ()), (2, ()), (1, ("--segment-seconds", "0"))]
)
def test_a_film_stored_on_its_side_is_coloured_as_it_is_shown(tmp_path, seeing_ckpt, turned, more):
    """The same pictures stored upright and stored turned (with the rotation that shows them
    upright) come out alike, in segments or in one encode: the network is not shown a
    sideways picture (a model's colours depend on which way is up: sky above, ground below)."""
    upright = make_clip(tmp_path / "up.mkv", n=6, **LOSSLESS)
    side = make_clip(tmp_path / "side.mkv", n=6, turned=turned, **LOSSLESS)
    a = _colour(upright, tmp_path / "a.mkv", seeing_ckpt, *more)
    b = _colour(side, tmp_path / "b.mkv", seeing_ckpt, *more)
    assert b[0].shape == a[0].shape == (48, 80, 3)
    assert np.mean([np.abs(x.astype(int) - y).mean() for x, y in zip(a, b, strict=True)]) < 2.5
    assert np.mean([np.abs(x.astype(int) - x.mean(-1, keepdims=True)).mean() for x in a]) > 5


@pytest.mark.parametrize(
    ("kind", "shown"),
    [("turned", (48, 80)), ("stored", (48, 80)), ("dvd", (48, 72)), ("wide", (48, 96))],
)
def test_scenes_stills_are_as_shown_and_refs_take_them(tmp_path, tiny_ckpt, kind, shown):
    """`colorize scenes` writes a still as the film is shown (upright, square pixels); a
    colourist paints the left of it green, the right magenta, and `--refs` puts them there. A
    turned film's still painted as its frames are stored (as stills were written before) is
    taken as it is."""
    from fractions import Fraction

    kw = dict(LOSSLESS)
    if kind in ("turned", "stored"):
        kw["turned"] = 1
    else:  # 80 pixels a line, each 9/10 or 6/5 as wide as tall (H.264 holds it itself)
        kw["sar"] = Fraction(9, 10) if kind == "dvd" else Fraction(6, 5)
        kw["codec"], kw["pix_fmt"] = "libx264", "yuv420p"
    src = make_clip(tmp_path / "film.mkv", n=8, **kw)
    stills = tmp_path / "stills"
    r = CliRunner().invoke(main, ["scenes", str(src), str(stills), "--model", str(tiny_ckpt), "-q"])
    assert r.exit_code == 0, r.output
    still = np.asarray(Image.open(stills / "0.png"))
    assert still.shape == (*shown, 3)  # as shown, not as stored (80 x 48, or 80 wide)
    half = shown[1] // 2
    lab = rgb_to_lab(still)
    lab[:, :half, 1:] = (-30.0, 20.0)  # green at the left as shown
    lab[:, half:, 1:] = (40.0, -20.0)  # magenta at the right
    from colorcli.kernels import compose_rgb8

    painted = compose_rgb8(np.ascontiguousarray(lab[..., 0]), np.ascontiguousarray(lab[..., 1:]))
    if kind == "stored":
        painted = np.ascontiguousarray(np.rot90(painted, -1))  # as its frames are stored
    Image.fromarray(painted).save(stills / "0.png")
    out = _colour(src, tmp_path / "out.mkv", tiny_ckpt, "--refs", str(stills))
    ab = rgb_to_lab(out[0])[..., 1:]
    left, right = ab[8:-8, 4:32].reshape(-1, 2).mean(0), ab[8:-8, 48:76].reshape(-1, 2).mean(0)
    assert left[0] < -10 and left[1] > 5, left
    assert right[0] > 15 and right[1] < -5, right


@pytest.mark.parametrize("ext", ["png", "tif", "dpx"])
def test_frames_out_of_a_turned_film_are_upright(tmp_path, seeing_ckpt, ext):
    """A still file holds no display rotation: numbered frames out of a film stored on its side
    are written as it is shown, and coloured as the same film stored upright."""
    import av

    side = make_clip(tmp_path / "side.mkv", n=4, turned=1, **LOSSLESS)
    upright = _colour(
        make_clip(tmp_path / "up.mkv", n=4, **LOSSLESS), tmp_path / "a.mkv", seeing_ckpt
    )
    out = tmp_path / "frames" / f"%04d.{ext}"
    out.parent.mkdir()
    r = CliRunner().invoke(main, ["video", str(side), str(out), "--model", str(seeing_ckpt), "-q"])
    assert r.exit_code == 0, r.output
    frames = []
    for i in range(4):
        with av.open(str(tmp_path / "frames" / f"{i:04d}.{ext}")) as c:
            frames.append(next(c.decode(video=0)).to_ndarray(format="rgb24"))
    assert frames[0].shape == (48, 80, 3)
    diff = np.mean([np.abs(x.astype(int) - y).mean() for x, y in zip(upright, frames, strict=True)])
    assert diff < 2.5


def test_a_turned_film_on_a_pipe_keeps_its_rotation_and_is_coloured_as_shown(tmp_path, seeing_ckpt):
    """A pipe cannot be read twice, so its first picture's display rotation was never read:
    a portrait film piped in came out on its side (no rotation) and was coloured sideways.
    Its opening is now read twice: the film comes out as it went in, coloured as the same
    film from a file is."""
    import subprocess
    import sys

    from tests import procs

    side = make_clip(tmp_path / "side.mkv", n=6, turned=1, **LOSSLESS)
    args = ["--model", str(seeing_ckpt), "--codec", "ffv1", "-q"]
    with open(side, "rb") as f:
        r = subprocess.run(
            [sys.executable, "-m", "colorcli", "video", "-", str(tmp_path / "p.mkv"), *args],
            stdin=f,
            capture_output=True,
            timeout=120,
            preexec_fn=procs._as_from_a_terminal,
        )
    assert r.returncode == 0, r.stderr
    piped = shown_frames(tmp_path / "p.mkv")
    filed = _colour(side, tmp_path / "f.mkv", seeing_ckpt, "--segment-seconds", "0")
    assert piped[0].shape == (48, 80, 3)  # shown upright: the rotation kept
    assert (
        np.mean([np.abs(x.astype(int) - y).mean() for x, y in zip(piped, filed, strict=True)]) < 1
    )


def test_a_pipes_opening_is_handed_again_whole_however_far_the_first_look_read():
    """The first look stops at its limit (as if the pipe ended there); the second reader gets
    every byte, the kept ones and then the rest of the pipe, in order."""
    import io

    from colorcli.pipes import Replay

    data = bytes(range(256)) * 40
    replay = Replay(io.BytesIO(data), limit=1000)
    seen = b""
    while chunk := replay.read(300):
        seen += chunk
    assert seen == data[:900]  # a 4th read of 300 would pass the limit
    replay.rewind()
    again = b""
    while chunk := replay.read(256):
        again += chunk
    assert again == data


HFLIP = (-65536, 0, 0, 0, 65536, 0, 0, 0, 1 << 30)  # shown mirrored left to right
VFLIP = (65536, 0, 0, 0, -65536, 0, 0, 0, 1 << 30)  # shown mirrored top to bottom


def _mirrored_film(path, matrix):
    return make_clip(path, n=12, audio=None, matrix=matrix)


def _matrix(path):
    import struct

    import av

    with av.open(str(path)) as c:
        f = next(c.decode(video=0))
        return next(
            (struct.unpack("<9i", bytes(s)) for s in f.side_data if "DISPLAY" in str(s.type)),
            None,
        )


@pytest.mark.parametrize("segments", ["0", "0.2"])
def test_a_mirrored_film_is_written_to_be_shown_mirrored_as_it_came(tmp_path, tiny_ckpt, segments):
    """A display matrix that mirrors (a front camera's film, a flip set in an editor) was read
    as a rotation, a left-right mirror as a half turn: the film came out to be shown upside
    down. Its matrix now goes to the output as it came, in one encode and in segments."""
    src = _mirrored_film(tmp_path / "selfie.mp4", HFLIP)
    dst = tmp_path / "out.mp4"
    r = CliRunner().invoke(main, ["video", str(src), str(dst), "--model", str(tiny_ckpt), "-q",
                                  "--segment-seconds", segments])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert _matrix(dst) == HFLIP


def test_the_network_sees_a_mirrored_film_upright(tmp_path):
    """Mirrored left to right, a film is upright as stored (no turn); mirrored top to bottom,
    it is upside down as stored: turned a half turn for the network (then mirrored left to
    right, which colour does not mind). FFmpeg's rotation read them the other way round."""
    from colorcli.videoprobe import probe_video

    h = probe_video(_mirrored_film(tmp_path / "h.mp4", HFLIP))
    v = probe_video(_mirrored_film(tmp_path / "v.mp4", VFLIP))
    assert (h.turns, h.mirror) == (0, HFLIP)
    assert (v.turns, v.mirror) == (2, VFLIP)
