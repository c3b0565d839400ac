"""Placeholder for the `report` subcommand(s); replaced by the real implementation."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    for name in {"train": ("base", "train")}.get("report", ("report",)):
        sub.add_parser(name, help="(not yet available)").set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    raise SystemExit("not yet available")
