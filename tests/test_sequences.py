"""Scans as frames: numbered DPX or TIFF frames read as a film, a film written as numbered
16-bit TIFF or DPX frames (resumed frame by frame), DPX in colorize dir, and their errors."""

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from colorcli.cli import main
from colorcli.imageio import probe_image, read_image
from colorcli.kernels import rgb_to_lab
from tests.media import frame_picture, make_clip, read_clip


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def make_scans(folder: Path, n: int = 12, first: int = 1000, bits: int = 10) -> Path:
    """``n`` numbered DPX frames of a moving gray picture (10-bit, or 16-bit with bits=16)."""
    folder.mkdir(parents=True, exist_ok=True)
    pix = "gbrp10le" if bits == 10 else "rgb48le"
    for i in range(n):
        g = frame_picture(i, 48, 64).astype(np.uint16) * 257
        frame = av.VideoFrame.from_ndarray(np.repeat(g[..., None], 3, -1), "rgb48le")
        cc = av.CodecContext.create("dpx", "w")
        cc.width, cc.height, cc.pix_fmt, cc.time_base = 64, 48, pix, Fraction(1, 24)
        frame = frame.reformat(format=pix)
        frame.pts = 0
        data = b"".join(bytes(p) for p in [*cc.encode(frame), *cc.encode(None)])
        (folder / f"{first + i:06d}.dpx").write_bytes(data)
    return folder


def _frames(path: Path, fmt: str | None = None, **options) -> list[np.ndarray]:
    with av.open(str(path), format=fmt, options=options) as c:
        return [f.to_ndarray(format="rgb48le") for f in c.decode(video=0)]


@pytest.mark.parametrize("how", ["pattern", "folder"])
def test_a_dpx_sequence_in_gives_a_film_of_its_frames(tmp_path, tiny_ckpt, how):
    scans = make_scans(tmp_path / "scans")
    src = scans / "%06d.dpx" if how == "pattern" else scans
    out = tmp_path / "film.mkv"
    r = run("video", src, out, "--model", tiny_ckpt, "-q", "--codec", "ffv1", "--rate", "24")
    assert r.exit_code == 0, r.stderr
    film = read_clip(out)
    assert len(film["pts"]) == 12
    assert float(film["pts"][-1] * film["time_base"]) == pytest.approx(11 / 24, abs=1e-3)
    with av.open(str(out)) as c:
        assert c.streams.video[0].codec_context.pix_fmt == "gbrp16le"  # the depth is kept


def test_a_film_out_to_numbered_tiffs_is_16_bit_keeps_l_and_resumes(tmp_path, tiny_ckpt):
    src = make_clip(tmp_path / "in.mp4", n=20, audio=None)
    pattern = tmp_path / "out" / "%06d.tif"
    r = run("video", src, pattern, "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.stderr
    files = sorted((tmp_path / "out").glob("*.tif"))
    assert [f.name for f in files] == [f"{i:06d}.tif" for i in range(20)]
    frames = read_clip(src)["frames"]
    for f, rgb in zip(files, frames, strict=True):
        tif = read_image(f).pixels
        assert tif.dtype == np.uint16 and tif.shape == (48, 64, 3)
        lab = rgb_to_lab(tif)
        assert np.abs(lab[..., 0] - rgb_to_lab(rgb)[..., 0]).mean() < 1.0  # L kept
        assert np.hypot(lab[..., 1], lab[..., 2]).mean() > 3.0  # and coloured
    kept = files[3].stat().st_mtime_ns
    files[7].unlink()
    files[12].unlink()
    r = run("video", src, pattern, "--model", tiny_ckpt)
    assert r.exit_code == 0, r.stderr
    assert "resuming: 18 of 20 frames are there and kept" in r.stderr
    assert files[7].exists() and files[12].exists() and files[3].stat().st_mtime_ns == kept
    r = run("video", src, pattern, "--model", tiny_ckpt)
    assert r.exit_code == 0 and "all 20 frames are there already" in r.stderr


def test_frames_out_are_not_resumed_from_another_version_of_the_film(tmp_path, tiny_ckpt):
    """A rerun kept the frames there and coloured only the missing ones, whatever they were
    made of: a film re-exported since (or other options) gave a folder of two versions."""
    src = make_clip(tmp_path / "in.mp4", n=12, audio=None)
    pattern = tmp_path / "out" / "%06d.tif"
    assert run("video", src, pattern, "--model", tiny_ckpt, "-q").exit_code == 0
    (tmp_path / "out" / "000005.tif").unlink()
    before = {p.name: p.read_bytes() for p in (tmp_path / "out").glob("*.tif")}
    r = run("video", src, pattern, "--model", tiny_ckpt, "-q", "--smooth", "0.2")
    assert r.exit_code == 1
    assert r.stderr == (
        f"error: {pattern}: the 11 frames there were coloured otherwise: --smooth 0.7 (now "
        "0.2); --overwrite colours them all again, or give another folder\n"
    )
    make_clip(src, n=12, audio=None, cut_at=6)  # exported again, another cut
    r = run("video", src, pattern, "--model", tiny_ckpt, "-q")
    assert r.exit_code == 1 and "(the input has changed since)" not in r.stderr
    assert "were coloured otherwise: the input has changed since;" in r.stderr
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").glob("*.tif")} == before
    r = run("video", src, pattern, "--model", tiny_ckpt, "-q", "--overwrite")
    assert r.exit_code == 0, r.stderr
    assert len(list((tmp_path / "out").glob("*.tif"))) == 12
    r = run("video", src, pattern, "--model", tiny_ckpt)
    assert r.exit_code == 0 and "all 12 frames are there already" in r.stderr


def test_frames_out_of_a_film_that_changed_meanwhile_are_not_called_done(
    tmp_path, tiny_ckpt, monkeypatch
):
    """A film still being copied (or rewritten) while its frames are written: its frames are
    of the film as it was, and the run said nothing (exit 0)."""
    import colorcli.sequence as sequence

    src = make_clip(tmp_path / "in.mp4", n=12, audio=None)
    send = sequence._send

    def growing(*args):
        with open(src, "ab") as f:
            f.write(b"\0" * 100)
        return send(*args)

    monkeypatch.setattr(sequence, "_send", growing)
    r = run("video", src, tmp_path / "out" / "%06d.tif", "--model", tiny_ckpt, "-q")
    assert r.exit_code == 1
    assert r.stderr.startswith(f"error: {src}: changed while it was being coloured (")
    assert r.stderr.endswith(
        " now): the frames written are of it as it was: colour it again with "
        "--overwrite once it is complete\n"
    )


def test_dpx_frames_out_keep_the_scans_numbers_and_their_bits(tmp_path, tiny_ckpt):
    scans = make_scans(tmp_path / "scans", n=6, first=500)
    r = run("video", scans, tmp_path / "out" / "c%06d.dpx", "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.stderr
    names = sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith("."))
    assert names == [f"c{500 + i:06d}.dpx" for i in range(6)]
    info = probe_image(tmp_path / "out" / "c000500.dpx")
    assert (info.format, info.bits, info.width, info.height) == ("dpx", 10, 64, 48)


def test_dpx_in_colorize_dir_keeps_ten_bits(tmp_path, tiny_ckpt):
    scans = make_scans(tmp_path / "archive" / "reel1", n=2)
    r = run("dir", scans.parent, "-o", tmp_path / "out", "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0 and "2 colorized" in r.stderr, r.stderr
    out = tmp_path / "out" / "reel1" / "001000.dpx"
    assert probe_image(out).bits == 10
    lab = rgb_to_lab(read_image(out).pixels)
    src = rgb_to_lab(read_image(scans / "001000.dpx").pixels)
    assert np.abs(lab[..., 0] - src[..., 0]).mean() < 1.0


def test_sequence_errors_name_the_frames_and_the_pattern(tmp_path, tiny_ckpt):
    scans = make_scans(tmp_path / "scans", n=5)
    (scans / "001002.dpx").unlink()
    r = run("video", scans / "%06d.dpx", tmp_path / "o.mkv", "--model", tiny_ckpt)
    assert r.exit_code == 1
    assert r.stderr.strip() == (
        f"error: {scans / '%06d.dpx'}: frame 1002 is missing: a numbered sequence must have no gaps (4 frames found)"
    )
    r = run("video", tmp_path / "nothing" / "%06d.dpx", tmp_path / "o.mkv", "--model", tiny_ckpt)
    assert r.exit_code == 1 and "no frames match this pattern" in r.stderr
    (tmp_path / "empty").mkdir()
    r = run("video", tmp_path / "empty", tmp_path / "o.mkv", "--model", tiny_ckpt)
    assert r.exit_code == 1 and "is a folder with no numbered frames" in r.stderr
    src = make_clip(tmp_path / "in.mp4", n=3, audio=None)
    r = run("video", src, tmp_path / "f" / "%06d.jpg", "--model", tiny_ckpt)
    assert r.exit_code == 1 and "numbered frames are written as .tif, .dpx or .png" in r.stderr
    r = run("video", src, tmp_path / "f" / "frames%.tif", "--model", tiny_ckpt)
    assert r.exit_code == 1 and "a frame pattern holds one %d or %0Nd" in r.stderr
    assert not (tmp_path / "f").exists() or not list((tmp_path / "f").iterdir())


def test_16_bit_tiff_frames_read_as_a_film(tmp_path, tiny_ckpt):
    folder = tmp_path / "tiffs"
    folder.mkdir()
    for i in range(5):
        g = frame_picture(i, 48, 64).astype(np.uint16) * 257
        cv2.imwrite(str(folder / f"shot_{i:04d}.tif"), np.repeat(g[..., None], 3, -1))
    r = run("video", folder, tmp_path / "o.mkv", "--model", tiny_ckpt, "-q", "--codec", "ffv1")
    assert r.exit_code == 0, r.stderr
    assert len(_frames(tmp_path / "o.mkv")) == 5


def test_openexr_frames_are_read_as_the_light_they_hold(tmp_path, tiny_ckpt):
    """OpenEXR frames hold scene-linear light: read as code values, a light of 0.216 came out
    as 55 of 255 (L* 23 where that light is L* 54; up to 31 L* off). They are decoded to
    sRGB's curve, and the coloured film keeps that lightness."""
    folder = tmp_path / "exr"
    folder.mkdir()
    code = np.tile(np.linspace(0, 1, 64, dtype=np.float32), (48, 1))  # sRGB code values
    light = np.where(code <= 0.04045, code / 12.92, ((code + 0.055) / 1.055) ** 2.4)
    cc = av.CodecContext.create("exr", "w")
    cc.width, cc.height, cc.pix_fmt = 64, 48, "gbrpf32le"
    frame = av.VideoFrame(64, 48, "gbrpf32le")
    for plane in frame.planes:
        np.frombuffer(plane, np.float32).reshape(48, -1)[:, :64] = light
    frame.pts = 0
    data = b"".join(bytes(p) for p in [*cc.encode(frame), *cc.encode(None)])
    for i in range(4):
        (folder / f"f{i:04d}.exr").write_bytes(data)
    r = run("video", folder, tmp_path / "o.mkv", "--model", tiny_ckpt, "-q", "--codec", "ffv1")
    assert r.exit_code == 0, r.stderr
    want = rgb_to_lab(np.dstack([code] * 3))[..., 0]
    for got in _frames(tmp_path / "o.mkv"):
        assert np.abs(rgb_to_lab(got.astype(np.float32) / 65535)[..., 0] - want).max() < 1.0
    # and the film says so: marked with sRGB's curve (13), not the input's linear light (8),
    # which a player or grading tool that follows the mark showed washed out
    r = run("video", folder, tmp_path / "o.mp4", "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.stderr
    for out in ("o.mkv", "o.mp4"):
        with av.open(str(tmp_path / out)) as c:
            assert int(c.streams.video[0].codec_context.color_trc) == 13, out


@pytest.mark.parametrize("layout,shape", [("gbrpf32le", 3), ("gbrapf32le", 4), ("grayf32le", 0)])
def test_linear_light_frames_are_coded_as_srgb_whatever_ffmpeg_did(layout, shape):
    """PyAV 19's FFmpeg leaves OpenEXR frames linear (marked so) whatever the decoder is asked;
    PyAV 18's coded them when asked (marked sRGB). Both reach the colourer coded."""
    from colorcli.linearlight import display_coded

    code = np.tile(np.linspace(0, 1, 16, dtype=np.float32), (4, 1))
    light = np.where(code <= 0.04045, code / 12.92, ((code + 0.055) / 1.055) ** 2.4)
    planes = np.dstack([light] * shape) if shape else light
    if shape == 4:
        planes[..., 3] = 0.5  # alpha is not light
    frame = av.VideoFrame.from_ndarray(planes.astype(np.float32), format=layout)
    frame.pts, frame.time_base, frame.color_trc = 7, Fraction(1, 24), 8  # linear
    out = display_coded(frame)
    got = out.to_ndarray()
    np.testing.assert_allclose(got[..., 0] if shape else got, code, atol=1e-5)
    if shape == 4:
        assert np.all(got[..., 3] == 0.5)
    assert (out.pts, out.time_base, out.color_trc) == (7, Fraction(1, 24), 13)
    frame.color_trc = 13  # already coded: left alone
    assert display_coded(frame) is frame


@pytest.mark.parametrize("ext", [".jpg", ".jp2"])
def test_a_folder_of_jpeg_frames_reads_as_a_film(tmp_path, tiny_ckpt, ext):
    """Telecine services deliver small-gauge film as numbered JPEGs, film archives keep
    lossless JPEG 2000 frames: a folder of either was refused ("a folder with no numbered
    frames"), though a %d pattern read them. Each frame now comes out in order, at the frame
    rate asked for."""
    from PIL import Image

    folder = tmp_path / "reel1"
    folder.mkdir()
    for i in range(6):
        Image.fromarray(frame_picture(i, 48, 64)).save(folder / f"reel1_{i + 1:05d}{ext}")
    out = tmp_path / "reel1.mkv"
    r = run("video", folder, out, "--model", tiny_ckpt, "-q", "--rate", "18")
    assert r.exit_code == 0, r.stderr
    film = read_clip(out)
    assert len(film["pts"]) == 6
    assert float(film["pts"][-1] * film["time_base"]) == pytest.approx(5 / 18, abs=1e-3)


def test_a_film_whose_name_holds_a_percent_sign_is_a_film(tmp_path, tiny_ckpt):
    """'reel 100%.mp4' was taken for a pattern of numbered frames, in and out: "a frame
    pattern needs %d or %0Nd" / "numbered frames are written as .tif, .dpx or .png"."""
    src = make_clip(tmp_path / "reel 100%.mp4", n=10, audio=None)
    dst = tmp_path / "reel 100% colour.mkv"
    r = run("video", src, dst, "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.stderr
    assert len(read_clip(dst)["pts"]) == 10
    # a pattern is still a pattern, whichever way
    r = run("video", src, tmp_path / "f_%03d.png", "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0 and len(list(tmp_path.glob("f_*.png"))) == 10
    r = run("video", tmp_path / "f_%03d.png", tmp_path / "again.mkv", "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0 and len(read_clip(tmp_path / "again.mkv")["pts"]) == 10


@pytest.mark.parametrize("seconds", ["5", "0"])
def test_a_film_named_with_a_colon_is_read_and_written(tmp_path, tiny_ckpt, monkeypatch, seconds):
    """FFmpeg read 'take:2.mp4' (given as it is, from the folder it is in) as a protocol
    'take': "not a video file"."""
    monkeypatch.chdir(tmp_path)
    make_clip(tmp_path / "take:2.mp4", n=10)
    args = ["--model", tiny_ckpt, "-q", "--segment-seconds", seconds]
    r = run("video", "take:2.mp4", "take:2 colour.mp4", *args)
    assert r.exit_code == 0, r.stderr
    got, want = read_clip(tmp_path / "take:2 colour.mp4"), read_clip(tmp_path / "take:2.mp4")
    assert got["pts"] == want["pts"] and got["audio"] == want["audio"]
    r = run("scenes", "take:2.mp4", "stills:1", "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0 and (tmp_path / "stills:1" / "0.png").exists()


@pytest.mark.parametrize("how", ["pattern", "folder"])
def test_a_letterboxed_scan_sequence_has_its_bars_found_as_a_film_does(tmp_path, tiny_ckpt, how):
    """A film's scans (numbered DPX frames) are sampled through their files as a film file
    is through its length: bars, colour and levels. Before, a sequence was not sampled: its
    bars were coloured and its levels not measured."""
    folder = tmp_path / "scans"
    folder.mkdir()
    for i in range(16):
        g = np.zeros((96, 128), np.uint8)
        g[16:80] = cv2.resize(frame_picture(i, 48, 64), (128, 64))
        cv2.imwrite(str(folder / f"{1000 + i:06d}.png"), g)
    src = folder if how == "folder" else folder / "%06d.png"
    r = CliRunner().invoke(
        main, ["video", str(src), str(tmp_path / "o.mkv"), "--model", str(tiny_ckpt), "-q"]
    )
    assert r.exit_code == 0, r.output
    assert "bars (16 above, 16 below pixels)" in r.stderr


def test_frames_sampled_from_a_sequence_spread_through_it(tmp_path):
    from colorcli.filmsample import sample_frames

    folder = make_scans(tmp_path / "scans", n=30)
    got = sample_frames(folder, 24.0, count=5)
    assert [round(p.seconds * 24) for p in got] == [3, 9, 15, 21, 27]
    assert all(p.rgb.shape == (48, 64, 3) for p in got)
