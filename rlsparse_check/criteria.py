"""The decision rules of the claims: numbers in, a Decision out (pure functions).

Each rule is fixed before any run is looked at, quotes its numbers in the reason, and can come
out ``reproduced``, ``not_reproduced`` or ``inconclusive`` (tests/test_criteria.py simulates each
under its null and under a planted effect). A claim with several parts combines them with
:func:`all_of`: the worst part decides.

The shapes of evidence:

* a mean over seeds against a range (C1): the two-sided 95% t interval of the mean, inside the
  range supports, outside it refutes, straddling a bound is inconclusive; a run set whose eval
  gain is not significant is inconclusive whichever side it falls (it may not have learned);
* "A exceeds B by at least a margin" (C2, C6, C9a) and "a mean stays below a limit" (C4): decided
  on one-sided confidence bounds at level ``1 - alpha``, never on a point estimate: the lower
  bound at or above the margin supports, the upper bound below it refutes;
* equivalence within a margin (C4, C5, regime invariance): TOST; its ``1 - 2 alpha`` interval
  entirely outside the margin refutes;
* overlap above chance (C3, C5): the excess over the magnitude-stratified chance as a share of
  the attainable excess, with the null's noise as its bounds, plus the corrected p-value;
* exact measurements of one checkpoint (C1 in checkpoint mode, C7, C8, C9c): no sampling, so the
  value is compared with its threshold directly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from rlsparse_check.results import Decision, Verdict, decide, worst

__all__ = [
    "all_of",
    "correct",
    "pct",
    "p_text",
    "in_range",
    "checkpoint_in_range",
    "much_greater",
    "margin_figures",
    "at_most",
    "equivalent",
    "overlap_above_chance",
    "full_rank",
    "spread_across_blocks",
    "norms_spared",
    "trend",
    "agreement_beyond_chance",
]


def pct(x: float | None) -> str:
    from rlsparse_check.numbers import percent

    return percent(x)


def p_text(p: float | None) -> str:
    from rlsparse_check.numbers import p_value

    return p_value(p)


def all_of(parts: Sequence[tuple[str, Decision]], *, decisive_only: bool = False) -> Decision:
    """Criteria that must all hold: the worst part decides. The reason lists every part, or
    with ``decisive_only`` only the first part of the worst verdict (order the parts so that
    the most telling one comes first)."""
    if not parts:
        return Decision(Verdict.INCONCLUSIVE, "no evidence")
    verdict = worst([d.verdict for _, d in parts])
    if decisive_only:
        return next(d for _, d in parts if d.verdict is verdict)
    return Decision(
        verdict, "; ".join(f"[{name}] {d.verdict.value}: {d.reason}" for name, d in parts)
    )


def correct(tests: Mapping[str, dict[str, Any]], method: str, key: str = "p") -> None:
    """Adjust the ``key`` p-values of a family of tests together (``method``: holm, bh) and
    write each back as ``f"{key}_adjusted"``; tests whose p-value is None are left out."""
    from rlsparse_check.stats import adjust

    named = [name for name, test in tests.items() if test.get(key) is not None]
    if named:
        for name, p in zip(named, adjust([tests[n][key] for n in named], method), strict=True):
            tests[name][f"{key}_adjusted"] = float(p)


def _verdict(supports: bool, refutes: bool, why: str, n: int = 1, min_n: int = 1) -> Decision:
    return decide(supports=supports, refutes=refutes and not supports, n=n, min_n=min_n, why=why)


def in_range(
    values: Sequence[float], lo: float, hi: float, *, learned: bool, gain_why: str, alpha: float
) -> tuple[Decision, tuple[float, float]]:
    """C1 over seeds: the ``1 - alpha`` t interval of the mean sparsity against ``[lo, hi]``.
    ``learned``: the eval gain over seeds is significantly above zero (after correction)."""
    from rlsparse_check.stats import mean_ci

    n = len(values)
    ci = mean_ci(values, 1 - alpha) if n >= 2 else (-math.inf, math.inf)
    mean = sum(values) / n if n else math.nan
    where = (
        f"mean sparsity {pct(mean)} ({100 * (1 - alpha):g}% t interval {pct(ci[0])}-"
        f"{pct(ci[1])}, n={n} seeds) vs claimed range [{pct(lo)}, {pct(hi)}]; {gain_why}"
    )
    if n < 2:
        return _verdict(False, False, where, n, min_n=2), ci
    if ci[1] < lo:
        side, text = "below", "denser than claimed"
    elif ci[0] > hi:
        side, text = "above", "sparser than claimed"
    elif lo <= ci[0] and ci[1] <= hi:
        side, text = "inside", "within the range"
    else:
        return _verdict(False, False, f"{where}: the interval straddles a bound", n), ci
    if not learned:
        why = f"{where}: {side} the range, but runs that did not learn prove nothing either way"
        return _verdict(False, False, why, n), ci
    return _verdict(side == "inside", side != "inside", f"{where}: {text}", n), ci


def checkpoint_in_range(sparsity: float, changed: int, lo: float, hi: float) -> Decision:
    """C1 for one given checkpoint (exact count). Learning cannot be measured here, so the
    user's word that it is a trained RL checkpoint is taken below and within the range; above
    it, a barely-moved checkpoint cannot be ruled out."""
    where = f"sparsity {pct(sparsity)} vs claimed range [{pct(lo)}, {pct(hi)}]"
    if changed == 0:
        why = "the tuned checkpoint is identical to its base: nothing was fine-tuned"
        return Decision(Verdict.INCONCLUSIVE, why)
    if sparsity < lo:
        return _verdict(False, True, f"{where}: denser than claimed")
    if sparsity <= hi:
        return _verdict(True, False, f"{where} (learning gain not measured in checkpoint mode)")
    return _verdict(
        False,
        False,
        f"{where}: sparser than claimed; a barely-moved checkpoint "
        "cannot be ruled out without an eval gain",
    )


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
    return _verdict(up < alpha, down < alpha, why, test.n)


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


def at_most(what: str, test: Any, limit: float, alpha: float) -> Decision:
    """A mean over seeds at most ``limit`` (a MarginTest of the values against the limit at
    level ``1 - alpha``): the upper bound at or below the limit supports, the lower bound above
    it refutes."""
    why = (
        f"{what}: mean {test.diff:.4g}, one-sided {100 * (1 - alpha):g}% bounds "
        f"{test.lower:.4g} / {test.upper:.4g} vs limit {limit:g} (n={test.n})"
    )
    return _verdict(test.p_below < alpha, test.p_above < alpha, why, test.n)


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
) -> Decision:
    """TOST: ``diff`` with its ``1 - 2 alpha`` interval ``ci`` and adjusted p against
    ``(-margin, margin)``; the interval entirely outside the margin refutes."""
    why = (
        f"{what}: difference {diff:+.4f} ({100 * (1 - 2 * alpha):g}% CI {ci[0]:+.4f} to "
        f"{ci[1]:+.4f}) vs margin +-{margin:g}, TOST adjusted p {p_text(p_adjusted)}"
    )
    if p_adjusted is None:
        return _verdict(False, False, why, n, min_n)
    outside = ci[0] >= margin or ci[1] <= -margin
    return _verdict(p_adjusted < alpha, outside, why + (": outside the margin" * outside), n, min_n)


def overlap_above_chance(
    row: Mapping[str, Any], p_adjusted: float, min_excess: float, alpha: float
) -> Decision:
    """One pair of masks against the magnitude-stratified null. ``row``: an overlap row with
    ``both``, ``count_a``, ``count_b``, ``expected_stratified``, ``attainable``,
    ``excess_stratified`` and ``excess_stratified_sd``.

    The excess is bounded at one-sided level ``1 - alpha`` with a standard error that holds away
    from the null too: the larger of the null's and of a binomial view of the intersection from
    either mask, ``k (a - k) / a + k (b - k) / b``. The lower bound reaching ``min_excess`` with
    ``p_adjusted < alpha`` supports; the upper bound below it refutes. Symmetric in the masks."""
    from scipy.stats import norm

    head = (
        f"{row.get('a', 'A')} vs {row.get('b', 'B')}: intersection {row['both']:,} vs "
        f"stratified chance {row['expected_stratified']:,.1f}, attainable {row['attainable']:,}"
    )
    excess, room = row.get("excess_stratified"), row["attainable"] - row["expected_stratified"]
    if excess is None or not math.isfinite(excess) or room <= 0:
        return _verdict(False, False, f"{head}: no excess over chance is attainable")
    k, na, nb = row["both"], row["count_a"], row["count_b"]
    spread = (k * (na - k) / na if na else 0.0) + (k * (nb - k) / nb if nb else 0.0)
    null = (row.get("excess_stratified_sd") or 0.0) * room
    half = float(norm.ppf(1 - alpha)) * math.sqrt(max(null * null, spread)) / room
    why = (
        f"{head}: excess {pct(excess)} of the attainable (bounds {pct(excess - half)} to "
        f"{pct(excess + half)}) vs {pct(min_excess)} needed, adjusted p {p_text(p_adjusted)}"
    )
    supports = excess - half >= min_excess and p_adjusted < alpha
    return _verdict(supports, excess + half < min_excess, why)


def full_rank(
    mean_ratio: float | None,
    min_ratio: float,
    *,
    matrices: int,
    published_style: float | None,
    random_reference: float | None,
) -> Decision:
    """C7 for one checkpoint (exact): the mean rank ratio above the storage noise floor against
    ``min_ratio``, with the published-style figure and random sparse matrices quoted beside."""
    if mean_ratio is None or matrices == 0:
        return Decision(Verdict.INCONCLUSIVE, "no 2-D weight was updated: no rank to measure")
    why = (
        f"mean rank ratio above the storage noise floor {pct(mean_ratio)} over {matrices} "
        f"matrices (need {pct(min_ratio)}); published-style tolerance {pct(published_style)}; "
        f"random sparse matrices of equal density {pct(random_reference)}"
    )
    if random_reference is not None and random_reference >= min_ratio:
        why += " (random sparse updates are full rank too: full rank says little of structure)"
    return _verdict(mean_ratio >= min_ratio, mean_ratio < min_ratio, why)


def spread_across_blocks(
    densities: Sequence[float], *, active_fraction: float, min_active: float, max_cv: float
) -> tuple[Decision, dict[str, float]]:
    """C8, spread (exact): the share of blocks taking part (density at least
    ``active_fraction`` x the median block's) and the coefficient of variation of densities."""
    if not densities or not any(densities):
        return Decision(Verdict.INCONCLUSIVE, "no numbered block was updated"), {}
    ordered, mid = sorted(densities), len(densities) // 2
    median = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
    active = sum(1 for d in densities if d > 0 and d >= active_fraction * median)
    mean = sum(densities) / len(densities)
    cv = math.sqrt(sum((d - mean) ** 2 for d in densities) / len(densities)) / mean
    share = active / len(densities)
    why = (
        f"{active}/{len(densities)} blocks take part (need {pct(min_active)}), CV of block "
        f"density {cv:.3f} (at most {max_cv:g})"
    )
    ok = share >= min_active and cv <= max_cv
    figures = {"blocks": len(densities), "active_block_share": share, "block_density_cv": cv}
    return _verdict(ok, not ok, why), figures


def norms_spared(
    norm_fraction: float | None,
    max_updated: float,
    matched: Mapping[str, Any] | None,
    alpha: float,
) -> Decision:
    """C8, norms (exact counts): at most ``max_updated`` of norm entries changed AND fewer than
    non-norm entries of the same magnitude (``matched``: ``expected_fraction``, ``p`` of the
    one-sided stratified test, ``entries``). Norm weights near 1.0 have a half-ULP far above
    any small-rate movement, so "untouched" alone proves nothing: matched entries spared alike
    leave it inconclusive."""
    if norm_fraction is None:
        return Decision(Verdict.INCONCLUSIVE, "the model has no norm parameters")
    head = f"norm entries updated {pct(norm_fraction)} (at most {pct(max_updated)})"
    if norm_fraction > max_updated:
        return _verdict(False, True, f"{head}: norms are updated")
    if not matched or not matched.get("entries"):
        why = f"{head}, but no non-norm entry has a matching |w| to rule out storage precision"
        return _verdict(False, False, why)
    why = (
        f"{head}; non-norm entries of matched |w| ({matched['entries']:,}): "
        f"{pct(matched['expected_fraction'])} updated, one-sided p {p_text(matched['p'])}"
    )
    if matched["p"] < alpha:
        return _verdict(True, False, f"{why}: norms are spared beyond what |w| explains")
    return _verdict(False, False, f"{why}: spared alike, so storage precision explains it")


def trend(
    what: str, falling: Any, rising: Any, alpha: float, *, p_falling: float | None = None
) -> Decision:
    """C9(b): a blocked trend test (seeds kept together) that sparsity falls as lr x steps
    rises; the opposite one-sided test, when significant, refutes."""
    p = falling.p_value if p_falling is None else p_falling
    why = (
        f"{what}: statistic {falling.statistic:+.3f}, one-sided p {p_text(p)} (rising: "
        f"{p_text(rising.p_value)}, n={falling.n})"
    )
    return _verdict(p < alpha, rising.p_value < alpha, why, falling.n)


def agreement_beyond_chance(
    kappa: float | None, min_kappa: float, *, agreement: float, base_rate: float
) -> Decision:
    """C9(c) (exact counts): Cohen's kappa of the half-ULP prediction against the observed
    unchanged entries vs ``min_kappa``; raw agreement and the base rate are quoted beside it."""
    quote = f"raw agreement {pct(agreement)}, base rate {pct(base_rate)} unchanged"
    if kappa is None or not math.isfinite(kappa):
        return Decision(Verdict.INCONCLUSIVE, f"kappa undefined (one class only): {quote}")
    why = f"Cohen's kappa {kappa:.3f} (need {min_kappa:g}); {quote}"
    return _verdict(kappa >= min_kappa, kappa < min_kappa, why)
