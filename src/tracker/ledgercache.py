"""``history/events.cache.jsonl``: the ledger's months as JSON, committed beside
``facts.jsonl`` so that a fresh clone — every CI run starts from one — reads the ledger without
parsing every month of YAML. The YAML files stay the ledger: what people read, diff and edit.

The first line says what the cache is valid for — the format and a digest of the tracker code
that read the YAML (``tracker.cache.code_digest``) — and holds a digest of the lines that follow.
Then, month by month in order, a line naming the month and the SHA-1 of its YAML file's bytes,
followed by one line per event of that month as the YAML reads. A month is taken from the cache
only when its YAML file's bytes have that digest: a hand-edited month, or a cache of another
tracker, is read from YAML and the cache is written again, never trusted.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from tracker.plainjson import NotJson, plain_json

FILE = "events.cache.jsonl"
FORMAT = 1

Month = tuple[str, list[str]]  # (its YAML file's digest, a JSON line per event)
Months = dict[str, Month]


def digest(data: bytes) -> str:
    """What a month line keys its events on: the SHA-1 of the YAML file's bytes."""
    return hashlib.sha1(data).hexdigest()


def lines_of(events: list[dict[str, Any]]) -> list[str] | None:
    """A month's events as cache lines; None when some value would not read back from JSON as
    it is (a date or an integer key from a hand-edited month: that month stays YAML only)."""
    try:
        return [json.dumps(plain_json(event), ensure_ascii=False, allow_nan=False)
                for event in events]
    except NotJson:
        return None


def encode(key: tuple[str, ...], months: Months) -> bytes | None:
    """The cache of ``months`` for ``key``; None when a lone surrogate would not encode."""
    lines = []
    for month in sorted(months):
        yaml_digest, body = months[month]
        lines.append(json.dumps({"month": month, "sha1": yaml_digest}) + "\n")
        lines += [line + "\n" for line in body]
    try:
        text = "".join(lines).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: not kept
        return None
    return _head(key, text) + text


def _head(key: tuple[str, ...], body: bytes) -> bytes:
    head = {"format": FORMAT, "key": list(key), "sha1": hashlib.sha1(body).hexdigest()}
    return (json.dumps(head) + "\n").encode("utf-8")


def decode(data: bytes, key: tuple[str, ...]) -> Months | None:
    """The months ``encode`` wrote for ``key``, their lines not yet parsed (``events``); None
    when the file was written for another key, was cut or edited, or does not read back."""
    head, _, body = data.partition(b"\n")
    if head + b"\n" != _head(key, body):
        return None
    months: Months = {}
    lines: list[str] = []
    try:
        for text in body.decode("utf-8").split("\n"):
            if text.startswith('{"month": '):
                line = json.loads(text)
                lines = []
                months[line["month"]] = (line["sha1"], lines)
            elif text:
                lines.append(text)
    except (ValueError, TypeError, KeyError):
        return None
    return months


def events(lines: list[str]) -> list[dict[str, Any]]:
    """A month's event lines as one JSON array: one parse a month, not one a line. Raises
    ValueError when they are not events."""
    found = json.loads("[" + ",".join(lines) + "]")
    if not all(isinstance(event, dict) for event in found):
        raise ValueError("not an event")
    return found  # type: ignore[no-any-return]
