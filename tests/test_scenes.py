"""colorize scenes: one coloured still per scene, numbered by frame, never replacing a still a
colourist may have edited; its error paths."""

import numpy as np
from click.testing import CliRunner
from PIL import Image

from colorcli.cli import main
from tests.media import make_clip


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
