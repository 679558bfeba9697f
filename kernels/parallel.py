"""How the parallel numba kernels are compiled and launched: from several threads at once on
every threading layer, and on installs where numba has nowhere to cache what it compiles.

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

``cache=True`` keeps each compiled kernel beside its source (``__pycache__``) or in the user's
cache folder, so later runs skip the compiling. Where neither is writable (a read-only install
run by a user whose home is read-only too: a locked-down container, a cluster node) numba
refuses the function outright, which would stop every command at import. There the kernel is
compiled uncached instead (each run compiles it on first use), and ``uncached()`` names it so
that the CLI can say why start-up is slow and how to give numba a folder (``NUMBA_CACHE_DIR``).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable

import numba as nb

THREADSAFE_LAYERS = frozenset({"tbb", "omp"})

_LOCK = threading.Lock()
_threadsafe: bool | None = None  # None: numba has not started a layer yet
_UNCACHED: list[str] = []  # kernels compiled without the on-disk cache (no writable folder)


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


def _compile(fn: Callable, options: dict) -> Callable:
    try:
        return nb.njit(parallel=True, **options)(fn)
    except RuntimeError:  # "cannot cache function ...: no locator available for file ..."
        if not options.get("cache"):
            raise
        _UNCACHED.append(fn.__name__)
        return nb.njit(parallel=True, **{**options, "cache": False})(fn)


def uncached() -> list[str]:
    """The kernels numba could not cache on disk (no writable folder): each run compiles
    them anew. Empty on a normal install."""
    return list(_UNCACHED)


def parallel_njit(**options) -> Callable[[Callable], Callable]:
    """``numba.njit(parallel=True, **options)``, launched through the lock where the layer
    needs it. The kernel is called from Python only (not from other numba code)."""

    def wrap(fn: Callable) -> Callable:
        compiled = _compile(fn, options)

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
