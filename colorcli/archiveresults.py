"""What became of each file of an archive run (done, kept, failed, busy, skipped), the run's
summary, and failures said in one line. No files, no model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from colorcli.archiveplan import Job
from colorcli.errors import ColorcliError, MediaError
from colorcli.events import Event


@dataclass(frozen=True)
class FileResult:
    """One file handled: status "done", "kept" (a colour photograph written as it is, with
    ``keep_colour``), "failed" (with a one-line reason) or "busy" (another live run holds its
    output) or "skipped" (another run finished it meanwhile)."""

    job: Job
    status: str
    error: str | None = None
    notices: tuple[str, ...] = ()


@dataclass(frozen=True)
class FilmUpdate:
    """An event of the film now being coloured (progress, notices)."""

    job: Job
    event: Event


@dataclass
class Summary:
    done: int = 0
    kept: int = 0
    skipped: int = 0
    busy: int = 0
    failed: list[tuple[Path, str]] = field(default_factory=list)

    def add(self, r: FileResult) -> None:
        if r.status == "done":
            self.done += 1
        elif r.status == "kept":
            self.kept += 1
        elif r.status == "skipped":
            self.skipped += 1
        elif r.status == "busy":
            self.busy += 1
        else:
            self.failed.append((r.job.src, r.error or "failed"))


def damaged_reason(job: Job) -> str:
    """The line for a film an earlier run found damaged (and does not redo)."""
    return f"input is damaged (found by an earlier run); the frames that decode are coloured in {job.damaged_dst}; remove it to try again"


def failure_reason(e: Exception, src: Path | None = None) -> str:
    """One line; a problem with a file other than ``src`` (a sidecar) names that file."""
    if isinstance(e, MediaError):
        return e.reason if src is None or e.path == src else f"{e.path}: {e.reason}"
    return str(e)


def failed_result(job: Job, e: Exception) -> FileResult:
    """``job`` failed for ``e``, in one line: ours, out of memory, or an unforeseen error."""
    if isinstance(e, MemoryError):
        return FileResult(job, "failed", "out of memory")
    if isinstance(e, (ColorcliError, ValueError)):
        return FileResult(job, "failed", failure_reason(e))
    return FileResult(job, "failed", _unexpected(e))


def _unexpected(e: Exception) -> str:
    return f"unexpected {type(e).__name__}: {e} (please report it)"


__all__ = [
    "FileResult", "FilmUpdate", "Summary", "damaged_reason", "failed_result", "failure_reason",
]  # fmt: skip
