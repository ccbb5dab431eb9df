"""A page copied from the site's template (tests/pages/template.md, a copy of the reference
service-api-template.md) and not filled in: check names every placeholder and its line, no
placeholder is a fact, and the template's example changelog lines are no entries."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner, Result

from conftest import PAGES, GitRepo
from tracker.cli import cli
from tracker.sources.page import parse_page
from tracker.sources.page.placeholders import find_placeholders

PAGE = "services/api/newco/_index.md"
TEMPLATE = (PAGES / "template.md").read_text(encoding="utf-8")


def run(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def line_of(text: str, needle: str, start: int = 0) -> int:
    return text.splitlines().index(next(line for line in text.splitlines()[start:]
                                        if needle in line)) + 1


@pytest.fixture
def site(repo: GitRepo) -> GitRepo:
    repo.write(PAGE, TEMPLATE)
    repo.commit("new page from the template", "2025-02-03T10:00:00+08:00")
    return repo


def test_check_names_each_placeholder_and_its_line(site: GitRepo) -> None:
    result = run("check", "--repo", str(site.root))
    assert result.exit_code == 1
    errors = result.stderr.splitlines()
    for needle, placeholder in [("**服务名称：**", "[API 服务名称]"), ("**服务类型：**",
                                "[完全免费/有限免费/试用积分]"),
                                ("| **每日请求数** |", "[数量]"), ("| **[model-1]** | $", "[价格]"),
                                ("**每日配额：**", "[重置时间，如 UTC 0:00]"),
                                ('title: "[服务名称] API"', "[服务名称]")]:
        line = line_of(TEMPLATE, needle)
        said = [e for e in errors if e.startswith(f"{PAGE}:{line}: ")]
        assert len(said) == 1 and placeholder in said[0], (needle, said)
    changelog = line_of(TEMPLATE, "## 📝 更新日志")
    entries = [line_of(TEMPLATE, "- **[年月]：**", changelog + n) for n in range(3)]
    assert all(any(e.startswith(f"{PAGE}:{line}: ") and "[年月]" in e for e in errors)
               for line in entries)
    assert f"{PAGE}:{line_of(TEMPLATE, '| **需要信用卡** |')}: " \
           "not filled in from the template: ✅/❌, [说明]" in result.stderr
    # code is never looked at: the template's examples hold brackets too
    fenced = line_of(TEMPLATE, "```python") + 1
    assert not any(e.startswith(f"{PAGE}:{fenced}:") for e in errors)
    assert "all source files parse" not in result.output


def test_placeholders_are_never_facts(site: GitRepo) -> None:
    service = parse_page(TEMPLATE.encode("utf-8"), PAGE)
    facts = json.dumps(service.to_dict(), ensure_ascii=False)
    assert "[" not in facts and "✅/❌" not in facts and "example.com" not in facts
    assert service.name is None and not service.limits and not service.models
    assert service.provider is None and service.service_type is None
    # filled in later: a limit is stated for the first time, not changed from "[数量]"
    assert run("update", "--repo", str(site.root), "-q").exit_code == 0
    site.replace(PAGE, "| **每日请求数** | [数量] requests/day | [说明] |",
                 "| **每日请求数** | 1,000 requests/day | 所有模型共享 |")
    site.commit("fill in the daily requests", "2025-02-04T10:00:00+08:00")
    assert run("update", "--repo", str(site.root), "-q").exit_code == 0
    events = json.loads(run("log", "--repo", str(site.root), "--format", "json").output)
    assert [(e["kind"], e["field"], e["old"], e["new"]) for e in events[1:]] == [
        ("quota_added", "requests_per_day", None, 1000)]
    assert not any("[" in json.dumps(e["new"], ensure_ascii=False) for e in events)


def test_the_template_changelog_lines_are_not_kept(site: GitRepo) -> None:
    assert run("update", "--repo", str(site.root), "-q").exit_code == 0
    page = site.read(PAGE)
    section = page[page.index("## 📝 更新日志"):]
    assert "[年月]" not in section and "<!-- tracker:changelog:begin -->" in section
    assert "新增服务 newco" in section
    # nothing else on the page moved: it is the template less those three lines, plus the block
    block = re.search(r"<!-- tracker:changelog:begin -->.*?<!-- tracker:changelog:end -->\n",
                      page, re.S)
    assert block is not None
    without = page.replace(block.group(0), "")
    expected = "".join(line for line in TEMPLATE.splitlines(keepends=True)
                       if not line.startswith("- **[年月]：**"))
    assert without == expected


def test_a_real_page_holds_no_placeholder() -> None:
    for name in ("acme.md", "acme.en.md", "tiered.md", "gateway.md", "legacy.md", "noise.md"):
        assert find_placeholders((PAGES / name).read_text(encoding="utf-8")) == [], name
    # a footnote or a plain bracket is text, not a placeholder
    assert find_placeholders("见 [1] 与 [beta] 说明；链接 [Acme AI](/providers/acme)") == []
