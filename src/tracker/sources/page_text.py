"""A service page's bytes → its text and its front matter: the page read as text (size, NUL,
UTF-8 with BOM, no invisible control or bidi characters), the front matter split off at its
fences (``---`` YAML or ``+++`` TOML, as Hugo reads them) and parsed as YAML once per distinct
text. Each refusal names the file and the line to fix. What the body says is markdown.py's.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import yaml

from tracker import yamlio
from tracker.errors import ParseError
from tracker.sources.fences import FRONT_MATTER_END, FRONT_MATTER_FORMATS, front_matter_fence

MAX_PAGE_BYTES = 2 * 1024 * 1024

_YAML_LOADER: Any = yamlio.LOADER  # front matter is read as Hugo reads it: no extra guards

# Characters XML cannot carry (C0 controls but tab, LF, CR; DEL) and the bidi embeddings,
# overrides and isolates that make text read differently from what it says. Typed into a page
# they are a mistake or an attack; either way the walk must not publish them as a fact.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
# The same characters in the UTF-8 bytes, looked for there first: half the time of the text's
# scan (they are single bytes, and the bidi ones E2 80 AA–AE, E2 81 A6–A9, in valid UTF-8 only
# ever those characters); the text's scan then only names the first one found.
_CONTROL_BYTES = bytes([*range(0x09), 0x0b, 0x0c, *range(0x0e, 0x20), 0x7f])
_BIDI_BYTES = re.compile(rb"\xe2(?:\x80[\xaa-\xae]|\x81[\xa6-\xa9])")

# A page's body in its front matter: a heading, a bold label or a table row
_BODY_IN_FRONT_MATTER = re.compile(r"^(?:#{1,6} |\*\*|\|)", re.MULTILINE)


def decode_page(raw: bytes, path: str) -> str:
    """Bytes → text; a BOM is dropped. Line ends stay as they are (lines are stripped later)."""
    if len(raw) > MAX_PAGE_BYTES:
        # the line where the limit is crossed, so `tracker check` prints path:line: like the rest
        raise ParseError(f"page is {len(raw):,} bytes, over the {MAX_PAGE_BYTES:,}-byte limit",
                         path=path, line=raw.count(b"\n", 0, MAX_PAGE_BYTES) + 1,
                         hint="a service page is text of a few KB; check the file")
    nul = raw.find(b"\0")
    if nul >= 0:
        raise ParseError("page contains a NUL byte (binary file?)", path=path,
                         line=raw.count(b"\n", 0, nul) + 1, hint="save the page as UTF-8 text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # utf-8-sig strips a BOM before decoding, which shifts exc.start by its 3 bytes
        offset = exc.start + (3 if raw.startswith(b"\xef\xbb\xbf") else 0)
        raise ParseError("page is not valid UTF-8", path=path,
                         line=raw.count(b"\n", 0, offset) + 1,
                         hint="re-save the page as UTF-8") from None
    if not _invisible_bytes(raw):
        return text  # clean, as nearly every page is
    invisible = _INVISIBLE.search(text)
    if invisible is not None:
        char = invisible.group()
        kind = "a control character" if char < "\x80" else "a bidi override"
        raise ParseError(f"page contains {kind} (U+{ord(char):04X})", path=path,
                         line=text.count("\n", 0, invisible.start()) + 1,
                         hint="delete it: it is invisible and can make text read differently "
                              "from what it says")
    return text


def _invisible_bytes(raw: bytes) -> bool:
    """Whether the bytes hold a control character or a bidi override (looked for in the bytes:
    half the time of the text)."""
    return len(raw.translate(None, _CONTROL_BYTES)) != len(raw) or \
        _BIDI_BYTES.search(raw) is not None


def clean_text(raw: bytes) -> str | None:
    """A part of a page, cut at line ends, as text; None where ``decode_page`` would refuse the
    page for it (a NUL, invalid UTF-8, an invisible character): that page is read whole."""
    if _invisible_bytes(raw):  # a NUL is one of the control bytes
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def split_front_matter(text: str, path: str) -> tuple[str | None, int, str]:
    """The front matter (None when there is none), the offset where the body starts, and the
    front matter's format ("yaml" or "toml")."""
    first_end = text.find("\n")
    fence = front_matter_fence(text[:first_end if first_end >= 0 else len(text)])
    if fence is None:
        return None, 0, "yaml"
    close = FRONT_MATTER_END[fence].search(text, first_end + 1) if first_end >= 0 else None
    if close is None:
        raise ParseError(f"front matter opened with '{fence}' is never closed", path=path,
                         line=1, hint=f"add a '{fence}' line after the front matter")
    return (text[first_end + 1:close.start()], min(close.end() + 1, len(text)),
            FRONT_MATTER_FORMATS[fence])


# Front matter longer than this is parsed without keeping it: the cache holds many texts and a
# page may be 2 MB of "front matter" (a lost closing '---').
_CACHED_FRONT_MATTER_CHARS = 16 * 1024

# Contexts whose mark is the opening bracket or quote left unclosed: that line is the one to fix,
# while the problem mark is wherever libyaml gave up (often the next key's line).
_UNCLOSED_CONTEXTS = ("while parsing a flow", "while scanning a quoted")


@dataclass(frozen=True, slots=True)
class _YamlProblem:
    """Why a front matter text is not YAML; ``line`` counts within the front matter (0-based)."""

    message: str
    line: int | None


@lru_cache(maxsize=4096)  # a page's front matter is the same text in almost every version
def _parse_front_matter(front_matter: str) -> dict[str, Any] | _YamlProblem:
    """The front matter's mapping ({} for any other document), or why it is not YAML.

    The outcome, not an exception, is cached, so a broken version costs one parse too.
    """
    try:
        data = yaml.load(front_matter, Loader=_YAML_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark is not None and (exc.context or "").startswith(_UNCLOSED_CONTEXTS):
            mark = exc.context_mark
        return _YamlProblem(str(exc.problem or exc), mark.line if mark is not None else None)
    except Exception as exc:  # the loaders raise ValueError etc. for e.g. impossible dates
        return _YamlProblem(str(exc), None)
    return data if isinstance(data, dict) else {}


def load_front_matter(front_matter: str, path: str, fmt: str = "yaml") -> dict[str, Any]:
    """Parse front matter as YAML (or TOML); a non-mapping document counts as empty.

    The result is shared between calls with the same text: read it, do not change it.
    """
    if fmt == "toml":
        try:
            return tomllib.loads(front_matter)
        except tomllib.TOMLDecodeError as exc:
            found = re.search(r"at line (\d+)", str(exc))
            raise ParseError(f"front matter is not valid TOML: {exc}", path=path,
                             line=int(found.group(1)) + 1 if found else 1,
                             hint="fix the TOML between the '+++' lines") from None
    if len(front_matter) <= _CACHED_FRONT_MATTER_CHARS:
        parsed = _parse_front_matter(front_matter)
    else:
        parsed = _parse_front_matter.__wrapped__(front_matter)
    if isinstance(parsed, dict):
        return parsed
    hint = "fix the YAML between the '---' lines"
    if _BODY_IN_FRONT_MATTER.search(front_matter):
        # the usual cause: the closing '---' went missing and a later '---' rule closed it
        hint = "the front matter runs into the page body: add its closing '---' line"
    # +1 for the opening '---' line, +1 for 1-based
    line = parsed.line + 2 if parsed.line is not None else 1
    raise ParseError(f"front matter is not valid YAML: {parsed.message}", path=path, line=line,
                     hint=hint)
