"""Title cards (lettering on a plain ground) and blanks (leader, an empty frame) keep their
neutral tone: found on scans of every kind of card and blank, never on pictures, in photos and
in a film's scenes, and --colour-cards colours them as before."""

from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from colorcli.cards import is_card
from colorcli.cli import main
from colorcli.kernels import rgb_to_lab
from tests.media import frame_picture, read_clip, title_card

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _l(gray: np.ndarray) -> np.ndarray:
    return rgb_to_lab(np.repeat(gray[..., None], 3, -1))[..., 0]


def _chroma(rgb: np.ndarray) -> float:
    lab = rgb_to_lab(rgb)
    return float(np.hypot(lab[..., 1], lab[..., 2]).mean())


@pytest.mark.parametrize("ground,ink", [(8, 240), (30, 215), (70, 200), (235, 25), (200, 40)])
@pytest.mark.parametrize("size", [(240, 320), (576, 720), (1080, 1440)])
def test_a_title_card_is_found_on_any_ground_at_any_size(ground, ink, size):
    for seed in range(2):
        assert is_card(_l(title_card(*size, ground=ground, ink=ink, seed=seed)))


@pytest.mark.parametrize("words", ["FIN", "The End", "ENDE"])
def test_a_films_end_card_of_a_word_or_two_is_found(words):
    """Serif capitals touching (the T and h of "The") make fewer pieces than letters."""
    for h, w in ((480, 640), (1080, 1440)):
        ink = np.zeros((h, w), np.uint8)
        scale = w / 300
        (tw, th), _ = cv2.getTextSize(words, cv2.FONT_HERSHEY_COMPLEX, scale, round(2 * scale))
        org = ((w - tw) // 2, (h + th) // 2)
        cv2.putText(ink, words, org, cv2.FONT_HERSHEY_COMPLEX, scale, 255, round(2 * scale))
        card = 20 + 0.8 * ink.astype(np.float32) + np.random.default_rng(0).normal(0, 2, (h, w))
        assert is_card(_l(np.clip(card, 0, 255).astype(np.uint8)))


def test_pictures_are_not_taken_for_cards():
    """The shipped samples, a plain frame (a fade), one object on a plain ground, eggs in a
    row on one, pieces scattered over one (birds in a sky), and a card too small to read."""
    for path in sorted(SAMPLES.glob("*.jpg")):
        gray = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        assert not is_card(_l(gray)), path.name
    rng = np.random.default_rng(0)
    plain = np.full((240, 320), 20, np.uint8)
    assert not is_card(_l(plain))
    thing = np.full((240, 320), 230, np.uint8)
    cv2.ellipse(thing, (160, 120), (90, 20), 30, 0, 360, 40, -1)  # a hammer on a table
    assert not is_card(_l(thing))
    eggs = np.full((240, 320), 215, np.uint8)  # in a row on a plain table: solid, not strokes
    for k in range(4):
        cv2.ellipse(eggs, (70 + 60 * k, 120), (18, 24), 0, 0, 360, 60, -1)
    assert not is_card(_l(eggs))
    birds = np.full((240, 320), 200, np.uint8)
    for x, y in rng.integers((10, 10), (310, 230), (25, 2)):
        birds[y : y + 6, x : x + 9] = 50
    assert not is_card(_l(birds))
    assert not is_card(_l(title_card(48, 64)))


def test_a_card_photo_keeps_its_tone_and_colour_cards_colours_it(tmp_path, tiny_ckpt):
    card = tmp_path / "card.png"
    cv2.imwrite(str(card), title_card(240, 320))
    scene = tmp_path / "scene.png"
    cv2.imwrite(str(scene), frame_picture(3, 240, 320))
    for extra, coloured in (((), False), (("--colour-cards",), True)):
        for src in (card, scene):
            out = tmp_path / f"{src.stem}{len(extra)}.png"
            r = run("image", src, out, "--model", tiny_ckpt, "--size", "256", *extra)
            assert r.exit_code == 0, r.stderr
            chroma = _chroma(cv2.cvtColor(cv2.imread(str(out)), cv2.COLOR_BGR2RGB))
            assert chroma > 5 if (coloured or src == scene) else chroma < 0.5, (src, extra)
            said = f"notice: {src}: lettering on a plain ground (a title card): left in its own tone (--colour-cards colours it)"
            assert (said in r.stderr) == (src == card and not coloured), r.stderr


def test_an_archive_says_which_photos_were_taken_for_cards(tmp_path, tiny_ckpt):
    """Batched with pictures, a card is named in a notice and they are coloured."""
    root, out = tmp_path / "scans", tmp_path / "out"
    root.mkdir()
    cv2.imwrite(str(root / "b_card.png"), title_card(240, 320))
    for i in (0, 2):
        cv2.imwrite(str(root / f"{'abc'[i]}_scene.png"), frame_picture(i, 240, 320))
    r = run("dir", root, "-o", out, "--model", tiny_ckpt, "--size", "256", "-q")
    assert r.exit_code == 0, r.stderr
    notes = [line for line in r.stderr.splitlines() if "title card" in line]
    assert notes == [
        f"notice: {root / 'b_card.png'}: lettering on a plain ground (a title card): left in its own tone (--colour-cards colours it)"
    ]
    for name in ("a_scene.png", "c_scene.png"):
        assert _chroma(cv2.cvtColor(cv2.imread(str(out / name)), cv2.COLOR_BGR2RGB)) > 5


def test_hints_on_a_card_colour_it(tmp_path, hint_ckpt):
    """A card the user guides is theirs to colour (a tinted intertitle)."""
    card = tmp_path / "card.png"
    cv2.imwrite(str(card), title_card(240, 320))
    out = tmp_path / "out.png"
    r = run("image", card, out, "--model", hint_ckpt, "--size", "256", "--hint", "50%,50%,#c08040")
    assert r.exit_code == 0, r.stderr
    assert _chroma(cv2.cvtColor(cv2.imread(str(out)), cv2.COLOR_BGR2RGB)) > 2


def _film(path: Path) -> Path:
    """A scene, a title card for 12 frames, another scene: 36 frames at 25 fps."""
    with av.open(str(path), "w") as c:
        v = c.add_stream("libx264", rate=25)
        v.width, v.height, v.pix_fmt = 320, 240, "yuv420p"
        for i in range(36):
            g = title_card(240, 320, seed=i) if 12 <= i < 24 else frame_picture(i, 240, 320)
            if i >= 24:
                g = 255 - g
            f = av.VideoFrame.from_ndarray(np.repeat(g[..., None], 3, -1), "rgb24")
            for p in v.encode(f.reformat(format="yuv420p")):
                c.mux(p)
        for p in v.encode():
            c.mux(p)
    return path


def test_a_films_title_card_keeps_its_tone_between_coloured_scenes(tmp_path, tiny_ckpt):
    film = _film(tmp_path / "reel.mp4")
    for extra, coloured in (((), False), (("--colour-cards",), True)):
        out = tmp_path / f"out{len(extra)}.mp4"
        r = run("video", film, out, "--model", tiny_ckpt, "--size", "256", "-q", *extra)
        assert r.exit_code == 0, r.stderr
        chroma = [_chroma(f) for f in read_clip(out)["frames"]]
        assert len(chroma) == 36
        scenes = chroma[:11] + chroma[25:]  # a frame from each cut: the smoother's start
        assert min(scenes) > 5, chroma
        card = chroma[13:23]
        assert min(card) > 5 if coloured else max(card) < 1.0, (extra, card)
        said = "key frames of lettering on a plain ground (title cards) left in their own tone"
        assert (said in r.stderr) != coloured, r.stderr


def test_a_typed_page_too_small_to_read_at_the_networks_size_keeps_its_tone(tmp_path, tiny_ckpt):
    """Its letters are a pixel or two high in the network's copy: it is looked at large."""
    from tests.media import typed_page

    page = tmp_path / "letter.png"
    cv2.imwrite(str(page), typed_page())
    for extra, coloured in (((), False), (("--colour-cards",), True)):
        out = tmp_path / f"out{len(extra)}.png"
        r = run("image", page, out, "--model", tiny_ckpt, *extra)
        assert r.exit_code == 0, r.stderr
        chroma = _chroma(cv2.cvtColor(cv2.imread(str(out)), cv2.COLOR_BGR2RGB))
        assert chroma > 5 if coloured else chroma < 0.5
        assert ("(a typed or written page)" in r.stderr) != coloured
    big = tmp_path / "scene.png"  # a large picture is not taken for a page
    cv2.imwrite(str(big), frame_picture(3, 900, 1200))
    r = run("image", big, tmp_path / "scene_out.png", "--model", tiny_ckpt)
    assert r.exit_code == 0 and "title card" not in r.stderr
    assert _chroma(cv2.cvtColor(cv2.imread(str(tmp_path / "scene_out.png")), cv2.COLOR_BGR2RGB)) > 5


@pytest.mark.parametrize("columns", [1, 3])
def test_a_densely_typed_page_keeps_its_tone(tmp_path, tiny_ckpt, columns):
    """Full lines, single spaced: thousands of letters, and little plain paper at the
    network's size (it was coloured as a photo, pale blue)."""
    from tests.media import dense_page

    page = tmp_path / "page.png"
    cv2.imwrite(str(page), dense_page(columns=columns))
    r = run("image", page, tmp_path / "out.png", "--model", tiny_ckpt)
    assert r.exit_code == 0, r.stderr
    assert _chroma(cv2.cvtColor(cv2.imread(str(tmp_path / "out.png")), cv2.COLOR_BGR2RGB)) < 0.5
    assert f"notice: {page}: lettering on a plain ground (a typed or written page)" in r.stderr


@pytest.mark.parametrize("ground", [12, 60, 128, 200, 245])
@pytest.mark.parametrize("size", [(240, 320), (576, 720), (1080, 1440)])
def test_a_blank_gets_none_of_the_networks_colour(ground, size):
    """Leader, an empty frame: any gray, with falloff, grain, dust and a scratch."""
    from colorcli.cards import colour_share
    from tests.media import blank_frame

    for seed in range(2):
        assert colour_share(_l(blank_frame(*size, ground=ground, seed=seed))) == 0.0


def test_pictures_keep_all_their_colour_and_a_fade_comes_back_by_degrees():
    """The samples, a scene, a title card, a meadow's texture at low contrast: all of
    their colour; a scene faded toward a gray gets less of it the fainter it is."""
    from colorcli.cards import colour_share

    for path in sorted(SAMPLES.glob("*.jpg")):
        assert colour_share(_l(cv2.imread(str(path), cv2.IMREAD_GRAYSCALE))) == 1.0, path.name
    assert colour_share(_l(title_card(240, 320))) == 1.0
    # a meadow's grass: texture a hundredth of the picture across, L* spread 6 (a real one's 7)
    grass = cv2.GaussianBlur(np.random.default_rng(0).normal(0, 1, (240, 320)), (0, 0), 3)
    grass = np.clip(120 + 15 * grass / grass.std(), 0, 255).astype(np.uint8)
    assert colour_share(_l(grass)) == 1.0
    scene = frame_picture(3, 240, 320).astype(np.float32)
    shares = [
        colour_share(_l((128 + k * (scene - 128)).astype(np.uint8)))
        for k in (0.0, 0.03, 0.1, 0.15, 0.2, 0.3, 1.0)
    ]
    assert shares[0] == 0.0 and shares[-1] == 1.0, shares
    assert all(a <= b for a, b in zip(shares, shares[1:], strict=False)), shares
    assert any(0.0 < s < 1.0 for s in shares), shares


def test_a_blank_photo_keeps_its_tone_and_is_said_so(tmp_path, tiny_ckpt):
    from tests.media import blank_frame

    root, out = tmp_path / "scans", tmp_path / "out"
    root.mkdir()
    cv2.imwrite(str(root / "a_blank.png"), blank_frame(240, 320, ground=150))
    cv2.imwrite(str(root / "b_scene.png"), frame_picture(3, 240, 320))
    said = f"notice: {root / 'a_blank.png'}: nothing on it (an even ground, a blank): left in its own tone (--colour-cards colours it)"
    for extra, coloured in (((), False), (("--colour-cards",), True)):
        r = run("dir", root, "-o", out, "--model", tiny_ckpt, "--size", "256", "-q", *extra)
        assert r.exit_code == 0, r.stderr
        assert (said in r.stderr) != coloured, r.stderr
        rgb = cv2.cvtColor(cv2.imread(str(out / "a_blank.png")), cv2.COLOR_BGR2RGB)
        assert _chroma(rgb) > 3 if coloured else _chroma(rgb) < 0.5
        assert _chroma(cv2.cvtColor(cv2.imread(str(out / "b_scene.png")), cv2.COLOR_BGR2RGB)) > 5
        one = tmp_path / f"one{len(extra)}.png"
        r = run("image", root / "a_blank.png", one, "--model", tiny_ckpt, "--size", "256", *extra)
        assert r.exit_code == 0 and (said in r.stderr) != coloured, r.stderr
        out = tmp_path / "again"


def test_a_films_leader_between_scenes_keeps_its_tone(tmp_path, tiny_ckpt):
    """Scene, 12 frames of gray leader (grain, dust, a scratch moving), scene."""
    from tests.media import blank_frame

    film = tmp_path / "reel.mp4"
    with av.open(str(film), "w") as c:
        v = c.add_stream("libx264", rate=25)
        v.width, v.height, v.pix_fmt = 320, 240, "yuv420p"
        for i in range(36):
            g = blank_frame(240, 320, 140, seed=i) if 12 <= i < 24 else frame_picture(i, 240, 320)
            f = av.VideoFrame.from_ndarray(np.repeat(g[..., None], 3, -1), "rgb24")
            for p in v.encode(f.reformat(format="yuv420p")):
                c.mux(p)
        for p in v.encode():
            c.mux(p)
    for extra, coloured in (((), False), (("--colour-cards",), True)):
        out = tmp_path / f"out{len(extra)}.mp4"
        r = run("video", film, out, "--model", tiny_ckpt, "--size", "256", "-q", *extra)
        assert r.exit_code == 0, r.stderr
        chroma = [_chroma(f) for f in read_clip(out)["frames"]]
        assert min(chroma[:11] + chroma[25:]) > 5, chroma
        leader = chroma[13:23]
        assert min(leader) > 3 if coloured else max(leader) < 1.0, (extra, leader)
