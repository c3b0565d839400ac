"""Shared by the recipe tests: one run cache per test session (shared by pytest-xdist workers
through its file lock), so a run trained by one test is reused, not retrained, by every other
test that asks for the same spec."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

__all__ = ["one_thread", "run_cache", "trained"]


@pytest.fixture(scope="session")
def run_cache(tmp_path_factory: pytest.TempPathFactory) -> Any:
    import os

    from rlsparse_check.recipes import RunCache

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):  # share one cache (file-locked) across workers
        root = root.parent
    return RunCache(root / "rlsparse-run-cache")


@pytest.fixture(scope="session")
def trained(run_cache: Any) -> Callable[..., Any]:
    """``trained(algo=..., steps=..., ...)`` -> Run on the CPU, cached for the session."""
    from rlsparse_check.recipes import RunSpec, train

    def run(**fields: Any) -> Any:
        return train(RunSpec(device="cpu", **fields), cache=run_cache)

    return run


@pytest.fixture
def one_thread() -> Any:
    """Thread pools pinned to one thread for the test (as the claims suite trains the tiny
    models: larger pools spin against each other on a shared CPU), restored after."""
    import torch

    from rlsparse_check.recipes.threads import pin_threads

    before = torch.get_num_threads()
    pin_threads(1)
    yield
    pin_threads(before)
