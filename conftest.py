"""Repository-root pytest configuration: only what must live here.

* ``slow`` and ``gpu`` tests are opt-in: they run only when a ``-m`` expression is given
  (``pytest -m slow``, ``pytest -m "slow or not slow"``); ``gpu`` tests also need CUDA.
* The claims suite's fixtures live in ``fixtures/`` and are loaded as plugins from here.
"""

from __future__ import annotations

import pytest

pytest_plugins: list[str] = [
    "fixtures.checkpoints",
    "fixtures.training",
    "fixtures.experiments",
    "fixtures.pretrain",
]

OPT_IN = {"slow": "slow test: run with -m slow", "gpu": "needs a GPU: run with -m gpu on CUDA"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.option.markexpr:
        return
    for item in items:
        for marker, reason in OPT_IN.items():
            if marker in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reason))
