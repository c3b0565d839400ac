"""Train many runs at once in worker processes, each pinned to a fixed number of threads.

The claims suite knows every run a session needs before its first test. Training them up front
in ``workers`` processes uses the machine's cores (the built-in tiny models gain nothing from
more than one thread per run) and leaves the tests to read the run cache. Runs are independent
and deterministic, so the results do not depend on how many workers trained them or in which
order. A run that fails here is only reported: the test that needs it trains it again and
reports the error where it belongs.

Runs the cache already holds are found in this process first and reported at once, so a warm
session starts no worker. Progress goes to ``on_event(kind, label, spec, detail)``: ``"start"``
(detail None) when a worker takes the run, ``"done"`` (detail ``(cached, seconds)``) and
``"failed"`` (detail: the message).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from multiprocessing import get_context
from pathlib import Path
from typing import Any

__all__ = ["train_all", "Event"]

Event = Callable[[str, str, Any, Any], None]


def _init(threads: int) -> None:
    from rlsparse_check.recipes.threads import pin_threads

    pin_threads(threads)


def _train(spec: Any, cache_root: str) -> tuple[bool, float]:
    from rlsparse_check.recipes import RunCache, train

    began = time.perf_counter()
    run = train(spec, cache=RunCache(cache_root))
    return bool(run.cached), time.perf_counter() - began


def _quiet(kind: str, label: str, spec: Any, detail: Any) -> None:
    return None


def train_all(
    tasks: Sequence[tuple[str, Any]],
    *,
    cache_root: Path,
    workers: int,
    threads: int = 1,
    on_event: Event = _quiet,
) -> dict[str, str]:
    """Train every ``(label, RunSpec)`` into the cache at ``cache_root`` with ``workers``
    processes (``workers <= 1``: in this process). Returns ``{label: "trained" | "cached" |
    "failed"}``."""
    outcome: dict[str, str] = {}
    missing = []
    if tasks:
        from rlsparse_check.recipes import RunCache
        from rlsparse_check.recipes.run import lookup

        cache = RunCache(cache_root)
        for label, spec in tasks:
            if lookup(spec, cache) is None:
                missing.append((label, spec))
            else:
                outcome[label] = "cached"
                on_event("done", label, spec, (True, 0.0))
    tasks = missing
    if workers <= 1:
        for label, spec in tasks:
            on_event("start", label, spec, None)
            try:
                cached, seconds = _train(spec, str(cache_root))
            except Exception as error:  # reported; the test that needs the run raises it again
                outcome[label] = "failed"
                on_event("failed", label, spec, f"{type(error).__name__}: {error}")
                continue
            outcome[label] = "cached" if cached else "trained"
            on_event("done", label, spec, (cached, seconds))
        return outcome
    queue = list(tasks)
    running: dict[Future, tuple[str, Any]] = {}
    with ProcessPoolExecutor(
        workers, mp_context=get_context("spawn"), initializer=_init, initargs=(threads,)
    ) as pool:
        while queue or running:
            while queue and len(running) < workers:
                label, spec = queue.pop(0)
                on_event("start", label, spec, None)
                running[pool.submit(_train, spec, str(cache_root))] = (label, spec)
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                label, spec = running.pop(future)
                error = future.exception()
                if error is not None:
                    outcome[label] = "failed"
                    on_event("failed", label, spec, f"{type(error).__name__}: {error}")
                    continue
                cached, seconds = future.result()
                outcome[label] = "cached" if cached else "trained"
                on_event("done", label, spec, (cached, seconds))
    return outcome
