"""The one comparison of two claims runs: the ``--baseline`` drift check and ``rlsparse-check
report --compare``.

:func:`changes` is the comparison both use: one :class:`Change` per claim in either run, with
both verdicts and both key figures. A key figure (``measured["key"]``, see collect.py) moved when
it changed by more than the tolerance: absolute for figures within [-1, 1] (fractions such as
sparsity: 0.05 = 5 percentage points), relative to the earlier value beyond that (ratios, ranks).

:func:`compare` reads those changes as drifts for CI gating: a changed verdict or a moved key
figure drifts; a claim in the baseline that this run did not test is a note, not a drift (the run
may have been narrower on purpose); a claim new in this run is not reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rlsparse_check.numbers import number, points, reading, share_mode
from rlsparse_check.report.collect import claim_order, key_figure

__all__ = ["DEFAULT_TOLERANCE", "Drift", "Change", "changes", "compare"]

#: How far a key figure may move before it counts (--drift-tolerance, report --tolerance).
DEFAULT_TOLERANCE = 0.05


@dataclass(frozen=True)
class Drift:
    claim_id: str
    message: str
    is_failure: bool = True


@dataclass(frozen=True)
class Change:
    """One claim in two runs; ``before``/``after`` are None where a run did not test it."""

    claim_id: str
    title: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    tolerance: float

    @property
    def verdict_before(self) -> str | None:
        return None if self.before is None else self.before.get("verdict")

    @property
    def verdict_after(self) -> str | None:
        return None if self.after is None else self.after.get("verdict")

    @property
    def verdict_changed(self) -> bool:
        both = self.before is not None and self.after is not None
        return both and self.verdict_before != self.verdict_after

    @property
    def figure_before(self) -> tuple[str, float] | None:
        return None if self.before is None else key_figure(self.before)

    @property
    def figure_after(self) -> tuple[str, float] | None:
        return None if self.after is None else key_figure(self.after)

    @property
    def figure_name(self) -> str | None:
        """The key figure's name when both runs have the same one."""
        old, new = self.figure_before, self.figure_after
        return old[0] if old and new and old[0] == new[0] else None

    @property
    def figure_moved(self) -> bool:
        if self.figure_name is None:
            return False
        before, after = self.figure_before[1], self.figure_after[1]  # type: ignore[index]
        return abs(after - before) > self.tolerance * max(1.0, abs(before))

    @property
    def changed(self) -> bool:
        """Anything a reviewer should look at: verdict, figure, or a claim in one run only."""
        return (
            self.verdict_changed or self.figure_moved or self.before is None or self.after is None
        )


def changes(
    before: list[dict[str, Any]], after: list[dict[str, Any]], tolerance: float
) -> list[Change]:
    """One :class:`Change` per claim id in either list, in claim order."""
    old = {c.get("id", "?"): c for c in before}
    new = {c.get("id", "?"): c for c in after}
    found = []
    for claim_id in sorted(set(old) | set(new), key=claim_order):
        entry = new.get(claim_id) or old[claim_id]
        found.append(
            Change(
                claim_id,
                str(entry.get("title", "")),
                old.get(claim_id),
                new.get(claim_id),
                tolerance,
            )
        )
    return found


def _tolerance_text(tolerance: float, name: str | None) -> str:
    """The tolerance as it applies to a figure: percentage points for a share."""
    return points(tolerance).lstrip("+") if name and share_mode(name) else number(tolerance)


def compare(
    claims: list[dict[str, Any]], baseline: dict[str, Any], tolerance: float
) -> list[Drift]:
    """Drifts of ``claims`` (this run) from ``baseline`` (a loaded report), sorted by claim."""
    drifts: list[Drift] = []
    for change in changes(baseline["claims"], claims, tolerance):
        claim_id = change.claim_id
        if change.before is None:
            continue
        if change.after is None:
            drifts.append(
                Drift(
                    claim_id,
                    f"{claim_id}: in the baseline but not tested in this run",
                    is_failure=False,
                )
            )
            continue
        if change.verdict_before != change.verdict_after:
            drifts.append(
                Drift(
                    claim_id,
                    f"{claim_id}: verdict changed from "
                    f"{change.verdict_before} to {change.verdict_after}",
                )
            )
        if change.figure_moved:
            drifts.append(
                Drift(
                    claim_id,
                    f"{claim_id}: {change.figure_name} moved from "
                    f"{reading(change.figure_before[1], change.figure_name)} to "
                    f"{reading(change.figure_after[1], change.figure_name)} (tolerance "
                    f"{_tolerance_text(tolerance, change.figure_name)})",
                )
            )
    return drifts
