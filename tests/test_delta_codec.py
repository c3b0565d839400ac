import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rlsparse_check.delta.codec import (
    BITMASK,
    DIFF,
    GAPS,
    IMPLIED,
    RAW,
    CorruptFrame,
    Encoded,
    compress,
    decode_full,
    decode_sparse,
    encode_full,
    encode_sparse,
)

SETTINGS = settings(max_examples=80, deadline=None, derandomize=True, database=None)
WIDTHS = (np.uint8, np.uint16, np.uint32, np.uint64)


def _pair(dtype, n, density, step, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.integers(0, np.iinfo(dtype).max, n, dtype=dtype, endpoint=True)
    moved = rng.random(n) < density
    down = moved & (rng.random(n) < 0.5)
    tuned = base.copy()
    step = np.asarray(step, dtype=dtype)
    tuned[moved & ~down] += step  # wraps, like a move past the top bit pattern
    tuned[down] -= step
    return base, tuned


@pytest.mark.parametrize("dtype", WIDTHS)
def test_a_chunk_decodes_to_the_tuned_bits_for_every_width(dtype):
    base, tuned = _pair(dtype, 5000, 0.3, 1)
    tuned[:3] = base[:3] - dtype(1)  # moves down as well as up
    chunk = encode_sparse(base, tuned)
    assert chunk.count == np.count_nonzero(base != tuned)
    np.testing.assert_array_equal(decode_sparse(base, chunk), tuned)


def test_sparse_positions_are_stored_as_gaps_and_dense_ones_as_a_bitmask():
    sparse = encode_sparse(*_pair(np.uint16, 1 << 16, 0.001, 1))
    dense = encode_sparse(*_pair(np.uint16, 1 << 16, 0.4, 1))
    assert (sparse.positions, dense.positions) == (GAPS, BITMASK)


def test_small_moves_are_stored_as_differences_and_values_set_to_a_constant_raw():
    small = encode_sparse(*_pair(np.uint16, 1 << 16, 0.2, 1))
    base, _ = _pair(np.uint16, 1 << 16, 0.0, 0)
    zeroed = np.where(np.arange(base.size) % 3 == 0, np.uint16(0), base)
    assert (small.values, encode_sparse(base, zeroed).values) == (DIFF, RAW)
    assert len(small.value_frame) < small.count // 4  # a one-ULP move costs under 2 bits


def test_a_one_ulp_move_of_a_fifth_of_the_entries_costs_about_one_bit_per_entry():
    base, tuned = _pair(np.uint16, 1 << 20, 0.2, 1)
    chunk = encode_sparse(base, tuned)
    bits = 8 * (len(chunk.position_frame) + len(chunk.value_frame)) / base.size
    # entropy of the mask alone: H(0.2) = 0.72 bit per entry; the sign of each move: 0.2 bit
    assert 0.9 < bits < 1.2


def test_a_chunk_where_everything_changed_stores_no_positions():
    base, tuned = _pair(np.uint32, 1000, 1.0, 3)
    chunk = encode_sparse(base, tuned)
    assert (chunk.count, chunk.positions, chunk.position_frame) == (1000, IMPLIED, b"")
    np.testing.assert_array_equal(decode_sparse(base, chunk), tuned)


def test_an_unchanged_chunk_encodes_to_nothing():
    base, _ = _pair(np.uint16, 1000, 0.0, 0)
    assert encode_sparse(base, base.copy()) == Encoded(0, IMPLIED, b"", 0, b"")
    np.testing.assert_array_equal(decode_sparse(base, encode_sparse(base, base)), base)


def test_a_given_mask_decides_which_entries_are_carried():
    base, tuned = _pair(np.uint16, 100, 1.0, 5)
    mask = np.zeros(100, np.bool_)
    mask[[3, 50]] = True
    rebuilt = decode_sparse(base, encode_sparse(base, tuned, mask))
    np.testing.assert_array_equal(rebuilt[mask], tuned[mask])
    np.testing.assert_array_equal(rebuilt[~mask], base[~mask])


@pytest.mark.parametrize("dtype", WIDTHS)
def test_a_full_chunk_round_trips(dtype):
    _, tuned = _pair(dtype, 777, 0.5, 9)
    chunk = encode_full(tuned)
    assert (chunk.positions, chunk.values) == (IMPLIED, RAW)
    np.testing.assert_array_equal(decode_full(np.dtype(dtype), 777, chunk), tuned)


def test_a_frame_that_does_not_decode_raises_corrupt_frame():
    base, tuned = _pair(np.uint16, 4096, 0.3, 1)
    chunk = encode_sparse(base, tuned)
    flipped = bytearray(chunk.value_frame)
    flipped[len(flipped) // 2] ^= 0xFF
    for bad in (
        chunk._replace(value_frame=bytes(flipped)),
        chunk._replace(value_frame=chunk.value_frame[:-5]),
        chunk._replace(count=chunk.count + 1),
        chunk._replace(positions=7),
        chunk._replace(values=7),
        chunk._replace(position_frame=compress(np.full(10, 200, np.uint8))),
    ):
        with pytest.raises(CorruptFrame):
            decode_sparse(base, bad)
    with pytest.raises(CorruptFrame):
        decode_full(np.dtype(np.uint16), 10, chunk)


@SETTINGS
@given(
    width=st.sampled_from(WIDTHS),
    n=st.integers(1, 3000),
    density=st.floats(0, 1),
    step=st.integers(0, 2**64 - 1),
    seed=st.integers(0, 2**16),
)
def test_any_chunk_round_trips(width, n, density, step, seed):
    base, tuned = _pair(width, n, density, step % (np.iinfo(width).max + 1), seed)
    np.testing.assert_array_equal(decode_sparse(base, encode_sparse(base, tuned)), tuned)
