"""Prices stated by date → the prices in force at a commit, and the changes announced after it.

A record may state a model's price history and future in one list (genai-prices: an entry without
a condition, and entries with ``constraint: {start_date: …}``); the reader keeps the dated entries
as the model's ``price_schedule`` (sources/record_values.py). This module owns what that schedule
means at a date: the price in force is the entry with the latest start date not after the
commit's day (the undated entry before any), and the entries starting after it are *announced*
changes (``announcements``) that tracker.walk.classify tells at the commit that makes them known.

The walk sees commits, not days: a scheduled price takes effect in the facts at the first commit
on or after its day that touches the record. The facts in force before a commit are moved to the
commit's day (``in_force`` again) before they are compared, so a price that takes effect as
announced is no change, and a correction of the past whose price in force is the same gives none.
A day is the commit's UTC date: catalogues state start dates in UTC.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC
from typing import Any

from tracker.model import PRICE_FIELDS, Model, Service, parse_moment

SCHEDULE = "price_schedule"
_PRICE_KEYS = (*PRICE_FIELDS, "price_tiers")

# (field, price band or None) → the steps announced for it: (day, value before, value from
# that day)
Steps = dict[tuple[str, str | None], list[tuple[str, Any, Any]]]


def commit_day(iso: str) -> str:
    """The UTC day of a commit's ISO 8601 date ('2026-06-30T21:22:46-05:00' → '2026-07-01')."""
    return parse_moment(iso).astimezone(UTC).date().isoformat()


def in_force(facts: dict[str, Any], day: str) -> dict[str, Any]:
    """``facts`` (Service.facts()) with every model's prices as in force on ``day``: the latest
    scheduled entry not after it replaces the model's whole price, and only the later entries
    stay in its schedule. The input is not changed; facts without a schedule are returned as
    they are (the common case costs one look at each model)."""
    models = facts.get("models")
    if not models:
        return facts
    moved: dict[str, Any] = {}
    for model_id, model in models.items():
        schedule = model.get(SCHEDULE) if isinstance(model, dict) else None
        if not schedule:
            continue
        due = sorted(d for d in schedule if d <= day)
        if not due:
            continue
        current = {k: v for k, v in model.items() if k not in _PRICE_KEYS and k != SCHEDULE}
        current.update(schedule[due[-1]])
        later = {d: entry for d, entry in schedule.items() if d > day}
        if later:
            current[SCHEDULE] = later
        moved[model_id] = current
    if not moved:
        return facts
    return {**facts, "models": {k: moved.get(k, v) for k, v in models.items()}}


def service_in_force(service: Service, day: str) -> Service:
    """``service`` with its models' prices as in force on ``day`` (what ``tracker snapshot``
    shows at a revision); the same object when no model states prices by date."""
    models = {k: m.to_dict() for k, m in service.models.items() if m.price_schedule}
    moved = in_force({"models": models}, day)["models"] if models else {}
    changed = {k: Model.from_dict(v) for k, v in moved.items() if v is not models[k]}
    return replace(service, models={**service.models, **changed}) if changed else service


def _value(prices: dict[str, Any], field: str, band: str | None) -> Any:
    if band is None:
        return prices.get(field)
    return ((prices.get("price_tiers") or {}).get(band) or {}).get(field)


def steps(model: dict[str, Any]) -> Steps:
    """Every announced change of one model's facts: per price (field and band), each scheduled
    day on which it differs from the day before (None: not stated)."""
    schedule = model.get(SCHEDULE) or {}
    if not schedule:
        return {}
    keys: set[tuple[str, str | None]] = set()
    for prices in (model, *schedule.values()):
        keys |= {(f, None) for f in PRICE_FIELDS if prices.get(f) is not None}
        for band, banded in (prices.get("price_tiers") or {}).items():
            keys |= {(f, band) for f in banded if f in PRICE_FIELDS}
    found: Steps = {}
    for key in sorted(keys, key=lambda k: (k[0], k[1] or "")):
        before = _value(model, *key)
        for day in sorted(schedule):
            after = _value(schedule[day], *key)
            if after != before:
                found.setdefault(key, []).append((day, before, after))
            before = after
    return found


def announcements(old: dict[str, Any] | None, new: dict[str, Any]
                  ) -> tuple[list[tuple[str, str | None, str, Any, Any]],
                             list[tuple[str, str | None, str, Any]]]:
    """What a commit announces for one model, its facts before (None: a new model) and after:
    the steps newly announced (field, band, day, value before, value from then), and the ones
    withdrawn with nothing announced in their place (field, band, day, the value that was to
    come). A moved day or a changed amount is a new step, which replaces the old one."""
    was = steps(old or {})
    now = steps(new)
    told = [(field, band, day, a, b) for (field, band), found in sorted(
        now.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))
        for day, a, b in found if (day, a, b) not in was.get((field, band), ())]
    withdrawn = [(field, band, day, b) for (field, band), found in sorted(
        was.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))
        if not now.get((field, band)) for day, _a, b in found]
    return told, withdrawn
