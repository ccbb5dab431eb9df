"""The ledger replayed into time series: each rate limit and model price of a service, as in force
after each event. What the charts are drawn from (``render/charts.py``); no drawing here.

A ``service_added`` event carries the service's facts, a ``model_added`` the model's; every later
event of a quantity is one step of its series (``quota_cut`` 14,400 → 1,000 is a step to 1,000, a
``quota_removed`` or ``model_removed`` a step to "not stated"). A rename carries the history over
to the new id. When the ledger starts after a service appeared, a series begins with the first
event's old value at the service's first date, so no known value is lost.

An announced price change (an event with an ``effective`` day) is no step when it is announced:
it is a step on its day, if that day has come by the ledger's newest event and no later
announcement of the same price, made before the day, replaced or withdrew it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tracker.model import RATE_LIMIT_KEYS, Event, instant, parse_moment

CHARTED_PRICES = ("input_price", "output_price")
# Kinds whose field names a rate limit or a price; others (context, tier, …) are not charted.
_LIMIT_KINDS = frozenset({"quota_cut", "quota_raised", "quota_added", "quota_removed",
                          "info_changed"})
_PRICE_KINDS = frozenset({"price_increase", "price_decrease", "price_added", "price_removed",
                          "info_changed"})


@dataclass(frozen=True)
class Step:
    """From ``when`` on, the quantity is ``value``: a number, "unlimited", raw text, or None
    (not stated). ``event`` is the id of the ledger event that set it ("" for a value the ledger
    only knows as the old side of its first event)."""

    when: datetime
    value: Any
    event: str
    currency: str | None = None


@dataclass
class Series:
    """One quantity over time: a rate limit (of the service or one quota tier) or a model's
    input or output price."""

    field: str
    tier: str | None = None
    model: str | None = None
    steps: list[Step] = dataclasses.field(default_factory=list)
    # whether it ever took another value: charts.changed's answer, kept until a step is added
    changed: bool | None = dataclasses.field(default=None, compare=False, repr=False)

    def add(self, step: Step) -> None:
        self.changed = None
        # one step per event: a second change of the same quantity in one event replaces it
        if self.steps and self.steps[-1].event == step.event:
            self.steps[-1] = step
        else:
            self.steps.append(step)

    @property
    def current(self) -> Any:
        return self.steps[-1].value if self.steps else None


@dataclass
class ServiceSeries:
    """Every charted quantity of one service, with the span of its history."""

    service: str
    name: str
    start: datetime
    end: datetime
    series: dict[tuple[str, str, str], Series] = dataclasses.field(default_factory=dict)

    def get(self, field_name: str, *, tier: str | None = None,
            model: str | None = None) -> Series:
        key = (model or "", tier or "", field_name)
        if key not in self.series:
            self.series[key] = Series(field_name, tier, model)
        return self.series[key]

    def limits(self) -> list[Series]:
        """Rate-limit series, service-wide before quota tiers, in the order of RATE_LIMIT_KEYS."""
        found = [s for s in self.series.values() if s.model is None]
        return sorted(found, key=lambda s: (s.tier or "", RATE_LIMIT_KEYS.index(s.field)))

    def prices(self, model: str) -> list[Series]:
        return [self.series[key] for key in ((model, "", side) for side in CHARTED_PRICES)
                if key in self.series]

    def models(self) -> list[str]:
        return sorted({s.model for s in self.series.values() if s.model is not None})


def _set(history: ServiceSeries, series: Series, when: datetime, value: Any, event: Event,
         old: Any = None, currency: str | None = None) -> None:
    if not series.steps and old is not None and when >= history.start:
        # the ledger began after this value was stated: it held from the first known date (at
        # that very instant when this change is the service's first event: still a change)
        series.add(Step(history.start, old, "", currency))
    series.add(Step(when, value, event.id, currency))


def _apply_facts(history: ServiceSeries, facts: dict[str, Any], when: datetime,
                 event: Event) -> None:
    """A whole service's facts (service_added): one step for each limit and price stated."""
    for key, value in (facts.get("limits") or {}).items():
        if key in RATE_LIMIT_KEYS:
            _set(history, history.get(key), when, value, event)
    for tier, limits in sorted((facts.get("tiers") or {}).items()):
        for key, value in (limits or {}).items():
            if key in RATE_LIMIT_KEYS:
                _set(history, history.get(key, tier=tier), when, value, event)
    for model, data in (facts.get("models") or {}).items():
        _apply_model(history, model, data or {}, when, event)


def _apply_model(history: ServiceSeries, model: str, data: dict[str, Any], when: datetime,
                 event: Event) -> None:
    for side in CHARTED_PRICES:
        if side in data:
            _set(history, history.get(side, model=model), when, data[side], event,
                 currency=data.get("currency"))


def _end_all(history: ServiceSeries, when: datetime, event: Event,
             model: str | None = None) -> None:
    """Every open series (of ``model`` only, when given) stops being stated."""
    # a model's prices by their keys: not a scan of every series
    chosen = history.prices(model) if model is not None else list(history.series.values())
    for series in chosen:
        if series.current is not None:
            series.add(Step(when, None, event.id))


def _apply(history: ServiceSeries, event: Event, when: datetime) -> None:
    kind, name = event.kind, event.field
    if kind == "service_added" and isinstance(event.new, dict):
        _apply_facts(history, event.new, when, event)
    elif kind == "service_removed":
        _end_all(history, when, event)
    elif kind == "model_added" and event.model:
        _apply_model(history, event.model, event.new if isinstance(event.new, dict) else {},
                     when, event)
    elif kind == "model_removed" and event.model:
        _end_all(history, when, event, model=event.model)
    elif name in RATE_LIMIT_KEYS and event.model is None and kind in _LIMIT_KINDS:
        _set(history, history.get(name, tier=event.tier), when, event.new, event, old=event.old)
    elif name in CHARTED_PRICES and event.model and kind in _PRICE_KINDS and not event.band:
        # a price band's price (">200K", "UTC 00:30–16:30") is not the model's price
        _set(history, history.get(name, model=event.model), when, event.new, event,
             old=event.old, currency=event.currency)


def _taking_effect(ordered: list[Event]) -> list[tuple[datetime, Event]]:
    """The announced changes that took effect by the newest event: (their day, the event)."""
    pending: dict[tuple[str, str | None, str | None, str | None], list[tuple[datetime, Event]]]
    pending = {}
    for event in ordered:
        if not event.effective:
            continue
        try:
            day = parse_moment(event.effective[:10])  # a day: its UTC midnight
        except ValueError:
            continue
        key = (event.service, event.model, event.field, event.band)
        when = event.moment
        # an earlier commit's change not yet due is replaced; one of this commit stays (a
        # schedule may announce several days for one price at once)
        kept = [(d, e) for d, e in pending.get(key, []) if d <= when or e.moment == when]
        if not (event.kind == "info_changed" and event.new is None):  # a withdrawal adds none
            kept.append((day, event))
        pending[key] = kept
    last = ordered[-1].moment if ordered else None
    return [(day, e) for found in pending.values() for day, e in found
            if last is not None and day <= last]


def build_series(events: Iterable[Event]) -> dict[str, ServiceSeries]:
    """Every service's charted quantities, by service id (a renamed service under its new id).

    ``events`` are the ledger's events after overrides, in any order; they are replayed oldest
    first, ties broken by id, so the result never depends on the order given.
    """
    ordered = sorted(events, key=lambda e: (instant(e.date), e.service, e.id))
    # (when, its instant, event, whether it sets a value then): an announcement marks its
    # service's span when it is made and sets the price on its day
    timeline = [(e.moment, instant(e.date), e, not e.effective) for e in ordered]
    timeline += [(day, day.timestamp(), e, True) for day, e in _taking_effect(ordered)]
    timeline.sort(key=lambda t: (t[1], t[2].service, t[2].id, t[3]))
    histories: dict[str, ServiceSeries] = {}
    for when, _, event, sets in timeline:
        if event.kind == "service_renamed" and isinstance(event.old, str):
            moved = histories.pop(event.old, None)
            if moved is not None and event.service not in histories:
                moved.service = event.service
                histories[event.service] = moved
        history = histories.get(event.service)
        if history is None:
            history = ServiceSeries(event.service, event.service_name or event.service,
                                    when, when)
            histories[event.service] = history
        history.name = event.service_name or history.name
        history.end = max(history.end, when)
        if sets:
            _apply(history, event, when)
    for history in histories.values():
        history.series = {key: s for key, s in history.series.items() if s.steps}
    return histories


def events_of(events: list[Event], services: set[str]) -> list[Event]:
    """The events whose replay decides what ``services`` end with — their charts' series, their
    calendar entries — so that the whole ledger is not replayed for one service: theirs, those
    of every service renamed into one of them (its history moves with the name, see
    build_series), and the renames out of one of them (which take its history away). A replay
    moves a service's state only by its own events and renames: these give the same state of
    ``services`` as all the events do."""
    wanted = set(services)
    while True:
        renamed = {e.old for e in events if e.kind == "service_renamed"
                   and e.service in wanted and isinstance(e.old, str)} - wanted
        if not renamed:
            break
        wanted |= renamed
    return [e for e in events if e.service in wanted
            or e.kind == "service_renamed" and isinstance(e.old, str) and e.old in wanted]
