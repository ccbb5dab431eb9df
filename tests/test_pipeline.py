"""End to end through the library and the CLI on real temporary git repositories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import PAGES, GitRepo
from tracker.cli import cli
from tracker.config import load_config
from tracker.ledger import Ledger
from tracker.pipeline import update

ACME = "services/api/acme/_index.md"
ACME_EN = "services/api/acme/_index.en.md"


def events_of(repo: GitRepo) -> list[tuple[str, str, str | None]]:
    return [(e.service, e.kind, e.model) for e in Ledger(load_config(repo.root)).events()]


def new_kinds(repo: GitRepo, message: str, date: str) -> list[tuple[str, str | None]]:
    """Commit what the working tree holds, update, and return (kind, model) of the new events."""
    repo.commit(message, date)
    result = update(repo.root, render=False)
    return sorted((e.kind, e.model) for e in result.new_events)


@pytest.fixture
def site(repo: GitRepo, page_text: str) -> GitRepo:
    repo.write(ACME, page_text)
    repo.commit("add acme", "2025-01-05T10:00:00+08:00")
    update(repo.root, render=False)
    return repo


def test_first_walk_gives_one_service_added_carrying_its_facts(site: GitRepo) -> None:
    events = Ledger(load_config(site.root)).events()
    assert [(e.kind, e.service) for e in events] == [("service_added", "acme")]
    facts = events[0].new
    assert facts["limits"]["requests_per_day"] == 14400
    assert set(facts["models"]) == {"acme-chat", "acme-fast", "acme-legacy"}
    assert events[0].date == "2025-01-05T10:00:00+08:00"


@pytest.mark.parametrize("old, new, expected", [
    ("| **每日请求数** | 14,400 requests/day |", "| **每日请求数** | 1,000 requests/day |",
     [("quota_cut", None)]),
    ("| **每日请求数** | 14,400 requests/day |", "| **每日请求数** | 无限制 |",
     [("quota_raised", None)]),
    ("| **每日请求数** | 14,400 requests/day |", "| **每日请求数** | 视情况而定 |",
     [("info_changed", None)]),
    ("| **acme-chat** | 128K | 8K |", "| **acme-chat** | 32K | 8K |",
     [("context_changed", "acme-chat")]),
    ("| **acme-chat** | 128K | 8K |", "| **acme-chat** | 128K | 16K |",
     [("output_changed", "acme-chat")]),
    ("| **acme-chat** | $0.28/M tokens |", "| **acme-chat** | $0.56/M tokens |",
     [("price_increase", "acme-chat")]),
    ("| **acme-fast** | $0.10/M tokens | $0.20/M tokens |",
     "| **acme-fast** | $0.05/M tokens | $0.20/M tokens |", [("price_decrease", "acme-fast")]),
    ("**服务类型：** 有限免费", "**服务类型：** 试用积分", [("tier_changed", None)]),
    ("**服务类型：** 有限免费", "**服务类型：** 免费额度（每日 100 万 Token）",
     [("tier_changed", None)]),
    ("| **需要信用卡** | ❌ 不需要 |", "| **需要信用卡** | ✅ 需要 |",
     [("requirement_added", None)]),
    ("`https://api.acme.example/v1`  ", "`https://api.acme.example/v2`  ",
     [("endpoint_changed", None)]),
    ("- **每日配额：** UTC 00:00", "- **每日配额：** UTC 08:00", [("reset_changed", None)]),
    ("| **试用积分** | $5 |", "| **试用积分** | $10 |", [("credits_changed", None)]),
    ("| **并发请求** | 5 | |\n", "", [("quota_removed", None)]),
])
def test_each_edit_gives_its_event(site: GitRepo, old: str, new: str,
                                   expected: list[tuple[str, str | None]]) -> None:
    site.replace(ACME, old, new)
    assert new_kinds(site, "edit", "2025-02-01T10:00:00+08:00") == expected


def test_model_added_removed_and_deprecated(site: GitRepo) -> None:
    site.replace(ACME, "| **acme-fast** | 32,768 | 4K | 低延迟 | 实时应用 |\n",
                 "| **acme-fast** | 32,768 | 4K | 低延迟 | 实时应用 |\n"
                 "| **acme-vision** | 64K | 4K | 看图 | 图像 |\n")
    assert new_kinds(site, "add", "2025-02-01T10:00:00+08:00") == [("model_added", "acme-vision")]
    site.replace(ACME, "| **acme-vision** | 64K | 4K | 看图 | 图像 |\n", "")
    assert new_kinds(site, "rm", "2025-02-02T10:00:00+08:00") == [("model_removed", "acme-vision")]
    site.replace(ACME, "| **acme-fast** | 32,768 | 4K | 低延迟 |", "| **acme-fast** | 32,768 | 4K | 已弃用 |")
    assert new_kinds(site, "dep", "2025-02-03T10:00:00+08:00") == [("model_deprecated", "acme-fast")]


@pytest.mark.parametrize("old, new", [
    ("| **每日请求数** | 14,400 requests/day |", "| **每日请求数** | 14.4K requests/day |"),
    ("| **acme-chat** | 128K | 8K |", "| **acme-chat** | 131,072 | 8K |"),
    ("| **acme-chat** | 128K | 8K |", "| **acme-chat** | 128,000 | 8K |"),
    ("| **每日 Token 数** | 100 万 tokens/day |", "| **每日 Token 数** | 约 1,000,000 tokens/day |"),
    ("| **最大上下文长度** | 128K tokens |", "| **最大上下文长度** | 最高 128K tokens |"),
    ("| 所有模型共享 |", "| 全部模型共用这一额度 |"),
    ('description: "Acme 推理 API：免费额度、模型、配额和使用方法"', 'description: "新的描述"'),
    ("Acme Inference API 是 Acme AI 提供的", "Acme Inference API 由 Acme AI 提供，是"),
    ("| **acme-chat** | 128K | 8K | 旗舰对话模型 | 通用对话、写作 |\n"
     "| **acme-fast** | 32,768 | 4K | 低延迟 | 实时应用 |\n",
     "| **acme-fast** | 32,768 | 4K | 低延迟 | 实时应用 |\n"
     "| **acme-chat** | 128K | 8K | 旗舰对话模型 | 通用对话、写作 |\n"),
    ("| 上下文长度 | 128K | 128K | 32K |", "| 上下文长度 | 128K | 128K | 8K |"),
    ("- **2025年1月：** 新增 acme-fast 模型", "- **2025年2月：** 手写条目\n- **2025年1月：** 新增 acme-fast 模型"),
])
def test_display_only_edits_give_no_event(site: GitRepo, old: str, new: str) -> None:
    site.replace(ACME, old, new)
    assert new_kinds(site, "noise", "2025-02-01T10:00:00+08:00") == []


def test_broken_page_then_fixed_gives_a_warning_and_no_event(site: GitRepo) -> None:
    good = site.read(ACME)
    site.write(ACME, good.replace("| **acme-fast** | 32,768 | 4K | 低延迟 | 实时应用 |",
                                  "| **acme-fast** | 32,768 |"))
    site.commit("break", "2025-02-01T10:00:00+08:00")
    broken = update(site.root, render=False)
    assert broken.new_events == []
    assert [(w.path, w.line) for w in broken.warnings] == [(ACME, good.splitlines().index(
        "| **acme-fast** | 32,768 | 4K | 低延迟 | 实时应用 |") + 1)]
    site.write(ACME, good)
    assert new_kinds(site, "fix", "2025-02-02T10:00:00+08:00") == []
    assert Ledger(load_config(site.root)).warnings()[0].path == ACME


def test_broken_page_survives_between_runs(site: GitRepo) -> None:
    """The last good version is remembered in state, so a fix in a later run is no change."""
    good = site.read(ACME)
    site.write(ACME, "---\ntitle: x\n" + good)  # front matter never closed
    site.commit("break", "2025-02-01T10:00:00+08:00")
    update(site.root, render=False)
    site.write(ACME, good.replace("14,400 requests/day", "1,000 requests/day"))
    assert new_kinds(site, "fix and cut", "2025-02-02T10:00:00+08:00") == [("quota_cut", None)]


def test_rename_is_one_service_renamed(site: GitRepo) -> None:
    site.git("mv", "services/api/acme", "services/api/acme-ai")
    assert new_kinds(site, "move", "2025-02-01T10:00:00+08:00") == [("service_renamed", None)]
    events = Ledger(load_config(site.root)).events()
    assert (events[-1].old, events[-1].new, events[-1].service) == ("acme", "acme-ai", "acme-ai")


def test_service_removed(site: GitRepo) -> None:
    site.git("rm", "-q", ACME)
    assert new_kinds(site, "drop", "2025-02-01T10:00:00+08:00") == [("service_removed", None)]


def test_skip_trailer_absorbs_the_change(site: GitRepo) -> None:
    site.replace(ACME, "14,400 requests/day", "1,000 requests/day")
    assert new_kinds(site, "bot\n\nTracker: skip", "2025-02-01T10:00:00+08:00") == []
    site.replace(ACME, "| **并发请求** | 5 |", "| **并发请求** | 2 |")
    assert new_kinds(site, "cut", "2025-02-02T10:00:00+08:00") == [("quota_cut", None)]


def test_merge_is_diffed_against_its_first_parent(site: GitRepo) -> None:
    site.git("checkout", "-q", "-b", "feature")
    site.replace(ACME, "14,400 requests/day", "1,000 requests/day")
    site.commit("cut on a branch", "2025-02-01T10:00:00+08:00")
    site.replace(ACME, "| **并发请求** | 5 |", "| **并发请求** | 2 |")
    site.commit("another on the branch", "2025-02-02T10:00:00+08:00")
    site.git("checkout", "-q", "main")
    site.git("merge", "-q", "--no-ff", "-m", "merge feature", "feature",
             date="2025-02-03T10:00:00+08:00")
    result = update(site.root, render=False)
    assert result.commits_walked == 1
    assert sorted(e.kind for e in result.new_events) == ["quota_cut", "quota_cut"]
    assert {e.date for e in result.new_events} == {"2025-02-03T10:00:00+08:00"}


def test_twins_facts_come_from_the_default_language_page(site: GitRepo) -> None:
    site.write(ACME_EN, (PAGES / "acme.en.md").read_text(encoding="utf-8"))
    assert new_kinds(site, "add twin", "2025-02-01T10:00:00+08:00") == []
    site.replace(ACME_EN, "| **Daily Requests** | 14.4K requests/day |",
                 "| **Daily Requests** | 100 requests/day |")
    assert new_kinds(site, "en only edit", "2025-02-02T10:00:00+08:00") == []


def test_english_only_service_comes_from_its_english_page(repo: GitRepo) -> None:
    repo.write("services/api/acme/_index.en.md", (PAGES / "acme.en.md").read_text("utf-8"))
    repo.commit("add", "2025-01-05T10:00:00+08:00")
    update(repo.root, render=False)
    repo.replace("services/api/acme/_index.en.md", "| **Daily Requests** | 14.4K requests/day |",
                 "| **Daily Requests** | 100 requests/day |")
    assert new_kinds(repo, "cut", "2025-02-02T10:00:00+08:00") == [("quota_cut", None)]


def test_second_update_with_nothing_new_writes_nothing(site: GitRepo) -> None:
    history = site.root / ".tracker/history"
    before = {p: p.stat().st_mtime_ns for p in history.rglob("*")}
    result = update(site.root)
    assert (result.commits_walked, result.written) == (0, [])
    assert {p: p.stat().st_mtime_ns for p in history.rglob("*")} == before


def test_incremental_equals_from_scratch(site: GitRepo, tmp_path: Path) -> None:
    for n, (old, new) in enumerate([("14,400 requests/day", "1,000 requests/day"),
                                    ("| **并发请求** | 5 |", "| **并发请求** | 2 |"),
                                    ("$0.28/M tokens", "$0.30/M tokens")]):
        site.replace(ACME, old, new)
        site.commit(f"edit {n}", f"2025-03-0{n + 1}T10:00:00+08:00")
        update(site.root, render=False)
    incremental = {p.relative_to(site.root): p.read_bytes()
                   for p in (site.root / ".tracker/history").rglob("*.yaml")}
    for path in (site.root / ".tracker/history").rglob("*.yaml"):
        path.unlink()
    update(site.root, render=False)
    scratch = {p.relative_to(site.root): p.read_bytes()
               for p in (site.root / ".tracker/history").rglob("*.yaml")}
    assert incremental == scratch


def test_cli_log_json_and_snapshot(site: GitRepo) -> None:
    site.replace(ACME, "14,400 requests/day", "1,000 requests/day")
    site.commit("cut", "2025-11-03T10:00:00+08:00")
    runner = CliRunner()
    result = runner.invoke(cli, ["update", "--repo", str(site.root), "-q"],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["log", "--repo", str(site.root), "--format", "json",
                                 "--kind", "quota_cut"], catch_exceptions=False)
    (event,) = json.loads(result.output)  # one JSON document: an array
    stream = runner.invoke(cli, ["log", "--repo", str(site.root), "--format", "jsonl",
                                 "--kind", "quota_cut"], catch_exceptions=False)
    assert [json.loads(line) for line in stream.output.splitlines()] == [event]
    assert event["summary"] == "每日请求数 14,400 → 1,000（-93.1%）" or \
        event["summary"].startswith("每日请求数 14,400 → 1,000（-93")
    assert {k for k in event} >= {"id", "date", "commit", "path", "service", "service_name",
                                  "provider", "model", "kind", "field", "old", "new",
                                  "change_pct", "severity", "summary"}
    result = runner.invoke(cli, ["snapshot", "--repo", str(site.root), "--rev", "HEAD~1"],
                           catch_exceptions=False)
    (snap,) = json.loads(result.output)  # one array of services
    lines = runner.invoke(cli, ["snapshot", "--repo", str(site.root), "--rev", "HEAD~1",
                                "--format", "jsonl"], catch_exceptions=False).output
    assert [json.loads(line) for line in lines.splitlines()] == [snap]
    assert snap["limits"]["requests_per_day"] == 14400
    assert snap["endpoint"] == "https://api.acme.example/v1"
    assert snap["provider"] == "acme"


def test_cli_errors_exit_1_without_traceback(tmp_path: Path, site: GitRepo) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["update", "--repo", str(tmp_path / "nowhere")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    (site.root / "tracker.yaml").write_text("sitee_url: https://x.org\n")
    result = runner.invoke(cli, ["update", "--repo", str(site.root)])
    assert result.exit_code == 1
    assert "unknown key 'sitee_url'" in result.output
    result = runner.invoke(cli, ["log", "--format", "xml"])
    assert result.exit_code == 2


def test_check_names_file_and_line_and_exits_1(site: GitRepo) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["check", "--repo", str(site.root)], catch_exceptions=False)
    assert result.exit_code == 0
    lines = site.read(ACME).splitlines()
    row = lines.index("| **acme-fast** | 32,768 | 4K | 低延迟 | 实时应用 |")
    site.write(ACME, site.read(ACME).replace(lines[row], "| **acme-fast** | 32,768 |"))
    site.write("data/services/broken.yaml", "id: broken\nlimits: [1, 2]\n")
    result = runner.invoke(cli, ["check", "--repo", str(site.root)], catch_exceptions=False)
    assert result.exit_code == 1
    assert f"{ACME}:{row + 1}:" in result.output
    assert "data/services/broken.yaml" in result.output


def test_log_filters_and_formats(site: GitRepo) -> None:
    site.replace(ACME, "14,400 requests/day", "1,000 requests/day")
    site.commit("cut", "2025-11-03T10:00:00+08:00")
    update(site.root, render=False)
    runner = CliRunner()

    def log(*args: str) -> str:
        result = runner.invoke(cli, ["log", "--repo", str(site.root), *args],
                               catch_exceptions=False)
        assert result.exit_code == 0
        return result.output

    assert len(json.loads(log("--format", "json"))) == 2
    assert len(log("--format", "jsonl", "--since", "2025-11-01").splitlines()) == 1
    assert len(json.loads(log("--format", "json", "--until", "2025-10-31"))) == 1
    unknown = runner.invoke(cli, ["log", "--repo", str(site.root), "--service", "acmee"])
    assert unknown.exit_code == 1  # a service matching nothing is said, not an empty list
    assert "matches no event" in unknown.output and "did you mean acme?" in unknown.output
    assert log("--format", "json", "--severity", "breaking").count("quota_cut") == 1
    assert "Requests per day 14,400 → 1,000 (-93%)" in log("--lang", "en")
    table = log("--format", "markdown", "--provider", "acme")
    assert table.splitlines()[0] == "| date | service | kind | severity | change |"
    assert len(table.splitlines()) == 4


def test_schema_is_json_schema_of_the_normalized_service() -> None:
    result = CliRunner().invoke(cli, ["schema"], catch_exceptions=False)
    schema = json.loads(result.output)
    assert schema["type"] == "object"
    assert {"id", "limits", "models", "trial_credits"} <= set(schema["properties"])


def test_snapshot_says_which_files_it_left_out(site: GitRepo) -> None:
    site.write("services/api/broken/_index.md", "---\ntitle: x\n\n## 📋 服务概览\n")
    site.commit("broken page", "2025-02-01T10:00:00+08:00")
    result = CliRunner().invoke(cli, ["snapshot", "--repo", str(site.root)],
                                catch_exceptions=False)
    assert result.exit_code == 0
    assert [service["id"] for service in json.loads(result.stdout)] == ["acme"]
    assert "warning: services/api/broken/_index.md:1:" in result.stderr


def test_a_page_moved_out_of_the_catalogue_is_removed(site: GitRepo) -> None:
    (site.root / "archive").mkdir()
    site.git("mv", ACME, "archive/acme.md")
    assert new_kinds(site, "archive", "2025-02-01T10:00:00+08:00") == [("service_removed", None)]


def test_incremental_outputs_equal_a_full_render(site: GitRepo, tmp_path: Path) -> None:
    """Runs that render only what changed end with the bytes of one run over everything."""
    import shutil

    fresh = tmp_path / "fresh"
    for n, (old, new) in enumerate([("14,400 requests/day", "1,000 requests/day"),
                                    ("| **并发请求** | 5 |", "| **并发请求** | 2 |")]):
        site.replace(ACME, old, new)
        site.commit(f"edit {n}", f"2025-03-0{n + 1}T10:00:00+08:00")
        update(site.root)
    site.write("services/api/other/_index.md", site.read(ACME).replace("acme", "other"))
    site.commit("another service", "2025-03-05T10:00:00+08:00")
    update(site.root)
    site.git("stash", "-q", "--include-untracked")  # the committed pages, before any block
    shutil.copytree(site.root, fresh)
    site.git("stash", "pop", "-q")
    update(fresh)

    def outputs(root: Path) -> dict[str, bytes]:
        return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
                if p.is_file() and ".git" not in p.relative_to(root).parts}

    assert outputs(site.root) == outputs(fresh)


def test_a_move_git_does_not_pair_is_still_a_rename(site: GitRepo) -> None:
    """Moved and mostly rewritten in one commit: git sees a deletion and an addition."""
    text = site.read(ACME)
    site.git("rm", "-q", ACME)
    head, _, _ = text.partition("## ✅ 服务说明")
    site.write("services/api/acme-ai/_index.md", head + "## 🔢 配额和限制\n\n"
               "| 限制项 | 配额 | 说明 |\n|---|---|---|\n| **每日请求数** | 500 | |\n")
    kinds = new_kinds(site, "move and rewrite", "2025-02-01T10:00:00+08:00")
    assert ("service_renamed", None) in kinds
    assert ("service_added", None) not in kinds and ("service_removed", None) not in kinds


def test_check_reports_a_page_whose_markers_cannot_be_trusted(site: GitRepo) -> None:
    text = site.read(ACME)
    site.write(ACME, text.replace("- **2024年：** 正式发布",
                                  "<!-- tracker:changelog:begin -->\n- **2024年：** 正式发布"))
    line = site.read(ACME).splitlines().index("<!-- tracker:changelog:begin -->") + 1
    result = CliRunner().invoke(cli, ["check", "--repo", str(site.root)], catch_exceptions=False)
    assert result.exit_code == 1
    assert f"{ACME}:{line}:" in result.output and "no matching" in result.output
