"""yamlio's fast paths (values from libyaml's event stream, events to its emitter): exactly what
the safe loader and dumper give, and anything unusual left to the guarded path."""

from pathlib import Path

import pytest
import yaml

from tracker.errors import TrackerError
from tracker.ledger import _load_yaml, dump_yaml
from tracker.yamlio import _Unusual as _PlainDocument
from tracker.yamlio import load_plain as _load_plain

DOCUMENTS = [
    "",
    "a:\n",
    "x: 2025-01-01\ny: 1_000\nz: .inf\nw: yes\nv: ~\nq: '1'\nf: 1.5e-07\nn: -3\n",
    "- []\n- {}\n- [{a: [1, {b: c}]}, x]\n- {1: one, 2.5: two, null: three}\n",
    "date: '2025-11-03T10:00:00+08:00'\nold: 14400\nnew: unlimited\nchange_pct: -93.1\n",
    "- id: abc\n  summary: 每日请求数 14,400 → 1,000（-93%）\n  old: {context: 8192}\n",
]
UNUSUAL = [
    "a: &x 1\nb: *x\n",  # anchors and aliases
    "base: &b {a: 1}\nderived:\n  <<: *b\n  c: 2\n",  # a merge key
    "- !!str 1\n- !!float 2\n",  # explicit tags
]


@pytest.mark.parametrize("text", DOCUMENTS)
def test_plain_documents_load_as_the_safe_loader_loads_them(text: str) -> None:
    expected = yaml.load(text, Loader=yaml.SafeLoader)
    got = _load_plain(text)
    assert got == expected
    assert repr(got) == repr(expected)  # same types too: 1 is not 1.0, a date not a string


def test_what_the_ledger_writes_reads_back_unchanged() -> None:
    data = [{"id": "e1", "old": 1.0, "new": None, "flags": [True, False], "note": "a: b # c",
             "text": "多行\n文本", "empty": "", "zero": 0, "tiny": 1e-07, "yes": "yes"}]
    assert _load_plain(dump_yaml(data).decode()) == data


@pytest.mark.parametrize("text", UNUSUAL)
def test_anything_unusual_goes_to_the_full_loader(text: str, tmp_path: Path) -> None:
    with pytest.raises(_PlainDocument):
        _load_plain(text)
    path = tmp_path / "2025-11.yaml"
    path.write_text(text, encoding="utf-8")
    assert _load_yaml(path) == yaml.load(text, Loader=yaml.SafeLoader)


@pytest.mark.parametrize("text", ["- id: a\n- id: [b\n", "? [1, 2]\n: a list as a key\n",
                                  "- id: a\n  kind: x\n  id: b\n"])
def test_broken_yaml_names_file_and_line(text: str, tmp_path: Path) -> None:
    path = tmp_path / "2025-11.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TrackerError) as caught:
        _load_yaml(path)
    assert caught.value.path == str(path)
    assert caught.value.line is not None


WRITTEN = [
    [{"id": "e1", "old": 1.0, "new": None, "change_pct": -93.06, "flags": [True, False]}],
    {"schema_version": 1, "last_commit": "0" * 40, "last_good": {"a/b.md": "f" * 40}},
    [1.0, 1e-07, 1e20, -0.0, float("inf"), float("-inf"), 12345678901234567890, 0, -5],
    ["", "yes", "no", "1", "1.5", "null", "~", " lead", "trail ", "a: b", "# c", "- d", "'q'",
     '"dq"', "多行\n文本\n", "tab\there", "x" * 5000, "2025-11-03", "0x1F", "1_000", "<<"],
    {"": None, "nested": {"empty": {}, "list": [], "deep": [[{"k": [1, {"v": "w"}]}]]}},
    [],
    {},
    None,
]


@pytest.mark.parametrize("data", WRITTEN)
def test_writing_gives_libyamls_safe_dumper_bytes(data: object) -> None:
    expected = yaml.dump(data, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False,
                         default_flow_style=False, width=4096).encode("utf-8")
    assert dump_yaml(data) == expected


def test_shared_containers_and_dates_go_through_the_full_dumper() -> None:
    import datetime

    shared = {"a": 1}
    for data in ({"x": shared, "y": shared}, {"when": datetime.date(2025, 11, 3)}):
        expected = yaml.dump(data, Dumper=yaml.CSafeDumper, allow_unicode=True,
                             sort_keys=False, default_flow_style=False, width=4096)
        assert dump_yaml(data) == expected.encode("utf-8")


@pytest.mark.parametrize("data", [["symlink to \udcff.toml"], {"reason": "x \ud800 y"}])
def test_a_lone_surrogate_is_refused_naming_the_text_never_a_traceback(data: object) -> None:
    with pytest.raises(TrackerError) as refused:
        dump_yaml(data)
    message = str(refused.value)
    assert "lone surrogate" in message and ("\\udcff.toml" in message or "\\ud800" in message)
    message.encode("utf-8")  # the refusal itself can be printed
