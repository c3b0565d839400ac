"""The one look of every report plot, and compact, accessible inline SVG.

:data:`STYLE` (matplotlib rc settings) and :data:`PALETTE` (Okabe-Ito, readable by colour-blind
readers) apply to every figure; :data:`SMALL` and :data:`LARGE` are the two figure sizes (the
plots a reader should see first are large). :func:`to_svg` turns a figure into an ``<svg>``
element that carries its alt text (``role="img"``, ``aria-label`` and a ``<title>``), with text
kept as text (the page's CSS gives the font), coordinates rounded to 0.1 pt, metadata and
whitespace dropped and ids made unique per figure: a few kB per plot instead of tens.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
from dataclasses import dataclass
from typing import Any

__all__ = [
    "STYLE",
    "PALETTE",
    "SMALL",
    "LARGE",
    "Figure",
    "pyplot",
    "to_svg",
    "percent_axis",
    "as_float",
    "name_list",
]

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
SMALL = (5.0, 3.0)
LARGE = (7.6, 4.2)
STYLE: dict[str, Any] = {
    "font.family": ["DejaVu Sans"],
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e2e8f0",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "lines.linewidth": 1.6,
    "lines.markersize": 5,
    "svg.fonttype": "none",
    "svg.hashsalt": "rlsparse-check",
    "path.simplify": True,
}


@dataclass(frozen=True)
class Figure:
    """One drawn plot: its caption, its alt text, the ``<svg>`` text, and whether it leads."""

    caption: str
    alt: str
    svg: str
    lead: bool = False


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend with :data:`STYLE` applied."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    from cycler import cycler

    matplotlib.rcParams.update(STYLE)
    matplotlib.rcParams["axes.prop_cycle"] = cycler(color=list(PALETTE))
    import matplotlib.pyplot as plt

    return plt


def as_float(value: Any) -> float:
    """A plotted number: None (a missing value in report.json) is NaN, a gap in the line."""
    return float("nan") if value is None else float(value)


def name_list(names: list[str], limit: int = 6) -> str:
    """Names for alt text: the first ``limit``, then how many more."""
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def percent_axis(axis: Any) -> None:
    """Tick labels of a share axis (values in [0, 1]) as percentages."""
    from matplotlib.ticker import PercentFormatter

    axis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))


_PROLOG = re.compile(r"^.*?(?=<svg)", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>", re.S)
_FONT = re.compile(r"font-family:[^;\"]*;?\s*")
_GROUP_ID = re.compile(r'<g id="[^"]*"')
_TAG = re.compile(r"<[^>]+>")
_LONG_DECIMAL = re.compile(r"(?<![\w#.])(-?\d+\.\d{3,})")
_SPACE = re.compile(r"\s+")


def _round(match: re.Match[str]) -> str:
    text = f"{float(match.group(1)):.1f}"
    text = text[:-2] if text.endswith(".0") else text
    return "0" if text == "-0" else text


def _compact_tag(match: re.Match[str]) -> str:
    return _SPACE.sub(" ", _LONG_DECIMAL.sub(_round, match.group()))


def to_svg(fig: Any, alt: str) -> str:
    """The compact ``<svg>`` of ``fig`` with ``alt`` as its accessible name; closes ``fig``."""
    plt = pyplot()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    svg = _PROLOG.sub("", buffer.getvalue(), count=1)
    svg = _METADATA.sub("", svg)
    svg = _FONT.sub("", svg)
    svg = _GROUP_ID.sub("<g", svg)
    svg = _TAG.sub(_compact_tag, svg)
    svg = re.sub(r">\s+<", "><", svg).strip()
    prefix = "f" + hashlib.sha1(svg.encode()).hexdigest()[:6] + "-"
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}\1"', svg)
    svg = re.sub(r'href="#([^"]+)"', rf'href="#{prefix}\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}\1)", svg)
    name = html.escape(alt, quote=True)
    head = svg.index(">")
    return f'{svg[:head]} role="img" aria-label="{name}"><title>{name}</title>{svg[head + 1 :]}'
