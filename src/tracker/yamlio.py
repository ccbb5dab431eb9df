"""YAML in and out, built once for every file tracker reads or writes: libyaml's C loader and
dumper (the pure-Python ones are ~7× slower), with the guards every file a user edits needs —
a key written twice is refused, and a document may not expand through aliases ("billion
laughs") beyond ``MAX_NODES`` nodes before it is ever constructed.

Reading has a fast path for the plain documents tracker writes itself (a ledger of thousands
of events): PyYAML scans in C but composes and resolves every node in Python, so values are
built straight from the parser's events (each distinct plain scalar resolved once) — the same
values and types. A document with anchors, aliases, tags, merge or complex keys, a repeated key
or a syntax error takes the guarded path, which alone decides what is refused and how it is
told. Writing (``dump``, the same bytes as libyaml's safe dumper) is tracker.yamldump's.
"""

from __future__ import annotations

from typing import Any

import yaml

from tracker.yamldump import dump as dump  # the writing side, re-exported

LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

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
