"""What a C library prints while it decodes, taken from the process's stderr and given back as
lines: libjpeg writes its warnings ("Corrupt JPEG data: premature end of data segment") to
file descriptor 2 itself, with no file named, where no Python code can catch them.

Off unless the command line turns it on (:data:`ENABLED`): it swaps descriptor 2 for a moment,
which a program that merely imports the library should not find done to it. While it is
swapped, whatever else reaches descriptor 2 (a progress bar redrawn by its own thread) is
written back afterwards, unchanged, and only the rest is handed out.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
from collections.abc import Iterator

ENABLED = False  # the CLI turns it on
_LOCK = threading.Lock()  # one swap at a time


def _flush() -> None:
    """Python's own stderr buffer out to descriptor 2 (there may be no sys.stderr at all)."""
    with contextlib.suppress(ValueError, OSError, AttributeError):
        sys.stderr.flush()


def _from_terminal_code(line: str) -> bool:
    """Output of our own that drew on the terminal (escape sequences: a progress bar)."""
    return "\x1b" in line


@contextlib.contextmanager
def captured() -> Iterator[list[str]]:
    """Within the block, what reaches descriptor 2 is held; after it, the lines a decoder
    printed are in the yielded list (empty when :data:`ENABLED` is off)."""
    said: list[str] = []
    if not ENABLED:
        yield said
        return
    with _LOCK, contextlib.ExitStack() as stack:
        try:
            held = stack.enter_context(tempfile.TemporaryFile())
            _flush()
            saved = os.dup(2)
        except OSError:  # no descriptor 2 (a job started with stderr closed), no room for a file
            yield said
            return
        os.dup2(held.fileno(), 2)
        try:
            yield said
        finally:
            _flush()
            os.dup2(saved, 2)
            os.close(saved)
            said[:] = _given_back(held)


def _given_back(held) -> list[str]:
    """The decoder's lines among what ``held`` took in; the rest (a progress bar's redraws)
    written to descriptor 2 again. What cannot be read or written back is let go."""
    said, ours = [], []
    with contextlib.suppress(OSError):
        held.seek(0)
        for line in held.read().decode("utf-8", "replace").splitlines(keepends=True):
            (ours if _from_terminal_code(line) else said).append(line)
        if ours:
            os.write(2, "".join(ours).encode("utf-8"))
    return [x.strip() for x in said if x.strip()]
