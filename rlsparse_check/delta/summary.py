"""What a patch holds, per tensor and in one line: :class:`PatchSummary`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from rlsparse_check.delta.manifest import Manifest

__all__ = ["TensorPatch", "PatchSummary", "human_bytes"]

_LISTED = 3  # names spelled out in a summary line before "and N more"


def human_bytes(n: int) -> str:
    """``1234567`` -> ``"1.2 MB"`` (decimal units)."""
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def _names(names: list[str], notes: list[str] | None = None) -> str:
    shown = [f"{n}: {notes[i]}" if notes else n for i, n in enumerate(names[:_LISTED])]
    more = f" and {len(names) - _LISTED} more" if len(names) > _LISTED else ""
    return ", ".join(shown) + more


@dataclass(frozen=True)
class TensorPatch:
    """One tensor of a patch.

    ``kind``: ``changed``, ``unchanged``, ``added`` (only in TUNED), ``replaced`` (dtype or shape
    differs from the base's; ``note`` says how) or ``removed`` (only in BASE). ``nbytes``: its
    bytes in the patch; ``changed``: entries stored (all of them for added and replaced).
    """

    name: str
    kind: str
    dtype: str
    shape: tuple[int, ...]
    changed: int
    nbytes: int
    note: str = ""

    @property
    def numel(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True)
class PatchSummary:
    """Size and contents of a patch (``path`` is None for an estimate: nothing was written).

    ``patch_bytes`` is the size of the whole patch file; ``checkpoint_bytes`` the size of TUNED's
    weight files plus the other files the patch carries (what copying TUNED would ship).
    """

    path: Path | None
    patch_bytes: int
    checkpoint_bytes: int
    tensors: dict[str, TensorPatch]
    carried: tuple[str, ...] = ()
    named: tuple[str, ...] = ()

    @property
    def ratio(self) -> float:
        """``patch_bytes / checkpoint_bytes``."""
        return self.patch_bytes / self.checkpoint_bytes if self.checkpoint_bytes else 0.0

    def of_kind(self, kind: str) -> list[TensorPatch]:
        return [t for t in self.tensors.values() if t.kind == kind]

    @property
    def compared(self) -> int:
        """Entries of the tensors stored alike on both sides (changed or unchanged)."""
        return sum(t.numel for t in self.tensors.values() if t.kind in ("changed", "unchanged"))

    @property
    def changed(self) -> int:
        """Changed entries among :attr:`compared`."""
        return sum(t.changed for t in self.of_kind("changed"))

    @classmethod
    def from_manifest(cls, manifest: Manifest, size: int, path: Path | None) -> PatchSummary:
        tensors = {}
        for name, t in manifest.tensors.items():
            note = ""
            if t.kind == "replaced":
                was, now = t.base, t.tuned
                moves = (("dtype", was.dtype, now.dtype), ("shape", was.shape, now.shape))
                note = ", ".join(f"{what} {a} -> {b}" for what, a, b in moves if a != b)
            changed = t.changed if t.kind != "unchanged" else 0
            tensors[name] = TensorPatch(
                name, t.kind, t.tuned.dtype, t.tuned.shape, changed, t.nbytes, note
            )
        for name, side in manifest.removed.items():
            tensors[name] = TensorPatch(name, "removed", side.dtype, side.shape, 0, 0)
        carried, named = tuple(manifest.carried), tuple(manifest.named)
        return cls(path, size, manifest.checkpoint_bytes, tensors, carried, named)

    def _tail(self) -> str:
        added, replaced = self.of_kind("added"), self.of_kind("replaced")
        full = [f"{len(added)} added ({_names([t.name for t in added])})"] if added else []
        if replaced:
            names, notes = [t.name for t in replaced], [t.note for t in replaced]
            full.append(f"{len(replaced)} replaced ({_names(names, notes)})")
        parts = ["carried in full: " + ", ".join(full)] if full else []
        removed = self.of_kind("removed")
        if removed:
            names = _names([t.name for t in removed])
            parts.append(f"{len(removed)} only in BASE, left out ({names})")
        if self.named:
            parts.append(f"named, not carried: {_names(list(self.named))}")
        return "".join(f"; {p}" for p in parts)

    def line(self) -> str:
        """The one-line summary ``rlsparse-check delta`` prints."""
        where = f"wrote {self.path}" if self.path else "patch would take"
        changed, unchanged = self.of_kind("changed"), self.of_kind("unchanged")
        share = self.changed / self.compared if self.compared else 0.0
        return (
            f"{where}: {human_bytes(self.patch_bytes)}, {self.ratio:.2%} of TUNED's "
            f"{human_bytes(self.checkpoint_bytes)}; {len(self.tensors)} tensors: "
            f"{len(changed)} changed ({share:.2%} of {self.compared:,} entries), "
            f"{len(unchanged)} unchanged; {len(self.carried)} other files carried" + self._tail()
        )

    def applied_line(self, out: str | Path) -> str:
        """The one-line summary ``rlsparse-check apply`` prints."""
        kinds = {k: len(self.of_kind(k)) for k in ("changed", "unchanged", "added", "replaced")}
        written = len(self.tensors) - len(self.of_kind("removed"))
        return (
            f"wrote {out}: {written} tensors, each equal to TUNED's recorded sha256 "
            f"({kinds['changed']} patched, {kinds['unchanged']} copied from BASE, "
            f"{kinds['added'] + kinds['replaced']} carried in full); "
            f"{len(self.carried)} other files" + self._tail()
        )

    def to_json(self) -> dict:
        return {
            "path": str(self.path) if self.path else None,
            "patch_bytes": self.patch_bytes,
            "checkpoint_bytes": self.checkpoint_bytes,
            "ratio": self.ratio,
            "compared": self.compared,
            "changed": self.changed,
            "carried": list(self.carried),
            "named": list(self.named),
            "tensors": {
                name: {
                    "kind": t.kind,
                    "dtype": t.dtype,
                    "shape": list(t.shape),
                    "changed": t.changed,
                    "bytes": t.nbytes,
                    **({"note": t.note} if t.note else {}),
                }
                for name, t in self.tensors.items()
            },
        }
