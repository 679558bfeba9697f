"""Numba's parallel kernels, safe to call from several threads at once on every threading layer.

Numba runs ``prange`` loops on one of three threading layers: TBB, OpenMP or its own
"workqueue". It takes the first it can load, and a machine without ``libtbb`` or ``libgomp``
(a slim container, a clean CI runner, a fresh Python install) gets workqueue. Workqueue is not
thread-safe: two Python threads in parallel kernels at the same moment make numba abort the
whole process (SIGABRT: "Concurrent access has been detected"). colorcli does call kernels
from several threads (a film's reader, network and writer threads; training's batch makers),
so on such a machine a film could die part way, at random.

``parallel_njit`` compiles like ``numba.njit(parallel=True, ...)`` and launches through one
lock until numba has said which layer it loaded; on TBB or OpenMP (thread-safe) the lock is
dropped from then on, on workqueue every launch keeps it. Each kernel already uses every core,
so one at a time costs little there.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable

import numba as nb

THREADSAFE_LAYERS = frozenset({"tbb", "omp"})

_LOCK = threading.Lock()
_threadsafe: bool | None = None  # None: numba has not started a layer yet


def _learn_layer() -> None:
    """After a launch: is the layer numba loaded safe to enter from several threads?"""
    global _threadsafe
    if nb.config.DISABLE_JIT:  # plain Python: prange is range, no threads of numba's
        _threadsafe = True
        return
    try:
        layer = nb.threading_layer()
    except ValueError:  # no parallel region has run yet
        return
    _threadsafe = layer in THREADSAFE_LAYERS


def parallel_njit(**options) -> Callable[[Callable], Callable]:
    """``numba.njit(parallel=True, **options)``, launched through the lock where the layer
    needs it. The kernel is called from Python only (not from other numba code)."""

    def wrap(fn: Callable) -> Callable:
        compiled = nb.njit(parallel=True, **options)(fn)

        @functools.wraps(fn)
        def launch(*args):
            if _threadsafe:
                return compiled(*args)
            with _LOCK:
                try:
                    return compiled(*args)
                finally:
                    if _threadsafe is None:
                        _learn_layer()

        return launch

    return wrap


def threading_layer() -> str | None:
    """The layer numba loaded ("tbb", "omp", "workqueue"), or None before any parallel run
    (or with the JIT off)."""
    try:
        return None if nb.config.DISABLE_JIT else nb.threading_layer()
    except ValueError:
        return None
