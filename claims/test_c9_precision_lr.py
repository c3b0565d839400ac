"""C9 -- Precision and learning-rate mechanism (beyond the paper).

Claim (the critique of arXiv 2505.11711): a bf16 entry reads as unchanged while its fp32 movement
stays below half a bf16 ULP, so sparsity follows lr x steps x |w|. Published figure: fp32
checkpoints almost fully dense; a higher RL rate removes most sparsity; SFT at 5e-7 about 60%.
Rule: (a) ``a-precision``: the same runs in bf16 vs fp32: bf16 sparser by at least
    ``--sparser-margin`` (one-sided paired bounds over seeds).
(b) ``b-learning-rate``: for the primary algorithm and SFT, sparsity falls as the rate rises at
    fixed steps (paired by seed), equivalent at fixed lr x steps (TOST, ``--equivalence-margin``).
(c) ``c-prediction``: each entry moves c lr steps exp(s Z) (c, s fitted on the other
    conditions); predicted bf16 sparsity = mean over the base's entries of P(move < half-ULP).
    Mean absolute error above ``--max-prediction-error`` refutes; within it, the RL minus SFT
    residual paired by shared (lr, steps) cell decides (TOST within ``--equivalence-margin``).
Family: one member per question, ``--correction``; TOSTs at the Bonferroni level alpha / m.
"""

from __future__ import annotations

import pytest

from rlsparse_check.claims import CLAIMS
from rlsparse_check.criteria.combine import pct
from rlsparse_check.criteria.mechanism import bf16_sparser, predicted, rates
from rlsparse_check.thresholds import entry


@pytest.fixture(scope="module")
def evidence(
    mechanism, rate_pair_runs, rate_map_runs, run_factory, checkpoint_diffs, rlsparse_settings
):
    from rlsparse_check.measures.mechanism import evidence as measure

    base, primary, s = run_factory.base("bfloat16"), run_factory.design.primary, rlsparse_settings
    return measure(mechanism, rate_pair_runs, rate_map_runs, base, checkpoint_diffs, primary, s)


def _part(part, e, s):
    if part == "a-precision":
        f = e.precision.figures
        said = f"The same runs: {pct(f['bf16_sparsity'])} unchanged in bf16, "
        return (
            bf16_sparser(e.precision.test, s.sparser_margin, s.alpha, e.adjusted),
            e.precision.measured(1 - s.alpha),
            said + f"{pct(f['fp32_sparsity'])} in fp32",
        )
    if part == "b-learning-rate":
        measured = e.rate_figures(s.alpha)
        decision = rates(e, s.alpha, s.equivalence_margin)
        return decision, measured, "Sparsity against the rate, at fixed steps and lr x steps"
    p, tost = e.prediction, (e.tost_p["c"], e.tost_ci["c"], e.tost_alpha, e.family)
    decision = predicted(
        p.error, s.max_prediction_error, p.algorithm_effect, s.equivalence_margin, tost
    )
    said = f"Predicted from the base's half-ULPs and lr x steps alone, off by {pct(p.error)}"
    return decision, {"key": "error", "error": p.error, "prediction": e.prediction_figures()}, said


@pytest.mark.parametrize("part", ["a-precision", "b-learning-rate", "c-prediction"])
def test_precision_and_learning_rate_explain_sparsity(
    part, requires_training, evidence, rlsparse_settings, record_claim
):
    s = rlsparse_settings
    decision, measured, said = _part(part, evidence, s)
    names = ("sparser-margin", "alpha", "equivalence-margin", "max-prediction-error")
    record_claim(
        CLAIMS["C9"].result(
            case=part,
            decision=decision,
            headline=f"{said}: {decision.verdict.value.replace('_', ' ')}.",
            measured=measured,
            statistics={
                "correction": s.correction,
                "family": "one member per question of (a), (b) and (c); TOSTs at alpha / m",
                "family_size": evidence.family,
                "thresholds": [entry(n, getattr(s, n.replace("-", "_"))) for n in names],
            },
            runs=[c.run_record() for c in evidence.runs],
            plots={"map": evidence.plot},
        )
    )
