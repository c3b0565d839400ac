"""The HTML report: content, self-containment, the re-render command, and a real browser load."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from rlsparse_check.cli import main
from rlsparse_check.report.collect import aggregate, build_report
from rlsparse_check.results import ClaimResult

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--enable-logging=stderr",
                 "--v=0"]


def synthetic_report(with_plots: bool = True) -> dict:
    """Three claims, one per verdict, with plots of every kind on C1."""
    plots = {
        "heatmap": {"layers": [0, 1, 2], "kinds": ["attention", "mlp", "norm"],
                    "sparsity": [[0.81, 0.77, 1.0], [0.79, 0.74, 1.0], [0.83, None, 0.99]]},
        "overlap": [{"pair": "seed0 vs seed1", "observed": 0.61, "chance_independent": 0.36,
                     "chance_stratified": 0.47}],
        "series": {
            "Sparsity vs learning rate and precision": {
                "x_label": "learning rate", "y_label": "sparsity", "x_scale": "log",
                "lines": {"bf16": {"x": [1e-6, 1e-5, 1e-4], "y": [0.9, 0.6, 0.1],
                                   "lo": [0.88, 0.55, 0.08], "hi": [0.92, 0.65, 0.12]},
                          "fp32": {"x": [1e-6, 1e-5, 1e-4], "y": [0.01, 0.0, 0.0]}},
                "reference": {"label": "paper range", "y": [0.685, 0.96]}},
            "Sparsity vs KL coefficient": {
                "x_label": "KL beta", "y_label": "sparsity", "x_scale": "category",
                "lines": {"grpo": {"x": ["0", "0.01", "0.1"], "y": [0.8, 0.79, 0.81]}}},
        },
    } if with_plots else {}
    results = [
        ClaimResult(id="C1", title="RL updates keep 70-95% of entries unchanged", case="grpo",
                    verdict="reproduced", reason="mean sparsity 0.81 within [0.70, 0.95]",
                    paper={"summary": "68.5%-96.0% (tol 1e-5)", "range": [0.685, 0.96]},
                    measured={"key": "sparsity", "sparsity": 0.81, "ci": [0.78, 0.84],
                              "tolerances": {"0": 0.81, "1e-08": 0.8, "1e-05": 0.9}},
                    statistics={"test": "one-sample t", "p": 0.002, "p_adjusted": 0.004,
                                "correction": "holm", "alpha": 0.05, "n": 3,
                                "ci": [0.78, 0.84]},
                    runs=[{"path": "/runs/grpo-0", "seed": 0, "model_hash": "abc123"}],
                    plots=plots),
        ClaimResult(id="C3", title="Masks overlap above chance", case="seed pairs",
                    verdict="not_reproduced", reason="ratio 1.1 < 1.5 <script>x</script>",
                    paper={"summary": "~60% vs ~36% chance"},
                    measured={"key": "ratio", "ratio": 1.1},
                    statistics={"test": "stratified permutation", "p": 0.3, "n": 2}),
        ClaimResult(id="C7", title="Updates are nearly full rank", case="all",
                    verdict="inconclusive", reason="too little data (n=0 < 1 needed)"),
    ]
    claims = aggregate([r.to_json() for r in results])
    return build_report(claims=claims, errors=[],
                        skipped=[{"id": "C2", "nodeid": "claims/test_c2_x.py::t",
                                  "reason": "needs training"}],
                        settings={"mode": "checkpoints", "alpha": 0.05},
                        provenance={"versions": {"python": "3.11"},
                                    "wall_times": {"finished": "2026-01-01T00:00:00+00:00"}})


@pytest.fixture(scope="module")
def html() -> str:
    from rlsparse_check.report.render import render_html

    return render_html(synthetic_report())


def test_the_page_has_a_section_and_a_summary_row_per_claim(html):
    for claim_id in ("C1", "C3", "C7"):
        assert f'<section id="{claim_id}"' in html
        assert f'href="#{claim_id}"' in html
    assert "needs training" in html  # the skipped claim is listed with its reason


def test_verdicts_are_coloured_and_numbers_shown(html):
    assert 'class="verdict v-reproduced"' in html
    assert 'class="verdict v-not_reproduced"' in html
    assert 'class="verdict v-inconclusive"' in html
    assert "68.5%-96.0% (tol 1e-5)" in html and "sparsity = 0.81" in html
    assert "adjusted p-value" in html and "holm" in html


def test_every_plot_kind_is_inline_svg(html):
    assert html.count("<svg") == 4  # heatmap, overlap, two series
    assert "<?xml" not in html and "<!DOCTYPE svg" not in html


def test_the_page_fetches_nothing_from_the_network(html):
    assert not re.search(r"<(link|img|iframe)\b", html)
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"url\(\s*['\"]?https?:", html)
    assert "@import" not in html


def test_text_from_results_is_escaped(html):
    assert "<script>x</script>" not in html and "&lt;script&gt;x" in html


def test_rendering_without_plots_does_not_need_matplotlib_figures():
    from rlsparse_check.report.render import render_html

    assert "<svg" not in render_html(synthetic_report(with_plots=False))


def test_the_same_report_renders_to_the_same_html():
    from rlsparse_check.report.render import render_html

    report = synthetic_report()
    assert render_html(report) == render_html(report)


def test_report_command_rerenders_html_from_json(tmp_path, capsys):
    source = tmp_path / "report.json"
    source.write_text(json.dumps(synthetic_report(with_plots=False)))
    assert main(["report", str(source), "--out", str(tmp_path / "again.html")]) == 0
    assert '<section id="C3"' in (tmp_path / "again.html").read_text()
    assert main(["report", str(source)]) == 0
    assert (tmp_path / "report.html").is_file()


@pytest.mark.parametrize("content, expected", [(None, "no such file"), ("{", "not a readable"),
                                               ('{"schema": 7}', "schema-1")])
def test_report_command_names_a_bad_input_and_exits_2(tmp_path, capsys, content, expected):
    source = tmp_path / "report.json"
    if content is not None:
        source.write_text(content)
    assert main(["report", str(source)]) == 2
    err = capsys.readouterr().err
    assert expected in err and str(source) in err


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed")
def test_the_report_loads_in_headless_chromium_without_errors(html, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(html)
    done = subprocess.run([CHROMIUM, *BROWSER_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                           "--dump-dom", page.as_uri()], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert 'data-report-loaded="yes"' in done.stdout  # the inline script ran to its end
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    assert console == []  # the page logs nothing: any console line is an uncaught error or worse
    assert '<section id="C1"' in done.stdout
