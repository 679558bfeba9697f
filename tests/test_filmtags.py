"""colorize video: the output's Y'CbCr matrix and range are the ones its pixels were made
with, whatever the input's format and tags (RGB, full range, 4:2:2, HD), so players show the
colours and the lightness colorize made."""

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from click.testing import CliRunner

from colorcli.cli import main
from colorcli.kernels import rgb_to_lab
from tests.media import make_clip

MATRIX = {1: "ITU709", 5: "ITU601", 6: "SMPTE170M", 9: "BT2020"}


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def gray_picture(h: int, w: int) -> np.ndarray:
    """(h, w, 3) uint8 gray: black and white bars above a ramp with texture."""
    rng = np.random.default_rng(3)
    g = np.tile(np.linspace(30, 220, w), (h, 1)) + rng.normal(0, 12, (h, w))
    g[: h // 4, : w // 2] = 0
    g[: h // 4, w // 2 :] = 255
    g = np.clip(g, 0, 255).astype(np.uint8)
    return np.repeat(g[..., None], 3, axis=2)


def write_film(path: Path, codec: str, pix_fmt: str, space: int | None, full: bool, n=3) -> Path:
    """A gray film of ``pix_fmt``, its Y'CbCr made with matrix ``space`` and range ``full``
    and tagged so (RGB formats: untagged)."""
    h, w = 64, 96
    rgb = gray_picture(h, w)
    with av.open(str(path), "w") as out:
        v = out.add_stream(codec, rate=25)
        v.width, v.height, v.pix_fmt = w, h, pix_fmt
        v.time_base = v.codec_context.time_base = Fraction(1, 25)
        if codec.startswith("libx264"):
            v.codec_context.options = {"crf": "0" if codec == "libx264rgb" else "4"}
        kw = {}
        if space is not None:
            v.codec_context.colorspace, v.codec_context.color_range = space, 2 if full else 1
            kw = {"dst_colorspace": MATRIX[space], "dst_color_range": "JPEG" if full else "MPEG"}
        for i in range(n):
            f = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format=pix_fmt, **kw)
            f.pts = i
            out.mux(v.encode(f))
        out.mux(v.encode())
    return path


def shown_lab(path: Path) -> np.ndarray:
    """L*a*b* of a film's first frame as a player shows it: decoded with its own tags."""
    with av.open(str(path)) as c:
        f = next(c.decode(video=0))
        kw = {}
        if not f.format.name.startswith(("gbr", "rgb", "bgr", "gray")):
            space = int(f.colorspace)
            full = int(f.color_range) == 2 or f.format.name.startswith("yuvj")
            kw = {
                "src_colorspace": MATRIX.get(space, "ITU709" if f.height >= 720 else "ITU601"),
                "src_color_range": "JPEG" if full else "MPEG",
            }
        rgb = f.reformat(format="rgb24", **kw).to_ndarray()
    return rgb_to_lab(rgb.astype(np.float32) / 255)


@pytest.mark.parametrize(
    "codec,pix_fmt,space,full,out",
    [
        ("mjpeg", "yuvj422p", 5, True, "mkv"),  # a capture card's or a camera's MJPEG
        ("libx264rgb", "rgb24", None, True, "mp4"),  # an RGB master (also ffv1, utvideo)
        ("libx264", "yuv422p", 1, True, "mov"),  # full-range 4:2:2
    ],
)
def test_full_range_and_rgb_films_keep_their_lightness(
    tmp_path, tiny_ckpt, codec, pix_fmt, space, full, out
):
    """Full-range and RGB films go the RGB way; their output was converted to Y'CbCr at
    limited range and tagged with the input's range (or RGB's): black came out at L* 5,
    white at 94 (mean |dL*| 2.3 on a photo)."""
    src = write_film(
        tmp_path / f"in.{'avi' if codec == 'mjpeg' else 'mkv'}", codec, pix_fmt, space, full
    )
    dst = tmp_path / f"out.{out}"
    r = run("video", src, dst, "--model", tiny_ckpt, "-q", "--size", "32")
    assert r.exit_code == 0, r.output
    l_in, l_out = shown_lab(src)[..., 0], shown_lab(dst)[..., 0]
    assert np.abs(l_out - l_in).mean() < 1.0
    assert l_out[:8, 4:40].mean() < 2.0 and l_out[:8, 56:92].mean() > 98.0  # the bars


def test_an_rgb_film_goes_into_webm(tmp_path, tiny_ckpt):
    """VP9 refused the frames ('Invalid data found when processing input'): they came
    tagged with the RGB input's matrix, which 4:2:0 Y'CbCr cannot have."""
    src = write_film(tmp_path / "in.mkv", "libx264rgb", "rgb24", None, True)
    r = run("video", src, tmp_path / "out.webm", "--model", tiny_ckpt, "-q", "--size", "32")
    assert r.exit_code == 0, r.output
    l_in, l_out = shown_lab(src)[..., 0], shown_lab(tmp_path / "out.webm")[..., 0]
    assert np.abs(l_out - l_in).mean() < 1.5


def test_the_colours_shown_do_not_depend_on_the_inputs_matrix(tmp_path, tiny_ckpt):
    """One gray film as 4:2:2 tagged BT.709 and tagged BT.601 (its gray pixels are the same
    in both): the model colours them alike, and a player shows the two outputs alike. The
    output was converted with BT.601 whatever its tag, so the BT.709 one showed other hues."""
    ab = []
    for space in (1, 6):
        src = write_film(tmp_path / f"in{space}.mkv", "libx264", "yuv422p", space, False)
        dst = tmp_path / f"out{space}.mkv"
        r = run(
            "video",
            src,
            dst,
            "--model",
            tiny_ckpt,
            "-q",
            "--size",
            "32",
            "--saturation",
            "3",
            "--crf",
            "0",
        )
        assert r.exit_code == 0, r.output
        ab.append(shown_lab(dst)[..., 1:])
    assert np.linalg.norm(ab[0], axis=-1).mean() > 8  # colours to compare
    assert np.linalg.norm(ab[0] - ab[1], axis=-1).mean() < 1.0


@pytest.mark.parametrize(
    ("primaries", "trc", "said"), [(9, 16, "BT.2020, PQ"), (9, 18, "BT.2020, HLG"), (1, 1, "")]
)
def test_a_wide_gamut_or_hdr_film_is_said_to_be_coloured_as_sdr(
    tmp_path, tiny_ckpt, primaries, trc, said
):
    """An HDR (PQ, HLG) or BT.2020 film was coloured as SDR BT.709 video and tagged as it
    came, without a word: its colours shown stronger than meant."""
    src = make_clip(
        tmp_path / "in.mkv", n=6, audio=None, codec="libx265", pix_fmt="yuv420p10le",
        tags=(primaries, trc, 9),
    )  # fmt: skip
    dst = tmp_path / "out.mkv"
    r = CliRunner().invoke(main, ["video", str(src), str(dst), "--model", str(tiny_ckpt), "-q"])
    assert r.exit_code == 0, r.output
    line = f"notice: {src}: a {said} film: coloured as SDR BT.709 video and tagged as it came"
    assert (line in r.output) == bool(said), r.output
    assert ("coloured as SDR" in r.output) == bool(said)
    with av.open(str(dst)) as c:
        cc = c.streams.video[0].codec_context
        assert (cc.color_primaries, cc.color_trc) == (primaries, trc)  # tagged as it came
