"""C7 on a checkpoint pair: which 2-D weights to measure, and each one's rank figures (above the
storage floor, published-style, a random sparse matrix of its density, and the planted full-rank
and rank-1 references stored and measured the same way), from
:mod:`rlsparse_check.measures.rank`."""

from __future__ import annotations

import statistics as pystats
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rlsparse_check.measures.rank import (
    planted_references,
    random_sparse_rank_ratio,
    rank_ratio,
    stored_rank_ratio,
)

__all__ = ["RankFigures", "checkpoint_ranks", "choose_matrices"]


@dataclass
class RankFigures:
    """Per matrix: the stored update's rank ratio above its noise floor, the published-style
    figure, and (``planted``) the planted full-rank and rank-1 references."""

    above: dict[str, float] = field(default_factory=dict)
    published: dict[str, float] = field(default_factory=dict)
    full_reference: dict[str, float] = field(default_factory=dict)
    rank_one: dict[str, float] = field(default_factory=dict)
    random_sparse: dict[str, float] = field(default_factory=dict)

    def mean(self, which: str) -> float | None:
        values = list(getattr(self, which).values())
        return pystats.fmean(values) if values else None

    def summary(self) -> dict[str, float | None]:
        """The means over matrices, as C7 reports them."""
        return {
            "stored_mean_rank_ratio": self.mean("above"),
            "published_style_mean_rank_ratio": self.mean("published"),
            "full_rank_reference": self.mean("full_reference"),
            "rank_one_reference": self.mean("rank_one"),
            "random_sparse_mean_rank_ratio": self.mean("random_sparse"),
        }

    def series(self) -> dict:
        """``plots["series"]``: the rank ratio per matrix of each figure."""
        lines = {
            label: {"x": list(range(len(values))), "y": list(values.values())}
            for label, values in (
                ("stored update, above its floor", self.above),
                ("full-rank update of its size, stored alike", self.full_reference),
                ("rank-1 update of its size, stored alike", self.rank_one),
                ("stored update, published-style tolerance", self.published),
                ("random sparse, same density", self.random_sparse),
            )
            if values
        }
        axes = {"x_label": "matrix (name order)", "y_label": "rank / min(m, n)"}
        return {"Rank ratio per matrix": {**axes, "lines": lines}} if lines else {}


def choose_matrices(
    tensors: dict, max_matrices: int, max_entries: int
) -> tuple[list[str], list[str]]:
    """``(chosen, too_large)``: the updated 2-D weights in name order, at most ``max_matrices``
    of them evenly spaced, none above ``max_entries`` entries (those are listed apart)."""
    names = sorted(n for n, t in tensors.items() if len(t.shape) == 2 and t.changed)
    too_large = [n for n in names if tensors[n].numel > max_entries]
    names = [n for n in names if n not in too_large]
    if len(names) > max_matrices:
        step = len(names) / max_matrices
        names = [names[int(i * step)] for i in range(max_matrices)]
    return names, too_large


def checkpoint_ranks(
    base: Path, tuned: Path, names: list[str], *, rounded_base: bool, planted: bool = True
) -> RankFigures:
    """:class:`RankFigures` of the named weights of ``tuned`` against ``base`` (references
    seeded by the matrix's position in ``names``)."""
    from rlsparse_check.checkpoints import open_checkpoint

    out = RankFigures()
    with open_checkpoint(base) as b, open_checkpoint(tuned) as t:
        for i, name in enumerate(names):
            dtype = t.spec(name).dtype
            w0, w1 = b.values(name, np.float64), t.values(name, np.float64)
            out.above[name] = stored_rank_ratio(w0, w1, dtype, rounded_base)
            out.published[name] = rank_ratio((w1 - w0).astype(np.float32))
            density = float(np.count_nonzero(w1 != w0)) / w1.size
            out.random_sparse[name] = random_sparse_rank_ratio(w1.shape, density, i)
            if planted:
                full, one = planted_references(w0, w1, dtype, rounded_base=rounded_base, seed=i)
                out.full_reference[name], out.rank_one[name] = full, one
    return out
