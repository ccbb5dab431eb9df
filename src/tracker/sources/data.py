"""Service data files: one service per YAML/JSON/TOML file, in the normalized shape → ``Service``.

Owns the validation of the normalized shape, with errors that name the file, the key path, the
line and what to write. Reading the formats is tracker.sources.formats' (shared with record
files); the JSON Schema editors use is tracker.sources.schema's. Values may be written as humans
write them (``"14.4K"``, ``"无限制"``, ``"128K"``); they go through ``tracker.quantities``.
"""

from __future__ import annotations

import datetime
import re
from pathlib import PurePosixPath
from typing import Any

from tracker import quantities
from tracker.errors import ParseError
from tracker.model import (
    LANGS,
    LIMIT_KEYS,
    PRICE_FIELDS,
    REQUIREMENTS,
    Model,
    Service,
    TrialCredits,
)
from tracker.sources.formats import (
    SURROGATE_ESCAPE,
    Invalid,
    KeyPath,
    decode,
    dotted,
    line_for,
    load_json,
    load_toml,
    load_yaml,
    refuse_surrogates,
    toml_key_line,
    yaml_key_lines,
)
from tracker.sources.jsonkeys import json_key_lines
from tracker.sources.schema import CURRENCY_PATTERN, SCHEMA

__all__ = ["SCHEMA", "parse_data_file"]

Path = KeyPath
LENGTH_LIMITS = ("max_context", "max_output", "max_input")
MODEL_KEYS = ("context", "max_output", *PRICE_FIELDS, "currency", "deprecated", "shutdown_date")
TRIAL_KEYS = ("amount", "currency", "valid_days")
TEXT_KEYS = ("name", "provider", "endpoint", "quota_reset")
TOP_KEYS = ("$schema", "id", "path", "lang", "name", "provider", "endpoint", "tier",
            "requirements", "credit_card_required", "trial_credits", "limits", "tiers",
            "quota_reset", "models")
DEFAULT_CURRENCY = "USD"
_CURRENCY = re.compile(CURRENCY_PATTERN)


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
        raise Invalid(key_path, f"expected a map of {what}, got {_type_name(value)}",
                       hint=f"write {what} as 'key: value' lines")
    for key in value:
        if not isinstance(key, str):
            raise Invalid(key_path + (str(key),), f"key {key!r} is not text",
                           hint="quote the key")
    return value


def _text(value: Any, key_path: Path) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    if not isinstance(value, str):
        raise Invalid(key_path, f"expected text, got {_type_name(value)}", hint="quote the value")
    return value


def _quantity(value: Any, key_path: Path, *, length: bool) -> int | str:
    if isinstance(value, bool) or value is None:
        raise Invalid(key_path, f"expected a number or text, got {_type_name(value)}",
                       hint="write a whole number, 'unlimited' or a phrase such as '14.4K'")
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str):
        return quantities.parse_length(value) if length else quantities.parse_count(value)
    raise Invalid(key_path, f"expected a whole number or text, got {value!r}",
                   hint="write a whole number, 'unlimited' or a phrase such as '14.4K'")


def _known_keys(mapping: dict[str, Any], allowed: tuple[str, ...], key_path: Path,
                what: str) -> None:
    for key in mapping:
        if key not in allowed:
            documented = (k for k in allowed if not k.startswith("$"))
            raise Invalid(key_path + (key,), f"unknown {what} {key!r}",
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
        raise Invalid(key_path, f"unknown currency {currency!r}",
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
    raise Invalid(key_path, f"expected a price, got {shown}",
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
            raise Invalid(key_path + (side,), f"price in {written} but currency is {stated}",
                           hint="write the price as a number in the model's currency")
        stated = stated or written
        setattr(model, side, amount)
    if any(getattr(model, side) is not None for side in PRICE_FIELDS) or stated:
        model.currency = stated or DEFAULT_CURRENCY
    if "deprecated" in fields:
        if not isinstance(fields["deprecated"], bool):
            raise Invalid(key_path + ("deprecated",), "expected true or false",
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
        raise Invalid(key_path + ("amount",), f"expected an amount, got {amount!r}",
                       hint="write a number such as 5, with currency: CNY")
    days = fields.get("valid_days")
    if isinstance(days, str) and quantities.parse_days(days) is not None:
        credits.valid_days = quantities.parse_days(days)
    elif isinstance(days, int) and not isinstance(days, bool) and days >= 0:
        credits.valid_days = days
    elif "valid_days" in fields:
        raise Invalid(key_path + ("valid_days",), f"expected a number of days, got {days!r}",
                       hint="write a whole number of days, e.g. 30")
    return credits


def _service(data: Any, service_id: str, path: str) -> Service:
    top = _expect_map(data, (), "service fields")
    _known_keys(top, TOP_KEYS, (), "key")
    if "id" in top and _text(top["id"], ("id",)) != service_id:
        raise Invalid(("id",), f"id {top['id']!r} differs from the file name {service_id!r}",
                       hint="the file stem is the id: rename the file or drop 'id'")
    service = Service(id=service_id, path=path)
    if "lang" in top:
        service.lang = _text(top["lang"], ("lang",))
        if service.lang not in LANGS:
            raise Invalid(("lang",), f"unknown language {service.lang!r}",
                           hint="write " + " or ".join(LANGS))
    for key in TEXT_KEYS:
        if key in top:
            setattr(service, key, _text(top[key], (key,)))
    if "tier" in top:
        service.service_type = quantities.parse_service_type(_text(top["tier"], ("tier",)))
    if "requirements" in top:
        requirements = top["requirements"]
        if not isinstance(requirements, list):
            raise Invalid(("requirements",), f"expected a list, got {_type_name(requirements)}",
                           hint="write a list such as [registration, phone]")
        for index, item in enumerate(requirements):
            if item not in REQUIREMENTS:
                raise Invalid(("requirements", str(index)), f"unknown requirement {item!r}",
                               hint="use one of " + ", ".join(REQUIREMENTS))
        service.requirements = list(requirements)
    if "credit_card_required" in top:
        flag = top["credit_card_required"]
        if isinstance(flag, str):
            flag = quantities.parse_flag(flag)
        if not isinstance(flag, bool):
            raise Invalid(("credit_card_required",), "expected true or false",
                           hint="write credit_card_required: false")
        service.credit_card_required = flag
    if "trial_credits" in top:
        service.trial_credits = _trial_credits(top["trial_credits"], ("trial_credits",))
    if "limits" in top:
        service.limits = dict(_limits(top["limits"], ("limits",)))
    if "tiers" in top:
        tiers = _expect_map(top["tiers"], ("tiers",), "quota tiers")
        service.quota_tiers = {name: dict(_limits(limits, ("tiers", name)))
                         for name, limits in tiers.items()}
    if "models" in top:
        models = _expect_map(top["models"], ("models",), "models")
        service.models = {model_id: _model(facts, ("models", model_id))
                          for model_id, facts in models.items()}
    return service


# ---------------------------------------------------------------------------------------------
# Entry point

def parse_data_file(raw: bytes, path: str) -> Service:
    """Parse one service data file; the format comes from the extension, the id from the stem."""
    suffix = PurePosixPath(path).suffix.lower()
    service_id = PurePosixPath(path).stem
    text = decode(raw, path)
    if suffix in (".yaml", ".yml"):
        data = load_yaml(text, path)
    elif suffix == ".json":
        data = load_json(text, path)
    elif suffix == ".toml":
        data = load_toml(text, path)
    else:
        raise ParseError(f"unknown data file type {suffix or '(none)'!r}", path=path,
                         hint="use .yaml, .yml, .json or .toml")
    try:
        if SURROGATE_ESCAPE.search(text):  # tomllib and libyaml refuse them; json does not
            refuse_surrogates(data)
        return _service(data, service_id, path)
    except Invalid as invalid:  # the key lines read only now, for the message
        lines: dict[KeyPath, int] | None = None
        if suffix == ".json":
            lines = json_key_lines(text, path)
        elif suffix != ".toml":
            lines = yaml_key_lines(text, path)
        if lines is not None:
            line = line_for(invalid.key_path, lines)
        else:  # TOML: always a table, so the key path is never empty
            line = toml_key_line(text, invalid.key_path) if invalid.key_path else 1
        where = f"{dotted(invalid.key_path)}: " if invalid.key_path else ""
        raise ParseError(where + invalid.message, path=path, line=line,
                         hint=invalid.hint) from None
