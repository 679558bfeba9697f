"""Stills for a colourist: the first frame of each scene of a film, coloured by the model as a
starting point, written as ``DIR/<N>.png`` (N: the frame's 0-based number in presentation
order), to be recoloured in any editor and given back to ``colorize video --refs DIR``."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np

from colorcli.atomic import check_folder_writable
from colorcli.compose import lightness, shrink_l
from colorcli.errors import MediaError
from colorcli.events import Event, Frames, Notice, VideoDone, VideoStart
from colorcli.imageio import write_image
from colorcli.metrics import SceneCutDetector
from colorcli.videoprobe import info_of, open_input


def cut_view(l_full: np.ndarray, net_hw: tuple[int, int]) -> np.ndarray:
    """The lightness a film's cut detector sees of a frame: at half the network's size."""
    return shrink_l(l_full, net_hw)[::2, ::2]


def scene_frames(
    inp: av.container.InputContainer, net_hw: tuple[int, int], fmt: str = "rgb24"
) -> Iterator[tuple[int, np.ndarray, bool]]:
    """(number from 0, the frame as ``fmt`` pixels, whether it starts a scene) for each frame
    of ``inp``'s video, through the film's own cut detector on the lightness it sees; a
    decoding error is left to the caller."""
    stream = inp.streams.video[0]
    stream.thread_type = "AUTO"
    cuts = SceneCutDetector()  # as colorize video runs it
    for n, frame in enumerate(inp.decode(stream)):
        px = frame.to_ndarray(format=fmt)
        cut = cuts(cut_view(lightness(px), net_hw))
        yield n, px, n == 0 or cut


def write_scene_stills(
    src: Path,
    out_dir: Path,
    colorizer,
    rate: float = 24.0,
    overwrite: bool = False,
    reference: np.ndarray | None = None,
) -> Iterator[Event]:
    """Colour the first frame of each scene of ``src`` into ``out_dir/<N>.png`` (after the
    colour photo ``reference``, (h, w, 3) RGB, where one is given: ``Colorizer.colorize_like``).

    A still already there is kept (a colourist may have recoloured it) unless ``overwrite``.
    Yields VideoStart, Frames (decoded frames), Notice and a VideoDone whose ``frames`` is the
    number of stills written.
    """
    src, out_dir = Path(src), Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise MediaError(out_dir, "is a file, not a folder for the stills")
    check_folder_writable(out_dir)
    t0 = time.perf_counter()
    written = kept = n = 0
    with contextlib.closing(open_input(src, rate)) as inp:
        info = info_of(inp, src, peek=False)
        yield VideoStart(info, info.frames)
        net_hw = colorizer.net_shape(info.height, info.width)
        try:
            for i, rgb, first in scene_frames(inp, net_hw):
                n = i + 1
                yield Frames(1, time.perf_counter() - t0)
                dst = out_dir / f"{i}.png"
                if not first:
                    continue
                if dst.exists() and not overwrite:
                    kept += 1
                    continue
                still = (
                    colorizer.colorize(rgb)
                    if reference is None
                    else colorizer.colorize_like(rgb, reference)
                )
                write_image(dst, still, overwrite=overwrite)
                written += 1
        except av.error.FFmpegError as e:
            if n == 0:
                raise MediaError(src, "no video frames could be decoded") from e
            yield Notice(f"{src}: decoding stopped after frame {n - 1} ({e}); stills up to there")
    if n == 0:
        raise MediaError(src, "no video frames could be decoded")
    if kept:
        yield Notice(f"{kept} stills already in {out_dir} were kept (--overwrite replaces them)")
    yield VideoDone(written, time.perf_counter() - t0, 0, n, 0, str(out_dir))


__all__ = ["cut_view", "scene_frames", "write_scene_stills"]
