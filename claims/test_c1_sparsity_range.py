"""C1 -- Sparsity range.

Claim (Mukherjee et al., arXiv 2505.11711): RL fine-tuning updates only a small subnetwork;
"typically 5-30% of weights" change.
Published figure: sparsity (fraction of entries unchanged) of 68.5% to 96.0% across 10 public RL
checkpoints at tolerance 1e-5; 50.4% to 87.6% at tolerance 1e-8.
Criterion: the bitwise sparsity of each RL-tuned checkpoint, compared in its storage dtype, lies
in ``--sparsity-range`` (default 0.70-0.95). The tolerance table (0, 1e-8, 1e-5) is reported
beside it. Rule for learning (see fixtures/criteria.py): below the range refutes; within it
reproduces unless a measured gain is not significant; above it is inconclusive unless the run
demonstrably learned. Checkpoint mode cannot measure learning and says so in the reason.
"""

from __future__ import annotations

from fixtures.criteria import c1_sparsity
from rlsparse_check.report.figures import tolerance_series
from rlsparse_check.results import ClaimResult

TITLE = "RL fine-tuning leaves most entries unchanged (sparsity within the claimed range)"
PAPER = {"summary": "68.5%-96.0% unchanged (10 RL checkpoints, tol 1e-5)",
         "range_tol_1e-5": [0.685, 0.96], "range_tol_1e-8": [0.504, 0.876],
         "sft_range": [0.06, 0.15]}
ATOLS = (0.0, 1e-8, 1e-5)


def test_sparsity_of_each_tuned_checkpoint_is_in_the_claimed_range(
        checkpoint_case, checkpoint_diffs, rlsparse_settings, record_claim):
    lo, hi = rlsparse_settings.sparsity_range
    table = checkpoint_diffs.tolerances(checkpoint_case, ATOLS)
    bitwise = table[0.0]
    learned = checkpoint_case.meta.get("learned")  # training mode fills it; None here
    decision = c1_sparsity(bitwise.sparsity, bitwise.changed, lo, hi, learned=learned)
    record_claim(ClaimResult(
        id="C1", title=TITLE, case=checkpoint_case.label, verdict=decision.verdict,
        reason=decision.reason,
        paper={**PAPER, "criterion": f"bitwise sparsity within [{lo:g}, {hi:g}]"},
        measured={"key": "sparsity", "sparsity": bitwise.sparsity, "changed": bitwise.changed,
                  "total": bitwise.total,
                  "tolerances": {f"{atol:g}": r.sparsity for atol, r in table.items()},
                  "by_kind": {k: v["sparsity"] for k, v in bitwise.by_kind().items()},
                  "learning_gain": checkpoint_case.meta.get("gain", "not measured")},
        statistics={"test": "exact count (one checkpoint, no sampling)", "n": 1,
                    "threshold": [lo, hi]},
        runs=[checkpoint_case.run_record()],
        plots={"series": tolerance_series({checkpoint_case.label: {
                   atol: r.sparsity for atol, r in table.items()}}, reference=(lo, hi))},
    ))
