"""The record of a finished run (its folder's ``run.json``) as one typed value.

:class:`RunRecord` is what :mod:`rlsparse_check.recipes.execute` writes, what
:class:`~rlsparse_check.recipes.run.Run` carries and what a claims case keeps of it
(:meth:`RunRecord.summary`). Its fields are ``run.json``'s keys, unchanged, so cached runs and
reports written before it read the same; keys it does not know are kept in ``extra`` and written
back as they were. Pure: no torch.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rlsparse_check.errors import OptionError

__all__ = ["RUN_JSON", "RUN_JSON_KEYS", "SUMMARY_KEYS", "RunRecord"]

RUN_JSON = "run.json"


@dataclass(frozen=True)
class RunRecord:
    """One run: what was trained (``spec``, ``hyperparameters``), where and with what
    (``device``, ``versions``), what came of it (``eval``, ``weights_sha256``, ``log_history``)
    and from what (``base``: path, ``weights_sha256`` of the stored base and
    ``start_weights_sha256`` of the fp32 start)."""

    algo: str
    model: str
    task: str
    seed: int
    spec: dict[str, Any]
    hyperparameters: dict[str, Any]
    save_dtype: str
    mask: dict[str, Any] | None
    device: dict[str, Any]
    versions: dict[str, str]
    wall_time_s: float
    train_time_s: float
    eval: dict[str, Any]
    weights_sha256: str
    base: dict[str, Any]
    data: dict[str, Any]
    trainer_args: dict[str, Any]
    log_history: list[dict[str, float]]
    cache_key: str
    master: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def gain(self) -> float:
        """The eval reward gain (after - before)."""
        return float(self.eval["gain"])

    @property
    def base_weights_sha256(self) -> str:
        return str(self.base["weights_sha256"])

    @property
    def start_weights_sha256(self) -> str:
        return str(self.base["start_weights_sha256"])

    def to_json(self) -> dict[str, Any]:
        """``run.json``'s object (keys as they always were, unknown keys written back)."""
        out = {f.name: getattr(self, f.name) for f in _FIELDS if f.name != "extra"}
        return {**out, **self.extra}

    @classmethod
    def from_json(cls, data: dict[str, Any], source: str = RUN_JSON) -> RunRecord:
        """The record of a ``run.json`` object; a missing key names the file and the key."""
        if not isinstance(data, dict):
            raise OptionError(f"{source}: not a run record (a JSON object); train the run again")
        known = {f.name for f in _FIELDS} - {"extra"}
        missing = [f.name for f in _REQUIRED if f.name not in data]
        if missing:
            raise OptionError(
                f"{source}: not a complete run record (missing {', '.join(missing)}); "
                "delete the run folder and train it again"
            )
        fields = {k: v for k, v in data.items() if k in known}
        return cls(**fields, extra={k: v for k, v in data.items() if k not in known})

    @classmethod
    def read(cls, folder: Path) -> RunRecord:
        """The record of the run folder ``folder``."""
        path = Path(folder) / RUN_JSON
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise OptionError(f"{path}: cannot read the run record ({error})") from error
        return cls.from_json(data, str(path))

    def write(self, folder: Path) -> Path:
        """Write ``run.json`` into ``folder`` (atomically, strict JSON)."""
        from rlsparse_check.atomic import write_json

        path = Path(folder) / RUN_JSON
        write_json(path, self.to_json())
        return path

    def summary(self, path: Path | str, cached: bool) -> dict[str, Any]:
        """What a claims case keeps of the run (its ``meta["record"]``; the rest -- log history,
        versions, which the report's provenance carries -- stays in the run folder at ``path``)."""
        data = self.to_json()
        out = {key: data[key] for key in SUMMARY_KEYS if key in data}
        out["eval"] = {
            side: {k: v for k, v in self.eval[side].items() if k != "rewards"}
            for side in ("before", "after")
        }
        out["eval"].update({k: v for k, v in self.eval.items() if k.startswith("gain")})
        out["base_weights_sha256"] = self.base_weights_sha256
        out["device"] = self.device["kind"]
        out["path"] = str(path)
        out["cached"] = bool(cached)
        return out


_FIELDS = dataclasses.fields(RunRecord)
_REQUIRED = [f for f in _FIELDS if f.default is dataclasses.MISSING and f.name != "extra"]

#: The keys of ``run.json`` (every record has them).
RUN_JSON_KEYS = tuple(f.name for f in _FIELDS if f.name != "extra")
#: Keys of ``run.json`` a case's summary keeps as they are.
SUMMARY_KEYS = (
    "spec",
    "mask",
    "master",
    "wall_time_s",
    "train_time_s",
    "weights_sha256",
    "cache_key",
)
