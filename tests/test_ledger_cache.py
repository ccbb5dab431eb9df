"""history/events.cache.jsonl: a fresh clone reads the ledger's months from the JSON cache
committed beside facts.jsonl — never when a month's YAML is not the one the cache was made from,
and with exactly the events the YAML holds."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import GitRepo
from tracker import cache, ledgercache, yamlio
from tracker.config import load_config
from tracker.ledger import Ledger
from tracker.pipeline import update

ACME = "services/api/acme/_index.md"
LOAD = yamlio.load  # not the counting one below


def site(repo: GitRepo, page_text: str) -> None:
    """Events in three months, outputs committed as a site's workflow does."""
    repo.write(ACME, page_text)
    repo.commit("add acme", "2025-01-01T10:00:00+08:00")
    for n, (old, new) in enumerate([("5", "4"), ("4", "3"), ("3", "2")]):
        repo.replace(ACME, f"| **并发请求** | {old} |", f"| **并发请求** | {new} |")
        repo.commit(f"cut {n}", f"2025-{2 + n:02d}-02T10:00:00+08:00")
    update(repo.root)
    repo.commit("tracker outputs", "2025-05-01T10:00:00+08:00")


def ledger_at(root: Path) -> Path:
    """Where the ledger lives in ``root`` (.tracker/history in a content repository)."""
    return Ledger(load_config(root)).dir


def clone_of(repo: GitRepo, dest: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(repo.root), str(dest)], check=True)
    return dest


def yaml_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text yamlio.load parses (it still parses it)."""
    texts: list[str] = []
    real = yamlio.load

    def load(text: str | bytes) -> object:
        texts.append(text if isinstance(text, str) else text.decode())
        return real(text)

    monkeypatch.setattr(yamlio, "load", load)
    return texts


def month_reads(texts: list[str]) -> int:
    return sum(1 for text in texts if text.startswith("- id:"))


def yaml_events(root: Path) -> list[dict[str, object]]:
    """The ledger as its YAML files say, read without the cache."""
    return [event for path in sorted((ledger_at(root) / "events").glob("*.yaml"))
            for event in LOAD(path.read_text(encoding="utf-8"))]


def test_a_fresh_clone_reads_no_month_of_yaml(repo: GitRepo, page_text: str, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    site(repo, page_text)
    cached = (ledger_at(repo.root) / ledgercache.FILE).relative_to(repo.root).as_posix()
    assert cached in repo.git("ls-files")
    clone = clone_of(repo, tmp_path / "clone")
    texts = yaml_reads(monkeypatch)
    events = Ledger(load_config(clone)).raw_events()
    assert month_reads(texts) == 0
    assert len(events) == 4 and [e.to_dict() for e in events] == yaml_events(clone)


def test_the_cache_is_the_same_bytes_for_the_same_ledger(repo: GitRepo, page_text: str,
                                                          tmp_path: Path) -> None:
    site(repo, page_text)
    clone = clone_of(repo, tmp_path / "clone")
    (ledger_at(clone) / ledgercache.FILE).unlink()
    ledger = Ledger(load_config(clone))
    assert ledger.write_cache()
    assert (ledger_at(clone) / ledgercache.FILE).read_bytes() == \
        (ledger_at(repo.root) / ledgercache.FILE).read_bytes()
    assert not Ledger(load_config(clone)).write_cache()  # up to date: not written again


def test_a_hand_edited_month_is_read_from_yaml_and_the_cache_rebuilt(
        repo: GitRepo, page_text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    site(repo, page_text)
    month = ledger_at(repo.root) / "events" / "2025-03.yaml"
    month.write_text(month.read_text().replace("severity: breaking", "severity: info"))
    texts = yaml_reads(monkeypatch)
    ledger = Ledger(load_config(repo.root))
    events = ledger.raw_events()
    assert month_reads(texts) == 1  # that month only; the others from the cache
    assert [e.to_dict() for e in events] == yaml_events(repo.root)
    assert [e.severity for e in events if e.date.startswith("2025-03")] == ["info"]
    assert ledger.write_cache()
    texts.clear()
    assert [e.to_dict() for e in Ledger(load_config(repo.root)).raw_events()] == \
        yaml_events(repo.root)
    assert month_reads(texts) == 0


@pytest.mark.parametrize("spoil", ["code", "garbage", "cut", "edited"])
def test_a_cache_that_is_not_this_ledgers_is_never_trusted(
        repo: GitRepo, page_text: str, monkeypatch: pytest.MonkeyPatch, spoil: str) -> None:
    site(repo, page_text)
    cached = ledger_at(repo.root) / ledgercache.FILE
    data = cached.read_bytes()
    if spoil == "code":
        monkeypatch.setattr(cache, "code_digest", lambda: "another release")
    elif spoil == "garbage":
        cached.write_bytes(b"\x00not json")
    elif spoil == "cut":
        cached.write_bytes(b"".join(data.splitlines(keepends=True)[:-1]))
    else:  # an event's value changed in the cache, its month digest left alone
        cached.write_bytes(data.replace(b'"new": 2', b'"new": 1'))
        assert cached.read_bytes() != data
    shutil.rmtree(repo.root / ".git" / cache.CACHE_DIR)  # as in a fresh clone
    texts = yaml_reads(monkeypatch)
    ledger = Ledger(load_config(repo.root))
    assert [e.to_dict() for e in ledger.raw_events()] == yaml_events(repo.root)
    assert month_reads(texts) == 4
    assert ledger.write_cache()
    if spoil != "code":
        assert cached.read_bytes() == data


def test_a_value_json_would_change_keeps_its_month_in_yaml(
        repo: GitRepo, page_text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A hand-written date (YAML gives a datetime.date) is not JSON: that month is not cached,
    and is read from YAML each time, with the same value."""
    site(repo, page_text)
    month = ledger_at(repo.root) / "events" / "2025-02.yaml"
    month.write_text(month.read_text().replace("new: 4", "new: 2025-02-02"))
    ledger = Ledger(load_config(repo.root))
    ledger.write_cache()
    shutil.rmtree(repo.root / ".git" / cache.CACHE_DIR)  # as in a fresh clone
    months = ledgercache.decode((ledger_at(repo.root) / ledgercache.FILE).read_bytes(),
                                (cache.code_digest(),))
    assert months is not None and sorted(months) == ["2025-01", "2025-03", "2025-04"]
    texts = yaml_reads(monkeypatch)
    events = Ledger(load_config(repo.root)).raw_events()
    assert month_reads(texts) == 1
    assert [str(e.new) for e in events if e.date.startswith("2025-02")] == ["2025-02-02"]


def test_a_cache_with_a_good_digest_but_no_events_is_not_trusted(
        repo: GitRepo, page_text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Lines that are not this tracker's events (a field it does not know), under a head whose
    digest was made to match: that month is read from YAML, then written again."""
    site(repo, page_text)
    shutil.rmtree(repo.root / ".git" / cache.CACHE_DIR)
    cached = ledger_at(repo.root) / ledgercache.FILE
    data = cached.read_bytes()
    head, _, body = data.partition(b"\n")
    month_at = body.index(b'{"month": "2025-03"')
    event_at = body.index(b'"kind"', month_at)
    crafted = body[:event_at] + b'"kinds"' + body[event_at + len(b'"kind"'):]
    cached.write_bytes(ledgercache._head((cache.code_digest(),), crafted) + crafted)
    texts = yaml_reads(monkeypatch)
    ledger = Ledger(load_config(repo.root))
    assert [e.to_dict() for e in ledger.raw_events()] == yaml_events(repo.root)
    assert month_reads(texts) == 1
    assert ledger.write_cache() and cached.read_bytes() == data
