"""C5: did a variant take effect? A variant that changed nothing in training (a KL coefficient
whose KL term stayed zero, clipping turned off where the usual run never clipped, off-policy
updates whose importance ratio never left 1) cannot show that the knob leaves sparsity alone.
Nor can one that changed training by a trace: each knob must reach a minimum effect (a stated
threshold: ``--min-kl-term``, ``--min-clipped-share``, ``--min-ratio-spread``), else the case is
inconclusive for that variant."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rlsparse_check.criteria.combine import pct
from rlsparse_check.results import Decision, Verdict
from rlsparse_check.thresholds import THRESHOLDS

__all__ = ["took_effect", "MINIMUM"]

#: The default minimum effect of each knob (option names in rlsparse_check/thresholds.py).
MINIMUM = {
    k: THRESHOLDS[k].default for k in ("min-kl-term", "min-clipped-share", "min-ratio-spread")
}


def _g(x: float | None) -> str:
    return "not logged" if x is None else f"{x:.3g}"


def took_effect(
    usual: Mapping[str, Any], variant: Mapping[str, Any], minimum: Mapping[str, float] = MINIMUM
) -> Decision:
    """``usual``, ``variant``: what each run set applied (means over seeds of
    :func:`rlsparse_check.measures.variants.run_effect`). The knob is the one that differs:
    the KL coefficient (the run set with the larger one must show a KL term of at least
    ``minimum["min-kl-term"]``), ``max_grad_norm`` (the clipped run set must have clipped at
    least ``minimum["min-clipped-share"]`` of its steps), or the updates per batch (the
    off-policy run set's mean |importance ratio - 1| at least ``minimum["min-ratio-spread"]``).
    REPRODUCED means "took effect" (a guard, combined with
    :func:`rlsparse_check.criteria.learning.guard`)."""
    ok, no = Verdict.REPRODUCED, Verdict.INCONCLUSIVE
    if usual["beta"] != variant["beta"]:
        on, need = max((usual, variant), key=lambda fx: fx["beta"]), minimum["min-kl-term"]
        why = f"KL coefficient {on['beta']:g}: mean KL {_g(on['mean_kl'])}"
        why += f", KL term {_g(on['kl_term'])} (need {need:g})"
        if on["kl_term"] is not None and on["kl_term"] >= need:
            return Decision(ok, f"took effect: {why}")
        return Decision(no, f"the KL variant did not take effect ({why})")
    if usual["max_grad_norm"] != variant["max_grad_norm"]:
        on = usual if usual["max_grad_norm"] else variant
        share, need = on["clipped_step_share"], minimum["min-clipped-share"]
        why = (
            f"clipping at max-norm {on['max_grad_norm']:g} clipped {pct(share)} of steps "
            f"(need {pct(need)})"
        )
        if share is not None and share >= need:
            return Decision(ok, f"took effect: {why}")
        return Decision(no, f"turning clipping off changed too little: {why}")
    if usual["iterations"] != variant["iterations"]:
        on = max((usual, variant), key=lambda fx: fx["iterations"])
        need = minimum["min-ratio-spread"]
        spread, clipped = on["ratio_spread"], on["ratio_clipped_share"]
        why = (
            f"{on['iterations']:g} updates per batch: mean |importance ratio - 1| {_g(spread)} "
            f"(need {need:g}), ratio-clipped share {_g(clipped)}"
        )
        if spread is not None and spread >= need:
            return Decision(ok, f"took effect: {why}")
        return Decision(no, f"the off-policy variant barely moved the ratio from 1 ({why})")
    why = "the variant's recipe does not differ from the usual one in KL, clipping or updates"
    return Decision(no, why)
