"""Never a half-written file under a final name: write to a temporary sibling, then rename."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

TMP_MARK = ".colorcli-tmp-"


def temp_sibling(final: Path) -> Path:
    """Hidden temporary path beside ``final`` that keeps its extension (codecs pick formats by it)."""
    return final.with_name(f".{final.stem}{TMP_MARK}{os.getpid()}{final.suffix}")


def is_temp(path: Path) -> bool:
    """True for our own temporary files (skipped by scans, removed when stale)."""
    return path.name.startswith(".") and TMP_MARK in path.name


@contextlib.contextmanager
def atomic_path(final: Path | str, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path; on a clean exit it is fsynced and renamed to ``final``.

    On any exception, Ctrl-C included, the temporary file is removed and ``final`` untouched.
    With ``overwrite=False`` an existing ``final`` raises FileExistsError at the rename.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_sibling(final)
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        if not overwrite and final.exists():
            raise FileExistsError(f"{final} appeared while writing; not overwritten")
        os.replace(tmp, final)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_bytes_atomic(final: Path | str, data: bytes, overwrite: bool = True) -> Path:
    """Write ``data`` to ``final`` atomically (see :func:`atomic_path`)."""
    with atomic_path(final, overwrite=overwrite) as tmp:
        tmp.write_bytes(data)
    return Path(final)
