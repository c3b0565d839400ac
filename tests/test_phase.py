"""Tests of rlsparse_check.phase: a long phase's lines, a thread that speaks during one long call,
and the sink the lines go to."""

from __future__ import annotations

import time

import pytest

from rlsparse_check import phase
from rlsparse_check.phase import Phase, announce, use_sink


def _until(predicate, seconds: float = 10.0) -> None:
    """Wait (real time) until ``predicate()`` holds; the thread under test runs meanwhile."""
    end = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < end, "the phase's thread said nothing"
        time.sleep(0.005)


def test_a_phase_without_a_count_says_how_long_it_has_run():
    now, lines = [0.0], []
    with use_sink(lines.append):
        p = Phase("converting m.gguf", clock=lambda: now[0])
        now[0] = 12.0
        p()
        p.end()
    assert lines == [
        "rlsparse-check: converting m.gguf: running for 0:12",
        "rlsparse-check: converting m.gguf: done in 0:12",
    ]


def test_one_long_call_speaks_through_the_thread_into_the_sink_where_it_began():
    now, lines, elsewhere = [0.0], [], []
    with use_sink(lines.append):
        with Phase("base copy", clock=lambda: now[0]).running(poll=0.001):
            with use_sink(elsewhere.append):  # a sink set inside the call does not take them
                now[0] = 11.0
                _until(lambda: lines)
                now[0] = 20.0
    assert lines == [
        "rlsparse-check: base copy: running for 0:11",
        "rlsparse-check: base copy: done in 0:20",
    ]
    assert elsewhere == []


def test_a_short_call_says_nothing_and_a_failed_one_says_it_stopped():
    now, lines = [0.0], []
    with use_sink(lines.append):
        with Phase("short", clock=lambda: now[0]).running(poll=0.001):
            now[0] = 5.0
            time.sleep(0.02)
        assert lines == []
        with pytest.raises(KeyError):
            with Phase("failing", clock=lambda: now[0]).running(poll=0.001):
                now[0] = 40.0
                _until(lambda: lines)
                raise KeyError("x")
    assert lines == [
        "rlsparse-check: failing: running for 0:35",
        "rlsparse-check: failing: stopped after 0:35",
    ]


def test_lines_go_to_standard_error_unless_a_sink_is_set(capsys):
    announce("plain")
    with use_sink(print):
        announce("routed")
    out, err = capsys.readouterr()
    assert err == "rlsparse-check: plain\n" and out == "rlsparse-check: routed\n"


def test_the_quiet_time_and_the_spacing_are_read_when_each_line_is_due(monkeypatch):
    monkeypatch.setattr(phase, "QUIET", 0.0)
    monkeypatch.setattr(phase, "EVERY", 0.0)
    now, lines = [0.0], []
    with use_sink(lines.append):
        p = Phase("eval", "completions", clock=lambda: now[0])
        p(1, 4)
        p(2, 4)
    assert lines == [
        "rlsparse-check: eval: 1/4 completions in 0:00, about 0:00 left",
        "rlsparse-check: eval: 2/4 completions in 0:00, about 0:00 left",
    ]
