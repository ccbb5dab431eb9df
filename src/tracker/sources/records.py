"""Record trees (models.dev, LiteLLM, any keyed catalogue) → partial Services.

This module owns the ``records:`` source kind: which paths belong to a record source
(:func:`matches`) and what one version of one such file states (:func:`parse_records`). A file
states *part* of one or more services — one model (models.dev ``providers/<p>/models/<id>.toml``),
a service's display name (``providers/<p>/provider.toml``), or many services at once (LiteLLM's
single JSON map). The sources dispatcher merges the parts of one service.

Nothing here knows either catalogue: the layout is described entirely by the RecordSource keys
(see config.py and examples/configs/). Unmapped fields (``last_updated``, ``knowledge``, ``mode``,
…) are never read, so a commit that only touches them yields an identical partial service.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tracker.config import RecordSource
from tracker.errors import ParseError
from tracker.model import PRICE_FIELDS, Model, Service
from tracker.paths import glob_regex  # one glob dialect for every source kind
from tracker.sources.formats import refuse_duplicate_json_keys

# The normalized names a record field may map to are config.RECORD_FIELDS (checked on load).
_LENGTH_FIELDS = ("context", "max_output")
_PRICE_FIELDS = PRICE_FIELDS
_FORMATS = (".json", ".yaml", ".yml", ".toml")

try:  # orjson is 2.6× faster than json on a 1 MB map (measured on LiteLLM's price file)
    import orjson as _json

    _json_loads: Callable[[bytes], Any] = _json.loads
except ImportError:  # pragma: no cover - orjson is an optional extra
    import json as _json  # type: ignore[no-redef]

    _json_loads = _json.loads


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
    getters: tuple[tuple[str, Callable[[Any], Any]], ...]
    filters: tuple[tuple[Callable[[Any], Any], frozenset[str]], ...]
    skip: frozenset[str]
    deprecated_values: frozenset[str]
    scale: float
    memo: dict[str, "_MapVersion"]  # path → its newest parse, see _parse_map
    read: Callable[[dict[str, Any]], tuple[Any, ...]]  # every field a record's result depends on
    flat: tuple[str, ...] | None  # those fields, when none is dotted


_CACHE: dict[int, _Compiled] = {}
_MISSING = object()


def _getter(dotted: str) -> Callable[[Any], Any]:
    parts = tuple(dotted.split("."))
    if len(parts) == 1:
        key = parts[0]
        return lambda rec: rec.get(key, _MISSING) if isinstance(rec, dict) else _MISSING

    def get(rec: Any) -> Any:
        for part in parts:
            if not isinstance(rec, dict):
                return _MISSING
            rec = rec.get(part, _MISSING)
            if rec is _MISSING:
                return _MISSING
        return rec

    return get


def _compiled(source: RecordSource) -> _Compiled:
    hit = _CACHE.get(id(source))
    if hit is not None and hit.source is source:
        return hit
    files = "|".join(f"(?:{glob_regex(g)})" for g in source.files)
    comp = _Compiled(
        source=source,
        files=re.compile(files) if files else None,
        name_file=(re.compile(name_file_regex(source.service_name_file))
                   if source.service_name_file else None),
        id_pattern=re.compile(source.id_pattern) if source.id_pattern else None,
        service_getter=_getter(source.service_field) if source.service_field else None,
        id_getter=(None if source.id_from in ("path", "key") else _getter(source.id_from)),
        getters=tuple((norm, _getter(field)) for norm, field in source.fields.items()),
        filters=tuple((_getter(f), frozenset(map(str, allowed)))
                      for f, allowed in source.filter.items()),
        skip=frozenset(source.skip_keys),
        deprecated_values=frozenset(v.lower() for v in source.deprecated_values),
        scale=1e6 if source.price_scale == "per_token" else 1.0,
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
    """A function reading every field the result for a record depends on, as one tuple."""
    getters = tuple(_getter(name) for name in _read_names(source))
    return lambda record: tuple(get(record) for get in getters)


def matches(source: RecordSource, path: str) -> bool:
    """Whether ``path`` is one of the source's record files or its per-service name files.

    The name file (``service_name_file``) counts even when ``files`` does not list it.
    """
    comp = _compiled(source)
    return bool((comp.files is not None and comp.files.fullmatch(path))
                or (comp.name_file is not None and comp.name_file.fullmatch(path)))


# --- reading one file --------------------------------------------------------------------------

def _load(raw: bytes, path: str) -> Any:
    """Parse with the fastest parser for the format; errors carry the line if the parser has it."""
    suffix = path[path.rfind("."):].lower() if "." in path else ""
    if suffix not in _FORMATS:
        raise ParseError(f"unknown record format {suffix or '(no extension)'!r}", path=path,
                         hint="record files must end in .json, .yaml, .yml or .toml")
    if suffix in (".yaml", ".yml"):
        return _load_yaml(raw, path)
    try:
        if suffix == ".json":
            data = _json_loads(raw)
            refuse_duplicate_json_keys(raw, data, path)
            return data
        import tomllib

        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ParseError(f"not UTF-8 text: {exc.reason}", path=path) from None
    except ValueError as exc:  # json/orjson JSONDecodeError and TOMLDecodeError are ValueErrors
        line = getattr(exc, "lineno", None)
        if line is None:
            found = re.search(r"at line (\d+)", str(exc))
            line = int(found.group(1)) if found else None
        raise ParseError(f"not valid {suffix[1:].upper()}: {exc}", path=path, line=line,
                         hint="fix the syntax at that line") from None


def _load_yaml(raw: bytes, path: str) -> Any:
    from tracker import yamlio  # only record trees kept in YAML pay for importing yaml

    try:  # the same guards as data files: no key twice, no alias bomb
        return yamlio.load(raw)
    except yamlio.YamlError as error:
        message = f"not valid YAML: {error.message}" if error.syntax else error.message
        raise ParseError(message, path=path, line=error.line,
                         hint=error.hint or "fix the syntax at that line") from None


def _length(value: Any) -> Any:
    """A token count: ints stay ints, integral floats become ints, text is parsed or kept raw."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, str):
        # rare in records ("128K", "unlimited"): read them the way a page cell is read
        from tracker.quantities import parse_length

        return parse_length(value)
    return str(value)


def _price(value: Any, scale: float) -> float | str:
    """A price per million tokens; rounded so per-token floats do not differ by noise."""
    if isinstance(value, str):
        try:
            value = float(value.strip().lstrip("$").replace(",", ""))
        except ValueError:
            return str(value).strip()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    # round(3e-06 * 1e6) is 2.9999999999999996 without the rounding; 1e-12 per token is
    # below any real price step.
    return round(float(value) * scale, 6) if scale != 1.0 else float(value)


def _model(comp: _Compiled, record: dict[str, Any], currency: str) -> Model:
    model = Model()
    for norm, get in comp.getters:
        value = get(record)
        if value is _MISSING or value is None or value == "":
            continue  # absent stays absent: never a price of 0 or a context of 0
        if norm in _PRICE_FIELDS:
            setattr(model, norm, _price(value, comp.scale))
            model.currency = currency
        elif norm in _LENGTH_FIELDS:
            setattr(model, norm, _length(value))
        elif norm == "deprecated":
            if value is True or str(value).lower() in comp.deprecated_values:
                model.deprecated = True
        elif norm == "shutdown_date":
            model.shutdown_date = str(value)
    return model


def _wanted(comp: _Compiled, record: Any) -> bool:
    for get, allowed in comp.filters:
        value = get(record)
        if value is _MISSING or str(value) not in allowed:
            return False
    return True


def parse_records(source: RecordSource, raw: bytes, path: str) -> list[Service]:
    """The partial services one version of ``path`` states (models keyed by id, or a name).

    Raises ParseError for a file that is not valid JSON/YAML/TOML or not a mapping.
    """
    comp = _compiled(source)
    if comp.name_file is not None:
        named = comp.name_file.fullmatch(path)
        if named is not None:
            return [_name_part(source, raw, path, named.group("service"))]
    data = _load(raw, path)
    if not isinstance(data, dict):
        kind = "map of records" if source.layout == "map" else "record (a mapping of fields)"
        raise ParseError(f"expected a {kind}, found {type(data).__name__}", path=path)
    located = comp.id_pattern.search(path) if comp.id_pattern is not None else None
    path_service = _group(located, "service")
    if source.layout == "map":
        return _parse_map(comp, data, path, path_service)
    model_id: Any = _group(located, "id")
    if model_id is None and comp.id_getter is None:
        raise ParseError("the path does not give a model id", path=path,
                         hint=f"id_pattern {source.id_pattern!r} must match it with a "
                              "group named 'id'")
    placed = _place(comp, model_id, data, path_service)
    if placed is None:
        return []
    return [Service(id=placed[0], path=path, provider=placed[0],
                    models={placed[1]: _model(comp, data, source.currency)})]


@dataclass
class _MapVersion:
    """What the newest parse of one map file gave, so the next version only redoes changes."""

    projections: dict[Any, tuple[Any, ...]]  # key → the fields its result depends on
    entries: dict[Any, tuple[str, str, Model]]  # key → (service id, model id, model)
    services: dict[str, Service]


def _parse_map(comp: _Compiled, data: dict[Any, Any], path: str,
               path_service: str | None) -> list[Service]:
    """A map file changes a few records per version (LiteLLM: 2,000 records, 1 MB). Records
    whose mapped fields read as before keep their Model, and services none of whose records
    changed are the same Service objects as before: ~1 µs per record instead of ~8."""
    flat = comp.flat
    if flat is not None:  # no dotted field: no Python call per record (this is the hot loop)
        projections = {key: tuple(map(rec.get, flat)) for key, rec in data.items()
                       if isinstance(rec, dict)}
    else:
        read = comp.read
        projections = {key: read(rec) for key, rec in data.items() if isinstance(rec, dict)}
    before = comp.memo.get(path)
    if before is None:
        entries: dict[Any, tuple[str, str, Model]] = {}
        changed: Any = projections.keys()
        gone: Any = ()
        services: dict[str, Service] = {}
    else:
        old = before.projections
        changed = [key for key, proj in projections.items() if old.get(key) != proj]
        gone = old.keys() - projections.keys()
        entries = dict(before.entries)
        services = dict(before.services)
    rebuilt: dict[str, dict[str, Model]] = {}  # service id → its new models, when touched

    def models_of(sid: str) -> dict[str, Model]:
        models = rebuilt.get(sid)
        if models is None:
            kept = services.get(sid)
            models = rebuilt[sid] = dict(kept.models) if kept is not None else {}
        return models

    for key in (*gone, *changed):
        entry = entries.pop(key, None)
        if entry is not None:
            models_of(entry[0]).pop(entry[1], None)
    for key in changed:
        placed = _place(comp, key, data[key], path_service)
        if placed is not None:
            model = _model(comp, data[key], comp.source.currency)
            entries[key] = (placed[0], placed[1], model)
            models_of(placed[0])[placed[1]] = model
    for sid, models in rebuilt.items():
        if models:
            services[sid] = Service(id=sid, path=path, provider=sid, models=models)
        else:
            services.pop(sid, None)
    # only the newest version per path is kept: memory stays one file's worth
    comp.memo[path] = _MapVersion(projections, entries, services)
    return list(services.values())


def _place(comp: _Compiled, key: Any, record: Any, path_service: str | None
           ) -> tuple[str, str] | None:
    """(service id, model id) of a record, or None when it is not a model to follow."""
    if key in comp.skip or not isinstance(record, dict) or not _wanted(comp, record):
        return None
    service_id = path_service
    if comp.service_getter is not None:
        stated = comp.service_getter(record)
        service_id = str(stated) if stated not in (_MISSING, None, "") else path_service
    if not service_id:
        return None  # a record that names no service belongs to none (e.g. a template entry)
    if comp.id_getter is not None:
        key = comp.id_getter(record)
        if key in (_MISSING, None, ""):
            return None  # a record without an id cannot be followed from commit to commit
    return service_id, str(key)


def _group(found: re.Match[str] | None, name: str) -> str | None:
    if found is None or name not in found.re.groupindex:
        return None
    return found.group(name)


def _name_part(source: RecordSource, raw: bytes, path: str, service_id: str) -> Service:
    data = _load(raw, path)
    name: Any = None
    if isinstance(data, dict):
        name = _getter(source.service_name_field)(data)
    if not isinstance(name, str) or not name.strip():
        name = None
    return Service(id=service_id, path=path, provider=service_id,
                   name=name.strip() if name else None)
