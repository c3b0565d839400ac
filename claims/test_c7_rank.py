"""C7 -- Nearly full rank (Mukherjee et al., arXiv 2505.11711).

Claim: although sparse, RL updates are nearly full rank. Published figure: more than 99% of
full rank on average per matrix. Rank counts singular values above the noise floor of storage
rounding (bf16 adds up to half a ULP of full-rank noise per entry, which numpy's default
tolerance, the published-style figure shown beside, counts as rank).
Rule, in both modes: the stored update is compared with references planted into the same
tensors, stored in their dtype and measured the same way: a full-rank update of the same density
and per-entry size (a square iid update already loses its smallest singular values to the floor)
and a rank-1 update of the same size. More than ``--rank-reference-margin`` (harness, 0.05)
below the full-rank reference refutes; a reference not that far above the rank-1 one is
inconclusive (about one ULP: too small to show rank above bf16 rounding); else reproduced.
Beside it, not deciding: the fp32 master update in training mode (full rank for any dense Adam
update), random sparse matrices of each density (full rank too). At most MAX_MATRICES weights
of at most MAX_ENTRIES entries are measured.
"""

from __future__ import annotations

from rlsparse_check.claims import CLAIMS
from rlsparse_check.criteria import pct, rank_against_reference
from rlsparse_check.measures.rank_checkpoint import checkpoint_ranks, choose_matrices
from rlsparse_check.thresholds import entry

CLAIM = CLAIMS["C7"]
MAX_MATRICES, MAX_ENTRIES = 48, 1 << 25


def test_updates_of_weight_matrices_are_nearly_full_rank(
    checkpoint_case, checkpoint_diffs, rlsparse_settings, record_claim, request
):
    s, case = rlsparse_settings, checkpoint_case
    tensors = checkpoint_diffs.bitwise(case).tensors
    chosen, too_large = choose_matrices(tensors, MAX_MATRICES, MAX_ENTRIES)
    trained = case.meta.get("source") == "training"  # the stored base was rounded from fp32 too
    ranks = checkpoint_ranks(case.base, case.tuned, chosen, rounded_base=trained)
    figures = ranks.summary()
    published = {"matrices": len(ranks.above), "published_style": ranks.mean("published")}
    master_value = None
    if trained and case.meta["record"].get("master"):  # reported beside, never deciding
        twin = request.getfixturevalue("run_factory").fp32(case)
        master = checkpoint_ranks(twin.base, twin.tuned, chosen, rounded_base=False, planted=False)
        master_value = master.mean("above")
    value, decided_on = figures["stored_mean_rank_ratio"], "stored update"
    references = (figures["full_rank_reference"], figures["rank_one_reference"])
    decision = rank_against_reference(
        value, *references, s.rank_reference_margin, **published, master=master_value
    )
    threshold = entry("rank-reference-margin", s.rank_reference_margin)
    record_claim(
        CLAIM.result(
            case=case.label,
            decision=decision,
            headline=f"{case.label}: the {decided_on} has {pct(value)} of full rank above the "
            f"rounding noise (a full-rank update of its size stored alike: "
            f"{pct(figures['full_rank_reference'])}): {decision.verdict.value.replace('_', ' ')}.",
            criterion="the stored update not clearly below a full-rank update of its size "
            "stored and measured the same way (and that reference above a rank-1 one)",
            measured={
                "key": "mean_rank_ratio",
                "mean_rank_ratio": value,
                **figures,
                "decided_on": decided_on,
                "fp32_master_mean_rank_ratio": master_value,
                "measured_matrices": len(ranks.above),
                "skipped_too_large": too_large,
            },  # fmt: skip
            statistics={
                "test": "rank above the noise floor of storage rounding (SVD), exact",
                "n": len(ranks.above),
                "thresholds": [threshold],
            },  # fmt: skip
            runs=[case.run_record()],
            plots={"series": ranks.series()},
        )
    )
