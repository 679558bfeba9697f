"""Architecture names, importable without torch (the CLI builds its choices from this)."""

ARCHS = ("colorunet", "eccv16", "effunet")
