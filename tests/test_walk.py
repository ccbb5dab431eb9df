"""walk: what the rest of the tracker asks git, through History (and files_at, without GitPython),
on a real repository with pinned dates."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import GitRepo
from tracker.walk.git import History, blob_id, files_at, head_of


def test_history_answers_what_the_pipeline_and_drift_ask(repo: GitRepo) -> None:
    assert files_at(repo.root, "HEAD") is None and head_of(repo.root) is None  # no commit yet
    repo.write("services/api/acme/_index.md", "one\n")
    first = repo.commit("add acme", "2025-01-01T10:00:00+08:00")
    repo.write("notes.txt", "x\n")
    repo.commit("notes", "2025-01-02T10:00:00-05:00")
    repo.write("services/api/acme/_index.md", "two\n")
    third = repo.commit("acme again\n\nTracker: skip", "2025-01-03T10:00:00+00:00")

    history = History(repo.root)
    assert history.resolve("HEAD") == third == head_of(repo.root)
    assert history.resolve("HEAD~2") == first and history.resolve("no-such-rev") is None
    assert history.count(first, third) == 2 and history.count("f" * 40, third) is None
    assert history.author_date(first) == "2025-01-01T10:00:00+08:00"
    # the commits touching a page, newest first, with their messages (notes.txt's is not one)
    assert list(history.edits(third, ["services/api/acme/_index.md"])) == [
        ("2025-01-03T10:00:00+00:00", "acme again\n\nTracker: skip\n"),
        ("2025-01-01T10:00:00+08:00", "add acme\n"),
    ]
    assert history.git_dir == repo.root / ".git"
    assert files_at(repo.root, "HEAD") == ["notes.txt", "services/api/acme/_index.md"]
    assert files_at(repo.root, first) == ["services/api/acme/_index.md"]


def test_blob_id_is_the_id_git_gives_the_same_bytes(tmp_path: Path) -> None:
    for data in (b"", b"overrides: {}\n", "价格 ¥1/M\r\n".encode()):
        path = tmp_path / "f"
        path.write_bytes(data)
        done = subprocess.run(["git", "hash-object", str(path)], capture_output=True, text=True,
                              check=True)
        assert blob_id(data) == done.stdout.strip()


def test_counts_from_one_listing_are_the_counts_asked_one_by_one(repo: GitRepo) -> None:
    """History.counts walks one rev-list of the history (merges, a branch merged in, a commit on
    a line not merged, one gone) and answers what count() answers for each commit."""
    day = iter(range(1, 40))

    def commit(name: str) -> str:
        repo.write(f"{name}.txt", name)
        return repo.commit(name, f"2025-01-{next(day):02d}T10:00:00+08:00")

    line = [commit(f"main{n}") for n in range(3)]
    repo.git("checkout", "-q", "-b", "side")
    side = [commit(f"side{n}") for n in range(3)]
    repo.git("checkout", "-q", "-")
    line.append(commit("main3"))
    repo.git("merge", "-q", "--no-ff", "-m", "merge side", "side",
             date="2025-01-20T10:00:00+08:00")
    line.append(repo.git("rev-parse", "HEAD").strip())
    line.append(commit("main4"))
    repo.git("checkout", "-q", "-b", "other", line[1])
    elsewhere = commit("elsewhere")  # not in the history of main's head
    repo.git("checkout", "-q", "-")
    head = line[-1]
    history = History(repo.root)
    asked = line + side + [elsewhere, "f" * 40]
    assert history.counts(asked, head) == {sha: history.count(sha, head) for sha in asked}
    assert history.counts(asked, head)[line[0]] == len(line) + len(side) - 1
    assert history.counts(asked, head)["f" * 40] is None
