"""colorize scenes: one coloured still per scene, numbered by frame, never replacing a still a
colourist may have edited; its error paths."""

import numpy as np
from click.testing import CliRunner
from PIL import Image

from colorcli.cli import main
from colorcli.scenes import scene_stills
from tests.media import make_clip, read_clip


def test_scenes_writes_the_first_frame_of_each_scene_and_keeps_edited_stills(tmp_path, tiny_ckpt):
    src = make_clip(tmp_path / "in.mp4", n=40, size=(48, 64), cut_at=17, audio=None)
    out = tmp_path / "stills"
    args = ["scenes", str(src), str(out), "--model", str(tiny_ckpt), "--quiet"]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir()) == ["0.png", "17.png"]
    first = np.asarray(Image.open(out / "0.png"))
    assert first.shape == (48, 64, 3) and first.std(axis=-1).mean() > 1  # coloured, full size
    edited = np.zeros((48, 64, 3), np.uint8)
    Image.fromarray(edited).save(out / "17.png")  # a colourist's work
    r = CliRunner().invoke(main, args[:-1])
    assert r.exit_code == 0 and "2 stills already in" in r.output and "were kept" in r.output
    assert np.asarray(Image.open(out / "17.png")).max() == 0
    r = CliRunner().invoke(main, [*args, "--overwrite"])
    assert r.exit_code == 0 and np.asarray(Image.open(out / "17.png")).max() > 0
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporaries left


def test_scenes_of_recordings_joined_into_one_file(tmp_path, tiny_ckpt):
    """Two recordings run together restart their times: `colorize scenes` reads the film's
    frames in order (no times needed), each still numbered by its frame in the whole, as
    `colorize video --refs` (which reads it as one film) numbers them."""
    from fractions import Fraction

    kw = {"codec": "mpeg2video", "time_base": Fraction(1, 25), "audio": None, "size": (48, 64)}
    a = make_clip(tmp_path / "a.ts", n=30, **kw)
    b = make_clip(tmp_path / "b.ts", n=30, cut_at=12, **kw)
    joined = tmp_path / "joined.ts"
    joined.write_bytes(a.read_bytes() + b.read_bytes())
    out = tmp_path / "stills"
    r = CliRunner().invoke(main, ["scenes", str(joined), str(out), "--model", str(tiny_ckpt)])
    assert r.exit_code == 0, r.output
    names = sorted(int(p.stem) for p in out.iterdir())
    assert names[0] == 0 and 42 in names  # b's cut, 12 frames into the second recording
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_scenes_error_paths(tmp_path, tiny_ckpt):
    src = make_clip(tmp_path / "in.mp4", n=5, audio=None)
    (tmp_path / "file").write_text("x")
    (tmp_path / "junk.mp4").write_bytes(b"not a film")
    cases = [
        ([str(tmp_path / "missing.mp4"), str(tmp_path / "o")], "missing.mp4"),
        ([str(tmp_path / "junk.mp4"), str(tmp_path / "o")], "junk.mp4"),
        ([str(src), str(tmp_path / "file")], "file"),
    ]
    for pair, name in cases:
        r = CliRunner().invoke(main, ["scenes", *pair, "--model", str(tiny_ckpt), "-q"])
        assert r.exit_code in (1, 2) and name in r.output and "Traceback" not in r.output, r.output


def test_scenes_after_a_reference_photo(tmp_path, tiny_ckpt):
    from colorcli.kernels import compose_rgb8, rgb_to_lab

    src = make_clip(tmp_path / "in.mp4", n=20, size=(48, 64), cut_at=9, audio=None)
    out = tmp_path / "stills"
    r = CliRunner().invoke(main, ["scenes", str(src), str(out), "--model", str(tiny_ckpt), "-q"])
    assert r.exit_code == 0, r.output
    # the reference: the first still's own lightness in a mild green the tiny model never makes
    lum = rgb_to_lab(np.asarray(Image.open(out / "0.png")))[..., 0]
    want = np.float32((-15.0, 10.0))
    refp = tmp_path / "ref.png"
    Image.fromarray(compose_rgb8(lum, np.broadcast_to(want, lum.shape + (2,)).copy())).save(refp)
    args = ["scenes", str(src), str(tmp_path / "s2"), "--model", str(tiny_ckpt), "-q"]
    r = CliRunner().invoke(main, [*args, "--reference", str(refp)])
    assert r.exit_code == 0, r.output
    ab = rgb_to_lab(np.asarray(Image.open(tmp_path / "s2" / "0.png")))[..., 1:]
    assert np.hypot(*(ab.reshape(-1, 2).mean(0) - want)) < 6
    r = CliRunner().invoke(
        main, [*args[:2], str(tmp_path / "s3"), *args[3:], "--reference", str(tmp_path / "no.png")]
    )
    assert r.exit_code == 1 and "no.png" in r.output and not (tmp_path / "s3").exists()


def test_a_scene_that_fades_in_from_black_gets_its_clearest_frame_as_still(tmp_path, tiny_ckpt):
    """The second scene starts black and fades in over 8 frames: its still is a frame at full
    light (from 20 on), not the dark frame where the scene begins."""
    src = make_clip(tmp_path / "in.mp4", n=45, size=(48, 64), cut_at=12, fade_in=8, audio=None)
    out = tmp_path / "stills"
    r = CliRunner().invoke(main, ["scenes", str(src), str(out), "--model", str(tiny_ckpt), "-q"])
    assert r.exit_code == 0, r.output
    names = sorted((p.name for p in out.iterdir()), key=lambda n: int(n.split(".")[0]))
    assert len(names) == 2 and names[0] == "0.png", names
    n = int(names[1].split(".")[0])
    assert 20 <= n < 45, names
    from colorcli.kernels import rgb_to_lab

    full = rgb_to_lab(read_clip(src)["frames"][30])[..., 0].mean()
    assert rgb_to_lab(np.asarray(Image.open(out / names[1])))[..., 0].mean() > 0.9 * full


def test_scene_stills_choice():
    """Each scene gets one still, in it: the first frame, or after a dim first frame the
    widest spread among the next ones (up to the look-ahead, the scene's end, the film's end
    or a decoding error)."""
    import av

    def frames(spreads, firsts, fail=False):
        for n, (s, f) in enumerate(zip(spreads, firsts, strict=True)):
            yield n, np.full((2, 2), n), f, s
        if fail:
            raise av.error.InvalidDataError(1094995529, "damaged")

    def chosen(spreads, firsts, lookahead=4, fail=False):
        got = []
        try:
            for _, stills in scene_stills(frames(spreads, firsts, fail), lookahead):
                got += [n for n, px in stills if px[0, 0] == n]
        except av.error.FFmpegError:
            got.append("error")
        return got

    sharp, dim = 10.0, 1.0
    # a sharp start; a dim start that brightens; a dim scene cut short by the next one
    spreads = [sharp, 9, dim, 3, 8, 7, 9, dim, 2, sharp, 8]
    firsts = [True, False, True, False, False, False, False, True, False, True, False]
    assert chosen(spreads, firsts) == [0, 4, 8, 9]
    assert chosen(spreads[:9], firsts[:9]) == [0, 4, 8]  # the film ends while it looks
    assert chosen(spreads[:9], firsts[:9], fail=True) == [0, 4, 8, "error"]


def test_scenes_of_a_frame_folder_knows_how_many_frames_it_will_read(tmp_path, tiny_ckpt):
    """A scan's numbered frames: a still for each scene, and the pass's progress out of the
    folder's frame count (a two-hour film's frames have an ETA), not an unknown total."""
    from colorcli.colorizer import Colorizer
    from colorcli.events import VideoStart
    from colorcli.scenes import write_scene_stills

    frames = read_clip(make_clip(tmp_path / "in.mp4", n=20, cut_at=8, audio=None))["frames"]
    folder = tmp_path / "scan"
    folder.mkdir()
    for i, f in enumerate(frames):
        Image.fromarray(f).save(folder / f"reel1_{i:05d}.png")
    out = tmp_path / "stills"
    events = list(write_scene_stills(folder, out, Colorizer(tiny_ckpt, device="cpu")))
    starts = [e for e in events if isinstance(e, VideoStart)]
    assert len(starts) == 1 and starts[0].total == 20
    assert sorted(p.name for p in out.iterdir()) == ["0.png", "8.png"]
