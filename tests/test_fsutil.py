"""Atomic writes: same bytes touch nothing, a new file gets the umask's mode, an old keeps its."""

from __future__ import annotations

import os
from pathlib import Path

from tracker.fsutil import remove_stale_temporaries, write_atomic


def test_new_file_gets_the_umask_mode_and_an_old_file_keeps_its_own(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        fresh = tmp_path / "feeds" / "atom.xml"
        assert write_atomic(fresh, b"<feed/>")
        assert fresh.stat().st_mode & 0o777 == 0o644
        page = tmp_path / "page.md"
        page.write_bytes(b"old")
        page.chmod(0o664)
        assert write_atomic(page, b"new")
        assert page.stat().st_mode & 0o777 == 0o664 and page.read_bytes() == b"new"
    finally:
        os.umask(umask)


def test_same_bytes_write_nothing(tmp_path: Path) -> None:
    target = tmp_path / "state.yaml"
    write_atomic(target, b"x")
    before = target.stat().st_mtime_ns
    assert write_atomic(target, b"x") is False
    assert target.stat().st_mtime_ns == before


def test_stale_temporaries_are_removed_outside_git(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    kept = tmp_path / ".git" / ".index.tracker-tmp"
    stale = tmp_path / "feeds" / ".atom.xml.abc.tracker-tmp"
    for path in (kept, stale):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half")
    assert remove_stale_temporaries(tmp_path) == [stale]
    assert kept.exists() and not stale.exists()
