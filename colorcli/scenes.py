"""Stills for a colourist: a frame of each scene of a film (its first, or where that is dim, its
clearest in the first second), coloured by the model as a starting point, written as
``DIR/<N>.png`` (N: the frame's 0-based number in presentation order), to be recoloured in any
editor and given back to ``colorize video --refs DIR``."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import av
import numpy as np

from colorcli.atomic import check_folder_writable
from colorcli.compose import lightness, shrink_l
from colorcli.errors import MediaError
from colorcli.events import Event, Frames, Notice, VideoDone, VideoStart
from colorcli.imagewrite import write_image
from colorcli.linearlight import display_coded
from colorcli.metrics import SceneCutDetector
from colorcli.packets import demux
from colorcli.photometa import coloured_copy
from colorcli.shown import as_shown, display_of, pixel_shape, quarter_turns
from colorcli.videoprobe import DIM, film_stream, info_of, open_input, with_frame_count
from colorcli.words import counted

STILL_LOOKAHEAD = 1.0  # seconds: how far into a scene that starts dim its still is looked for


def cut_view(l_full: np.ndarray, net_hw: tuple[int, int]) -> np.ndarray:
    """The lightness a film's cut detector sees of a frame: at half the network's size."""
    return shrink_l(l_full, net_hw)[::2, ::2]


def scene_frames(
    inp: av.container.InputContainer,
    net_hw: tuple[int, int],
    fmt: str = "rgb24",
    until: float | None = None,
    shown: bool = False,
    printer: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Iterator[tuple[int, np.ndarray, bool, float]]:
    """(number from 0, the frame as ``fmt`` pixels, whether it starts a scene, the spread of
    its lightness: its standard deviation as the detector sees it) for each frame of
    ``inp``'s video, through the film's own cut detector on the lightness it sees; up to the
    first frame timed at ``until`` seconds or later, if given. ``shown``: the pixels as the
    film is shown (``as_shown``), not as stored. ``printer``: a film of scanned negatives'
    (``colorcli.negative.Printer``; ``fmt`` RGB): each frame is its print, gray, as the
    film's run sees it. A decoding error is left to the caller."""
    stream = film_stream(inp)
    stream.thread_type = "AUTO"
    sar = pixel_shape(stream)
    cuts = SceneCutDetector()  # as colorize video runs it
    decoded = (f for packet in demux(inp, stream) for f in packet.decode())
    for n, frame in enumerate(decoded):
        if until is not None and frame.time is not None and frame.time >= until:
            return
        px = display_coded(frame).to_ndarray(format=fmt)
        if printer is not None:
            px = printer(px)
        small = cut_view(lightness(px), net_hw)  # as stored, as the film's detector sees it
        cut = cuts(small)
        if shown:
            px = as_shown(px, quarter_turns(display_of(frame)[0]), sar)
        yield n, px, n == 0 or cut, float(small.std())


def scene_stills(
    frames: Iterable[tuple[int, np.ndarray, bool, float]], lookahead: int
) -> Iterator[tuple[int, list[tuple[int, np.ndarray]]]]:
    """For each of ``scene_frames``' frames: its number and the stills chosen by then, each as
    (frame number, pixels). A scene's still is its first frame; where that is dim (``DIM``),
    the frame of widest spread among its first ``lookahead`` frames, told once they are seen
    or the scene ends (the film's last frame, or a decoding error, tells what is left)."""
    best: tuple[int, np.ndarray, float, int] | None = None  # (n, px, spread, last frame)
    held: tuple[int, list[tuple[int, np.ndarray]]] | None = None  # one frame behind

    def last() -> tuple[int, list[tuple[int, np.ndarray]]]:  # the held frame, and what is left
        return held[0], held[1] + ([best[:2]] if best is not None else [])

    try:
        for n, px, first, spread in frames:
            ready = []
            if best is not None and first:
                ready.append(best[:2])  # the scene ended while its still was looked for
                best = None
            if first and spread >= DIM:
                ready.append((n, px))
            elif first:
                best = (n, px, spread, n + lookahead - 1)
            elif best is not None and spread > best[2]:
                best = (n, px, spread, best[3])
            if best is not None and n >= best[3]:
                ready.append(best[:2])
                best = None
            if held is not None:
                yield held
            held = (n, ready)
    except av.error.FFmpegError:  # a damaged tail: the stills up to it, then the error
        if held is not None:
            yield last()
        raise
    if held is not None:
        yield last()


def lookahead_frames(rate: float | None, fallback: float) -> int:
    """``STILL_LOOKAHEAD`` in frames of a film of ``rate`` frames a second (None: unknown,
    ``fallback``)."""
    return max(1, round(STILL_LOOKAHEAD * float(rate or fallback)))


def write_scene_stills(
    src: Path,
    out_dir: Path,
    colorizer,
    rate: float = 24.0,
    overwrite: bool = False,
    reference: np.ndarray | None = None,
) -> Iterator[Event]:
    """Colour a frame of each scene of ``src`` (``scene_stills``) into ``out_dir/<N>.png``
    (after the colour photo ``reference``, (h, w, 3) RGB, where one is given:
    ``Colorizer.colorize_like``), as the film is shown (``as_shown``: upright, its pixels
    square; ``--refs`` takes it so).

    A colorizer of scanned negatives (``negative``): each frame is printed by one curve read
    off pictures sampled through the film, as ``colorize video --negative`` prints it.
    A still already there is kept (a colourist may have recoloured it) unless ``overwrite``.
    Yields VideoStart, Frames (decoded frames), Notice and a VideoDone whose ``frames`` is the
    number of stills written.
    """
    src, out_dir = Path(src), Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise MediaError(out_dir, "is a file, not a folder for the stills")
    t0 = time.perf_counter()
    written = kept = n = 0
    with contextlib.closing(open_input(src, rate)) as inp:
        # (a folder of numbered frames: counted from its files)
        info = with_frame_count(info_of(inp, src, peek=False), src, rate)
        check_folder_writable(out_dir)  # made once the film is known to be one
        yield VideoStart(info, info.frames)
        net_hw = colorizer.net_shape(info.height, info.width)
        printer = _printer(src, rate) if getattr(colorizer, "negative", False) else None
        frames = scene_frames(inp, net_hw, shown=True, printer=printer)
        printed = printer is not None
        try:
            for i, stills in scene_stills(frames, lookahead_frames(info.rate, rate)):
                n = i + 1
                yield Frames(1, time.perf_counter() - t0)
                for k, rgb in stills:
                    dst = out_dir / f"{k}.png"
                    if dst.exists() and not overwrite:
                        kept += 1
                        continue
                    still = (
                        colorizer.colorize(rgb, printed=printed)
                        if reference is None
                        else colorizer.colorize_like(rgb, reference, printed)
                    )
                    # the model's colour, marked so, as every coloured copy is
                    write_image(dst, still, overwrite=overwrite, meta=coloured_copy(None))
                    written += 1
        except av.error.FFmpegError as e:
            if n == 0:
                raise MediaError(src, "no video frames could be decoded") from e
            yield Notice(f"{src}: decoding stopped after frame {n - 1} ({e}); stills up to there")
    if n == 0:
        raise MediaError(src, "no video frames could be decoded")
    if kept:
        yield Notice(
            f"{counted(kept, 'still')} already in {out_dir} {'was' if kept == 1 else 'were'} kept (--overwrite replaces them)"
        )
    yield VideoDone(written, time.perf_counter() - t0, 0, n, 0, str(out_dir))


def _printer(src: Path, rate: float) -> Callable[[np.ndarray], np.ndarray]:
    """The printer of a film of scanned negatives: one curve read off pictures sampled
    through it (``colorcli.negative.film_printer``)."""
    from colorcli.filmsample import sample_film
    from colorcli.negative import film_printer

    return film_printer(src, [p.rgb for p in sample_film(src, rate)])


__all__ = [
    "cut_view",
    "lookahead_frames",
    "scene_frames",
    "scene_stills",
    "write_scene_stills",
]
