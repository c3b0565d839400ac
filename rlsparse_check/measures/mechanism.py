"""C9's parts (a) and (b), measured once per session and shared by C9 and C1's reason."""

from __future__ import annotations

from typing import Any

from rlsparse_check.cases import DiffCache

__all__ = ["measure_mechanism"]


def measure_mechanism(
    precision_runs: dict[str, list],
    rate_map_runs: list[dict[str, Any]],
    checkpoint_diffs: DiffCache,
    primary: str,
    rlsparse_settings: Any,
) -> dict:
    """C9's parts (a) and (b), measured once per session and shared by C9 and C1's reason:
    ``precision`` (bf16 vs fp32 sparsity of the same runs, paired by seed), ``trend`` (the
    blocked trend of sparsity in lr x steps over the primary algorithm's map cells, seeds kept
    together, both directions), their p-values corrected together, the map cells, and one
    sentence quoting the numbers."""
    from rlsparse_check.criteria import correct, p_text, pct
    from rlsparse_check.stats import blocked_trend_test, margin_test

    s = rlsparse_settings
    bf16, fp32 = (
        checkpoint_diffs.sparsities(precision_runs["bf16"]),
        checkpoint_diffs.sparsities(precision_runs["fp32"]),
    )
    precision = (
        margin_test(bf16, fp32, s.sparser_margin, paired=True, level=1 - s.alpha)
        if len(bf16) >= 2
        else None
    )
    cells, points = [], {}
    for cell in rate_map_runs:
        for dtype in ("bf16", "fp32"):
            values = checkpoint_diffs.sparsities(cell[dtype])
            cells.append(
                {
                    "algo": cell["algo"],
                    "dtype": dtype,
                    "lr": cell["lr"],
                    "steps": cell["steps"],
                    "lr_x_steps": cell["lr"] * cell["steps"],
                    "sparsity": sum(values) / len(values),
                    "per_seed": values,
                }
            )
            if dtype == "bf16":
                for case, value in zip(cell["bf16"], values, strict=True):
                    points.setdefault(cell["algo"], []).append(
                        (cell["lr"] * cell["steps"], value, case.meta["seed"])
                    )
    trends = {}
    for algo, rows in points.items():
        x, y, seeds = zip(*rows, strict=True)
        trends[algo] = {
            "falling": blocked_trend_test(x, y, seeds, alternative="less"),
            "rising": blocked_trend_test(x, y, seeds, alternative="greater"),
        }
    family = {
        "a": {"p": None if precision is None else precision.p_above},
        "b": {"p": trends[primary]["falling"].p_value if primary in trends else None},
    }
    correct(family, s.correction)
    rl_cells = sorted(
        (c for c in cells if c["algo"] == primary and c["dtype"] == "bf16"),
        key=lambda c: c["lr_x_steps"],
    )
    sentence = (
        (
            f"Mechanism measured by C9 in this session: the same {primary} runs stored in fp32 are "
            f"{pct(sum(fp32) / len(fp32))} unchanged against {pct(sum(bf16) / len(bf16))} in bf16, "
            f"and their sparsity falls from {pct(rl_cells[0]['sparsity'])} at lr x steps "
            f"{rl_cells[0]['lr_x_steps']:.2g} to {pct(rl_cells[-1]['sparsity'])} at "
            f"{rl_cells[-1]['lr_x_steps']:.2g} (blocked trend test, adjusted p "
            f"{p_text(family['b'].get('p_adjusted'))}): an entry reads as unchanged only while its "
            "total movement stays below half a bf16 ULP of its value"
        )
        if rl_cells
        else "Mechanism: C9's runs are not available in this session"
    )
    figures = {
        "bf16_sparsity": sum(bf16) / len(bf16),
        "fp32_sparsity": sum(fp32) / len(fp32),
        "trend_p_adjusted": family["b"].get("p_adjusted"),
    }
    return {
        "precision": precision,
        "bf16": bf16,
        "fp32": fp32,
        "trends": trends,
        "primary": primary,
        "family": family,
        "cells": cells,
        "sentence": sentence,
        "figures": figures,
    }
