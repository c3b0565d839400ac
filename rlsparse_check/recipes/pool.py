"""Train many runs at once on this machine: one worker process per :class:`~.slots.Slot`.

The claims suite knows every run a session needs before its first test. Training them up front
uses the machine's cores or GPUs and leaves the tests to read the run cache. Runs are
independent and deterministic, so the results do not depend on how many workers trained them or
in which order. A run that fails here is only reported (label and message) and the others go
on: the test that needs it trains it again and reports the error where it belongs.

Runs the cache already holds are found in this process first and reported at once, so a warm
session starts no worker. Progress goes to ``on_event(kind, label, spec, detail)``: ``"start"``
(detail: the slot's device) when a worker takes the run, ``"done"`` (detail: an
:class:`Outcome`) and ``"failed"`` (detail: the message). A single slot that changes nothing
(another model on the CPU) trains in this process.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from rlsparse_check.recipes.slots import Slot

__all__ = ["train_all", "train_one", "split_cached", "quiet", "Event", "Outcome"]

Event = Callable[[str, str, Any, Any], None]


@dataclass(frozen=True)
class Outcome:
    """How a run ended: from the cache or trained, its seconds, the device the worker saw
    (``cuda:<CUDA_VISIBLE_DEVICES>`` or ``cpu``) and its wall-clock start and end."""

    cached: bool
    seconds: float
    device: str = "cpu"
    began: float = 0.0
    ended: float = 0.0


def _init(env: tuple[tuple[str, str], ...], threads: int | None) -> None:
    os.environ.update(dict(env))  # before torch is imported in this worker
    if threads is not None:
        from rlsparse_check.recipes.threads import pin_threads

        pin_threads(threads)


def train_one(spec: Any, cache_root: str, threads: int | None = None) -> Outcome:
    """Train one run into the cache at ``cache_root`` (the body of every worker, local or Ray)."""
    if threads is not None:
        _init((), threads)
    from rlsparse_check.recipes import RunCache, train

    began, clock = time.time(), time.perf_counter()
    run = train(spec, cache=RunCache(cache_root))
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    device = f"cuda:{visible}" if visible else "cpu"
    return Outcome(bool(run.cached), time.perf_counter() - clock, device, began, time.time())


def quiet(kind: str, label: str, spec: Any, detail: Any) -> None:
    return None


def split_cached(
    tasks: Sequence[tuple[str, Any]], cache_root: Path, on_event: Event, outcome: dict[str, str]
) -> list[tuple[str, Any]]:
    """Report the runs the cache holds (done, cached) and return the others."""
    from rlsparse_check.recipes import RunCache
    from rlsparse_check.recipes.run import lookup

    cache, missing = RunCache(cache_root), []
    for label, spec in tasks:
        if lookup(spec, cache) is None:
            missing.append((label, spec))
        else:
            outcome[label] = "cached"
            on_event("done", label, spec, Outcome(True, 0.0))
    return missing


def _message(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _in_process(
    tasks: list, cache_root: Path, slot: Slot, on_event: Event, work: Callable[..., Outcome]
) -> dict[str, str]:
    outcome: dict[str, str] = {}
    for label, spec in tasks:
        on_event("start", label, spec, slot.device)
        try:
            result = work(spec, str(cache_root))
        except Exception as error:  # reported; the test that needs the run raises it again
            outcome[label] = "failed"
            on_event("failed", label, spec, _message(error))
            continue
        outcome[label] = "cached" if result.cached else "trained"
        on_event("done", label, spec, result)
    return outcome


def _pool(slot: Slot) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        1, mp_context=get_context("spawn"), initializer=_init, initargs=(slot.env, slot.threads)
    )


def train_all(
    tasks: Sequence[tuple[str, Any]],
    *,
    cache_root: Path,
    slots: Sequence[Slot] = (Slot("cpu"),),
    on_event: Event = quiet,
    work: Callable[..., Outcome] = train_one,
    skip_cached: bool = True,
) -> dict[str, str]:
    """Train every ``(label, RunSpec)`` into the cache at ``cache_root``, one worker process
    per slot, each calling ``work(spec, cache_root)`` (a function of an importable module).
    Returns ``{label: "trained" | "cached" | "failed"}``."""
    outcome: dict[str, str] = {}
    queue = list(tasks)
    if skip_cached and queue:
        queue = split_cached(queue, cache_root, on_event, outcome)
    if not queue:
        return outcome
    if len(slots) == 1 and not slots[0].env and slots[0].threads is None:
        return outcome | _in_process(queue, cache_root, slots[0], on_event, work)
    slots = list(slots)[: len(queue)]
    pools = {k: _pool(slot) for k, slot in enumerate(slots)}
    running: dict[Future, tuple[int, str, Any]] = {}
    try:
        while queue or running:
            for k in sorted(set(pools) - {slot for slot, _, _ in running.values()}):
                if not queue:
                    break
                label, spec = queue.pop(0)
                on_event("start", label, spec, slots[k].device)
                running[pools[k].submit(work, spec, str(cache_root))] = (k, label, spec)
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                k, label, spec = running.pop(future)
                error = future.exception()
                if error is None:
                    result = future.result()
                    outcome[label] = "cached" if result.cached else "trained"
                    on_event("done", label, spec, result)
                    continue
                outcome[label] = "failed"
                on_event("failed", label, spec, _message(error))
                if isinstance(error, BrokenProcessPool):  # the worker died: start a new one
                    pools[k].shutdown(wait=False, cancel_futures=True)
                    pools[k] = _pool(slots[k])
    finally:
        for pool in pools.values():
            pool.shutdown(wait=True, cancel_futures=True)
    return outcome
