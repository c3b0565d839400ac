"""The plots drawn after a claim's tables: per-layer sparsity heatmaps and line series.

Data conventions of every kind are in :mod:`rlsparse_check.report.plots`.
"""

from __future__ import annotations

from typing import Any

from rlsparse_check.numbers import is_share, reading
from rlsparse_check.report.plots.style import (
    SMALL,
    Figure,
    as_float,
    name_list,
    percent_axis,
    pyplot,
    to_svg,
)

__all__ = ["heatmap", "series"]


def heatmap(data: dict[str, Any]) -> Figure:
    import numpy as np

    plt = pyplot()
    layers = [str(v) for v in data["layers"]]
    kinds = [str(v) for v in data["kinds"]]
    grid = np.array(
        [[np.nan if v is None else float(v) for v in row] for row in data["sparsity"]], dtype=float
    ).reshape(len(layers), len(kinds))
    fig, ax = plt.subplots(figsize=(1.6 + 1.1 * len(kinds), 1.0 + 0.32 * len(layers)))
    image = ax.imshow(grid, aspect="auto", cmap="viridis", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(len(kinds)), kinds)
    ax.set_yticks(range(len(layers)), layers)
    ax.grid(False)
    ax.set_xlabel("module kind")
    ax.set_ylabel("layer")
    for i in range(len(layers)):
        for j in range(len(kinds)):
            if np.isfinite(grid[i, j]):
                ax.text(
                    j,
                    i,
                    f"{grid[i, j]:.0%}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if grid[i, j] < 0.6 else "black",
                )
    bar = fig.colorbar(image, ax=ax, label="sparsity (unchanged)")
    percent_axis(bar.ax.yaxis)
    title = data.get("title", "Update sparsity per layer and module kind")
    ax.set_title(title)
    finite = grid[np.isfinite(grid)]
    alt = (
        f"Heatmap: {title}, {len(layers)} layers by {len(kinds)} module kinds ({', '.join(kinds)})"
    )
    if finite.size:
        alt += (
            f"; sparsity from {reading(float(finite.min()), 'sparsity')} to "
            f"{reading(float(finite.max()), 'sparsity')}"
        )
    return Figure("Per-layer sparsity by module kind", alt + ".", to_svg(fig, alt + "."))


def series(title: str, spec: dict[str, Any]) -> Figure:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=SMALL)
    scale = spec.get("x_scale", "linear")
    categories: list[str] = []
    lines = spec.get("lines", {})
    for name, line in lines.items():
        xs = list(line["x"])
        if scale == "category":
            categories += [str(v) for v in xs if str(v) not in categories]
            xs = [categories.index(str(v)) for v in xs]
        ax.plot(xs, [as_float(v) for v in line["y"]], marker="o", label=str(name))
        if line.get("lo") is not None and line.get("hi") is not None:
            ax.fill_between(
                xs, [as_float(v) for v in line["lo"]], [as_float(v) for v in line["hi"]], alpha=0.2
            )
    reference = spec.get("reference")
    if reference:
        ys = list(reference["y"])
        name = reference.get("label", "reference")
        if len(ys) == 2:
            ax.axhspan(ys[0], ys[1], color="#9ae6b4", alpha=0.35, label=name)
        else:
            ax.axhline(ys[0], color="#2f855a", ls="--", label=name)
    if scale == "log":
        ax.set_xscale("log")
    elif scale == "linear" and all(
        isinstance(v, int) for line in lines.values() for v in line["x"]
    ):
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if spec.get("y_range"):
        ax.set_ylim(*spec["y_range"])
    if scale == "category":
        ax.set_xticks(range(len(categories)), categories)
    x_label, y_label = spec.get("x_label", ""), spec.get("y_label", "")
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    if is_share(y_label):
        percent_axis(ax.yaxis)
    ax.set_title(title)
    if len(lines) + bool(reference) > 4:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    elif lines or reference:
        ax.legend()
    alt = f"Line plot: {title}; {y_label or 'y'} against {x_label or 'x'}"
    if lines:
        alt += f", lines {name_list([str(n) for n in lines])}"
    if reference:
        alt += f", {reference.get('label', 'reference')} shown as a " + (
            "band" if len(reference["y"]) == 2 else "line"
        )
    return Figure(title, alt + ".", to_svg(fig, alt + "."))
