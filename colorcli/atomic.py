"""Safe outputs: claim an output, write it under a temporary sibling, commit by rename.

Never a half-written file under a final name, never an output replaced without ``overwrite``,
and never two runs on one output:

- A **claim** is an exclusive ``flock`` on a hidden lock file beside the output. The kernel
  drops the lock when its process ends, however it ends (SIGKILL included), so a claim whose
  writer died is free to take and a live one is never taken. Two ``colorize dir`` runs over the
  same folders thus split the work instead of doing it twice. On a file system that locks no
  files (Lustre without flock), a claim is taken without a lock as far as this machine can
  tell, and said once (``take_unlocked``).
- While holding the claim, the writer removes the temporaries an earlier, dead writer of the
  same output left behind (nobody else may write it), then writes its own.
- The **commit** fsyncs the temporary and renames it onto the final name; without
  ``overwrite`` it links instead of renaming, so an output that appeared meanwhile is kept.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import socket
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from colorcli.errors import MediaError, name_refused

TMP_MARK = ".colorcli-tmp-"
LOCK_MARK = ".colorcli-lock"
WORK_MARK = ".colorcli-work"  # a film's folder of unfinished segments (colorcli.segments)


class OutputBusy(MediaError):
    """Another live colorcli run holds the claim on this output."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(path, "another colorcli run is writing it")


NAME_MAX = 255  # bytes in one file name (ext4, XFS, Btrfs, ZFS, APFS)
# bytes a sibling's name adds to the output's: the longest is a temporary's mark, host (cut to
# 40), process number and extension
SIBLING_ROOM = 80


def fit_name(base: str, tail: str, room: int = 0) -> str:
    """``base + tail`` as a file name (``room`` bytes more to be added to it later): where
    longer than a file name may be, ``base`` is cut and a digest of all of it takes the cut's
    place (names that start alike stay apart)."""
    size = NAME_MAX - len(os.fsencode(tail)) - room
    raw = os.fsencode(base)  # a name's bytes, also where they are not UTF-8
    if len(raw) <= size:
        return base + tail
    digest = hashlib.blake2b(raw, digest_size=6).hexdigest()
    return os.fsdecode(raw[: max(0, size - 13)]) + "~" + digest + tail


def sibling_base(name: str) -> str:
    """``name`` (an output's name or stem) as its hidden siblings begin: itself, or, where a
    sibling's name would be longer than a file name may be, cut (``fit_name``)."""
    return fit_name(name, "", SIBLING_ROOM + 1)


def check_name(final: Path) -> None:
    """MediaError where an output's name is longer than a file name may be (a film read as .tp
    and written as .mkv, its name already at the limit)."""
    size = len(os.fsencode(final.name))
    if size > NAME_MAX:
        raise MediaError(
            final,
            f"the output's name would be longer than a file name may be ({size} bytes, at most {NAME_MAX})",
        )


def exists(path: Path) -> bool:
    """Whether ``path`` is there; a name longer than a file name may be is not (pathlib
    raises there: "File name too long")."""
    try:
        return path.exists()
    except OSError:
        return False


def is_folder(path: Path) -> bool:
    """Whether ``path`` is a folder; a name longer than a file name may be is none."""
    try:
        return path.is_dir()
    except OSError:
        return False


def temp_sibling(final: Path) -> Path:
    """Hidden temporary path beside ``final`` that keeps its extension (codecs pick formats by
    it), named after this host and process."""
    base = sibling_base(final.stem)
    return final.with_name(f".{base}{TMP_MARK}{_host()}-{os.getpid()}{final.suffix}")


def lock_sibling(final: Path) -> Path:
    return final.with_name(f".{sibling_base(final.name)}{LOCK_MARK}")


def is_temp(path: Path) -> bool:
    """True for our own temporary and lock files (skipped by scans, removed when stale)."""
    name = path.name
    return name.startswith(".") and (TMP_MARK in name or name.endswith(LOCK_MARK))


def _stale_temps(final: Path) -> list[Path]:
    prefix, suffix = f".{sibling_base(final.stem)}{TMP_MARK}", final.suffix
    try:
        names = os.listdir(final.parent)
    except OSError:
        return []
    return [
        final.parent / n
        for n in names
        if n.startswith(prefix) and n.endswith(suffix) and n[len(prefix) : len(n) - len(suffix)]
    ]


_HELD: dict[str, Claim] = {}  # claims this process holds, by lock path: a claim is re-entrant
_HELD_LOCK = threading.Lock()

# flock's answers on a file system that does not lock files (Lustre mounted without flock, some
# network shares): every output there was refused ("cannot lock it (Function not implemented)");
# its claims are now taken without a lock, as far as this machine can tell (a live run of this
# host named in the lock file keeps it), and said once (``unlocked``)
_NO_LOCKS = frozenset({errno.ENOLCK, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP})
_UNLOCKED: dict[str, str] = {}  # folder -> why its claims could not lock


def take_unlocked() -> dict[str, str]:
    """The folders whose claims were taken without a lock since the last call, and why."""
    taken = dict(_UNLOCKED)
    _UNLOCKED.clear()
    return taken


def _host() -> str:
    """This machine's name as temporaries and lock files carry it."""
    return (socket.gethostname().split(".")[0].replace("-", "_") or "host")[:40]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def _held_here(fd: int) -> bool:
    """Whether the lock file open at ``fd`` names another live process of this machine (the
    claim where no lock can be taken)."""
    try:
        host, pid = os.pread(fd, 300, 0).decode().split()
        return host == socket.gethostname() and int(pid) != os.getpid() and _alive(int(pid))
    except (OSError, ValueError, UnicodeDecodeError):
        return False


def _writer_gone(name: str, prefix: str, suffix: str) -> bool:
    """Whether the temporary ``name`` was left by a process of this machine that has ended
    (what an unlocked claim may sweep: another machine's cannot be told)."""
    host, _, pid = name[len(prefix) : len(name) - len(suffix)].rpartition("-")
    return host == _host() and pid.isdigit() and not _alive(int(pid))


class Claim:
    """An exclusive claim on one output path (see the module's docstring).

    ``acquire()`` returns False when another live run holds it; ``release()`` gives it back and
    removes the lock file. Within one process a claim is re-entrant: claiming a path this
    process already holds succeeds, and only the outer claim's release lets it go. Usable as a
    context manager that raises :class:`OutputBusy`.
    """

    def __init__(self, final: Path | str, make_folder: bool = True) -> None:
        self.final = Path(final)
        self.lock = lock_sibling(self.final)
        self.make_folder = make_folder  # False: a folder that is gone means nothing to claim
        self._fd: int | None = None
        self._nested = False
        self.unlocked = False  # taken where the file system locks no files (``_NO_LOCKS``)

    def acquire(self) -> bool:
        if self._fd is not None or self._nested:
            return True
        check_name(self.final)  # before any work: it could never be written
        key = os.path.abspath(self.lock)
        with _HELD_LOCK:
            if key in _HELD:
                self._nested = True
                return True
        if not self._lock():
            return False
        with _HELD_LOCK:
            _HELD[key] = self
        prefix = f".{sibling_base(self.final.stem)}{TMP_MARK}"
        for stale in _stale_temps(self.final):  # left by a writer that died: ours to remove
            if self.unlocked and not _writer_gone(stale.name, prefix, self.final.suffix):
                continue
            with contextlib.suppress(OSError):
                stale.unlink()
        return True

    def _lock(self) -> bool:
        if self.make_folder:
            try:
                self.final.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise MediaError(
                    self.final, f"cannot create its folder ({_why(self.final.parent, e)})"
                ) from e
        while True:
            try:
                fd = os.open(self.lock, os.O_RDWR | os.O_CREAT, 0o644)
            except FileNotFoundError:
                if not self.make_folder:
                    return False
                raise
            except OSError as e:
                if (refused := name_refused(self.final, e)) is not None:
                    raise MediaError(self.final, refused) from e
                raise MediaError(self.final, f"cannot write here ({e.strerror or e})") from e
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as e:
                if e.errno in _NO_LOCKS and not _held_here(fd):
                    _UNLOCKED.setdefault(str(self.final.parent), e.strerror or str(e))
                    self.unlocked = True
                    break
                os.close(fd)
                if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES, *_NO_LOCKS):
                    return False
                raise MediaError(self.final, f"cannot lock it ({e.strerror or e})") from e
            # the holder before us may have finished and unlinked the lock file after we
            # opened it: a lock on an unlinked file claims nothing, so open it anew
            try:
                same = os.stat(self.lock).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        self._fd = fd
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.write(fd, f"{socket.gethostname()} {os.getpid()}\n".encode())
        return True

    def release(self) -> None:
        if self._nested:
            self._nested = False
            return
        # taken out first: a release interrupted by a signal and called again by a `finally`
        # must not close the descriptor twice (by then its number may be another file's)
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with _HELD_LOCK:
            _HELD.pop(os.path.abspath(self.lock), None)
        try:
            with contextlib.suppress(FileNotFoundError):
                self.lock.unlink()  # while still locked, so nobody locks the file being removed
        finally:
            os.close(fd)

    def __enter__(self) -> Claim:
        if not self.acquire():
            raise OutputBusy(self.final)
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def commit(tmp: Path, final: Path, overwrite: bool) -> None:
    """fsync ``tmp`` and move it onto ``final``; without ``overwrite`` an existing ``final``
    is kept and FileExistsError raised (a hard link cannot replace; where the file system has
    no hard links, a check just before the rename)."""
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    if overwrite:
        os.replace(tmp, final)
        return
    try:
        os.link(tmp, final)
    except FileExistsError:
        raise FileExistsError(f"{final} appeared while writing; not overwritten") from None
    except OSError as e:
        if e.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        if final.exists():
            raise FileExistsError(f"{final} appeared while writing; not overwritten") from None
        os.replace(tmp, final)
        return
    tmp.unlink()


@contextlib.contextmanager
def atomic_path(final: Path | str, overwrite: bool = True) -> Iterator[Path]:
    """Claim ``final`` and yield a temporary path; on a clean exit it is committed.

    On any exception, Ctrl-C included, the temporary file is removed and ``final`` untouched.
    Raises :class:`OutputBusy` when another run holds ``final``, and FileExistsError at the
    commit when ``final`` exists and ``overwrite`` is False.
    """
    final = Path(final)
    with Claim(final):
        tmp = temp_sibling(final)
        try:
            yield tmp
            commit(tmp, final, overwrite)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()


def write_bytes_atomic(final: Path | str, data: bytes, overwrite: bool = True) -> Path:
    """Write ``data`` to ``final`` atomically (see :func:`atomic_path`)."""
    with atomic_path(final, overwrite=overwrite) as tmp:
        tmp.write_bytes(data)
    return Path(final)


def create_once(final: Path, data: bytes) -> bool:
    """Make ``final`` hold ``data`` unless it exists: for files that every run of a command
    writes alike (a film's plan), where several may try at once. A private temporary, then a
    hard link, which only the first makes; no claim, so no run is turned away. Returns whether
    this call made it."""
    tmp = temp_sibling(final)
    tmp.write_bytes(data)
    try:
        os.link(tmp, final)
        return True
    except FileExistsError:
        return False
    finally:
        tmp.unlink()


def check_folder_writable(folder: Path, name: Path | None = None) -> None:
    """MediaError naming ``name`` (default: the folder) when ``folder`` cannot be made or
    written. Checked before any work, so a whole archive is not coloured for nothing."""
    probe = folder / f".{os.getpid()}{TMP_MARK}probe"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT, 0o644))
        probe.unlink()
    except OSError as e:
        raise MediaError(name or folder, f"cannot write here ({_why(folder, e)})") from e


def _why(folder: Path, e: OSError) -> str:
    """Why ``folder`` cannot be made or written, in words: a file in its path is named (mkdir
    says only "File exists" or "Not a directory")."""
    if isinstance(e, FileExistsError | NotADirectoryError):
        for up in (folder, *folder.parents):
            if up.is_file():
                return f"{up} is a file, not a folder"
    return name_refused(folder, e) or e.strerror or str(e)


def check_writable(dst: Path) -> None:
    """MediaError naming the output ``dst`` when its folder cannot be made or written."""
    check_folder_writable(dst.parent, dst)


def sweep_stale(finals: Iterable[Path]) -> int:
    """Remove the temporaries and lock files that dead writers of these outputs left (a lock
    nobody holds, a temporary of an output nobody claims), listing each folder once. Returns
    how many went."""
    wanted: dict[Path, dict[tuple[str, str], str]] = {}
    for f in finals:  # (how its siblings begin, their kind) -> the output's name
        names = wanted.setdefault(f.parent, {})
        names[(sibling_base(f.name), LOCK_MARK)] = f.name
        names[(sibling_base(f.stem), f.suffix)] = f.name
    removed = 0
    for folder, names in wanted.items():
        try:
            entries = os.listdir(folder)
        except OSError:
            continue
        for entry in entries:
            path = folder / entry
            if not is_temp(path):
                continue
            if entry.endswith(LOCK_MARK):
                key = (entry[1 : -len(LOCK_MARK)], LOCK_MARK)
            else:
                base, _, rest = entry[1:].partition(TMP_MARK)
                key = (base, Path(rest).suffix)
            final = names.get(key)
            if final is None:
                continue
            claim = Claim(folder / final)
            with contextlib.suppress(MediaError):
                if claim.acquire():  # nobody writes it: its leftovers go with the claim
                    claim.release()
            removed += not path.exists()
    return removed
