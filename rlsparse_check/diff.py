"""Which entries of a fine-tuned checkpoint differ from its base: streamed, tensor by tensor.

Keys, shapes and dtypes are aligned from the headers before any data is read. Each tensor is
then compared in chunks of :data:`CHUNK_ELEMS` entries, views of memory maps whose pages are
released once compared, so resident memory stays at a few chunks (plus the packed masks when
kept, one bit per entry) however large the checkpoints are: a pair larger than RAM streams
through the page cache.

Comparison is in the storage dtype:

* ``atol == 0`` (default): bitwise, on the stored bits. ``-0.0`` and ``0.0`` differ, and so do
  two NaNs with different payloads, while two NaNs with identical bits are equal.
* ``atol > 0``: an entry changed when its bits differ and not ``|a - b| <= atol``, computed in
  float64 on the decoded values. Bitwise-equal entries never count as changed, so the count never
  exceeds the bitwise count; ``-0.0`` vs ``0.0`` is unchanged, and a NaN against anything with
  other bits (another NaN payload included) is changed.

Sparsity is the fraction of entries left UNCHANGED: ``1 - changed / total``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from rlsparse_check.checkpoints import (
    CHUNK_ELEMS,
    Checkpoint,
    TensorSpec,
    align,
    decode,
    open_checkpoint,
)
from rlsparse_check.errors import OptionError
from rlsparse_check.masks import MaskSet, summarize

__all__ = ["TensorDiff", "DiffResult", "diff_checkpoints", "sparsity_at_tolerances", "CHUNK_ELEMS"]


PathLike = str | os.PathLike | Checkpoint


@dataclass(frozen=True)
class TensorDiff:
    """Change count of one tensor."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    numel: int
    changed: int

    @property
    def sparsity(self) -> float:
        """Fraction of entries unchanged (1.0 for an empty tensor)."""
        return 1.0 - self.changed / self.numel if self.numel else 1.0


@dataclass
class DiffResult:
    """Per-tensor change counts of ``tuned`` against ``base`` at tolerance ``atol``."""

    base: str
    tuned: str
    atol: float
    tensors: dict[str, TensorDiff]
    masks: MaskSet | None = None
    skipped: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(t.numel for t in self.tensors.values())

    @property
    def changed(self) -> int:
        return sum(t.changed for t in self.tensors.values())

    @property
    def sparsity(self) -> float:
        total = self.total
        return 1.0 - self.changed / total if total else 1.0

    def counts(self) -> dict[str, tuple[int, int]]:
        """``{name: (numel, changed)}``, the input of :func:`~rlsparse_check.masks.summarize`."""
        return {name: (t.numel, t.changed) for name, t in self.tensors.items()}

    def by_layer(self) -> dict[str, dict]:
        return summarize(self.counts(), by="layer")

    def by_kind(self) -> dict[str, dict]:
        return summarize(self.counts(), by="kind")

    def to_json(self) -> dict:
        """JSON-ready dict: totals, ``tensors``, and the ``layers`` and ``kinds`` summaries."""
        return {
            "total": self.total,
            "changed": self.changed,
            "sparsity": self.sparsity,
            "atol": self.atol,
            "tensors": {
                name: {
                    "numel": t.numel,
                    "changed": t.changed,
                    "sparsity": t.sparsity,
                    "dtype": t.dtype,
                }
                for name, t in self.tensors.items()
            },
            "layers": self.by_layer(),
            "kinds": self.by_kind(),
        }


def diff_checkpoints(
    base: PathLike,
    tuned: PathLike,
    *,
    atol: float = 0.0,
    skip_missing: bool = False,
    keep_masks: bool = False,
    chunk_elems: int = CHUNK_ELEMS,
) -> DiffResult:
    """Count changed entries per tensor (see the module docstring for the rules).

    ``keep_masks`` also returns the packed update masks (``result.masks``), built in the same
    pass. ``skip_missing`` compares only tensors present on both sides (``result.skipped``).
    """
    return _compare(base, tuned, [atol], skip_missing, keep_masks, chunk_elems)[0]


def sparsity_at_tolerances(
    base: PathLike,
    tuned: PathLike,
    atols: Sequence[float] = (0.0, 1e-8, 1e-5),
    skip_missing: bool = False,
    *,
    chunk_elems: int = CHUNK_ELEMS,
) -> dict[float, DiffResult]:
    """One :class:`DiffResult` per tolerance, all from a single pass over the data."""
    atols = list(dict.fromkeys(float(a) for a in atols))
    results = _compare(base, tuned, atols, skip_missing, False, chunk_elems)
    return dict(zip(atols, results, strict=True))


def _check_atols(atols: Iterable[float]) -> list[float]:
    checked = []
    for atol in atols:
        try:
            value = float(atol)
        except (TypeError, ValueError):
            value = math.nan
        if not math.isfinite(value) or value < 0:
            raise OptionError(
                f"atol {atol!r} is not a non-negative number: use 0 for a bitwise "
                f"comparison or a tolerance such as 1e-5"
            )
        checked.append(value)
    return checked


def _compare(
    base: PathLike,
    tuned: PathLike,
    atols: list[float],
    skip_missing: bool,
    keep_masks: bool,
    chunk_elems: int,
) -> list[DiffResult]:
    atols = _check_atols(atols)
    if int(chunk_elems) < 8:
        raise OptionError(f"chunk_elems={chunk_elems} is too small: use at least 8")
    chunk = int(chunk_elems) // 8 * 8
    a_ck, b_ck = open_checkpoint(base), open_checkpoint(tuned)
    try:
        pairs = align(a_ck, b_ck, skip_missing=skip_missing)
        skipped = sorted(set(a_ck.names) ^ set(b_ck.names))
        scratch = np.empty(chunk, np.bool_)
        tensors: list[dict[str, TensorDiff]] = [{} for _ in atols]
        masks: list[dict] = [{} for _ in atols]
        for spec, _ in pairs:
            counts, packed = _diff_tensor(a_ck, b_ck, spec, atols, keep_masks, chunk, scratch)
            for j, count in enumerate(counts):
                tensors[j][spec.name] = TensorDiff(
                    spec.name, spec.dtype, spec.shape, spec.numel, count
                )
                if keep_masks:
                    masks[j][spec.name] = (spec.shape, packed[j], count)
    finally:
        for ck, given in ((a_ck, base), (b_ck, tuned)):
            if ck is not given:
                ck.close()
    return [
        DiffResult(
            str(a_ck.path),
            str(b_ck.path),
            atol,
            tensors[j],
            MaskSet(masks[j]) if keep_masks else None,
            skipped,
        )
        for j, atol in enumerate(atols)
    ]


def _diff_tensor(
    a_ck: Checkpoint,
    b_ck: Checkpoint,
    spec: TensorSpec,
    atols: list[float],
    keep_masks: bool,
    chunk: int,
    scratch: np.ndarray,
) -> tuple[list[int], list[np.ndarray]]:
    """Changed counts (one per tolerance) and packed masks of one tensor, chunk by chunk."""
    n = spec.numel
    counts = [0] * len(atols)
    packed = [np.empty((n + 7) // 8, np.uint8) for _ in atols] if keep_masks else []
    tolerant = any(atol > 0 for atol in atols)
    pieces = zip(a_ck.chunks(spec.name, chunk), b_ck.chunks(spec.name, chunk), strict=True)
    for start, (a, b) in zip(range(0, n, chunk), pieces, strict=True):
        differ = np.not_equal(a, b, out=scratch[: a.size])
        bitwise = int(np.count_nonzero(differ))
        where = distance = None
        if tolerant and bitwise:
            where = np.flatnonzero(differ)
            with np.errstate(all="ignore"):  # inf - inf and NaN are "changed", not warnings
                distance = np.abs(
                    decode(a[where], spec.dtype, np.float64)
                    - decode(b[where], spec.dtype, np.float64)
                )
        for j, atol in enumerate(atols):
            mask = differ
            if atol > 0 and where is not None:
                beyond = ~(distance <= atol)
                counts[j] += int(np.count_nonzero(beyond))
                if keep_masks:
                    mask = np.zeros(a.size, np.bool_)
                    mask[where[beyond]] = True
            else:
                counts[j] += bitwise
            if keep_masks:
                packed[j][start // 8 : (start + a.size + 7) // 8] = np.packbits(mask)
    return counts, packed
