"""C7 -- Nearly full rank.

Claim (Mukherjee et al., arXiv 2505.11711): although sparse, the RL updates are nearly full rank.
Published figure: the update of a weight matrix has more than 99% of full rank on average.
Criterion: mean over the updated 2-D weights of rank(tuned - base) / min(m, n) is at least
``--min-rank-ratio`` (paper, 0.99), where the rank counts singular values above the noise floor of
storage rounding: a bf16 checkpoint adds up to half a ULP of noise to every entry of the stored
update, and that noise is itself full rank, so a tolerance of float32 machine epsilon (numpy's
default, as the public code computes it) counts rounding as rank -- a true rank-1 update stored in
bf16 measures about 0.96 of full rank that way. The floor takes each entry's rounding error
within its half-ULP: uniform for entries whose stored value moved, at its bound for unchanged
ones (an update below the half-ULP is lost, and that error follows the update's structure); the
base's own rounding counts too for runs of the suite, which start from fp32 master weights.
Reported beside it: that published-style figure;
in training mode the rank of the fp32 master update of the same run (where it was saved); and a
random sparse matrix of each weight's density, which is itself nearly full rank -- so this claim
says little about structure, and the reason says so when the reference is full rank too.
For speed on large models at most MAX_MATRICES weights (evenly spaced in name order) and none
above MAX_ENTRIES entries are measured; the result says how many were.
"""

from __future__ import annotations

import statistics as pystats

from rlsparse_check.criteria import full_rank
from rlsparse_check.results import ClaimResult
from rlsparse_check.thresholds import entry

TITLE = "Sparse RL updates are nevertheless nearly full rank"
PAPER = {"summary": ">99% of full rank on average per matrix", "mean_rank_ratio": 0.99}
MAX_MATRICES = 48
MAX_ENTRIES = 1 << 25


def _chosen(names: list[str]) -> list[str]:
    if len(names) <= MAX_MATRICES:
        return names
    step = len(names) / MAX_MATRICES
    return [names[int(i * step)] for i in range(MAX_MATRICES)]


def _mean(values) -> float | None:
    values = list(values)
    return pystats.fmean(values) if values else None


def test_updates_of_weight_matrices_are_nearly_full_rank(
    checkpoint_case, checkpoint_diffs, rlsparse_settings, record_claim, request
):
    from rlsparse_check.checkpoints import open_checkpoint
    from rlsparse_check.precision import half_ulp
    from rlsparse_check.rank import noise_floor_rank_ratio, random_sparse_rank_ratio, rank_ratio

    s = rlsparse_settings
    diff = checkpoint_diffs.bitwise(checkpoint_case)
    matrices = sorted(n for n, t in diff.tensors.items() if len(t.shape) == 2 and t.changed)
    too_large = [n for n in matrices if diff.tensors[n].numel > MAX_ENTRIES]
    chosen = _chosen([n for n in matrices if n not in too_large])
    above_floor, published, reference = {}, {}, {}
    # runs of the suite start from fp32 master weights, so their stored base is rounded too;
    # a given checkpoint was fine-tuned from the stored base itself
    rounded_base = checkpoint_case.meta.get("source") == "training"
    with (
        open_checkpoint(checkpoint_case.base) as base,
        open_checkpoint(checkpoint_case.tuned) as tuned,
    ):
        for i, name in enumerate(chosen):
            t, dtype = diff.tensors[name], tuned.spec(name).dtype
            w0, w1 = base.values(name, float), tuned.values(name, float)
            h = half_ulp(w1, dtype)
            if rounded_base:
                h = (half_ulp(w0, dtype) ** 2 + h**2) ** 0.5
            above_floor[name] = noise_floor_rank_ratio(w1 - w0, h, w1 != w0)
            published[name] = rank_ratio((w1 - w0).astype("float32"))
            reference[name] = random_sparse_rank_ratio(t.shape, t.changed / t.numel, seed=i)
    master = _master_ratios(checkpoint_case, chosen, request)
    decision = full_rank(
        _mean(above_floor.values()),
        s.min_rank_ratio,
        matrices=len(above_floor),
        published_style=_mean(published.values()),
        random_reference=_mean(reference.values()),
    )
    record_claim(
        ClaimResult(
            id="C7",
            title=TITLE,
            case=checkpoint_case.label,
            verdict=decision.verdict,
            reason=decision.reason,
            headline=f"{checkpoint_case.label}: mean rank above the storage noise floor "
            f"{100 * (_mean(above_floor.values()) or 0):.1f}% of full rank (published-style "
            f"tolerance: {100 * (_mean(published.values()) or 0):.1f}%) against the claimed "
            f"{100 * s.min_rank_ratio:g}%: {decision.verdict.value.replace('_', ' ')}.",
            paper={
                **PAPER,
                "criterion": f"mean rank ratio above the storage noise floor >= "
                f"{s.min_rank_ratio:g}",
            },
            measured={
                "key": "mean_rank_ratio",
                "mean_rank_ratio": _mean(above_floor.values()),
                "min_rank_ratio": min(above_floor.values(), default=None),
                "published_style_mean_rank_ratio": _mean(published.values()),
                "fp32_master_mean_rank_ratio": _mean(master.values())
                if master
                else "not measured (no fp32 save of this run)",
                "random_sparse_mean_rank_ratio": _mean(reference.values()),
                "updated_matrices": len(matrices),
                "measured_matrices": len(chosen),
                "skipped_too_large": too_large,
                "not_updated_matrices": sum(
                    1 for t in diff.tensors.values() if len(t.shape) == 2 and not t.changed
                ),
            },
            statistics={
                "test": "rank above the noise floor of storage rounding (SVD)",
                "n": len(above_floor),
                "thresholds": [entry("min-rank-ratio", s.min_rank_ratio)],
            },
            runs=[checkpoint_case.run_record()],
            plots={
                "series": {
                    "Rank ratio per matrix": {
                        "x_label": "matrix (name order)",
                        "y_label": "rank / min(m, n)",
                        "lines": {
                            label: {"x": list(range(len(values))), "y": list(values.values())}
                            for label, values in (
                                ("above the noise floor", above_floor),
                                ("published-style tolerance", published),
                                ("fp32 master update", master),
                                ("random sparse, same density", reference),
                            )
                            if values
                        },
                        "reference": {
                            "label": f"claimed {s.min_rank_ratio:g}",
                            "y": [s.min_rank_ratio],
                        },
                    }
                }
            }
            if above_floor
            else {},
        )
    )


def _master_ratios(case, names: list[str], request) -> dict[str, float]:
    """Rank ratios of the fp32 master update of a trained run (the primary algorithm's runs
    are also saved in fp32); empty for given checkpoints and other runs."""
    from rlsparse_check.checkpoints import open_checkpoint
    from rlsparse_check.rank import rank_ratio

    if case.meta.get("source") != "training":
        return {}
    factory = request.getfixturevalue("run_factory")
    if case.meta["algo"] != factory.design.primary:
        return {}
    twin = factory.fp32(case)
    with open_checkpoint(twin.base) as base, open_checkpoint(twin.tuned) as tuned:
        return {n: rank_ratio(tuned.values(n, float) - base.values(n, float)) for n in names}
