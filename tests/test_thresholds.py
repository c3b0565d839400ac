"""Every decisive threshold has a default, a source and a note; overrides say so."""

from __future__ import annotations

from rlsparse_check.plugin.options import Settings
from rlsparse_check.thresholds import THRESHOLDS, entry


def test_every_threshold_has_a_source_and_a_note_and_is_an_option():
    settings = Settings()
    for name, threshold in THRESHOLDS.items():
        assert threshold.source in ("paper", "harness") and len(threshold.note) > 20
        assert getattr(settings, name.replace("-", "_")) == threshold.default


def test_the_overlap_default_is_derived_from_the_papers_figures():
    assert THRESHOLDS["min-overlap-excess"].default == (0.60 - 0.36) / (1 - 0.36)
    # the paper's figure, compared with the excess over the paper's (independent) null
    assert THRESHOLDS["min-overlap-excess"].source == "paper"
    assert THRESHOLDS["min-stratified-excess"].source == "harness"


def test_an_entry_reports_the_default_source_or_the_users_override():
    assert entry("alpha", 0.05) == {
        "name": "alpha",
        "value": 0.05,
        "source": "harness",
        "note": THRESHOLDS["alpha"].note,
    }
    assert entry("sparsity-range", (0.685, 0.96))["source"] == "paper"
    override = entry("sparsity-range", (0.5, 0.9))
    assert override["source"] == "harness" and "--sparsity-range" in override["note"]
