"""An event's time has one reader, ``Event.moment`` (``parse_moment`` for a bare date string): the
offset as written, and no offset means UTC — never the zone of the machine the tracker runs on.
The tests run in far zones (UTC+14 and UTC-12) so a reader that falls back on local time shows."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tracker.config import load_config
from tracker.ledger import Ledger
from tracker.model import Event, parse_moment
from tracker.render.series import build_series


@pytest.fixture(params=["Pacific/Kiritimati", "Etc/GMT+12"])
def far_zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if not Path("/usr/share/zoneinfo", request.param).exists():
        pytest.skip(f"no tz data for {request.param}")
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    # the machine's zone really moved: local midnight of the epoch is not UTC midnight
    assert datetime(1970, 1, 2).astimezone(UTC) != datetime(1970, 1, 2, tzinfo=UTC)
    yield request.param
    monkeypatch.undo()
    time.tzset()


def event(n: int, date: str, **values: Any) -> Event:
    base: dict[str, Any] = dict(id=f"{n:016x}", date=date, commit="c" * 40,
                                path="services/api/acme/_index.md", service="acme",
                                service_name="Acme", provider="acme", model=None,
                                kind="quota_cut", field="concurrency", old=10, new=n,
                                change_pct=None, severity="breaking")
    return Event(**{**base, **values})


def test_the_offset_as_written_and_none_means_utc(far_zone: str) -> None:
    east = parse_moment("2025-01-01T10:00:00+08:00")
    assert east.utcoffset() == timedelta(hours=8) and east.date().isoformat() == "2025-01-01"
    assert parse_moment("2025-01-01T10:00:00") == datetime(2025, 1, 1, 10, tzinfo=UTC)
    assert parse_moment("2025-01-01") == datetime(2025, 1, 1, tzinfo=UTC)
    assert event(1, "2025-01-01T10:00:00-05:00").moment == datetime(
        2025, 1, 1, 10, tzinfo=timezone(timedelta(hours=-5)))
    with pytest.raises(ValueError):
        parse_moment("last Tuesday")


# 10:00 UTC, 04:00 UTC and 08:00 UTC: in this order by instant, B, C, A
NAIVE = "2025-01-01T10:00:00"
DATES = {"A": NAIVE, "B": "2025-01-01T12:00:00+08:00", "C": "2025-01-01T07:00:00-01:00"}


def test_the_ledger_files_a_date_without_offset_as_utc(far_zone: str, tmp_path: Path) -> None:
    events = [event(i, date) for i, date in enumerate(DATES.values(), start=1)]
    [written] = Ledger(load_config(tmp_path)).add_events(events)
    assert written.name == "2025-01.yaml"
    read = Ledger(load_config(tmp_path)).events()
    assert [e.date for e in read] == [DATES["B"], DATES["C"], DATES["A"]]


def test_series_steps_of_a_date_without_offset_are_at_its_utc_instant(far_zone: str) -> None:
    [acme] = build_series([event(1, NAIVE, new=1),
                           event(2, DATES["B"], new=2)]).values()
    [concurrency] = acme.limits()
    # B (04:00 UTC, its old value held until then) first though its wall clock reads later;
    # A at 10:00 UTC wherever this runs
    assert [(s.when.astimezone(UTC).hour, s.value) for s in concurrency.steps] == [
        (4, 10), (4, 2), (10, 1)]


def test_no_other_reader_of_a_date() -> None:
    """datetime.fromisoformat has one caller in the tracker's own code, parse_moment: a reader
    elsewhere would need the no-offset rule again (the ledger's lacked it)."""
    source = Path(__file__).resolve().parent.parent / "src" / "tracker"
    readers = [f"{path.relative_to(source)}: {line.strip()}"
               for path in sorted(source.rglob("*.py"))
               for line in path.read_text(encoding="utf-8").splitlines()
               if "datetime.fromisoformat(" in line or ".date[:" in line]
    assert readers == ["model.py: when = datetime.fromisoformat(date)"]
