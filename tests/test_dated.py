"""tracker.dated: prices stated by date (genai-prices' ``constraint: {start_date: …}``) — the price
in force at each commit's day, announced changes told once with their effective day, on the
calendar, and never told again when the day comes. Real git repositories, fixed dates; files
shaped like genai-prices' provider files, in our own words."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import icalendar
import pytest

from conftest import EXAMPLES, GitRepo
from tracker.dated import announcements, commit_day, in_force
from tracker.i18n import summarize
from tracker.model import Event

PATH = "prices/providers/acme.yml"


def model(mid: str, *entries: tuple[str | None, float, float]) -> str:
    """A model whose ``prices`` list has one entry per (start date or None, input, output)."""
    if len(entries) == 1 and entries[0][0] is None:
        _day, price_in, price_out = entries[0]
        return (f"  - id: {mid}\n    context_window: 200000\n    prices:\n"
                f"      input_mtok: {price_in}\n      output_mtok: {price_out}\n")
    lines = [f"  - id: {mid}\n    context_window: 200000\n    prices:\n"]
    for day, price_in, price_out in entries:
        if day is None:
            lines.append("      - prices:\n")
        else:
            lines.append(f"      - constraint:\n          start_date: {day}\n        prices:\n")
        lines.append(f"          input_mtok: {price_in}\n          output_mtok: {price_out}\n")
    return "".join(lines)


def provider(*models: str) -> str:
    return "name: Acme AI\nid: acme\nmodels:\n" + "".join(models)


class Walk:
    """A genai-prices-shaped repository, walked by ``tracker update`` after each commit."""

    def __init__(self, root: Path, cold: bool = False) -> None:
        self.repo, self.cold = GitRepo(root), cold
        shutil.copy(EXAMPLES / "configs" / "genai-prices.yaml", root / "tracker.yaml")

    def commit(self, date: str, *models: str) -> list[Event]:
        from tracker.pipeline import update

        self.repo.write(PATH, provider(*models))
        self.repo.commit("edit", f"{date}T10:00:00+00:00")
        if self.cold:  # a fresh clone in CI: the facts come from history/facts.jsonl
            shutil.rmtree(self.repo.root / ".git" / "tracker-cache", ignore_errors=True)
        result = update(self.repo.root)
        assert not result.warnings
        return sorted(result.new_events, key=lambda e: (e.kind, str(e.model), str(e.field)))

    def calendar(self) -> list[icalendar.Event]:
        from tracker.pipeline import update

        update(self.repo.root)
        data = (self.repo.root / "feeds" / "shutdowns.ics").read_bytes()
        return [c for c in icalendar.Calendar.from_ical(data).walk("VEVENT")
                if str(c["uid"]).startswith("tracker-price-")]


def told(events: list[Event]) -> list[tuple[Any, ...]]:
    return [(e.kind, e.model, e.field, e.old, e.new, e.effective) for e in events]


OTHER = model("acme-mini", (None, 0.1, 0.2))


@pytest.mark.parametrize("cold", [False, True], ids=["cached", "fresh-clone"])
def test_an_announced_rise_is_told_once_with_its_day_and_not_again_when_it_comes(
        tmp_path: Path, cold: bool) -> None:
    walk = Walk(tmp_path, cold)
    walk.commit("2026-06-01", OTHER)
    added = walk.commit("2026-06-30", OTHER, model("acme-5", (None, 2, 10),
                                                   ("2026-09-01", 3, 15)))
    assert told(added) == [
        ("model_added", "acme-5", None, None, added[0].new, None),
        ("price_increase", "acme-5", "input_price", 2.0, 3.0, "2026-09-01"),
        ("price_increase", "acme-5", "output_price", 10.0, 15.0, "2026-09-01")]
    # the new model carries the price in force; the schedule says what is coming
    assert added[0].new["input_price"] == 2.0
    assert added[0].new["price_schedule"] == {"2026-09-01": {"input_price": 3.0,
                                                             "output_price": 15.0}}
    rise = added[1]
    assert rise.severity == "breaking" and rise.change_pct == 50.0
    assert summarize(rise, "en") == "acme-5 Input price $2/M → $3/M from 2026-09-01 (+50%)"
    assert summarize(rise, "zh") == "acme-5 输入价格 $2/M → $3/M，2026-09-01 起（+50%）"
    # an unrelated edit before the day: nothing about acme-5
    assert told(walk.commit("2026-07-15", model("acme-mini", (None, 0.1, 0.3)),
                            model("acme-5", (None, 2, 10), ("2026-09-01", 3, 15)))) == [
        ("price_increase", "acme-mini", "output_price", 0.2, 0.3, None)]
    # no commit on 2026-09-01: the first commit after it sees the new price in force, as
    # announced, and says nothing about it
    assert told(walk.commit("2026-09-03", model("acme-mini", (None, 0.1, 0.4)),
                            model("acme-5", (None, 2, 10), ("2026-09-01", 3, 15)))) == [
        ("price_increase", "acme-mini", "output_price", 0.3, 0.4, None)]
    # the maintainer folds the history into one plain price later: still nothing
    assert walk.commit("2026-09-10", model("acme-mini", (None, 0.1, 0.4)),
                       model("acme-5", (None, 3, 15))) == []
    # one calendar event per announced price, on its day, still there once the day has come
    items = walk.calendar()
    assert sorted(str(i["uid"]) for i in items) == sorted(f"tracker-price-{e.id}"
                                                          for e in added[1:])
    assert {(i.decoded("dtstart").isoformat(), str(i["status"]), int(i["sequence"]))
            for i in items} == {("2026-09-01", "CONFIRMED", 0)}
    assert sorted(str(i["summary"]) for i in items) == [
        "acme-5 输入价格 $2/M → $3/M，2026-09-01 起（+50%）（Acme AI）",
        "acme-5 输出价格 $10/M → $15/M，2026-09-01 起（+50%）（Acme AI）"]


def test_a_correction_of_the_past_is_no_price_event(tmp_path: Path) -> None:
    """The shape of genai-prices 1ce2a45: a price cut made on 07-30 is restated on 07-31 as the
    old price plus an entry from 07-30 — the price in force is the same."""
    walk = Walk(tmp_path)
    walk.commit("2026-07-09", model("acme-luna", (None, 1, 6)))
    assert told(walk.commit("2026-07-30", model("acme-luna", (None, 0.2, 1.2)))) == [
        ("price_decrease", "acme-luna", "input_price", 1.0, 0.2, None),
        ("price_decrease", "acme-luna", "output_price", 6.0, 1.2, None)]
    assert walk.commit("2026-07-31", model("acme-luna", (None, 1, 6),
                                           ("2026-07-30", 0.2, 1.2))) == []
    # tracker snapshot shows the price in force at the revision, not the undated entry
    from tracker.pipeline import snapshot

    [service], _warnings = snapshot(walk.repo.root, "HEAD")
    assert service.models["acme-luna"].to_dict() == {
        "context": 200000, "input_price": 0.2, "output_price": 1.2, "currency": "USD"}


def test_a_moved_or_changed_announcement_updates_its_calendar_event(tmp_path: Path) -> None:
    walk = Walk(tmp_path)
    walk.commit("2026-06-01", model("acme-5", (None, 2, 10)))
    first = walk.commit("2026-06-30", model("acme-5", (None, 2, 10), ("2026-09-01", 3, 10)))
    assert told(first) == [("price_increase", "acme-5", "input_price", 2.0, 3.0, "2026-09-01")]
    [item] = walk.calendar()
    uid = str(item["uid"])
    assert uid == f"tracker-price-{first[0].id}"
    moved = walk.commit("2026-07-10", model("acme-5", (None, 2, 10), ("2026-10-01", 3, 10)))
    assert told(moved) == [("price_increase", "acme-5", "input_price", 2.0, 3.0, "2026-10-01")]
    assert moved[0].id != first[0].id
    [item] = walk.calendar()
    assert (str(item["uid"]), item.decoded("dtstart").isoformat(), int(item["sequence"])) == (
        uid, "2026-10-01", 1)
    changed = walk.commit("2026-07-20", model("acme-5", (None, 2, 10), ("2026-10-01", 4, 10)))
    assert told(changed) == [("price_increase", "acme-5", "input_price", 2.0, 4.0,
                              "2026-10-01")]
    [item] = walk.calendar()
    assert int(item["sequence"]) == 2 and "$4/M" in str(item["summary"])
    withdrawn = walk.commit("2026-08-01", model("acme-5", (None, 2, 10)))
    assert told(withdrawn) == [("info_changed", "acme-5", "input_price", 4.0, None,
                                "2026-10-01")]
    assert summarize(withdrawn[0], "en") == \
        "acme-5 Input price change to $4/M from 2026-10-01 withdrawn"
    [item] = walk.calendar()
    assert (str(item["status"]), int(item["sequence"])) == ("CANCELLED", 3)


def test_in_force_and_announcements() -> None:
    facts = {"name": "Acme", "models": {
        "a": {"input_price": 1.0, "currency": "USD", "price_tiers": {">200K": {"input_price": 2}},
              "price_schedule": {"2026-03-13": {"input_price": 1.0},
                                 "2026-09-01": {"input_price": 3.0}}},
        "b": {"input_price": 5.0}}}
    assert in_force(facts, "2026-03-12") is facts  # nothing due: the same object
    now = in_force(facts, "2026-03-13")
    # the entry from 03-13 replaces the whole price: its tier is gone with it
    assert now["models"]["a"] == {"input_price": 1.0, "currency": "USD",
                                  "price_schedule": {"2026-09-01": {"input_price": 3.0}}}
    assert now["models"]["b"] is facts["models"]["b"]
    assert "price_tiers" in facts["models"]["a"]  # the input is not changed
    later = in_force(now, "2026-09-01")
    assert later == in_force(facts, "2026-12-31")  # moving twice is moving once
    assert later["models"]["a"] == {"input_price": 3.0, "currency": "USD"}
    told_now, withdrawn = announcements(None, now["models"]["a"])
    assert (told_now, withdrawn) == ([("input_price", None, "2026-09-01", 1.0, 3.0)], [])
    assert announcements(now["models"]["a"], now["models"]["a"]) == ([], [])


@pytest.mark.parametrize(("iso", "day"), [
    ("2026-06-30T15:22:46-05:00", "2026-06-30"),
    ("2026-06-30T21:22:46-05:00", "2026-07-01"),  # the UTC day: start dates are UTC
    ("2026-07-31T01:00:00+08:00", "2026-07-30"),
])
def test_commit_day_is_the_utc_day(iso: str, day: str) -> None:
    assert commit_day(iso) == day


def ledger_event(n: int, date: str, kind: str, **fields: Any) -> Event:
    base: dict[str, Any] = dict(
        id=f"e{n:02d}", date=date, commit=f"{n:040x}", path=PATH, service="acme",
        service_name="Acme AI", provider="acme", model="acme-5", kind=kind,
        field="input_price", old=None, new=None, change_pct=None, severity="info",
        currency="USD")
    return Event(**{**base, **fields})


def test_charts_step_on_the_day_a_change_takes_effect() -> None:
    from tracker.render.series import build_series

    added = ledger_event(1, "2026-06-30T10:00:00+00:00", "model_added", field=None,
                         new={"input_price": 2.0, "currency": "USD"})
    rise = ledger_event(2, "2026-06-30T10:00:00+00:00", "price_increase", old=2.0, new=3.0,
                        effective="2026-09-01")
    moved = ledger_event(3, "2026-07-10T10:00:00+00:00", "price_increase", old=2.0, new=3.5,
                         effective="2026-09-15")
    tier = ledger_event(4, "2026-07-11T10:00:00+00:00", "price_added", new=9.0, tier=">200K")
    later = ledger_event(5, "2026-09-20T10:00:00+00:00", "price_decrease", field="output_price",
                         old=10.0, new=8.0)

    def steps(*events: Event) -> list[tuple[str, Any]]:
        [series] = build_series(events)["acme"].prices("acme-5")[:1]
        return [(s.when.date().isoformat(), s.value) for s in series.steps]

    # announced, not yet in force by the newest event: no step
    assert steps(added, rise) == [("2026-06-30", 2.0)]
    # the day came (the ledger runs past it); the moved announcement replaced the first one,
    # and a tier's price is not the model's price
    assert steps(added, rise, moved, tier, later) == [("2026-06-30", 2.0), ("2026-09-15", 3.5)]
    assert steps(added, rise, later) == [("2026-06-30", 2.0), ("2026-09-01", 3.0)]
    withdrawn = ledger_event(6, "2026-08-01T10:00:00+00:00", "info_changed", old=3.0,
                             new=None, effective="2026-09-01")
    assert steps(added, rise, withdrawn, later) == [("2026-06-30", 2.0)]


def test_a_schedule_of_two_days_is_two_announcements_and_two_chart_steps(
        tmp_path: Path) -> None:
    from tracker.render.series import build_series

    walk = Walk(tmp_path)
    walk.commit("2026-06-01", model("acme-5", (None, 2, 10)))
    told_now = walk.commit("2026-06-30", model("acme-5", (None, 2, 10), ("2026-09-01", 3, 10),
                                               ("2027-01-01", 4, 10)))
    assert told(told_now) == [
        ("price_increase", "acme-5", "input_price", 2.0, 3.0, "2026-09-01"),
        ("price_increase", "acme-5", "input_price", 3.0, 4.0, "2027-01-01")]
    # both days pass before the next commit: the price in force is the latest, no event
    assert walk.commit("2027-02-01", model("acme-5", (None, 2, 10), ("2026-09-01", 3, 10),
                                           ("2027-01-01", 4, 10))) == []
    [(item)] = [i for i in walk.calendar() if "acme-5" in str(i["summary"])]
    assert item.decoded("dtstart").isoformat() == "2027-01-01"  # the latest of the two
    marker = ledger_event(9, "2027-02-01T10:00:00+00:00", "info_changed", field="name")
    [series] = build_series([*told_now, marker])["acme"].prices("acme-5")[:1]
    # the price before the first announced day is known from the announcement, since its commit
    assert [(s.when.date().isoformat(), s.value) for s in series.steps] == [
        ("2026-06-30", 2.0), ("2026-09-01", 3.0), ("2027-01-01", 4.0)]
