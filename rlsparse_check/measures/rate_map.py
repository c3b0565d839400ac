"""C9's map of sparsity over learning rate x steps: one row per run of the map (its algorithm,
rate, steps, lr x steps and bf16 sparsity) and the plot of it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["map_plot", "map_rows"]


def map_rows(rate_map_runs: Sequence[Mapping[str, Any]], diffs: Any) -> list[dict[str, Any]]:
    """One row per bf16 run of C9's map: label, condition, algo, lr, steps, sparsity, per-kind
    sparsity (the input of :func:`predict`)."""
    rows = []
    for cell in rate_map_runs:
        for case in cell["bf16"]:
            d = diffs.bitwise(case)
            rows.append(
                {
                    "label": case.label,
                    "condition": f"{cell['algo']}-lr{cell['lr']:g}-s{cell['steps']}",
                    "algo": cell["algo"],
                    "lr": float(cell["lr"]),
                    "steps": int(cell["steps"]),
                    "sparsity": d.sparsity,
                    "kinds": {k: v["sparsity"] for k, v in d.by_kind().items()},
                }
            )
    return rows


def map_plot(rate_map_runs: Sequence[Mapping[str, Any]], diffs: Any) -> dict[str, Any]:
    """The report's ``map`` plot: mean sparsity per cell over rate x steps, bf16 and fp32."""
    cells = [
        {
            "algo": cell["algo"],
            "dtype": dtype,
            "lr": cell["lr"],
            "steps": cell["steps"],
            "lr_x_steps": cell["lr"] * cell["steps"],
            "sparsity": float(np.mean(diffs.sparsities(cell[dtype]))),
        }
        for cell in rate_map_runs
        for dtype in ("bf16", "fp32")
    ]
    return {"x_label": "lr x steps", "y_label": "bitwise sparsity", "cells": cells}
