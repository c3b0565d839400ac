"""Build the plain data of ``ClaimResult.plots`` from counts (conventions in
:mod:`rlsparse_check.report.plots`).

Pure functions on small dicts; used by the claim tests so that every claim draws the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rlsparse_check.masks import KINDS, kind_of, layer_of

__all__ = ["layer_kind_heatmap", "tolerance_series", "overlap_bars"]


def layer_kind_heatmap(
    counts: Mapping[str, tuple[int, int]], title: str | None = None
) -> dict[str, Any]:
    """``plots["heatmap"]`` from ``{tensor name: (numel, changed)}``: sparsity per block (rows)
    and module kind (columns); tensors outside numbered blocks are left out (see C8 for them)."""
    cells: dict[tuple[int, str], list[int]] = {}
    for name, (numel, changed) in counts.items():
        layer = layer_of(name)
        if layer is None:
            continue
        cell = cells.setdefault((layer, kind_of(name)), [0, 0])
        cell[0] += int(numel)
        cell[1] += int(changed)
    layers = sorted({layer for layer, _ in cells})
    kinds = [k for k in KINDS if any(kind == k for _, kind in cells)]
    grid = [
        [
            (1.0 - cells[(layer, kind)][1] / cells[(layer, kind)][0])
            if (layer, kind) in cells and cells[(layer, kind)][0]
            else None
            for kind in kinds
        ]
        for layer in layers
    ]
    data: dict[str, Any] = {"layers": layers, "kinds": kinds, "sparsity": grid}
    if title:
        data["title"] = title
    return data


def tolerance_series(
    table: Mapping[str, Mapping[float, float]], reference: tuple[float, float] | None = None
) -> dict[str, Any]:
    """``plots["series"]`` entry: sparsity per comparison tolerance, one line per checkpoint.

    ``table``: ``{line label: {atol: sparsity}}``; ``reference``: the claimed range as a band.
    """
    lines = {
        label: {
            "x": [("bitwise" if atol == 0 else f"{atol:g}") for atol in row],
            "y": list(row.values()),
        }
        for label, row in table.items()
    }
    spec: dict[str, Any] = {
        "x_label": "tolerance |a - b| <= atol",
        "y_label": "sparsity",
        "x_scale": "category",
        "lines": lines,
    }
    if reference:
        spec["reference"] = {"label": "claimed range", "y": list(reference)}
    return {"Sparsity by comparison tolerance": spec}


def overlap_bars(rows: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``plots["overlap"]`` from overlap rows: each pair's observed one-sided overlap beside both
    chance levels, with its excess over stratified chance and the attainable intersection."""
    return [
        {
            "pair": f"{r['a']} vs {r['b']}",
            "observed": r["overlap_ab"],
            "chance_independent": r["chance_ab"],
            "chance_stratified": r["chance_ab_stratified"],
            "excess": r["excess_stratified"],
            "attainable": r["attainable"],
        }
        for r in rows
    ]
