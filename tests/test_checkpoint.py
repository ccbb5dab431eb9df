""".tracker/history/facts.jsonl: a fresh clone starts walking from the committed facts instead of parsing
the tree at the last walked commit — with exactly the results of parsing it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import GitRepo, counting_parses
from tracker import cache, ledgercache
from tracker.config import load_config
from tracker.pipeline import update
from tracker.sources import Sources
from tracker.walk import checkpoint
from tracker.walk.git import History
from tracker.walk.snapshots import Snapshots

ACME = "services/api/acme/_index.md"
DATA = "data/services/beta.yaml"
ODD = "services/api/odd/_index.md"
LINKED = "services/api/linked/_index.md"
BETA = ("id: beta\nname: Beta API\nprovider: beta\ntier: free\n"
        "limits:\n  requests_per_day: 100\n"
        "models:\n  beta-1:\n    context: 8192\n    deprecated: false\n")


def site_with_outputs(repo: GitRepo, page_text: str) -> None:
    """A site walked once and its outputs committed, as a site's workflow leaves it."""
    repo.write(ACME, page_text)
    repo.write(DATA, BETA)
    repo.commit("add acme and beta", "2025-01-01T10:00:00+08:00")
    repo.replace(ACME, "| **并发请求** | 5 |", "| **并发请求** | 4 |")
    repo.commit("cut concurrency", "2025-01-02T10:00:00+08:00")
    repo.write("services/api/broken/_index.md", "---\ntitle: [unclosed\n---\n")
    repo.commit("a page that does not parse", "2025-01-03T10:00:00+08:00")
    repo.write(ODD, page_text)
    (repo.root / LINKED).parent.mkdir(parents=True)
    repo.commit("add odd", "2025-01-03T10:10:00+08:00")
    os.symlink("../acme/_index.md", repo.root / LINKED)  # reads as acme's page
    os.symlink("nowhere.yaml", repo.root / "data" / "services" / "dangling.yaml")
    repo.replace(ODD, "| **并发请求** | 5 | |", "| **并发请求** | 5 | | x |")
    repo.commit("a quota row with a cell too many: a stale section", "2025-01-03T10:20:00+08:00")
    update(repo.root)
    repo.git("add", "-A")
    repo.commit("tracker outputs", "2025-01-03T11:00:00+08:00")
    update(repo.root)  # walks the outputs commit and keeps its facts, as the next CI run does
    repo.git("add", "-A")
    repo.commit("tracker state", "2025-01-03T12:00:00+08:00")


def fresh_clone(repo: GitRepo, dest: Path) -> GitRepo:
    subprocess.run(["git", "clone", "-q", str(repo.root), str(dest)], check=True)
    clone = GitRepo(dest)
    assert not (dest / ".git" / cache.CACHE_DIR).exists()
    return clone


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(root).parts}


def one_more_commit(clone: GitRepo) -> None:
    clone.replace(ACME, "| **并发请求** | 4 |", "| **并发请求** | 2 |")
    clone.commit("cut concurrency again", "2025-01-04T10:00:00+08:00")


def test_a_fresh_clone_parses_only_what_the_new_commit_changed(
        repo: GitRepo, page_text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site_with_outputs(repo, page_text)
    assert (repo.root / ".tracker/history" / checkpoint.FILE).exists()
    assert "facts.jsonl" in repo.git("ls-files", ".tracker/history")

    with_facts = fresh_clone(repo, tmp_path / "with-facts")
    without = fresh_clone(repo, tmp_path / "without-facts")
    for clone in (with_facts, without):
        one_more_commit(clone)
    (without.root / ".tracker/history" / checkpoint.FILE).unlink()  # as before this file existed

    asked = counting_parses(monkeypatch)
    result = update(with_facts.root)
    # not the tree at the last walked commit: the new version, and the stale page at head
    # (read again to name the line of its section that failed)
    assert asked.count(ACME) == 1 and set(asked) <= {ACME, ODD}
    assert [p.path for p in result.stale] == [ODD]
    assert [e.kind for e in result.new_events] == ["quota_cut"]
    asked.clear()
    reference = update(without.root)
    assert {ACME, DATA, ODD} <= set(asked) and asked.count(ACME) == 2  # the tree, the change
    assert reference.new_events == result.new_events
    assert tree_bytes(with_facts.root) == tree_bytes(without.root)


def test_the_facts_read_back_equal_to_a_parse(repo: GitRepo, page_text: str) -> None:
    site_with_outputs(repo, page_text)
    history = History(repo.root)
    head = history.head()
    assert head is not None
    parsed = Snapshots(history, Sources(load_config(repo.root)))
    state = parsed.load(head, {})
    assert state  # the broken page stays out, with a warning
    data = parsed.export_facts(("key",))
    assert data is not None
    assert data == parsed.export_facts(("key",))  # deterministic
    lines = [json.loads(line) for line in data.splitlines()]
    assert [line["path"] for line in lines[1:] if "path" in line] == sorted(parsed.files)
    assert [line["symlink"] for line in lines if "symlink" in line] == \
        sorted(parsed.links.blobs)  # then a line per symlink

    restored = Snapshots(history, Sources(load_config(repo.root)))
    assert restored.import_facts(data, ("key",))
    # no service assembled until asked for: a push touches one of hundreds
    assert restored.pending == set(parsed.services) and not restored.services
    assert restored.export_facts(("key",)) == data  # every line as read
    restored.settle()
    assert not restored.pending
    assert parsed.stale and parsed.services["odd"].problems
    assert parsed.links.blobs and parsed.links.targets
    for name in Snapshots.STATE:
        if name == "links":
            for table in ("blobs", "targets", "links_to"):
                assert getattr(restored.links, table) == getattr(parsed.links, table)
        else:
            assert getattr(restored, name) == getattr(parsed, name), name
    for path, files in parsed.files.items():  # what == of a Service does not compare
        assert files.notes == restored.files[path].notes
        assert [s.problems for s in files.services] == \
            [s.problems for s in restored.files[path].services]
    beta = restored.services["beta"]
    assert beta.models["beta-1"].deprecated is False  # not pruned away, as to_dict() would
    assert not restored.import_facts(data, ("another key",))


@pytest.mark.parametrize("spoil", ["config", "code", "garbage", "truncated"])
def test_facts_for_another_key_are_not_used(repo: GitRepo, page_text: str, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch,
                                            spoil: str) -> None:
    """Another tracker.yaml, another tracker, or a damaged file: the tree is parsed again and
    the results are the same."""
    site_with_outputs(repo, page_text)
    reference = fresh_clone(repo, tmp_path / "reference")
    one_more_commit(reference)
    update(reference.root)

    clone = fresh_clone(repo, tmp_path / "clone")
    one_more_commit(clone)
    facts = clone.root / ".tracker/history" / checkpoint.FILE  # spoilt in the work tree only
    if spoil == "config":
        (clone.root / ".tracker/tracker.yaml").write_text("default_lang: zh\n")  # same meaning
    elif spoil == "code":
        monkeypatch.setattr(cache, "code_digest", lambda: "another release")
    elif spoil == "garbage":
        facts.write_bytes(b"\x00not json")
    else:  # cut after a whole line: every line left is valid JSON
        lines = facts.read_bytes().splitlines(keepends=True)
        facts.write_bytes(b"".join(lines[:-1]))
    asked = counting_parses(monkeypatch)
    result = update(clone.root)
    assert {ACME, DATA} <= set(asked)  # the tree was parsed
    assert [e.kind for e in result.new_events] == ["quota_cut"]
    (clone.root / ".tracker/tracker.yaml").unlink(missing_ok=True)
    ours, theirs = tree_bytes(clone.root), tree_bytes(reference.root)
    if spoil in ("config", "code"):  # keyed to the other one: the only difference
        facts_path = f".tracker/history/{checkpoint.FILE}"
        assert ours.pop(facts_path) != theirs.pop(facts_path)
    if spoil == "code":  # so is the ledger's cache
        cached = f".tracker/history/{ledgercache.FILE}"
        assert ours.pop(cached) != theirs.pop(cached)
    assert ours == theirs


def test_facts_that_json_would_change_are_not_written(repo: GitRepo, page_text: str) -> None:
    """A fact JSON would not give back as it is (here a tuple) is no facts file at all."""
    site_with_outputs(repo, page_text)
    history = History(repo.root)
    snapshots = Snapshots(history, Sources(load_config(repo.root)))
    head = history.head()
    assert head is not None
    snapshots.load(head, {})
    snapshots.files[DATA].services[0].requirements = ("registration",)  # type: ignore[assignment]
    assert snapshots.export_facts(("key",)) is None
    snapshots.files[DATA].services[0].requirements = ["registration"]
    assert snapshots.export_facts(("key",)) is not None
    snapshots.files[DATA].services[0].name = "not UTF-8: \udcff"  # a byte carried through
    assert snapshots.export_facts(("key",)) is None
