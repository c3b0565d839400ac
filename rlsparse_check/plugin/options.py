"""Options of the claims suite: one ``rlsparse-check`` group in ``pytest --help``, defaults from
``[tool.rlsparse-check]`` in pyproject.toml, the command line winning over both.

The merged, validated values form one frozen :class:`Settings` that the plugin keeps in
``config.stash`` and the fixtures read. Precedence, highest first:

1. the command line (``--alpha 0.01``);
2. ``[tool.rlsparse-check]`` in the pyproject.toml of the rootdir (keys spelled like the options
   without the dashes: ``alpha = 0.01``, ``sparsity-range = [0.685, 0.96]``, ``seeds = 5``);
3. the built-in defaults. Each threshold's default and its source (the paper's figure, or the
   harness's reading of the paper's words) live in :mod:`rlsparse_check.thresholds`; the help
   text of every threshold option names its source.

A bad value raises :class:`~rlsparse_check.errors.OptionError` naming the option and what to do.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from rlsparse_check.errors import OptionError
from rlsparse_check.models import DEFAULT_MODEL, MODEL_HELP
from rlsparse_check.plugin.run_options import RUN_OPTIONS as _RUN_OPTIONS
from rlsparse_check.plugin.run_options import add_run_options, parse_duration, run_option
from rlsparse_check.plugin.settings import Settings
from rlsparse_check.tasks import TASK_HELP
from rlsparse_check.thresholds import CORRECTIONS, THRESHOLDS

__all__ = [
    "Settings",
    "GROUP",
    "add_options",
    "settings_from_config",
    "parse_duration",
]

GROUP = "rlsparse-check"
DEVICES = ("auto", "cpu", "cuda")


# option name -> (dest, metavar, help). Defaults are None so that "not given" is visible.
_OPTIONS: dict[str, tuple[str | None, str]] = {
    "model": (
        "NAME",
        f"model to train in training mode: {MODEL_HELP} (default {DEFAULT_MODEL})",
    ),
    "device": ("DEV", "cpu, cuda or auto (default: auto = cuda when available, else cpu)"),
    "report-dir": ("DIR", "where report.json and report.html go (default: reports/latest)"),
    "base": ("DIR", "checkpoint mode: the base checkpoint (no training; needs --tuned)"),
    "tuned": ("DIR", "checkpoint mode: a fine-tuned checkpoint of --base (repeat for several)"),
    "seeds": ("N", "training mode: seeds per configuration, the unit of replication (default 3)"),
    "steps": ("N", "training mode: optimizer steps per run (default: each recipe's default)"),
    "algos": (
        "LIST",
        "training mode: comma-separated algorithms, e.g. grpo,rloo,dpo "
        "(default: each claim's own list)",
    ),
    "task": ("TASK", f"training mode: {TASK_HELP}"),
    "sparsity-range": (
        "LO,HI",
        "C1: published sparsity range, compared with the sparsity at --sparsity-atol",
    ),
    "sparsity-atol": ("ATOL", "C1: tolerance |a - b| <= ATOL at which the range was published"),
    "alpha": ("A", "significance level after correction"),
    "sparser-margin": ("M", "C2, C6, C9a: smallest sparsity difference that is 'much sparser'"),
    "min-overlap-excess": ("E", "C3, C5: excess over independent chance (the paper's null)"),
    "min-stratified-excess": ("E", "C3, C5: excess over magnitude-stratified chance"),
    "equivalence-margin": ("M", "C5, regime check: TOST margin (5 points = 0.05)"),
    "recovery-margin": ("S", "C4: eval TOST margin as a share of the full run's mean eval gain"),
    "max-update-distance": ("D", "C4: largest relative L2 distance of the masked run's update"),
    "min-rank-ratio": ("R", "C7: mean rank / full rank of the updates"),
    "rank-reference-margin": (
        "M",
        "C7, stored updates: how far below a same-size full-rank update the rank ratio refutes",
    ),
    "min-active-blocks": ("S", "C8: share of blocks that must take part"),
    "block-active-fraction": ("F", "C8: a block takes part at this fraction of the median's"),
    "max-block-cv": ("CV", "C8: largest coefficient of variation of block update densities"),
    "max-norm-updated": ("F", "C8: largest share of norm entries changed"),
    "max-eval-se": ("SE", "C2: largest eval standard error of a run on the frontier"),
    "max-prediction-error": (
        "E",
        "C9c: largest mean absolute error of the leave-one-run-out bf16 sparsity prediction",
    ),
    "min-kl-term": ("K", "C5: smallest KL term (coefficient x mean KL) of a KL variant"),
    "min-clipped-share": ("F", "C5: smallest share of steps clipped for clipping to count"),
    "min-ratio-spread": ("R", "C5: smallest mean |importance ratio - 1| of off-policy updates"),
    "correction": (
        "METHOD",
        "multiple-comparison correction within a claim: holm or bh (default holm)",
    ),
    "baseline": (
        "PATH",
        "a stored report.json: fail when a verdict changes or a key figure "
        "drifts beyond --drift-tolerance",
    ),
    "drift-tolerance": (
        "T",
        "allowed key-figure drift from --baseline: absolute for figures in "
        "[-1, 1], relative beyond (default 0.05)",
    ),
    "cache-dir": ("DIR", "run cache (default: $RLSPARSE_CACHE or ~/.cache/rlsparse-check)"),
}


#: Threshold options that are shares (values in [0, 1]).
_SHARES = (
    "sparser-margin",
    "min-overlap-excess",
    "min-stratified-excess",
    "recovery-margin",
    "min-clipped-share",
    "min-rank-ratio",
    "rank-reference-margin",
    "min-active-blocks",
    "block-active-fraction",
    "max-norm-updated",
)


def _dest(name: str) -> str:
    return "rlsparse_" + name.replace("-", "_")


def add_options(parser: Any) -> None:
    """Register the options under one heading (``parser`` is pytest's ``Parser``)."""
    group = parser.getgroup(
        GROUP,
        "rlsparse-check: test the 'RL updates a small subnetwork' "
        "claims (options also read from [tool.rlsparse-check])",
    )
    for name, (metavar, help_text) in _OPTIONS.items():
        if name in THRESHOLDS:
            t = THRESHOLDS[name]
            default = ",".join(map(str, t.default)) if isinstance(t.default, tuple) else t.default
            help_text = f"{help_text} (default {default}, source: {t.source})"
        kwargs: dict[str, Any] = {
            "dest": _dest(name),
            "default": None,
            "metavar": metavar,
            "help": help_text,
        }
        if name == "tuned":
            kwargs["action"] = "append"
        group.addoption(f"--{name}", **kwargs)
    group.addoption(
        "--no-cache",
        dest=_dest("no-cache"),
        action="store_true",
        default=None,
        help="train afresh instead of reusing cached runs (results still cached)",
    )
    add_run_options(group, _dest)


def _read_pyproject(rootpath: Path) -> dict[str, Any]:
    path = rootpath / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise OptionError(f"{path}: cannot parse TOML ({error}); fix the file") from error
    section = data.get("tool", {}).get("rlsparse-check", {})
    unknown = sorted(set(section) - set(_OPTIONS) - set(_RUN_OPTIONS) - {"no-cache", "plan"})
    if unknown:
        raise OptionError(
            f"{path}: unknown key(s) {unknown} in [tool.rlsparse-check]; "
            f"known keys: {sorted([*_OPTIONS, *_RUN_OPTIONS])}"
        )
    return section


def _number(
    name: str, value: Any, kind: type, lo: float | None = None, hi: float | None = None
) -> Any:
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise OptionError(f"--{name}: expected a {kind.__name__}, got {value!r}") from None
    if (lo is not None and number < lo) or (hi is not None and number > hi):
        raise OptionError(f"--{name}: {number} is out of range [{lo}, {hi}]")
    return number


def _pair(name: str, value: Any) -> tuple[float, float]:
    parts = value.split(",") if isinstance(value, str) else list(value)
    if len(parts) != 2:
        raise OptionError(f"--{name}: expected LO,HI (e.g. 0.685,0.96), got {value!r}")
    lo, hi = (_number(name, p, float, 0.0, 1.0) for p in parts)
    if lo > hi:
        raise OptionError(f"--{name}: LO {lo} is above HI {hi}; give LO,HI in order")
    return lo, hi


def _list(value: Any) -> tuple[str, ...]:
    parts = value.split(",") if isinstance(value, str) else list(value)
    return tuple(p.strip().lower() for p in parts if str(p).strip())


def _choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise OptionError(f"--{name}: {value!r} is not one of {', '.join(choices)}")
    return str(value)


def build_settings(values: dict[str, Any], *, base_dir: Path) -> Settings:
    """Validate merged raw values (option name -> value) into :class:`Settings`.

    Relative paths are taken relative to ``base_dir`` (where pytest was invoked).
    """

    def path(value: Any) -> Path:
        p = Path(os.path.expanduser(str(value)))
        return p if p.is_absolute() else base_dir / p

    kw: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            continue
        key = name.replace("-", "_")
        if name in ("model",):
            kw[key] = str(value)
        elif name == "device":
            kw[key] = _choice(name, value, DEVICES)
        elif name == "correction":
            kw[key] = _choice(name, str(value).lower(), CORRECTIONS)
        elif name in ("report-dir", "base", "baseline", "cache-dir"):
            kw[key] = path(value)
        elif name == "tuned":
            kw[key] = tuple(path(v) for v in (value if isinstance(value, list) else [value]))
        elif name in ("seeds", "steps"):
            kw[key] = _number(name, value, int, 1)
        elif name == "algos":
            kw[key] = _list(value)
        elif name == "task":
            from rlsparse_check.tasks import check_task

            check_task(str(value))  # bad names, settings or files: an OptionError up front
            kw[key] = str(value)
        elif name == "sparsity-range":
            kw[key] = _pair(name, value)
        elif name == "sparsity-atol":
            kw[key] = _number(name, value, float, 0.0, 1.0)
        elif name == "alpha":
            kw[key] = _number(name, value, float, 1e-12, 0.5)
        elif name in _SHARES:
            kw[key] = _number(name, value, float, 0.0, 1.0)
        elif name in (
            "equivalence-margin",
            "max-update-distance",
            "max-block-cv",
            "max-eval-se",
            "max-prediction-error",
            "min-kl-term",
            "min-ratio-spread",
        ):
            kw[key] = _number(name, value, float, 0.0)
        elif name == "drift-tolerance":
            kw[key] = _number(name, value, float, 0.0)
        elif name == "no-cache":
            kw[key] = bool(value)
        elif name in (*_RUN_OPTIONS, "plan"):
            kw[key] = run_option(name, value)
    settings = Settings(**kw)
    if settings.tuned and settings.base is None:
        raise OptionError("--tuned needs --base: give the base checkpoint the tuned ones came from")
    if settings.base is not None and not settings.tuned:
        raise OptionError("--base needs at least one --tuned checkpoint to compare against")
    for name, given in (("base", [settings.base]), ("tuned", settings.tuned)):
        for checkpoint in given:
            if checkpoint is not None and not checkpoint.exists():
                raise OptionError(
                    f"--{name} {checkpoint}: no such file or directory; give a "
                    "checkpoint folder (model.safetensors or a sharded index) "
                    "or a .safetensors file"
                )
    if "report_dir" not in kw:
        settings = Settings(**{**kw, "report_dir": base_dir / Settings.report_dir})
    return settings


def settings_from_config(config: Any) -> Settings:
    """Merge pyproject.toml and command-line values of a pytest ``Config``."""
    merged: dict[str, Any] = dict(_read_pyproject(Path(config.rootpath)))
    for name in [*_OPTIONS, "no-cache", *_RUN_OPTIONS, "plan"]:
        value = config.getoption(_dest(name), default=None)
        if value is not None:
            merged[name] = value
    return build_settings(merged, base_dir=Path(config.invocation_params.dir))
