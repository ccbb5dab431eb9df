"""sources.data: YAML/JSON/TOML service files → Service; errors name file, key and line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker import yamlio
from tracker.errors import ParseError
from tracker.model import UNLIMITED, Model, Service, TrialCredits
from tracker.sources import data as data_module
from tracker.sources.data import SCHEMA, parse_data_file
from tracker.sources.formats import Invalid, dotted, line_for

ACME_YAML = """\
name: Acme Inference API
provider: acme
endpoint: https://api.acme.example/v1
tier: 有限免费
requirements: [registration]
credit_card_required: false
trial_credits: {amount: 5, currency: CNY, valid_days: 7}
limits:
  tokens_per_day: 100 万
  requests_per_day: "14.4K"
  max_context: 128K
  max_output: 4096
  requests_per_minute: 视模型而定
  concurrency: 无限制
tiers:
  Pro 模型: {requests_per_minute: 20, requests_per_day: 200}
quota_reset: UTC 00:00
models:
  acme-fast: {context: 8K, max_output: 2048}
  acme-chat:
    context: 131072
    input_price: 0.28
    output_price: 0.42
  acme-old:
    deprecated: true
    shutdown_date: 2025-06-01
  acme-bare:
"""

EXPECTED_ACME = {
    "id": "acme",
    "name": "Acme Inference API",
    "provider": "acme",
    "path": "data/services/acme.yaml",
    "lang": "zh",
    "endpoint": "https://api.acme.example/v1",
    "tier": "limited-free",
    "requirements": ["registration"],
    "credit_card_required": False,
    "trial_credits": {"amount": 5, "currency": "CNY", "valid_days": 7},
    "limits": {"tokens_per_day": 1_000_000, "requests_per_day": 14400, "max_context": 131072,
               "max_output": 4096, "requests_per_minute": "视模型而定", "concurrency": UNLIMITED},
    "tiers": {"Pro 模型": {"requests_per_minute": 20, "requests_per_day": 200}},
    "quota_reset": "UTC 00:00",
    "models": {
        "acme-fast": {"context": 8192, "max_output": 2048},
        "acme-chat": {"context": 131072, "input_price": 0.28, "output_price": 0.42,
                      "currency": "USD"},
        "acme-old": {"deprecated": True, "shutdown_date": "2025-06-01"},
        "acme-bare": {},
    },
}


def parse(text: str, path: str) -> Service:
    return parse_data_file(text.encode("utf-8"), path)


def error_of(text: str | bytes, path: str) -> ParseError:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    with pytest.raises(ParseError) as caught:
        parse_data_file(raw, path)
    assert caught.value.path == path
    return caught.value


def test_yaml_file_gives_normalized_service() -> None:
    service = parse(ACME_YAML, "data/services/acme.yaml")
    assert service.to_dict() == EXPECTED_ACME
    assert service.trial_credits == TrialCredits(amount=5, currency="CNY", valid_days=7)
    assert isinstance(service.models["acme-chat"], Model)


def test_json_file_gives_the_same_service() -> None:
    data = dict(EXPECTED_ACME)
    del data["id"], data["path"]
    service = parse(json.dumps(data, ensure_ascii=False), "data/services/acme.json")
    assert service.to_dict() == {**EXPECTED_ACME, "path": "data/services/acme.json"}


def test_toml_file_gives_the_expected_service() -> None:
    text = """\
name = "Acme Inference API"
provider = "acme"
tier = "trial-credits"
lang = "en"

[trial_credits]
amount = "$10 (30 天)"
valid_days = "30 days"

[limits]
requests_per_day = 1000
max_context = "1M"

[models.acme-chat]
context = "128K"
input_price = "¥1/百万 tokens"
output_price = 2
shutdown_date = 2025-06-01
"""
    service = parse(text, "data/services/acme.toml")
    assert service.to_dict() == {
        "id": "acme", "name": "Acme Inference API", "provider": "acme",
        "path": "data/services/acme.toml", "lang": "en", "tier": "trial-credits",
        "trial_credits": {"amount": 10.0, "currency": "USD", "valid_days": 30},
        "limits": {"requests_per_day": 1000, "max_context": 1_048_576},
        "models": {"acme-chat": {"context": 131072, "input_price": 1.0, "output_price": 2,
                                 "currency": "CNY", "shutdown_date": "2025-06-01"}},
    }


def test_to_dict_round_trips_through_a_data_file() -> None:
    first = parse(ACME_YAML, "data/services/acme.yaml")
    again = parse(json.dumps(first.to_dict(), ensure_ascii=False), "data/services/acme.json")
    assert again.facts() == first.facts()


def test_yaml_merge_keys_are_allowed() -> None:
    text = "x: &base {context: 32K}\nmodels:\n  a: *base\n  b: {<<: *base, max_output: 4K}\n"
    error = error_of(text, "s.yaml")  # 'x' is not a service key; aliases themselves are fine
    assert "'x'" in error.message and error.line == 1
    service = parse("models:\n  a: &base {context: 32K}\n  b: {<<: *base, max_output: 4K}\n",
                    "s.yaml")
    assert service.models["b"].to_dict() == {"context": 32768, "max_output": 4096}


def test_model_currency_and_defaults() -> None:
    service = parse("models:\n  m: {input_price: 1, currency: EUR}\n  n: {context: 1000}\n",
                    "s.yml")
    assert service.models["m"].currency == "EUR"
    assert service.models["n"].currency is None  # no price, no currency to state


def test_bom_and_crlf_are_accepted() -> None:
    raw = "\ufeffname: Acme\r\nprovider: acme\r\n".encode()
    assert parse_data_file(raw, "x/acme.yaml").name == "Acme"


@pytest.mark.parametrize(("path", "text", "key", "line"), [
    ("s.yaml", "name: A\nlimits: [1, 2]\n", "limits", 2),
    ("s.yaml", "name: A\nmodels:\n  m:\n    context: [8K]\n", "models.m.context", 4),
    ("s.yaml", "name: A\nmodels:\n  m: {input_price: cheap}\n", "models.m.input_price", 3),
    ("s.yaml", "models:\n  m:\n    output_price: true\n", "models.m.output_price", 3),
    ("s.yaml", "trial_credits:\n  amount: lots\n", "trial_credits.amount", 2),
    ("s.yaml", "trial_credits:\n  valid_days: soon\n", "trial_credits.valid_days", 2),
    ("s.yaml", "trial_credits: 5\n", "trial_credits", 1),
    ("s.yaml", "limits:\n  requests_per_day: -5\n", "limits.requests_per_day", 2),
    ("s.yaml", "name: A\nlimits:\n  requests_per_year: 5\n", "limits.requests_per_year", 3),
    ("s.yaml", "name: A\nwebsite: https://a.example\n", "website", 2),
    ("s.yaml", "name: A\nmodels:\n  m: {price: 1}\n", "models.m.price", 3),
    ("s.yaml", "name: A\ncredit_card_required: maybe\n", "credit_card_required", 2),
    ("s.yaml", "name: [A]\n", "name", 1),
    ("s.yaml", "requirements: [registration, fax]\n", "requirements", 1),
    ("s.yaml", "models:\n  m: {currency: dollars, input_price: 1}\n", "models.m.currency", 2),
    ("s.yaml", "id: other\n", "id", 1),
    ("s.yaml", "- a\n- b\n", "", 1),  # a list where the service map belongs: the document
    ("s.yaml", "# Beta\n\n- a\n", "", 3),
    ("s.yaml", "", "", 1),
    ("s.json", '\n["a", "b"]', "", 2),
    ("s.json", '{\n  "name": "A",\n  "limits": {\n    "max_output": [1]\n  }\n}',
     "limits.max_output", 4),
    ("s.json", '{\n  "name": "A",\n  "tiers": {"Pro": 5}\n}', "tiers.Pro", 3),
    ("s.json", '{\n  "name": "A",\n  "colour": "red"\n}', "colour", 3),
    ("s.toml", 'name = "A"\nlimits = [1]\n', "limits", 2),
    ("s.toml", 'name = "A"\n[models.m]\nwidth = 3\n', "models.m.width", 3),
])
def test_wrong_shape_names_path_key_and_line(path: str, text: str, key: str,
                                              line: int) -> None:
    error = error_of(text, path)
    assert str(error).startswith(f"{path}:{line}: {key}")
    assert error.line == line
    assert error.hint


@pytest.mark.parametrize(("path", "text", "line"), [
    ("s.json", '{\n  "name": "A",\n  "provider": "a \\ud800"\n}', 3),
    ("s.json", '{\n  "models": {\n    "m\\uDFFF": {}\n  }\n}', 3),
    ("s.json", '{\n  "requirements": [\n    "\\udc00"\n  ]\n}', 2),
])
def test_lone_surrogate_is_refused_with_its_key_line(path: str, text: str, line: int) -> None:
    error = error_of(text, path)
    assert "lone surrogate" in error.message and error.line == line and error.hint


def test_escaped_pairs_and_control_characters_in_json_are_kept() -> None:
    """A whole surrogate pair is one character; escaped controls are stated on purpose and the
    outputs drop them (test_hostile checks the pages and feeds)."""
    service = parse('{"name": "A \\ud83d\\ude00 \\u0001 \\u202e"}', "s.json")
    assert service.name == "A \U0001F600 \x01 \u202e"


def test_limit_text_that_does_not_parse_is_kept_as_text() -> None:
    service = parse("limits:\n  requests_per_day: 视模型而定\n", "s.yaml")
    assert service.limits["requests_per_day"] == "视模型而定"


def test_price_text_in_another_currency_than_the_model_is_refused() -> None:
    error = error_of("models:\n  m: {currency: USD, input_price: ¥1/M}\n", "s.yaml")
    assert error.line == 2 and "CNY" in error.message


@pytest.mark.parametrize(("path", "text", "key", "line"), [
    ("s.yaml", "name: A\nprovider: b\nname: C\n", "name", 3),
    ("s.yaml", "models:\n  m:\n    context: 8K\n    context: 16K\n", "models.m.context", 4),
    ("s.json", '{"name": "A",\n "models": {"m": {"context": 1},\n  "m": {}}}', "models.m", 3),
    ("s.json", '{"name": "A",\n\n "name": "B"}', "name", 3),
])
def test_duplicate_keys_are_refused_with_their_line(path: str, text: str, key: str,
                                                    line: int) -> None:
    error = error_of(text, path)
    assert "duplicate" in error.message and repr(key) in error.message
    assert error.line == line


def test_duplicate_toml_keys_are_a_syntax_error_with_line() -> None:
    error = error_of('name = "A"\nname = "B"\n', "s.toml")
    assert error.line == 2


@pytest.mark.parametrize(("path", "text", "line"), [
    ("s.yaml", "name: A\nlimits:\n  rpm: [1, 2\n", 4),
    ("s.yaml", "name: A\n  provider: b\n", 2),
    ("s.json", '{\n  "name": "A",\n  "provider": b\n}', 3),
    ("s.toml", 'name = "A"\nprovider = \n', 2),
])
def test_invalid_syntax_gives_line(path: str, text: str, line: int) -> None:
    error = error_of(text, path)
    assert error.line == line
    assert "invalid" in error.message


def test_invalid_utf8_gives_line() -> None:
    error = error_of(b"name: A\nprovider: \xff\xfe\n", "s.yaml")
    assert error.line == 2 and "UTF-8" in error.message


def test_unknown_extension_is_refused() -> None:
    assert "unknown data file type" in error_of("name: A", "s.ini").message


def test_billion_laughs_is_refused_quickly() -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        refs = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    error = error_of("\n".join(lines) + "\n", "bomb.yaml")
    assert "aliases" in error.message


def test_recursive_alias_is_refused() -> None:
    error = error_of("models: &m\n  a: *m\n", "loop.yaml")
    assert "aliases" in error.message


def test_schema_is_json_and_lists_every_key_of_a_service() -> None:
    schema = json.loads(json.dumps(SCHEMA, ensure_ascii=False))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    service = parse(ACME_YAML, "data/services/acme.yaml").to_dict()
    assert set(service) <= set(schema["properties"])
    defs = schema["$defs"]
    assert set(defs["limits"]["properties"]) >= set(service["limits"])
    model_keys = {key for facts in service["models"].values() for key in facts}
    assert model_keys <= set(defs["model"]["properties"])
    assert set(service["trial_credits"]) <= set(defs["trial_credits"]["properties"])


def test_schema_refs_all_resolve() -> None:
    text = json.dumps(SCHEMA)
    for ref in {part.split('"')[0] for part in text.split('"$ref": "')[1:]}:
        node = SCHEMA
        for step in ref.removeprefix("#/").split("/"):
            node = node[step]
        assert isinstance(node, dict)


# -- the YAML read without its key lines, which are read only for a message ---------------------

def _parse_with_lines(raw: bytes, path: str) -> Service | ParseError:
    """parse_data_file as it was: every YAML version read by the guarded loader with its lines."""
    text = raw.decode("utf-8-sig")
    try:
        document, lines = yamlio.load_with_lines(text)
    except yamlio.YamlError as error:
        message = f"invalid YAML: {error.message}" if error.syntax else error.message
        return ParseError(message, path=path, line=error.line,
                          hint=error.hint or "check indentation and quoting")
    try:
        return data_module._service(document, PurePosixPath(path).stem, path)
    except Invalid as invalid:
        where = f"{dotted(invalid.key_path)}: " if invalid.key_path else ""
        return ParseError(where + invalid.message, path=path,
                          line=line_for(invalid.key_path, lines), hint=invalid.hint)


def _outcome(result: Service | ParseError) -> object:
    if isinstance(result, ParseError):
        return ("error", str(result), result.path, result.line, result.hint)
    return ("service", result.to_dict())


def _parse_now(raw: bytes, path: str) -> Service | ParseError:
    try:
        return parse_data_file(raw, path)
    except ParseError as error:
        return error


_YAML_LINES = [
    "name: Acme", "provider: acme", "tier: 有限免费", "tier: [a, b]", "requirements: [registration]",
    "requirements: [bogus]", "credit_card_required: no", "credit_card_required: maybe",
    "limits:", "  tokens_per_day: 100 万", "  requests_per_day: '14.4K'", "  max_context: 128K",
    "  rpm: 3", "  requests_per_minute: -1", "models:", "  m1: {context: 8K, max_output: 2048}",
    "  m2:", "    input_price: 0.28", "    output_price: '¥2'", "    currency: CNY",
    "    shutdown_date: 2025-06-01", "    shutdown_date: 2025-13-45", "    deprecated: 1",
    "  m3:", "  m1: {}", "  &a m4: {context: 1}", "  m5: *a", "  <<: {m6: {}}", "name: Acme",
    "  !!str m7: {}", "quota_reset: 2025-01-01", "id: other", "lang: fr", "---", "- a list",
    "trial_credits: {amount: 5, currency: CNY, valid_days: '7 天'}", "\tname: tab", "key: 'open",
    "? [complex]", ": value", "unknown_top: 1", "1: number key", "",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_YAML_LINES), max_size=14))
def test_yaml_data_file_read_without_lines_as_with_them(lines: list[str]) -> None:
    """The data, the service and every error (message, line, hint) are what the guarded loader
    with its key lines gives: duplicates, aliases, merges, tags, bad values, bad syntax."""
    raw = "\n".join(lines).encode()
    assert _outcome(_parse_now(raw, "data/acme.yaml")) == \
        _outcome(_parse_with_lines(raw, "data/acme.yaml"))


def test_yaml_data_files_of_a_generated_site_read_as_with_lines(tmp_path: Path) -> None:
    """Every version of every YAML data file of a generated site's history, both ways."""
    root = Path(__file__).resolve().parent.parent
    repo = tmp_path / "site"
    subprocess.run([sys.executable, str(root / "bench" / "generate.py"), "--workload", "site",
                    "--commits", "120", "--out", str(repo)], check=True, capture_output=True)
    log = subprocess.run(["git", "-C", str(repo), "log", "--format=", "--raw", "--no-abbrev",
                          "--", "data/"], check=True, capture_output=True, text=True).stdout
    blobs = {(line.split()[3], line.split("\t")[1]) for line in log.splitlines()
             if line.startswith(":") and line.split()[3].strip("0")}
    assert len(blobs) > 100
    for sha, path in sorted(blobs):
        raw = subprocess.run(["git", "-C", str(repo), "cat-file", "blob", sha], check=True,
                             capture_output=True).stdout
        assert _outcome(_parse_now(raw, path)) == _outcome(_parse_with_lines(raw, path))
