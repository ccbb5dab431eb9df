"""history/ (.tracker/history/ in a Hugo site's content: see tracker.layout): the ledger every
output is rendered from.

``events/YYYY-MM.yaml`` holds the events of each month (the month of the author date),
``state.yaml`` the last walked commit, ``warnings.yaml`` the files that did not parse,
``overrides.yaml`` what maintainers retract, reclassify or annotate, ``digests.yaml`` the digests
already sent. All plain YAML in a fixed order, so the same history always gives the same bytes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tracker import cache, ledgercache, yamlio
from tracker.config import Config
from tracker.errors import TrackerError
from tracker.fsutil import write_atomic
from tracker.layout import ledger_dir
from tracker.links import web_url
from tracker.model import KINDS, SEVERITIES, Event, ParseWarning, instant

SCHEMA_VERSION = 1
OVERRIDE_KEYS = {"retract", "kind", "severity", "note", "source"}

dump_yaml = yamlio.dump


def _load_yaml(path: Path, data: bytes | None = None) -> Any:
    """``path``'s YAML (None when missing); ``data``: its bytes, when already read."""
    try:
        return yamlio.load((path.read_bytes() if data is None else data).decode("utf-8"))
    except FileNotFoundError:
        return None
    except (yamlio.YamlError, UnicodeDecodeError) as exc:
        reason = exc.message if isinstance(exc, yamlio.YamlError) else exc.reason
        raise TrackerError(f"not valid YAML: {reason}", path=str(path),
                           line=exc.line if isinstance(exc, yamlio.YamlError) else None,
                           hint="fix the syntax on that line") from None


def _events(lines: list[str]) -> list[Event] | None:
    """Events from the cache's lines, which hold exactly their fields (it is keyed to this
    code); None when they do not (then the month is read from YAML)."""
    try:
        return [Event(**event) for event in ledgercache.events(lines)]
    except (TypeError, ValueError):
        return None


def event_sort_key(event: Event) -> tuple[float, str, str, str, str, str]:
    return (instant(event.date), event.service, event.model or "", event.tier_or_band or "",
            event.field or "", event.id)


@dataclass
class State:
    """Where the walk stopped, and the last good version of each file that no longer parses."""

    last_commit: str | None = None
    last_good: dict[str, str] = field(default_factory=dict)  # path → blob sha
    stale: dict[str, str] = field(default_factory=dict)  # path → commit since it is stale
    schema_version: int = SCHEMA_VERSION


@dataclass(frozen=True)
class Override:
    retract: bool = False
    kind: str | None = None
    severity: str | None = None
    note: str | None = None
    source: str | None = None

    def apply(self, event: Event) -> Event:
        return replace(event, kind=self.kind or event.kind,
                       severity=self.severity or event.severity,
                       note=self.note or event.note, source=self.source or event.source)


class Ledger:
    """Read and write the ledger of one site."""

    def __init__(self, config: Config) -> None:
        self.root = Path(config.root)
        self.dir = self.root / ledger_dir(config)
        self.events_dir = self.dir / "events"
        self._months: dict[Path, list[Event]] = {}  # read or written in this run: not reread
        # The months as JSON beside the facts (tracker.ledgercache), each used only when its
        # YAML file's bytes are the ones it was made from: reading YAML was most of a CI run.
        self.cache_file = self.dir / ledgercache.FILE
        self._cached_months: ledgercache.Months | None = None  # read once, when first needed
        self._stale_cache = False  # a month was read from YAML, or written: keep it again
        self._digests: dict[Path, str] = {}  # of each month file's bytes as read or written
        self._dicts: dict[Path, list[dict[str, Any]]] = {}  # the events of a month written
        self.cache_dir = cache.cache_dir(Path(config.root))

    # -- state ------------------------------------------------------------------------------

    def state(self) -> State:
        data = _load_yaml(self.dir / "state.yaml") or {}
        version = data.get("schema_version", SCHEMA_VERSION)
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            raise TrackerError(
                f"the ledger was written by a newer tracker (schema {version}, this one reads "
                f"{SCHEMA_VERSION})", path=str(self.dir / "state.yaml"),
                hint="upgrade tracker; the ledger was left as it is")
        return State(last_commit=data.get("last_commit"),
                     last_good=dict(data.get("last_good") or {}),
                     stale=dict(data.get("stale") or {}), schema_version=SCHEMA_VERSION)

    def write_state(self, state: State) -> bool:
        data: dict[str, Any] = {"schema_version": SCHEMA_VERSION,
                                "last_commit": state.last_commit}
        if state.last_good:
            data["last_good"] = dict(sorted(state.last_good.items()))
        if state.stale:
            data["stale"] = dict(sorted(state.stale.items()))
        return write_atomic(self.dir / "state.yaml", dump_yaml(data))

    # -- events -----------------------------------------------------------------------------

    def raw_events(self) -> list[Event]:
        """Every event as walked, oldest first, before overrides."""
        events: list[Event] = []
        if self.events_dir.is_dir():
            for path in sorted(self.events_dir.glob("*.yaml")):
                events += self._month(path)
        return events

    def _month(self, path: Path) -> list[Event]:
        if path not in self._months:
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                data = None
            events: list[Event] | None = None
            if data is not None:
                digest = self._digests[path] = ledgercache.digest(data)
                # Fastest first: this clone's pickle in .git, then the committed JSON cache;
                # each keyed by the month file's bytes (a checkout changes mtimes, not bytes).
                events = self._pickled(path, digest)
                if events is None:
                    cached = self._cache().get(path.stem)
                    if cached is not None and cached[0] == digest:
                        events = _events(cached[1])
                        if events is None:  # not events after all: never kept again
                            del self._cache()[path.stem]
                    if events is None:
                        events = [Event.from_dict(e) for e in (_load_yaml(path, data) or [])]
                        self._stale_cache = True
                    self._pickle(path, digest, events)
            self._months[path] = events or []
        return self._months[path]

    def _pickled(self, path: Path, digest: str) -> list[Event] | None:
        if self.cache_dir is None:
            return None
        events: list[Event] | None = cache.load(self.cache_dir / f"{path.stem}.pickle", (digest,))
        return events

    def _pickle(self, path: Path, digest: str, events: list[Event]) -> None:
        if self.cache_dir is not None:
            cache.save(self.cache_dir / f"{path.stem}.pickle", (digest,), events)

    def _cache(self) -> ledgercache.Months:
        if self._cached_months is None:
            try:
                data = self.cache_file.read_bytes()
            except OSError:
                data = b""
            found = ledgercache.decode(data, (cache.code_digest(),)) if data else None
            self._cached_months = found or {}
        return self._cached_months

    def write_cache(self) -> bool:
        """Write history/events.cache.jsonl again when it does not hold every month as its
        YAML file reads now (a month read from YAML in this run, or written); True when the
        file changed. A month whose YAML is still the one cached keeps its lines as they are;
        only saves time: written without fsync."""
        months = sorted(self.events_dir.glob("*.yaml")) if self.events_dir.is_dir() else []
        if not self._stale_cache and set(self._cache()) == {p.stem for p in months} \
                and all(self._digest(p) == self._cache()[p.stem][0] for p in months):
            return False
        keep: ledgercache.Months = {}
        for path in months:
            cached = self._cache().get(path.stem)
            lines = cached[1] if cached is not None and cached[0] == self._digest(path) else None
            if lines is None:  # read from YAML, or written, in this run
                dicts = self._dicts.get(path) or [e.to_dict() for e in self._month(path)]
                lines = ledgercache.lines_of(dicts)
            if lines is not None:  # else read from YAML each time
                keep[path.stem] = (self._digest(path), lines)
        encoded = ledgercache.encode((cache.code_digest(),), keep)
        if encoded is None:
            self.cache_file.unlink(missing_ok=True)
            return False
        self._cached_months, self._stale_cache = keep, False
        return write_atomic(self.cache_file, encoded, durable=False)

    def _digest(self, path: Path) -> str:
        if path not in self._digests:
            self._digests[path] = ledgercache.digest(path.read_bytes())
        return self._digests[path]

    def events(self) -> list[Event]:
        """What outputs show: overrides applied, retracted events gone, oldest first."""
        overrides = self.overrides()
        shown = []
        for event in self.raw_events():
            override = overrides.get(event.id)
            if override is None:
                shown.append(event)
            elif not override.retract:
                shown.append(override.apply(event))
        return shown

    def first_names(self) -> dict[str, str]:
        """Service id → the name of its earliest event: the name a service keeps while only
        its front matter's title names it (see Snapshots.first_names)."""
        names: dict[str, str] = {}
        for event in sorted(self.raw_events(), key=event_sort_key):
            if event.service_name:
                names.setdefault(event.service, event.service_name)
        return names

    def add_events(self, new: list[Event]) -> list[Path]:
        """Merge events into their month files by id; returns the files that changed."""
        by_month: dict[str, dict[str, Event]] = {}
        for event in new:
            by_month.setdefault(event.moment.strftime("%Y-%m"), {})[event.id] = event
        written = []
        for month, fresh in sorted(by_month.items()):
            path = self.events_dir / f"{month}.yaml"
            merged = {e.id: e for e in self._month(path)}
            if fresh.keys() <= merged.keys():
                continue  # walked again after an interruption or a rewrite: nothing new
            for event_id, event in fresh.items():
                merged.setdefault(event_id, event)
            ordered = sorted(merged.values(), key=event_sort_key)
            self._months[path] = ordered
            self._stale_cache = True
            dicts = self._dicts[path] = [e.to_dict() for e in ordered]  # for write_cache too
            dumped = dump_yaml(dicts)
            digest = self._digests[path] = ledgercache.digest(dumped)
            if write_atomic(path, dumped):
                written.append(path)
                self._pickle(path, digest, ordered)
        return written

    # -- warnings ---------------------------------------------------------------------------

    def warnings(self) -> list[ParseWarning]:
        # to_dict() leaves out a line that is None (a symlink to nothing has none)
        return [ParseWarning(**{"line": None, **w})
                for w in (_load_yaml(self.dir / "warnings.yaml") or [])]

    def add_warnings(self, new: list[ParseWarning]) -> bool:
        if not new:
            return False
        merged = list(dict.fromkeys(self.warnings() + new))
        merged.sort(key=lambda w: (w.date or "", w.path, w.line or 0, w.reason))
        return write_atomic(self.dir / "warnings.yaml", dump_yaml([w.to_dict() for w in merged]))

    # -- overrides --------------------------------------------------------------------------

    def overrides(self) -> dict[str, Override]:
        path = self.dir / "overrides.yaml"
        data = _load_yaml(path) or {}
        if not isinstance(data, dict):
            raise TrackerError("must map event ids to what to change", path=str(path),
                               hint="write  <event id>: {retract: true}")
        overrides = {}
        for event_id, spec in data.items():
            if not isinstance(spec, dict):
                raise TrackerError(f"'{event_id}' must be a mapping", path=str(path),
                                   hint="write  <event id>: {retract: true} or {note: ...}")
            unknown = set(spec) - OVERRIDE_KEYS
            if unknown:
                raise TrackerError(f"unknown key '{event_id}.{sorted(unknown)[0]}'",
                                   path=str(path),
                                   hint="known: " + ", ".join(sorted(OVERRIDE_KEYS)))
            if spec.get("kind") is not None and spec["kind"] not in KINDS:
                raise TrackerError(f"'{event_id}.kind' is not an event kind: {spec['kind']!r}",
                                   path=str(path), hint="one of: " + ", ".join(KINDS))
            if spec.get("severity") is not None and spec["severity"] not in SEVERITIES:
                raise TrackerError(f"'{event_id}.severity' must be one of "
                                   + ", ".join(SEVERITIES), path=str(path))
            source = spec.get("source")
            if source is not None and web_url(str(source)) is None:
                raise TrackerError(f"'{event_id}.source' must be an http(s) link",
                                   path=str(path))
            overrides[str(event_id)] = Override(
                retract=bool(spec.get("retract", False)), kind=spec.get("kind"),
                severity=spec.get("severity"),
                note=None if spec.get("note") is None else str(spec["note"]),
                source=None if source is None else str(source))
        return overrides

    def unmatched_overrides(self) -> list[TrackerError]:
        """Overrides whose id names no event: a typo there silently changes nothing."""
        path = self.dir / "overrides.yaml"
        known = {event.id for event in self.raw_events()}
        shown = Path(os.path.relpath(path, self.root)).as_posix()  # as the repository names it
        return [TrackerError(f"override '{event_id}' matches no event, so it changes nothing",
                             path=shown, line=self._override_line(path, event_id),
                             hint="copy the id from tracker log --format json")
                for event_id in self.overrides() if event_id not in known]

    @staticmethod
    def _override_line(path: Path, event_id: str) -> int | None:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return None
        return next((n for n, line in enumerate(lines, 1)
                     if line.lstrip("'\"").startswith(event_id)), None)

    # -- digests ----------------------------------------------------------------------------

    def sent_digests(self) -> set[str]:
        return set(_load_yaml(self.dir / "digests.yaml") or [])

    def mark_digest_sent(self, key: str) -> None:
        write_atomic(self.dir / "digests.yaml", dump_yaml(sorted(self.sent_digests() | {key})))
