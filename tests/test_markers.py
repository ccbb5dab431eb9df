"""render/markers: the one marker rewrite. Finding the block (and refusing to guess), keeping every
byte outside it, opting out, escaping, and writing a page (or only showing the diff)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker.errors import TrackerError
from tracker.render.markers import (
    Page,
    apply,
    find_markers,
    md_escape,
    rewrite_marked,
)

BEGIN, END = "<!-- tracker:changelog:begin -->", "<!-- tracker:changelog:end -->"


def page(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def test_the_block_is_found_in_prose_only() -> None:
    text = page("---", f"note: '{BEGIN}'", "---", "", "~~~", BEGIN, "~~~", "", BEGIN, "x", END)
    assert find_markers(Page(text), "changelog") == (8, 10)
    assert find_markers(Page(page("no markers")), "changelog") is None
    # another block's markers are not this one's
    assert find_markers(Page(page("<!-- tracker:updates:begin -->",
                                  "<!-- tracker:updates:end -->")), "changelog") is None


@pytest.mark.parametrize(("lines", "line", "fragment"), [
    ((BEGIN, "x"), 1, "has no matching"),
    (("x", END), 2, "has no matching"),
    ((END, BEGIN), 1, "comes before"),
    ((BEGIN, END, BEGIN, END), 3, "appears 2 times"),
    ((BEGIN, "x", END, END), 4, "appears 2 times"),
    ((BEGIN + " trailing words", END), 1, "a tracker marker and other text"),
])
def test_an_unclear_block_is_refused_naming_its_line(lines: tuple[str, ...], line: int,
                                                     fragment: str) -> None:
    with pytest.raises(TrackerError, match=fragment) as caught:
        find_markers(Page(page(*lines)), "changelog")
    assert caught.value.line == line and caught.value.hint


def test_only_the_block_changes_and_a_second_run_changes_nothing() -> None:
    text = page("intro", "", BEGIN, "old", END, "", "tail")
    new = rewrite_marked(text, "changelog", "new 1\nnew 2")
    assert new == page("intro", "", BEGIN, "new 1", "new 2", END, "", "tail")
    assert rewrite_marked(new, "changelog", "new 1\nnew 2") == new


def test_line_endings_bom_and_a_missing_last_newline_survive() -> None:
    text = "\ufeffintro\r\n" + BEGIN + "\r\nold\r\n" + END + "\r\ntail"
    new = rewrite_marked(text, "changelog", "a\nb\n")
    assert new == "\ufeffintro\r\n" + BEGIN + "\r\na\r\nb\r\n" + END + "\r\ntail"
    # a page that is nothing but the block, the BOM before the first marker
    bare = "\ufeff" + BEGIN + "\n" + END
    assert rewrite_marked(bare, "changelog", "x") == "\ufeff" + BEGIN + "\nx\n" + END


def test_without_markers_the_inserter_decides_and_without_one_nothing_changes() -> None:
    text = page("intro")
    assert rewrite_marked(text, "changelog", "x") == text
    added = rewrite_marked(text, "changelog", "x",
                           insert=lambda p, eol: p.text + eol + BEGIN + eol + "x" + eol + END + eol)
    assert added == page("intro", "", BEGIN, "x", END)


def test_a_page_that_opts_out_is_never_touched() -> None:
    for head in (("---", "tracker: false", "---"), ("+++", "tracker = false", "+++")):
        text = page(*head, BEGIN, "old", END)
        assert rewrite_marked(text, "changelog", "new") == text
    kept = page("---", "tracker: true", "---", BEGIN, "old", END)
    assert "new" in rewrite_marked(kept, "changelog", "new")


def test_md_escape_makes_any_value_inert() -> None:
    hostile = "<script>[a](b){{< x >}}\\(1\\)*_`~\nnext\u202eline\x1b"
    escaped = md_escape(hostile)
    for char in "<>[]{}\n\u202e\x1b":
        assert char not in escaped
    assert "\\(" not in escaped and "\\*\\_\\`\\~" in escaped
    assert escaped.startswith("&lt;script&gt;&#91;a&#93;(b)&#123;&#123;&lt; x &gt;&#125;")


def test_apply_writes_shows_or_skips(tmp_path: Path) -> None:
    relative = Path("services/api/acme/_index.md")
    (tmp_path / relative).parent.mkdir(parents=True)
    (tmp_path / relative).write_text(page(BEGIN, "old", END), encoding="utf-8")

    def rewrite(text: str) -> str:
        return rewrite_marked(text, "changelog", "new")

    shown = apply(tmp_path, relative, rewrite, dry_run=True)
    assert shown is not None and "-old\n+new\n" in shown.diff()
    assert "old" in (tmp_path / relative).read_text()  # a dry run writes nothing
    assert apply(tmp_path, relative, rewrite, dry_run=False) is not None
    assert (tmp_path / relative).read_text() == page(BEGIN, "new", END)
    assert apply(tmp_path, relative, rewrite, dry_run=False) is None  # nothing left to change

    (tmp_path / relative).write_text(page(BEGIN, "old"), encoding="utf-8")
    with pytest.raises(TrackerError) as caught:
        apply(tmp_path, relative, rewrite, dry_run=False)
    assert (caught.value.path, caught.value.line) == (relative.as_posix(), 1)
    skipped: list[TrackerError] = []
    assert apply(tmp_path, relative, rewrite, dry_run=False, skipped=skipped) is None
    assert [e.path for e in skipped] == [relative.as_posix()]
    (tmp_path / relative).write_bytes(b"\xff" + page(BEGIN, END).encode())
    with pytest.raises(TrackerError, match="not UTF-8"):
        apply(tmp_path, relative, rewrite, dry_run=False)


def _lines_scanned(text: str) -> list[tuple[int, int, int]]:
    """A page's lines found character by character: what Page's split must agree with."""
    lines, start = [], 0
    while start < len(text):
        newline = text.find("\n", start)
        stop = len(text) if newline < 0 else newline + 1
        lines.append((start, len(text) if newline < 0 else newline, stop))
        start = stop
    return lines


def test_the_page_split_and_its_code_are_the_line_by_line_scan() -> None:
    """Page finds lines, fenced code and marker lines with str.find; a random page of fences
    (every length, indent, info string, unclosed), front matter, BOM, CRLF, a lone CR and
    markers gives what reading every line gives."""
    import random

    pieces = ["```", "````", "~~~", "~~~~", "   ```py", "    ```", "\t~~~", "``` a`b", "```\r",
              "~~~ x ~~~", "---", "+++", "title: x", "", " ", "text", "\r", "a\rb", BEGIN, END,
              f"  {END}  ", f"x {BEGIN}", "<!-- tracker:updates:begin -->", "## 更新日志"]
    rng = random.Random(18)
    for _ in range(3000):
        lines = [rng.choice(pieces) for _ in range(rng.randint(0, 14))]
        text = rng.choice(["", "\ufeff"]) + rng.choice(["\n", "\r\n"]).join(lines) \
            + rng.choice(["", "\n", "\r\n"])
        found = Page(text)
        assert [tuple(line) for line in found.lines] == _lines_scanned(text), repr(text)
        scanned = Page(text)
        assert found.code == scanned._code_lines_scanned(), repr(text)
        assert found.unclosed_fence == scanned.unclosed_fence, repr(text)
        for needle in ("<!-- tracker:", "```"):
            assert found.lines_with(needle) == [i for i in found.prose()
                                                if needle in found.content(i)], repr(text)


@pytest.mark.parametrize("front", [
    ["---", "tracker: false", "---"], ["+++", "tracker = false", "+++"],
    ["---", '"\\x74racker": false', "---"], ["+++", '"\\u0074racker" = false', "+++"],
    ["---", "x: {tracker: false}", "---"]])
def test_a_page_opts_out_however_its_front_matter_spells_the_key(front: list[str]) -> None:
    from tracker.render.markers import opted_out

    text = page(*front, "", BEGIN, "old", END)
    opts_out = front[1] != "x: {tracker: false}"
    assert opted_out(Page(text)) is opts_out
    assert (rewrite_marked(text, "changelog", "new\n") == text) is opts_out
