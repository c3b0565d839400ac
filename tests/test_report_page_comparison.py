"""Two reports side by side: the terminal table, the page, and `report A --compare B`."""

from __future__ import annotations

import json

import pytest
from report_support import reprs_in, synthetic_report

from rlsparse_check.cli import main
from rlsparse_check.report.compare import changes
from rlsparse_check.report.page.comparison import (
    differing_settings,
    figure_change,
    render_compare_html,
    terminal_table,
)


@pytest.fixture
def pair():
    a = synthetic_report(with_plots=False)
    b = json.loads(json.dumps(a))
    b["claims"][0]["measured"]["sparsity"]["value"] = 0.70
    b["claims"][1]["verdict"] = "inconclusive"
    del b["claims"][2]
    b["settings"]["alpha"] = 0.01
    return a, b


def test_the_table_names_what_moved_and_by_how_much(pair):
    a, b = pair
    rows = changes(a["claims"], b["claims"], 0.05)
    assert figure_change(rows[0]) == "-11.0 pp"
    table = terminal_table("a.json", "b.json", rows, 0.05)
    lines = table.splitlines()
    assert lines[:2] == ["A: a.json", "B: b.json"]
    assert lines[3].split() == [
        "C1",
        "reproduced",
        "reproduced",
        "sparsity",
        "81.0%",
        "70.0%",
        "-11.0",
        "pp",
        "key",
        "figure",
        "changed",
    ]
    assert "not reproduced  inconclusive" in lines[4] and lines[4].endswith("verdict changed")
    assert lines[5].endswith("only in A")
    assert lines[-1] == (
        "3 of 3 claims changed: 1 verdict(s), 1 key figure(s) beyond the "
        "tolerance 0.05, 1 tested in one report only"
    )


def test_settings_that_differ_are_listed(pair):
    assert differing_settings(*pair) == [("option alpha", "0.05", "0.01")]


def test_the_page_shows_both_sides_without_python_reprs(pair):
    html = render_compare_html(*pair, "a.json", "b.json", 0.05)
    assert "3 of 3 claims changed" in html and html.count('class="moved"') == 6
    assert "not tested" in html and "<code>a.json</code>" in html
    assert reprs_in(html) == []


def test_compare_command_prints_the_table_writes_the_page_and_exits_0(pair, tmp_path, capsys):
    paths = []
    for name, document in zip("ab", pair, strict=True):
        paths.append(tmp_path / f"{name}.json")
        paths[-1].write_text(json.dumps(document))
    assert main(["report", str(paths[0]), "--compare", str(paths[1])]) == 0
    out = capsys.readouterr().out
    assert "verdict changed" in out and f"page: {tmp_path / 'compare.html'}" in out
    assert "Two reports side by side" in (tmp_path / "compare.html").read_text()
    target = tmp_path / "out" / "c.html"
    assert main(["report", str(paths[0]), "--compare", str(paths[1]), "--out", str(target)]) == 0
    assert target.is_file()


@pytest.mark.parametrize(
    "content, expected", [(None, "no such file"), ("[]", "schema-1"), ("{", "not a readable")]
)
def test_a_bad_second_report_is_one_line_and_exit_2(tmp_path, capsys, content, expected):
    a = tmp_path / "a.json"
    a.write_text(json.dumps(synthetic_report(with_plots=False)))
    b = tmp_path / "b.json"
    if content is not None:
        b.write_text(content)
    assert main(["report", str(a), "--compare", str(b)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err and f"--compare {b}" in err
    assert not (tmp_path / "compare.html").exists()


def test_a_negative_tolerance_is_refused(tmp_path, capsys):
    a = tmp_path / "a.json"
    a.write_text(json.dumps(synthetic_report(with_plots=False)))
    assert main(["report", str(a), "--compare", str(a), "--tolerance", "-1"]) == 2
    assert "--tolerance" in capsys.readouterr().err
