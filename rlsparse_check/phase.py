"""Progress lines of long phases (a conversion, a base copy, an eval, a probe), and where they go.

A :class:`Phase` says nothing for its first :data:`QUIET` seconds (short phases stay silent),
then prints a line at most every :data:`EVERY` seconds: what it is doing, how far it is and the
time left when it knows its total, else how long it has run. A phase that is one long call
(a conversion, a copy) runs :meth:`Phase.running` around it: a thread says how long it has run.
Lines go to :func:`sink` (standard error unless a session sets its own, e.g. pytest's terminal
reporter, with :func:`use_sink`).

It sits at the ground floor (standard library only) so that every layer that has a long phase,
GGUF conversion included, speaks through the same lines and the same sink.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["EVERY", "POLL", "QUIET", "Phase", "announce", "clock_text", "sink", "use_sink"]

#: A phase shorter than this prints nothing.
QUIET = 10.0
#: Seconds between two lines of a phase.
EVERY = 30.0
#: Seconds between two looks of :meth:`Phase.running`'s thread at the clock.
POLL = 1.0


def clock_text(seconds: float) -> str:
    """``m:ss``."""
    minutes, seconds = divmod(int(seconds + 0.5), 60)
    return f"{minutes}:{seconds:02d}"


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
    line with the time it took if any line was shown. ``phase()`` with no count repeats the last
    count given, or says how long it has run when none was."""

    def __init__(
        self,
        what: str,
        unit: str = "",
        *,
        clock: Callable[[], float] | None = None,
        write: Callable[[str], None] | None = None,
    ):
        """``write``: where the lines go (by default the :func:`sink` in force as each is said,
        or as :meth:`running` began)."""
        self.what, self.unit = what, unit
        self.clock = clock or time.perf_counter
        self.began = self.clock()
        self.last: float | None = None
        self.done: int | None = None
        self.total: int | None = None
        self.write = write
        self._lock = threading.Lock()

    def _say(self, text: str) -> None:
        (self.write or sink())(f"rlsparse-check: {text}")

    def __call__(self, done: int | None = None, total: int | None = None) -> None:
        with self._lock:
            if done is None:  # the thread of running(): the last count given, if any
                done, total = self.done, self.total
            else:
                self.done, self.total = done, total
            now = self.clock()
            elapsed = now - self.began
            if elapsed < QUIET or (self.last is not None and now - self.last < EVERY):
                return
            self.last = now
        unit = f" {self.unit}" if self.unit else ""
        if done is None:
            text = f"{self.what}: running for {clock_text(elapsed)}"
        elif total:
            left = elapsed / done * (total - done) if done else None
            eta = f", about {clock_text(left)} left" if left is not None else ""
            text = f"{self.what}: {done}/{total}{unit} in {clock_text(elapsed)}{eta}"
        else:
            text = f"{self.what}: {done}{unit} in {clock_text(elapsed)}"
        self._say(text)

    def end(self) -> None:
        if self.last is not None:
            self._say(f"{self.what}: done in {clock_text(self.clock() - self.began)}")

    @contextmanager
    def running(self, poll: float | None = None) -> Iterator[Phase]:
        """Around one long call: a thread says how long the phase has run (once it passes
        :data:`QUIET`, every :data:`EVERY` seconds) into the sink in force here; the last line
        when the block ends, however it ends."""
        given = self.write
        self.write = given or sink()  # the thread writes where the block began
        stop = threading.Event()

        every = POLL if poll is None else poll

        def tick() -> None:
            while not stop.wait(every):
                self()

        thread = threading.Thread(target=tick, name=f"phase {self.what}", daemon=True)
        thread.start()
        ended = False
        try:
            yield self
            ended = True
        finally:
            stop.set()
            thread.join()
            if ended:
                self.end()
            elif self.last is not None:
                self._say(f"{self.what}: stopped after {clock_text(self.clock() - self.began)}")
            self.write = given
