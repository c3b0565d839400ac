"""The HTML report: content, reading order, self-containment, size, and the re-render command."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from report_support import EXAMPLE, big_report, regime, reprs_in, synthetic_report

from rlsparse_check.cli import main
from rlsparse_check.report.page.render import render_html

MAX_PAGE_BYTES = 1_000_000


@pytest.fixture(scope="module")
def html() -> str:
    document = synthetic_report()
    document["regime"] = regime()
    return render_html(document)


def test_the_page_has_a_section_and_a_summary_row_per_claim(html):
    for claim_id in ("C1", "C3", "C7"):
        assert f'<section id="{claim_id}"' in html
        assert f'href="#{claim_id}"' in html
    assert "needs training" in html  # the skipped claim is listed with its reason


def test_verdicts_are_coloured_and_numbers_shown_for_reading(html):
    assert 'class="verdict v-reproduced"' in html
    assert 'class="verdict v-not_reproduced"' in html
    assert 'class="verdict v-inconclusive"' in html
    assert "68.5%-96.0% (tol 1e-5)" in html and "sparsity 81.0%" in html
    assert "adjusted p-value" in html and "holm" in html and "&lt; 1e-300" in html


def test_each_claim_opens_with_its_headline_then_lead_plots_then_the_evidence(html):
    section = html[html.index('<section id="C1"') : html.index('<section id="C3"')]
    headline = section.index("Reproduced: sparsity 81.0% (95% CI 78.0% to 84.0%)")
    lead = section.index('<figure class="lead">')
    assert headline < lead < section.index("<strong>Why") < section.index("<h3>Published")
    assert section.count('<figure class="lead">') == 3
    fallback = html[html.index('<section id="C3"') :]
    assert "Not reproduced: ratio 1.1 against the paper&#39;s ~60% vs ~36% chance." in fallback


def test_thresholds_show_their_source(html):
    assert '<span class="src src-paper">paper</span>' in html
    assert '<span class="src src-harness">harness</span>' in html
    assert "70.0% to 95.0%" in html and "abstract: 70-95% unchanged" in html


def test_the_regime_section_follows_the_summary(html):
    regime_at = html.index('<section id="regime">')
    assert html.index('id="summary"') < regime_at < html.index('<section id="C1"')
    section = html[regime_at : html.index('<section id="C1"')]
    assert "lr x steps sets the sparsity" in section and "flip share" in section
    assert "7B-class, bf16" in section and "not published" not in section
    assert "<th>90% CI</th>" in section and "<th>quantile</th>" in section


def test_runs_are_listed_once_and_referred_to_by_label(html):
    assert html.count('<tr id="run-grpo-seed0">') == 1
    assert '<a href="#run-grpo-seed0">grpo-seed0</a>' in html
    runs = html[html.index('<h2 id="runs">') :]
    assert runs.index("<details>") < runs.index('<tr id="run-grpo-seed0">')
    provenance = html[html.index('<h2 id="provenance">') :]
    assert provenance.removeprefix('<h2 id="provenance">Provenance</h2>\n').startswith("<details>")


def test_every_plot_is_inline_svg_with_alt_text_and_a_caption(html):
    assert html.count("<svg") == 6  # frontier, map, overlap, heatmap, two series
    assert html.count('role="img"') == 6 and html.count("<figcaption>") == 6
    assert "<?xml" not in html and "<!DOCTYPE svg" not in html


def test_the_page_fetches_nothing_from_the_network(html):
    assert not re.search(r"<(link|img|iframe)\b", html)
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"url\(\s*['\"]?https?:", html)
    assert "@import" not in html


def test_text_from_results_is_escaped(html):
    assert "<script>x</script>" not in html and "&lt;script&gt;x" in html


def test_no_python_repr_reaches_the_page(html):
    assert reprs_in(html) == []
    document = synthetic_report(with_plots=False)
    document["claims"][0]["reason"] = "variants ['kl0.05', 'kl0.2'] and {'a': 1}"
    page = render_html(document)
    assert reprs_in(page) == [] and "variants kl0.05, kl0.2 and a: 1" in page
    assert reprs_in(render_html(big_report(claim_count=3, cases=3))) == []


def test_rendering_without_plots_does_not_need_matplotlib_figures():
    assert "<svg" not in render_html(synthetic_report(with_plots=False))


RENDER_DIGEST = """
import hashlib, sys
sys.path.insert(0, {tests!r})
from report_support import regime, synthetic_report
from rlsparse_check.report.page.render import render_html
document = synthetic_report()
document["regime"] = regime()
print(hashlib.sha256(render_html(document).encode()).hexdigest())
"""


def test_the_same_report_renders_to_the_same_html_in_processes_with_other_hash_seeds():
    digests = set()
    for seed in ("0", "12345"):
        done = subprocess.run(
            [sys.executable, "-c", RENDER_DIGEST.format(tests=str(Path(__file__).parent))],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            timeout=240,
            check=True,
        )
        digests.add(done.stdout.strip())
    assert len(digests) == 1 and len(digests.pop()) == 64


def test_an_old_report_without_the_new_fields_still_renders():
    document = synthetic_report(with_plots=False)
    for claim in document["claims"]:
        claim.pop("headline")
        for case in claim["cases"]:
            case.pop("headline")
        claim["statistics"].pop("thresholds", None)
        claim["statistics"]["threshold"] = 0.5
    html = render_html(document)
    assert "Reproduced: sparsity 81.0% (95% CI 78.0% to 84.0%) against the paper" in html
    assert '<section id="regime">' not in html and "<h3>Thresholds</h3>" not in html


@pytest.fixture(scope="module")
def example_page() -> str:
    if not EXAMPLE.is_file():
        pytest.skip("no committed example report")
    return render_html(json.loads(EXAMPLE.read_text()))


class _Tables(HTMLParser):
    """Every <table> of a page: whether it has <th> cells, and the text of its own cells."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self.open: list[dict] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.open.append({"th": 0, "cells": []})
        elif tag in ("td", "th") and self.open:
            self.open[-1]["th"] += tag == "th"
            self.cell = []
            self.open[-1]["cells"].append(self.cell)

    def handle_endtag(self, tag):
        if tag == "table" and self.open:
            self.tables.append(self.open.pop())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


PYTHON_REPR = re.compile(r"^\s*[\[{]|[\[{]\s*'|\[\s*-?\d[\d.e+-]*\s*,")


def tables_of(page: str) -> list[dict]:
    parser = _Tables()
    parser.feed(page)
    return parser.tables


def test_every_table_of_the_example_has_header_cells_and_no_python_repr(example_page):
    tables = tables_of(example_page)
    assert len(tables) > 50
    assert [t for t in tables if t["th"] == 0] == []
    cells = ["".join(cell) for table in tables for cell in table["cells"]]
    assert [cell for cell in cells if PYTHON_REPR.search(cell)] == []


def test_the_table_check_finds_a_table_without_headers_and_a_repr_cell():
    (table,) = tables_of("<table><tr><td>[0.1, 0.2]</td><td>{'a': 1}</td></tr></table>")
    assert table["th"] == 0
    assert [bool(PYTHON_REPR.search("".join(c))) for c in table["cells"]] == [True, True]
    assert not PYTHON_REPR.search("vs claimed range [70.0%, 95.0%]")


def test_the_example_report_is_small_and_free_of_reprs(example_page):
    page = example_page
    assert len(page.encode()) <= MAX_PAGE_BYTES
    assert reprs_in(page) == []
    assert page.count("<svg") == page.count('role="img"') == page.count("<figcaption>")


def test_report_command_rerenders_html_from_json(tmp_path, capsys):
    source = tmp_path / "report.json"
    source.write_text(json.dumps(synthetic_report(with_plots=False)))
    assert main(["report", str(source), "--out", str(tmp_path / "again.html")]) == 0
    assert '<section id="C3"' in (tmp_path / "again.html").read_text()
    assert main(["report", str(source)]) == 0
    assert (tmp_path / "report.html").is_file()


@pytest.mark.parametrize(
    "content, expected",
    [(None, "no such file"), ("{", "not a readable"), ('{"schema": 7}', "schema-1")],
)
def test_report_command_names_a_bad_input_and_exits_2(tmp_path, capsys, content, expected):
    source = tmp_path / "report.json"
    if content is not None:
        source.write_text(content)
    assert main(["report", str(source)]) == 2
    err = capsys.readouterr().err
    assert expected in err and str(source) in err


def test_report_command_refuses_an_unwritable_out(tmp_path, capsys):
    source = tmp_path / "report.json"
    source.write_text(json.dumps(synthetic_report(with_plots=False)))
    assert main(["report", str(source), "--out", str(tmp_path)]) == 2
    assert "--out" in capsys.readouterr().err


def test_a_gguf_converted_base_is_named_beside_the_provenance():
    from rlsparse_check.report.page.render import render_html

    document = synthetic_report()
    summary = "weights dequantized from Q4_1 GGUF (m.gguf, sha256 abcdef012345): on a 4-bit grid"
    document["provenance"] = {**document.get("provenance", {}), "weights": {"summary": summary}}
    assert f"Base {summary}." in render_html(document)
    document["provenance"]["weights"] = None
    assert "Base weights dequantized" not in render_html(document)
