"""Storage precision: the half-ULP of stored values, the half-ULP rule against observed changes
(C9), and the precision regime of a checkpoint. numpy only (no torch).

With fp32 master weights, a checkpoint stored in bf16 shows an entry as unchanged when rounding
its final fp32 value to bf16 gives back the stored base value. The rule of thumb: that happens
when the total fp32 movement ``|w1 - w0|`` stays below half a ULP of the entry's stored value.

Half-ULP (:func:`half_ulp`): half the spacing of the format's numbers in the binade of ``|v|``,
``2**(e - mantissa_bits - 1)`` for ``2**e <= |v| < 2**(e + 1)``. Zero and subnormal values have
the spacing of the subnormals, ``2**(min_exponent - mantissa_bits)``: for bf16 (and fp32's
exponent range) ``2**-133``, so ``half_ulp(0, "bfloat16") = 2**-134`` -- round-to-nearest keeps
a zero at zero exactly when the move is below half the smallest subnormal. Two documented
simplifications, as in the published rule: ties (a move of exactly half a ULP) follow
round-to-nearest-even, which the rule does not model; and just below a power of two the spacing
halves, so a downward move from ``v = 2**k`` already rounds away at a quarter of the spacing
above it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rlsparse_check.errors import StatsInputError
from rlsparse_check.stats import agreement

__all__ = [
    "FORMATS",
    "BF16_MANTISSA_BITS",
    "half_ulp",
    "half_ulp_bf16",
    "half_ulp_agreement",
    "regime_profile",
    "half_ulp_counts",
    "QUANTILES",
]

#: Explicit mantissa bits and smallest normal exponent of each storage format.
FORMATS = {"bfloat16": (7, -126), "float16": (10, -14), "float32": (23, -126)}
#: Explicit mantissa bits of bfloat16 (8 significant bits with the implicit one).
BF16_MANTISSA_BITS = FORMATS["bfloat16"][0]
#: Default quantiles of :func:`regime_profile`.
QUANTILES = (0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99)


def half_ulp(values: object, dtype: str) -> np.ndarray:
    """Half the spacing of ``dtype`` numbers at ``values`` (see the module docstring); ``dtype``
    is ``"bfloat16"``, ``"float16"`` or ``"float32"``. Non-finite values give NaN."""
    if dtype not in FORMATS:
        raise StatsInputError(f"half_ulp: dtype {dtype!r}: use one of {', '.join(FORMATS)}")
    mantissa, min_exponent = FORMATS[dtype]
    v = np.abs(np.asarray(values, dtype=np.float64))
    _, exponent = np.frexp(v)  # v = m * 2**exponent, m in [0.5, 1)
    binade = np.where(v < 2.0**min_exponent, min_exponent, exponent - 1)
    out = np.ldexp(1.0, binade - mantissa - 1)
    return np.where(np.isfinite(v), out, np.nan)


def half_ulp_bf16(values: object) -> np.ndarray:
    """:func:`half_ulp` in bfloat16 (zero and subnormals: ``2**-134``)."""
    return half_ulp(values, "bfloat16")


def half_ulp_agreement(base32: Path, tuned32: Path, base16: Path, tuned16: Path) -> dict[str, Any]:
    """Per-entry agreement of the half-ULP prediction with the bf16 checkpoints' changes.

    The prediction is made from the run saved in fp32 (the master weights), the observation is
    what the same run saved in bf16 shows; ``exact_rule_agreement`` checks the exact rounding
    rule ``bf16(w1) == bf16 base`` (identical training in both saves). ``kappa`` is Cohen's kappa
    of the prediction "unchanged" against the observation "unchanged" (agreement beyond what
    the two base rates give; an always-"unchanged" prediction has kappa 0), from the counts
    ``both_unchanged``, ``changed_but_predicted_unchanged``, ``unchanged_but_predicted_changed``
    and ``both_changed``; ``chance_agreement`` is the agreement those base rates give alone.
    """
    from rlsparse_check.checkpoints import encode_bf16, open_checkpoint

    keys = ("entries", "agree", "exact_agree", "predicted_unchanged", "actually_unchanged")
    keys += ("both_unchanged", "unchanged_but_predicted_changed")
    keys += ("changed_but_predicted_unchanged", "both_changed")
    counts = dict.fromkeys(keys, 0)
    with (
        open_checkpoint(base32) as b32,
        open_checkpoint(tuned32) as t32,
        open_checkpoint(base16) as b16,
        open_checkpoint(tuned16) as t16,
    ):
        for name in b16.names:
            base_bits = np.asarray(b16.raw(name)).reshape(-1)
            unchanged = base_bits == np.asarray(t16.raw(name)).reshape(-1)
            w0 = b32.values(name).reshape(-1).astype(np.float64)
            w1 = t32.values(name).reshape(-1).astype(np.float64)
            predicted = np.abs(w1 - w0) < half_ulp_bf16(b16.values(name).reshape(-1))
            exact = encode_bf16(t32.values(name).reshape(-1)) == base_bits
            counts["entries"] += unchanged.size
            counts["agree"] += int(np.count_nonzero(predicted == unchanged))
            counts["exact_agree"] += int(np.count_nonzero(exact == unchanged))
            counts["predicted_unchanged"] += int(np.count_nonzero(predicted))
            counts["actually_unchanged"] += int(np.count_nonzero(unchanged))
            counts["both_unchanged"] += int(np.count_nonzero(unchanged & predicted))
            counts["unchanged_but_predicted_changed"] += int(
                np.count_nonzero(unchanged & ~predicted)
            )
            counts["changed_but_predicted_unchanged"] += int(
                np.count_nonzero(~unchanged & predicted)
            )
            counts["both_changed"] += int(np.count_nonzero(~unchanged & ~predicted))
    n = counts["entries"]
    table = agreement(
        counts["both_unchanged"],
        counts["changed_but_predicted_unchanged"],
        counts["unchanged_but_predicted_changed"],
        counts["both_changed"],
    )

    def share(key: str) -> float:
        return counts[key] / n if n else math.nan

    return {
        **counts,
        "agreement": share("agree"),
        "exact_rule_agreement": share("exact_agree"),
        "bf16_sparsity": share("actually_unchanged"),
        "predicted_sparsity": share("predicted_unchanged"),
        "chance_agreement": table.chance,
        "kappa": table.kappa,
    }


def _codes(bits: np.ndarray, dtype: str) -> np.ndarray:
    """A 16-bit magnitude code per stored entry: bf16/f16 their 15 magnitude bits; wider floats
    the top 16 bits of the float32 magnitude (exponent and 8 mantissa bits)."""
    if dtype in ("bfloat16", "float16"):
        return np.asarray(bits, np.uint16) & np.uint16(0x7FFF)
    from rlsparse_check.checkpoints import decode

    f32 = np.ascontiguousarray(decode(bits, dtype, np.float32)).view(np.uint32)
    return ((f32 & np.uint32(0x7FFFFFFF)) >> np.uint32(15)).astype(np.uint16)


def _code_values(dtype: str) -> np.ndarray:
    """|w| of every code of :func:`_codes` (for wider floats: the lower edge of its bin); NaN for
    the codes of inf and NaN."""
    out = np.full(1 << 16, np.nan)
    if dtype == "bfloat16":
        finite = (np.arange(0x7F80, dtype=np.uint32) << 16).view(np.float32)
    elif dtype == "float16":
        finite = np.arange(0x7C00, dtype=np.uint16).view(np.float16)
    else:
        finite = (np.arange(0xFF00, dtype=np.uint32) << 15).view(np.float32)
    out[: finite.size] = finite
    return out


def _weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs: Sequence[float]) -> list:
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    at = np.searchsorted(cum, np.asarray(qs) * cum[-1], side="left")
    return [float(v) for v in values[order][np.minimum(at, cum.size - 1)]]


def regime_profile(
    checkpoint: object, rates: Sequence[float], *, quantiles: Sequence[float] = QUANTILES
) -> dict[str, Any]:
    """The precision regime of a checkpoint's floating-point tensors, streamed in chunks.

    Returns ``entries`` (finite float entries; NaN and inf are left out), ``dtypes`` ({storage
    dtype: finite entries}),
    ``quantiles``, ``abs_w`` (the quantiles of ``|w|``), ``half_ulp`` (the quantiles of the
    half-ULP, in the storage dtype; fp32 and fp64 tensors get the bf16 half-ULP they would have
    if saved in bf16), ``rates`` and ``flip_share`` ({f"{rate:g}": share of entries whose
    half-ULP is below the rate}: the entries that one optimizer step of size about ``rate`` can
    move to another stored value). Quantiles are the smallest value reaching the share
    (numpy's "inverted_cdf"); exact for bf16/f16, fp32 ``|w|`` to 8 mantissa bits (0.4%).
    """
    from rlsparse_check.checkpoints import CHUNK_ELEMS, Checkpoint, open_checkpoint

    rates = [float(r) for r in rates]
    if not rates or not all(r > 0 and math.isfinite(r) for r in rates):
        raise StatsInputError(f"regime_profile: rates must be positive numbers, got {rates}")
    qs = [float(q) for q in quantiles]
    if not qs or not all(0 <= q <= 1 for q in qs):
        raise StatsInputError(f"regime_profile: quantiles must lie in [0, 1], got {qs}")
    owned = not isinstance(checkpoint, Checkpoint)
    ck = open_checkpoint(checkpoint) if owned else checkpoint
    tables: dict[str, np.ndarray] = {}
    try:
        for name in ck.names:
            dtype = ck.spec(name).dtype
            if dtype not in ("bfloat16", "float16", "float32", "float64"):
                continue
            table = tables.setdefault(dtype, np.zeros(1 << 16, np.int64))
            for bits in ck.chunks(name, CHUNK_ELEMS):
                table += np.bincount(_codes(bits, dtype), minlength=1 << 16)
    finally:
        if owned:
            ck.close()
    values, ulps, weights, dtypes = [], [], [], {}
    for dtype, table in tables.items():
        v = _code_values(dtype)
        finite = np.isfinite(v) & (table > 0)
        dtypes[dtype] = int(table[finite].sum())
        values.append(v[finite])
        ulps.append(half_ulp(v[finite], dtype if dtype == "float16" else "bfloat16"))
        weights.append(table[finite])
    if not values or not sum(int(w.sum()) for w in weights):
        where = os.fspath(getattr(ck, "path", checkpoint))
        raise StatsInputError(f"{where}: no finite floating-point entries to profile")
    v, h, w = np.concatenate(values), np.concatenate(ulps), np.concatenate(weights)
    total = int(w.sum())
    return {
        "entries": total,
        "dtypes": dtypes,
        "quantiles": qs,
        "abs_w": _weighted_quantiles(v, w, qs),
        "half_ulp": _weighted_quantiles(h, w, qs),
        "rates": rates,
        "flip_share": {f"{r:g}": float(w[h < r].sum() / total) for r in rates},
    }


def half_ulp_counts(checkpoint: object) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{kind: (half-ULPs ascending, entry counts)}`` of a checkpoint's floating-point
    tensors (bf16 half-ULP of each stored value), per parameter kind and ``"all"``."""
    from rlsparse_check.checkpoints import CHUNK_ELEMS, open_checkpoint
    from rlsparse_check.masks import kind_of

    ck = open_checkpoint(checkpoint)
    tables: dict[str, dict[float, int]] = {}
    try:
        for name in ck.names:
            dtype = ck.spec(name).dtype
            if dtype not in ("bfloat16", "float16", "float32", "float64"):
                continue
            values = _code_values(dtype)
            table = np.zeros(1 << 16, np.int64)
            for bits in ck.chunks(name, CHUNK_ELEMS):
                table += np.bincount(_codes(bits, dtype), minlength=1 << 16)
            h = half_ulp(values, "bfloat16")
            for kind in (kind_of(name), "all"):
                hist = tables.setdefault(kind, {})
                for u, c in zip(h[table > 0], table[table > 0], strict=True):
                    hist[float(u)] = hist.get(float(u), 0) + int(c)
    finally:
        ck.close()
    out = {}
    for kind, hist in tables.items():
        keys = np.array(sorted(k for k in hist if np.isfinite(k)))
        out[kind] = (keys, np.array([hist[k] for k in keys], dtype=np.int64))
    return out
