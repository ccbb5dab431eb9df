"""``tracker init --drift models.dev``: the daily drift workflow, as GitHub reads it, and its
issue-keeping script run by bash against a recording ``gh``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from tracker.cli import cli
from tracker.config import load_config
from tracker.drift import TITLE
from tracker.errors import TrackerError
from tracker.init import init_site

INSTALL = "tracker @ git+https://example.org/tracker.git@0123456789abcdef0123456789abcdef01234567"
WORKFLOW = Path(".github/workflows/tracker-drift.yml")


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def job(workflow: dict[Any, Any]) -> dict[str, Any]:
    (only,) = workflow["jobs"].values()
    assert isinstance(only, dict)
    return only


def test_a_new_site_gets_the_workflow_and_a_drift_entry(tmp_path: Path) -> None:
    written = init_site(tmp_path, install=INSTALL, drift="models.dev")
    assert tmp_path / WORKFLOW in written
    (entry,) = load_config(tmp_path).drift
    assert (entry.name, entry.path, entry.preset) == ("models.dev", "../models.dev", "models-dev")
    assert entry.layout == "file" and entry.fields["context"] == "limit.context"  # the preset's


def test_the_workflow_validates_and_asks_only_for_what_it_needs(tmp_path: Path) -> None:
    init_site(tmp_path, install=INSTALL, drift="models.dev")
    done = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                           "vendor.github-workflows", str(tmp_path / WORKFLOW)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    workflow = load(tmp_path / WORKFLOW)
    triggers = workflow.get("on", workflow.get(True))
    assert triggers["schedule"] == [{"cron": "30 2 * * *"}] and "workflow_dispatch" in triggers
    assert workflow["permissions"] == {}
    assert job(workflow)["permissions"] == {"contents": "read", "issues": "write"}
    checkouts = [s for s in job(workflow)["steps"] if s.get("uses", "").startswith(
        "actions/checkout@")]
    assert [c["with"].get("repository") for c in checkouts] == [None, "anomalyco/models.dev"]
    assert [c["with"]["path"] for c in checkouts] == ["site", "models.dev"]
    for step in checkouts:
        assert step["with"]["fetch-depth"] == 0 and step["with"]["persist-credentials"] is False
    text = (tmp_path / WORKFLOW).read_text(encoding="utf-8")
    assert "secrets." not in text and "tracker drift --repo site" in text


def test_an_existing_site_gets_the_workflow_and_a_note(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "tracker.yaml").write_text("default_lang: zh\n", encoding="utf-8")
    runner = CliRunner()
    done = runner.invoke(cli, ["init", "--repo", str(tmp_path), "--install", INSTALL,
                               "--drift", "models.dev"])
    assert done.exit_code == 0, done.output
    assert f"wrote {WORKFLOW.as_posix()}" in done.stdout.splitlines()
    # tracker.yaml is the maintainer's: init says what to add, it does not rewrite the list
    assert (tmp_path / "tracker.yaml").read_text(encoding="utf-8") == "default_lang: zh\n"
    assert "names no drift: catalogue 'models.dev'" in done.stderr
    assert "drift: [{name: models.dev, path: ../models.dev, preset: models-dev}]" in done.stderr
    written = (tmp_path / WORKFLOW).read_bytes()
    # run again (after an upgrade, say): the same workflow, so nothing is written
    again = runner.invoke(cli, ["init", "--repo", str(tmp_path), "--install", INSTALL,
                                "--drift", "models.dev"])
    assert again.exit_code == 0, again.output
    assert "tracker-drift" not in again.stdout
    assert (tmp_path / WORKFLOW).read_bytes() == written


def test_a_second_catalogue_joins_the_one_workflow(tmp_path: Path) -> None:
    """Two workflows would each find the other's checkout missing and fight over the issue."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    init_site(tmp_path, install=INSTALL, drift="models.dev")
    config = tmp_path / "tracker.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "drift:\n", "drift:\n- {name: litellm, path: ../litellm, preset: litellm}\n", 1),
        encoding="utf-8")
    assert [e.name for e in load_config(tmp_path).drift] == ["litellm", "models.dev"]
    init_site(tmp_path, install=INSTALL, drift="litellm")
    assert sorted(p.name for p in (tmp_path / WORKFLOW.parent).glob("tracker-drift*")) == [
        WORKFLOW.name]
    workflow = load(tmp_path / WORKFLOW)
    steps = job(workflow)["steps"]
    checkouts = [s["with"].get("repository") for s in steps
                 if s.get("uses", "").startswith("actions/checkout@")]
    assert checkouts == [None, "BerriAI/litellm", "anomalyco/models.dev"]
    compare = next(s["run"] for s in steps if "tracker drift" in s.get("run", ""))
    for line in compare.splitlines()[:2]:
        assert "--catalogue litellm --catalogue models.dev" in line
    assert sum("gh issue" in s.get("run", "") for s in steps) == 1  # one issue for both


def test_an_unknown_catalogue_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TrackerError, match="known: litellm, models.dev"):
        init_site(tmp_path, install=INSTALL, drift="modelsdev")
    assert not (tmp_path / "tracker.yaml").exists()


# -- the issue step, run by bash: gh records what it is asked, jq is the real one --------------

FAKE_GH = """#!/bin/sh
echo "$*" >> "$GH_LOG"
if [ "$1 $2" = "issue list" ]; then
  while [ "$#" -gt 0 ]; do
    if [ "$1" = "--jq" ]; then printf '%s' "$OPEN_ISSUES" | jq -r "$2"; exit 0; fi
    shift
  done
fi
"""


def run_issue_step(tmp_path: Path, findings: int, open_issues: list[dict[str, Any]]) -> list[str]:
    init_site(tmp_path, install=INSTALL, drift="models.dev")
    (step,) = [s for s in job(load(tmp_path / WORKFLOW))["steps"]
               if s.get("name") == "Keep the issue up to date"]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gh").write_text(FAKE_GH, encoding="utf-8")
    (bin_dir / "gh").chmod(0o755)
    (tmp_path / "drift.json").write_text(json.dumps({"findings": [{}] * findings}))
    log = tmp_path / "gh.log"
    env = {**os.environ, **{k: str(v) for k, v in step["env"].items()},
           "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "GH_LOG": str(log),
           "OPEN_ISSUES": json.dumps(open_issues)}
    subprocess.run(["bash", "-e", "-c", step["run"]], cwd=tmp_path, env=env, check=True)
    return [line for line in log.read_text().splitlines() if not line.startswith("issue list")]


needs_jq = pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")


@needs_jq
def test_findings_open_the_issue_once(tmp_path: Path) -> None:
    others = [{"number": 3, "title": TITLE + " (old)"}]
    assert run_issue_step(tmp_path, 2, others) == \
        [f"issue create --title {TITLE} --body-file drift.md"]


@needs_jq
def test_findings_edit_the_open_issue(tmp_path: Path) -> None:
    assert run_issue_step(tmp_path, 1, [{"number": 7, "title": TITLE}]) == \
        ["issue edit 7 --body-file drift.md"]


@needs_jq
def test_no_findings_close_it_or_do_nothing(tmp_path: Path) -> None:
    closed = run_issue_step(tmp_path / "a", 0, [{"number": 7, "title": TITLE}])
    assert closed == ["issue close 7 --comment The pages agree with models.dev again."]
    assert run_issue_step(tmp_path / "b", 0, []) == []
