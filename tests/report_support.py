"""Synthetic report documents for the report tests: a small one with every plot kind, and a big
one with deep nesting, long words, many cases and runs, a regime section and thresholds."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from rlsparse_check.report.collect import aggregate, build_report
from rlsparse_check.results import ClaimResult

EXAMPLE = Path(__file__).resolve().parents[1] / "reports" / "example" / "report.json"
REPR_PATTERNS = ("{'", "['", "': ")


def every_plot_kind() -> dict:
    return {
        "heatmap": {
            "layers": [0, 1, 2],
            "kinds": ["attention", "mlp", "norm"],
            "sparsity": [[0.81, 0.77, 1.0], [0.79, 0.74, 1.0], [0.83, None, 0.99]],
        },
        "overlap": [
            {
                "pair": "seed0 vs seed1",
                "observed": 0.61,
                "chance_independent": 0.36,
                "chance_stratified": 0.47,
                "excess": 0.26,
                "attainable": 0.97,
            }
        ],
        "frontier": {
            "x_label": "eval gain",
            "y_label": "sparsity",
            "matched_gain": 0.07,
            "series": {
                "RL": {
                    "points": [
                        {"x": 0.06, "y": 0.82, "seed": 0},
                        {"x": 0.09, "y": 0.80, "seed": 1},
                    ],
                    "curve": {"x": [0.0, 0.1, 0.2], "y": [0.9, 0.8, 0.2]},
                },
                "SFT": {
                    "points": [{"x": 0.07, "y": 0.07, "seed": 0}],
                    "curve": {"x": [0.0, 0.2], "y": [0.1, 0.06]},
                },
            },
        },
        "map": {
            "x_label": "learning rate x steps",
            "y_label": "sparsity",
            "cells": [
                {
                    "algo": a,
                    "dtype": d,
                    "lr": lr,
                    "steps": steps,
                    "lr_x_steps": lr * steps,
                    "sparsity": s,
                }
                for a, d, lr, steps, s in (
                    ("grpo", "bf16", 1e-6, 300, 0.33),
                    ("grpo", "bf16", 2e-6, 150, 0.34),
                    ("grpo", "bf16", 2e-5, 20, 0.21),
                    ("grpo", "fp32", 2e-5, 20, 0.0),
                    ("sft", "bf16", 2e-4, 20, 0.07),
                    ("sft", "fp32", 2e-4, 20, 0.0),
                )
            ],
        },
        "series": {
            "Sparsity vs learning rate and precision": {
                "x_label": "learning rate",
                "y_label": "sparsity",
                "x_scale": "log",
                "lines": {
                    "bf16": {
                        "x": [1e-6, 1e-5, 1e-4],
                        "y": [0.9, 0.6, 0.1],
                        "lo": [0.88, 0.55, 0.08],
                        "hi": [0.92, 0.65, 0.12],
                    },
                    "fp32": {"x": [1e-6, 1e-5, 1e-4], "y": [0.01, 0.0, 0.0]},
                },
                "reference": {"label": "paper range", "y": [0.685, 0.96]},
            },
            "Sparsity vs KL coefficient": {
                "x_label": "KL beta",
                "y_label": "sparsity",
                "x_scale": "category",
                "lines": {"grpo": {"x": ["0", "0.01", "0.1"], "y": [0.8, 0.79, 0.81]}},
            },
        },
    }


def thresholds() -> list[dict]:
    return [
        {
            "name": "sparsity-range",
            "value": [0.7, 0.95],
            "source": "paper",
            "note": "abstract: 70-95% unchanged",
        },
        {
            "name": "alpha",
            "value": 0.05,
            "source": "harness",
            "note": "conventional significance level",
        },
    ]


def synthetic_report(with_plots: bool = True) -> dict:
    """Three claims, one per verdict, with plots of every kind on C1."""
    results = [
        ClaimResult(
            id="C1",
            title="RL updates keep 70-95% of entries unchanged",
            case="grpo",
            verdict="reproduced",
            reason="mean sparsity 0.81 within [0.70, 0.95]",
            paper={"summary": "68.5%-96.0% (tol 1e-5)", "range": [0.685, 0.96]},
            measured={
                "key": "sparsity",
                "sparsity": {"value": 0.81, "ci": [0.78, 0.84]},
                "tolerances": {"0": 0.81, "1e-08": 0.8, "1e-05": 0.9},
            },
            statistics={
                "test": "95% t interval of the mean over seeds; one-sample t",
                "p": 0.002,
                "p_adjusted": 0.004,
                "correction": "holm",
                "alpha": 0.05,
                "n": 3,
                "ci": [0.78, 0.84],
                "thresholds": thresholds(),
            },
            runs=[
                {
                    "label": "grpo-seed0",
                    "path": "/runs/grpo-0",
                    "seed": 0,
                    "algo": "grpo",
                    "tuned_hash": "abc123",
                }
            ],
            plots=every_plot_kind() if with_plots else {},
            headline="Reproduced: sparsity 81.0% (95% CI 78.0% to 84.0%) against the "
            "paper's 68.5%-96.0%.",
        ),
        ClaimResult(
            id="C3",
            title="Masks overlap above chance",
            case="seed pairs",
            verdict="not_reproduced",
            reason="ratio 1.1 < 1.5 <script>x</script>",
            paper={"summary": "~60% vs ~36% chance"},
            measured={"key": "ratio", "ratio": 1.1},
            statistics={"test": "stratified permutation", "p": 0.0, "n": 2, "threshold": 1.5},
        ),
        ClaimResult(
            id="C7",
            title="Updates are nearly full rank",
            case="all",
            verdict="inconclusive",
            reason="too little data (n=0 < 1 needed)",
        ),
    ]
    claims = aggregate([r.to_json() for r in results])
    return build_report(
        claims=claims,
        errors=[],
        skipped=[{"id": "C2", "nodeid": "claims/test_c2_x.py::t", "reason": "needs training"}],
        settings={"mode": "checkpoints", "alpha": 0.05},
        provenance={
            "versions": {"python": "3.11"},
            "wall_times": {"finished": "2026-01-01T00:00:00+00:00"},
        },
    )


def deep_value(depth: int) -> object:
    """Nested dicts and lists ``depth`` levels deep, mixing every shape a claim might record."""
    if depth == 0:
        return {"sparsity": 0.5, "p": 0.0, "n": 3, "note": None, "flag": True}
    return {
        "level": depth,
        "records": [deep_value(depth - 1), {"x": [1, 2, 3]}],
        "by_name": {"a": deep_value(depth - 1), "b": [[1, 2], ["u", "v"]]},
        "per_seed": list(range(20)),
        "empty": {},
        "none": [],
    }


def regime() -> dict:
    """A regime object in the shape the claims run writes (see report/page/regime.py)."""
    part = {
        "published": [0.334, 0.332, 0.334],
        "usual": [0.333, 0.337, 0.330],
        "difference": 0.0002,
        "ci": [-0.0084, 0.0089],
        "p": 0.00176,
        "p_adjusted": 0.00353,
    }
    gain = {
        "published": [0.24, 0.23, 0.24],
        "usual": [0.24, 0.26, 0.23],
        "difference": 0.0067,
        "ci": [-0.0284, 0.0418],
        "p": 0.0345,
        "p_adjusted": 0.0345,
    }
    return {
        "rule": "At published per-step rates the tiny model learns within a few hundred "
        "steps; in that regime lr x steps sets the sparsity.",
        "rate_factor": 2.0,
        "runs": [
            {
                "label": f"grpo-lr{lr:g}-steps{steps}",
                "algo": "grpo",
                "lr": lr,
                "steps": steps,
                "lr_x_steps": lr * steps,
                "flip_share": share,
            }
            for lr, steps, share in ((1e-6, 300, 0.41), (2e-6, 150, 0.42), (2e-5, 20, 0.8))
        ],
        "invariance": {
            "verdict": "reproduced",
            "reason": "lr 2e-06 vs 1e-06: [sparsity] reproduced: difference +0.0002 (90% CI "
            "-0.0084 to +0.0089) vs margin +-0.05; [gain] reproduced: ...",
            "lr_x_steps": 3e-4,
            "rates": [2e-6, 1e-6],
            "margin": 0.05,
            "gain": gain,
            "sparsity": part,
        },
        "profile": {
            "model": "tiny-qwen2, bfloat16",
            "entries": 790656,
            "dtypes": {"bfloat16": 790656},
            "quantiles": [0.1, 0.5, 0.9],
            "abs_w": [0.002, 0.02, 0.07],
            "half_ulp": [4e-6, 4e-5, 2e-4],
            "flip_share": {"1e-06": 0.41, "2e-05": 0.8},
            "half_ulp_relative": [0.001953125, 0.00390625],
        },
        "paper": {
            "model": "7B-class, bf16",
            "lr": [5e-7, 1e-6],
            "half_ulp_relative": [0.001953125, 0.00390625],
            "note": "the paper's base weights were not measured here",
        },
    }


def big_report(claim_count: int = 12, cases: int = 9) -> dict:
    """Many claims and cases, deep nesting, long unbroken words, long labels and every plot."""
    long_word = "/very/long/path/" + "x" * 180 + "/checkpoint.safetensors"
    results = []
    for number in range(1, claim_count + 1):
        for case in range(cases):
            plots = {}  # every kind on C1's first case; colliding series on its others
            if number == 1:
                plots = (
                    every_plot_kind()
                    if case == 0
                    else {
                        "heatmap": {
                            "layers": list(range(24)),
                            "kinds": ["attention", "mlp", "norm"],
                            "sparsity": [[0.1 * (i % 10), 0.5, 1.0] for i in range(24)],
                        },
                        "series": {
                            "Sparsity per block": {
                                "x_label": "block",
                                "y_label": "sparsity",
                                "lines": {
                                    f"algorithm-with-a-long-name-seed-{k}": {
                                        "x": list(range(24)),
                                        "y": [case / 10] * 24,
                                    }
                                    for k in range(3)
                                },
                            }
                        },
                    }
                )
            results.append(
                ClaimResult(
                    id=f"C{number}",
                    title=f"Claim {number} with a fairly long title " * 2,
                    case=f"case-{case}-{long_word[:40]}",
                    verdict=("reproduced", "not_reproduced", "inconclusive")[(number + case) % 3],
                    reason=f"{long_word} " + "words " * 60,
                    headline="" if number % 2 else f"Headline of claim {number}.",
                    paper={"summary": "a published figure", "criterion": long_word},
                    measured={
                        "key": "sparsity",
                        "sparsity": {"value": 0.4, "ci": [0.3, 0.5], "per_seed": [0.3, 0.4, 0.5]},
                        "deep": deep_value(5),
                        "path": long_word,
                        "wide": [{f"column_{i}": i / 7 for i in range(30)} for _ in range(3)],
                        "table": {f"row {i}": {f"col_{j}": j for j in range(9)} for i in range(12)},
                    },
                    statistics={
                        "p": 0.0,
                        "p_adjusted": 1e-320,
                        "n": 9,
                        "thresholds": thresholds(),
                        "threshold": 0.5,
                        "family": ["a", "b"],
                    },
                    runs=[
                        {
                            "label": f"run-{number}-{case}",
                            "tuned": long_word,
                            "seed": case,
                            "record": {
                                "spec": {"algo": "grpo", "lr": 2e-5, "steps": 20},
                                "eval": {
                                    "before": {"accuracy": 0.46},
                                    "after": {"accuracy": 0.6},
                                    "gain": 0.14,
                                },
                            },
                        }
                    ],
                    plots=plots,
                ).to_json()
            )
    claims = aggregate(results)
    document = build_report(
        claims=claims,
        errors=[{"id": "C99", "nodeid": f"claims/{long_word}::t", "message": long_word}],
        skipped=[{"id": "C98", "nodeid": "claims/x.py::t", "reason": long_word}],
        settings={"mode": "training", "model": long_word, "seeds": 3, "algos": []},
        provenance={
            "command": "pytest " + long_word,
            "hashes": {"tuned_hash": ["a" * 64] * 40},
            "versions": {"python": "3.11", "torch": None},
            "git": {"commit": "f" * 40},
            "wall_times": {
                "finished": "2026-01-01T00:00:00+00:00",
                "claims_s": {f"C{i}": 1.5 for i in range(12)},
            },
        },
        regime=regime(),
    )
    document["drift"] = {
        "baseline": long_word,
        "tolerance": 0.05,
        "findings": [{"id": "C1", "message": "C1: verdict changed", "failure": True}],
    }
    return document


class _VisibleText(HTMLParser):
    """Text a reader sees: everything outside <style>, <script> and <title> (incl. SVG's)."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script", "title"):
            self.hidden += 1

    def handle_endtag(self, tag):
        if tag in ("style", "script", "title"):
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return " ".join(parser.parts)


def reprs_in(html: str) -> list[str]:
    """Places in the visible text that look like a Python dict or list repr."""
    text = visible_text(html)
    return [
        text[max(0, m.start() - 60) : m.end() + 60]
        for pattern in REPR_PATTERNS
        for m in re.finditer(re.escape(pattern), text)
    ]
