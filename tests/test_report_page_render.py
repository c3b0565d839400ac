"""The HTML report: content, reading order, self-containment, size, and the re-render command."""

from __future__ import annotations

import json
import re

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


def test_the_same_report_renders_to_the_same_html():
    report = synthetic_report()
    assert render_html(report) == render_html(report)


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


@pytest.mark.skipif(not EXAMPLE.is_file(), reason="no committed example report")
def test_the_example_report_is_small_and_free_of_reprs():
    page = render_html(json.loads(EXAMPLE.read_text()))
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
