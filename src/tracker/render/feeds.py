"""Feeds: events → Atom, RSS 2.0 and JSON Feed bytes (``build_feeds``); writing (``write_feeds``).

One item per (commit, service) group of events, newest first. Every byte depends only on the
events and the configuration: ids come from event ids, dates from commits, the feed's own
updated/lastBuildDate from its newest item, and the generator is pinned. The only module that
imports feedgen.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from feedgen.feed import FeedGenerator

from tracker import i18n
from tracker.fsutil import write_atomic
from tracker.links import web_url
from tracker.model import KINDS, Event, severity_rank
from tracker.render import environment, home_url, service_url, site_base, visible
from tracker.render.names import once, site_names

if TYPE_CHECKING:
    import jinja2

    from tracker.config import Config

GENERATOR = "tracker"
# The `updated` of a feed with no items: a fixed date, so an empty feed is stable bytes too.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
KIND_SCHEME = "urn:tracker:kind"
SEVERITY_SCHEME = "urn:tracker:severity"
# Files under these folders are ours: stale ones are removed by write_feeds.
OWNED_DIRS = ("providers", "services")
OWNED_SUFFIXES = (".atom", ".rss", ".json")

_UNSAFE_NAME = re.compile(r"[^\w.-]")
_KIND_RANK = {kind: i for i, kind in enumerate(KINDS)}
_LANG_TAGS = {"zh": "zh-CN", "en": "en"}
# Kinds whose summary says everything; the others get field label, old → new and change columns.
_SUMMARY_KINDS = frozenset({
    "service_added", "service_removed", "service_renamed", "model_added", "model_removed",
    "model_deprecated", "requirement_added", "requirement_removed"})


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


@dataclass(frozen=True)
class FeedMeta:
    path: str  # relative to the feeds folder, '/'-separated
    title: str
    alternate: str


def _event_key(event: Event) -> tuple[Any, ...]:
    """Most severe first, then a content order that does not depend on input order."""
    return (severity_rank(event.severity), _KIND_RANK.get(event.kind, len(KINDS)),
            event.model or "", event.tier or "", event.field or "", event.id)


def _parse_date(value: str) -> datetime:
    when = datetime.fromisoformat(value)
    # The ledger stores offsets; a hand-edited naive date is read as UTC rather than crashing
    # feedgen, which refuses naive datetimes.
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _rows(events: list[Event], lang: str) -> list[dict[str, Any]]:
    rows = []
    for event in events:
        summary_only = event.kind in _SUMMARY_KINDS
        if summary_only:
            what = i18n.summarize(event, lang)
        else:
            scope = " ".join(s for s in (event.model, event.tier) if s)
            what = i18n.text("scope", lang, scope=scope) if scope else ""
            what += i18n.field_label(event.field, lang)
            if not event.field:  # no label to show: the summary is the best description
                what = i18n.summarize(event, lang)
        old, new = (i18n.format_value(v, lang, field=event.field, currency=currency)
                    for v, currency in zip((event.old, event.new), event.currencies, strict=True))
        rows.append({
            "kind": clean(i18n.kind_label(event.kind, lang)),
            "what": clean(what),
            "show_values": not summary_only,
            "old": "" if summary_only else clean(old),
            "new": "" if summary_only else clean(new),
            "change": f"{event.change_pct:+.0f}%" if event.change_pct is not None else "",
            "note": clean(event.note) if event.note else "",
            "source": safe_link(event.source) or "",
        })
    return rows


@dataclass(frozen=True)
class _Group:
    """The events of one (commit, service): what an item is made of, before it is rendered."""

    date: datetime
    service: str
    guid: str
    breaking: bool
    providers: tuple[str, ...]
    events: tuple[Event, ...]


def _named_groups(events: list[Event], config: Config) -> list[_Group]:
    """The groups of ``events`` with the feeds' language's names: the feeds and the OPML index
    both need them, worked out once per render (names.once)."""
    names = site_names(events, config, config.feeds.lang)
    return once("feed groups", (events, config),
                lambda: _groups(names.localize(events)))


def _groups(events: Iterable[Event]) -> list[_Group]:
    """Events grouped by (commit, service), newest first; cheap, so rendering can be lazy."""
    grouped: dict[tuple[str, str], list[Event]] = {}
    for event in events:
        grouped.setdefault((event.commit, event.service), []).append(event)
    groups = []
    for members in grouped.values():
        ordered = tuple(sorted(members, key=_event_key))
        ids = "\n".join(sorted(e.id for e in ordered))
        groups.append(_Group(
            date=max((_parse_date(e.date) for e in ordered), key=lambda d: d.timestamp()),
            service=ordered[0].service,
            guid="urn:tracker:" + hashlib.sha1(ids.encode("utf-8")).hexdigest(),
            breaking=any(e.severity == "breaking" for e in ordered),
            providers=tuple(sorted({clean(e.provider) for e in ordered if e.provider})),
            events=ordered))
    # The guid breaks ties between items of the same instant, whatever the input order.
    groups.sort(key=lambda g: (-g.date.timestamp(), g.service, g.guid))
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
        html=clean(template.render(rows=_rows(events, lang), labels=labels)),
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


def _atom(meta: FeedMeta, config: Config, items: list[Item]) -> bytes:
    fg = _new_feed(meta, config, items)
    for item in items:
        entry = fg.add_entry(order="append")  # feedgen prepends by default
        entry.id(item.guid)
        entry.title(item.title)
        entry.link(href=item.link, rel="alternate")
        entry.published(item.date)
        entry.updated(item.date)
        # Escaped HTML, never type='CDATA' (invalid Atom that feedparser does not flag).
        entry.content(item.html, type="html")
        entry.summary(item.summary)
        entry.category([{"term": t, "scheme": s, "label": lb} for t, s, lb in item.categories])
    return bytes(fg.atom_str(pretty=True))


def _rss(meta: FeedMeta, config: Config, items: list[Item]) -> bytes:
    fg = _new_feed(meta, config, items)
    for item in items:
        entry = fg.add_entry(order="append")
        entry.guid(item.guid, permalink=False)
        entry.title(item.title)
        entry.link(href=item.link, rel="alternate")
        entry.pubDate(item.date)
        # Only description, so the table is not written twice (description + content:encoded).
        entry.description(item.html)
        entry.category([{"term": t, "scheme": s, "label": lb} for t, s, lb in item.categories])
    return bytes(fg.rss_str(pretty=True))


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


def _feed_title(config: Config) -> str:
    return config.feeds.title_en if config.feeds.lang == "en" else config.feeds.title


def feed_url(config: Config, path: str) -> str:
    """Where a feed file is served: feeds.url, else where Hugo publishes feeds.dir
    (``static/feeds`` → ``/feeds``), else ``site_url/<feeds.dir>``."""
    from tracker.hugo import published_path

    folder = config.feeds.url or published_path(config, config.feeds.dir.strip("/"))
    if folder is None:
        folder = "/" + quote(config.feeds.dir.strip("/"))
    elif not folder.startswith(("http://", "https://")):
        folder = "/" + quote(folder.strip("/"))
    if folder.startswith("/"):
        folder = site_base(config).rstrip("/") + folder
    return folder.rstrip("/") + "/" + quote(path)


def _home(config: Config) -> str:
    return home_url(config, config.feeds.lang)


def build_feeds(events: list[Event], config: Config,
                services: set[str] | None = None) -> dict[str, bytes]:
    """Every feed file, keyed by its path under ``config.feeds.dir``.

    atom.xml, rss.xml and feed.json hold everything; breaking.atom / breaking.rss the items with
    a breaking event; providers/<provider>.atom and services/<service>.atom one per provider and
    service that has events. With ``services``, the per-provider and per-service feeds are
    built only for those services (and their providers): the others cannot have changed.
    Services, tiers and providers are named as every output in the feeds' language names them.
    """
    names = site_names(events, config, config.feeds.lang)
    groups = _named_groups(events, config)
    render = _Renderer(config)
    cap = max(config.feeds.max_items, 0)
    title = clean(_feed_title(config))
    lang = config.feeds.lang
    home = _home(config)
    out: dict[str, bytes] = {}

    everything = render(groups[:cap])
    for path, write in (("atom.xml", _atom), ("rss.xml", _rss), ("feed.json", _json)):
        out[path] = write(FeedMeta(path, title, home), config, everything)

    breaking = render([g for g in groups if g.breaking][:cap])
    breaking_title = f"{title} · {i18n.severity_label('breaking', lang)}"
    for path, write in (("breaking.atom", _atom), ("breaking.rss", _rss)):
        out[path] = write(FeedMeta(path, breaking_title, home), config, breaking)

    wanted_providers = None if services is None else {
        p for g in groups if g.service in services for p in g.providers}
    by_provider: dict[str, list[_Group]] = {}
    by_service: dict[str, list[_Group]] = {}
    for group in groups:  # newest first, so each list stays sorted
        for provider in group.providers:
            if wanted_providers is None or provider in wanted_providers:
                by_provider.setdefault(provider, []).append(group)
        if services is None or group.service in services:
            by_service.setdefault(group.service, []).append(group)
    for provider, members in sorted(by_provider.items()):
        path = f"providers/{_file_name(provider)}.atom"
        out[path] = _atom(FeedMeta(path, f"{title} · {clean(names.provider(provider))}", home),
                          config,
                          render(members[:cap]))
    for service, members in sorted(by_service.items()):
        items = render(members[:cap])
        path = f"services/{_file_name(service)}.atom"
        meta = FeedMeta(path, f"{title} · {items[0].service_name}", items[0].link)
        out[path] = _atom(meta, config, items)
    return out


def feed_index(events: list[Event], config: Config) -> list[FeedMeta]:
    """Every feed file ``build_feeds`` writes for ``events`` (all services), with its title and
    page, in the order a reader would list them: everything, breaking, providers, services."""
    names = site_names(events, config, config.feeds.lang)
    groups = _named_groups(events, config)
    title = clean(_feed_title(config))
    home = _home(config)
    breaking_title = f"{title} · {i18n.severity_label('breaking', config.feeds.lang)}"
    index = [FeedMeta(path, title, home) for path in ("atom.xml", "rss.xml", "feed.json")]
    index += [FeedMeta(path, breaking_title, home) for path in ("breaking.atom", "breaking.rss")]
    providers = sorted({p for g in groups for p in g.providers})
    index += [FeedMeta(f"providers/{_file_name(p)}.atom",
                       f"{title} · {clean(names.provider(p))}", home) for p in providers]
    newest: dict[str, _Group] = {}
    for group in groups:  # newest first: the first group of a service names its feed
        newest.setdefault(group.service, group)
    for service, group in sorted(newest.items()):
        top = group.events[0]
        name = clean(top.service_name or top.service)
        link = clean(service_url(config, quote(clean(top.service), safe=""), config.feeds.lang))
        index.append(FeedMeta(f"services/{_file_name(service)}.atom", f"{title} · {name}", link))
    return index


def write_feeds(config: Config, feeds: dict[str, bytes], dry_run: bool = False,
                prune: bool = True) -> list[Path]:
    """Write ``feeds`` under ``config.root / config.feeds.dir``; remove our stale feeds.

    Only *.atom, *.rss and *.json files under providers/ and services/ are ours to remove (a
    service or provider with no events left), and only with ``prune`` (a full build). Returns
    the paths that changed (or would, with ``dry_run``), sorted; unchanged files are not
    touched.
    """
    base = Path(config.root) / config.feeds.dir
    changed: list[Path] = []
    for rel in sorted(feeds):
        parts = PurePosixPath(rel)
        if parts.is_absolute() or ".." in parts.parts:
            raise ValueError(f"feed path {rel!r} leaves the feeds folder")
        target = base.joinpath(*parts.parts)
        if dry_run:
            try:
                same = target.read_bytes() == feeds[rel]
            except OSError:
                same = False
            if not same:
                changed.append(target)
        elif write_atomic(target, feeds[rel], durable=False):  # `tracker render` rebuilds it
            changed.append(target)
    for folder in OWNED_DIRS if prune else ():
        directory = base / folder
        if not directory.is_dir():
            continue
        for path in sorted(directory.iterdir()):
            rel = f"{folder}/{path.name}"
            if path.is_file() and path.suffix in OWNED_SUFFIXES and rel not in feeds:
                if not dry_run:
                    path.unlink()
                changed.append(path)
    return sorted(changed)
