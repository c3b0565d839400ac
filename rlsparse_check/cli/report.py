"""``rlsparse-check report REPORT_JSON [--out HTML]``: re-render the HTML page of a stored report.

Useful after editing a report by hand, upgrading the tool, or receiving report.json from CI.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("report", help="render report.html from a stored report.json",
                            description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, help="report.json written by a claims run")
    parser.add_argument("--out", type=Path, default=None,
                        help="HTML file to write (default: report.html beside the JSON)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from rlsparse_check.errors import OptionError
    from rlsparse_check.report.collect import SCHEMA
    from rlsparse_check.report.files import write_text_atomic
    from rlsparse_check.report.render import render_html

    try:
        document = json.loads(args.report.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OptionError(f"{args.report}: no such file; give the report.json of a claims run "
                          "(e.g. reports/latest/report.json)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise OptionError(f"{args.report}: not a readable JSON report ({error})") from None
    if not isinstance(document, dict) or document.get("schema") != SCHEMA or not isinstance(
            document.get("claims"), list):
        raise OptionError(f"{args.report}: not a schema-{SCHEMA} rlsparse-check report "
                          "(expected keys 'schema' and 'claims')")
    out = args.out or args.report.with_name("report.html")
    write_text_atomic(out, render_html(document))
    print(out)
    return 0
