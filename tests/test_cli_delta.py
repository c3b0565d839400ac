import json
import subprocess
import sys

import pytest

from fixtures.planted import write_planted_pair
from rlsparse_check.cli import main


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    return write_planted_pair(
        tmp_path_factory.mktemp("pair"), layers=2, dtype="mixed", tuned_shards=2, lm_head="base"
    )


def _run(capsys, *argv):
    code = main(["delta", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_delta_prints_one_line_with_the_size_and_what_was_left_out(pair, capsys, tmp_path):
    code, out, err = _run(capsys, pair.base, pair.tuned, "--out", tmp_path / "p.safetensors")
    assert code == 0 and err == "" and out.count("\n") == 1
    assert out.startswith(f"wrote {tmp_path / 'p.safetensors'}: ") and "% of TUNED's " in out
    assert f"({pair.total_changed() / sum(pair.numel().values()):.2%} of " in out
    assert "1 only in BASE, left out (lm_head.weight)" in out


def test_json_writes_the_per_tensor_summary(pair, capsys, tmp_path):
    code, _, _ = _run(
        capsys, pair.base, pair.tuned, "--out", tmp_path / "p", "--json", tmp_path / "s.json"
    )
    data = json.loads((tmp_path / "s.json").read_text())
    assert code == 0 and data["patch_bytes"] == (tmp_path / "p").stat().st_size
    assert data["tensors"]["lm_head.weight"]["kind"] == "removed"
    assert {n: t["changed"] for n, t in data["tensors"].items() if n in pair.moves} == (
        pair.changed()
    )


@pytest.mark.parametrize(
    "argv, message",
    [
        (["nope", "{tuned}", "--out", "{tmp}/p"], "BASE nope: no such file or folder"),
        (["{base}", "{tuned}", "--out", "{tmp}"], "is a folder; give the patch a file name"),
        (["{base}", "{tuned}", "--out", "{tmp}/exists"], "exists; choose another name"),
    ],
)
def test_bad_input_exits_2_with_one_line(pair, capsys, tmp_path, argv, message):
    (tmp_path / "exists").write_text("")
    paths = {"base": pair.base, "tuned": pair.tuned, "tmp": tmp_path}
    code, out, err = _run(capsys, *(a.format(**paths) for a in argv))
    assert code == 2 and out == "" and err.count("\n") == 1 and message in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exists"]


def test_delta_and_apply_never_import_torch(pair, tmp_path):
    code = (
        "import sys\nfrom rlsparse_check.cli import main\n"
        f"a = main(['delta', {str(pair.base)!r}, {str(pair.tuned)!r}, '--out', "
        f"{str(tmp_path / 'p')!r}])\n"
        f"b = main(['apply', {str(pair.base)!r}, {str(tmp_path / 'p')!r}, '--out', "
        f"{str(tmp_path / 'out')!r}])\n"
        "heavy = [m for m in ('torch', 'transformers', 'safetensors') if m in sys.modules]\n"
        "print('HEAVY', heavy, 'CODES', a, b)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "HEAVY [] CODES 0 0" in done.stdout, done.stderr
