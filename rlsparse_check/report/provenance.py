"""Provenance of a claims run: what produced the numbers, so a reviewer can judge and redo them.

Gathered cheaply and without importing torch: package versions come from ``importlib.metadata``,
the commit from ``git``, hashes from the ``runs`` records the claim tests wrote.

Shape::

    {"versions": {"python", "rlsparse-check", "numpy", "scipy", "torch", "transformers", "trl",
                  "safetensors", "pytest", "pytest-xdist"}  (absent packages -> null),
     "git": {"commit": str|null, "dirty": bool|null},
     "command": "pytest claims/ --base ...", "seeds": [...], "model": ..., "device": ...,
     "hashes": {"<key ending in 'hash'>": [sorted unique values from the runs]},
     "hardware": {"platform", "machine", "python_implementation", "cpu_count"},
     "wall_times": {"started", "finished" (ISO 8601 UTC), "session_s", "claims_s": {id: s}}}
"""

from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from rlsparse_check.gguf_model import weights_source

__all__ = ["PACKAGES", "versions", "git_state", "collect_hashes", "collect_seeds", "gather"]

PACKAGES = (
    "rlsparse-check",
    "numpy",
    "scipy",
    "torch",
    "transformers",
    "trl",
    "safetensors",
    "pytest",
    "pytest-xdist",
)


def versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def git_state(directory: Path) -> dict[str, Any]:
    """Commit and dirtiness of the repository holding ``directory`` (nulls when not a repo)."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args],
                cwd=directory,
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no") if commit else None
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def collect_hashes(runs: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Every run field whose name ends in ``hash`` (model_hash, data_hash, ...): unique values."""
    hashes: dict[str, set[str]] = {}
    for run in runs:
        for key, value in run.items():
            if key.endswith("hash") and value:
                hashes.setdefault(key, set()).add(str(value))
    return {key: sorted(values) for key, values in sorted(hashes.items())}


def collect_seeds(runs: list[dict[str, Any]]) -> list[int]:
    return sorted({int(run["seed"]) for run in runs if isinstance(run.get("seed"), int)})


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).isoformat(timespec="seconds")


def gather(
    *,
    invocation_dir: Path,
    args: list[str],
    settings: dict[str, Any],
    runs: list[dict[str, Any]],
    started: float,
    finished: float,
    claim_seconds: dict[str, float],
) -> dict[str, Any]:
    """The provenance block of report.json."""
    return {
        "versions": versions(),
        "git": git_state(invocation_dir),
        "command": shlex.join(["pytest", *args]),
        "seeds": collect_seeds(runs),
        "seeds_option": settings.get("seeds"),
        "model": settings.get("model") if settings.get("mode") == "training" else None,
        "device": settings.get("resolved_device"),
        "weights": weights_source(settings.get("model"), settings.get("base")),
        "hashes": collect_hashes(runs),
        "hardware": {
            "platform": platform.platform(),
            "machine": platform.machine(),
            "python_implementation": platform.python_implementation(),
            "cpu_count": os.cpu_count(),
            "usable_cpus": len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity")
            else None,
        },
        "wall_times": {
            "started": _iso(started),
            "finished": _iso(finished),
            "session_s": round(finished - started, 3),
            "claims_s": {k: round(v, 3) for k, v in sorted(claim_seconds.items())},
        },
        "python_executable": sys.executable,
    }
