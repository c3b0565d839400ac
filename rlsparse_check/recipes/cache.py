"""Content-addressed cache of training runs and base checkpoints.

``key = sha256(canonical JSON of everything that determines the result)``: model and base weights
hash, task, the full resolved recipe, seed, device kind and the versions of torch, transformers,
trl and this package. Entries live in ``<root>/entries/<key>/`` with a ``MANIFEST.json`` listing
the sha256 of every file; an entry is built in a temp folder under ``<root>/tmp`` and moved in
with ``os.replace`` while holding ``<root>/locks/<key>.lock``, so readers (other pytest-xdist
workers, other processes) never see a half-written entry. A hit whose files are missing or do not
match the manifest is deleted and rebuilt.

Root: ``$RLSPARSE_CACHE`` or ``~/.cache/rlsparse-check``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from rlsparse_check.cache_root import default_root
from rlsparse_check.recipes.store import MANIFEST, publish, sha256_file

__all__ = [
    "CacheArg",
    "RunCache",
    "cache_key",
    "default_root",
    "resolve_cache",
    "throwaway",
    "write_manifest",
    "verify_manifest",
]


def cache_key(payload: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of ``payload``."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def write_manifest(folder: Path) -> None:
    """Record the sha256 of every file in ``folder`` (written last)."""
    files = {
        str(p.relative_to(folder)): sha256_file(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }
    (folder / MANIFEST).write_text(json.dumps(files, indent=1, sort_keys=True))


def verify_manifest(folder: Path) -> bool:
    """True when ``folder`` has a manifest and every listed file exists with its hash."""
    try:
        files = json.loads((folder / MANIFEST).read_text())
        return all(sha256_file(folder / name) == digest for name, digest in files.items())
    except (OSError, ValueError):
        return False


class RunCache:
    """A cache root. :meth:`get_or_build` is the only way in; it is process- and thread-safe."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root).expanduser() if root is not None else default_root()

    def __repr__(self) -> str:
        return f"RunCache({str(self.root)!r})"

    def path(self, key: str) -> Path:
        return self.root / "entries" / key

    def get(self, key: str) -> Path | None:
        """The verified entry for ``key``, or None (missing or corrupt)."""
        folder = self.path(key)
        return folder if folder.is_dir() and verify_manifest(folder) else None

    def listed(self, key: str) -> Path | None:
        """The entry for ``key`` if one is in place (its manifest written), without reading its
        files: for the hashes its manifest records, not for its content (use :meth:`get`)."""
        folder = self.path(key)
        return folder if (folder / MANIFEST).is_file() else None

    def _lock(self, name: str) -> Any:
        """The file lock ``<root>/locks/<name>`` (creating the cache's folders)."""
        from filelock import FileLock

        for sub in ("entries", "locks", "tmp"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.root / "locks" / name))

    def put(self, key: str, source: Path) -> Path:
        """Store a copy of ``source`` (an entry folder of another cache, manifest included) as
        the entry for ``key``, replacing what is there; returns the entry folder."""
        final = self.path(key)
        with self._lock(f"{key}.lock"):
            tmp = Path(tempfile.mkdtemp(prefix=f"{key[:16]}.", dir=self.root / "tmp"))
            try:
                shutil.copytree(source, tmp, dirs_exist_ok=True)
                if final.exists():
                    shutil.rmtree(final)
                os.replace(tmp, final)
            finally:
                if tmp.exists():
                    shutil.rmtree(tmp, ignore_errors=True)
        return final

    def get_or_build(self, key: str, build: Callable[[Path], None]) -> tuple[Path, bool]:
        """Return ``(entry folder, hit)``; on a miss call ``build(tmp_folder)`` under the lock.

        A build that writes nothing publishes nothing: under ``accelerate launch`` only the main
        process writes a run, the others wait for it (:func:`rlsparse_check.recipes.run.train`).
        """
        hit = self.get(key)
        if hit is not None:
            return hit, True
        # Under `accelerate launch` every rank must build together (the trainer synchronises
        # them), so ranks lock separately; the first complete entry is kept, the others dropped.
        lock = f"{key}.lock" if _world_size() == 1 else f"{key}.rank{os.environ['RANK']}.lock"
        with self._lock(lock):
            hit = self.get(key)
            if hit is not None:
                return hit, True
            final = self.path(key)
            if final.exists() and _world_size() == 1:  # corrupt entry: rebuild it
                shutil.rmtree(final)
            tmp = Path(tempfile.mkdtemp(prefix=f"{key[:16]}.", dir=self.root / "tmp"))
            try:
                build(tmp)
                if not any(tmp.iterdir()):  # another process of the launch writes the entry
                    return final, False
                write_manifest(tmp)
                try:
                    os.replace(tmp, final)
                except OSError:  # another rank published first
                    if self.get(key) is None:
                        raise
            finally:
                if tmp.exists():
                    shutil.rmtree(tmp, ignore_errors=True)
        return final, False


CacheArg = RunCache | Literal["default"] | None


def resolve_cache(cache: CacheArg) -> RunCache | None:
    """``"default"`` -> the default :class:`RunCache`; a cache or None as given."""
    return RunCache() if cache == "default" else cache


def throwaway(call: Callable[[RunCache], Path], out: str | Path | None) -> Path:
    """Run ``call`` in a throwaway cache and keep only the folder it returns (copied to ``out``
    or to a new temporary folder that the caller owns)."""
    target = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="rlsparse-"))
    with tempfile.TemporaryDirectory(prefix="rlsparse-scratch-") as scratch:
        return publish(call(RunCache(scratch)), target)


def _world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1")) if "RANK" in os.environ else 1
