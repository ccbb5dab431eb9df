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


def test_many_files_written_together_each_old_or_new(tmp_path: Path) -> None:
    """write_all_atomic: only changed files are written; when one cannot be renamed into place
    the files before it are new, the others old, and no temporary file is left behind."""
    from tracker.fsutil import write_all_atomic

    pages = [tmp_path / f"p{n}.md" for n in range(5)]
    for page in pages:
        page.write_bytes(b"old")
    assert write_all_atomic([(p, b"new" if n != 1 else b"old") for n, p in enumerate(pages)]) \
        == [pages[0], *pages[2:]]
    assert [p.read_bytes() for p in pages] == [b"new", b"old", b"new", b"new", b"new"]
    blocked = tmp_path / "p2.md"
    blocked.unlink()
    blocked.mkdir()  # a rename onto a folder fails
    try:
        write_all_atomic([(p, b"newer") for p in pages])
    except OSError:
        pass
    else:
        raise AssertionError("the rename onto a folder did not fail")
    assert [p.read_bytes() for p in pages if p != blocked] == [b"newer", b"newer", b"new", b"new"]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tracker-tmp")]


def test_a_run_killed_among_many_writes_leaves_each_file_old_or_new(tmp_path: Path) -> None:
    """Killed at its third file (the named fault point, before that file's rename): the two
    before it are new, the rest old, and the next run's cleanup takes the temporaries."""
    import subprocess
    import sys

    from tracker import fsutil

    pages = [tmp_path / f"p{n}.md" for n in range(5)]
    for page in pages:
        page.write_bytes(b"old")
    script = ("import sys; from pathlib import Path; from tracker.fsutil import write_all_atomic;"
              "write_all_atomic([(Path(a), b'new') for a in sys.argv[1:]])")
    run = subprocess.run([sys.executable, "-c", script, *map(str, pages)],
                         env={**os.environ, fsutil.FAULT_ENV: "3"}, check=False)
    assert run.returncode == -9
    assert [p.read_bytes() for p in pages] == [b"new", b"new", b"old", b"old", b"old"]
    assert len(remove_stale_temporaries(tmp_path)) == 3
