"""Known answers of the checkpoint-claim criteria (fixtures/criteria.py)."""

from __future__ import annotations

import math

import pytest

from fixtures.criteria import c1_sparsity, c7_rank, c8_spread
from rlsparse_check.results import Verdict

R, N, INC = Verdict.REPRODUCED, Verdict.NOT_REPRODUCED, Verdict.INCONCLUSIVE


@pytest.mark.parametrize("sparsity, changed, learned, expected", [
    (0.80, 10, None, R), (0.80, 10, True, R), (0.80, 10, False, INC),
    (0.50, 10, None, N), (0.50, 10, False, N),
    (0.99, 10, None, INC), (0.99, 10, False, INC), (0.99, 10, True, N),
    (1.00, 0, None, INC), (0.70, 10, None, R), (0.95, 10, None, R),
])
def test_c1_rule_for_each_region_of_the_range(sparsity, changed, learned, expected):
    decision = c1_sparsity(sparsity, changed, 0.70, 0.95, learned=learned)
    assert decision.verdict is expected
    assert f"{100 * sparsity:.2f}%" in decision.reason or changed == 0


def test_c1_says_when_learning_was_not_measured():
    assert "not measured" in c1_sparsity(0.8, 5, 0.7, 0.95).reason


def test_c7_full_rank_updates_reproduce_and_low_rank_refute():
    decision, figures = c7_rank({"a": 1.0, "b": 0.995}, {"a": 1.0, "b": 1.0})
    assert decision.verdict is R and figures["mean_rank_ratio"] == pytest.approx(0.9975)
    assert "full rank too" in decision.reason
    assert c7_rank({"a": 0.5}, {"a": 1.0})[0].verdict is N
    assert c7_rank({}, {})[0].verdict is INC


def layers(*densities):
    return {str(i): {"numel": 100, "changed": round(100 * d)} for i, d in enumerate(densities)}


def test_c8_spread_with_quiet_norms_reproduces():
    decision, figures = c8_spread(layers(0.2, 0.25, 0.2, 0.3), norm_numel=100, norm_changed=1)
    assert decision.verdict is R
    assert figures["active_block_share"] == 1.0 and figures["norm_fraction_updated"] == 0.01
    assert figures["block_sparsity_cv"] == pytest.approx(
        math.sqrt(sum((s - 0.7625) ** 2 for s in (0.8, 0.75, 0.8, 0.7)) / 4) / 0.7625)


def test_c8_concentrated_updates_or_busy_norms_refute():
    assert c8_spread(layers(0.3, 0.0, 0.0, 0.3, 0.3), 100, 0)[0].verdict is N
    assert c8_spread(layers(0.2, 0.2), 100, 50)[0].verdict is N


def test_c8_without_norms_or_updates_is_inconclusive():
    assert c8_spread(layers(0.2, 0.2), 0, 0)[0].verdict is INC
    assert c8_spread(layers(0.0, 0.0), 100, 0)[0].verdict is INC
