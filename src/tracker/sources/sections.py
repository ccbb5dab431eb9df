"""A service page's `#`/`##` sections, each scanned once: ``scan_page`` cuts the page (its text as
page_text.py and fences.py give it) at its top headings outside code and asks ``SECTIONS``,
which scans a section it has not seen with markdown.py's scanner and hands out what it found
before for one it has, at the lines where it now stands.

A commit edits a line or two of a page (a quota, a price, a FAQ answer, a changelog line): the
walk parses the page again, and all but those lines' sections come from the memo, their
objects shared between the versions (so nothing may change them: a reader's ``rework`` makes
new ones, and per-table results live in ``Table.memo``). Cheaper still, ``LAST`` keeps each
page's last version as bytes cut into its sections: the next version's sections found there
byte for byte are taken without decoding, cutting or looking them up, and only the bytes
between them are read. The tracker's blocks are blanked in what is read (fences.prose), which
a run of sections can do alone when each of its markers pairs within it; else, and for a page
without front matter or with a BOM, the page is read whole, as text, its sections looked up
first among its last version's by their text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from tracker.sources.fences import code_free_spans, fence_candidates, paired_prose, prose
from tracker.sources.markdown import HEADING, Document, Field, Scanner, Table
from tracker.sources.page_text import MAX_PAGE_BYTES, clean_text, decode_page, split_front_matter


def _every_section(heading: str) -> bool:
    return True


# A line that may start a section: `# ` or `## ` (HEADING decides), found from the newline
# before it, a literal the regex engine skips to. A heading spelled otherwise (indented, `##　`)
# is not cut at: it stays inside the section above it, which reads the same, only less often
# from the memo.
_MAYBE_SECTION = re.compile(r"\n##?[ \t]")
_MAYBE_SECTION_BYTES = re.compile(rb"##?[ \t]")  # the same, matched at a line's start


@dataclass(slots=True)
class Section:
    """What the scanner collects from one `#`/`##` section (or from the text before the first),
    its objects numbered from ``first_line``. Shared by every version of every page that has the
    same section text at the same line: nothing may change them."""

    first_line: int
    fields: list[Field]
    tables: list[Table]
    checklist: list[Field]
    items: list[Field]
    bullets: list[Field]
    heading: str | None  # the section's own heading when it is a `# ` one

    def shifted(self, first_line: int) -> Section:
        """The same section starting at another line: copies numbered from ``first_line``."""
        by = first_line - self.first_line
        return Section(first_line, [_moved(item, by) for item in self.fields],
                       [_moved_table(table, by) for table in self.tables],
                       [_moved(item, by) for item in self.checklist],
                       [_moved(item, by) for item in self.items],
                       [_moved(item, by) for item in self.bullets], self.heading)


def _moved(item: Field, by: int) -> Field:
    return Field(item.line + by, item.label, item.value, item.bullet, item.section, item.sub,
                 item.group)


def _moved_table(table: Table, by: int) -> Table:
    moved = Table(table.line + by, table.header,
                  None if table.separator_line is None else table.separator_line + by,
                  table.separator_cells, [(line + by, text) for line, text in table.body],
                  table.section, table.sub, table.intro, dict(table.memo))
    if "rows" in table.__dict__:  # already cut into cells: the cells are shared, not cut again
        moved.__dict__["rows"] = [(line + by, cells) for line, cells in table.rows]
    return moved


class _SectionMemo:
    """The sections scanned lately, most recent last: a commit changes a line or two of a page,
    so nearly every section of the version the walk parses next was scanned already.

    Keyed by the section's text (from its `#`/`##` heading line, outside code, to the next one or
    the page's end) and whether the reader skips it. That is all the scan depends on but the line
    it starts at, which only numbers the lines: the scanner's state at such a heading is the
    heading's alone (section set; sub-heading, bold group and intro cleared; any table closed),
    and which of the section's lines are code follows from its text, as it starts outside code
    and a fence it leaves open runs to the page's end (it is the last section). At most ``size``
    sections are kept: the page's last version (``LAST``) holds the sections a commit leaves
    alone; this memo is for those between two edits, reverts, and text pages share (the
    site's 4,584 page versions parse as fast with 256 as with 4,096, tracemalloc 14 MB
    against 45 MB with the rest of the memos)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.sections: dict[SectionKey, Section] = {}

    def scan(self, read: str, start: int, end: int, spans: list[tuple[int, int]],
             first_line: int, skipping: bool, wanted: Callable[[str], bool],
             rework: Rework | None, key: SectionKey | None = None) -> Section:
        key = key or (read[start:end], skipping, rework)
        known = self.sections.pop(key, None)
        if known is None:
            inside = [(max(a, start) - start, min(b, end) - start) for a, b in spans
                      if a < end and b > start]
            known = _scan_section(key[0], inside, first_line, wanted)
            if rework is not None:
                known = rework(known)
        elif known.first_line != first_line:
            known = known.shifted(first_line)
        self.sections[key] = known  # now the most recent
        if len(self.sections) > self.size:
            del self.sections[next(iter(self.sections))]
        return known

    def clear(self) -> None:
        self.sections.clear()


SECTIONS = _SectionMemo(512)  # ~9 KB each with its objects
# What a reader makes of a section's objects before reading them, e.g. placeholders blanked: a
# pure function of the section (memoized with it, so it must not depend on anything else), which
# returns new objects rather than changing the section's.
Rework = Callable[[Section], Section]
SectionKey = tuple[str, bool, "Rework | None"]  # a section's text, skipped or not, its rework


def _scan_section(text: str, spans: list[tuple[int, int]], first_line: int,
                  wanted: Callable[[str], bool]) -> Section:
    scanner = Scanner(wanted)
    for start, end in spans:
        scanner.span(text[start:end].split("\n"), first_line + text.count("\n", 0, start))
    return Section(first_line, scanner.fields, scanner.tables, scanner.checklist,
                   scanner.items, scanner.bullets, scanner.heading)


def _section_starts(read: str, body: int, spans: list[tuple[int, int]],
                    wanted: Callable[[str], bool]) -> list[tuple[int, bool]]:
    """(offset, whether the reader skips it) of every `#`/`##` heading line outside code."""
    starts = []
    found = [m.start() + 1 for m in _MAYBE_SECTION.finditer(read, max(body - 1, 0))]
    if body == 0:
        found.insert(0, 0)  # the first line has no newline before it
    span = iter(spans)
    start, end = next(span, (len(read), len(read)))
    for at in found:
        while at >= end:
            start, end = next(span, (len(read) + 1, len(read) + 1))
        if at < start:
            continue  # in code
        line_end = read.find("\n", at)
        heading = HEADING.match(read[at:len(read) if line_end < 0 else line_end].strip())
        if heading is not None and len(heading.group(1)) <= 2:
            starts.append((at, not wanted(heading.group(2).strip())))
    return starts


def scan_page(raw: bytes, path: str, wanted: Callable[[str], bool] = _every_section,
              rework: Rework | None = None) -> Document:
    """Decode a page and collect its front matter, bold fields and tables (code fences and the
    tracker's own generated blocks skipped).

    ``wanted(heading)`` says which `##` sections to read in full; the others give only their
    plain `**Label：**` lines. ``rework`` is applied to what each section states. Each section is
    scanned (and reworked) once (``SECTIONS``); the sections of the page's last version that
    the new one has byte for byte are not even looked up, and a page read as text looks its
    sections up among its last version's first (``LAST``).
    """
    key = (path, wanted, rework)
    last = LAST.versions.pop(key, None)
    version = _next_version(last, raw, wanted, rework) if isinstance(last, _Version) else None
    if version is None:
        text = decode_page(raw, path)
        front_matter, body, front_matter_format = split_front_matter(text, path)
        body_bytes = len(text[:body].encode("utf-8"))
        pieces = None if body == 0 or raw.startswith(b"\xef\xbb\xbf") else \
            _pieces(text[body:], body_bytes, 1 + text.count("\n", 0, body), True, wanted, rework)
        if pieces is None:
            # read as text: a marker of the tracker's pairs with one sections away, or the
            # page has no front matter or a BOM (its bytes are not the body's)
            known = last.sections if isinstance(last, _TextVersion) else {}
            doc, sections = _scan_text(text, front_matter, body, front_matter_format, wanted,
                                       rework, known)
            LAST.keep(key, _TextVersion(sections))
            return doc
        version = _Version(raw, front_matter, front_matter_format, body_bytes, pieces)
    LAST.keep(key, version)
    doc = Document(version.front_matter, front_matter_format=version.front_matter_format)
    for piece in version.pieces:
        _add(doc, piece.section)
        doc.code += piece.code
    return doc


def _add(doc: Document, section: Section) -> None:
    doc.fields += section.fields
    doc.tables += section.tables
    doc.checklist += section.checklist
    doc.items += section.items
    doc.bullets += section.bullets
    if doc.heading is None:
        doc.heading = section.heading


def _scan_text(text: str, front_matter: str | None, body: int, front_matter_format: str,
               wanted: Callable[[str], bool], rework: Rework | None,
               last: dict[SectionKey, Section]) -> tuple[Document, dict[SectionKey, Section]]:
    """The page read as text, section by section: each taken from the page's ``last`` version
    when it has the same text, else through the memo. Returns this version's sections too (the
    next version's ``last``)."""
    # what the tracker writes between its markers is never read as the page's facts: so a
    # commit of the tracker's own blocks states the same facts by construction (page_digest)
    read, spans = prose(text, body)
    doc = Document(front_matter, front_matter_format=front_matter_format, code=_code(read, spans))
    spans = [(start, end) for start, end in spans if start < end]  # an empty span reads nothing
    bounds = [(body, False), *_section_starts(read, body, spans, wanted), (len(read), False)]
    line_no = 1 + read.count("\n", 0, body)
    sections: dict[SectionKey, Section] = {}
    for (start, skipping), (end, _) in zip(bounds, bounds[1:], strict=False):
        if start == end:
            continue
        key = (read[start:end], skipping, rework)
        section = last.get(key)
        if section is None:
            section = SECTIONS.scan(read, start, end, spans, line_no, skipping, wanted, rework,
                                    key)
        elif section.first_line != line_no:
            section = section.shifted(line_no)
        sections[key] = section
        _add(doc, section)
        line_no += read.count("\n", start, end)
    return doc, sections


@dataclass(slots=True)
class _Piece:
    """One section of a version: where its bytes lie, what it states, its fenced code."""

    start: int
    end: int
    section: Section
    code: list[str]
    lines: int  # how many line ends it holds


@dataclass(slots=True)
class _Version:
    """A page version read through ``_pieces``: its bytes, front matter, and sections."""

    raw: bytes
    front_matter: str | None
    front_matter_format: str
    body: int  # where the body starts, in bytes
    pieces: list[_Piece]


@dataclass(slots=True)
class _TextVersion:
    """A page version read as text (``_scan_text``: no front matter, a BOM, or a marker of the
    tracker's pairing across sections): its sections by their text, which the next version's
    sections are looked up in before the memo (a site's pages hold ~2,600 sections: more than
    SECTIONS keeps, so without this nearly every section of such a page was scanned again)."""

    sections: dict[SectionKey, Section]


class _LastVersions:
    """The last version of each page read, by path, reader and rework: the next version is
    compared with it byte for byte, and only the sections between the first and the last byte
    that differ are read again (the others are the same bytes, at lines shifted by the lines
    added or removed); or, for a page read as text, its sections are looked up by their text.
    Keyed by path but sound for any bytes under it: what is reused is what the two versions
    have in common, found by comparing them. At most ``size`` pages."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.versions: dict[tuple[str, Callable[[str], bool], Rework | None],
                            _Version | _TextVersion] = {}

    def clear(self) -> None:
        self.versions.clear()

    def keep(self, key: tuple[str, Callable[[str], bool], Rework | None],
             version: _Version | _TextVersion) -> None:
        self.versions[key] = version
        if len(self.versions) > self.size:
            del self.versions[next(iter(self.versions))]


LAST = _LastVersions(1024)


def _next_version(last: _Version, raw: bytes, wanted: Callable[[str], bool],
                  rework: Rework | None) -> _Version | None:
    """``raw`` read from what it shares with ``last``; None when it must be read whole (its
    front matter changed, a marker of the tracker's pairing beyond what is read again, a
    section left inside code, not clean).

    Each section of ``last`` found byte for byte at the place the new version has reached is
    taken as it is (at the lines it now starts at), provided a `#`/`##` heading still follows
    it; the bytes between such sections are read as sections again. Sound for the tracker's
    blocks because every section of a ``_Version`` holds whole blocks (``_pieces`` makes no
    other): a list of markers that pair up completely, joined to another, pairs the same way
    (an end then a begin never pair), so a kept section's blocks are the whole page's."""
    old = last.raw
    if not last.pieces or len(raw) > MAX_PAGE_BYTES or raw[:last.body] != old[:last.body]:
        return None  # (no pieces: the last version had no body)
    pieces: list[_Piece] = []
    at, line_no, gap = last.body, last.pieces[0].section.first_line, last.body
    for n, piece in enumerate(last.pieces):
        size = piece.end - piece.start
        found = at if raw[at:at + size] == old[piece.start:piece.end] else -1
        if found < 0 and n:  # further on, after a changed or added section
            found = raw.find(old[piece.start:piece.end], at)
            if found > 0 and raw[found - 1:found] != b"\n":
                found = -1
        if found < 0 or not _ends_section(raw, found + size) or (
                piece.end == len(old) and found + size < len(raw)):
            continue  # (the old last section may end inside an unclosed fence)
        if found > gap:  # the bytes since the last section taken: read again
            read = _read_again(raw, gap, found, line_no, False, wanted, rework)
            if read is None:
                return None
            pieces += read
            line_no = read[-1].section.first_line + read[-1].lines if read else line_no
        section = piece.section if piece.section.first_line == line_no \
            else piece.section.shifted(line_no)
        pieces.append(_Piece(found, found + size, section, piece.code, piece.lines))
        at = gap = found + size
        line_no += piece.lines
    if gap < len(raw):
        read = _read_again(raw, gap, len(raw), line_no, True, wanted, rework)
        if read is None:
            return None
        pieces += read
    return _Version(raw, last.front_matter, last.front_matter_format, last.body, pieces)


def _ends_section(raw: bytes, at: int) -> bool:
    """Whether a section may end at ``at``: the page's end, or a line `scan_page` cuts at."""
    if at == len(raw):
        return True
    if at > len(raw) or raw[at - 1:at] != b"\n" or _MAYBE_SECTION_BYTES.match(raw, at) is None:
        return False
    end = raw.find(b"\n", at)
    return _cuts(raw[at:len(raw) if end < 0 else end])


@lru_cache(maxsize=4096)  # a page's few headings, asked at every version
def _cuts(line: bytes) -> bool:
    """Whether ``_section_starts`` cuts at this line (its `##?[ \\t]` start aside)."""
    heading = HEADING.match(line.decode("utf-8", "replace").strip())
    return heading is not None and len(heading.group(1)) <= 2


def _read_again(raw: bytes, start: int, end: int, first_line: int, to_end: bool,
                wanted: Callable[[str], bool], rework: Rework | None) -> list[_Piece] | None:
    text = clean_text(raw[start:end])
    return None if text is None else _pieces(text, start, first_line, to_end, wanted, rework)


def _pieces(text: str, at: int, first_line: int, to_end: bool, wanted: Callable[[str], bool],
            rework: Rework | None) -> list[_Piece] | None:
    """The sections of ``text``, a run of whole sections starting ``at`` bytes into the page at
    ``first_line``; None when it would end inside a fenced code block (unless it is the page's
    end), as then the next section's heading is code, or when a marker of the tracker's in it
    pairs with none in it. A block never spans two sections (a heading inside one is blanked,
    no cut), so every section read here holds whole blocks; with the sections around the run
    holding whole blocks too, a marker in the run can only pair within it."""
    candidates = fence_candidates(text, 0)
    spans = code_free_spans(text, 0, candidates)
    if not to_end and spans[-1][1] != len(text):
        return None
    # the tracker's blocks blanked, as in the whole page when each lies within this text
    read = paired_prose(text, spans, candidates) if "<!-- tracker:" in text else text
    if read is None:
        return None
    gaps = [(a[1], b[0]) for a, b in zip(spans, spans[1:], strict=False)]
    if spans[-1][1] < len(text):
        gaps.append((spans[-1][1], len(text)))  # an unclosed fence runs to the page's end
    spans = [(start, end) for start, end in spans if start < end]
    bounds = [(0, False), *_section_starts(read, 0, spans, wanted), (len(read), False)]
    pieces = []
    line_no, offset = first_line, at
    for (start, skipping), (end, _) in zip(bounds, bounds[1:], strict=False):
        if start == end:
            continue
        size = len(text[start:end].encode("utf-8"))
        section = SECTIONS.scan(read, start, end, spans, line_no, skipping, wanted, rework)
        pieces.append(_Piece(offset, offset + size, section,
                             [text[a:b] for a, b in gaps if start <= a < end],
                             text.count("\n", start, end)))
        line_no += text.count("\n", start, end)
        offset += size
    return pieces


def _code(read: str, spans: list[tuple[int, int]]) -> list[str]:
    """The text of each fenced code block: what lies between two code-free spans, and after
    the last one (an unclosed fence runs to the end of the page)."""
    code, counted = [], 0
    for start, end in spans:
        if start > counted > 0:
            code.append(read[counted:start])
        counted = end
    if 0 < counted < len(read):
        code.append(read[counted:])
    return code
