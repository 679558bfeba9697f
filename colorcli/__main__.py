"""``python -m colorcli``: the ``colorize`` command."""

from colorcli.cli import main

main()
