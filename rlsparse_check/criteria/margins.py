"""Bounds against a margin: "A exceeds B by at least a margin" (C2, C6, C9a), "a mean stays
below a limit" (C4) and equivalence within a margin by TOST (C4, C5, the regime check; refuted by
the opposite question's family-adjusted p-value); and the
conditions a comparison at matched gain needs (C2): the gains are precise enough and the matched
gain lies where both frontiers still rise (on a plateau, matching gains matches noise)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rlsparse_check.criteria.combine import p_text, verdict_of
from rlsparse_check.results import Decision, Verdict

__all__ = [
    "much_greater",
    "margin_figures",
    "at_most",
    "equivalent",
    "on_rising_part",
    "precise_gains",
    "sparser_at_matched_gain",
    "decided_by",
    "with_room",
]


def much_greater(
    what: str,
    test: Any,
    margin: float,
    alpha: float,
    *,
    p_above: float | None = None,
    p_below: float | None = None,
) -> Decision:
    """ "A exceeds B by at least ``margin``" from a :class:`~rlsparse_check.stats.MarginTest` at
    level ``1 - alpha``: its lower bound reaching the margin (p_above < alpha) supports, its
    upper bound below it (p_below < alpha) refutes. ``p_above``/``p_below`` replace the test's
    own p-values with family-adjusted ones."""
    up = test.p_above if p_above is None else p_above
    down = test.p_below if p_below is None else p_below
    why = (
        f"{what}: difference {100 * test.diff:+.2f} pp, one-sided {100 * (1 - alpha):g}% bounds "
        f"{100 * test.lower:+.2f} / {100 * test.upper:+.2f} pp vs margin {100 * margin:g} pp "
        f"(p above the margin {p_text(up)}, below it {p_text(down)}; {test.test}, n={test.n})"
    )
    if up < alpha:
        why += ": greater by at least the margin"
    elif down < alpha:
        why += ": a difference as large as the margin is excluded"
    return verdict_of(up < alpha, down < alpha, why, test.n)


def margin_figures(test: Any) -> dict[str, Any]:
    """The statistics a verdict on a MarginTest reports (all None without a test)."""
    if test is None:
        return dict.fromkeys(("p", "p_below_margin", "n", "effect", "ci"))
    return {
        "p": test.p_above,
        "p_below_margin": test.p_below,
        "n": test.n,
        "effect": test.diff,
        "ci": [test.lower, test.upper],
    }


def at_most(
    what: str,
    test: Any,
    limit: float,
    alpha: float,
    *,
    p_below: float | None = None,
    p_above: float | None = None,
) -> Decision:
    """A mean over seeds at most ``limit`` (a MarginTest of the values against the limit at
    level ``1 - alpha``): the upper bound at or below the limit supports, the lower bound above
    it refutes. ``p_below``/``p_above`` replace the test's p-values with adjusted ones."""
    down = test.p_below if p_below is None else p_below
    up = test.p_above if p_above is None else p_above
    why = (
        f"{what}: mean {test.diff:.4g}, one-sided {100 * (1 - alpha):g}% bounds "
        f"{test.lower:.4g} / {test.upper:.4g} vs limit {limit:g} (adjusted p below "
        f"{p_text(down)}, above {p_text(up)}; n={test.n})"
    )
    return verdict_of(down < alpha, up < alpha, why, test.n)


def equivalent(
    what: str,
    diff: float,
    ci: tuple[float, float],
    p_adjusted: float | None,
    margin: float,
    alpha: float,
    *,
    n: int,
    min_n: int = 2,
    p_outside: float | None = None,
    family: int | None = None,
) -> Decision:
    """TOST: ``diff`` with its ``1 - 2 alpha`` interval ``ci`` and adjusted p against
    ``(-margin, margin)``. ``p_outside``: the family-adjusted p-value of the opposite question
    (the difference lies outside the margin, ``1 - p`` of the TOST before correction; see
    :func:`rlsparse_check.stats.corrections.adjust_directional`): below ``alpha`` refutes, so
    refutation is corrected like support. Without it (a TOST of its own, no family) the raw
    interval entirely outside the margin refutes. ``family`` (Bonferroni, m members): the p given
    is the member's unadjusted TOST p and ``alpha`` is already the family level alpha / m, and
    the reason says so."""
    if family is None:
        p_said = f"TOST adjusted p {p_text(p_adjusted)}"
    else:
        p_said = f"TOST unadjusted p {p_text(p_adjusted)} against alpha / {family} = {alpha:.3g}"
    why = (
        f"{what}: difference {diff:+.4f} ({100 * (1 - 2 * alpha):g}% CI {ci[0]:+.4f} to "
        f"{ci[1]:+.4f}) vs margin +-{margin:.4g}, {p_said}"
    )
    if p_adjusted is None:
        return verdict_of(False, False, why, n, min_n)
    if p_outside is None:
        outside = ci[0] >= margin or ci[1] <= -margin
    else:
        outside = bool(p_outside < alpha)
        why += f", outside the margin adjusted p {p_text(p_outside)}"
    return verdict_of(
        p_adjusted < alpha, outside, why + (": outside the margin" * outside), n, min_n
    )


def on_rising_part(rises: Sequence[Any], alpha: float) -> Decision:
    """Every frontier still rising at the matched gain: the upper rung around it scores above
    the lower one, paired over eval problems on the shared draws with the seeds averaged,
    one-sided p < ``alpha`` (``rises``: :class:`Rise` per curve). Otherwise inconclusive,
    naming the flat curve (a plateau the data show, not a noise model that cannot pass)."""
    if not rises:
        return Decision(Verdict.INCONCLUSIVE, "the frontiers share no eval gain")
    flat = []
    for r in rises:
        if r.rungs is None:
            flat.append(f"{r.what}: the matched gain {r.gain:+.3f} lies outside its curve")
        elif r.p is None or not (r.p < alpha and r.rise > 0):
            flat.append(
                f"{r.what}: gain rises {r.rise:+.4f} between rungs {r.rungs[0] + 1} and "
                f"{r.rungs[1] + 1} around {r.gain:+.3f} (paired over problems, one-sided p "
                f"{p_text(r.p)})"
            )
    if flat:
        return Decision(
            Verdict.INCONCLUSIVE,
            "the matched gain is not where both frontiers still rise (" + "; ".join(flat) + ")",
        )
    return Decision(Verdict.REPRODUCED, "both frontiers rise at the matched gain")


def precise_gains(ses: Mapping[str, float], limit: float) -> Decision:
    """Every run's eval standard error at most ``limit``; else inconclusive, naming them."""
    noisy = {k: v for k, v in ses.items() if not v <= limit}
    if noisy:
        worst = ", ".join(f"{k} {v:.3f}" for k, v in sorted(noisy.items())[:4])
        return Decision(
            Verdict.INCONCLUSIVE,
            f"{len(noisy)} run(s) evaluated with a standard error above {limit:g} ({worst})",
        )
    return Decision(Verdict.REPRODUCED, f"every eval standard error at most {limit:g}")


def sparser_at_matched_gain(
    test: Any,
    conditions: Sequence[Decision],
    learned: Sequence[Decision],
    margin: float,
    alpha: float,
) -> Decision:
    """C2: the margin rule on the differences at matched gain (``test``: a MarginTest, None
    when fewer than two seed pairs share a gain), unless a condition (eval precision, rising
    curves) fails (the first failing one decides) or an arm did not learn (the guard)."""
    from rlsparse_check.criteria.learning import guard

    if test is None:
        verdict = Decision(Verdict.INCONCLUSIVE, "fewer than two seed pairs share a gain")
    else:
        verdict = much_greater("RL minus SFT sparsity at matched gain", test, margin, alpha)
    failed = [d for d in conditions if d.verdict is not Verdict.REPRODUCED]
    if not learned:
        learned = [Decision(Verdict.INCONCLUSIVE, "no frontier reaches the matched gain")]
    return guard(failed[0] if failed else verdict, *learned)


def decided_by(decision: Decision, test: Any, margin: float, blockers: Sequence[Decision]) -> str:
    """One sentence saying what decided a margin verdict (C2's report reason leads with it):
    the first failing ``blockers`` (learning guards, then conditions, in the order the rule
    applies them), else the margin test's bound against the margin."""
    said = decision.verdict.value.replace("_", " ").capitalize()
    failed = [d for d in blockers if d.verdict is not Verdict.REPRODUCED]
    if failed:
        return f"{said}, decided by: {failed[0].reason}."
    if test is None:
        return f"{said}, decided by: fewer than two seed pairs share a gain."
    bounds = f"{100 * test.lower:+.1f} / {100 * test.upper:+.1f} pp"
    if decision.verdict is Verdict.REPRODUCED:
        why = f"the one-sided lower bound {100 * test.lower:+.1f} pp reaches"
    elif decision.verdict is Verdict.NOT_REPRODUCED:
        why = f"the one-sided upper bound {100 * test.upper:+.1f} pp is below"
    else:
        why = f"the one-sided bounds {bounds} straddle"
    return f"{said}, decided by the margin test: {why} the {100 * margin:g} pp margin."


def with_room(decision: Decision, room: float, margin: float) -> Decision:
    """C6: a refutation needs room to show the margin: when the sparser arm sits less than
    ``margin`` above the sparsity floor, both arms are at the floor and the comparison cannot
    tell them apart: inconclusive. (A reproduction already implies that room.)"""
    if decision.verdict is Verdict.NOT_REPRODUCED and room < margin:
        return Decision(
            Verdict.INCONCLUSIVE,
            f"both arms sit at the sparsity floor (the sparser one {100 * room:+.2f} pp above "
            f"it, less than the {100 * margin:g} pp margin): no room for the difference; "
            f"{decision.reason}",
        )
    return decision
