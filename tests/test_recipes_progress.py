"""Training progress: a redrawn bar on a terminal, a few plain lines when piped."""

from __future__ import annotations

import io
from types import SimpleNamespace

from rlsparse_check.recipes.progress import LINES, Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def drive(progress: Progress, steps: int) -> None:
    state = SimpleNamespace(global_step=0, max_steps=steps)
    progress.on_train_begin(None, state, None)
    for step in range(1, steps + 1):
        state.global_step = step
        progress.on_log(None, state, None, logs={"reward": step / steps, "loss": 1.0})
        progress.on_step_end(None, state, None)
    progress.on_train_end(None, state, None)


def test_piped_output_gets_a_few_plain_lines_with_step_reward_and_time_left():
    out = io.StringIO()
    drive(Progress("grpo seed 0", out), 150)
    lines = out.getvalue().splitlines()
    assert len(lines) == LINES and "\r" not in out.getvalue()
    assert lines[0].startswith("grpo seed 0: step 15/150  reward 0.100") and "eta" in lines[0]
    assert lines[-1].startswith("grpo seed 0: step 150/150  reward 1.000")


def test_a_terminal_gets_one_bar_redrawn_in_place():
    out = Terminal()
    drive(Progress("ppo seed 1", out), 4)
    text = out.getvalue()
    assert text.count("\r[") == 5 and text.endswith("\n") and text.count("\n") == 1
    assert "[########################] ppo seed 1: step 4/4  reward 1.000" in text


def test_preference_runs_show_their_margin():
    out = io.StringIO()
    progress = Progress("dpo seed 0", out)
    progress.on_log(None, None, None, logs={"rewards/margins": 0.25, "loss": 0.6})
    progress.show(1, 1, final=True)
    assert "margin 0.250" in out.getvalue()


def test_a_long_phase_says_how_far_it_is_and_a_short_one_says_nothing() -> None:
    from rlsparse_check.recipes.progress import Phase, use_sink

    now = [0.0]
    lines: list[str] = []
    with use_sink(lines.append):
        short = Phase("eval", "completions", clock=lambda: now[0])
        now[0] = 5.0
        short(5, 10)
        short.end()
        assert lines == []
        long = Phase("eval", "completions", clock=lambda: now[0])
        now[0] = 25.0
        long(5, 10)
        now[0] = 30.0
        long(6, 10)  # too soon after the last line
        long.end()
    assert lines == [
        "rlsparse-check: eval: 5/10 completions in 0:20, about 0:20 left",
        "rlsparse-check: eval: done in 0:25",
    ]


def _until(predicate, seconds: float = 10.0) -> None:
    import time

    end = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < end, "the progress thread said nothing"
        time.sleep(0.005)


def test_before_the_first_step_ends_the_thread_keeps_a_piped_run_speaking(monkeypatch):
    import time

    from rlsparse_check import phase

    monkeypatch.setattr(phase, "QUIET", 0.0)  # the first step is long at once
    out = io.StringIO()
    progress = Progress("grpo seed 0", out, poll=0.001)
    state = SimpleNamespace(global_step=0, max_steps=3)
    progress.on_train_begin(None, state, None)
    _until(lambda: out.getvalue())
    progress.on_train_end(None, state, None)
    lines = out.getvalue().splitlines()
    assert lines[0] == "rlsparse-check: grpo seed 0: training: 0/3 steps in 0:00"
    assert lines[-1].startswith("grpo seed 0: step 0/3")
    ended = out.getvalue()
    time.sleep(0.02)
    assert out.getvalue() == ended  # the thread ended with the training
    progress.stop()  # again: harmless


def test_on_a_terminal_the_thread_redraws_the_bar_before_the_first_step():
    out = Terminal()
    progress = Progress("sft seed 0", out, poll=0.001)
    progress.on_train_begin(None, SimpleNamespace(global_step=0, max_steps=4), None)
    _until(lambda: out.getvalue())
    progress.stop()
    assert out.getvalue().startswith("\r[........................] sft seed 0: step 0/4")
