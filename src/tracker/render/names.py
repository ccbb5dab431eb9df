"""The one name of each service, quota tier and provider in one language. Every output (feeds,
OPML, updates block, page changelog, digest, charts, calendar) takes its names here, so two
outputs of one language never name a service two ways.

- A service, in the site's default language: as its newest event names it. The walk decides that
  name (服务名称, else the page's own heading, else the name it first had from its front matter's
  title, decoration removed; see ``Snapshots._kept_name``). In the other language: the twin page
  (``_index.en.md``) by its own `Service Name` line or heading, else the default name; a
  front-matter title is SEO text and names a service only where the default name is Chinese
  and the twin says nothing else in English.
- A quota tier, in the other language: the twin's tier stating the same limits (`Trial 层级` →
  `Trial tier`), else its fixed words translated (``i18n.translate_name``), else as it is.
- A provider: the text of the language's own pages' link to it (`[Groq](/providers/groq)`),
  else the title of its own page (``providers/<slug>/_index.md``), else the text of a
  default-language page's link, else its slug.

Pages are read at render time from the working tree, each version once (cached by size and
modification time), as the updates block always read its titles. Within one render
(``one_render``) the names of one list of events in one language are worked out once, for every
output that asks: rendering changes pages only inside the tracker's blocks, where no name is
read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from tracker import i18n
from tracker.errors import TrackerError
from tracker.model import Event, instant
from tracker.paths import service_pages
from tracker.render.markers import Page

if TYPE_CHECKING:
    from tracker.config import Config

T = TypeVar("T")

# `[Groq](/providers/groq)`, `[Groq](/en/providers/groq/)`: a provider named by a link to it
PROVIDER_LINK = re.compile(r"\[([^\[\]\n]+)\]\((?:/[A-Za-z-]+)?/providers/([^/)#?\s]+)/?\)")


@dataclass(frozen=True)
class PageNames:
    """What one page says its service and tiers are called."""

    name: str | None  # by its 服务名称 / Service Name line or its heading; None: title only
    tiers: dict[str, dict[str, Any]]  # tier name → its limits
    title: str | None = None  # its front matter's title, decoration removed (SEO text)


def _stat_key(root: Path, relative: Path) -> tuple[str, int, int] | None:
    """The path with its size and modification time: a page changed on disk is read again."""
    path = Path(root) / relative
    try:
        stat = path.stat()
    except OSError:
        return None
    return str(path), stat.st_size, stat.st_mtime_ns


@lru_cache(maxsize=1024)
def _parsed(path: str, size: int, mtime_ns: int, default_lang: str) -> PageNames | None:
    # here, not at the top: the page parsers cost 27 ms to import (-X importtime), and only a
    # page whose names the events do not give is read
    from tracker.sources.page import parse_page

    try:
        service = parse_page(Path(path).read_bytes(), path, default_lang)
    except (OSError, TrackerError):
        return None  # a page that does not read names nothing; its outputs keep the ledger's
    return PageNames(None if service.name_from_title else service.name,
                     {k: dict(v) for k, v in service.quota_tiers.items()},
                     service.name if service.name_from_title else None)


@lru_cache(maxsize=1024)
def _links(path: str, size: int, mtime_ns: int) -> dict[str, str]:
    """Provider slug → the text of the page's link to it (no parse: a pattern is enough)."""
    try:
        text = Path(path).read_bytes().decode("utf-8", "replace")
    except OSError:
        return {}
    providers: dict[str, str] = {}
    for label, slug in PROVIDER_LINK.findall(text):
        providers.setdefault(slug, " ".join(label.split()))
    return providers


def page_names(root: Path, relative: Path, default_lang: str) -> PageNames | None:
    key = _stat_key(root, relative)
    return _parsed(*key, default_lang) if key else None


def page_links(root: Path, relative: Path) -> dict[str, str]:
    key = _stat_key(root, relative)
    return _links(*key) if key else {}


@dataclass(frozen=True)
class Names:
    """Service id → name, (service, quota tier as events hold it) → tier name, provider → name.
    Only quota tiers are named per language: a price band (">200K") is the catalogue's own text."""

    lang: str
    services: dict[str, str]
    tiers: dict[tuple[str, str], str]
    providers: dict[str, str]

    def service(self, service: str, fallback: str | None = None) -> str:
        return self.services.get(service) or fallback or service

    def tier(self, service: str, tier: str | None) -> str | None:
        if tier is None:
            return None
        found = self.tiers.get((service, tier))
        if found is not None:
            return found
        return tier if self.lang == "zh" else i18n.translate_name(tier, self.lang)

    def provider(self, slug: str) -> str:
        return self.providers.get(slug) or slug

    def localize(self, events: list[Event]) -> list[Event]:
        """``events`` with this language's service and tier names (ids and all else kept),
        the tiers a whole service's facts state (service_added, service_removed) included."""
        out = []
        for event in events:
            name = self.service(event.service, event.service_name)
            tier = self.tier(event.service, event.tier)
            old, new = self._facts(event.service, event.old), self._facts(event.service, event.new)
            same = (name, tier) == (event.service_name, event.tier) \
                and old is event.old and new is event.new
            out.append(event if same else replace(event, service_name=name, tier=tier, old=old,
                                                  new=new))
        return out

    def _facts(self, service: str, value: Any) -> Any:
        if not isinstance(value, dict) or not isinstance(value.get("tiers"), dict):
            return value
        tiers = {self.tier(service, str(key)) or key: limits
                 for key, limits in value["tiers"].items()}
        return value if list(tiers) == list(value["tiers"]) else {**value, "tiers": tiers}


def provider_title(root: Path, slug: str, lang: str, default_lang: str) -> str | None:
    """The title of the provider's own page (``providers/<slug>/_index.md``, or its twin in
    ``lang``), decoration removed: for providers no service page links (data files, records)."""
    from tracker.sources.page.overview import title_name  # the page parsers, as in _parsed

    names = [f"_index.{lang}.md"] if lang != default_lang else []
    for folder in ("", "content/"):
        for name in [*names, "_index.md"]:
            try:
                text = (root / folder / "providers" / slug / name).read_text(encoding="utf-8")
                title = title_name(Page(text).front_matter().get("title"))
            except (OSError, UnicodeDecodeError, TrackerError):
                continue
            if title:
                return title
    return None


# What one render works out once (see ``once``), while one_render() lasts: key → (the objects
# the key names by id, kept so that an id is never another object's, the value)
_MEMO: dict[tuple[Any, ...], tuple[tuple[object, ...], Any]] | None = None


@contextmanager
def one_render() -> Iterator[None]:
    """While this lasts, what every output asks for is worked out once (``once``): the names
    of each (events, config, language) — six outputs ask in one render, 34 ms each on a
    200-page site — and the feeds' item groups, which the feeds and the OPML both need."""
    global _MEMO
    outer, _MEMO = _MEMO, {} if _MEMO is None else _MEMO
    try:
        yield
    finally:
        _MEMO = outer


def once(what: str, objects: tuple[object, ...], compute: Callable[[], T]) -> T:
    """``compute()``, or within one_render() what it gave before for ``what`` of these very
    objects (compared by identity: a list of events is not read again to compare it)."""
    if _MEMO is None:
        return compute()
    key = (what, *(id(o) for o in objects))
    if key not in _MEMO:
        _MEMO[key] = (objects, compute())
    value: T = _MEMO[key][1]
    return value


def site_names(events: list[Event], config: Config, lang: str) -> Names:
    """The names every output in ``lang`` uses, from the events and the pages at hand."""
    return once(f"names {lang}", (events, config), lambda: _site_names(events, config, lang))


def localized(events: list[Event], config: Config, lang: str) -> list[Event]:
    """``events`` named as every output in ``lang`` names them (``Names.localize``), worked
    out once per render for the charts, the page changelogs and the feeds alike."""
    return once(f"localized {lang}", (events, config),
                lambda: site_names(events, config, lang).localize(events))


def pages_of(config: Config) -> list[tuple[Path, str, str]]:
    """``paths.service_pages`` of the configuration, looked for once per render (``once``):
    rendering rewrites pages, never adds one."""
    return once("service pages", (config,),
                lambda: service_pages(Path(config.root), config.pages, config.default_lang))


def _newest_names(events: list[Event]) -> dict[str, str]:
    """Service id → the name its newest event gives (the same in every language)."""
    services: dict[str, str] = {}
    # oldest first, whatever order they came in: the newest event's name stands
    for event in sorted(events, key=lambda e: (instant(e.date), e.id)):
        if event.service_name:
            services[event.service] = event.service_name
    return services


def _site_names(events: list[Event], config: Config, lang: str) -> Names:
    # a copy: the other language's names start from the same ones
    services = dict(once("newest names", (events,), lambda: _newest_names(events)))
    root = Path(config.root)
    own: dict[str, Path] = {}
    default: dict[str, Path] = {}
    for relative, service, page_lang in pages_of(config):
        if page_lang == lang:
            own.setdefault(service, relative)
        if page_lang == config.default_lang:
            default.setdefault(service, relative)
    providers: dict[str, str] = {}
    for relative in own.values():  # the language's own links first
        for slug, label in page_links(root, relative).items():
            providers.setdefault(slug, label)
    for slug in sorted({e.provider for e in events if e.provider} - set(providers)):
        # read once per render and language: the calendar asks again for the raw events
        titled = once(f"provider title {lang} {slug}", (config,),
                      partial(provider_title, root, slug, lang, config.default_lang))
        if titled:
            providers[slug] = titled
    for relative in default.values() if lang != config.default_lang else ():
        # (in the default language these are the pages above: they name nothing more)
        for slug, label in page_links(root, relative).items():
            providers.setdefault(slug, label)
    tiers: dict[tuple[str, str], str] = {}
    if lang != config.default_lang:
        # pages are parsed only here: twins for their names, and both sides of a service
        # whose events name a tier, to pair its tiers
        tiered = {e.service for e in events if e.tier} | {
            e.service for e in events if isinstance(e.new, dict) and e.new.get("tiers")}
        for service, relative in own.items():
            twin = page_names(root, relative, config.default_lang)
            if twin is None:
                continue
            if twin.name:
                services[service] = twin.name
            elif twin.title and i18n.has_han(services.get(service, "")) \
                    and not i18n.has_han(twin.title):
                # a Chinese name in an English output: the twin's title is the only English
                # name at hand, SEO text or not
                services[service] = twin.title
            ours = page_names(root, default[service], config.default_lang) \
                if service in tiered and service in default else None
            if ours is not None:
                tiers.update(((service, a), b) for a, b in _paired(ours.tiers, twin.tiers).items())
    return Names(lang, services, tiers, providers)


def _paired(ours: dict[str, dict[str, Any]], theirs: dict[str, dict[str, Any]]
            ) -> dict[str, str]:
    """Tier names of the default page → the twin's, for tiers stating the very same limits
    (numbers read the same in both languages); a tie or no match pairs nothing."""
    paired: dict[str, str] = {}
    for name, limits in ours.items():
        same = [other for other, values in theirs.items() if values == limits]
        twins = [n for n, values in ours.items() if values == limits]
        if len(same) == 1 and len(twins) == 1 and limits:
            paired[name] = same[0]
    return paired
