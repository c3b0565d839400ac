import json
import subprocess
import sys

import numpy as np
import pytest

from fixtures.planted import SMALL_STEP, write_planted_pair
from rlsparse_check.checkpoints import write_safetensors
from rlsparse_check.cli import main
from rlsparse_check.masks import MaskSet


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    return write_planted_pair(
        tmp_path_factory.mktemp("pair"),
        layers=12,
        dtype="mixed",
        base_shards=2,
        lm_head="tuned",
        seed=1,
    )


def _run(capsys, *argv):
    code = main(["diff", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_table_shows_the_global_line_then_layers_and_kinds(pair, capsys):
    code, out, err = _run(capsys, pair.base, pair.tuned, "--skip-missing")
    assert code == 0 and err == ""
    lines = out.splitlines()
    total, changed = sum(pair.numel().values()), pair.total_changed()
    assert next(x for x in lines if x.startswith("all ")).split()[1:3] == [
        f"{total:,}",
        f"{changed:,}",
    ]
    assert "compare bitwise (storage dtype)" in out and "1 skipped: lm_head.weight" in out
    assert _rows(out, "layer") == [str(i) for i in range(12)] + ["none"]
    assert _rows(out, "kind") == ["attention", "mlp", "embedding", "norm"]


def _rows(out: str, title: str) -> list[str]:
    block = out.split(f"\n{title} ", 1)[1].split("\n\n", 1)[0]
    return [line.split()[0] for line in block.splitlines()[1:]]


def test_per_tensor_lists_every_tensor_in_natural_order(pair, capsys):
    code, out, _ = _run(capsys, pair.base, pair.tuned, "--skip-missing", "--per", "tensor")
    names = [line.split()[0] for line in out.splitlines() if line.startswith("model.")]
    assert code == 0 and len(names) == len(pair.moves)
    assert names.index("model.layers.2.mlp.up_proj.weight") < names.index(
        "model.layers.10.mlp.up_proj.weight"
    )
    assert "\nlayer" not in out and "\nkind" not in out


def test_json_output_is_the_result_written_atomically(pair, capsys, tmp_path):
    target = tmp_path / "out" / "diff.json"
    code, out, _ = _run(
        capsys, pair.base, pair.tuned, "--skip-missing", "--atol", SMALL_STEP, "--json", target
    )
    data = json.loads(target.read_text())
    assert code == 0 and "compare |a - b| <= 0.0078125 (float64)" in out
    assert data["atol"] == SMALL_STEP and data["changed"] == pair.total_changed(SMALL_STEP)
    assert {n: t["changed"] for n, t in data["tensors"].items()} == pair.changed(SMALL_STEP)
    assert [p.name for p in target.parent.iterdir()] == ["diff.json"]


def test_masks_option_saves_masks_for_later_use(pair, capsys, tmp_path):
    code, _, _ = _run(
        capsys, pair.base, pair.tuned, "--skip-missing", "--masks", tmp_path / "m.npz"
    )
    masks = MaskSet.load(tmp_path / "m.npz")
    assert code == 0 and masks.names == sorted(pair.moves)
    for name in pair.moves:
        np.testing.assert_array_equal(masks.dense(name), pair.mask(name))


def _bad_inputs(root):
    good = write_planted_pair(root / "good", layers=1, seed=2)
    cases = {"missing path": (root / "nowhere", good.tuned, "nowhere: no such file or folder")}
    trunc = root / "trunc.safetensors"
    trunc.write_bytes((good.base / "model.safetensors").read_bytes()[:-3])
    cases["truncated file"] = (trunc, good.tuned, "trunc.safetensors: truncated")
    corrupt = root / "corrupt.safetensors"
    corrupt.write_bytes(b"\x10\0\0\0\0\0\0\0{{{{{{{{{{{{{{{{")
    cases["corrupt header"] = (
        corrupt,
        good.tuned,
        "corrupt.safetensors: corrupt safetensors header",
    )
    sharded = write_planted_pair(root / "sharded", layers=1, tuned_shards=2, seed=2)
    (sharded.tuned / "model-00002-of-00002.safetensors").unlink()
    cases["bad index"] = (good.base, sharded.tuned, "bad shard index (shard model-00002-of-00002")
    one_sided = write_planted_pair(root / "tied", layers=1, lm_head="base", seed=2)
    cases["key on one side"] = (one_sided.base, one_sided.tuned, "--skip-missing")
    write_safetensors(root / "a.safetensors", {"w": np.zeros((2, 2), np.float32)})
    write_safetensors(root / "b.safetensors", {"w": np.zeros(4, np.float32)})
    write_safetensors(root / "c.safetensors", {"w": np.zeros((2, 2), np.float16)})
    cases["shape mismatch"] = (root / "a.safetensors", root / "b.safetensors", "'w' has shape")
    cases["dtype mismatch"] = (
        root / "a.safetensors",
        root / "c.safetensors",
        "'w' is float32 in BASE",
    )
    return good, cases


BAD = [
    "missing path",
    "truncated file",
    "corrupt header",
    "bad index",
    "key on one side",
    "shape mismatch",
    "dtype mismatch",
]


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory):
    return _bad_inputs(tmp_path_factory.mktemp("bad"))


@pytest.mark.parametrize("case", BAD)
def test_bad_input_exits_2_with_one_clear_line(bad_inputs, capsys, case):
    base, tuned, message = bad_inputs[1][case]
    code, out, err = _run(capsys, base, tuned)
    assert code == 2 and out == ""
    assert (
        err.count("\n") == 1 and err.startswith("rlsparse-check diff: error: ") and message in err
    )


@pytest.mark.parametrize("atol", ["abc", "-1", "nan", "inf"])
def test_a_bad_atol_exits_2_with_one_clear_line(bad_inputs, capsys, atol):
    good = bad_inputs[0]
    code, _, err = _run(capsys, good.base, good.tuned, f"--atol={atol}")
    assert (
        code == 2
        and err.count("\n") == 1
        and f"--atol '{atol}' is not a non-negative number" in err
    )


def test_an_output_path_that_is_a_folder_exits_2(bad_inputs, capsys, tmp_path):
    good = bad_inputs[0]
    code, _, err = _run(capsys, good.base, good.tuned, "--json", tmp_path)
    assert code == 2 and "--json" in err and "is a folder" in err


def _python(code: str):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_diff_on_safetensors_never_imports_torch_or_transformers(pair):
    done = _python(
        "import sys\nfrom rlsparse_check.cli import main\n"
        f"argv = ['diff', {str(pair.base)!r}, {str(pair.tuned)!r}, '--skip-missing']\n"
        "code = main(argv + ['--atol=1e-5'])\n"
        "heavy = [m for m in ('torch', 'transformers', 'trl') if m in sys.modules]\n"
        "print('HEAVY', heavy, 'CODE', code)\n"
    )
    assert "HEAVY [] CODE 0" in done.stdout, done.stderr


def test_the_installed_command_reports_bad_input_without_a_traceback(bad_inputs):
    base, tuned, message = bad_inputs[1]["truncated file"]
    done = subprocess.run(
        [sys.executable, "-m", "rlsparse_check", "diff", str(base), str(tuned)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and message in done.stderr
