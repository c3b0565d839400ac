"""Option validation and precedence (pytest integration is in test_plugin.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rlsparse_check.errors import OptionError
from rlsparse_check.plugin.options import Settings, build_settings


def test_threshold_defaults_come_from_the_threshold_registry(tmp_path):
    from rlsparse_check.thresholds import THRESHOLDS

    s = build_settings({}, base_dir=tmp_path)
    for name, threshold in THRESHOLDS.items():
        assert getattr(s, name.replace("-", "_")) == threshold.default
    assert (s.sparsity_range, s.min_overlap_excess, s.correction) == ((0.685, 0.96), 0.375, "holm")
    assert s.sparsity_atol == 1e-5
    assert s.mode == "training" and s.report_dir == tmp_path / "reports/latest"


def test_checkpoint_mode_needs_base_and_tuned_and_resolves_paths(tmp_path):
    for name in ("b", "t1", "t2"):
        (tmp_path / name).mkdir()
    s = build_settings({"base": "b", "tuned": ["t1", str(tmp_path / "t2")]}, base_dir=tmp_path)
    assert s.mode == "checkpoints"
    assert (s.base, s.tuned) == (tmp_path / "b", (tmp_path / "t1", tmp_path / "t2"))
    with pytest.raises(OptionError, match="--base needs"):
        build_settings({"base": "b"}, base_dir=tmp_path)


def test_a_missing_checkpoint_path_is_named(tmp_path):
    (tmp_path / "b").mkdir()
    with pytest.raises(OptionError, match="--tuned .*nothere: no such file"):
        build_settings({"base": "b", "tuned": ["nothere"]}, base_dir=tmp_path)


def test_lists_and_ranges_are_parsed_from_text_or_toml(tmp_path):
    s = build_settings({"algos": "GRPO, dpo", "sparsity-range": "0.6,0.9"}, base_dir=tmp_path)
    assert (s.algos, s.sparsity_range) == (("grpo", "dpo"), (0.6, 0.9))
    s = build_settings({"algos": ["rloo"], "sparsity-range": [0.5, 0.8]}, base_dir=tmp_path)
    assert (s.algos, s.sparsity_range) == (("rloo",), (0.5, 0.8))
    s = build_settings({"sparsity-atol": "1e-8", "rank-reference-margin": 0.1}, base_dir=tmp_path)
    assert (s.sparsity_atol, s.rank_reference_margin) == (1e-8, 0.1)


@pytest.mark.parametrize(
    "values, named",
    [
        ({"alpha": "x"}, "--alpha"),
        ({"alpha": 0.9}, "--alpha"),
        ({"seeds": 0}, "--seeds"),
        ({"device": "tpu"}, "--device"),
        ({"sparsity-range": "0.7"}, "--sparsity-range"),
        ({"sparsity-atol": "-1e-5"}, "--sparsity-atol"),
        ({"rank-reference-margin": 2}, "--rank-reference-margin"),
    ],
)
def test_bad_values_name_the_option(tmp_path, values, named):
    with pytest.raises(OptionError, match=named):
        build_settings(values, base_dir=tmp_path)


def test_settings_serialise_to_plain_json():
    data = Settings(tuned=(Path("/a"),), base=Path("/b")).to_json()
    assert data["tuned"] == ["/a"] and data["base"] == "/b" and data["mode"] == "checkpoints"
