"""render/series: the ledger replayed into step series, what the charts are drawn from."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.model import Event, instant, parse_moment
from tracker.render.series import build_series

FACTS = {"limits": {"requests_per_day": 14400, "max_context": 131072},
         "tiers": {"Pro": {"requests_per_minute": 20}},
         "models": {"m1": {"input_price": 0.28, "output_price": 0.42, "currency": "USD",
                           "context": 8192}}}


def event(n: int, kind: str, date: str, service: str = "acme", **values: Any) -> Event:
    base: dict[str, Any] = dict(id=f"{n:016x}", date=date, commit="c" * 40,
                                path=f"services/api/{service}/_index.md", service=service,
                                service_name=service.title(), provider=service, model=None,
                                kind=kind, field=None, old=None, new=None, change_pct=None,
                                severity="info")
    return Event(**{**base, **values})


def steps(series: Any) -> list[tuple[str, Any]]:
    return [(s.when.date().isoformat(), s.value) for s in series.steps]


HISTORY = [
    event(1, "service_added", "2025-01-01T10:00:00+08:00", new=FACTS),
    event(2, "quota_cut", "2025-02-01T10:00:00+08:00", field="requests_per_day", old=14400,
          new=1000),
    event(3, "price_increase", "2025-03-01T10:00:00+08:00", model="m1", field="input_price",
          old=0.28, new=0.56, currency="USD"),
    event(4, "quota_raised", "2025-03-05T10:00:00+08:00", field="requests_per_minute",
          tier="Pro", old=20, new="unlimited"),
    event(5, "context_changed", "2025-03-06T10:00:00+08:00", field="max_context", old=131072,
          new=65536),
    event(6, "model_removed", "2025-04-01T10:00:00+08:00", model="m1"),
]


def test_each_charted_quantity_is_a_series_of_steps() -> None:
    [acme] = build_series(HISTORY).values()
    assert (acme.service, acme.name) == ("acme", "Acme")
    assert (acme.start.date().isoformat(), acme.end.date().isoformat()) == (
        "2025-01-01", "2025-04-01")
    [daily, pro] = acme.limits()  # service-wide before tiers; the context is not charted
    assert (daily.field, daily.tier, pro.field, pro.tier) == (
        "requests_per_day", None, "requests_per_minute", "Pro")
    assert steps(daily) == [("2025-01-01", 14400), ("2025-02-01", 1000)]
    assert steps(pro) == [("2025-01-01", 20), ("2025-03-05", "unlimited")]
    assert acme.models() == ["m1"]
    price_in, price_out = acme.prices("m1")
    assert steps(price_in) == [("2025-01-01", 0.28), ("2025-03-01", 0.56), ("2025-04-01", None)]
    assert steps(price_out) == [("2025-01-01", 0.42), ("2025-04-01", None)]
    assert price_in.steps[1].currency == "USD" and price_in.steps[1].event == f"{3:016x}"


def test_the_order_events_come_in_does_not_matter() -> None:
    shuffled = HISTORY[:]
    random.Random(7).shuffle(shuffled)
    expected = build_series(HISTORY)["acme"]
    got = build_series(shuffled)["acme"]
    assert [steps(s) for s in got.series.values()] == [steps(s)
                                                       for s in expected.series.values()]


def test_a_ledger_starting_late_keeps_the_first_old_value() -> None:
    [acme] = build_series([
        event(1, "quota_added", "2025-01-01T00:00:00+00:00", field="tokens_per_day", new=5),
        event(2, "quota_cut", "2025-02-01T00:00:00+00:00", field="requests_per_day", old=14400,
              new=1000),
    ]).values()
    [daily, tokens] = acme.limits()
    # the cut's old value held from the first date the ledger knows, set by no event
    assert steps(daily) == [("2025-01-01", 14400), ("2025-02-01", 1000)]
    assert daily.steps[0].event == "" and steps(tokens) == [("2025-01-01", 5)]


def test_a_rename_carries_the_history_and_a_removal_ends_it() -> None:
    result = build_series([
        *HISTORY[:2],
        event(7, "service_renamed", "2025-05-01T00:00:00+00:00", service="acme2",
              field="id", old="acme", new="acme2"),
        event(8, "service_removed", "2025-06-01T00:00:00+00:00", service="acme2"),
    ])
    assert list(result) == ["acme2"]
    [daily, _] = result["acme2"].limits()
    assert steps(daily) == [("2025-01-01", 14400), ("2025-02-01", 1000), ("2025-06-01", None)]



@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)),
       st.one_of(st.none(), st.integers(min_value=-14 * 60, max_value=14 * 60)))
def test_instant_is_the_timestamp_of_the_date(when: datetime, offset: int | None) -> None:
    """model.instant, which the ledger and the renderers sort events by, is the timestamp of the moment the
    date names (with or without an offset, which is then UTC): asked twice, from its memo."""
    if offset is not None:
        when = when.replace(tzinfo=timezone(timedelta(minutes=offset)))
    text = when.isoformat()
    assert instant(text) == parse_moment(text).timestamp()
    assert instant(text) == parse_moment(text).timestamp()
