"""The plots a reader should see first: the frontier, the regime map, overlap against chance.

Drawn large at the top of their claim's section; the data conventions are in
:mod:`rlsparse_check.report.plots`.
"""

from __future__ import annotations

from typing import Any

from rlsparse_check.numbers import is_share, reading
from rlsparse_check.report.plots.style import (
    LARGE,
    PALETTE,
    Figure,
    as_float,
    name_list,
    percent_axis,
    pyplot,
    to_svg,
)

__all__ = ["frontier", "regime_map", "overlap"]

_DTYPE_STYLE = {
    "bf16": ("-", "o"),
    "bfloat16": ("-", "o"),
    "fp32": ("--", "s"),
    "float32": ("--", "s"),
}


def frontier(spec: dict[str, Any]) -> Figure:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=LARGE)
    x_label, y_label = spec.get("x_label", "eval gain"), spec.get("y_label", "sparsity")
    names = list(spec.get("series", {}))
    for i, (name, data) in enumerate(spec.get("series", {}).items()):
        color = PALETTE[i % len(PALETTE)]
        points = data.get("points") or []
        curve = data.get("curve") or {}
        if points:
            ax.scatter(
                [as_float(p["x"]) for p in points],
                [as_float(p["y"]) for p in points],
                s=22,
                color=color,
                alpha=0.75,
                zorder=3,
                label=None if curve else f"{name} (seeds)",
            )
        if curve.get("x"):
            ax.plot(
                [as_float(v) for v in curve["x"]],
                [as_float(v) for v in curve["y"]],
                color=color,
                label=str(name),
            )
    matched = spec.get("matched_gain")
    if matched is not None:
        ax.axvline(
            float(matched),
            color="#4a5568",
            ls="--",
            lw=1,
            label=f"matched gain {reading(float(matched))}",
        )
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    if is_share(y_label):
        percent_axis(ax.yaxis)
    ax.legend()
    ax.set_title("Sparsity against eval gain")
    alt = (
        f"Frontier: {y_label} against {x_label} for {name_list(names)}; each point is one seed, "
        "each line one algorithm's curve"
    )
    if matched is not None:
        alt += f"; dashed line at the matched gain {reading(float(matched))}"
    return Figure(
        "Sparsity against eval gain: the frontier of each algorithm",
        alt + ".",
        to_svg(fig, alt + "."),
        lead=True,
    )


def _budget(cell: dict[str, Any]) -> float:
    """A cell's learning rate x steps (computed when only the two factors are given)."""
    if cell.get("lr_x_steps") is None and None not in (cell.get("lr"), cell.get("steps")):
        return float(cell["lr"]) * float(cell["steps"])
    return as_float(cell.get("lr_x_steps"))


def regime_map(spec: dict[str, Any]) -> Figure:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=LARGE)
    cells = list(spec.get("cells", []))
    algos = list(dict.fromkeys(str(c.get("algo")) for c in cells))
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for cell in cells:
        groups.setdefault((str(cell.get("algo")), str(cell.get("dtype"))), []).append(cell)
    for (algo, dtype), members in groups.items():
        color = PALETTE[algos.index(algo) % len(PALETTE)]
        line, marker = _DTYPE_STYLE.get(dtype, (":", "^"))
        xs = [_budget(c) for c in members]
        ys = [as_float(c.get("sparsity")) for c in members]
        ax.scatter(xs, ys, color=color, marker=marker, s=24, alpha=0.75, zorder=3)
        means: dict[float, list[float]] = {}
        for x, y in zip(xs, ys, strict=True):
            means.setdefault(x, []).append(y)
        order = sorted(means)
        ax.plot(
            order,
            [sum(means[x]) / len(means[x]) for x in order],
            color=color,
            ls=line,
            marker=marker,
            label=f"{algo}, {dtype}",
        )
    if cells and all(_budget(c) > 0 for c in cells):
        ax.set_xscale("log")
    x_label = spec.get("x_label", "learning rate x steps")
    y_label = spec.get("y_label", "sparsity")
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    if is_share(y_label):
        percent_axis(ax.yaxis)
        ax.set_ylim(-0.02, 1.02)
    ax.legend()
    ax.set_title("Sparsity over learning rate x steps")
    rates = sorted({as_float(c.get("lr")) for c in cells})
    steps = sorted({as_float(c.get("steps")) for c in cells})
    alt = (
        f"Map: {y_label} against {x_label} (log scale) for "
        f"{name_list([f'{a} {d}' for a, d in groups])}; {len(cells)} runs"
    )
    if rates and steps:
        alt += (
            f", rates {reading(rates[0])} to {reading(rates[-1])}, steps "
            f"{reading(steps[0])} to {reading(steps[-1])}"
        )
    return Figure(
        "Sparsity over learning rate x steps, by algorithm and storage precision",
        alt + ".",
        to_svg(fig, alt + "."),
        lead=True,
    )


def overlap(pairs: list[dict[str, Any]]) -> Figure:
    import numpy as np

    plt = pyplot()
    labels = [str(p["pair"]) for p in pairs]
    fig, ax = plt.subplots(figsize=(LARGE[0], max(2.4, 1.1 + 0.6 * len(pairs))))
    y = np.arange(len(pairs))
    height = 0.26
    bars = [
        ("observed", "observed overlap", PALETTE[0]),
        ("chance_stratified", "chance (magnitude-stratified)", PALETTE[1]),
        ("chance_independent", "chance (independent)", "#a0aec0"),
    ]
    for k, (key, name, color) in enumerate(bars):
        values = [p.get(key) for p in pairs]
        if all(v is None for v in values):
            continue
        ax.barh(
            y + (k - 1) * height, [as_float(v) for v in values], height, label=name, color=color
        )
    marked = False
    for i, pair in enumerate(pairs):
        if pair.get("attainable") is not None:
            top = float(pair["attainable"])
            ax.plot(
                [top, top],
                [i - 0.45, i + 0.45],
                color="#1a202c",
                lw=1.6,
                label=None if marked else "largest attainable overlap",
            )
            marked = True
        if pair.get("excess") is not None and pair.get("observed") is not None:
            ax.text(
                float(pair["observed"]) + 0.01,
                i - height,
                f"{reading(pair['excess'], 'excess')} of possible excess",
                va="center",
                fontsize=7,
            )
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.08)
    percent_axis(ax.xaxis)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("one-sided overlap |A and B| / |A|")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=4, borderaxespad=0.3)
    ax.set_title("Mask overlap vs. chance", pad=24)
    parts = [
        f"{p['pair']}: observed {reading(p.get('observed'), 'overlap')}, stratified "
        f"chance {reading(p.get('chance_stratified'), 'chance')}"
        for p in pairs[:4]
    ]
    more = f"; and {len(pairs) - 4} more pairs" if len(pairs) > 4 else ""
    alt = (
        f"Bar chart of the one-sided overlap of {len(pairs)} mask pair(s) beside chance: "
        + "; ".join(parts)
        + more
        + "."
    )
    return Figure("Observed overlap beside both chance levels", alt, to_svg(fig, alt), lead=True)
