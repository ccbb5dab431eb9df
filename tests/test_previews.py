"""Previews and summaries that tell the truth: the digest preview, the run summary's counts,
"nothing to change", repository-relative paths, JSON documents, tracker.yaml's key typos, and
what `make demo` installs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from conftest import ADOPTED, PAGES, GitRepo
from tracker.cli import cli

ACME = "services/api/acme/_index.md"
PROJECT = Path(__file__).resolve().parent.parent


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(cli, list(args), env=env)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.fixture
def site(repo: GitRepo) -> GitRepo:
    repo.write(*ADOPTED)  # a content repository where tracker init was run
    repo.write(ACME, (PAGES / "acme.md").read_text(encoding="utf-8"))
    repo.commit("add acme", "2025-11-03T10:00:00+08:00")
    return repo


def test_one_commit_is_one_commit(site: GitRepo) -> None:
    result = run("update", "--repo", str(site.root))
    assert result.exit_code == 0
    assert result.output.startswith("1 commit walked, 1 new event, 0 warnings, ")


def test_the_summary_counts_every_warning_it_printed(site: GitRepo) -> None:
    # a glob matching nothing (a setup notice) and a page that does not parse (a walk warning)
    site.write(".tracker/tracker.yaml", "pages: ['services/api/*/_index*.md', 'nowhere/*.md']\n")
    site.write("services/api/broken/_index.md", "---\ntitle: [unclosed\n---\n")
    site.commit("a typo and a broken page", "2025-11-04T10:00:00+08:00")
    result = run("update", "--repo", str(site.root))
    assert result.exit_code == 0
    printed = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert len(printed) == 2
    assert f", {len(printed)} warnings, " in result.stdout  # the walk's one and the setup's


def test_render_says_when_nothing_changes(site: GitRepo) -> None:
    assert run("update", "--repo", str(site.root), "-q").exit_code == 0
    for args in (["render"], ["render", "--dry-run"]):
        result = run(*args, "--repo", str(site.root))
        assert result.exit_code == 0
        assert result.output == "nothing to change: every output already matches the ledger\n"
    (site.root / "feeds/atom.xml").unlink()
    dry = run("render", "--dry-run", "--repo", str(site.root))
    assert dry.output == "would write feeds/atom.xml\n"  # repository-relative
    wrote = run("render", "--repo", str(site.root / "services"))  # from a subfolder too
    assert wrote.output == "wrote feeds/atom.xml\n"


def test_errors_name_repository_relative_paths(site: GitRepo) -> None:
    result = run("render", "--repo", str(site.root))  # before any update: no ledger
    assert result.exit_code == 1
    assert result.stderr.startswith("tracker: .tracker/history: the ledger holds no events")
    assert str(site.root) not in result.stderr


def test_digest_without_out_prints_what_subscribers_read(site: GitRepo, tmp_path: Path) -> None:
    site.replace(ACME, "14,400 requests/day", "1,000 requests/day")
    site.commit("cut", "2025-11-05T10:00:00+08:00")
    assert run("update", "--repo", str(site.root), "-q").exit_code == 0
    preview = run("digest", "--repo", str(site.root), "--week", "2025-W45", "--lang", "en")
    assert preview.exit_code == 0
    out = tmp_path / "out"
    written = run("digest", "--repo", str(site.root), "--week", "2025-W45", "--lang", "en",
                  "--out", str(out))
    text = (out / "2025-W45.txt").read_text(encoding="utf-8")
    subject = written.output.splitlines()[0]
    assert preview.output == f"Subject: {subject}\n\n{text}"
    assert "Requests per day 14,400 → 1,000" in preview.output
    assert not any(Path.cwd().glob("2025-W45.*"))  # a preview writes nothing


@pytest.mark.parametrize("config, line, says", [
    ("site_url: https://x.example\nupdate_files: ['a.md']\n", 2,
     "unknown key 'update_files' (did you mean updates_files?)"),
    ("digest:\n  title: x\n  titel_en: y\n", 3,
     "unknown key 'digest.titel_en' (did you mean title_en?)"),
    ("records:\n  - name: a\n    files: 3\n", 3, "'records[0].files' must be a list"),
    ("colour: blue\n", 1, "unknown key 'colour' (known keys here: "),
])
def test_a_key_mistake_names_its_line_and_the_closest_key(site: GitRepo, config: str,
                                                          line: int, says: str) -> None:
    site.write(".tracker/tracker.yaml", config)
    result = run("update", "--repo", str(site.root))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"tracker: .tracker/tracker.yaml:{line}: {says}")


def test_make_demo_installs_only_the_package() -> None:
    """`make -n` prints what each target would run, in a venv folder that does not exist."""
    env = {**os.environ, "MAKEFLAGS": ""}
    venv = "/nonexistent/venv-for-make-n"

    def plan(target: str) -> str:
        return subprocess.run(["make", "-n", target, f"VENV={venv}"], cwd=PROJECT, env=env,
                              capture_output=True, text=True, check=True).stdout

    demo = plan("demo")
    assert f"{venv}/bin/pip install --quiet -e .\n" in demo
    assert "[test" not in demo and "bench" not in demo.replace("examples/demo.py", "")
    assert "examples/demo.py" in demo
    test = plan("test")
    assert "-e '.[test,bench]'" in test and "pytest" in test
