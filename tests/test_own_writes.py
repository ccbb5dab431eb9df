"""The tracker's own writes cost nothing: a commit that changes a page only between the
tracker's markers (the workflow's commit of its outputs) is not parsed again, because what lies
between the markers is never read as the page's facts (sources/fences.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import PAGES, GitRepo, counting_parses
from tracker import cache
from tracker.pipeline import update
from tracker.sources.fences import blank_generated, generated_blocks
from tracker.sources.markdown import page_digest
from tracker.sources.page import parse_page

ACME = "services/api/acme/_index.md"
BEGIN, END = "<!-- tracker:changelog:begin -->", "<!-- tracker:changelog:end -->"
FACTS = "## 🤖 模型\n\n| 模型名称 | 上下文长度 |\n|---|---|\n| **evil-1** | 8K |\n"


def with_block(page: str, body: str) -> str:
    """``page`` with a changelog block holding ``body`` at the top of its changelog section."""
    head, _, rest = page.partition("## 📝 更新日志\n")
    assert rest, "the fixture page has a changelog section"
    return f"{head}## 📝 更新日志\n\n{BEGIN}\n{body}{END}\n{rest}"


def walked_site(repo: GitRepo, page_text: str) -> None:
    """A page walked and rendered, the outputs committed: the next run walks that commit."""
    repo.write(ACME, page_text)
    repo.commit("add acme", "2025-01-01T10:00:00+08:00")
    repo.replace(ACME, "| **并发请求** | 5 |", "| **并发请求** | 4 |")
    repo.commit("cut concurrency", "2025-01-02T10:00:00+08:00")
    update(repo.root)
    assert BEGIN in repo.read(ACME)  # the tracker wrote its block into the page
    repo.commit("tracker outputs", "2025-01-03T11:00:00+08:00")


def test_the_commit_of_the_tracker_outputs_is_not_parsed(
        repo: GitRepo, page_text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    walked_site(repo, page_text)
    asked = counting_parses(monkeypatch)
    result = update(repo.root)
    assert asked == [] and result.new_events == [] and result.commits_walked == 1


def test_a_fresh_clone_walking_the_outputs_commit_parses_nothing(
        repo: GitRepo, page_text: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh clone (facts from history/facts.jsonl, no cache in .git) reads the version in
    force to compare it without its blocks: still no parse."""
    walked_site(repo, page_text)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo.root), str(clone)], check=True)
    assert not (clone / ".git" / cache.CACHE_DIR).exists()
    asked = counting_parses(monkeypatch)
    assert update(clone).new_events == [] and asked == []


def test_a_fact_changed_beside_the_block_is_parsed(
        repo: GitRepo, page_text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    walked_site(repo, page_text)
    update(repo.root)
    repo.replace(ACME, BEGIN + "\n", BEGIN + "\n- **2030年1月：** by hand\n")
    repo.replace(ACME, "| **并发请求** | 4 |", "| **并发请求** | 3 |")
    repo.commit("cut concurrency again", "2025-01-04T10:00:00+08:00")
    asked = counting_parses(monkeypatch)
    result = update(repo.root)
    assert asked == [ACME]
    assert [(e.kind, e.old, e.new) for e in result.new_events] == [("quota_cut", 4, 3)]


def test_only_a_commit_of_the_tracker_outputs_is_compared_first(
        repo: GitRepo, page_text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A commit that does not touch the ledger is no commit of the tracker's: its pages are
    parsed without first being compared (the walk of a long history pays no digest)."""
    walked_site(repo, page_text)
    update(repo.root)
    repo.commit("tracker state", "2025-01-03T12:00:00+08:00")
    repo.replace(ACME, END, "- by hand\n" + END)
    repo.commit("a hand edit inside the block", "2025-01-04T10:00:00+08:00")
    asked = counting_parses(monkeypatch)
    assert update(repo.root).new_events == [] and asked == [ACME]


def test_a_page_with_a_stale_section_is_parsed_again(
        repo: GitRepo, page_text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A section problem carries its line, which a longer block before it would move: such a
    page is read again whatever changed."""
    page = page_text.replace("| **并发请求** | 5 |", "| **并发请求** | 5 | x |")
    repo.write(ACME, with_block(page, "- a\n"))
    repo.commit("add acme, a quota row too wide", "2025-01-01T10:00:00+08:00")
    update(repo.root)
    repo.commit("tracker outputs", "2025-01-02T10:00:00+08:00")
    update(repo.root)
    repo.replace(ACME, END, "- b\n" + END)
    repo.commit("only the block", "2025-01-03T10:00:00+08:00")
    asked = counting_parses(monkeypatch)
    result = update(repo.root)
    assert asked == [ACME, ACME]  # the walk, then naming the stale section's line at head
    assert [p.path for p in result.stale] == [ACME]


def test_what_lies_between_the_markers_is_not_a_fact(page_text: str) -> None:
    bare = parse_page(page_text.encode(), ACME)
    page = with_block(page_text, FACTS)
    inside = parse_page(page.encode(), ACME)
    assert inside.to_dict() == bare.to_dict()
    # the same text outside the markers is read: the test can tell
    outside = parse_page(page.replace(BEGIN, "").replace(END, "").encode(), ACME)
    assert set(outside.models) == set(bare.models) | {"evil-1"}


_LINE = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40).filter(
    lambda s: not s.lstrip(" \t").startswith(("```", "~~~")) and "<!--" not in s)


@settings(max_examples=60, deadline=None)
@given(st.lists(_LINE, max_size=8), st.lists(_LINE, max_size=8))
def test_any_two_blocks_give_the_same_facts_and_digest(one: list[str], two: list[str]) -> None:
    page_text = (PAGES / "acme.md").read_text(encoding="utf-8")
    pages = [with_block(page_text, "".join(line + "\n" for line in lines))
             for lines in (one, two)]
    parsed = [parse_page(page.encode(), ACME) for page in pages]
    assert parsed[0].to_dict() == parsed[1].to_dict()
    assert page_digest(pages[0].encode(), ACME) == page_digest(pages[1].encode(), ACME)
    # the block's first writing (markers and a blank line added) is no change either
    assert page_digest(page_text.encode(), ACME) == page_digest(pages[0].encode(), ACME)
    assert parse_page(page_text.encode(), ACME).to_dict() == parsed[0].to_dict()


def test_blocks_the_marker_writer_would_not_own_are_the_page(page_text: str) -> None:
    """Markers in code or front matter, one without its partner, or a block holding a fence
    line: that text stays the page's (the parser reads it, the digest covers it)."""
    body = page_text.index("\n# ") + 1
    cases = {
        "in code": f"```\n{BEGIN}\n| a | b |\n{END}\n```\n",
        "unpaired": f"{BEGIN}\n| a | b |\n",
        "a fence inside": f"{BEGIN}\n```\n| a | b |\n```\n{END}\n",
        "crossed names": f"{BEGIN}\n| a | b |\n<!-- tracker:updates:end -->\n",
    }
    for name, block in cases.items():
        text = page_text[:body] + block + page_text[body:]
        assert generated_blocks(text, body) == [], name
        assert blank_generated(text, body) == text
        assert page_digest(text.encode(), ACME) != page_digest(page_text.encode(), ACME), name
    front = f"---\ntitle: x\nnote: |\n  {BEGIN}\n  y\n  {END}\n---\n"
    assert generated_blocks(front + "text\n", len(front)) == []
    block = f"  {BEGIN}  \n| a | b |\r\nmore\n{END}"
    owned = page_text[:body] + block + "\n" + page_text[body:]
    (start, stop), = generated_blocks(owned, body)
    assert owned[start:stop] == block
    blanked = blank_generated(owned, body)
    assert len(blanked) == len(owned)  # every other line keeps its place and number
    assert blanked == page_text[:body] + "\n".join(" " * len(line) for line in block.split("\n")) \
        + "\n" + page_text[body:]
    assert not blanked[body:body + len(block)].strip()


def test_blank_lines_count_once_outside_front_matter(page_text: str) -> None:
    """A run of blank lines is one to the scanner, so to the digest; in front matter (a YAML
    block scalar keeps them) and between two lines that had none, they count."""
    digest = page_digest(page_text.encode(), ACME)
    spaced = page_text.replace("\n\n## ", "\n \n\t\n\n## ")
    assert spaced != page_text and page_digest(spaced.encode(), ACME) == digest
    assert parse_page(spaced.encode(), ACME).to_dict() == \
        parse_page(page_text.encode(), ACME).to_dict()
    split = page_text.replace("| **并发请求** | 5 |", "\n| **并发请求** | 5 |")
    assert page_digest(split.encode(), ACME) != digest
    front = page_text.replace("\ntitle:", "\n\ntitle:", 1)
    assert page_digest(front.encode(), ACME) != digest
