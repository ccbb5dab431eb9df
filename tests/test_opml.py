"""render/opml.py: feeds.opml lists every feed file the tracker writes, with titles."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from tracker.config import Config
from tracker.model import Event
from tracker.render.feeds import build_feeds
from tracker.render.opml import build_opml

PROJECT = Path(__file__).resolve().parent.parent
HOSTILE = 'Evil "<b>" & Co'


def event(n: int, service: str, provider: str, name: str, severity: str = "notable") -> Event:
    return Event(id=f"e{n}", date=f"2025-11-{n:02d}T10:00:00+08:00", commit=f"{n:040x}",
                 path=f"services/api/{service}/_index.md", service=service, service_name=name,
                 provider=provider, model="m", kind="model_added", field=None, old=None,
                 new=None, change_pct=None, severity=severity)


def feeds_of(opml: bytes) -> dict[str, ET.Element]:
    root = ET.fromstring(opml)
    assert root.tag == "opml" and root.get("version") == "2.0"
    return {o.get("xmlUrl", ""): o for o in root.iter("outline") if o.get("xmlUrl")}


def test_lists_every_feed_file_with_titles(tmp_path: Path) -> None:
    config = Config(root=tmp_path, site_url="https://free-llm.example")
    events = [event(1, "acme", "acme", "Acme API"), event(2, "evil", "evil", HOSTILE, "breaking"),
              event(3, "acme-2", "acme", "Acme Two")]
    written = build_feeds(events, config)
    listed = feeds_of(build_opml(events, config))
    assert set(listed) == {f"https://free-llm.example/feeds/{path}" for path in written}
    for outline in listed.values():
        assert outline.get("type") == "rss" and outline.get("title") == outline.get("text")
        assert outline.get("title") and outline.get("htmlUrl", "").startswith("https://")
    evil = listed["https://free-llm.example/feeds/services/evil.atom"]
    assert evil.get("title") == f"免费 LLM API 更新 · {HOSTILE}"  # escaped, then parsed back
    assert evil.get("htmlUrl") == "https://free-llm.example/services/api/evil/"
    # the primary feeds first; the same items in other formats in a folder of their own
    folders = [o.get("text") for o in ET.fromstring(build_opml(events, config)).find("body")]
    assert folders == ["免费 LLM API 更新", "按提供者", "按服务", "其他格式（条目相同）"]
    assert build_opml(list(reversed(events)), config) == build_opml(events, config)


def test_the_example_opml_lists_every_committed_feed() -> None:
    feeds = PROJECT / "feeds"
    files = {p.relative_to(feeds).as_posix() for p in feeds.rglob("*")
             if p.is_file() and p.suffix not in (".ics", ".opml")}
    listed = feeds_of((feeds / "feeds.opml").read_bytes())
    base = "https://free-llm-api.example.org/feeds/"
    assert {url.removeprefix(base) for url in listed} == files
    assert len(files) == 46
