"""Numerical rank of update matrices, and the same figure for a random sparse reference (C7).

``numerical_rank`` counts singular values above a tolerance. By default the tolerance is
``max(m, n) * eps * sigma_max``, numpy's ``matrix_rank`` rule, where ``eps`` is the machine epsilon
of the matrix's own float dtype (float32 for float32 or narrower input such as decoded bf16
updates; float64 for float64 input): singular values below it cannot be told from rounding noise
of the numbers as given. Singular values are always computed in float64. ``rtol`` overrides the
relative factor: tolerance = ``rtol * sigma_max``.

That default (the figure published work computes with ``matrix_rank``) is blind to storage
precision: an update read from bf16 checkpoints carries the rounding error of the stored values,
up to half a ULP per entry, which is far above float32's epsilon, so a true rank-1 update stored
in bf16 measures nearly full rank. :func:`noise_floor_rank` counts only singular values above
:func:`storage_noise_floor`, an estimate of the spectral norm of the rounding-error matrix.

The noise floor. The rounding error ``E`` has independent-ish entries bounded by the half-ULP
``h_ij`` of the stored values. For independent centred entries, Latala (2005, Proc. AMS 133) and
Bandeira & van Handel (2016, Ann. Probab. 44(4), Thm 1.1 and its rectangular form) bound
``E||E||`` by ``sigma_1 + sigma_2 + C sigma_* sqrt(log(m + n))`` up to a factor close to 1, with
``sigma_1`` and ``sigma_2`` the largest row and column root-sum-of-variances and ``sigma_*`` the
largest entry bound; the first two terms are Bai-Yin's ``s (sqrt(m) + sqrt(n))`` for iid
entries. The floor is that expression with ``C = sqrt(2)`` (``sigma_* sqrt(2 log(m + n))``) and
the variance of each entry taken at its bound ``h_ij**2`` rather than the uniform model's
``h_ij**2 / 3``: an entry whose update is below its half-ULP does not move, so its error is
minus the update, correlated with the signal, and in tests/test_rank.py that structured error
exceeds the uniform-model floor on 896 x 896 matrices while it stays below this one for every
shape and update scale tried.

A random sparse matrix of the same density is itself nearly full rank, so "the update is nearly
full rank" says little on its own; :func:`random_sparse_rank_ratio` gives that reference.

A stored update is compared with references measured the same way
(:func:`planted_references`): a full-rank update of the same density and per-entry size (the
measured update's magnitudes at the same entries with independent random signs) and a rank-1
update of the same Frobenius norm, each added to the base in float64, stored in the checkpoint's
dtype and measured above the same noise floor. A square iid update already loses its smallest
singular values to the floor (0.95-0.98 of full rank at 20-30 half-ULPs on 64 x 64), and at
about one ULP the full-rank reference cannot be told from the rank-1 one.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from rlsparse_check.errors import StatsInputError

__all__ = [
    "numerical_rank",
    "rank_ratio",
    "random_sparse_rank_ratio",
    "default_rtol",
    "storage_noise_floor",
    "noise_floor_rank",
    "noise_floor_rank_ratio",
    "stored",
    "stored_half_ulp",
    "stored_rank_ratio",
    "StoredRatio",
    "planted_references",
]


def _matrix(matrix: object) -> np.ndarray:
    arr = np.asarray(matrix)
    if arr.ndim != 2:
        raise StatsInputError(
            f"rank needs a 2-D matrix, got shape {arr.shape}: only weight "
            f"matrices have a rank (skip biases and norms)"
        )
    if arr.dtype.kind not in "fiub":
        raise StatsInputError(f"rank needs numbers, got dtype {arr.dtype}")
    if arr.size and not np.all(np.isfinite(arr)):
        raise StatsInputError("rank of a matrix with NaN or inf entries is undefined")
    return arr


def default_rtol(shape: tuple[int, int], dtype: np.dtype | type) -> float:
    """``max(m, n) * eps``: eps of float64 for float64 input, else of float32."""
    eps = np.finfo(np.float64 if np.dtype(dtype) == np.float64 else np.float32).eps
    return max(shape) * float(eps)


def numerical_rank(matrix: object, rtol: float | None = None) -> int:
    """Number of singular values greater than ``tol * sigma_max`` (see module docstring).

    The zero matrix (and an empty one) has rank 0.
    """
    arr = _matrix(matrix)
    if arr.size == 0:
        return 0
    if rtol is None:
        rtol = default_rtol(arr.shape, arr.dtype)
    elif not (rtol >= 0 and math.isfinite(rtol)):
        raise StatsInputError(f"rtol must be a non-negative number, got {rtol!r}")
    sigma = np.linalg.svd(arr.astype(np.float64), compute_uv=False)
    if sigma[0] == 0:
        return 0
    return int(np.count_nonzero(sigma > rtol * sigma[0]))


def rank_ratio(update: object, rtol: float | None = None) -> float:
    """``numerical_rank(update) / min(m, n)``: 1.0 is full rank (0.0 for an empty matrix). With
    the default tolerance this is the published-style figure (numpy ``matrix_rank``)."""
    arr = _matrix(update)
    full = min(arr.shape)
    return numerical_rank(arr, rtol) / full if full else 0.0


def random_sparse_rank_ratio(
    shape: tuple[int, int],
    density: float,
    seed: int = 0,
    rtol: float | None = None,
    *,
    ratio: Callable[[np.ndarray], float] | None = None,
) -> float:
    """Rank ratio of a random ``shape`` matrix with exactly ``round(density * m * n)`` nonzero
    entries at uniformly random positions, standard normal values, float32, seeded. ``ratio``
    (matrix -> rank ratio) counts it; by default :func:`rank_ratio` with ``rtol``. A caller that
    counts spectra its own way passes its counter here, so the draws are these ones."""
    if len(shape) != 2 or min(shape) < 0:
        raise StatsInputError(f"shape must be (rows, cols), got {shape!r}")
    if not 0 <= density <= 1:
        raise StatsInputError(f"density must lie in [0, 1], got {density!r}")
    if ratio is not None and rtol is not None:
        raise StatsInputError("random_sparse_rank_ratio: give rtol or ratio, not both")
    rows, cols = (int(s) for s in shape)
    rng = np.random.default_rng(seed)
    matrix = np.zeros(rows * cols, np.float32)
    where = rng.choice(rows * cols, size=round(density * rows * cols), replace=False)
    matrix[where] = rng.standard_normal(where.size, dtype=np.float32)
    matrix = matrix.reshape(rows, cols)
    return rank_ratio(matrix, rtol) if ratio is None else ratio(matrix)


def _half_ulp_matrix(half_ulp: object, shape: tuple[int, ...] | None = None) -> np.ndarray:
    h = np.asarray(half_ulp, dtype=np.float64)
    if h.ndim != 2:
        raise StatsInputError(f"half-ULP must be a 2-D matrix, got shape {h.shape}")
    if shape is not None and h.shape != tuple(shape):
        raise StatsInputError(
            f"half-ULP has shape {h.shape} but the update {tuple(shape)}: give one half-ULP per "
            f"entry (rlsparse_check.measures.precision.half_ulp of the stored values)"
        )
    if h.size and not (np.all(np.isfinite(h)) and h.min() >= 0):
        raise StatsInputError("half-ULP values must be finite and non-negative")
    return h


def storage_noise_floor(half_ulp: np.ndarray, changed: object = None) -> float:
    """Estimated spectral norm of a rounding-error matrix whose entries are bounded by
    ``half_ulp`` (same shape as the update; see the module docstring for the formula and its
    source). When both checkpoints were rounded (e.g. an fp32 base saved in bf16 too), pass
    ``sqrt(h_base**2 + h_tuned**2)``; a base stored exactly needs only the tuned half-ULP.

    ``changed`` (optional, a bool matrix): the entries whose stored value changed. Their error is
    plain rounding of a value that moved by more than the rounding, uniform within +-h (variance
    h**2 / 3); only the unchanged entries carry the structured error (minus an update below its
    half-ULP) that needs the bound h**2. Without it every entry is taken at the bound."""
    h = _half_ulp_matrix(half_ulp)
    if h.size == 0:
        return 0.0
    var = h * h
    if changed is not None:
        moved = np.asarray(changed, dtype=bool)
        if moved.shape != h.shape:
            raise StatsInputError(f"changed has shape {moved.shape} but half-ULP {h.shape}")
        var = np.where(moved, var / 3.0, var)
    sigma_rows = math.sqrt(float(var.sum(axis=1).max()))
    sigma_cols = math.sqrt(float(var.sum(axis=0).max()))
    return sigma_rows + sigma_cols + float(h.max()) * math.sqrt(2 * math.log(sum(h.shape)))


def noise_floor_rank(update: object, half_ulp: object, changed: object = None) -> int:
    """Number of singular values of ``update`` above :func:`storage_noise_floor` of
    ``half_ulp`` (and ``changed``): the rank that storage rounding cannot explain (0 for pure
    rounding noise)."""
    arr = _matrix(update)
    floor = storage_noise_floor(_half_ulp_matrix(half_ulp, arr.shape), changed)
    if arr.size == 0:
        return 0
    sigma = np.linalg.svd(arr.astype(np.float64), compute_uv=False)
    return int(np.count_nonzero(sigma > floor))


def noise_floor_rank_ratio(update: object, half_ulp: object, changed: object = None) -> float:
    """``noise_floor_rank(update, half_ulp, changed) / min(m, n)`` (0.0 for an empty matrix)."""
    arr = _matrix(update)
    full = min(arr.shape)
    return noise_floor_rank(arr, half_ulp, changed) / full if full else 0.0


def stored(values: object, dtype: str) -> np.ndarray:
    """``values`` rounded to the storage ``dtype`` (``bfloat16``, ``float16``, ``float32``;
    round to nearest even), returned as float64."""
    from rlsparse_check.safetensors_format import decode_bf16, encode_bf16

    v = np.asarray(values, dtype=np.float64)
    if dtype == "bfloat16":
        return decode_bf16(encode_bf16(v.astype(np.float32))).astype(np.float64)
    if dtype in ("float16", "float32", "float64"):
        return v.astype(dtype).astype(np.float64)
    raise StatsInputError(f"stored: dtype {dtype!r}: use bfloat16, float16, float32 or float64")


def stored_half_ulp(w0: np.ndarray, w1: np.ndarray, dtype: str, rounded_base: bool) -> np.ndarray:
    """The half-ULP bound of each entry's rounding error in the stored update ``w1 - w0``: the
    tuned values' half-ULP in ``dtype``, combined with the base's when ``rounded_base``."""
    from rlsparse_check.measures.precision import half_ulp

    h = half_ulp(w1, dtype)
    return np.sqrt(half_ulp(w0, dtype) ** 2 + h**2) if rounded_base else h


def stored_rank_ratio(w0: np.ndarray, w1: np.ndarray, dtype: str, rounded_base: bool) -> float:
    """Rank ratio of the stored update ``w1 - w0`` above its storage noise floor (the base's
    rounding counted too when ``rounded_base``: it was rounded from fp32 master weights)."""
    h = stored_half_ulp(w0, w1, dtype, rounded_base)
    return noise_floor_rank_ratio(w1 - w0, h, w1 != w0)


#: ``(w0, w1, dtype, rounded_base) -> rank ratio`` of a stored update, as
#: :func:`stored_rank_ratio` measures it.
StoredRatio = Callable[[np.ndarray, np.ndarray, str, bool], float]


def planted_references(
    w0: np.ndarray,
    w1: np.ndarray,
    dtype: str,
    *,
    rounded_base: bool = False,
    seed: int = 0,
    ratio: StoredRatio = stored_rank_ratio,
) -> tuple[float, float]:
    """``(full-rank reference, rank-1 reference)``: the rank ratio of a full-rank update of the
    same density and per-entry size as ``w1 - w0`` (same magnitudes at the same entries,
    independent random signs) and of a rank-1 update of the same Frobenius norm, each applied to
    ``w0`` in float64, stored in ``dtype`` and measured by ``ratio`` (by default
    :func:`stored_rank_ratio`; a caller that counts spectra its own way passes its counter)."""
    rng = np.random.default_rng(seed)
    w0 = np.asarray(w0, dtype=np.float64)
    update = np.asarray(w1, dtype=np.float64) - w0
    signs = np.where(rng.random(update.shape) < 0.5, -1.0, 1.0)
    full = ratio(w0, stored(w0 + signs * np.abs(update), dtype), dtype, rounded_base)
    one = np.outer(rng.standard_normal(update.shape[0]), rng.standard_normal(update.shape[1]))
    one *= float(np.linalg.norm(update)) / float(np.linalg.norm(one))
    rank_one = ratio(w0, stored(w0 + one, dtype), dtype, rounded_base)
    return full, rank_one
