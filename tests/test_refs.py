"""colorize video --refs: coloured stills carried through their scenes (with an automatic and
a hint model, segmented or not), their identity in the resume fingerprint, and the error paths."""

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from colorcli.cli import main
from colorcli.kernels import compose_rgb8, rgb_to_lab
from colorcli.refs import find_stills
from tests.media import in_still_colour, make_clip, mean_ab, read_clip, write_still


@pytest.mark.parametrize("model", ["tiny_ckpt", "hint_ckpt"])
@pytest.mark.parametrize("segments", ["0", "1"])
def test_a_still_colours_its_scene_and_only_its_scene(tmp_path, request, model, segments):
    ckpt = request.getfixturevalue(model)
    src = make_clip(tmp_path / "in.mp4", n=40, size=(64, 96), cut_at=20, audio=None)
    frames = read_clip(src)["frames"]
    refs = tmp_path / "refs"
    refs.mkdir()
    write_still(frames[5], refs / "5.png")  # mid-scene: carried backward to 0 and forward to 19
    dst = tmp_path / "out.mkv"
    args = ["video", str(src), str(dst), "--model", str(ckpt), "--refs", str(refs), "-q"]
    r = CliRunner().invoke(main, [*args, "--codec", "ffv1", "--segment-seconds", segments])
    assert r.exit_code == 0, r.output
    out = read_clip(dst)["frames"]
    assert len(out) == 40

    offs = []
    for i in range(40):
        # the still's colour as each frame's own lightness can show it
        lum = rgb_to_lab(frames[i])[..., 0]
        want = mean_ab(in_still_colour(lum))
        offs.append(float(np.hypot(*(mean_ab(out[i]) - want))))
    # the still's scene, before and after it, within chroma subsampling and the trust's fall
    assert np.mean(offs[:20]) < 4 and max(offs[:20]) < 8, offs[:20]
    assert min(offs[20:]) > 15, offs[20:]  # the next scene has no still: the model's colours


def test_stills_error_paths(tmp_path, tiny_ckpt):
    src = make_clip(tmp_path / "in.mp4", n=10, audio=None)
    frames = read_clip(src)["frames"]
    empty, late, bad, twice = (tmp_path / d for d in ("empty", "late", "bad", "twice"))
    for d in (empty, late, bad, twice):
        d.mkdir()
    (empty / "notes.txt").write_text("no stills here")
    write_still(frames[0], late / "10.png")
    (bad / "3.png").write_bytes(b"not a picture")
    write_still(frames[0], twice / "4.png")
    write_still(frames[0], twice / "4.jpg")
    cases = [
        (tmp_path / "missing", 2, "does not exist"),
        (empty, 1, "no stills named <N>.png"),
        (late, 1, "10.png: frame 10 is past the film's end (it has 10 frames, 0 to 9)"),
        (bad, 1, "3.png: unreadable still"),
        (twice, 1, "frame 4 has two stills"),
    ]
    for refs, code, msg in cases:
        dst = tmp_path / "out.mkv"
        r = CliRunner().invoke(
            main,
            ["video", str(src), str(dst), "--model", str(tiny_ckpt), "--refs", str(refs), "-q"],
        )
        assert r.exit_code == code and msg in r.output and "Traceback" not in r.output, r.output
        assert not dst.exists()
    r = CliRunner().invoke(
        main, ["video", "-", str(tmp_path / "o.mkv"), "--refs", str(late), "-q"], input=b""
    )
    assert r.exit_code == 1 and "--refs needs the film as a file" in r.output


def test_a_recoloured_still_is_a_new_command_for_resume(tmp_path):
    from colorcli.refs import refs_identity

    refs = tmp_path / "refs"
    refs.mkdir()
    write_still(np.full((8, 8, 3), 128, np.uint8), refs / "0.png")
    before = refs_identity(str(refs))
    write_still(np.full((8, 8, 3), 90, np.uint8), refs / "0.png")
    import os

    st = (refs / "0.png").stat()
    os.utime(refs / "0.png", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert refs_identity(str(refs)) != before and set(find_stills(refs)) == {0}


@pytest.mark.parametrize("model", ["tiny_ckpt", "hint_ckpt"])
def test_a_reference_photo_colours_a_film(tmp_path, request, model):
    """video --reference: each scene's first frame is coloured after the photo and carried
    through its scene; here the photo is a frame of the first scene in a mild green."""
    ckpt = request.getfixturevalue(model)
    src = make_clip(tmp_path / "in.mp4", n=30, size=(64, 96), cut_at=15, audio=None)
    frames = read_clip(src)["frames"]
    ref = tmp_path / "ref.png"
    write_still(frames[8], ref)
    auto, guided = tmp_path / "auto.mkv", tmp_path / "guided.mkv"
    base = ["--model", str(ckpt), "--codec", "ffv1", "-q"]
    for dst, extra in ((auto, []), (guided, ["--reference", str(ref)])):
        r = CliRunner().invoke(main, ["video", str(src), str(dst), *base, *extra])
        assert r.exit_code == 0, r.output

    def off(rgb, i):
        lum = rgb_to_lab(frames[i])[..., 0]
        want = in_still_colour(lum)
        return float(
            np.hypot(*(rgb_to_lab(rgb)[..., 1:] - rgb_to_lab(want)[..., 1:]).reshape(-1, 2).mean(0))
        )

    a, g = read_clip(auto)["frames"], read_clip(guided)["frames"]
    assert len(g) == 30
    before = np.mean([off(a[i], i) for i in range(15)])
    after = np.mean([off(g[i], i) for i in range(15)])
    assert after < 5 and after < before / 2, (before, after)


def test_reference_error_paths(tmp_path, tiny_ckpt):
    src = make_clip(tmp_path / "in.mp4", n=6, audio=None)
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a picture")
    refs = tmp_path / "refs"
    refs.mkdir()
    write_still(read_clip(src)["frames"][0], refs / "0.png")
    dst = tmp_path / "out.mkv"
    cases = [
        (["--reference", str(bad)], 1, "bad.png"),
        (["--reference", str(tmp_path / "none.png")], 2, "does not exist"),
        (["--reference", str(refs / "0.png"), "--refs", str(refs)], 1, "not both"),
    ]
    for extra, code, msg in cases:
        r = CliRunner().invoke(
            main, ["video", str(src), str(dst), "--model", str(tiny_ckpt), "-q", *extra]
        )
        assert r.exit_code == code and msg in r.output and "Traceback" not in r.output, r.output
        assert not dst.exists()
    r = CliRunner().invoke(
        main, ["video", "-", str(dst), "--reference", str(refs / "0.png"), "-q"], input=b""
    )
    assert r.exit_code == 1 and "--reference needs the film as a file" in r.output


def test_a_gray_still_or_reference_is_said_to_guide_toward_gray(tmp_path, tiny_ckpt):
    """The gray frame given by mistake: the film is still made, with one notice naming it.
    Images in the folder that no frame number names are named too."""
    src = make_clip(tmp_path / "in.mp4", n=6, audio=None)
    frames = read_clip(src)["frames"]
    gray, colour = tmp_path / "gray", tmp_path / "colour"
    gray.mkdir(), colour.mkdir()
    lum = rgb_to_lab(frames[0])[..., 0]
    flat = compose_rgb8(lum, np.zeros(lum.shape + (2,), np.float32))
    Image.fromarray(flat).save(gray / "0.png")
    write_still(frames[0], colour / "0.png")
    base = ["video", str(src), "--model", str(tiny_ckpt), "--codec", "ffv1", "-q"]
    for n, extra in enumerate((["--refs", str(gray)], ["--reference", str(gray / "0.png")])):
        r = CliRunner().invoke(main, [*base[:2], str(tmp_path / f"g{n}.mkv"), *base[2:], *extra])
        assert r.exit_code == 0 and "0.png: has almost no colour" in r.output, r.output
        assert (tmp_path / f"g{n}.mkv").exists()
    r = CliRunner().invoke(
        main, [*base[:2], str(tmp_path / "c.mkv"), *base[2:], "--refs", str(colour)]
    )
    assert r.exit_code == 0 and "almost no colour" not in r.output, r.output
    assert "not used" not in r.output
    # a still saved under another name by an editor: unused, and said so (it went unsaid)
    for name in ("3 copy.png", "frame_4.jpg", "._0.png"):
        write_still(frames[0], colour / name)
    r = CliRunner().invoke(
        main, [*base[:2], str(tmp_path / "d.mkv"), *base[2:], "--refs", str(colour)]
    )
    want = f"{colour}: not used, as no frame number names them (<N>.png, .jpg or .tif): 3 copy.png, frame_4.jpg"
    assert r.exit_code == 0 and want in r.output, r.output


def test_a_still_of_another_shape_than_the_frames_is_said(tmp_path, tiny_ckpt):
    """A still cropped (or put on another canvas) in an editor was stretched onto its frame
    without a word, its colours beside their places. Twice the size, and the shown shape of
    a film of non-square pixels (as colorize scenes writes stills), are its shape."""
    from fractions import Fraction

    src = make_clip(tmp_path / "in.mp4", n=6, size=(48, 64), audio=None, sar=Fraction(4, 3))
    frame = read_clip(src)["frames"][0]
    stills = tmp_path / "stills"
    stills.mkdir()
    write_still(frame, stills / "0.png")  # 64x48 stored
    shown = np.asarray(Image.fromarray(frame).resize((85, 48)))  # as shown: 64 x 4/3 wide
    write_still(shown, stills / "2.png")
    write_still(np.asarray(Image.fromarray(frame).resize((128, 96))), stills / "3.png")
    write_still(frame[:, :32], stills / "4.png")  # cropped: half the width
    r = CliRunner().invoke(
        main,
        ["video", str(src), str(tmp_path / "o.mkv"), "--model", str(tiny_ckpt), "-q",
         "--refs", str(stills)],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    said = [line for line in r.output.splitlines() if "not the shape" in line]
    assert said == [
        f"notice: {stills / '4.png'}: 32x48, not the shape of the film's frames (64x48, shown "
        "85x48): stretched onto them, so its colours may land beside their places (a cropped "
        "or resized canvas?)"
    ]


def test_another_reference_photo_is_a_new_command_for_resume(tmp_path):
    from colorcli.refs import file_identity

    ref = tmp_path / "ref.png"
    write_still(np.full((8, 8, 3), 128, np.uint8), ref)
    before = file_identity(str(ref))
    write_still(np.full((8, 8, 3), 90, np.uint8), ref)
    import os

    st = ref.stat()
    os.utime(ref, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert file_identity(str(ref)) != before and file_identity(None) is None


def test_a_reference_of_other_things_agrees_only_by_chance_and_that_is_not_counted():
    """RefGuide.read's agreement: high where the reference is the same view moved a little,
    low where it shows other things whose lightness matches here and there by chance."""
    import cv2

    from colorcli.imageio import read_image
    from colorcli.refs import RefGuide

    lum = {}
    for name in ("chelsea", "coffee", "rocket"):
        rgb = read_image(f"samples/{name}_bw.jpg").rgb.astype(np.float32) / 255.0
        lum[name] = cv2.resize(rgb_to_lab(rgb)[..., 0], (128, 96), interpolation=cv2.INTER_AREA)

    def agreement(l_cur, l_ref):
        ab = np.broadcast_to(np.float32((20.0, -10.0)), l_ref.shape + (2,)).copy()
        return RefGuide({0: compose_rgb8(l_ref, ab)}, [0]).read(1, l_cur, 5.0)[3]

    for a, b in (("chelsea", "coffee"), ("coffee", "rocket"), ("rocket", "chelsea")):
        same = agreement(lum[a], np.roll(lum[a], 4, axis=1))  # the same view, panned
        other = agreement(lum[a], lum[b])
        by_chance = (np.abs(lum[a] - lum[b]) < 5).mean()  # lightness that matches in place
        assert same.mean() > 0.9, (a, same.mean())
        assert other.mean() < min(0.15, 0.8 * by_chance), (a, b, other.mean(), by_chance)


def test_a_films_stills_are_read_when_their_scene_comes(tmp_path):
    """A two-hour film's stills (1,500 at 1080p) were all read at the start and held whole
    for the whole run (9 GB). Each is read from its file when its scene comes; the readings
    of the last few are kept, and a still met again reads as it did the first time."""
    import cv2

    from colorcli.refs import HELD_STILLS, RefGuide

    rng = np.random.default_rng(0)
    stills = {}
    for k in range(HELD_STILLS + 4):
        rgb = rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)
        Image.fromarray(rgb).save(tmp_path / f"{10 * k}.png")
        stills[10 * k] = tmp_path / f"{10 * k}.png"
    guide = RefGuide(stills, sorted(stills))
    l_cur = np.full((12, 16), 50.0, np.float32)
    first = guide.read(0, l_cur)[0]
    for n in sorted(stills)[1:]:
        assert guide.read(n, l_cur)[2] == n
    assert sum(bool(s.at) for s in guide.stills.values()) == HELD_STILLS
    assert np.array_equal(guide.read(0, l_cur)[0], first)
    small = cv2.resize(np.asarray(Image.open(stills[0])), (16, 12), interpolation=cv2.INTER_AREA)
    assert np.abs(first - rgb_to_lab(small)[..., 1:]).max() < 1e-4


def test_the_scene_pass_stops_after_end_and_is_made_once_for_all_shards(
    tmp_path, tiny_ckpt, monkeypatch
):
    """Before its first frame, a --refs run decodes the film once to find its scenes. That
    pass went to the film's end for a trial of its first seconds (--end), and again in every
    resumed run and every shard: for a two-hour film, most of an hour each time."""
    import colorcli.scenestarts as passes

    seen: list[int] = []
    real = passes.scene_frames

    def spy(*args, **kwargs):
        for item in real(*args, **kwargs):
            seen.append(item[0])
            yield item

    monkeypatch.setattr(passes, "scene_frames", spy)
    src = make_clip(tmp_path / "in.mp4", n=75, size=(64, 96), cut_at=40, audio=None)  # 3 s
    refs = tmp_path / "refs"
    refs.mkdir()
    write_still(read_clip(src)["frames"][50], refs / "50.png")
    base = ["video", str(src), "--model", str(tiny_ckpt), "--refs", str(refs), "-q"]
    r = CliRunner().invoke(main, [*base, str(tmp_path / "trial.mkv"), "--end", "0.4"])
    assert r.exit_code == 0, r.output
    assert 10 <= len(seen) < 75, seen  # to --end and a second past it, not to the end
    dst = tmp_path / "out.mkv"
    for k, passes_made in (("0/2", 75), ("1/2", 0)):
        seen.clear()
        r = CliRunner().invoke(main, [*base, str(dst), "--segment-seconds", "1", "--shard", k])
        assert r.exit_code == 0, r.output
        assert len(seen) == passes_made, (k, len(seen))
    assert len(read_clip(dst)["frames"]) == 75


def test_a_reference_films_stills_are_made_once_and_colour_as_one_run(tmp_path, hint_ckpt):
    """video --reference colours a still for each scene in a first pass over the film. A
    resumed run or another shard made them all again (for a two-hour film, a decoding of it
    and a model run per scene each time); now they are kept in the work folder, and the film
    comes out as one run makes it."""
    import colorcli.scenestarts as passes

    calls: list[int] = []
    real = passes.scene_frames

    def spy(*args, **kwargs):
        calls.append(1)
        yield from real(*args, **kwargs)

    src = make_clip(tmp_path / "in.mp4", n=50, size=(64, 96), cut_at=25, audio=None)
    ref = tmp_path / "ref.png"
    write_still(read_clip(src)["frames"][8], ref)
    base = ["video", str(src), "--model", str(hint_ckpt), "--reference", str(ref), "-q"]
    base += ["--codec", "ffv1", "--segment-seconds", "1"]
    whole, sharded = tmp_path / "whole.mkv", tmp_path / "sharded.mkv"
    r = CliRunner().invoke(main, [*base, str(whole), "--segment-seconds", "0"])  # in memory
    assert r.exit_code == 0, r.output
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(passes, "scene_frames", spy)
        for k, made in (("0/2", 1), ("1/2", 0)):
            calls.clear()
            r = CliRunner().invoke(main, [*base, str(sharded), "--shard", k])
            assert r.exit_code == 0, r.output
            assert len(calls) == made, k
    # a shard's kept stills, and then the film started again (--restart): made anew, not read
    # from the folder the restart removes
    again = tmp_path / "again.mkv"
    for extra in (["--shard", "0/2"], ["--restart"]):
        r = CliRunner().invoke(main, [*base, str(again), *extra])
        assert r.exit_code == 0, r.output
    for out in (sharded, again):
        a, b = read_clip(whole)["frames"], read_clip(out)["frames"]
        assert len(a) == len(b) == 50
        assert max(np.abs(x.astype(int) - y).max() for x, y in zip(a, b, strict=True)) == 0


def test_the_pass_before_the_first_frame_reports_its_progress(tmp_path, tiny_ckpt):
    """A two-hour film's pass runs for half an hour before the first frame is coloured; it
    showed nothing, as if the run hung. Its progress now comes as Scanned events, every frame
    it reads counted, all before the first Frames."""
    from colorcli.colorizer import Colorizer
    from colorcli.events import Frames, Scanned
    from colorcli.options import VideoOptions
    from colorcli.video import colorize_video, prepare_video

    src = make_clip(tmp_path / "in.mp4", n=60, size=(48, 64), cut_at=30, audio=None)
    refs = tmp_path / "refs"
    refs.mkdir()
    write_still(read_clip(src)["frames"][3], refs / "3.png")
    job = prepare_video(src, tmp_path / "out.mkv", VideoOptions(refs=str(refs)), True)
    events = list(colorize_video(job, Colorizer(tiny_ckpt, device="cpu", batch_size=4)))
    kinds = [type(ev) for ev in events]
    scanned = [ev for ev in events if isinstance(ev, Scanned)]
    assert len(scanned) >= 2 and sum(ev.n for ev in scanned) == 60
    assert all(ev.total == 60 for ev in scanned)
    assert max(i for i, k in enumerate(kinds) if k is Scanned) < kinds.index(Frames)


@pytest.mark.parametrize("size", [(16, 1200), (1200, 16), (10, 300)])
def test_a_film_a_few_lines_tall_is_carried_from_its_stills(tmp_path, tiny_ckpt, size):
    """A strip of a film (a scanned edge, a ticker, a test of a crop): the optical flow
    refuses pictures that thin, and `video --refs` stopped with "unexpected error: OpenCV ...
    The input image must have either width or height >= 12". Its stills now hold where
    they are, and every frame is coloured."""
    src = make_clip(tmp_path / "strip.mp4", n=8, size=size, audio=None)
    stills, out = tmp_path / "stills", tmp_path / "out.mp4"
    r = CliRunner().invoke(main, ["scenes", str(src), str(stills), "--model", str(tiny_ckpt), "-q"])
    assert r.exit_code == 0, r.output
    for args in (["--refs", str(stills)], []):
        r = CliRunner().invoke(
            main,
            ["video", str(src), str(out), "--model", str(tiny_ckpt), "-q", "--overwrite", *args],
        )
        assert r.exit_code == 0, r.output
        assert read_clip(out)["pts"] == read_clip(src)["pts"]
