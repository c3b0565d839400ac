"""Helpers of the delta tests: checkpoints written from raw bits, and bitwise comparisons."""

from __future__ import annotations

import filecmp
import json
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from fixtures.planted import write_checkpoint
from rlsparse_check.checkpoints import bits_dtype, open_checkpoint
from rlsparse_check.safetensors_format import ITEMSIZE

#: Every dtype the safetensors reader knows, stored as raw bits.
ALL_DTYPES = tuple(ITEMSIZE)


@contextmanager
def small_chunks(entries: int = 64):
    """Encode patches in chunks of ``entries`` so that small tensors span several chunks."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("rlsparse_check.delta.make.CHUNK", entries)
        yield


def random_bits(rng: np.random.Generator, dtype: str, shape: tuple) -> np.ndarray:
    """Random stored bits of ``dtype`` (0 or 1 for bool, any pattern otherwise)."""
    top = 1 if dtype == "bool" else np.iinfo(bits_dtype(dtype)).max
    return rng.integers(0, top, size=shape, dtype=bits_dtype(dtype), endpoint=True)


def write_bits(folder: Path, tensors: dict, shards: int = 1) -> Path:
    """Write ``{name: (dtype, raw bits)}`` as a checkpoint folder."""
    arrays = {name: bits for name, (_, bits) in tensors.items()}
    dtypes = {name: dtype for name, (dtype, _) in tensors.items()}
    return write_checkpoint(folder, arrays, dtype=dtypes, shards=shards)


def assert_same_tensors(rebuilt: Path, tuned: Path) -> None:
    """Same tensor names, dtypes, shapes and stored bits."""
    with open_checkpoint(rebuilt) as a, open_checkpoint(tuned) as b:
        assert a.names == b.names
        for name in b.names:
            got, want = a.spec(name), b.spec(name)
            assert (got.dtype, got.shape) == (want.dtype, want.shape), name
            np.testing.assert_array_equal(a.raw(name), b.raw(name), err_msg=name, strict=True)


def assert_same_files(rebuilt: Path, tuned: Path) -> None:
    """The same file names, each byte for byte."""
    names = sorted(p.name for p in tuned.iterdir())
    assert sorted(p.name for p in rebuilt.iterdir()) == names
    match, mismatch, errors = filecmp.cmpfiles(tuned, rebuilt, names, shallow=False)
    assert (mismatch, errors) == ([], [])


PEAK_RSS = """
import json, re, sys
from rlsparse_check.cli import main
code = main(sys.argv[1:])
with open("/proc/self/status") as f:  # this process's own peak; ru_maxrss would include the
    peak = int(re.search(r"VmHWM:\\s+(\\d+)", f.read()).group(1)) * 1024  # parent's at fork
print(json.dumps({"code": code, "peak": peak, "torch": "torch" in sys.modules}))
"""


def run_measured(*argv: str) -> dict:
    """``rlsparse-check ARGV`` in a fresh interpreter: exit code, peak RSS, whether torch loaded."""
    done = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, *argv], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])
