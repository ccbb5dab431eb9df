"""The rules of tracker.yaml that a type cannot say: the languages, updates files and addresses,
each record source (can it tell which service and model a record is?), and the ``hugo:`` values
(would Hugo accept them, would the links be right?). ``tracker.config.load_config`` calls them
once, after the types are checked; each error names tracker.yaml and the key, and says what to
write instead.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tracker.errors import TrackerError
from tracker.links import web_url
from tracker.model import LANGS

if TYPE_CHECKING:
    from tracker.config import Config, HugoConfig, RecordSource

CONFIG_FILE = "tracker.yaml"

RECORD_FIELDS = ("context", "max_output", "input_price", "output_price", "cache_read_price",
                 "cache_write_price", "deprecated", "shutdown_date")


def check_record_source(key: str, source: RecordSource) -> None:
    """Reject a record source that could not say which service and model a record is."""
    def bad(message: str, hint: str) -> TrackerError:
        return TrackerError(f"'{key}.{message}", path=CONFIG_FILE, hint=hint)

    if source.layout not in ("file", "map", "list"):
        raise bad("layout' must be 'file', 'map' or 'list'", "file: one record per file")
    if source.price_scale not in ("per_million", "per_token"):
        raise bad("price_scale' must be 'per_million' or 'per_token'", "per_token for LiteLLM")
    if not source.files:
        raise bad("files' is empty", "list the globs of the record files")
    groups: dict[str, int] = {}
    if source.id_pattern is not None:
        try:
            groups = re.compile(source.id_pattern).groupindex  # type: ignore[assignment]
        except re.error as exc:
            raise bad(f"id_pattern' is not a valid regex: {exc}", "see Python's re syntax") \
                from None
    if source.id_from == "key" and source.layout == "file":
        raise bad("id_from' is 'key' but the layout is 'file'", "use layout: map")
    if source.layout == "map" and source.id_from == "path":
        raise bad("id_from' is 'path' but one file holds many records", "use id_from: key")
    if source.layout == "list" and source.id_from in ("path", "key"):
        raise bad(f"id_from' is '{source.id_from}' but the records are in a list",
                  "name the record field holding the id, e.g. id_from: id")
    if source.layout != "list" and (source.list_field or source.file_service_field
                                    or source.file_name_field):
        raise bad("list_field', 'file_service_field' and 'file_name_field' need layout: list",
                  "use layout: list, or remove them")
    if source.id_from == "path" and "id" not in groups:
        raise bad("id_from' is 'path' but id_pattern has no (?P<id>…) group",
                  "e.g. id_pattern: '^providers/(?P<service>[^/]+)/models/(?P<id>.+)\\.toml$'")
    if not (source.service_field or source.file_service_field or source.service_default
            or "service" in groups):
        raise bad("service' cannot be found", "set service_field (or file_service_field), give "
                  "id_pattern a (?P<service>…) group, or set service_default to put every "
                  "record in one service")
    if source.service_name_file and "{service}" not in source.service_name_file:
        raise bad("service_name_file' has no {service} placeholder",
                  "e.g. providers/{service}/provider.toml")
    unknown = sorted(set(source.fields) - set(RECORD_FIELDS))
    if unknown:
        raise bad(f"fields' maps unknown names: {', '.join(unknown)}",
                  "known: " + ", ".join(RECORD_FIELDS))


def check_values(config: Config) -> None:
    """What a type cannot say is wrong: the languages, updates files, unsubscribe link."""
    for key, value in (("default_lang", config.default_lang), ("feeds.lang", config.feeds.lang)):
        if value not in LANGS:
            raise TrackerError(f"'{key}' must be {' or '.join(LANGS)}, not {value!r}",
                               path=CONFIG_FILE,
                               hint=f"write {key}: {LANGS[0]} (or {', '.join(LANGS[1:])})")
    for i, pattern in enumerate(config.updates_files):
        if not pattern.strip() or pattern.startswith("/") or ".." in pattern.split("/"):
            raise TrackerError(f"'updates_files[{i}]' must be a glob inside the repository, not "
                               f"{pattern!r}", path=CONFIG_FILE,
                               hint="e.g. services/api/_index*.md")
        if not pattern.endswith(".md"):
            raise TrackerError(f"'updates_files[{i}]' must name Markdown files (.md), not "
                               f"{pattern!r}", path=CONFIG_FILE,
                               hint="the updates block lives in a Markdown page")
    url = config.feeds.url
    if url is not None and not url.startswith(("/", "https://", "http://")):
        raise TrackerError(f"'feeds.url' must be a site path (/feeds) or an http(s) address, not "
                           f"{url!r}", path=CONFIG_FILE, hint="e.g. feeds.url: /feeds")
    link = config.digest.unsubscribe
    if link is not None and not (link.startswith("mailto:") and "@" in link
                                 or link.startswith("https://") and len(link) > 8):
        raise TrackerError(f"'digest.unsubscribe' must be a mailto: or https: address, not "
                           f"{link!r}", path=CONFIG_FILE,
                           hint="e.g. mailto:unsubscribe@your.site or https://your.site/unsub")


def check_stated(stated: HugoConfig) -> None:
    """Reject ``hugo:`` values of tracker.yaml Hugo would not accept or that would give wrong
    links, naming the key."""
    def bad(key: str, message: str, hint: str) -> TrackerError:
        return TrackerError(f"'hugo.{key}' {message}", path=CONFIG_FILE, hint=hint)

    if stated.baseURL is not None and web_url(stated.baseURL) is None:
        raise bad("baseURL", f"must be an http(s) address, not {stated.baseURL!r}",
                  "e.g. baseURL: https://your.site/")
    keys: list[str] = []
    languages = stated.languages
    if isinstance(languages, list):
        for i, key in enumerate(languages):
            if not isinstance(key, str) or not _language_key(key):
                raise bad(f"languages[{i}]", f"must be a language key, not {key!r}",
                          "e.g. languages: [zh-cn, en]")
            keys.append(key)
    elif isinstance(languages, dict):
        for key, settings in languages.items():
            if not isinstance(key, str) or not _language_key(key):
                raise bad("languages", f"has {key!r}, which is not a language key",
                          "e.g. languages: {zh-cn: {weight: 1}, en: {weight: 2}}")
            if settings is not None and not isinstance(settings, dict):
                raise bad(f"languages.{key}", f"must be Hugo's language settings (a mapping), "
                          f"not {settings!r}", "e.g. {weight: 1}, or list the keys alone")
            if any(str(name).lower() == "contentdir" for name in settings or {}):
                raise bad(f"languages.{key}.contentDir", "is not supported: the tracker tells a "
                          "page's language by its file name (_index.en.md)",
                          "keep every language in one content folder")
            keys.append(key)
    elif languages is not None:
        raise bad("languages", f"must be a list of language keys or a mapping, not "
                  f"{languages!r}", "e.g. languages: [zh-cn, en]")
    if languages is not None and not keys:
        raise bad("languages", "is empty", "e.g. languages: [zh-cn, en], or remove it")
    lowered = [k.lower() for k in keys]
    if len(set(lowered)) != len(lowered):
        raise bad("languages", "names a language twice", "keep one of each")
    default = stated.defaultContentLanguage
    if default is not None and not _language_key(default):
        raise bad("defaultContentLanguage", f"must be a language key, not {default!r}",
                  "e.g. defaultContentLanguage: zh-cn")
    if default is not None and keys and default.lower() not in lowered:
        raise bad("defaultContentLanguage", f"is {default!r}, which 'hugo.languages' does not "
                  "list", "add it to languages, or name one of " + ", ".join(keys))
    folder = stated.contentDir
    if folder is not None and (folder.strip().startswith("/") or ".." in folder.split("/")):
        raise bad("contentDir", f"must be a folder inside the repository, not {folder!r}",
                  "'.' when the repository is the content")


def _language_key(key: str) -> bool:
    return bool(key) and all(c.isalnum() or c in "-_" for c in key)
