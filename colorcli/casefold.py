"""Output folders on disks that ignore the case of names (exFAT and FAT: a USB stick or a camera
card; macOS's APFS as it comes; a Windows share): two outputs whose names differ only in case
(``IMG_1.JPG`` and ``img_1.jpg``, both legal in a Linux archive) would be one file there.

Before, the second was refused as "exists already" on the first run, and on a rerun taken for
done, never coloured. Where an archive's outputs hold such twins and the disk they go to ignores
case, each twin after the first is written as ``<stem> (2)<ext>`` (3, ...), the same on every
rerun. No model, no pictures.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections import defaultdict
from pathlib import Path


def ignores_case(folder: Path) -> bool:
    """Whether the disk of ``folder`` (or of its nearest existing parent) takes two names that
    differ only in case for one file: a probe file is made there and looked for in capitals.
    False where nothing can be written there (then nothing can be coloured there either)."""
    here = next((p for p in (folder, *folder.parents) if p.is_dir()), None)
    if here is None:
        return False
    probe = here / f".colorcli-case-probe-{os.getpid()}"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT, 0o644))
    except OSError:
        return False
    try:
        return (here / probe.name.upper()).exists()
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()


def twins(outputs: list[Path]) -> list[list[int]]:
    """Groups of indices into ``outputs`` whose paths differ only in case (each in order)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, path in enumerate(outputs):
        groups[str(path).casefold()].append(i)
    return [g for g in groups.values() if len(g) > 1]


def separate(jobs: list, folder: Path) -> list[tuple]:
    """Of ``jobs`` (each with a ``dst``), those whose outputs are twins on the disk of
    ``folder`` if it ignores case: (the job, the job with a name of its own) for each twin
    after the first; [] where there are none or the disk tells case apart."""
    groups = twins([j.dst for j in jobs])
    if not groups or not ignores_case(folder):
        return []
    taken = {str(j.dst).casefold() for j in jobs}
    moved = []
    for group in groups:
        for n, i in enumerate(group[1:], start=2):
            moved.append((jobs[i], dataclasses.replace(jobs[i], dst=_apart(jobs[i].dst, n, taken))))
    return moved


def _apart(path: Path, n: int, taken: set[str]) -> Path:
    """``path`` as the ``n``-th of its twins (``stem (n).ext``, or the next number free)."""
    while True:
        new = path.with_name(f"{path.stem} ({n}){path.suffix}")
        if str(new).casefold() not in taken:
            taken.add(str(new).casefold())
            return new
        n += 1
