"""C9's rules: (b) falls at fixed steps and same at fixed lr x steps; (c) the prediction's error
and the algorithm effect paired by (lr, steps) cell, TOST within a margin. Calibrated under their
nulls (at the margin), powered under planted effects, at n = 3 too, and a point-estimate rule
shown failing the same calibration."""

from __future__ import annotations

import numpy as np
import pytest

from rlsparse_check.criteria.mechanism import predicted, rate_not_steps
from rlsparse_check.measures.mechanism import rate_effect
from rlsparse_check.measures.movement import paired_effect
from rlsparse_check.results import Verdict

SIMS = 1000
BAND = 4 * (0.05 * 0.95 / SIMS) ** 0.5
R, N, U = Verdict.REPRODUCED, Verdict.NOT_REPRODUCED, Verdict.INCONCLUSIVE


def _b(drop, drift, n, seed=0, broken=False, m=1):
    rng = np.random.default_rng(seed)
    counts = dict.fromkeys(Verdict, 0)
    for _ in range(SIMS):
        low = rng.normal(0.6, 0.02, n)
        cell = lambda v: {"lr": 1.0, "steps": 10, "sparsity": list(v)}  # noqa: E731
        e = rate_effect(
            "grpo",
            cell(low),
            cell(low - drop + rng.normal(0, 0.02, n)),
            cell(low - drift + rng.normal(0, 0.02, n)),
            0.05,
            0.05,
        )
        p = {"falls": e.falls.p_above, "rises": e.falls.p_below}
        tost = (e.same.p_value, tuple(e.same.ci), 0.05, 1)
        if m > 1:  # the family level: Bonferroni in both directions
            from rlsparse_check.stats import tost as tost_test

            tost = (e.same.p_value, tuple(tost_test(e.diffs, None, 0.05, 0.05 / m).ci), 0.05 / m, m)
        if broken:  # the point estimate of the equal-lr x steps difference, no interval
            tost = (0.0 if abs(e.same_diff) < 0.05 else 1.0, (e.same_diff,) * 2, 0.05, 1)
        counts[rate_not_steps(e, 0.05, 0.05, p, tost).verdict] += 1
    return {k: v / SIMS for k, v in counts.items()}


def test_b_reproduces_rarely_at_the_equivalence_margin_and_a_point_estimate_rule_often():
    for n in (3, 5):
        assert _b(0.3, 0.05, n)[R] < 0.05 + BAND
    assert _b(0.3, 0.05, 3, broken=True)[R] > 0.3


def test_b_has_power_when_the_rate_matters_only_through_lr_x_steps():
    assert _b(0.3, 0.0, 5)[R] > 0.8
    assert _b(-0.3, 0.0, 3)[N] > 0.9  # sparsity rises with the rate


def test_b_refutes_at_the_family_level_rarely_at_the_margin_and_often_far_beyond_it():
    assert _b(0.3, 0.05, 3, m=6)[N] < 0.05 / 6 + BAND
    assert _b(0.3, 0.05, 3)[N] < 0.05 + BAND
    assert _b(0.3, 0.2, 5, m=6)[N] > 0.8


def _c(delta, cells, *, sd=0.01, seed=0, broken=False, sims=SIMS):
    """The paired algorithm effect over ``cells`` shared (lr, steps) cells: each cell's misfit
    (sd 0.05, shared by both algorithms), RL's residual ``delta`` above SFT's, noise ``sd``."""
    rng = np.random.default_rng(seed)
    counts = dict.fromkeys(Verdict, 0)
    names = {
        f"{a}-{k}": (a == "rl", 1e-6, 10 * (k + 1)) for a in ("rl", "sft") for k in range(cells)
    }
    for _ in range(sims):
        misfit = rng.normal(0, 0.05, cells)
        res = {f"rl-{k}": misfit[k] + delta + rng.normal(0, sd) for k in range(cells)}
        res |= {f"sft-{k}": misfit[k] + rng.normal(0, sd) for k in range(cells)}
        e = paired_effect(res, names, 0.05, 0.05)
        tost = (e["p"], e["ci"], 0.05, 1)
        if broken:  # the point estimate against the margin, no interval
            tost = (0.0 if abs(e["estimate"]) < 0.05 else 1.0, (e["estimate"],) * 2, 0.05, 1)
        counts[predicted(0.02, 0.05, e, 0.05, tost).verdict] += 1
    return {k: v / sims for k, v in counts.items()}


@pytest.mark.parametrize("cells", [3, 7])
def test_c_rarely_calls_an_effect_at_the_margin_equivalent_or_one_within_it_outside(cells):
    assert _c(0.05, cells)[R] < 0.05 + BAND
    assert _c(0.05, cells)[N] < 0.05 + BAND
    assert _c(-0.05, cells, seed=1)[R] < 0.05 + BAND


def test_c_has_power_both_ways_paired_by_cell():
    assert _c(0.0, 7, sims=300)[R] > 0.8 and _c(0.0, 3, sd=0.005, sims=300)[R] > 0.8
    assert _c(0.15, 7, sims=300)[N] > 0.8 and _c(-0.15, 3, sd=0.005, sims=300)[N] > 0.8


def test_c_a_point_estimate_rule_fails_the_same_calibration():
    assert _c(0.05, 3, broken=True, sims=300)[R] > 0.3


def test_c_is_refuted_by_the_error_alone_and_inconclusive_without_cells():
    e = {"estimate": 0.0, "ci": [-0.01, 0.01], "p": 0.001, "n": 7}
    assert predicted(0.09, 0.05, e, 0.05, (0.001, (-0.01, 0.01), 0.05, 1)).verdict is N
    out = predicted(0.03, 0.05, e, 0.05, (0.001, (-0.01, 0.01), 0.05, 1))
    assert out.verdict is R and "Decided by the algorithm effect" in out.reason
    none = {"estimate": None, "ci": None, "p": None, "n": 0}
    assert predicted(0.03, 0.05, none, 0.05, (None, None, 0.05, 1)).verdict is U
    assert predicted(float("nan"), 0.05, e, 0.05, (0.001, (-0.01, 0.01), 0.05, 1)).verdict is U


def test_b_opens_with_the_part_that_decided_it():
    from types import SimpleNamespace

    from rlsparse_check.criteria.mechanism import rates

    cell = lambda v: {"lr": 1.0, "steps": 10, "sparsity": v}  # noqa: E731
    e = rate_effect("sft", cell([0.6, 0.62, 0.61]), cell([0.2, 0.21, 0.22]),
                    cell([0.4, 0.45, 0.42]), 0.05, 0.05)  # fmt: skip
    ev = SimpleNamespace(
        effects={"sft": e},
        adjusted={"sft falls": 0.001, "sft rises": 1.0},
        tost_p={"sft same": e.same.p_value},
        tost_ci={"sft same": tuple(e.same.ci)},
        tost_alpha=0.05,
        family=1,
    )
    d = rates(ev, 0.05, 0.05)
    assert d.verdict is N and d.reason.startswith("Decided by sft at fixed lr x steps (not")


def test_b_says_its_tost_p_is_unadjusted_and_names_the_family_level_it_is_held_against():
    import re

    from rlsparse_check.criteria.combine import p_text

    cell = lambda v: {"lr": 1.0, "steps": 10, "sparsity": v}  # noqa: E731
    e = rate_effect("sft", cell([0.6, 0.62, 0.61]), cell([0.2, 0.21, 0.22]),
                    cell([0.6, 0.59, 0.615]), 0.05, 0.05)  # fmt: skip
    raw, m = e.same.p_value, 3
    tost = (raw, tuple(e.same.ci), 0.05 / m, m)
    d = rate_not_steps(e, 0.05, 0.05, {"falls": 0.001, "rises": 1.0}, tost)
    said = re.search(r"TOST (\w+) p (\S+) against alpha / (\d+) = (\S+)$", d.reason)
    assert said is not None, d.reason
    assert said.group(1) == "unadjusted" and said.group(2) == p_text(raw) != p_text(m * raw)
    assert (int(said.group(3)), float(said.group(4))) == (m, float(f"{0.05 / m:.3g}"))
    assert "TOST adjusted p" not in d.reason and d.verdict is U  # 0.0312 is not below 0.0167
