"""Symlinked record files read as the file they point to, on real git repositories: a link's
record follows its target's changes, its retargeting and its removal; a link to a link is
followed as the operating system follows it, and a change anywhere on the chain reaches every
link through it; a link that points nowhere readable is a warning naming it, never a crash."""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import EXAMPLES, GitRepo
from tracker.config import load_config
from tracker.ledger import Ledger
from tracker.model import Event
from tracker.pipeline import snapshot, update
from tracker.sources import Sources
from tracker.walk.git import History
from tracker.walk.snapshots import Snapshots
from tracker.walk.symlinks import MAX_LINKS, is_outside, target_of

DATES = [f"2025-03-{day:02d}T10:00:00+00:00" for day in range(1, 20)]


def model(price_in: float, context: int = 128000) -> str:
    return f"name = \"M\"\n[cost]\ninput = {price_in}\noutput = 2\n[limit]\ncontext = {context}\n"


def link(repo: GitRepo, path: str, target: str) -> None:
    where = repo.root / path
    where.parent.mkdir(parents=True, exist_ok=True)
    if where.is_symlink():
        where.unlink()
    os.symlink(target, where)


@pytest.fixture
def catalogue(repo: GitRepo) -> GitRepo:
    shutil.copy(EXAMPLES / "configs" / "models-dev.yaml", repo.root / "tracker.yaml")
    repo.write("providers/acme/provider.toml", 'name = "Acme"\n')
    repo.write("providers/beta/provider.toml", 'name = "Beta"\n')
    repo.write("providers/acme/models/m1.toml", model(1))
    repo.write("providers/beta/models/own.toml", model(9))
    repo.commit("two providers", DATES[0])
    update(repo.root, render=False)
    return repo


def walked(repo: GitRepo, message: str, day: int) -> tuple[list[Event], list[str]]:
    repo.commit(message, DATES[day])
    result = update(repo.root, render=False)
    return result.new_events, [str(w) for w in result.warnings]


def facts(events: list[Event]) -> set[tuple[str, str | None, str, str | None]]:
    return {(e.service, e.model, e.kind, e.field) for e in events}


def test_targets_resolve_against_the_links_folder() -> None:
    assert target_of("providers/b/models/x.toml", b"../../a/models/x.toml") \
        == "providers/a/models/x.toml"
    assert target_of("a/b.toml", b"./c/../d.toml") == "a/d.toml"
    assert is_outside(target_of("a/b.toml", b"../../etc/passwd"))
    assert is_outside(target_of("a/b.toml", b"/etc/passwd"))
    assert not is_outside(target_of("a/b.toml", b"../c.toml"))


def test_a_link_follows_its_target_then_its_new_target_then_goes(catalogue: GitRepo) -> None:
    repo = catalogue
    link(repo, "providers/beta/models/m1.toml", "../../acme/models/m1.toml")
    events, warnings = walked(repo, "beta serves acme's m1", 1)
    assert facts(events) == {("beta", "m1", "model_added", None)} and not warnings

    repo.write("providers/acme/models/m1.toml", model(0.5))
    events, _ = walked(repo, "m1 is cheaper", 2)  # the link itself is unchanged
    assert facts(events) == {("acme", "m1", "price_decrease", "input_price"),
                             ("beta", "m1", "price_decrease", "input_price")}
    assert all((e.old, e.new) == (1, 0.5) for e in events)

    repo.write("providers/acme/models/m2.toml", model(3, context=64000))
    link(repo, "providers/beta/models/m1.toml", "../../acme/models/m2.toml")
    events, _ = walked(repo, "beta's m1 is acme's m2 now", 3)
    assert facts(events) == {("acme", "m2", "model_added", None),
                             ("beta", "m1", "price_increase", "input_price"),
                             ("beta", "m1", "context_changed", "context")}

    repo.write("providers/acme/models/m1.toml", model(0.25))
    events, _ = walked(repo, "the old target changes: the link no longer sees it", 4)
    assert facts(events) == {("acme", "m1", "price_decrease", "input_price")}

    (repo.root / "providers/beta/models/m1.toml").unlink()
    events, _ = walked(repo, "beta drops m1", 5)
    assert facts(events) == {("beta", "m1", "model_removed", None)}

    repo.write("providers/acme/models/m2.toml", model(4))
    events, _ = walked(repo, "a target of no link any more", 6)
    assert {e.service for e in events} == {"acme"}


def test_links_that_point_nowhere_readable_warn_and_name_the_path(catalogue: GitRepo) -> None:
    repo = catalogue
    link(repo, "providers/beta/models/dangling.toml", "../../acme/models/none.toml")
    link(repo, "providers/beta/models/outside.toml", "../../../../etc/hostname")
    link(repo, "providers/beta/models/good.toml", "../../acme/models/m1.toml")
    link(repo, "providers/beta/models/chain.toml", "dangling.toml")
    link(repo, "providers/beta/models/folder.toml", "../../acme")
    events, warnings = walked(repo, "links of every kind", 1)
    assert facts(events) == {("beta", "good", "model_added", None)}
    assert sorted(warnings) == [
        "providers/beta/models/chain.toml: symlink to providers/beta/models/dangling.toml → "
        "providers/acme/models/none.toml, which is not a file at this commit",
        "providers/beta/models/dangling.toml: symlink to providers/acme/models/none.toml, "
        "which is not a file at this commit",
        "providers/beta/models/folder.toml: symlink to providers/acme, which is not a file at "
        "this commit",
        "providers/beta/models/outside.toml: symlink to ../etc/hostname, outside the "
        "repository: not followed",
    ]
    # the same at a snapshot of the tree (the way an incremental walk starts)
    services, load_warnings = snapshot(repo.root)
    assert [str(w) for w in load_warnings] == sorted(warnings)
    assert set({s.id: s for s in services}["beta"].models) == {"own", "good"}

    repo.write("providers/acme/models/none.toml", model(2))
    events, warnings = walked(repo, "the dangling link's target appears", 2)
    assert facts(events) == {("acme", "none", "model_added", None),
                             ("beta", "dangling", "model_added", None),
                             ("beta", "chain", "model_added", None)} and not warnings


def test_a_deleted_target_keeps_the_links_last_good_record(catalogue: GitRepo) -> None:
    repo = catalogue
    link(repo, "providers/beta/models/m1.toml", "../../acme/models/m1.toml")
    walked(repo, "beta serves acme's m1", 1)
    (repo.root / "providers/acme/models/m1.toml").unlink()
    events, warnings = walked(repo, "acme drops m1, beta's link dangles", 2)
    assert facts(events) == {("acme", "m1", "model_removed", None)}
    assert warnings == ["providers/beta/models/m1.toml: symlink to providers/acme/models/m1.toml"
                        ", which is not a file at this commit"]
    # an incremental walk starting here (no saved walker) keeps the link's last good record
    config = load_config(repo.root)
    last_good = Ledger(config).state().last_good
    assert set(last_good) == {"providers/beta/models/m1.toml"}
    snapshots = Snapshots(History(repo.root), Sources(config))
    assert [w.path for w in snapshots.load(repo.git("rev-parse", "HEAD"), dict(last_good))] \
        == ["providers/beta/models/m1.toml"]
    assert snapshots.services["beta"].models["m1"].input_price == 1

    repo.write("providers/acme/models/m1.toml", model(7))
    events, warnings = walked(repo, "m1 is back, dearer", 3)
    assert facts(events) == {("acme", "m1", "model_added", None),
                             ("beta", "m1", "price_increase", "input_price")} and not warnings


def test_a_file_turned_into_a_link_and_back(catalogue: GitRepo) -> None:
    repo = catalogue
    (repo.root / "providers/beta/models/own.toml").unlink()
    link(repo, "providers/beta/models/own.toml", "../../acme/models/m1.toml")
    events, _ = walked(repo, "beta's own model becomes acme's", 1)
    assert facts(events) == {("beta", "own", "price_decrease", "input_price")}
    (repo.root / "providers/beta/models/own.toml").unlink()
    repo.write("providers/beta/models/own.toml", model(9))
    events, _ = walked(repo, "and its own file again", 2)
    assert facts(events) == {("beta", "own", "price_increase", "input_price")}


def test_a_fresh_walk_and_the_incremental_runs_agree(catalogue: GitRepo, tmp_path: Path) -> None:
    repo = catalogue
    link(repo, "providers/beta/models/m1.toml", "../../acme/models/m1.toml")
    walked(repo, "link", 1)
    repo.write("providers/acme/models/m1.toml", model(0.5))
    walked(repo, "price", 2)
    # an incremental walk that starts from the tree (no saved walker state) sees the link too
    history = History(repo.root)
    snapshots = Snapshots(history, Sources(load_config(repo.root)))
    first = repo.git("rev-list", "--max-parents=0", "HEAD")
    assert snapshots.load(first, {}) == []
    events, _ = snapshots.run(list(history.commits(first, "HEAD")))
    assert facts(events) == {("beta", "m1", "model_added", None),
                             ("acme", "m1", "price_decrease", "input_price"),
                             ("beta", "m1", "price_decrease", "input_price")}
    fresh = tmp_path / "fresh"
    repo.git("clone", "-q", str(repo.root), str(fresh))
    shutil.rmtree(fresh / "history")  # committed along (git add -A): walk from the start
    again = update(fresh, render=False).new_events
    ledger = (repo.root / "history" / "events" / "2025-03.yaml").read_text(encoding="utf-8")
    assert {e.id for e in again} >= {e.id for e in events}
    assert all(e.id in ledger for e in events)


@pytest.fixture
def chained(catalogue: GitRepo) -> GitRepo:
    """gamma's m1 → beta's m1 → acme's m1, the way models.dev links a provider's model to one
    that is itself a link."""
    repo = catalogue
    repo.write("providers/gamma/provider.toml", 'name = "Gamma"\n')
    link(repo, "providers/beta/models/m1.toml", "../../acme/models/m1.toml")
    link(repo, "providers/gamma/models/m1.toml", "../../beta/models/m1.toml")
    events, warnings = walked(repo, "gamma serves beta's m1, itself acme's", 1)
    assert facts(events) == {("beta", "m1", "model_added", None),
                             ("gamma", None, "service_added", None)} and not warnings
    return repo


def test_a_two_hop_chain_reads_as_the_final_file(chained: GitRepo) -> None:
    services = {s.id: s for s in snapshot(chained.root)[0]}
    assert services["gamma"].models["m1"].input_price == 1
    assert services["beta"].models["m1"].input_price == 1
    # the way an incremental walk starts: the tree at a commit, no saved walker
    snapshots = Snapshots(History(chained.root), Sources(load_config(chained.root)))
    assert snapshots.load(chained.git("rev-parse", "HEAD"), {}) == []
    assert snapshots.services["gamma"].models["m1"].input_price == 1


def test_a_change_of_the_final_file_reaches_every_link_of_the_chain(chained: GitRepo) -> None:
    repo = chained
    repo.write("providers/acme/models/m1.toml", model(0.5))
    events, warnings = walked(repo, "m1 is cheaper: both links see it", 2)
    assert facts(events) == {(service, "m1", "price_decrease", "input_price")
                             for service in ("acme", "beta", "gamma")} and not warnings
    assert all((e.old, e.new) == (1, 0.5) for e in events)

    (repo.root / "providers/acme/models/m1.toml").unlink()
    events, warnings = walked(repo, "the final file goes: both links keep their last good", 3)
    assert facts(events) == {("acme", "m1", "model_removed", None)}
    assert sorted(warnings) == [
        "providers/beta/models/m1.toml: symlink to providers/acme/models/m1.toml, which is not "
        "a file at this commit",
        "providers/gamma/models/m1.toml: symlink to providers/beta/models/m1.toml → "
        "providers/acme/models/m1.toml, which is not a file at this commit"]
    # an incremental walk starting here (no saved walker) keeps both links' last good records
    config = load_config(repo.root)
    last_good = dict(Ledger(config).state().last_good)
    assert set(last_good) == {"providers/beta/models/m1.toml", "providers/gamma/models/m1.toml"}
    snapshots = Snapshots(History(repo.root), Sources(config))
    snapshots.load(repo.git("rev-parse", "HEAD"), last_good)
    assert [snapshots.services[s].models["m1"].input_price for s in ("beta", "gamma")] \
        == [0.5, 0.5]


def test_retargeting_a_link_on_the_way_moves_the_links_through_it(chained: GitRepo) -> None:
    repo = chained
    repo.write("providers/acme/models/m2.toml", model(3, context=64000))
    link(repo, "providers/beta/models/m1.toml", "../../acme/models/m2.toml")
    events, _ = walked(repo, "beta's m1 is acme's m2 now, and so gamma's", 2)
    assert facts(events) == {("acme", "m2", "model_added", None)} | {
        (service, "m1", kind, field) for service in ("beta", "gamma") for kind, field in
        (("price_increase", "input_price"), ("context_changed", "context"))}

    repo.write("providers/acme/models/m1.toml", model(0.25))
    events, _ = walked(repo, "the old final file is no one's target", 3)
    assert facts(events) == {("acme", "m1", "price_decrease", "input_price")}

    # a link on the way that no glob matches is read all the same, and followed when it moves
    repo.write("shared/m9.toml", model(5))
    repo.write("shared/m8.toml", model(6))
    link(repo, "shared/current.toml", "m9.toml")
    link(repo, "providers/gamma/models/m1.toml", "../../../shared/current.toml")
    events, _ = walked(repo, "gamma's m1 goes through an unmatched link", 4)
    assert facts(events) == {("gamma", "m1", "price_increase", "input_price"),
                             ("gamma", "m1", "context_changed", "context")}
    link(repo, "shared/current.toml", "m8.toml")
    events, _ = walked(repo, "the unmatched link moves", 5)
    assert facts(events) == {("gamma", "m1", "price_increase", "input_price")}
    repo.write("shared/m8.toml", model(7))
    events, _ = walked(repo, "its new target changes", 6)
    assert [(e.service, e.old, e.new) for e in events] == [("gamma", 6, 7)]


def test_a_loop_of_links_warns_and_keeps_the_last_good_record(chained: GitRepo) -> None:
    repo = chained
    link(repo, "providers/beta/models/m1.toml", "../../gamma/models/m1.toml")
    events, warnings = walked(repo, "beta's m1 points back at gamma's: a loop", 2)
    assert events == []
    assert sorted(warnings) == [
        "providers/beta/models/m1.toml: symlink to providers/gamma/models/m1.toml → "
        "providers/beta/models/m1.toml, a loop of links: not followed",
        "providers/gamma/models/m1.toml: symlink to providers/beta/models/m1.toml → "
        "providers/gamma/models/m1.toml, a loop of links: not followed"]
    assert set(Ledger(load_config(repo.root)).state().last_good) \
        == {"providers/beta/models/m1.toml", "providers/gamma/models/m1.toml"}

    link(repo, "providers/beta/models/m1.toml", "../../acme/models/m2.toml")
    repo.write("providers/acme/models/m2.toml", model(2))
    events, warnings = walked(repo, "the loop is broken", 3)
    assert facts(events) == {("acme", "m2", "model_added", None)} | {
        (service, "m1", "price_increase", "input_price") for service in ("beta", "gamma")}
    assert not warnings


def test_a_chain_longer_than_the_limit_warns(catalogue: GitRepo) -> None:
    repo = catalogue
    hops = [f"providers/beta/models/hop{i}.toml" for i in range(MAX_LINKS + 1)]
    for here, there in zip(hops, hops[1:], strict=False):
        link(repo, here, there.rsplit("/", 1)[1])
    link(repo, hops[-1], "../../acme/models/m1.toml")
    events, warnings = walked(repo, f"{MAX_LINKS + 1} links in a row", 1)
    # every link but the first is within the limit
    assert facts(events) == {("beta", f"hop{i}", "model_added", None)
                             for i in range(1, MAX_LINKS + 1)}
    assert len(warnings) == 1 and warnings[0].startswith(
        f"{hops[0]}: symlink to {hops[1]} → ") and warnings[0].endswith(
        f"more than {MAX_LINKS} links in a row, not followed")


def test_a_link_whose_target_is_not_utf8_warns_with_the_bytes_escaped(catalogue: GitRepo) -> None:
    repo = catalogue
    where = repo.root / "providers/beta/models/odd.toml"
    os.symlink(b"../../acme/models/\xff.toml", bytes(where))
    events, warnings = walked(repo, "a link to a name that is not UTF-8", 1)
    assert warnings == ["providers/beta/models/odd.toml: symlink to "
                        "providers/acme/models/\\xff.toml, which is not a file at this commit"]
    written = (repo.root / "history" / "warnings.yaml").read_bytes().decode("utf-8")
    assert "providers/acme/models/\\xff.toml" in written
    # the walk went on: the next run starts from the commit walked, no crash, nothing new
    assert walked(repo, "nothing", 2) == ([], [])


def test_check_follows_links_as_the_walk_does_and_names_those_that_read_as_nothing(
        catalogue: GitRepo) -> None:
    from click.testing import CliRunner

    from tracker.cli import cli

    repo = catalogue
    link(repo, "providers/beta/models/good.toml", "../../acme/models/m1.toml")
    link(repo, "providers/beta/models/dangling.toml", "../../acme/models/none.toml")
    link(repo, "providers/beta/models/outside.toml", "/etc/hostname")
    link(repo, "providers/beta/models/chain.toml", "good.toml")  # two hops: read as the walk does
    link(repo, "providers/beta/models/loop.toml", "loop.toml")
    result = CliRunner().invoke(cli, ["check", "--repo", str(repo.root)])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "providers/beta/models/dangling.toml: symlink to providers/acme/models/none.toml, " \
           "which is not a file at this commit" in result.output
    assert "providers/beta/models/outside.toml: symlink to /etc/hostname, outside the " \
           "repository: not followed" in result.output
    assert "providers/beta/models/loop.toml: symlink to providers/beta/models/loop.toml, a " \
           "loop of links: not followed" in result.output
    assert "good.toml" not in result.output  # links inside the repository read as their target
    # update warns about the very same links
    _, warnings = walked(repo, "links", 1)
    assert sorted(warnings) == sorted(
        line.removeprefix("error: ").removeprefix("warning: ")
        for line in result.output.splitlines() if "symlink to" in line)


class _AskingGit(Snapshots):
    """Every link's target blob and bytes asked of git, as before the commit's own were used."""

    def _load_link(self, commit: Any, link: str, blob_at: Any, read: Any, warnings: Any,
                   touched: Any) -> set[str]:
        return super()._load_link(
            commit, link, lambda target: self.history.blob_at(commit.sha, target),
            self.history.read, warnings, touched)


_FILES = [f"providers/{p}/models/{m}.toml" for p in ("acme", "beta", "gamma") for m in ("m1", "m2")]


@pytest.mark.parametrize("seed", range(12))
def test_links_read_from_the_commit_as_when_git_is_asked(tmp_path: Path, seed: int) -> None:
    """Random histories of files and links (retargeted, chained, looped, dangling, a file
    turned into a link and back, renamed targets): the walk that takes a link's target from
    the commit's own changes tells the same events and warnings, and holds the same facts
    after every commit, as one asking git for every link."""
    rng = random.Random(seed)
    repo = GitRepo(tmp_path / "site")
    shutil.copy(EXAMPLES / "configs" / "models-dev.yaml", repo.root / "tracker.yaml")
    for provider in ("acme", "beta", "gamma"):
        repo.write(f"providers/{provider}/provider.toml", f'name = "{provider.title()}"\n')
    repo.write(_FILES[0], model(1))
    repo.commit("start", DATES[0])
    for day in range(1, 13):
        for _ in range(rng.randint(1, 3)):
            path = rng.choice(_FILES)
            where = repo.root / path
            action = rng.random()
            if action < 0.4:
                if where.is_symlink():
                    where.unlink()
                repo.write(path, model(rng.choice((0.5, 1, 2, 3)), rng.choice((8192, 128000))))
            elif action < 0.75:
                target = rng.choice([p for p in _FILES if p != path])
                if where.is_file() and not where.is_symlink():
                    where.unlink()  # a file turned into a link
                link(repo, path, os.path.relpath(target, os.path.dirname(path)))
            elif action < 0.9 and (where.exists() or where.is_symlink()):
                where.unlink()
            elif where.is_file() and not where.is_symlink():
                other = rng.choice([p for p in _FILES if p != path])
                if not (repo.root / other).exists() and not (repo.root / other).is_symlink():
                    (repo.root / other).parent.mkdir(parents=True, exist_ok=True)
                    where.rename(repo.root / other)
        repo.commit(f"step {day}", DATES[day])
    history = History(repo.root)
    sources = Sources(load_config(repo.root))
    first = repo.git("rev-list", "--max-parents=0", "HEAD")
    walkers = [Snapshots(history, sources), _AskingGit(history, sources)]
    for walker in walkers:
        assert walker.load(first, {}) == []
    for commit in history.commits(first, "HEAD"):
        told = [walker.run([commit]) for walker in walkers]
        assert [e.to_dict() for e in told[0][0]] == [e.to_dict() for e in told[1][0]]
        assert told[0][1] == told[1][1]
        assert walkers[0].facts == walkers[1].facts
        assert walkers[0].blobs == walkers[1].blobs
