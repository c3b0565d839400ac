"""C5's run figures (measures/variants.py): what a run applied, read from its run.json."""

from __future__ import annotations

import json

import pytest

from rlsparse_check.cases import CheckpointCase
from rlsparse_check.measures.variants import RATIO_KEY, run_effect, set_effect


def case_with(tmp_path, name, spec, history):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "run.json").write_text(json.dumps({"spec": spec, "log_history": history}))
    return CheckpointCase(name, tmp_path / "base", folder)


def test_run_effect_reads_the_kl_term_clipped_steps_and_ratio_spread(tmp_path):
    spec = {"beta": 0.05, "max_grad_norm": 1.0, "iterations": 2}
    history = [
        {"grad_norm": 2.0, "kl": 0.02, RATIO_KEY: 1e-4, "clip_ratio/region_mean": 0.0},
        {"grad_norm": 0.5, "kl": 0.04, RATIO_KEY: 3e-4, "clip_ratio/region_mean": 0.1},
        {"grad_norm": 0.5, "kl": 0.03, RATIO_KEY: 0.0, "clip_ratio/region_mean": 0.0},
        {"grad_norm": 0.5, "kl": 0.03, RATIO_KEY: 5e-4, "clip_ratio/region_mean": 0.1},
        {"train_loss": 0.1},
    ]
    figures = run_effect(case_with(tmp_path, "a", spec, history))
    assert figures["mean_kl"] == pytest.approx(0.03)
    assert figures["kl_term"] == pytest.approx(0.05 * 0.03)  # (0.02 + 0.04 + 0.03 + 0.03) / 4
    assert figures["clipped_step_share"] == 0.25
    # updates 2 and 4 reuse their batch; 1 and 3 are on-policy (ratio 1 by construction)
    assert figures["ratio_spread"] == pytest.approx(4e-4)
    assert figures["ratio_clipped_share"] == pytest.approx(0.05)
    assert figures["iterations"] == 2


def test_without_clipping_no_step_is_clipped_and_missing_figures_stay_missing(tmp_path):
    spec = {"beta": 0.0, "max_grad_norm": None, "iterations": 1}
    one = case_with(tmp_path, "a", spec, [{"grad_norm": 9.0}])
    two = case_with(tmp_path, "b", spec, [{"grad_norm": 9.0}])
    figures = set_effect([one, two])
    assert figures["clipped_step_share"] == 0.0 and figures["kl_term"] == 0.0
    assert figures["ratio_spread"] is None and figures["mean_kl"] is None
