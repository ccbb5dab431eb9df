"""History that is not what it was, concurrent runs, and runs killed at any moment."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from filelock import FileLock

from conftest import GitRepo
from tracker import cache, fsutil
from tracker.cli import cli
from tracker.config import load_config
from tracker.ledger import Ledger
from tracker.pipeline import update
from tracker.sources import Parsed, Sources

ACME = "services/api/acme/_index.md"
HUB = "services/api/_index.md"


def build_history(repo: GitRepo, page_text: str, commits: int) -> None:
    """A site whose daily request quota and models move on every commit."""
    repo.write(HUB, "---\ntitle: APIs\n---\n\n<!-- tracker:updates:begin -->\n"
                    "<!-- tracker:updates:end -->\n")
    repo.write(ACME, page_text)
    repo.commit("add acme", "2025-01-01T10:00:00+08:00")
    quota = 14400
    for n in range(commits):
        new_quota = 1000 + (n * 7919) % 20000
        repo.replace(ACME, f"| **每日请求数** | {quota:,} requests/day |",
                     f"| **每日请求数** | {new_quota:,} requests/day |")
        quota = new_quota
        day = 1 + n % 28
        repo.commit(f"edit {n}", f"2025-{2 + n // 28:02d}-{day:02d}T10:00:00+08:00")


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(root).parts}


def run_cli(*args: str, fault_after_writes: int | None = None,
            ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop(fsutil.FAULT_ENV, None)
    if fault_after_writes is not None:
        env[fsutil.FAULT_ENV] = str(fault_after_writes)
    return subprocess.run([sys.executable, "-m", "tracker", *args], capture_output=True,
                          text=True, env=env)


def test_rewritten_history_keeps_event_ids(repo: GitRepo, page_text: str) -> None:
    build_history(repo, page_text, 6)
    update(repo.root)
    before = {e.id for e in Ledger(load_config(repo.root)).events()}
    # Rewrite the last three commits with the same content and author dates (a rebase that
    # rewords messages), then force the old ones out of reach.
    log = repo.git("log", "--format=%H %aI", "-4").splitlines()
    base = log[3].split()[0]
    repo.git("reset", "-q", "--hard", base)
    for n, line in enumerate(reversed(log[:3])):
        sha, date = line.split()
        repo.git("checkout", "-q", sha, "--", ".")
        repo.commit(f"reworded {n}", date)
    repo.git("reflog", "expire", "--expire=now", "--all")
    repo.git("gc", "-q", "--prune=now")
    result = update(repo.root)
    after = [e.id for e in Ledger(load_config(repo.root)).events()]
    assert set(after) == before and len(after) == len(set(after))
    assert {e.id for e in result.new_events} <= before


def test_shallow_clone_is_refused_with_what_to_do(repo: GitRepo, page_text: str,
                                                  tmp_path: Path) -> None:
    build_history(repo, page_text, 3)
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo.root}", str(clone)],
                   check=True)
    result = CliRunner().invoke(cli, ["update", "--repo", str(clone)])
    assert result.exit_code == 1
    assert "shallow clone" in result.output and "fetch-depth: 0" in result.output
    assert not (clone / ".tracker/history").exists()


def test_shallow_clone_holding_the_state_commit_is_walked(repo: GitRepo, page_text: str,
                                                         tmp_path: Path) -> None:
    build_history(repo, page_text, 3)
    update(repo.root, render=False)
    repo.git("add", "-A")
    repo.commit("ledger\n\nTracker: skip", "2025-06-01T10:00:00+08:00")
    repo.replace(ACME, "| **并发请求** | 5 |", "| **并发请求** | 1 |")
    repo.commit("cut concurrency", "2025-06-02T10:00:00+08:00")
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "3", f"file://{repo.root}", str(clone)],
                   check=True)
    result = update(clone, render=False)
    assert [e.kind for e in result.new_events] == ["quota_cut"]


def test_empty_repository_and_one_without_pages(repo: GitRepo) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["update", "--repo", str(repo.root)]).exit_code == 0
    repo.write("README.md", "nothing here yet\n")
    repo.commit("readme", "2025-01-01T10:00:00+08:00")
    result = runner.invoke(cli, ["update", "--repo", str(repo.root)], catch_exceptions=False)
    assert result.exit_code == 0 and "0 new events" in result.output


def test_detached_head(repo: GitRepo, page_text: str) -> None:
    build_history(repo, page_text, 2)
    repo.git("checkout", "-q", "--detach", "HEAD~1")
    result = update(repo.root, render=False)
    assert result.commits_walked == 2


def test_ledger_from_a_newer_schema_is_refused_and_left_alone(repo: GitRepo,
                                                              page_text: str) -> None:
    build_history(repo, page_text, 1)
    state = repo.root / ".tracker/history" / "state.yaml"
    state.parent.mkdir(parents=True)
    state.write_text("schema_version: 99\nlast_commit: null\n")
    result = CliRunner().invoke(cli, ["update", "--repo", str(repo.root)])
    assert result.exit_code == 1 and "newer tracker" in result.output
    assert state.read_text() == "schema_version: 99\nlast_commit: null\n"
    assert sorted(p.name for p in state.parent.iterdir()) == ["state.yaml"]


def test_second_run_waits_for_the_first_or_says_why_not(repo: GitRepo, page_text: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    build_history(repo, page_text, 1)
    lock = FileLock(str(repo.root / ".git" / "tracker.lock"))
    with lock:
        monkeypatch.setenv("TRACKER_LOCK_TIMEOUT", "0.2")
        result = CliRunner().invoke(cli, ["update", "--repo", str(repo.root)])
        assert result.exit_code == 1 and "another tracker run" in result.output
        assert not (repo.root / ".tracker/history").exists()
    monkeypatch.setenv("TRACKER_LOCK_TIMEOUT", "600")
    lock.acquire()
    try:
        waiting = subprocess.Popen([sys.executable, "-m", "tracker", "update", "--repo",
                                    str(repo.root)], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        assert waiting.stderr is not None
        # The run says it waits once it has found the lock taken (readline blocks until then);
        # while the test holds the lock, it has written nothing and is still running.
        assert "waiting for another tracker run" in waiting.stderr.readline()
        assert waiting.poll() is None
        assert not (repo.root / ".tracker/history").exists()
    finally:
        lock.release()
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert "2 commits walked" in out
    assert (repo.root / ".tracker/history" / "state.yaml").exists()


def count_writes(root: Path) -> int:
    """The files a whole run writes (in this process, counted by the writer itself)."""
    before = fsutil.writes_done
    assert update(root).written
    return fsutil.writes_done - before


def test_killed_runs_end_byte_identical_to_an_uninterrupted_one(repo: GitRepo, page_text: str,
                                                                tmp_path: Path) -> None:
    """Kill a run at each of its writes in turn (after the new bytes are in a temporary file,
    before the rename); the next run must end exactly where an uninterrupted one does."""
    build_history(repo, page_text, 6)
    reference = tmp_path / "reference"
    shutil.copytree(repo.root, reference)
    writes = count_writes(reference)
    expected = tree_bytes(reference)
    assert writes >= 10  # ledger months, state, warnings, page, updates block, feeds, caches

    killed = 0
    for n in range(1, writes + 1):
        victim = tmp_path / f"victim-{n}"
        shutil.copytree(repo.root, victim)
        faulty = run_cli("update", "--repo", str(victim), "-q", fault_after_writes=n)
        assert faulty.returncode == -signal.SIGKILL, (n, faulty.stderr)
        killed += 1
        update(victim)  # the finishing run (in this process: the killed one was not)
        assert tree_bytes(victim) == expected, n
        shutil.rmtree(victim)
    assert killed == writes


def test_caches_in_git_dir_are_only_caches(repo: GitRepo, page_text: str) -> None:
    """Garbage in .git/tracker-cache costs time, never correctness."""
    build_history(repo, page_text, 3)
    update(repo.root)
    cache = repo.root / ".git" / "tracker-cache"
    assert (cache / "walker.pickle").exists()
    for path in cache.iterdir():
        path.write_bytes(b"not a pickle")
    repo.replace(ACME, "| **并发请求** | 5 |", "| **并发请求** | 1 |")
    repo.commit("cut concurrency", "2025-06-02T10:00:00+08:00")
    result = update(repo.root)
    assert [e.kind for e in result.new_events] == ["quota_cut"]
    assert len(Ledger(load_config(repo.root)).events()) == 5  # added + 3 cuts + this one


def test_an_upgraded_parser_tells_no_change_that_never_happened(
        repo: GitRepo, page_text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The facts cached by one tracker are never diffed against another's parse."""
    build_history(repo, page_text, 2)
    real_parse = Sources.parse

    def old_parse(self: Sources, path: str, raw: bytes) -> Parsed:
        parsed = real_parse(self, path, raw)  # the old release read every name differently
        return Parsed(parsed.kind, tuple(replace(s, name=f"{s.name} (old reading)")
                                         for s in parsed.services))

    monkeypatch.setattr(Sources, "parse", old_parse)
    monkeypatch.setattr(cache, "code_digest", lambda: "old release")
    update(repo.root, render=False)
    assert (repo.root / ".git" / "tracker-cache" / "walker.pickle").exists()
    same_version = tmp_path / "same-version"
    shutil.copytree(repo.root, same_version)

    monkeypatch.setattr(Sources, "parse", real_parse)  # upgrade: same __version__, new code
    monkeypatch.setattr(cache, "code_digest", lambda: "new release")
    for root in (repo.root, same_version):
        text = (root / ACME).read_text(encoding="utf-8")
        (root / ACME).write_text(text.replace("| **并发请求** | 5 |", "| **并发请求** | 1 |"),
                                 encoding="utf-8")
        GitRepo(root).commit("cut concurrency", "2025-06-02T10:00:00+08:00")
    result = update(repo.root, render=False)
    assert [e.kind for e in result.new_events] == ["quota_cut"]

    # What the test guards against: the same run, with the cache keyed as if nothing changed,
    # diffs the old reading against the new and tells a rename that never happened.
    monkeypatch.setattr(cache, "code_digest", lambda: "old release")
    stale = update(same_version, render=False)
    assert sorted(e.kind for e in stale.new_events) != ["quota_cut"]


@pytest.mark.parametrize("given", ["abc", ""])
def test_a_lock_timeout_that_is_not_a_number_is_a_clear_error(
        repo: GitRepo, page_text: str, monkeypatch: pytest.MonkeyPatch, given: str) -> None:
    build_history(repo, page_text, 1)
    monkeypatch.setenv("TRACKER_LOCK_TIMEOUT", given)
    result = CliRunner().invoke(cli, ["update", "--repo", str(repo.root)])
    assert result.exit_code == 1, result.output
    assert f"TRACKER_LOCK_TIMEOUT is {given!r}, not a number of seconds" in result.output
    assert not isinstance(result.exception, ValueError)
    assert not (repo.root / ".tracker/history").exists()
