"""``rlsparse-check diff BASE TUNED``: which entries fine-tuning changed, as a table and JSON.

Prints a global line, then per-layer and per-kind tables (or the breakdowns chosen with
``--per``); ``--json`` writes the full result, ``--masks`` the packed update masks (``.npz``).
Never imports torch for safetensors inputs.
"""

from __future__ import annotations

import argparse
import re
import sys

__all__ = ["register", "run", "render"]

BREAKDOWNS = ("layer", "tensor", "kind")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "diff",
        help="count the entries TUNED changed against BASE (streamed; any checkpoint size)",
        description="Count, per tensor, layer and parameter kind, the entries of TUNED that differ "
        "from BASE, compared in the storage dtype (bitwise unless --atol > 0). Sparsity is the "
        "fraction of entries left unchanged.",
    )
    parser.add_argument("base", metavar="BASE", help="checkpoint folder, .safetensors or .bin file")
    parser.add_argument("tuned", metavar="TUNED", help="fine-tuned checkpoint of the same model")
    parser.add_argument(
        "--atol",
        default="0",
        metavar="X",
        help="count |a-b| <= X (float64 on decoded values) as unchanged; 0 (default) compares bits",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the result as JSON to PATH")
    parser.add_argument(
        "--per",
        action="append",
        choices=BREAKDOWNS,
        help="breakdown to print (repeatable; default: layer and kind)",
    )
    parser.add_argument(
        "--skip-missing",
        action="store_true",
        help="compare only tensors present on both sides (e.g. tied lm_head)",
    )
    parser.add_argument(
        "--masks", metavar="PATH", help="save the packed update masks to PATH (.npz) for later use"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from rlsparse_check.cli.output import atol, output_path, write_json
    from rlsparse_check.diff import diff_checkpoints
    from rlsparse_check.errors import OptionError

    tolerance = atol(args.atol)
    json_path = output_path(args.json, "--json") if args.json else None
    masks_path = output_path(args.masks, "--masks") if args.masks else None
    result = diff_checkpoints(
        args.base,
        args.tuned,
        atol=tolerance,
        skip_missing=args.skip_missing,
        keep_masks=masks_path is not None,
    )
    if json_path is not None:
        write_json(json_path, result.to_json())
    if masks_path is not None:
        try:
            result.masks.save(masks_path)
        except OSError as e:
            raise OptionError(
                f"--masks {masks_path}: cannot write ({e.strerror}): check the path"
            ) from None
    sys.stdout.write(render(result, args.per or ["layer", "kind"]))
    return 0


def _pct(x: float) -> str:
    return f"{100 * x:.3f}%"


def _table(title: str, rows: list[tuple[str, int, int, float]]) -> list[str]:
    width = max([len(title)] + [len(r[0]) for r in rows])
    lines = [f"{title:<{width}}  {'entries':>15}  {'changed':>15}  {'sparsity':>9}  {'density':>9}"]
    for key, numel, changed, sparsity in rows:
        lines.append(
            f"{key:<{width}}  {numel:>15,}  {changed:>15,}  "
            f"{_pct(sparsity):>9}  {_pct(1 - sparsity):>9}"
        )
    return lines


def _natural(name: str) -> list:
    """Sort key that puts ``layers.2`` before ``layers.10``."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def render(result, per: list[str]) -> str:  # noqa: ANN001 - a DiffResult, imported lazily
    """The terminal report of a :class:`~rlsparse_check.diff.DiffResult`."""
    how = f"|a - b| <= {result.atol:g} (float64)" if result.atol > 0 else "bitwise (storage dtype)"
    lines = [
        f"base    {result.base}",
        f"tuned   {result.tuned}",
        f"compare {how}",
        f"tensors {len(result.tensors)} compared"
        + (
            f", {len(result.skipped)} skipped: {', '.join(result.skipped)}"
            if result.skipped
            else ""
        ),
        "",
    ]
    lines += _table("global", [("all", result.total, result.changed, result.sparsity)])
    for by in dict.fromkeys(per):
        if by == "tensor":
            rows = [
                (n, t.numel, t.changed, t.sparsity)
                for n, t in sorted(result.tensors.items(), key=lambda item: _natural(item[0]))
            ]
        else:
            groups = result.by_layer() if by == "layer" else result.by_kind()
            rows = [(k, g["numel"], g["changed"], g["sparsity"]) for k, g in groups.items()]
        lines += [""] + _table(by, rows)
    return "\n".join(lines) + "\n"
