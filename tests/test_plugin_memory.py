"""Whether a session's runs fit the memory: the probe's peak x the safety share against the
smallest device's available memory."""

from __future__ import annotations

import pytest
from test_recipes_estimate import PROBE

from rlsparse_check.plugin import memory


def test_bytes_text():
    assert [memory.bytes_text(n) for n in (512 * 1024**2, 8 * 1024**3)] == ["512 MB", "8.00 GB"]


def test_runs_that_would_not_fit_the_memory_stop_before_training_with_what_would(monkeypatch):
    import dataclasses

    from rlsparse_check.errors import OptionError

    gib = 1024**3
    peak = dataclasses.replace(PROBE, peak_bytes=8 * gib, device="cpu", memory="cpu peak RSS")
    assert memory.memory_warning(peak, 1, [24 * gib]) is None  # 8 x 1.25 = 10 GiB fits
    assert memory.memory_warning(peak, 2, [24 * gib]) is None  # 20 GiB fits
    two = memory.memory_warning(peak, 2, [16 * gib])
    assert two == (
        "2 run(s) per device at the probe's peak memory 8.00 GB (cpu peak RSS) x 1.25 safety "
        "need 20.00 GB, over the 16.00 GB available on cpu; nothing was trained. Options that "
        "would fit: --runs-per-device 1, fewer --num-generations or a smaller micro-batch, a "
        "smaller --eval-samples, or a GPU (--device cuda)"
    )
    assert memory.memory_warning(peak, 1, [9 * gib]) is not None  # 10 GiB > 9 GiB
    assert memory.memory_warning(peak, 1, [40 * gib, 9 * gib]) is not None  # the smallest GPU
    monkeypatch.setattr(memory, "available_memory", lambda device: [9 * gib])
    with pytest.raises(OptionError, match=r"memory: one run at .*over the 9.00 GB available"):
        memory.check_memory(peak, 1, "cpu")
    monkeypatch.setattr(memory, "available_memory", lambda device: [11 * gib])
    memory.check_memory(peak, 1, "cpu")  # fits: nothing raised


def test_the_available_memory_of_the_cpu_is_what_the_kernel_says_is_available():
    import psutil

    (free,) = memory.available_memory("cpu")
    assert abs(free - psutil.virtual_memory().available) < 2 * 1024**3
