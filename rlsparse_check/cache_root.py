"""The root folder of everything the package caches: runs, converted models, evals.

``$RLSPARSE_CACHE`` when set, else ``~/.cache/rlsparse-check``. One definition, at the ground
floor, so that every layer that keeps files there (the run cache, GGUF conversion) reads it
alike.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["ENV", "default_root"]

#: The environment variable that moves the cache.
ENV = "RLSPARSE_CACHE"


def default_root() -> Path:
    """``$RLSPARSE_CACHE`` (user-expanded) when set and not empty, else
    ``~/.cache/rlsparse-check``."""
    env = os.environ.get(ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "rlsparse-check"
