"""``--model`` resolved at the start of a claims session: a GGUF converts before collection with
its progress on the terminal, and a model that cannot be had ends the session with exit 2."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


CONFTEST = """
from rlsparse_check import phase
from rlsparse_check.plugin.model import pytest_sessionstart

phase.QUIET, phase.POLL = 0.0, 0.0005
"""


def _claims_session(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """A claims suite whose collection would fail: only the session-start hook may run (in a
    subprocess: the conversion imports torch, which cannot be imported twice in one process),
    its phases speaking at once."""
    monkeypatch.setenv("RLSPARSE_CACHE", str(pytester.path / "cache"))
    pytester.makeconftest(CONFTEST)
    (pytester.path / "claims").mkdir()
    (pytester.path / "claims" / "test_c1_x.py").write_text("raise AssertionError('collected')\n")


def test_a_gguf_model_converts_at_session_start_speaking_through_the_terminal(
    pytester, monkeypatch
):
    """The conversion is the first long phase of a session and runs before collection (which
    captures output): its lines reach the terminal under -q, and a GGUF that transformers
    refuses ends the session with exit status 2 and the reason, before any test is collected."""
    gguf = pytest.importorskip("gguf")
    _claims_session(pytester, monkeypatch)
    broken = pytester.path / "broken.gguf"  # read as a model, then refused by transformers
    writer = gguf.GGUFWriter(str(broken), "llama")
    writer.add_tensor("blk.0.attn_q.weight", __import__("numpy").ones((4, 8), "float32"))
    for write in (writer.write_header_to_file, writer.write_kv_data_to_file):
        write()
    writer.write_tensors_to_file()
    writer.close()
    result = pytester.runpytest_subprocess("-q", "claims", "--model", str(broken), "--plan")
    assert result.ret == 2
    out = result.stdout.lines
    said = "rlsparse-check: converting broken.gguf to a bf16 checkpoint (once; about a minute)"
    first = out.index(said)
    assert out[first + 1].startswith("rlsparse-check: converting broken.gguf: running for 0:0")
    assert out[first + 2].startswith("rlsparse-check: converting broken.gguf: stopped after 0:0")
    result.stdout.fnmatch_lines(["!*rlsparse-check: GGUF file *broken.gguf*cannot be loaded*"])
    text = result.stdout.str() + result.stderr.str()
    assert "collected" not in text and "INTERNALERROR" not in text


def test_a_truncated_gguf_ends_the_session_with_exit_2_and_what_to_do(pytester, monkeypatch):
    _claims_session(pytester, monkeypatch)
    cut = pytester.path / "cut.gguf"
    cut.write_bytes(b"GGUF\x03\x00\x00\x00" + b"\x07" * 9)
    result = pytester.runpytest_subprocess("claims", "--model", str(cut), "--plan")
    assert result.ret == 2
    result.stdout.fnmatch_lines(["!*GGUF file *cut.gguf cannot be read*truncated or not a GGUF*"])
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    assert not (pytester.path / "cache" / "models").exists() or not any(
        p.name.startswith("gguf-") for p in (pytester.path / "cache" / "models").iterdir()
    )
