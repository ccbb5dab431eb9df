"""render/updates.py: the recent-updates block, by ISO week, linked, between its markers."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.config import Config, UpdatesConfig
from tracker.errors import TrackerError
from tracker.model import Event
from tracker.render.updates import render_updates, rewrite_updates, update_blocks

BEGIN = "<!-- tracker:updates:begin -->"
END = "<!-- tracker:updates:end -->"


def event(n: int, date: str, kind: str, severity: str, *, service: str = "nimbus",
          name: str | None = "Nimbus API", field: str | None = None, old: object = None,
          new: object = None, pct: float | None = None, model: str | None = None) -> Event:
    return Event(id=f"e{n}", date=date, commit="b" * 40, path=f"services/api/{service}/_index.md",
                 service=service, service_name=name, provider=service, model=model, kind=kind,
                 field=field, old=old, new=new, change_pct=pct, severity=severity)


CUT = event(1, "2025-11-19T10:00:00+08:00", "quota_cut", "breaking", field="requests_per_day",
            old=14400, new=1000, pct=-93.06)
ADDED = event(2, "2025-11-20T10:00:00+08:00", "model_added", "notable", service="acme",
              name="Acme", model="acme-fast")
OLDER = event(3, "2025-11-10T10:00:00+08:00", "quota_raised", "notable",
              field="requests_per_minute", old=30, new=60, pct=100.0)
INFO = event(4, "2025-11-21T10:00:00+08:00", "info_changed", "info", field="quota_reset",
             old="a", new="b")

ZH = ("**2025 年第 47 周**\n\n"
      "- [Acme](/services/api/acme/)：新增模型 acme-fast\n"
      "- [Nimbus API](/services/api/nimbus/)：每日请求数 14,400 → 1,000（-93%）\n\n"
      "**2025 年第 46 周**\n\n"
      "- [Nimbus API](/services/api/nimbus/)：每分钟请求数 30 → 60（+100%）\n"
      "\n订阅全部更新：[OPML](/feeds/feeds.opml)（导入阅读器）· [停用日历](/feeds/shutdowns.ics)\n")
EN = ("**Week 47, 2025**\n\n"
      "- [Acme](/en/services/api/acme/): new model acme-fast\n"
      "- [Nimbus API](/en/services/api/nimbus/): Requests per day 14,400 → 1,000 (-93%)\n\n"
      "**Week 46, 2025**\n\n"
      "- [Nimbus API](/en/services/api/nimbus/): Requests per minute 30 → 60 (+100%)\n"
      "\nSubscribe to everything: [OPML](/feeds/feeds.opml) (import into a reader) · "
      "[shutdown calendar](/feeds/shutdowns.ics)\n")

HUB = "---\ntitle: API 服务\n---\n\n## 最近更新\n\n" + BEGIN + "\n" + END + "\n\n| 服务 | 类型 |\n"


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(root=tmp_path)


def test_zh_by_week_newest_first_linked(config: Config) -> None:
    assert render_updates([OLDER, CUT, INFO, ADDED], "zh", config) == ZH


def test_en_links_under_en(config: Config) -> None:
    assert render_updates([CUT, ADDED, OLDER], "en", config) == EN


def test_max_items_keeps_the_newest(tmp_path: Path) -> None:
    config = Config(root=tmp_path, updates=UpdatesConfig(max_items=1))
    assert render_updates([OLDER, CUT, ADDED], "zh", config) == (
        "**2025 年第 47 周**\n\n- [Acme](/services/api/acme/)：新增模型 acme-fast\n"
        "\n订阅全部更新：[OPML](/feeds/feeds.opml)（导入阅读器）· [停用日历](/feeds/shutdowns.ics)\n")
    assert render_updates([], "zh", config) == ""


def test_iso_week_across_new_year(config: Config) -> None:
    # 2024-12-30 is in ISO week 1 of 2025
    monday = event(5, "2024-12-30T08:00:00+08:00", "model_added", "notable", model="m")
    assert render_updates([monday], "en", config).startswith("**Week 1, 2025**\n")


@pytest.mark.parametrize("value", ["<script>x</script>", END, "[x](javascript:alert(1))",
                                   "{{% shortcode %}}", "a\n" + BEGIN])
def test_injection_is_inert(config: Config, value: str) -> None:
    hostile = event(6, CUT.date, "model_added", "notable", service="we(ird)", name=value,
                    model=value)
    out = render_updates([hostile], "zh", config)
    line = [line for line in out.splitlines() if line.startswith("- [")][-1]
    assert line.startswith("- [") and "](/services/api/we%28ird%29/)：" in line
    for dangerous in ("<", ">", "](javascript", "{{"):
        assert dangerous not in out
    page = rewrite_updates(HUB, out)
    assert page.count(BEGIN) == 1 and rewrite_updates(page, out) == page


def test_rewrite_between_markers_crlf_and_idempotent(config: Config) -> None:
    hub = HUB.replace("\n", "\r\n")
    out = rewrite_updates(hub, ZH)
    assert out == hub.replace(BEGIN + "\r\n", BEGIN + "\r\n" + ZH.replace("\n", "\r\n"))
    assert rewrite_updates(out, ZH) == out
    assert rewrite_updates(out, "") == hub


def test_no_markers_untouched_unbalanced_refused() -> None:
    assert rewrite_updates("# hub\n\ntext\n", "- x\n") == "# hub\n\ntext\n"
    with pytest.raises(TrackerError, match="no matching"):
        rewrite_updates("# hub\n" + BEGIN + "\n", "- x\n")
    with pytest.raises(TrackerError, match="line of its own"):
        rewrite_updates(BEGIN + "\n- x\n" + END + " hand text\n", "- y\n")
    # a marker quoted inside prose is not one
    quoted = "Put `" + BEGIN + "` and `" + END + "` where the list goes.\n"
    assert rewrite_updates(quoted, "- x\n") == quoted


NO_FENCE = st.text(st.characters(blacklist_characters="`~"))


@settings(max_examples=200, deadline=None)
@given(NO_FENCE, st.text())
def test_property_bytes_outside_markers_kept(before: str, after: str) -> None:
    if "tracker:updates" in before + after:
        return
    # "x" first: no front matter; no fence before the markers: nothing hides them
    text = "x\n" + before + "\n" + BEGIN + "\nold\n" + END + "\n" + after
    out = rewrite_updates(text, "- x\n")
    assert out == "x\n" + before + "\n" + BEGIN + "\n- x\n" + END + "\n" + after
    assert rewrite_updates(out, "- x\n") == out


def hub_site(tmp_path: Path) -> dict[str, Path]:
    files = {"zh": tmp_path / "services/api/_index.md",
             "en": tmp_path / "services/api/_index.en.md",
             "plain": tmp_path / "content/services/api/_index.md",
             "service": tmp_path / "services/api/nimbus/_index.md"}
    for path in files.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    files["zh"].write_bytes(HUB.encode())
    files["en"].write_bytes(("\ufeff# APIs\r\n\r\n" + BEGIN + "\r\n" + END + "\r\n").encode())
    files["plain"].write_bytes(b"# no markers here\n")
    files["service"].write_bytes(("## x\n\n" + BEGIN + "\n" + END + "\n").encode())
    return files


def test_update_blocks_on_a_site(tmp_path: Path, config: Config) -> None:
    files = hub_site(tmp_path)
    before = {k: p.read_bytes() for k, p in files.items()}
    dry = update_blocks(config, [CUT, ADDED, OLDER], dry_run=True)
    assert {k: p.read_bytes() for k, p in files.items()} == before
    changes = update_blocks(config, [CUT, ADDED, OLDER])
    assert [c.path.as_posix() for c in changes] == [c.path.as_posix() for c in dry] == [
        "services/api/_index.en.md", "services/api/_index.md"]
    assert files["zh"].read_bytes() == HUB.replace(BEGIN + "\n", BEGIN + "\n" + ZH).encode()
    assert files["en"].read_bytes() == ("\ufeff# APIs\r\n\r\n" + BEGIN + "\r\n"
                                        + EN.replace("\n", "\r\n") + END + "\r\n").encode()
    assert files["plain"].read_bytes() == before["plain"]
    assert files["service"].read_bytes() == before["service"]  # not an updates file
    assert update_blocks(config, [CUT, ADDED, OLDER]) == []
