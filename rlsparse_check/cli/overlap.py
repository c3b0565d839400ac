"""``rlsparse-check overlap BASE TUNED_A TUNED_B [TUNED_C ...]``: do the update masks overlap
beyond chance, and beyond what both masks' preference for small weights explains?

Each tuned checkpoint is diffed against BASE once; every pair is then compared (streamed, tensor
by tensor). The terminal shows one row per pair: counts, the one-sided overlaps with their chance
levels, Jaccard, observed/expected intersection under both nulls, the excess over stratified
chance normalised by the attainable maximum, and both p-values (the stratified one also adjusted
across pairs). Figures and nulls: :mod:`rlsparse_check.overlap`.

JSON (``--json PATH``, written atomically). Top level, always: ``base``, ``tuned`` (list),
``atol``, ``correction`` (``holm`` or ``bh``), ``bins`` (``"auto"`` or the number of magnitude
bins per tensor), ``seed``, ``skipped`` (tensors on one side only, with ``--skip-missing``), and
``pairs``: one object per pair in the order (A,B), (A,C), ..., (B,C), ... with ``a``, ``b``, the
global figures ``overlap_ab``, ``overlap_ba``, ``jaccard``, ``chance_ab``, ``chance_ba``,
``chance_ab_stratified``, ``chance_ba_stratified``, ``p_independent``, ``p_stratified``,
``p_independent_adjusted``, ``p_stratified_adjusted``, ``ratio_independent``,
``ratio_stratified``, ``z_independent``, ``z_stratified``, ``expected_independent``,
``expected_stratified``, ``variance_independent``, ``variance_stratified``,
``log10_p_independent``, ``log10_p_stratified`` (finite where a p-value underflows to 0),
``p_independent_method``, ``p_stratified_method`` (``exact``, ``saddlepoint``,
``edgeworth`` or ``bound``), ``attainable`` (the largest intersection the per-tensor mask
sizes allow: the sum over tensors of min(|A_t|, |B_t|)), ``excess_stratified`` and
``excess_independent`` ((both - expected) / (attainable - expected): 0 at chance, 1 at the
attainable maximum; null when the attainable maximum equals the expectation),
``excess_stratified_sd`` (the null's standard deviation on that scale), counts (``numel``,
``count_a``, ``count_b``, ``both``, ``union``, ``density_a``, ``density_b``), ``strata``
(number of magnitude bins used), ``p_permutation`` (null unless ``--permutations``),
``tensors`` ({name: the same figures per tensor}) and ``layers`` ({block index or "none": the
same per block}).

With exactly two tuned checkpoints there is one pair, and its keys are ALSO at the top level
(``overlap_ab``, ``p_stratified``, ``tensors``, ...), so a single comparison reads flat. With more
than two, the top level holds only the common keys and ``pairs``: no pair is singled out.

Defined edge cases: an empty mask has overlap 0.0 and, when nothing can overlap, p-values 1.0.
Bad input (checkpoints that do not align, masks of different shapes, bad options) exits with
status 2 and one line saying what to fix.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

from rlsparse_check.thresholds import CORRECTIONS

__all__ = ["register", "run", "format_table"]


def _bins(text: str) -> int | None:
    if text == "auto":
        return None
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give a positive integer or 'auto'")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give a non-negative integer")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "overlap",
        help="overlap of the update masks of several fine-tuned checkpoints, against two nulls",
        description="Diff each TUNED checkpoint against BASE and test, for every pair, whether "
        "their update masks overlap more than chance (independent masks) and more than their "
        "shared preference for small weights explains (B shuffled within |w| bins per tensor).",
    )
    parser.add_argument("base", metavar="BASE", help="base checkpoint (dir or .safetensors)")
    parser.add_argument(
        "tuned", metavar="TUNED", nargs="+", help="two or more fine-tuned checkpoints of BASE"
    )
    parser.add_argument("--json", metavar="PATH", type=Path, help="write the full result here")
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the permutation check (default 0)"
    )
    parser.add_argument(
        "--bins",
        type=_bins,
        default=None,
        metavar="K",
        help="magnitude bins per tensor, or 'auto' (default: about 64 entries "
        "per bin, tie groups of equal |w| kept whole)",
    )
    parser.add_argument(
        "--atol", default="0", help="an entry changed when |a-b| > ATOL (default 0: bitwise)"
    )
    parser.add_argument(
        "--correction",
        choices=CORRECTIONS,
        default="holm",
        help="correction across pairs (default holm)",
    )
    parser.add_argument(
        "--skip-missing",
        action="store_true",
        help="compare only tensors present in every checkpoint",
    )
    parser.add_argument(
        "--permutations",
        type=_count,
        default=0,
        metavar="N",
        help="also run N stratified permutations per pair (slow; small models only)",
    )
    parser.set_defaults(run=run)


def _p(p: float, log10_p: float | None = None) -> str:
    if p >= 1e-300 or log10_p is None:
        return f"{p:.2g}"
    return f"1e{int(log10_p)}"


def _excess(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def format_table(data: dict) -> str:
    """The terminal table of an overlap JSON object (see the module docstring)."""
    pairs = data["pairs"]
    labels = [chr(ord("A") + i) if i < 26 else f"T{i}" for i in range(len(data["tuned"]))]
    lines = [
        f"overlap of update masks against {data['base']} (atol {data['atol']:g}, bins "
        f"{data['bins']}, {data['correction']} over {len(pairs)} pair(s))"
    ]
    lines += [f"  {label} = {path}" for label, path in zip(labels, data["tuned"], strict=True)]
    head = (
        f"{'pair':<6}{'|A|':>12}{'|B|':>12}{'|A&B|':>12}{'o(A->B)':>9}{'chance':>8}"
        f"{'o(B->A)':>9}{'chance':>8}{'jaccard':>9}{'ratio':>7}{'ratio':>7}{'p':>11}{'p':>11}"
        f"{'p_strat':>11}{'excess':>8}"
    )
    sub = (
        f"{'':<6}{'':>36}{'':>34}{'indep':>16}{'strat':>7}{'indep':>11}{'strat':>11}"
        f"{'adjusted':>11}{'strat':>8}"
    )
    lines += [head, sub]
    order = itertools.combinations(labels, 2)
    for p, (la, lb) in zip(pairs, order, strict=True):
        name = f"{la}-{lb}"
        lines.append(
            f"{name:<6}{p['count_a']:>12,}{p['count_b']:>12,}{p['both']:>12,}"
            f"{p['overlap_ab']:>9.3f}{p['chance_ab']:>8.3f}{p['overlap_ba']:>9.3f}"
            f"{p['chance_ba']:>8.3f}{p['jaccard']:>9.3f}{p['ratio_independent']:>7.2f}"
            f"{p['ratio_stratified']:>7.2f}{_p(p['p_independent'], p['log10_p_independent']):>11}"
            f"{_p(p['p_stratified'], p['log10_p_stratified']):>11}"
            f"{_p(p['p_stratified_adjusted']):>11}{_excess(p['excess_stratified']):>8}"
        )
    lines.append(
        "chance = overlap expected for independent masks of the same per-tensor "
        "densities; ratio = observed/expected |A&B|; excess = (|A&B| - chance) / "
        "(attainable - chance), 0 at chance, 1 at the largest overlap the mask sizes "
        "allow; p one-sided (more overlap)"
    )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from rlsparse_check.cli.output import atol, output_path, write_json
    from rlsparse_check.errors import OptionError
    from rlsparse_check.overlap import overlap_checkpoints

    if len(args.tuned) < 2:
        raise OptionError(
            f"overlap needs at least two TUNED checkpoints, got {len(args.tuned)}: "
            f"give BASE TUNED_A TUNED_B [...]"
        )
    json_path = output_path(args.json, "--json") if args.json is not None else None
    result = overlap_checkpoints(
        args.base,
        args.tuned,
        atol=atol(args.atol),
        bins=args.bins,
        seed=args.seed,
        correction=args.correction,
        skip_missing=args.skip_missing,
        permutations=args.permutations,
    )
    data = result.to_json()
    if json_path is not None:
        write_json(json_path, data)
    print(format_table(data))
    return 0
