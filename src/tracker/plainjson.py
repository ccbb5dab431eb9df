"""JSON that gives back exactly what was written: the committed caches beside the ledger
(``facts.jsonl``, ``events.cache.jsonl``) take only values that survive the round trip, so a value
read from them is the value the walk or the ledger holds, never a look-alike."""

from __future__ import annotations

import math
from typing import Any


class NotJson(Exception):
    """A fact that JSON would not give back as it is (a tuple, a date, a non-string key)."""


def plain_json(value: Any) -> Any:
    """``value`` itself when JSON gives it back equal and of the same types; else NotJson."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        if math.isfinite(value):
            return value
        raise NotJson
    if kind is list:
        return [plain_json(v) for v in value]
    if kind is dict:
        if not all(type(k) is str for k in value):
            raise NotJson
        return {k: plain_json(v) for k, v in value.items()}
    raise NotJson
