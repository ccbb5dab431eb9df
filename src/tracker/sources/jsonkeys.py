"""JSON record files hold no key twice: orjson, the fast reader, keeps the last of two equal
keys in silence, so the keys a text writes are counted and compared with the keys parsed
(``_refuse_duplicate_keys``), and a repeated key is named with its line
(``json_key_lines``, also data files' reader).

A record file is read version after version (LiteLLM's 730 KB map, changed in a few records a
commit): both counts are kept per file and redone only where a version changed — the bytes
between the stretches equal to the last version's, the records unequal to their last version —
and the records that changed are said to records.py, which reads only those. Where the records
that changed are written is known too (jsonrecords.follow), so only those bytes are parsed
(``read_json``): the others are the last version's records.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain, compress, repeat
from operator import ne
from typing import Any

from tracker.errors import ParseError
from tracker.sources.jsonrecords import Followed, Keys, Window, follow, top_level_keys
from tracker.yamlio import KeyPath

# A string then a colon; the string's loop unrolled (runs of plain characters, then one escape),
# which the regex engine runs 2-3x faster than one alternation per character: the same matches.
_JSON_KEY = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"\s*:', re.DOTALL)
_SPACED_COLON = re.compile(rb'"[ \t\r\n]+:')
_SPACE = b" \t\r\n"  # JSON's whitespace: what may stand between a key's quote and its colon
_SPLIT_AT = 4096  # a changed stretch longer than this on both sides is looked into (_changed)
_ANCHOR = 1024  # bytes of the new version looked for in the old one to split there
_MAX_SPLITS = 64  # then the whole text is counted: no worse than without the last version
_ABSENT: Any = object()


@dataclass(frozen=True)
class RecordChanges:
    """Which records of a JSON mapping differ from those of the last version of the same file
    read here (``before``): the keys whose record is new or unequal (``!=``, in C), in file
    order, and the keys ``before`` has and ``after`` lacks. Equal is Python's: a value written
    1 and then 1.0 (or true) is no change, as records.py already took equal fields to read
    the same before this was known per record."""

    before: dict[Any, Any]
    after: dict[Any, Any]
    changed: list[Any]
    gone: list[Any]


@dataclass
class _JsonVersion:
    """The last version of one JSON file read here: what its next version is compared with."""

    raw: bytes
    data: Any
    bound: int  # _keys_at_most(raw)
    counts: dict[Any, int]  # data a mapping: record key → the keys parsed inside that record
    parsed: int  # the keys parsed in all of data
    keys: Keys | None = None  # where data's keys begin in raw, once a version was followed


# Keyed by path to find the version to compare with; sound for any bytes whatever their
# repository: every count and key place carried over is corrected by comparing the stored
# bytes and records themselves with the new ones, never taken on the path's word. A bounded
# LRU (a record source has a few JSON maps at most); a version refused is not kept.
_LAST: OrderedDict[str, _JsonVersion] = OrderedDict()
_LAST_FILES = 8


def _keys_at_most(raw: bytes) -> int:
    """At least as many as the keys the JSON text writes, counted in C (1.4 ms on 730 KB, the
    regex 7 ms): every key ends with a quote and its colon, spaces between or not. A ``":`` may
    also be an escaped quote or a string opening with a colon: counted too, never fewer.
    Each match is one quote, JSON spaces, one colon: two never overlap, and a match lies in
    any slice that holds its bytes (see _widened)."""
    return raw.count(b'":') + len(_SPACED_COLON.findall(raw))


def _same_ahead(old: bytes, at_old: int, new: bytes, at_new: int, limit: int) -> int:
    """How many bytes from ``old[at_old]`` and ``new[at_new]`` on are the same, at most
    ``limit``: bisected with C compares that copy nothing (``startswith`` of a memoryview) and
    stop at the first unequal byte, so the cost is the bytes that are the same (0.01 ms for
    700 KB, a byte loop 30 ms). A split in _changed starts its left half and ends its right
    half at a byte that differs: the first byte is looked at first."""
    if not limit or old[at_old] != new[at_new]:
        return 0
    view = memoryview(new)
    same, differs = 1, limit + 1  # the first `same` bytes are equal, the first `differs` not
    while differs - same > 1:
        middle = (same + differs) // 2
        if old.startswith(view[at_new + same:at_new + middle], at_old + same):
            same = middle
        else:
            differs = middle
    return same


def _same_behind(old: bytes, end_old: int, new: bytes, end_new: int, limit: int) -> int:
    """How many bytes before ``old[end_old]`` and ``new[end_new]`` are the same, at most
    ``limit`` (as _same_ahead, backwards)."""
    if not limit or old[end_old - 1] != new[end_new - 1]:
        return 0
    view = memoryview(new)
    same, differs = 1, limit + 1
    while differs - same > 1:
        middle = (same + differs) // 2
        if old.endswith(view[end_new - middle:end_new - same], 0, end_old - same):
            same = middle
        else:
            differs = middle
    return same


def _found_in_old(old: bytes, old_start: int, old_end: int, new: bytes, middle: int,
                  new_start: int, new_end: int) -> int:
    """Where the _ANCHOR bytes of ``new`` from ``middle`` are in ``old[old_start:old_end]``:
    where the edits before them, or after, would have moved them; else the one place they are
    found, the anchor made longer (4x at a time) while it is found in several places (a map's
    records repeat a lot: split at the wrong place, the windows around it grow); -1 when they
    are nowhere."""
    view = memoryview(new)
    for guess in (old_start + middle - new_start, old_end - (new_end - middle)):
        if old_start <= guess <= old_end - _ANCHOR \
                and old.startswith(view[middle:middle + _ANCHOR], guess):
            return guess
    size = _ANCHOR
    while True:
        anchor = new[middle:middle + size]
        found = old.find(anchor, old_start, old_end)
        if found < 0 or old.find(anchor, found + 1, old_end) < 0 or middle + 4 * size > new_end:
            return found  # found once, or nowhere, or still in several places: any is right
        size *= 4


def _changed(old: bytes, new: bytes) -> list[Window] | None:
    """Where ``new`` differs from ``old``, as windows in order with the same bytes between
    them; None when that takes more than _MAX_SPLITS steps (a file rewritten throughout).

    The common start and end are cut off (C compares, see _same_ahead); a remainder larger
    than _SPLIT_AT on both sides is split at bytes from the middle of its new side found in
    its old side (_found_in_old): any place where they are found is a right split (the bytes
    are equal there), only a worse or better one. So edits to a few records far apart give a
    few small windows."""
    windows: list[Window] = []
    todo = [(0, len(old), 0, len(new))]
    splits = 0
    while todo:
        old_start, old_end, new_start, new_end = todo.pop()
        ahead = _same_ahead(old, old_start, new, new_start,
                            min(old_end - old_start, new_end - new_start))
        old_start, new_start = old_start + ahead, new_start + ahead
        behind = _same_behind(old, old_end, new, new_end,
                              min(old_end - old_start, new_end - new_start))
        old_end, new_end = old_end - behind, new_end - behind
        if min(old_end - old_start, new_end - new_start) > _SPLIT_AT:
            middle = (new_start + new_end) // 2
            found = _found_in_old(old, old_start, old_end, new, middle, new_start, new_end)
            if found >= 0:
                splits += 1
                if splits > _MAX_SPLITS:
                    return None
                todo.append((found, old_end, middle, new_end))  # popped second: in order
                todo.append((old_start, found, new_start, middle))
                continue
        if old_start < old_end or new_start < new_end:
            windows.append((old_start, old_end, new_start, new_end))
    return windows


def _widened(windows: list[Window], new: bytes) -> list[Window]:
    """The windows widened over JSON spaces and then one byte (the quote before, the colon
    after) into the same bytes beside them, and joined where they meet: so no
    quote-spaces-colon (what _keys_at_most counts) reaches from the same bytes into the
    changed ones, and the count of the whole new text is the old one, less the old windows',
    plus the new windows'."""
    joined: list[list[int]] = []
    for index, (old_start, old_end, new_start, new_end) in enumerate(windows):
        floor = joined[-1][3] if joined else 0
        while new_start > floor and new[new_start - 1] in _SPACE:
            new_start, old_start = new_start - 1, old_start - 1
        if new_start > floor:
            new_start, old_start = new_start - 1, old_start - 1
        ceiling = windows[index + 1][2] if index + 1 < len(windows) else len(new)
        while new_end < ceiling and new[new_end] in _SPACE:
            new_end, old_end = new_end + 1, old_end + 1
        if new_end < ceiling:
            new_end, old_end = new_end + 1, old_end + 1
        if joined and joined[-1][3] == new_start:
            joined[-1][1], joined[-1][3] = old_end, new_end
        else:
            joined.append([old_start, old_end, new_start, new_end])
    return [(a, b, c, d) for a, b, c, d in joined]


def _bound_after_edits(last: _JsonVersion, raw: bytes,
                       windows: list[Window] | None) -> int:
    """_keys_at_most(raw), from the last version's count corrected in what changed."""
    if windows is None:
        return _keys_at_most(raw)
    bound = last.bound
    for old_start, old_end, new_start, new_end in _widened(windows, raw):
        bound += _keys_at_most(raw[new_start:new_end]) - _keys_at_most(last.raw[old_start:old_end])
    return bound


def _keys_parsed(value: Any) -> int:
    count, stack = 0, [value]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            count += len(value)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return count


def _record_changes(before: dict[Any, Any], after: dict[Any, Any]) -> RecordChanges:
    """Every record compared, in C: no Python frame per record (0.4 ms for 1,200)."""
    changed = list(compress(after, map(ne, after.values(),
                                       map(before.get, after, repeat(_ABSENT)))))
    added = sum(1 for key in changed if key not in before)
    gone = [] if len(before) == len(after) - added else [k for k in before if k not in after]
    return RecordChanges(before, after, changed, gone)


def _followed_changes(before: dict[Any, Any], after: dict[Any, Any],
                      followed: Followed) -> RecordChanges:
    """Only the records read again compared: every other one is the same bytes (see
    jsonrecords.follow) under the same key, so the same record."""
    keys, old_keys = list(after), list(before)
    changed = [key for key in map(keys.__getitem__, followed.read_again)
               if before.get(key, _ABSENT) != after[key]]
    gone = [key for key in map(old_keys.__getitem__, followed.touched_before)
            if key not in after]
    return RecordChanges(before, after, changed, gone)


def _changes(last: _JsonVersion, data: dict[Any, Any], raw: bytes,
             windows: list[Window] | None,
             followed: Followed | None) -> tuple[RecordChanges, Keys | None]:
    """The records that changed since the last version, and where this version's keys begin
    (``followed`` from the last version's, else read whole once the edits are seen to be local:
    a file rewritten throughout is compared record by record and never read token by
    token)."""
    if windows is None:
        return _record_changes(last.data, data), None
    # as many keys written as parsed: no key twice on top, so the n-th key is data's
    if followed is not None and len(followed.keys.starts) == len(data):
        return _followed_changes(last.data, data, followed), followed.keys
    keys = top_level_keys(raw)
    return (_record_changes(last.data, data),
            keys if keys is not None and len(keys.starts) == len(data) else None)


def read_json(raw: bytes, path: str, loads: Callable[[bytes], Any]
              ) -> tuple[Any, RecordChanges | None]:
    """A JSON record file's data by ``loads`` (orjson, or json), refused if it writes a key twice
    (``_refuse_duplicate_keys``), and which records changed since the last version of
    ``path`` read here. When that version's records could be followed into this one, only the
    bytes of those that changed are parsed (``_spliced``); else, or at any doubt, the whole
    text, whose error then says what is wrong and where. Raises what ``loads`` raises."""
    last = _LAST.get(path)
    windows = None if last is None else _changed(last.raw, raw)
    followed = None
    if last is not None and windows is not None and last.keys is not None:
        followed = follow(last.keys, windows, raw)
    data = None
    if last is not None and followed is not None:
        data = _spliced(last, followed, raw, loads)
    if data is None:
        data = loads(raw)  # a text that does not parse leaves the last version kept
    _LAST.pop(path, None)
    return data, _refuse_duplicate_keys(raw, data, path, last, windows, followed)


def _spliced(last: _JsonVersion, followed: Followed, raw: bytes,
             loads: Callable[[bytes], Any]) -> dict[Any, Any] | None:
    """This version's data, parsing only the runs of records read again and taking every
    other record from the last version: what parsing the whole text gives. Every byte outside
    the runs is the last version's, which parsed, and stands where it stood in the object's
    grammar (a run starts at a key, after a comma or the opening brace, and ends at the next
    untouched key or the closing brace); so the text is valid if each run is a list of
    members, as its bytes (less the comma before the next key) parsed inside braces tell.
    None, and the caller parses the whole text, when a run is not that (a comma missing or
    extra, a key twice, a bracket for the closing brace or anything after it), when records
    are gone at the closing brace (the comma before them is outside the run), or when the
    bytes before the first key changed."""
    if followed.from_start or not isinstance(last.data, dict):
        return None
    old = list(last.data.items())
    items: list[Any] = []
    done = 0
    for run in followed.runs:
        items += old[done:run.old_first]
        done = run.old_end
        count = run.new_end - run.new_first
        members = raw[run.start:run.end].rstrip(_SPACE)
        if not count:  # records gone: space alone may stand between the comma and the next key
            if members or run.end == followed.keys.end:
                return None
            continue
        if run.end == followed.keys.end:  # to the closing brace: nothing after it but space
            # (where the object closes was found by a `}` or a `]`: only the brace closes it)
            if raw[run.end:run.end + 1] != b"}" or raw[run.end + 1:].strip(_SPACE):
                return None
        elif members.endswith(b","):  # up to the next key: the comma before it ends the run
            members = members[:-1]
        else:
            return None
        try:
            read = loads(b"{" + members + b"}")
        except ValueError:
            return None
        if not isinstance(read, dict) or len(read) != count:
            return None
        items += read.items()
    items += old[done:]
    data = dict(items)
    return data if len(data) == len(followed.keys.starts) else None


def _refuse_duplicate_keys(raw: bytes, data: Any, path: str, last: _JsonVersion | None,
                           windows: list[Window] | None,
                           followed: Followed | None) -> RecordChanges | None:
    """Refuse JSON parsed by a loader that silently keeps the last of two equal keys (orjson).

    The keys written are bounded in C (``_keys_at_most``) and compared with the keys parsed;
    only when they differ are they counted by the regex that reads every string, and only
    when that differs too is the text walked to name the repeated key and its line. Against
    the file's last version both counts are redone only where it changed: the bound in the
    windows of bytes that differ (_changed), the keys parsed in the records those windows
    touch (jsonrecords.follow) that are unequal to their last version — or, when where the
    records begin cannot be followed, in every record unequal to its last version. Returns
    those records' keys (see RecordChanges) when ``data`` and the last version are both
    mappings. ``last`` is the version of ``path`` read before (taken out of _LAST: a version
    refused is not kept), ``windows`` and ``followed`` what ``read_json`` found between it and
    ``raw``."""
    bound = _keys_at_most(raw) if last is None else _bound_after_edits(last, raw, windows)
    changes, keys = None, None
    counts: dict[Any, int] = {}
    if isinstance(data, dict) and last is not None and isinstance(last.data, dict):
        changes, keys = _changes(last, data, raw, windows, followed)
        counts = last.counts  # taken over: the stored version was popped
        parsed = last.parsed - len(last.data) + len(data)
        for key in chain(changes.gone, changes.changed):
            parsed -= counts.pop(key, 0)
        for key in changes.changed:
            counts[key] = _keys_parsed(data[key])
            parsed += counts[key]
    elif isinstance(data, dict):
        counts = {key: _keys_parsed(record) for key, record in data.items()}
        parsed = len(data) + sum(counts.values())
    else:
        parsed = _keys_parsed(data)
    # parsed ≤ written ≤ bound: equal ends give no repeated key; else count exactly
    if bound != parsed and len(_JSON_KEY.findall(raw)) != parsed:
        json_key_lines(raw.decode("utf-8", "replace"), path)  # raises at a repeated key
    _LAST[path] = _JsonVersion(raw, data, bound, counts, parsed, keys)
    if len(_LAST) > _LAST_FILES:
        _LAST.popitem(last=False)
    return changes


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|\n', re.DOTALL)


def json_key_lines(text: str, path: str) -> dict[KeyPath, int]:
    """Line of every key path in (syntactically valid) JSON; a repeated key is a ParseError.

    Only run when something went wrong: the fast path is ``json.loads``.
    """
    lines: dict[KeyPath, int] = {}
    line = 1
    # one frame per open container: (key path, keys seen if an object, else None)
    frames: list[tuple[KeyPath, set[str] | None]] = []
    pending_key: str | None = None
    last_string: str | None = None
    for token in _JSON_TOKEN.finditer(text):
        value = token.group()
        if value == "\n":
            line += 1
            continue
        line_of_token = line
        line += value.count("\n")
        lines.setdefault((), line_of_token)  # the document starts at its first token
        if value.startswith('"'):
            last_string = json.loads(value)
        elif value == ":" and frames and last_string is not None:
            key_path, keys = frames[-1]
            if keys is not None:
                child = key_path + (last_string,)
                if last_string in keys:
                    raise ParseError(f"duplicate key {'.'.join(child)!r}", path=path,
                                     line=line_of_token, hint="keep one of the two entries")
                keys.add(last_string)
                lines.setdefault(child, line_of_token)
                pending_key = last_string
        elif value in "{[":
            parent = frames[-1][0] if frames else ()
            inner = parent + (pending_key,) if pending_key is not None else parent
            frames.append((inner, set() if value == "{" else None))
            pending_key = None
        elif value in "}]":
            if frames:
                frames.pop()
            pending_key = None
        elif value == ",":
            pending_key = None
        if not value.startswith('"'):
            last_string = None
    return lines
