"""diff: two snapshots' facts → the fields that changed, display-only differences left out.

``diff_facts`` takes one of two paths: plain changes (scalars, mappings of scalars at any depth:
most commits, a changed model's fields included) are compared directly, anything holding a list
goes through DeepDiff. Both must name the same paths; the property test below feeds both the same
random facts.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.walk import diff
from tracker.walk.diff import MISSING, FieldChange, comparable, diff_facts, lookup

FACTS: dict[str, Any] = {
    "name": "Acme", "endpoint": "https://api.acme.example/v1", "tier": "free",
    "requirements": ["registration"], "credit_card_required": False,
    "limits": {"requests_per_day": 14400, "max_context": 131072},
    "tiers": {"Pro": {"requests_per_minute": 20}},
    "models": {"acme-chat": {"context": 131072, "input_price": 0.28, "currency": "USD"},
               "acme-fast": {"context": 8192}},
}


def with_(**changes: Any) -> dict[str, Any]:
    facts = deepcopy(FACTS)
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = facts
        for key in parents:
            node = node[key]
        if value is MISSING:
            del node[last]
        else:
            node[last] = value
    return facts


def test_a_changed_added_and_removed_field_each_give_one_change() -> None:
    assert diff_facts(FACTS, with_(limits__requests_per_day=1000)) == [
        FieldChange(("limits", "requests_per_day"), 14400, 1000)]
    assert diff_facts(FACTS, with_(limits__tokens_per_day=5)) == [
        FieldChange(("limits", "tokens_per_day"), MISSING, 5)]
    assert diff_facts(FACTS, with_(endpoint=MISSING)) == [
        FieldChange(("endpoint",), "https://api.acme.example/v1", MISSING)]


def test_display_only_differences_are_no_change() -> None:
    # 128K written as 128,000 or 131,072 is one length; a float equal to the int is the same
    for same in (128000, 131072):
        assert diff_facts(FACTS, with_(limits__max_context=same)) == []
        assert diff_facts(FACTS, with_(**{"models__acme-chat__context": same})) == []
    assert diff_facts(FACTS, with_(limits__requests_per_day=14400.0)) == []
    reordered = with_(models=dict(reversed(list(FACTS["models"].items()))))
    assert diff_facts(FACTS, reordered) == []
    # the credit-card flag and a 'credit_card' requirement are one fact
    flagged = with_(credit_card_required=True)
    listed = with_(requirements=["registration", "credit_card"])
    assert diff_facts(flagged, listed) == []
    assert diff_facts(FACTS, flagged) == [FieldChange(("requirements", "credit_card"),
                                                      MISSING, True)]


def test_a_real_length_change_keeps_the_values_as_written() -> None:
    [change] = diff_facts(FACTS, with_(**{"models__acme-chat__context": 32768}))
    assert change == FieldChange(("models", "acme-chat", "context"), 131072, 32768)


def test_nested_changes_are_named_to_the_leaf() -> None:
    tiers = {">200K": {"input_price": 0.5}}
    changes = diff_facts(FACTS, with_(**{"models__acme-chat__price_tiers": tiers}))
    assert changes == [FieldChange(("models", "acme-chat", "price_tiers"), MISSING, tiers)]
    old = with_(**{"models__acme-chat__price_tiers": tiers})
    new = with_(**{"models__acme-chat__price_tiers": {">200K": {"input_price": 0.6}}})
    assert diff_facts(old, new) == [FieldChange(
        ("models", "acme-chat", "price_tiers", ">200K", "input_price"), 0.5, 0.6)]
    # a model that went is one change at the model, holding what it stated
    assert diff_facts(FACTS, with_(**{"models__acme-fast": MISSING})) == [
        FieldChange(("models", "acme-fast"), {"context": 8192}, MISSING)]


def test_comparable_and_lookup_read_the_same_facts() -> None:
    facts = with_(credit_card_required=True)
    assert comparable(facts)["requirements"] == {"credit_card": True, "registration": True}
    assert lookup(facts, ("requirements", "credit_card")) is True
    assert lookup(facts, ("requirements", "phone")) is MISSING
    assert lookup(facts, ("models", "acme-chat", "context")) == 131072
    assert lookup(facts, ("models", "nope", "context")) is MISSING


# -- the flat and nested paths agree ----------------------------------------------------------

_KEYS = st.sampled_from(["a", "b", "c"])
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(["x", "y"]))
_FLAT = st.dictionaries(_KEYS, st.one_of(_SCALARS, st.dictionaries(_KEYS, st.one_of(
    _SCALARS, st.dictionaries(_KEYS, _SCALARS, max_size=3)), max_size=3)), max_size=3)


@settings(max_examples=300, deadline=None)
@given(_FLAT, _FLAT)
def test_the_flat_path_names_what_deepdiff_names(old: dict[str, Any],
                                                 new: dict[str, Any]) -> None:
    assert diff._plain(old) and diff._plain(new)
    assert diff._plain_paths(old, new) == diff._deep_paths(old, new)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["requests_per_day", "concurrency", "max_context"]),
                       st.one_of(st.integers(0, 3), st.sampled_from(["unlimited", "视模型而定"])),
                       max_size=3),
       st.dictionaries(st.sampled_from(["requests_per_day", "concurrency", "max_context"]),
                       st.one_of(st.integers(0, 3), st.sampled_from(["unlimited", "视模型而定"])),
                       max_size=3))
def test_diff_facts_is_the_same_whichever_path_it_takes(old: dict[str, Any],
                                                        new: dict[str, Any]) -> None:
    """The same limits diffed once flat and once beside a nested change (which sends the whole
    comparison through DeepDiff) give the same limit changes."""
    flat = diff_facts({"limits": old}, {"limits": new})
    nested_old = {"limits": old, "models": {"m": {"price_tiers": {"t": {"input_price": 1}}}}}
    nested_new = {"limits": new, "models": {"m": {"price_tiers": {"t": {"input_price": 2}}}}}
    nested = [c for c in diff_facts(nested_old, nested_new) if c.path[0] == "limits"]
    assert flat == nested
    assert all(c.old != c.new for c in flat)


# -- the pruning before canonical forms, against the straightforward computation ---------------

def _straightforward(old: dict[str, Any], new: dict[str, Any]) -> list[FieldChange]:
    """diff_facts as first written: canonical forms of the whole facts, equal parts pruned,
    every path from DeepDiff."""
    if old == new:
        return []
    old_cmp, new_cmp = comparable(old), comparable(new)
    if old_cmp == new_cmp:
        return []
    paths = diff._deep_paths(*diff._without_equal(old_cmp, new_cmp, diff._COMPARED))
    changes = [FieldChange(p, lookup(old, p), lookup(new, p)) for p in sorted(paths)]
    return [c for c in changes if c.old != c.new]


# lengths written several ways (128K, 131,072: one length), unlimited, text, prices, price bands
_LENGTH = st.sampled_from([8192, 131072, "128K", "131,072", "unlimited", "视模型而定", 0])
_PRICE = st.sampled_from([0.28, 0.42, 1.0, 0, "免费"])
_MODEL = st.fixed_dictionaries({}, optional={
    "context": _LENGTH, "max_output": _LENGTH, "input_price": _PRICE, "output_price": _PRICE,
    "currency": st.sampled_from(["USD", "CNY"]), "deprecated": st.just(True),
    "price_tiers": st.dictionaries(st.sampled_from([">200K", "night"]),
                                   st.fixed_dictionaries({"input_price": _PRICE}), max_size=2)})
_LIMITS = st.dictionaries(st.sampled_from(["requests_per_day", "max_context", "tokens_per_day",
                                           "max_output"]), _LENGTH, max_size=3)
_SERVICE = st.fixed_dictionaries({}, optional={
    "name": st.sampled_from(["Acme", "Acme API"]), "endpoint": st.sampled_from(["https://a", "x"]),
    "tier": st.sampled_from(["free", "paid"]),
    "requirements": st.lists(st.sampled_from(["registration", "phone", "credit_card"]),
                             unique=True, max_size=3),
    "credit_card_required": st.booleans(),
    "trial_credits": st.fixed_dictionaries({"amount": st.sampled_from([5, 10])}),
    "limits": _LIMITS, "tiers": st.dictionaries(st.sampled_from(["Pro", "Free"]), _LIMITS,
                                                max_size=2),
    "models": st.dictionaries(st.sampled_from(["m1", "m2", "m3", "m4"]), _MODEL, max_size=4)})


@st.composite
def _versions(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A service's facts and a later version: sometimes unrelated, mostly a few keys redrawn
    (so most models, limits and tiers stay as they were, as in a walk)."""
    old = draw(_SERVICE)
    if draw(st.booleans()):
        return old, draw(_SERVICE)
    new = deepcopy(old)
    other = draw(_SERVICE)
    for key in draw(st.lists(st.sampled_from(sorted(other) or ["name"]), max_size=3)):
        if key in ("models", "limits", "tiers") and key in new and draw(st.booleans()):
            for inner in draw(st.lists(st.sampled_from(sorted(other.get(key) or {}) or ["m1"]),
                                       max_size=2)):
                if inner in other.get(key, {}):
                    new[key][inner] = deepcopy(other[key][inner])
                else:
                    new[key].pop(inner, None)
        elif key in other:
            new[key] = deepcopy(other[key])
    return old, new


@settings(max_examples=1500, deadline=None)
@given(_versions())
def test_diff_facts_gives_what_the_straightforward_diff_gives(
        versions: tuple[dict[str, Any], dict[str, Any]]) -> None:
    old, new = versions
    assert diff_facts(old, new) == _straightforward(old, new)
    assert diff_facts(new, old) == _straightforward(new, old)
