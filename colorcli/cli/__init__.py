"""The ``colorize`` command: one click group, its commands in modules by job.

``common`` (options, errors, signals, progress), ``photos`` (image, dir), ``film`` (video),
``training`` (train, eval). The package is the only code that prints or exits.
"""

from colorcli.cli import film, photos, training  # noqa: F401  (each registers its commands)
from colorcli.cli.common import main

__all__ = ["main"]
