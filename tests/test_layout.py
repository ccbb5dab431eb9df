"""Where tracker.yaml and the ledger live (tracker.layout): in a repository that is a Hugo site's
content, in .tracker/, which Hugo never publishes; elsewhere at the top, as before. The old
layout is read, and moved by update with one notice; an interrupted move is finished, never
losing a file. A content repository run without tracker.yaml warns once, naming tracker init.
(That Hugo publishes history/ and tracker.yaml of its content but not .tracker/ is checked with
a real Hugo build in test_hugo_site.py.)"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from conftest import ADOPTED, PAGES, GitRepo
from tracker import layout
from tracker.cli import cli
from tracker.config import load_config
from tracker.ledger import Ledger

ACME = "services/api/acme/_index.md"
INIT_WARNING = "until tracker init is run"
MOVED = ("moved history/ → .tracker/history/ and tracker.yaml → .tracker/tracker.yaml, where "
         "Hugo never publishes them (commit the move)")


def kinds(root: Path) -> list[str]:
    return [event.kind for event in Ledger(load_config(root)).events()]


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def content_site(repo: GitRepo, adopted: bool = True) -> GitRepo:
    """A content repository (pages at its root, no Hugo configuration) with a quota cut."""
    repo.write(ACME, (PAGES / "acme.md").read_text(encoding="utf-8"))
    if adopted:
        repo.write(*ADOPTED)
    repo.commit("acme", "2025-01-05T10:00:00+08:00")
    repo.replace(ACME, "14,400 requests/day", "1,000 requests/day")
    repo.commit("cut", "2025-03-05T10:00:00+08:00")
    return repo


def test_a_content_repository_keeps_its_ledger_in_dot_tracker(repo: GitRepo) -> None:
    content_site(repo)
    result = run("update", "--repo", str(repo.root))
    assert result.exit_code == 0 and result.stderr == "", result.output
    assert (repo.root / ".tracker/history/state.yaml").is_file()
    assert sorted(p.name for p in (repo.root / ".tracker/history/events").iterdir()) == \
        ["2025-01.yaml", "2025-03.yaml"]
    assert not (repo.root / "history").exists()
    assert (repo.root / "feeds/atom.xml").is_file()  # published: stays where it is served
    assert kinds(repo.root)[-1] == "quota_cut"


def test_a_hugo_project_with_a_content_folder_keeps_history_at_the_top(repo: GitRepo) -> None:
    repo.write("hugo.yaml", "baseURL: https://x.example/\n")
    repo.write("content/" + ACME, (PAGES / "acme.md").read_text(encoding="utf-8"))
    repo.commit("acme", "2025-01-05T10:00:00+08:00")
    result = run("update", "--repo", str(repo.root))
    assert result.exit_code == 0 and result.stderr == "", result.output
    assert (repo.root / "history/state.yaml").is_file()  # outside content/: never published
    assert not (repo.root / ".tracker").exists()


def test_without_tracker_yaml_a_content_repository_warns_once_naming_init(
        repo: GitRepo) -> None:
    content_site(repo, adopted=False)
    for _ in range(2):  # on every run, once
        result = run("update", "--repo", str(repo.root))
        assert result.exit_code == 0, result.output
        assert result.stderr.count("warning:") == 1, result.stderr
        assert result.stderr.count(INIT_WARNING) == 1
        assert "links and charts cannot follow the site's languages" in result.stderr
        assert "tracker init --hugo-config" in result.stderr
    rendered = run("render", "--repo", str(repo.root))
    assert rendered.exit_code == 0 and rendered.stderr.count(INIT_WARNING) == 1


def old_layout(repo: GitRepo) -> None:
    """The files an older tracker left: the ledger at history/, tracker.yaml at the top."""
    (repo.root / ".tracker/history").rename(repo.root / "history")
    (repo.root / ".tracker/tracker.yaml").rename(repo.root / "tracker.yaml")
    (repo.root / ".tracker").rmdir()


def outputs(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.parts}


def test_the_old_layout_is_read_then_moved_with_one_notice(repo: GitRepo) -> None:
    content_site(repo)
    assert run("update", "--repo", str(repo.root)).exit_code == 0
    new = outputs(repo.root)
    old_layout(repo)
    repo.commit("as an older tracker left it\n\nTracker: skip", "2025-03-05T11:00:00+08:00")
    before = outputs(repo.root)
    assert kinds(repo.root)[-1] == "quota_cut"  # read where it is
    logged = run("log", "--repo", str(repo.root))
    assert logged.exit_code == 0 and "1,000" in logged.output
    assert outputs(repo.root) == before  # reading moves nothing

    result = run("update", "--repo", str(repo.root))
    assert result.exit_code == 0, result.output
    assert result.stderr == f"warning: {MOVED}\n"
    assert outputs(repo.root) == new  # the same bytes, at their new place
    again = run("update", "--repo", str(repo.root))
    assert again.exit_code == 0 and again.stderr == ""


def test_an_interrupted_move_is_finished_and_nothing_is_lost(repo: GitRepo) -> None:
    content_site(repo)
    assert run("update", "--repo", str(repo.root)).exit_code == 0
    new = outputs(repo.root)
    # killed between the hard link and the unlink of tracker.yaml: both names, one file
    (repo.root / "tracker.yaml").hardlink_to(repo.root / ".tracker/tracker.yaml")
    result = run("update", "--repo", str(repo.root))
    assert result.exit_code == 0 and result.stderr == "", result.stderr
    assert outputs(repo.root) == new


def test_two_ledgers_or_two_configs_are_named_and_neither_is_deleted(repo: GitRepo) -> None:
    content_site(repo)
    assert run("update", "--repo", str(repo.root)).exit_code == 0
    shutil.copytree(repo.root / ".tracker/history", repo.root / "history")
    (repo.root / "tracker.yaml").write_text("site_url: https://other.example\n",
                                            encoding="utf-8")
    result = run("update", "--repo", str(repo.root))
    assert result.exit_code == 0
    assert "both history/ and .tracker/history/ hold a ledger; .tracker/history/ is read" \
        in result.stderr
    assert "both tracker.yaml and .tracker/tracker.yaml exist; .tracker/tracker.yaml is read" \
        in result.stderr
    assert (repo.root / "history/state.yaml").is_file()
    assert (repo.root / "tracker.yaml").read_text(encoding="utf-8") == \
        "site_url: https://other.example\n"


def test_a_dry_run_moves_nothing_and_render_moves(repo: GitRepo) -> None:
    content_site(repo)
    assert run("update", "--repo", str(repo.root)).exit_code == 0
    old_layout(repo)
    before = outputs(repo.root)
    result = run("render", "--repo", str(repo.root), "--dry-run")
    assert result.exit_code == 0, result.output
    assert outputs(repo.root) == before
    result = run("render", "--repo", str(repo.root))  # a real render moves, as update does
    assert result.exit_code == 0 and result.stderr == f"warning: {MOVED}\n", result.output
    assert (repo.root / ".tracker/history/state.yaml").is_file()


def test_messages_about_tracker_yaml_name_it_where_it_is(repo: GitRepo) -> None:
    content_site(repo)
    repo.write(".tracker/tracker.yaml", "hugo_config: ../site/hugo.yaml\n"
                                        "hugo:\n  defaultContentLanguage: zh-cn\n")
    result = run("update", "--repo", str(repo.root))
    assert result.exit_code == 0, result.output
    assert "warning: .tracker/tracker.yaml: 'hugo_config' names '../site/hugo.yaml', which " \
           "does not exist: using the values under 'hugo:' alone" in result.stderr
    repo.write(".tracker/tracker.yaml", "feeds:\n  max_items: many\n")
    result = run("update", "--repo", str(repo.root))
    assert result.exit_code == 1
    assert "tracker: .tracker/tracker.yaml:2: 'feeds.max_items' must be a whole number" \
        in result.output


def test_a_move_the_system_refuses_is_a_clear_error_and_loses_nothing(
        repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    content_site(repo)
    assert run("update", "--repo", str(repo.root)).exit_code == 0
    old_layout(repo)
    before = outputs(repo.root)

    def refuse(source: object, target: object) -> None:
        raise PermissionError(13, "Permission denied", str(source))

    monkeypatch.setattr(layout.os, "rename", refuse)
    result = run("update", "--repo", str(repo.root))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "tracker: cannot move history into .tracker/: Permission denied" in result.output
    assert {k: v for k, v in outputs(repo.root).items() if not k.startswith(".tracker/")} \
        == before  # the ledger where it was, tracker.yaml too
