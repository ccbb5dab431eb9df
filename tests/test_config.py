"""config: tracker.yaml → Config. Every key is checked: a value of the wrong type for each key the
reference lists, then each rule a type cannot say (languages, globs, addresses, record sources,
the hugo: values). Each error names tracker.yaml and the key, and says what to write."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

import pytest

from tracker.config import (
    CONFIG_FILE,
    Config,
    DriftSource,
    RecordSource,
    load_config,
    reference,
    reference_table,
)
from tracker.errors import TrackerError

RECORD = {"files": ["models/*.toml"], "id_pattern": "^models/(?P<service>[^/]+)/(?P<id>.+)$"}
DRIFT = {**RECORD, "path": "../catalogue"}


def load(tmp_path: Path, data: dict[str, Any]) -> Config:
    # JSON is YAML: the test states data, not YAML syntax
    (tmp_path / CONFIG_FILE).write_text(json.dumps(data), encoding="utf-8")
    return load_config(tmp_path)


def refused(tmp_path: Path, data: dict[str, Any]) -> TrackerError:
    with pytest.raises(TrackerError) as caught:
        load(tmp_path, data)
    assert caught.value.path == CONFIG_FILE and caught.value.hint
    return caught.value


def test_no_file_gives_the_defaults(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert config.site_url == "https://example.org" and config.default_lang == "zh"
    assert config.feeds.max_items == 50 and config.charts.enabled is True
    assert config.root == tmp_path and config.records == []


def test_stated_values_are_read_and_cleaned(tmp_path: Path) -> None:
    config = load(tmp_path, {"site_url": "https://a.example/", "default_lang": "en",
                             "feeds": {"max_items": 5, "url": "/feeds"},
                             "records": [{"preset": "models-dev", "name": "md"}]})
    assert config.site_url == "https://a.example"  # no trailing slash: links add their own
    assert (config.default_lang, config.feeds.max_items, config.feeds.url) == ("en", 5, "/feeds")
    [source] = config.records
    assert source.name == "md" and source.layout == "file" and "context" in source.fields


def _owner(key: str) -> tuple[type, str, dict[str, Any], str]:
    """For a reference key: the dataclass holding it, its field name, the data around a value
    put there (``{}`` filled in by the caller), and the key as the error names it."""
    if key.startswith("records[]."):
        return RecordSource, key.split(".", 1)[1], {"records": [dict(RECORD)]}, "records[0]."
    if key.startswith("drift[]."):
        return DriftSource, key.split(".", 1)[1], {"drift": [dict(DRIFT)]}, "drift[0]."
    head, _, name = key.rpartition(".")
    if not head:
        return Config, name, {}, ""
    cls = get_type_hints(Config)[head]
    return cls, name, {head: {}}, head + "."


def _wrong_value(tp: Any) -> Any:
    """A value no key of type ``tp`` accepts."""
    args = [a for a in get_args(tp) if a is not type(None)]
    if get_origin(tp) is not None and type(None) in get_args(tp):
        return _wrong_value(args[0])
    if get_origin(tp) is list:
        return "not a list"
    if get_origin(tp) is dict:
        return ["not", "a", "mapping"]
    if tp is bool:
        return "yes"
    if tp is int:
        return "many"
    return ["not", "a", "string"]


def _key_cases() -> list[tuple[str, Any]]:
    cases = []
    for key, _doc, _default in reference():
        cls, name, _, _ = _owner(key)
        tp = get_type_hints(cls)[name]
        if tp is Any:  # hugo.languages: checked by its own rules below
            continue
        cases.append((key, tp))
    return cases


@pytest.mark.parametrize(("key", "tp"), _key_cases(), ids=[k for k, _ in _key_cases()])
def test_every_key_refuses_a_value_of_the_wrong_type(tmp_path: Path, key: str, tp: Any) -> None:
    cls, name, data, shown_prefix = _owner(key)
    container = data
    if key.startswith(("records[]", "drift[]")):
        container = data[key.split("[", 1)[0]][0]
    elif shown_prefix:
        container = data[shown_prefix.rstrip(".")]
    container[name] = _wrong_value(tp)
    error = refused(tmp_path, data)
    # the key first, as the file spells it (a preset's name is looked up: "names no preset")
    assert error.message.startswith(f"'{shown_prefix}{name}' "), error.message


def test_every_configurable_key_is_in_the_reference() -> None:
    """What the README's table (reference_table) documents is every key the loader accepts."""
    documented = {key for key, _, _ in reference()}
    for cls, prefix in ((Config, ""), (RecordSource, "records[]."), (DriftSource, "drift[].")):
        for f in fields(cls):
            nested = get_type_hints(cls)[f.name]
            if f.metadata.get("internal") or f.name in ("records", "drift") and cls is Config:
                continue
            if isinstance(nested, type) and hasattr(nested, "__dataclass_fields__"):
                assert {f"{f.name}.{g.name}" for g in fields(nested)} <= documented
            elif cls is DriftSource and f.name in {g.name for g in fields(RecordSource)}:
                assert f"records[].{f.name}" in documented
            else:
                assert prefix + f.name in documented
    assert reference_table().count("\n") == len(documented) + 2


VALUE_RULES: list[tuple[str, dict[str, Any], str]] = [
    ("unknown key", {"feeds": {"titel": "x"}}, "feeds.titel"),
    ("site_url scheme", {"site_url": "javascript:alert(1)"}, "'site_url' must start with"),
    ("default_lang", {"default_lang": "fr"}, "'default_lang' must be zh or en"),
    ("feeds.lang", {"feeds": {"lang": "de"}}, "'feeds.lang' must be zh or en"),
    ("updates_files absolute", {"updates_files": ["/etc/x.md"]}, "'updates_files[0]' must be a "
                                                                 "glob inside"),
    ("updates_files parent", {"updates_files": ["a.md", "../x.md"]}, "'updates_files[1]'"),
    ("updates_files blank", {"updates_files": [" "]}, "'updates_files[0]' must be a glob"),
    ("updates_files not md", {"updates_files": ["x.txt"]}, "must name Markdown files"),
    ("feeds.url", {"feeds": {"url": "feeds"}}, "'feeds.url' must be a site path"),
    ("unsubscribe http", {"digest": {"unsubscribe": "http://a.example/u"}},
     "'digest.unsubscribe' must be a mailto: or https:"),
    ("unsubscribe mailto", {"digest": {"unsubscribe": "mailto:nobody"}}, "'digest.unsubscribe'"),
    ("templates_dir", {"templates_dir": "nope"}, "'templates_dir' names 'nope'"),
    ("hugo.baseURL", {"hugo": {"baseURL": "ftp://a.example"}}, "'hugo.baseURL' must be an"),
    ("hugo.languages item", {"hugo": {"languages": ["zh", 1]}}, "'hugo.languages[1]'"),
    ("hugo.languages key", {"hugo": {"languages": {"z h": {}}}}, "'hugo.languages' has 'z h'"),
    ("hugo.languages settings", {"hugo": {"languages": {"zh": 3}}}, "'hugo.languages.zh' must"),
    ("hugo.languages contentDir", {"hugo": {"languages": {"zh": {"contentDir": "c"}}}},
     "'hugo.languages.zh.contentDir' is not supported"),
    ("hugo.languages type", {"hugo": {"languages": "zh"}}, "'hugo.languages' must be a list"),
    ("hugo.languages empty", {"hugo": {"languages": []}}, "'hugo.languages' is empty"),
    ("hugo.languages twice", {"hugo": {"languages": ["zh", "ZH"]}}, "names a language twice"),
    ("hugo.defaultContentLanguage", {"hugo": {"defaultContentLanguage": "z h"}},
     "'hugo.defaultContentLanguage' must be a language key"),
    ("hugo.defaultContentLanguage listed",
     {"hugo": {"defaultContentLanguage": "fr", "languages": ["zh", "en"]}},
     "'hugo.defaultContentLanguage' is 'fr', which 'hugo.languages' does not list"),
    ("hugo.contentDir", {"hugo": {"contentDir": "../content"}}, "'hugo.contentDir' must be"),
    ("records preset", {"records": [{"preset": "nope"}]}, "'records[0].preset' names no preset"),
    ("records layout", {"records": [{**RECORD, "layout": "tree"}]}, "'records[0].layout' must"),
    ("records price_scale", {"records": [{**RECORD, "price_scale": "per_k"}]},
     "'records[0].price_scale' must"),
    ("records files", {"records": [{**RECORD, "files": []}]}, "'records[0].files' is empty"),
    ("records id_pattern", {"records": [{**RECORD, "id_pattern": "("}]},
     "'records[0].id_pattern' is not a valid regex"),
    ("records key in files", {"records": [{**RECORD, "id_from": "key"}]},
     "'records[0].id_from' is 'key' but the layout is 'file'"),
    ("records map by path", {"records": [{**RECORD, "layout": "map"}]},
     "'records[0].id_from' is 'path' but one file holds many records"),
    ("records list by path", {"records": [{**RECORD, "layout": "list"}]},
     "'records[0].id_from' is 'path' but the records are in a list"),
    ("records list keys", {"records": [{**RECORD, "list_field": "models"}]},
     "need layout: list"),
    ("records no id group", {"records": [{**RECORD, "id_pattern": "^(?P<service>.+)$"}]},
     "has no (?P<id>…) group"),
    ("records no service", {"records": [{**RECORD, "id_pattern": "^(?P<id>.+)$"}]},
     "'records[0].service' cannot be found"),
    ("records name file", {"records": [{**RECORD, "service_name_file": "p.toml"}]},
     "has no {service} placeholder"),
    ("records fields", {"records": [{**RECORD, "fields": {"speed": "x"}}]},
     "'records[0].fields' maps unknown names: speed"),
    ("drift path", {"drift": [{**DRIFT, "path": " "}]}, "'drift[0].path' is empty"),
    ("drift record rules", {"drift": [{**DRIFT, "layout": "tree"}]}, "'drift[0].layout' must"),
]


@pytest.mark.parametrize(("data", "fragment"), [r[1:] for r in VALUE_RULES],
                         ids=[r[0] for r in VALUE_RULES])
def test_each_rule_names_the_key(tmp_path: Path, data: dict[str, Any], fragment: str) -> None:
    assert fragment in refused(tmp_path, data).message


def test_what_the_rules_accept_loads(tmp_path: Path) -> None:
    (tmp_path / "tpl").mkdir()
    config = load(tmp_path, {
        "updates_files": ["content/**/_index*.md"], "templates_dir": "tpl",
        "feeds": {"url": "https://cdn.example/feeds"},
        "digest": {"unsubscribe": "mailto:unsubscribe@a.example"},
        "hugo": {"baseURL": "https://a.example/", "languages": {"zh-cn": {"weight": 1},
                                                                "en": None},
                 "defaultContentLanguage": "zh-CN", "contentDir": "."},
        "records": [{**RECORD, "layout": "list", "id_from": "id", "list_field": "models"}],
        "drift": [DRIFT]})
    assert config.hugo.stated() and config.records[0].layout == "list"
    assert config.drift[0].path == "../catalogue"


def test_bad_yaml_and_a_file_that_is_no_mapping(tmp_path: Path) -> None:
    (tmp_path / CONFIG_FILE).write_text("site_url: https://a.example\npages: [a\n")
    with pytest.raises(TrackerError, match="not valid YAML") as caught:
        load_config(tmp_path)
    assert caught.value.line == 2
    (tmp_path / CONFIG_FILE).write_bytes(b"site_url: \xff\n")
    with pytest.raises(TrackerError, match="not UTF-8"):
        load_config(tmp_path)
    (tmp_path / CONFIG_FILE).write_text("- a\n- b\n")
    with pytest.raises(TrackerError, match="must be a mapping"):
        load_config(tmp_path)
