"""Where a Markdown page's front matter, fenced code blocks and the tracker's own generated blocks
begin and end: the one rule the page parser (sources/page_text.py, sources/markdown.py) and the
marker writer (render/markers.py) all follow, so they always agree on which lines are front
matter, code, or prose — and the walk (walk/snapshots.py) knows which bytes of a page can never be
facts.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Front matter opens with one of these lines and closes with one of its closers (Hugo's rule).
FRONT_MATTER_CLOSERS: dict[str, tuple[str, ...]] = {"---": ("---", "..."), "+++": ("+++",)}
FRONT_MATTER_FORMATS = {"---": "yaml", "+++": "toml"}
FRONT_MATTER_END = {fence: re.compile("^(?:" + "|".join(map(re.escape, closers))
                                       + r")[ \t]*\r?$", re.MULTILINE)
                     for fence, closers in FRONT_MATTER_CLOSERS.items()}
_CODE_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})(.*)$")
# A marker line as the marker writer writes it: the marker alone on its line (spaces around it).
_MARKER_LINE = re.compile(r"[^\S\n]*<!-- tracker:([\w-]+):(begin|end) -->[^\S\n]*")


def front_matter_fence(first_line: str) -> str | None:
    """The fence (``---`` YAML, ``+++`` TOML) a page's first line opens front matter with."""
    line = first_line.removeprefix("\ufeff").rstrip()
    return line if line in FRONT_MATTER_CLOSERS else None


def closes_front_matter(line: str, fence: str) -> bool:
    return line.rstrip() in FRONT_MATTER_CLOSERS[fence]


def code_fence_opener(line: str) -> tuple[str, int] | None:
    """(character, length) of the code fence ``line`` opens, or None. A backtick fence's info
    string may not hold a backtick (CommonMark 4.5): such a line is inline code, no fence."""
    match = _CODE_FENCE.match(line)
    if match is None or (match.group(1)[0] == "`" and "`" in match.group(2)):
        return None
    return match.group(1)[0], len(match.group(1))


def closes_code_fence(line: str, opener: tuple[str, int]) -> bool:
    """Whether ``line`` closes the fence ``opener`` opened: same character, as long, bare."""
    match = _CODE_FENCE.match(line)
    return bool(match and match.group(1)[0] == opener[0] and len(match.group(1)) >= opener[1]
                and not match.group(2).strip())


# For the fence lines code_free_spans meets (every version of every page asks, and a site's fence
# lines are a handful of texts: ```python, ```); markers.py asks of every line, uncached.
_opener = lru_cache(maxsize=1024)(code_fence_opener)
_closes = lru_cache(maxsize=1024)(closes_code_fence)


def fence_candidates(text: str, pos: int) -> list[tuple[int, int, str]]:
    """(line start, line end, stripped line) of every line from pos that opens with ``` or ~~~.

    Found with str.find, so the bodies of code examples, most of a long page, cost no Python
    loop; each occurrence is looked at once.
    """
    found: dict[int, tuple[int, str]] = {}
    for marker in ("```", "~~~"):
        at = text.find(marker, pos)
        while at >= 0:
            line_start = text.rfind("\n", 0, at) + 1
            line_end = text.find("\n", at)
            line_end = len(text) if line_end < 0 else line_end
            if not text[line_start:at].strip(" \t"):
                found[line_start] = (line_end, text[at:line_end].rstrip())
            at = text.find(marker, line_end)
    return sorted((start, end, line) for start, (end, line) in found.items())


def code_free_spans(text: str, pos: int,
                    candidates: list[tuple[int, int, str]] | None = None) -> list[tuple[int, int]]:
    """The [start, end) spans of text from ``pos`` outside fenced code blocks (``candidates``:
    ``fence_candidates(text, pos)`` when the caller has them)."""
    spans: list[tuple[int, int]] = []
    opened: tuple[str, int] | None = None  # the open fence's character and length
    for start, end, line in fence_candidates(text, pos) if candidates is None else candidates:
        if opened is None:
            opened = _opener(line)
            if opened is not None:
                spans.append((pos, start))
        elif _closes(line, opened):
            opened, pos = None, end + 1
    if opened is None:  # an unclosed fence runs to the end of the page, as Hugo renders it
        spans.append((pos, len(text)))
    return spans


def generated_blocks(text: str, body: int) -> list[tuple[int, int]]:
    """The [start, end) spans from a begin marker line to the end marker line of the same block
    that follows it, marker lines included (both in prose after the front matter at ``body``):
    what the tracker writes, never the page's facts. A block holding a line that could open or
    close a code fence is not one (where its end lies would depend on the fence): its text stays
    the page's, as does a marker without its partner."""
    candidates = fence_candidates(text, body)
    return _blocks(text, body, code_free_spans(text, body, candidates), candidates)


def _marks(text: str, body: int,
           spans: list[tuple[int, int]]) -> list[tuple[int, int, str, str]]:
    """(line start, line end, name, begin/end) of every marker line in prose from ``body``."""
    marks: list[tuple[int, int, str, str]] = []
    at = text.find("<!-- tracker:", body)
    while at >= 0:  # str.find, not a MULTILINE regex over the page: 4× cheaper
        start = text.rfind("\n", 0, at) + 1
        end = text.find("\n", at)
        end = len(text) if end < 0 else end
        mark = _MARKER_LINE.fullmatch(text, start, end)
        if mark is not None and any(a <= start < b for a, b in spans):
            marks.append((start, end, mark.group(1), mark.group(2)))
        at = text.find("<!-- tracker:", end)
    return marks


def _blocks(text: str, body: int, spans: list[tuple[int, int]],
            candidates: list[tuple[int, int, str]],
            marks: list[tuple[int, int, str, str]] | None = None) -> list[tuple[int, int]]:
    if marks is None:
        marks = _marks(text, body, spans)
    fences = [start for start, _end, _line in candidates]
    blocks = []
    for opening, closing in zip(marks, marks[1:], strict=False):
        if opening[3] == "begin" and closing[3] == "end" and opening[2] == closing[2] \
                and not any(opening[1] < fence < closing[0] for fence in fences):
            blocks.append((opening[0], closing[1]))
    return blocks


def prose(text: str, body: int) -> tuple[str, list[tuple[int, int]]]:
    """What the page parser reads of a page whose body starts at ``body``: the text with the
    generated blocks' lines, markers included, turned to spaces (the same length: every other
    line keeps its place and number), and the spans outside fenced code. To the parser a run
    of blank lines is one, so a page with a block reads as the page without it."""
    candidates = fence_candidates(text, body)
    spans = code_free_spans(text, body, candidates)
    if "<!-- tracker:" not in text:
        return text, spans
    blocks = _blocks(text, body, spans, candidates)
    return (_blanked(text, blocks) if blocks else text), spans


def _blanked(text: str, blocks: list[tuple[int, int]]) -> str:
    parts, at = [], 0
    for start, stop in blocks:
        parts += [text[at:start], "\n".join(" " * len(line)
                                            for line in text[start:stop].split("\n"))]
        at = stop
    parts.append(text[at:])
    return "".join(parts)


def paired_prose(text: str, spans: list[tuple[int, int]],
                 candidates: list[tuple[int, int, str]]) -> str | None:
    """What ``prose`` makes of ``text``, a run of whole sections of a page (its code-free
    ``spans`` and fence ``candidates`` given), when every marker line in it is one of its own
    blocks'; None when one is not: it might pair with a marker beyond the run, which only
    the whole page tells (sources/sections.py then reads the page whole)."""
    marks = _marks(text, 0, spans)
    if not marks:
        return text
    blocks = _blocks(text, 0, spans, candidates, marks)
    return _blanked(text, blocks) if 2 * len(blocks) == len(marks) else None


def blank_generated(text: str, body: int) -> str:
    """``text`` as the parser reads it: the generated blocks blanked (see ``prose``)."""
    return prose(text, body)[0]
