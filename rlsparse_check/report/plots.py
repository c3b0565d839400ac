"""Plots of the HTML report: matplotlib (Agg) figures returned as inline SVG text.

Imported only when a report is rendered. Each function takes the plain data a claim test put in
``ClaimResult.plots`` under one key, and returns an ``<svg>`` element (no XML prolog, no DOCTYPE,
no external references), deterministic for the same data.

``ClaimResult.plots`` conventions (every key optional; several may be present):

``"heatmap"`` -- per-layer sparsity as a layer x module-kind grid::

    {"layers": [0, 1, ...], "kinds": ["attention", "mlp", "norm", ...],
     "sparsity": [[s_layer0_kind0, s_layer0_kind1, ...], ...],   # None where a kind is absent
     "title": "optional"}

``"overlap"`` -- observed overlap of mask pairs vs both chance levels::

    [{"pair": "seed0 vs seed1", "observed": 0.61, "chance_independent": 0.36,
      "chance_stratified": 0.45}, ...]

``"series"`` -- line plots keyed by plot title (sparsity vs KL/clipping, sparsity vs learning rate
and precision, recovery curves, sparsity per tolerance, ...)::

    {"Sparsity vs learning rate": {
        "x_label": "learning rate", "y_label": "sparsity",
        "x_scale": "log" | "linear" | "category",          # default linear
        "lines": {"bf16": {"x": [...], "y": [...], "lo": [...], "hi": [...]},  # lo/hi optional
                  "fp32": {...}},
        "reference": {"label": "paper", "y": [0.685, 0.96]},  # optional: band (2 values) or line
        "y_range": [0, 1]                                     # optional: fixed y limits
    }}
"""

from __future__ import annotations

import io
import re
from typing import Any

__all__ = ["heatmap_svg", "overlap_svg", "series_svg", "plots_for"]

_PROLOG = re.compile(r"^.*?(?=<svg)", re.S)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    matplotlib.rcParams["svg.hashsalt"] = "rlsparse-check"
    matplotlib.rcParams["svg.fonttype"] = "path"
    import matplotlib.pyplot as plt

    return plt


def _svg(fig: Any) -> str:
    plt = _pyplot()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    return _PROLOG.sub("", buffer.getvalue(), count=1).strip()


def heatmap_svg(data: dict[str, Any]) -> str:
    import numpy as np

    plt = _pyplot()
    layers = [str(v) for v in data["layers"]]
    kinds = [str(v) for v in data["kinds"]]
    grid = np.array([[np.nan if v is None else float(v) for v in row] for row in
                     data["sparsity"]], dtype=float).reshape(len(layers), len(kinds))
    fig, ax = plt.subplots(figsize=(1.4 + 1.1 * len(kinds), 0.8 + 0.32 * len(layers)))
    image = ax.imshow(grid, aspect="auto", cmap="viridis", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(len(kinds)), kinds)
    ax.set_yticks(range(len(layers)), layers)
    ax.set_xlabel("module kind")
    ax.set_ylabel("layer")
    for i in range(len(layers)):
        for j in range(len(kinds)):
            if np.isfinite(grid[i, j]):
                ax.text(j, i, f"{grid[i, j]:.2f}", ha="center", va="center", fontsize=7,
                        color="white" if grid[i, j] < 0.6 else "black")
    fig.colorbar(image, ax=ax, label="sparsity (fraction unchanged)")
    ax.set_title(data.get("title", "Update sparsity per layer and module kind"), fontsize=9)
    return _svg(fig)


def overlap_svg(pairs: list[dict[str, Any]]) -> str:
    import numpy as np

    plt = _pyplot()
    labels = [str(p["pair"]) for p in pairs]
    x = np.arange(len(pairs))
    fig, ax = plt.subplots(figsize=(max(4.5, 1.6 * len(pairs) + 1.5), 3.2))
    width = 0.27
    bars = [("observed", "observed", "#2b6cb0"),
            ("chance_stratified", "chance (magnitude-stratified)", "#dd6b20"),
            ("chance_independent", "chance (independent)", "#a0aec0")]
    for k, (key, label, color) in enumerate(bars):
        values = [float(p.get(key) or 0.0) for p in pairs]
        ax.bar(x + (k - 1) * width, values, width, label=label, color=color)
    tilt = len(pairs) > 2 or max(len(label) for label in labels) > 24
    ax.set_xticks(x, labels, rotation=20 if tilt else 0, ha="right" if tilt else "center",
                  fontsize=8)
    ax.set_ylabel("one-sided overlap")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7, frameon=False)
    ax.set_title("Mask overlap vs. chance", fontsize=9)
    return _svg(fig)


def series_svg(title: str, spec: dict[str, Any]) -> str:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.0, 3.0))
    scale = spec.get("x_scale", "linear")
    categories: list[str] = []
    for label, line in spec.get("lines", {}).items():
        xs = list(line["x"])
        if scale == "category":
            for value in xs:
                if str(value) not in categories:
                    categories.append(str(value))
            xs = [categories.index(str(v)) for v in xs]
        ys = [float("nan") if v is None else float(v) for v in line["y"]]
        ax.plot(xs, ys, marker="o", label=str(label))
        if line.get("lo") is not None and line.get("hi") is not None:
            ax.fill_between(xs, [float(v) for v in line["lo"]], [float(v) for v in line["hi"]],
                            alpha=0.2)
    reference = spec.get("reference")
    if reference:
        ys = list(reference["y"])
        if len(ys) == 2:
            ax.axhspan(ys[0], ys[1], color="#9ae6b4", alpha=0.35,
                       label=reference.get("label", "reference"))
        else:
            ax.axhline(ys[0], color="#2f855a", ls="--", label=reference.get("label", "reference"))
    if scale == "log":
        ax.set_xscale("log")
    elif scale == "linear" and all(isinstance(v, int) for line in spec.get("lines", {}).values()
                                   for v in line["x"]):
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if spec.get("y_range"):
        ax.set_ylim(*spec["y_range"])
    if scale == "category":
        ax.set_xticks(range(len(categories)), categories, fontsize=8)
    ax.set_xlabel(spec.get("x_label", ""))
    ax.set_ylabel(spec.get("y_label", ""))
    ax.set_title(title, fontsize=9)
    if spec.get("lines") or reference:
        ax.legend(fontsize=7, frameon=False)
    return _svg(fig)


def plots_for(plots: dict[str, Any]) -> list[tuple[str, str]]:
    """All figures of one ClaimResult.plots dict as ``(caption, svg)`` pairs, in a fixed order."""
    figures: list[tuple[str, str]] = []
    if plots.get("heatmap"):
        figures.append(("Per-layer sparsity by module kind", heatmap_svg(plots["heatmap"])))
    if plots.get("overlap"):
        figures.append(("Observed overlap beside both chance levels", overlap_svg(
            plots["overlap"])))
    for title, spec in sorted((plots.get("series") or {}).items()):
        figures.append((title, series_svg(title, spec)))
    return figures
