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
