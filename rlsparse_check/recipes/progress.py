"""Progress of one training run: a bar on a terminal, plain lines when the output is piped.

A transformers ``TrainerCallback`` (the TRL trainers and the on-policy trainer of PPO and PRIME
both fire its events): it shows the step, the latest mean reward (``reward`` of the RL recipes,
``rewards/margins`` of the preference ones, ``loss`` otherwise) and the time left, estimated from
the steps done so far. On a terminal one line is redrawn in place; otherwise a line is printed
every :data:`LINES` th of the run, so logs stay short.
"""

from __future__ import annotations

import sys
import time
from typing import IO, Any

from transformers import TrainerCallback

__all__ = ["Progress", "LINES"]

#: Plain lines printed over a run when the output is not a terminal.
LINES = 10
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
