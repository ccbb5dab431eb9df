"""What a record's values mean: dotted fields (through lists of conditional values), token
counts, and prices read exactly as a catalogue writes them.

Shared by every record layout (sources/records.py). A price is scaled in ``Decimal`` and kept to
12 significant digits, so ``"0.0000003"`` per token is 0.3 per million and a float written back as
0.39999999999999997 is the 0.4 it means; a tiered price (``{base, tiers}``) is its base plus one
price fact per tier. A list of conditional values (genai-prices' ``prices:``) is read as what it
states: the entry without a condition is the price, an entry with ``start_date`` alone a price
from that date (the price schedule, resolved at each commit's date by tracker.dated), an entry
under any other condition (a time-of-day window, a region) a price tier named by its condition.
With several entries without a condition the list is kept as text — never guessed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Context, Decimal, InvalidOperation
from typing import Any

from tracker.model import Model
from tracker.quantities import parse_length

MISSING: Any = object()  # a field the record does not have


@dataclass(frozen=True)
class Conditional:
    """A value stated in a list of conditional entries (see field_getter): the entry without a
    condition (MISSING when there is none), the entries that start on a date, as (ISO day,
    value) oldest first (MISSING: that entry does not state the field), and the entries under
    any other condition, as (its label, value)."""

    plain: Any
    dated: tuple[tuple[str, Any], ...]
    other: tuple[tuple[str, Any], ...]


def field_getter(dotted: str, constraint: str = "constraint", *,
                 conditional: bool = False) -> Callable[[Any], Any]:
    """Read a dotted field. Where a step meets a list of conditional values (genai-prices:
    ``prices: [{prices: {…}}, {constraint: {start_date: …}, prices: {…}}]``), the one entry
    without a condition holds the value under the same key; with none or several, the values
    are joined as text with their conditions, so a change is told as text and never guessed.
    With ``conditional`` (a price field), a list with at most one entry without a condition
    reads as a Conditional: every entry, each with what it depends on."""
    parts = tuple(dotted.split("."))
    if len(parts) == 1:
        key = parts[0]

        def get_one(rec: Any) -> Any:
            if not isinstance(rec, dict):
                return MISSING
            value = rec.get(key, MISSING)
            return _conditional(value, key, (), constraint) if isinstance(value, list) else value

        return get_one

    def get(rec: Any) -> Any:
        for i, part in enumerate(parts):
            if not isinstance(rec, dict):
                return MISSING
            rec = rec.get(part, MISSING)
            if rec is MISSING:
                return MISSING
            if isinstance(rec, list) and i + 1 < len(parts):
                # only a price field reads a list of conditional entries as a Conditional
                found = _entries(rec, part, parts[i + 1:], constraint) if conditional else None
                return found if found is not None else \
                    _conditional(rec, part, parts[i + 1:], constraint)
        return rec

    return get


def _walk(node: Any, parts: tuple[str, ...]) -> Any:
    for part in parts:
        if not isinstance(node, dict):
            return MISSING
        node = node.get(part, MISSING)
    return node


def _conditional(entries: list[Any], key: str, rest: tuple[str, ...], constraint: str) -> Any:
    """``rest`` of a dotted path read in a list of conditional entries (see field_getter)."""
    if not entries or not all(isinstance(e, dict) for e in entries) \
            or not any(constraint in e for e in entries):
        return entries if not rest else MISSING  # a plain list: a value, or nothing to walk
    plain = [e for e in entries if constraint not in e]
    if len(plain) == 1:
        return _walk(plain[0].get(key, MISSING), rest)
    said = []
    for entry in entries:
        value = _walk(entry.get(key, MISSING), rest)
        if value is MISSING or value is None:
            continue
        condition = entry.get(constraint)
        if isinstance(condition, dict):
            condition = ", ".join(f"{k}={v}" for k, v in sorted(condition.items()))
        said.append(f"{text_of(value)} if {condition}" if constraint in entry else text_of(value))
    return "; ".join(said) if said else MISSING


def _entries(entries: list[Any], key: str, rest: tuple[str, ...],
             constraint: str) -> Conditional | None:
    """A list of conditional entries as a Conditional; None when it is not one (a plain list,
    or several entries without a condition: then the list is read as field_getter reads it)."""
    if not entries or not all(isinstance(e, dict) for e in entries) \
            or not any(constraint in e for e in entries):
        return None
    plain = [e for e in entries if constraint not in e]
    if len(plain) > 1:
        return None
    dated: dict[str, Any] = {}
    other: list[tuple[str, Any]] = []
    for entry in entries:
        if constraint not in entry:
            continue
        value = _walk(entry.get(key, MISSING), rest)
        condition = entry[constraint]
        day = start_day(condition.get("start_date")) \
            if isinstance(condition, dict) and set(condition) == {"start_date"} else None
        if day is not None and day not in dated:
            dated[day] = value if value is not None else MISSING
        elif value is not MISSING and value is not None:
            other.append((condition_label(condition), value))
    found = _walk(plain[0].get(key, MISSING), rest) if plain else MISSING
    return Conditional(MISSING if found is None else found, tuple(sorted(dated.items())),
                       tuple(other))


def start_day(value: Any) -> str | None:
    """A ``start_date`` as an ISO day ('2026-09-01'), or None when it names no day."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10]).isoformat()
        except ValueError:
            return None
    return None


def condition_label(condition: Any) -> str:
    """The name of a price under a condition that is not a start date: a time-of-day window
    ``{start_time: 00:30:00Z, end_time: 16:30:00Z}`` is 'UTC 00:30–16:30'; any other condition
    is its keys and values, so that it is never taken for the base price."""
    if isinstance(condition, dict) and set(condition) == {"start_time", "end_time"}:
        start, end = (_clock(condition["start_time"]), _clock(condition["end_time"]))
        if start and end and start[1] == end[1]:
            return f"{start[1]} {start[0]}–{end[0]}".strip()
    if isinstance(condition, dict):
        return ", ".join(f"{k}={text_of(v)}" for k, v in sorted(condition.items()))
    return text_of(condition)


def _clock(value: Any) -> tuple[str, str] | None:
    """'00:30:00Z' → ('00:30', 'UTC'); a time without a zone → (its hh:mm, '')."""
    text = str(value).strip()
    zone = "UTC" if text.endswith(("Z", "+00:00")) else ""
    text = text.removesuffix("Z").removesuffix("+00:00")
    parts = text.split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() and len(p) == 2 for p in parts):
        return None
    return f"{parts[0]}:{parts[1]}", zone


def text_of(value: Any) -> str:
    """A value kept as text, the same text for the same value."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float | int) and not isinstance(value, bool):
        return repr(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def read_length(value: Any) -> Any:
    """A token count: ints stay ints, integral floats become ints, text is parsed or kept raw."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, str):
        # rare in records ("128K", "unlimited"): read them the way a page cell is read
        return parse_length(value)
    return str(value)


_TWELVE_DIGITS = Context(prec=12)


def read_price(value: Any, scale: Decimal | None) -> float | str:
    """A price per million tokens, scaled in decimal so that what the catalogue wrote is what
    the ledger says: "0.0000003" and 3e-07 per token are 0.3, not 0.29999999999999993. Text that
    is no number, and a negative amount (OpenRouter's "-1": the price varies), stay text."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        try:
            amount = Decimal(value.strip().lstrip("$").replace(",", ""))
        except InvalidOperation:
            return value.strip()
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))  # the shortest text of the float: what the file wrote
    else:
        return text_of(value)
    if not amount.is_finite() or amount < 0:
        return text_of(value)
    if scale is not None:
        amount *= scale
    # 12 significant digits: a catalogue's 0.39999999999999997 (a float written back by a
    # script) is the 0.4 it means, so the ledger never shows drift and its fix is no event
    per_million = float(amount.normalize(_TWELVE_DIGITS))
    return per_million if math.isfinite(per_million) else text_of(value)


def is_tiered(value: Any) -> bool:
    """``{base: 1.25, tiers: [{start: 200000, price: 2.5}]}``: a price by prompt size."""
    return isinstance(value, dict) and isinstance(value.get("tiers"), list)


def tier_label(start: Any) -> str:
    """The name of a price tier by where it starts: 200000 → '>200K', 1000000 → '>1M'."""
    if isinstance(start, int) and not isinstance(start, bool) and start > 0:
        if start % 1_000_000 == 0:
            return f">{start // 1_000_000}M"
        if start % 1_000 == 0:
            return f">{start // 1_000}K"
        return f">{start:,}"
    return f">{text_of(start)}"


def read_tiered(model: Model, norm: str, value: dict[str, Any], scale: Decimal | None,
            tiers: dict[str, dict[str, float | str]], prefix: str = "") -> None:
    """A tiered price: the base is the price, each tier its own price fact (``prefix``: the
    condition the whole price is under, which then names the base too)."""
    base = value.get("base")
    if base is not None and base != "":
        if prefix:
            tiers.setdefault(prefix, {})[norm] = read_price(base, scale)
        else:
            setattr(model, norm, read_price(base, scale))
    for tier in value["tiers"]:
        name = f"{prefix} " if prefix else ""
        if isinstance(tier, dict) and "start" in tier and tier.get("price") is not None:
            tiers.setdefault(name + tier_label(tier["start"]), {})[norm] = \
                read_price(tier["price"], scale)
        else:  # a tier we cannot read is kept whole, as text
            tiers.setdefault(name + "?", {})[norm] = text_of(value["tiers"])


Schedule = dict[str, dict[str, Any]]  # ISO day → the prices from that day: fields, price_tiers


def read_price_value(model: Model, norm: str, value: Any, scale: Decimal | None,
                     tiers: dict[str, dict[str, float | str]], schedule: Schedule) -> None:
    """One price field of a record into ``model``: a plain or tiered price, or a Conditional —
    its plain entry is the price, its dated entries go to ``schedule`` (each entry states the
    whole price from its day: a field it does not state is not stated from then), its entries
    under other conditions are tiers named by the condition."""
    if not isinstance(value, Conditional):
        if is_tiered(value):
            read_tiered(model, norm, value, scale, tiers)
        else:
            setattr(model, norm, read_price(value, scale))
        return
    if value.plain is not MISSING:
        read_price_value(model, norm, value.plain, scale, tiers, schedule)
    for day, stated in value.dated:
        entry = schedule.setdefault(day, {})
        if stated is MISSING:
            continue
        dated = Model()
        dated_tiers: dict[str, dict[str, float | str]] = dict(entry.get("price_tiers") or {})
        read_price_value(dated, norm, stated, scale, dated_tiers, {})
        if getattr(dated, norm) is not None:
            entry[norm] = getattr(dated, norm)
        if dated_tiers:
            entry["price_tiers"] = dict(sorted(dated_tiers.items()))
    for label, stated in value.other:
        if is_tiered(stated):
            read_tiered(model, norm, stated, scale, tiers, prefix=label)
        else:
            tiers.setdefault(label, {})[norm] = read_price(stated, scale)
