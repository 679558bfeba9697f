"""A film coloured segment by segment into the work folder beside OUT, then joined.

A run takes the segments of its share that are neither finished nor claimed by another live
run, in order. It colours them as one stretch: one reader, one colourer, and a new encoder at
each boundary (the one before finishes on its own thread, so the stretch never waits). A
stretch that starts cold (after a crash, on a shard, or past a segment another run holds)
decodes from the keyframe before its first segment and colours a few frames there that it does
not write, so that the smoother and the keys are what a whole run would have. Each finished
segment is renamed into place with a record of its frames; a rerun reuses it. Whichever run
finds every segment finished joins them (``colorcli.join``) and removes the folder.
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import json
import threading
import time
from collections.abc import Iterator

import numba

from colorcli.atomic import Claim, commit, temp_sibling, write_bytes_atomic
from colorcli.compose import pick_route
from colorcli.errors import MediaError, TimesRestart
from colorcli.events import Event, Frames, Notice, VideoDone
from colorcli.film import AbPredictor, side_threads
from colorcli.filmjob import no_frames
from colorcli.filmout import pick_pix_fmt
from colorcli.filmreader import FilmReader
from colorcli.join import join_segments
from colorcli.metrics import TemporalMeter
from colorcli.runid import fingerprint
from colorcli.segments import Plan, Segment, WorkFolder, plan_segments, share
from colorcli.videoio import FilmWriter
from colorcli.videoprobe import (
    film_stream,
    open_input,
    read_as,
)
from colorcli.words import counted

_QUEUE_FRAMES = 8


@dataclasses.dataclass
class _Tally:
    frames: int = 0
    kept: int = 0  # of them, written as they came (--keep-colour)
    bad_packets: int = 0
    meters: dict[int, TemporalMeter] = dataclasses.field(default_factory=dict)


class _SegmentWriter:
    """One segment's encoder: frames in, then finished on a thread of its own, renamed into
    the work folder with its record, and the claim given back."""

    def __init__(self, job, seg: Segment, claim: Claim, work: WorkFolder, inp, route, meter, depth):
        self.seg, self.claim, self.work = seg, claim, work
        self.path = work.segment(seg.index)
        self.tmp = temp_sibling(self.path)
        self.stop = threading.Event()
        self.w = FilmWriter(
            job.dst, self.tmp, job.fmt, inp, job.info, job.opts, self.stop, depth, True
        )
        threads = numba.get_num_threads()
        self.w.start(
            route.new_frame,
            route.color_tags,
            (lambda vf: meter.update(route.to_rgb8(vf))) if meter is not None else None,
            lambda: numba.set_num_threads(threads),
        )
        self.finisher: threading.Thread | None = None
        self.error: BaseException | None = None
        self.bad_start = 0  # the reader's undecodable packets when this segment opened
        self.bad_packets = 0  # of the reader's, while this segment was being decoded
        self.rescaled = 0  # its frames of another size, scaled (counted at the finish)
        self.collided = 0  # its frames passed over for another's time (counted at the finish)
        self.first_pts: int | None = None  # the input time of the first frame written

    @property
    def end(self) -> int:
        return self.seg.first + self.seg.count

    def put(self, c) -> None:
        if self.w.error is not None:
            raise self.w.error
        if self.first_pts is None:
            self.first_pts = int(c.pts)
        self.w.put(("frame", c.pts, c.payload, c.ab))

    def _finish(self) -> None:
        try:
            self.w.finish()
            if self.w.encoded:
                commit(self.tmp, self.path, overwrite=True)
            else:  # no frame of it decoded: its record says so, and the join passes it by
                with contextlib.suppress(FileNotFoundError):
                    self.tmp.unlink()
            record = {
                "frames": self.w.encoded,
                "bad_packets": self.bad_packets,
                "rescaled": self.rescaled,
                "collided": self.collided,
            }
            if self.first_pts is not None:
                # where its first frame belongs: not the plan's first frame where that one did
                # not decode (a recording that starts mid-GOP; damage at the segment's start)
                record["first_pts"] = self.first_pts
            write_bytes_atomic(self.work.record(self.seg.index), json.dumps(record).encode())
        except BaseException as e:
            self.error = e
            self.abort()
        finally:
            self.claim.release()

    def finish_async(self, reader, plan: Plan) -> None:
        """Finish on a thread of its own, with what the reader met while decoding it."""
        self.bad_packets = reader.bad_packets - self.bad_start
        self.rescaled = _count_in(reader.rescaled, plan, self.seg)
        self.collided = _count_in(reader.collided, plan, self.seg)
        self.finisher = threading.Thread(target=self._finish, name="colorcli-segment", daemon=True)
        self.finisher.start()

    def wait(self) -> None:
        if self.finisher is not None:
            self.finisher.join()
        if self.error is not None:
            raise self.error

    def abort(self) -> None:
        self.w.abort()
        with contextlib.suppress(FileNotFoundError):
            self.tmp.unlink()
        self.claim.release()


def _claim_first(plan: Plan, work: WorkFolder, todo: list[Segment]):
    """The first segment of ``todo`` this run can take, claimed; (None, None) if none."""
    for seg in todo:
        claim = Claim(work.segment(seg.index), make_folder=False)
        if claim.acquire():
            if not work.done(seg.index):
                return seg, claim
            claim.release()
    return None, None


def _stretch(job, colorizer, plan, work, todo, every, tally, t0) -> Iterator[Event]:
    """Colour consecutive segments of ``todo`` from the first one free; returns whether any."""
    seg, claim = _claim_first(plan, work, todo)
    if seg is None:
        return False
    mine = {s.index for s in todo}
    warm = plan.warm_start(seg, every) if seg.first > 0 else 0
    writers: list[_SegmentWriter] = []
    with side_threads(), contextlib.closing(open_input(job.src, job.opts.rate)) as inp:
        vin = film_stream(inp)
        vin.thread_type = "AUTO"
        stop = threading.Event()
        deep = job.info.bit_depth > 8
        pix_fmt = pick_pix_fmt(job.opts.codec, job.info.width, job.info.height, deep)[0]
        route = pick_route(vin.codec_context, deep, pix_fmt, job.opts.keep_colour, job.negative)
        depth = colorizer.batch_size * every + _QUEUE_FRAMES
        reader = FilmReader(
            job.src, inp, job.info, route.decode_format, route.luma_only, job.opts, {}, stop, depth
        )
        # the film's own first frame needs no seek (a cut-off AVI, with no index, cannot
        # seek back to it: the landing is past its only keyframe)
        from_top = warm == 0 and job.opts.start is None
        reader.seek_pts = None if from_top else plan.seek_pts(warm)
        reader.first_pts = plan.pts[warm]
        colourer = job.colourer(colorizer, route, every)

        def open_writer(s: Segment, c: Claim) -> _SegmentWriter:
            meter = TemporalMeter() if job.opts.stats else None
            if meter is not None:
                tally.meters[s.index] = meter
            writers.append(_SegmentWriter(job, s, c, work, inp, route, meter, depth))
            writers[-1].bad_start = reader.bad_packets
            return writers[-1]

        current = open_writer(seg, claim)
        for n in current.w.notices:
            yield Notice(n)
        try:
            reader.start()
            halted = False
            for item in reader:
                ready = colourer.add(item[1], item[2], bisect.bisect_left(plan.pts, item[1]))
                current, halted = _route(ready, current, plan, work, mine, open_writer, reader)
                _let_go(writers, tally)
                if ready:
                    yield Frames(sum(c.index >= seg.first for c in ready), time.perf_counter() - t0)
                if halted:
                    break
            if not halted:
                flushed = colourer.flush()
                current, halted = _route(flushed, current, plan, work, mine, open_writer, reader)
            if not halted:  # a halted stretch finished its last segment at the boundary
                current.finish_async(reader, plan)
            for w in writers:
                w.wait()
        finally:
            stop.set()
            reader.join()
            for w in writers:
                if w.finisher is None:
                    w.abort()
                else:
                    w.finisher.join()
    tally.frames += sum(w.w.encoded for w in writers)
    tally.kept += sum(w.w.kept for w in writers)
    tally.bad_packets += reader.bad_packets
    return True


def _let_go(writers: list[_SegmentWriter], tally: _Tally) -> None:
    """Let go of the segments finished (their frames counted, an error raised): each held its
    encoder, and x264's buffers with it, to the end of the run: about 28 MiB a segment at
    640x272, so a two-hour film (1,440 segments of 5 s) ran out of memory."""
    for w in [w for w in writers if w.finisher is not None and not w.finisher.is_alive()]:
        w.wait()
        tally.frames += w.w.encoded
        tally.kept += w.w.kept
        writers.remove(w)


def _count_in(marked, plan, seg: Segment) -> int:
    """How many of ``marked`` (pts the reader records, rising: frames of another size,
    frames passed over) fall in the segment (every frame of it has been decoded by the time
    it finishes)."""
    lo, hi = plan.pts[seg.first], plan.pts[seg.first + seg.count - 1]
    return bisect.bisect_right(marked, hi) - bisect.bisect_left(marked, lo)


def _route(ready, current, plan, work, mine, open_writer, reader):
    """Send coloured frames to their segment's encoder, opening the next at each boundary;
    (the encoder now in use, whether the stretch ends: the next segment is not ours to do)."""
    for c in ready:
        if c.index < current.seg.first:
            continue  # warm-up: coloured for the state it leaves, not written
        while c.index >= current.end:
            current.finish_async(reader, plan)
            nxt = current.seg.index + 1
            claim = Claim(work.segment(nxt), make_folder=False) if nxt in mine else None
            if claim is None or not claim.acquire() or work.done(nxt):
                if claim is not None:
                    claim.release()
                reader.halt()
                return current, True
            current = open_writer(plan.segments[nxt], claim)
        current.put(c)
    return current, False


def colorize_segmented(job, colorizer: AbPredictor) -> Iterator[Event]:
    """Colour this run's share of the film's segments; join them once all are finished."""
    t0 = time.perf_counter()
    every = job.opts.keyframes_for(colorizer.device_type)
    work = WorkFolder(job.dst)
    had = work.open(fingerprint(job, colorizer, every), job.restart)
    if job.refs is not None and job.refs.keep is not None:  # a resume needs no new pass
        job.refs.keep(work.path)
        job.refs.keep = None  # and what it held (--reference's stills) is let go
    if (joined := job.written_meanwhile()) is not None:
        # another run joined the film between this run's start and now: the folder is stray
        work.remove()
        yield Notice(f"{joined}: already joined by another run; nothing left to do")
        yield VideoDone(0, time.perf_counter() - t0, 0, job.promised, 0, str(job.dst))
        return
    plan = work.load_plan()
    if plan is not None and plan.retimed and read_as(job.src) is None:
        # an earlier run planned on the film's copy whose times run on: read that again
        raise TimesRestart(job.src, 0.0, 0.0)
    if plan is None:
        plan = plan_segments(job.src, job.info.time_base, job.opts, job.info.shared_duration)
        work.save_plan(plan)
    if not plan.pts:
        work.remove()
        raise no_frames(job.src, job.opts)
    total = len(plan.segments)
    if had:
        yield Notice(
            f"resuming: {work.finished(plan)} of {total} segments were finished by an earlier run and are kept"
        )
    mine = share(plan, job.shard) if job.shard else plan.segments
    tally = _Tally()
    while True:
        todo = [s for s in mine if not work.done(s.index)]
        if not todo or not (
            yield from _stretch(job, colorizer, plan, work, todo, every, tally, t0)
        ):
            break
    if not work.path.exists():  # another run finished the last segment and joined
        yield Notice(f"{job.dst}: joined by another run")
        yield VideoDone(
            tally.frames, time.perf_counter() - t0, 0, job.promised, 0, str(job.dst),
            kept=tally.kept,
        )  # fmt: skip
        return
    left = total - work.finished(plan)
    if left:
        yield Notice(
            f"{left} of {counted(total, 'segment')} {'is' if left == 1 else 'are'} left to other runs (another shard, or a run colouring them now); whichever run finishes the last one joins the film"
        )
        yield VideoDone(
            tally.frames, time.perf_counter() - t0, 0, job.promised, tally.bad_packets, "",
            kept=tally.kept,
        )  # fmt: skip
        return
    yield from _join(job, plan, work, tally, t0)


def _join(job, plan: Plan, work: WorkFolder, tally: _Tally, t0: float) -> Iterator[Event]:
    claim = Claim(job.dst)
    held = claim.acquire()
    if held and (joined := job.written_meanwhile()) is not None:
        work.remove()  # the other run's folder, or this run's made again as it ended
        claim.release()
        yield Notice(f"{joined}: joined by another run")
        yield VideoDone(
            tally.frames, time.perf_counter() - t0, 0, job.promised, 0, str(joined),
            kept=tally.kept,
        )  # fmt: skip
        return
    if not held or not work.path.exists():  # joining, or joined, by another run
        claim.release()
        yield Notice(f"{job.dst}: another run is joining the segments")
        yield VideoDone(
            tally.frames, time.perf_counter() - t0, 0, job.promised, tally.bad_packets, "",
            kept=tally.kept,
        )  # fmt: skip
        return
    tmp = temp_sibling(job.dst)
    try:
        records = [work.read_record(s.index) for s in plan.segments]
        written = sum(r["frames"] for r in records)
        if written == 0:  # nothing to resume: a rerun (a fixed input, a newer version) starts anew
            work.remove()
            raise MediaError(job.src, "no video frames could be decoded")
        bad = sum(r["bad_packets"] for r in records)
        window = (job.opts.start, job.opts.end)
        notices = join_segments(
            job.src, tmp, job.dst, job.fmt, job.info, work, plan, window, job.opts.rate
        )
        leading = plan.keyframes[0] if plan.keyframes else 0  # frames before the first key
        lost, promised = job.account(
            written, plan.pts, leading, plan.discarded, plan.end, plan.last_duration, bad
        )
        final = job.damaged_dst if lost and job.damaged_dst is not None else job.dst
        job.commit(tmp, final)
        work.remove()
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        claim.release()
    for n in notices:
        yield Notice(n)
    rescaled = sum(r.get("rescaled", 0) for r in records)
    if rescaled:
        yield Notice(job.rescaled_notice(rescaled))
    collided = sum(r.get("collided", 0) for r in records)
    if collided:
        yield Notice(job.collided_notice(collided))
    damage = job.damage(written, lost, promised, bad)
    if damage is not None:
        yield damage
    stats = None
    if tally.meters:
        ordered = [tally.meters[i] for i in sorted(tally.meters)]
        for m in ordered[1:]:
            ordered[0].merge(m)
        stats = ordered[0].as_dict()
    yield VideoDone(
        tally.frames, time.perf_counter() - t0, lost, promised, bad, str(final), stats,
        kept=tally.kept,
    )  # fmt: skip


__all__ = ["colorize_segmented"]
