"""The calendar: announced model shutdowns and announced price changes → ``feeds/shutdowns.ics``
(RFC 5545; the file keeps its name, so existing subscriptions get the price changes too).

One all-day event per model with a known shutdown date: from ``model_deprecated`` events that
carry a date, and from the ``shutdown_date`` in the facts of a new service or model (records map
their ``deprecation_date`` there). The UID comes from the id of the event that first announced
the date, so a rebase or a re-walk keeps it. When the date moves, the event keeps its UID and its
SEQUENCE goes up; when the shutdown is withdrawn (the date or the deprecation is removed, the model
is added again without a date) or a maintainer retracts the announcing event in overrides.yaml, it
stays with ``STATUS:CANCELLED`` so subscribed calendars drop it. Every stamp comes from the ledger,
never the clock: the same history gives the same bytes. The only module importing icalendar.

An announced price change (a price event with an ``effective`` day, see tracker.dated) is one
all-day event on that day per model and price (field and band): a later announcement for the same
price moves or updates it (same UID, SEQUENCE up), a withdrawal (``info_changed`` to nothing with
an effective day) or a retraction cancels it. When the day arrives the event simply stays. A
schedule announcing several days for one price at once shows the latest on the calendar (the
ledger and feeds tell each).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import quote

from tracker import i18n
from tracker.model import Event, instant
from tracker.render import visible
from tracker.render.names import site_names
from tracker.render.series import events_of
from tracker.site import service_url

if TYPE_CHECKING:
    import icalendar

    from tracker.config import Config
    from tracker.ledger import Override

CALENDAR_FILE = "shutdowns.ics"
PRODID = "-//tracker//model shutdowns//EN"


@dataclass(frozen=True)
class Shutdown:
    """The calendar event of one model's shutdown, as the ledger stands after some event."""

    uid: str
    service: str
    service_name: str
    model: str
    day: date
    sequence: int
    cancelled: bool
    created: datetime
    stamp: datetime


def shutdown_day(value: Any) -> date | None:
    """A stated shutdown date as a day, or None when it is not one (free text)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return None


def _announced(event: Event) -> list[tuple[str, Any]]:
    """(model, stated shutdown date) pairs an event states; [(model, None)] for a model added
    again without one."""
    if event.kind == "model_deprecated" and event.field == "shutdown_date" and event.model:
        return [(event.model, event.new)]
    if event.kind == "model_added" and event.model:
        facts = event.new if isinstance(event.new, dict) else {}
        return [(event.model, facts.get("shutdown_date"))]
    if event.kind == "service_added" and isinstance(event.new, dict):
        models = event.new.get("models") or {}
        return [(m, f.get("shutdown_date")) for m, f in sorted(models.items())
                if isinstance(f, dict) and f.get("shutdown_date")]
    return []


Item = TypeVar("Item", "Shutdown", "PriceChange")


class _Replay(ABC, Generic[Item]):
    """Calendar events keyed by (service, what they are about…), moved along by each event of
    the ledger in order; a subclass says how one event moves them (``apply``)."""

    def __init__(self) -> None:
        self.current: dict[tuple[str, ...], Item] = {}

    @abstractmethod
    def apply(self, event: Event) -> None:
        """Move the calendar events along by one event of the ledger."""

    def run(self, ordered: Iterable[Event], overrides: Mapping[str, Override]) -> list[Item]:
        """Every calendar event the ledger ever announced, cancelled ones included."""
        for event in ordered:
            override = overrides.get(event.id)
            before = dict(self.current)
            self.apply(event if override is None else override.apply(event))
            if override is not None and override.retract:
                self._undo(before, event)
        return list(self.current.values())

    def _renamed(self, event: Event) -> bool:
        """A renamed service takes its calendar events along (same UIDs)."""
        if event.kind != "service_renamed" or not isinstance(event.old, str):
            return False
        key: tuple[str, ...]
        for key in sorted(self.current):
            if key[0] == event.old:
                known = self.current.pop(key)
                self.current[(event.service, *key[1:])] = replace(known, service=event.service)
        return True

    def _undo(self, before: dict[tuple[str, ...], Item], event: Event) -> None:
        """A retracted event: what it changed goes back, as a newer version of each event."""
        when = event.moment.astimezone(UTC)
        for key, after in list(self.current.items()):
            old = before.get(key)
            if old == after:
                continue
            if old is None:
                self.current[key] = replace(after, cancelled=True, sequence=after.sequence + 1,
                                            stamp=when)
            else:
                self.current[key] = replace(old, sequence=after.sequence + 1, stamp=when)


class _ShutdownReplay(_Replay[Shutdown]):
    """Shutdowns keyed by (service, model)."""

    def _set(self, event: Event, model: str, day: date | None, *, withdraw: bool = False) -> None:
        key, when = (event.service, model), event.moment.astimezone(UTC)
        name = event.service_name or event.service
        known = self.current.get(key)
        if known is None:
            if day is not None and not withdraw:
                self.current[key] = Shutdown(event.id, event.service, name, model, day, 0,
                                             False, when, when)
            return
        if withdraw or day is None:
            if not known.cancelled:
                self.current[key] = replace(known, cancelled=True, sequence=known.sequence + 1,
                                            stamp=when)
        elif known.cancelled or day != known.day:
            self.current[key] = replace(known, day=day, cancelled=False, service_name=name,
                                        sequence=known.sequence + 1, stamp=when)

    def apply(self, event: Event) -> None:
        if self._renamed(event):
            return
        for model, stated in _announced(event):
            day = shutdown_day(stated)
            if day is not None or event.kind == "model_added":
                # a model added again without a date is back: its shutdown is off
                self._set(event, model, day, withdraw=day is None)
        if event.model and event.kind == "info_changed":
            if event.field == "shutdown_date":
                day = shutdown_day(event.new)
                self._set(event, event.model, day, withdraw=day is None)
            elif event.field == "deprecated" and not event.new:
                self._set(event, event.model, None, withdraw=True)

def services_on_calendar(raw_events: Iterable[Event], overrides: Mapping[str, Override],
                         among: set[str] | None = None) -> set[str]:
    """The services the calendar has an entry for, cancelled ones included (tracker.plan
    renders the calendar only when one of them has a new event or changed files); with
    ``among``, only those of them, found by replaying their events alone (``events_of``)
    rather than the whole ledger's."""
    events = list(raw_events)
    if among is not None:
        # the renames as the replay sees them: an override may make an event one (its kind)
        seen = [overrides[e.id].apply(e) if e.id in overrides else e for e in events]
        kept = set(map(id, events_of(seen, among)))
        events = [event for event, as_seen in zip(events, seen, strict=True) if id(as_seen) in kept]
    found = ({shutdown.service for shutdown in shutdowns(events, overrides)}
             | {change.service for change in price_changes(events, overrides)})
    return found if among is None else found & among


def shutdowns(raw_events: Iterable[Event], overrides: Mapping[str, Override]) -> list[Shutdown]:
    """Every shutdown the ledger ever announced, cancelled ones included, by date then model."""
    ordered = sorted(raw_events, key=lambda e: (instant(e.date), e.service, e.id))
    return sorted(_ShutdownReplay().run(ordered, overrides),
                  key=lambda s: (s.day, s.service, s.model, s.uid))


@dataclass(frozen=True)
class PriceChange:
    """The calendar event of one announced change of one model's price (field and price band)."""

    uid: str
    service: str
    service_name: str
    model: str
    kind: str  # of the announcing event: price_increase, price_decrease, …
    field: str
    band: str | None
    day: date
    old: Any
    new: Any
    currency: str | None
    old_currency: str | None
    change_pct: float | None
    sequence: int
    cancelled: bool
    created: datetime
    stamp: datetime


_PRICE_KINDS = ("price_increase", "price_decrease", "price_added", "price_removed",
                "info_changed")


class _PriceReplay(_Replay[PriceChange]):
    """Announced price changes keyed by (service, model, field, price band)."""

    def apply(self, event: Event) -> None:
        if self._renamed(event):
            return
        day = shutdown_day(event.effective) if event.effective else None
        if day is None or event.kind not in _PRICE_KINDS or not event.model or not event.field:
            return
        key = (event.service, event.model, event.field, event.band or "")
        when, name = event.moment.astimezone(UTC), event.service_name or event.service
        known = self.current.get(key)
        if event.kind == "info_changed" and event.new is None:  # withdrawn
            if known is not None and not known.cancelled:
                self.current[key] = replace(known, cancelled=True,
                                            sequence=known.sequence + 1, stamp=when)
            return
        old_currency, currency = event.currencies
        item = PriceChange(event.id, event.service, name, event.model, event.kind, event.field,
                           event.band, day, event.old, event.new, currency, old_currency,
                           event.change_pct, 0, False, when, when)
        if known is None:
            self.current[key] = item
        elif (known.day, known.old, known.new, known.cancelled) != (day, event.old, event.new,
                                                                     False):
            self.current[key] = replace(item, uid=known.uid, created=known.created,
                                        sequence=known.sequence + 1)

def price_changes(raw_events: Iterable[Event], overrides: Mapping[str, Override]
                  ) -> list[PriceChange]:
    """Every price change the ledger ever announced, cancelled ones included, by day."""
    # one event per price: of several days one commit announces for it, the latest is shown
    ordered = sorted(raw_events, key=lambda e: (instant(e.date), e.service,
                                                e.effective or "", e.id))
    return sorted(_PriceReplay().run(ordered, overrides),
                  key=lambda p: (p.day, p.service, p.model, p.field, p.band or "", p.uid))


def _price_item(change: PriceChange, service_name: str, lang: str,
                link: str) -> icalendar.Event:
    probe = Event(id=change.uid, date="", commit="", path="", service=change.service,
                  service_name=change.service_name, provider=None, model=change.model,
                  kind=change.kind, field=change.field, old=change.old, new=change.new,
                  change_pct=change.change_pct, severity="", band=change.band,
                  currency=change.currency, old_currency=change.old_currency,
                  effective=change.day.isoformat())
    what = visible(i18n.summarize(probe, lang))
    name = visible(service_name)
    return _all_day(f"tracker-price-{change.uid}", change,
                    i18n.text("price_summary", lang, what=what, name=name),
                    i18n.text("price_description", lang, what=what, name=name), link)


def _all_day(uid: str, version: Shutdown | PriceChange, summary: str, description: str,
             link: str) -> icalendar.Event:
    """One all-day calendar event on ``version.day``, stamped from the ledger, never the clock."""
    import icalendar  # as in build_calendar

    item = icalendar.Event()
    item.add("uid", uid)
    item.add("dtstamp", version.stamp)
    item.add("created", version.created)
    item.add("last-modified", version.stamp)
    item.add("sequence", version.sequence)
    item.add("status", "CANCELLED" if version.cancelled else "CONFIRMED")
    item.add("summary", summary)
    item.add("description", description + "\n" + link)
    item.add("url", link)
    item.add("dtstart", version.day)
    item.add("dtend", version.day + timedelta(days=1))
    item.add("transp", "TRANSPARENT")
    return item


def build_calendar(raw_events: Iterable[Event], overrides: Mapping[str, Override],
                   config: Config) -> bytes:
    """``shutdowns.ics``: the calendar of every announced shutdown, in the feeds' language."""
    # here, not at the top: 55–65 ms to import (-X importtime), and an update renders the
    # calendar only with a new event (tracker.plan); updates.py reads CALENDAR_FILE
    import icalendar

    lang = config.feeds.lang
    title = config.feeds.title_en if lang == "en" else config.feeds.title
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    name = visible(i18n.text("calendar_name", lang, title=title))
    cal.add("name", name)
    cal.add("x-wr-calname", name)
    events = list(raw_events)  # read twice: shutdowns, then price changes
    names = site_names(events, config, lang)  # the one name of each service in ``lang``
    for shutdown in shutdowns(events, overrides):
        model = visible(shutdown.model)
        service_name = visible(names.service(shutdown.service, shutdown.service_name))
        link = service_url(config, quote(visible(shutdown.service), safe=""), lang)
        cal.add_component(_all_day(
            f"tracker-shutdown-{shutdown.uid}", shutdown,
            i18n.text("shutdown_summary", lang, model=model, name=service_name),
            i18n.text("shutdown_description", lang, model=model, name=service_name,
                      date=shutdown.day.isoformat()), link))
    for change in price_changes(events, overrides):
        link = service_url(config, quote(visible(change.service), safe=""), lang)
        service_name = names.service(change.service, change.service_name)
        cal.add_component(_price_item(change, service_name, lang, link))
    return bytes(cal.to_ical())
