"""Line-oriented Markdown scanner for service pages: bytes → front matter, bold fields, tables.

Owns the page's body: skipping fenced code and the tracker's own generated blocks (fences.py
says where they are), the headings each line sits under, bold fields and list items, and cutting
table rows into cells, each with its 1-based line number; the digest of what it reads
(``page_digest``); and the inline text rules the page readers share (``plain``, ``label_key``,
``cell_id``). The page as text and its front matter are page_text.py's; cutting the page into
its sections, each scanned once, is sections.py's (``scan_page``). It knows nothing about
services: ``page/`` decides what the blocks mean. A full Markdown parser costs ~30× more per page
and the walk parses every version of every page.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from tracker.sources.fences import prose
from tracker.sources.page_text import decode_page, split_front_matter

# `**Label：** value`, optionally as a list item; the label may carry the colon or the value may.
# `- 输入（缓存命中）：$0.028 / 百万 tokens`: a plain list item with a short label
_ITEM = re.compile(r"^[-*+]\s+([^:：*`|]{1,30}?)\s*[:：]\s*(\S.*)$")
_BOLD_LINE = re.compile(r"^(?:[-*+]\s+|\d+[.)]\s+)?\*\*(.+?)\*\*(.*)$")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_SEPARATOR_CELL = re.compile(r"^:?-+:?$")
_ESCAPED_PIPE_SPLIT = re.compile(r"(?<!\\)\|")

_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|~])")
_SPACES = re.compile(r"\s+")
PARENTHETICAL = re.compile(r"[（(][^（）()]*[）)]")
_URL = re.compile(r"https?://[^\s`<>()\[\]（）\"'，。、]+")
_CODE_SPAN = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_STRUCK = re.compile(r"~~(.+?)~~")
_MARKUP_CHARS = re.compile(r"[*`\[<\\~]")


@dataclass(slots=True)
class Field:
    """A `**Label：** value` line. Shared between the versions that have its section (see
    sections.py): read it, never change it (not frozen: a frozen one costs 4× to make)."""

    line: int
    label: str
    value: str
    bullet: bool
    section: str  # the `##` heading above it
    sub: str  # the nearest `###`-or-deeper heading under that section, or ""
    group: str = ""  # the bold-only line above a list item (`**deepseek-chat：**`), if any


@dataclass(frozen=True)
class Table:
    """A pipe table: header cells, whether a separator line follows, body rows with line numbers.
    Shared between the versions that have its section (see sections.py)."""

    line: int
    header: list[str]
    separator_line: int | None
    separator_cells: int
    body: list[tuple[int, str]]  # the row lines, cut into cells only when a reader asks
    section: str
    sub: str
    intro: str | None  # a bold-only paragraph right above the table, e.g. `**High 级别模型：**`
    # what a reader works out from this table alone and keeps with it (page/tables.py's kept()):
    # sound as the table never changes. Never a line number (a copy of the table at other lines
    # starts with the same memo), so a problem is raised, not kept.
    memo: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def rows(self) -> list[tuple[int, list[str]]]:
        """(line number, cells) of every body row; most tables on a page are never read."""
        return [(line_no, split_row(line)) for line_no, line in self.body]


@dataclass
class Document:
    front_matter: str | None
    fields: list[Field] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    front_matter_format: str = "yaml"  # or "toml", for +++ front matter
    heading: str | None = None  # the page's own `# ` heading, if it has one
    checklist: list[Field] = field(default_factory=list)  # `- ✅ 已完成实名认证` items
    items: list[Field] = field(default_factory=list)  # plain `- 输入：¥1 / 百万 tokens` items
    # `- 128K 上下文窗口` under a bold-only line (its ``group``): prose bullets, no label
    bullets: list[Field] = field(default_factory=list)
    code: list[str] = field(default_factory=list)  # the text of each fenced code block


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


@lru_cache(maxsize=1 << 15)  # the readers ask for the same cells and values many times a page
def plain(text: str) -> str:
    """Inline Markdown → plain text: links keep their text; bold, code, strike marks dropped."""
    if not _MARKUP_CHARS.search(text):
        return " ".join(text.split())
    text = _LINK.sub(r"\1", text)
    text = _BREAK.sub(" ", text)
    text = _TAG.sub("", text)
    text = text.replace("**", "").replace("`", "").replace("~~", "")
    text = _ESCAPE.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()


# --- inline text ---------------------------------------------------------------------------------

@lru_cache(maxsize=8192)  # labels and headings repeat across every version of every page
def label_key(text: str) -> str:
    """A label or header for lookup: plain text, no parentheticals, spaces or colons, lowercase."""
    text = PARENTHETICAL.sub("", plain(text))
    return "".join(text.split()).lower().rstrip(":：").replace("tokens", "token")


@lru_cache(maxsize=8192)
def mentions(text: str, words: tuple[str, ...]) -> bool:
    """Whether a heading or header mentions any of the words (compared as label keys)."""
    key = label_key(text)
    return any(word in key for word in words)


def first_url(value: str) -> str | None:
    """The first http(s) URL of a value (code span or link), else a code span's text."""
    match = _URL.search(value)
    if match:
        return match.group(0).rstrip(".,;:")
    code = _CODE_SPAN.search(value)  # a placeholder endpoint such as `{region}.api.example.com`
    return code.group(1).strip() if code else None


@lru_cache(maxsize=1 << 13)
def cell_id(cell: str) -> tuple[str, bool]:
    """The id in a cell (bold, code or link text wins over trailing notes) and whether struck."""
    struck = _STRUCK.search(cell) is not None
    cell = cell.replace("~~", "")
    for pattern in (_BOLD, _CODE_SPAN):
        match = pattern.search(cell)
        if match and plain(match.group(1)):
            return plain(match.group(1)), struck
    return plain(cell), struck


class Scanner:
    """Walks the lines outside fenced code, collecting fields and tables with their headings.

    In a `##` section the reader does not want (code examples, FAQ, tips: most of a long page)
    only headings and `**Label：**` lines are looked at, e.g. the footer's provider line.
    """

    def __init__(self, wanted: Callable[[str], bool]) -> None:
        self.wanted = wanted
        self.skipping = False
        self.section = ""
        self.sub = ""
        self.intro: str | None = None
        self.fields: list[Field] = []
        self.tables: list[Table] = []
        self.table_lines: list[tuple[int, str]] = []
        self.heading: str | None = None
        self.group = ""  # the last bold-only line under the heading: a checklist's group
        self.checklist: list[Field] = []
        self.items: list[Field] = []
        self.bullets: list[Field] = []

    def span(self, lines: list[str], first_line: int) -> None:
        table_lines = self.table_lines
        for offset, line in enumerate(lines):
            stripped = line.strip()
            if not stripped:
                if table_lines:
                    self.flush_table()  # a blank line ends a table
                continue
            first = stripped[0]
            if first in "-*" and stripped[1:4].lstrip().startswith(("✅", "❌")):
                # a checklist item (prerequisites), read in any section
                self.checklist.append(Field(first_line + offset, self.group,
                                            stripped[1:].lstrip(), True,
                                            self.section, self.sub))
            if self.skipping:
                if first == "#":
                    self._heading(stripped)
                elif first == "*" and stripped.startswith("**"):
                    self._line(stripped, first_line + offset)
                continue
            if first == "|":
                table_lines.append((first_line + offset, stripped))
                continue
            if table_lines:
                self.flush_table()
            if first == "#":
                self._heading(stripped)
            elif first in "*-+0123456789" and "**" in stripped:
                self._line(stripped, first_line + offset)
            else:
                if first in "-*+" and self.group and _ITEM.match(stripped):
                    self._item(stripped, first_line + offset)
                elif first in "-*+" and self.group and stripped[1:2].isspace():
                    self.bullets.append(Field(first_line + offset, "", stripped[1:].strip(),
                                              True, self.section, self.sub, self.group))
                self.intro = None
        self.flush_table()  # a fence or the page end closes a table

    def _heading(self, stripped: str) -> None:
        match = HEADING.match(stripped)
        self.intro = None
        if match is None:  # `#tag` without a space is text, not a heading
            return
        level, text = len(match.group(1)), match.group(2).strip()
        self.group = ""
        if level == 1 and self.heading is None:
            self.heading = text
        if level <= 2:
            self.section, self.sub = text, ""
            self.flush_table()
            self.skipping = not self.wanted(text)
        else:
            self.sub = text

    def _line(self, stripped: str, line_no: int) -> None:
        self.intro = None
        match = _BOLD_LINE.match(stripped)
        if match is None:
            return
        label, rest = match.group(1).strip(), match.group(2).strip()
        bullet = stripped[0] != "*" or not stripped.startswith("**")
        if label.endswith((":", "：")):
            label = label[:-1].strip()
        elif rest.startswith((":", "：")):
            rest = rest[1:].strip()
        elif rest:
            return  # bold words opening a sentence, not a label
        if not rest and not bullet:
            self.intro = self.group = label
        self.fields.append(Field(line_no, label, rest, bullet, self.section, self.sub))

    def _item(self, stripped: str, line_no: int) -> None:
        match = _ITEM.match(stripped)
        if match is not None:
            self.items.append(Field(line_no, match.group(1).strip(), match.group(2).strip(), True,
                                    self.section, self.sub, self.group))

    def flush_table(self) -> None:
        if not self.table_lines:
            return
        lines = list(self.table_lines)
        self.table_lines.clear()
        if len(lines) > 1 and lines[0][1].startswith("||") and lines[1][1].startswith("||"):
            # `|| a | b |` on the header and separator: a doubled leading pipe, not an empty column
            lines = [(n, line[1:] if line.startswith("||") else line) for n, line in lines]
        header_line = lines[0][0]
        header = split_row(lines[0][1])
        separator_line: int | None = None
        separator_cells = 0
        body = lines[1:]
        if body:
            cells = split_row(body[0][1])
            if is_separator(cells):
                separator_line, separator_cells, body = body[0][0], len(cells), body[1:]
        self.tables.append(Table(header_line, header, separator_line, separator_cells, body,
                                 self.section, self.sub, self.intro))
        self.intro = None


# A run of blank lines (spaces allowed) after a line's end: to the scanner, one blank line.
_BLANK_RUN = re.compile(r"\n(?:[^\S\n]*\n)+")


def page_digest(raw: bytes, path: str) -> str:
    """A digest of what ``scan_page`` reads of a page: its front matter, and its body without
    the tracker's generated blocks and with each run of blank lines as one (which the scanner
    cannot tell apart). Two versions with the same digest state the same facts, at lines that
    may differ. Raises ParseError as ``scan_page`` does for a page that cannot be read."""
    text = decode_page(raw, path)
    body = split_front_matter(text, path)[1]
    read = prose(text, body)[0]
    return hashlib.sha1((read[:body] + _BLANK_RUN.sub("\n\n", "\n" + read[body:]))
                        .encode("utf-8")).hexdigest()
