"""Two snapshots of one service → the fields that changed, display-only differences left out.

Snapshots are compared as comparable facts: lengths by their canonical key (128K = 131,072 =
128,000), requirements as a set that includes the credit-card flag. Equal parts are pruned with
``!=`` before DeepDiff sees them (DeepDiff walks every leaf: on a record file with hundreds of
models that took 470 ms a commit, pruned it takes 2 ms), and
every list is keyed by id first, so a reordered table is no change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tracker.model import LENGTH_KEYS
from tracker.quantities import length_key


class _Missing:
    """A field that the snapshot does not state."""

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()

CONTAINERS = ("limits", "tiers", "models", "requirements")


@dataclass(frozen=True)
class FieldChange:
    path: tuple[str, ...]
    old: Any  # MISSING when the old snapshot did not state it
    new: Any  # MISSING when the new snapshot does not state it


def comparable(facts: dict[str, Any]) -> dict[str, Any]:
    """The facts as they are compared: canonical lengths, requirements as a keyed set."""
    out = {k: v for k, v in facts.items() if k not in CONTAINERS and k != "credit_card_required"}
    requirements = set(facts.get("requirements") or ())
    if facts.get("credit_card_required") is True:
        requirements.add("credit_card")
    elif facts.get("credit_card_required") is False:
        requirements.discard("credit_card")
    out["requirements"] = {r: True for r in sorted(requirements)}
    out["limits"] = _lengths_keyed(facts.get("limits") or {})
    out["tiers"] = {t: _lengths_keyed(v) for t, v in (facts.get("tiers") or {}).items()}
    out["models"] = {m: _lengths_keyed(v) for m, v in (facts.get("models") or {}).items()}
    return out


def _lengths_keyed(record: dict[str, Any]) -> dict[str, Any]:
    if not any(k in record for k in LENGTH_KEYS):
        return record
    return {k: length_key(v) if k in LENGTH_KEYS else v for k, v in record.items()}


def _unequal(a: dict[str, Any], b: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The entries of ``a`` and of ``b`` that the other side does not hold as they are."""
    return ({k: v for k, v in a.items() if b.get(k, MISSING) != v},
            {k: v for k, v in b.items() if a.get(k, MISSING) != v})


def lookup(facts: dict[str, Any], path: tuple[str, ...]) -> Any:
    """The value at ``path`` in the original (not comparable) facts, or MISSING."""
    node: Any = facts
    if path and path[0] == "requirements":
        present = path[1] in set(facts.get("requirements") or ()) or (
            path[1] == "credit_card" and facts.get("credit_card_required") is True)
        return True if present else MISSING
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return MISSING
        node = node[part]
    return node


def _without_equal(old: dict[str, Any], new: dict[str, Any], keyed: frozenset[str],
                   together: frozenset[str] = frozenset()
                   ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both sides without what the other holds as it is: a key equal on both sides goes (unless
    it is in ``together``), and in the ``keyed`` containers so does an equal entry (a limit,
    tier or model: a record catalogue service holds hundreds of models and one commit changes
    one or two)."""
    old_out, new_out = {}, {}
    for key in old.keys() | new.keys():
        a, b = old.get(key, MISSING), new.get(key, MISSING)
        if a == b and key not in together:
            continue
        if key in keyed and type(a) is dict and type(b) is dict:
            a, b = _unequal(a, b)
        if a is not MISSING:
            old_out[key] = a
        if b is not MISSING:
            new_out[key] = b
    return old_out, new_out


_TOGETHER = frozenset(("requirements", "credit_card_required"))
_KEYED = frozenset(("limits", "tiers", "models"))
_COMPARED = frozenset(CONTAINERS)


def diff_facts(old: dict[str, Any], new: dict[str, Any]) -> list[FieldChange]:
    """The changes from ``old`` to ``new`` facts (``Service.facts()``), in a stable order."""
    if old == new:
        return []
    # equal raw facts are equal comparable facts: what is equal goes before anything is
    # canonicalized; the requirements and the credit card flag, compared as one set, stay together
    old_cmp, new_cmp = (comparable(facts) for facts in _without_equal(old, new, _KEYED,
                                                                        _TOGETHER))
    if old_cmp == new_cmp:
        return []
    pruned_old, pruned_new = _without_equal(old_cmp, new_cmp, _COMPARED)
    if _plain(pruned_old) and _plain(pruned_new):
        paths = _plain_paths(pruned_old, pruned_new)
    else:
        paths = _deep_paths(pruned_old, pruned_new)
    changes = [FieldChange(p, lookup(old, p), lookup(new, p)) for p in sorted(paths)]
    return [c for c in changes if c.old != c.new]


def _deep_paths(old: dict[str, Any], new: dict[str, Any]) -> set[tuple[str, ...]]:
    """Where DeepDiff finds ``old`` and ``new`` differ: every changed, added or removed leaf."""
    from deepdiff import DeepDiff

    tree = DeepDiff(old, new, threshold_to_diff_deeper=0, view="tree",
                    ignore_numeric_type_changes=True)
    paths: set[tuple[str, ...]] = set()
    for items in tree.values():
        for item in items:
            paths.add(tuple(str(p) for p in item.path(output_format="list")))
    return paths


_SCALARS = (str, int, float, bool, type(None))


def _plain(value: Any) -> bool:
    """Scalars, or mappings (at any depth) of scalars: a quota, a requirement, a tier's limits,
    a model's fields — what nearly every commit changes. A list is left to DeepDiff."""
    if type(value) is not dict:
        return isinstance(value, _SCALARS)
    for item in value.values():  # a loop, not all() over a generator: called on every diff
        if not (_plain(item) if type(item) is dict else isinstance(item, _SCALARS)):
            return False
    return True


def _plain_paths(old: dict[str, Any], new: dict[str, Any],
                 prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """What ``_deep_paths`` gives for two ``_plain`` mappings, without DeepDiff's fixed cost
    (about a millisecond a call: most of a walk whose commits change a model or a quota): a key
    on one side only, or unequal values, at the first level where both sides are not both
    mappings. Only what ``_without_equal`` left is walked: changed models, not the hundreds
    beside."""
    paths: set[tuple[str, ...]] = set()
    for key in old.keys() | new.keys():
        a, b = old.get(key, MISSING), new.get(key, MISSING)
        if type(a) is dict and type(b) is dict:
            if a != b:
                paths |= _plain_paths(a, b, (*prefix, str(key)))
        elif a is MISSING or b is MISSING or a != b:
            paths.add((*prefix, str(key)))
    return paths
