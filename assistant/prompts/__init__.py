"""Prompt files (``*.md``), read with ``importlib.resources``."""
