import subprocess
import sys

import pytest
from delta_support import assert_same_files, assert_same_tensors, write_bits

from fixtures.planted import write_planted_pair
from rlsparse_check.checkpoints import open_checkpoint
from rlsparse_check.cli import main


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pair")
    planted = write_planted_pair(folder, layers=2, dtype="mixed", base_shards=2, seed=3)
    (planted.tuned / "config.json").write_text("{}")
    assert main(["delta", str(planted.base), str(planted.tuned), "--out", str(folder / "p")]) == 0
    return planted, folder / "p"


def _run(capsys, *argv):
    code = main(["apply", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_apply_rebuilds_tuned_and_prints_one_line(pair, capsys, tmp_path):
    planted, patch = pair
    code, out, err = _run(capsys, planted.base, patch, "--out", tmp_path / "out")
    assert code == 0 and err == "" and out.count("\n") == 1
    assert out.startswith(f"wrote {tmp_path / 'out'}: ") and "each equal to TUNED's" in out
    assert f"({len(planted.moves)} patched, 0 copied from BASE, 0 carried in full)" in out
    assert_same_tensors(tmp_path / "out", planted.tuned)
    assert_same_files(tmp_path / "out", planted.tuned)


def test_another_base_exits_2_naming_the_tensor_and_writes_nothing(pair, capsys, tmp_path):
    planted, patch = pair
    with open_checkpoint(planted.base) as ckpt:
        tensors = {n: (ckpt.spec(n).dtype, ckpt.raw(n).copy()) for n in ckpt.names}
    tensors["model.norm.weight"][1][0] ^= 1
    other = write_bits(tmp_path / "other", tensors)
    code, out, err = _run(capsys, other, patch, "--out", tmp_path / "out")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "tensor 'model.norm.weight' differs from the base this patch was made from" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other"]


def test_a_cut_patch_exits_2_and_writes_nothing(pair, capsys, tmp_path):
    planted, patch = pair
    (tmp_path / "cut").write_bytes(patch.read_bytes()[:-100])
    code, out, err = _run(capsys, planted.base, tmp_path / "cut", "--out", tmp_path / "out")
    assert code == 2 and err.count("\n") == 1 and "is cut short, damaged or not a patch" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut"]


def test_a_folder_that_is_not_empty_needs_overwrite(pair, capsys, tmp_path):
    planted, patch = pair
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.txt").write_text("x")
    code, _, err = _run(capsys, planted.base, patch, "--out", tmp_path / "out")
    assert code == 2 and "exists and is not empty; choose another folder or pass --overwrite" in err
    code, _, _ = _run(capsys, planted.base, patch, "--out", tmp_path / "out", "--overwrite")
    assert code == 0 and not (tmp_path / "out" / "old.txt").exists()
    assert_same_files(tmp_path / "out", planted.tuned)


def test_the_installed_command_reports_a_damaged_patch_without_a_traceback(pair, tmp_path):
    planted, patch = pair
    data = bytearray(patch.read_bytes())
    data[-10] ^= 0xFF
    (tmp_path / "bad").write_bytes(bytes(data))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "rlsparse_check",
            "apply",
            str(planted.base),
            str(tmp_path / "bad"),
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "does not match its sha256" in done.stderr
    assert not (tmp_path / "out").exists()
