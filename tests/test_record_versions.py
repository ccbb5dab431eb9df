"""A record file read version after version gives what reading each version alone gives.

The JSON key guard and the map reader keep the last version of each file (jsonkeys._LAST,
records' memo) and redo only what changed; these tests hold them to the whole-text guard and to
a parse with no memo, on random edits, and across two repositories with the same file path.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import EXAMPLES, GitRepo
from tracker.config import RecordSource
from tracker.errors import ParseError
from tracker.pipeline import update
from tracker.sources import formats, jsonkeys
from tracker.sources.formats import load_records
from tracker.sources.jsonkeys import _changed, _keys_at_most, _widened
from tracker.sources.jsonrecords import follow, top_level_keys
from tracker.sources.records import read_record_file

PATH = "prices.json"


@contextmanager
def no_last_versions() -> Iterator[None]:
    """Read as if no version of any file had been read before (the whole-text guard); the
    versions kept before are back afterwards."""
    kept = jsonkeys._LAST.copy()
    jsonkeys._LAST.clear()
    try:
        yield
    finally:
        jsonkeys._LAST.clear()
        jsonkeys._LAST.update(kept)


# --- the bound of the keys written, counted again in the changed bytes only ---------------------

_BYTES = st.lists(st.sampled_from([b'"', b":", b" ", b"\n", b"\\", b"a", b'":', b'" :', b"{"]),
                  max_size=60).map(b"".join)
# (where, how many bytes to cut, what to put there) with where a fraction of the length: 0 is
# the very start, 1 the very end
_EDITS = st.lists(st.tuples(st.floats(0, 1), st.integers(0, 12), _BYTES), min_size=1,
                  max_size=6)


def _edit(raw: bytes, edits: list[tuple[float, int, bytes]]) -> bytes:
    for where, cut, put in edits:
        at = round(where * len(raw))
        raw = raw[:at] + put + raw[at + cut:]
    return raw


def _check_windows(old: bytes, new: bytes) -> None:
    windows = _changed(old, new)
    if windows is None:
        return
    for found in (windows, _widened(windows, new)):
        # the windows say all that changed: old with them put in is new
        rebuilt, at = b"", 0
        for old_start, old_end, new_start, new_end in found:
            assert at <= old_start <= old_end and new_start - old_start == len(rebuilt) - at
            rebuilt += old[at:old_start] + new[new_start:new_end]
            at = old_end
        assert rebuilt + old[at:] == new
    last = jsonkeys._JsonVersion(old, None, _keys_at_most(old), {}, 0)
    assert jsonkeys._bound_after_edits(last, new, windows) == _keys_at_most(new)


@settings(max_examples=300, deadline=None)
@given(_BYTES, st.lists(_EDITS, min_size=1, max_size=4))
def test_the_bound_after_edits_is_the_whole_count(first: bytes, versions: list[Any]) -> None:
    """Splitting where any 2 bytes are found again (so often in the wrong place), and giving
    up after a few splits: every way the windows can be found keeps the count."""
    with mock.patch.multiple(jsonkeys, _SPLIT_AT=4, _ANCHOR=2, _MAX_SPLITS=6):
        old = first
        for edits in versions:
            new = _edit(old, edits)
            _check_windows(old, new)
            old = new


@settings(max_examples=40, deadline=None)
@given(st.lists(_BYTES, min_size=1, max_size=8), st.lists(_EDITS, min_size=1, max_size=3))
def test_the_bound_after_edits_in_a_large_file(chunks: list[bytes],
                                               versions: list[Any]) -> None:
    """With the sizes the guard runs with: a text of 20-80 KB made of a few chunks repeated
    (so the bytes looked for to split at are found in many places)."""
    old = b"".join(chunks[n % len(chunks)] + b"x" * (n % 7) for n in range(2000))
    for edits in versions:
        new = _edit(old, edits)
        _check_windows(old, new)
        old = new


# --- the guard on random versions of a map of records -------------------------------------------

_TEXT = st.text(st.sampled_from(["a", "b", '"', "\\", ":", " ", "é", "\n"]), max_size=3)
_VALUE = st.recursive(st.one_of(st.integers(-3, 3), _TEXT, st.none(), st.booleans()),
                      lambda inner: st.dictionaries(_TEXT, inner, max_size=3)
                      | st.lists(inner, max_size=3), max_leaves=6)
_RECORD = st.dictionaries(_TEXT, _VALUE, max_size=4)
_STYLES = [(None, ": ", "", ""), (4, ": ", "", "\n"), (None, " : ", " ", ""),
           (1, "\t:\n ", "\n", " \n")]
# one version: (what, record key, record, style, which record repeats a key)
_STEP = st.tuples(st.sampled_from(["set", "set", "drop", "repeat in record", "repeat on top",
                                   "restyle"]),
                  _TEXT, _RECORD, st.integers(0, len(_STYLES) - 1), st.integers(0, 7))


def _text(records: dict[str, Any], style: int, repeat: tuple[str, int] | None) -> bytes:
    """The map as JSON written in a style; ``repeat``: a key written twice with the same value
    (the data parsed is the same), in the n-th record or on top."""
    indent, colon, lead, trail = _STYLES[style]

    def dump(value: Any) -> str:
        return json.dumps(value, indent=indent, separators=(",", colon), ensure_ascii=False)

    items = [f"{dump(key)}{colon}{dump(record)}" for key, record in records.items()]
    if repeat is not None and items:
        where, n = repeat
        key, record = list(records.items())[n % len(items)]
        if where == "top":
            items.append(f"{dump(key)}{colon}{dump(record)}")
        elif isinstance(record, dict) and record:
            first, value = next(iter(record.items()))
            items[n % len(items)] = (f"{dump(key)}{colon}{{{dump(first)}{colon}{dump(value)},"
                                     + dump(record)[1:])
    return f"{lead}{{{','.join(items)}}}{trail}".encode()


def _second_line(text: str, written: str) -> int:
    """The line where ``written`` is written the second time (where a repeated key is named)."""
    return text[:text.index(written, text.index(written) + 1)].count("\n") + 1


def _outcome(raw: bytes) -> tuple[Any, ...]:
    try:
        return ("read", load_records(raw, PATH))
    except ParseError as error:
        return ("refused", error.message, error.line)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(_TEXT, _RECORD, max_size=6), st.lists(_STEP, min_size=1, max_size=8))
def test_the_guard_after_edits_is_the_whole_text_guard(first: dict[str, Any],
                                                       steps: list[Any]) -> None:
    """Version after version, the guard that counts again only what changed refuses what the
    whole-text guard refuses (a key repeated in a record that otherwise reads as before, or on
    top), with the same line, and says which records changed as comparing them all would."""
    jsonkeys._LAST.pop(PATH, None)
    records, style, last_read = dict(first), 0, None
    for what, key, record, new_style, n in steps:
        repeat = None
        if what == "set":
            records[key] = record
        elif what == "drop" and records:
            del records[list(records)[n % len(records)]]
        elif what == "restyle":
            style = new_style
        else:
            repeat = ("top" if what == "repeat on top" else "record", n)
        raw = _text(records, style, repeat)
        after = _outcome(raw)
        with no_last_versions():
            whole = _outcome(raw)
        assert after[0] == whole[0] and after[2:] == whole[2:]
        if after[0] == "read":
            data, changes = after[1]
            assert data == whole[1][0] == records
            # what the next version is counted from is what counting this one whole gives:
            # else the guard would fall back to reading every string, and only be slow
            kept = jsonkeys._LAST[PATH]
            assert (kept.bound, kept.parsed) == (_keys_at_most(raw), jsonkeys._keys_parsed(data))
            assert kept.counts == {k: jsonkeys._keys_parsed(r) for k, r in data.items()}
            if last_read is None:
                assert changes is None
            else:
                assert changes is not None and changes.before is last_read
                assert changes.changed == [k for k in data if k not in last_read
                                           or last_read[k] != data[k]]
                assert sorted(changes.gone) == sorted(set(last_read) - set(data))
            last_read = data
        else:
            assert "duplicate key" in after[1]
            last_read = None  # a refused version is not kept: the next is read whole


def test_a_repeated_key_on_top_of_the_same_records_is_refused() -> None:
    """The records parse as in the last version and their keys are counted as before; only the
    bytes say that a key is there twice."""
    records = {f"m{n}": {"provider": "p", "max_tokens": n} for n in range(300)}
    first = json.dumps(records, indent=2).encode()
    load_records(first, PATH)
    twice = first.replace(b'  "m150": {', b'  "m150": {\n    "max_tokens": 150,', 1)
    assert json.loads(twice) == records
    with pytest.raises(ParseError, match="duplicate key 'm150.max_tokens'") as caught:
        load_records(twice, PATH)
    assert caught.value.line == _second_line(twice.decode(), '"max_tokens": 150')


# --- where the records begin, followed from version to version ---------------------------------

@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_TEXT, _VALUE, max_size=6), st.lists(_STEP, min_size=1, max_size=6),
       st.booleans())
def test_the_keys_followed_are_the_keys_read_whole(first: dict[str, Any], steps: list[Any],
                                                   split_often: bool) -> None:
    """Where each top-level key begins, followed through the windows that changed, is where
    reading the new text whole finds them; every record that changed was read again (none
    is concluded the same without its bytes being the same)."""
    records, style = dict(first), 0
    old = _text(records, style, None)
    splits = (4, 2) if split_often else (jsonkeys._SPLIT_AT, jsonkeys._ANCHOR)
    with mock.patch.multiple(jsonkeys, _SPLIT_AT=splits[0], _ANCHOR=splits[1]):
        for what, key, record, new_style, n in steps:
            before = dict(records)
            if what in ("set", "repeat in record", "repeat on top"):
                records[key] = record
            elif what == "drop" and records:
                del records[list(records)[n % len(records)]]
            else:
                style = new_style
            new = _text(records, style, None)
            windows = _changed(old, new)
            last = top_level_keys(old)
            assert last is not None and windows is not None
            followed = follow(last, windows, new)
            if followed is not None:
                assert followed.keys == top_level_keys(new)
                keys, old_keys = list(records), list(before)
                read = {keys[i] for i in followed.read_again}
                assert {k for k in records if before.get(k, None) != records[k]
                        or k not in before} <= read
                assert set(before) - set(records) <= {old_keys[i]
                                                      for i in followed.touched_before}
            old = new


def test_one_record_changed_in_a_large_map_is_all_that_is_read_again() -> None:
    records = {f"m{n}": {"provider": "p", "max_tokens": n, "flags": [n % 2 == 0, None]}
               for n in range(2000)}
    old = json.dumps(records, indent=4).encode()
    records["m700"]["max_tokens"] = 7
    records["m1500"] = {"provider": "q"}
    del records["m1000"]
    new = json.dumps(records, indent=4).encode()
    last = top_level_keys(old)
    assert last is not None
    windows = _changed(old, new)
    assert windows is not None and len(windows) == 3
    followed = follow(last, windows, new)
    assert followed is not None and followed.keys == top_level_keys(new)
    keys = list(records)
    assert {keys[i] for i in followed.read_again} <= {"m700", "m999", "m1001", "m1500", "m701",
                                                      "m699", "m1499", "m1501"}


def test_records_moved_into_another_are_not_followed() -> None:
    """Two keys go one level down (into the record before them, the one between the two
    edits untouched): its bytes are the same, but not read from the same state. The reading
    from the first changed record does not arrive at its key where the last version had
    it, so nothing is concluded (the records are then compared)."""
    long = "x" * 6000
    old = json.dumps({"a": 1, "c": long, "d": 4, "e": 5}).encode()
    new = json.dumps({"a": {"q": 1, "c": long, "d": 4}, "e": 5}).encode()
    closed = old.index(b'4, "e"') + 1
    windows = [(6, 6, 6, 12), (closed, closed, closed + 6, closed + 7)]  # what was put in
    assert old[:6] + new[6:12] + old[6:closed] + b"}" + old[closed:] == new
    last = top_level_keys(old)
    assert last is not None
    assert follow(last, windows, new) is None


# --- only the records that changed parsed, the others the last version's -----------------------

def _parsed(raw: bytes) -> tuple[Any, ...]:
    """What the JSON reader makes of ``raw``: the data with its keys in order, or the error."""
    try:
        data, _changes = load_records(raw, PATH)
    except ParseError as error:
        return ("refused", error.message, error.line)
    return ("read", data, list(data) if isinstance(data, dict) else None)


# a step: the records rewritten as _text writes them (valid JSON), or bytes edited anywhere
_BYTE_STEP = st.one_of(_STEP, st.lists(st.tuples(st.floats(0, 1), st.integers(0, 12),
                                                 st.sampled_from([b"", b",", b"}", b"{", b" ",
                                                                  b'"', b"1", b'"k":2,',
                                                                  b'"k": [1, {"a": 2}]', b"x",
                                                                  b',"a":1', b"\n", b"]"])),
                                       min_size=1, max_size=3))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_TEXT, _RECORD | st.integers(-999, 999) | _TEXT, min_size=1, max_size=6),
       st.lists(_BYTE_STEP, min_size=1, max_size=8), st.booleans())
def test_a_map_parsed_where_it_changed_is_the_map_parsed_whole(
        first: dict[str, Any], steps: list[Any], split_often: bool) -> None:
    """Version after version, what the reader makes of a text by parsing only the records in
    the bytes that changed (and a text edited anywhere, often no longer JSON) is what parsing
    it whole makes of it: the same data, keys in the same order, or the same refusal at the
    same line."""
    jsonkeys._LAST.pop(PATH, None)
    records, style = dict(first), 0
    raw = _text(records, style, None)
    splits = (4, 2) if split_often else (jsonkeys._SPLIT_AT, jsonkeys._ANCHOR)
    with mock.patch.multiple(jsonkeys, _SPLIT_AT=splits[0], _ANCHOR=splits[1]):
        assert _parsed(raw)[0] == "read"
        for step in steps:
            if isinstance(step, list):
                new = _edit(raw, step)
            else:
                what, key, record, new_style, n = step
                if what == "drop" and records:
                    del records[list(records)[n % len(records)]]
                elif what == "restyle":
                    style = new_style
                else:
                    records[key] = record
                new = _text(records, style, ("top", n) if what == "repeat on top" else
                            ("record", n) if what == "repeat in record" else None)
            after = _parsed(new)
            with no_last_versions():
                assert after == _parsed(new)
            if after[0] == "read":
                raw = new


@pytest.mark.parametrize("edit", [
    (b'"b": 23, "c"', b'"b": 23 "c"'),  # the comma before the next key lost
    (b'"b": 23, "c"', b'"b": 23,, "c"'),  # one too many
    (b'"c": 45}', b'"c": 45,}'),  # one before the closing brace
    (b'"c": 45}', b'}'),  # the last record gone, not the comma before it
    (b'"c": 45}', b'"c": 45]'),  # closed by a bracket
    (b'"c": 45}', b'"c": 45} 6'),  # something after it
    (b'"c": 45}', b'"c": 45}\n  '),  # only space after it: still the same map
    (b'"b": 23, ', b''),  # a record gone with its comma
    (b'"b": 23, ', b'"b": 23, "b": 24, '),  # a key twice
])
def test_a_changed_record_that_breaks_the_map_is_refused_as_read_whole(
        edit: tuple[bytes, bytes]) -> None:
    """A third version that differs from the second by one edit: what parsing only the records
    it touches makes of it is what the whole text says (read, or refused at the same line);
    the whole text is parsed exactly when the edit broke the map."""
    jsonkeys._LAST.pop(PATH, None)
    first = b'{"a": 1, "b": 23, "c": 45}'
    # where the keys begin is found at the second version; the third differs only by the edit
    for raw in (first.replace(b"1", b"12"), first):
        load_records(raw, PATH)
    raw = first.replace(*edit)
    texts: list[bytes] = []
    real_loads = formats._json_loads  # orjson, or json: what the whole text is parsed with

    def loads(text: bytes) -> Any:
        texts.append(text)
        return real_loads(text)

    with mock.patch.object(formats, "_json_loads", loads):
        after = _parsed(raw)
    with no_last_versions():
        assert after == _parsed(raw)
    assert (raw in texts) == (after[0] == "refused")


def test_one_record_changed_is_all_that_is_parsed() -> None:
    records = {f"m{n}": {"provider": "p", "max_tokens": n} for n in range(2000)}
    old = json.dumps(records, indent=4).encode()
    jsonkeys._LAST.pop(PATH, None)
    load_records(old, PATH)
    records["m5"]["max_tokens"] = 6
    load_records(json.dumps(records, indent=4).encode(), PATH)  # where the keys begin found
    records["m700"]["max_tokens"] = 7
    records["m1500"] = {"provider": "q"}
    new = json.dumps(records, indent=4).encode()
    texts: list[bytes] = []

    def loads(text: bytes) -> Any:
        texts.append(text)
        return json.loads(text)

    data, changes = jsonkeys.read_json(new, PATH, loads)
    assert data == records and list(data) == list(records)
    assert changes is not None and changes.changed == ["m700", "m1500"]
    assert len(texts) == 2 and all(len(text) < 200 for text in texts)
    assert b'"m700"' in texts[0] and b'"m1500"' in texts[1]


# --- the map reader: only the changed records read, the rest from the memo ----------------------

_SOURCE = RecordSource(files=[PATH], layout="map", id_from="key", service_field="p",
                       fields={"context": "c", "input_price": "i", "shutdown_date": "d"},
                       skip_keys=["spec"])
# Values equal as Python values read the same (no 1 beside 1.0 or true): a record equal (==)
# to its last version keeps its model, as main's reader keeps one whose fields are equal.
_FIELD = st.one_of(st.none(), st.integers(2, 5), st.sampled_from(["x", "y", "", "1K"]),
                   st.sampled_from([0.25, 1.5, 7e-07]), st.booleans())
_MAP_RECORD = st.one_of(
    st.fixed_dictionaries({}, optional={"p": st.sampled_from(["s1", "s2", "", 7]), "c": _FIELD,
                                        "i": _FIELD, "d": _FIELD, "noise": _FIELD}),
    st.sampled_from([None, 3, "text", []]))  # not a mapping: not a model
_MAP_KEY = st.sampled_from(["a", "b", "c", "d", "e", "spec", "f"])


def _read_alone(raw: bytes) -> Any:
    """``raw`` read by a reader that has read nothing before."""
    with no_last_versions():
        read = read_record_file(replace(_SOURCE), raw, PATH)
    return ({s.id: s for s in read.services}, read.fell_back, read.without_id)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(_MAP_KEY, _MAP_RECORD, max_size=6),
       st.lists(st.tuples(_MAP_KEY, _MAP_RECORD, st.booleans(), st.booleans()), min_size=1,
                max_size=10))
def test_a_map_read_version_after_version_is_each_read_alone(
        first: dict[str, Any], steps: list[tuple[str, Any, bool, bool]]) -> None:
    """Two readers of the same file (two configurations in one process) take turns: each
    reads what it reads alone, though the JSON reader's last version is the other's."""
    readers = (replace(_SOURCE), replace(_SOURCE))  # each its own memo
    jsonkeys._LAST.pop(PATH, None)
    records = dict(first)
    for key, record, drop, other in [("a", None, False, False), *steps]:
        if drop:
            records.pop(key, None)
        else:
            records[key] = record
        raw = json.dumps(records).encode()
        read = read_record_file(readers[other], raw, PATH)
        assert ({s.id: s for s in read.services}, read.fell_back, read.without_id) \
            == _read_alone(raw)


# --- two repositories, one process, the same path -----------------------------------------------

def _litellm_repo(root: Path, records: dict[str, Any], text: str | None = None) -> GitRepo:
    repo = GitRepo(root)
    repo.write("tracker.yaml", (EXAMPLES / "configs" / "litellm.yaml").read_text())
    repo.write(MAP, text if text is not None else json.dumps(records, indent=4))
    repo.commit("prices", "2025-03-01T10:00:00+08:00")
    return repo


MAP = "model_prices_and_context_window.json"


def test_a_path_read_in_another_repository_is_compared_with_its_bytes(tmp_path: Path) -> None:
    """The versions kept are found by path, which another repository shares: a version there
    with the records of the one kept here but a key written twice is refused, with its line;
    the next version here reads as it would alone."""
    records = {f"m{n}": {"litellm_provider": "openai", "max_input_tokens": 1000 * n,
                         "input_cost_per_token": n * 1e-6} for n in range(1, 200)}
    first = _litellm_repo(tmp_path / "first", records)
    assert [e.kind for e in update(first.root).new_events] == ["service_added"]

    text = json.dumps(records, indent=4).replace('"m99": {', '"m99": {\n "max_input_tokens": 99000,')
    assert json.loads(text) == records
    second = _litellm_repo(tmp_path / "second", records, text)
    warned = update(second.root).warnings
    assert [(w.path, w.line) for w in warned] == [(MAP, _second_line(text, '"max_input_tokens": 99000'))]
    assert "duplicate key 'm99.max_input_tokens'" in warned[0].reason

    records["m7"]["input_cost_per_token"] = 9e-6
    first.write(MAP, json.dumps(records, indent=4))
    first.commit("m7 costs more", "2025-03-02T10:00:00+08:00")
    events = update(first.root).new_events
    assert [(e.kind, e.model, e.new) for e in events] == [("price_increase", "m7", 9.0)]
