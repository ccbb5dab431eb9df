"""tracker.yamledit: keys added to a hand-edited tracker.yaml, every other byte kept."""

from __future__ import annotations

import yaml

from tracker.yamledit import add_missing


def test_keys_go_into_their_section_and_nothing_else_moves() -> None:
    text = "# mine\r\nhugo:\r\n  baseURL: https://a.example/  # the CDN\r\n\r\n# next\r\nfeeds:\r\n" \
           "  max_items: 10\r\n"
    merged = add_missing(text, {"hugo.baseURL": "https://b.example/", "hugo.languages":
                                ["zh-cn", "en"], "feeds.dir": "feeds", "site_url":
                                "https://a.example"})
    assert merged.added == ["hugo.languages", "feeds.dir", "site_url"]
    assert merged.kept == [("hugo.baseURL", "https://a.example/", "https://b.example/")]
    assert merged.text == ("# mine\r\nhugo:\r\n  baseURL: https://a.example/  # the CDN\r\n"
                           "  languages: [zh-cn, en]\r\n\r\n# next\r\nfeeds:\r\n"
                           "  max_items: 10\r\n  dir: feeds\r\nsite_url: https://a.example\n")


def test_a_section_in_flow_style_is_left_for_the_maintainer() -> None:
    text = "hugo: {baseURL: https://a.example/}\n"
    merged = add_missing(text, {"hugo.languages": ["zh-cn", "en"]})
    assert merged.text == text and merged.added == []
    assert merged.not_added == ["hugo.languages: [zh-cn, en]"]


def test_a_missing_section_is_appended_and_reads_back() -> None:
    text = "site_url: https://a.example"  # no newline at the end
    merged = add_missing(text, {"hugo.defaultContentLanguageInSubdir": True,
                                "hugo.contentDir": "."})
    assert merged.text.startswith(text + "\n")
    assert yaml.safe_load(merged.text) == {"site_url": "https://a.example", "hugo": {
        "defaultContentLanguageInSubdir": True, "contentDir": "."}}
    assert add_missing(merged.text, {"hugo.contentDir": "."}).added == []  # nothing twice
