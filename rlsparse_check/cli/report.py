"""``rlsparse-check report REPORT_JSON [--compare OTHER_JSON] [--out HTML]``: re-render a report.

Without ``--compare``: writes the HTML page of a stored report.json (after editing it by hand,
upgrading the tool, or receiving report.json from CI). With ``--compare``: prints which verdicts
and key figures moved from REPORT_JSON (A, the earlier or reference run) to OTHER_JSON (B) and
writes the side-by-side page; the same comparison as ``pytest claims/ --baseline A``.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from rlsparse_check.report.compare import DEFAULT_TOLERANCE

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "report",
        help="render report.html from a stored report.json, or compare two reports",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("report", type=Path, help="report.json written by a claims run")
    parser.add_argument(
        "--compare",
        type=Path,
        default=None,
        metavar="OTHER_JSON",
        help="a second report.json: show what moved from REPORT_JSON to it",
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        default=DEFAULT_TOLERANCE,
        help="with --compare: how far a key figure may move before it counts "
        "(absolute within [-1, 1], relative beyond; default %(default)s, "
        "as --drift-tolerance)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="HTML file to write (default: report.html, or compare.html with "
        "--compare, beside REPORT_JSON)",
    )
    parser.set_defaults(run=run)


def _write(out: Path, text: str) -> None:
    from rlsparse_check.atomic import write_text
    from rlsparse_check.errors import OptionError

    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_text(out, text)
    except OSError as error:
        raise OptionError(
            f"--out {out}: cannot write the page ({error.strerror or error}); "
            "give a writable file path"
        ) from None


def run(args: argparse.Namespace) -> int:
    from rlsparse_check.errors import OptionError
    from rlsparse_check.report.baseline import load_report

    if not (math.isfinite(args.tolerance) and args.tolerance >= 0):
        raise OptionError(
            f"--tolerance {args.tolerance}: give a finite number >= 0 "
            "(e.g. 0.05 = 5 percentage points for shares)"
        )
    document = load_report(args.report)
    if args.compare is None:
        from rlsparse_check.report.page.render import render_html

        out = args.out or args.report.with_name("report.html")
        _write(out, render_html(document))
        print(out)
        return 0
    from rlsparse_check.report.compare import changes
    from rlsparse_check.report.page.comparison import render_compare_html, terminal_table

    other = load_report(args.compare, "--compare")
    rows = changes(document["claims"], other["claims"], args.tolerance)
    out = args.out or args.report.with_name("compare.html")
    _write(
        out,
        render_compare_html(document, other, str(args.report), str(args.compare), args.tolerance),
    )
    print(terminal_table(str(args.report), str(args.compare), rows, args.tolerance))
    print(f"page: {out}")
    return 0
