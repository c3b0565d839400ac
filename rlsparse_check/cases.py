"""A fine-tuned checkpoint and the base it is compared with (:class:`CheckpointCase`), and the
diffs of each case computed once per session (:class:`DiffCache`).

Claims never ask where a case came from: given on the command line (``--base/--tuned``) or
trained by the recipes (:class:`~rlsparse_check.recipes.factory.RunFactory`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["CheckpointCase", "DiffCache", "content_hash"]


@dataclass(frozen=True)
class CheckpointCase:
    """A fine-tuned checkpoint and the base it is compared with."""

    label: str
    base: Path
    tuned: Path
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def run_record(self) -> dict[str, Any]:
        """The ``runs`` entry of a ClaimResult: paths, content hashes, metadata."""
        return {
            "label": self.label,
            "base": str(self.base),
            "tuned": str(self.tuned),
            "base_hash": content_hash(self.base),
            "tuned_hash": content_hash(self.tuned),
            "hash_method": "sha256 over each weight file's name and sha256",
            **{k: v for k, v in self.meta.items() if k not in ("base", "tuned")},
        }


@functools.cache
def content_hash(path: Path) -> str:
    """The full content hash of a checkpoint's weights, once per session
    (:func:`rlsparse_check.hashes.weights_sha256`)."""
    from rlsparse_check.hashes import weights_sha256

    return weights_sha256(Path(path))


class DiffCache:
    """Diffs of each case, computed once per session (per xdist worker)."""

    def __init__(self) -> None:
        self._bitwise: dict[CheckpointCase, Any] = {}
        self._tolerances: dict[tuple[CheckpointCase, tuple[float, ...]], Any] = {}

    def bitwise(self, case: CheckpointCase) -> Any:
        """:class:`~rlsparse_check.diff.DiffResult` at atol 0 with packed masks."""
        if case not in self._bitwise:
            from rlsparse_check.diff import diff_checkpoints

            self._bitwise[case] = diff_checkpoints(case.base, case.tuned, keep_masks=True)
        return self._bitwise[case]

    def sparsities(self, cases: list[CheckpointCase]) -> list[float]:
        """Bitwise sparsity of each case (storage dtype, against its base)."""
        return [float(self.bitwise(case).sparsity) for case in cases]

    def tolerances(
        self, case: CheckpointCase, atols: tuple[float, ...] = (0.0, 1e-8, 1e-5)
    ) -> dict[float, Any]:
        """``{atol: DiffResult}`` from one pass (counts only)."""
        key = (case, tuple(atols))
        if key not in self._tolerances:
            from rlsparse_check.diff import sparsity_at_tolerances

            self._tolerances[key] = sparsity_at_tolerances(case.base, case.tuned, atols)
        return self._tolerances[key]
