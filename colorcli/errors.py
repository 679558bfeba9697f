"""Typed errors. ``str(error)`` is the one line the CLI prints; the CLI picks the exit code."""

from __future__ import annotations

from pathlib import Path


class ColorcliError(Exception):
    """Base of every error colorcli raises on purpose."""


class CheckpointError(ColorcliError):
    """A model file that is missing, damaged, unsafe or of an unknown format."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path, self.reason = Path(path), reason
        super().__init__(f"{path}: {reason}")


class MediaError(ColorcliError):
    """An input that cannot be read or an output that cannot be written."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path, self.reason = Path(path), reason
        super().__init__(f"{path}: {reason}")


class OutputPathError(ColorcliError):
    """An output path that would overwrite an input or an existing file."""


class DeviceError(ColorcliError):
    """The requested device is not there, or the work does not fit on it."""


class ConfigError(ColorcliError):
    """An unknown or invalid setting."""
