"""The controller side of the plugin: collect claim results from test reports, write the report.

Registered only in the controlling process (never on pytest-xdist workers), so the report is
written once. Results ride on ``report.user_properties`` (see :mod:`.transport`), which
xdist ships from the workers; everything else (skips and errors of claim tests) is read from the
reports themselves. Files are written at ``pytest_sessionfinish``; the terminal summary follows.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from rlsparse_check.plugin import transport
from rlsparse_check.plugin.options import Settings
from rlsparse_check.report import collect, summary

__all__ = ["ReportSession"]


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _failure_message(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    return text.strip().splitlines()[0][:500] if text.strip() else "failed"


class ReportSession:
    """Per-session state of the controller; hooks are methods (registered as a plugin object)."""

    def __init__(
        self, config: pytest.Config, settings: Settings, baseline: dict[str, Any] | None = None
    ) -> None:
        self.config = config
        self.settings = settings
        self.baseline = baseline
        self.started = time.time()
        self.results: list[dict[str, Any]] = []
        self.skipped: list[dict[str, Any]] = []
        self.errors: list[dict[str, Any]] = []
        self.seconds: dict[str, float] = {}
        self._state: dict[str, dict[str, Any]] = {}
        self.report_path: Path | None = None
        self.html_path: Path | None = None
        self.drifts: list[Any] = []
        self.claims: list[dict[str, Any]] = []
        self.regime: dict[str, Any] | None = None

    # -- collection -------------------------------------------------------------------------
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        claim_id = transport.claim_id_of_nodeid(report.nodeid)
        state = self._state.setdefault(report.nodeid, {"failed": None, "skipped": None})
        if claim_id:
            self.seconds[claim_id] = self.seconds.get(claim_id, 0.0) + report.duration
        if report.failed and state["failed"] is None:
            state["failed"] = _failure_message(report)
        if report.skipped and not hasattr(report, "wasxfail") and state["skipped"] is None:
            state["skipped"] = _skip_reason(report)
        if report.when != "teardown":
            return
        recorded = transport.results_of(report)
        self.results.extend(recorded)
        self.regime = transport.regime_of(report) or self.regime
        del self._state[report.nodeid]
        refuted = any(r.get("verdict") == "not_reproduced" for r in recorded)
        if state["failed"] is not None and not refuted and (claim_id or recorded):
            self.errors.append(
                {"id": claim_id, "nodeid": report.nodeid, "message": state["failed"]}
            )
        elif state["skipped"] is not None and claim_id and not recorded:
            self.skipped.append(
                {"id": claim_id, "nodeid": report.nodeid, "reason": state["skipped"]}
            )

    # -- writing ----------------------------------------------------------------------------
    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if not (self.results or self.skipped or self.errors):
            return
        from rlsparse_check.atomic import write_json, write_text
        from rlsparse_check.report import provenance

        self.claims = collect.aggregate(self.results)
        settings = self.settings.to_json()
        runs = [run for claim in self.claims for run in claim["runs"]]
        prov = provenance.gather(
            invocation_dir=Path(self.config.invocation_params.dir),
            args=list(self.config.invocation_params.args),
            settings=settings,
            runs=runs,
            started=self.started,
            finished=time.time(),
            claim_seconds=self.seconds,
        )
        document = collect.build_report(
            claims=self.claims,
            skipped=self.skipped,
            errors=self.errors,
            settings=settings,
            provenance=prov,
            regime=self.regime,
        )
        if self.baseline is not None:
            from rlsparse_check.report.compare import compare

            self.drifts = compare(self.claims, self.baseline, self.settings.drift_tolerance)
            document["drift"] = {
                "baseline": str(self.settings.baseline),
                "tolerance": self.settings.drift_tolerance,
                "findings": [
                    {"id": d.claim_id, "message": d.message, "failure": d.is_failure}
                    for d in self.drifts
                ],
            }
            if any(d.is_failure for d in self.drifts) and session.exitstatus == 0:
                session.exitstatus = pytest.ExitCode.TESTS_FAILED
        directory = self.settings.report_dir
        directory.mkdir(parents=True, exist_ok=True)
        self.report_path = write_json(directory / "report.json", document)
        from rlsparse_check.report.page.render import render_html

        self.html_path = write_text(directory / "report.html", render_html(document))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.report_path is None:
            return
        tr = terminalreporter
        tr.section("rlsparse-check claims")
        colors = {
            "reproduced": {"green": True},
            "not_reproduced": {"red": True},
            "inconclusive": {"yellow": True},
        }
        for claim in self.claims:
            tr.write_line(summary.summary_line(claim), **colors.get(claim["verdict"], {}))
        invariance = (self.regime or {}).get("invariance") or {}
        if invariance.get("verdict"):
            from rlsparse_check.report.page.regime import regime_view

            sentences = (regime_view(self.regime) or {}).get("sentences") or [""]
            tr.write_line(
                f"{'regime':<4} {invariance['verdict']:<15} {sentences[-1]}",
                **colors.get(invariance["verdict"], {}),
            )
        for (claim_id, reason), count in collect.group_skips(self.skipped).items():
            tests = f" ({count} tests)" if count > 1 else ""
            tr.write_line(f"{claim_id:<4} {'skipped':<15} {reason}{tests}")
        for entry in self.errors:
            tr.write_line(
                f"{entry['id'] or '?':<4} {'error':<15} {entry['nodeid']}: {entry['message']}",
                red=True,
            )
        for drift in self.drifts:
            label = "DRIFT" if drift.is_failure else "note"
            tr.write_line(
                f"{label}: {drift.message} (baseline {self.settings.baseline})",
                red=drift.is_failure,
            )
        tr.write_line(f"report: {self.html_path} (data: {self.report_path})")
