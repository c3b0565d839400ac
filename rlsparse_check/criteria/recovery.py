"""C4's verdict: recovery inside the RL mask (eval equivalence within a share of the full run's
gain, parameters no farther from the full run than a second seed's) and the random-mask control,
which has to fail for the claim to hold (a random mask of equal per-tensor density that recovers
the full run too means recovery does not need the RL mask). The three questions are one member
each of a family, each answered either way, support and refutation corrected alike."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rlsparse_check.criteria.combine import p_text, verdict_of
from rlsparse_check.criteria.margins import at_most, equivalent
from rlsparse_check.results import Decision, Verdict

__all__ = ["recovered", "beats_random", "recovery_decision"]


def recovered(
    eq: Decision, close: Decision, leaked: Mapping[str, int], control: Decision | None = None
) -> Decision:
    """C4: eval equivalence and nearly identical parameters must both hold, and (``control``)
    a random mask of equal per-tensor density must fail to recover the full run; any entry
    changed outside a mask makes the masked runs invalid: inconclusive, whatever the parts say."""
    from rlsparse_check.criteria.combine import all_of

    parts = [("eval equivalence", eq), ("nearly identical parameters", close)]
    parts += [] if control is None else [("random-mask control fails", control)]
    decision = all_of(parts)
    if any(leaked.values()):
        counts = ", ".join(f"{k} {v}" for k, v in leaked.items())
        return Decision(
            Verdict.INCONCLUSIVE,
            f"masking did not hold (entries changed outside the masks: {counts}): the masked "
            f"runs are invalid; {decision.reason}",
        )
    return decision


def beats_random(test: Any, margin: float, alpha: float, *, p_short: float, p_recovers: float):
    """C4's control, deciding: ``test`` is a MarginTest of the random-mask run's eval minus the
    full run's (paired by seed) against ``-margin``. The random mask falling short by more than
    the margin (upper bound below ``-margin``, adjusted ``p_short`` < alpha) is what the claim
    needs (the RL mask matters); the random mask shown non-inferior within the margin (lower
    bound above ``-margin``, adjusted ``p_recovers`` < alpha) refutes it (recovery does not need
    the RL mask); neither is inconclusive."""
    why = (
        f"random mask minus full eval {test.diff:+.4f} (one-sided {100 * (1 - alpha):g}% bounds "
        f"{test.lower:+.4f} / {test.upper:+.4f}) vs -{margin:.4g}: adjusted p falls short "
        f"{p_text(p_short)}, recovers {p_text(p_recovers)}; n={test.n}"
    )
    if p_short < alpha:
        why += ": the random mask falls short, the RL mask beats it"
    elif p_recovers < alpha:
        why += ": a random mask of equal per-tensor density recovers the full run too"
    return verdict_of(p_short < alpha, p_recovers < alpha, why, test.n, 2)


def recovery_decision(
    r: Any,
    fixed: float | None,
    margin: float,
    alpha: float,
    correction: str,
    full_learned: Decision,
) -> tuple[Decision, Any, dict[str, float]]:
    """C4's verdict from a :class:`~rlsparse_check.measures.recovery.Recovery`: (i) the eval
    TOST of the RL-mask run, (ii) its distance no farther than the seed reference (paired bounds
    of the gap against 0), or than ``fixed`` when given, (iii) the random-mask control failing
    (:func:`beats_random`); ``margin`` is the eval margin (a share of the full run's gain). The
    three questions are one member each of a family (each answered either way:
    :func:`~rlsparse_check.stats.corrections.adjust_directional`); the leak override and the
    learning guard on top. Returns the decision, the deciding distance test and the adjusted
    p-values (``*_support`` / ``*_refute``)."""
    from rlsparse_check.criteria.learning import guard
    from rlsparse_check.stats.corrections import adjust_directional

    n = len(r.after["full"])
    t = r.tost.get("rl_mask")
    dist, limit = (r.closer, 0.0) if fixed is None else (r.fixed, fixed)
    if t is None or r.control is None:
        why = f"the full run gained nothing to recover (eval margin {margin:.4g})"
        return guard(Decision(Verdict.INCONCLUSIVE, why), full_learned), dist, {}
    names = ("tost", "distance", "control")
    support = [t.p_value, dist.p_below, r.control.p_below]
    refute = [1.0 - t.p_value, dist.p_above, r.control.p_above]
    s_adj, r_adj = adjust_directional(support, refute, correction)
    adj = {f"{k}_support": float(v) for k, v in zip(names, s_adj, strict=True)}
    adj |= {f"{k}_refute": float(v) for k, v in zip(names, r_adj, strict=True)}
    eq = equivalent(
        "eval reward, RL mask minus full (paired)",
        t.effect,
        tuple(t.ci),
        adj["tost_support"],
        margin,
        alpha,
        n=n,
        p_outside=adj["tost_refute"],
    )
    what = "RL-mask distance" + (" minus a second seed's distance" if fixed is None else "")
    close = at_most(
        what, dist, limit, alpha, p_below=adj["distance_support"], p_above=adj["distance_refute"]
    )
    control = beats_random(
        r.control, margin, alpha, p_short=adj["control_support"], p_recovers=adj["control_refute"]
    )
    leaks = {k: sum(v) for k, v in r.leaks.items()}
    return guard(recovered(eq, close, leaks, control), full_learned), dist, adj
