"""Feeds: events → Atom, RSS 2.0 and JSON Feed bytes (``build_feeds``); tracker.writer writes them.

``FORMATS`` and ``SITE_FEEDS`` are the one table of feeds: each format's writer, suffix, MIME type
and OPML version, and each site-wide feed's file, format and items. ``build_feeds``, the index the
OPML is made from (``feed_index``) and the feed links ``tracker init`` writes (``feed_links``) all
take them from there.

One item per (commit, service) group of events, newest first. Every byte depends only on the
events and the configuration: ids come from event ids, dates from commits, the feed's own
updated/lastBuildDate from its newest item, and the generator is pinned. The only module that
imports feedgen.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import quote

from tracker import i18n
from tracker.links import web_url
from tracker.model import KINDS, Event, instant, severity_rank
from tracker.render import environment, visible
from tracker.render.names import localized, once, site_names
from tracker.site import feed_url, home_url, service_url, site_base

if TYPE_CHECKING:
    import jinja2
    from feedgen.entry import FeedEntry
    from feedgen.feed import FeedGenerator

    from tracker.config import Config

GENERATOR = "tracker"
# The `updated` of a feed with no items: a fixed date, so an empty feed is stable bytes too.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
KIND_SCHEME = "urn:tracker:kind"
SEVERITY_SCHEME = "urn:tracker:severity"
# Files under these folders are ours: stale ones (any format's suffix) are removed by the writer
OWNED_DIRS = ("providers", "services")

_UNSAFE_NAME = re.compile(r"[^\w.-]")
_KIND_RANK = {kind: i for i, kind in enumerate(KINDS)}
_LANG_TAGS = {"zh": "zh-CN", "en": "en"}


def clean(value: Any) -> str:
    """Text safe for XML: characters XML 1.0 forbids and bidi overrides are dropped."""
    return visible(value)


def safe_link(url: str | None) -> str | None:
    """An http(s) address with a host, or None: javascript:, data:, relative links dropped."""
    return web_url(clean(url)) if url else None


@dataclass(frozen=True)
class Item:
    """One feed item, rendered once and shared by every feed that carries it."""

    guid: str
    date: datetime
    service: str
    service_name: str
    providers: tuple[str, ...]
    breaking: bool
    title: str
    summary: str
    html: str
    link: str
    categories: tuple[tuple[str, str, str], ...]  # (term, scheme, label)
    # its feedgen entries, Atom (False) and RSS (True), made on first use (``_entry``)
    entries: dict[bool, FeedEntry] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class FeedMeta:
    path: str  # relative to the feeds folder, '/'-separated
    title: str
    alternate: str
    format: str  # a key of FORMATS


@dataclass(frozen=True)
class SiteFeed:
    """A site-wide feed: its file under the feeds folder, its format (a key of FORMATS), and
    whether it carries only the items with a breaking event."""

    path: str
    format: str
    breaking: bool


SITE_FEEDS = (SiteFeed("atom.xml", "atom", False), SiteFeed("rss.xml", "rss", False),
              SiteFeed("feed.json", "json", False), SiteFeed("breaking.atom", "atom", True),
              SiteFeed("breaking.rss", "rss", True))
# providers/<provider>.atom and services/<service>.atom: one format for the per-group feeds
GROUP_FORMAT = "atom"


def _event_key(event: Event) -> tuple[Any, ...]:
    """Most severe first, then a content order that does not depend on input order."""
    return (severity_rank(event.severity), _KIND_RANK.get(event.kind, len(KINDS)),
            event.model or "", event.tier_or_band or "", event.field or "", event.id)


class _Row(NamedTuple):
    """One event's row of an item's table, as feed_item.html.j2 shows it (``row.kind``; a
    tuple, which Jinja reads by attribute at once where a dict first fails a getattr)."""

    kind: str
    what: str
    show_values: bool
    old: str
    new: str
    change: str
    note: str
    source: str


def _rows(events: list[Event], lang: str, summaries: list[str]) -> list[_Row]:
    """The rows of ``events``, whose ``summaries`` the item has made already."""
    rows = []
    for event, summarized in zip(events, summaries, strict=True):
        # the summary says everything, or the row gets label, old → new and change columns
        summary_only = i18n.summary_says_all(event.kind)
        old = new = ""
        if summary_only:
            what = summarized
        else:
            scope = " ".join(s for s in (event.model, event.tier_or_band) if s)
            what = i18n.text("scope", lang, scope=scope) if scope else ""
            what += i18n.field_label(event.field, lang)
            if not event.field:  # no label to show: the summary is the best description
                what = summarized
            # (only here: a summary-only row shows no values, and a whole service's facts
            # are long to word)
            old, new = (clean(i18n.format_value(v, lang, field=event.field, currency=currency))
                        for v, currency in zip((event.old, event.new), event.currencies,
                                               strict=True))
        rows.append(_Row(
            kind=clean(i18n.kind_label(event.kind, lang)),
            what=clean(what),
            show_values=not summary_only,
            old=old,
            new=new,
            change=f"{event.change_pct:+.0f}%" if event.change_pct is not None else "",
            note=clean(event.note) if event.note else "",
            source=safe_link(event.source) or "",
        ))
    return rows


@dataclass(frozen=True)
class _Group:
    """The events of one (commit, service): what an item is made of, before it is rendered."""

    date: datetime
    at: float  # date's instant (model.instant), which the feeds are ordered by
    service: str
    guid: str
    breaking: bool
    providers: tuple[str, ...]
    events: tuple[Event, ...]


def _named_groups(events: list[Event], config: Config) -> list[_Group]:
    """The groups of ``events`` with the feeds' language's names: the feeds and the OPML index
    both need them, worked out once per render (names.once)."""
    return once("feed groups", (events, config),
                lambda: _groups(localized(events, config, config.feeds.lang)))


def _groups(events: Iterable[Event]) -> list[_Group]:
    """Events grouped by (commit, service), newest first; cheap, so rendering can be lazy."""
    grouped: dict[tuple[str, str], list[Event]] = {}
    for event in events:
        grouped.setdefault((event.commit, event.service), []).append(event)
    groups = []
    for members in grouped.values():
        ordered = tuple(sorted(members, key=_event_key))
        ids = "\n".join(sorted(e.id for e in ordered))
        newest = max(ordered, key=lambda e: instant(e.date))
        groups.append(_Group(
            date=newest.moment,
            at=instant(newest.date),
            service=ordered[0].service,
            guid="urn:tracker:" + hashlib.sha1(ids.encode("utf-8")).hexdigest(),
            breaking=any(e.severity == "breaking" for e in ordered),
            providers=tuple(sorted({clean(e.provider) for e in ordered if e.provider})),
            events=ordered))
    # The guid breaks ties between items of the same instant, whatever the input order.
    groups.sort(key=lambda g: (-g.at, g.service, g.guid))
    return groups


def _item(group: _Group, config: Config, lang: str, template: jinja2.Template,
          labels: dict[str, str]) -> Item:
    events = list(group.events)
    top = events[0]
    name = clean(top.service_name or top.service)
    summaries = [i18n.summarize(e, lang) for e in events]
    summary = summaries[0]
    if len(events) > 1:
        summary = i18n.text("feed_more", lang, summary=summary, more=len(events) - 1,
                            total=len(events))
    title = i18n.text("feed_title", lang, kind=i18n.kind_label(top.kind, lang), name=name,
                      summary=summary)
    categories: dict[tuple[str, str], str] = {}
    for event in events:
        categories.setdefault((event.kind, KIND_SCHEME), i18n.kind_label(event.kind, lang))
    categories[(top.severity, SEVERITY_SCHEME)] = i18n.severity_label(top.severity, lang)
    return Item(
        guid=group.guid,
        date=group.date,
        service=top.service,
        service_name=name,
        providers=group.providers,
        breaking=group.breaking,
        title=clean(title),
        summary=clean(i18n.text("join", lang).join(summaries)),
        html=clean(template.render(rows=_rows(events, lang, summaries), labels=labels)),
        link=clean(service_url(config, quote(clean(top.service), safe=""), lang)),
        categories=tuple((clean(term), scheme, clean(label))
                         for (term, scheme), label in categories.items()),
    )


def _file_name(name: str) -> str:
    """A slug as one file name: no separators, no leading dot (so never '..')."""
    return _UNSAFE_NAME.sub("-", clean(name)).lstrip(".") or "_"


class _Renderer:
    """Renders each group into an item once, on first use, whatever feeds carry it."""

    def __init__(self, config: Config) -> None:
        self.config, self.lang = config, config.feeds.lang
        self.template = environment(config).get_template("feed_item.html.j2")
        self.labels = {key: i18n.text(f"feed_{key}", self.lang)
                       for key in ("kind", "what", "change", "note", "source")}
        # 'values' would be dict.values in Jinja
        self.labels["old_new"] = i18n.text("feed_values", self.lang)
        self._items: dict[str, Item] = {}

    def __call__(self, groups: list[_Group]) -> list[Item]:
        for group in groups:
            if group.guid not in self._items:
                self._items[group.guid] = _item(group, self.config, self.lang, self.template,
                                                self.labels)
        return [self._items[group.guid] for group in groups]


def build_items(events: Iterable[Event], config: Config) -> list[Item]:
    """Group events by (commit, service) and render each group once; newest first."""
    return _Renderer(config)(_groups(events))


def _new_feed(meta: FeedMeta, config: Config, items: list[Item]) -> FeedGenerator:
    # feedgen here and in _entry, not at the top: 45–57 ms to import with lxml (-X
    # importtime), which the writer, the OPML, the updates block and tracker init (they read
    # this module's table of feeds) and an update that builds no feed would pay for nothing
    from feedgen.feed import FeedGenerator

    fg = FeedGenerator()
    self_url = feed_url(config, meta.path)
    fg.id(self_url)
    fg.title(meta.title)
    fg.subtitle(meta.title)  # RSS requires a channel description
    fg.author({"name": clean(_feed_title(config)), "uri": site_base(config) + "/"})
    # feedgen uses the last link as RSS <link>: self first, the site last.
    fg.link(href=self_url, rel="self")
    fg.link(href=meta.alternate, rel="alternate")
    fg.language(_LANG_TAGS.get(config.feeds.lang, config.feeds.lang))
    fg.generator(GENERATOR)
    fg.updated(items[0].date if items else EPOCH)  # also lastBuildDate: never "now"
    return fg


def _entry(item: Item, rss: bool) -> FeedEntry:
    """The item's Atom or RSS 2.0 entry, made once and added to every feed that carries the
    item (feedgen builds its XML from it in each feed); each format's own elements where they
    differ. (Keeping each entry's built XML too saved ~5% of the feeds' time for 10–20 MB.)"""
    entry = item.entries.get(rss)
    if entry is not None:
        return entry
    from feedgen.entry import FeedEntry  # as in _new_feed

    entry = item.entries[rss] = FeedEntry()
    entry.title(item.title)
    entry.link(href=item.link, rel="alternate")
    entry.category([{"term": t, "scheme": s, "label": lb} for t, s, lb in item.categories])
    if rss:
        entry.guid(item.guid, permalink=False)
        entry.pubDate(item.date)
        # Only description, so the table is not written twice (+ content:encoded).
        entry.description(item.html)
    else:
        entry.id(item.guid)
        entry.published(item.date)
        entry.updated(item.date)
        # Escaped HTML, never type='CDATA' (invalid Atom that feedparser does not flag).
        entry.content(item.html, type="html")
        entry.summary(item.summary)
    return entry


def _feedgen(meta: FeedMeta, config: Config, items: list[Item], *, rss: bool) -> bytes:
    """Atom or RSS 2.0 of ``items``, their entries shared with every other feed of them."""
    fg = _new_feed(meta, config, items)
    for item in items:
        fg.add_entry(_entry(item, rss), order="append")  # feedgen prepends by default
    return bytes(fg.rss_str(pretty=True) if rss else fg.atom_str(pretty=True))


def _json(meta: FeedMeta, config: Config, items: list[Item]) -> bytes:
    feed = {
        "version": JSON_FEED_VERSION,
        "title": meta.title,
        "home_page_url": meta.alternate,
        "feed_url": feed_url(config, meta.path),
        "language": _LANG_TAGS.get(config.feeds.lang, config.feeds.lang),
        "items": [{
            "id": item.guid,
            "url": item.link,
            "title": item.title,
            "content_html": item.html,
            "summary": item.summary,
            "date_published": item.date.isoformat(),
            "tags": [term for term, _, _ in item.categories],
        } for item in items],
    }
    return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


@dataclass(frozen=True)
class FeedFormat:
    """A feed format: its writer, the suffix of its files, the MIME type a page's
    ``<link rel="alternate">`` names it by, and its OPML outline ``version``."""

    write: Callable[[FeedMeta, Config, list[Item]], bytes]
    suffix: str
    mime: str
    opml_version: str


FORMATS = {
    "atom": FeedFormat(partial(_feedgen, rss=False), ".atom", "application/atom+xml", "ATOM"),
    "rss": FeedFormat(partial(_feedgen, rss=True), ".rss", "application/rss+xml", "RSS2"),
    "json": FeedFormat(_json, ".json", "application/feed+json", "JSONFEED"),
}
OWNED_SUFFIXES = tuple(f.suffix for f in FORMATS.values())


def feed_links() -> list[tuple[str, str]]:
    """(MIME type, file) of each feed a site's pages link for discovery: the site-wide feeds of
    every item, one per format."""
    return [(FORMATS[f.format].mime, f.path) for f in SITE_FEEDS if not f.breaking]


def _feed_title(config: Config) -> str:
    return config.feeds.title_en if config.feeds.lang == "en" else config.feeds.title


def _home(config: Config) -> str:
    return home_url(config, config.feeds.lang)


def build_feeds(events: list[Event], config: Config,
                services: set[str] | None = None, site: bool = True,
                providers: Iterable[str] = ()) -> dict[str, bytes]:
    """Every feed file, keyed by its path under ``config.feeds.dir``.

    The SITE_FEEDS: atom.xml, rss.xml and feed.json hold everything, breaking.atom and
    breaking.rss the items with a breaking event; providers/<provider>.atom and
    services/<service>.atom one per provider and service that has events. With ``services``,
    the per-provider and per-service feeds are built only for those services (and their
    providers, and ``providers``): the others cannot have changed. Without ``site``, the
    SITE_FEEDS are left out.
    Services, quota tiers and providers are named as every output in the feeds' language names them.
    """
    names = site_names(events, config, config.feeds.lang)
    groups = _named_groups(events, config)
    render = _Renderer(config)
    cap = max(config.feeds.max_items, 0)
    title = clean(_feed_title(config))
    home = _home(config)
    out: dict[str, bytes] = {}

    everything = render(groups[:cap]) if site else []
    breaking = render([g for g in groups if g.breaking][:cap]) if site else []
    for meta, feed in zip(_site_feeds(config), SITE_FEEDS, strict=True) if site else ():
        out[meta.path] = FORMATS[feed.format].write(meta, config,
                                                    breaking if feed.breaking else everything)

    wanted_providers = None if services is None else {
        p for g in groups if g.service in services for p in g.providers} | set(providers)
    by_provider: dict[str, list[_Group]] = {}
    by_service: dict[str, list[_Group]] = {}
    for group in groups:  # newest first, so each list stays sorted
        for provider in group.providers:
            if wanted_providers is None or provider in wanted_providers:
                by_provider.setdefault(provider, []).append(group)
        if services is None or group.service in services:
            by_service.setdefault(group.service, []).append(group)
    group_format = FORMATS[GROUP_FORMAT]
    for provider, members in sorted(by_provider.items()):
        path = f"providers/{_file_name(provider)}{group_format.suffix}"
        meta = FeedMeta(path, f"{title} · {clean(names.provider(provider))}", home, GROUP_FORMAT)
        out[path] = group_format.write(meta, config, render(members[:cap]))
    for service, members in sorted(by_service.items()):
        items = render(members[:cap])
        path = f"services/{_file_name(service)}{group_format.suffix}"
        meta = FeedMeta(path, f"{title} · {items[0].service_name}", items[0].link, GROUP_FORMAT)
        out[path] = group_format.write(meta, config, items)
    return out


def _site_feeds(config: Config) -> list[FeedMeta]:
    """The site-wide feeds (SITE_FEEDS) with their titles and page."""
    title = clean(_feed_title(config))
    breaking_title = f"{title} · {i18n.severity_label('breaking', config.feeds.lang)}"
    return [FeedMeta(f.path, breaking_title if f.breaking else title, _home(config), f.format)
            for f in SITE_FEEDS]


def feed_index(events: list[Event], config: Config) -> list[FeedMeta]:
    """Every feed file ``build_feeds`` writes for ``events`` (all services), with its title and
    page, in the order a reader would list them: everything, breaking, providers, services."""
    names = site_names(events, config, config.feeds.lang)
    groups = _named_groups(events, config)
    title = clean(_feed_title(config))
    home = _home(config)
    suffix = FORMATS[GROUP_FORMAT].suffix
    index = _site_feeds(config)
    providers = sorted({p for g in groups for p in g.providers})
    index += [FeedMeta(f"providers/{_file_name(p)}{suffix}",
                       f"{title} · {clean(names.provider(p))}", home, GROUP_FORMAT)
              for p in providers]
    newest: dict[str, _Group] = {}
    for group in groups:  # newest first: the first group of a service names its feed
        newest.setdefault(group.service, group)
    for service, group in sorted(newest.items()):
        top = group.events[0]
        name = clean(top.service_name or top.service)
        link = clean(service_url(config, quote(clean(top.service), safe=""), config.feeds.lang))
        index.append(FeedMeta(f"services/{_file_name(service)}{suffix}", f"{title} · {name}",
                              link, GROUP_FORMAT))
    return index
