"""How a count is said in a message: 1 photo, 2 photos (never "1 photos")."""

from __future__ import annotations


def counted(n: int, word: str, plural: str | None = None) -> str:
    """``n`` and ``word``, in the plural (``plural``, else ``word`` + "s") unless n is 1."""
    return f"{n} {word if n == 1 else (plural or word + 's')}"
