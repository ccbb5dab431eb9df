"""What a record's values mean: dotted fields (through lists of conditional values), token
counts, and prices read exactly as a catalogue writes them.

Shared by every record layout (sources/records.py). A price is scaled in ``Decimal`` and kept to
12 significant digits, so ``"0.0000003"`` per token is 0.3 per million and a float written back as
0.39999999999999997 is the 0.4 it means; a tiered price (``{base, tiers}``) is its base plus one
price fact per tier; a list of conditional values is read only when exactly one entry has no
condition, otherwise kept as text — never guessed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from decimal import Context, Decimal, InvalidOperation
from typing import Any

from tracker.model import Model

MISSING: Any = object()  # a field the record does not have


def field_getter(dotted: str, constraint: str = "constraint") -> Callable[[Any], Any]:
    """Read a dotted field. Where a step meets a list of conditional values (genai-prices:
    ``prices: [{prices: {…}}, {constraint: {start_date: …}, prices: {…}}]``), the one entry
    without a condition holds the value under the same key; with none or several, the values
    are joined as text with their conditions, so a change is told as text and never guessed."""
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
                return _conditional(rec, part, parts[i + 1:], constraint)
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
        from tracker.quantities import parse_length

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
            tiers: dict[str, dict[str, float | str]]) -> None:
    """A tiered price: the base is the price, each tier its own price fact."""
    base = value.get("base")
    if base is not None and base != "":
        setattr(model, norm, read_price(base, scale))
    for tier in value["tiers"]:
        if isinstance(tier, dict) and "start" in tier and tier.get("price") is not None:
            tiers.setdefault(tier_label(tier["start"]), {})[norm] = read_price(tier["price"], scale)
        else:  # a tier we cannot read is kept whole, as text
            tiers.setdefault("?", {})[norm] = text_of(value["tiers"])
