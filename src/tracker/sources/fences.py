"""Where a Markdown page's front matter and fenced code blocks begin and end: the one rule the
page parser (sources/page_text.py, sources/markdown.py) and the marker writer (render/markers.py)
all follow, so they always agree on which lines are front matter, code, or prose.
"""

from __future__ import annotations

import re

# Front matter opens with one of these lines and closes with one of its closers (Hugo's rule).
FRONT_MATTER_CLOSERS: dict[str, tuple[str, ...]] = {"---": ("---", "..."), "+++": ("+++",)}
FRONT_MATTER_FORMATS = {"---": "yaml", "+++": "toml"}
FRONT_MATTER_END = {fence: re.compile("^(?:" + "|".join(map(re.escape, closers))
                                       + r")[ \t]*\r?$", re.MULTILINE)
                     for fence, closers in FRONT_MATTER_CLOSERS.items()}
_CODE_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})(.*)$")


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
