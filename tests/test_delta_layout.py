import json

import numpy as np
import pytest

from fixtures.planted import write_checkpoint
from rlsparse_check.checkpoints import write_safetensors
from rlsparse_check.delta.layout import open_side, read_layout, safe_name
from rlsparse_check.errors import CheckpointError

TENSORS = {"a": np.ones((2, 3)), "b": np.zeros(4), "c": np.arange(5.0)}


def _layout(path):
    with open_side(path, "TUNED") as ckpt:
        return read_layout(path, ckpt)


def test_a_sharded_folder_lists_its_shards_headers_and_other_files(tmp_path):
    write_checkpoint(tmp_path, TENSORS, dtype="bfloat16", shards=2)
    (tmp_path / "config.json").write_text("{}")
    layout = _layout(tmp_path)
    assert layout.kind == "folder"
    assert [w.name for w in layout.weights] == [
        "model-00001-of-00002.safetensors",
        "model-00002-of-00002.safetensors",
    ]
    assert [w.tensors for w in layout.weights] == [("a", "b"), ("c",)]
    first = (tmp_path / layout.weights[0].name).read_bytes()
    assert first.startswith(layout.weights[0].header) and layout.weights[0].size == len(first)
    assert [f.name for f in layout.carried] == ["config.json", "model.safetensors.index.json"]
    assert layout.nbytes == sum(p.stat().st_size for p in tmp_path.iterdir())


def test_the_index_file_itself_opens_the_folder(tmp_path):
    write_checkpoint(tmp_path, TENSORS, dtype="bfloat16", shards=3)
    layout = _layout(tmp_path / "model.safetensors.index.json")
    assert layout.kind == "folder" and len(layout.weights) == 3


def test_a_single_file_has_no_other_files(tmp_path):
    write_safetensors(tmp_path / "w.safetensors", TENSORS, dtype="float32")
    (tmp_path / "config.json").write_text("{}")
    layout = _layout(tmp_path / "w.safetensors")
    assert (layout.kind, [w.name for w in layout.weights], layout.carried) == (
        "file",
        ["w.safetensors"],
        (),
    )


def test_a_shard_tensor_missing_from_the_index_is_refused(tmp_path):
    write_checkpoint(tmp_path, TENSORS, dtype="bfloat16", shards=2)
    index = json.loads((tmp_path / "model.safetensors.index.json").read_text())
    del index["weight_map"]["b"]
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps(index))
    with pytest.raises(CheckpointError, match="holds tensor 'b', which the shard index does not"):
        _layout(tmp_path)


def test_a_folder_without_safetensors_weights_says_what_to_give(tmp_path):
    with pytest.raises(CheckpointError, match="TUNED .*no safetensors checkpoint in this folder"):
        _layout(tmp_path)
    (tmp_path / "model-1.bin").write_bytes(b"")
    with pytest.raises(CheckpointError, match="PyTorch .bin weights cannot be patched"):
        _layout(tmp_path)


@pytest.mark.parametrize("name", ["", "../x", "a/../../x", "/abs", "a\\b", 3])
def test_names_outside_the_folder_are_not_safe(name):
    with pytest.raises(ValueError):
        safe_name(name)
    assert safe_name("sub/model.safetensors") == "sub/model.safetensors"
