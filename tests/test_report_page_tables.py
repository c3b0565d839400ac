"""Small tables with a header row: quantiles as column headings, rows read under their key."""

from __future__ import annotations

from rlsparse_check.report.page.tables import across, quantile_label, table


def test_a_table_always_has_a_header_row_as_wide_as_its_rows():
    assert table(["a"], [["x", "1", "2"]]) == {"head": ["a", "", ""], "rows": [["x", "1", "2"]]}
    assert table(["a", "b"], []) is None


def test_quantiles_read_as_percent_headings():
    assert [quantile_label(q) for q in (0.01, 0.5, 0.999, "median")] == [
        "1%",
        "50%",
        "99.9%",
        "median",
    ]


def test_rows_across_columns_read_under_their_key_and_misaligned_rows_are_left_out():
    grid = across(
        "quantile",
        [0.1, 0.9],
        [("sparsity", [0.25, 0.75], "sparsity"), ("|w|", [0.002, 0.07], "w"), ("bad", [1], "w")],
        heading=quantile_label,
    )
    assert grid == {
        "head": ["quantile", "10%", "90%"],
        "rows": [["sparsity", "25.0%", "75.0%"], ["|w|", "0.002", "0.07"]],
    }
