"""Numerical rank of update matrices, and the same figure for a random sparse reference (C7).

``numerical_rank`` counts singular values above a tolerance. By default the tolerance is
``max(m, n) * eps * sigma_max``, numpy's ``matrix_rank`` rule, where ``eps`` is the machine epsilon
of the matrix's own float dtype (float32 for float32 or narrower input such as decoded bf16
updates; float64 for float64 input): singular values below it cannot be told from rounding noise
of the numbers as given. Singular values are always computed in float64. ``rtol`` overrides the
relative factor: tolerance = ``rtol * sigma_max``.

A random sparse matrix of the same density is itself nearly full rank, so "the update is nearly
full rank" says little on its own; :func:`random_sparse_rank_ratio` gives that reference.
"""

from __future__ import annotations

import math

import numpy as np

from rlsparse_check.errors import StatsInputError

__all__ = ["numerical_rank", "rank_ratio", "random_sparse_rank_ratio", "default_rtol"]


def _matrix(matrix: object) -> np.ndarray:
    arr = np.asarray(matrix)
    if arr.ndim != 2:
        raise StatsInputError(f"rank needs a 2-D matrix, got shape {arr.shape}: only weight "
                              f"matrices have a rank (skip biases and norms)")  # fmt: skip
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
    """``numerical_rank(update) / min(m, n)``: 1.0 is full rank (0.0 for an empty matrix)."""
    arr = _matrix(update)
    full = min(arr.shape)
    return numerical_rank(arr, rtol) / full if full else 0.0


def random_sparse_rank_ratio(shape: tuple[int, int], density: float, seed: int = 0,
                             rtol: float | None = None) -> float:  # fmt: skip
    """Rank ratio of a random ``shape`` matrix with exactly ``round(density * m * n)`` nonzero
    entries at uniformly random positions, standard normal values, float32, seeded."""
    if len(shape) != 2 or min(shape) < 0:
        raise StatsInputError(f"shape must be (rows, cols), got {shape!r}")
    if not 0 <= density <= 1:
        raise StatsInputError(f"density must lie in [0, 1], got {density!r}")
    rows, cols = (int(s) for s in shape)
    rng = np.random.default_rng(seed)
    matrix = np.zeros(rows * cols, np.float32)
    where = rng.choice(rows * cols, size=round(density * rows * cols), replace=False)
    matrix[where] = rng.standard_normal(where.size, dtype=np.float32)
    return rank_ratio(matrix.reshape(rows, cols), rtol)
