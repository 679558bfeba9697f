"""A film in segments: the plan, the joins (B-frames, VFR, 10-bit, audio, mp4 and mkv, a
boundary on a cut and one inside a scene), resume and shards against an uninterrupted run."""

from fractions import Fraction

import av
import numpy as np
import pytest

from colorcli.colorizer import Colorizer
from colorcli.errors import MediaError
from colorcli.events import Frames, Notice, VideoDone
from colorcli.options import VideoOptions
from colorcli.segments import WorkFolder, plan_segments
from colorcli.video import colorize_video, prepare_video
from tests import procs
from tests.media import make_clip, read_clip


@pytest.fixture(scope="module")
def colorizer(tiny_ckpt):
    return Colorizer(tiny_ckpt, device="cpu", batch_size=4)


def _run(colorizer, src, dst, stop_after=None, **kw):
    """Colour a film; with ``stop_after`` N, stop the run (as Ctrl-C does) once N segments of
    the work folder are finished. Returns the events."""
    kw.setdefault("segment_seconds", 2.0)
    shard, restart = kw.pop("shard", None), kw.pop("restart", False)
    job = prepare_video(src, dst, VideoOptions(**kw), True, shard=shard, restart=restart)
    events, gen = [], colorize_video(job, colorizer)
    work = WorkFolder(dst)
    for ev in gen:
        events.append(ev)
        if stop_after is not None and len(list(work.path.glob("seg-*.json"))) >= stop_after:
            gen.close()
            break
    return events


def _frames(path):
    return [f.astype(np.int16) for f in read_clip(path)["frames"]]


def test_the_plan_cuts_at_keyframes_and_inside_long_scenes(tmp_path):
    keyed = make_clip(tmp_path / "keyed.mp4", n=150, cut_at=50, audio=None, gop=50)
    sparse = make_clip(tmp_path / "sparse.mp4", n=150, cut_at=50, audio=None)  # one keyframe
    with av.open(str(keyed)) as c:
        tb = c.streams.video[0].time_base
    # keyframes every 2 s, within 1.5 times the 1.5 s asked: they are the boundaries
    plan = plan_segments(keyed, tb, VideoOptions(segment_seconds=1.5))
    assert plan.keyframes == [0, 50, 100]
    assert [(s.first, s.count) for s in plan.segments] == [(0, 50), (50, 50), (100, 50)]
    # no keyframe after the first: cut inside the GOP, 1.5 s on; a short rest stays whole
    plan = plan_segments(sparse, tb, VideoOptions(segment_seconds=1.5))
    assert plan.keyframes == [0]
    assert [(s.first, s.count) for s in plan.segments] == [(0, 38), (38, 38), (76, 38), (114, 36)]
    part = plan_segments(sparse, tb, VideoOptions(segment_seconds=2.0, start=1.0, end=5.0))
    assert len(part.pts) == 100 and part.segments[0].first == 0


@pytest.mark.parametrize(
    "name,kw,clip",
    [
        ("x264.mp4", {}, {}),
        ("x264.mkv", {}, {}),
        ("x265.mkv", {"codec": "libx265"}, {}),
        ("x265-10bit.mkv", {"codec": "libx265"}, {"pix_fmt": "yuv420p10le", "audio": None}),
        ("vfr.mkv", {}, {"rate": 30, "time_base": Fraction(1, 30), "vfr": True}),
        ("vfr.mp4", {}, {"rate": 30, "time_base": Fraction(1, 30), "vfr": True}),
        ("odd.mp4", {}, {"size": (47, 63)}),
    ],
)
def test_joined_film_keeps_frames_pts_and_audio(tmp_path, colorizer, name, kw, clip):
    n = 150
    if clip.pop("vfr", False):
        clip["pts"] = np.cumsum(np.random.default_rng(1).integers(1, 4, n)).tolist()
    src = make_clip(tmp_path / f"in{name[name.index('.') :]}", n=n, cut_at=50, **clip)
    dst = tmp_path / f"out-{name}"
    events = _run(colorizer, src, dst, **kw)
    done = events[-1]
    assert isinstance(done, VideoDone) and done.path == str(dst) and done.frames == n
    a, b = read_clip(src), read_clip(dst)
    assert b["pts"] == a["pts"] and b["time_base"] == a["time_base"]
    assert b["audio"] == a["audio"]  # copied once at the join, byte for byte
    assert (b["width"], b["height"]) == (a["width"], a["height"])
    assert not WorkFolder(dst).path.exists()
    if "10bit" in name:
        with av.open(str(dst)) as c:
            assert c.streams.video[0].codec_context.pix_fmt == "yuv420p10le"


def test_segmented_resumed_and_sharded_films_match_an_uninterrupted_one(tmp_path, colorizer):
    src = make_clip(tmp_path / "in.mkv", n=200, size=(64, 96), cut_at=90)
    ffv1 = {"codec": "ffv1"}
    whole = tmp_path / "whole.mkv"
    _run(colorizer, src, whole, segment_seconds=0, **ffv1)  # one continuous encode
    segmented = tmp_path / "segmented.mkv"
    _run(colorizer, src, segmented, **ffv1)
    resumed = tmp_path / "resumed.mkv"
    _run(colorizer, src, resumed, stop_after=2, **ffv1)  # stopped, as Ctrl-C stops it
    assert not resumed.exists() and len(list(WorkFolder(resumed).path.glob("seg-*.json"))) == 2
    events = _run(colorizer, src, resumed, **ffv1)
    assert any(isinstance(e, Notice) and e.message.startswith("resuming: 2 of") for e in events)
    sharded = tmp_path / "sharded.mkv"
    first = _run(colorizer, src, sharded, shard=(1, 2), **ffv1)
    assert first[-1].path == "" and not sharded.exists()  # half the segments: no join yet
    assert any(isinstance(e, Notice) and "left to other runs" in e.message for e in first)
    second = _run(colorizer, src, sharded, shard=(0, 2), **ffv1)
    assert second[-1].path == str(sharded)  # the run that finished the last one joined
    ref = _frames(whole)
    assert read_clip(sharded)["pts"] == read_clip(src)["pts"]
    for out in (segmented, resumed, sharded):
        got = _frames(out)
        assert len(got) == len(ref) == 200
        worst = max(float(np.abs(a - b).mean()) for a, b in zip(ref, got, strict=True))
        assert worst <= 0.5, (out.name, worst)
    # carrying the state across boundaries in one run, segments change nothing at all
    assert all(np.array_equal(a, b) for a, b in zip(ref, _frames(segmented), strict=True))


def test_a_film_reached_by_another_path_resumes_its_segments(tmp_path, colorizer):
    """A USB disk pulled out mid-film comes back mounted as DISK1 (or its folder renamed):
    the same film, the same size and time, under another path. Its finished segments were
    refused as "another input": hours of work to redo with --restart."""
    disk = tmp_path / "DISK"
    disk.mkdir()
    src = make_clip(disk / "in.mkv", n=200, size=(64, 96), cut_at=90)
    _run(colorizer, src, disk / "out.mkv", stop_after=2, codec="ffv1")
    disk.rename(tmp_path / "DISK1")
    moved = tmp_path / "DISK1"
    events = _run(colorizer, moved / "in.mkv", moved / "out.mkv", codec="ffv1")
    assert any(isinstance(e, Notice) and e.message.startswith("resuming: 2 of") for e in events)
    assert len(_frames(moved / "out.mkv")) == 200


def test_x264_resumed_film_has_the_frames_and_pts(tmp_path, colorizer):
    src = make_clip(tmp_path / "in.mp4", n=200, size=(64, 96), cut_at=120)
    dst = tmp_path / "out.mp4"
    _run(colorizer, src, dst, stop_after=1)
    _run(colorizer, src, dst)
    a, b = read_clip(src), read_clip(dst)
    assert b["pts"] == a["pts"] and b["audio"] == a["audio"]


def test_two_shards_at_once_share_the_segments_and_one_joins(tmp_path, tiny_ckpt):
    src = make_clip(tmp_path / "in.mp4", n=400, size=(240, 320))
    dst = tmp_path / "film.mp4"
    args = procs.film(src, dst, tiny_ckpt, "--segment-seconds", "2")
    runs = [procs.start(*args, "--shard", f"{k}/2") for k in range(2)]
    outs = [p.communicate(timeout=300) for p in runs]
    assert [p.returncode for p in runs] == [0, 0], [e for _, e in outs]
    others = ("left to other runs", "joined by another run", "another run is joining")
    joined = [e for _, e in outs if not any(o in e for o in others)]
    assert len(joined) == 1  # the other run left the join to the one that finished last
    a, b = read_clip(src), read_clip(dst)
    assert b["pts"] == a["pts"] and b["audio"] == a["audio"]
    assert not procs.leftovers(tmp_path)
    r = procs.run(*args, "--shard", "0/2")  # a shard that starts after the join: nothing to do
    assert r.returncode == 0 and "already joined by another run; nothing left to do" in r.stderr


def test_a_shard_that_starts_while_another_joins_leaves_no_work_folder(tmp_path, colorizer):
    src = make_clip(tmp_path / "in.mp4", n=60, size=(96, 128), audio=None)
    dst = tmp_path / "film.mkv"
    opts = VideoOptions(segment_seconds=1.0)
    late = prepare_video(src, dst, opts, False, shard=(1, 2))  # checked before the join
    _run(colorizer, src, dst, segment_seconds=1.0)  # another run does it all and joins
    before = dst.read_bytes()
    events = list(colorize_video(late, colorizer))
    assert any(
        "already joined by another run" in e.message for e in events if isinstance(e, Notice)
    )
    assert not WorkFolder(dst).path.exists() and dst.read_bytes() == before
    assert not procs.leftovers(tmp_path)


def test_a_second_run_of_one_film_that_ends_after_the_first_replaces_nothing(tmp_path, colorizer):
    """Two runs of one command at once: the one checked before the other wrote the film.
    It made an "unexpected error ... please report it" of the other's output at its commit,
    and left its work folder behind."""
    src = make_clip(tmp_path / "in.mp4", n=60, size=(96, 128), audio=None)
    dst = tmp_path / "film.mkv"
    opts = VideoOptions(segment_seconds=1.0)
    late = prepare_video(src, dst, opts, False)  # checked before the other run's join
    _run(colorizer, src, dst, segment_seconds=1.0)  # the other run does it all and joins
    before = dst.read_bytes()
    events = list(colorize_video(late, colorizer))
    assert any(
        "already joined by another run" in e.message for e in events if isinstance(e, Notice)
    )
    assert dst.read_bytes() == before and not procs.leftovers(tmp_path)
    # the other run's film appears while this one colours its segments: none replaced
    other = b"another run's film"
    dst.unlink()
    late = prepare_video(src, dst, opts, False)
    events = []
    for ev in colorize_video(late, colorizer):
        events.append(ev)
        if not dst.exists() and isinstance(ev, Frames):
            dst.write_bytes(other)  # once this run colours frames
    said = [e.message for e in events if isinstance(e, Notice)]
    assert said == [f"{dst}: joined by another run"]
    assert dst.read_bytes() == other and not procs.leftovers(tmp_path)


def test_one_encode_that_finds_its_film_written_meanwhile_keeps_it(tmp_path, colorizer):
    src = make_clip(tmp_path / "in.mp4", n=20, size=(64, 96), audio=None)
    dst = tmp_path / "film.mkv"
    late = prepare_video(src, dst, VideoOptions(segment_seconds=0), False)
    dst.write_bytes(b"another run's film")
    with pytest.raises(MediaError, match="exists already: another run wrote it after this"):
        list(colorize_video(late, colorizer))
    assert dst.read_bytes() == b"another run's film" and not procs.leftovers(tmp_path)
    dst.unlink()  # written by a program that claims nothing, while this one encodes
    late = prepare_video(src, dst, VideoOptions(segment_seconds=0), False)
    with pytest.raises(MediaError, match="written by another run while this one was colouring"):
        for ev in colorize_video(late, colorizer):
            if not dst.exists() and isinstance(ev, Frames):  # once under way
                dst.write_bytes(b"another program's film")
    assert dst.read_bytes() == b"another program's film" and not procs.leftovers(tmp_path)


def test_shard_needs_segments_and_a_valid_share(tmp_path, tiny_ckpt):
    src = make_clip(tmp_path / "in.mp4", n=10, audio=None)
    r = procs.run("video", src, tmp_path / "o.mp4", "--model", tiny_ckpt, "--shard", "2/2")
    assert r.returncode == 1 and "0 <= K < N" in r.stderr
    r = procs.run(
        "video", src, tmp_path / "o.mp4", "--model", tiny_ckpt, "--shard", "0/2",
        "--segment-seconds", "0",
    )  # fmt: skip
    assert r.returncode == 1 and "--shard spreads a film's segments" in r.stderr


def test_what_differs_from_an_unfinished_run_is_said_in_words():
    """The refusal to reuse another command's unfinished work listed raw fingerprints ('input
    mtime 1796412599065309349 (now 1796412599113938591)', the stills' hashes); it now says
    what differs: another input, the input changed since, other stills, an option's values."""
    from colorcli.segments import differences

    then = {"input": "/a/take1.mkv", "input size": 10, "input mtime": 5, "--crf": 18,
            "--refs": {"0:0.png": [1, 2]}, "--model": "abc"}  # fmt: skip
    other = {**then, "input": "/a/take2.mkv", "input size": 11, "input mtime": 6}
    assert differences(then, other) == ["another input (/a/take1.mkv then)"]
    touched = {**then, "input mtime": 7}
    assert differences(then, touched) == ["the input has changed since"]
    changed = {**then, "--crf": 30, "--refs": {"0:0.png": [1, 3]}, "--model": "def"}
    assert differences(then, changed) == [
        "--crf 18 (now 30)",
        "another model",
        "other stills (--refs)",
    ]
    assert differences(then, dict(then)) == []


@pytest.mark.parametrize("seconds", [0.0, 1.0])
def test_a_film_that_changes_while_it_is_coloured_is_not_finished(tmp_path, colorizer, seconds):
    """A film still being copied, or cut short meanwhile: it was written as a finished,
    "damaged" film of its first frames (one encode), or stopped with "an unfinished
    recording: its index was never written" (segments)."""
    src = make_clip(tmp_path / "in.mp4", n=150, size=(96, 128))
    dst = tmp_path / "film.mkv"
    job = prepare_video(src, dst, VideoOptions(segment_seconds=seconds), False)
    whole = src.read_bytes()
    with pytest.raises(MediaError) as e:
        for ev in colorize_video(job, colorizer):
            if isinstance(ev, Frames) and src.stat().st_size == len(whole):
                src.write_bytes(whole[: len(whole) // 3])  # once it colours frames
    assert str(e.value).startswith(f"{src}: changed while it was being coloured (")
    assert f"({len(whole)} bytes when the run began, {len(whole) // 3} now)" in str(e.value)
    assert ("--restart" in str(e.value)) == (seconds > 0)
    assert not dst.exists() and not list(tmp_path.glob("*.damaged*"))
