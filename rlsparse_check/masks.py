"""Packed boolean update masks, and where a tensor sits in the model (layer, kind).

A :class:`MaskSet` holds one mask per tensor, packed 8 entries to a byte (``np.packbits``), so
the masks of a 0.5 B-parameter model take about 62 MB. ``True`` means the entry changed.
Summaries group ``{name: (numel, changed)}`` by transformer block or by parameter kind.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from rlsparse_check.atomic import atomic_write
from rlsparse_check.errors import CheckpointError, StatsInputError

__all__ = ["MaskSet", "layer_of", "kind_of", "summarize", "KINDS", "NO_LAYER"]

KINDS = ("attention", "mlp", "embedding", "norm", "other")
#: Key of the group of tensors outside every numbered block in per-layer summaries.
NO_LAYER = "none"

_LAYER = re.compile(r"(?:^|\.)(?:layers|layer|h|blocks|block)\.(\d+)(?:\.|$)")
_EMBEDDING = {
    "embed_tokens",
    "wte",
    "wpe",
    "lm_head",
    "embed_in",
    "embed_out",
    "tok_embeddings",
    "word_embeddings",
    "position_embeddings",
    "token_type_embeddings",
    "embeddings",
    "embed_positions",
    "shared",
}
_ATTENTION = {
    "self_attn",
    "attn",
    "attention",
    "self_attention",
    "cross_attn",
    "q_proj",
    "k_proj",
    "v_proj",
    "o_proj",
    "qkv_proj",
    "c_attn",
    "query_key_value",
    "wq",
    "wk",
    "wv",
    "wo",
}
_MLP = {
    "mlp",
    "feed_forward",
    "ffn",
    "gate_proj",
    "up_proj",
    "down_proj",
    "gate_up_proj",
    "c_fc",
    "dense_h_to_4h",
    "dense_4h_to_h",
    "w1",
    "w2",
    "w3",
    "experts",
    "block_sparse_moe",
}


def layer_of(name: str) -> int | None:
    """Index of the transformer block holding ``name`` (``model.layers.3.mlp...`` -> 3)."""
    match = _LAYER.search(name)
    return int(match.group(1)) if match else None


def kind_of(name: str) -> str:
    """``"attention"``, ``"mlp"``, ``"embedding"``, ``"norm"`` or ``"other"`` for a tensor name."""
    parts = name.lower().split(".")
    if any("norm" in p or p.startswith("ln_") or p == "ln" for p in parts):
        return "norm"
    for kind, words in (("embedding", _EMBEDDING), ("attention", _ATTENTION), ("mlp", _MLP)):
        if any(p in words for p in parts):
            return kind
    return "other"


def _sparsity(numel: int, changed: int) -> float:
    return 1.0 - changed / numel if numel else 1.0


def summarize(counts: Mapping[str, tuple[int, int]], by: str = "layer") -> dict[str, dict]:
    """Group ``{name: (numel, changed)}`` by ``"layer"``, ``"kind"`` or ``"tensor"``.

    Returns ``{key: {"numel", "changed", "sparsity"}}`` (sparsity = fraction unchanged).
    Layer keys are block indices as strings in numeric order, then :data:`NO_LAYER`.
    """
    if by == "layer":
        key = _layer_key
    elif by == "kind":
        key = kind_of
    elif by == "tensor":
        key = str
    else:
        raise StatsInputError(f"summarize(by={by!r}): use 'layer', 'kind' or 'tensor'")
    groups: dict[str, list[int]] = {}
    for name, (numel, changed) in counts.items():
        group = groups.setdefault(key(name), [0, 0])
        group[0] += int(numel)
        group[1] += int(changed)
    order = {"layer": _layer_order, "kind": KINDS.index, "tensor": str}[by]
    return {
        k: {"numel": n, "changed": c, "sparsity": _sparsity(n, c)}
        for k, (n, c) in sorted(groups.items(), key=lambda kv: order(kv[0]))
    }


def _layer_key(name: str) -> str:
    layer = layer_of(name)
    return NO_LAYER if layer is None else str(layer)


def _layer_order(key: str) -> float:
    return math.inf if key == NO_LAYER else int(key)


class MaskSet:
    """Boolean masks per tensor, packed. Build with :meth:`from_dense` or :meth:`load`."""

    def __init__(self, entries: Mapping[str, tuple[tuple[int, ...], np.ndarray, int]]) -> None:
        """``entries``: name -> (shape, packed uint8 bits as ``np.packbits`` makes them, count)."""
        self._entries = dict(entries)
        self.names = sorted(self._entries)

    @classmethod
    def from_dense(cls, masks: Mapping[str, np.ndarray]) -> MaskSet:
        entries = {}
        for name, mask in masks.items():
            mask = np.asarray(mask)
            if mask.dtype != np.bool_:
                raise StatsInputError(f"mask {name!r} has dtype {mask.dtype}: give bool arrays")
            packed = np.packbits(mask.reshape(-1))
            entries[name] = (mask.shape, packed, int(np.count_nonzero(mask)))
        return cls(entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"MaskSet({len(self)} tensors, {self.total_count()}/{self.total_numel()} set)"

    def _entry(self, name: str) -> tuple[tuple[int, ...], np.ndarray, int]:
        try:
            return self._entries[name]
        except KeyError:
            raise StatsInputError(
                f"no mask for tensor {name!r} (masks exist for "
                f"{len(self)} tensors, e.g. {self.names[:3]})"
            ) from None

    def shape(self, name: str) -> tuple[int, ...]:
        return self._entry(name)[0]

    def numel(self, name: str) -> int:
        return math.prod(self.shape(name))

    def count(self, name: str) -> int:
        """Number of ``True`` (changed) entries."""
        return self._entry(name)[2]

    def density(self, name: str) -> float:
        """Fraction of entries set (1 - sparsity)."""
        n = self.numel(name)
        return self.count(name) / n if n else 0.0

    def packed(self, name: str) -> np.ndarray:
        """The packed bits (``np.packbits`` order, zero padded to a whole byte)."""
        return self._entry(name)[1]

    def dense(self, name: str) -> np.ndarray:
        """The mask of ``name`` as a bool array of its tensor's shape."""
        shape, packed, _ = self._entry(name)
        return np.unpackbits(packed, count=math.prod(shape)).view(np.bool_).reshape(shape)

    def total_count(self) -> int:
        return sum(entry[2] for entry in self._entries.values())

    def total_numel(self) -> int:
        return sum(math.prod(entry[0]) for entry in self._entries.values())

    def save(self, path: str | os.PathLike) -> Path:
        """Write all masks to one ``.npz`` file, atomically; read back with :meth:`load`."""
        path = Path(path)
        index = {
            name: {"shape": list(shape), "count": count, "key": f"m{i}"}
            for i, (name, (shape, _, count)) in enumerate(sorted(self._entries.items()))
        }
        arrays = {index[name]["key"]: self._entries[name][1] for name in index}
        with atomic_write(path) as handle:
            np.savez(handle, __index__=np.array(json.dumps(index)), **arrays)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> MaskSet:
        """Read masks written by :meth:`save`."""
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as data:
                index = json.loads(str(data["__index__"]))
                entries = {
                    name: (tuple(info["shape"]), data[info["key"]], int(info["count"]))
                    for name, info in index.items()
                }
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise CheckpointError(
                f"{path}: not a mask file written by rlsparse-check ({e}): "
                f"write it again with `rlsparse-check diff --masks`"
            ) from None
        return cls(entries)
