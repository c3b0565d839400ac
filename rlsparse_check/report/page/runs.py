"""Every run of a report listed once, by label; claims and cases refer to runs by that label.

A run is a record a claim test put in ``ClaimResult.runs`` (a training run or a given
checkpoint). Records equal in every field are one run; its label is the record's ``label``
(else ``algo-seed``, else the checkpoint's folder name), made unique with a suffix where two
different records share one. The table shows what a reviewer checks first (algorithm, seed, rate,
steps, precision, eval gain, sparsity where known, hashes, cached or trained); every field stays
in report.json.
"""

from __future__ import annotations

import json
import re
from pathlib import PurePath
from typing import Any

from rlsparse_check.numbers import reading

__all__ = ["RunIndex", "run_index"]

_COLUMNS = (
    "algo",
    "seed",
    "lr",
    "steps",
    "save_dtype",
    "eval",
    "sparsity",
    "tuned_hash",
    "base_hash",
    "trained",
    "checkpoint",
)
_HEADINGS = {
    "save_dtype": "stored as",
    "tuned_hash": "tuned hash",
    "base_hash": "base hash",
    "eval": "eval accuracy (gain, p)",
    "lr": "rate",
}


def _find(run: dict[str, Any], key: str) -> Any:
    """``key`` in the run, its ``record`` or the record's ``spec`` (first found)."""
    record = run.get("record") if isinstance(run.get("record"), dict) else {}
    for place in (run, record, record.get("spec") or {}, run.get("spec") or {}):
        if isinstance(place, dict) and place.get(key) is not None:
            return place[key]
    return None


def _eval_text(run: dict[str, Any]) -> str:
    gain = run.get("gain") if isinstance(run.get("gain"), dict) else None
    if gain is None:
        record = run.get("record") or {}
        gain = record.get("eval") if isinstance(record.get("eval"), dict) else None
        if gain is not None:
            gain = {
                "before": (gain.get("before") or {}).get("accuracy"),
                "after": (gain.get("after") or {}).get("accuracy"),
                "gain": gain.get("gain"),
            }
    if not gain or gain.get("gain") is None:
        return ""
    text = reading(gain["gain"], "accuracy_difference")
    if gain.get("before") is not None and gain.get("after") is not None:
        text = (
            f"{reading(gain['before'], 'accuracy')} to {reading(gain['after'], 'accuracy')} ({text}"
        )
        text += f", p {reading(gain['p'], 'p')})" if gain.get("p") is not None else ")"
    return text


def _cell(run: dict[str, Any], column: str) -> str:
    if column == "eval":
        return _eval_text(run)
    if column == "trained":
        cached = _find(run, "cached")
        seconds = _find(run, "train_time_s")
        if cached:
            return "from cache"
        return f"{reading(float(seconds))} s" if seconds is not None else ""
    if column == "checkpoint":
        return "" if "record" in run else str(run.get("tuned") or run.get("path") or "")
    value = _find(run, column)
    return "" if value is None else reading(value, column)


def _base_label(run: dict[str, Any], number: int) -> str:
    if run.get("label"):
        return str(run["label"])
    algo, seed = _find(run, "algo"), _find(run, "seed")
    if algo is not None and seed is not None:
        return f"{algo}-seed{seed}"
    path = run.get("tuned") or run.get("path")
    return PurePath(str(path)).name if path else f"run {number}"


def _anchor(label: str) -> str:
    return "run-" + re.sub(r"[^A-Za-z0-9_.-]+", "-", label).strip("-")


class RunIndex:
    """The runs of a report: ``rows`` for the table, ``refs(runs)`` for a claim or case."""

    def __init__(self, claims: list[dict[str, Any]]) -> None:
        self._labels: dict[str, str] = {}
        self._users: dict[str, list[str]] = {}
        runs: dict[str, dict[str, Any]] = {}
        taken: set[str] = set()
        for claim in claims:
            for run in _runs_of(claim):
                key = json.dumps(run, sort_keys=True)
                if key not in runs:
                    runs[key] = run
                    base = _base_label(run, len(runs))
                    label, n = base, 1
                    while label in taken:
                        n += 1
                        label = f"{base} ({n})"
                    taken.add(label)
                    self._labels[key] = label
                users = self._users.setdefault(key, [])
                if claim.get("id") not in users:
                    users.append(str(claim.get("id")))
        self._runs = runs

    def label(self, run: dict[str, Any]) -> str:
        return self._labels.get(json.dumps(run, sort_keys=True), "?")

    def refs(self, runs: list[dict[str, Any]]) -> list[dict[str, str]]:
        """``[{"label", "anchor"}]`` of ``runs``, each once, in label order."""
        labels = sorted({self.label(run) for run in runs})
        return [{"label": label, "anchor": _anchor(label)} for label in labels]

    @property
    def columns(self) -> list[str]:
        used = [c for c in _COLUMNS if any(_cell(run, c) for run in self._runs.values())]
        return used

    @property
    def headings(self) -> list[str]:
        return [_HEADINGS.get(c, c) for c in self.columns]

    @property
    def rows(self) -> list[dict[str, Any]]:
        columns = self.columns
        rows = [
            {
                "label": self._labels[key],
                "anchor": _anchor(self._labels[key]),
                "cells": [_cell(run, c) for c in columns],
                "claims": self._users[key],
            }
            for key, run in self._runs.items()
        ]
        return sorted(rows, key=lambda row: row["label"])


def _runs_of(claim: dict[str, Any]) -> list[dict[str, Any]]:
    runs = list(claim.get("runs") or [])
    for case in claim.get("cases") or []:
        runs += [run for run in case.get("runs") or [] if run not in runs]
    return [run for run in runs if isinstance(run, dict)]


def run_index(claims: list[dict[str, Any]]) -> RunIndex:
    """The run index of a report's claims."""
    return RunIndex(claims)
