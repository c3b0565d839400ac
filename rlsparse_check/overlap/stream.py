"""Overlap of update masks of real checkpoints: every pair of several fine-tuned checkpoints.

Each tuned checkpoint is diffed against the base once (:func:`rlsparse_check.diff.diff_checkpoints`
with ``keep_masks=True``, packed); the pairs are then counted tensor by tensor in chunks: a chunk's
magnitude codes (from the base's stored bits) and unpacked mask slices are made once and used for
every pair, so memory stays at the packed masks plus a few chunks however large the model.
p-values are corrected across the pairs. The figures are defined in
:mod:`rlsparse_check.overlap.arrays`.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from rlsparse_check.checkpoints import CHUNK_ELEMS, Checkpoint, decode, open_checkpoint
from rlsparse_check.errors import MismatchError, OptionError, StatsInputError
from rlsparse_check.masks import MaskSet
from rlsparse_check.overlap import nulls
from rlsparse_check.overlap.arrays import (
    Bins,
    OverlapResult,
    TensorOverlap,
    attach_permutation_p,
    overlap_from_counts,
)
from rlsparse_check.stats import CORRECTIONS, adjust

__all__ = ["OverlapSet", "overlap_masksets", "pair_overlap", "overlap_checkpoints"]


def _codes_of(bits: np.ndarray, dtype: str) -> np.ndarray:
    """Magnitude codes of stored bits: straight from the bits for bf16/f16."""
    if dtype in ("bfloat16", "float16"):
        return nulls.magnitude_key_of_bits(bits, dtype)
    return nulls.magnitude_key(decode(bits, dtype, np.float32))


Counts = tuple[np.ndarray, np.ndarray]  # (codes, counts) of nulls.stratum_table


def _stream_counts(
    base: Checkpoint, name: str, masks: Sequence[MaskSet], pairs: list[tuple[int, int]]
) -> list[Counts]:
    """Count tables of one tensor for every pair, in one pass over the base in chunks: each
    chunk's codes and the matching slices of the packed masks are decoded once."""
    spec = base.spec(name)
    if spec.numel <= nulls.KEY_SIZE:  # small tensor: whole arrays are cheapest
        key = _codes_of(base.raw(name).reshape(-1), spec.dtype)
        dense = [m.dense(name).reshape(-1) for m in masks]
        return [nulls.stratum_table(key, dense[ia], dense[ib]) for ia, ib in pairs]
    tables = [np.zeros(4 * nulls.KEY_SIZE, np.int64) for _ in pairs]
    packed = [m.packed(name) for m in masks]
    start = 0
    for bits in base.chunks(name, CHUNK_ELEMS):
        stop = start + bits.size
        key = _codes_of(bits, spec.dtype)
        dense = [
            np.unpackbits(p[start // 8 : (stop + 7) // 8], count=bits.size).view(np.bool_)
            for p in packed
        ]
        for table, (ia, ib) in zip(tables, pairs, strict=True):
            nulls.add_to_table(table, key, dense[ia], dense[ib])
        start = stop
    return [nulls.compact_table(table) for table in tables]


def _labels(base: Checkpoint, name: str, found: Bins, index: int) -> np.ndarray:
    """Stratum label of every entry (tensor index and bin), for the permutation check."""
    spec = base.spec(name)
    return found.labels(_codes_of(base.raw(name).reshape(-1), spec.dtype)) + (index << 32)


def _shared_names(masks: Sequence[MaskSet], labels: Sequence[str], skip_missing: bool) -> list:
    names = set(masks[0].names)
    for m, label in zip(masks[1:], labels[1:], strict=True):
        if set(m.names) != names and not skip_missing:
            odd = sorted(set(m.names) ^ names)
            raise MismatchError(
                f"the masks of {labels[0]} and {label} cover different tensors "
                f"(e.g. {odd[:3]}): use --skip-missing to compare only the "
                f"shared ones"
            )
        names &= set(m.names)
    if not names:
        raise MismatchError(f"the masks of {', '.join(labels)} share no tensor")
    return sorted(names)


def overlap_masksets(
    masks: Sequence[MaskSet],
    base: Checkpoint,
    *,
    labels: Sequence[str],
    bins: int | None = None,
    seed: int = 0,
    skip_missing: bool = False,
    permutations: int = 0,
) -> list[OverlapResult]:
    """Overlap of every pair of ``masks`` (in order (0,1), (0,2), ..., (1,2), ...), streamed:
    each tensor is read in chunks, and each chunk's magnitude codes and mask slices serve every
    pair, so memory stays at a few chunks (plus whole masks with ``permutations``)."""
    nulls.bins_for(1, bins)  # fail on a bad bins value before reading anything
    pairs = list(itertools.combinations(range(len(masks)), 2))
    tensors: list[dict[str, TensorOverlap]] = [{} for _ in pairs]
    parts: list[list] = [[] for _ in pairs]
    for i, name in enumerate(_shared_names(masks, labels, skip_missing)):
        if name not in base:
            raise MismatchError(
                f"tensor {name!r} has masks but is not in BASE ({base.path}): "
                f"use the base the masks were computed against"
            )
        shape = base.spec(name).shape
        for m, label in zip(masks, labels, strict=True):
            if tuple(m.shape(name)) != tuple(shape):
                raise StatsInputError(
                    f"tensor {name!r}: the mask of {label} has shape "
                    f"{tuple(m.shape(name))} but BASE has {shape}"
                )
        tables = _stream_counts(base, name, masks, pairs)
        for p, (ia, ib) in enumerate(pairs):
            t, found = overlap_from_counts(name, *tables[p], bins=bins)
            tensors[p][name] = t
            if permutations:
                parts[p].append(
                    (masks[ia].dense(name), masks[ib].dense(name), _labels(base, name, found, i))
                )
    return [
        attach_permutation_p(
            OverlapResult(labels[ia], labels[ib], tensors[p], bins=bins, seed=seed),
            parts[p],
            permutations,
        )
        for p, (ia, ib) in enumerate(pairs)
    ]


def pair_overlap(
    mask_a: MaskSet,
    mask_b: MaskSet,
    base: Checkpoint | str | os.PathLike,
    *,
    bins: int | None = None,
    seed: int = 0,
    skip_missing: bool = False,
    labels: tuple[str, str] = ("A", "B"),
    permutations: int = 0,
) -> OverlapResult:
    """Overlap of two mask sets over the tensors of ``base`` (a Checkpoint or a path)."""
    ck = base if isinstance(base, Checkpoint) else open_checkpoint(base)
    try:
        return overlap_masksets(
            [mask_a, mask_b],
            ck,
            labels=labels,
            bins=bins,
            seed=seed,
            skip_missing=skip_missing,
            permutations=permutations,
        )[0]
    finally:
        if ck is not base:
            ck.close()


@dataclass
class OverlapSet:
    """All pairs of several fine-tuned checkpoints, p-values corrected across the pairs."""

    base: str
    tuned: list[str]
    atol: float
    pairs: list[OverlapResult]
    correction: str
    bins: int | None
    seed: int
    skipped: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        """``pairs``: one object per pair; with exactly two checkpoints the single pair's keys
        are also at the top level (see :mod:`rlsparse_check.cli.overlap`)."""
        data = {
            "base": self.base,
            "tuned": self.tuned,
            "atol": self.atol,
            "correction": self.correction,
            "bins": "auto" if self.bins is None else self.bins,
            "seed": self.seed,
            "skipped": self.skipped,
            "pairs": [p.to_json() for p in self.pairs],
        }
        return {**data["pairs"][0], **data} if len(self.tuned) == 2 else data


def overlap_checkpoints(
    base: str | os.PathLike | Checkpoint,
    tuned_paths: Sequence[str | os.PathLike],
    *,
    atol: float = 0.0,
    bins: int | None = None,
    seed: int = 0,
    correction: str = "holm",
    skip_missing: bool = False,
    permutations: int = 0,
) -> OverlapSet:
    """Diff each tuned checkpoint against ``base`` once (masks kept), then overlap every pair;
    p-values are adjusted across the pairs by ``correction`` (``"holm"``, ``"bh"``, ``"none"``)."""
    from rlsparse_check.diff import diff_checkpoints

    if len(tuned_paths) < 2:
        raise OptionError(f"overlap needs at least two tuned checkpoints, got {len(tuned_paths)}")
    if correction not in CORRECTIONS:
        raise OptionError(f"correction {correction!r}: use one of {', '.join(CORRECTIONS)}")
    nulls.bins_for(1, bins)
    ck = base if isinstance(base, Checkpoint) else open_checkpoint(base)
    try:
        diffs = [
            diff_checkpoints(ck, path, atol=atol, skip_missing=skip_missing, keep_masks=True)
            for path in tuned_paths
        ]
        labels = [str(path) for path in tuned_paths]
        pairs = overlap_masksets(
            [d.masks for d in diffs],
            ck,
            labels=labels,
            bins=bins,
            seed=seed,
            skip_missing=skip_missing,
            permutations=permutations,
        )
    finally:
        if ck is not base:
            ck.close()
    for key in ("p_independent", "p_stratified"):
        adjusted = adjust([p.summary()[key] for p in pairs], correction)
        for p, value in zip(pairs, adjusted, strict=True):
            setattr(p, f"{key}_adjusted", float(value))
    for p in pairs:
        p.correction = correction
    skipped = sorted({name for d in diffs for name in d.skipped})
    return OverlapSet(str(ck.path), labels, float(atol), pairs, correction, bins, seed, skipped)
