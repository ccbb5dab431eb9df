"""Line-oriented Markdown scanner for service pages: bytes → front matter, bold fields, tables.

Owns reading the page as text (size, NUL, UTF-8 with BOM, CRLF), the front-matter split, skipping
fenced code, and cutting table rows into cells, each with its 1-based line number and the headings
it sits under. It knows nothing about services: ``page.py`` decides what the blocks mean. A full
Markdown parser costs ~30× more per page and the walk parses every version of every page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from tracker.errors import ParseError

MAX_PAGE_BYTES = 2 * 1024 * 1024

_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# `**Label：** value`, optionally as a list item; the label may carry the colon or the value may.
_BOLD_LINE = re.compile(r"^(?:[-*+]\s+|\d+[.)]\s+)?\*\*(.+?)\*\*(.*)$")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_SEPARATOR_CELL = re.compile(r"^:?-+:?$")
_ESCAPED_PIPE_SPLIT = re.compile(r"(?<!\\)\|")

_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|~])")
_SPACES = re.compile(r"\s+")
_MARKUP_CHARS = frozenset("*`[<\\~")


@dataclass
class Field:
    """A `**Label：** value` line."""

    line: int
    label: str
    value: str
    bullet: bool
    section: str  # the `##` heading above it
    sub: str  # the nearest `###`-or-deeper heading under that section, or ""


@dataclass
class Table:
    """A pipe table: header cells, whether a separator line follows, body rows with line numbers."""

    line: int
    header: list[str]
    separator_line: int | None
    separator_cells: int
    rows: list[tuple[int, list[str]]]
    section: str
    sub: str
    intro: str | None  # a bold-only paragraph right above the table, e.g. `**High 级别模型：**`


@dataclass
class Document:
    front_matter: list[str] | None
    fields: list[Field] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


def decode_page(raw: bytes, path: str) -> list[str]:
    """Bytes → lines without their line endings; BOM and CRLF read the same as LF."""
    if len(raw) > MAX_PAGE_BYTES:
        raise ParseError(f"page is {len(raw):,} bytes, over the {MAX_PAGE_BYTES:,}-byte limit",
                         path=path, hint="a service page is text of a few KB; check the file")
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
    lines = text.split("\n")
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def split_front_matter(lines: list[str], path: str) -> tuple[list[str] | None, int]:
    """Return the YAML front-matter lines (None when there is none) and the body's first index."""
    if not lines or lines[0].rstrip() != "---":
        return None, 0
    for index in range(1, len(lines)):
        if lines[index].rstrip() == "---":
            return lines[1:index], index + 1
    raise ParseError("front matter opened with '---' is never closed", path=path, line=1,
                     hint="add a '---' line after the front matter")


def load_front_matter(front_matter: list[str], path: str) -> dict[str, Any]:
    """Parse front-matter lines as YAML; a non-mapping document counts as empty."""
    try:
        data = yaml.load("\n".join(front_matter), Loader=_YAML_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 2 if mark is not None else 1  # +1 for the '---' line, +1 for 1-based
        raise ParseError(f"front matter is not valid YAML: {exc.problem or exc}", path=path,
                         line=line, hint="fix the YAML between the '---' lines") from None
    except Exception as exc:  # the loaders raise ValueError etc. for e.g. impossible dates
        raise ParseError(f"front matter is not valid YAML: {exc}", path=path, line=1,
                         hint="fix the YAML between the '---' lines") from None
    return data if isinstance(data, dict) else {}


def split_row(line: str) -> list[str]:
    """Cut a table line into stripped cells; `\\|` is a literal pipe, not a cell border."""
    text = line.strip()
    if text.startswith("|"):
        text = text[1:]
    if text.endswith("|") and not text.endswith("\\|"):
        text = text[:-1]
    if "\\|" in text:
        return [cell.replace("\\|", "|").strip() for cell in _ESCAPED_PIPE_SPLIT.split(text)]
    return [cell.strip() for cell in text.split("|")]


def is_separator(cells: list[str]) -> bool:
    return all(_SEPARATOR_CELL.match(cell.replace(" ", "")) for cell in cells)


def plain(text: str) -> str:
    """Inline Markdown → plain text: links keep their text; bold, code, strike marks dropped."""
    if not _MARKUP_CHARS.intersection(text):
        return " ".join(text.split())
    text = _LINK.sub(r"\1", text)
    text = _BREAK.sub(" ", text)
    text = _TAG.sub("", text)
    text = text.replace("**", "").replace("`", "").replace("~~", "")
    text = _ESCAPE.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()


class _Scanner:
    """One pass over the body lines, collecting fields and tables with their headings."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.section = ""
        self.sub = ""
        self.intro: str | None = None
        self.fields: list[Field] = []
        self.tables: list[Table] = []

    def run(self, start: int) -> None:
        lines = self.lines
        index = start
        fence = ""
        while index < len(lines):
            stripped = lines[index].strip()
            if fence:
                # a fence closes with the same character, at least as long, nothing after it
                if stripped.startswith(fence) and not stripped.lstrip(fence[0]):
                    fence = ""
                index += 1
                continue
            if stripped.startswith(("```", "~~~")):
                char = stripped[0]
                fence = char * (len(stripped) - len(stripped.lstrip(char)))
                index += 1
                continue
            if stripped.startswith("|"):
                index = self._table(index)
                continue
            if stripped.startswith("#"):
                self._heading(stripped)
            elif stripped:
                self._line(index, stripped)
            index += 1

    def _heading(self, stripped: str) -> None:
        match = _HEADING.match(stripped)
        if match is None:  # `#tag` without a space is text, not a heading
            self.intro = None
            return
        level, text = len(match.group(1)), match.group(2).strip()
        if level <= 2:
            self.section, self.sub = text, ""
        else:
            self.sub = text
        self.intro = None

    def _line(self, index: int, stripped: str) -> None:
        self.intro = None
        if stripped[0] not in "*-+0123456789":
            return
        match = _BOLD_LINE.match(stripped)
        if match is None:
            return
        label, rest = match.group(1).strip(), match.group(2).strip()
        bullet = not stripped.startswith("**")
        if label.endswith((":", "：")):
            label = label[:-1].strip()
        elif rest.startswith((":", "：")):
            rest = rest[1:].strip()
        elif rest:
            return  # bold words opening a sentence, not a label
        if not rest and not bullet:
            self.intro = label
        self.fields.append(Field(index + 1, label, rest, bullet, self.section, self.sub))

    def _table(self, index: int) -> int:
        lines = self.lines
        end = index
        while end < len(lines) and lines[end].lstrip().startswith("|"):
            end += 1
        header = split_row(lines[index])
        separator_line: int | None = None
        separator_cells = 0
        body_start = index + 1
        if body_start < end:
            cells = split_row(lines[body_start])
            if is_separator(cells):
                separator_line, separator_cells = body_start + 1, len(cells)
                body_start += 1
        rows = [(i + 1, split_row(lines[i])) for i in range(body_start, end)]
        self.tables.append(Table(index + 1, header, separator_line, separator_cells, rows,
                                 self.section, self.sub, self.intro))
        self.intro = None
        return end


def scan_page(raw: bytes, path: str) -> Document:
    """Decode a page and collect its front matter, bold fields and tables (code fences skipped)."""
    lines = decode_page(raw, path)
    front_matter, body_start = split_front_matter(lines, path)
    scanner = _Scanner(lines)
    scanner.run(body_start)
    return Document(front_matter, scanner.fields, scanner.tables)
