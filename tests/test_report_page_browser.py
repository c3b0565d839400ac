"""The report in a real browser: headless Chromium at 1280 px, every section opened.

Skipped where Chromium is not installed. The page loads with a measuring script appended: it
records the document's scroll width against its client width (no sideways scrolling), with the
collapsed sections closed and then all opened, and checks every plot's alt text and caption.
"""

from __future__ import annotations

import html as html_text
import json
import re
import shutil
import subprocess

import pytest
from report_support import EXAMPLE, big_report, regime, synthetic_report

from rlsparse_check.report.page.render import render_html

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
    "--window-size=1280,900",
    "--hide-scrollbars",
]
WIDTH = 1280

MEASURE = """<script>
(function () {
  var root = document.documentElement;
  function widths() { return [root.scrollWidth, root.clientWidth]; }
  var closed = widths();
  document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  var opened = widths();
  var svgs = Array.prototype.slice.call(document.querySelectorAll("svg"));
  var unnamed = svgs.filter(function (s) {
    var title = s.querySelector("title");
    return s.getAttribute("role") !== "img" || !(s.getAttribute("aria-label") || "").trim()
      || !title || !title.textContent.trim();
  }).length;
  var figures = Array.prototype.slice.call(document.querySelectorAll("figure"));
  var uncaptioned = figures.filter(function (f) {
    var caption = f.querySelector("figcaption");
    return !caption || !caption.textContent.trim();
  }).length;
  var wide = [];
  document.querySelectorAll("body *").forEach(function (e) {
    if (e.getBoundingClientRect().right > root.clientWidth + 1 && wide.length < 5) {
      wide.push(e.tagName + "." + e.className);
    }
  });
  document.body.setAttribute("data-measure", JSON.stringify({
    closed: closed, opened: opened, svgs: svgs.length, unnamed: unnamed,
    figures: figures.length, uncaptioned: uncaptioned, wide: wide}));
})();
</script>
</body>"""

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium is not installed (apt-get install chromium)"
)


def load(page: str, tmp_path) -> tuple[str, dict, list[str]]:
    """Load ``page`` in Chromium: the dumped DOM, the measurements, and console lines."""
    path = tmp_path / "page.html"
    path.write_text(page.replace("</body>", MEASURE, 1))
    done = subprocess.run(
        [
            CHROMIUM,
            *BROWSER_FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            path.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = re.search(r'data-measure="([^"]*)"', done.stdout)
    assert found, "the measuring script did not run"
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return done.stdout, json.loads(html_text.unescape(found.group(1))), console


def check(page: str, tmp_path) -> dict:
    dom, measured, console = load(page, tmp_path)
    assert 'data-report-loaded="yes"' in dom  # the page's own script ran to its end
    assert console == []  # the page logs nothing: any console line is an uncaught error
    for state in ("closed", "opened"):
        scroll, client = measured[state]
        assert client == WIDTH
        assert scroll <= client, f"{state}: scrolls sideways, too wide: {measured['wide']}"
    assert measured["unnamed"] == 0 and measured["uncaptioned"] == 0
    assert measured["svgs"] == measured["figures"] == page.count("<svg")
    return measured


def test_the_small_report_fits_1280_px_and_names_every_plot(tmp_path):
    document = synthetic_report()
    document["regime"] = regime()
    assert check(render_html(document), tmp_path)["svgs"] == 6


def test_a_big_report_with_deep_nesting_and_long_words_fits_1280_px(tmp_path):
    assert check(render_html(big_report()), tmp_path)["svgs"] >= 6


@pytest.mark.skipif(not EXAMPLE.is_file(), reason="no committed example report")
def test_the_example_report_fits_1280_px_and_names_every_plot(tmp_path):
    assert check(render_html(json.loads(EXAMPLE.read_text())), tmp_path)["svgs"] > 0
