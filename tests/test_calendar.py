"""render/calendar.py: announced model shutdowns → shutdowns.ics, parsed back with icalendar."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import icalendar
import yaml

from conftest import GitRepo
from tracker.config import Config, FeedsConfig, load_config
from tracker.ledger import Ledger, Override
from tracker.model import Event
from tracker.pipeline import update
from tracker.render.calendar import build_calendar, services_on_calendar, shutdowns

PROJECT = Path(__file__).resolve().parent.parent


def event(n: int, date_: str, kind: str, *, model: str | None = "nimbus-1", field: str | None = None,
          old: object = None, new: object = None, service: str = "nimbus") -> Event:
    return Event(id=f"e{n:02d}", date=date_, commit="c" * 40, path="data/services/nimbus.yaml",
                 service=service, service_name="Nimbus API", provider="nimbus", model=model,
                 kind=kind, field=field, old=old, new=new, change_pct=None, severity="breaking")


ANNOUNCE = event(1, "2025-03-01T10:00:00+08:00", "model_deprecated", field="shutdown_date",
                 new="2025-06-30")


def parse(data: bytes) -> list[icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(data)
    return list(calendar.walk("VEVENT"))


def config() -> Config:
    return Config(root=Path("."), site_url="https://free-llm.example")


def test_one_all_day_event_with_service_and_link() -> None:
    (item,) = parse(build_calendar([ANNOUNCE], {}, config()))
    assert str(item["uid"]) == "tracker-shutdown-e01"
    assert item.decoded("dtstart") == date(2025, 6, 30)
    assert item.decoded("dtend") == date(2025, 7, 1)
    assert str(item["status"]) == "CONFIRMED" and item.decoded("sequence") == 0
    assert str(item["summary"]) == "nimbus-1 停用（Nimbus API）"
    description = str(item["description"])
    assert "Nimbus API" in description and "2025-06-30" in description
    assert "https://free-llm.example/services/api/nimbus/" in description
    assert str(item["url"]) == "https://free-llm.example/services/api/nimbus/"
    # stamped from the ledger, never the clock
    assert item.decoded("dtstamp").isoformat() == "2025-03-01T02:00:00+00:00"
    en = Config(root=Path("."), feeds=FeedsConfig(lang="en"))
    (english,) = parse(build_calendar([ANNOUNCE], {}, en))
    assert str(english["summary"]) == "nimbus-1 shuts down (Nimbus API)"
    assert "/en/services/api/nimbus/" in str(english["url"])


def test_a_moved_date_keeps_the_uid_and_bumps_the_sequence() -> None:
    moved = event(2, "2025-04-01T10:00:00+08:00", "info_changed", field="shutdown_date",
                  old="2025-06-30", new="2025-09-30")
    (item,) = parse(build_calendar([moved, ANNOUNCE], {}, config()))
    assert str(item["uid"]) == "tracker-shutdown-e01"
    assert item.decoded("dtstart") == date(2025, 9, 30) and item.decoded("sequence") == 1
    withdrawn = event(3, "2025-05-01T10:00:00+08:00", "info_changed", field="shutdown_date",
                      old="2025-09-30", new=None)
    (item,) = parse(build_calendar([ANNOUNCE, moved, withdrawn], {}, config()))
    assert str(item["status"]) == "CANCELLED" and item.decoded("sequence") == 2
    assert item.decoded("dtstart") == date(2025, 9, 30)


def test_cancelled_when_retracted_or_the_model_comes_back() -> None:
    (item,) = parse(build_calendar([ANNOUNCE], {"e01": Override(retract=True)}, config()))
    assert str(item["status"]) == "CANCELLED" and item.decoded("sequence") == 1
    # a retracted move goes back to the first date, as a newer version
    moved = event(2, "2025-04-01T10:00:00+08:00", "info_changed", field="shutdown_date",
                  old="2025-06-30", new="2025-09-30")
    (item,) = parse(build_calendar([ANNOUNCE, moved], {"e02": Override(retract=True)},
                                   config()))
    assert item.decoded("dtstart") == date(2025, 6, 30) and item.decoded("sequence") == 2
    assert str(item["status"]) == "CONFIRMED"
    undeprecated = event(4, "2025-05-01T10:00:00+08:00", "info_changed", field="deprecated",
                         old=True, new=None)
    (item,) = parse(build_calendar([ANNOUNCE, undeprecated], {}, config()))
    assert str(item["status"]) == "CANCELLED"
    removed = event(5, "2025-05-01T10:00:00+08:00", "model_removed", old={})
    back = event(6, "2025-05-20T10:00:00+08:00", "model_added", new={"context": 8192})
    (item,) = parse(build_calendar([ANNOUNCE, removed, back], {}, config()))
    assert str(item["status"]) == "CANCELLED" and item.decoded("sequence") == 1
    (item,) = parse(build_calendar([ANNOUNCE, removed], {}, config()))
    assert str(item["status"]) == "CONFIRMED"  # removed on time: the shutdown happened


def test_a_retraction_that_cancels_stamps_the_change_with_its_moment() -> None:
    renamed = event(2, "2025-04-01T10:00:00+08:00", "service_renamed", model=None, field="id",
                    old="nimbus", new="cumulus", service="cumulus")
    (item,) = parse(build_calendar([ANNOUNCE, renamed], {"e02": Override(retract=True)},
                                   config()))
    assert str(item["status"]) == "CANCELLED" and item.decoded("sequence") == 1
    # a newer version of the event: stamped when the retracted change happened, not before
    assert item.decoded("dtstamp").isoformat() == "2025-04-01T02:00:00+00:00"
    assert item.decoded("last-modified").isoformat() == "2025-04-01T02:00:00+00:00"
    assert item.decoded("created").isoformat() == "2025-03-01T02:00:00+00:00"


def test_dates_stated_with_new_services_and_models() -> None:
    """Record catalogues map deprecation_date to shutdown_date: a model can arrive with one."""
    added = event(1, "2025-01-01T10:00:00+08:00", "service_added", model=None,
                  new={"models": {"a": {"shutdown_date": "2025-12-31"}, "b": {"context": 1},
                                  "c": {"shutdown_date": "明年"}}})
    model = event(2, "2025-02-01T10:00:00+08:00", "model_added", model="d",
                  new={"shutdown_date": "2026-01-15"})
    found = shutdowns([added, model], {})
    assert [(s.model, s.day.isoformat(), s.uid) for s in found] == [
        ("a", "2025-12-31", "e01"), ("d", "2026-01-15", "e02")]


def test_one_event_per_announced_shutdown_of_the_example() -> None:
    events = [Event.from_dict(e) for path in sorted((PROJECT / "history/events").glob("*.yaml"))
              for e in yaml.safe_load(path.read_text(encoding="utf-8"))]
    announced = {e.id: (e.model, e.new) for e in events
                 if e.kind == "model_deprecated" and e.field == "shutdown_date"}
    items = parse((PROJECT / "feeds/shutdowns.ics").read_bytes())
    assert len(announced) == 4
    assert {str(i["uid"]).removeprefix("tracker-shutdown-"): (
        str(i["summary"]).split(" ")[0], i.decoded("dtstart").isoformat()) for i in items} \
        == announced


def test_uids_and_bytes_survive_a_rebase(repo: GitRepo) -> None:
    data = "data/services/nimbus.yaml"
    repo.write(data, "id: nimbus\nname: Nimbus API\nmodels:\n  nimbus-1:\n    context: 8192\n")
    repo.commit("add nimbus", "2025-01-01T10:00:00+08:00")
    repo.replace(data, "context: 8192\n", "context: 8192\n    shutdown_date: '2025-06-30'\n")
    repo.commit("announce", "2025-02-01T10:00:00+08:00")
    repo.replace(data, "2025-06-30", "2025-09-30")
    repo.commit("postpone", "2025-03-01T10:00:00+08:00")
    update(repo.root)
    ics = repo.root / "feeds/shutdowns.ics"
    before = ics.read_bytes()
    (item,) = parse(before)
    announce = next(e for e in Ledger(load_config(repo.root)).events()
                    if e.kind == "model_deprecated")
    assert str(item["uid"]) == f"tracker-shutdown-{announce.id}"
    assert item.decoded("dtstart") == date(2025, 9, 30) and item.decoded("sequence") == 1
    # rewrite the last two commits: same content and author dates, new shas
    log = repo.git("log", "--format=%H %aI", "-3").splitlines()
    repo.git("reset", "-q", "--hard", log[2].split()[0])
    for n, line in enumerate(reversed(log[:2])):
        sha, when = line.split()
        repo.git("checkout", "-q", sha, "--", data)
        repo.commit(f"reworded {n}", when)
    repo.git("reflog", "expire", "--expire=now", "--all")
    repo.git("gc", "-q", "--prune=now")
    update(repo.root)
    assert ics.read_bytes() == before


def announced(n: int, date_: str, *, old: float | None = 2.0, new: float | None = 3.0,
              day: str = "2026-09-01", kind: str = "price_increase",
              service: str = "nimbus") -> Event:
    found = event(n, date_, kind, field="input_price", old=old, new=new, service=service)
    found.effective, found.currency = day, "USD"
    found.change_pct = 50.0 if (old, new) == (2.0, 3.0) else None
    return found


def test_an_announced_price_change_is_an_event_on_its_day_in_the_feeds_language() -> None:
    rise = announced(1, "2026-06-30T10:00:00+08:00")
    (item,) = parse(build_calendar([ANNOUNCE, rise], {}, config()))[1:]
    assert str(item["uid"]) == "tracker-price-e01"
    assert item.decoded("dtstart") == date(2026, 9, 1)
    assert item.decoded("dtend") == date(2026, 9, 2)
    assert str(item["summary"]) == "nimbus-1 输入价格 $2/M → $3/M，2026-09-01 起（+50%）（Nimbus API）"
    english = Config(root=Path("."), site_url="https://free-llm.example",
                     feeds=FeedsConfig(lang="en"))
    (item,) = parse(build_calendar([rise], {}, english))
    assert str(item["summary"]) == \
        "nimbus-1 Input price $2/M → $3/M from 2026-09-01 (+50%) (Nimbus API)"
    assert "https://free-llm.example/" in str(item["url"])
    # an event that is no announcement (no effective day) is not on the calendar
    plain = event(3, "2026-07-01T10:00:00+08:00", "price_increase", field="input_price",
                  old=2.0, new=3.0)
    assert parse(build_calendar([plain], {}, config())) == []


def test_an_announced_price_retracted_or_renamed_follows_the_shutdown_rules() -> None:
    rise = announced(1, "2026-06-30T10:00:00+08:00")
    (item,) = parse(build_calendar([rise], {"e01": Override(retract=True)}, config()))
    assert str(item["status"]) == "CANCELLED" and item.decoded("sequence") == 1
    moved = announced(2, "2026-07-10T10:00:00+08:00", day="2026-10-01")
    (item,) = parse(build_calendar([rise, moved], {"e02": Override(retract=True)}, config()))
    # the retracted move goes back to the first day, as a newer version of the same event
    assert (str(item["uid"]), item.decoded("dtstart"), item.decoded("sequence")) == (
        "tracker-price-e01", date(2026, 9, 1), 2)
    renamed = event(3, "2026-07-20T10:00:00+08:00", "service_renamed", model=None, field="id",
                    old="nimbus", new="cumulus", service="cumulus")
    withdrawn = announced(4, "2026-08-01T10:00:00+08:00", old=3.0, new=None, kind="info_changed",
                          service="cumulus")
    (item,) = parse(build_calendar([rise, renamed, withdrawn], {}, config()))
    assert (str(item["uid"]), str(item["status"]), item.decoded("sequence")) == (
        "tracker-price-e01", "CANCELLED", 1)
    assert "/cumulus" in str(item["url"])


def test_a_price_band_s_announcement_is_its_own_calendar_event() -> None:
    rise = announced(1, "2026-06-30T10:00:00+08:00")
    band = announced(2, "2026-06-30T10:00:00+08:00", old=4.0, new=6.0)
    band.band = ">200K"
    later = announced(3, "2026-07-10T10:00:00+08:00", old=4.0, new=5.0, day="2026-10-01")
    later.band = ">200K"
    items = parse(build_calendar([rise, band, later], {}, config()))
    # the band's later announcement moves the band's event, not the model's own price
    assert sorted((str(i["uid"]), i.decoded("dtstart"), i.decoded("sequence"))
                  for i in items) == [("tracker-price-e01", date(2026, 9, 1), 0),
                                      ("tracker-price-e02", date(2026, 10, 1), 1)]
    summaries = {str(i["uid"]): str(i["summary"]) for i in items}
    assert summaries["tracker-price-e02"].startswith(
        "nimbus-1 >200K 输入价格 $4/M → $5/M，2026-10-01 起")
    assert summaries["tracker-price-e01"].startswith("nimbus-1 输入价格 $2/M → $3/M")


def test_the_services_on_the_calendar_among_some_are_found_from_their_events_alone(
        repo: GitRepo) -> None:
    """services_on_calendar(..., among) replays only the events of ``among`` (and of what was
    renamed into them): it must name exactly the services of ``among`` the whole ledger's
    replay names, with an entry moved by a rename, one cancelled, one retracted."""
    nimbus, stratus = "data/services/nimbus.yaml", "data/services/stratus.yaml"
    model = "models:\n  {m}:\n    context: 8192\n"
    repo.write(nimbus, "id: nimbus\nname: Nimbus API\n" + model.format(m="nimbus-1"))
    repo.write(stratus, "id: stratus\nname: Stratus API\n" + model.format(m="stratus-1")
               + "  stratus-2:\n    context: 4096\n")
    repo.write("data/services/cirrus.yaml", "id: cirrus\nname: Cirrus API\n"
               + model.format(m="cirrus-1"))
    repo.commit("three services", "2025-01-01T10:00:00+08:00")
    repo.replace(nimbus, "context: 8192\n", "context: 8192\n    shutdown_date: '2025-06-30'\n")
    repo.replace(stratus, "context: 8192\n", "context: 8192\n    shutdown_date: '2025-07-31'\n")
    repo.commit("announce two shutdowns", "2025-02-01T10:00:00+08:00")
    repo.git("mv", nimbus, "data/services/cumulus.yaml")
    repo.replace("data/services/cumulus.yaml", "id: nimbus", "id: cumulus")
    repo.commit("nimbus is cumulus now", "2025-03-01T10:00:00+08:00")
    repo.replace(stratus, "context: 4096\n", "context: 4096\n    shutdown_date: '2025-08-31'\n")
    repo.commit("one more", "2025-04-01T10:00:00+08:00")
    update(repo.root)
    ledger = Ledger(load_config(repo.root))
    raw = ledger.raw_events()
    assert {"service_renamed", "model_deprecated"} <= {e.kind for e in raw}
    retract = next(e.id for e in raw if e.kind == "model_deprecated" and e.model == "stratus-1")
    services = {e.service for e in raw} | {"nimbus"}
    for overrides in ({}, {retract: Override(retract=True)}):
        everything = services_on_calendar(raw, overrides)
        assert everything == {"cumulus", "stratus"}  # the rename took nimbus's entry along
        for among in [{s} for s in sorted(services)] + [services, {"nimbus", "cirrus"}]:
            assert services_on_calendar(raw, overrides, among) == everything & among, among


def test_an_event_an_override_makes_a_rename_moves_the_entry_for_some_services_too() -> None:
    """A provider change overridden into a rename (its old value names a service with a
    shutdown): the replay of the renamed service's events alone follows it as the whole
    ledger's does."""
    announced = replace(event(1, "2025-01-01T00:00:00+00:00", "model_deprecated",
                              field="shutdown_date"), service="acme", new="2025-06-30")
    moved = replace(event(2, "2025-02-01T00:00:00+00:00", "info_changed", model=None,
                          field="provider"), service="labs", old="acme", new="acme-labs")
    overrides = {moved.id: Override(kind="service_renamed")}
    assert services_on_calendar([announced, moved], overrides) == {"labs"}
    assert services_on_calendar([announced, moved], overrides, {"labs"}) == {"labs"}
    assert services_on_calendar([announced, moved], {}, {"labs"}) == set()
