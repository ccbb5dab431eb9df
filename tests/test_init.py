"""``tracker init``: tracker.yaml from the config reference, and the two CI workflows."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from conftest import PAGES, GitRepo
from tracker.cli import cli
from tracker.config import Config, load_config, reference
from tracker.errors import TrackerError
from tracker.init import (
    ACTION_PINS,
    DIGEST_WORKFLOW,
    UPDATE_WORKFLOW,
    WORKFLOWS_DIR,
    init_site,
    pin,
    render_config,
    render_workflows,
)

INSTALL = "tracker @ git+https://example.org/tracker.git@0123456789abcdef0123456789abcdef01234567"


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 reads a bare `on:` key as True; GitHub reads it as "on"
    result: dict[str, Any] = workflow.get("on", workflow.get(True))
    return result


def steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    (job,) = workflow["jobs"].values()
    result: list[dict[str, Any]] = job["steps"]
    return result


def checkout(workflow: dict[Any, Any]) -> dict[str, Any]:
    (step,) = [s for s in steps(workflow) if s.get("uses", "").startswith("actions/checkout@")]
    return step


def runs(workflow: dict[Any, Any]) -> str:
    return "\n".join(s.get("run", "") for s in steps(workflow))


def git_repo(path: Path, branch: str) -> Path:
    path.mkdir()
    subprocess.run(["git", "init", "-q", "-b", branch, str(path)], check=True)
    return path


def test_writes_config_and_workflows(tmp_path: Path) -> None:
    site = git_repo(tmp_path / "site", "trunk")
    written = init_site(site, install=INSTALL)
    assert written == [site / "tracker.yaml", site / UPDATE_WORKFLOW, site / DIGEST_WORKFLOW]
    assert UPDATE_WORKFLOW.as_posix() == ".github/workflows/tracker.yml"
    assert DIGEST_WORKFLOW.as_posix() == ".github/workflows/tracker-digest.yml"
    for path in written:
        load(path)


def test_update_workflow(tmp_path: Path) -> None:
    site = git_repo(tmp_path / "site", "trunk")
    init_site(site, install="tracker @ git+https://example.org/tracker.git")
    workflow = load(site / UPDATE_WORKFLOW)
    assert triggers(workflow)["push"]["branches"] == ["trunk"]  # the checkout's own branch
    assert checkout(workflow)["with"]["fetch-depth"] == 0
    assert workflow["permissions"] == {}  # nothing by default; the job asks for what it needs
    (only_job,) = workflow["jobs"].values()
    assert only_job["permissions"] == {"contents": "write"}
    commands = runs(workflow)
    assert "tracker update" in commands
    assert 'pip install "tracker @ git+https://example.org/tracker.git"' in commands
    assert '-m "Tracker: skip"' in commands
    assert 'authed push origin "HEAD:refs/heads/${branch}"' in commands
    (job,) = workflow["jobs"].values()
    assert "Tracker: skip" in job["if"]  # its own commits do not start it again
    assert any(s.get("uses", "").startswith("actions/setup-python@") for s in steps(workflow))


def test_digest_workflow(tmp_path: Path) -> None:
    init_site(tmp_path, install=INSTALL)
    workflow = load(tmp_path / DIGEST_WORKFLOW)
    on = triggers(workflow)
    assert on["schedule"] == [{"cron": "0 1 * * 1"}]
    assert "workflow_dispatch" in on
    assert checkout(workflow)["with"]["fetch-depth"] == 0
    commands = runs(workflow)
    assert "tracker digest --send" in commands
    assert "git add history" in commands and '-m "Tracker: skip"' in commands
    (send,) = [s for s in steps(workflow) if "tracker digest" in s.get("run", "")]
    for name in ("HOST", "PORT", "USER", "PASSWORD", "FROM", "TO", "SECURITY"):
        assert send["env"][f"TRACKER_SMTP_{name}"] == f"${{{{ secrets.TRACKER_SMTP_{name} }}}}"
    # both workflows share one concurrency group so they never push at the same time
    update = load(tmp_path / UPDATE_WORKFLOW)
    assert workflow["concurrency"]["group"] == update["concurrency"]["group"]


def test_branch_defaults_to_main_outside_a_repository(tmp_path: Path) -> None:
    init_site(tmp_path, install=INSTALL)
    assert triggers(load(tmp_path / UPDATE_WORKFLOW))["push"]["branches"] == ["main"]


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and value and prefix == "" and key not in ("fields", "filter"):
            flat.update(flatten(value, f"{key}."))
        else:
            flat[prefix + key] = value
    return flat


def test_config_has_exactly_the_reference_keys_and_defaults(tmp_path: Path) -> None:
    init_site(tmp_path, install=INSTALL)
    data = load(tmp_path / "tracker.yaml")
    expected = {key: default for key, _, default in reference()
                if not key.startswith(("records[].", "drift[].", "hugo."))}
    assert flatten(data) == expected
    # every record key is documented in the commented example under records, and every key of
    # the hugo block (commented: only a content-only repository needs it)
    text = (tmp_path / "tracker.yaml").read_text(encoding="utf-8")
    for key, doc, _ in reference():
        if key.startswith(("records[].", "drift[].")):
            assert f"#   {key.split('].', 1)[1]}: " in text
        if key.startswith("hugo."):
            assert f"#   {key.removeprefix('hugo.')}: null" in text
        assert doc in text


def test_load_config_accepts_the_written_file(tmp_path: Path) -> None:
    init_site(tmp_path, install=INSTALL)
    loaded = load_config(tmp_path)
    defaults = Config()
    assert {k: v for k, v in asdict(loaded).items() if k != "root"} == \
           {k: v for k, v in asdict(defaults).items() if k != "root"}


def test_init_again_keeps_every_file_without_force(tmp_path: Path) -> None:
    mine = "# mine\nsite_url: https://mine.example\n"
    (tmp_path / "tracker.yaml").write_text(mine, encoding="utf-8")
    (tmp_path / DIGEST_WORKFLOW).parent.mkdir(parents=True)
    (tmp_path / DIGEST_WORKFLOW).write_text("name: mine\n", encoding="utf-8")
    told: list[str] = []
    written = init_site(tmp_path, install=INSTALL, told=told)
    assert written == [tmp_path / UPDATE_WORKFLOW]  # the one file that was missing
    assert (tmp_path / "tracker.yaml").read_text(encoding="utf-8") == mine
    assert (tmp_path / DIGEST_WORKFLOW).read_text(encoding="utf-8") == "name: mine\n"
    assert told == [f"kept {DIGEST_WORKFLOW.as_posix()} (it exists; --force writes it again)"]

    init_site(tmp_path, force=True, install=INSTALL)
    assert load(tmp_path / "tracker.yaml")["site_url"] == "https://example.org"
    assert load(tmp_path / DIGEST_WORKFLOW)["name"] != "mine"


def test_a_broken_tracker_yaml_is_named_before_anything_is_written(tmp_path: Path) -> None:
    (tmp_path / "tracker.yaml").write_text("feeds: [\n", encoding="utf-8")
    with pytest.raises(TrackerError, match="not valid YAML") as info:
        init_site(tmp_path, install=INSTALL)
    assert info.value.path == "tracker.yaml"
    assert not (tmp_path / ".github").exists()


def test_output_is_deterministic(tmp_path: Path) -> None:
    first = [p.read_bytes() for p in init_site(tmp_path / "a", install=INSTALL)]
    second = [p.read_bytes() for p in init_site(tmp_path / "a", force=True, install=INSTALL)]
    assert first == second
    assert render_config() == (tmp_path / "a" / "tracker.yaml").read_text(encoding="utf-8")


# -- what the workflows install ---------------------------------------------------------------

def direct_url(**fields: Any) -> str:
    import json

    return json.dumps(fields)


def test_install_spec_is_the_vcs_source_and_commit() -> None:
    from tracker.init import install_spec

    sha = "89abcdef" * 5
    spec = install_spec(direct_url(url="https://github.com/ada/tracker.git",
                                   vcs_info={"vcs": "git", "commit_id": sha,
                                             "requested_revision": "main"}))
    assert spec == f"tracker @ git+https://github.com/ada/tracker.git@{sha}"
    sub = install_spec(direct_url(url="https://example.org/mono.git", subdirectory="tools/tracker",
                                  vcs_info={"vcs": "git", "commit_id": sha}))
    assert sub.endswith(f"@{sha}#subdirectory=tools/tracker")


@pytest.mark.parametrize("origin", [
    None,  # installed from an index: the name on PyPI is someone else's
    direct_url(url="file:///home/ada/tracker", dir_info={"editable": True}),
    direct_url(url="file:///home/ada/tracker", dir_info={}),
    direct_url(url="file:///home/ada/tracker", vcs_info={"vcs": "git", "commit_id": "ab" * 20}),
    direct_url(url="https://example.org/tracker-0.1.0.tar.gz", archive_info={}),
    direct_url(url="https://hg.example.org/tracker", vcs_info={"vcs": "hg", "commit_id": "x"}),
    "not json",
])
def test_install_spec_refuses_what_ci_cannot_install(origin: str | None) -> None:
    from tracker.init import install_spec

    with pytest.raises(TrackerError, match="--install"):
        install_spec(origin)


def test_cli_init_without_install_refuses_and_writes_nothing(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from tracker.cli import cli

    site = git_repo(tmp_path / "site", "main")
    # this test suite runs from an editable install: a local folder CI cannot reach
    result = CliRunner().invoke(cli, ["init", "--repo", str(site)])
    assert result.exit_code == 1
    assert "--install" in result.output and "Traceback" not in result.output
    assert sorted(p.name for p in site.iterdir()) == [".git"]
    result = CliRunner().invoke(cli, ["init", "--repo", str(site), "--install", INSTALL])
    assert result.exit_code == 0, result.output
    assert INSTALL in (site / UPDATE_WORKFLOW).read_text(encoding="utf-8")


def test_cli_init_names_repository_paths_once(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from tracker.cli import cli

    site = git_repo(tmp_path / "site", "main")
    (site / "hugo.toml").write_text('baseURL = "https://example.org/"\n', encoding="utf-8")
    (site / "content").mkdir()
    unnormalised = str(site / "content" / "..")
    result = CliRunner().invoke(cli, ["init", "--repo", unnormalised, "--install", INSTALL])
    assert result.exit_code == 0, result.output
    wrote = [line.removeprefix("wrote ") for line in result.output.splitlines()
             if line.startswith("wrote ")]
    assert wrote == ["tracker.yaml", str(UPDATE_WORKFLOW), str(DIGEST_WORKFLOW),
                     "layouts/partials/custom/head-end.html"]
    assert all((site / path).is_file() for path in wrote)
    monkeypatch.chdir(site / ".github")  # "." and paths relative to where tracker runs
    again = CliRunner().invoke(cli, ["init", "--repo", "..", "--install", INSTALL,
                                     "--force"])
    assert again.exit_code == 0, again.output
    assert [line for line in again.output.splitlines() if line.startswith("wrote ")] == \
        ["wrote " + path for path in wrote[:3]]  # the partial is unchanged
    kept = CliRunner().invoke(cli, ["init", "--repo", "..", "--install", INSTALL])
    assert kept.exit_code == 0, kept.output
    assert kept.output.splitlines() == [
        f"kept {UPDATE_WORKFLOW} (it exists; --force writes it again)",
        f"kept {DIGEST_WORKFLOW} (it exists; --force writes it again)"]


# -- the workflows, as GitHub reads them ------------------------------------------------------

def test_workflows_validate_against_the_github_workflow_schema(tmp_path: Path) -> None:
    init_site(tmp_path, install=INSTALL)
    for workflow in (UPDATE_WORKFLOW, DIGEST_WORKFLOW):
        done = subprocess.run(
            [sys.executable, "-m", "check_jsonschema", "--builtin-schema",
             "vendor.github-workflows", str(tmp_path / workflow)],
            capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr


def test_a_broken_workflow_fails_the_schema(tmp_path: Path) -> None:
    # the schema check is real: a misspelt key is caught
    bad = tmp_path / "bad.yml"
    bad.write_text("name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
                   "    stepz: []\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                           "vendor.github-workflows", str(bad)], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 1


def zizmor(*paths: Path) -> list[dict[str, Any]]:
    """zizmor's findings (offline, regular persona, no configuration that could ignore some)."""
    import json
    import os
    import sysconfig

    # --offline must need no token: none is passed, so an online audit could not run unnoticed
    env = {k: v for k, v in os.environ.items()
           if k not in ("GH_TOKEN", "GITHUB_TOKEN", "ZIZMOR_GITHUB_TOKEN")}
    done = subprocess.run([str(Path(sysconfig.get_path("scripts")) / "zizmor"), "--offline",
                           "--no-config", "--format", "json", *map(str, paths)],
                          capture_output=True, text=True, check=False, env=env)
    findings: list[dict[str, Any]] = json.loads(done.stdout)
    # 0 is "no findings"; 10 + the highest severity otherwise; anything else is zizmor failing
    assert (done.returncode == 0) == (not findings), done.stderr
    assert done.returncode in (0, 11, 12, 13, 14), done.stderr
    return findings


def test_zizmor_finds_nothing_in_the_workflows(tmp_path: Path) -> None:
    init_site(tmp_path, install=INSTALL, drift="models.dev")
    workflows = tmp_path / WORKFLOWS_DIR
    assert sorted(p.name for p in workflows.iterdir()) == [
        "tracker-digest.yml", "tracker-drift.yml", "tracker.yml"]
    findings = zizmor(workflows)
    assert [(f["ident"], f["locations"][0]["symbolic"]["key"]) for f in findings] == []


def test_zizmor_is_real(tmp_path: Path) -> None:
    # what this issue fixed, put back: a tag instead of a commit, a token left in .git/config
    init_site(tmp_path, install=INSTALL)
    path = tmp_path / UPDATE_WORKFLOW
    text = path.read_text(encoding="utf-8")
    release = ACTION_PINS["actions/checkout"]
    text = text.replace(f"actions/checkout@{release.sha} # {release.tag}",
                        f"actions/checkout@{release.tag}")
    text = text.replace("persist-credentials: false", "")  # actions/checkout's default: true
    path.write_text(text, encoding="utf-8")
    findings = zizmor(path)
    assert sorted(f["ident"] for f in findings) == ["artipacked", "unpinned-uses"]


USES = re.compile(r"^ *(?:- )?uses: ([\w.-]+/[\w.-]+)@(\S+) # (\S+)$", re.MULTILINE)


def test_action_pins_are_full_commits_of_release_tags() -> None:
    assert ACTION_PINS  # the table the templates write from
    for action, release in ACTION_PINS.items():
        assert re.fullmatch(r"[\w.-]+/[\w.-]+", action), action
        assert re.fullmatch(r"[0-9a-f]{40}", release.sha), (action, release.sha)
        assert re.fullmatch(r"v\d+\.\d+\.\d+", release.tag), (action, release.tag)
        assert pin(action) == f"{action}@{release.sha} # {release.tag}"
    with pytest.raises(KeyError, match="ACTION_PINS"):
        pin("actions/upload-artifact")  # an action missing from the table cannot be written


def test_readme_lists_the_pins_and_how_to_move_them() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Updating the action pins"):]
    rows = re.findall(r"^\| `([^`]+)` \| (\S+) \| `([0-9a-f]+)` \|$", section, re.MULTILINE)
    assert {action: (sha, tag) for action, tag, sha in rows} == \
        {action: (release.sha, release.tag) for action, release in ACTION_PINS.items()}
    assert "ACTION_PINS" in section and "git ls-remote" in section and "^{}" in section


def test_drift_workflow_uses_only_pinned_actions(tmp_path: Path) -> None:
    init_site(tmp_path, install=INSTALL, drift="models.dev")
    text = (tmp_path / WORKFLOWS_DIR / "tracker-drift.yml").read_text(encoding="utf-8")
    written = USES.findall(text)
    assert len(written) == text.count("uses:") == 4  # two checkouts, setup-python, cache
    for action, sha, tag in written:
        assert (sha, tag) == (ACTION_PINS[action].sha, ACTION_PINS[action].tag)


@pytest.mark.parametrize("workflow_path", [UPDATE_WORKFLOW, DIGEST_WORKFLOW])
def test_actions_pinned_by_commit_least_permissions_secrets_on_one_step(
        tmp_path: Path, workflow_path: Path) -> None:
    init_site(tmp_path, install=INSTALL)
    text = (tmp_path / workflow_path).read_text(encoding="utf-8")
    workflow = load(tmp_path / workflow_path)
    used = [s["uses"] for s in steps(workflow) if "uses" in s]
    written = USES.findall(text)
    # every uses: line is the pinned commit with the table's tag as its comment
    assert len(written) == len(used) == text.count("uses:")
    for (action, sha, tag), uses in zip(written, used, strict=True):
        assert uses == f"{action}@{sha}"  # the comment is a comment, not part of the value
        assert (sha, tag) == (ACTION_PINS[action].sha, ACTION_PINS[action].tag)
    assert workflow["permissions"] == {}
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "write"}
    assert "env" not in workflow and "env" not in job
    with_secrets = [s for s in steps(workflow) if "secrets." in str(s)]
    assert text.count("secrets.") == sum(str(s).count("secrets.") for s in with_secrets)
    assert len(with_secrets) <= 1


@pytest.mark.parametrize("workflow_path", [UPDATE_WORKFLOW, DIGEST_WORKFLOW])
def test_the_token_only_on_the_step_that_pushes(tmp_path: Path, workflow_path: Path) -> None:
    init_site(tmp_path, install=INSTALL)
    text = (tmp_path / workflow_path).read_text(encoding="utf-8")
    workflow = load(tmp_path / workflow_path)
    # the checkout leaves no token in .git/config for the pip-installed tracker to find
    assert checkout(workflow)["with"]["persist-credentials"] is False
    (push,) = [s for s in steps(workflow) if "git push" in str(s) or "token" in str(s)]
    assert push["env"] == {"GITHUB_TOKEN": "${{ github.token }}"}
    assert text.count("github.token") == 1
    assert push["if"] == "steps.commit.outputs.committed == 'true'"
    (commit,) = [s for s in steps(workflow) if s.get("id") == "commit"]
    assert steps(workflow).index(commit) == steps(workflow).index(push) - 1
    # never printed, never in a URL or on a command line: only git's credential helper reads it
    script = push["run"]
    assert [line for line in script.splitlines() if "GITHUB_TOKEN" in line] == \
        [line for line in script.splitlines() if "password=${GITHUB_TOKEN}" in line]
    assert "set -x" not in script and "x-access-token:" not in script


def test_update_workflow_caches_the_tracker_cache(tmp_path: Path) -> None:
    init_site(tmp_path, install=INSTALL)
    workflow = load(tmp_path / UPDATE_WORKFLOW)
    names = [s.get("uses", s.get("run", "")) for s in steps(workflow)]
    (cache,) = [s for s in steps(workflow) if s.get("uses", "").startswith("actions/cache@")]
    (update,) = [i for i, n in enumerate(names) if n == "tracker update"]
    assert steps(workflow).index(cache) < update  # restored before the run, saved after it
    assert cache["with"]["path"] == ".git/tracker-cache"
    key = cache["with"]["key"]
    # either layout's tracker.yaml (a content repository keeps it in .tracker/)
    assert "steps.tracker.outputs.version" in key
    assert "hashFiles('tracker.yaml', '.tracker/tracker.yaml')" in key
    assert cache["with"]["restore-keys"].strip() in key


def uncomment_hugo_block(text: str) -> str:
    head, block = text.split("# hugo:\n")
    rows = [line.removeprefix("#   ") for line in block.splitlines() if not line.startswith("#   #")]
    return head + "\n".join(["hugo:"] + ["  " + row for row in rows]) + "\n"


def test_content_only_repository_gets_a_hugo_block_to_fill(tmp_path: Path) -> None:
    site = git_repo(tmp_path / "content", "main")
    (site / "services/api/acme").mkdir(parents=True)
    (site / "services/api/acme/_index.md").write_text("---\ntitle: Acme\n---\n", "utf-8")
    notes: list[TrackerError] = []
    init_site(site, install=INSTALL, notes=notes)
    assert not (site / "tracker.yaml").exists()  # Hugo would publish it from the content
    text = (site / ".tracker/tracker.yaml").read_text(encoding="utf-8")
    assert "looks like the content of a Hugo site" in text
    assert "#   defaultContentLanguage: zh-cn" in text
    assert "#   languages: [zh-cn, en]" in text
    assert load_config(site).hugo.stated() is False  # commented: nothing stated yet
    assert load(site / ".tracker/tracker.yaml")["charts"]["dir"] == "charts"  # kept in the content
    said = " ".join(str(note) for note in notes)
    assert "uncomment the 'hugo:' block" in said and "ignoreFiles" in said
    (site / ".tracker/tracker.yaml").write_text(uncomment_hugo_block(text), encoding="utf-8")
    hugo = load_config(site).hugo
    assert (hugo.baseURL, hugo.defaultContentLanguage, hugo.defaultContentLanguageInSubdir,
            hugo.languages, hugo.contentDir) == ("https://your.site/", "zh-cn", True,
                                                 ["zh-cn", "en"], ".")


def test_a_site_with_its_hugo_config_gets_no_suggestion(tmp_path: Path) -> None:
    site = git_repo(tmp_path / "site", "main")
    (site / "hugo.yaml").write_text("baseURL: https://x.example/\n", encoding="utf-8")
    (site / "content/services/api/acme").mkdir(parents=True)
    (site / "content/services/api/acme/_index.md").write_text("---\ntitle: A\n---\n", "utf-8")
    notes: list[TrackerError] = []
    init_site(site, install=INSTALL, notes=notes)
    text = (site / "tracker.yaml").read_text(encoding="utf-8")
    assert "looks like the content" not in text and "#   baseURL: null" in text
    assert not any("hugo:" in str(note) for note in notes)


# -- adopting the real site's layout: the content here, its Hugo project beside it -------------

PROJECT_CONFIG = """baseURL: https://getfree.example/
defaultContentLanguage: zh-cn
defaultContentLanguageInSubdir: true
languages:
  zh-cn:
    weight: 1
  en:
    weight: 2
module:
  mounts:
    - source: ../content
      target: content
"""


def content_and_project(tmp_path: Path) -> tuple[GitRepo, Path]:
    """A content repository (pages at its root) and, beside it, the Hugo project mounting it."""
    content = GitRepo(tmp_path / "content")
    content.write("services/api/acme/_index.md", (PAGES / "acme.md").read_text(encoding="utf-8"))
    content.write("services/api/acme/_index.en.md",
                  (PAGES / "acme.en.md").read_text(encoding="utf-8"))
    content.commit("acme", "2025-01-05T10:00:00+08:00")
    project = tmp_path / "site"
    project.mkdir()
    (project / "hugo.yaml").write_text(PROJECT_CONFIG, encoding="utf-8")
    return content, project


def cli_run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def test_adopting_beside_the_hugo_project_records_values_and_ci_runs_alone(
        tmp_path: Path) -> None:
    content, project = content_and_project(tmp_path)
    result = cli_run("init", "--repo", str(content.root), "--install", INSTALL,
                     "--hugo-config", "../site/hugo.yaml")
    assert result.exit_code == 0, result.output
    assert "wrote .tracker/tracker.yaml" in result.output
    assert not (content.root / "tracker.yaml").exists()
    written = (content.root / ".tracker/tracker.yaml").read_text(encoding="utf-8")
    assert "../site" not in written  # never a path CI does not have
    config = load_config(content.root)
    assert config.hugo_config is None
    hugo = config.hugo
    assert (hugo.baseURL, hugo.defaultContentLanguage, hugo.defaultContentLanguageInSubdir,
            hugo.languages, hugo.contentDir) == ("https://getfree.example/", "zh-cn", True,
                                                 ["zh-cn", "en"], ".")
    # still written into the Hugo project beside it: the feed links and the ignoreFiles rules
    partial = (project / "layouts/partials/custom/head-end.html").read_text(encoding="utf-8")
    assert 'href="https://getfree.example/zh-cn/feeds/atom.xml"' in partial
    assert "ignoreFiles:" in (project / "hugo.yaml").read_text(encoding="utf-8")
    digest = (content.root / DIGEST_WORKFLOW).read_text(encoding="utf-8")
    assert "git add .tracker/history\n" in digest  # the sent weeks, where the ledger is
    update = (content.root / UPDATE_WORKFLOW).read_text(encoding="utf-8")
    assert "hashFiles('tracker.yaml', '.tracker/tracker.yaml')" in update
    content.commit("tracker init", "2025-01-05T11:00:00+08:00")
    content.replace("services/api/acme/_index.md", "14,400 requests/day", "1,000 requests/day")
    content.commit("cut", "2025-03-05T10:00:00+08:00")

    # CI: a fresh clone of the content repository alone
    ci = tmp_path / "ci"
    subprocess.run(["git", "clone", "-q", str(content.root), str(ci)], check=True)
    result = cli_run("update", "--repo", str(ci))
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr, result.stderr
    atom = (ci / "feeds/atom.xml").read_text(encoding="utf-8")
    assert "https://getfree.example/zh-cn/services/api/acme/" in atom
    assert 'href="https://getfree.example/zh-cn/feeds/atom.xml" rel="self"' in atom
    assert (ci / ".tracker/history/state.yaml").is_file() and not (ci / "history").exists()


def test_init_again_keeps_what_the_maintainer_set_and_says_what_it_added(
        tmp_path: Path) -> None:
    content, project = content_and_project(tmp_path)
    mine = ("# ours: the CDN address, not Hugo's\n"
            "hugo_config: ../site/hugo.yaml\n"
            "hugo:\n"
            "  baseURL: https://cdn.getfree.example/   # served from here\n"
            "\n"
            "charts:\n"
            "  enabled: false\n")
    content.write(".tracker/tracker.yaml", mine)
    result = cli_run("init", "--repo", str(content.root), "--install", INSTALL,
                     "--hugo-config", "../site/hugo.yaml")  # no --force
    assert result.exit_code == 0, result.output
    text = (content.root / ".tracker/tracker.yaml").read_text(encoding="utf-8")
    lines = iter(text.splitlines())
    assert all(line in lines for line in mine.splitlines())  # every line kept, in order
    assert "added to .tracker/tracker.yaml: charts.dir, hugo.defaultContentLanguage, " \
           "hugo.defaultContentLanguageInSubdir, hugo.languages, hugo.contentDir" \
           in result.output
    assert "kept hugo.baseURL: https://cdn.getfree.example/ in .tracker/tracker.yaml (the Hugo " \
           "configuration says https://getfree.example/)" in result.output
    assert "'hugo_config' names '../site/hugo.yaml', outside the repository" in result.stderr
    assert "remove hugo_config" in result.stderr
    config = load_config(content.root)
    assert config.hugo.baseURL == "https://cdn.getfree.example/"
    assert config.hugo.languages == ["zh-cn", "en"] and config.charts.enabled is False
    assert config.charts.dir == "charts"
    again = cli_run("init", "--repo", str(content.root), "--install", INSTALL,
                    "--hugo-config", "../site/hugo.yaml")
    assert again.exit_code == 0 and "added" not in again.output, again.output
    assert "ignoreFiles" not in again.stderr  # the rules the first run wrote are there
    assert (content.root / ".tracker/tracker.yaml").read_text(encoding="utf-8") == text


def test_init_moves_the_old_layout_and_fills_its_commented_block(tmp_path: Path) -> None:
    content, _project = content_and_project(tmp_path)
    old = render_config({"charts.dir": "charts"}, content_only=True)  # an older init's file
    content.write("tracker.yaml", old)
    content.write("history/state.yaml", "schema_version: 1\nlast_commit: null\n")
    for rel, text in render_workflows("main", INSTALL).items():  # the older init's
        content.write(rel.as_posix(), text)
    result = cli_run("init", "--repo", str(content.root), "--install", INSTALL,
                     "--hugo-config", "../site/hugo.yaml")
    assert result.exit_code == 0, result.output
    assert "moved history/ → .tracker/history/ and tracker.yaml → .tracker/tracker.yaml, where " \
           "Hugo never publishes them" in result.stderr
    assert not (content.root / "tracker.yaml").exists()
    assert (content.root / ".tracker/history/state.yaml").is_file()
    assert "it commits the ledger as 'git add history', which is now .tracker/history/" \
           in result.stderr  # the older init's digest workflow, kept
    text = (content.root / ".tracker/tracker.yaml").read_text(encoding="utf-8")
    assert "# hugo:" not in text and "\nhugo:\n  baseURL: https://getfree.example/\n" in text
    assert text.startswith(old.split("# hugo:")[0])  # the rest as it was
