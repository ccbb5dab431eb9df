"""Tests for render/feeds.py: events in, Atom / RSS / JSON Feed bytes out, and writing them."""

from __future__ import annotations

import calendar
import hashlib
import json
import random
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

import feedparser
import pytest

from tracker.config import Config, FeedsConfig
from tracker.model import Event
from tracker.render.feeds import EPOCH, build_feeds
from tracker.writer import write_feeds

ATOM = "{http://www.w3.org/2005/Atom}"
SITE = "https://free-llm.example"

NIMBUS = {"service": "nimbus", "service_name": "Nimbus API", "provider": "nimbus-labs",
          "path": "services/api/nimbus/_index.md"}
ACME = {"service": "acme", "service_name": "Acme Inference", "provider": "acme",
        "path": "services/api/acme/_index.md"}
ORBIT = {"service": "orbit", "service_name": "Orbit", "provider": None,
         "path": "services/api/orbit/_index.md"}


def event(commit: str, date: str, where: dict[str, Any], kind: str, severity: str,
          **fields: Any) -> Event:
    """A realistic event; like the ledger's, its id comes from content and date, not the sha."""
    data: dict[str, Any] = {"model": None, "field": None, "old": None, "new": None,
                            "change_pct": None, **where, **fields}
    identity = json.dumps([data["service"], data["model"], data["field"], kind, data["old"],
                           data["new"], date], ensure_ascii=False)
    return Event(id=hashlib.sha1(identity.encode()).hexdigest()[:16], date=date,
                 commit=commit * 40, kind=kind, severity=severity, **data)


# Commit dates chosen so that string order and instant order disagree: "c2" (-05:00) sorts
# before "c1" (+08:00) as text but is 2 hours later.
C1, C2, C3, C4 = ("2025-11-03T10:00:00+08:00", "2025-11-02T23:00:00-05:00",
                  "2025-10-20T08:00:00+00:00", "2025-11-04T00:30:00+09:00")


def history() -> list[Event]:
    return [
        event("a", C1, NIMBUS, "quota_cut", "breaking", field="requests_per_day", old=14400,
              new=1000, change_pct=-93.06),
        event("a", C1, NIMBUS, "model_added", "notable", model="nimbus-pro"),
        event("a", C1, NIMBUS, "price_decrease", "notable", model="nimbus-lite",
              field="input_price", old=0.5, new=0.25, change_pct=-50.0, currency="USD"),
        event("b", C2, ACME, "model_added", "notable", model="acme-chat"),
        event("b", C2, ORBIT, "reset_changed", "info", field="quota_reset", old="UTC 00:00",
              new="UTC 08:00"),
        event("c", C3, ACME, "context_changed", "breaking", model="acme-chat", field="context",
              old=131072, new=65536, change_pct=-50.0, note="官方公告",
              source="https://acme.example/blog/context"),
        event("d", C4, NIMBUS, "quota_raised", "notable", field="tokens_per_minute",
              old=10000, new=20000, change_pct=100.0),
    ]


# Newest first by instant: d (15:30Z), b/acme and b/orbit (04:00Z, tie broken by service),
# a (02:00Z), c (October).
EXPECTED_TITLES = [
    "[配额提升] Nimbus API：每分钟 Token 数 10,000 → 20,000（+100%）",
    "[新模型] Acme Inference：新增模型 acme-chat",
    "[重置规则变化] Orbit：配额重置 UTC 00:00 → UTC 08:00",
    "[配额削减] Nimbus API：每日请求数 14,400 → 1,000（-93%） 等 3 项",
    "[上下文变化] Acme Inference：acme-chat 上下文长度 128K → 64K（-50%）",
]
EXPECTED_SERVICES = ["nimbus", "acme", "orbit", "nimbus", "acme"]
EXPECTED_DATES = [C4, C2, C2, C1, C3]


def config(tmp_path: Path | None = None, **feeds: Any) -> Config:
    return Config(site_url=SITE, root=tmp_path or Path("."), feeds=FeedsConfig(**feeds))


def guid_of(events: list[Event]) -> str:
    return "urn:tracker:" + hashlib.sha1("\n".join(sorted(e.id for e in events)).encode()).hexdigest()


def parse(data: bytes) -> Any:
    parsed = feedparser.parse(data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed


@pytest.fixture(scope="module")
def feeds() -> dict[str, bytes]:
    return build_feeds(history(), config())


def test_builds_every_feed(feeds: dict[str, bytes]) -> None:
    assert set(feeds) == {
        "atom.xml", "rss.xml", "feed.json", "breaking.atom", "breaking.rss",
        "providers/nimbus-labs.atom", "providers/acme.atom",  # orbit has no provider
        "services/nimbus.atom", "services/acme.atom", "services/orbit.atom",
    }
    for path, data in feeds.items():
        if path.endswith(".json"):
            json.loads(data)
        else:
            parse(data)


@pytest.mark.parametrize("path", ["atom.xml", "rss.xml"])
def test_items_titles_links_dates_guids(feeds: dict[str, bytes], path: str) -> None:
    parsed = parse(feeds[path])
    entries = parsed.entries
    assert [e.title for e in entries] == EXPECTED_TITLES
    assert [e.link for e in entries] == [f"{SITE}/services/api/{s}/" for s in EXPECTED_SERVICES]
    assert [calendar.timegm(e.published_parsed) for e in entries] == [
        datetime.fromisoformat(d).timestamp() for d in EXPECTED_DATES]
    events = history()
    nimbus_a = [e for e in events if e.commit.startswith("a")]
    assert entries[3].id == guid_of(nimbus_a)
    assert len({e.id for e in entries}) == len(entries)
    assert parsed.feed.language == "zh-CN"
    assert parsed.feed.title == "免费 LLM API 更新"


def test_categories_from_kinds_and_severity(feeds: dict[str, bytes]) -> None:
    atom = parse(feeds["atom.xml"])
    assert [t.term for t in atom.entries[3].tags] == [
        "quota_cut", "model_added", "price_decrease", "breaking"]
    assert atom.entries[3].tags[0].label == "配额削减"
    rss = parse(feeds["rss.xml"])
    assert [t.term for t in rss.entries[3].tags] == ["配额削减", "新模型", "降价", "重大变化"]


def test_atom_structure_feedparser_does_not_check(feeds: dict[str, bytes]) -> None:
    for path in [p for p in feeds if p.endswith((".atom", ".xml")) and p != "rss.xml"]:
        data = feeds[path]
        assert b'type="CDATA"' not in data and b"<![CDATA[" not in data
        root = ET.fromstring(data)
        assert root.find(f"{ATOM}id") is not None
        iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
        assert iso.match(root.findtext(f"{ATOM}updated") or "")
        links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
        assert links["self"] == f"{SITE}/feeds/{path}" == root.findtext(f"{ATOM}id")
        assert links["alternate"].startswith(SITE + "/")
        assert root.findtext(f"{ATOM}generator") == "tracker"
        assert root.find(f"{ATOM}generator").attrib == {}  # no feedgen version or uri
        for entry in root.findall(f"{ATOM}entry"):
            assert (entry.findtext(f"{ATOM}id") or "").startswith("urn:tracker:")
            assert iso.match(entry.findtext(f"{ATOM}updated") or "")
            assert entry.find(f"{ATOM}content").get("type") == "html"
            assert entry.findtext(f"{ATOM}summary")


def test_rss_dates_are_rfc822_and_guids_not_permalinks(feeds: dict[str, bytes]) -> None:
    rfc822 = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|"
                        r"Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d [+-]\d{4}$")
    channel = ET.fromstring(feeds["rss.xml"]).find("channel")
    assert rfc822.match(channel.findtext("lastBuildDate"))
    assert channel.findtext("lastBuildDate") == "Tue, 04 Nov 2025 00:30:00 +0900"
    assert channel.findtext("link") == SITE + "/"
    items = channel.findall("item")
    assert len(items) == 5
    for item in items:
        assert rfc822.match(item.findtext("pubDate"))
        assert item.find("guid").get("isPermaLink") == "false"
        assert "<table>" in item.findtext("description")


def test_content_table_holds_every_event(feeds: dict[str, bytes]) -> None:
    entry = ET.fromstring(feeds["atom.xml"]).findall(f"{ATOM}entry")[3]
    html = entry.findtext(f"{ATOM}content")
    assert html.count("<tr>") == 4  # heading + three events, most severe first
    assert "<td>配额削减</td><td>每日请求数</td><td>14,400 → 1,000</td><td>-93%</td>" in html
    assert "<td>nimbus-lite 输入价格</td><td>$0.5/M → $0.25/M</td><td>-50%</td>" in html
    assert "新增模型 nimbus-pro" in html
    assert html.index("配额削减") < html.index("新增模型") < html.index("nimbus-lite")
    oldest = ET.fromstring(feeds["atom.xml"]).findall(f"{ATOM}entry")[4]
    html = oldest.findtext(f"{ATOM}content")
    assert "备注：官方公告" in html
    assert '<a href="https://acme.example/blog/context">来源</a>' in html


def test_breaking_feed_holds_only_breaking_groups(feeds: dict[str, bytes]) -> None:
    for path in ("breaking.atom", "breaking.rss"):
        parsed = parse(feeds[path])
        assert [e.title for e in parsed.entries] == [EXPECTED_TITLES[3], EXPECTED_TITLES[4]]
        assert parsed.feed.title == "免费 LLM API 更新 · 重大变化"


def test_per_provider_and_per_service_feeds(feeds: dict[str, bytes]) -> None:
    nimbus = parse(feeds["providers/nimbus-labs.atom"])
    assert [e.title for e in nimbus.entries] == [EXPECTED_TITLES[0], EXPECTED_TITLES[3]]
    acme = parse(feeds["services/acme.atom"])
    assert [e.title for e in acme.entries] == [EXPECTED_TITLES[1], EXPECTED_TITLES[4]]
    assert acme.feed.link == f"{SITE}/services/api/acme/"
    assert acme.feed.title == "免费 LLM API 更新 · Acme Inference"
    orbit = parse(feeds["services/orbit.atom"])
    assert [e.title for e in orbit.entries] == [EXPECTED_TITLES[2]]
    assert not any("orbit" in p for p in feeds if p.startswith("providers/"))


def test_cap_keeps_the_newest_items() -> None:
    out = build_feeds(history(), config(max_items=2))
    assert [e.title for e in parse(out["atom.xml"]).entries] == EXPECTED_TITLES[:2]
    assert len(parse(out["rss.xml"]).entries) == 2
    assert len(json.loads(out["feed.json"])["items"]) == 2
    assert len(parse(out["services/nimbus.atom"]).entries) == 2


class _AnyDatetime(type):
    def __instancecheck__(cls, value: object) -> bool:  # feedgen checks isinstance(x, datetime)
        return isinstance(value, datetime)


class _Clock(datetime, metaclass=_AnyDatetime):
    """feedgen's clock, moved by the test: a feed stamped with "now" would differ."""

    moment = datetime(2001, 1, 1, tzinfo=UTC)

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        return cls.moment


def test_deterministic_bytes_whatever_the_input_order(monkeypatch: pytest.MonkeyPatch) -> None:
    import feedgen.entry
    import feedgen.feed

    for module in (feedgen.feed, feedgen.entry):
        monkeypatch.setattr(module, "datetime", _Clock)
    events = history()
    first = build_feeds(events, config())
    monkeypatch.setattr(_Clock, "moment", datetime(2031, 6, 1, tzinfo=UTC))
    assert build_feeds(events, config()) == first
    for seed in range(5):
        shuffled = events[:]
        random.Random(seed).shuffle(shuffled)
        assert build_feeds(shuffled, config()) == first


def test_guids_survive_a_rebase() -> None:
    events = history()
    rebased = [replace(e, commit=hashlib.sha1(e.commit.encode()).hexdigest()) for e in events]
    ids = [e.id for e in parse(build_feeds(events, config())["atom.xml"]).entries]
    assert [e.id for e in parse(build_feeds(rebased, config())["atom.xml"]).entries] == ids
    assert not any(e.commit[:7] in i for e in events for i in ids)


def test_feed_updated_is_newest_item_date(feeds: dict[str, bytes]) -> None:
    root = ET.fromstring(feeds["atom.xml"])
    assert root.findtext(f"{ATOM}updated") == C4
    breaking = ET.fromstring(feeds["breaking.atom"])
    assert breaking.findtext(f"{ATOM}updated") == C1
    service = ET.fromstring(feeds["services/acme.atom"])
    assert service.findtext(f"{ATOM}updated") == C2


def test_empty_history_gives_valid_feeds_dated_epoch() -> None:
    out = build_feeds([], config())
    assert set(out) == {"atom.xml", "rss.xml", "feed.json", "breaking.atom", "breaking.rss"}
    for path in ("atom.xml", "breaking.atom", "rss.xml", "breaking.rss"):
        assert parse(out[path]).entries == []
    assert ET.fromstring(out["atom.xml"]).findtext(f"{ATOM}updated") == EPOCH.isoformat()
    assert EPOCH.isoformat() == "1970-01-01T00:00:00+00:00"
    assert b"<lastBuildDate>Thu, 01 Jan 1970 00:00:00 +0000</lastBuildDate>" in out["rss.xml"]
    assert json.loads(out["feed.json"])["items"] == []


def test_hostile_strings_are_escaped_and_control_characters_stripped() -> None:
    evil = {"service": "evil", "service_name": "<script>alert(1)</script>\x01Evil",
            "provider": "bad\x0bco", "path": "services/api/evil/_index.md"}
    events = [
        event("e", C1, evil, "info_changed", "info", model="]]>--><x>\x00", field="note",
              old="<img src=x onerror=alert(1)>", new="ok\ufffe\uffff\x1f",
              note="<b>bold</b>\x08", source="javascript:alert(1)"),
        event("e", C1, evil, "model_added", "notable", model="m-->",
              source='https://ok.example/"onmouseover="x'),
    ]
    out = build_feeds(events, config())
    for path, data in out.items():
        assert not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]", data), path
        assert "\ufffe".encode() not in data and "\uffff".encode() not in data
        if not path.endswith(".json"):
            parse(data)
            assert b"<script" not in data and b"<img" not in data and b"<x>" not in data
    assert "providers/badco.atom" in out
    entry = ET.fromstring(out["atom.xml"]).find(f"{ATOM}entry")
    # the title is XML text: feed readers show it as text, so it stays as written, escaped once
    assert entry.findtext(f"{ATOM}title") == "[新模型] <script>alert(1)</script>Evil：新增模型 m--> 等 2 项"
    html = entry.findtext(f"{ATOM}content")
    # once unescaped from XML, the content is HTML in which the hostile text is still text
    assert "<script>" not in html and "<img" not in html and "javascript:" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "]]&gt;--&gt;&lt;x&gt;" in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    assert 'href="https://ok.example/&#34;onmouseover=&#34;x"' in html
    item = json.loads(out["feed.json"])["items"][0]
    assert "<script>" not in item["content_html"]
    assert item["title"].startswith("[新模型] <script>alert(1)</script>Evil")  # plain text


def test_english_feeds() -> None:
    out = build_feeds(history(), config(lang="en"))
    parsed = parse(out["atom.xml"])
    assert parsed.feed.title == "Free LLM API changes"
    assert parsed.feed.language == "en"
    assert parsed.entries[3].title == (
        "[Quota cut] Nimbus API: Requests per day 14,400 → 1,000 (-93%) and 2 more")
    assert parsed.entries[0].link == f"{SITE}/en/services/api/nimbus/"
    assert "<th>Old → new</th>" in parsed.entries[0].content[0].value


def test_json_feed_has_the_required_keys(feeds: dict[str, bytes]) -> None:
    assert feeds["feed.json"].endswith(b"}\n")
    feed = json.loads(feeds["feed.json"])
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == "免费 LLM API 更新"
    assert feed["home_page_url"] == SITE + "/"
    assert feed["feed_url"] == f"{SITE}/feeds/feed.json"
    assert feed["language"] == "zh-CN"
    assert [item["title"] for item in feed["items"]] == EXPECTED_TITLES
    for item, date in zip(feed["items"], EXPECTED_DATES, strict=True):
        assert {"id", "url", "title", "content_html", "date_published", "tags"} <= set(item)
        assert isinstance(item["id"], str) and item["url"].startswith(SITE)
        assert item["date_published"] == date
    assert feed["items"][3]["tags"] == ["quota_cut", "model_added", "price_decrease", "breaking"]
    assert "等 3 项" in feeds["feed.json"].decode()  # not \u-escaped


def test_write_feeds_writes_removes_stale_and_is_idempotent(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    out = build_feeds(history(), cfg)
    feeds_dir = tmp_path / "feeds"
    assert write_feeds(cfg, out, dry_run=True) == sorted(feeds_dir / p for p in out)
    assert not feeds_dir.exists()
    written = write_feeds(cfg, out)
    assert written == sorted(feeds_dir / p for p in out)
    assert all((feeds_dir / p).read_bytes() == data for p, data in out.items())
    mtime = (feeds_dir / "atom.xml").stat().st_mtime_ns
    assert write_feeds(cfg, out) == []
    assert (feeds_dir / "atom.xml").stat().st_mtime_ns == mtime  # unchanged: not rewritten

    # orbit loses its only event: its service feed is stale; unrelated files stay
    (feeds_dir / "services" / "README.md").write_text("keep me")
    (feeds_dir / "extra.atom").write_text("not under providers/ or services/")
    fewer = build_feeds([e for e in history() if e.service != "orbit"], cfg)
    assert write_feeds(cfg, fewer, dry_run=True) == sorted(
        [feeds_dir / "atom.xml", feeds_dir / "feed.json", feeds_dir / "rss.xml",
         feeds_dir / "services" / "orbit.atom"])
    assert (feeds_dir / "services" / "orbit.atom").exists()
    changed = write_feeds(cfg, fewer)
    assert feeds_dir / "services" / "orbit.atom" in changed
    assert not (feeds_dir / "services" / "orbit.atom").exists()
    assert (feeds_dir / "services" / "README.md").exists() and (feeds_dir / "extra.atom").exists()
    assert write_feeds(cfg, fewer) == []
    assert not list(feeds_dir.rglob("*.tracker-tmp"))


def test_write_feeds_refuses_paths_outside_the_feeds_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_feeds(config(tmp_path), {"../escape.atom": b"x"})
    assert not (tmp_path / "escape.atom").exists()


def test_slugs_cannot_escape_their_folder() -> None:
    where = {"service": "../../etc/x", "service_name": "X", "provider": "..",
             "path": "services/api/x/_index.md"}
    out = build_feeds([event("f", C1, where, "model_added", "notable", model="m")], config())
    for path in out:
        assert ".." not in Path(path).parts and not path.startswith("/")
    assert "services/-..-etc-x.atom" in out and "providers/_.atom" in out


def test_five_hundred_items_all_reach_a_large_feed() -> None:
    events = [event(f"{i:x}", f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:00:00+08:00",
                    NIMBUS if i % 2 else ACME, "quota_cut", "breaking", field="requests_per_day",
                    old=1000 + i, new=500 + i, change_pct=-50.0) for i in range(500)]
    out = build_feeds(events, config(max_items=500))
    assert len(parse(out["atom.xml"]).entries) == 500


def test_row_without_a_field_label_falls_back_to_the_summary() -> None:
    out = build_feeds([event("g", C1, ORBIT, "info_changed", "info", old="beta", new="GA")],
                      config())
    html = ET.fromstring(out["atom.xml"]).find(f"{ATOM}entry").findtext(f"{ATOM}content")
    assert "<td>信息更新</td><td>beta → GA</td><td>beta → GA</td>" in html


def test_one_table_of_feeds_gives_the_files_their_formats_and_links(
        feeds: dict[str, bytes]) -> None:
    """Each SITE_FEEDS file is written in its format (feedparser names the version), carries
    everything or only breaking items as the table says; feed_index lists the same files with
    the same formats; feed_links names one feed of everything per format."""
    from tracker.render.feeds import FORMATS, OWNED_SUFFIXES, SITE_FEEDS, feed_index, feed_links

    versions = {"atom": "atom10", "rss": "rss20", "json": None}
    everything = parse(feeds["atom.xml"]).entries
    for feed in SITE_FEEDS:
        data = feeds[feed.path]
        if versions[feed.format] is None:
            items = json.loads(data)["items"]
        else:
            parsed = parse(data)
            assert parsed.version == versions[feed.format], feed.path
            items = parsed.entries
        expected = [e for e in everything if any(t.term == "breaking" for t in e.tags)] \
            if feed.breaking else everything
        assert len(items) == len(expected), feed.path
    index = feed_index(history(), config())
    assert [(m.path, m.format) for m in index[:len(SITE_FEEDS)]] == [
        (f.path, f.format) for f in SITE_FEEDS]
    assert {m.path for m in index} == set(feeds)
    assert all(m.path.endswith(FORMATS[m.format].suffix) for m in index[len(SITE_FEEDS):])
    assert feed_links() == [("application/atom+xml", "atom.xml"),
                            ("application/rss+xml", "rss.xml"),
                            ("application/feed+json", "feed.json")]
    assert set(OWNED_SUFFIXES) == {f.suffix for f in FORMATS.values()}


def test_feed_and_calendar_libraries_load_only_to_build_a_feed_or_the_calendar() -> None:
    """The modules that only read the table of feeds (the writer, the updates block, the OPML,
    tracker init) or render page blocks load neither feedgen (with lxml) nor icalendar: an
    update that builds no feed, and tracker init, do not pay for them."""
    import subprocess
    import sys

    script = ("import sys, tracker.writer, tracker.render.updates, tracker.render.opml, "
              "tracker.init_hugo, tracker.render.changelog, tracker.pipeline;"
              "print(sorted(m for m in ('feedgen', 'lxml', 'icalendar', 'tracker.render.digest')"
              " if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True).stdout
    assert loaded.strip() == "[]"
