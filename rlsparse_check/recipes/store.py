"""Writing checkpoint folders: weights in the storage dtype, config, tokenizer, hashes, and
atomic copies of finished folders.

Training always keeps fp32 master weights; :func:`save_checkpoint` rounds a *copy* of them to the
storage dtype (bfloat16 rounds to nearest even, as ``torch.Tensor.to`` does), so base and tuned
checkpoints are stored alike and the master weights are never touched.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from rlsparse_check.atomic import write_json
from rlsparse_check.errors import OptionError
from rlsparse_check.hashes import (
    MANIFEST,
    recorded_weights_sha256,
    sha256_file,
    weights_sha256,
    weights_sha256_of,
)

__all__ = [
    "MANIFEST",
    "SAVE_DTYPES",
    "publish",
    "recorded_weights_sha256",
    "save_checkpoint",
    "sha256_file",
    "weights_sha256",
    "weights_sha256_of",
]

SAVE_DTYPES = ("bfloat16", "float32")


def save_checkpoint(model: Any, tokenizer: Any, out: Path, save_dtype: str) -> Path:
    """Write ``model`` (weights rounded to ``save_dtype``), its config and tokenizer to ``out``."""
    import torch

    if save_dtype not in SAVE_DTYPES:
        raise OptionError(f"--save-dtype {save_dtype!r}: choose one of {', '.join(SAVE_DTYPES)}")
    dtype = getattr(torch, save_dtype)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    state, seen = {}, set()
    for name, tensor in model.state_dict().items():
        if tensor.data_ptr() in seen:  # tied weights (e.g. lm_head = embeddings): stored once
            continue
        seen.add(tensor.data_ptr())
        state[name] = tensor.detach().to(device="cpu", dtype=dtype).contiguous()
    model.save_pretrained(str(out), state_dict=state)
    config = json.loads((out / "config.json").read_text())
    config["dtype"] = save_dtype  # the storage dtype, not the fp32 of the master weights
    write_json(out / "config.json", config)
    tokenizer.save_pretrained(str(out))
    return out


def publish(folder: Path, out: Path) -> Path:
    """Copy a run folder to ``out`` atomically (an existing run folder there is replaced)."""
    out = Path(out).expanduser().resolve()
    if out.exists() and any(out.iterdir()) and not (out / "config.json").exists():
        raise OptionError(f"--out {out}: exists and is not a checkpoint folder; choose another")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    shutil.copytree(folder, tmp, dirs_exist_ok=True)
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)
    return out
