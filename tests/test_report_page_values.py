"""Nested values as display trees: labelled lists and grids, never a Python repr."""

from __future__ import annotations

from report_support import deep_value

from rlsparse_check.report.page.values import node


def texts(tree) -> list[str]:
    """Every text leaf of a display tree, labels included."""
    if tree["t"] == "text":
        return [tree["text"]]
    found = []
    if tree["t"] == "pairs":
        for label, child in tree["rows"]:
            found += [label, *texts(child)]
    else:
        found += list(tree["head"]) + [f"{label}: {text}" for label, text in tree["notes"]]
        for label, cells in tree["rows"]:
            found.append(label)
            for cell in cells:
                found += texts(cell)
    return found


def test_fields_of_records_under_a_share_key_keep_their_own_reading():
    pairs = [{"both": 60921100, "density_a": 0.787, "numel": 79065600, "p_stratified": 0.0}]
    (row,) = node(pairs, "overlap_pairs")["rows"]
    assert [cell["text"] for cell in row[1]] == ["60,921,100", "78.7%", "79,065,600", "< 1e-300"]


def test_records_become_a_grid_with_constant_text_said_once():
    per_run = [
        {"gain": 0.02, "p": 0.45, "test": "McNemar"},
        {"gain": 0.11, "p": 0.08, "test": "McNemar"},
    ]
    grid = node(per_run, "per_run")
    assert grid["t"] == "grid" and grid["head"] == ["gain", "p"]
    assert grid["notes"] == [("test", "McNemar")]
    assert [[c["text"] for c in cells] for _, cells in grid["rows"]] == [
        ["0.02", "0.45"],
        ["0.11", "0.08"],
    ]


def test_few_records_with_many_fields_are_turned_sideways():
    tests = {
        name: {f"field_{i}": i for i in range(15)} | {"nested": {"U": 1, "p": 0.5}}
        for name in ("main", "control")
    }
    grid = node(tests, "tests")
    assert grid["t"] == "grid" and grid["head"] == ["main", "control"]
    labels = [label for label, _ in grid["rows"]]
    assert labels[0] == "field 0" and "nested: U" in labels and len(labels) == 17


def test_deep_nesting_renders_without_any_python_repr():
    leaves = texts(node(deep_value(6), "deep"))
    assert leaves and not [t for t in leaves if "{'" in t or "['" in t or "': " in t]
    assert "< 1e-300" in leaves and "50.0%" in leaves and "n/a" in leaves
