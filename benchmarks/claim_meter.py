"""A pytest plugin that meters each test of a run: wall seconds and the process's peak RSS.

Loaded with ``-p benchmarks.claim_meter``; ``RLSPARSE_METER_OUT`` names the JSON file it writes
(one record per test: node id, seconds of setup + call + teardown, the RSS when the test began
and the peak RSS reached during it). The peak is the kernel's own high-water mark (``VmHWM`` in
``/proc/self/status``), reset before each test by writing 5 to ``/proc/self/clear_refs``, so
each test's peak is its own (what earlier tests still hold counts in it, and is shown as
``rss_before``). Session fixtures are paid by the first test that asks for them.
"""

from __future__ import annotations

import json
import os
import re
import time

import pytest

from rlsparse_check.atomic import write_text

_RECORDS: list[dict] = []


def _status(field: str) -> int:
    with open("/proc/self/status") as f:
        return int(re.search(rf"{field}:\s+(\d+)", f.read()).group(1)) * 1024


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:  # not Linux, or not permitted: peaks are then cumulative
        return False


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    reset = _reset_peak()
    before = _status("VmRSS")
    began = time.perf_counter()
    yield
    _RECORDS.append(
        {
            "test": item.nodeid,
            "seconds": time.perf_counter() - began,
            "rss_before": before,
            "peak_rss": _status("VmHWM"),
            "peak_is_own": reset,
        }
    )


def pytest_sessionfinish(session):
    out = os.environ.get("RLSPARSE_METER_OUT")
    if out:
        write_text(out, json.dumps(_RECORDS, indent=1))
