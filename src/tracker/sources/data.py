"""Service data files: one service per YAML/JSON/TOML file, in the normalized shape → ``Service``.

Owns the file formats (C parsers; duplicate keys, alias bombs and lone surrogates refused), the
validation of the normalized shape with errors that name the file, the key path, the line and what
to write, and ``SCHEMA``, the JSON Schema editors use (``tracker schema``). Values may be written as
humans write them (``"14.4K"``, ``"无限制"``, ``"128K"``); they go through ``tracker.quantities``.
"""

from __future__ import annotations

import datetime
import json
import re
import tomllib
from pathlib import PurePosixPath
from typing import Any

import yaml

from tracker import quantities
from tracker.errors import ParseError
from tracker.model import (
    LIMIT_KEYS,
    PRICE_FIELDS,
    REQUIREMENTS,
    Model,
    Service,
    TrialCredits,
)

YAML_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml is 7× faster

# Aliases are allowed (``<<: *defaults`` is handy across models) but the expanded document may not
# exceed this many nodes: a "billion laughs" is refused before it is ever constructed.
MAX_YAML_NODES = 50_000

Path = tuple[str, ...]
LANG_VALUES = ("zh", "en")
LENGTH_LIMITS = ("max_context", "max_output", "max_input")
MODEL_KEYS = ("context", "max_output", *PRICE_FIELDS, "currency", "deprecated", "shutdown_date")
TRIAL_KEYS = ("amount", "currency", "valid_days")
TEXT_KEYS = ("name", "provider", "endpoint", "quota_reset")
TOP_KEYS = ("$schema", "id", "path", "lang", "name", "provider", "endpoint", "tier",
            "requirements", "credit_card_required", "trial_credits", "limits", "tiers",
            "quota_reset", "models")
DEFAULT_CURRENCY = "USD"
CURRENCY_PATTERN = "^([A-Z]{3}|credits)$"
_CURRENCY = re.compile(CURRENCY_PATTERN)

# A JSON (or pure-Python YAML) escape that can decode to half a surrogate pair; only files
# holding one are walked for lone surrogates, which UTF-8 cannot encode: every output would fail.
_SURROGATE_ESCAPE = re.compile(r"\\(?:u|U0000)[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


# ---------------------------------------------------------------------------------------------
# Schema

_QUANTITY = {"oneOf": [{"type": "integer", "minimum": 0},
                       {"type": "string",
                        "description": "'unlimited', '14.4K', '100 万', or text"}]}
_LIMITS = {"type": "object", "additionalProperties": False,
           "properties": {key: {"$ref": "#/$defs/quantity"} for key in LIMIT_KEYS}}
_PRICE = {"oneOf": [{"type": "number", "minimum": 0}, {"type": "string"}],
          "description": "Per million tokens, in the model's currency."}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://github.com/tracker/tracker/schema/service.json",
    "title": "Service",
    "description": "One free or trial LLM API service; the file stem is the service id.",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "$schema": {"type": "string", "description": "Ignored: lets editors find this schema."},
        "id": {"type": "string", "description": "Optional; must equal the file stem."},
        "path": {"type": "string", "description": "Ignored: the file's own path is used."},
        "lang": {"enum": list(LANG_VALUES), "default": "zh"},
        "name": {"type": "string"},
        "provider": {"type": "string", "description": "Provider slug."},
        "endpoint": {"type": "string", "description": "API base URL."},
        "tier": {"type": "string",
                 "description": "free, limited-free, trial-credits, paid "
                                "(or 完全免费 / 有限免费 / 试用积分), else free text."},
        "requirements": {"type": "array", "uniqueItems": True,
                         "items": {"enum": list(REQUIREMENTS)}},
        "credit_card_required": {"type": "boolean"},
        "trial_credits": {"$ref": "#/$defs/trial_credits"},
        "limits": {"$ref": "#/$defs/limits"},
        "tiers": {"type": "object", "description": "Quota tier name → its limits.",
                  "additionalProperties": {"$ref": "#/$defs/limits"}},
        "quota_reset": {"type": "string"},
        "models": {"type": "object", "description": "Model id → its facts.",
                   "additionalProperties": {"oneOf": [{"$ref": "#/$defs/model"},
                                                      {"type": "null"}]}},
    },
    "$defs": {
        "quantity": _QUANTITY,
        "limits": _LIMITS,
        "model": {"type": "object", "additionalProperties": False, "properties": {
            "context": {"$ref": "#/$defs/quantity"},
            "max_output": {"$ref": "#/$defs/quantity"},
            "input_price": _PRICE,
            "output_price": _PRICE,
            "cache_read_price": _PRICE,
            "cache_write_price": _PRICE,
            "currency": {"type": "string", "pattern": CURRENCY_PATTERN, "default": "USD"},
            "deprecated": {"type": "boolean"},
            "shutdown_date": {"type": "string", "format": "date"},
        }},
        "trial_credits": {"type": "object", "additionalProperties": False, "properties": {
            "amount": {"oneOf": [{"type": "number", "minimum": 0}, {"type": "string"}]},
            "currency": {"type": "string", "pattern": CURRENCY_PATTERN},
            "valid_days": {"type": "integer", "minimum": 0},
        }},
    },
}


# ---------------------------------------------------------------------------------------------
# Reading the formats

class _Invalid(Exception):
    """A validation failure at a key path, turned into a ParseError with the line once known."""

    def __init__(self, key_path: Path, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.key_path = key_path
        self.message = message
        self.hint = hint


def _dotted(key_path: Path) -> str:
    return ".".join(key_path)


def _load_yaml(text: str, path: str) -> tuple[Any, dict[Path, int]]:
    """Parse YAML with libyaml; return the data and the line of every key path."""
    loader = YAML_LOADER(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            raise ParseError(f"invalid YAML: {error.problem or error}", path=path,
                             line=mark.line + 1 if mark else None,
                             hint="check indentation and quoting") from None
        except (yaml.YAMLError, RecursionError) as error:
            raise ParseError(f"invalid YAML: {error}", path=path) from None
        if node is None:  # an empty document: nothing where the service map belongs, line 1
            return None, {(): 1}
        return loader.construct_document(node), _yaml_key_lines(node, path)
    finally:
        loader.dispose()


def _yaml_key_lines(root: yaml.Node, path: str) -> dict[Path, int]:
    """Walk the composed node tree once: bound alias expansion, refuse duplicate keys, map lines."""
    lines: dict[Path, int] = {(): root.start_mark.line + 1}  # where the document itself starts
    stack: list[tuple[yaml.Node, Path]] = [(root, ())]
    visited = 0
    while stack:
        node, key_path = stack.pop()
        visited += 1
        if visited > MAX_YAML_NODES:
            raise ParseError(f"document expands to more than {MAX_YAML_NODES} nodes through "
                             "aliases", path=path, line=node.start_mark.line + 1,
                             hint="write the values out instead of nesting aliases (&/*)")
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    stack.append((value_node, key_path))
                    continue
                key = str(key_node.value)
                child = key_path + (key,)
                if isinstance(key_node, yaml.ScalarNode) and key in seen:
                    raise ParseError(f"duplicate key {_dotted(child)!r}", path=path,
                                     line=key_node.start_mark.line + 1,
                                     hint="keep one of the two entries")
                seen.add(key)
                lines.setdefault(child, key_node.start_mark.line + 1)
                stack.append((value_node, child))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, key_path) for item in node.value)
    return lines


class _DuplicateJsonKey(Exception):
    pass


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping = dict(pairs)
    if len(mapping) != len(pairs):
        raise _DuplicateJsonKey()
    return mapping


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|\n', re.DOTALL)


def _json_key_lines(text: str, path: str) -> dict[Path, int]:
    """Line of every key path in (syntactically valid) JSON; a repeated key is a ParseError.

    Only run when something went wrong: the fast path is ``json.loads``.
    """
    lines: dict[Path, int] = {}
    line = 1
    # one frame per open container: (key path, keys seen if an object, else None)
    frames: list[tuple[Path, set[str] | None]] = []
    pending_key: str | None = None
    last_string: str | None = None
    for token in _JSON_TOKEN.finditer(text):
        value = token.group()
        if value == "\n":
            line += 1
            continue
        line_of_token = line
        line += value.count("\n")
        lines.setdefault((), line_of_token)  # the document starts at its first token
        if value.startswith('"'):
            last_string = json.loads(value)
        elif value == ":" and frames and last_string is not None:
            key_path, keys = frames[-1]
            if keys is not None:
                child = key_path + (last_string,)
                if last_string in keys:
                    raise ParseError(f"duplicate key {_dotted(child)!r}", path=path,
                                     line=line_of_token, hint="keep one of the two entries")
                keys.add(last_string)
                lines.setdefault(child, line_of_token)
                pending_key = last_string
        elif value in "{[":
            parent = frames[-1][0] if frames else ()
            inner = parent + (pending_key,) if pending_key is not None else parent
            frames.append((inner, set() if value == "{" else None))
            pending_key = None
        elif value in "}]":
            if frames:
                frames.pop()
            pending_key = None
        elif value == ",":
            pending_key = None
        if not value.startswith('"'):
            last_string = None
    return lines


def _load_json(text: str, path: str) -> tuple[Any, dict[Path, int] | None]:
    try:
        return json.loads(text, object_pairs_hook=_refuse_duplicates), None
    except json.JSONDecodeError as error:
        raise ParseError(f"invalid JSON: {error.msg}", path=path, line=error.lineno,
                         hint="check commas, quotes and brackets") from None
    except _DuplicateJsonKey:
        _json_key_lines(text, path)  # raises with the key and its line
        raise ParseError("duplicate key", path=path, hint="keep one of the two entries") from None
    except RecursionError:
        raise ParseError("invalid JSON: nested too deeply", path=path) from None


_TOML_LINE = re.compile(r"at line (\d+)")


def _load_toml(text: str, path: str) -> Any:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = _TOML_LINE.search(str(error))
        raise ParseError(f"invalid TOML: {error}", path=path,
                         line=int(found.group(1)) if found else None,
                         hint="check quoting and [table] headers; a key may appear only once"
                         ) from None


def _toml_key_line(text: str, key_path: Path) -> int | None:
    """Best effort for TOML, which reports no positions: the one line assigning the last key."""
    if not key_path:
        return None
    key = re.escape(key_path[-1])
    pattern = re.compile(rf"^\s*(?:\[+[^\]]*)?[\"']?{key}[\"']?\s*(?:=|\]|\.)", re.MULTILINE)
    found = [m.start() for m in pattern.finditer(text)]
    return text.count("\n", 0, found[0]) + 1 if len(found) == 1 else None


def _refuse_surrogates(data: Any) -> None:
    """A lone surrogate (JSON ``"\\ud800"``) in any key or text → _Invalid at its key.

    A loop, not recursion: json.loads accepts nesting deeper than Python's recursion limit.
    """
    stack: list[tuple[Any, Path]] = [(data, ())]
    while stack:
        value, key_path = stack.pop()
        if isinstance(value, str):
            found = _SURROGATE.search(value)  # json.loads joins a valid pair: what is left is lone
            if found is not None:
                raise _Invalid(key_path,
                               f"text holds a lone surrogate (U+{ord(found.group()):04X})",
                               hint="write the character itself, or a whole \\uD83D\\uDE00 pair")
        elif isinstance(value, dict):  # pushed in reverse: the first in the file is named
            for key, item in reversed(value.items()):
                child = key_path + (str(key),)
                stack.append((item, child))
                stack.append((key, child))
        elif isinstance(value, list):  # an item has no key: its line is its list's
            stack.extend((item, key_path) for item in reversed(value))


# ---------------------------------------------------------------------------------------------
# Validation: the normalized shape

def _type_name(value: Any) -> str:
    if isinstance(value, dict):
        return "a map"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if value is None:
        return "nothing"
    return "text" if isinstance(value, str) else type(value).__name__


def _expect_map(value: Any, key_path: Path, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Invalid(key_path, f"expected a map of {what}, got {_type_name(value)}",
                       hint=f"write {what} as 'key: value' lines")
    for key in value:
        if not isinstance(key, str):
            raise _Invalid(key_path + (str(key),), f"key {key!r} is not text",
                           hint="quote the key")
    return value


def _text(value: Any, key_path: Path) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    if not isinstance(value, str):
        raise _Invalid(key_path, f"expected text, got {_type_name(value)}", hint="quote the value")
    return value


def _quantity(value: Any, key_path: Path, *, length: bool) -> int | str:
    if isinstance(value, bool) or value is None:
        raise _Invalid(key_path, f"expected a number or text, got {_type_name(value)}",
                       hint="write a whole number, 'unlimited' or a phrase such as '14.4K'")
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str):
        return quantities.parse_length(value) if length else quantities.parse_count(value)
    raise _Invalid(key_path, f"expected a whole number or text, got {value!r}",
                   hint="write a whole number, 'unlimited' or a phrase such as '14.4K'")


def _known_keys(mapping: dict[str, Any], allowed: tuple[str, ...], key_path: Path,
                what: str) -> None:
    for key in mapping:
        if key not in allowed:
            documented = (k for k in allowed if not k.startswith("$"))
            raise _Invalid(key_path + (key,), f"unknown {what} {key!r}",
                           hint="use one of " + ", ".join(documented))


def _limits(value: Any, key_path: Path) -> dict[str, int | str]:
    limits: dict[str, int | str] = {}
    mapping = _expect_map(value, key_path, "limits")
    _known_keys(mapping, LIMIT_KEYS, key_path, "limit")
    for key, raw in mapping.items():
        limits[key] = _quantity(raw, key_path + (key,), length=key in LENGTH_LIMITS)
    return limits


def _currency(value: Any, key_path: Path) -> str:
    currency = _text(value, key_path)
    if not _CURRENCY.match(currency):
        raise _Invalid(key_path, f"unknown currency {currency!r}",
                       hint="write an ISO code such as USD, CNY, EUR, or 'credits'")
    return currency


def _price(value: Any, key_path: Path) -> tuple[float, str | None]:
    """A price per million tokens and the currency it states itself (if written as text)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return value, None
    # a data file states prices, unlike a page cell: text that is not a price is a mistake
    parsed = quantities.parse_price(value) if isinstance(value, str) else None
    if isinstance(parsed, quantities.Money):
        return parsed.amount, parsed.currency
    shown = repr(value) if isinstance(value, str) else _type_name(value)
    raise _Invalid(key_path, f"expected a price, got {shown}",
                   hint="write the price per million tokens as a number, e.g. 0.15")


def _model(value: Any, key_path: Path) -> Model:
    if value is None:
        return Model()  # a model listed by id alone
    fields = _expect_map(value, key_path, "model facts")
    _known_keys(fields, MODEL_KEYS, key_path, "model field")
    model = Model()
    if "context" in fields:
        model.context = _quantity(fields["context"], key_path + ("context",), length=True)
    if "max_output" in fields:
        model.max_output = _quantity(fields["max_output"], key_path + ("max_output",),
                                     length=True)
    stated = _currency(fields["currency"], key_path + ("currency",)) \
        if "currency" in fields else None
    for side in PRICE_FIELDS:
        if side not in fields:
            continue
        amount, written = _price(fields[side], key_path + (side,))
        if written and stated and written != stated:
            raise _Invalid(key_path + (side,), f"price in {written} but currency is {stated}",
                           hint="write the price as a number in the model's currency")
        stated = stated or written
        setattr(model, side, amount)
    if any(getattr(model, side) is not None for side in PRICE_FIELDS) or stated:
        model.currency = stated or DEFAULT_CURRENCY
    if "deprecated" in fields:
        if not isinstance(fields["deprecated"], bool):
            raise _Invalid(key_path + ("deprecated",), "expected true or false",
                           hint="write deprecated: true")
        model.deprecated = fields["deprecated"]
    if "shutdown_date" in fields:
        model.shutdown_date = _text(fields["shutdown_date"], key_path + ("shutdown_date",))
    return model


def _trial_credits(value: Any, key_path: Path) -> TrialCredits:
    fields = _expect_map(value, key_path, "trial credit facts")
    _known_keys(fields, TRIAL_KEYS, key_path, "trial credit field")
    credits = TrialCredits()
    if "currency" in fields:
        credits.currency = _currency(fields["currency"], key_path + ("currency",))
    amount = fields.get("amount")
    parsed = quantities.parse_money(amount) if isinstance(amount, str) else None
    if isinstance(parsed, quantities.Money):
        credits.amount, credits.currency = parsed.amount, credits.currency or parsed.currency
    elif isinstance(amount, (int, float)) and not isinstance(amount, bool) and amount >= 0:
        credits.amount = amount
    elif "amount" in fields:
        raise _Invalid(key_path + ("amount",), f"expected an amount, got {amount!r}",
                       hint="write a number such as 5, with currency: CNY")
    days = fields.get("valid_days")
    if isinstance(days, str) and quantities.parse_days(days) is not None:
        credits.valid_days = quantities.parse_days(days)
    elif isinstance(days, int) and not isinstance(days, bool) and days >= 0:
        credits.valid_days = days
    elif "valid_days" in fields:
        raise _Invalid(key_path + ("valid_days",), f"expected a number of days, got {days!r}",
                       hint="write a whole number of days, e.g. 30")
    return credits


def _service(data: Any, service_id: str, path: str) -> Service:
    top = _expect_map(data, (), "service fields")
    _known_keys(top, TOP_KEYS, (), "key")
    if "id" in top and _text(top["id"], ("id",)) != service_id:
        raise _Invalid(("id",), f"id {top['id']!r} differs from the file name {service_id!r}",
                       hint="the file stem is the id: rename the file or drop 'id'")
    service = Service(id=service_id, path=path)
    if "lang" in top:
        service.lang = _text(top["lang"], ("lang",))
        if service.lang not in LANG_VALUES:
            raise _Invalid(("lang",), f"unknown language {service.lang!r}",
                           hint="write zh or en")
    for key in TEXT_KEYS:
        if key in top:
            setattr(service, key, _text(top[key], (key,)))
    if "tier" in top:
        service.tier = quantities.parse_service_type(_text(top["tier"], ("tier",)))
    if "requirements" in top:
        requirements = top["requirements"]
        if not isinstance(requirements, list):
            raise _Invalid(("requirements",), f"expected a list, got {_type_name(requirements)}",
                           hint="write a list such as [registration, phone]")
        for index, item in enumerate(requirements):
            if item not in REQUIREMENTS:
                raise _Invalid(("requirements", str(index)), f"unknown requirement {item!r}",
                               hint="use one of " + ", ".join(REQUIREMENTS))
        service.requirements = list(requirements)
    if "credit_card_required" in top:
        flag = top["credit_card_required"]
        if isinstance(flag, str):
            flag = quantities.parse_flag(flag)
        if not isinstance(flag, bool):
            raise _Invalid(("credit_card_required",), "expected true or false",
                           hint="write credit_card_required: false")
        service.credit_card_required = flag
    if "trial_credits" in top:
        service.trial_credits = _trial_credits(top["trial_credits"], ("trial_credits",))
    if "limits" in top:
        service.limits = dict(_limits(top["limits"], ("limits",)))
    if "tiers" in top:
        tiers = _expect_map(top["tiers"], ("tiers",), "quota tiers")
        service.tiers = {name: dict(_limits(limits, ("tiers", name)))
                         for name, limits in tiers.items()}
    if "models" in top:
        models = _expect_map(top["models"], ("models",), "models")
        service.models = {model_id: _model(facts, ("models", model_id))
                          for model_id, facts in models.items()}
    return service


# ---------------------------------------------------------------------------------------------
# Entry point

def _line_for(key_path: Path, lines: dict[Path, int]) -> int | None:
    """The line of a key path, or of its nearest stated parent (a list item has no key).

    The empty path (the document itself, e.g. a list where the service map belongs) is where
    the document starts.
    """
    if not key_path:
        return lines.get((), 1)
    for length in range(len(key_path), 0, -1):
        if key_path[:length] in lines:
            return lines[key_path[:length]]
    return None


def _decode(raw: bytes, path: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[:error.start].count(b"\n") + 1
        raise ParseError(f"not UTF-8 (byte {error.start})", path=path, line=line,
                         hint="save the file as UTF-8") from None


def parse_data_file(raw: bytes, path: str) -> Service:
    """Parse one service data file; the format comes from the extension, the id from the stem."""
    suffix = PurePosixPath(path).suffix.lower()
    service_id = PurePosixPath(path).stem
    text = _decode(raw, path)
    lines: dict[Path, int] | None
    if suffix in (".yaml", ".yml"):
        data, lines = _load_yaml(text, path)
    elif suffix == ".json":
        data, lines = _load_json(text, path)
    elif suffix == ".toml":
        data, lines = _load_toml(text, path), None
    else:
        raise ParseError(f"unknown data file type {suffix or '(none)'!r}", path=path,
                         hint="use .yaml, .yml, .json or .toml")
    try:
        if _SURROGATE_ESCAPE.search(text):  # tomllib and libyaml refuse them; json does not
            _refuse_surrogates(data)
        return _service(data, service_id, path)
    except _Invalid as invalid:
        if suffix == ".json":
            lines = _json_key_lines(text, path)
        if lines is not None:
            line = _line_for(invalid.key_path, lines)
        else:  # TOML: always a table, so the key path is never empty
            line = _toml_key_line(text, invalid.key_path) if invalid.key_path else 1
        where = f"{_dotted(invalid.key_path)}: " if invalid.key_path else ""
        raise ParseError(where + invalid.message, path=path, line=line,
                         hint=invalid.hint) from None

