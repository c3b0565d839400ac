"""Progress of one training run: a bar on a terminal, plain lines when the output is piped;
and of any other long phase (:class:`Phase`: a base copy, an eval, a probe).

A transformers ``TrainerCallback`` (the TRL trainers and the on-policy trainer of PPO and PRIME
both fire its events): it shows the step, the latest mean reward (``reward`` of the RL recipes,
``rewards/margins`` of the preference ones, ``loss`` otherwise) and the time left, estimated from
the steps done so far. On a terminal one line is redrawn in place; otherwise a line is printed
every :data:`LINES` th of the run, so logs stay short.

:class:`Phase`, :func:`announce`, :func:`sink` and :func:`use_sink` are those of
:mod:`rlsparse_check.phase` (the lines of any long phase, at the ground floor so that GGUF
conversion speaks through them too), named here as well.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import IO, Any

from transformers import TrainerCallback

from rlsparse_check.phase import EVERY, POLL, QUIET, Phase, announce, clock_text, sink, use_sink

__all__ = ["EVERY", "LINES", "Phase", "Progress", "QUIET", "announce", "sink", "use_sink"]

#: Plain lines printed over a run when the output is not a terminal.
LINES = 10
_FIGURES = (("reward", "reward"), ("rewards/margins", "margin"), ("loss", "loss"))
_WIDTH = 24


class Progress(TrainerCallback):
    """Between steps a thread keeps the run speaking: on a terminal it redraws the bar (the
    elapsed time moves), else, once no line has come for :data:`EVERY` seconds, it prints one
    (a first step of a real model can take minutes). :meth:`stop` ends it (the end of training
    does too)."""

    def __init__(self, label: str, stream: IO[str] | None = None, poll: float | None = None):
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.began = time.perf_counter()
        self.figure = ""
        self.shown = -1
        self.poll = poll
        self.step, self.total = 0, 1
        self.quiet = self._phase()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.began = time.perf_counter()
        self.step, self.total = 0, max(int(state.max_steps or 0), 1)
        self.quiet = self._phase()
        self.stop()
        self._stop.clear()
        self._ticker = threading.Thread(target=self._tick, name=self.label, daemon=True)
        self._ticker.start()

    def _phase(self) -> Phase:
        """The thread's lines, on this callback's stream."""

        def write(text: str) -> None:
            with self._lock:  # whole lines, never mixed with a step's line
                self.stream.write(text + "\n")
                self.stream.flush()

        return Phase(f"{self.label}: training", "steps", write=write)

    def _tick(self) -> None:
        while not self._stop.wait(POLL if self.poll is None else self.poll):
            if self.tty:
                self.show(self.step, self.total)
            else:
                self.quiet(self.step, self.total)

    def stop(self) -> None:
        """End the thread between steps (safe to call more than once)."""
        self._stop.set()
        if self._ticker is not None and self._ticker is not threading.current_thread():
            self._ticker.join()
        self._ticker = None

    def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kw: Any) -> None:
        for key, name in _FIGURES:
            if logs and isinstance(logs.get(key), int | float):
                self.figure = f"{name} {logs[key]:.3f}"
                return

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.step = state.global_step
        self.show(state.global_step, state.max_steps)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.stop()
        self.show(state.global_step, state.max_steps, final=True)

    def line(self, step: int, total: int) -> str:
        elapsed = time.perf_counter() - self.began
        left = elapsed / step * (total - step) if step else 0.0
        figure = f"  {self.figure}" if self.figure else ""
        return f"{self.label}: step {step}/{total}{figure}  elapsed {clock_text(elapsed)}" + (
            f"  eta {clock_text(left)}" if step < total else ""
        )

    def show(self, step: int, total: int, *, final: bool = False) -> None:
        total = max(total, 1)
        with self._lock:
            if self.tty:
                done = int(_WIDTH * min(step, total) / total)
                bar = "#" * done + "." * (_WIDTH - done)
                self.stream.write(f"\r[{bar}] {self.line(step, total)}\x1b[K" + ("\n" * final))
                self.stream.flush()
                return
            every = max(1, total // LINES)
            if (step % every == 0 or final) and step != self.shown:
                self.shown = step
                self.quiet.last = self.quiet.clock()  # a line came: the thread waits again
                self.stream.write(self.line(step, total) + "\n")
                self.stream.flush()
