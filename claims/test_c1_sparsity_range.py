"""C1 -- Sparsity range.

Claim (Mukherjee et al., arXiv 2505.11711): RL fine-tuning updates only a small subnetwork;
"typically 5-30% of weights" change.
Published figure: sparsity (fraction of entries unchanged) of 68.5% to 96.0% across 10 public RL
checkpoints at tolerance 1e-5; 50.4% to 87.6% at tolerance 1e-8.
Criterion: the bitwise sparsity of RL-tuned checkpoints, compared in their storage dtype, lies
in ``--sparsity-range`` (default 0.70-0.95, paper). The tolerance table (0, 1e-8, 1e-5) is
reported beside it.

* Training mode, one case per algorithm with its seeds aggregated: the 95% t interval of the mean
  sparsity over seeds against the range, beside the eval reward gain over seeds (one-sided
  one-sample t, ``--correction`` over the algorithms). A run set that did not learn
  significantly is inconclusive whichever side of the range it falls; one that learned is
  refuted by an interval wholly below or above the range and reproduced by one inside it; an
  interval straddling a bound is inconclusive. When the runs are denser than claimed, the reason
  quotes the precision and learning-rate mechanism measured by C9 in the same session.
* Checkpoint mode, one case per given checkpoint (exact count, learning not measurable): below
  the range refutes, within it reproduces (the reason says the gain was not measured), above it is
  inconclusive (a barely-moved checkpoint cannot be ruled out).
"""

from __future__ import annotations

import statistics as pystats

from rlsparse_check.claims import CLAIMS
from rlsparse_check.criteria import checkpoint_in_range, correct, in_range, p_text
from rlsparse_check.figures import tolerance_series
from rlsparse_check.results import ClaimResult
from rlsparse_check.thresholds import entry

CLAIM = CLAIMS["C1"]
TITLE, PAPER = CLAIM.title, dict(CLAIM.paper)
ATOLS = (0.0, 1e-8, 1e-5)


def test_sparsity_is_in_the_claimed_range(
    replicate_set, checkpoint_diffs, rlsparse_settings, record_claim, request
):
    label, cases = replicate_set
    if rlsparse_settings.mode == "checkpoints":
        record_claim(_given_checkpoint(cases[0], checkpoint_diffs, rlsparse_settings))
        return
    factory = request.getfixturevalue("run_factory")
    record_claim(
        _trained(
            label,
            cases,
            checkpoint_diffs,
            rlsparse_settings,
            factory,
            lambda: request.getfixturevalue("mechanism"),
        )
    )


def _patch(case, diffs) -> dict:
    """What "sparse" means in bytes: the size a sparse update patch of this checkpoint would
    have (``rlsparse-check delta``), computed from its update mask without writing it."""
    from rlsparse_check.delta import estimate_patch_bytes

    found = estimate_patch_bytes(case.base, case.tuned, masks=diffs.bitwise(case).masks)
    return {
        "patch_bytes": found.patch_bytes,
        "checkpoint_bytes": found.checkpoint_bytes,
        "patch_share": found.ratio,
    }


def _thresholds(s) -> list[dict]:
    return [entry("sparsity-range", s.sparsity_range), entry("alpha", s.alpha)]


def _given_checkpoint(case, diffs, s) -> ClaimResult:
    lo, hi = s.sparsity_range
    table = diffs.tolerances(case, ATOLS)
    bitwise = table[0.0]
    decision = checkpoint_in_range(bitwise.sparsity, bitwise.changed, lo, hi)
    return ClaimResult(
        id="C1",
        title=TITLE,
        case=case.label,
        verdict=decision.verdict,
        reason=decision.reason,
        headline=f"{case.label}: {100 * bitwise.sparsity:.1f}% of entries unchanged against the "
        f"claimed {100 * lo:g}-{100 * hi:g}%: {decision.verdict.value.replace('_', ' ')}.",
        paper={**PAPER, "criterion": f"bitwise sparsity within [{lo:g}, {hi:g}]"},
        measured={
            "key": "sparsity",
            "sparsity": bitwise.sparsity,
            "changed": bitwise.changed,
            "total": bitwise.total,
            "sparsity_by_tolerance": {f"{atol:g}": r.sparsity for atol, r in table.items()},
            "by_kind": {k: v["sparsity"] for k, v in bitwise.by_kind().items()},
            "patch": _patch(case, diffs),
            "learning_gain": "not measured",
        },
        statistics={
            "test": "exact count (one checkpoint, no sampling)",
            "n": 1,
            "thresholds": _thresholds(s),
        },
        runs=[case.run_record()],
        plots={
            "series": tolerance_series(
                {case.label: {atol: r.sparsity for atol, r in table.items()}}, reference=(lo, hi)
            )
        },
    )


def _gain_tests(factory, s) -> dict[str, dict]:
    """Eval gain over seeds of every algorithm of the session, corrected across them."""
    from rlsparse_check.measures.learning import gain_over_seeds

    d = factory.design
    tests = {
        a: gain_over_seeds([c.meta["gain"]["gain"] for c in factory.seeds(d.usual(a))])
        for a in d.algos
    }
    correct(tests, s.correction)
    return tests


def _trained(algo, cases, diffs, s, factory, mechanism) -> ClaimResult:
    lo, hi = s.sparsity_range
    tables = {c.label: diffs.tolerances(c, ATOLS) for c in cases}
    values = [tables[c.label][0.0].sparsity for c in cases]
    gains = _gain_tests(factory, s)
    gain = gains[algo]
    p_adj = gain.get("p_adjusted")
    learned = p_adj is not None and p_adj < s.alpha and gain["mean"] > 0
    gain_why = (
        f"eval gain {gain['mean']:+.3f} over seeds ({s.correction}-adjusted one-sided "
        f"p {p_text(p_adj)}: {'significant' if learned else 'not significant'})"
    )
    decision, ci = in_range(values, lo, hi, learned=learned, gain_why=gain_why, alpha=s.alpha)
    mean = pystats.fmean(values)
    reason, why_dense = decision.reason, {}
    if learned and ci[1] < lo:  # denser than claimed: quote C9's measured mechanism
        why_dense = mechanism()
        reason += f". {why_dense['sentence']}"
    spec = cases[0].meta["record"]["spec"]
    return ClaimResult(
        id="C1",
        title=TITLE,
        case=algo,
        verdict=decision.verdict,
        reason=reason,
        headline=f"{algo} (lr {spec['lr']:g}, {spec['steps']} steps, {len(values)} seeds): "
        f"{100 * mean:.1f}% of entries unchanged (95% CI {100 * ci[0]:.1f}-{100 * ci[1]:.1f}%) "
        f"against the claimed {100 * lo:g}-{100 * hi:g}%, eval gain {gain['mean']:+.2f}: "
        f"{decision.verdict.value.replace('_', ' ')}.",
        paper={
            **PAPER,
            "criterion": f"95% t interval of the mean bitwise sparsity over seeds "
            f"within [{lo:g}, {hi:g}] and a significant eval gain",
        },
        measured={
            "key": "sparsity",
            "sparsity": {"value": mean, "ci": list(ci), "per_seed": values},
            "sparsity_by_tolerance": {
                f"{atol:g}": pystats.fmean(t[atol].sparsity for t in tables.values())
                for atol in ATOLS
            },
            "by_kind": {
                k: pystats.fmean(diffs.bitwise(c).by_kind()[k]["sparsity"] for c in cases)
                for k in diffs.bitwise(cases[0]).by_kind()
            },
            "eval_gain": {"value": gain["mean"], "ci": gain["ci"], "per_seed": gain["gains"]},
            "patch": [{"run": c.label, **_patch(c, diffs)} for c in cases],
            "learned": learned,
            "lr": spec["lr"],
            "steps": spec["steps"],
            "mechanism": why_dense.get("figures", "not needed (not denser than claimed)"),
        },
        statistics={
            "test": "95% t interval of the mean over seeds (sparsity); one-sided "
            "one-sample t over seeds (eval gain > 0)",
            "ci": list(ci),
            "n": len(values),
            "p": gain["p"],
            "p_adjusted": p_adj,
            "correction": s.correction,
            "correction_family": f"eval-gain tests of all algorithms ({', '.join(gains)})",
            "alpha": s.alpha,
            "thresholds": _thresholds(s),
            "gain_tests": gains,
        },
        runs=[c.run_record() for c in cases],
        plots={
            "series": {
                **tolerance_series(
                    {
                        c.label: {atol: r.sparsity for atol, r in tables[c.label].items()}
                        for c in cases
                    },
                    reference=(lo, hi),
                ),
                "Sparsity vs eval gain per seed": {
                    "x_label": "eval reward gain",
                    "y_label": "bitwise sparsity",
                    "y_range": [0, 1],
                    "reference": {"label": "claimed range", "y": [lo, hi]},
                    "lines": {
                        c.label: {"x": [c.meta["gain"]["gain"]], "y": [v]}
                        for c, v in zip(cases, values, strict=True)
                    },
                },
            }
        },
    )
