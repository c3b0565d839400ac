"""Report values as text: intervals, summaries of a share, long lists, literals in text."""

from __future__ import annotations

from rlsparse_check.report.page.numbers import format_value, plain_text


def test_a_difference_of_shares_reads_in_percentage_points():
    assert format_value({"value": -0.0123}, "sparsity_difference") == "value: -1.2 pp"


def test_intervals_read_as_ranges_and_one_sided_bounds():
    assert format_value([0.188, 0.228], "ci", "share") == "18.8% to 22.8%"
    assert format_value([None, 0.153], "ci") == "<= 0.153"
    assert format_value([0.5, None], "ci90") == ">= 0.5"
    assert format_value([0.685, 0.96], "sparsity-range") == "68.5% to 96.0%"


def test_summaries_and_breakdowns_of_a_share_inherit_its_reading():
    sparsity = {"value": 0.21, "ci": [0.19, 0.23], "per_seed": [0.2, 0.21, 0.22]}
    assert format_value(sparsity, "sparsity") == (
        "value: 21.0%; ci: 19.0% to 23.0%; per seed: 20.0%, 21.0%, 22.0%"
    )
    assert format_value({"0": 0.185, "1": 0.16}, "block_sparsity") == "0: 18.5%; 1: 16.0%"
    assert (
        format_value({"attention": 0.2, "mlp": 0.5}, "sparsity") == "attention: 20.0%; mlp: 50.0%"
    )


def test_long_number_lists_are_summarised():
    assert format_value([1.0] * 29, "rank") == "29 values, all 1"
    assert format_value(list(range(20)), "per_seed") == "20 values: min 0, median 9.5, max 19"
    assert format_value([], "skipped") == "none"
    assert format_value(["x"] * 25).endswith("and 5 more (see report.json)")


def test_python_literals_inside_text_are_written_out():
    assert plain_text("TOST over variants ['kl0.05', 'kl0.2']; all") == (
        "TOST over variants kl0.05, kl0.2; all"
    )
    assert plain_text("map {'a': 1}") == "map a: 1"
    assert plain_text("it said 'no' [really]") == "it said 'no' [really]"


def test_number_lists_inside_text_are_written_out():
    assert plain_text("mean sparsity within [0.7, 0.95] and a gain") == (
        "mean sparsity within 0.7 to 0.95 and a gain"
    )
    assert plain_text("seeds [0, 1, 2]") == "seeds 0, 1, 2"
    assert plain_text("claimed range [70.00%, 95.00%]") == "claimed range [70.00%, 95.00%]"
