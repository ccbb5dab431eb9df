"""Generated blocks inside hand-written Markdown: the one marker rewrite, escaping, page changes.

A block lives between ``<!-- tracker:NAME:begin -->`` and ``<!-- tracker:NAME:end -->``, each on a
line of its own. Marker lines inside front matter or fenced code blocks do not count, so a page can
document the markers. Every byte outside the block is kept: the block takes the page's line ending
(LF or CRLF), a BOM stays, and rewriting twice gives the same bytes. A page whose front matter says
``tracker: false`` is never touched. ``md_escape`` makes any value inert text in Markdown rendered
by Hugo (goldmark with ``unsafe: true``, shortcodes, Hextra's math passthrough).
"""

from __future__ import annotations

import difflib
import re
import tomllib
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from tracker.errors import TrackerError
from tracker.fsutil import write_all_atomic, write_atomic
from tracker.render import visible
from tracker.sources.fences import (
    closes_code_fence,
    closes_front_matter,
    code_fence_opener,
    fence_candidates,
    front_matter_fence,
)
from tracker.yamlio import LOADER

BOM = "\ufeff"


# Entities rather than backslashes for the characters that open raw HTML, links, shortcodes and
# entities, and for the backslash itself: Hextra's passthrough treats "\(" and "\[" as math
# delimiters, so the escaped text must never contain a backslash before a bracket. The emphasis
# characters have no such trap, and a backslash keeps them readable in the Markdown source.
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "[": "&#91;", "]": "&#93;",
             "{": "&#123;", "}": "&#125;", "\\": "&#92;"}
_BACKSLASHED = "*_`~"
_NEWLINES = re.compile(r"\r\n|[\r\n\v\f\x85\u2028\u2029]")


def md_escape(value: Any) -> str:
    """``value`` as inert inline Markdown text: no HTML, link, emphasis, shortcode, new line,
    control character or bidi override."""
    out: list[str] = []
    for char in visible(_NEWLINES.sub(" ", str(value))):
        if char in _ENTITIES:
            out.append(_ENTITIES[char])
        elif char in _BACKSLASHED:
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def begin_marker(name: str) -> str:
    return f"<!-- tracker:{name}:begin -->"


def end_marker(name: str) -> str:
    return f"<!-- tracker:{name}:end -->"


class Line(NamedTuple):
    """One line of a page: ``text[start:end]`` is its content, ``text[end:stop]`` its ending.
    (A tuple, made at C speed: a render splits every page of the site, 300 lines each.)"""

    start: int
    end: int
    stop: int


class Page:
    """A page split into lines, knowing which are front matter or code, so markers can be found.

    Only ``\\n`` ends a line (a lone ``\\r`` is content), as in the files git and Hugo see.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts, self.lines = _split(text)
        self.body = self._front_matter_end()
        self.unclosed_fence: int | None = None  # the opening line of a fence never closed
        self.code = self._code_lines()

    def line_at(self, offset: int) -> int:
        """The index of the line holding the character at ``offset``."""
        return bisect_right(self.starts, offset) - 1

    def content(self, index: int) -> str:
        """The text of line ``index`` without its ending (and without a BOM on the first)."""
        line = self.lines[index]
        start = line.start + 1 if index == 0 and self.text.startswith(BOM) else line.start
        return self.text[start:line.end].removesuffix("\r")

    def start(self, index: int) -> int:
        """Where line ``index`` begins; after the BOM on the first, so the BOM stays first."""
        if index == 0 and self.text.startswith(BOM):
            return 1
        return self.lines[index].start

    def eol(self, index: int | None = None) -> str:
        """The line ending of line ``index`` if it has one, else the page's first, else LF."""
        if index is not None:
            line = self.lines[index]
            if line.stop > line.end:
                return "\r\n" if self.text[line.start:line.end].endswith("\r") else "\n"
        first = self.text.find("\n")
        return "\r\n" if first > 0 and self.text[first - 1] == "\r" else "\n"

    def prose(self) -> list[int]:
        """Indexes of body lines outside fenced code: where markers and headings count."""
        return [i for i in range(self.body, len(self.lines)) if i not in self.code]

    def lines_with(self, needle: str) -> list[int]:
        """The prose lines (as ``prose``) whose content holds ``needle`` (no new line in it),
        found by str.find rather than by reading every line."""
        found: list[int] = []
        at = self.text.find(needle)
        while at >= 0:
            index = self.line_at(at)
            if index >= self.body and index not in self.code:
                found.append(index)
            at = self.text.find(needle, self.lines[index].stop)
        return found

    def blank(self, index: int) -> bool:
        return not self.content(index).strip()

    def front_matter(self) -> dict[str, Any]:
        """The front matter as a mapping (YAML ``---`` or TOML ``+++``); {} when absent or bad."""
        if self.body == 0:
            return {}
        fence = front_matter_fence(self.content(0))
        raw = "\n".join(self.content(i) for i in range(1, self.body - 1))
        try:
            if fence == "+++":
                data: Any = tomllib.loads(raw)
            else:
                data = yaml.load(raw, Loader=LOADER)
        except Exception:  # noqa: BLE001 - Hugo reports bad front matter; we just don't opt out
            return {}
        return data if isinstance(data, dict) else {}

    def _front_matter_end(self) -> int:
        if not self.lines:
            return 0
        fence = front_matter_fence(self.content(0))
        if fence is None:
            return 0
        for i in range(1, len(self.lines)):
            if closes_front_matter(self.content(i), fence):
                return i + 1
        return 0  # an unclosed fence is not front matter; Hugo would refuse the page anyway

    def _code_lines(self) -> set[int]:
        """Lines of fenced code blocks, fences included; an unclosed fence runs to the end.

        Only the lines that could open or close a fence are looked at (fences.fence_candidates,
        found by str.find), not every line of the page; the one case that finds misses, a
        fence on a first line after a BOM, is scanned line by line."""
        if self.body == 0 and self.text.startswith(BOM):
            return self._code_lines_scanned()
        code: set[int] = set()
        if self.body >= len(self.lines):
            return code
        opened: int | None = None
        opener: tuple[str, int] | None = None
        for start, _end, line in fence_candidates(self.text, self.lines[self.body].start):
            if opener is None:
                opener = code_fence_opener(line)
                if opener is not None:
                    opened = self.line_at(start)
            elif closes_code_fence(line, opener):
                assert opened is not None
                code.update(range(opened, self.line_at(start) + 1))
                opener, opened = None, None
        if opened is not None:
            code.update(range(opened, len(self.lines)))
        self.unclosed_fence = opened
        return code

    def _code_lines_scanned(self) -> set[int]:
        code: set[int] = set()
        opener: tuple[str, int] | None = None
        opened: int | None = None
        for i in range(self.body, len(self.lines)):
            if opener is None:
                opener = code_fence_opener(self.content(i))
                if opener is not None:
                    opened = i
                    code.add(i)
                continue
            code.add(i)
            if closes_code_fence(self.content(i), opener):
                opener, opened = None, None
        self.unclosed_fence = opened
        return code


def _split(text: str) -> tuple[list[int], list[Line]]:
    """Where each line starts, and the lines (offsets from one split and a running sum: no
    Python loop over the characters)."""
    if not text:
        return [], []
    starts = list(accumulate((len(piece) + 1 for piece in text.split("\n")), initial=0))
    starts.pop()  # past the end: the last piece has no newline
    if starts[-1] == len(text):  # the text ends with a newline: no last, empty line
        starts.pop()
    stops = starts[1:] + [len(text)]
    ends = [stop - 1 for stop in stops]
    if not text.endswith("\n"):
        ends[-1] = len(text)
    return starts, list(map(Line, starts, ends, stops))


def opted_out(page: Page) -> bool:
    """``tracker: false`` in the front matter: the maintainers keep this page by hand.

    The front matter is parsed only when its text could say so: a key ``tracker`` is written
    as such, or with an escape (a backslash), in YAML and TOML alike."""
    if page.body == 0:
        return False
    raw = page.text[:page.lines[page.body - 1].start]
    if "tracker" not in raw and "\\" not in raw:
        return False
    return page.front_matter().get("tracker") is False


def find_markers(page: Page, name: str) -> tuple[int, int] | None:
    """Line indexes of the begin and end markers, or None when the page has neither.

    Anything else (one without the other, two of either, end before begin) is refused: guessing
    where a block stops could overwrite hand-written text.
    """
    begin, end = begin_marker(name), end_marker(name)
    if "<!-- tracker:" not in page.text:
        return None
    candidates = page.lines_with("<!-- tracker:")
    begins = [i for i in candidates if page.content(i).strip() == begin]
    ends = [i for i in candidates if page.content(i).strip() == end]
    for i in candidates:
        # a line opening with a marker is meant as one; where other text on it belongs is a guess
        content = page.content(i)
        opening = content.lstrip(" ")
        if len(content) - len(opening) <= 3 and opening.startswith((begin, end)) \
                and i not in begins and i not in ends:
            raise TrackerError(f"line {i + 1} holds a tracker marker and other text",
                               line=i + 1, hint="put the marker on a line of its own")
    if not begins and not ends:
        return None
    if len(begins) > 1:
        raise TrackerError(f"{begin} appears {len(begins)} times (lines "
                           f"{', '.join(str(i + 1) for i in begins)})", line=begins[1] + 1,
                           hint="keep one begin/end pair")
    if len(ends) > 1:
        raise TrackerError(f"{end} appears {len(ends)} times (lines "
                           f"{', '.join(str(i + 1) for i in ends)})", line=ends[1] + 1,
                           hint="keep one begin/end pair")
    if not ends:
        raise TrackerError(f"{begin} has no matching {end}", line=begins[0] + 1,
                           hint=f"add {end} on its own line where the generated text stops")
    if not begins:
        raise TrackerError(f"{end} has no matching {begin}", line=ends[0] + 1,
                           hint=f"add {begin} on its own line where the generated text starts")
    if ends[0] < begins[0]:
        raise TrackerError(f"{end} comes before {begin}", line=ends[0] + 1,
                           hint="put the begin marker first")
    return begins[0], ends[0]


def marked(name: str, block: str, eol: str) -> str:
    """The begin marker, the block and the end marker, each line ending in ``eol``."""
    return begin_marker(name) + eol + _with_eol(block, eol) + end_marker(name) + eol


def _with_eol(block: str, eol: str) -> str:
    if block and not block.endswith("\n"):
        block += "\n"
    return block.replace("\r\n", "\n").replace("\n", eol)


Inserter = Callable[[Page, str], str]


def rewrite_marked(text: str, name: str, block: str, insert: Inserter | None = None,
                   page: Page | None = None) -> str:
    """``text`` with ``block`` between the ``name`` markers (``page``: the text's Page, when
    the caller has it).

    Markers present: only the lines between them change. No markers: ``insert(page, eol)`` decides
    where a marked block goes and returns the new text, or, with no ``insert``, the text stays.
    """
    page = Page(text) if page is None else page
    if opted_out(page):
        return text
    span = find_markers(page, name)
    if span is None:
        return insert(page, page.eol()) if insert is not None else text
    begin, end = span
    eol = page.eol(begin)
    return (text[:page.lines[begin].stop] + _with_eol(block, eol)
            + text[page.lines[end].start:])


@dataclass(frozen=True)
class PageChange:
    """A file whose generated block changed; ``path`` is relative to the site root."""

    path: Path
    old_text: str
    new_text: str

    def diff(self) -> str:
        """A unified diff, for ``--dry-run`` to print."""
        return "".join(difflib.unified_diff(
            self.old_text.splitlines(keepends=True), self.new_text.splitlines(keepends=True),
            fromfile=f"a/{self.path.as_posix()}", tofile=f"b/{self.path.as_posix()}"))


def read_text(path: Path, shown: Path) -> str:
    """A page's text, decoded by hand so CRLF and a BOM survive (no newline translation)."""
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TrackerError(f"not UTF-8 at byte {exc.start}", path=shown.as_posix(),
                           hint="save the file as UTF-8") from None


def apply(root: Path, relative: Path, rewrite: Callable[[str], str], dry_run: bool,
          skipped: list[TrackerError] | None = None) -> PageChange | None:
    """Rewrite one file under ``root`` (unless ``dry_run``); the change, or None if there is none.

    A file that cannot be rewritten safely (not UTF-8, markers missing a partner or repeated)
    raises a TrackerError naming it, or, given ``skipped``, is noted there and left as it is.
    """
    try:
        old = read_text(root / relative, relative)
        new = rewrite(old)
    except TrackerError as exc:
        error = TrackerError(exc.message, path=relative.as_posix(), line=exc.line,
                             hint=exc.hint)
        if skipped is None:
            raise error from None
        skipped.append(error)
        return None
    if new == old:
        return None
    if not dry_run:
        write_atomic(root / relative, new.encode("utf-8"))
    return PageChange(relative, old, new)


def write_changes(root: Path, changes: list[PageChange]) -> None:
    """Write the pages ``apply`` changed with ``dry_run`` (so that they are written together,
    see ``fsutil.write_all_atomic``): each atomically and durably."""
    write_all_atomic([(root / change.path, change.new_text.encode("utf-8"))
                      for change in changes])
