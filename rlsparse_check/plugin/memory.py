"""Whether a session's runs fit the memory of where they train: the probe's peak against the
CPU's available memory or each GPU's, with a safety share; a session that would not fit stops
before training (exit status 2) with the options that would.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MEMORY_SAFETY", "available_memory", "bytes_text", "check_memory", "memory_warning"]


def bytes_text(n: float) -> str:
    """``8.00 GB`` from a GiB up, else ``512 MB``."""
    return f"{n / 1024**3:.2f} GB" if n >= 1024**3 else f"{n / 1024**2:.0f} MB"


#: A session's runs must leave this share of the free memory unused: the probe's peak is a short
#: run's, and a longer one (longer completions, a fuller optimizer state) can reach beyond it.
MEMORY_SAFETY = 1.25


def available_memory(device: str) -> list[int]:
    """Free bytes where the runs will train: the CPU's available memory (psutil, which reads
    ``/proc/meminfo`` MemAvailable), or each GPU's total memory."""
    if device == "cuda":
        import torch

        count = torch.cuda.device_count()
        return [torch.cuda.get_device_properties(i).total_memory for i in range(count)]
    import psutil

    return [int(psutil.virtual_memory().available)]


def memory_warning(probe: Any, per_device: int, available: list[int]) -> str | None:
    """None when ``per_device`` runs of the probe's peak (times :data:`MEMORY_SAFETY`) fit the
    smallest device's ``available`` bytes, else what does not fit and the options that would."""
    if not available or probe.peak_bytes <= 0:
        return None
    free = min(available)
    need = per_device * probe.peak_bytes * MEMORY_SAFETY
    if need <= free:
        return None
    runs = f"{per_device} run(s) per device" if per_device > 1 else "one run"
    return (
        f"{runs} at the probe's peak memory {bytes_text(probe.peak_bytes)} ({probe.memory}) x "
        f"{MEMORY_SAFETY} safety need {bytes_text(need)}, over the {bytes_text(free)} available on "
        f"{probe.device}; nothing was trained. Options that would fit: --runs-per-device 1, "
        "fewer --num-generations or a smaller micro-batch, a smaller --eval-samples, "
        "or a GPU (--device cuda)"
    )


def check_memory(probe: Any, per_device: int, device: str) -> None:
    """Stop before training (:class:`OptionError`, exit 2) when the runs would not fit."""
    from rlsparse_check.errors import OptionError

    if warning := memory_warning(probe, per_device, available_memory(device)):
        raise OptionError(f"memory: {warning}")
