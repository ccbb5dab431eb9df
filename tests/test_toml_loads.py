"""formats.toml_loads: tomli's compiled parser where it reads a text, tomllib for the rest;
whatever the text, the value or the error (type and message) is tomllib's."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest
import tomli
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.errors import ParseError
from tracker.sources import formats
from tracker.sources.formats import load_records, load_toml, toml_loads


def _outcome(loads: Any, text: str) -> object:
    try:
        return ("value", loads(text))
    except Exception as error:  # noqa: BLE001 - the error is the outcome compared
        return ("error", type(error).__name__, str(error))


def test_the_installed_tomli_is_the_one_used() -> None:
    """The extra installs a tomli the gate accepts: the tests below run the fast path."""
    assert formats._tomli_loads() is tomli.loads


_PIECES = [
    'name = "Acme"', "name = 'Acme'", 'name = "Acme', "name = Acme", "[cost]", "[cost.tiers]",
    "input = 0.15", "output = 1_000", "output = 0x1F", "output = 1e3", "output = inf",
    "output = -0.0", "context = 128_000", "release_date = 2024-05-13",
    "release_date = 2024-13-45", "updated = 2024-05-13T10:00:00Z", "updated = 10:30",
    "updated = 10:30:00", "modalities = [\"text\", \"image\"]", "modalities = [1, \"a\"]",
    "limit = { context = 8192, output = 4096 }", "limit = { context = 8192,\n output = 1 }",
    "limit = { context = 8192, }", "a.b.c = 1", "a.b = 2", "a = 3", "[[models]]",
    "id = \"x\"", "esc = \"\\e\"", "esc = \"\\x41\"", "esc = \"\\u00e9\"", "esc = \"\\ud800\"",
    'ml = """\nline\n"""', "ml = '''raw'''", "# a comment", "name = \"Acme\" # trailing",
    "flag = true", "flag = True", "= 1", "key with space = 1", "\"quoted key\" = 1",
    "deep = " + "[" * 60 + "]" * 60, "tab\t= 1", "nul = \"\x00\"", "[cost]\ninput = 1",
    "", "\r\n", "name = \"名字\"", "名前 = 1",
]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=10))
def test_toml_loads_gives_what_tomllib_gives(pieces: list[str]) -> None:
    text = "\n".join(pieces)
    assert _outcome(toml_loads, text) == _outcome(tomllib.loads, text)


@pytest.mark.parametrize("text", [
    "a = { b = 1,\n c = 2 }",  # TOML 1.1: newlines and a trailing comma in inline tables
    "a = { b = 1, }",
    'a = "\\e"',  # TOML 1.1: \e and \xHH escapes
    'a = "\\x41"',
    "a = 10:30",  # TOML 1.1: a time without seconds
    "a = " + "[" * 5000 + "]" * 5000,  # deeper than tomli allows: tomllib's RecursionError
])
def test_what_tomllib_refuses_is_refused_as_tomllib_refuses_it(text: str) -> None:
    expected = _outcome(tomllib.loads, text)
    assert expected[0] == "error"
    assert _outcome(toml_loads, text) == expected


def test_a_data_file_and_a_record_file_are_told_tomllib_s_error() -> None:
    text = 'name = "Acme"\nname = "Other"\n'
    with pytest.raises(tomllib.TOMLDecodeError) as told:
        tomllib.loads(text)
    with pytest.raises(ParseError) as data_error:
        load_toml(text, "data/acme.toml")
    assert str(told.value) in str(data_error.value) and data_error.value.line == 2
    with pytest.raises(ParseError) as record_error:
        load_records(text.encode(), "providers/acme/models/x.toml")
    assert str(told.value) in str(record_error.value) and record_error.value.line == 2


def test_a_tomli_that_reads_toml_1_1_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """tomli 2.4 reads TOML 1.1 (inline tables over lines…), which tomllib refuses: the gate
    keeps such a version out, and one too old to bound nesting."""
    for version, used in (("2.4.0", False), ("2.3.1", False), ("2.3.2", True), ("3.0", False)):
        monkeypatch.setattr(tomli, "__version__", version)
        formats._tomli_loads.cache_clear()
        assert (formats._tomli_loads() is not None) is used, version
    monkeypatch.undo()
    formats._tomli_loads.cache_clear()
