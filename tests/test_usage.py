"""The edges a new user meets: where the repository is, what check checked, usage mistakes,
nothing destructive, and GitHub Actions' annotations and step summary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from conftest import PAGES, GitRepo
from tracker.cli import cli

ACME = "services/api/acme/_index.md"
BEGIN, END = "<!-- tracker:changelog:begin -->", "<!-- tracker:changelog:end -->"


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(cli, list(args), env=env)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def tree(root: Path) -> dict[Path, bytes]:
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(root).parts}


@pytest.fixture
def site(repo: GitRepo) -> GitRepo:
    text = (PAGES / "acme.md").read_text(encoding="utf-8")
    repo.write(ACME, text)
    repo.commit("add acme", "2025-01-05T10:00:00+08:00")
    repo.replace(ACME, "14,400 requests/day", "1,000 requests/day")
    repo.commit("cut", "2025-03-05T10:00:00+08:00")
    assert run("update", "--repo", str(repo.root), "-q").exit_code == 0
    repo.git("add", "-A")
    repo.commit("tracker outputs\n\nTracker: skip", "2025-03-05T11:00:00+08:00")
    return repo


# -- finding the repository -------------------------------------------------------------------

def test_any_subfolder_finds_the_repository(site: GitRepo, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    inside = site.root / "services" / "api" / "acme"
    by_option = run("log", "--repo", str(inside), "--format", "json")
    assert by_option.exit_code == 0 and len(json.loads(by_option.output)) == 2
    by_file = run("log", "--repo", str(inside / "_index.md"), "--format", "json")
    assert by_file.output == by_option.output
    monkeypatch.chdir(inside)
    assert run("log", "--format", "json").output == by_option.output
    before = tree(site.root)
    assert run("update").exit_code == 0
    assert run("render").exit_code == 0
    assert tree(site.root) == before  # rendered in place, not into the subfolder
    assert not (inside / "feeds").exists() and not (inside / ".tracker/history").exists()


@pytest.mark.parametrize("command", [
    ["update"], ["render"], ["log"], ["check"], ["snapshot"], ["digest", "--week", "2025-W10"],
    ["init", "--install", "tracker @ git+https://example.org/t.git@" + "a" * 40],
])
def test_outside_a_repository_every_command_exits_1_and_writes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]) -> None:
    outside = tmp_path / "plain"
    outside.mkdir()
    monkeypatch.chdir(outside)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    result = run(*command)
    assert result.exit_code == 1, result.output
    assert "not inside a git repository" in result.stderr
    assert list(outside.iterdir()) == []
    missing = run(*command, "--repo", str(tmp_path / "nowhere"))
    assert missing.exit_code == 1 and "does not exist" in missing.stderr


# -- check ------------------------------------------------------------------------------------

def test_check_paths(site: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = str(site.root)
    missing = run("check", "--repo", repo, str(site.root / "services/api/nope/_index.md"))
    assert missing.exit_code == 1 and "does not exist" in missing.stderr
    folder = run("check", "--repo", repo, str(site.root / "services"))
    assert folder.exit_code == 0, folder.output
    assert "all source files parse (1 checked)" in folder.output
    site.write("notes/todo.md", "# todo\n")
    uncovered = run("check", "--repo", repo, str(site.root / "notes/todo.md"))
    assert uncovered.exit_code == 1
    assert "notes/todo.md: no glob of tracker.yaml covers this file" in uncovered.stderr
    empty = run("check", "--repo", repo, str(site.root / "notes"))
    assert empty.exit_code == 1 and "no source file under this folder" in empty.stderr
    assert "all source files parse" not in empty.output
    monkeypatch.chdir(site.root / "services" / "api")  # paths are relative to where you are
    relative = run("check", "acme/_index.md")
    assert relative.exit_code == 0 and "(1 checked)" in relative.output


def test_check_with_nothing_to_check_does_not_claim_success(repo: GitRepo) -> None:
    repo.write("README.md", "hello\n")
    repo.commit("start", "2025-01-01T10:00:00+08:00")
    result = run("check", "--repo", str(repo.root))
    assert result.exit_code == 1
    assert "all source files parse" not in result.output
    assert "matches no file" in result.stderr


def test_a_glob_typo_warns_on_every_run_and_fails_check(site: GitRepo) -> None:
    # the other layout's built-in glob, kept beside the typo, is not reported
    site.write(".tracker/tracker.yaml", "pages: ['services/apii/*/_index*.md', "
                                        "'content/services/api/*/_index*.md']\n")
    site.commit("typo", "2025-03-06T10:00:00+08:00")
    for _ in range(2):
        result = run("update", "--repo", str(site.root), "-q")
        assert result.exit_code == 0
        assert "warning: .tracker/tracker.yaml: pages: 'services/apii/*/_index*.md' matches " \
               "no file" in result.stderr
    assert "content/services" not in result.stderr
    checked = run("check", "--repo", str(site.root))
    assert checked.exit_code == 1
    assert ".tracker/tracker.yaml: pages: 'services/apii/*/_index*.md' matches no file" \
        in checked.stderr


# -- nothing destructive ----------------------------------------------------------------------

@pytest.mark.parametrize("damage", ["delete", "empty"])
def test_render_without_a_ledger_exits_1_and_changes_nothing(site: GitRepo, damage: str) -> None:
    import shutil

    if damage == "delete":
        shutil.rmtree(site.root / ".tracker/history")
    else:
        for month in (site.root / ".tracker/history" / "events").iterdir():
            month.unlink()
    before = tree(site.root)
    result = run("render", "--repo", str(site.root))
    assert result.exit_code == 1
    assert "holds no events" in result.stderr and "tracker update" in result.stderr
    assert tree(site.root) == before


def test_retracting_every_event_of_a_service_empties_its_block(site: GitRepo) -> None:
    events = json.loads(run("log", "--repo", str(site.root), "--format", "json").output)
    page = site.read(ACME)
    assert page.index(END) - page.index(BEGIN) > len(BEGIN) + 5  # the block shows them now
    site.write(".tracker/history/overrides.yaml",
               "".join(f"{e['id']}:\n  retract: true\n" for e in events))
    assert run("render", "--repo", str(site.root)).exit_code == 0
    page = site.read(ACME)
    block = page[page.index(BEGIN) + len(BEGIN):page.index(END)]
    assert block.strip() == ""
    feed = (site.root / "feeds" / "atom.xml").read_text(encoding="utf-8")
    assert "<entry>" not in feed


def test_an_override_naming_no_event_is_a_warning(site: GitRepo) -> None:
    site.write(".tracker/history/overrides.yaml", "# mine\n0123456789abcdef:\n  retract: true\n")
    result = run("render", "--repo", str(site.root))
    assert result.exit_code == 0
    assert (".tracker/history/overrides.yaml:2: override '0123456789abcdef' matches no event"
            in result.stderr)  # the path as the repository names it


def test_a_run_of_only_skip_commits_writes_nothing(site: GitRepo) -> None:
    site.write("notes.md", "a note\n")
    site.commit("chore: notes\n\nTracker: skip", "2025-03-07T10:00:00+08:00")
    before = tree(site.root)
    result = run("update", "--repo", str(site.root))
    assert result.exit_code == 0
    assert "0 files written" in result.output
    assert tree(site.root) == before


# -- usage errors -----------------------------------------------------------------------------

@pytest.mark.parametrize("args, says", [
    (["log", "--kind", "quota_cutt"], "did you mean quota_cut?"),
    (["log", "--severity", "braking"], "did you mean breaking?"),
    (["log", "--since", "2025-13-01"], "--since"),
    (["log", "--until", "yesterday"], "--until"),
    (["digest", "--week", "2025-46"], "2025-46"),
    (["digest", "--week", "2025-W99"], "2025-W99"),
    (["digest", "--since", "2025-02-30"], "2025-02-30"),
])
def test_usage_mistakes_exit_2_with_a_message(site: GitRepo, args: list[str], says: str) -> None:
    before = tree(site.root)
    result = run(*args, "--repo", str(site.root))
    assert result.exit_code == 2, result.output
    assert says in result.stderr
    assert tree(site.root) == before


def test_an_unknown_provider_names_the_closest(site: GitRepo) -> None:
    result = run("log", "--repo", str(site.root), "--provider", "acm")
    assert result.exit_code == 1 and "did you mean acme?" in result.stderr


@pytest.mark.parametrize("command", [[], ["update"], ["log"], ["check"], ["digest"]])
def test_dash_h_is_help(command: list[str]) -> None:
    short, long = run(*command, "-h"), run(*command, "--help")
    assert short.exit_code == 0 and short.output == long.output
    assert "Usage:" in short.output


@pytest.mark.parametrize("config, says", [
    ("default_lang: fr\n", "'default_lang' must be zh or en"),
    ("feeds:\n  lang: zh-cn\n", "'feeds.lang' must be zh or en"),
    ("digest:\n  unsubscribe: unsubscribe@example.org\n", "'digest.unsubscribe' must be"),
    ("updates_files: ['/etc/passwd']\n", "'updates_files[0]'"),
    ("pages: [a]\nfeeds: [\n\n", "tracker.yaml:2: not valid YAML"),  # not past the end
])
def test_configuration_is_validated_at_load(site: GitRepo, config: str, says: str) -> None:
    site.write("tracker.yaml", config)
    for command in ("update", "render", "log"):
        result = run(command, "--repo", str(site.root))
        assert result.exit_code == 1
        assert says in result.stderr
        assert "--force" not in result.stderr  # never a hint to overwrite the user's file


# -- GitHub Actions ---------------------------------------------------------------------------

def test_under_actions_warnings_are_annotations_and_update_writes_a_summary(
        site: GitRepo, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    site.write("services/api/broken/_index.md", "---\ntitle: x\n\n## 📋 服务概览\n")
    site.replace(ACME, "1,000 requests/day", "2,000 requests/day")
    site.commit("raise and a broken page", "2025-04-01T10:00:00+08:00")
    result = run("update", "--repo", str(site.root), "-q", env=env)
    assert result.exit_code == 0
    assert "::warning file=services/api/broken/_index.md,line=1::" in result.stderr
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n")  # appended, never overwritten
    assert "2 commits walked, 1 new event." in text  # the outputs commit and this one
    assert "| 2025-04-01 | acme | quota_raised | notable |" in text
    plain = run("update", "--repo", str(site.root), "-q")
    assert "::warning" not in plain.stderr


def test_a_step_summary_in_a_missing_folder_is_a_warning_after_a_good_run(
        site: GitRepo, tmp_path: Path) -> None:
    summary = tmp_path / "no-such-folder" / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    site.replace(ACME, "1,000 requests/day", "2,000 requests/day")
    site.commit("raise", "2025-04-01T10:00:00+08:00")
    result = run("update", "--repo", str(site.root), "-q", env=env)
    assert result.exit_code == 0, result.output
    assert f"::warning::cannot write the step summary to GITHUB_STEP_SUMMARY={summary}: " \
        in result.stderr
    assert "Traceback" not in result.output and not summary.parent.exists()
    assert (site.root / ".tracker/history" / "state.yaml").is_file()


def test_annotation_escapes_its_properties_and_message() -> None:
    import io

    from tracker.report import warn

    out = io.StringIO()
    import os

    old = os.environ.get("GITHUB_ACTIONS")
    os.environ["GITHUB_ACTIONS"] = "true"
    try:
        warn("50% off\nnext", "a,b:c.md", 3, stream=out)
    finally:
        if old is None:
            del os.environ["GITHUB_ACTIONS"]
        else:
            os.environ["GITHUB_ACTIONS"] = old
    assert out.getvalue() == "::warning file=a%2Cb%3Ac.md,line=3::50%25 off%0Anext\n"


def test_the_default_digest_week_is_the_utc_one_whatever_the_local_zone(
        site: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import datetime, timedelta, timezone

    import tracker.cli

    # Monday 00:30 in UTC+8 is still Sunday in UTC: the last complete UTC week is W45, not W46
    monday_in_asia = datetime(2025, 11, 17, 0, 30, tzinfo=timezone(timedelta(hours=8)))
    monkeypatch.setattr(tracker.cli, "now", lambda: monday_in_asia)
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    result = run("digest", "--repo", str(site.root), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert "2025-W45" in result.output and "2025-W46" not in result.output, result.output


# what the installed ``tracker`` script runs (pyproject's [project.scripts])
CONSOLE_SCRIPT = "import sys; from tracker.cli import main; sys.argv[0] = 'tracker'; main()"


def console(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """The console script's entry, tracker.cli.main, in its own process, output through pipes."""
    return subprocess.run([sys.executable, "-c", CONSOLE_SCRIPT, *args], cwd=cwd,
                          capture_output=True)


def test_the_console_script_ends_with_the_commands_status_and_all_its_output(
        site: GitRepo, tmp_path: Path) -> None:
    # main() ends the process without tearing the heap down: what it printed must all be out,
    # in order, and the status be the command's own
    done = console("log", "--format", "jsonl", cwd=site.root)
    assert done.returncode == 0 and done.stderr == b""
    assert done.stdout == run("log", "--repo", str(site.root), "--format", "jsonl"
                              ).output.encode("utf-8")
    lines = done.stdout.decode("utf-8").splitlines()
    assert len(lines) >= 2 and all(json.loads(line)["kind"] for line in lines)

    outside = tmp_path / "not-a-repo"
    outside.mkdir()
    done = console("update", cwd=outside)
    assert done.returncode == 1 and b"is not inside a git repository" in done.stderr

    done = console("updat", cwd=site.root)
    assert done.returncode == 2 and b"No such command 'updat'" in done.stderr


def test_the_console_script_stops_quietly_when_its_reader_is_gone(site: GitRepo) -> None:
    # the pipe's reader gone before anything is written: click's own handling (status 1,
    # nothing said) survives the fast exit
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run([sys.executable, "-c", CONSOLE_SCRIPT, "log"], cwd=site.root,
                              stdout=write_end, stderr=subprocess.PIPE)
    finally:
        os.close(write_end)
    assert done.returncode == 1 and done.stderr == b""


def test_python_dash_m_tracker_ends_the_usual_way_for_a_profiler(site: GitRepo,
                                                                 tmp_path: Path) -> None:
    # a profiler writes its report at exit: main()'s fast exit would lose it
    report = tmp_path / "update.prof"
    done = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(report), "-m", "tracker",
                           "log"], cwd=site.root, capture_output=True)
    assert done.returncode == 0 and report.stat().st_size > 0


@pytest.mark.parametrize("closed", [">&-", "2>&- >/dev/null"])
def test_the_console_script_runs_with_its_output_closed(site: GitRepo, closed: str) -> None:
    # started with stdout (or stderr) closed, Python has no stream there: nothing to flush
    done = subprocess.run(f'"{sys.executable}" -c "{CONSOLE_SCRIPT}" schema {closed}',
                          shell=True, cwd=site.root, capture_output=False)
    assert done.returncode == 0
