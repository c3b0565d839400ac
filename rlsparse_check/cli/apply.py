"""``rlsparse-check apply BASE PATCH --out DIR``: rebuild a fine-tune from its base and patch.

Every tensor is checked against the sha256 the patch recorded for TUNED before the folder is
renamed into place; another base, or a cut or damaged patch, stops with one line and exit
status 2, and nothing is written. Never imports torch.
"""

from __future__ import annotations

import argparse

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "apply",
        help="rebuild TUNED from BASE and a patch written by `delta` (verified, bit-exact)",
        description="Write to DIR the checkpoint a patch was made from: every tensor bitwise "
        "equal to TUNED's, in TUNED's files (names, shards, index, config and tokenizer files).",
    )
    parser.add_argument("base", metavar="BASE", help="the checkpoint the patch was made from")
    parser.add_argument("patch", metavar="PATCH", help="patch file written by `delta`")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder to write")
    parser.add_argument(
        "--overwrite", action="store_true", help="replace DIR when it exists and is not empty"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from rlsparse_check.delta import apply_patch, patch_summary

    apply_patch(args.base, args.patch, args.out, overwrite=args.overwrite)
    print(patch_summary(args.patch).applied_line(args.out))
    return 0
