import json
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fixtures.planted import write_checkpoint, write_planted_pair
from rlsparse_check.checkpoints import (
    align,
    decode_bf16,
    encode_bf16,
    open_checkpoint,
    read_safetensors_header,
    write_safetensors,
)
from rlsparse_check.errors import CheckpointError, MismatchError, OptionError

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, database=None)
GRID = (np.arange(-8, 8, dtype=np.float64) / 4).reshape(4, 4)


def _write_raw(path, header: dict, data: bytes = b"", length: int | None = None):
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text) if length is None else length) + text + data)
    return path


# ----- reading what was written -------------------------------------------------------------


@pytest.mark.parametrize(
    "dtype, bits",
    [
        ("bfloat16", np.uint16),
        ("float16", np.uint16),
        ("float32", np.uint32),
        ("float64", np.uint64),
    ],
)
def test_each_float_dtype_round_trips_through_the_writer_and_reader(tmp_path, dtype, bits):
    write_safetensors(tmp_path / "m.safetensors", {"w": GRID}, dtype=dtype)
    ckpt = open_checkpoint(tmp_path / "m.safetensors")
    spec = ckpt.spec("w")
    assert (spec.dtype, spec.shape, spec.numel, spec.nbytes) == (
        dtype,
        (4, 4),
        16,
        16 * np.dtype(bits).itemsize,
    )
    assert ckpt.raw("w").dtype == bits and not ckpt.raw("w").flags.writeable
    np.testing.assert_array_equal(ckpt.values("w", np.float64), GRID)


def test_spec_offsets_point_at_the_tensor_bytes(tmp_path):
    file = write_safetensors(
        tmp_path / "m.safetensors",
        {"a": np.arange(3, dtype=np.float32), "b": np.ones(2, np.float64)},
    )
    spec = read_safetensors_header(file)["b"]
    raw = file.read_bytes()[spec.offset : spec.offset + spec.nbytes]
    assert np.frombuffer(raw, np.float64).tolist() == [1.0, 1.0]


def test_files_written_by_the_safetensors_package_are_read_bit_exactly(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    tensor = torch.linspace(-3, 3, 12, dtype=torch.float32).reshape(3, 4)
    save_file({"x": tensor.to(torch.bfloat16), "y": tensor.half()}, tmp_path / "m.safetensors")
    ckpt = open_checkpoint(tmp_path / "m.safetensors")
    expected = tensor.to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
    np.testing.assert_array_equal(ckpt.raw("x"), expected)
    np.testing.assert_array_equal(ckpt.values("y"), tensor.half().float().numpy())


def test_files_from_the_writer_are_read_by_the_safetensors_package(tmp_path):
    from safetensors.numpy import load_file

    write_safetensors(
        tmp_path / "m.safetensors",
        {"a": GRID, "b": np.arange(5)},
        dtype={"a": "float16", "b": "int64"},
        metadata={"format": "np"},
    )
    loaded = load_file(tmp_path / "m.safetensors")
    np.testing.assert_array_equal(loaded["a"], GRID.astype(np.float16))
    assert loaded["b"].dtype == np.int64


def test_writer_replaces_the_file_atomically_and_leaves_no_temp_file(tmp_path):
    write_safetensors(tmp_path / "m.safetensors", {"a": np.zeros(2, np.float32)})
    write_safetensors(tmp_path / "m.safetensors", {"b": np.ones(3, np.float32)})
    assert open_checkpoint(tmp_path / "m.safetensors").names == ["b"]
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]


def test_writer_refuses_a_dtype_it_cannot_store(tmp_path):
    with pytest.raises(OptionError, match="'a'.*complex128"):
        write_safetensors(tmp_path / "m.safetensors", {"a": np.zeros(2, np.complex128)})


def test_unsigned_arrays_are_stored_as_raw_bits_of_the_target_dtype(tmp_path):
    bits = np.array([0x3F80, 0x8000, 0x7FC1], np.uint16)
    write_safetensors(tmp_path / "m.safetensors", {"a": bits}, dtype="bfloat16")
    np.testing.assert_array_equal(open_checkpoint(tmp_path / "m.safetensors").raw("a"), bits)


def test_empty_and_scalar_tensors_are_readable(tmp_path):
    write_safetensors(
        tmp_path / "m.safetensors", {"e": np.zeros((0, 3), np.float32), "s": np.float32(2.5)}
    )
    ckpt = open_checkpoint(tmp_path / "m.safetensors")
    assert ckpt.raw("e").shape == (0, 3) and ckpt.values("s") == 2.5


def test_chunks_cover_the_tensor_in_bounded_pieces(tmp_path):
    data = np.arange(1000, dtype=np.float32)
    write_safetensors(tmp_path / "m.safetensors", {"a": data})
    with open_checkpoint(tmp_path / "m.safetensors") as ckpt:
        pieces = [p.copy() for p in ckpt.chunks("a", 64)]
    assert max(p.size for p in pieces) == 64 and len(pieces) == 16
    np.testing.assert_array_equal(np.concatenate(pieces).view(np.float32), data)


# ----- folders, shards and .bin -------------------------------------------------------------


@pytest.mark.parametrize("shards", [1, 3])
def test_a_folder_is_opened_whether_sharded_or_not(tmp_path, shards):
    tensors = {f"t{i}": np.full(4, i, np.float32) for i in range(5)}
    write_checkpoint(tmp_path, tensors, shards=shards)
    ckpt = open_checkpoint(tmp_path)
    assert ckpt.names == sorted(tensors) and "t3" in ckpt and len(ckpt) == 5
    assert ckpt.values("t3").tolist() == [3.0] * 4
    assert len({ckpt.spec(n).file for n in ckpt.names}) == shards


def test_the_index_file_itself_can_be_given(tmp_path):
    write_checkpoint(
        tmp_path, {"a": np.ones(2, np.float32), "b": np.zeros(2, np.float32)}, shards=2
    )
    assert open_checkpoint(tmp_path / "model.safetensors.index.json").names == ["a", "b"]


def test_pytorch_bin_checkpoints_are_read_with_the_same_bits(tmp_path):
    torch = pytest.importorskip("torch")
    tensor = torch.linspace(-1, 1, 10).reshape(2, 5)
    torch.save(
        {"w": tensor.to(torch.bfloat16), "b": tensor[0].clone()}, tmp_path / "pytorch_model.bin"
    )
    ckpt = open_checkpoint(tmp_path)
    assert ckpt.spec("w").dtype == "bfloat16" and ckpt.spec("b").dtype == "float32"
    np.testing.assert_array_equal(ckpt.raw("w"), encode_bf16(tensor.numpy()))
    np.testing.assert_array_equal(
        np.concatenate(list(ckpt.chunks("b", 2))).view(np.float32), tensor[0].numpy()
    )


def test_a_corrupt_bin_file_is_a_clear_error(tmp_path):
    (tmp_path / "pytorch_model.bin").write_bytes(b"not a pickle at all")
    with pytest.raises(
        CheckpointError, match=r"pytorch_model\.bin: cannot read PyTorch checkpoint"
    ):
        open_checkpoint(tmp_path)


# ----- bf16 ---------------------------------------------------------------------------------


def test_every_non_nan_bf16_pattern_decodes_and_encodes_back_to_itself():
    bits = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)
    values = decode_bf16(bits)
    not_nan = ~np.isnan(values)
    np.testing.assert_array_equal(encode_bf16(values)[not_nan], bits[not_nan])
    assert np.isnan(decode_bf16(encode_bf16(values[~not_nan]))).all()


@SETTINGS
@given(hnp.arrays(np.float32, st.integers(1, 64), elements=st.floats(width=32, allow_nan=False)))
def test_bf16_encoding_rounds_to_nearest_even_like_torch(x):
    torch = pytest.importorskip("torch")
    expected = torch.from_numpy(x).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
    np.testing.assert_array_equal(encode_bf16(x), expected)


def test_bf16_ties_go_to_the_even_neighbour():
    one, next_up = 0x3F80, 0x3F81
    halfway_even = np.array([(one << 16) | 0x8000], np.uint32).view(np.float32)
    halfway_odd = np.array([(next_up << 16) | 0x8000], np.uint32).view(np.float32)
    assert encode_bf16(halfway_even)[0] == one and encode_bf16(halfway_odd)[0] == next_up + 1


# ----- bad files ----------------------------------------------------------------------------


def _valid(tmp_path):
    return write_safetensors(tmp_path / "m.safetensors", {"w": np.ones((4, 4), np.float32)})


def test_a_truncated_file_names_the_file_and_says_to_re_download(tmp_path):
    file = _valid(tmp_path)
    file.write_bytes(file.read_bytes()[:-10])
    with pytest.raises(
        CheckpointError, match=r"m\.safetensors: truncated: tensor 'w'.*re-download"
    ):
        open_checkpoint(file)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\x01\x02", "truncated safetensors file"),
        (struct.pack("<Q", 1 << 40) + b"{}", "corrupt or truncated"),
        (struct.pack("<Q", 5) + b"{oops", "corrupt safetensors header"),
        (struct.pack("<Q", 2) + b"[]", "not a JSON object"),
    ],
)
def test_a_corrupt_file_start_is_a_clear_error(tmp_path, content, message):
    (tmp_path / "m.safetensors").write_bytes(content)
    with pytest.raises(CheckpointError, match=message):
        open_checkpoint(tmp_path / "m.safetensors")


@pytest.mark.parametrize(
    "entry, message",
    [
        ({"dtype": "Q7", "shape": [2], "data_offsets": [0, 8]}, "unknown dtype 'Q7'"),
        ({"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}, "needs 12 bytes"),
        ({"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}, "not a list of non-negative"),
        ({"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}, r"not \[begin, end\]"),
        ({"dtype": "F32", "shape": [2]}, "data_offsets"),
        ("nonsense", "not an object"),
    ],
)
def test_an_inconsistent_header_entry_is_a_clear_error(tmp_path, entry, message):
    file = _write_raw(tmp_path / "m.safetensors", {"w": entry}, b"\0" * 8)
    with pytest.raises(CheckpointError, match=f"m.safetensors.*{message}"):
        open_checkpoint(file)


def test_overlapping_tensors_are_a_corrupt_header(tmp_path):
    header = {
        "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
        "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]},
    }
    with pytest.raises(CheckpointError, match="'a' and 'b' overlap"):
        open_checkpoint(_write_raw(tmp_path / "m.safetensors", header, b"\0" * 12))


def test_a_tensor_listed_twice_is_a_corrupt_header(tmp_path):
    entry = b'{"dtype":"U8","shape":[1],"data_offsets":[0,1]}'
    text = b'{"a":' + entry + b',"a":' + entry + b"}"
    (tmp_path / "m.safetensors").write_bytes(struct.pack("<Q", len(text)) + text + b"\0")
    with pytest.raises(CheckpointError, match="listed twice"):
        open_checkpoint(tmp_path / "m.safetensors")


def test_a_missing_path_says_what_to_give(tmp_path):
    with pytest.raises(CheckpointError, match="nowhere: no such file or folder: give a checkpoint"):
        open_checkpoint(tmp_path / "nowhere")


def test_a_folder_without_a_checkpoint_is_a_clear_error(tmp_path):
    (tmp_path / "README").write_text("hi")
    with pytest.raises(CheckpointError, match="no checkpoint found in this folder"):
        open_checkpoint(tmp_path)


def test_an_unknown_file_type_is_a_clear_error(tmp_path):
    (tmp_path / "weights.txt").write_text("hi")
    with pytest.raises(CheckpointError, match="unknown checkpoint format"):
        open_checkpoint(tmp_path / "weights.txt")


def _sharded(tmp_path):
    write_checkpoint(
        tmp_path, {"a": np.ones(2, np.float32), "b": np.zeros(2, np.float32)}, shards=2
    )
    return tmp_path / "model.safetensors.index.json"


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda index: "{not json", "not a JSON object with a weight_map"),
        (lambda index: json.dumps({"metadata": {}}), "'weight_map' must map"),
        (lambda index: json.dumps({"weight_map": {"a": 3}}), "'weight_map' must map"),
        (
            lambda index: json.dumps(
                {"weight_map": {**index["weight_map"], "c": "gone.safetensors"}}
            ),
            "shard gone.safetensors listed for tensor 'c' is missing",
        ),
        (
            lambda index: json.dumps(
                {"weight_map": {"a": index["weight_map"]["b"], "b": index["weight_map"]["b"]}}
            ),
            "tensor 'a' is mapped to model-00002-of-00002.safetensors but that shard does not",
        ),
    ],
)
def test_a_bad_shard_index_is_a_clear_error(tmp_path, edit, message):
    index = _sharded(tmp_path)
    index.write_text(edit(json.loads(index.read_text())))
    with pytest.raises(
        CheckpointError, match=f"index.json: bad shard index.*{message}.*regenerate"
    ):
        open_checkpoint(tmp_path)


# ----- alignment ----------------------------------------------------------------------------


def test_sides_sharded_differently_align_tensor_by_tensor(tmp_path):
    pair = write_planted_pair(tmp_path, base_shards=1, tuned_shards=3, dtype="mixed")
    pairs = align(open_checkpoint(pair.base), open_checkpoint(pair.tuned))
    assert [a.name for a, _ in pairs] == sorted(pair.moves)
    assert all(a.dtype == b.dtype == pair.dtypes[a.name] for a, b in pairs)


def test_a_key_on_one_side_names_it_and_suggests_skip_missing_for_tied_embeddings(tmp_path):
    pair = write_planted_pair(tmp_path, lm_head="tuned")
    with pytest.raises(MismatchError) as error:
        align(open_checkpoint(pair.base), open_checkpoint(pair.tuned))
    message = str(error.value)
    assert "'lm_head.weight' is only in TUNED" in message
    assert (
        "--skip-missing" in message and "tied embeddings" in message and "embed_tokens" in message
    )
    pairs = align(open_checkpoint(pair.base), open_checkpoint(pair.tuned), skip_missing=True)
    assert "lm_head.weight" not in {a.name for a, _ in pairs}


def _pair(tmp_path, base: dict, tuned: dict):
    write_safetensors(tmp_path / "a.safetensors", base)
    write_safetensors(tmp_path / "b.safetensors", tuned)
    return open_checkpoint(tmp_path / "a.safetensors"), open_checkpoint(tmp_path / "b.safetensors")


def test_a_shape_mismatch_names_the_tensor_and_both_shapes(tmp_path):
    base, tuned = _pair(
        tmp_path, {"w": np.zeros((2, 3), np.float32)}, {"w": np.zeros((3, 2), np.float32)}
    )
    with pytest.raises(
        MismatchError, match=r"'w' has shape \(2, 3\) in BASE but \(3, 2\) in TUNED"
    ):
        align(base, tuned)


def test_a_dtype_mismatch_names_the_tensor_and_says_to_save_alike(tmp_path):
    base, tuned = _pair(tmp_path, {"w": np.zeros(2, np.float32)}, {"w": np.zeros(2, np.float16)})
    with pytest.raises(
        MismatchError, match="'w' is float32 in BASE but float16 in TUNED.*same dtype"
    ):
        align(base, tuned)


def test_checkpoints_with_no_common_tensor_cannot_be_compared_even_when_skipping(tmp_path):
    base, tuned = _pair(tmp_path, {"a": np.zeros(2, np.float32)}, {"b": np.zeros(2, np.float32)})
    with pytest.raises(MismatchError, match="share no tensor names"):
        align(base, tuned, skip_missing=True)


def test_sharded_pytorch_bin_checkpoints_are_read_through_their_index(tmp_path):
    torch = pytest.importorskip("torch")
    torch.save({"a": torch.ones(3)}, tmp_path / "pytorch_model-1.bin")
    torch.save({"b": torch.zeros(2, dtype=torch.float16)}, tmp_path / "pytorch_model-2.bin")
    weight_map = {"a": "pytorch_model-1.bin", "b": "pytorch_model-2.bin"}
    (tmp_path / "pytorch_model.bin.index.json").write_text(json.dumps({"weight_map": weight_map}))
    ckpt = open_checkpoint(tmp_path)
    assert ckpt.names == ["a", "b"] and ckpt.spec("b").dtype == "float16"
    assert ckpt.values("a").tolist() == [1.0, 1.0, 1.0]


def test_pages_of_each_chunk_are_released_after_use(tmp_path, monkeypatch):
    import rlsparse_check.checkpoints as checkpoints

    released = []
    monkeypatch.setattr(checkpoints, "_release", lambda mm, offset, n: released.append((offset, n)))
    write_safetensors(tmp_path / "m.safetensors", {"a": np.arange(100, dtype=np.float32)})
    ckpt = open_checkpoint(tmp_path / "m.safetensors")
    start = ckpt.spec("a").offset
    assert sum(p.size for p in ckpt.chunks("a", 32)) == 100
    assert released == [(start, 128), (start + 128, 128), (start + 256, 128), (start + 384, 16)]


def test_reading_a_bin_file_without_torch_says_how_to_install_it(tmp_path, monkeypatch):
    (tmp_path / "pytorch_model.bin").write_bytes(b"\0")
    monkeypatch.setitem(__import__("sys").modules, "torch", None)
    with pytest.raises(CheckpointError, match=r"needs torch: `pip install torch==2\.13\.0`"):
        open_checkpoint(tmp_path)
