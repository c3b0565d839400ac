"""rlsparse-check: does RL fine-tuning update only a small subnetwork of your model?

A small flat API, imported lazily (nothing heavy at import time; the diff path never imports
torch)::

    import rlsparse_check as rc
    result = rc.diff_checkpoints("base/", "tuned/", keep_masks=True)   # streamed, no torch
    result.sparsity, result.by_layer(), result.masks
    pairs = rc.overlap_checkpoints("base/", ["run-a/", "run-b/"])
    rc.make_patch("base/", "tuned/", "update.rlpatch")                  # sparse update patch
    rc.apply_patch("base/", "update.rlpatch", "restored/")

The claims suite is the pytest plugin (``pytest claims/``); the command line is
``rlsparse-check`` (diff, overlap, delta, apply, base, train, report).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_API = {
    "open_checkpoint": "rlsparse_check.checkpoints",
    "diff_checkpoints": "rlsparse_check.diff",
    "sparsity_at_tolerances": "rlsparse_check.diff",
    "MaskSet": "rlsparse_check.masks",
    "overlap_checkpoints": "rlsparse_check.overlap",
    "overlap_arrays": "rlsparse_check.overlap",
    "make_patch": "rlsparse_check.delta",
    "apply_patch": "rlsparse_check.delta",
    "ClaimResult": "rlsparse_check.results",
    "Verdict": "rlsparse_check.results",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name in _API:
        value = getattr(import_module(_API[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'rlsparse_check' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
