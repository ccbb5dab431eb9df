"""render/changelog.py and render/markers.py: changelog lines, the marker rewrite, update_pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.config import Config
from tracker.errors import TrackerError
from tracker.model import Event
from tracker.render.changelog import render_changelog, rewrite_changelog, update_pages
from tracker.render.markers import md_escape

BEGIN = "<!-- tracker:changelog:begin -->"
END = "<!-- tracker:changelog:end -->"
BOM = "\ufeff"


def event(n: int, date: str, kind: str, severity: str, *, field: str | None = None,
          old: object = None, new: object = None, pct: float | None = None,
          model: str | None = None, note: str | None = None, service: str = "nimbus",
          source: str | None = None) -> Event:
    return Event(id=f"e{n}", date=date, commit="a" * 40, path=f"services/api/{service}/_index.md",
                 service=service, service_name="Nimbus API", provider="nimbus", model=model,
                 kind=kind, field=field, old=old, new=new, change_pct=pct, severity=severity,
                 note=note, source=source)


CUT = event(1, "2025-11-03T10:00:00+08:00", "quota_cut", "breaking", field="requests_per_day",
            old=14400, new=1000, pct=-93.06)
ADDED = event(2, "2025-11-01T09:00:00+08:00", "model_added", "notable", model="llama-4-scout")
OCT = event(3, "2025-10-20T12:00:00+08:00", "quota_raised", "notable", field="requests_per_minute",
            old=30, new=60, pct=100.0)
INFO = event(4, "2025-11-02T12:00:00+08:00", "info_changed", "info", field="quota_reset",
             old="UTC 0:00", new="UTC 00:00")

ZH_NOV = "- **2025年11月：** 每日请求数 14,400 → 1,000（-93%）；新增模型 llama-4-scout"
EN_NOV = "- **November 2025:** Requests per day 14,400 → 1,000 (-93%); new model llama-4-scout"

PAGE = """---
title: "Nimbus API"
weight: 20
---

{{< callout type="info" >}}
**注意：** 示例
{{< /callout >}}

## 📋 服务概览

**服务名称：** Nimbus API  \n**服务类型：** 有限免费  

---

## 📝 更新日志

- **2025年1月：** 正式发布  \n- **2024年：** 新增 Llama 模型支持

---

**服务提供者：** [Nimbus](/providers/nimbus)
"""


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(root=tmp_path)


def block(config: Config, lang: str = "zh") -> str:
    return render_changelog([CUT, ADDED, OCT], lang, config)


# rendering ---------------------------------------------------------------------------------


def test_zh_lines_newest_month_first_breaking_first(config: Config) -> None:
    assert render_changelog([ADDED, OCT, CUT], "zh", config) == (
        ZH_NOV + "\n- **2025年10月：** 每分钟请求数 30 → 60（+100%）\n")


def test_en_lines(config: Config) -> None:
    assert render_changelog([OCT, CUT, ADDED], "en", config) == (
        EN_NOV + "\n- **October 2025:** Requests per minute 30 → 60 (+100%)\n")


def test_within_a_month_newest_first_and_month_from_local_date(config: Config) -> None:
    late = event(5, "2025-11-30T23:30:00-05:00", "model_added", "notable", model="late")
    early = event(6, "2025-11-10T00:00:00+00:00", "model_added", "notable", model="early")
    december_utc = event(7, "2025-12-01T01:00:00+08:00", "model_added", "notable", model="dec")
    out = render_changelog([late, december_utc, early], "zh", config)
    # 23:30 on Nov 30 in New York is December in UTC; the page shows the author's month
    assert out == ("- **2025年12月：** 新增模型 dec\n"
                   "- **2025年11月：** 新增模型 late；新增模型 early\n")  # as the feeds order


def test_reworded_text_left_out_unless_noted(config: Config) -> None:
    assert render_changelog([INFO], "zh", config) == ""
    to_text = event(7, INFO.date, "info_changed", "info", field="requests_per_minute", old=30,
                    new="视模型而定")
    assert render_changelog([to_text], "zh", config) == (
        "- **2025年11月：** 每分钟请求数 30 → 视模型而定\n")
    noted = event(8, INFO.date, "info_changed", "info", field="quota_reset", old="UTC 0:00",
                  new="北京时间 8:00", note="官方文档更新")
    out = render_changelog([noted], "zh", config)
    assert out == "- **2025年11月：** 配额重置 UTC 0:00 → 北京时间 8:00（官方文档更新）\n"


def test_note_and_source_shown(config: Config) -> None:
    noted = event(9, CUT.date, "quota_cut", "breaking", field="requests_per_day", old=14400,
                  new=1000, pct=-93.06, note="see the announcement",
                  source="https://status.nimbus.example/post(1)")
    assert render_changelog([noted], "en", config) == (
        "- **November 2025:** Requests per day 14,400 → 1,000 (-93%) (see the announcement) "
        "[source](https://status.nimbus.example/post%281%29)\n")
    unsafe = event(10, CUT.date, "model_added", "notable", model="m", source="javascript:alert(1)")
    assert "javascript" not in render_changelog([unsafe], "en", config)


HOSTILE = ["<script>x</script>", "-->", END, "[link](javascript:alert(1))", "{{< callout >}}",
           "**bold** _it_ `code`", "line\nbreak\r\n- item", "\\(x\\) \\[y\\]", "&lt;b&gt;"]


@pytest.mark.parametrize("value", HOSTILE)
def test_injection_is_inert(config: Config, value: str) -> None:
    events = [event(11, CUT.date, "model_added", "notable", model=value),
              event(12, CUT.date, "info_changed", "info", field="quota_reset", old=value,
                    new=value, note=value)]
    out = render_changelog(events, "en", config)
    assert out.count("\n") == 1  # still one line: no value starts a line of its own
    for dangerous in ("<", ">", "[link]", "](", "{{", "\\(", "\\[", "&lt;b"):
        assert dangerous not in out
    page = rewrite_changelog(PAGE, out, "en")
    assert rewrite_changelog(page, out, "en") == page
    assert page.count(END) == 1 and page.count(BEGIN) == 1


def test_md_escape_keeps_plain_ids_readable() -> None:
    assert md_escape("llama-4-scout") == "llama-4-scout"
    assert md_escape("meta-llama/Llama-3.3-70B:free") == "meta-llama/Llama-3.3-70B:free"
    assert md_escape("gpt_4*") == "gpt\\_4\\*"


# rewriting ---------------------------------------------------------------------------------


def test_section_without_markers_gets_block_on_top_hand_entries_kept(config: Config) -> None:
    out = rewrite_changelog(PAGE, block(config), "zh")
    hand = "- **2025年1月：** 正式发布  \n- **2024年：** 新增 Llama 模型支持\n"
    expected_section = ("## 📝 更新日志\n\n" + BEGIN + "\n" + block(config) + END + "\n\n" + hand)
    assert expected_section in out
    assert out.replace(BEGIN + "\n" + block(config) + END + "\n\n", "") == PAGE


def test_markers_present_replace_only_between(config: Config) -> None:
    page = PAGE.replace("- **2025年1月", BEGIN + "\nold generated line\n" + END
                        + " \nafter the end marker\n- **2025年1月")
    out = rewrite_changelog(page, block(config), "zh")
    assert out == page.replace("old generated line\n", block(config))
    assert "\nafter the end marker\n" in out and END + " \n" in out


def test_english_update_log_heading(config: Config) -> None:
    page = ("## 🔗 Resources\n\n- x\n\n## 📝 Update Log\n\n- **January 2024:** Launched\n\n"
            "---\n\n**Service Provider:** [Nimbus](/providers/nimbus)\n")
    out = rewrite_changelog(page, block(config, "en"), "en")
    assert out == page.replace("## 📝 Update Log\n\n", "## 📝 Update Log\n\n" + BEGIN + "\n"
                               + block(config, "en") + END + "\n\n")


def test_heading_without_blank_line_after_it(config: Config) -> None:
    page = "## Changelog\n- **2024:** hand\n"
    out = rewrite_changelog(page, "- a\n", "en")
    assert out == "## Changelog\n\n" + BEGIN + "\n- a\n" + END + "\n\n- **2024:** hand\n"
    assert rewrite_changelog(out, "- a\n", "en") == out


def test_section_missing_goes_before_footer_rule(config: Config) -> None:
    page = PAGE.replace("## 📝 更新日志\n\n- **2025年1月：** 正式发布  \n- **2024年：** 新增 Llama 模型支持"
                        "\n\n---\n\n", "")
    out = rewrite_changelog(page, block(config), "zh")
    assert out == page.replace(
        "---\n\n**服务提供者：**",
        "---\n\n## 📝 更新日志\n\n" + BEGIN + "\n" + block(config) + END + "\n\n---\n\n**服务提供者：**")


def test_section_missing_footer_without_rule() -> None:
    page = "intro\n\n**Service Provider:** [N](/providers/n)\n"
    out = rewrite_changelog(page, "- a\n", "en")
    assert out == ("intro\n\n## 📝 Changelog\n\n" + BEGIN + "\n- a\n" + END
                   + "\n\n**Service Provider:** [N](/providers/n)\n")


def test_section_missing_no_footer_appends() -> None:
    assert rewrite_changelog("intro", "- a\n", "zh") == (
        "intro\n\n## 📝 更新日志\n\n" + BEGIN + "\n- a\n" + END + "\n")


def test_crlf_bom_trailing_spaces_and_shortcodes_kept(config: Config) -> None:
    page = "\ufeff" + PAGE.replace("\n", "\r\n")
    out = rewrite_changelog(page, block(config), "zh")
    inserted = (BEGIN + "\n" + block(config) + END + "\n\n").replace("\n", "\r\n")
    assert out.startswith("\ufeff---\r\n")
    assert "\n" not in out.replace("\r\n", "")
    assert out.replace(inserted, "") == page
    assert rewrite_changelog(out, block(config), "zh") == out


def test_two_runs_identical_and_new_events_replace_block(config: Config) -> None:
    once = rewrite_changelog(PAGE, block(config), "zh")
    assert rewrite_changelog(once, block(config), "zh") == once
    newer = render_changelog([CUT], "zh", config)
    again = rewrite_changelog(once, newer, "zh")
    assert again == rewrite_changelog(PAGE, newer, "zh")


@pytest.mark.parametrize("broken, line", [
    (BEGIN + "\nhand text\n", 1),
    (BEGIN + "\n" + BEGIN + "\n" + END + "\n", 2),
    (END + "\n" + BEGIN + "\n", 1),
    ("x\n" + END + "\n", 2),
    (BEGIN + "\n" + END + "\n" + END + "\n", 3),
])
def test_unbalanced_markers_refused(broken: str, line: int) -> None:
    with pytest.raises(TrackerError) as info:
        rewrite_changelog("## 更新日志\n\n" + broken, "- a\n", "zh")
    assert info.value.path is None and info.value.line == line + 2


def test_unclosed_fence_at_end_refused_rather_than_hiding_markers() -> None:
    with pytest.raises(TrackerError, match="never closed"):
        rewrite_changelog("intro\n\n```python\nprint(1)\n", "- a\n", "zh")


def test_markers_in_code_fences_do_not_count() -> None:
    page = ("## 更新日志\n\n```markdown\n" + BEGIN + "\nexample\n" + END
            + "\n```\n\n~~~\n" + BEGIN + "\n~~~\n")
    out = rewrite_changelog(page, "- a\n", "zh")
    assert out == page.replace("## 更新日志\n\n", "## 更新日志\n\n" + BEGIN + "\n- a\n" + END
                               + "\n\n")
    assert rewrite_changelog(out, "- a\n", "zh") == out


@pytest.mark.parametrize("front", ["---\ntracker: false\n---\n", "+++\ntracker = false\n+++\n"])
def test_opt_out_leaves_page_alone(front: str) -> None:
    page = front + "\n## 更新日志\n\n" + BEGIN + "\nhand-kept\n" + END + "\n"
    assert rewrite_changelog(page, "- a\n", "zh") == page


def check_contiguous_insertion(text: str) -> None:
    """Rewriting a page without markers inserts one block: removing it gives the bytes back."""
    if "tracker:changelog" in text:
        return
    try:
        out = rewrite_changelog(text, "- **2025年11月：** a\n", "zh")
    except TrackerError:
        assert "```" in text or "~~~" in text  # only an unclosed fence is refused
        return
    # the text's bytes, then the inserted ones, then the rest of the text's, unchanged
    raw, new = text.encode("utf-8"), out.encode("utf-8")
    prefix = 0
    while prefix < len(raw) and new[prefix] == raw[prefix]:
        prefix += 1
    added = len(new) - len(raw)
    assert new[:prefix] + new[prefix + added:] == raw
    # the markers came with the insertion (the text had none) and are not hidden in code
    assert out.count(BEGIN) == 1 and out.count(END) == 1
    assert out.startswith(BOM) == text.startswith(BOM)
    assert rewrite_changelog(out, "- **2025年11月：** a\n", "zh") == out


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_property_any_text(text: str) -> None:
    check_contiguous_insertion(text)


PAGE_LINES = ["## 📝 更新日志", "## 📝 Changelog", "## Update Log ##", "---", "", "  ",
              "- **2024年：** hand  ", "\ufeff**Service Provider:** x",
              "**服务提供者：** [N](/providers/n)", "**Service Provider:** x", "```", "~~~~",
              "{{< callout >}}", "+++", "\ufeff---", "title: x", "tracker: true"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PAGE_LINES) | st.text(max_size=8), max_size=14),
       st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_property_page_shaped_text(lines: list[str], eol: str, final_eol: bool) -> None:
    """Page-shaped input reaches every placement branch: section, footer, rule, end, fences."""
    text = eol.join(lines) + (eol if final_eol and lines else "")
    check_contiguous_insertion(text)


def test_site_template_overrides_package_template(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates/changelog.md.j2").write_text(
        "{% for month in months %}* {{ month.label }}: {{ month.events | length }}\n{% endfor %}",
        encoding="utf-8")
    config = Config(root=tmp_path, templates_dir="templates")
    assert render_changelog([CUT, ADDED], "en", config) == "* November 2025: 2\n"


# update_pages -------------------------------------------------------------------------------


def site(tmp_path: Path) -> dict[str, Path]:
    pages = {
        "zh": tmp_path / "services/api/nimbus/_index.md",
        "en": tmp_path / "services/api/nimbus/_index.en.md",
        "quiet": tmp_path / "services/api/quiet/_index.md",
        "hub": tmp_path / "services/api/_index.md",
    }
    for path in pages.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    pages["zh"].write_bytes(PAGE.replace("\n", "\r\n").encode())
    pages["en"].write_bytes(b"\xef\xbb\xbf## Changelog\n\n- **2024:** Launched  \n")
    pages["quiet"].write_bytes(PAGE.encode())
    pages["hub"].write_bytes(b"hub\n")
    return pages


def test_update_pages_writes_both_languages(tmp_path: Path, config: Config) -> None:
    pages = site(tmp_path)
    before = {k: p.read_bytes() for k, p in pages.items()}
    events = [CUT, ADDED, OCT, event(20, CUT.date, "model_added", "notable", model="m",
                                     service="elsewhere")]
    changes = update_pages(config, events)
    assert [c.path.as_posix() for c in changes] == ["services/api/nimbus/_index.en.md",
                                                    "services/api/nimbus/_index.md"]
    zh = pages["zh"].read_bytes()
    assert (ZH_NOV + "\r\n").encode() in zh and b"\r\n\n" not in zh
    en = pages["en"].read_bytes()
    assert en == ("\ufeff## Changelog\n\n" + BEGIN + "\n" + block(config, "en") + END
                  + "\n\n- **2024:** Launched  \n").encode()
    assert pages["quiet"].read_bytes() == before["quiet"]
    assert pages["hub"].read_bytes() == before["hub"]
    assert changes[1].old_text.encode() == before["zh"] and changes[1].new_text.encode() == zh
    assert "+" + BEGIN in changes[0].diff()
    assert update_pages(config, events) == []  # second run: nothing to do


def test_update_pages_dry_run_writes_nothing(tmp_path: Path, config: Config) -> None:
    pages = site(tmp_path)
    before = {k: p.read_bytes() for k, p in pages.items()}
    changes = update_pages(config, [CUT], dry_run=True)
    assert len(changes) == 2
    assert {k: p.read_bytes() for k, p in pages.items()} == before


def test_update_pages_only_info_events_leave_unmarked_page(tmp_path: Path,
                                                           config: Config) -> None:
    pages = site(tmp_path)
    before = pages["zh"].read_bytes()
    assert update_pages(config, [INFO]) == []
    assert pages["zh"].read_bytes() == before


def test_update_pages_error_names_the_page(tmp_path: Path, config: Config) -> None:
    pages = site(tmp_path)
    pages["zh"].write_text("## 更新日志\n\n" + BEGIN + "\nhand\n", encoding="utf-8")
    with pytest.raises(TrackerError) as info:
        update_pages(config, [CUT])
    assert info.value.path == "services/api/nimbus/_index.md" and info.value.line == 3
    assert "services/api/nimbus/_index.md:3:" in str(info.value)


def test_update_pages_respects_opt_out(tmp_path: Path, config: Config) -> None:
    pages = site(tmp_path)
    kept = "---\ntitle: x\ntracker: false\n---\n\n## 更新日志\n\n- hand\n"
    pages["zh"].write_text(kept, encoding="utf-8")
    assert [c.path.name for c in update_pages(config, [CUT])] == ["_index.en.md"]
    assert pages["zh"].read_text(encoding="utf-8") == kept


def test_update_pages_content_dir_and_non_utf8(tmp_path: Path, config: Config) -> None:
    page = tmp_path / "content/services/api/nimbus/_index.md"
    page.parent.mkdir(parents=True)
    page.write_bytes("## 更新日志\n".encode("gbk"))
    with pytest.raises(TrackerError, match="not UTF-8"):
        update_pages(config, [CUT])
