"""classify: field changes → events. Every kind of the fixed vocabulary, and each way its
direction (and so its severity) can go, through the stage's public functions on small facts."""

from __future__ import annotations

from copy import deepcopy
from typing import Any

import pytest

from tracker.model import KINDS, SEVERITIES, Event, Service
from tracker.walk.classify import (
    BY_DIRECTION,
    SEVERITY,
    CommitInfo,
    ServiceRef,
    classify,
    commit_events,
    percent,
)
from tracker.walk.diff import diff_facts

REF = ServiceRef("acme", "Acme", "acme", "services/api/acme/_index.md")
COMMIT = CommitInfo("a" * 40, "2025-03-01T10:00:00+08:00")
BASE: dict[str, Any] = {
    "name": "Acme", "provider": "acme", "endpoint": "https://api.acme.example/v1",
    "tier": "limited-free", "requirements": ["registration"], "credit_card_required": False,
    "trial_credits": {"amount": 5, "currency": "USD", "valid_days": 30},
    "limits": {"requests_per_day": 14400, "concurrency": 5, "max_context": 131072},
    "tiers": {"Pro": {"requests_per_minute": 20}},
    "quota_reset": "UTC 00:00",
    "models": {"acme-chat": {"context": 131072, "max_output": 4096, "input_price": 0.28,
                             "output_price": 0.42, "currency": "USD"},
               "acme-fast": {"context": 8192}},
}


def edit(**changes: Any) -> dict[str, Any]:
    """BASE with ``a__b=value`` set (``None``: the key removed)."""
    facts = deepcopy(BASE)
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = facts
        for key in parents:
            node = node.setdefault(key, {})
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    return facts


def events(new: dict[str, Any], old: dict[str, Any] = BASE) -> list[Event]:
    return classify(REF, COMMIT, old, new, diff_facts(old, new))


def kinds(new: dict[str, Any], old: dict[str, Any] = BASE) -> list[tuple[str, str]]:
    return [(e.kind, e.severity) for e in events(new, old)]


# (edits to BASE, the events expected: kind and severity). Together they name every kind but
# the three that only commit_events makes (tested below), each in every direction it has.
CASES: list[tuple[str, dict[str, Any], list[tuple[str, str]]]] = [
    ("model_added", {"models__acme-new": {"context": 8192}}, [("model_added", "notable")]),
    ("model_removed", {"models__acme-fast": None}, [("model_removed", "breaking")]),
    ("model_deprecated flag", {"models__acme-fast__deprecated": True},
     [("model_deprecated", "breaking")]),
    ("model_deprecated date", {"models__acme-fast__shutdown_date": "2025-06-01"},
     [("model_deprecated", "breaking")]),
    ("context smaller", {"models__acme-chat__context": 32768},
     [("context_changed", "breaking")]),
    ("context larger", {"models__acme-chat__context": 262144},
     [("context_changed", "notable")]),
    ("output newly stated", {"models__acme-fast__max_output": 1024},
     [("output_changed", "notable")]),
    ("service context smaller", {"limits__max_context": 65536},
     [("context_changed", "breaking")]),
    ("output smaller", {"models__acme-chat__max_output": 2048}, [("output_changed", "breaking")]),
    ("output larger", {"models__acme-chat__max_output": 8192}, [("output_changed", "notable")]),
    ("quota smaller", {"limits__requests_per_day": 1000}, [("quota_cut", "breaking")]),
    ("quota to unlimited", {"limits__concurrency": "unlimited"}, [("quota_raised", "notable")]),
    ("quota from unlimited", {"limits__concurrency": 1}, [("quota_cut", "breaking")]),
    ("tier quota larger", {"tiers__Pro__requests_per_minute": 60},
     [("quota_raised", "notable")]),
    ("quota added", {"limits__tokens_per_day": 500000}, [("quota_added", "notable")]),
    ("quota removed", {"limits__requests_per_day": None}, [("quota_removed", "notable")]),
    ("price up", {"models__acme-chat__input_price": 0.56}, [("price_increase", "breaking")]),
    ("price down", {"models__acme-chat__output_price": 0.21}, [("price_decrease", "notable")]),
    ("paid to free", {"models__acme-chat__input_price": 0}, [("price_decrease", "notable")]),
    ("price added", {"models__acme-fast__input_price": 1.0}, [("price_added", "info")]),
    ("price removed", {"models__acme-chat__output_price": None}, [("price_removed", "info")]),
    ("tier worse", {"tier": "trial-credits"}, [("tier_changed", "breaking")]),
    ("tier better", {"tier": "free"}, [("tier_changed", "notable")]),
    ("tier free text", {"tier": "免费额度（每日 100 万 Token）"}, [("tier_changed", "info")]),
    ("credits less", {"trial_credits__amount": 1}, [("credits_changed", "breaking")]),
    ("credits more", {"trial_credits__amount": 10}, [("credits_changed", "notable")]),
    ("credits shorter", {"trial_credits__valid_days": 7}, [("credits_changed", "breaking")]),
    ("credits other currency", {"trial_credits__currency": "CNY"},
     [("credits_changed", "info")]),
    ("credits gone", {"trial_credits": None}, [("credits_changed", "breaking")]),
    ("requirement added", {"requirements": ["registration", "phone"]},
     [("requirement_added", "breaking")]),
    ("credit card now required", {"credit_card_required": True},
     [("requirement_added", "breaking")]),
    ("requirement removed", {"requirements": []}, [("requirement_removed", "notable")]),
    ("endpoint", {"endpoint": "https://api.acme.example/v2"}, [("endpoint_changed", "breaking")]),
    ("reset", {"quota_reset": "UTC 08:00"}, [("reset_changed", "info")]),
    ("raw text quota", {"limits__concurrency": "视模型而定"}, [("info_changed", "info")]),
    ("other field", {"provider": "acme-inc"}, [("info_changed", "info")]),
]


@pytest.mark.parametrize(("edits", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_kind_and_direction(edits: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert kinds(edit(**edits)) == expected


def test_the_cases_name_every_kind() -> None:
    """A kind added to the vocabulary needs a case here (or below) showing when it is made."""
    made_by_commit_events = {"service_added", "service_removed", "service_renamed"}
    named = {kind for _, _, expected in CASES for kind, _ in expected}
    assert named | made_by_commit_events == set(KINDS)


def test_every_kind_has_a_severity_and_every_severity_is_known() -> None:
    assert set(SEVERITY) == set(KINDS)
    assert set(SEVERITY.values()) <= set(SEVERITIES) | {BY_DIRECTION}


def test_a_change_with_no_direction_is_never_a_cut_or_a_raise() -> None:
    # raw text to a number and back, and a range whose bounds move apart
    assert kinds(edit(limits__concurrency="视模型而定")) == [("info_changed", "info")]
    assert kinds(edit(limits__concurrency=3), edit(limits__concurrency="视模型而定")) == [
        ("info_changed", "info")]
    old = edit(limits__requests_per_day="1,000-2,000")
    assert kinds(edit(limits__requests_per_day="500-4,000"), old) == [("info_changed", "info")]
    assert kinds(edit(limits__requests_per_day="500-1,000"), old) == [("quota_cut", "breaking")]
    # free → paid is an increase (not a price added), though no percent can be given
    [paid] = events(BASE, edit(**{"models__acme-chat__input_price": 0}))
    assert (paid.kind, paid.severity, paid.change_pct) == ("price_increase", "breaking", None)
    # no event when nothing moved
    assert events(deepcopy(BASE)) == []


def test_values_percent_and_currencies_ride_on_the_event() -> None:
    [cut] = events(edit(limits__requests_per_day=1000))
    assert (cut.field, cut.old, cut.new, cut.change_pct) == ("requests_per_day", 14400, 1000,
                                                              -93.1)
    [tiered] = events(edit(tiers__Pro__requests_per_minute=10))
    assert (tiered.tier, tiered.change_pct) == ("Pro", -50.0)
    assert percent(0, 5) is None and percent(5, "unlimited") is None
    # amounts in two currencies are never compared; each side keeps its own
    old = edit(**{"models__acme-chat__currency": "CNY", "models__acme-chat__input_price": 2.0})
    [switched] = events(edit(**{"models__acme-chat__input_price": 0.28}), old)
    assert switched.kind == "info_changed" and switched.currencies == ("CNY", "USD")
    [added] = events(edit(**{"models__acme-chat__price_tiers": {">200K": {"input_price": 1}}}))
    # a price band is the event's band, never its (quota) tier
    assert (added.kind, added.band, added.tier, added.field, added.currency) == (
        "price_added", ">200K", None, "input_price", "USD")
    assert tiered.band is None


def test_one_credits_event_and_one_deprecation_per_model() -> None:
    both = edit(trial_credits={"amount": 10, "currency": "USD", "valid_days": 60})
    assert kinds(both) == [("credits_changed", "notable")]
    flagged = edit(**{"models__acme-fast__deprecated": True,
                      "models__acme-fast__shutdown_date": "2025-06-01"})
    [deprecated] = events(flagged)
    assert (deprecated.field, deprecated.new) == ("shutdown_date", "2025-06-01")


def service(sid: str, facts: dict[str, Any]) -> Service:
    return Service.from_dict({**facts, "id": sid, "path": f"services/api/{sid}/_index.md"})


def test_commit_events_add_remove_and_rename_services() -> None:
    facts = deepcopy(BASE)
    added = commit_events(COMMIT, {"acme": None}, {"acme": service("acme", facts)},
                          {"acme": facts}, {})
    assert [(e.kind, e.severity, e.service) for e in added] == [
        ("service_added", "notable", "acme")]
    assert added[0].new == facts  # one event carrying the facts, not one per model
    removed = commit_events(COMMIT, {"acme": facts}, {}, {}, {})
    assert [(e.kind, e.severity, e.service_name) for e in removed] == [
        ("service_removed", "breaking", "Acme")]
    moved = commit_events(COMMIT, {"acme": facts, "acme2": None},
                          {"acme2": service("acme2", facts)}, {"acme2": facts},
                          {"acme": "acme2"})
    assert [(e.kind, e.severity, e.old, e.new) for e in moved] == [
        ("service_renamed", "info", "acme", "acme2")]
    # a move git did not pair (the page rewritten too) is found by its endpoint
    cut = edit(limits__concurrency=1)
    found = commit_events(COMMIT, {"acme": facts, "acme2": None},
                          {"acme2": service("acme2", cut)}, {"acme2": cut}, {})
    assert [e.kind for e in found] == ["service_renamed", "quota_cut"]


def test_event_ids_come_from_content_and_date() -> None:
    new = edit(limits__concurrency=1)
    first = events(new)
    rebased = classify(REF, CommitInfo("b" * 40, COMMIT.date), BASE, new, diff_facts(BASE, new))
    later = classify(REF, CommitInfo("a" * 40, "2025-03-02T10:00:00+08:00"), BASE, new,
                     diff_facts(BASE, new))
    assert first[0].id == rebased[0].id != later[0].id
