"""The two checkpoint layouts that are not a single safetensors file: a shard index
(``*.index.json``, shards in safetensors or PyTorch format) and a PyTorch ``.bin`` pickle (the
only reader that imports torch). Both return ``(specs, arrays)``: tensor specs by name, and the
tensors already in memory (as their stored bits) where the format is not memory-mappable.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from rlsparse_check.errors import CheckpointError
from rlsparse_check.safetensors_format import (
    ITEMSIZE,
    TensorSpec,
    bits_dtype,
    read_safetensors_header,
)

__all__ = ["load_torch", "open_index"]


def open_index(index: Path) -> tuple[dict[str, TensorSpec], dict[str, np.ndarray] | None]:
    def bad(why: str) -> CheckpointError:
        return CheckpointError(
            f"{index}: bad shard index ({why}): regenerate the index or re-download the checkpoint"
        )

    try:
        weight_map = json.loads(index.read_text("utf-8")).get("weight_map")
    except (OSError, ValueError, AttributeError) as e:
        raise bad(f"not a JSON object with a weight_map: {e}") from None
    if not (
        isinstance(weight_map, dict)
        and weight_map
        and all(isinstance(v, str) for v in weight_map.values())
    ):
        raise bad("'weight_map' must map tensor names to shard file names")
    shards = {s: index.parent / s for s in sorted(set(weight_map.values()))}
    for shard, file in shards.items():
        if not file.is_file():
            first = next(k for k, v in weight_map.items() if v == shard)
            raise bad(f"shard {shard} listed for tensor {first!r} is missing")
    specs, arrays = {}, {}
    for shard, file in shards.items():
        if file.suffix == ".safetensors":
            shard_specs, shard_arrays = read_safetensors_header(file), {}
        else:
            shard_specs, shard_arrays = load_torch(file)
        for name in (k for k, v in weight_map.items() if v == shard):
            if name not in shard_specs:
                raise bad(f"tensor {name!r} is mapped to {shard} but that shard does not hold it")
            specs[name] = shard_specs[name]
            if name in shard_arrays:
                arrays[name] = shard_arrays[name]
    return specs, (arrays or None)


def load_torch(file: Path) -> tuple[dict[str, TensorSpec], dict[str, np.ndarray]]:
    try:
        import torch  # the only torch import on the read path: PyTorch pickles need it
    except ImportError:
        raise CheckpointError(
            f"{file}: reading PyTorch .bin checkpoints needs torch: `pip install torch==2.13.0`, "
            f"or convert the checkpoint to safetensors"
        ) from None

    try:
        state = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many kinds for bad pickles and zips
        why = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(
            f"{file}: cannot read PyTorch checkpoint ({why[:200]}): re-save "
            f"it with torch.save(model.state_dict(), ...) or as safetensors"
        ) from None
    if not isinstance(state, Mapping):
        raise CheckpointError(
            f"{file}: not a state dict (a mapping of names to tensors): "
            f"re-save it with torch.save(model.state_dict(), ...)"
        )
    specs, arrays = {}, {}
    for name, tensor in state.items():
        dtype = str(getattr(tensor, "dtype", "")).removeprefix("torch.")
        if not isinstance(tensor, torch.Tensor) or dtype not in ITEMSIZE:
            raise CheckpointError(
                f"{file}: entry {name!r} is not a tensor of a supported dtype: "
                f"save a plain state dict of tensors"
            )
        flat = tensor.detach().contiguous().reshape(-1).view(torch.uint8).numpy()
        bits = flat.view(bits_dtype(dtype)).reshape(tuple(tensor.shape))
        bits.flags.writeable = False
        arrays[name] = bits
        specs[name] = TensorSpec(name, dtype, tuple(tensor.shape), file, -1, bits.nbytes)
    return specs, arrays
