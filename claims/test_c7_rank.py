"""C7 -- Nearly full rank.

Claim (Mukherjee et al., arXiv 2505.11711): although sparse, the RL updates are nearly full rank.
Published figure: the update of a weight matrix has more than 99% of full rank on average.
Criterion (fixtures/criteria.py): mean over the updated 2-D weights of
numerical_rank(tuned - base) / min(m, n) is at least 0.99. Reported beside it: the same figure for
a random sparse matrix of each weight's density, which is itself nearly full rank -- so this claim
says little about structure, and the report says so when the reference is full rank too.
For speed on large models at most MAX_MATRICES weights (evenly spaced in name order) and none
above MAX_ENTRIES entries are measured; the result says how many were.
"""

from __future__ import annotations

from fixtures.criteria import c7_rank
from rlsparse_check.results import ClaimResult

TITLE = "Sparse RL updates are nevertheless nearly full rank"
PAPER = {"summary": ">99% of full rank on average per matrix", "mean_rank_ratio": 0.99}
MAX_MATRICES = 48
MAX_ENTRIES = 1 << 25


def _chosen(names: list[str]) -> list[str]:
    if len(names) <= MAX_MATRICES:
        return names
    step = len(names) / MAX_MATRICES
    return [names[int(i * step)] for i in range(MAX_MATRICES)]


def test_updates_of_weight_matrices_are_nearly_full_rank(
        checkpoint_case, checkpoint_diffs, record_claim):
    from rlsparse_check.checkpoints import open_checkpoint
    from rlsparse_check.rank import random_sparse_rank_ratio, rank_ratio

    diff = checkpoint_diffs.bitwise(checkpoint_case)
    matrices = sorted(n for n, t in diff.tensors.items() if len(t.shape) == 2 and t.changed)
    too_large = [n for n in matrices if diff.tensors[n].numel > MAX_ENTRIES]
    chosen = _chosen([n for n in matrices if n not in too_large])
    ratios, reference = {}, {}
    with open_checkpoint(checkpoint_case.base) as base, \
            open_checkpoint(checkpoint_case.tuned) as tuned:
        for i, name in enumerate(chosen):
            t = diff.tensors[name]
            ratios[name] = rank_ratio(tuned.values(name) - base.values(name))
            reference[name] = random_sparse_rank_ratio(t.shape, t.changed / t.numel, seed=i)
    decision, figures = c7_rank(ratios, reference)
    record_claim(ClaimResult(
        id="C7", title=TITLE, case=checkpoint_case.label, verdict=decision.verdict,
        reason=decision.reason, paper={**PAPER, "criterion": "mean rank ratio >= 0.99"},
        measured={"key": "mean_rank_ratio", **figures,
                  "updated_matrices": len(matrices), "measured_matrices": len(chosen),
                  "skipped_too_large": too_large,
                  "not_updated_matrices": sum(1 for t in diff.tensors.values()
                                              if len(t.shape) == 2 and not t.changed)},
        statistics={"test": "numerical rank (SVD, numpy matrix_rank tolerance)",
                    "n": len(ratios), "threshold": 0.99},
        runs=[checkpoint_case.run_record()],
        plots={"series": {"Rank ratio per matrix": {
            "x_label": "matrix (name order)", "y_label": "rank / min(m, n)",
            "lines": {"update": {"x": list(range(len(ratios))), "y": list(ratios.values())},
                      "random sparse, same density": {"x": list(range(len(reference))),
                                                      "y": list(reference.values())}},
            "reference": {"label": "claimed 0.99", "y": [0.99]}}}} if ratios else {},
    ))
