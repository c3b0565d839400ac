"""The report package's layers: report/ below page/ and plots/; plots never read the page;
nothing in report reads the plugin; the number formatter reads nothing of the package."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "rlsparse_check"
REPORT = PACKAGE / "report"


def imported(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def offenders(paths, forbidden: str) -> list[str]:
    return [
        f"{path.name} imports {name}"
        for path in paths
        for name in sorted(imported(path))
        if name == forbidden or name.startswith(forbidden + ".")
    ]


def test_plots_never_import_the_page():
    assert offenders((REPORT / "plots").glob("*.py"), "rlsparse_check.report.page") == []


def test_the_report_layer_imports_neither_page_nor_plots():
    ground = [p for p in REPORT.glob("*.py") if p.name != "__init__.py"]
    assert offenders(ground, "rlsparse_check.report.page") == []
    assert offenders(ground, "rlsparse_check.report.plots") == []


def test_nothing_in_report_imports_the_plugin():
    assert offenders(REPORT.rglob("*.py"), "rlsparse_check.plugin") == []


def test_the_number_formatter_stands_alone():
    assert [n for n in imported(PACKAGE / "numbers.py") if n.startswith("rlsparse_check")] == []


def test_the_layer_check_sees_a_forbidden_import(tmp_path):
    planted = tmp_path / "bad.py"
    planted.write_text("from rlsparse_check.report.page.render import render_html\n")
    assert offenders([planted], "rlsparse_check.report.page") != []
