"""YAML out: the bytes libyaml's safe dumper writes (block style, keys in the order given,
unicode as it is, width 4096), for every file tracker writes — the ledger's months, state,
warnings, ``tracker snapshot``. The same data, the same bytes, on every machine.

PyYAML represents and serializes every node in Python before libyaml emits it. Here the plain
data tracker writes (dicts, lists, scalars) is laid out by hand where the layout is known and
each distinct text is written as libyaml writes it (tracker.yamlio re-exports ``dump``); other
documents go as events to the C emitter, and anything the events cannot say (a date, a shared
container) to ``yaml.dump`` itself.
"""

from __future__ import annotations

import functools
import math
import re
from typing import Any

import yaml

from tracker.errors import TrackerError

DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

_TAG = "tag:yaml.org,2002:"
_STR, _MAP, _SEQ = _TAG + "str", _TAG + "map", _TAG + "seq"
_MAX_DEPTH = 200  # deeper than any ledger: left to yaml.dump
_CACHE_SIZE = 65536
_IMPLICIT: dict[tuple[str, str], tuple[bool, bool]] = {}
_RESOLVER: Any = yaml.resolver.Resolver()


class _Unusual(Exception):
    """The data holds more than the shapes a faster path writes."""


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
    try:
        return _written(data).encode("utf-8")
    except _Unusual:
        pass
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


def _scalar_event(tag: str, value: str) -> Any:
    """The event the safe serializer makes of one scalar: implicit when the resolver would give
    the same tag back, so the emitter writes it plain or quotes it just the same."""
    return yaml.ScalarEvent(None, tag, _implicit(tag, value), value)


def _implicit(tag: str, value: str) -> tuple[bool, bool]:
    """Whether the resolver gives ``tag`` back for ``value`` written plain, and quoted."""
    key = (tag, value)
    implicit = _IMPLICIT.get(key)
    if implicit is None:
        implicit = (tag == _RESOLVER.resolve(yaml.ScalarNode, value, (True, False)),
                    tag == _RESOLVER.resolve(yaml.ScalarNode, value, (False, True)))
        if len(_IMPLICIT) < _CACHE_SIZE:
            _IMPLICIT[key] = implicit
    return implicit


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


# -- the ledger's shapes, written by hand --------------------------------------------------------
#
# Building a PyYAML event object per scalar and handing it to the C emitter was most of the time
# of writing a ledger (models.dev's 6.5 MB of months: 0.65 s). Block mappings and sequences of
# short one-line scalars, which is all a ledger holds, are laid out here as libyaml lays them out
# (indent 2, a sequence in a mapping not indented, an empty container as ``{}``/``[]``); how each
# scalar is written — plain or quoted, escaped — is libyaml's own answer, asked once per distinct
# text, except for texts plain by construction (_plain(), and the resolver reads them back as
# text). Anything else (a multi-line or very long text, a key libyaml would not write simple, a
# shared container, a type it does not know) goes to the event path above (_events).

@functools.cache
def _plain() -> re.Pattern[str]:
    """Texts libyaml writes plain in block context: no indicator at their start, no ": " or
    " #", no space at either end, nothing that is not printable or is a line break, never "---"
    or "...". Compiled when first needed: its CJK ranges take 4.5 ms to compile, which every
    command importing yamlio (a run with nothing new) would pay otherwise."""
    return re.compile(r"[0-9A-Za-z_/\u4e00-\u9fff]"
                      r"(?:[0-9A-Za-z_./+()\- \u3001-\u303f\u4e00-\u9fff\uff01-\uff5e]*"
                      r"[0-9A-Za-z_./+()\-\u3001-\u303f\u4e00-\u9fff\uff01-\uff5e])?")


_ASCII = re.compile(r"[ -~]+")  # printable ASCII: nothing libyaml escapes or breaks
_BREAK = re.compile("[\r\n\x85\u2028\u2029]")  # what libyaml counts as a line break
_FIRST_CHARS = frozenset(_RESOLVER.yaml_implicit_resolvers)  # where a plain text may not be one
_MAX_TEXT = 2000  # far inside the width (4096): libyaml folds a line only past it
_MAX_KEY = 128  # bytes: a longer key is written as a complex key ("? ...")
_TEXTS: dict[str, str] = {}  # a text → how libyaml writes it: a pure function of the text
_KEYS: dict[str, str] = {}  # the same for a text as a key (a key that may be written simple)


def _text(value: Any) -> str:
    """How libyaml writes one scalar in block context (a value, a sequence item or a short
    key); raises _Unusual for what would not fit on one line the same way everywhere."""
    kind = type(value)
    if kind is str:
        try:
            return _TEXTS[value]
        except KeyError:
            pass
        text: str
        if len(value) > _MAX_TEXT:
            raise _Unusual  # libyaml may fold it: laid out by the emitter
        if _plain().fullmatch(value) and (value[0] not in _FIRST_CHARS
                                          or _implicit(_STR, value)[0]):
            text = value
        elif _ASCII.fullmatch(value) and not _implicit(_STR, value)[0]:
            # a date, a number as text: read back as something else when plain, and quoted
            # ASCII on one line is always single-quoted ('' for ')
            text = "'" + value.replace("'", "''") + "'"
        else:
            text = _asked(value)
        if len(_TEXTS) < _CACHE_SIZE:
            _TEXTS[value] = text
        return text
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        text, tag = str(value), "int"
    elif kind is float:
        text, tag = _float_text(value), "float"
    else:
        raise _Unusual
    if not _implicit(_TAG + tag, text)[0]:
        raise _Unusual  # written with its tag: left to the emitter
    return text


def _asked(value: str) -> str:
    """libyaml's own writing of ``value`` as a sequence item, when it is one line (a line
    break, even one written as it is, is followed by the indentation: laid out by the emitter)."""
    if _BREAK.search(value):
        raise _Unusual
    emitted: str = yaml.emit([
        yaml.StreamStartEvent(), yaml.DocumentStartEvent(explicit=False),
        yaml.SequenceStartEvent(None, _SEQ, True, flow_style=False), _scalar_event(_STR, value),
        yaml.SequenceEndEvent(), yaml.DocumentEndEvent(explicit=False), yaml.StreamEndEvent(),
    ], Dumper=DUMPER, allow_unicode=True, width=4096)
    if not emitted.startswith("- ") or emitted.count("\n") != 1 or not emitted.endswith("\n"):
        raise _Unusual  # written over several lines: laid out by the emitter itself
    return emitted[2:-1]


def _key(value: Any) -> str:
    """How libyaml writes a mapping key: as a value, when it is a simple key (not too long;
    one line, as every text _text takes). Only texts are memoized: 1 and True are one key of
    a dict, not one key of YAML."""
    if type(value) is str:
        known = _KEYS.get(value)
        if known is not None:
            return known
    text = _text(value)
    if len(text.encode("utf-8")) > _MAX_KEY:
        raise _Unusual
    if type(value) is str and len(_KEYS) < _CACHE_SIZE:
        _KEYS[value] = text
    return text


def _written(data: Any) -> str:
    """``data`` as libyaml's safe dumper writes it; raises _Unusual when not one of the shapes
    laid out here (the root must be a non-empty mapping or sequence)."""
    out: list[str] = []
    seen: set[int] = set()
    if type(data) is dict and data:
        _mapping(data, 0, out, False, seen)
    elif type(data) is list and data:
        _sequence(data, 0, out, False, seen)
    else:
        raise _Unusual
    return "".join(out)


def _container(value: Any, seen: set[int], indent: int) -> None:
    if id(value) in seen or indent > 2 * _MAX_DEPTH:
        raise _Unusual  # shared (an anchor and an alias), or deeper than any ledger
    seen.add(id(value))


def _mapping(data: dict[Any, Any], indent: int, out: list[str], inline: bool,
             seen: set[int]) -> None:
    """A block mapping at ``indent``; ``inline``: its first key goes on the line the caller
    began (after a sequence's "- ")."""
    _container(data, seen, indent)
    pad = " " * indent
    for key, value in data.items():
        # the memos looked up here, not in _key and _text: two calls less per entry
        head = (_KEYS.get(key) if type(key) is str else None) or _key(key)
        start = "" if inline else pad
        inline = False
        kind = type(value)
        if kind is dict or kind is list:
            if not value:
                _container(value, seen, indent)
                out.append(f"{start}{head}: {'{}' if kind is dict else '[]'}\n")
            elif kind is dict:
                out.append(f"{start}{head}:\n")
                _mapping(value, indent + 2, out, False, seen)
            else:  # a sequence in a mapping is not indented
                out.append(f"{start}{head}:\n")
                _sequence(value, indent, out, False, seen)
        else:
            text = _TEXTS.get(value) if kind is str else None
            out.append(f"{start}{head}: {text or _text(value)}\n")


def _sequence(data: list[Any], indent: int, out: list[str], inline: bool,
              seen: set[int]) -> None:
    """A block sequence whose dashes stand at ``indent``; ``inline`` as for _mapping."""
    _container(data, seen, indent)
    dash = " " * indent + "- "
    for value in data:
        start = "- " if inline else dash
        inline = False
        kind = type(value)
        if kind is dict or kind is list:
            if not value:
                _container(value, seen, indent)
                out.append(start + ("{}\n" if kind is dict else "[]\n"))
            else:
                out.append(start)
                if kind is dict:
                    _mapping(value, indent + 2, out, True, seen)
                else:
                    _sequence(value, indent + 2, out, True, seen)
        else:
            out.append(f"{start}{_text(value)}\n")
