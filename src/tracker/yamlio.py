"""YAML in and out, built once for every file tracker reads or writes: libyaml's C loader and
dumper (the pure-Python ones are ~7× slower), with the guards every file a user edits needs —
a key written twice is refused, and a document may not expand through aliases ("billion
laughs") beyond ``MAX_NODES`` nodes before it is ever constructed.

Both directions have a fast path for the plain documents tracker writes itself (a ledger of
thousands of events): PyYAML scans and emits in C but composes, resolves and represents every
node in Python, so values are built straight from the parser's events (each distinct plain
scalar resolved once) and written as events to the C emitter — the same values and types, the
same bytes. A document with anchors, aliases, tags, merge or complex keys, a repeated key or a
syntax error takes the guarded path, which alone decides what is refused and how it is told.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

from tracker.errors import TrackerError

LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

# Aliases are allowed (``<<: *defaults`` is handy across models), but the expanded document may
# not exceed this many nodes, or the text's length in characters if that is more: every node
# without aliases takes at least one character, so only aliases can expand beyond it (a long
# ledger month is never refused; a "billion laughs" always is).
MAX_NODES = 50_000

KeyPath = tuple[str, ...]


class YamlError(Exception):
    """Why a text is not YAML we accept. ``line`` is 1-based within the text, or None;
    ``syntax`` tells a malformed text (callers add their own hint) from a refused one."""

    def __init__(self, message: str, line: int | None, hint: str | None = None,
                 syntax: bool = False) -> None:
        super().__init__(message)
        self.message, self.line, self.hint, self.syntax = message, line, hint, syntax


def dump(data: Any) -> bytes:
    """``data`` as block-style UTF-8 YAML, keys in the order given: the same data, the same
    bytes (those of ``yaml.dump`` with these options, written faster). A lone surrogate (a byte
    that was not UTF-8, carried through) cannot be written: a TrackerError names the text
    holding it, and no bytes are returned, so no half-written file."""
    try:
        return _dumped(data)
    except UnicodeEncodeError as error:
        text = error.object if isinstance(error.object, str) else repr(error.object)
        start = text.rfind("\n", 0, error.start) + 1
        end = text.find("\n", error.start)
        line = text[start:end if end >= 0 else len(text)]
        shown = line.strip().encode("utf-8", "backslashreplace").decode("utf-8")
        raise TrackerError(
            f"cannot write {shown!r}: it holds a lone surrogate (U+{ord(text[error.start]):04X}),"
            " which UTF-8 cannot encode; nothing was written",
            hint="fix the file or name that holds bytes which are not UTF-8") from None


def _dumped(data: Any) -> bytes:
    events: list[Any] = [yaml.StreamStartEvent(), yaml.DocumentStartEvent(explicit=False)]
    try:
        _events(data, events, set())
    except (_Unusual, RecursionError):
        text: str = yaml.dump(data, Dumper=DUMPER, allow_unicode=True, sort_keys=False,
                              default_flow_style=False, width=4096)
        return text.encode("utf-8")
    events += [yaml.DocumentEndEvent(explicit=False), yaml.StreamEndEvent()]
    emitted: str = yaml.emit(events, Dumper=DUMPER, allow_unicode=True, width=4096)
    return emitted.encode("utf-8")


def load(text: str | bytes) -> Any:
    """The document in ``text`` (None when empty), guarded; raises YamlError."""
    try:
        return load_plain(text)
    except (_Unusual, yaml.YAMLError, RecursionError, ValueError):
        return load_with_lines(text)[0]  # what is refused, and how, is decided there


def load_with_lines(text: str | bytes) -> tuple[Any, dict[KeyPath, int]]:
    """The document in ``text`` and the 1-based line of every key path in it (``()`` is the
    document itself), guarded; raises YamlError."""
    loader = LOADER(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            raise YamlError(str(error.problem or error), mark.line + 1 if mark else None,
                            syntax=True) from None
        except (yaml.YAMLError, RecursionError, ValueError) as error:
            raise YamlError(str(error), None, syntax=True) from None
        if node is None:  # an empty document: nothing where the data belongs, line 1
            return None, {(): 1}
        lines = _guard(node, max(MAX_NODES, len(text)))
        try:
            return loader.construct_document(node), lines
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            raise YamlError(str(error.problem or error), mark.line + 1 if mark else None,
                            syntax=True) from None
        except (yaml.YAMLError, RecursionError, ValueError, TypeError) as error:
            raise YamlError(str(error), None, syntax=True) from None
    finally:
        loader.dispose()


def _guard(root: yaml.Node, max_nodes: int) -> dict[KeyPath, int]:
    """Walk the composed node tree once: bound alias expansion, refuse duplicate keys, map
    lines."""
    lines: dict[KeyPath, int] = {(): root.start_mark.line + 1}
    # Depth first with an exit marker per node, so the nodes on the current path are known: an
    # alias back to one of them is a loop, refused before its key paths could grow without end.
    stack: list[tuple[yaml.Node, KeyPath, bool]] = [(root, (), False)]
    on_path: set[int] = set()
    visited = 0
    while stack:
        node, key_path, leaving = stack.pop()
        if leaving:
            on_path.discard(id(node))
            continue
        if id(node) in on_path:
            raise YamlError("recursive aliases: an alias refers to a node that contains it",
                            node.start_mark.line + 1,
                            hint="write the values out instead of nesting aliases (&/*)")
        visited += 1
        if visited > max_nodes:
            raise YamlError(f"document expands to more than {max_nodes} nodes through aliases",
                            node.start_mark.line + 1,
                            hint="write the values out instead of nesting aliases (&/*)")
        if not isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            continue
        on_path.add(id(node))
        stack.append((node, key_path, True))
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    stack.append((value_node, key_path, False))
                    continue
                key = str(key_node.value)
                child = key_path + (key,)
                if isinstance(key_node, yaml.ScalarNode) and key in seen:
                    raise YamlError(f"duplicate key {'.'.join(child)!r}",
                                    key_node.start_mark.line + 1,
                                    hint="keep one of the two entries")
                seen.add(key)
                lines.setdefault(child, key_node.start_mark.line + 1)
                stack.append((value_node, child, False))
        else:
            stack.extend((item, key_path, False) for item in node.value)
    return lines


# -- the fast paths -----------------------------------------------------------------------------

class _Unusual(Exception):
    """The data holds more than mappings, sequences and untagged plain values, once each."""


_TAG = "tag:yaml.org,2002:"
_STR, _MAP, _SEQ = _TAG + "str", _TAG + "map", _TAG + "seq"
_SIMPLE_TAGS = {_TAG + name for name in ("str", "int", "float", "bool", "null", "timestamp")}
_MAX_DEPTH = 200  # deeper than any ledger: left to the guarded path and its RecursionError
_CACHE_SIZE = 65536
_VALUES: dict[str, Any] = {}  # a plain scalar's text → its value
_IMPLICIT: dict[tuple[str, str], tuple[bool, bool]] = {}
_RESOLVER: Any = yaml.resolver.Resolver()


def _scalar(loader: Any, event: Any) -> Any:
    """What the safe loader makes of one untagged scalar, memoized: a ledger repeats the same
    keys and values thousands of times, and resolving each is most of PyYAML's time."""
    if event.anchor is not None or (event.tag is not None and event.tag != "!"):
        raise _Unusual
    if not event.implicit[0]:
        return event.value  # quoted or block text: a string as written
    try:
        return _VALUES[event.value]
    except KeyError:
        pass
    tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
    if tag == _STR:
        value = event.value
    elif tag in _SIMPLE_TAGS:
        value = loader.yaml_constructors[tag](loader, yaml.ScalarNode(tag, event.value))
    else:
        raise _Unusual  # a merge key, or a value only a hand edit writes
    if len(_VALUES) < _CACHE_SIZE:
        _VALUES[event.value] = value
    return value


class _Mapping:
    """A mapping being built from events: its entries so far and the key awaiting a value."""

    __slots__ = ("data", "key", "has_key", "seen")

    def __init__(self) -> None:
        self.data: dict[Any, Any] = {}
        self.key: Any = None
        self.has_key = False
        self.seen: set[str] = set()  # the keys' texts, as the guard compares them


def load_plain(text: str | bytes) -> Any:
    """The safe loader's result built straight from libyaml's event stream; raises _Unusual
    for anything but plain mappings, sequences and scalars with distinct keys (and lets the
    parser's errors through), all of which go to the guarded path."""
    loader = LOADER(text)
    try:
        stack: list[Any] = []  # the open containers: lists and _Mappings
        result: Any = None
        documents = 0
        while True:
            event = loader.get_event()
            kind = type(event)
            key_text = None
            if kind is yaml.ScalarEvent:
                value = _scalar(loader, event)
                key_text = event.value
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                if event.anchor is not None or (event.tag is not None and event.tag != "!") \
                        or len(stack) >= _MAX_DEPTH:
                    raise _Unusual
                stack.append(_Mapping() if kind is yaml.MappingStartEvent else [])
                continue
            elif kind is yaml.MappingEndEvent:
                value = stack.pop().data
            elif kind is yaml.SequenceEndEvent:
                value = stack.pop()
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise _Unusual
                continue
            elif kind is yaml.StreamEndEvent:
                return result
            elif kind is yaml.StreamStartEvent or kind is yaml.DocumentEndEvent:
                continue
            else:  # an alias
                raise _Unusual
            if not stack:
                result = value
                continue
            top = stack[-1]
            if type(top) is list:
                top.append(value)
            elif top.has_key:
                top.data[top.key] = value
                top.has_key = False
            elif key_text is None or key_text in top.seen:
                raise _Unusual  # a complex or repeated key
            else:
                top.seen.add(key_text)
                top.key, top.has_key = value, True
    finally:
        loader.dispose()


def _scalar_event(tag: str, value: str) -> Any:
    """The event the safe serializer makes of one scalar: implicit when the resolver would give
    the same tag back, so the emitter writes it plain or quotes it just the same."""
    key = (tag, value)
    implicit = _IMPLICIT.get(key)
    if implicit is None:
        implicit = (tag == _RESOLVER.resolve(yaml.ScalarNode, value, (True, False)),
                    tag == _RESOLVER.resolve(yaml.ScalarNode, value, (False, True)))
        if len(_IMPLICIT) < _CACHE_SIZE:
            _IMPLICIT[key] = implicit
    return yaml.ScalarEvent(None, tag, implicit, value)


def _float_text(value: float) -> str:
    """SafeRepresenter.represent_float's text."""
    if value != value:
        return ".nan"
    if value in (math.inf, -math.inf):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value).lower()
    if "." not in text and "e" in text:
        text = text.replace("e", ".0e", 1)
    return text


def _events(data: Any, out: list[Any], seen: set[int]) -> None:
    """The serializer's events for ``data``, as SafeRepresenter + Serializer would make them."""
    kind = type(data)
    if kind is str:
        out.append(_scalar_event(_STR, data))
    elif kind is dict or kind is list:
        if id(data) in seen:
            raise _Unusual  # shared: the representer writes an anchor and an alias
        seen.add(id(data))
        if kind is dict:
            out.append(yaml.MappingStartEvent(None, _MAP, True, flow_style=False))
            for key, value in data.items():
                _events(key, out, seen)
                _events(value, out, seen)
            out.append(yaml.MappingEndEvent())
        else:
            out.append(yaml.SequenceStartEvent(None, _SEQ, True, flow_style=False))
            for value in data:
                _events(value, out, seen)
            out.append(yaml.SequenceEndEvent())
    elif data is None:
        out.append(_scalar_event(_TAG + "null", "null"))
    elif kind is bool:
        out.append(_scalar_event(_TAG + "bool", "true" if data else "false"))
    elif kind is int:
        out.append(_scalar_event(_TAG + "int", str(data)))
    elif kind is float:
        out.append(_scalar_event(_TAG + "float", _float_text(data)))
    else:
        raise _Unusual


# -- the written form, read without libyaml ------------------------------------------------------
#
# A ledger month is block YAML exactly as dump() writes it: two-space indents, sequences inside
# mappings not indented, one scalar per line (width 4096), strings quoted only when plain would
# read differently. Reading that form line by line is several times faster than libyaml's event
# stream as PyYAML hands it to Python (one object per event). Anything else in the text — a
# comment, a blank line, a double-quoted or multi-line scalar, a flow collection, an anchor, a
# tab or a control character — is _Unusual and goes to load_plain, then the guarded path.

_BAD_CHARS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\ufeff\u2028\u2029\ud800-\udfff\ufffe\uffff]")
_PLAIN_FIRST_BAD = frozenset("[]{}#&*!|>'\"%@`,")
_CONSTRUCTOR: Any = yaml.constructor.SafeConstructor()
_WRITTEN: dict[str, Any] = {}  # a valid one-line plain scalar's text → its value


def _plain(text: str) -> Any:
    """The value of a plain scalar written on one line, as the safe loader resolves it;
    memoized in _WRITTEN, which holds only texts checked here (_VALUES also holds texts that
    libyaml folded from several lines)."""
    try:
        return _WRITTEN[text]
    except KeyError:
        pass
    first = text[:1]
    if not text or first in _PLAIN_FIRST_BAD or (first in "-?:" and text[1:2] in ("", " ")) \
            or ": " in text or " #" in text or text[-1] in " :":
        raise _Unusual
    tag = _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))
    if tag == _STR:
        value: Any = text
    elif tag in _SIMPLE_TAGS:
        value = _CONSTRUCTOR.yaml_constructors[tag](_CONSTRUCTOR, yaml.ScalarNode(tag, text))
    else:
        raise _Unusual
    if len(_WRITTEN) < _CACHE_SIZE:
        _WRITTEN[text] = value
    return value


def _quoted(text: str) -> str:
    """A single-quoted scalar on one line: its text, quotes undoubled."""
    inner = text[1:-1]
    if len(text) < 2 or text[-1] != "'" or "'" in inner.replace("''", ""):
        raise _Unusual
    return inner.replace("''", "'")


def _value(text: str) -> Any:
    if text[:1] == "'":
        return _quoted(text)
    if text == "{}":
        return {}
    if text == "[]":
        return []
    return _plain(text)


def _key(text: str) -> tuple[Any, str, str | None]:
    """``key: value`` or ``key:`` → (key, the key's text, the value's text or None)."""
    if text[:1] == "'":
        end = 1
        while True:
            end = text.find("'", end)
            if end < 0:
                raise _Unusual
            if text[end + 1:end + 2] != "'":
                break
            end += 2
        key_text, rest = _quoted(text[:end + 1]), text[end + 1:]
        if rest == ":":
            return key_text, key_text, None
        if not rest.startswith(": "):
            raise _Unusual
        return key_text, key_text, rest[2:]
    colon = text.find(": ")
    if colon < 0:
        if text[-1:] != ":":
            raise _Unusual
        key_text, value_text = text[:-1], None
    else:
        key_text, value_text = text[:colon], text[colon + 2:]
    if key_text[:1] == "?" or key_text[:1] == "-" and key_text[1:2] in ("", " "):
        raise _Unusual
    return _plain(key_text), key_text, value_text


class _Lines:
    __slots__ = ("lines", "at")

    def __init__(self, lines: list[str]) -> None:
        self.lines, self.at = lines, 0

    def indent(self) -> int:
        """The indent of the current line; -1 past the end."""
        if self.at >= len(self.lines):
            return -1
        line = self.lines[self.at]
        return len(line) - len(line.lstrip(" "))


def _block(lines: _Lines, indent: int) -> Any:
    """The collection whose first line is the current one, at ``indent``."""
    text = lines.lines[lines.at][indent:]
    if text.startswith("- ") or text == "-":
        return _sequence(lines, indent)
    return _mapping(lines, indent, None)


def _sequence(lines: _Lines, indent: int) -> list[Any]:
    items: list[Any] = []
    while lines.indent() == indent and lines.lines[lines.at][indent:indent + 2] == "- ":
        rest = lines.lines[lines.at][indent + 2:]
        if rest[:2] == "- " or rest == "-" or not rest or rest[:1] == " ":
            raise _Unusual
        if rest[:1] == "'" and rest[-1:] == "'" and "': " not in rest or rest in ("{}", "[]") \
                or (rest[:1] != "'" and ": " not in rest and rest[-1:] != ":"):
            items.append(_value(rest))
            lines.at += 1
        else:
            items.append(_mapping(lines, indent + 2, rest))
    return items


def _mapping(lines: _Lines, indent: int, first: str | None) -> dict[Any, Any]:
    """A block mapping at ``indent``; ``first`` is its first entry when it follows a ``- ``
    on the current line. The hot loop of a ledger read, so written out flat."""
    data: dict[Any, Any] = {}
    seen: set[str] = set()  # the keys' texts, as the guard compares them
    rows, at = lines.lines, lines.at
    prefix, end = " " * indent, len(lines.lines)
    values = _WRITTEN
    while True:
        if first is not None:
            text, first = first, None
        elif at < end and rows[at].startswith(prefix) and rows[at][indent:indent + 1] != " ":
            text = rows[at][indent:]
            if text[:2] == "- " or text == "-":
                break  # the next item of a sequence this mapping is in
        else:
            break
        colon = text.find(": ")
        if colon > 0 and text[0] != "'":
            key_text = text[:colon]
            try:
                key = values[key_text]
            except KeyError:
                key, key_text, value_text = _key(text)
            else:
                value_text = text[colon + 2:]
        else:
            key, key_text, value_text = _key(text)
        if key_text in seen:
            raise _Unusual  # a key written twice: the guarded path refuses it
        seen.add(key_text)
        at += 1
        if value_text is not None:
            try:
                data[key] = values[value_text]
            except KeyError:
                if not value_text or value_text[:1] == " ":
                    raise _Unusual from None
                data[key] = _value(value_text)
            continue
        lines.at = at
        below = lines.indent()
        if below == indent and rows[at][indent:indent + 2] == "- ":
            data[key] = _sequence(lines, indent)  # a sequence in a mapping is not indented
        elif below == indent + 2:
            data[key] = _block(lines, below)
        else:
            raise _Unusual  # an empty value: dump() writes null
        at = lines.at
    if len(data) != len(seen):
        raise _Unusual  # two texts of one key (1 and 0x1): as load_plain, the guarded path
    lines.at = at
    return data


def load_written(text: str) -> Any:
    """A document in the form dump() writes, read line by line; anything else, or anything
    wrong, through ``load`` (the event stream, then the guarded path) — the same values."""
    try:
        return _load_written(text)
    except (_Unusual, RecursionError):
        return load(text)


def _load_written(text: str) -> Any:
    if not text.endswith("\n") or _BAD_CHARS.search(text):
        raise _Unusual
    if text in ("[]\n", "{}\n"):
        return [] if text == "[]\n" else {}
    if text.startswith("- "):
        return [_item(chunk) for chunk in text[2:-1].split("\n- ")]
    return _whole(text[:-1])


def _item(chunk: str) -> Any:
    """One item of a top-level sequence (the text after its ``- ``). An event whose values
    are all scalars — nearly every one — is split in C; anything else is read line by line."""
    if chunk.count("\n") == chunk.count("\n  ") and "\n   " not in chunk \
            and "\n  - " not in chunk:
        values, data, lines = _WRITTEN, {}, chunk.split("\n  ")
        try:
            for line in lines:
                key_text, sep, value_text = line.partition(": ")
                key = values[key_text]  # a plain key this process has read before
                try:
                    data[key] = values[value_text]
                except KeyError:
                    if not sep or not value_text or value_text[:1] == " ":
                        raise _Unusual from None
                    data[key] = _value(value_text)
            if len(data) == len(lines):  # else a key written twice: line by line decides
                return data
        except (KeyError, _Unusual):
            pass
    items = _whole("- " + chunk)
    if type(items) is not list or len(items) != 1:
        raise _Unusual
    return items[0]


def _whole(body: str) -> Any:
    """The collection in ``body`` (the text without its last newline), read line by line."""
    lines = _Lines(body.split("\n"))
    if lines.indent() != 0:
        raise _Unusual
    value = _block(lines, 0)
    if lines.at != len(lines.lines):
        raise _Unusual
    return value
