"""The formats service data and record files are written in — YAML, JSON, TOML — read into
plain data, with the line of every key path for error messages. C parsers where there are;
duplicate keys, alias bombs and lone surrogates refused, each with the file and line.

Data files are read by ``load_yaml``, ``load_json``, ``load_toml``; a data file's error names
the line of the key it is about, found when there is one (``yaml_key_lines``, jsonkeys'
``json_key_lines``, ``toml_key_line``); record files, which can be megabytes
(LiteLLM's map), with the fastest parser of their format (``load_record_data``); a JSON
record file's keys are counted by jsonkeys.py, which also says which records changed since the
file's last version (``load_records``).
"""

from __future__ import annotations

import functools
import json
import re
import tomllib
from collections.abc import Callable
from typing import Any

from tracker import yamlio
from tracker.errors import ParseError
from tracker.sources.jsonkeys import RecordChanges, json_key_lines, read_json

KeyPath = yamlio.KeyPath
RECORD_FORMATS = (".json", ".yaml", ".yml", ".toml")

try:  # orjson is 2.6× faster than json on a 1 MB map (measured on LiteLLM's price file)
    import orjson

    _json_loads: Callable[[bytes], Any] = orjson.loads
except ImportError:  # pragma: no cover - orjson is an optional extra
    _json_loads = json.loads


@functools.cache
def _tomli_loads() -> Callable[[str], Any] | None:
    """tomli's ``loads`` if a version that reads what tomllib reads is installed: tomllib's own
    parser, 3× faster from its mypyc-compiled wheels (models.dev: 21,999 TOML versions). From
    2.3.2 (nesting and key parts bounded), below 2.4 (which reads TOML 1.1: tomllib reads 1.0).
    Imported when first asked for (10 ms): only a walk reading TOML pays it."""
    try:
        import tomli
    except ImportError:  # an optional extra, like orjson
        return None
    parts = re.findall(r"\d+", getattr(tomli, "__version__", ""))[:3]
    version = tuple(int(part) for part in parts)
    return tomli.loads if (2, 3, 2) <= version < (2, 4) else None


def toml_loads(text: str) -> Any:
    """What ``tomllib.loads(text)`` returns or raises: read by tomli when it can be (the same
    values), and a text tomli does not read given to tomllib, which alone decides what is
    refused and with which message."""
    fast = _tomli_loads()
    if fast is not None:
        try:
            return fast(text)
        except Exception:  # noqa: BLE001 - told again, by tomllib
            pass
    return tomllib.loads(text)


# A JSON (or pure-Python YAML) escape that can decode to half a surrogate pair; only files
# holding one are walked for lone surrogates, which UTF-8 cannot encode: every output would fail.
SURROGATE_ESCAPE = re.compile(r"\\(?:u|U0000)[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")

class Invalid(Exception):
    """A validation failure at a key path, turned into a ParseError with the line once known."""

    def __init__(self, key_path: KeyPath, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.key_path = key_path
        self.message = message
        self.hint = hint


def dotted(key_path: KeyPath) -> str:
    return ".".join(key_path)


def load_yaml(text: str, path: str) -> Any:
    """Parse YAML (guarded: see tracker.yamlio). Without the key lines, which only an error
    message needs (``yaml_key_lines``): the plain documents a data file is read 3× faster by
    yamlio.load's fast path, and anything else takes the guarded path, which decides alone."""
    try:
        return yamlio.load(text)
    except yamlio.YamlError as error:
        raise _yaml_error(error, path) from None


def yaml_key_lines(text: str, path: str) -> dict[KeyPath, int]:
    """The line of every key path of a YAML text load_yaml read (``()``: the document)."""
    try:
        return yamlio.load_with_lines(text)[1]
    except yamlio.YamlError as error:  # load_yaml read it: only if the two paths disagreed
        raise _yaml_error(error, path) from None


def _yaml_error(error: yamlio.YamlError, path: str) -> ParseError:
    message = f"invalid YAML: {error.message}" if error.syntax else error.message
    return ParseError(message, path=path, line=error.line,
                      hint=error.hint or "check indentation and quoting")


class _DuplicateJsonKey(Exception):
    pass


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping = dict(pairs)
    if len(mapping) != len(pairs):
        raise _DuplicateJsonKey()
    return mapping


def load_json(text: str, path: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_refuse_duplicates)
    except json.JSONDecodeError as error:
        raise ParseError(f"invalid JSON: {error.msg}", path=path, line=error.lineno,
                         hint="check commas, quotes and brackets") from None
    except _DuplicateJsonKey:
        json_key_lines(text, path)  # raises with the key and its line
        raise ParseError("duplicate key", path=path, hint="keep one of the two entries") from None
    except RecursionError:
        raise ParseError("invalid JSON: nested too deeply", path=path) from None


_TOML_LINE = re.compile(r"at line (\d+)")


def load_toml(text: str, path: str) -> Any:
    try:
        return toml_loads(text)
    except tomllib.TOMLDecodeError as error:
        found = _TOML_LINE.search(str(error))
        raise ParseError(f"invalid TOML: {error}", path=path,
                         line=int(found.group(1)) if found else None,
                         hint="check quoting and [table] headers; a key may appear only once"
                         ) from None


def toml_key_line(text: str, key_path: KeyPath) -> int | None:
    """Best effort for TOML, which reports no positions: the one line assigning the last key."""
    if not key_path:
        return None
    key = re.escape(key_path[-1])
    pattern = re.compile(rf"^\s*(?:\[+[^\]]*)?[\"']?{key}[\"']?\s*(?:=|\]|\.)", re.MULTILINE)
    found = [m.start() for m in pattern.finditer(text)]
    return text.count("\n", 0, found[0]) + 1 if len(found) == 1 else None


def refuse_surrogates(data: Any) -> None:
    """A lone surrogate (JSON ``"\\ud800"``) in any key or text → Invalid at its key.

    A loop, not recursion: json.loads accepts nesting deeper than Python's recursion limit.
    """
    stack: list[tuple[Any, KeyPath]] = [(data, ())]
    while stack:
        value, key_path = stack.pop()
        if isinstance(value, str):
            found = _SURROGATE.search(value)  # json.loads joins a valid pair: what is left is lone
            if found is not None:
                raise Invalid(key_path,
                               f"text holds a lone surrogate (U+{ord(found.group()):04X})",
                               hint="write the character itself, or a whole \\uD83D\\uDE00 pair")
        elif isinstance(value, dict):  # pushed in reverse: the first in the file is named
            for key, item in reversed(value.items()):
                child = key_path + (str(key),)
                stack.append((item, child))
                stack.append((key, child))
        elif isinstance(value, list):  # an item has no key: its line is its list's
            stack.extend((item, key_path) for item in reversed(value))


def line_for(key_path: KeyPath, lines: dict[KeyPath, int]) -> int | None:
    """The line of a key path, or of its nearest stated parent (a list item has no key).

    The empty path (the document itself, e.g. a list where the service map belongs) is where
    the document starts.
    """
    if not key_path:
        return lines.get((), 1)
    for length in range(len(key_path), 0, -1):
        if key_path[:length] in lines:
            return lines[key_path[:length]]
    return None


def decode(raw: bytes, path: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[:error.start].count(b"\n") + 1
        raise ParseError(f"not UTF-8 (byte {error.start})", path=path, line=line,
                         hint="save the file as UTF-8") from None


def load_record_data(raw: bytes, path: str) -> Any:
    """A record file's data, parsed with the fastest parser for its format (by its suffix);
    errors carry the line if the parser has it."""
    return load_records(raw, path)[0]


def load_records(raw: bytes, path: str) -> tuple[Any, RecordChanges | None]:
    """As load_record_data, with which records of a JSON mapping differ from the last version
    of ``path`` read here (None: no such version, another format, or not a mapping)."""
    suffix = path[path.rfind("."):].lower() if "." in path else ""
    if suffix not in RECORD_FORMATS:
        raise ParseError(f"unknown record format {suffix or '(no extension)'!r}", path=path,
                         hint="record files must end in .json, .yaml, .yml or .toml")
    if suffix in (".yaml", ".yml"):
        return _load_record_yaml(raw, path), None
    try:
        if suffix == ".json":
            return read_json(raw, path, _json_loads)
        return toml_loads(raw.decode("utf-8")), None
    except UnicodeDecodeError as exc:
        raise ParseError(f"not UTF-8 text: {exc.reason}", path=path) from None
    except ValueError as exc:  # json/orjson JSONDecodeError and TOMLDecodeError are ValueErrors
        line = getattr(exc, "lineno", None)
        if line is None:
            found = _TOML_LINE.search(str(exc))
            line = int(found.group(1)) if found else None
        raise ParseError(f"not valid {suffix[1:].upper()}: {exc}", path=path, line=line,
                         hint="fix the syntax at that line") from None


def _load_record_yaml(raw: bytes, path: str) -> Any:
    try:  # the same guards as data files: no key twice, no alias bomb
        return yamlio.load(raw)
    except yamlio.YamlError as error:
        message = f"not valid YAML: {error.message}" if error.syntax else error.message
        raise ParseError(message, path=path, line=error.line,
                         hint=error.hint or "fix the syntax at that line") from None
