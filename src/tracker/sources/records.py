"""Record trees (models.dev, LiteLLM, genai-prices, OpenRouter, any keyed catalogue) → partial
Services.

This module owns the ``records:`` source kind: which paths belong to a record source
(:func:`matches`) and what one version of one such file states (:func:`read_record_file`). A file
states *part* of one or more services — one model (models.dev ``providers/<p>/models/<id>.toml``),
a service's display name (``providers/<p>/provider.toml``), many services at once (LiteLLM's
single JSON map), or one service's list of models (genai-prices ``prices/providers/<p>.yml``,
OpenRouter's ``{"data": […]}``). The sources dispatcher merges the parts of one service.

A file's bytes are parsed in its format by formats.py (``load_records``: the fastest parser,
duplicate keys refused, and for a JSON map which records changed since its last version, so that
only those are read again); values are read as the catalogue writes them (record_values.py: exact
decimal prices, price bands, conditional lists). No record is dropped in silence: one that names no
service goes to the fallback service, and the file's result counts it (see RecordFile.notes).

Nothing here knows either catalogue: the layout is described entirely by the RecordSource keys
(see config.py and examples/configs/). Unmapped fields (``last_updated``, ``knowledge``, ``mode``,
…) are never read, so a commit that only touches them yields an identical partial service.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain
from typing import Any, NamedTuple

from tracker.config import RecordSource
from tracker.errors import ParseError
from tracker.model import PRICE_FIELDS, Model, Service
from tracker.paths import glob_regex  # one glob dialect for every source kind
from tracker.sources.formats import load_record_data, load_records
from tracker.sources.jsonkeys import RecordChanges
from tracker.sources.record_values import MISSING as _MISSING
from tracker.sources.record_values import Conditional, Schedule, read_price_value
from tracker.sources.record_values import field_getter as _getter
from tracker.sources.record_values import read_length as _length

# The normalized names a record field may map to are config_checks.RECORD_FIELDS (checked on load).
_LENGTH_FIELDS = ("context", "max_output")
_PRICE_FIELDS = PRICE_FIELDS

def name_file_regex(template: str) -> str:
    """``providers/{service}/provider.toml`` → a regex with a named group ``service``."""
    head, _, tail = template.partition("{service}")
    return re.escape(head) + "(?P<service>[^/]+)" + re.escape(tail)


@dataclass
class _Compiled:
    """Everything derived from a RecordSource once, since matches() runs on every changed path."""

    source: RecordSource  # kept so the id() key in _CACHE can never be reused by another object
    files: re.Pattern[str] | None
    name_file: re.Pattern[str] | None
    id_pattern: re.Pattern[str] | None
    service_getter: Callable[[Any], Any] | None
    id_getter: Callable[[Any], Any] | None  # id_from names a record field
    list_getter: Callable[[Any], Any] | None  # layout list: the list in the file
    file_service_getter: Callable[[Any], Any] | None  # layout list: the file's service
    file_name_getter: Callable[[Any], Any] | None  # layout list: that service's name
    default_service: str  # where a record that states no service goes
    expects_service: bool  # a service is configured, so landing in the default is a fallback
    getters: tuple[tuple[str, Callable[[Any], Any]], ...]
    filters: tuple[tuple[Callable[[Any], Any], frozenset[str]], ...]
    skip: frozenset[str]
    deprecated_values: frozenset[str]
    scale: Decimal | None  # None: prices are already per million
    memo: dict[str, "_MapVersion"]  # path → its newest parse, see _parse_map
    read: Callable[[dict[str, Any]], tuple[Any, ...]]  # every field a record's result depends on
    flat: tuple[str, ...] | None  # those fields, when none is dotted


_CACHE: dict[int, _Compiled] = {}


def _compiled(source: RecordSource) -> _Compiled:
    hit = _CACHE.get(id(source))
    if hit is not None and hit.source is source:
        return hit
    files = "|".join(f"(?:{glob_regex(g)})" for g in source.files)
    cond = source.constraint_field

    def getter(name: str | None) -> Callable[[Any], Any] | None:
        return _getter(name, cond) if name else None

    groups = re.compile(source.id_pattern).groupindex if source.id_pattern else {}
    comp = _Compiled(
        source=source,
        files=re.compile(files) if files else None,
        name_file=(re.compile(name_file_regex(source.service_name_file))
                   if source.service_name_file else None),
        id_pattern=re.compile(source.id_pattern) if source.id_pattern else None,
        service_getter=getter(source.service_field),
        id_getter=(None if source.id_from in ("path", "key") else getter(source.id_from)),
        list_getter=getter(source.list_field) if source.layout == "list" else None,
        file_service_getter=getter(source.file_service_field),
        file_name_getter=getter(source.file_name_field),
        default_service=source.service_default or source.name or "records",
        expects_service=bool(source.service_field or source.file_service_field
                             or "service" in groups),
        getters=tuple((norm, _getter(f, cond, conditional=norm in _PRICE_FIELDS))
                      for norm, f in source.fields.items()),
        filters=tuple((_getter(f, cond), frozenset(map(str, allowed)))
                      for f, allowed in source.filter.items()),
        skip=frozenset(source.skip_keys),
        deprecated_values=frozenset(v.lower() for v in source.deprecated_values),
        scale=Decimal(1_000_000) if source.price_scale == "per_token" else None,
        memo={},
        read=_reader(source),
        flat=_flat_names(source),
    )
    _CACHE[id(source)] = comp
    return comp


def _read_names(source: RecordSource) -> list[str]:
    """Every field the result for a record depends on."""
    names = [*source.fields.values(), *source.filter]
    if source.service_field:
        names.append(source.service_field)
    if source.id_from not in ("path", "key"):
        names.append(source.id_from)
    return names


def _flat_names(source: RecordSource) -> tuple[str, ...] | None:
    names = _read_names(source)
    return tuple(names) if all("." not in name for name in names) else None


def _reader(source: RecordSource) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """A function reading every field the result for a record depends on, as one tuple (each
    conditional list whole, dated and other entries too: they are part of the result)."""
    getters = tuple(_getter(name, source.constraint_field, conditional=True)
                    for name in _read_names(source))
    return lambda record: tuple(get(record) for get in getters)


def matches(source: RecordSource, path: str) -> bool:
    """Whether ``path`` is one of the source's record files or its per-service name files.

    The name file (``service_name_file``) counts even when ``files`` does not list it.
    """
    comp = _compiled(source)
    return bool((comp.files is not None and comp.files.fullmatch(path))
                or (comp.name_file is not None and comp.name_file.fullmatch(path)))


# --- reading one file --------------------------------------------------------------------------

def _model(comp: _Compiled, record: dict[str, Any], currency: str) -> Model:
    model = Model()
    bands: dict[str, dict[str, float | str]] = {}
    schedule: Schedule = {}
    for norm, get in comp.getters:
        value = get(record)
        if value is _MISSING or value is None or value == "":
            continue  # absent stays absent: never a price of 0 or a context of 0
        if norm in _PRICE_FIELDS:
            read_price_value(model, norm, value, comp.scale, bands, schedule)
            if not isinstance(value, Conditional) or any(v is not _MISSING for v in (
                    value.plain, *(s for _d, s in value.dated), *(s for _c, s in value.other))):
                model.currency = currency
        elif norm in _LENGTH_FIELDS:
            setattr(model, norm, _length(value))
        elif norm == "deprecated":
            if value is True or str(value).lower() in comp.deprecated_values:
                model.deprecated = True
        elif norm == "shutdown_date":
            model.shutdown_date = str(value)
    if bands:
        model.price_bands = dict(sorted(bands.items()))
    if schedule:  # the prices stated by date: tracker.dated resolves them at each commit
        model.price_schedule = dict(sorted(schedule.items()))
    return model


def _wanted(comp: _Compiled, record: Any) -> bool:
    for get, allowed in comp.filters:
        value = get(record)
        if value is _MISSING or str(value) not in allowed:
            return False
    return True


@dataclass
class RecordFile:
    """What one version of one record file states, and the records it could not place."""

    services: list[Service]
    fell_back: int = 0  # records that name no service, so went to the fallback service
    without_id: int = 0  # records with no id: they cannot be followed, so are not tracked
    duplicates: int = 0  # records whose id an earlier record of the list already has
    default_service: str = ""

    def notes(self, source: RecordSource) -> tuple[str, ...]:
        """One line per kind of record that did not go where its fields say."""
        said = []
        if self.fell_back:
            where = source.service_field or source.file_service_field or "service"
            said.append(f"{self.fell_back} record(s) state no {where}; they are tracked "
                        f"under the fallback service '{self.default_service}' (service_default)")
        if self.without_id:
            said.append(f"{self.without_id} record(s) have no '{source.id_from}'; they "
                        "cannot be followed from commit to commit and are not tracked")
        if self.duplicates:
            said.append(f"{self.duplicates} record(s) repeat an id already in the list; "
                        "only the first is tracked")
        return tuple(said)


def parse_records(source: RecordSource, raw: bytes, path: str) -> list[Service]:
    """The partial services one version of ``path`` states (models keyed by id, or a name)."""
    return read_record_file(source, raw, path).services


def read_record_file(source: RecordSource, raw: bytes, path: str) -> RecordFile:
    """What one version of ``path`` states, with the count of records placed by fallback.

    Raises ParseError for a file that is not valid JSON/YAML/TOML or not the layout's shape.
    """
    comp = _compiled(source)
    if comp.name_file is not None:
        named = comp.name_file.fullmatch(path)
        if named is not None:
            return RecordFile([_name_part(source, raw, path, named.group("service"))])
    data, changes = load_records(raw, path)
    located = comp.id_pattern.search(path) if comp.id_pattern is not None else None
    path_service = _group(located, "service")
    if source.layout == "list":
        return _parse_list(comp, data, path, path_service)
    if not isinstance(data, dict):
        kind = "map of records" if source.layout == "map" else "record (a mapping of fields)"
        raise ParseError(f"expected a {kind}, found {type(data).__name__}", path=path)
    if source.layout == "map":
        return _parse_map(comp, data, path, path_service, changes)
    model_id: Any = _group(located, "id")
    if model_id is None and comp.id_getter is None:
        raise ParseError("the path does not give a model id", path=path,
                         hint=f"id_pattern {source.id_pattern!r} must match it with a "
                              "group named 'id'")
    placed = _place(comp, model_id, data, path_service)
    if not isinstance(placed, _Placed):
        return RecordFile([], without_id=int(placed == _NO_ID))
    return RecordFile([_service(comp, placed.service, path,
                                {placed.model: _model(comp, data, source.currency)})],
                      fell_back=int(placed.fell_back), default_service=comp.default_service)


def _service(comp: _Compiled, sid: str, path: str, models: dict[str, Model]) -> Service:
    # the fallback service is named after the record set
    name = (comp.source.name or None) if sid == comp.default_service else None
    return Service(id=sid, path=path, provider=sid, name=name, models=models)


def _parse_list(comp: _Compiled, data: Any, path: str, path_service: str | None) -> RecordFile:
    """A file holding a list of records (genai-prices: a provider's ``models:``; OpenRouter:
    ``data``); the file itself may name the service they belong to and its display name."""
    source = comp.source
    records = comp.list_getter(data) if comp.list_getter is not None and source.list_field \
        else data
    if records is _MISSING or records is None:
        records = []  # a provider file with no models yet states none
    if not isinstance(records, list):
        where = f"'{source.list_field}'" if source.list_field else "the file"
        raise ParseError(f"expected a list of records in {where}, found "
                         f"{type(records).__name__}", path=path,
                         hint="check list_field in tracker.yaml")
    home, name = path_service, None
    if isinstance(data, dict):
        if comp.file_service_getter is not None:
            stated = comp.file_service_getter(data)
            if isinstance(stated, str | int) and not isinstance(stated, bool) and str(stated):
                home = str(stated)
        if comp.file_name_getter is not None:
            stated = comp.file_name_getter(data)
            name = stated.strip() if isinstance(stated, str) and stated.strip() else None
    keyed: dict[Any, Any] = {}
    duplicates = 0
    for index, record in enumerate(records):
        found = comp.id_getter(record) if comp.id_getter is not None else _MISSING
        key: Any = str(found) if isinstance(found, str | int) and str(found) else ("#", index)
        if key in keyed:
            duplicates += 1
            continue
        keyed[key] = record
    result = _parse_map(comp, keyed, path, home)
    result.duplicates = duplicates
    if name and home:
        mine = [s for s in result.services if s.id == home]
        others = [s for s in result.services if s.id != home]
        models = mine[0].models if mine else {}
        result.services = [*others, Service(id=home, path=path, provider=home, name=name,
                                            models=models)]
    return result


@dataclass
class _MapVersion:
    """What the newest parse of one map file gave, so the next version only redoes changes."""

    home: str | None  # the service of records that state none, in this version
    projections: dict[Any, tuple[Any, ...]]  # key → the fields its result depends on
    entries: dict[Any, tuple[str, str, Model]]  # key → (service id, model id, model)
    services: dict[str, Service]
    unplaced: dict[Any, str] = field(default_factory=dict)  # key → _FELL_BACK or _NO_ID
    data: Any = None  # the records this was made from (what RecordChanges.before must be)


def _projections(comp: _Compiled, records: Iterable[tuple[Any, Any]]) -> dict[Any, tuple[Any, ...]]:
    """key → the fields the result for its record depends on, for the records that are
    mappings."""
    flat = comp.flat
    if flat is not None:  # no dotted field: no Python call per record (this is the hot loop)
        return {key: tuple(map(rec.get, flat)) for key, rec in records if isinstance(rec, dict)}
    read = comp.read
    return {key: read(rec) for key, rec in records if isinstance(rec, dict)}


def _parse_map(comp: _Compiled, data: dict[Any, Any], path: str, path_service: str | None,
               changes: RecordChanges | None = None) -> RecordFile:
    """A map file changes a few records per version (LiteLLM: 2,000 records, 1 MB). Records
    whose mapped fields read as before keep their Model, and services none of whose records
    changed are the same Service objects as before: ~1 µs per record instead of ~8. When the
    JSON reader says which records differ from the version the memo was made from
    (``changes``, found in C), only those are read at all."""
    # taken out while it is brought up to this version in place: if reading fails midway,
    # no half-updated memo is left (the next version is read whole)
    before = comp.memo.pop(path, None)
    if before is None or before.home != path_service:
        projections = _projections(comp, data.items())
        entries: dict[Any, tuple[str, str, Model]] = {}
        changed: Any = projections.keys()
        gone: Any = ()
        services: dict[str, Service] = {}
        unplaced: dict[Any, str] = {}
    else:
        old = before.projections
        if changes is not None and changes.after is data and changes.before is before.data:
            # every record not in changes equals (==) its last version: so do its projection
            # and whether it is a mapping at all, which the memo already holds
            fresh = _projections(comp, ((key, data[key]) for key in changes.changed))
            changed = [key for key in fresh if old.get(key) != fresh[key]]
            gone = [key for key in chain(changes.gone, changes.changed)
                    if key in old and key not in fresh]
            for key in gone:
                del old[key]
            old.update(fresh)
            projections = old
        else:
            projections = _projections(comp, data.items())
            changed = [key for key in projections if old.get(key) != projections[key]]
            gone = old.keys() - projections.keys()
        entries, services, unplaced = before.entries, before.services, before.unplaced
    rebuilt: dict[str, dict[str, Model]] = {}  # service id → its new models, when touched

    def models_of(sid: str) -> dict[str, Model]:
        models = rebuilt.get(sid)
        if models is None:
            kept = services.get(sid)
            models = rebuilt[sid] = dict(kept.models) if kept is not None else {}
        return models

    for key in (*gone, *changed):
        unplaced.pop(key, None)
        entry = entries.pop(key, None)
        if entry is not None:
            models_of(entry[0]).pop(entry[1], None)
    for key in changed:
        placed = _place(comp, key, data[key], path_service)
        if not isinstance(placed, _Placed):
            if placed == _NO_ID:
                unplaced[key] = _NO_ID
            continue
        if placed.fell_back:
            unplaced[key] = _FELL_BACK
        model = _model(comp, data[key], comp.source.currency)
        entries[key] = (placed.service, placed.model, model)
        models_of(placed.service)[placed.model] = model
    for sid, models in rebuilt.items():
        if models:
            services[sid] = _service(comp, sid, path, models)
        else:
            services.pop(sid, None)
    # only the newest version per path is kept: memory stays one file's worth
    comp.memo[path] = _MapVersion(path_service, projections, entries, services, unplaced, data)
    reasons = list(unplaced.values())
    return RecordFile(list(services.values()), fell_back=reasons.count(_FELL_BACK),
                      without_id=reasons.count(_NO_ID), default_service=comp.default_service)


class _Placed(NamedTuple):
    service: str
    model: str
    fell_back: bool  # the record states no service: it went to the fallback service


_SKIPPED, _NO_ID, _FELL_BACK = "skipped", "no id", "fell back"


def _place(comp: _Compiled, key: Any, record: Any, home: str | None) -> _Placed | str:
    """Where a record goes, or why it goes nowhere: _SKIPPED (not a model to follow: a
    skip_keys entry, filtered out, not a mapping) or _NO_ID (it cannot be followed)."""
    if key in comp.skip or not isinstance(record, dict) or not _wanted(comp, record):
        return _SKIPPED
    service_id = home
    if comp.service_getter is not None:
        stated = comp.service_getter(record)
        if stated not in (_MISSING, None, "") and not isinstance(stated, dict | list):
            service_id = str(stated)
    fell_back = not service_id
    if fell_back:  # never dropped in silence: the fallback service holds it, and it is counted
        service_id = comp.default_service
    if comp.id_getter is not None:
        key = comp.id_getter(record)
        if key in (_MISSING, None, "") or isinstance(key, dict | list):
            return _NO_ID
    assert service_id is not None
    return _Placed(service_id, str(key), fell_back and comp.expects_service)


def _group(found: re.Match[str] | None, name: str) -> str | None:
    if found is None or name not in found.re.groupindex:
        return None
    return found.group(name)


def _name_part(source: RecordSource, raw: bytes, path: str, service_id: str) -> Service:
    data = load_record_data(raw, path)
    name: Any = None
    if isinstance(data, dict):
        name = _getter(source.service_name_field)(data)
    if not isinstance(name, str) or not name.strip():
        name = None
    return Service(id=service_id, path=path, provider=service_id,
                   name=name.strip() if name else None)
