"""``rlsparse-check delta BASE TUNED --out PATCH``: write the sparse update patch of a fine-tune.

Prints one line: the patch's size and share of TUNED, how many tensors changed, and every
tensor carried in full (only in TUNED, or of another dtype or shape) or left out (only in BASE).
Never imports torch.
"""

from __future__ import annotations

import argparse

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "delta",
        help="write the patch that turns BASE into TUNED (changed entries only, lossless)",
        description="Write one patch file (a safetensors container) holding the positions and "
        "new values of the entries TUNED changed, the sha256 of every tensor and TUNED's files, "
        "so that `rlsparse-check apply BASE PATCH --out DIR` rebuilds TUNED bit for bit.",
    )
    parser.add_argument("base", metavar="BASE", help="safetensors checkpoint folder or file")
    parser.add_argument("tuned", metavar="TUNED", help="fine-tuned checkpoint of the same model")
    parser.add_argument("--out", required=True, metavar="PATCH", help="patch file to write")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing PATCH")
    parser.add_argument("--json", metavar="PATH", help="also write the per-tensor summary as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from rlsparse_check.cli.output import output_path, write_json
    from rlsparse_check.delta import make_patch

    json_path = output_path(args.json, "--json") if args.json else None
    summary = make_patch(args.base, args.tuned, args.out, overwrite=args.overwrite)
    if json_path is not None:
        write_json(json_path, summary.to_json())
    print(summary.line())
    return 0
