"""The stills that guide a film (``--refs``, or those made after ``--reference``), after the pass
over its scenes that they need: a pass kept in the run's work folder is taken from there."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

from colorcli.events import Event, Scanned
from colorcli.film import AbPredictor
from colorcli.filmjob import VideoJob
from colorcli.refs import RefGuide, load_refs, read_reference


def film_guide(job: VideoJob, colorizer: AbPredictor) -> Generator[Event, None, RefGuide]:
    """The stills of ``--refs`` (or made after ``--reference``) for this film, with Scanned
    events while the pass over the film that they need runs. That pass is taken from the work
    folder where an earlier run or another shard kept it; a new one is kept there once the
    folder is open (``guide.keep``)."""
    from colorcli.guide import palette_of
    from colorcli.runid import fingerprint
    from colorcli.scenestarts import (
        keep_pass,
        kept_pass,
        pass_key,
        reference_pass,
        scan_until,
        scene_pass,
    )
    from colorcli.segments import WorkFolder

    bins = colorizer.ab_bins if colorizer.takes_hints else None
    palettes = None if bins is None else (lambda ab: palette_of(ab, bins))
    net_hw = colorizer.net_shape(job.info.height, job.info.width)
    until = scan_until(job.opts.end)
    every = job.opts.keyframes_for(colorizer.device_type)
    key = pass_key(fingerprint(job, colorizer, every), net_hw, until)
    # (--restart: the folder, and the stills kept in it, go when the run opens it)
    kept = kept_pass(WorkFolder(job.dst).path, key) if job.segmented and not job.restart else None
    reads = job.promised  # frames the pass will read, where known (--end: about until x rate)
    if until is not None and job.info.rate:
        within = int((until - job.origin) * float(job.info.rate)) + 1
        reads = min(reads, within) if reads else within
    if job.opts.reference is not None:
        ref, note = read_reference(job.opts.reference)
        notes = [note] if note else []
        if kept is not None and kept[2] is not None:
            return RefGuide(kept[2], kept[0], palettes, notes)
        made_by = reference_pass(
            job.src,
            job.opts.rate,
            net_hw,
            colorizer,
            ref,
            palettes,
            notes,
            until,
            job.info.turns,
            job.printer,
        )
        guide = yield from _scanned(made_by, reads)
        made = {n: s.source for n, s in guide.stills.items()}
        guide.keep = lambda folder: guide.held_in(
            keep_pass(folder, key, guide.starts, 0, made) or {}
        )
        return guide
    if kept is not None:
        starts, counted = kept[:2]
    else:
        found_by = scene_pass(job.src, job.opts.rate, net_hw, until, job.printer)
        starts, counted = yield from _scanned(found_by, reads)
    scenes = (starts, counted, until is None)
    frame = (job.info.width, job.info.height, float(job.info.sar or 1))
    guide = load_refs(Path(job.opts.refs), scenes, job.promised, palettes, job.info.turns, frame)
    if kept is None:
        guide.keep = lambda folder: keep_pass(folder, key, starts, counted)
    return guide


def _scanned(pass_: Generator[int, None, Any], total: int | None) -> Generator[Event, None, Any]:
    """A pass's frame counts as Scanned events; returns what the pass returns."""
    while True:
        try:
            n = next(pass_)
        except StopIteration as stop:
            return stop.value
        yield Scanned(n, total or None)


__all__ = ["film_guide"]
