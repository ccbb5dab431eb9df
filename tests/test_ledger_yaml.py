"""yamlio's fast paths (values from libyaml's event stream, events to its emitter): exactly what
the safe loader and dumper give, and anything unusual left to the guarded path."""

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker import yamldump, yamlio
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
    [{1: "one"}, {True: "true"}, {1.0: "float"}, {"1": "text"}],  # one dict key, four YAML keys
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


# -- what dump() writes reads back as the safe loader reads it -----------------------------------

@pytest.mark.parametrize("data", WRITTEN + [
    [{"id": "e1", "old": {"models": {"m": {"context": 8192, "deprecated": False}},
                          "requirements": ["registration", "phone"], "limits": {}},
      "new": [[1, 2], {"a": []}, [{"b": "c", "d": ["e"]}]], "note": "it's: 'quoted'"}],
])
def test_the_written_form_reads_back_as_the_safe_loader_reads_it(data: object) -> None:
    text = dump_yaml(data).decode("utf-8")
    got = yamlio.load(text)
    expected = yaml.load(text, Loader=yaml.SafeLoader)
    assert got == expected
    assert repr(got) == repr(expected)


def test_a_key_written_twice_in_a_ledger_month_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "2025-11.yaml"
    path.write_text("- id: a\n  kind: x\n  id: b\n", encoding="utf-8")
    with pytest.raises(TrackerError) as caught:
        _load_yaml(path)
    assert "duplicate key" in caught.value.message and caught.value.line == 3


_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                     st.text(max_size=12), st.sampled_from(["yes", "~", "1e3", "- x", "a: b",
                                                            "'", "''", "x'", "#", "2025-01-01"]))
_documents = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6) | st.sampled_from(
        ["1", "null", "it's", "a b"]), inner, max_size=4)), max_leaves=20)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_documents)
def test_any_written_document_reads_back_as_the_safe_loader_reads_it(data: object) -> None:
    text = dump_yaml(data).decode("utf-8")
    expected = yaml.load(text, Loader=yaml.SafeLoader)
    got = yamlio.load(text)
    assert got == expected
    assert repr(got) == repr(expected)


@pytest.mark.parametrize("data", [["symlink to \udcff.toml"], {"reason": "x \ud800 y"}])
def test_a_lone_surrogate_is_refused_naming_the_text_never_a_traceback(data: object) -> None:
    with pytest.raises(TrackerError) as refused:
        dump_yaml(data)
    message = str(refused.value)
    assert "lone surrogate" in message and ("\\udcff.toml" in message or "\\ud800" in message)
    message.encode("utf-8")  # the refusal itself can be printed


# -- the hand-written layout: libyaml's bytes, whatever the text --------------------------------

def _libyaml(data: object) -> bytes:
    text: str = yaml.dump(data, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False,
                          default_flow_style=False, width=4096)
    return text.encode("utf-8")


# texts of every sort the emitter treats apart: plain by construction, resolved as another type,
# indicators, quotes, escapes (controls, emoji beyond the BMP, a BOM, NEL and the line
# separators), line breaks, spaces at either end, CJK and full-width punctuation, long ones
_texts = st.one_of(
    st.text(max_size=16),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=24),
    st.text(st.sampled_from(list("aZ09_./+()- :#'\"\\\n\t,[]{}&*!|>%@`?~<=") + [
        "\x85", "\u2028", "\u2029", "\ufeff", "\u00a0", "\u3000", "，", "（", "）", "模", "型",
        "😀", "\x07", "→", "é"]), max_size=12),
    st.sampled_from(["yes", "No", "on", "OFF", "~", "null", "1e3", "1.5", "0x1F", "0o7", "1_000",
                     "12:30", "2025-01-01", "2025-11-03T10:00:00+08:00", "---", "...", "- x",
                     "? y", ": z", "a: b", "a #b", "<<", "=", ".inf", "-.5", "+1", "0777",
                     "x" * 3000, "a " * 1100, "a b" * 1500, "k" * 129, "模" * 50, "gpt-4o (2024-08-06)"]))
_scalars_all = st.one_of(st.none(), st.booleans(), st.integers(),
                         st.floats(allow_nan=True, allow_infinity=True), _texts)
_keys = st.one_of(_texts, st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False))
_trees = st.recursive(_scalars_all, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(_keys, inner, max_size=4)), max_leaves=24)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_trees)
def test_any_document_is_written_as_libyamls_safe_dumper_writes_it(data: object) -> None:
    assert dump_yaml(data) == _libyaml(data)


_event_texts = st.one_of(st.text(max_size=20), st.sampled_from(
    ["2025-11-03T10:00:00+08:00", "每日请求数", "Pro 模型", ">200K", "UTC 00:30–16:30", "1.5",
     "claude-3.5-sonnet", "it's", "a: b"]))
_events = st.lists(st.fixed_dictionaries(
    {"id": st.text("0123456789abcdef", min_size=16, max_size=16), "date": _event_texts,
     "service": _event_texts, "service_name": st.none() | _event_texts,
     "kind": st.sampled_from(["quota_cut", "model_added", "service_added"]),
     "old": _trees, "new": _trees, "change_pct": st.none() | st.floats(allow_nan=False),
     "severity": st.sampled_from(["breaking", "notable", "info"])},
    optional={"tier": _event_texts, "band": _event_texts, "note": _event_texts}), max_size=5)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_events)
def test_any_ledger_month_is_written_as_libyamls_safe_dumper_writes_it(data: object) -> None:
    assert dump_yaml(data) == _libyaml(data)


def test_the_ledgers_kept_here_are_laid_out_by_hand_with_their_own_bytes() -> None:
    """Every month of this repository's ledger and of the test ledgers: the hand-written layout
    takes them (no fallback to the emitter) and gives back the bytes they were written with."""
    root = Path(__file__).resolve().parent.parent
    months = sorted((root / "history" / "events").glob("*.yaml")) \
        + sorted((root / "tests" / "ledgers").rglob("events/*.yaml"))
    assert len(months) > 10
    for path in months:
        written = path.read_bytes()
        data = yaml.load(written, Loader=yaml.CSafeLoader)
        assert yamldump._written(data).encode("utf-8") == written == _libyaml(data), path
