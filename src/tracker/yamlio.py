"""The ledger's YAML, read and written through libyaml's event stream.

PyYAML's C loader and dumper scan and emit in C but compose, resolve and represent every node
in Python: most of the time of reading or writing a ledger of thousands of events. Here values
are built straight from the parser's events (each distinct plain scalar resolved once), and
written as events to the C emitter, with the very result of the safe loader and dumper (same
values and types, same bytes). Anything a generated ledger never holds (anchors, aliases, tags,
merge or complex keys, dates, shared containers) goes through PyYAML's own path.
"""

from __future__ import annotations

import math
from typing import Any

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class Unusual(Exception):
    """The data uses more than mappings, sequences and untagged plain values."""


_SCALAR_CACHE: dict[str, Any] = {}  # a plain scalar's text → its value
_STR = "tag:yaml.org,2002:str"
_SIMPLE_TAGS = {f"tag:yaml.org,2002:{name}"
                for name in ("str", "int", "float", "bool", "null", "timestamp")}


def _scalar(loader: Any, event: Any) -> Any:
    """What the safe loader makes of one untagged scalar, memoized: a ledger repeats the same
    keys and values thousands of times, and resolving each is most of PyYAML's time."""
    if event.anchor is not None or (event.tag is not None and event.tag != "!"):
        raise Unusual
    if not event.implicit[0]:
        return event.value  # quoted or block text: a string as written
    try:
        return _SCALAR_CACHE[event.value]
    except KeyError:
        pass
    tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
    if tag == _STR:
        value = event.value
    elif tag in _SIMPLE_TAGS:
        value = loader.yaml_constructors[tag](loader, yaml.ScalarNode(tag, event.value))
    else:
        raise Unusual  # a merge key or a value only a hand edit writes
    if len(_SCALAR_CACHE) < 65536:
        _SCALAR_CACHE[event.value] = value
    return value


class _Mapping:
    """A mapping being built from events: its entries so far and the key awaiting a value."""

    __slots__ = ("data", "key", "has_key")

    def __init__(self) -> None:
        self.data: dict[Any, Any] = {}
        self.key: Any = None
        self.has_key = False


def load_plain(text: str) -> Any:
    """The safe loader's result built straight from libyaml's event stream, several times
    faster than composing nodes first (measured in bench/README.md). Raises Unusual for
    anchors, aliases, tags, merge or complex keys and several documents — what only a hand edit
    puts in the ledger, and what the full loader then reads."""
    loader = _Loader(text)
    try:
        stack: list[Any] = []  # the open containers: lists and _Mappings
        result: Any = None
        documents = 0
        while True:
            event = loader.get_event()
            kind = type(event)
            if kind is yaml.ScalarEvent:
                value = _scalar(loader, event)
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                if event.anchor is not None or (event.tag is not None and event.tag != "!"):
                    raise Unusual
                stack.append(_Mapping() if kind is yaml.MappingStartEvent else [])
                continue
            elif kind is yaml.MappingEndEvent:
                value = stack.pop().data
            elif kind is yaml.SequenceEndEvent:
                value = stack.pop()
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise Unusual
                continue
            elif kind is yaml.StreamEndEvent:
                return result
            elif kind is yaml.StreamStartEvent or kind is yaml.DocumentEndEvent:
                continue
            else:  # an alias
                raise Unusual
            if not stack:
                result = value
                continue
            top = stack[-1]
            if type(top) is list:
                top.append(value)
            elif top.has_key:
                top.data[top.key] = value
                top.has_key = False
            elif isinstance(value, (dict, list)):
                raise Unusual  # a complex key
            else:
                top.key, top.has_key = value, True
    finally:
        loader.dispose()


def load(text: str) -> Any:
    """What ``yaml.load(text, Loader=CSafeLoader)`` returns, faster."""
    try:
        return load_plain(text)
    except Unusual:
        return yaml.load(text, Loader=_Loader)


_RESOLVER: Any = yaml.resolver.Resolver()
_IMPLICIT: dict[tuple[str, str], tuple[bool, bool]] = {}
_TAG = "tag:yaml.org,2002:"
_MAP, _SEQ = _TAG + "map", _TAG + "seq"


def _scalar_event(tag: str, value: str) -> Any:
    """The event the safe serializer makes of one scalar: implicit when the resolver would
    give the same tag back, so the emitter writes it plain or quotes it just the same."""
    key = (tag, value)
    implicit = _IMPLICIT.get(key)
    if implicit is None:
        implicit = (tag == _RESOLVER.resolve(yaml.ScalarNode, value, (True, False)),
                    tag == _RESOLVER.resolve(yaml.ScalarNode, value, (False, True)))
        if len(_IMPLICIT) < 65536:
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
    kind = type(data)
    if kind is str:
        out.append(_scalar_event(_STR, data))
    elif kind is dict or kind is list:
        if id(data) in seen:
            raise Unusual  # shared: the representer writes an anchor and an alias
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
        raise Unusual


def dump(data: Any) -> bytes:
    """``yaml.dump(data, Dumper=CSafeDumper, allow_unicode=True, sort_keys=False,
    default_flow_style=False, width=4096)`` as UTF-8, byte for byte, faster."""
    events: list[Any] = [yaml.StreamStartEvent(), yaml.DocumentStartEvent(explicit=False)]
    try:
        _events(data, events, set())
    except Unusual:
        return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                         default_flow_style=False, width=4096).encode("utf-8")
    events += [yaml.DocumentEndEvent(explicit=False), yaml.StreamEndEvent()]
    text: str = yaml.emit(events, Dumper=_Dumper, allow_unicode=True, width=4096)
    return text.encode("utf-8")
