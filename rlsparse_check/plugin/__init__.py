"""The pytest plugin of rlsparse-check (registered through the ``pytest11`` entry point).

Thin by design, split like pytest-benchmark's plugin/session:

* :mod:`.options`: the options (``pytest --help``, heading "rlsparse-check") and pyproject.toml
  defaults merged into one frozen :class:`~.options.Settings`, kept in ``config.stash`` and
  served by the ``rlsparse_settings`` fixture;
* :mod:`.transport`: a claim test's ClaimResult rides on its report's ``user_properties`` (so it
  survives pytest-xdist);
* :mod:`.session`: on the controller only, collects the results, writes report.json and
  report.html, checks drift from ``--baseline`` and prints one summary line per claim.

The ``record_claim`` fixture attaches a result and lets its verdict decide the test's outcome:
``not_reproduced`` fails with the numbers, ``inconclusive`` xfails with its reason,
``reproduced`` passes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rlsparse_check.errors import OptionError
from rlsparse_check.plugin import options, transport
from rlsparse_check.report.collect import format_number, key_figure
from rlsparse_check.results import ClaimResult, Verdict

__all__ = [
    "SETTINGS_KEY",
    "SESSION_KEY",
    "record_claim",
    "record_regime",
    "rlsparse_settings",
    "failure_message",
]

SETTINGS_KEY = pytest.StashKey[options.Settings]()
SESSION_KEY = pytest.StashKey[Any]()


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    try:
        settings = options.settings_from_config(config)
        baseline = None
        if settings.baseline is not None:
            from rlsparse_check.report.baseline import load_baseline

            baseline = load_baseline(settings.baseline)
    except OptionError as error:
        raise pytest.UsageError(f"rlsparse-check: {error}") from None
    config.stash[SETTINGS_KEY] = settings
    _refuse_native_checkpoints(settings)
    if hasattr(config, "workerinput"):  # an xdist worker: the controller writes the report
        return
    from rlsparse_check.plugin.session import ReportSession

    session = ReportSession(config, settings, baseline)
    config.stash[SESSION_KEY] = session
    config.pluginmanager.register(session, "rlsparse-check-report")


def _refuse_native_checkpoints(settings: options.Settings) -> None:
    """A verl or DeepSpeed checkpoint given to --base/--tuned: exit status 2 and one line saying
    how to convert it, before any test runs."""
    from rlsparse_check.checkpoints import refuse_native
    from rlsparse_check.errors import CheckpointError

    for path in (settings.base, *settings.tuned) if settings.base is not None else ():
        try:
            refuse_native(path)
        except CheckpointError as error:
            pytest.exit(f"rlsparse-check: {error}", returncode=2)


def pytest_report_header(config: pytest.Config) -> str | None:
    if not claims_requested(config):
        return None
    s = config.stash[SETTINGS_KEY]
    cache = "off (--no-cache)" if s.no_cache else str(s.cache_dir)
    device = s.device if s.device != "auto" else f"auto -> {s.resolved_device}"
    if s.mode == "checkpoints":
        what = f"checkpoint mode: base={s.base}, {len(s.tuned)} tuned"
    else:
        what = f"model={s.model}"
    return (
        f"rlsparse-check: {what}, device={device}, seeds={s.seeds}, cache={cache}, "
        f"report={s.report_dir}"
    )


@pytest.fixture(scope="session")
def rlsparse_settings(pytestconfig: pytest.Config) -> options.Settings:
    """The merged, validated options of this run (command line > pyproject.toml > defaults)."""
    return pytestconfig.stash[SETTINGS_KEY]


def failure_message(result: ClaimResult) -> str:
    """The message of a refuted claim: measured, expected, test and p-value, then the reason."""
    data = result.to_json()
    stats = data["statistics"]
    figure = key_figure(data)
    measured = f"{figure[0]}={format_number(figure[1])}" if figure else "see report.json"
    paper = data["paper"]
    expected = paper.get("criterion") or paper.get("summary") or "see report.json"
    parts = [
        f"{result.id} [{result.case}] not reproduced: {result.reason}",
        f"  measured: {measured}",
        f"  expected: {expected}",
    ]
    if stats:
        line = f"  test: {stats.get('test', '?')}"
        p = stats.get("p_adjusted", stats.get("p"))
        if p is not None:
            line += f", p={format_number(p)}"
            if "p_adjusted" in stats and stats.get("correction"):
                line += f" ({stats['correction']}-adjusted)"
        for key in ("alpha", "n"):
            if stats.get(key) is not None:
                line += f", {key}={format_number(stats[key])}"
        parts.append(line)
    return "\n".join(parts)


@pytest.fixture
def record_claim(request: pytest.FixtureRequest) -> Callable[[ClaimResult], None]:
    """``record_claim(result)``: attach a ClaimResult to this test's report, then enforce its
    verdict (not_reproduced -> fail with the numbers; inconclusive -> xfail; reproduced -> pass).

    Record each case once, as the test's last act: the verdict ends the test.
    """

    def record(result: ClaimResult) -> None:
        if not isinstance(result, ClaimResult):
            raise TypeError(f"record_claim expects a ClaimResult, got {type(result).__name__}")
        transport.attach(request.node, result)
        if result.verdict is Verdict.NOT_REPRODUCED:
            pytest.fail(failure_message(result), pytrace=False)
        if result.verdict is Verdict.INCONCLUSIVE:
            pytest.xfail(f"{result.id} [{result.case}] inconclusive: {result.reason}")

    return record


@pytest.fixture
def record_regime(request: pytest.FixtureRequest) -> Callable[[dict[str, Any]], None]:
    """``record_regime(regime)``: attach the session's regime record (report.json "regime"),
    then let its invariance check decide the test: the usual rate shown equivalent to the
    published one passes, shown not equivalent fails, undecided xfails."""

    def record(regime: dict[str, Any]) -> None:
        transport.attach_regime(request.node, regime)
        invariance = regime.get("invariance") or {}
        verdict, reason = invariance.get("verdict"), invariance.get("reason", "")
        if verdict == Verdict.NOT_REPRODUCED.value:
            pytest.fail(f"regime check failed: {reason}", pytrace=False)
        if verdict == Verdict.INCONCLUSIVE.value:
            pytest.xfail(f"regime check inconclusive: {reason}")

    return record


def claims_requested(config: Any) -> bool:
    """True when this pytest run is a claims-suite run: --base/--tuned given, or a path argument
    inside a ``claims`` directory. Used to keep the header out of unrelated test runs."""
    if config.getoption("rlsparse_base", default=None) or config.getoption(
        "rlsparse_tuned", default=None
    ):
        return True
    for arg in config.args:
        path = Path(str(arg).split("::", 1)[0])
        if "claims" in path.parts or path.resolve().name == "claims":
            return True
    return False
