import numpy as np
import pytest
from delta_support import assert_same_tensors, small_chunks, write_bits

from fixtures.planted import write_planted_pair
from rlsparse_check.checkpoints import open_checkpoint
from rlsparse_check.delta import apply_patch, make_patch
from rlsparse_check.errors import CheckpointError, MismatchError


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pair")
    planted = write_planted_pair(folder, layers=2, dtype="mixed", tuned_shards=2, seed=7)
    with small_chunks():
        make_patch(planted.base, planted.tuned, folder / "p")
    return planted, folder / "p"


def _nothing_written(parent, out) -> bool:
    """Neither ``out`` nor a temporary folder beside it exists."""
    return not out.exists() and not [p for p in parent.iterdir() if p.name.startswith(".")]


def _other_base(pair, tmp_path, names: list[str]):
    """A copy of the base, sharded another way, with one entry of each of ``names`` changed."""
    with open_checkpoint(pair.base) as ckpt:
        tensors = {n: (ckpt.spec(n).dtype, np.array(ckpt.raw(n))) for n in ckpt.names}
    for name in names:
        tensors[name][1].reshape(-1)[-1] ^= 1
    return write_bits(tmp_path / "other", tensors, shards=3)


def test_another_base_stops_at_the_first_tensor_that_differs_and_writes_nothing(pair, tmp_path):
    planted, patch = pair
    late, early = "model.layers.1.mlp.down_proj.weight", "model.layers.0.self_attn.o_proj.weight"
    other = _other_base(planted, tmp_path, [late, early])
    with pytest.raises(MismatchError) as error:
        apply_patch(other, patch, tmp_path / "out")
    message = str(error.value)
    assert f"tensor {early!r} differs from the base this patch was made from" in message
    assert late not in message and "\n" not in message
    assert message.endswith("apply the patch to the checkpoint it was made from")
    assert _nothing_written(tmp_path, tmp_path / "out")


def test_a_base_of_another_shape_is_refused_before_reading_data(pair, tmp_path):
    planted, patch = pair
    with open_checkpoint(planted.base) as ckpt:
        tensors = {n: (ckpt.spec(n).dtype, np.array(ckpt.raw(n))) for n in ckpt.names}
    dtype, bits = tensors["model.norm.weight"]
    tensors["model.norm.weight"] = (dtype, np.concatenate([bits, bits]))
    other = write_bits(tmp_path / "other", tensors)
    with pytest.raises(MismatchError, match="tensor 'model.norm.weight' is .* the patch was made"):
        apply_patch(other, patch, tmp_path / "out")
    del tensors["model.norm.weight"]
    write_bits(tmp_path / "less", tensors)
    with pytest.raises(MismatchError, match="has no tensor 'model.norm.weight'"):
        apply_patch(tmp_path / "less", patch, tmp_path / "out")
    assert _nothing_written(tmp_path, tmp_path / "out")


@pytest.mark.parametrize("keep", [0, 7, 100, 0.5, 0.9, -1])
def test_a_cut_patch_is_refused_and_nothing_is_written(pair, tmp_path, keep):
    planted, patch = pair
    data = patch.read_bytes()
    cut = tmp_path / "cut"
    cut.write_bytes(data[: int(keep * len(data)) if isinstance(keep, float) else keep])
    with pytest.raises(CheckpointError, match=f"patch {cut}: .*copy it again"):
        apply_patch(planted.base, cut, tmp_path / "out")
    assert _nothing_written(tmp_path, tmp_path / "out")


def test_a_flipped_byte_anywhere_is_refused_and_nothing_is_written(pair, tmp_path):
    planted, patch = pair
    data = patch.read_bytes()
    rng = np.random.default_rng(0)
    bad = tmp_path / "bad"
    for at in [0, 3, 8, 20, len(data) // 3, len(data) - 1, *rng.integers(8, len(data), 30)]:
        flipped = bytearray(data)
        flipped[at] ^= 0x10
        bad.write_bytes(bytes(flipped))
        with pytest.raises(CheckpointError, match=f"patch {bad}: "):
            apply_patch(planted.base, bad, tmp_path / "out")
        assert _nothing_written(tmp_path, tmp_path / "out"), at


def test_a_checkpoint_given_as_a_patch_is_refused(pair, tmp_path):
    planted, _ = pair
    weights = planted.tuned / "model-00001-of-00002.safetensors"
    with pytest.raises(CheckpointError, match="no 'rlsparse-check delta' metadata"):
        apply_patch(planted.base, weights, tmp_path / "out")


def test_a_patch_applied_twice_gives_the_same_checkpoint(pair, tmp_path):
    planted, patch = pair
    for out in ("a", "b"):
        assert_same_tensors(apply_patch(planted.base, patch, tmp_path / out), planted.tuned)
