"""Train the runs of a session on a Ray cluster: one Ray task per run.

Each run is a task of :func:`rlsparse_check.recipes.pool.train_one` (a function of the installed
package, so every node imports it from there) with its resource request: ``num_gpus`` for runs on
GPUs, ``num_cpus=1`` (and one thread) for the built-in tiny models on CPUs. Tasks write into the
content-addressed run cache at ``cache_root``, which must be storage every node sees (a shared
filesystem); the cache builds each entry in a temporary folder and publishes it with an atomic
rename under a file lock, so concurrent nodes never see half a run. Tasks return an
:class:`~rlsparse_check.recipes.pool.Outcome`, never tensors.

A task asking for resources the cluster lacks would wait forever: the request is checked against
the cluster's resources first, and the session gives up, naming the runs left, when no run has
finished for ``timeout`` seconds. Ray is optional (``pip install -e '.[ray]'``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rlsparse_check.errors import OptionError
from rlsparse_check.recipes.pool import Event, Outcome, quiet, split_cached, train_one

__all__ = ["import_ray", "connect", "request_for", "train_all_ray", "cluster_slots"]

#: Object store of a private local instance: runs return paths and numbers, not tensors.
LOCAL_OBJECT_STORE = 80 * 1024**2


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise OptionError("--executor ray: Ray is not installed; pip install -e '.[ray]'") from None
    return ray


def connect(address: str, *, gpus: int | None = None) -> Any:
    """Attach to the cluster at ``address`` (``auto``: the one this machine belongs to) or, with
    ``local``, start a private instance here (``gpus`` declared ids, real or not)."""
    ray = import_ray()
    if ray.is_initialized():
        return ray
    kwargs: dict[str, Any] = {"address": address, "log_to_driver": False}
    if address == "local":
        kwargs |= {"object_store_memory": LOCAL_OBJECT_STORE, "include_dashboard": False}
        if gpus:
            kwargs["num_gpus"] = gpus
    try:
        ray.init(**kwargs)
    except ConnectionError as error:
        raise OptionError(
            f"--ray-address {address}: no Ray cluster found ({error}); start one "
            "(`ray start --head` here, `ray start --address HEAD:6379` on the others), give its "
            "address, or --ray-address local for a private one on this machine"
        ) from None
    return ray


def request_for(*, gpu: bool, tiny: bool, per_device: int = 1) -> dict[str, Any]:
    """The resources of one run's task."""
    if gpu:
        return {"num_gpus": 1.0 / per_device, "num_cpus": 1}
    return {"num_cpus": 1}


def cluster_slots(ray: Any, request: dict[str, Any]) -> int:
    """How many runs the cluster can train at once under ``request``; OptionError when it cannot
    train one (the task would wait forever)."""
    have = ray.cluster_resources()
    counts = []
    for key, name in (("num_gpus", "GPU"), ("num_cpus", "CPU")):
        want = float(request.get(key, 0))
        if want <= 0:
            continue
        if have.get(name, 0.0) < want:
            raise OptionError(
                f"--executor ray: each run asks for {key}={want:g} but the cluster has "
                f"{have.get(name, 0.0):g} {name}; add nodes with {name}s or choose --device"
            )
        counts.append(int(have.get(name, 0.0) // want))
    return max(1, min(counts) if counts else 1)


def train_all_ray(
    tasks: Sequence[tuple[str, Any]],
    *,
    cache_root: Path,
    ray: Any,
    request: dict[str, Any],
    timeout: float,
    on_event: Event = quiet,
    threads: int | None = None,
    skip_cached: bool = True,
) -> dict[str, str]:
    """Train every ``(label, RunSpec)`` as a Ray task (torch pinned to ``threads`` in it, None:
    left alone); ``{label: trained|cached|failed}``."""
    outcome: dict[str, str] = {}
    missing = list(tasks)
    if skip_cached and missing:
        missing = split_cached(missing, cache_root, on_event, outcome)
    if not missing:
        return outcome
    cluster_slots(ray, request)
    remote = ray.remote(train_one).options(**request, max_retries=0)
    pending: dict[Any, tuple[str, Any]] = {}
    for label, spec in missing:
        on_event("start", label, spec, "ray")
        pending[remote.remote(spec, str(cache_root), threads)] = (label, spec)
    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1, timeout=timeout)
        if not ready:
            for ref, (label, spec) in pending.items():
                ray.cancel(ref, force=True)
                outcome[label] = "failed"
                on_event(
                    "failed",
                    label,
                    spec,
                    f"TimeoutError: no run finished in {timeout:g} s on the Ray cluster "
                    f"(each asks for {request}); is it busy or short of these resources? "
                    "See --ray-timeout",
                )
            break
        for ref in ready:
            label, spec = pending.pop(ref)
            try:
                result: Outcome = ray.get(ref)
            except Exception as error:  # the run's own error, as Ray wraps it
                outcome[label] = "failed"
                cause = getattr(error, "cause", None) or error
                on_event("failed", label, spec, f"{type(cause).__name__}: {cause}")
                continue
            outcome[label] = "cached" if result.cached else "trained"
            on_event("done", label, spec, result)
    return outcome
