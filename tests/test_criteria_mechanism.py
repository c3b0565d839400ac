"""C9's rules: (b) falls at fixed steps and same at fixed lr x steps; (c) the prediction's
error and the algorithm effect. Calibrated under their nulls, powered under planted effects."""

from __future__ import annotations

import numpy as np

from rlsparse_check.criteria.mechanism import predicted, rate_not_steps
from rlsparse_check.measures.mechanism import rate_effect
from rlsparse_check.results import Verdict

SIMS = 1000
BAND = 4 * (0.05 * 0.95 / SIMS) ** 0.5


def _b(drop, drift, n, seed=0, broken=False):
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
        p = {"falls": e.falls.p_above, "rises": e.falls.p_below, "same": e.same.p_value}
        if broken:  # the point estimate of the equal-lr x steps difference, no interval
            p["same"] = 0.0 if abs(e.same_diff) < 0.05 else 1.0
        counts[rate_not_steps(e, 0.05, 0.05, p).verdict] += 1
    return {k: v / SIMS for k, v in counts.items()}


def test_b_reproduces_rarely_at_the_equivalence_margin_and_a_point_estimate_rule_often():
    for n in (3, 5):
        assert _b(0.3, 0.05, n)[Verdict.REPRODUCED] < 0.05 + BAND
    assert _b(0.3, 0.05, 3, broken=True)[Verdict.REPRODUCED] > 0.3


def test_b_has_power_when_the_rate_matters_only_through_lr_x_steps():
    assert _b(0.3, 0.0, 5)[Verdict.REPRODUCED] > 0.8
    assert _b(-0.3, 0.0, 3)[Verdict.NOT_REPRODUCED] > 0.9  # sparsity rises with the rate


def test_c_is_decided_on_the_error_and_refuted_by_an_algorithm_effect():
    none = {"estimate": 0.01, "ci": [-0.02, 0.04], "p": 0.4}
    assert predicted(0.02, 0.05, none, 0.4, 0.05).verdict is Verdict.REPRODUCED
    assert predicted(0.09, 0.05, none, 0.4, 0.05).verdict is Verdict.NOT_REPRODUCED
    some = {"estimate": 0.2, "ci": [0.1, 0.3], "p": 0.001}
    out = predicted(0.02, 0.05, some, 0.003, 0.05)
    assert out.verdict is Verdict.NOT_REPRODUCED and "+20.00 pp" in out.reason
    assert predicted(float("nan"), 0.05, none, None, 0.05).verdict is Verdict.INCONCLUSIVE
