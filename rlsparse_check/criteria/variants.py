"""C5: did a variant take effect? A variant that changed nothing in training (a KL coefficient
whose KL term stayed zero, clipping turned off where the usual run never clipped, off-policy
updates whose importance ratio never left 1) cannot show that the knob leaves sparsity alone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rlsparse_check.criteria.combine import pct
from rlsparse_check.results import Decision, Verdict

__all__ = ["took_effect"]


def _g(x: float | None) -> str:
    return "not logged" if x is None else f"{x:.3g}"


def took_effect(usual: Mapping[str, Any], variant: Mapping[str, Any]) -> Decision:
    """``usual``, ``variant``: what each run set applied (means over seeds of
    :func:`rlsparse_check.measures.variants.run_effect`). The knob is the one that differs:
    the KL coefficient (the run set with the larger one must show a KL term above zero),
    ``max_grad_norm`` (the clipped run set must have clipped some steps), or the updates per
    batch (the off-policy run set's importance ratio must spread away from 1). REPRODUCED means
    "took effect" (a guard, combined with :func:`rlsparse_check.criteria.learning.guard`)."""
    ok, no = Verdict.REPRODUCED, Verdict.INCONCLUSIVE
    if usual["beta"] != variant["beta"]:
        on = max((usual, variant), key=lambda fx: fx["beta"])
        why = f"KL coefficient {on['beta']:g}: mean KL {_g(on['mean_kl'])}"
        why += f", KL term {_g(on['kl_term'])}"
        if on["kl_term"] is not None and on["kl_term"] > 0:
            return Decision(ok, f"took effect: {why}")
        return Decision(no, f"the KL variant did not take effect ({why})")
    if usual["max_grad_norm"] != variant["max_grad_norm"]:
        on = usual if usual["max_grad_norm"] else variant
        share = on["clipped_step_share"]
        why = f"clipping at max-norm {on['max_grad_norm']:g} clipped {pct(share)} of steps"
        if share is not None and share > 0:
            return Decision(ok, f"took effect: {why}")
        return Decision(no, f"turning clipping off changed nothing: {why}")
    if usual["iterations"] != variant["iterations"]:
        on = max((usual, variant), key=lambda fx: fx["iterations"])
        spread, clipped = on["ratio_spread"], on["ratio_clipped_share"]
        why = (
            f"{on['iterations']:g} updates per batch: mean |importance ratio - 1| {_g(spread)}, "
            f"ratio-clipped share {_g(clipped)}"
        )
        if (spread or 0) > 0 or (clipped or 0) > 0:
            return Decision(ok, f"took effect: {why}")
        return Decision(no, f"the off-policy variant did not move the ratio from 1 ({why})")
    why = "the variant's recipe does not differ from the usual one in KL, clipping or updates"
    return Decision(no, why)
