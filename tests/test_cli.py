"""Every CLI path: success properties, and each error's exit code and message."""

import os
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from click.testing import CliRunner

from colorcli.cli import main
from colorcli.imageio import read_image
from colorcli.kernels import rgb_to_lab


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _l(img):
    px = img.pixels if img.pixels.ndim == 3 else np.repeat(img.pixels[..., None], 3, -1)
    return rgb_to_lab(px)[..., 0]


def test_help_does_not_import_torch():
    code = "import sys\nfrom click.testing import CliRunner\nfrom colorcli.cli import main\nr = CliRunner().invoke(main, ['--help'])\nassert r.exit_code == 0, r.output\nassert 'torch' not in sys.modules and 'numba' not in sys.modules, 'heavy import'\n"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_cli_defaults_are_the_librarys():
    import dataclasses

    from colorcli.options import ColorizeOptions, VideoOptions
    from colorcli.train.config import EvalOptions, TrainConfig

    sources = {
        "image": [ColorizeOptions],
        "dir": [ColorizeOptions, VideoOptions],
        "video": [ColorizeOptions, VideoOptions],
        "train": [TrainConfig],
        "eval": [ColorizeOptions, EvalOptions],
    }
    checked = 0
    for name, classes in sources.items():
        params = {p.name: p for p in main.commands[name].params}
        for cls in classes:
            for f in dataclasses.fields(cls):
                if f.name not in params or f.default is dataclasses.MISSING:
                    continue
                default = params[f.name].default
                default = int(default) if f.name == "out_stride" and default else default
                assert default == f.default, (name, f.name, default, f.default)
                checked += 1
    assert checked > 50  # every option of every command was compared


def test_help_says_what_each_command_takes():
    r = run("dir", "--help")
    assert "film" in r.output and "--codec" in r.output and "--keyframes" in r.output
    assert "--batch-size" not in run("image", "--help").output


def test_version():
    r = run("--version")
    assert r.exit_code == 0 and "colorize, version" in r.output


def test_image_keeps_size_and_lightness(tmp_path, media_tree, tiny_ckpt):
    out = tmp_path / "out.png"
    r = run("image", media_tree / "rgb.jpg", out, "--model", tiny_ckpt, "--quiet")
    assert r.exit_code == 0, r.output
    src, dst = read_image(media_tree / "rgb.jpg"), read_image(out)
    assert dst.pixels.shape == src.pixels.shape
    assert np.abs(_l(dst) - _l(src)).max() <= 1.0


def test_image_refuses_output_equal_to_input(media_tree, tiny_ckpt):
    src = media_tree / "rgb.jpg"
    before = src.read_bytes()
    r = run("image", src, src, "--model", tiny_ckpt)
    assert r.exit_code == 1
    assert "is the input" in r.stderr
    assert src.read_bytes() == before


def test_image_refuses_existing_output_unless_overwrite(tmp_path, media_tree, tiny_ckpt):
    out = tmp_path / "o.png"
    out.write_bytes(b"keep me")
    r = run("image", media_tree / "rgb.jpg", out, "--model", tiny_ckpt)
    assert r.exit_code == 1 and "exists already (use --overwrite)" in r.stderr
    assert out.read_bytes() == b"keep me"
    r = run("image", media_tree / "rgb.jpg", out, "--model", tiny_ckpt, "--overwrite", "-q")
    assert r.exit_code == 0 and out.read_bytes() != b"keep me"


def test_a_folder_as_dst_takes_the_input_under_its_own_name(tmp_path, media_tree, tiny_ckpt):
    """As cp takes one: was a usage error ("File 'out' is a directory")."""
    from tests.media import make_clip

    out = tmp_path / "out"
    out.mkdir()
    r = run("image", media_tree / "rgb.jpg", out, "--model", tiny_ckpt)
    assert r.exit_code == 0, r.stderr
    assert f"{media_tree / 'rgb.jpg'} -> {out / 'rgb.jpg'} (56x40" in r.stderr
    r = run("image", media_tree / "rgb.jpg", out, "--model", tiny_ckpt)
    assert r.exit_code == 1 and f"{out / 'rgb.jpg'} exists already" in r.stderr
    r = run("image", media_tree / "rgb.jpg", media_tree, "--model", tiny_ckpt)
    assert r.exit_code == 1 and "is the input; refusing to overwrite an original" in r.stderr
    film = make_clip(tmp_path / "reel.mp4", n=4, audio=None)
    r = run("video", film, out, "--model", tiny_ckpt, "-q", "--codec", "ffv1")
    assert r.exit_code == 0, r.stderr
    assert (out / "reel.mkv").is_file()  # ffv1 does not go in .mp4: as colorize dir writes it
    frames = tmp_path / "frames"
    frames.mkdir()
    r = run("video", frames, out, "--model", tiny_ckpt)
    assert r.exit_code == 1
    assert r.stderr == (
        f"error: {out} is a folder: give the film's file name in it ({out / 'film.mkv'}), "
        f"or a frame pattern ({out / '%06d.tif'})\n"
    )


def test_several_photos_go_into_a_folder_as_a_shells_glob_gives_them(
    tmp_path, media_tree, broken_files, hint_ckpt
):
    """`colorize image *.jpg out/`: was "Got unexpected extra argument"."""
    from PIL import Image

    out = tmp_path / "out"
    out.mkdir()
    photos = [media_tree / "rgb.jpg", media_tree / "gray.png", media_tree / "nested" / "alpha.png"]
    layer = np.zeros((40, 56, 4), np.uint8)
    layer[10:14, 10:14] = (20, 40, 200, 255)
    Image.fromarray(layer, "RGBA").save(media_tree / "gray.hints.png")
    srcs = [*photos, media_tree / "gray.hints.png", broken_files["text"], tmp_path / "gone.jpg"]
    r = run("image", *srcs, out, "--model", hint_ckpt)
    assert r.exit_code == 1  # two failed; the others coloured
    assert sorted(p.name for p in out.iterdir()) == ["alpha.png", "gray.png", "rgb.jpg"]
    assert "notice: hint layers among the photos (gray.hints.png): each guides" in r.stderr
    assert "3 colorized, 0 skipped (already there), 2 failed" in r.stderr
    assert f"  {tmp_path / 'gone.jpg'}: no such file" in r.stderr
    assert f"  {broken_files['text']}: not a supported image" in r.stderr
    r = run("image", *photos, photos[0].parent / ".." / "archive" / "rgb.jpg", out, "-q")
    assert r.exit_code == 0 and "3 skipped (already there)" in r.stderr  # one file twice: once
    r = run("image", *photos, out, "--model", hint_ckpt)  # a rerun resumes: all there
    assert r.exit_code == 0 and "0 colorized, 3 skipped (already there), 0 failed" in r.stderr
    later = (out / "rgb.jpg").stat().st_mtime_ns + 10**9  # rescanned since: said, as dir does
    os.utime(photos[0], ns=(later, later))
    r = run("image", *photos, out, "--model", hint_ckpt)
    assert "notice: 1 of the 3 already done were modified after they were coloured" in r.stderr
    r = run("image", *photos, tmp_path / "nowhere", "--model", hint_ckpt)
    assert r.exit_code == 1 and r.stderr == (
        f"error: {tmp_path / 'nowhere'}: not a folder: with several photos, DST is the folder "
        "they go into\n"
    )
    twin = tmp_path / "rgb.jpg"
    twin.write_bytes((media_tree / "rgb.jpg").read_bytes())
    r = run("image", media_tree / "rgb.jpg", twin, out, "--model", hint_ckpt, "--overwrite")
    assert r.exit_code == 1 and r.stderr == (
        f"error: {media_tree / 'rgb.jpg'} and {twin} would both be written as "
        f"{out / 'rgb.jpg'}: colour them into folders of their own\n"
    )
    r = run("image", photos[0])  # one argument: it was "Missing argument 'SRC...'"
    assert r.exit_code == 2 and "Missing argument 'DST' (a file, or the folder" in r.output
    mine = out / "rgb.jpg"  # a photo of the user's in DST, given too: never replaced
    mine.write_bytes(b"an original")
    r = run("image", media_tree / "rgb.jpg", mine, out, "--model", hint_ckpt, "--overwrite")
    assert r.exit_code == 1 and mine.read_bytes() == b"an original"
    assert f"its output would be {mine}, another input: refusing to overwrite" in r.stderr
    r = run("image", *photos, out, "--model", hint_ckpt, "--hint", "1,1,red")
    assert r.exit_code == 1 and "--hints and --hint guide one photo" in r.stderr
    r = run(
        "image", media_tree / "rgb.jpg", media_tree / "gray.png", media_tree, "--model", hint_ckpt
    )
    assert r.exit_code == 1 and r.stderr.count("refusing to overwrite an original") == 2


def test_several_films_go_into_a_folder(tmp_path, media_tree, tiny_ckpt):
    """`colorize video reel*.mp4 out/`: was "Got unexpected extra argument"."""
    from tests.media import make_clip

    out = tmp_path / "out"
    out.mkdir()
    films = [make_clip(tmp_path / f"reel{i}.mp4", n=4, audio=None) for i in range(2)]
    films.append(make_clip(tmp_path / "tape.3gp", n=4, audio=None))  # written as .mkv
    srcs = [*films, media_tree / "rgb.jpg", tmp_path / "gone.mkv"]
    r = run("video", *srcs, out, "--model", tiny_ckpt)
    assert r.exit_code == 1  # the photo and the missing film; the three films coloured
    assert sorted(p.name for p in out.iterdir()) == ["reel0.mp4", "reel1.mp4", "tape.mkv"]
    assert "3 colorized, 0 skipped (already there), 2 failed" in r.stderr
    assert f"  {media_tree / 'rgb.jpg'}: not a film (`colorize image` takes photos)" in r.stderr
    r = run("video", *films, out, "--model", tiny_ckpt, "--codec", "ffv1")
    assert r.exit_code == 0, r.stderr  # .mp4 cannot hold ffv1: written as .mkv
    assert "2 films to colorize, 1 already done" in r.stderr  # tape.mkv is there
    assert (out / "reel0.mkv").exists() and (out / "reel1.mkv").exists()
    for extra, said in [
        (("--start", "1"), "--start goes with one film: give the films one by one"),
        (("--stats", "--shard", "0/2"), "--shard and --stats go with one film"),
    ]:
        r = run("video", *films, out, "--model", tiny_ckpt, *extra)
        assert r.exit_code == 1 and said in r.stderr
    r = run("video", films[0], "-", out, "--model", tiny_ckpt)
    assert r.exit_code == 1 and "'-' (a pipe) carries one film" in r.stderr


@pytest.mark.parametrize(
    "which,message",
    [
        ("truncated", "damaged or truncated png"),
        ("text", "not a supported image"),
        ("empty", "empty file"),
        ("bomb", "over the most colorcli reads (1000): a damaged header, or a decompression bomb"),
        ("png header", "not a readable image (its PNG header is damaged)"),
        ("cut header", "not a readable image (its BMP header is cut short)"),
    ],
)
def test_image_bad_inputs(tmp_path, broken_files, tiny_ckpt, which, message):
    r = run("image", broken_files[which], tmp_path / "o.png", "--model", tiny_ckpt)
    assert r.exit_code == 1
    assert r.stderr.startswith(f"error: {broken_files[which]}: ")
    assert message in r.stderr and r.stderr.count("\n") == 1
    assert not (tmp_path / "o.png").exists()


def test_a_film_given_to_image_says_where_films_go(tmp_path, tiny_ckpt):
    from tests.media import make_clip

    film = make_clip(tmp_path / "reel.mp4", n=3, audio=None)
    r = run("image", film, tmp_path / "o.png", "--model", tiny_ckpt)
    assert r.exit_code == 1 and r.stderr.count("\n") == 1
    assert f"{film}: a film, not a photo (`colorize video` takes films)" in r.stderr


def test_a_photo_given_to_video_says_where_photos_go(tmp_path, tiny_ckpt):
    photo = tmp_path / "scan.png"
    cv2.imwrite(str(photo), np.full((24, 32), 90, np.uint8))
    for command in ("video", "scenes"):
        out = tmp_path / ("o.mp4" if command == "video" else "stills")
        r = run(command, photo, out, "--model", tiny_ckpt)
        assert r.exit_code == 1 and r.stderr.count("\n") == 1, r.stderr
        assert f"{photo}: a photo, not a film (`colorize image` takes photos;" in r.stderr
        assert not out.exists()


def test_a_folder_given_to_image_and_a_file_to_dir_say_which_command_takes_them(
    tmp_path, tiny_ckpt
):
    photo = tmp_path / "scans" / "scan.png"
    photo.parent.mkdir()
    cv2.imwrite(str(photo), np.full((24, 32), 90, np.uint8))
    r = run("image", photo.parent, tmp_path / "o.png", "--model", tiny_ckpt)
    assert r.exit_code == 1 and r.stderr.count("\n") == 1
    assert (
        f"error: {photo.parent}: a folder, not a photo (`colorize dir` takes folders)" in r.stderr
    )
    r = run("dir", photo, "-o", tmp_path / "out", "--model", tiny_ckpt)
    assert r.exit_code == 1 and r.stderr.count("\n") == 1
    assert f"error: {photo}: a file, not a folder (`colorize image` takes one photo" in r.stderr
    assert not (tmp_path / "o.png").exists() and not (tmp_path / "out").exists()


def test_a_gpu_by_number(tmp_path, tiny_ckpt, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    photo = tmp_path / "scan.png"
    cv2.imwrite(str(photo), np.full((24, 32), 90, np.uint8))
    r = run("image", photo, tmp_path / "o.png", "--model", tiny_ckpt, "--device", "cuda:1")
    assert r.exit_code == 1 and r.stderr.count("\n") == 1
    assert "error: device 'cuda:1' requested but CUDA is not available here" in r.stderr
    r = run("image", photo, tmp_path / "o.png", "--model", tiny_ckpt, "--device", "cuda:one")
    assert r.exit_code == 2 and "'cuda:one' is not one of" in r.stderr
    assert not (tmp_path / "o.png").exists()
    # training asked for a GPU where there is none is refused, not run on the CPU unasked
    data = tmp_path / "photos"
    data.mkdir()
    cv2.imwrite(str(data / "a.png"), np.full((48, 48, 3), (40, 90, 200), np.uint8))
    for dev in ("cuda", "cuda:0"):
        r = run("train", "--data", data, "--out", tmp_path / "run", "--device", dev, "-q")
        assert r.exit_code == 1 and f"device '{dev}' requested but CUDA" in r.stderr, r.stderr
    assert not (tmp_path / "run").exists()


def test_image_missing_input_and_bad_extension(tmp_path, media_tree, tiny_ckpt):
    r = run("image", tmp_path / "nope.jpg", tmp_path / "o.png", "--model", tiny_ckpt)
    assert r.exit_code == 1 and "no such file" in r.stderr
    (tmp_path / "link.jpg").symlink_to(tmp_path / "moved" / "scan.jpg")  # its photo moved
    r = run("image", tmp_path / "link.jpg", tmp_path / "o.png", "--model", tiny_ckpt)
    assert r.exit_code == 1 and r.stderr.count("\n") == 1
    want = f"link.jpg: a symbolic link to {tmp_path / 'moved' / 'scan.jpg'}, which is not there"
    assert want in r.stderr, r.stderr
    r = run("image", media_tree / "rgb.jpg", tmp_path / "o.gif", "--model", tiny_ckpt)
    assert r.exit_code == 1 and "cannot write a '.gif' image (use jpg, png" in r.stderr
    r = run("image", media_tree / "rgb.jpg", tmp_path / "o.xyz", "--model", tiny_ckpt)
    assert r.exit_code == 1 and "cannot write a '.xyz' image" in r.stderr


def test_bad_model_files(tmp_path, media_tree):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"nonsense" * 50)
    r = run("image", media_tree / "rgb.jpg", tmp_path / "o.png", "--model", bad)
    assert r.exit_code == 1 and "bad.pt: not a model file" in r.stderr
    r = run("image", media_tree / "rgb.jpg", tmp_path / "o.png", "--model", tmp_path / "none.pt")
    assert r.exit_code == 1 and "no such model file" in r.stderr


def test_cuda_unavailable(tmp_path, media_tree, tiny_ckpt, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    r = run(
        "image",
        media_tree / "rgb.jpg",
        tmp_path / "o.png",
        "--model",
        tiny_ckpt,
        "--device",
        "cuda",
    )
    assert r.exit_code == 1 and "CUDA is not available" in r.stderr


def test_gpu_memory_taken_where_no_back_off_catches_it_is_one_line(
    tmp_path, media_tree, tiny_ckpt, monkeypatch
):
    from colorcli.colorizer import Colorizer

    def taken(*a, **k):
        raise torch.OutOfMemoryError(
            "CUDA out of memory. Tried to allocate 20.00 MiB. GPU 0 has a total capacity of 139.80 GiB of which 12.00 MiB is free. Including non-PyTorch memory, this process has 750.00 MiB memory in use."
        )

    monkeypatch.setattr(Colorizer, "colorize_like", taken)
    ref = media_tree / "rgb.jpg"
    r = run("image", ref, tmp_path / "o.png", "--model", tiny_ckpt, "--reference", ref)
    assert r.exit_code == 1 and "\n" not in r.stderr.strip()
    assert r.stderr.startswith(
        "error: out of memory on the GPU (CUDA out of memory. Tried to allocate 20.00 MiB);"
    )
    assert "--device cpu" in r.stderr and not (tmp_path / "o.png").exists()


def test_bad_option_values_are_usage_errors(tmp_path, media_tree, tiny_ckpt):
    r = run("dir", media_tree, "--batch-size", "0")
    assert r.exit_code == 2 and "--batch-size" in r.stderr
    # one image is one forward pass: there is no batch size to set
    r = run("image", media_tree / "rgb.jpg", tmp_path / "o.png", "--batch-size", "2")
    # click 8.2.0 writes "No such option: --batch-size", later ones "No such option '--batch-size'"
    assert r.exit_code == 2 and re.search(r"No such option:? '?--batch-size", r.stderr)
    r = run("dir", media_tree, "--shard", "3/2", "--model", tiny_ckpt)
    assert r.exit_code == 1 and "0 <= K < N" in r.stderr
    r = run("dir", media_tree, "--shard", "x", "--model", tiny_ckpt)
    assert r.exit_code == 1 and "K/N" in r.stderr


def _outputs(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_dir_every_kind(tmp_path, media_tree, tiny_ckpt):
    out = tmp_path / "out"
    r = run("dir", media_tree, "-o", out, "--model", tiny_ckpt, "--batch-size", "3")
    assert r.exit_code == 0, r.stderr
    expected = {
        "gray.png",
        "rgb.jpg",
        "cmyk.jpg",
        "palette.png",
        "rotated.jpg",
        "nested/alpha.png",
        "nested/gray16.png",
        "nested/rgb16.tif",
        "nested/deeper/pic.bmp",
        "nested/deeper/pic.webp",
    }
    assert _outputs(out) == expected
    assert "10 colorized, 0 skipped (already there), 0 failed" in r.stderr
    for rel in expected:
        src, dst = read_image(media_tree / rel), read_image(out / rel)
        assert dst.pixels.shape[:2] == src.pixels.shape[:2], rel
        assert dst.pixels.ndim == 3, rel
        tol = 1.0 if rel.endswith((".png", ".tif", ".bmp")) else 2.5  # lossy re-encode
        assert np.abs(_l(dst) - _l(src)).max() <= tol, rel
    assert read_image(out / "rotated.jpg").pixels.shape[:2] == (56, 40)  # EXIF applied
    a = read_image(out / "nested/alpha.png")
    np.testing.assert_array_equal(a.alpha, read_image(media_tree / "nested/alpha.png").alpha)
    assert read_image(out / "nested/gray16.png").pixels.dtype == np.uint16
    assert read_image(out / "nested/rgb16.tif").pixels.dtype == np.uint16


def test_dir_reports_bad_files_and_goes_on(tmp_path, broken_files, tiny_ckpt):
    out = tmp_path / "out"
    r = run("dir", broken_files["good"].parent, "-o", out, "--model", tiny_ckpt, "-q")
    assert r.exit_code == 1
    assert _outputs(out) == {"good.png"}
    assert "1 colorized, 0 skipped (already there), 6 failed" in r.stderr
    for which in ("truncated", "text", "empty", "bomb", "png header", "cut header"):
        assert f"{broken_files[which]}: " in r.stderr


def test_dir_rerun_resumes(tmp_path, media_tree, tiny_ckpt):
    out = tmp_path / "out"
    assert run("dir", media_tree, "-o", out, "--model", tiny_ckpt, "-q").exit_code == 0
    (out / "gray.png").unlink()
    stamp = (out / "rgb.jpg").stat().st_mtime_ns
    r = run("dir", media_tree, "-o", out, "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0 and "1 colorized, 9 skipped" in r.stderr
    assert (out / "rgb.jpg").stat().st_mtime_ns == stamp
    r = run("dir", media_tree, "-o", out, "--model", tiny_ckpt, "-q", "--overwrite")
    assert "10 colorized, 0 skipped" in r.stderr


def test_dir_default_output_and_format(tmp_path, media_tree, tiny_ckpt):
    """pic.bmp and pic.webp would both become pic.png: the whole run was refused ("rename
    one"), as a phone's IMG_1.HEIC beside its IMG_1.JPG was with --format tif. Now each keeps
    its old extension in its name, and a rerun finds them."""
    r = run("dir", media_tree, "--model", tiny_ckpt, "-q", "--format", "png")
    assert r.exit_code == 0, r.stderr
    out = media_tree.with_name("archive_colorized")
    outs = _outputs(out)
    assert "rgb.png" in outs and all(p.endswith(".png") for p in outs)
    deeper = out / "nested" / "deeper"
    assert (deeper / "pic.bmp.png").is_file() and (deeper / "pic.webp.png").is_file()
    assert not (deeper / "pic.png").exists()
    r = run("dir", media_tree, "--model", tiny_ckpt, "-q", "--format", "png")
    assert r.exit_code == 0 and "0 colorized" in r.stderr


@pytest.mark.parametrize("typed", ["tif", "TIFF", ".tif", "jpg", "JPEG"])
def test_dir_format_takes_an_extension_as_users_type_it(tmp_path, media_tree, tiny_ckpt, typed):
    """--format tif was refused ("'tif' is not one of 'jpeg', 'png', 'tiff', ...")."""
    out = tmp_path / "out"
    r = run("dir", media_tree, "-o", out, "--model", tiny_ckpt, "-q", "--format", typed)
    assert r.exit_code == 0, r.stderr
    want = ".tif" if "tif" in typed.lower() else ".jpg"
    assert all(p.endswith(want) for p in _outputs(out))


def test_dir_format_not_written_is_refused(tmp_path, media_tree, tiny_ckpt):
    r = run("dir", media_tree, "-o", tmp_path / "out", "--model", tiny_ckpt, "--format", "gif")
    assert r.exit_code == 2 and "'gif' is not one of 'jpeg', 'png', 'tiff'" in r.stderr
    assert not (tmp_path / "out").exists()


def test_dir_refuses_output_inside_input(media_tree, tiny_ckpt):
    for out in (media_tree, media_tree / "nested" / "out"):
        r = run("dir", media_tree, "-o", out, "--model", tiny_ckpt)
        assert r.exit_code == 1 and "inside the input folder" in r.stderr
    assert not (media_tree / "nested" / "out").exists()


def test_dir_input_must_be_a_folder(tmp_path, media_tree, tiny_ckpt):
    r = run("dir", tmp_path / "missing", "--model", tiny_ckpt)
    assert r.exit_code == 1 and "no such folder" in r.stderr


def test_dir_shards_partition_the_archive(tmp_path, media_tree, tiny_ckpt):
    seen = []
    for k in range(3):
        out = tmp_path / f"s{k}"
        r = run("dir", media_tree, "-o", out, "--model", tiny_ckpt, "-q", "--shard", f"{k}/3")
        assert r.exit_code == 0
        seen.append(_outputs(out) if out.exists() else set())
    # every file in exactly one share, and the shares together are the whole archive
    assert sum(len(s) for s in seen) == 10
    assert set.union(*seen) == _outputs(tmp_path / "s0").union(*seen) and all(seen)
    whole = tmp_path / "whole"
    assert run("dir", media_tree, "-o", whole, "--model", tiny_ckpt, "-q").exit_code == 0
    assert set.union(*seen) == _outputs(whole)


def test_dir_routes_videos_through_the_video_pipeline(tmp_path, tiny_ckpt):
    from tests.conftest import gradient_rgb
    from tests.media import make_clip, read_clip

    root = tmp_path / "films"
    (root / "reel1").mkdir(parents=True)
    make_clip(root / "reel1" / "a.mp4", n=8)
    make_clip(root / "b.mkv", n=5, audio=None)
    (root / "broken.mov").write_text("not a film")
    from PIL import Image

    Image.fromarray(gradient_rgb(32, 32)).save(root / "still.png")
    out = tmp_path / "out"
    r = run("dir", root, "-o", out, "--model", tiny_ckpt)  # not quiet: the plan's line
    assert r.exit_code == 1
    assert "3 colorized, 0 skipped (already there), 1 failed" in r.stderr
    assert "broken.mov: not a video file" in r.stderr
    assert "1 photo and 3 films to colorize" in r.stderr  # films are counted as films
    assert _outputs(out) == {"reel1/a.mp4", "b.mkv", "still.png"}
    assert read_clip(out / "reel1" / "a.mp4")["pts"] == read_clip(root / "reel1" / "a.mp4")["pts"]


def test_dir_reads_the_other_names_of_formats_it_reads(tmp_path, tiny_ckpt):
    """Files whose formats colorize reads, under names it did not know, were passed over
    without a word: a browser's progressive JPEG (.pjp, .pjpeg), a stereo camera's MPO, a
    Windows DIB, SGI's .rgb and .bw, a CDMA phone's .3g2."""

    from PIL import Image

    from colorcli.compose import lightness
    from tests.conftest import gradient_rgb
    from tests.media import make_clip

    root = tmp_path / "in"
    root.mkdir()
    gray = Image.fromarray(gradient_rgb(40, 56, seed=2)).convert("L")
    gray.convert("RGB").save(root / "a.pjp", format="JPEG", progressive=True)
    gray.convert("RGB").save(root / "b.pjpeg", format="JPEG")
    left, right = gray.convert("RGB"), gray.convert("RGB").transpose(Image.FLIP_LEFT_RIGHT)
    left.save(root / "c.mpo", format="MPO", save_all=True, append_images=[right])
    gray.save(root / "d.dib", format="BMP")
    gray.convert("RGB").save(root / "e.rgb", format="SGI")
    gray.save(root / "f.bw", format="SGI")
    make_clip(root / "g.3g2", n=6, audio=None)
    out = tmp_path / "out"
    r = run("dir", root, "-o", out, "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.stderr
    assert "7 colorized, 0 skipped (already there), 0 failed" in r.stderr
    names = {"a.jpg", "b.jpg", "c.jpg", "d.bmp", "e.png", "f.png", "g.mkv"}
    assert _outputs(out) == names
    mpo = read_image(out / "c.jpg").pixels  # the first (left) view
    assert mpo.shape[:2] == (40, 56)
    to_left = np.abs(lightness(mpo) - lightness(np.asarray(left))).mean()
    to_right = np.abs(lightness(mpo) - lightness(np.asarray(right))).mean()
    assert to_left < 3.0 and to_right > 3 * to_left  # two JPEG codings apart


def test_max_megapixels_lets_a_large_scan_through(tmp_path, tiny_ckpt):
    """A scan over the decompression-bomb guard (250 megapixels: a glass plate scanned at a
    high resolution) was refused with no way through. --max-megapixels moves the guard; the
    refusal says so. (A 1.2-megapixel scan against a guard of 1 stands for it here.)"""
    from PIL import Image

    from tests.conftest import gradient_rgb

    root = tmp_path / "in"
    root.mkdir()
    big = Image.fromarray(gradient_rgb(1000, 1200, seed=5)).convert("L")
    big.save(root / "plate.png")
    Image.fromarray(gradient_rgb(40, 60)).convert("L").save(root / "small.png")
    r = run("image", root / "plate.png", tmp_path / "p.png", "--model", tiny_ckpt,
            "--max-megapixels", "1")  # fmt: skip
    assert r.exit_code == 1
    assert "1200x1000 is 1 megapixels, over the limit of 1" in r.stderr
    assert "--max-megapixels raises it" in r.stderr and not (tmp_path / "p.png").exists()
    r = run("dir", root, "-o", tmp_path / "out", "--model", tiny_ckpt, "-q",
            "--max-megapixels", "1")  # fmt: skip
    assert r.exit_code == 1 and "1 colorized, 0 skipped (already there), 1 failed" in r.stderr
    r = run("dir", root, "-o", tmp_path / "out", "--model", tiny_ckpt, "-q",
            "--max-megapixels", "2")  # fmt: skip
    assert r.exit_code == 0 and "1 colorized, 1 skipped" in r.stderr
    assert read_image(tmp_path / "out" / "plate.png").pixels.shape[:2] == (1000, 1200)
    r = run("image", root / "plate.png", tmp_path / "p.png", "--model", tiny_ckpt,
            "--max-megapixels", "2000")  # fmt: skip
    assert r.exit_code == 2 and "1<=x<=1000" in r.stderr


def test_half_precision_on_a_cpu_without_bfloat16(tmp_path, media_tree, tiny_ckpt, monkeypatch):
    from colorcli import device

    monkeypatch.setattr(device, "cpu_bf16", lambda: False)
    src = media_tree / "rgb.jpg"
    r = run("image", src, tmp_path / "o.png", "--model", tiny_ckpt, "--precision", "half")
    assert r.exit_code == 1 and "no bfloat16 instructions" in r.stderr
    assert "use --precision full" in r.stderr and not (tmp_path / "o.png").exists()


def test_a_stop_signal_landing_in_a_finalizer_prints_no_traceback(capsys):
    """A stop signal that lands while a weakref callback runs cannot be raised there: Python
    printed "Exception ignored in ..." and a traceback (seen once in the SIGUSR2 test). It is
    kept quiet, and raised again at the next progress step; other such errors still print."""
    import gc
    import sys
    import weakref

    from colorcli.cli import common

    class Thing:
        pass

    common._STOPPED.clear()
    before = sys.unraisablehook
    sys.unraisablehook = common._quiet_unraisable(sys.__unraisablehook__)
    try:
        a, b = Thing(), Thing()
        kept = [weakref.ref(a, lambda _: common._on_stop_signal(15, None))]
        kept.append(weakref.ref(b, lambda _: 1 / 0))
        del a
        gc.collect()
        assert "Traceback" not in capsys.readouterr().err
        with pytest.raises(common.Terminated):
            common.stop_if_signalled()
        del b
        gc.collect()
        assert "ZeroDivisionError" in capsys.readouterr().err
    finally:
        sys.unraisablehook = before
        common._STOPPED.clear()
