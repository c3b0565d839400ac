import pytest

from rlsparse_check.atomic import atomic_write, write_text


def test_a_write_replaces_the_file_and_leaves_no_temporary_behind(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old")
    write_text(target, "new ✓")
    assert target.read_text(encoding="utf-8") == "new ✓"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_an_error_while_writing_keeps_the_old_file_and_removes_the_temporary(tmp_path):
    target = tmp_path / "masks.npz"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="boom"), atomic_write(target) as handle:
        handle.write(b"half")
        raise RuntimeError("boom")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["masks.npz"]


def test_a_missing_folder_is_an_os_error_not_a_created_folder(tmp_path):
    with pytest.raises(FileNotFoundError):
        write_text(tmp_path / "nope" / "x.json", "{}")
    assert not (tmp_path / "nope").exists()


def test_a_written_file_gets_the_usual_permissions_not_a_temporary_files(tmp_path):
    import os
    import stat

    from rlsparse_check.atomic import write_text

    mask = os.umask(0o022)
    try:
        path = write_text(tmp_path / "report.json", "{}")
    finally:
        os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
