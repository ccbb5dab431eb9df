"""Where the records of a JSON map begin in its text, followed from version to version: which
records the bytes that changed since the file's last version can have touched.

A map of 1,200 records (LiteLLM's) changes in a few a commit; comparing every record with its
last version is 0.4 ms even in C. Knowing where each top-level key begins in the last version,
the records a changed window of bytes (jsonkeys._changed) falls in are found by bisection,
and only the text from the first of them to the next untouched key is read again, token by
token. Every other record is the same bytes read from the same state (at a key of the
top-level object): the same key, the same value. The reading must arrive exactly at the
untouched key's new place, else nothing is concluded and the caller compares every record.
What was read again is also where the records that changed are written (``Run``): jsonkeys
parses only those bytes.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

Window = tuple[int, int, int, int]  # old[start:end] became new[start:end]: (old start, old
# end, new start, new end)

# a string, or a byte of structure: what tells where a top-level key begins
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[][{},]', re.DOTALL)
_QUOTE, _COMMA = ord('"'), ord(",")
_OPEN = (ord("{"), ord("["))


@dataclass(frozen=True)
class Keys:
    """Where each key of a JSON text's top-level object begins (its opening quote), in order,
    and where the object closes."""

    starts: list[int]
    end: int


@dataclass(frozen=True)
class Run:
    """Records read again together: the last version's ``old_first:old_end`` (by index) became
    the new version's ``new_first:new_end``, written in its bytes ``start:end`` — from the
    first one's key (or the text's start: ``Followed.from_start``) to the next untouched key,
    or to where the object closes."""

    old_first: int
    old_end: int
    new_first: int
    new_end: int
    start: int
    end: int


@dataclass(frozen=True)
class Followed:
    """The keys of the new version, and the runs of records read again; ``from_start`` when
    the bytes before the first key changed (the first run was read from the text's start)."""

    keys: Keys
    runs: list[Run]
    from_start: bool

    @property
    def read_again(self) -> list[int]:
        """The indexes of the records read again, in the new version's keys."""
        return [i for run in self.runs for i in range(run.new_first, run.new_end)]

    @property
    def touched_before(self) -> list[int]:
        """The indexes of the records the changes touched, in the last version's keys."""
        return [i for run in self.runs for i in range(run.old_first, run.old_end)]


def _scan(raw: bytes, at: int, depth: int, stop: int | None) -> tuple[list[int], int] | None:
    """The top-level keys from ``at`` on, read in a state known to be right there: before the
    object (``depth`` 0) or inside it where a key may begin (1). Ends where a key begins at
    ``stop`` (returned as the end), or where the object closes when ``stop`` is None; None
    when the text does not arrive there."""
    starts: list[int] = []
    expect_key = depth == 1
    for token in _TOKEN.finditer(raw, at):
        first = raw[token.start()]
        if first == _QUOTE:
            if depth == 1 and expect_key:
                where = token.start()
                if stop is not None and where >= stop:
                    return (starts, where) if where == stop else None
                starts.append(where)
                expect_key = False
        elif first == _COMMA:
            expect_key = depth == 1
        elif first in _OPEN:
            depth += 1
            expect_key = depth == 1
        else:
            depth -= 1
            if depth == 0:
                return (starts, token.start()) if stop is None else None
    return None


def top_level_keys(raw: bytes) -> Keys | None:
    """Where the top-level object's keys begin, read from the whole text (20 µs a KB: done
    once per file; later versions are followed, see follow)."""
    found = _scan(raw, 0, 0, None)
    return Keys(*found) if found is not None else None


def follow(last: Keys, windows: list[Window], new: bytes) -> Followed | None:
    """The keys of ``new`` from those of the last version and the windows where the two
    differ (unwidened, in order, with the same bytes between them); None when the text read
    again does not arrive at the next untouched key (then nothing is known)."""
    starts, count = last.starts, len(last.starts)
    if not count:
        return None
    # runs of touched records: [first, last, shift before, shift after]; first -1 when the
    # bytes before the first key changed (then the text is read from its start)
    touched_runs: list[list[int]] = []
    shift = 0
    for old_start, old_end, new_start, new_end in windows:
        first = bisect_right(starts, old_start) - 1
        final = max(first, bisect_right(starts, max(old_start, old_end - 1)) - 1, 0)
        after = shift + (new_end - new_start) - (old_end - old_start)
        if touched_runs and first <= touched_runs[-1][1] + 1:
            touched_runs[-1][1], touched_runs[-1][3] = max(touched_runs[-1][1], final), after
        else:
            touched_runs.append([first, final, shift, after])
        shift = after
    new_starts: list[int] = []
    reread: list[Run] = []
    done, end = 0, last.end + shift
    for first, final, before, after in touched_runs:
        new_starts.extend(starts[done:max(first, 0)] if not before
                          else [at + before for at in starts[done:max(first, 0)]])
        stop = starts[final + 1] + after if final + 1 < count else None
        start = 0 if first < 0 else starts[first] + before
        found = _scan(new, start, 0 if first < 0 else 1, stop)
        if found is None:
            return None
        reread.append(Run(max(first, 0), final + 1, len(new_starts),
                          len(new_starts) + len(found[0]), start, found[1]))
        new_starts.extend(found[0])
        done = final + 1
        if stop is None:
            end = found[1]
    new_starts.extend(starts[done:] if not shift else [at + shift for at in starts[done:]])
    return Followed(Keys(new_starts, end), reread, bool(touched_runs) and touched_runs[0][0] < 0)
