"""Sparse update patches: ship a fine-tune as the entries it changed, and rebuild it bit-exactly.

    from rlsparse_check.delta import make_patch, apply_patch, estimate_patch_bytes

    summary = make_patch("base/", "tuned/", "update.delta.safetensors")
    print(summary.line())                      # size, ratio, what was carried how
    apply_patch("base/", "update.delta.safetensors", "rebuilt/")   # == tuned/, verified
    estimate_patch_bytes("base/", "tuned/").patch_bytes            # the size, nothing written

A patch is one safetensors file (any safetensors reader lists it) of ``uint8`` streams: per
changed tensor the positions and new values of its changed entries, chunk by chunk, each stream
compressed with zstd (see :mod:`~rlsparse_check.delta.codec`); tensors only in TUNED, or whose
dtype or shape changed, are carried in full; unchanged tensors cost only their hashes. Its
metadata (:mod:`~rlsparse_check.delta.manifest`) records the sha256 of every BASE and TUNED
tensor and TUNED's files: weight files with their headers verbatim, and small non-weight files
such as ``config.json`` and the tokenizer. Reading and writing stream tensor by tensor, in
memory-mapped chunks, without torch; PyTorch ``.bin`` checkpoints are refused.
"""

from rlsparse_check.delta.apply import apply_patch, patch_summary
from rlsparse_check.delta.make import estimate_patch_bytes, make_patch
from rlsparse_check.delta.manifest import FORMAT, VERSION
from rlsparse_check.delta.summary import PatchSummary, TensorPatch

__all__ = [
    "make_patch",
    "apply_patch",
    "estimate_patch_bytes",
    "patch_summary",
    "PatchSummary",
    "TensorPatch",
    "FORMAT",
    "VERSION",
]
