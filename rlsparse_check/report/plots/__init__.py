"""The report's plots, drawn from the plain data claim tests put in ``ClaimResult.plots``.

Modules: style (one look; compact SVG that carries its alt text), lead (the frontier, the regime
map, overlap against chance: drawn large first), evidence (per-layer heatmap, line series) and
gallery (the one dispatch: a claim's figures across its cases). Imported only when a report is
rendered; nothing here reads the page. Each plot function takes the data of one kind and returns
a :class:`~rlsparse_check.report.plots.style.Figure` (caption, alt text, inline SVG),
deterministic for the same data. Axes whose label names a share (sparsity, overlap, ...) are
ticked in percent.

``ClaimResult.plots`` conventions (every key optional; several may be present). The first three
kinds lead their claim's section, drawn large:

``"frontier"`` -- sparsity against eval gain, one curve per algorithm, seeds as points::

    {"x_label": "eval gain", "y_label": "sparsity", "matched_gain": 0.07 | None,
     "series": {"RL": {"points": [{"x": 0.06, "y": 0.82, "seed": 0}, ...],
                       "curve": {"x": [...], "y": [...]}}, "SFT": {...}}}

``"map"`` -- sparsity over learning rate x steps, one line per algorithm x storage dtype::

    {"x_label": "learning rate x steps", "y_label": "sparsity",
     "cells": [{"algo": "grpo", "dtype": "bf16", "lr": 1e-6, "steps": 300,
                "lr_x_steps": 3e-4, "sparsity": 0.33}, ...]}

``"overlap"`` -- observed one-sided overlap of mask pairs beside both chance levels; optional
``excess`` (share of the largest possible excess over chance reached) and ``attainable`` (the
largest overlap the two densities allow)::

    [{"pair": "seed0 vs seed1", "observed": 0.61, "chance_independent": 0.36,
      "chance_stratified": 0.45, "excess": 0.2, "attainable": 0.98}, ...]

``"heatmap"`` -- per-layer sparsity as a layer x module-kind grid::

    {"layers": [0, 1, ...], "kinds": ["attention", "mlp", "norm", ...],
     "sparsity": [[s_layer0_kind0, s_layer0_kind1, ...], ...],   # None where a kind is absent
     "title": "optional"}

``"series"`` -- line plots keyed by plot title::

    {"Sparsity vs learning rate": {
        "x_label": "learning rate", "y_label": "sparsity",
        "x_scale": "log" | "linear" | "category",          # default linear
        "lines": {"bf16": {"x": [...], "y": [...], "lo": [...], "hi": [...]},  # lo/hi optional
                  "fp32": {...}},
        "reference": {"label": "paper", "y": [0.685, 0.96]},  # optional: band (2 values) or line
        "y_range": [0, 1]                                     # optional: fixed y limits
    }}
"""
