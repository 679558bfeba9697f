"""Files whose names are as long as a file name may be (255 bytes): coloured like any other,
their temporaries, claims and work folders named within the limit, their leftovers swept."""

from __future__ import annotations

import os

import cv2
import numpy as np
from click.testing import CliRunner

from colorcli.atomic import lock_sibling, sweep_stale, temp_sibling
from colorcli.cli import main
from tests import procs
from tests.conftest import gradient_rgb
from tests.media import make_clip

NAME_MAX = 255


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_a_photo_and_a_film_with_the_longest_names_are_coloured(tmp_path, tiny_ckpt):
    src = tmp_path / "in"
    src.mkdir()
    gray = gradient_rgb(40, 60, seed=1)[..., 0]
    long_photo = "é" * 60 + "p" * (NAME_MAX - 120 - 4) + ".jpg"  # 255 bytes in UTF-8
    assert len(long_photo.encode()) == NAME_MAX
    cv2.imwrite(str(src / "short.jpg"), gray)
    (src / long_photo).write_bytes((src / "short.jpg").read_bytes())
    long_film = "f" * (NAME_MAX - 4) + ".mp4"
    make_clip(src / long_film, n=8, audio=None)
    r = run("dir", src, "-o", tmp_path / "out", "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.stderr
    for name in ("short.jpg", long_photo, long_film):
        assert (tmp_path / "out" / name).stat().st_size > 0
    assert sorted(os.listdir(tmp_path / "out")) == sorted(["short.jpg", long_photo, long_film])
    r = run("dir", src, "-o", tmp_path / "out", "--model", tiny_ckpt, "-q")  # again: all there
    assert r.exit_code == 0 and "0 colorized, 3 skipped" in r.stderr, r.stderr
    out = cv2.imread(str(tmp_path / "out" / long_photo))
    assert np.abs(out[..., 2].astype(int) - out[..., 0]).max() > 0  # coloured
    r = run("video", src / long_film, tmp_path / "seg" / long_film, "--model", tiny_ckpt,
            "--segment-seconds", "0.1", "-q")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert os.listdir(tmp_path / "seg") == [long_film]


def test_the_leftovers_of_a_long_named_output_are_named_within_the_limit_and_swept(tmp_path):
    final = tmp_path / ("x" * (NAME_MAX - 4) + ".png")
    tmp, lock = temp_sibling(final), lock_sibling(final)
    for p in (tmp, lock):
        assert len(p.name.encode()) <= NAME_MAX and p.parent == final.parent
    other = tmp_path / ("x" * (NAME_MAX - 5) + "y.png")  # the same start: other leftovers
    assert temp_sibling(other).name != tmp.name and lock_sibling(other).name != lock.name
    # a dead writer's leftovers (another machine's process): its temporary and its lock file
    orphan = tmp.with_name(tmp.name.split(".colorcli-tmp-")[0] + ".colorcli-tmp-elsewhere-1.png")
    orphan.write_bytes(b"half a picture")
    lock.touch()
    keep = tmp_path / "x.png"  # not the output asked about: stays
    temp_sibling(keep).write_bytes(b"another's")
    assert sweep_stale([final]) == 2
    assert not orphan.exists() and not lock.exists() and temp_sibling(keep).exists()


def test_an_output_name_longer_than_a_file_name_may_be_fails_that_file_alone(tmp_path, tiny_ckpt):
    """A film read but written as .mkv whose name is already 255 bytes long: as a .vob its
    output's name fits (and the names of its kin, .dvr-ms, looked for beside it, need not);
    as a .tp it cannot: that file fails in one line, the others are coloured."""
    src = tmp_path / "in"
    src.mkdir()
    make_clip(tmp_path / "a.mp4", n=6, audio=None)
    tp = "p" * (NAME_MAX - 3) + ".tp"
    vob = "v" * (NAME_MAX - 4) + ".vob"
    for name in (tp, vob):
        (src / name).write_bytes((tmp_path / "a.mp4").read_bytes())
    cv2.imwrite(str(src / "ok.jpg"), gradient_rgb(40, 60, seed=1)[..., 0])
    r = run("dir", src, "-o", tmp_path / "out", "--model", tiny_ckpt, "-q")
    assert r.exit_code == 1
    lines = [x for x in r.stderr.splitlines() if "longer than a file name may be" in x]
    # said as it happens and in the summary
    assert lines and all(tp in x for x in lines) and "unexpected" not in r.stderr, r.stderr
    assert sorted(os.listdir(tmp_path / "out")) == ["ok.jpg", vob[:-4] + ".mkv"]  # nothing else
    assert "1 failed" in r.stderr
    r = run("dir", src, "-o", tmp_path / "out", "--model", tiny_ckpt, "-q")  # again
    assert r.exit_code == 1 and "0 colorized, 2 skipped (already there), 1 failed" in r.stderr
    assert "unexpected" not in r.stderr, r.stderr
    r = run("image", src / "ok.jpg", tmp_path / ("o" * 300 + ".png"), "--model", tiny_ckpt, "-q")
    assert r.exit_code == 1 and "longer than a file name may be" in r.stderr
    assert "unexpected" not in r.stderr
    for cmd, film in [("image", src / "ok.jpg"), ("video", tmp_path / "a.mp4")]:
        long = tmp_path / ("o" * 300 + ".mkv")  # a too-long name, as SRC among several and DST
        r = run(cmd, film, long, tmp_path / "out", "--model", tiny_ckpt, "-q")
        assert r.exit_code == 1 and f"{long}: no such file" in r.stderr
        assert "unexpected" not in r.stderr, r.stderr
        r = run(cmd, film, long, "--model", tiny_ckpt, "-q")
        assert r.exit_code == 1 and "unexpected" not in r.stderr, r.stderr


def test_a_named_pipe_or_socket_among_the_photos_is_named_and_not_read(tmp_path, tiny_ckpt):
    """A pipe named like a photo would hang a run that opened it (no writer ever comes): it is
    listed as not a file, the photos beside it are coloured, the run ends."""
    import socket

    src = tmp_path / "in"
    src.mkdir()
    cv2.imwrite(str(src / "ok.jpg"), gradient_rgb(40, 60, seed=1)[..., 0])
    os.mkfifo(src / "pipe.jpg")
    os.mkfifo(src / "tune.mod")  # a .mod is looked into (tracker music or a camcorder's film)
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(src / "sock.png"))
    r = procs.run("dir", src, "-o", tmp_path / "out", "--model", tiny_ckpt, "-q", timeout=120)
    sock.close()
    assert r.returncode == 0, r.stderr
    assert os.listdir(tmp_path / "out") == ["ok.jpg"]
    for name, kind in (
        ("pipe.jpg", "a named pipe"),
        ("tune.mod", "a named pipe"),
        ("sock.png", "a socket"),
    ):
        assert f"{src / name}: {kind}, not a file: not read" in r.stderr, r.stderr


def test_an_input_name_longer_than_a_file_name_may_be_is_one_line(tmp_path, tiny_ckpt):
    """A path typed or pasted with a part over 255 bytes: was "unexpected OSError: File name
    too long ... please report it" from video, dir and scenes."""
    long = tmp_path / ("o" * 300)
    for args in [
        ("video", f"{long}.mkv", tmp_path / "x.mkv"),
        ("dir", long, "-o", tmp_path / "x"),
        ("scenes", f"{long}.mkv", tmp_path / "stills"),
        ("scenes", make_clip(tmp_path / "a.mp4", n=4, audio=None), long / "stills"),
    ]:
        r = run(*args, "--model", tiny_ckpt, "-q")
        assert r.exit_code == 1, r.stderr
        assert r.stderr.startswith("error: ") and r.stderr.count("\n") == 1
        assert "longer than a file name may be" in r.stderr and "unexpected" not in r.stderr


def test_a_name_a_usb_disk_refuses_is_said_so(tmp_path, tiny_ckpt, monkeypatch):
    """exFAT, FAT and NTFS (a USB stick, a camera card) answer EINVAL to a name holding : * ?
    and the like, which Linux names may hold: "cannot write here (Invalid argument)" said
    nothing of why."""
    import errno

    src = tmp_path / "in"
    (src / "trip: 1985").mkdir(parents=True)
    cv2.imwrite(str(src / "trip: 1985" / "a.png"), gradient_rgb(40, 60, seed=1)[..., 0])
    cv2.imwrite(str(src / "b?.png"), gradient_rgb(40, 60, seed=2)[..., 0])
    cv2.imwrite(str(src / "ok.png"), gradient_rgb(40, 60, seed=3)[..., 0])
    out = tmp_path / "usb"
    real_open, real_mkdir = os.open, os.mkdir

    def refused(path):
        rel = os.fspath(path)[len(os.fspath(out)) :]
        if os.fspath(path).startswith(os.fspath(out)) and any(c in rel for c in ":?"):
            raise OSError(errno.EINVAL, "Invalid argument", os.fspath(path))

    def fat_open(path, *a, **kw):
        refused(path)
        return real_open(path, *a, **kw)

    def fat_mkdir(path, *a, **kw):
        refused(path)
        return real_mkdir(path, *a, **kw)

    monkeypatch.setattr(os, "open", fat_open)
    monkeypatch.setattr(os, "mkdir", fat_mkdir)
    r = run("dir", src, "-o", out, "--model", tiny_ckpt, "-q")
    assert r.exit_code == 1
    assert "1 colorized, 0 skipped (already there), 2 failed" in r.stderr
    assert (out / "ok.png").exists()
    said = "which this disk does not take in names (exFAT, FAT and NTFS disks refuse"
    assert f"  {src / 'b?.png'}: " in r.stderr and f"a name in its path holds ?, {said}" in r.stderr
    assert f"a name in its path holds :, {said}" in r.stderr


def test_names_that_differ_only_in_case_on_a_disk_that_ignores_case(
    tmp_path, tiny_ckpt, monkeypatch
):
    """IMG_1.JPG and img_1.jpg (a Linux archive) onto a USB stick or a Mac's disk, which take
    both names for one file: the second was refused as "exists already", and on a rerun taken
    for done, never coloured."""
    from colorcli import casefold

    src = tmp_path / "in"
    src.mkdir()
    cv2.imwrite(str(src / "IMG_1.JPG"), gradient_rgb(40, 60, seed=1)[..., 0])
    cv2.imwrite(str(src / "img_1.jpg"), gradient_rgb(40, 60, seed=2)[..., 0])
    assert not casefold.ignores_case(tmp_path)  # this disk tells them apart: written as named
    r = run("dir", src, "-o", tmp_path / "here", "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0 and "ignores the case" not in r.stderr
    assert sorted(os.listdir(tmp_path / "here")) == ["IMG_1.JPG", "img_1.jpg"]
    monkeypatch.setattr(casefold, "ignores_case", lambda folder: True)
    out = tmp_path / "usb"
    r = run("dir", src, "-o", out, "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.stderr
    assert sorted(os.listdir(out)) == ["IMG_1.JPG", "img_1 (2).jpg"]
    assert (
        f"notice: {out} is on a disk that ignores the case of names: 1 output whose names differ "
        f"from another's only in case is written as '<name> (2)' (the first: {src / 'img_1.jpg'} "
        "-> img_1 (2).jpg)" in r.stderr
    )
    r = run("dir", src, "-o", out, "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0 and "0 colorized, 2 skipped (already there)" in r.stderr
    usb = tmp_path / "usb2"  # the two given as files, as a shell's glob gives them
    usb.mkdir()
    r = run("image", src / "IMG_1.JPG", src / "img_1.jpg", usb, "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0 and "ignores the case of names" in r.stderr
    assert sorted(os.listdir(usb)) == ["IMG_1.JPG", "img_1 (2).jpg"]
