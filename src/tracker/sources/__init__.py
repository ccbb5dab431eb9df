"""Which source a path belongs to, its parser, and how the parts files state become one Service.

Pages and data files state a whole service; a page's English twin states the same one, and the
default-language page wins. Record files state parts of a service (a model each, or a provider's
name), which are merged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracker.config import Config, RecordSource, config_file
from tracker.errors import TrackerError
from tracker.model import Service
from tracker.paths import glob_regex

PAGE, DATA = "page", "data"

# Each parser is imported where it is first needed, not at the top: a site of pages never pays
# for the record reader (40 ms to import, -X importtime), a site of records never for the page
# parsers (29 ms), and a run with nothing new to walk for none of them (13 ms for data files).


@dataclass(frozen=True)
class Parsed:
    """What one version of one file states."""

    kind: str  # "page", "data", or "records:<n>"
    services: tuple[Service, ...]
    notes: tuple[str, ...] = ()  # records placed by fallback or not tracked, one line a kind
    # (tracker update reports them once per run, naming the file)


class Sources:
    """The configured sources: classify a path, parse a blob, assemble a service."""

    def __init__(self, config: Config) -> None:
        self.default_lang = config.default_lang
        self.records: list[RecordSource] = list(config.records)
        patterns = [(PAGE, p) for p in config.pages] + [(DATA, p) for p in config.data]
        patterns += [(f"records:{n}", p) for n, s in enumerate(self.records) for p in s.files]
        self._patterns = [(kind, re.compile(glob_regex(p) + r"\Z")) for kind, p in patterns]
        self._kinds: dict[str, str | None] = {}

    def kind_of(self, path: str) -> str | None:
        """The source kind of a path, or None when no source wants it. Cached: called per change."""
        try:
            return self._kinds[path]
        except KeyError:
            kind = next((k for k, rx in self._patterns if rx.match(path)), None)
            if kind and kind.startswith("records:"):
                from tracker.sources import records

                if not records.matches(self.records[int(kind[8:])], path):
                    kind = None
            self._kinds[path] = kind
            return kind

    def parse(self, path: str, raw: bytes) -> Parsed:
        """Parse one blob; raises ParseError when it does not parse."""
        kind = self.kind_of(path)
        if kind == PAGE:
            from tracker.sources.page import parse_page

            return Parsed(kind, (parse_page(raw, path, self.default_lang),))
        if kind == DATA:
            from tracker.sources.data import parse_data_file

            return Parsed(kind, (parse_data_file(raw, path),))
        if kind and kind.startswith("records:"):
            from tracker.sources.records import read_record_file

            source = self.records[int(kind[8:])]
            read = read_record_file(source, raw, path)
            return Parsed(kind, tuple(read.services), read.notes(source))
        raise ValueError(f"no source for {path}")

    def digest(self, path: str, raw: bytes) -> str | None:
        """The digest of a page without the tracker's generated blocks, which the page parser
        never reads (two versions with the same digest state the same facts), without parsing
        it; None for the other kinds of file. Raises ParseError for a page that cannot be
        read."""
        if self.kind_of(path) != PAGE:
            return None
        from tracker.sources.markdown import page_digest

        return page_digest(raw, path)

    def assemble(self, parts: list[tuple[str, Service]]) -> Service:
        """One service from what its files state; ``parts`` is (kind, service) in path order."""
        whole = [s for kind, s in parts if not kind.startswith("records:")]
        if whole:
            # The default-language page wins; an English-only service comes from its English page.
            return min(whole, key=lambda s: (s.lang != self.default_lang, s.path))
        merged = Service(id=parts[0][1].id, path=parts[0][1].path, lang=parts[0][1].lang)
        for _kind, part in parts:
            if part.name and not merged.name:
                merged.name, merged.path = part.name, part.path
            merged.provider = merged.provider or part.provider
            merged.models.update(part.models)
        merged.models = dict(sorted(merged.models.items()))
        return merged


def unmatched_globs(config: Config, files: list[str]) -> list[str]:
    """The configured globs of pages, data files and records that match none of ``files``: a
    typo there would switch tracking off in silence. The built-in defaults of ``pages`` and
    ``data`` cover several layouts, so left as they are they are reported only when together
    they find nothing at all."""
    def matches(pattern: str) -> bool:
        regex = re.compile(glob_regex(pattern) + r"\Z")
        return any(regex.match(path) for path in files)

    builtin = set(Config().pages) | set(Config().data)
    # a built-in glob kept beside the user's own is the other layout's, not a typo
    unmatched = [f"{key}: {p!r}" for key in ("pages", "data") for p in getattr(config, key)
                 if p not in builtin and not matches(p)]
    unmatched += [f"records[{n}].files: {p!r}" for n, source in enumerate(config.records)
                  for p in source.files if not matches(p)]
    kept = [p for p in config.pages + config.data if p in builtin]
    if kept and not unmatched and not config.records and not any(matches(p) for p in kept):
        unmatched.append("the default globs of pages and data files (" + ", ".join(kept) + ")")
    return unmatched


def glob_notices(config: Config, files: list[str] | None) -> list[TrackerError]:
    """A warning for each glob of tracker.yaml that matches no file (see ``unmatched_globs``)."""
    if files is None:
        return []
    return [TrackerError(f"{glob} matches no file", path=config_file(config.root),
                         hint="fix the glob, or remove it; nothing there is tracked")
            for glob in unmatched_globs(config, files)]
