"""Where things live on the site: the one home of every address and file name the tracker writes.

The Hugo site around the repository (``site_of``: read by tracker.hugo once per loaded
configuration) and tracker.yaml decide the site's address (``site_base``), a language's home page
(``home_url``), a service page's address in a language it has a page in (``service_url``,
``page_exists``), where Hugo serves a file of the repository (``published_path``), where the
feeds and charts folders are served (``feed_url``, ``charts_url``), and a chart's file name and
address (``chart_name``, ``chart_url``). ``site_path`` makes an address a link within the site.
Renderers take addresses from here and nowhere else.
"""

from __future__ import annotations

import os
import weakref
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote, urlsplit

from tracker.config import DEFAULT_SITE_URL, Config
from tracker.hugo import HugoSite, read_hugo_site
from tracker.paths import service_pages
from tracker.text import visible

CHART_SUFFIX = ".svg"


@dataclass
class _Read:
    """What the site is, read once per loaded configuration: the Hugo site (None: none), and
    the service pages of each language (read on first need)."""

    hugo: HugoSite | None
    page_langs: dict[str, set[str]] | None = None


# One entry per loaded configuration, dropped with it (weakref.finalize): Config holds settings
# only, and a copy of one (dataclasses.replace) reads its own site.
_READ: dict[int, _Read] = {}


def _read(config: Config) -> _Read:
    key = id(config)
    read = _READ.get(key)
    if read is None:
        read = _Read(read_hugo_site(Path(config.root), config.hugo_config, config.hugo))
        _READ[key] = read
        weakref.finalize(config, _READ.pop, key, None)
    return read


def site_of(config: Config) -> HugoSite | None:
    """The Hugo site of a loaded configuration, read once."""
    return _read(config).hugo


def published_path(config: Config, relative: str) -> str | None:
    """The site path a repository file is served at, or None when Hugo does not publish it:
    ``static/x`` → ``/x``; ``<content>/x`` → ``<default-language prefix>/x``."""
    site = site_of(config)
    if site is None:
        return None
    path = PurePosixPath(relative)
    if site.site_dir is not None:  # only stated: no Hugo project here, so no static/ of it
        static = Path(os.path.relpath(site.site_dir / "static", config.root)).as_posix()
        try:
            return "/" + path.relative_to(PurePosixPath(static)).as_posix()
        except ValueError:
            pass
    if site.content_dir is not None:
        content = PurePosixPath(site.content_dir) if site.content_dir else PurePosixPath()
        try:
            inside = path.relative_to(content)
        except ValueError:
            return None
        return site.prefix(site.default_language) + "/" + inside.as_posix()
    return None


def page_exists(config: Config, service: str, lang: str) -> bool:
    """Whether ``service`` has a page in ``lang`` (read once per configuration)."""
    read = _read(config)
    if read.page_langs is None:
        found: dict[str, set[str]] = {}
        for _relative, slug, page_lang in service_pages(Path(config.root), config.pages,
                                                        config.default_lang):
            found.setdefault(page_lang, set()).add(slug)
        read.page_langs = found
    return service in read.page_langs.get(lang, set())


def site_base(config: Config) -> str:
    """The site's address: ``site_url`` when tracker.yaml sets it, else the Hugo baseURL."""
    site = site_of(config)
    if config.site_url != DEFAULT_SITE_URL or site is None or not site.base_url:
        return config.site_url
    return site.base_url


def home_url(config: Config, lang: str) -> str:
    """The home page of ``lang``, ending in a slash."""
    site = site_of(config)
    if site is None:
        return site_base(config) + ("/" if lang == config.default_lang else f"/{lang}/")
    return site_base(config) + site.prefix(site.language_key(lang, config.default_lang)) + "/"


def site_path(url: str) -> str:
    """An absolute http(s) address as a link within its site (path onwards), for Markdown pages
    the site serves itself; anything else as it is."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return url
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def service_url(config: Config, service: str, lang: str) -> str:
    """The absolute address of a service page. Without a Hugo site, other languages than the
    default live under /<lang>/ (Hugo's default); with one, its languages, prefixes and base
    decide, and a page missing in ``lang`` is linked in the default language instead."""
    site = site_of(config)
    if site is None:
        prefix = "" if lang == config.default_lang else f"/{lang}"
        return f"{config.site_url}{prefix}/services/api/{service}/"
    if lang != config.default_lang and not page_exists(config, service, lang):
        lang = config.default_lang
    prefix = site.prefix(site.language_key(lang, config.default_lang))
    return f"{site_base(config)}{prefix}/services/api/{service}/"


def feed_url(config: Config, path: str) -> str:
    """Where a feed file is served: feeds.url, else where Hugo publishes feeds.dir
    (``static/feeds`` → ``/feeds``), else ``site_url/<feeds.dir>``."""
    folder = config.feeds.url or published_path(config, config.feeds.dir.strip("/"))
    if folder is None:
        folder = "/" + quote(config.feeds.dir.strip("/"))
    elif not folder.startswith(("http://", "https://")):
        folder = "/" + quote(folder.strip("/"))
    if folder.startswith("/"):
        folder = site_base(config).rstrip("/") + folder
    return folder.rstrip("/") + "/" + quote(path)


def chart_name(config: Config, service: str, lang: str) -> str:
    """``groq.svg`` in the site's default language, ``groq.en.svg`` in the other. No two
    services share a name: the slug holds no dot (``z.ai`` → ``z_2Eai``), so the language's dot
    is the only one, and ``_`` starts every escape (``a_b`` → ``a_5Fb``)."""
    slug = quote(visible(service), safe="").replace("_", "_5F").replace("%", "_") \
        .replace(".", "_2E") or "_"
    suffix = CHART_SUFFIX if lang == config.default_lang else f".{lang}{CHART_SUFFIX}"
    return slug + suffix


def charts_url(config: Config) -> str:
    """Where the site serves the charts folder: ``charts.url``, else where Hugo publishes
    ``charts.dir`` (``static/tracker/charts`` → ``/tracker/charts``), else the dir less a
    leading ``static/``; a path is made absolute with the site's address (as feeds' are)."""
    folder = config.charts.url or published_path(config, config.charts.dir.strip("/"))
    if folder is None:
        parts = PurePosixPath(config.charts.dir.strip("/")).parts
        folder = "/".join(parts[1:] if parts[:1] == ("static",) else parts)
    if not folder.startswith(("http://", "https://")):
        folder = site_base(config).rstrip("/") + "/" + quote(folder.strip("/"))
    return folder.rstrip("/")


def chart_url(config: Config, service: str, lang: str) -> str:
    """The absolute address of a service's chart. Charts kept inside Hugo's content (a
    repository that is the site's content) are served the way Hugo serves such files:
    ``groq.en.svg`` under the English prefix."""
    name = chart_name(config, service, lang)
    moved = _content_language_url(config, service, lang)
    return moved or f"{charts_url(config)}/{quote(name)}"


def _content_language_url(config: Config, service: str, lang: str) -> str | None:
    site = site_of(config)
    if config.charts.url or site is None or site.content_dir is None \
            or lang == config.default_lang:
        return None
    folder = PurePosixPath(config.charts.dir.strip("/"))
    try:
        inside = folder.relative_to(PurePosixPath(site.content_dir or "."))
    except ValueError:
        return None  # under static/ or elsewhere: served as it is named
    prefix = site.prefix(site.language_key(lang, config.default_lang))
    path = "/".join(quote(p) for p in (*inside.parts, chart_name(config, service, lang)))
    return site_base(config).rstrip("/") + prefix + "/" + path
