"""paths: the one glob dialect every configured pattern is read in, and what a page path says
(service page or not, its service id, its language)."""

from __future__ import annotations

import tempfile
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.errors import ParseError
from tracker.paths import (
    any_matching,
    glob_matcher,
    is_service_page,
    matching_files,
    page_identity,
    page_lang,
    service_pages,
    written_lang,
)


@pytest.mark.parametrize(("pattern", "matches", "misses"), [
    ("services/api/*/_index*.md", ["services/api/a/_index.md", "services/api/a/_index.en.md"],
     ["services/api/a/b/_index.md", "services/api/_index.md", "xservices/api/a/_index.md"]),
    ("**/_index.md", ["_index.md", "a/_index.md", "a/b/c/_index.md"], ["a/_index.en.md"]),
    ("data/**", ["data/a.yaml", "data/x/y.toml"], ["dataset/a.yaml"]),
    ("data/services/*.{yaml,yml}", ["data/services/a.yaml", "data/services/a.yml"],
     ["data/services/a.json", "data/services/x/a.yaml"]),
    ("m?.toml", ["m1.toml"], ["m12.toml", "m/.toml"]),
    ("a+b (1)[x].md", ["a+b (1)[x].md"], ["aab (1)x.md"]),  # no regex or class syntax leaks
    ("{unclosed.md", ["{unclosed.md"], ["unclosed.md"]),
])
def test_the_glob_dialect(pattern: str, matches: list[str], misses: list[str]) -> None:
    matcher = glob_matcher((pattern,))
    assert [p for p in matches if matcher.match(p)] == matches
    assert [p for p in misses if matcher.match(p)] == []


def test_several_patterns_and_none() -> None:
    matcher = glob_matcher(("a/*.md", "b/*.md"))
    assert matcher.match("a/x.md") and matcher.match("b/x.md") and not matcher.match("c/x.md")
    assert glob_matcher(()).match("") is None


def test_matching_files_walks_only_where_the_patterns_reach(tmp_path: Path) -> None:
    for name in ("services/api/a/_index.md", "services/api/a/_index.en.md",
                 "services/api/a/notes.txt", "services/api/.git/x/_index.md",
                 "other/services/api/b/_index.md", "c/_index.md"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    found = matching_files(tmp_path, ["services/api/*/_index*.md", "services/api/*/_index.md"])
    assert [p.as_posix() for p in found] == ["services/api/a/_index.en.md",
                                             "services/api/a/_index.md"]  # sorted, each once
    anywhere = matching_files(tmp_path, ["**/_index.md"])
    assert [p.as_posix() for p in anywhere] == ["c/_index.md", "other/services/api/b/_index.md",
                                                "services/api/a/_index.md"]  # never .git
    assert matching_files(tmp_path, ["missing/*.md"]) == []


def test_a_page_says_its_language_by_its_name() -> None:
    assert page_lang("services/api/acme/_index.en.md", "zh") == "en"
    assert page_lang(PurePosixPath("services/api/acme/_index.md"), "zh") == "zh"
    assert page_lang(Path("services/api/_index.ZH-cn.md"), "en") == "zh-cn"
    assert page_lang("services\\api\\acme\\_index.en.md", "zh") == "en"
    assert page_lang("acme.en.md", "zh") == "en" and page_lang("v1.2.md", "zh") == "zh"


def test_a_service_page_is_a_bundle_index() -> None:
    for path in ("services/api/acme/_index.md", "a/_index.en.md", "a/index.md", "a/INDEX.md"):
        assert is_service_page(path), path
    for path in ("services/api/acme.md", "a/_index.txt", "a/index-old.md"):
        assert not is_service_page(path), path


def test_a_page_path_gives_the_service_and_language() -> None:
    assert page_identity("content/services/api/acme/_index.en.md") == ("acme", "en")
    assert page_identity("services/api/acme/index.md", "en") == ("acme", "en")
    assert page_identity("services/api/acme.zh.md", "en") == ("acme", "zh")
    with pytest.raises(ParseError, match="cannot tell the service id") as caught:
        page_identity("_index.md")
    assert caught.value.hint


def test_the_language_written_into_a_page() -> None:
    assert written_lang(Path("services/api/acme/_index.en.md"), "zh") == "en"
    assert written_lang("services/api/acme/_index.md", "zh") == "zh"
    # a language the tracker has no words for: the site's default, though the name states it
    assert page_lang("services/api/acme/_index.fr.md", "zh") == "fr"
    assert written_lang("services/api/acme/_index.fr.md", "zh") == "zh"


def test_service_pages_are_the_bundle_indexes_the_globs_find(tmp_path: Path) -> None:
    for name in ("services/api/acme/_index.md", "services/api/acme/_index.en.md",
                 "services/api/beta/_index.fr.md", "services/api/notes.md",
                 "services/other/x/_index.md"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    found = service_pages(tmp_path, ["services/api/*/_index*.md", "services/api/*.md"], "zh")
    assert [(p.as_posix(), s, lang) for p, s, lang in found] == [
        ("services/api/acme/_index.en.md", "acme", "en"),
        ("services/api/acme/_index.md", "acme", "zh"),
        ("services/api/beta/_index.fr.md", "beta", "zh"),
    ]


_SEGMENT = st.sampled_from(("services", "api", "a", "b", ".git", "content"))
_FILE = st.sampled_from(("_index.md", "_index.en.md", "index.md", "notes.txt", "x.md"))
_PATTERN = st.sampled_from((
    "services/api/*/_index*.md", "services/api/_index*.md", "content/services/api/*/_index*.md",
    "**/_index.md", "services/**/x.md", "*/*.md", "services/api/*/{_index,index}*.md",
    "{services/api,content}/*.md", "{a,services/api}/*/x.md", "a/?/x.md", "*.md", "services/api/[ab]/*.md"))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.lists(_SEGMENT, max_size=4), _FILE), max_size=12),
       st.lists(_PATTERN, min_size=1, max_size=3))
def test_the_walk_finds_what_matching_every_file_finds(files: list[tuple[list[str], str]],
                                                       patterns: list[str]) -> None:
    """matching_files walks only where the globs reach (no deeper than their folders go) and
    any_matching stops at the first: both agree with matching every file of the tree."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for segments, name in files:
            target = root.joinpath(*segments, name)
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text("x")
            except OSError:  # a folder where a file is, or the other way round: left out
                pass
        matcher = glob_matcher(tuple(patterns))
        every = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
        expected = [p for p in every if ".git" not in p.split("/") and matcher.match(p)]
        assert [p.as_posix() for p in matching_files(root, patterns)] == expected
        assert any_matching(root, patterns) == bool(expected)
