"""A film's bars (letterbox, pillarbox) are found once for the whole film, keep their own
neutral tone, and the network colours what they frame up to its edges."""

from pathlib import Path

import av
import numpy as np
import pytest
from click.testing import CliRunner

from colorcli.compose import lightness
from colorcli.filmbars import Bars, bars_of
from colorcli.kernels import rgb_to_lab
from tests.conftest import gradient_rgb
from tests.test_flicker import BrightnessMinded


def _picture(h: int, w: int, seed: int) -> np.ndarray:
    """A gray picture with texture everywhere, mid lightness at its edges: (h, w) L*."""
    return lightness(gradient_rgb(h, w, seed)).astype(np.float32)


def _barred(pic: np.ndarray, side: int = 0, top: int = 0, level: float = 1.0) -> np.ndarray:
    h, w = pic.shape
    out = np.full((h + 2 * top, w + 2 * side), level, np.float32)
    out[top : top + h, side : side + w] = pic
    return out


def test_bars_beside_and_above_are_found_as_shares_of_the_frame():
    pics = [_barred(_picture(90, 120, s), side=20) for s in range(6)]
    assert bars_of(pics) == Bars(0.0, 1.0, 20 / 160, 140 / 160)
    pics = [_barred(_picture(90, 160, s), top=15) for s in range(6)]
    assert bars_of(pics) == Bars(15 / 120, 105 / 120, 0.0, 1.0)


def test_a_dark_edge_in_some_pictures_does_not_widen_the_bars():
    pics = []
    for s in range(6):
        p = _picture(90, 120, s)
        if s % 2:
            p[:, :12] = 1.0  # a night scene's edge, as black as the bar beside it
        pics.append(_barred(p, side=20))
    assert bars_of(pics) == Bars(0.0, 1.0, 20 / 160, 140 / 160)


def test_no_bars_and_a_few_dark_edged_pictures_are_none():
    assert bars_of([_picture(90, 160, s) for s in range(8)]) is None
    pics = [_picture(90, 160, s) for s in range(8)]
    for p in pics[:2]:
        p[:, :20] = p[:, -20:] = 1.0
    assert bars_of(pics) is None  # bars in 2 of 8 pictures: not the film's
    assert bars_of([]) is None


def test_a_film_barred_only_in_parts_is_not_cut():
    """A compilation: 7 pictures pillarboxed, 3 full-frame (wider, so scaled to the frame).
    Cutting the bars would cut the full-frame parts' edges off."""
    pics = [_barred(_picture(90, 120, s), side=20) for s in range(7)]
    pics += [_picture(90, 160, s) for s in range(7, 10)]
    assert bars_of(pics) is None
    # where the bars' place is dark and of one tone in those three, they are bars merged
    # with a dark scene's edge
    for p in pics[7:]:
        p[:, :24] = p[:, -24:] = 1.0
    assert bars_of(pics) == Bars(0.0, 1.0, 20 / 160, 140 / 160)


def test_night_scenes_merged_with_the_bars_do_not_undo_them():
    """In two of eight pictures a dark scene meets the bars along a ragged edge, so no
    margin is found there; the bars' place is still bar, so the film keeps them."""
    rng = np.random.default_rng(3)
    pics = []
    for s in range(8):
        p = _picture(90, 120, s)
        if s < 2:
            depth = rng.integers(0, 40, 90)  # a ragged dark edge on both sides
            for y, d in enumerate(depth):
                p[y, :d] = p[y, 120 - d :] = 1.0
        pics.append(_barred(p, side=20))
    from colorcli.borders import content_box

    assert content_box(pics[0]) is None and content_box(pics[1]) is None
    assert bars_of(pics) == Bars(0.0, 1.0, 20 / 160, 140 / 160)


def test_blank_pictures_do_not_count():
    blank = [np.full((90, 160), 0.5, np.float32) for _ in range(5)]
    pics = [_barred(_picture(90, 120, s), side=20) for s in range(3)]
    assert bars_of(blank + pics) == Bars(0.0, 1.0, 20 / 160, 140 / 160)


def _scene(h: int, w: int, seed: int) -> np.ndarray:
    """One of a film's scenes, unlike the others: (h, w) L*, blobs of light and shade."""
    import cv2

    field = np.random.default_rng(seed).uniform(0, 1, (h // 8 + 1, w // 8 + 1)).astype(np.float32)
    return 15 + 70 * cv2.resize(field, (w, h), interpolation=cv2.INTER_CUBIC).clip(0, 1)


def _perforated(pic: np.ndarray, side: int, seed: int) -> np.ndarray:
    """``pic`` with a scan's overscan down its left: the film's dark base with bright
    perforations, the same in every picture (a scan steadied on them), and the scan's noise."""
    h, w = pic.shape
    out = np.empty((h, w + side), np.float32)
    out[:, side:] = pic
    out[:, :side] = 12.0
    for y in range(4, h, 24):
        out[y : y + 12, side // 4 : 3 * side // 4] = 92.0
    noise = np.random.default_rng(seed).normal(0, 0.5, (h, side))
    out[:, :side] += noise.astype(np.float32)
    return out


def test_perforations_standing_still_beside_changing_pictures_are_a_bar():
    pics = [_perforated(_scene(96, 128, s), 20, s) for s in range(8)]
    assert bars_of(pics) == Bars(0.0, 1.0, 20 / 148, 1.0)


def test_the_still_parts_of_one_still_shot_are_no_bar():
    """A locked-off shot: the left of it never changes, and little of the rest does."""
    base = _scene(96, 148, 0)
    pics = []
    for s in range(8):
        p = base.copy()
        p[40:60, 60 + 8 * s : 76 + 8 * s] = 95.0  # someone walks across
        pics.append(p)
    assert bars_of(pics) is None


def test_within_rounds_to_the_stride_outward_or_inward():
    b = Bars(15 / 120, 105 / 120, 0.0, 1.0)
    assert b.within(60, 80, 2) == (6, 54, 0, 80)  # 7.5 and 52.5 rounded outward
    assert b.within(60, 80, 2, inward=True) == (8, 52, 0, 80)


def _gray_clip(path: Path, grays: list[np.ndarray]) -> Path:
    """An H.264 film of (H, W) uint8 gray pictures."""
    with av.open(str(path), "w") as out:
        v = out.add_stream("libx264", rate=25)
        v.height, v.width = grays[0].shape
        v.pix_fmt = "yuv420p"
        v.codec_context.options = {"preset": "ultrafast", "crf": "12"}
        for g in grays:
            for p in v.encode(av.VideoFrame.from_ndarray(np.repeat(g[..., None], 3, -1), "rgb24")):
                out.mux(p)
        for p in v.encode():
            out.mux(p)
    return path


def _barred_clip(
    path: Path, n: int = 8, h: int = 48, w: int = 64, side: int = 16, top: int = 0
) -> Path:
    grays = []
    for i in range(n):
        g = np.full((h + 2 * top, w + 2 * side), 24, np.uint8)  # a dark gray bar
        g[top : top + h, side : side + w] = np.clip(lightness(gradient_rgb(h, w, i)) * 2.55, 0, 255)
        grays.append(g)
    return _gray_clip(path, grays)


def _chroma(path: Path) -> np.ndarray:
    """The film's mean chroma at each pixel."""
    with av.open(str(path)) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    return np.mean([np.hypot(*np.moveaxis(rgb_to_lab(f)[..., 1:], -1, 0)) for f in frames], 0)


def _chroma_by_column(path: Path) -> np.ndarray:
    return _chroma(path).mean(0)


@pytest.mark.parametrize("keyframes", ["1", "4"])
def test_a_films_bars_keep_their_tone_and_the_picture_is_coloured_to_its_edges(
    tmp_path, tiny_ckpt, keyframes
):
    from colorcli.cli import main

    src = _barred_clip(tmp_path / "barred.mp4")
    args = ["video", str(src), "--model", str(tiny_ckpt), "--keyframes", keyframes, "-q"]
    r = CliRunner().invoke(main, [*args[:2], str(tmp_path / "out.mp4"), *args[2:]])
    assert r.exit_code == 0, r.output
    assert "bars (16 left, 16 right pixels) keep their own tone" in r.stderr
    col = _chroma_by_column(tmp_path / "out.mp4")
    # (the last columns before the picture take a little of its colour: the film's chroma is
    # half-resolution, and the encoder rings at a sharp edge)
    assert col[:8].max() < 0.5 and col[-8:].max() < 0.5, col.round(1)
    assert col[18:80].min() > 3.0, col.round(1)  # no gray strip at the picture's edges
    r = CliRunner().invoke(
        main, [*args[:2], str(tmp_path / "whole.mp4"), *args[2:], "--colour-margins"]
    )
    assert r.exit_code == 0, r.output
    assert "bars" not in r.stderr
    assert _chroma_by_column(tmp_path / "whole.mp4")[:8].mean() > 3.0  # the network tints them


def test_a_scans_perforations_keep_their_tone(tmp_path, tiny_ckpt):
    """A film scanned with its perforations down the left (steadied on them): they keep the
    base's own tone (the network tinted them), and the picture is coloured."""
    from colorcli.cli import main

    side = 16
    scans = [_perforated(_scene(96, 128, i), side, i) for i in range(12)]
    src = _gray_clip(
        tmp_path / "scan.mp4", [np.clip(s * 2.55, 0, 255).astype(np.uint8) for s in scans]
    )
    dst = tmp_path / "out.mp4"
    r = CliRunner().invoke(main, ["video", str(src), str(dst), "--model", str(tiny_ckpt), "-q"])
    assert r.exit_code == 0, r.output
    assert f"bars ({side} left pixels) keep their own tone" in r.stderr
    col = _chroma_by_column(dst)
    # (x264 rings a code or two into the bright holes beside the picture's strong colour)
    assert col[: side // 2].mean() < 0.5, col.round(1)
    assert col[side + 4 :].min() > 3.0, col.round(1)


def test_a_letterboxed_film_is_coloured_to_its_last_column(tmp_path, tiny_ckpt):
    """Bars above and below: the network sees the picture at its own scale, and every column
    of it, the last too, takes colour (where the network's width came out odd, its last
    column of output, 2 pixels of this film, was left gray)."""
    from colorcli.cli import main

    src = _barred_clip(tmp_path / "wide.mp4", n=6, h=300, w=700, side=0, top=40)
    dst = tmp_path / "out.mp4"
    r = CliRunner().invoke(main, ["video", str(src), str(dst), "--model", str(tiny_ckpt), "-q"])
    assert r.exit_code == 0, r.output
    assert "bars (40 above, 40 below pixels)" in r.stderr
    c = _chroma(dst)
    # (within 16 lines of the picture the encoder rings: its blocks are 16 lines)
    assert c[:20].max() < 0.5 and c[-20:].max() < 0.5, c.mean(1).round(1)
    assert c[60:320].mean(0).min() > 3.0, c[60:320].mean(0).round(1)[-8:]


class _BrightnessMinded(BrightnessMinded):
    """test_flicker's predictor (colour follows lightness), as a colorizer that looks for bars."""

    margins, output_stride = True, 1


def test_a_barred_films_flicker_is_steadied_as_without_bars():
    """The picture's exposure flickers, the bars do not (they were added after): the light is
    steadied by the picture's own brightness, so its colour holds as it does without bars."""
    from colorcli.compose import RgbRoute
    from colorcli.film import FilmColourer
    from colorcli.kernels import compose_rgb8

    rng = np.random.default_rng(0)
    base = _picture(36, 48, 0)
    lums = [np.clip(base * rng.uniform(0.85, 1.15) + rng.uniform(-6, 6), 0, 100) for _ in range(48)]

    def change(side: int) -> float:
        bars = (
            Bars(0.0, 1.0, side / (48 + 2 * side), (48 + side) / (48 + 2 * side)) if side else None
        )
        c = FilmColourer(_BrightnessMinded(), RgbRoute(deep=False), 1, 0.7, 3.0, bars=bars)
        out = []
        for i, lum in enumerate(lums):
            framed = _barred(lum, side=side, level=2.0)
            out += c.add(i, compose_rgb8(framed, np.zeros(framed.shape + (2,), np.float32)))
        out += c.flush()
        abs_ = [x.ab[:, side : side + 48] for x in sorted(out, key=lambda x: x.pts)]
        return float(
            np.mean([np.abs(b - a).mean() for a, b in zip(abs_[:-1], abs_[1:], strict=True)])
        )

    alone = float(
        np.mean([np.abs(b - a).mean() / 2 for a, b in zip(lums[:-1], lums[1:], strict=True)])
    )
    without = change(0)
    assert without < 0.2 * alone
    assert change(16) < 1.2 * without, (change(16), without)
