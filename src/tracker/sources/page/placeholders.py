"""The site template's placeholders (`[数量]`, `[年月]`, `[API 服务名称]`…): what a page copied
from ``service-api-template.md`` and not filled in still says.

A placeholder is never a fact: a field or table cell holding one states nothing (``blank_in``),
so filling it in later is a service's first statement of that fact, not a change. ``tracker
check`` names each one with its line (``find_placeholders``), and the template's example
changelog lines (`- **[年月]：** [API 更新、新模型、配额变化]`) are not kept as entries.

Only the template's own placeholder words count (``vocabulary.PLACEHOLDER_WORDS``, numbered
ones such as `[特点 2]` and `[model-3]` included): a real page's `[1]` or `[beta]` is text.
Code (fenced or inline) is never looked at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from tracker.errors import ParseError
from tracker.sources.markdown import Document, label_key
from tracker.sources.page.vocabulary import ENDPOINT, PLACEHOLDER_WORDS
from tracker.sources.sections import Section, scan_page

# `[数量]`, `[[提供者名称]](…)`, `[Provider 名称](/providers/provider-name)`
_BRACKETED = re.compile(r"\[([^\[\]\n]{1,80})\]")
# the template's yes-or-no cell, `✅/❌`: neither answer chosen
_EITHER = re.compile(r"✅\s*/\s*❌")
_NUMBERED = re.compile(r"[\s-]*\d+$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_INLINE_CODE = re.compile(r"`+[^`\n]*`+")
# the template's example endpoint: RFC 2606 keeps example.com from ever being a real one
EXAMPLE_ENDPOINT = re.compile(r"https?://api\.example\.com\b")
# a changelog entry of the template: its date is the `[年月]` placeholder
TEMPLATE_ENTRY = re.compile(r"^\s*[-*]\s+\*\*\[年月\]\s*[:：]?\s*\*\*")


def is_placeholder(text: str) -> bool:
    """`数量`, `特点 2`, `model-1`: one of the template's placeholder words (without brackets)."""
    words = " ".join(text.split())
    return words in PLACEHOLDER_WORDS or _NUMBERED.sub("", words) in PLACEHOLDER_WORDS


def placeholders_in(text: str) -> list[str]:
    """The placeholders of one line or value, brackets kept: `[数量]`."""
    found = [(m.start(), f"[{m.group(1)}]") for m in _BRACKETED.finditer(text)
             if is_placeholder(m.group(1))]
    found += [(m.start(), m.group(0)) for m in _EITHER.finditer(text)]
    return [placeholder for _, placeholder in sorted(found)]


@lru_cache(maxsize=1 << 14)  # every field and table line of every version of a page is asked
def holds_placeholder(text: str) -> bool:
    return ("[" in text or "❌" in text) and bool(placeholders_in(text))


@dataclass(frozen=True)
class Placeholder:
    line: int
    text: str


def find_placeholders(text: str, doc: Document | None = None) -> list[Placeholder]:
    """Every placeholder of a page outside code, with its line (front matter included: the
    template's title is `"[服务名称] API"`); the template's example endpoint too, when the
    page's own endpoint line (``doc``) states it."""
    found: list[Placeholder] = []
    fence: str | None = None
    for number, line in enumerate(text.splitlines(), 1):
        opened = _FENCE.match(line)
        if opened:
            fence = None if fence == opened.group(1) else fence or opened.group(1)
            continue
        if fence or ("[" not in line and "❌" not in line):
            continue
        found += [Placeholder(number, p) for p in placeholders_in(_INLINE_CODE.sub("", line))]
    for item in doc.fields if doc is not None else ():
        example = EXAMPLE_ENDPOINT.search(item.value)
        if example and not item.bullet and label_key(item.label) in ENDPOINT:
            found.append(Placeholder(item.line, example.group(0)))
    return sorted(dict.fromkeys(found), key=lambda p: p.line)  # page order within a line


def blank_in(section: Section) -> Section:
    """The section with every field and table cell holding a placeholder stating nothing: new
    objects where one changed (the scanned ones are shared between versions, never changed)."""
    lists = []
    for items in (section.fields, section.checklist, section.items):
        lists.append([replace(item, value="") if holds_placeholder(item.value)
                      or holds_placeholder(item.label) or (label_key(item.label) in ENDPOINT
                                                           and EXAMPLE_ENDPOINT.search(item.value))
                      else item for item in items])
    tables = [replace(table, body=[(number, _blank_cells(line)) for number, line in table.body],
                      memo={})  # a new Table: its rows are cut again from the blanked lines
              if any(holds_placeholder(line) for _, line in table.body) else table
              for table in section.tables]
    return Section(section.first_line, lists[0], tables, lists[1], lists[2], section.bullets,
                   section.heading)


def _blank_cells(line: str) -> str:
    if not holds_placeholder(line):
        return line
    cells = re.split(r"(?<!\\)\|", line)
    return "|".join("  " if holds_placeholder(cell) else cell for cell in cells)


def placeholder_errors(raw: bytes, path: str) -> list[ParseError]:
    """One error per line of a page that still holds the template's placeholders, naming them:
    what ``tracker check`` reports (a page that does not read at all is reported elsewhere)."""
    if b"[" not in raw and "❌".encode() not in raw:
        return []
    try:
        doc = scan_page(raw, path)
    except ParseError:
        return []
    text = raw.decode("utf-8", "replace")
    by_line: dict[int, list[str]] = {}
    for found in find_placeholders(text, doc):
        by_line.setdefault(found.line, []).append(found.text)
    return [ParseError("not filled in from the template: " + ", ".join(dict.fromkeys(words)),
                       path=path, line=line,
                       hint="write the service's own value or delete it; a placeholder is "
                            "never tracked as a fact")
            for line, words in sorted(by_line.items())]
