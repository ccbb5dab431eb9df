"""The bundled example catalogue: it builds reproducibly, is as large and varied as promised, and
tracker finds in it the changes that examples/catalogue/expected.yaml says were made."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from tracker.model import KINDS

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
sys.path.insert(0, str(EXAMPLES))  # build_example is a script beside the catalogue

import build_example

Triple = tuple[str, str, str | None]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture
def built(example_catalogue: tuple[Path, list[build_example.BuiltCommit]],
          ) -> tuple[Path, list[build_example.BuiltCommit]]:
    return example_catalogue  # built once per session (conftest)


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    with open(EXAMPLES / "catalogue" / "expected.yaml", encoding="utf-8") as handle:
        steps: dict[str, Any] = yaml.safe_load(handle)["steps"]
    return steps


def head_services(site: Path) -> dict[str, dict[str, Any]]:
    """Service id → {provider, twin, kind} for every service page and data file at HEAD."""
    services: dict[str, dict[str, Any]] = {}
    for page in sorted((site / "services" / "api").glob("*/_index.md")):
        text = page.read_text(encoding="utf-8")
        provider = text.split("](/providers/", 1)[1].split(")", 1)[0]
        twin = (page.parent / "_index.en.md").exists()
        services[page.parent.name] = {"provider": provider, "twin": twin, "kind": "page"}
    for data in sorted((site / "data" / "services").glob("*.yaml")):
        record = yaml.safe_load(data.read_text(encoding="utf-8"))
        services[record["id"]] = {"provider": record["provider"], "twin": False, "kind": "data"}
    return services


def expected_triples(entry: Any) -> set[Triple]:
    if not isinstance(entry, list):
        return set()
    return {(e["service"], e["kind"], e.get("model")) for e in entry}


def test_building_twice_gives_the_same_shas(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        built: tuple[Path, list[build_example.BuiltCommit]]) -> None:
    # A hostile user configuration and environment must not leak into the commits.
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text("[user]\n\tname = Someone Else\n\temail = x@y.z\n"
                                     "[core]\n\tautocrlf = true\n[commit]\n\tgpgsign = true\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Intruder")
    monkeypatch.setenv("GIT_COMMITTER_DATE", "2001-01-01T00:00:00+00:00")
    site, first = built
    second = build_example.build(tmp_path / "again")
    assert [c.sha for c in second] == [c.sha for c in first]
    assert git(tmp_path / "again", "rev-parse", "HEAD") == git(site, "rev-parse", "HEAD")
    assert git(tmp_path / "again", "status", "--porcelain") == ""


def test_a_year_of_history_with_more_than_a_hundred_commits(
        built: tuple[Path, list[build_example.BuiltCommit]]) -> None:
    site, _ = built
    first_parent = git(site, "log", "--first-parent", "--format=%aI").split()
    assert len(first_parent) >= 100
    dates = [datetime.fromisoformat(d) for d in git(site, "log", "--all", "--format=%aI").split()]
    assert len({(d.year, d.month) for d in dates}) >= 12
    assert (max(dates) - min(dates)).days >= 360
    merges = git(site, "log", "--merges", "--format=%H").split()
    assert merges, "the history should hold a merge commit"
    assert "Tracker: skip" in git(site, "log", "--format=%B")


def test_services_providers_twins_and_a_data_file(
        built: tuple[Path, list[build_example.BuiltCommit]]) -> None:
    site, _ = built
    services = head_services(site)
    assert len(services) >= 14
    assert len({s["provider"] for s in services.values()}) >= 8
    assert sum(s["twin"] for s in services.values()) * 3 >= len(services)
    assert any(s["kind"] == "data" for s in services.values())
    for provider in {s["provider"] for s in services.values()}:
        assert (site / "providers" / provider / "_index.md").exists(), provider
    assert "<!-- tracker:updates:begin -->" in (site / "services/api/_index.md").read_text()


def test_pages_show_the_real_variants(built: tuple[Path, list[build_example.BuiltCommit]]) -> None:
    site, _ = built
    pages = {p: p.read_text(encoding="utf-8") for p in (site / "services/api").glob("*/_index.md")}
    everything = "\n".join(pages.values())
    for marker in ("## 📋 服务信息", "**免费类型：** 试用积分（", "| Model ID | 类型 | 特点 | 价格 |",
                   "| `deepseek-chat` |", "**服务名称:**", "**High 级别模型（", "¥2(in)/¥3(out)",
                   "| 模型 ID | 上下文 | 输入价格 | 输出价格 |", "/1M |", "### 与其他 API 对比",
                   "| 限制项 | 要求 | 说明 |", "| 任务类型 | 说明 | 示例模型 |", "```python",
                   "| **需要信用卡** |", "视模型而定", "无限制"):
        assert marker in everything, marker
    for path, text in pages.items():
        assert 3_000 <= len(text.encode("utf-8")) <= 8_000, path


def test_expected_names_every_step_and_every_kind(
        built: tuple[Path, list[build_example.BuiltCommit]], expected: dict[str, Any]) -> None:
    _, commits = built
    assert list(expected) == [c.step.id for c in commits]
    kinds = Counter(e["kind"] for entry in expected.values() if isinstance(entry, list)
                    for e in entry)
    assert set(kinds) == set(KINDS)
    assert all(count >= 2 for count in kinds.values()), kinds
    noise = [k for k, v in expected.items() if isinstance(v, dict) and v.get("noise")]
    assert len(noise) >= 15
    by_id = {c.step.id: c for c in commits}
    for step_id, entry in expected.items():
        if isinstance(entry, dict) and "branch" in entry:
            assert by_id[step_id].step.branch == entry["branch"]
            assert by_id[entry["merged_by"]].step.merge == entry["branch"]


def test_tracker_finds_the_intended_changes(
        example_catalogue: tuple[Path, list[build_example.BuiltCommit]],
        example_updated: Path, expected: dict[str, Any]) -> None:
    from tracker.config import load_config
    from tracker.ledger import Ledger

    site, commits = example_updated, example_catalogue[1]
    events = Ledger(load_config(site)).events()
    step_of = {c.sha: c.step.id for c in commits}

    found: dict[str, set[Triple]] = {}
    for event in events:
        found.setdefault(step_of[event.commit], set()).add(
            (event.service, event.kind, event.model))
    identities = Counter((e.commit, e.service, e.model, e.kind, e.field) for e in events)
    assert [k for k, n in identities.items() if n > 1] == [], "duplicate events"

    true_positive = wanted_total = found_total = 0
    misses, extras = [], []
    for step_id, entry in expected.items():
        want, got = expected_triples(entry), found.get(step_id, set())
        if isinstance(entry, dict):
            assert not got, f"{step_id} ({entry.get('why') or 'branch'}) produced {sorted(got)}"
        true_positive += len(want & got)
        wanted_total += len(want)
        found_total += len(got)
        misses += [(step_id, t) for t in sorted(want - got, key=str)]
        extras += [(step_id, t) for t in sorted(got - want, key=str)]
    precision, recall = true_positive / found_total, true_positive / wanted_total
    report = (f"precision {precision:.3f}, recall {recall:.3f}\n"
              f"missed: {misses}\nunexpected: {extras}")
    print(report)  # shown with pytest -s: the figures quoted in notes
    assert precision >= 0.95, report
    assert recall >= 0.95, report
