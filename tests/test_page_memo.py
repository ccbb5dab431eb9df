"""The page parser's memos change no answer: each `#`/`##` section scanned once and shared
between versions (markdown.SECTIONS), the cells and rows read once (lru caches), what a reader
works out per table kept with it (Table.memo).

Every version of the example catalogue's pages and thousands of randomly edited pages are
parsed three ways: one after the other with the memos warm (as the walk does), each with every
memo cleared first, and, for the scan, by one scanner over the whole page (the straightforward
way the section memo replaces). All must agree: facts, problems and line numbers.
"""

from __future__ import annotations

import random
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.errors import ParseError
from tracker.sources.fences import prose
from tracker.sources.markdown import Document, Scanner
from tracker.sources.page import _holds_facts, clear_memos, parse_page
from tracker.sources.page_text import _INVISIBLE, decode_page, split_front_matter
from tracker.sources.sections import LAST, SECTIONS, _scan_section, scan_page

PAGES = Path(__file__).parent / "pages"
ZH = "services/api/acme/_index.md"


def outcome(raw: bytes, path: str) -> Any:
    """All a parse states: the facts, the problems with their lines, or the page-wide error."""
    try:
        service = parse_page(raw, path)
    except ParseError as error:
        return ("error", error.message, error.line, error.hint)
    return service.to_dict(), [(p.section, p.line, p.reason, p.hint) for p in service.problems]


def whole_page_scan(raw: bytes, path: str,
                    wanted: Callable[[str], bool] = _holds_facts) -> Document:
    """scan_page as one scanner over every code-free span of the page, no sections, no memo."""
    text = decode_page(raw, path)
    front_matter, body, front_matter_format = split_front_matter(text, path)
    read, spans = prose(text, body)
    scanner = Scanner(wanted)
    line_no, counted, code = 1, 0, []
    for start, end in spans:
        if start > counted > 0:
            code.append(read[counted:start])
        line_no += read.count("\n", counted, start)
        scanner.span(read[start:end].split("\n"), line_no)
        counted = end
        line_no += read.count("\n", start, end)
    if 0 < counted < len(read):
        code.append(read[counted:])
    return Document(front_matter, scanner.fields, scanner.tables, front_matter_format,
                    scanner.heading, scanner.checklist, scanner.items, scanner.bullets, code)


def scanned(doc: Document) -> Any:
    return (doc.front_matter, doc.front_matter_format, doc.heading, doc.fields, doc.tables,
            [table.rows for table in doc.tables], doc.checklist, doc.items, doc.bullets,
            doc.code)


def check_versions(versions: list[tuple[str, bytes]]) -> int:
    """Parse the versions in order, memos warm, and each again from nothing; compare."""
    clear_memos()
    warm = [outcome(raw, path) for path, raw in versions]
    warm_scans = []
    for path, raw in versions:
        try:
            warm_scans.append(scanned(scan_page(raw, path, _holds_facts)))
        except ParseError as error:
            warm_scans.append(error.message)
    for (path, raw), expected, expected_scan in zip(versions, warm, warm_scans, strict=True):
        clear_memos()
        assert outcome(raw, path) == expected, path
        try:
            alone = scanned(whole_page_scan(raw, path))
        except ParseError as error:
            alone = error.message
        assert alone == expected_scan, path
    return len(versions)


def git_versions(site: Path) -> list[tuple[str, bytes]]:
    """Every version of every Markdown page the example's history adds or changes, in order."""
    log = subprocess.run(["git", "log", "--reverse", "--first-parent", "--format=%H"], cwd=site,
                         check=True, capture_output=True, text=True).stdout.split()
    versions = []
    for commit in log:
        changed = subprocess.run(["git", "diff-tree", "--root", "-r", "--no-commit-id",
                                  "--name-only", "--diff-filter=AM", commit], cwd=site,
                                 check=True, capture_output=True, text=True).stdout.split()
        for path in changed:
            if path.startswith("services/") and path.endswith(".md"):
                raw = subprocess.run(["git", "show", f"{commit}:{path}"], cwd=site, check=True,
                                     capture_output=True).stdout
                versions.append((path, raw))
    return versions


def test_every_version_of_the_example_reads_the_same_with_and_without_memos(
        example_catalogue: tuple[Path, list[Any]]) -> None:
    versions = git_versions(example_catalogue[0])
    assert len(versions) > 30
    assert check_versions(versions) == len(versions)


# what a page holds once the tracker has run on a site: its changelog block, a heading inside
BLOCK = ("\n## 📝 更新日志\n\n<!-- tracker:changelog:begin -->\n### 2025-03\n"
         "## 不是标题\n- 配额下调\n<!-- tracker:changelog:end -->\n")


def test_every_version_holding_the_trackers_block_reads_the_same_with_and_without_memos(
        example_catalogue: tuple[Path, list[Any]]) -> None:
    """A page with the tracker's block is read as text, its sections looked up in the page's
    last version's (sections.LAST): the same facts, problems and lines as from nothing, and
    as one scanner over the whole page. Blank lines come and go above the block, so the
    sections after it stand at other lines from one version to the next."""
    versions = [(path, raw.replace(b"\n## ", b"\n" * (n % 3) + BLOCK.encode() + b"\n## ", 1))
                for n, (path, raw) in enumerate(git_versions(example_catalogue[0]))]
    assert sum(BLOCK.encode() in raw for _path, raw in versions) > 30
    assert check_versions(versions) == len(versions)


# Lines a random edit puts into a page: headings of every level and spacing, fences opened and
# closed, the tracker's markers, table rows, fields, list items, placeholders, blank lines.
NOISE = [
    "", "## 🔢 配额和限制", "## 常见问题", "# 标题", "### 小节", "##没有空格", "  ## 缩进的标题",
    "## 模型 ##", "```", "```python", "~~~", "````", "<!-- tracker:changelog:begin -->",
    "<!-- tracker:changelog:end -->", "| 每日请求数 | 1,000 | 说明 |", "|---|---|---|",
    "| 模型名称 | 上下文长度 | 输入价格 |", "| acme-new | 32K | $0.5/M |", "**API 端点：** `https://api.example.com/v1`",
    "**服务类型：** 有限免费", "- **速率限制：** 10 RPM，50 RPD", "- 输入：¥1 / 百万 tokens",
    "**deepseek-chat：**", "- ✅ 已完成实名认证", "[数量]", "| 每日请求数 | [数量] | |",
    "- 128K 上下文窗口", 'model="acme-chat"', "**价格单位：** 元/百万 tokens", "\r",
]


def edited(rng: random.Random, lines: list[str]) -> list[str]:
    lines = list(lines)
    for _ in range(rng.randint(1, 4)):
        roll = rng.random()
        at = rng.randrange(len(lines) + 1)
        if roll < 0.35:
            lines.insert(at, rng.choice(NOISE))
        elif roll < 0.55 and lines:
            del lines[min(at, len(lines) - 1)]
        elif roll < 0.75 and lines:
            line = lines[min(at, len(lines) - 1)]  # a number changed, as most commits do
            digits = [i for i, ch in enumerate(line) if ch.isdigit()]
            if digits:
                i = rng.choice(digits)
                lines[min(at, len(lines) - 1)] = line[:i] + str(rng.randint(0, 9)) + line[i + 1:]
        elif lines:
            lines.insert(at, lines[rng.randrange(len(lines))])  # a line copied elsewhere
    return lines


@pytest.mark.parametrize("name", sorted(p.name for p in PAGES.glob("*.md")))
def test_randomly_edited_pages_read_the_same_with_and_without_memos(name: str) -> None:
    rng = random.Random(name)
    text = (PAGES / name).read_text(encoding="utf-8")
    path = "services/api/acme/_index.en.md" if ".en." in name else "services/api/acme/_index.md"
    lines = text.split("\n")
    versions = []
    for _ in range(60):
        lines = edited(rng, lines)
        versions.append((path, "\n".join(lines).encode()))
    check_versions(versions)


@pytest.mark.parametrize("front_matter", [True, False])
def test_a_page_with_a_block_takes_its_unchanged_sections_from_its_last_version(
        page_text: str, front_matter: bool) -> None:
    """With the shared memo emptied between two versions, only the section that changed is
    scanned again: the others come from the page's own last version (sections.LAST), by its
    bytes, or by their text for a page read as text (one without front matter)."""
    path = "services/api/acme/_index.md"
    if not front_matter:
        page_text = page_text[page_text.index("\n---\n", 4) + 5:]
    first = page_text.replace("\n## ", BLOCK + "\n## ", 1)
    second = first.replace("\n## ", "\n## 新的一节\n\n一行。\n\n## ", 1)
    clear_memos()
    scan_page(first.encode(), path, _holds_facts)
    scanned_again: list[str] = []
    real_scan = _scan_section

    def counted(text: str, *args: Any) -> Any:
        scanned_again.append(text)
        return real_scan(text, *args)

    SECTIONS.clear()
    with mock.patch("tracker.sources.sections._scan_section", counted):
        doc = scan_page(second.encode(), path, _holds_facts)
    assert scanned(doc) == scanned(whole_page_scan(second.encode(), path))
    assert [text.split("\n")[0] for text in scanned_again] == ["## 新的一节"]


def test_a_block_across_a_heading_is_read_as_the_whole_page_reads_it(page_text: str) -> None:
    """A block whose markers stand in two sections (a `##` heading between them, blanked with
    the block): no run of sections read alone can tell that they pair, so the page is read
    whole, version after version, as one scanner over it reads it."""
    path = "services/api/acme/_index.md"
    head, sep, rest = page_text.partition("\n## ")
    spanning = (head + "\n<!-- tracker:changelog:begin -->\n- 旧的一行\n" + sep + rest)
    spanning = spanning.replace("\n## ", "\n<!-- tracker:changelog:end -->\n## ", 2)
    spanning = spanning.replace("<!-- tracker:changelog:end -->\n## ", "## ", 1)
    assert spanning.count("<!-- tracker:changelog:") == 2
    versions = [(path, spanning.encode()),
                (path, spanning.replace("- 旧的一行", "- 新的一行").encode()),
                (path, spanning.replace("**服务类型：**", "**服务类型：** ").encode()),
                (path, (spanning + "\n## 最后一节\n\n一行。\n").encode())]
    assert check_versions(versions) == 4
    # a lone end marker two sections on, then its begin written: the two now pair, across
    # the heading between them, which the block blanks
    lone = page_text.replace("\n## ", "\n## ", 1).replace(
        "\n## ", "\n<!-- tracker:changelog:end -->\n## ", 3).replace(
        "<!-- tracker:changelog:end -->\n## ", "## ", 2)
    assert lone.count("<!-- tracker:changelog:end -->") == 1
    paired = lone.replace("**服务类型：**", "<!-- tracker:changelog:begin -->\n**服务类型：**", 1)
    assert check_versions([(path, lone.encode()), (path, paired.encode()),
                           (path, lone.encode())]) == 3


def test_a_section_moved_down_is_read_at_its_new_lines(page_text: str) -> None:
    """The same section text at other lines: a copy with the lines shifted, the first
    version's objects untouched."""
    path = "services/api/acme/_index.md"
    clear_memos()
    first = scan_page(page_text.encode(), path, _holds_facts)
    kept = [(item.line, item.label, item.value) for item in first.fields]
    moved = scan_page(("\n\n\n" + page_text).encode(), path, _holds_facts)
    assert [item.line for item in moved.fields] == [line + 3 for line, _, _ in kept]
    assert [table.line for table in moved.tables] == [t.line + 3 for t in first.tables]
    assert [(item.line, item.label, item.value) for item in first.fields] == kept
    again = scan_page(page_text.encode(), path, _holds_facts)
    assert again.fields == first.fields and again.tables == first.tables


def test_the_memos_are_bounded() -> None:
    clear_memos()
    for n in range(SECTIONS.size + 50):
        scan_page(f"## 配额 {n}\n\n| 限制项 | 配额 |\n|---|---|\n| 每日请求数 | {n} |\n".encode(),
                  "services/api/acme/_index.md", _holds_facts)
    assert len(SECTIONS.sections) == SECTIONS.size
    for n in range(LAST.size + 5):
        scan_page(f"---\ntitle: {n}\n---\n## 配额\n".encode(), f"services/api/s{n}/_index.md",
                  _holds_facts)
    assert len(LAST.versions) == LAST.size
    clear_memos()


def test_a_section_read_in_full_by_one_reader_and_skipped_by_another(page_text: str) -> None:
    """The same section text, wanted or not: each reader gets what it asked for."""
    path = "services/api/acme/_index.md"
    clear_memos()
    for wanted in (_holds_facts, lambda heading: True, _holds_facts, lambda heading: False):
        doc = scan_page(page_text.encode(), path, wanted)
        assert scanned(doc) == scanned(whole_page_scan(page_text.encode(), path, wanted))


# Characters on both sides of every range the check looks for, and their UTF-8 neighbours (NUL
# has its own error, found before).
_ALPHABET = "a\t\n\r #|\x01\x08\x09\x0b\x0c\x0d\x0e\x1f\x20\x7e\x7f\x80\u2029\u202a\u202e\u202f" \
    "\u2065\u2066\u2069\u206a\u2014\u00e2配额"


@given(st.text(alphabet=_ALPHABET, max_size=40))
@settings(max_examples=400, deadline=None)
def test_the_bytes_check_for_invisible_characters_finds_what_the_text_scan_finds(
        text: str) -> None:
    """decode_page looks for control and bidi characters in the bytes first: it refuses a page
    exactly when the text holds one, and names the first one at its line."""
    expected = _INVISIBLE.search(text)
    try:
        decode_page(text.encode("utf-8"), "p.md")
    except ParseError as error:
        assert expected is not None
        assert f"U+{ord(expected.group()):04X}" in error.message
        assert error.line == text.count("\n", 0, expected.start()) + 1
    else:
        assert expected is None


_FRONT = "---\ntitle: Acme\n---\n"
_A = "## 服务概览\n\n**API 端点：** `https://a.example/v1`\n\n"
_B = "## 配额和限制\n\n| 限制项 | 配额 |\n|---|---|\n| 每日请求数 | 100 |\n\n**服务提供者：** x\n"


@pytest.mark.parametrize(("first", "then"), [
    # the heading after a section unchanged is gone: that section runs on over what followed
    (_FRONT + _A + _B, _FRONT + _A + _B.replace("## 配额和限制\n", "")),
    (_FRONT + _A + _B, _FRONT + _A + _B.replace("## 配额和限制", "##")),
    # a section's bytes found again, but not at a line's start: no heading there
    (_FRONT + _A + _B, _FRONT + _A + "x" + _B),
    # the last section ends in an unclosed fence: a heading added after it is code
    (_FRONT + _A + "```\ncode\n", _FRONT + _A + "```\ncode\n" + _B),
    (_FRONT + _A + "```\n", _FRONT + _A + "```\n" + _B + "```\n" + _B),
    # a fence opened above a section left as it was: that section is now code
    (_FRONT + _A + _B, _FRONT + "```\n" + _A + _B),
    (_FRONT + _A + _B + _A, _FRONT + _A + "```\n" + _B + "```\n" + _A),
    # sections moved about, duplicated, removed
    (_FRONT + _A + _B, _FRONT + _B + _A),
    (_FRONT + _A + _B, _FRONT + _B + _A + _B),
    (_FRONT + _A + _B + _A, _FRONT + _A),
    (_FRONT + "# 标题\n" + _A + _B, _FRONT + _A + "# 标题\n" + _B),
    (_FRONT + _A + _B, "---\ntitle: Other\n---\n" + _A + _B),
    # no body at all, then one
    (_FRONT, _FRONT + _A),
    (_FRONT + "\n", _FRONT + "\n" + _B),
])
def test_a_new_version_reads_as_if_read_alone(first: str, then: str) -> None:
    """What the last version of a page shares with the new one is reused only where the new
    one's sections begin and end the same: against each of these edits, the new version warm
    (after the first) reads as it does alone and as one scanner over the whole page reads it."""
    check_versions([(ZH, first.encode()), (ZH, then.encode()), (ZH, first.encode())])
