"""The subscription list: every feed the tracker writes → ``feeds/feeds.opml`` (OPML 2.0).

A reader imports the whole set in one step: everything and breaking changes first, then one feed
per provider and per service, each with its title and the page it follows. The alternative
formats of the same items (RSS, JSON Feed) are listed in a folder of their own, so a reader can
skip them. Built from the events with the feeds' own index (``feeds.feed_index``), so the list and
the files never disagree; the date is the newest event's, never the clock.
"""

from __future__ import annotations

from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

from tracker import i18n
from tracker.model import Event, instant
from tracker.render import environment
from tracker.render.feeds import EPOCH, FORMATS, FeedMeta, feed_index
from tracker.site import feed_url

if TYPE_CHECKING:
    from tracker.config import Config

OPML_FILE = "feeds.opml"
TEMPLATE = "feeds.opml.j2"
PRIMARY = ("atom.xml", "breaking.atom")


def _entry(meta: FeedMeta, config: Config) -> dict[str, Any]:
    return {"title": meta.title, "url": feed_url(config, meta.path), "page": meta.alternate,
            "version": FORMATS[meta.format].opml_version}


def build_opml(events: list[Event], config: Config) -> bytes:
    """``feeds.opml``: every feed file ``build_feeds`` writes for these events, grouped."""
    lang = config.feeds.lang
    title = config.feeds.title_en if lang == "en" else config.feeds.title
    index = feed_index(events, config)
    folders: list[tuple[str, list[FeedMeta]]] = [
        (i18n.text("opml_all", lang, title=title), [m for m in index if m.path in PRIMARY]),
        (i18n.text("opml_providers", lang), [m for m in index
                                             if m.path.startswith("providers/")]),
        (i18n.text("opml_services", lang), [m for m in index if m.path.startswith("services/")]),
        (i18n.text("opml_formats", lang), [m for m in index if "/" not in m.path
                                           and m.path not in PRIMARY]),
    ]
    newest = max(events, key=lambda e: instant(e.date)).moment if events else EPOCH
    text = environment(config).get_template(TEMPLATE).render(
        title=title, modified=format_datetime(newest),
        groups=[{"title": name, "feeds": [_entry(m, config) for m in feeds]}
                for name, feeds in folders if feeds])
    return text.encode("utf-8")
