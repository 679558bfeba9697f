"""Animated pictures (GIF, APNG, animated WebP): every frame coloured, written again as an
animation with its frames' durations and its loop count."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from colorcli.animation import read_frames
from colorcli.cli import main
from colorcli.errors import MediaError
from colorcli.kernels import rgb_to_lab
from tests.conftest import gradient_rgb

DURATIONS = [100, 200, 300, 400]


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _frames(n: int = 4, h: int = 48, w: int = 72) -> list[np.ndarray]:
    """(h, w) uint8 gray frames of a moving gradient, each unlike the last."""
    x = np.linspace(0.15, 0.85, w)[None, :] * np.ones((h, 1))
    y = np.linspace(-0.1, 0.1, h)[:, None]
    return [np.rint(np.clip(x + y * (k - 1.5), 0, 1) * 255).astype(np.uint8) for k in range(n)]


def _save(path: Path, frames: list[np.ndarray], alpha: np.ndarray | None = None) -> None:
    """An animation of ``frames`` with DURATIONS, not looped forever (Pillow's loop=2: a GIF's
    two repeats, an APNG's two plays)."""
    mode = "LA" if alpha is not None else "L"
    pics = [
        Image.merge("LA", [Image.fromarray(f), Image.fromarray(alpha)])
        if alpha is not None
        else Image.fromarray(f)
        for f in frames
    ]
    kw = {"lossless": True} if path.suffix == ".webp" else {}
    pics[0].convert(mode).save(
        path, save_all=True, append_images=pics[1:], duration=DURATIONS[: len(frames)], loop=2, **kw
    )


def _read(path: Path):
    ok, anim = cv2.imdecodeanimation(np.fromfile(path, np.uint8).reshape(1, -1))
    assert ok, path
    return anim


def _lightness(bgr: np.ndarray) -> np.ndarray:
    return rgb_to_lab(bgr[..., 2::-1].astype(np.float32) / 255)[..., 0]


@pytest.mark.parametrize("name, out_name", [("clip.gif", "clip.png"), ("clip.png", "clip.png"),
                                            ("clip.webp", "clip.webp"),
                                            ("clip.apng", "clip.png")])  # fmt: skip
def test_every_frame_of_an_animation_is_coloured_with_its_timing(
    tmp_path, tiny_ckpt, name, out_name
):
    """An animated GIF, APNG or WebP in an archive: before, its first frame came out as a still
    (the rest of the animation lost from the output). Now every frame is coloured at its own
    lightness, each keeps its duration, the loop count is kept, and a GIF becomes an animated
    PNG (its 256 colours would lose the shades). An APNG named .apng (as browsers and FFmpeg
    save one) was passed over without a word; it becomes an animated .png."""
    root, out = tmp_path / "in", tmp_path / "out"
    root.mkdir()
    frames = _frames()
    _save(root / name, frames)
    r = run("dir", root, "-o", out, "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.output
    assert "1 colorized" in r.stderr
    assert f"{name}: an animation of 4 frames: every frame coloured" in r.stderr
    got = _read(out / out_name)
    assert len(got.frames) == 4
    assert [int(d) for d in got.durations] == DURATIONS
    assert got.loop_count == _read(root / name).loop_count > 1  # as many plays
    for want, frame in zip(frames, got.frames, strict=True):
        want_l = _lightness(np.repeat(want[..., None], 3, -1))
        tol = 1.5 if out_name.endswith(".png") else 3.0  # WebP's lossy coding
        assert np.abs(_lightness(frame) - want_l).mean() < tol


def test_an_animation_keeps_its_transparency(tmp_path, tiny_ckpt):
    """A cut-out animation (an APNG whose frames are transparent around the subject) keeps
    each frame's alpha."""
    src, dst = tmp_path / "cut.png", tmp_path / "out.png"
    alpha = np.zeros((48, 72), np.uint8)
    alpha[8:40, 12:60] = 255
    _save(src, _frames(), alpha)
    r = run("image", src, dst, "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.output
    got = _read(dst)
    assert len(got.frames) == 4
    for frame in got.frames:
        assert frame.shape[2] == 4 and np.array_equal(frame[..., 3], alpha)


def test_image_writes_an_animation_where_its_format_holds_one(tmp_path, tiny_ckpt):
    """``colorize image anim.gif out.webp``: every frame; ``out.jpg``: the first, with a
    notice that a .png or .webp output keeps them all."""
    src = tmp_path / "anim.gif"
    _save(src, _frames(3))
    r = run("image", src, tmp_path / "out.webp", "--model", tiny_ckpt)
    assert r.exit_code == 0, r.output
    assert "(3 frames)" in r.output
    assert len(_read(tmp_path / "out.webp").frames) == 3
    r = run("image", src, tmp_path / "out.jpg", "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.output
    assert "only the first is coloured (a .png or .webp output keeps all" in r.output
    assert cv2.imread(str(tmp_path / "out.jpg")).shape == (48, 72, 3)


def test_an_animation_after_a_reference(tmp_path, tiny_ckpt):
    """--reference colours every frame after the colour photo (smoke: a tiny model)."""
    src, ref, dst = tmp_path / "anim.gif", tmp_path / "ref.png", tmp_path / "out.png"
    _save(src, _frames(3))
    cv2.imwrite(str(ref), np.dstack([np.full((40, 40), v, np.uint8) for v in (40, 120, 200)]))
    r = run("image", src, dst, "--reference", ref, "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.output
    assert len(_read(dst).frames) == 3


def test_an_animation_over_the_pixel_limit_is_refused_before_decoding(tmp_path):
    src = tmp_path / "anim.gif"
    _save(src, _frames(4))
    assert len(read_frames(src, max_pixels=4 * 48 * 72).rgb) == 4
    with pytest.raises(MediaError, match="its 4 frames are over the limit of"):
        read_frames(src, max_pixels=4 * 48 * 72 - 1)


def test_an_animation_cut_short_is_coloured_as_far_as_it_goes(tmp_path, tiny_ckpt):
    """An APNG cut short in its last frame (a download that stopped): the frames before the
    cut are coloured, with one line saying so; the archive's other photos go through."""
    root, out = tmp_path / "in", tmp_path / "out"
    root.mkdir()
    _save(root / "cut.png", _frames())
    data = (root / "cut.png").read_bytes()
    (root / "cut.png").write_bytes(data[: data.rfind(b"fdAT") + 30])
    Image.fromarray(_frames(1)[0]).save(root / "good.png")
    r = run("dir", root, "-o", out, "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.output
    assert "2 colorized" in r.stderr
    assert (
        "cut.png: damaged or cut short after 3 of its 4 frames: the 3 read are coloured" in r.stderr
    )
    got = _read(out / "cut.png")
    assert len(got.frames) == 3 and [int(d) for d in got.durations] == DURATIONS[:3]


def test_an_animation_that_cannot_be_decoded_is_named(tmp_path):
    """A GIF cut short before its first frame ends: MediaError naming it."""
    src = tmp_path / "anim.gif"
    _save(src, _frames())
    data = src.read_bytes()
    src.write_bytes(data[: len(data) // 3])
    with pytest.raises(MediaError, match="anim.gif: .*cannot be decoded"):
        read_frames(src)


def _colour_gif(path: Path, n: int = 3) -> None:
    """A colour animation: a photo-like colour gradient moving a little each frame."""
    rgb = gradient_rgb(48, 80, seed=1)
    pics = [Image.fromarray(np.ascontiguousarray(rgb[:, 4 * k : 4 * k + 72])) for k in range(n)]
    pics[0].save(path, save_all=True, append_images=pics[1:], duration=DURATIONS[:n], loop=0)


def test_a_colour_animation_kept_keeps_every_frame(tmp_path, tiny_ckpt):
    """``dir --keep-colour``: a colour GIF was written as a still PNG of its first frame; now
    as an animated PNG of all its frames, in their own colours and timing."""
    root, out = tmp_path / "in", tmp_path / "out"
    root.mkdir()
    _colour_gif(root / "home.gif")
    r = run("dir", root, "-o", out, "--model", tiny_ckpt, "-q", "--keep-colour")
    assert r.exit_code == 0, r.output
    assert "home.gif: already in colour: kept as it is" in r.stderr
    assert "only the first" not in r.stderr
    got, want = _read(out / "home.png"), _read(root / "home.gif")
    assert len(got.frames) == 3 and [int(d) for d in got.durations] == DURATIONS[:3]
    for g, w in zip(got.frames, want.frames, strict=True):
        assert np.abs(g[..., :3].astype(int) - w[..., :3]).max() <= 1


def test_a_colour_animation_recoloured_is_named(tmp_path, tiny_ckpt):
    """Without --keep-colour a colour animation is recoloured, and the notice says so, as a
    colour photo's does."""
    root, out = tmp_path / "in", tmp_path / "out"
    root.mkdir()
    _colour_gif(root / "home.gif")
    r = run("dir", root, "-o", out, "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.output
    assert "home.gif: already in colour: recoloured from its lightness alone" in r.stderr
    assert len(_read(out / "home.png").frames) == 3


def test_an_animation_too_big_to_hold_gives_its_first_frame(tmp_path, tiny_ckpt, monkeypatch):
    """An animation whose frames together are over the pixels held for one (each frame is
    kept in memory before and after colouring): its first frame as a still, with a notice
    saying why, as before animations were coloured."""
    import colorcli.animation
    import colorcli.imageprobe

    for module in (colorcli.animation, colorcli.imageprobe):
        monkeypatch.setattr(module, "ANIMATION_PIXELS", 3 * 48 * 72)
    src, dst = tmp_path / "anim.gif", tmp_path / "out.png"
    _save(src, _frames(4))
    r = run("image", src, dst, "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.output
    assert (
        "only the first is coloured (a .png or .webp output keeps all, up to 0 megapixels"
        in r.output
    )
    assert len(_read(dst).frames) == 1


def test_a_gif_without_delays_plays_as_browsers_play_it(tmp_path, tiny_ckpt):
    """A GIF whose frames say 0 ms (many do) is shown 100 ms a frame by every browser; an
    APNG's 0 would be as fast as a player can, so its APNG says 100."""
    src, dst = tmp_path / "fast.gif", tmp_path / "out.png"
    pics = [Image.fromarray(f) for f in _frames(3)]
    pics[0].save(src, save_all=True, append_images=pics[1:], duration=[0, 10, 20], disposal=1)
    r = run("image", src, dst, "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.output
    assert [int(d) for d in _read(dst).durations] == [100, 100, 20]


def test_video_into_a_gif_says_how_to_colour_an_animation(tmp_path, tiny_ckpt):
    """``colorize video anim.gif out.gif``: a GIF is no film container; the one line says
    which command writes an animation."""
    src = tmp_path / "anim.gif"
    _save(src, _frames(3))
    r = run("video", src, tmp_path / "out.gif", "--model", tiny_ckpt)
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert "unknown video extension '.gif'" in r.stderr
    assert (
        "an animation such as anim.gif is coloured into an animated .png or .webp by colorize image (or dir)"
        in r.stderr
    )


def test_an_animated_png_keeps_its_exif_and_text(tmp_path, tiny_ckpt):
    """An APNG's EXIF (a caption, the scanner) and text chunks are carried into the coloured
    animation, as a still PNG's are."""
    src, dst = tmp_path / "anim.png", tmp_path / "out.png"
    exif = Image.Exif()
    exif[0x010E] = "a family picnic, 1931"
    pics = [Image.fromarray(f) for f in _frames(3)]
    pics[0].save(src, save_all=True, append_images=pics[1:], duration=100, exif=exif.tobytes())
    r = run("image", src, dst, "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.output
    assert len(_read(dst).frames) == 3
    with Image.open(dst) as out:
        assert out.getexif().get(0x010E) == "a family picnic, 1931"


def test_a_gif_frame_without_a_delay_plays_as_browsers_play_it(tmp_path, tiny_ckpt):
    """A GIF whose first frame carries no graphic control extension (so no delay): OpenCV
    read it as 1000 ms; browsers show it 100 ms, and so does the APNG now. The others keep
    their own delays."""
    src, dst = tmp_path / "plain.gif", tmp_path / "out.png"
    pics = [Image.fromarray(f) for f in _frames(3)]
    pics[0].save(src, save_all=True, append_images=pics[1:], duration=[0, 250, 300])
    assert src.read_bytes().count(b"\x21\xf9\x04") == 2  # Pillow wrote none for the first
    r = run("image", src, dst, "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.output
    assert [int(d) for d in _read(dst).durations] == [100, 250, 300]


def test_an_animation_follows_its_colour_profile_as_a_still_does(tmp_path, tiny_ckpt):
    """An APNG whose frames carry a gamma-1.8 gray profile (an old Mac's scan): each frame is
    coloured at the lightness the profile says, as its first frame alone (a still) is; the
    profile was ignored, every frame a few L* off."""
    from tests import profiles

    icc = profiles.gray(profiles.curv(1.8))
    src = tmp_path / "mac.png"
    pics = [Image.fromarray(f) for f in _frames(3)]
    pics[0].save(src, save_all=True, append_images=pics[1:], duration=100, icc_profile=icc)
    Image.fromarray(_frames(1)[0]).save(tmp_path / "still.png", icc_profile=icc)
    r = run("image", src, tmp_path / "anim_out.png", "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.output
    r = run("image", tmp_path / "still.png", tmp_path / "still_out.png", "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.output
    first = _read(tmp_path / "anim_out.png").frames[0]
    still = cv2.imread(str(tmp_path / "still_out.png"))
    plain = np.repeat(_frames(1)[0][..., None], 3, -1)
    assert np.abs(_lightness(first) - _lightness(still)).mean() < 0.5
    assert np.abs(_lightness(still) - _lightness(plain)).mean() > 2.0  # the profile counts


def test_an_animation_reports_its_frames_as_they_are_coloured(tmp_path, tiny_ckpt):
    """A long animation is long work: progress comes frame by frame (the command's bar), all
    of its frames by the end."""
    from colorcli.animation import colorize_animation
    from colorcli.colorizer import Colorizer

    src = tmp_path / "anim.gif"
    _save(src, _frames(4))
    seen: list[tuple[int, int]] = []
    colorizer = Colorizer(tiny_ckpt, device="cpu")
    count, _ = colorize_animation(
        colorizer, src, tmp_path / "out.png", False, progress=lambda k, n: seen.append((k, n))
    )
    assert count == 4 and sum(k for k, _ in seen) == 4 and {n for _, n in seen} == {4}
