"""The weekly digest: periods, counts, order, both languages, links, escaping, overrides, bytes."""

from __future__ import annotations

import random
from datetime import date
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest

from tracker.config import Config
from tracker.errors import TrackerError
from tracker.mail import build_message
from tracker.model import Event
from tracker.render.digest import (
    Period,
    build_digest,
    default_week,
    parse_week,
    period_from_options,
)
from tracker.writer import write_digest

W46 = Period.iso_week("2025-W46")


def event(n: int, kind: str, severity: str, **values: Any) -> Event:
    data: dict[str, Any] = {
        "id": f"ev{n:03d}", "date": "2025-11-12T10:00:00+08:00", "commit": f"{n:040x}",
        "path": "services/api/acme/_index.md", "service": "acme", "service_name": "Acme API",
        "provider": "acme", "model": None, "kind": kind, "field": None, "old": None,
        "new": None, "change_pct": None, "severity": severity}
    data.update(values)
    return Event(**data)


def week_events() -> list[Event]:
    return [
        event(1, "info_changed", "info", field="quota_reset", old="UTC 00:00", new="UTC 08:00"),
        event(2, "model_added", "notable", model="acme-fast"),
        event(3, "quota_cut", "breaking", field="requests_per_day", old=14400, new=1000,
              change_pct=-93.06, service="zeta", service_name="Zeta Cloud", path="z.md"),
        event(4, "model_added", "notable", model="acme-chat"),
        event(5, "price_decrease", "notable", model="acme-chat", field="input_price", old=1.0,
              new=0.5, currency="USD", change_pct=-50.0),
        event(6, "quota_cut", "breaking", field="tokens_per_day", old=500000, new=100000,
              change_pct=-80.0),
        event(7, "service_added", "notable", service="nova", service_name="Nova AI",
              path="n.md"),
        # outside the week: the Monday after, in its own offset
        event(8, "quota_cut", "breaking", field="requests_per_minute", old=60, new=10,
              date="2025-11-17T00:30:00+08:00"),
    ]


@pytest.fixture
def config(tmp_path: Path) -> Config:
    config = Config(site_url="https://free-llm.example")
    config.root = tmp_path
    return config


def test_parse_week_gives_monday_to_next_monday() -> None:
    assert parse_week("2025-W46") == (date(2025, 11, 10), date(2025, 11, 17))
    assert parse_week("2020-W53") == (date(2020, 12, 28), date(2021, 1, 4))


@pytest.mark.parametrize("bad", ["2025-46", "2025-W", "W46", "", "2025-W00", "2025-W54",
                                 "2021-W53", "2025-w46x"])
def test_parse_week_rejects_bad_input(bad: str) -> None:
    with pytest.raises(TrackerError) as info:
        parse_week(bad)
    assert "week" in str(info.value)


@pytest.mark.parametrize("today, expected", [
    (date(2025, 11, 19), "2025-W46"),  # a Wednesday
    (date(2025, 11, 17), "2025-W46"),  # a Monday: the week that just ended
    (date(2025, 11, 16), "2025-W45"),  # a Sunday: its own week is not complete
    (date(2025, 1, 1), "2024-W52"),
    (date(2021, 1, 4), "2020-W53"),
])
def test_default_week_is_the_last_complete_one(today: date, expected: str) -> None:
    assert default_week(today).key == expected


def test_event_day_is_taken_in_its_own_offset() -> None:
    assert W46.contains("2025-11-16T23:30:00-05:00")  # Monday 04:30 UTC, still Sunday locally
    assert not W46.contains("2025-11-17T00:30:00+08:00")  # Sunday 16:30 UTC, Monday locally
    assert W46.contains("2025-11-10T00:00:00+08:00")


def test_period_from_options() -> None:
    today = date(2025, 11, 19)
    assert period_from_options(None, None, None, today).key == "2025-W46"
    assert period_from_options("2025-W40", None, None, today).key == "2025-W40"
    span = period_from_options(None, "2025-11-01", "2025-11-07", today)
    assert (span.start, span.end, span.key) == (date(2025, 11, 1), date(2025, 11, 8),
                                                "2025-11-01..2025-11-07")
    assert period_from_options(None, "2025-11-10", None, today).end == today
    for args in [("2025-W46", "2025-11-01", None), (None, None, "2025-11-07"),
                 (None, "2025-11-07", "2025-11-01"), (None, "yesterday", None)]:
        with pytest.raises(TrackerError):
            period_from_options(*args, today)


def test_counts_and_subject_in_both_languages(config: Config) -> None:
    zh = build_digest(week_events(), config, W46, "zh")
    en = build_digest(week_events(), config, W46, "en")
    assert zh.counts == {"service_added": 1, "model_added": 2, "quota_cut": 2,
                         "price_decrease": 1, "info_changed": 1}
    assert zh.total == 7 and zh.key == en.key == "2025-W46"
    assert zh.subject == "免费 LLM API 周报 2025-W46：2 项配额削减、1 个新服务、2 个新模型、1 项降价"
    assert en.subject == ("Free LLM API weekly 2025-W46: 2 quota cuts, 1 new service, "
                          "2 new models, 1 price cut")
    assert "本期共 7 项变化，涉及 3 个服务，其中 2 项重大变化。" in zh.text
    assert "7 changes across 3 services, 2 breaking." in en.text
    assert "2025 年第 46 周" in zh.html and "Week 46, 2025" in en.html


def test_the_subject_names_every_kind_of_breaking_change(config: Config) -> None:
    week = [
        event(1, "quota_cut", "breaking", field="requests_per_day", old=100, new=10),
        event(2, "price_increase", "breaking", model="a", field="input_price", old=1, new=2),
        event(3, "price_increase", "breaking", model="b", field="input_price", old=1, new=3),
        *[event(10 + n, "model_added", "notable", model=f"m{n}") for n in range(5)],
    ]
    zh = build_digest(week, config, W46, "zh")
    en = build_digest(week, config, W46, "en")
    assert zh.subject.endswith("：1 项配额削减、2 项涨价、5 个新模型")
    assert en.subject.endswith(": 1 quota cut, 2 price increases, 5 new models")
    # a kind that is breaking only one way is named by that way; breaking kinds come first
    week += [event(20, "context_changed", "breaking", model="a", field="context", old=8, new=4),
             event(21, "context_changed", "notable", model="b", field="context", old=4, new=8),
             event(22, "tier_changed", "breaking", field="tier", old="free", new="paid"),
             event(23, "info_changed", "breaking", field="quota_reset", old="a", new="b")]
    en = build_digest(week, config, W46, "en")
    # too many parts: the last one counts the rest, so no kind goes unsaid
    assert en.subject.endswith(": 1 quota cut, 2 price increases, 1 context cut, "
                               "8 more changes")
    parts = en.subject.split(": ", 1)[1].split(", ")
    assert len(parts) == 4
    few = [e for e in week if e.kind in ("context_changed", "tier_changed", "info_changed")]
    assert build_digest(few, config, W46, "en").subject.endswith(
        ": 1 context cut, 1 tier downgrade, 1 × Info changed")
    assert build_digest(few, config, W46, "zh").subject.endswith(
        "：1 项上下文缩短、1 项服务类型降级、1 项信息更新")


def test_empty_week(config: Config) -> None:
    zh = build_digest(week_events(), config, Period.iso_week("2025-W40"), "zh")
    en = build_digest([], config, W46, "en")
    assert zh.empty and zh.counts == {}
    assert zh.subject == "免费 LLM API 周报 2025-W40：无重大变化"
    assert en.subject == "Free LLM API weekly 2025-W46: no changes"
    assert "No changes were recorded in this period." in en.text


def test_only_quiet_kinds_are_counted_not_named(config: Config) -> None:
    digest = build_digest([event(1, "info_changed", "info", field="endpoint", old="a", new="b")],
                          config, W46, "en")
    assert digest.subject == "Free LLM API weekly 2025-W46: 1 change"


def test_breaking_first_then_new_then_prices_then_the_rest(config: Config) -> None:
    digest = build_digest(week_events(), config, W46, "en")
    text = digest.text
    positions = [text.index(heading) for heading in (
        "Breaking changes (2)", "New services and models (3)", "Price changes (1)",
        "Other changes (1)")]
    assert positions == sorted(positions)
    breaking = text[positions[0]:positions[1]]
    # grouped by service name within a section: Acme before Zeta
    assert breaking.index("Tokens per day 500,000 → 100,000 (-80%)") < breaking.index(
        "Zeta Cloud: Requests per day 14,400 → 1,000 (-93%)")
    assert "Requests per minute" not in text  # the event of the next week
    html = digest.html
    assert html.index("Breaking changes") < html.index("New services and models") < html.index(
        "Price changes") < html.index("Other changes")


def test_each_line_has_service_summary_and_link(config: Config) -> None:
    zh = build_digest(week_events(), config, W46, "zh")
    en = build_digest(week_events(), config, W46, "en")
    assert "- Zeta Cloud: 每日请求数 14,400 → 1,000（-93%）\n" \
           "  https://free-llm.example/services/api/zeta/\n" in zh.text
    assert "- Acme API: acme-chat Input price $1/M → $0.5/M (-50%)\n" \
           "  https://free-llm.example/en/services/api/acme/\n" in en.text
    assert '<a href="https://free-llm.example/services/api/nova/" style="font-weight:600;">' \
           'Nova AI</a>: 新增服务 Nova AI</li>' in zh.html
    assert 'href="https://free-llm.example/en/services/api/zeta/"' in en.html


def test_note_and_source_from_overrides(config: Config) -> None:
    noted = event(1, "endpoint_changed", "breaking", field="endpoint", old="https://a/v1",
                  new="https://b/v1", note="migration guide published",
                  source="https://acme.example/blog")
    sneaky = event(2, "info_changed", "info", field="quota_reset", old="x", new="y",
                   source="javascript:alert(1)")
    digest = build_digest([noted, sneaky], config, W46, "en")
    assert "— migration guide published" in digest.text
    assert '(<a href="https://acme.example/blog">source</a>)' in digest.html
    assert "javascript:" not in digest.html and "javascript:" not in digest.text


def test_script_in_a_model_name_is_escaped_in_html(config: Config) -> None:
    evil = event(1, "model_added", "notable", model="<script>alert('x')</script>",
                 service_name='Acme "Labs" & Co')
    digest = build_digest([evil], config, W46, "en")
    assert "<script>" not in digest.html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in digest.html
    assert "Acme &#34;Labs&#34; &amp; Co" in digest.html
    assert "new model <script>alert('x')</script>" in digest.text  # plain text stays as written


def test_control_characters_and_bidi_overrides_are_dropped(config: Config) -> None:
    spoof = event(1, "model_added", "notable", model="gpt\u202e4-ver\x1b[31m",
                  service_name="Acme\u2066 API\x00", note="see\u202d here")
    digest = build_digest([spoof], config, W46, "en")
    for text in (digest.html, digest.text):
        assert not any(c in text for c in "\u202e\u2066\u202d\x1b\x00")
    assert "new model gpt4-ver[31m" in digest.text and "Acme API" in digest.text


def test_site_template_override_wins(config: Config, tmp_path: Path) -> None:
    (tmp_path / "site-templates").mkdir()
    (tmp_path / "site-templates" / "digest.html.j2").write_text(
        "<p>{{ title }}: {{ total }} / {% for s in sections %}{{ s.heading }};{% endfor %}"
        "{{ sections[0].entries[0].summary }}</p>\n", encoding="utf-8")
    config.templates_dir = "site-templates"
    digest = build_digest(week_events()[:3] + [event(9, "model_added", "notable",
                                                     model="<b>x</b>")], config, W46, "en")
    assert digest.html == ("<p>Free LLM API weekly: 4 / Breaking changes;New services and models;"
                           "Other changes;Requests per day 14,400 → 1,000 (-93%)</p>\n")
    assert digest.text.startswith("Free LLM API weekly · Week 46, 2025\n")  # built-in still used
    override = build_digest([event(9, "model_added", "notable", model="<b>x</b>")], config,
                            W46, "en")
    assert "&lt;b&gt;x&lt;/b&gt;" in override.html  # a site's HTML template is autoescaped too


def test_output_is_deterministic(config: Config, tmp_path: Path) -> None:
    events = week_events()
    shuffled = events[:]
    random.Random(7).shuffle(shuffled)
    first = build_digest(events, config, W46, "zh")
    second = build_digest(shuffled, config, W46, "zh")
    assert (first.subject, first.text, first.html) == (second.subject, second.text, second.html)

    out_a, out_b = tmp_path / "a", tmp_path / "b"
    paths = write_digest(first, build_message(first, "d@free-llm.example", ["r@x.example"]),
                         out_a)
    write_digest(second, build_message(second, "d@free-llm.example", ["r@x.example"]), out_b)
    assert [p.name for p in paths] == ["2025-W46.html", "2025-W46.txt", "2025-W46.eml"]
    for path in paths:
        assert path.read_bytes() == (out_b / path.name).read_bytes()
    assert paths[1].read_text(encoding="utf-8") == first.text
    assert paths[0].read_text(encoding="utf-8") == first.html

    eml = message_from_bytes(paths[2].read_bytes(), policy=policy.default)
    assert eml["Date"] == "Mon, 17 Nov 2025 00:00:00 +0000"
    assert eml["Message-ID"] == "<digest-2025-W46.zh@free-llm.example>"
    assert eml["Subject"] == first.subject


def test_since_until_key_names_files_and_message_id(config: Config, tmp_path: Path) -> None:
    period = Period.between(date(2025, 11, 11), date(2025, 11, 12))
    digest = build_digest(week_events(), config, period, "en")
    assert digest.total == 7 and digest.key == "2025-11-11..2025-11-12"
    assert "2025-11-11 to 2025-11-12" in digest.text
    message = build_message(digest, "d@free-llm.example", ["r@x.example"])
    assert message["Message-ID"] == "<digest-2025-11-11--2025-11-12.en@free-llm.example>"
    paths = write_digest(digest, message, tmp_path)
    assert paths[0].name == "2025-11-11..2025-11-12.html" and paths[0].exists()


def test_charts_of_services_with_breaking_changes(config: Config) -> None:
    """Each service with a breaking change shows its chart in the HTML (a linked image, with
    words for clients that show no images) and names its address in the plain text."""
    from html.parser import HTMLParser

    from tracker.render.charts import build_charts

    class Images(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.found: list[dict[str, str | None]] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "img":
                self.found.append(dict(attrs))

    events = week_events()
    drawn = build_charts(events, config)
    for lang, suffix in (("zh", ".svg"), ("en", ".en.svg")):
        digest = build_digest(events, config, W46, lang)
        parser = Images()
        parser.feed(digest.html)
        sources = [img["src"] for img in parser.found]
        # acme and zeta had breaking cuts; nova (only added) is not charted
        assert sources == [f"https://free-llm.example/tracker/charts/{s}{suffix}"
                           for s in ("acme", "zeta")]
        assert all(img["alt"] for img in parser.found)
        assert ("Acme API 限额与价格走势图" if lang == "zh" else
                "Acme API: limits and prices over time") in digest.html
        for source in sources:
            assert source is not None and source.rsplit("/", 1)[1] in drawn
            assert source in digest.text  # the plain part names the same address
    text = build_digest(events, config, W46, "zh").text
    assert "Acme API 限额与价格走势图: https://free-llm.example/tracker/charts/acme.svg" in text
    quiet = [e for e in events if e.severity != "breaking"]
    assert "<img" not in build_digest(quiet, config, W46, "zh").html
