"""The ``colorize`` command: one click group, its commands in modules by job.

``common`` (errors, signals, progress), ``optionbuild`` (options), ``photos`` (image),
``folders`` (dir), ``film`` (video, scenes), ``training`` (train, eval). The package is the
only code that prints or exits.
"""

from colorcli.cli import film, folders, photos, training  # noqa: F401  (each registers its commands)
from colorcli.cli.common import main

__all__ = ["main"]
