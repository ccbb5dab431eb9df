"""tracker.yaml → Config: one typed configuration, validated in one place.

Every key has a default, so a site with no tracker.yaml works. A wrong key or type is a
TrackerError naming the key path and what to write instead; the rules a type cannot say
(languages, addresses, record sources, the ``hugo:`` values) are tracker.config_checks', called
once by ``load_config``. Settings only: the Hugo site they point at is read by tracker.site,
once per loaded configuration, and kept there.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

import yaml

from tracker import yamlio
from tracker.config_checks import CONFIG_FILE as CONFIG_FILE  # where every error points
from tracker.config_checks import check_record_source, check_stated, check_values
from tracker.errors import TrackerError, closest
from tracker.links import web_url
from tracker.presets import PRESETS, preset

# Where a repository that is a Hugo site's content keeps tracker.yaml and the ledger: Hugo never
# publishes a dot-named folder of its content (see tracker.layout).
PRIVATE_DIR = ".tracker"
DEFAULT_SITE_URL = "https://example.org"


@dataclass
class FeedsConfig:
    dir: str = field(default="feeds", metadata={"doc": "Folder the feeds are written to."})
    max_items: int = field(default=50, metadata={"doc": "Items per feed, newest first."})
    title: str = field(default="免费 LLM API 更新", metadata={"doc": "Title of the feeds."})
    title_en: str = field(default="Free LLM API changes", metadata={"doc": "English title."})
    lang: str = field(default="zh", metadata={"doc": "Language of the feeds (zh or en)."})
    url: str | None = field(default=None, metadata={
        "doc": "Where the feeds folder is served (/feeds or https://…); default: derived from "
               "the Hugo site (static/feeds → /feeds), else site_url/<dir>."})


@dataclass
class UpdatesConfig:
    max_items: int = field(default=20, metadata={"doc": "Changes in a recent-updates block."})


@dataclass
class DigestConfig:
    title: str = field(default="免费 LLM API 周报", metadata={"doc": "Subject prefix (zh)."})
    title_en: str = field(default="Free LLM API weekly", metadata={"doc": "Subject prefix (en)."})
    unsubscribe: str | None = field(
        default=None, metadata={"doc": "mailto: or https: address for List-Unsubscribe."})


@dataclass
class ChartsConfig:
    enabled: bool = field(default=True, metadata={
        "doc": "Draw an SVG chart of each service's limits and prices over time."})
    dir: str = field(default="static/tracker/charts", metadata={
        "doc": "Folder the charts are written to (Hugo serves static/ at the site's root)."})
    url: str | None = field(default=None, metadata={
        "doc": "Address the charts folder is served at; by default site_url + dir less "
               "'static/'."})


@dataclass
class HugoConfig:
    """The site's Hugo settings stated in tracker.yaml, for a repository whose Hugo project is
    elsewhere (its content only): see README, 'On a Hugo site'. Stated keys override the same
    keys of a Hugo configuration the tracker reads; unstated ones (null) are read from it."""

    baseURL: str | None = field(default=None, metadata={
        "doc": "The site's address, as Hugo's baseURL (https://your.site/)."})
    defaultContentLanguage: str | None = field(default=None, metadata={
        "doc": "Hugo's key of the default language (zh-cn on a site serving /zh-cn/)."})
    defaultContentLanguageInSubdir: bool | None = field(default=None, metadata={
        "doc": "true when the default language is served under /<key>/ too."})
    languages: Any = field(default=None, metadata={
        "doc": "Hugo's language keys: a list ([zh-cn, en]) or Hugo's own languages mapping "
               "(only its keys are used)."})
    contentDir: str | None = field(default=None, metadata={
        "doc": "Folder of this repository Hugo uses as its content ('.' when the repository "
               "is the content: the default when no Hugo configuration is read)."})

    def stated(self) -> bool:
        return any(getattr(self, f.name) is not None for f in fields(self))


@dataclass
class RecordSource:
    """A tree of keyed records (models.dev, LiteLLM, …): see README, 'Tracking records'."""

    preset: str | None = field(default=None, metadata={
        "doc": "Built-in settings of a known catalogue (models-dev, litellm); keys stated "
               "beside it override the preset's."})
    name: str = field(default="", metadata={"doc": "A label for messages."})
    files: list[str] = field(default_factory=list, metadata={
        "doc": "Globs of record files ('*' stays in one folder, '**' crosses folders)."})
    layout: str = field(default="file", metadata={"doc": "'file': one record per file; "
                                                          "'map': one file maps id → record; "
                                                          "'list': one file holds a list of "
                                                          "records (see list_field)."})
    list_field: str = field(default="", metadata={
        "doc": "layout 'list': dotted field of the file holding the list ('' when the file is "
               "the list)."})
    id_from: str = field(default="path", metadata={"doc": "'path' (the file's path, see id_pattern)"
                                                           ", 'key' (the map key), or a dotted "
                                                           "field holding the id."})
    id_pattern: str | None = field(default=None, metadata={
        "doc": "Regex on the path with named groups 'service' and 'id' (either optional)."})
    service_field: str | None = field(default=None, metadata={
        "doc": "Dotted field holding the service (provider) id; else the path's 'service'."})
    file_service_field: str | None = field(default=None, metadata={
        "doc": "layout 'list': dotted field of the whole file holding the service id of its "
               "records."})
    file_name_field: str | None = field(default=None, metadata={
        "doc": "layout 'list': dotted field of the whole file holding that service's name."})
    service_default: str | None = field(default=None, metadata={
        "doc": "Service of the records that state none; default: the record set's name "
               "('records' without one). Each run says how many records fell back, per file."})
    service_name_file: str | None = field(default=None, metadata={
        "doc": "Per-service file giving its display name, '{service}' substituted."})
    service_name_field: str = field(default="name", metadata={
        "doc": "Field of that file holding the name."})
    fields: dict[str, str] = field(default_factory=dict, metadata={
        "doc": "Normalized field → dotted record field: context, max_output, input_price, "
               "output_price, cache_read_price, cache_write_price, deprecated, shutdown_date. "
               "Other fields are ignored."})
    price_scale: str = field(default="per_million", metadata={
        "doc": "'per_million' or 'per_token': how the record states prices."})
    currency: str = field(default="USD", metadata={"doc": "Currency of the prices."})
    deprecated_values: list[str] = field(default_factory=lambda: ["deprecated"], metadata={
        "doc": "Values of the 'deprecated' field that mean deprecated."})
    skip_keys: list[str] = field(default_factory=list, metadata={
        "doc": "Map keys that are not records (sample_spec)."})
    filter: dict[str, list[str]] = field(default_factory=dict, metadata={
        "doc": "Dotted field → allowed values; other records are ignored."})
    constraint_field: str = field(default="constraint", metadata={
        "doc": "Where a field holds a list of conditional values, the entry key stating the "
               "condition: the one entry without it is the value, an entry with only a "
               "start_date a price from that day, any other condition a price band named by "
               "it; with several entries without it the list is kept as text."})


@dataclass
class DriftSource(RecordSource):
    """A public catalogue to compare the pages with (``tracker drift``): a git checkout of it and
    its record settings (a preset, or the keys of a records: entry). See README, 'Drift'."""

    path: str = field(default="", metadata={
        "doc": "A git checkout of the catalogue (relative to the repository, or absolute)."})
    services: dict[str, str] = field(default_factory=dict, metadata={
        "doc": "Site service id → the catalogue's service id, where they differ."})
    models: dict[str, str] = field(default_factory=dict, metadata={
        "doc": "Site model id → the catalogue's model id, where they differ."})
    only: dict[str, str] = field(default_factory=dict, metadata={
        "doc": "Catalogue service id → glob of its model ids that may be news (openrouter: "
               "'*:free')."})


@dataclass
class Config:
    site_url: str = field(default=DEFAULT_SITE_URL, metadata={
        "doc": "The site's address; links in feeds and the digest start with it (default: the "
               "Hugo site's baseURL)."})
    default_lang: str = field(default="zh", metadata={
        "doc": "Language of _index.md; facts come from that page when twins disagree."})
    pages: list[str] = field(default_factory=lambda: [
        "services/api/*/_index*.md", "content/services/api/*/_index*.md"],
        metadata={"doc": "Globs of service pages."})
    data: list[str] = field(default_factory=lambda: [
        "data/services/*.yaml", "data/services/*.yml", "data/services/*.json",
        "data/services/*.toml"], metadata={"doc": "Globs of service data files."})
    records: list[RecordSource] = field(default_factory=list, metadata={
        "doc": "Record trees to track (see 'Tracking records')."})
    drift: list[DriftSource] = field(default_factory=list, metadata={
        "doc": "Public catalogues the pages are compared with by tracker drift (see 'Drift')."})
    updates_files: list[str] = field(default_factory=lambda: ["services/api/_index*.md",
                                                              "content/services/api/_index*.md"],
                                     metadata={"doc": "Files that may hold an updates block."})
    history_dir: str = field(default="history", metadata={
        "doc": "Where the ledger lives. In a repository that is a Hugo site's content, the "
               "default means .tracker/history, which Hugo never publishes."})
    templates_dir: str | None = field(default=None, metadata={
        "doc": "Folder of templates overriding the built-in ones."})
    hugo_config: str | None = field(default=None, metadata={
        "doc": "The Hugo configuration (file or config/_default) when not at the root."})
    feeds: FeedsConfig = field(default_factory=FeedsConfig)
    updates: UpdatesConfig = field(default_factory=UpdatesConfig)
    digest: DigestConfig = field(default_factory=DigestConfig)
    charts: ChartsConfig = field(default_factory=ChartsConfig)
    hugo: HugoConfig = field(default_factory=HugoConfig)

    root: Path = field(default=Path("."), metadata={"internal": True})


def _type_name(tp: Any) -> str:
    origin = get_origin(tp)
    if origin is list:
        return "a list"
    if origin is dict:
        return "a mapping"
    if tp is str:
        return "a string"
    if tp is int:
        return "a whole number"
    if tp is bool:
        return "true or false"
    if isinstance(tp, type):
        return "a mapping"
    return "a " + " or ".join(_type_name(a) for a in get_args(tp) if a is not type(None))


def _convert(value: Any, tp: Any, key: str, path: str) -> Any:
    origin = get_origin(tp)
    args = get_args(tp)
    if origin is not None and type(None) in args:  # Optional[X]
        if value is None:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _convert(value, inner, key, path)
    if origin is list:
        if not isinstance(value, list):
            raise _wrong(key, tp, value, path)
        return [_convert(v, args[0], f"{key}[{i}]", path) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise _wrong(key, tp, value, path)
        return {str(k): _convert(v, args[1], f"{key}.{k}", path) for k, v in value.items()}
    if isinstance(tp, type) and hasattr(tp, "__dataclass_fields__"):
        if not isinstance(value, dict):
            raise _wrong(key, tp, value, path)
        return _build(tp, value, key, path)
    if tp is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise _wrong(key, tp, value, path)
    if tp is str and not isinstance(value, str):
        raise _wrong(key, tp, value, path)
    if tp is bool and not isinstance(value, bool):
        raise _wrong(key, tp, value, path)
    return value


class KeyProblem(TrackerError):
    """A problem with one key of tracker.yaml; ``key`` is its path (``digest.title``,
    ``records[0].files``), so load_config can name the line it is on."""

    def __init__(self, message: str, key: str, path: str, hint: str) -> None:
        super().__init__(message, path=path, hint=hint)
        self.key = key


def _wrong(key: str, tp: Any, value: Any, path: str) -> TrackerError:
    return KeyProblem(f"'{key}' must be {_type_name(tp)}, not {value!r}", key, path,
                     hint=f"write {key}: <{_type_name(tp)}>, or remove it for the default")


def _build(cls: type, data: dict[str, Any], prefix: str, path: str) -> Any:
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls) if not f.metadata.get("internal")}
    for key in data:
        if key not in known:
            dotted = f"{prefix}.{key}" if prefix else str(key)
            raise KeyProblem(f"unknown key '{dotted}'", dotted, path,
                             hint=closest(str(key), known, cutoff=0.6, listed="known keys here"))
    values = {k: _convert(v, hints[k], f"{prefix}.{k}" if prefix else k, path)
              for k, v in data.items()}
    return cls(**values)


def _with_preset(key: str, entry: Any) -> Any:
    """A records:/drift: entry with its preset's keys filled in under the keys it states."""
    if not isinstance(entry, dict) or entry.get("preset") is None:
        return entry
    keys = preset(str(entry["preset"]))
    if keys is None:
        raise TrackerError(f"'{key}.preset' names no preset: {entry['preset']!r}",
                           path=CONFIG_FILE, hint="known: " + ", ".join(sorted(PRESETS)))
    return {**keys, **entry}


def config_file(root: Path) -> str:
    """Where tracker.yaml is, relative to ``root``: ``.tracker/tracker.yaml`` (the layout of a
    repository that is a Hugo site's content) when it is there, else ``tracker.yaml``."""
    hidden = f"{PRIVATE_DIR}/{CONFIG_FILE}"
    return hidden if (Path(root) / hidden).is_file() else CONFIG_FILE


def load_config(root: Path) -> Config:
    """Read tracker.yaml (see ``config_file``) if there is one; defaults otherwise."""
    shown = config_file(root)
    try:
        return _load_config(root, shown)
    except TrackerError as error:
        if error.path == CONFIG_FILE:  # every check names the file by its usual name
            error.path = shown
        raise


def _load_config(root: Path, shown: str) -> Config:
    path = root / shown
    data: Any = {}
    text = ""
    if path.exists():
        try:
            text = path.read_text(encoding="utf-8")
            data = yamlio.load(text) or {}
        except UnicodeDecodeError as exc:
            raise TrackerError(f"not UTF-8 text: {exc.reason}", path=CONFIG_FILE,
                               hint="save the file as UTF-8") from None
        except yamlio.YamlError as exc:
            problem = exc.message.splitlines()[0] if exc.message else "unreadable"
            # found past the last line (an unclosed bracket or quote): name the last written one
            written = len(text.rstrip().splitlines()) or 1
            line = min(exc.line, written) if exc.line else None
            raise TrackerError(f"not valid YAML: {problem}" if exc.syntax else problem,
                               path=CONFIG_FILE, line=line,
                               hint=exc.hint or "fix the syntax on that line") from None
        if not isinstance(data, dict):
            raise TrackerError("must be a mapping of keys to values", path=CONFIG_FILE)
    for key in ("records", "drift"):
        if isinstance(data.get(key), list):
            data[key] = [_with_preset(f"{key}[{i}]", entry)
                         for i, entry in enumerate(data[key])]
    try:
        config: Config = _build(Config, data, "", CONFIG_FILE)
    except KeyProblem as error:
        error.line = _key_line(text, error.key)
        raise

    if web_url(config.site_url) is None:
        raise TrackerError(f"'site_url' must start with https:// or http://, not "
                           f"{config.site_url!r}", path=CONFIG_FILE,
                           hint="write site_url: https://your.site")
    config.site_url = config.site_url.rstrip("/")
    check_values(config)
    check_stated(config.hugo)
    for i, source in enumerate(config.records):
        check_record_source(f"records[{i}]", source)
    for i, drift in enumerate(config.drift):
        if not drift.path.strip():
            raise TrackerError(f"'drift[{i}].path' is empty", path=CONFIG_FILE,
                               hint="name a git checkout of the catalogue, e.g. ../models.dev")
        check_record_source(f"drift[{i}]", drift)
    if config.templates_dir and not (root / config.templates_dir).is_dir():
        raise TrackerError(f"'templates_dir' names {config.templates_dir!r}, which is not a "
                           "folder", path=CONFIG_FILE, hint="create it or remove the key")
    config.root = root
    return config


def _key_line(text: str, key: str) -> int | None:
    """The line (1-based) of ``key`` (``a.b``, ``a[0].b``) in the YAML ``text``; None when it
    cannot be found. Read again only on this error path, with the positions libyaml keeps."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        node: Any = yaml.compose(text, Loader=loader)
    except yaml.YAMLError:
        return None
    line = None
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", key):
        if part.startswith("[") and isinstance(node, yaml.SequenceNode):
            index = int(part[1:-1])
            if index >= len(node.value):
                return line
            node = node.value[index]
            line = node.start_mark.line + 1
        elif isinstance(node, yaml.MappingNode):
            found = [(k, v) for k, v in node.value if str(k.value) == part]
            if not found:
                return line
            key_node, node = found[0]
            line = key_node.start_mark.line + 1
        else:
            return line
    return line


def reference() -> list[tuple[str, str, Any]]:
    """(key, doc, default) for every key: the README's configuration reference comes from here."""
    rows: list[tuple[str, str, Any]] = []

    def walk(cls: type, prefix: str) -> None:
        for f in fields(cls):
            if f.metadata.get("internal"):
                continue
            key = f"{prefix}{f.name}"
            default = f.default_factory() if callable(f.default_factory) else f.default
            if hasattr(default, "__dataclass_fields__"):
                walk(type(default), key + ".")
            else:
                rows.append((key, f.metadata.get("doc", ""), default))

    walk(Config, "")
    walk(RecordSource, "records[].")
    own = {f.name for f in fields(RecordSource)}
    for f in fields(DriftSource):  # besides a records: entry's keys
        if f.name not in own:
            default = f.default_factory() if callable(f.default_factory) else f.default
            rows.append((f"drift[].{f.name}", f.metadata.get("doc", ""), default))
    return rows


def reference_table() -> str:
    """The configuration reference as a Markdown table; the README holds exactly this."""
    rows = ["| key | default | what it does |", "|---|---|---|"]
    for key, doc, default in reference():
        shown = json.dumps(default, ensure_ascii=False)
        rows.append(f"| `{key}` | `{shown}` | {doc} |")
    return "\n".join(rows) + "\n"
