"""Progress of one training run: a bar on a terminal, plain lines when the output is piped;
and of any other long phase (:class:`Phase`: a base copy, an eval, a probe).

A transformers ``TrainerCallback`` (the TRL trainers and the on-policy trainer of PPO and PRIME
both fire its events): it shows the step, the latest mean reward (``reward`` of the RL recipes,
``rewards/margins`` of the preference ones, ``loss`` otherwise) and the time left, estimated from
the steps done so far. On a terminal one line is redrawn in place; otherwise a line is printed
every :data:`LINES` th of the run, so logs stay short.

A :class:`Phase` says nothing for its first :data:`QUIET` seconds (short phases stay silent),
then prints a line at most every :data:`EVERY` seconds: what it is doing, how far it is and the
time left when it knows its total. Lines go to :func:`sink` (standard error unless a session sets
its own, e.g. pytest's terminal reporter, with :func:`use_sink`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

from transformers import TrainerCallback

__all__ = ["EVERY", "LINES", "Phase", "Progress", "QUIET", "announce", "sink", "use_sink"]

#: Plain lines printed over a run when the output is not a terminal.
LINES = 10
#: A phase shorter than this prints nothing.
QUIET = 10.0
#: Seconds between two lines of a phase.
EVERY = 30.0
_FIGURES = (("reward", "reward"), ("rewards/margins", "margin"), ("loss", "loss"))
_WIDTH = 24


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds + 0.5), 60)
    return f"{minutes}:{seconds:02d}"


class Progress(TrainerCallback):
    def __init__(self, label: str, stream: IO[str] | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.began = time.perf_counter()
        self.figure = ""
        self.shown = -1

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.began = time.perf_counter()

    def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kw: Any) -> None:
        for key, name in _FIGURES:
            if logs and isinstance(logs.get(key), int | float):
                self.figure = f"{name} {logs[key]:.3f}"
                return

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.show(state.global_step, state.max_steps)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.show(state.global_step, state.max_steps, final=True)

    def line(self, step: int, total: int) -> str:
        elapsed = time.perf_counter() - self.began
        left = elapsed / step * (total - step) if step else 0.0
        figure = f"  {self.figure}" if self.figure else ""
        return f"{self.label}: step {step}/{total}{figure}  elapsed {_clock(elapsed)}" + (
            f"  eta {_clock(left)}" if step < total else ""
        )

    def show(self, step: int, total: int, *, final: bool = False) -> None:
        total = max(total, 1)
        if self.tty:
            done = int(_WIDTH * min(step, total) / total)
            bar = "#" * done + "." * (_WIDTH - done)
            self.stream.write(f"\r[{bar}] {self.line(step, total)}\x1b[K" + ("\n" * final))
            self.stream.flush()
            return
        every = max(1, total // LINES)
        if (step % every == 0 or final) and step != self.shown:
            self.shown = step
            self.stream.write(self.line(step, total) + "\n")
            self.stream.flush()


_SINKS: list[Callable[[str], None]] = []


def sink() -> Callable[[str], None]:
    """Where phase lines go now: the innermost :func:`use_sink`, else standard error."""
    if _SINKS:
        return _SINKS[-1]
    return lambda text: print(text, file=sys.stderr, flush=True)


@contextmanager
def use_sink(write: Callable[[str], None]) -> Iterator[None]:
    """Send phase lines to ``write`` inside the block."""
    _SINKS.append(write)
    try:
        yield
    finally:
        _SINKS.pop()


def announce(text: str) -> None:
    """One line now: for a phase that cannot report how far it is (a conversion, a probe)."""
    sink()(f"rlsparse-check: {text}")


class Phase:
    """``phase(done, total)`` as work gets done, ``phase.end()`` at the end: lines only once the
    phase has run :data:`QUIET` seconds, then at most every :data:`EVERY` seconds, and a last
    line with the time it took if any line was shown."""

    def __init__(self, what: str, unit: str = "", *, clock: Callable[[], float] | None = None):
        self.what, self.unit = what, unit
        self.clock = clock or time.perf_counter
        self.began = self.clock()
        self.last: float | None = None

    def __call__(self, done: int, total: int | None = None) -> None:
        now = self.clock()
        elapsed = now - self.began
        if elapsed < QUIET or (self.last is not None and now - self.last < EVERY):
            return
        self.last = now
        unit = f" {self.unit}" if self.unit else ""
        if total:
            left = elapsed / done * (total - done) if done else None
            eta = f", about {_clock(left)} left" if left is not None else ""
            text = f"{self.what}: {done}/{total}{unit} in {_clock(elapsed)}{eta}"
        else:
            text = f"{self.what}: {done}{unit} in {_clock(elapsed)}"
        sink()(f"rlsparse-check: {text}")

    def end(self) -> None:
        if self.last is not None:
            sink()(f"rlsparse-check: {self.what}: done in {_clock(self.clock() - self.began)}")
