import json
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fixtures.planted import LARGE_STEP, SMALL_STEP, write_planted_pair
from rlsparse_check.checkpoints import Checkpoint, open_checkpoint, write_safetensors
from rlsparse_check.diff import diff_checkpoints, sparsity_at_tolerances
from rlsparse_check.errors import OptionError

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, database=None)
LAYOUTS = {
    "bf16, unsharded": {"dtype": "bfloat16"},
    "mixed dtypes, sharded 2 vs 3": {"dtype": "mixed", "base_shards": 2, "tuned_shards": 3},
    "f32, unsharded vs sharded": {"dtype": "float32", "tuned_shards": 4},
    "f16, sharded vs unsharded": {"dtype": "float16", "base_shards": 3},
    "f64 with an untied lm_head": {"dtype": "float64", "lm_head": "both"},
}


@pytest.fixture(scope="module", params=list(LAYOUTS))
def planted(request, tmp_path_factory):
    return write_planted_pair(tmp_path_factory.mktemp("pair"), seed=7, **LAYOUTS[request.param])


def _counts(result):
    return {name: t.changed for name, t in result.tensors.items()}


def test_bitwise_counts_are_exact_per_tensor(planted):
    result = diff_checkpoints(planted.base, planted.tuned)
    assert _counts(result) == planted.changed(0.0)
    assert result.total == sum(planted.numel().values())
    assert result.changed == planted.total_changed(0.0)
    assert result.sparsity == pytest.approx(1 - result.changed / result.total)


@pytest.mark.parametrize(
    "atol, small_counted, large_counted",
    [
        (SMALL_STEP / 2, True, True),
        (np.nextafter(SMALL_STEP, 0), True, True),
        (SMALL_STEP, False, True),  # |a - b| <= atol is unchanged, also exactly at the boundary
        ((SMALL_STEP + LARGE_STEP) / 2, False, True),
        (np.nextafter(LARGE_STEP, 0), False, True),
        (LARGE_STEP, False, False),
        (1.0, False, False),
    ],
)
def test_tolerance_counts_changes_above_atol_only(planted, atol, small_counted, large_counted):
    result = diff_checkpoints(planted.base, planted.tuned, atol=float(atol))
    expected = {
        n: int(np.count_nonzero((m == 1) & small_counted | (m == 2) & large_counted))
        for n, m in planted.moves.items()
    }
    assert _counts(result) == expected == planted.changed(float(atol))
    assert result.atol == float(atol)


def test_masks_kept_in_the_same_pass_are_the_planted_masks(planted):
    for atol in (0.0, SMALL_STEP):
        masks = diff_checkpoints(planted.base, planted.tuned, atol=atol, keep_masks=True).masks
        assert masks.names == sorted(planted.moves)
        for name in planted.moves:
            np.testing.assert_array_equal(masks.dense(name), planted.mask(name, atol))


def test_several_tolerances_in_one_pass_give_the_planted_counts(planted):
    atols = (0.0, 1e-8, SMALL_STEP, LARGE_STEP)
    results = sparsity_at_tolerances(planted.base, planted.tuned, atols=atols)
    assert list(results) == list(atols)
    for atol, result in results.items():
        assert _counts(result) == planted.changed(atol), atol
        assert result.atol == atol
    # the planted answers differ between the tolerances, so a mixed-up order would show
    assert planted.total_changed(0.0) > planted.total_changed(SMALL_STEP) > 0
    assert planted.total_changed(LARGE_STEP) == 0


@pytest.mark.parametrize("chunk", [8, 24, 1000])
def test_chunked_comparison_gives_the_planted_counts_and_masks(planted, chunk):
    chunked = diff_checkpoints(
        planted.base, planted.tuned, atol=SMALL_STEP, keep_masks=True, chunk_elems=chunk
    )
    assert _counts(chunked) == planted.changed(SMALL_STEP)
    assert chunked.masks.names == sorted(planted.moves)
    for name in planted.moves:
        np.testing.assert_array_equal(chunked.masks.dense(name), planted.mask(name, SMALL_STEP))


def test_json_has_the_documented_keys_and_adds_up(planted):
    data = json.loads(json.dumps(diff_checkpoints(planted.base, planted.tuned).to_json()))
    assert set(data) == {"total", "changed", "sparsity", "atol", "tensors", "layers", "kinds"}
    assert set(next(iter(data["tensors"].values()))) == {"numel", "changed", "sparsity", "dtype"}
    for key in ("layers", "kinds"):
        assert sum(g["numel"] for g in data[key].values()) == data["total"]
        assert sum(g["changed"] for g in data[key].values()) == data["changed"]
    assert data["tensors"]["model.norm.weight"]["dtype"] == planted.dtypes["model.norm.weight"]


def test_one_sided_tensors_are_skipped_only_when_asked(tmp_path):
    pair = write_planted_pair(tmp_path, lm_head="base", seed=3)
    result = diff_checkpoints(pair.base, pair.tuned, skip_missing=True)
    assert result.skipped == ["lm_head.weight"] and _counts(result) == pair.changed()


def test_open_checkpoints_can_be_passed_and_stay_open(tmp_path):
    pair = write_planted_pair(tmp_path, seed=4)
    base, tuned = open_checkpoint(pair.base), open_checkpoint(pair.tuned)
    assert _counts(diff_checkpoints(base, tuned)) == pair.changed()
    assert isinstance(base, Checkpoint) and _counts(diff_checkpoints(base, tuned)) == pair.changed()


def test_identical_checkpoints_are_fully_sparse(tmp_path):
    pair = write_planted_pair(tmp_path, seed=5)
    result = diff_checkpoints(pair.base, pair.base)
    assert result.changed == 0 and result.sparsity == 1.0


SPECIAL = {
    # name: (base, tuned, changed bitwise, changed at atol=1e-3)
    "signed zero": (0.0, -0.0, 1, 0),
    "same nan": (np.nan, np.nan, 0, 0),
    "nan vs number": (np.nan, 1.0, 1, 1),
    "same infinity": (np.inf, np.inf, 0, 0),
    "opposite infinity": (np.inf, -np.inf, 1, 1),
    "tiny move": (1.0, 1.0 + 2**-20, 1, 0),
}


@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "float64"])
def test_special_values_follow_the_documented_rules(tmp_path, dtype):
    names = list(SPECIAL)
    base = {n: np.array([SPECIAL[n][0]], np.float64) for n in names}
    tuned = {n: np.array([SPECIAL[n][1]], np.float64) for n in names}
    write_safetensors(tmp_path / "a.safetensors", base, dtype=dtype)
    write_safetensors(tmp_path / "b.safetensors", tuned, dtype=dtype)
    bitwise = diff_checkpoints(tmp_path / "a.safetensors", tmp_path / "b.safetensors")
    tolerant = diff_checkpoints(tmp_path / "a.safetensors", tmp_path / "b.safetensors", atol=1e-3)
    moved = dtype != "bfloat16"  # 1 + 2**-20 rounds back to 1.0 in bf16
    for name, (_, _, flips, beyond) in SPECIAL.items():
        expect = flips if name != "tiny move" or moved else 0
        assert bitwise.tensors[name].changed == expect, name
        assert tolerant.tensors[name].changed == beyond, name


def test_nan_payloads_differ_bitwise_but_not_by_being_nan(tmp_path):
    write_safetensors(
        tmp_path / "a.safetensors", {"w": np.array([0x7FC0], np.uint16)}, dtype="bfloat16"
    )
    write_safetensors(
        tmp_path / "b.safetensors", {"w": np.array([0x7FC1], np.uint16)}, dtype="bfloat16"
    )
    assert diff_checkpoints(tmp_path / "a.safetensors", tmp_path / "b.safetensors").changed == 1


@pytest.mark.parametrize("atol", [-1.0, float("nan"), float("inf"), "x"])
def test_a_bad_tolerance_is_refused(tmp_path, atol):
    pair = write_planted_pair(tmp_path, layers=1)
    with pytest.raises(OptionError, match="not a non-negative number"):
        diff_checkpoints(pair.base, pair.tuned, atol=atol)


@SETTINGS
@given(
    hnp.arrays(np.bool_, st.integers(0, 300)),
    st.sampled_from(["bfloat16", "float16", "float32"]),
    st.integers(8, 64),
)
def test_changed_count_equals_the_count_of_a_planted_mask(mask, dtype, chunk):
    import tempfile
    from pathlib import Path

    base = np.linspace(-1, 1, mask.size)
    with tempfile.TemporaryDirectory() as folder:
        a, b = Path(folder, "a.safetensors"), Path(folder, "b.safetensors")
        write_safetensors(a, {"w": base}, dtype=dtype)
        write_safetensors(b, {"w": np.where(mask, base + 0.5, base)}, dtype=dtype)
        result = diff_checkpoints(a, b, keep_masks=True, chunk_elems=chunk)
        assert result.changed == np.count_nonzero(mask)
        np.testing.assert_array_equal(result.masks.dense("w"), mask)


# ----- bigger than a chunk: what lets a model larger than RAM stream through ---------------


def test_a_tensor_many_chunks_long_is_read_in_bounded_pieces(tmp_path, monkeypatch):
    n, chunk = 1 << 21, 1 << 15  # 4 MB per side in bf16, 64 chunks
    rng = np.random.default_rng(11)
    bits = rng.integers(0, 1 << 15, size=n, dtype=np.uint16)
    flip = rng.random(n) < 0.1
    write_safetensors(tmp_path / "a.safetensors", {"w": bits}, dtype="bfloat16")
    write_safetensors(
        tmp_path / "b.safetensors", {"w": bits ^ flip.astype(np.uint16)}, dtype="bfloat16"
    )
    sizes = []
    original = Checkpoint.chunks

    def recording(self, name, chunk_elems):
        for piece in original(self, name, chunk_elems):
            sizes.append(piece.size)
            yield piece

    monkeypatch.setattr(Checkpoint, "chunks", recording)
    tracemalloc.start()
    try:
        result = diff_checkpoints(
            tmp_path / "a.safetensors", tmp_path / "b.safetensors", chunk_elems=chunk
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.changed == np.count_nonzero(flip)
    assert max(sizes) == chunk and sum(sizes) == 2 * n
    # Allocations stay at about one chunk of flags, far below the 8 MB of tensor data read.
    assert peak < 4 * chunk + (256 << 10), peak


def test_a_pytorch_bin_base_compares_with_a_safetensors_tuned_side(tmp_path):
    torch = pytest.importorskip("torch")
    pair = write_planted_pair(tmp_path, dtype="bfloat16", seed=9)
    base = open_checkpoint(pair.base)
    state = {
        n: torch.from_numpy(np.array(base.raw(n)).view(np.int16)).view(torch.bfloat16)
        for n in base.names
    }
    torch.save(state, tmp_path / "base.bin")
    result = diff_checkpoints(tmp_path / "base.bin", pair.tuned, atol=SMALL_STEP)
    assert _counts(result) == pair.changed(SMALL_STEP)


def test_float8_entries_compare_bitwise_but_cannot_take_a_tolerance(tmp_path):
    write_safetensors(
        tmp_path / "a.safetensors", {"w": np.array([1, 2], np.uint8)}, dtype="F8_E4M3"
    )
    write_safetensors(
        tmp_path / "b.safetensors", {"w": np.array([1, 3], np.uint8)}, dtype="F8_E4M3"
    )
    assert diff_checkpoints(tmp_path / "a.safetensors", tmp_path / "b.safetensors").changed == 1
    with pytest.raises(OptionError, match="float8_e4m3fn cannot be decoded.*--atol 0"):
        diff_checkpoints(tmp_path / "a.safetensors", tmp_path / "b.safetensors", atol=0.1)
