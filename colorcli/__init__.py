"""colorcli: bring colour back to black-and-white films and photo archives."""

__version__ = "0.1.0"
