"""The ``rlsparse-check`` command: a thin dispatcher over one module per subcommand.

Each subcommand module exposes ``register(subparsers)``, which adds its parser and sets
``run=callable(args) -> int``. Modules import heavy libraries inside ``run`` only, so
``rlsparse-check --help`` and ``rlsparse-check diff`` never import torch.

A :class:`~rlsparse_check.errors.RlsparseError` becomes one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from rlsparse_check import __version__
from rlsparse_check.errors import RlsparseError

__all__ = ["main", "build_parser"]

SUBCOMMANDS = ("diff", "overlap", "delta", "apply", "base", "train", "report")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rlsparse-check",
        description="Measure which weights RL fine-tuning changed, and test published claims.",
    )
    parser.add_argument("--version", action="version", version=f"rlsparse-check {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    registered = set()
    for name in SUBCOMMANDS:
        module = importlib.import_module(f"rlsparse_check.cli.{_module_of(name)}")
        if module not in registered:
            module.register(sub)
            registered.add(module)
    return parser


def _module_of(command: str) -> str:
    return "train" if command == "base" else command


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except RlsparseError as error:
        print(f"rlsparse-check {args.command}: error: {error}", file=sys.stderr)
        return error.exit_code
    except BrokenPipeError:
        # Output piped into a program that stopped reading (e.g. `| head`): not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print(f"rlsparse-check {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
