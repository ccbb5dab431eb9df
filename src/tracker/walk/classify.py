"""Field changes → Events: kind, severity, change_pct, and a content-derived id; and every
event a commit makes of the services it touched (``commit_events``: added, removed, renamed,
changed). The one place events are created.

Direction always comes from the values (a number, or "unlimited" which is larger than any
number); raw text on either side makes the change ``info_changed``, never a cut or a raise.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from tracker.dated import SCHEDULE, announcements
from tracker.model import PRICE_FIELDS, RATE_LIMIT_KEYS, SERVICE_TYPES, UNLIMITED, Event, Service
from tracker.walk.diff import MISSING, FieldChange, diff_facts

# Severity depends on direction for these: the classifier computes it from old and new.
BY_DIRECTION = "by direction"

# The one table of every kind's severity (tests/test_classify.py checks it names every kind).
SEVERITY = {
    "service_added": "notable", "service_removed": "breaking", "service_renamed": "info",
    "model_added": "notable", "model_removed": "breaking", "model_deprecated": "breaking",
    "context_changed": BY_DIRECTION, "output_changed": BY_DIRECTION,
    "quota_cut": "breaking", "quota_raised": "notable",
    "quota_added": "notable", "quota_removed": "notable",
    "price_increase": "breaking", "price_decrease": "notable",
    "price_added": "info", "price_removed": "info",
    "tier_changed": BY_DIRECTION, "credits_changed": BY_DIRECTION,
    "requirement_added": "breaking", "requirement_removed": "notable",
    "endpoint_changed": "breaking", "reset_changed": "info", "info_changed": "info",
}


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    date: str


@dataclass(frozen=True)
class ServiceRef:
    """Who an event is about: the service as it stands after the change."""

    id: str
    name: str | None
    provider: str | None
    path: str


def event_id(service: str, model: str | None, field: str | None, kind: str,
             tier_or_band: str | None, old: Any, new: Any, date: str,
             effective: str | None = None) -> str:
    """Derived from content and author date, never the sha: a rebase or re-walk keeps ids.
    A quota tier and a price band share one slot (an event has at most one; a price band was
    once written as a tier, and its ids stay as they were). An announced change adds its
    effective day (only then: every other id stays as it was)."""
    content = [service, model, field, kind, tier_or_band, old, new, date]
    payload = json.dumps(content + [effective] if effective else content,
                         sort_keys=True, ensure_ascii=False, default=str)
    # surrogatepass: a stray surrogate from a data file must not crash the walk
    return hashlib.sha1(payload.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def make_event(ref: ServiceRef, commit: CommitInfo, kind: str, *, model: str | None = None,
               field: str | None = None, old: Any = None, new: Any = None,
               tier: str | None = None, band: str | None = None, severity: str | None = None,
               change_pct: float | None = None, currency: str | None = None,
               old_currency: str | None = None, effective: str | None = None) -> Event:
    old = None if old is MISSING else old
    new = None if new is MISSING else new
    severity = severity or SEVERITY[kind]
    if severity == BY_DIRECTION:
        raise ValueError(f"a {kind} event's severity is computed from its direction")
    return Event(
        id=event_id(ref.id, model, field, kind, tier if tier is not None else band, old, new,
                    commit.date, effective),
        date=commit.date, commit=commit.sha, path=ref.path, service=ref.id,
        service_name=ref.name, provider=ref.provider, model=model, kind=kind, field=field,
        old=old, new=new, change_pct=change_pct, severity=severity,
        tier=tier, band=band, currency=currency,
        old_currency=old_currency if old_currency != currency else None, effective=effective,
    )


def _number(value: Any) -> float | None:
    """A comparable magnitude: numbers as they are, unlimited as infinity, text as None."""
    if value == UNLIMITED:
        return float("inf")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def percent(old: Any, new: Any) -> float | None:
    a, b = _number(old), _number(new)
    if a is None or b is None or a == 0 or a == float("inf") or b == float("inf"):
        return None
    return round((b - a) / a * 100, 1)


# A range a page states as `20,000-1,000,000` (the reader writes both bounds out this way)
_RANGE = re.compile(r"^(\d[\d,]*)-(\d[\d,]*)$")


def _bounds(value: Any) -> tuple[float, float] | None:
    match = _RANGE.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    return float(match.group(1).replace(",", "")), float(match.group(2).replace(",", ""))


def _direction(old: Any, new: Any) -> int | None:
    """-1 smaller, +1 larger, 0 same, None when either side is not a comparable quantity.
    Two ranges are compared bound by bound: both bounds one way (or one still) is a direction,
    one up and one down is none."""
    old_range, new_range = _bounds(old), _bounds(new)
    if old_range is not None and new_range is not None:
        moves = {(b > a) - (b < a) for a, b in zip(old_range, new_range, strict=True)} - {0}
        return moves.pop() if len(moves) == 1 else (0 if not moves else None)
    a, b = _number(old), _number(new)
    if a is None or b is None:
        return None
    return (b > a) - (b < a)


class Classifier:
    """Classifies the field changes of one service at one commit."""

    def __init__(self, ref: ServiceRef, commit: CommitInfo, old_facts: dict[str, Any],
                 new_facts: dict[str, Any]) -> None:
        self.ref, self.commit = ref, commit
        self.old_facts, self.new_facts = old_facts, new_facts
        self.events: list[Event] = []
        self.repriced: set[str] = set()
        self.announced: set[str] = set()  # models whose price schedule was compared

    def emit(self, kind: str, **kwargs: Any) -> None:
        self.events.append(make_event(self.ref, self.commit, kind, **kwargs))

    def run(self, changes: list[FieldChange]) -> list[Event]:
        # A currency that moves with a price (free → $0.15) is told by the price event.
        self.repriced = {c.path[1] for c in changes if len(c.path) == 3 and c.path[0] == "models"
                         and c.path[2] in PRICE_FIELDS}
        for change in changes:
            head, rest = change.path[0], change.path[1:]
            if head == "models":
                self.model(rest, change.old, change.new)
            elif head == "limits":
                self.limit(rest, change.old, change.new, tier=None)
            elif head == "tiers":
                self.limit(rest[1:], change.old, change.new, tier=rest[0])
            elif head == "requirements":
                kind = "requirement_added" if change.old is MISSING else "requirement_removed"
                value = rest[0]
                self.emit(kind, field="requirements", old=None if change.new else value,
                          new=value if change.new else None)
            elif head == "tier":
                self.service_type(change.old, change.new)
            elif head == "trial_credits":
                self.credits()
            elif head == "endpoint" and change.old and change.new:
                self.emit("endpoint_changed", field="endpoint", old=change.old, new=change.new)
            elif head == "quota_reset":
                self.emit("reset_changed", field="quota_reset", old=change.old, new=change.new)
            else:
                self.emit("info_changed", field=".".join(change.path), old=change.old,
                          new=change.new)
        return _dedupe(self.events)

    # -- per field family ------------------------------------------------------------------

    def model(self, rest: tuple[str, ...], old: Any, new: Any) -> None:
        model = rest[0]
        if len(rest) == 1:
            if old is MISSING:
                self.emit("model_added", model=model, new=new or None)
                self.announce(model)  # a new model's announced prices are told too
            elif new is MISSING:
                self.emit("model_removed", model=model, old=old or None)
            return
        field = rest[1]
        if field in ("context", "max_output"):
            kind = "context_changed" if field == "context" else "output_changed"
            self.quantity(kind, field, old, new, model=model)
        elif field in PRICE_FIELDS:
            self.price(model, field, old, new)
        elif field == "price_tiers":
            self.band_prices(model, rest[2:], old, new)
        elif field == SCHEDULE:
            self.announce(model)
        elif field == "deprecated":
            if new is True:
                self.emit("model_deprecated", model=model, field="deprecated", old=old, new=True)
            else:
                self.emit("info_changed", model=model, field="deprecated", old=old, new=new)
        elif field == "shutdown_date" and new is not MISSING and old is MISSING:
            self.emit("model_deprecated", model=model, field="shutdown_date", new=new)
        elif field == "currency":
            if model not in self.repriced:
                self.emit("info_changed", model=model, field="currency", old=old, new=new)
        else:
            self.emit("info_changed", model=model, field=field, old=old, new=new)

    def quantity(self, kind: str, field: str, old: Any, new: Any, *, model: str | None = None,
                 tier: str | None = None) -> None:
        """A length (context, output): smaller is breaking, larger notable; one newly stated
        (`无 → 128K`) is notable; one no longer stated says nothing about its size."""
        if old is MISSING and isinstance(new, int):
            self.emit(kind, model=model, tier=tier, field=field, old=None, new=new,
                      severity="notable")
            return
        if old is MISSING or new is MISSING:
            self.emit("info_changed", model=model, tier=tier, field=field, old=old, new=new)
            return
        direction = _direction(old, new)
        if direction is None:
            self.emit("info_changed", model=model, tier=tier, field=field, old=old, new=new)
            return
        self.emit(kind, model=model, tier=tier, field=field, old=old, new=new,
                  severity="breaking" if direction < 0 else "notable",
                  change_pct=percent(old, new))

    def limit(self, rest: tuple[str, ...], old: Any, new: Any, tier: str | None) -> None:
        if not rest:  # a whole tier table appeared or went: one event per limit it states
            for key, value in sorted((new if old is MISSING else old).items()):
                self.limit((key,), MISSING if old is MISSING else value,
                           value if old is MISSING else MISSING, tier)
            return
        key = rest[0]
        if old is MISSING:
            self.emit("quota_added", tier=tier, field=key, new=new)
        elif new is MISSING:
            self.emit("quota_removed", tier=tier, field=key, old=old)
        elif key in RATE_LIMIT_KEYS:
            direction = _direction(old, new)
            if direction is None:
                self.emit("info_changed", tier=tier, field=key, old=old, new=new)
            elif direction:
                self.emit("quota_cut" if direction < 0 else "quota_raised", tier=tier, field=key,
                          old=old, new=new, change_pct=percent(old, new))
        else:
            kind = "output_changed" if key == "max_output" else "context_changed"
            self.quantity(kind, key, old, new, tier=tier)

    def band_prices(self, model: str, rest: tuple[str, ...], old: Any, new: Any) -> None:
        """A model's price bands (``price_tiers: {">200K": {"input_price": 10}}``): each band's
        price is a price of its own, told with the band's name; a band that comes or goes,
        price by price."""
        if len(rest) >= 2:
            self.price(model, rest[1], old, new, band=rest[0])
            return
        whole = new if old is MISSING else old
        for key, value in sorted(whole.items()):
            if len(rest) == 0:  # every band came or went
                self.band_prices(model, (key,), MISSING if old is MISSING else value,
                                 value if old is MISSING else MISSING)
            else:
                self.price(model, key, MISSING if old is MISSING else value,
                           value if old is MISSING else MISSING, band=rest[0])

    def price(self, model: str, field: str, old: Any, new: Any,
              band: str | None = None) -> None:
        models_old = self.old_facts.get("models", {}).get(model, {})
        models_new = self.new_facts.get("models", {}).get(model, {})
        cur_old, cur_new = models_old.get("currency"), models_new.get("currency")
        if old is MISSING:
            self.emit("price_added", model=model, band=band, field=field, new=new,
                      currency=cur_new)
            return
        if new is MISSING:
            self.emit("price_removed", model=model, band=band, field=field, old=old,
                      currency=cur_old)
            return
        direction = _direction(old, new)
        # Amounts in two currencies are not comparable, unless one side is free.
        comparable = cur_old == cur_new or old == 0 or new == 0
        # each side keeps its own currency: `¥1/M → $0.28/M`, never `1/M → 0.28/M`
        sides = {"currency": cur_new or cur_old, "old_currency": cur_old or cur_new}
        if direction is None or not comparable:
            self.emit("info_changed", model=model, band=band, field=field, old=old, new=new,
                      **sides)
        elif direction:
            self.emit("price_increase" if direction > 0 else "price_decrease", model=model,
                      band=band, field=field, old=old, new=new,
                      change_pct=percent(old, new) if cur_old == cur_new else None, **sides)

    def announce(self, model: str) -> None:
        """The price changes a model's schedule newly announces (each with its effective day,
        directed from the price before that day), and those withdrawn with nothing in their
        place (info_changed: the price that was to come, to nothing)."""
        if model in self.announced:
            return
        self.announced.add(model)
        old = self.old_facts.get("models", {}).get(model)
        new = self.new_facts.get("models", {}).get(model) or {}
        cur_old = (old or {}).get("currency")
        sides = {"currency": new.get("currency") or cur_old,
                 "old_currency": cur_old or new.get("currency")}
        told, withdrawn = announcements(old, new)
        for field, band, day, before, after in told:
            if before is None or after is None:
                self.emit("price_added" if before is None else "price_removed", model=model,
                          band=band, field=field, old=before, new=after, effective=day,
                          currency=sides["currency"])
                continue
            direction = _direction(before, after)
            if direction:
                self.emit("price_increase" if direction > 0 else "price_decrease", model=model,
                          band=band, field=field, old=before, new=after, effective=day,
                          change_pct=percent(before, after), **sides)
            else:
                self.emit("info_changed", model=model, band=band, field=field, old=before,
                          new=after, effective=day, **sides)
        for field, band, day, coming in withdrawn:
            self.emit("info_changed", model=model, band=band, field=field, old=coming,
                      new=None, effective=day, **sides)

    def service_type(self, old: Any, new: Any) -> None:
        """Any change of 服务类型 (the service type: its field and kind keep the name "tier",
        contracts of the ledger) is a tier_changed; only between the known types does it have a
        direction ("免费额度（每日 100 万 Token）" has none, so it is info)."""
        if old is MISSING or new is MISSING:
            self.emit("info_changed", field="tier", old=old, new=new)
        elif old in SERVICE_TYPES and new in SERVICE_TYPES:
            worse = SERVICE_TYPES.index(new) > SERVICE_TYPES.index(old)
            self.emit("tier_changed", field="tier", old=old, new=new,
                      severity="breaking" if worse else "notable")
        else:
            self.emit("tier_changed", field="tier", old=old, new=new, severity="info")

    def credits(self) -> None:
        """One credits_changed event for the whole of trial_credits, however many keys moved."""
        if any(e.kind == "credits_changed" for e in self.events):
            return
        old = self.old_facts.get("trial_credits", MISSING)
        new = self.new_facts.get("trial_credits", MISSING)
        if old is MISSING or new is MISSING:
            severity = "breaking" if new is MISSING else "notable"
            self.emit("credits_changed", field="trial_credits", old=old, new=new,
                      severity=severity)
            return
        direction = None
        comparable = old.get("currency") == new.get("currency") \
            and old.get("period") == new.get("period")  # $5/月 is not more than $10 once
        if comparable:
            direction = _direction(old.get("amount"), new.get("amount")) or None
        if direction is None:
            direction = _direction(old.get("valid_days"), new.get("valid_days")) or None
        severity = "info" if direction is None else ("breaking" if direction < 0 else "notable")
        pct = percent(old.get("amount"), new.get("amount")) if comparable else None
        self.emit("credits_changed", field="trial_credits", old=old, new=new, severity=severity,
                  change_pct=pct)


def _dedupe(events: list[Event]) -> list[Event]:
    """One event per id; one model_deprecated per model (a flag and a date in one edit)."""
    seen: set[Any] = set()
    unique = []
    for event in sorted(events, key=lambda e: e.field != "shutdown_date"):
        key = (event.kind, event.model) if event.kind == "model_deprecated" else event.id
        if key not in seen:
            seen.add(key)
            unique.append(event)
    return unique


def classify(ref: ServiceRef, commit: CommitInfo, old_facts: dict[str, Any],
             new_facts: dict[str, Any], changes: list[FieldChange]) -> list[Event]:
    """The events of one service at one commit, from the changes ``diff_facts`` found."""
    return Classifier(ref, commit, old_facts, new_facts).run(changes)


def commit_events(info: CommitInfo, before: dict[str, dict[str, Any] | None],
                  services: dict[str, Service], facts: dict[str, dict[str, Any]],
                  renamed: dict[str, str]) -> list[Event]:
    """The events of one commit: ``before`` holds the facts (None: absent) of every service the
    commit touched, ``services`` and ``facts`` what is in force after it, ``renamed`` the
    services git saw move (old id → new id). Services added, removed or renamed, and every
    change of the ones that stayed."""
    events: list[Event] = []
    before = dict(before)
    renamed = {**_moved_by_content(before, services, facts), **renamed}
    for old_id, new_id in sorted(renamed.items()):
        if before.get(new_id) is None and new_id in services \
                and old_id not in services and before.get(old_id) is not None:
            events.append(make_event(_ref(services[new_id]), info, "service_renamed",
                                     field="id", old=old_id, new=new_id))
            old_facts = before.pop(old_id)
            assert old_facts is not None
            before[new_id] = old_facts
    for sid in sorted(before):
        old_facts, service = before[sid], services.get(sid)
        if old_facts is None and service is not None:
            events.append(make_event(_ref(service), info, "service_added", new=facts[sid]))
            # its models' announced price changes are told too (as a new model's are)
            scheduled = Classifier(_ref(service), info, {}, facts[sid])
            for model_id, model in sorted((facts[sid].get("models") or {}).items()):
                if isinstance(model, dict) and model.get(SCHEDULE):
                    scheduled.announce(model_id)
            events += scheduled.events
        elif old_facts is not None and service is None:
            ref = ServiceRef(sid, old_facts.get("name"), old_facts.get("provider"), "")
            events.append(make_event(ref, info, "service_removed", old=old_facts))
        elif old_facts is not None and service is not None:
            new_facts = facts[sid]
            changes = diff_facts(old_facts, new_facts)
            if changes:
                events += classify(_ref(service), info, old_facts, new_facts, changes)
    return events


def _moved_by_content(before: dict[str, dict[str, Any] | None], services: dict[str, Service],
                      facts: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Services that went and came in one commit with the same endpoint or name: a move that
    git did not pair because the page was also rewritten."""
    gone = {sid: old for sid, old in before.items() if old is not None and sid not in services}
    came = {sid: facts[sid] for sid, old in before.items() if old is None and sid in services}
    moved: dict[str, str] = {}
    for key in ("endpoint", "name"):
        for old_id, old_facts in sorted(gone.items()):
            matches = [new_id for new_id, new_facts in sorted(came.items())
                       if old_facts.get(key) and new_facts.get(key) == old_facts.get(key)
                       and new_id not in moved.values()]
            if old_id not in moved and len(matches) == 1:
                moved[old_id] = matches[0]
    return moved


def _ref(service: Service) -> ServiceRef:
    return ServiceRef(service.id, service.name, service.provider, service.path)
