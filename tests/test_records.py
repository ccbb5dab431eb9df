"""Record-tree sources: models.dev (one TOML per model) and LiteLLM (one JSON map) layouts."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import feedparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.config import RecordSource, load_config
from tracker.dated import commit_day, in_force
from tracker.errors import ParseError, TrackerError
from tracker.model import Model
from tracker.sources import Sources
from tracker.sources.jsonkeys import _JSON_KEY, _keys_at_most
from tracker.sources.records import matches, parse_records, read_record_file
from tracker.walk.git import History as Git
from tracker.walk.snapshots import Snapshots

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "configs"


def example_source(name: str, tmp_path: Path) -> RecordSource:
    shutil.copy(EXAMPLES / name, tmp_path / "tracker.yaml")
    return load_config(tmp_path).records[0]


@pytest.fixture
def models_dev(tmp_path: Path) -> RecordSource:
    return example_source("models-dev.yaml", tmp_path)


@pytest.fixture
def litellm(tmp_path: Path) -> RecordSource:
    return example_source("litellm.yaml", tmp_path)


GPT_OSS = b"""name = "GPT OSS 120B"
release_date = "2025-08-05"
last_updated = "2025-08-05"
knowledge = "2024-06"

[cost]
input = 0.15
output = 0.75
cache_read = 0.075

[limit]
context = 131072
output = 32768
"""


def test_example_configs_load(tmp_path: Path) -> None:
    for name in ("models-dev.yaml", "litellm.yaml", "genai-prices.yaml", "openrouter.yaml"):
        shutil.copy(EXAMPLES / name, tmp_path / "tracker.yaml")
        config = load_config(tmp_path)
        assert config.pages == [] and config.data == []
        assert len(config.records) == 1 and config.records[0].files


def test_models_dev_paths(models_dev: RecordSource) -> None:
    assert matches(models_dev, "providers/groq/provider.toml")
    assert matches(models_dev, "providers/groq/models/llama-3.1-8b.toml")
    assert matches(models_dev, "providers/groq/models/openai/gpt-oss-120b.toml")
    assert not matches(models_dev, "providers/groq/logo.svg")
    assert not matches(models_dev, "README.md")
    assert not matches(models_dev, "packages/web/providers/groq/models/a.toml")


def test_models_dev_nested_id(models_dev: RecordSource) -> None:
    path = "providers/groq/models/openai/gpt-oss-120b.toml"
    [service] = parse_records(models_dev, GPT_OSS, path)
    assert service.id == "groq" and service.path == path and service.name is None
    assert service.models == {"openai/gpt-oss-120b": Model(
        context=131072, max_output=32768, input_price=0.15, output_price=0.75,
        cache_read_price=0.075, currency="USD")}
    assert isinstance(service.models["openai/gpt-oss-120b"].input_price, float)


def test_models_dev_provider_name(models_dev: RecordSource) -> None:
    raw = b'name = "Groq"\nenv = ["GROQ_API_KEY"]\nnpm = "@ai-sdk/groq"\n'
    [service] = parse_records(models_dev, raw, "providers/groq/provider.toml")
    assert (service.id, service.name, service.models) == ("groq", "Groq", {})


def test_models_dev_deprecated_and_partial_prices(models_dev: RecordSource) -> None:
    raw = b'name = "Old"\nstatus = "deprecated"\n[cost]\ninput = 3\n[limit]\ncontext = 8192\n'
    [service] = parse_records(models_dev, raw, "providers/acme/models/old.toml")
    model = service.models["old"]
    assert model.deprecated is True and model.input_price == 3.0
    assert model.output_price is None and model.max_output is None  # absent, not 0
    beta = raw.replace(b"deprecated", b"beta")
    assert parse_records(models_dev, beta, "providers/acme/models/old.toml")[0] \
        .models["old"].deprecated is None


def test_models_dev_noise_fields_ignored(models_dev: RecordSource) -> None:
    path = "providers/groq/models/openai/gpt-oss-120b.toml"
    touched = GPT_OSS.replace(b'last_updated = "2025-08-05"', b'last_updated = "2025-11-01"')
    touched = touched.replace(b'knowledge = "2024-06"', b'knowledge = "2024-09"')
    assert parse_records(models_dev, touched, path) == parse_records(models_dev, GPT_OSS, path)
    repriced = GPT_OSS.replace(b"cache_read = 0.075", b"cache_read = 0.05")
    [service] = parse_records(models_dev, repriced, path)
    assert service.models["openai/gpt-oss-120b"].cache_read_price == 0.05


LITELLM = {
    "sample_spec": {"max_tokens": "LEGACY", "input_cost_per_token": 0.0,
                    "litellm_provider": "one of https://docs.litellm.ai/docs/providers",
                    "mode": "one of chat, embedding, ..."},
    "gpt-4o": {"max_tokens": 16384, "max_input_tokens": 128000, "max_output_tokens": 16384,
               "input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05,
               "litellm_provider": "openai", "mode": "chat"},
    "gpt-3.5-turbo-0301": {"max_input_tokens": 4097, "max_output_tokens": 4096,
                           "input_cost_per_token": 1.5e-06, "output_cost_per_token": 2e-06,
                           "litellm_provider": "openai", "mode": "chat",
                           "deprecation_date": "2024-06-13"},
    "groq/llama3-8b-8192": {"max_input_tokens": 8192, "max_output_tokens": 8192,
                            "input_cost_per_token": 5e-08, "output_cost_per_token": 8e-08,
                            "litellm_provider": "groq", "mode": "chat"},
    "text-embedding-3-small": {"max_input_tokens": 8191, "input_cost_per_token": 2e-08,
                               "litellm_provider": "openai", "mode": "embedding"},
}


def test_litellm_map(litellm: RecordSource) -> None:
    path = "model_prices_and_context_window.json"
    assert matches(litellm, path) and not matches(litellm, "litellm/" + path)
    services = {s.id: s for s in parse_records(litellm, json.dumps(LITELLM).encode(), path)}
    assert set(services) == {"openai", "groq"}  # sample_spec is not a service or a model
    openai = services["openai"]
    assert set(openai.models) == {"gpt-4o", "gpt-3.5-turbo-0301", "text-embedding-3-small"}
    assert openai.models["gpt-4o"] == Model(context=128000, max_output=16384, input_price=2.5,
                                            output_price=10.0, currency="USD")
    assert services["groq"].models["groq/llama3-8b-8192"].input_price == 0.05  # not 0.049999…
    assert services["groq"].models["groq/llama3-8b-8192"].output_price == 0.08
    old = openai.models["gpt-3.5-turbo-0301"]
    assert old.shutdown_date == "2024-06-13" and old.deprecated is None
    embedding = openai.models["text-embedding-3-small"]
    assert embedding.output_price is None and embedding.max_output is None


def test_litellm_versions_reuse_unchanged_services(litellm: RecordSource) -> None:
    path = "model_prices_and_context_window.json"
    first = {s.id: s for s in parse_records(litellm, json.dumps(LITELLM).encode(), path)}
    moved = json.loads(json.dumps(LITELLM))
    moved["gpt-4o"]["litellm_provider"] = "azure"  # a record moves to another service
    moved["gpt-4o"]["supports_vision"] = True
    del moved["gpt-3.5-turbo-0301"]
    second = {s.id: s for s in parse_records(litellm, json.dumps(moved).encode(), path)}
    assert second["groq"] is first["groq"]  # nothing of groq changed: the same object
    assert set(second["openai"].models) == {"text-embedding-3-small"}
    assert second["azure"].models == {"gpt-4o": first["openai"].models["gpt-4o"]}
    again = {s.id: s for s in parse_records(litellm, json.dumps(LITELLM).encode(), path)}
    assert again == first  # back to the first version (a revert): the same facts
    assert parse_records(litellm, b'{"sample_spec": {}}', path) == []


def test_litellm_filter_and_string_values(tmp_path: Path) -> None:
    source = RecordSource(files=["prices.yaml"], layout="map", id_from="key",
                          service_field="provider", fields={"context": "ctx",
                                                            "input_price": "in"},
                          filter={"mode": ["chat"]})
    raw = (b"a: {provider: p, mode: chat, ctx: 128K, in: '0.5'}\n"
           b"b: {provider: p, mode: embedding, ctx: 8192}\n"
           b"c: {mode: chat, ctx: 1}\n")  # no provider: the fallback service holds it
    read = read_record_file(source, raw, "prices.yaml")
    services = {s.id: s for s in read.services}
    assert services["p"].models == {"a": Model(context=131072, input_price=0.5, currency="USD")}
    assert services["records"].models == {"c": Model(context=1)}  # no name: 'records'
    assert (read.fell_back, read.without_id) == (1, 0)
    assert read.notes(source) == (
        "1 record(s) state no provider; they are tracked under the fallback "
        "service 'records' (service_default)",)


@pytest.mark.parametrize(("path", "raw", "line"), [
    ("providers/acme/models/x.toml", b'name = "x"\n[cost]\ninput = \n', 3),
    ("model_prices_and_context_window.json", b'{\n  "a": {,}\n}', 2),
    ("prices.yaml", b"a: [1, 2\nb: 3\n", None),
])
def test_bad_files_raise_parse_error(path: str, raw: bytes, line: int | None) -> None:
    source = RecordSource(files=["**"], layout="map", id_from="key",
                          id_pattern=r"^providers/(?P<service>[^/]+)/models/(?P<id>.+)\.toml$",
                          service_field="provider")
    if path.endswith(".toml"):
        source.layout, source.id_from = "file", "path"
    with pytest.raises(ParseError) as caught:
        parse_records(source, raw, path)
    assert caught.value.path == path
    if line is not None:
        assert caught.value.line == line
    else:
        assert caught.value.line is not None


_BOMB = b"a: &a [x, x, x, x, x, x, x, x, x, x]\n" + b"".join(
    f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join(['*' + chr(97 + n)] * 10)}]\n".encode()
    for n in range(8))


@pytest.mark.parametrize(("path", "raw", "message", "line"), [
    ("prices.yaml", b"a: {provider: p, ctx: 1}\nb: {provider: p}\na: {provider: q}\n",
     "duplicate key 'a'", 3),
    ("prices.yaml", b"a: {provider: p, ctx: 1, ctx: 2}\n", "duplicate key 'a.ctx'", 1),
    ("prices.json", b'{"a": {"provider": "p"},\n "a": {"provider": "q"}}', "duplicate key 'a'",
     2),
    ("prices.yaml", _BOMB, "nodes through aliases", None),
])
def test_record_files_refuse_repeated_keys_and_alias_bombs(path: str, raw: bytes, message: str,
                                                           line: int | None) -> None:
    """The same guards as service data files: a key written twice would silently keep one."""
    source = RecordSource(files=["prices.*"], layout="map", id_from="key",
                          service_field="provider")
    with pytest.raises(ParseError, match=message) as caught:
        parse_records(source, raw, path)
    assert caught.value.path == path
    if line is not None:
        assert caught.value.line == line


def test_wrong_shapes_raise_parse_error(litellm: RecordSource,
                                        models_dev: RecordSource) -> None:
    with pytest.raises(ParseError, match="map of records"):
        parse_records(litellm, b"[1, 2]", "model_prices_and_context_window.json")
    with pytest.raises(ParseError, match="UTF-8"):
        parse_records(models_dev, b'name = "\xff"', "providers/a/models/b.toml")


@pytest.mark.parametrize(("yaml_text", "message"), [
    ("records: [{files: [a.json], layout: map, id_from: path}]", "one file holds many"),
    ("records: [{files: [a.toml], id_from: key}]", "layout is 'file'"),
    ("records: [{files: [a/*.toml], id_pattern: '(?P<id>.+)'}]", "service' cannot be found"),
    ("records: [{files: [a/*.toml], id_pattern: '(?P<id'}]", "not a valid regex"),
    ("records: [{files: [a.json], layout: map, id_from: key, service_field: p, "
     "fields: {price: x}}]", "unknown names: price"),
    ("records: [{files: [], layout: map, id_from: key, service_field: p}]", "files' is empty"),
])
def test_bad_record_config(tmp_path: Path, yaml_text: str, message: str) -> None:
    (tmp_path / "tracker.yaml").write_text(yaml_text)
    with pytest.raises(TrackerError, match=message):
        load_config(tmp_path)


# --- end to end: real git histories through tracker.pipeline.update ----------------------------

def git(root: Path, *args: str, date: str | None = None) -> None:
    import os
    import subprocess

    env = dict(os.environ, GIT_AUTHOR_NAME="T", GIT_AUTHOR_EMAIL="t@example.org",
               GIT_COMMITTER_NAME="T", GIT_COMMITTER_EMAIL="t@example.org")
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


class History:
    """Commits files into a fresh repository, one day apart, and walks it with tracker."""

    def __init__(self, root: Path, config: str) -> None:
        self.root, self.day = root, 0
        git(root, "init", "-q", "-b", "main")
        shutil.copy(EXAMPLES / config, root / "tracker.yaml")

    def commit(self, files: dict[str, str | None], message: str = "edit") -> None:
        for rel, text in files.items():
            path = self.root / rel
            if text is None:
                path.unlink()
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
        self.day += 1
        git(self.root, "add", "-A", "--", *files, "tracker.yaml")
        git(self.root, "commit", "-q", "-m", message, date=f"2025-03-{self.day:02d}T10:00:00+08:00")

    def events(self) -> list[tuple[str, str | None, str | None, object, object]]:
        from tracker.pipeline import update

        result = update(self.root)
        assert not result.warnings
        return sorted(((e.kind, e.model, e.field, e.old, e.new) for e in result.new_events),
                      key=lambda e: (e[0], str(e[1]), str(e[2])))


def toml(price_in: float | None, price_out: float | None, context: int = 131072,
         status: str = "", updated: str = "2025-01-01") -> str:
    lines = ['name = "M"', f'last_updated = "{updated}"', 'knowledge = "2024-06"']
    if status:
        lines.append(f'status = "{status}"')
    lines.append("[cost]")
    if price_in is not None:
        lines.append(f"input = {price_in}")
    if price_out is not None:
        lines.append(f"output = {price_out}")
    lines += ["[limit]", f"context = {context}", "output = 8192", ""]
    return "\n".join(lines)


def test_models_dev_history(tmp_path: Path) -> None:
    h = History(tmp_path, "models-dev.yaml")
    gpt = "providers/groq/models/openai/gpt-oss-120b.toml"
    llama = "providers/groq/models/llama-3.1-8b.toml"
    h.commit({"providers/groq/provider.toml": 'name = "Groq"\n', gpt: toml(0.15, 0.75),
              llama: toml(0.05, None)})
    [added] = h.events()
    assert added[0] == "service_added"

    h.commit({gpt: toml(0.2, 0.75)})
    assert h.events() == [("price_increase", "openai/gpt-oss-120b", "input_price", 0.15, 0.2)]
    h.commit({gpt: toml(0.2, 0.6)})
    assert h.events() == [("price_decrease", "openai/gpt-oss-120b", "output_price", 0.75, 0.6)]
    h.commit({"providers/groq/models/qwen/qwen3-32b.toml": toml(0.29, 0.59)})
    assert [e[:2] for e in h.events()] == [("model_added", "qwen/qwen3-32b")]
    h.commit({"providers/groq/models/qwen/qwen3-32b.toml": None})
    assert [e[:2] for e in h.events()] == [("model_removed", "qwen/qwen3-32b")]
    h.commit({gpt: toml(0.2, 0.6, context=65536)})
    assert h.events() == [("context_changed", "openai/gpt-oss-120b", "context", 131072, 65536)]
    h.commit({gpt: toml(0.2, 0.6, context=65536, status="deprecated")})
    assert [e[:2] for e in h.events()] == [("model_deprecated", "openai/gpt-oss-120b")]
    h.commit({llama: toml(0.05, None, updated="2025-06-30")})  # last_updated only
    assert h.events() == []
    h.commit({llama: toml(0.05, 0.08)})  # a price that was not stated: not a rise from zero
    assert h.events() == [("price_added", "llama-3.1-8b", "output_price", None, 0.08)]
    h.commit({"providers/groq/provider.toml": 'name = "Groq Cloud"\n'})
    assert [e[0] for e in h.events()] == ["info_changed"]


def litellm_json(records: dict[str, dict[str, object]]) -> str:
    return json.dumps({"sample_spec": LITELLM["sample_spec"], **records}, indent=4)


def test_litellm_history(tmp_path: Path) -> None:
    h = History(tmp_path, "litellm.yaml")
    path = "model_prices_and_context_window.json"
    gpt = dict(LITELLM["gpt-4o"])
    llama = dict(LITELLM["groq/llama3-8b-8192"])
    del llama["output_cost_per_token"]
    h.commit({path: litellm_json({"gpt-4o": gpt, "groq/llama3-8b-8192": llama})})
    assert sorted(e[0] for e in h.events()) == ["service_added", "service_added"]  # openai, groq

    def step(**changes: object) -> list[tuple[str, str | None, str | None, object, object]]:
        for key, value in changes.items():
            model, _, field = key.partition("__")
            record = gpt if model == "gpt" else llama
            if value is None:
                record.pop(field, None)
            else:
                record[field] = value
        h.commit({path: litellm_json({"gpt-4o": gpt, "groq/llama3-8b-8192": llama})})
        return h.events()

    assert step(gpt__input_cost_per_token=5e-06) == [
        ("price_increase", "gpt-4o", "input_price", 2.5, 5.0)]
    assert step(gpt__output_cost_per_token=8e-06) == [
        ("price_decrease", "gpt-4o", "output_price", 10.0, 8.0)]
    assert step(gpt__max_input_tokens=200000) == [
        ("context_changed", "gpt-4o", "context", 128000, 200000)]
    assert step(gpt__cache_read_input_token_cost=1.25e-06) == [
        ("price_added", "gpt-4o", "cache_read_price", None, 1.25)]
    assert step(gpt__cache_read_input_token_cost=5e-07) == [
        ("price_decrease", "gpt-4o", "cache_read_price", 1.25, 0.5)]
    assert step(gpt__supports_vision=True, gpt__mode="responses") == []  # unmapped fields
    assert [e[:2] for e in step(gpt__deprecation_date="2026-02-27")] == [
        ("model_deprecated", "gpt-4o")]
    assert step(llama__output_cost_per_token=8e-08) == [
        ("price_added", "groq/llama3-8b-8192", "output_price", None, 0.08)]
    h.commit({path: litellm_json({"gpt-4o": gpt, "groq/llama3-8b-8192": llama,
                                  "gpt-4.1": dict(LITELLM["gpt-4o"])})})
    assert [e[:2] for e in h.events()] == [("model_added", "gpt-4.1")]
    h.commit({path: litellm_json({"gpt-4o": gpt, "gpt-4.1": dict(LITELLM["gpt-4o"])})})
    assert [e[0] for e in h.events()] == ["service_removed"]  # groq's only model went

    from tracker.config import load_config as load
    from tracker.ledger import Ledger

    kinds = [e.kind for e in Ledger(load(tmp_path)).events()]
    assert kinds.count("service_added") == 2 and "price_increase" in kinds


# --- lists of records: genai-prices and OpenRouter shapes ---------------------------------------

@pytest.fixture
def genai_prices(tmp_path: Path) -> RecordSource:
    return example_source("genai-prices.yaml", tmp_path)


@pytest.fixture
def openrouter(tmp_path: Path) -> RecordSource:
    return example_source("openrouter.yaml", tmp_path)


def provider_yml(*models: str, name: str = "Acme AI") -> str:
    """A provider file shaped like genai-prices' prices/providers/<id>.yml (our own words)."""
    head = (f"# yaml-language-server: $schema=.schema.json\nname: {name}\nid: acme\n"
            "pricing_urls:\n  - https://acme.example/pricing\napi_pattern: 'https://api\\.acme'\n"
            "model_match:\n  contains: acme\nmodels:\n")
    return head + "".join(models)


def plain(mid: str = "acme-chat", price_in: object = 0.5, price_out: object = 1.5,
          checked: str = "2025-06-01", deprecated: bool = False) -> str:
    return (f"  - id: {mid}\n    name: Acme Chat\n    description: A chat model.\n"
            f"    match:\n      starts_with: {mid}\n    context_window: 128000\n"
            + ("    deprecated: true\n" if deprecated else "")
            + f"    prices_checked: {checked}\n    prices:\n"
            f"      input_mtok: {price_in}\n      output_mtok: {price_out}\n")


def tiered(mid: str = "acme-long", above: object = 2.5) -> str:
    return (f"  - id: {mid}\n    context_window: 1000000\n    prices:\n"
            "      input_mtok:\n        base: 1.25\n        tiers:\n"
            f"          - start: 200000\n            price: {above}\n"
            "      output_mtok:\n        base: 10\n        tiers:\n"
            "          - start: 200000\n            price: 15\n"
            "      cache_read_mtok: 0.125\n")


def conditional(mid: str = "acme-night", default: bool = True) -> str:
    first = "      - prices:\n" if default else \
        "      - constraint:\n          start_time: '16:30:00Z'\n          end_time: '00:30:00Z'\n" \
        "        prices:\n"
    return (f"  - id: {mid}\n    prices:\n{first}          input_mtok: 0.135\n"
            "          output_mtok: 0.55\n      - constraint:\n"
            "          start_time: '00:30:00Z'\n          end_time: '16:30:00Z'\n"
            "        prices:\n          input_mtok: 0.27\n          output_mtok: 1.1\n")


def test_genai_prices_provider_file(genai_prices: RecordSource) -> None:
    path = "prices/providers/acme.yml"
    assert matches(genai_prices, path) and not matches(genai_prices, "prices/data.json")
    raw = provider_yml(plain(), tiered(), conditional(), conditional("acme-peak", default=False),
                       plain("acme-old", 8, 24, deprecated=True), "  - name: no id here\n",
                       plain("acme-chat", 9, 9)).encode()
    read = read_record_file(genai_prices, raw, path)
    [service] = read.services
    assert (service.id, service.name, service.provider) == ("acme", "Acme AI", "acme")
    models = service.models
    assert models["acme-chat"] == Model(context=128000, input_price=0.5, output_price=1.5,
                                        currency="USD")  # the first of the repeated id
    assert models["acme-long"] == Model(
        context=1000000, input_price=1.25, output_price=10.0, cache_read_price=0.125,
        currency="USD", price_bands={">200K": {"input_price": 2.5, "output_price": 15.0}})
    # one entry without a constraint: that is the price; a time window is a tier named by it
    assert models["acme-night"] == Model(
        input_price=0.135, output_price=0.55, currency="USD",
        price_bands={"UTC 00:30–16:30": {"input_price": 0.27, "output_price": 1.1}})
    # every entry constrained: each its own tier, none taken for the base price
    assert models["acme-peak"] == Model(currency="USD", price_bands={
        "UTC 00:30–16:30": {"input_price": 0.27, "output_price": 1.1},
        "UTC 16:30–00:30": {"input_price": 0.135, "output_price": 0.55}})
    assert models["acme-old"].deprecated is True
    assert (read.without_id, read.duplicates, read.fell_back) == (1, 1, 0)
    assert read.notes(genai_prices) == (
        "1 record(s) have no 'id'; they cannot be followed from commit to commit and are not "
        "tracked", "1 record(s) repeat an id already in the list; only the first is tracked")


def test_genai_prices_file_without_models_or_service(genai_prices: RecordSource) -> None:
    path = "prices/providers/empty.yml"
    [service] = parse_records(genai_prices, b"name: Empty\nid: empty\nmodels: []\n", path)
    assert (service.id, service.name, service.models) == ("empty", "Empty", {})
    read = read_record_file(genai_prices, provider_yml(plain()).replace("id: acme\n", "")
                            .encode(), path)
    [service] = read.services  # the file names no service: the fallback service, counted
    assert service.id == "genai-prices" and read.fell_back == 1
    with pytest.raises(ParseError, match="list of records in 'models'"):
        parse_records(genai_prices, b"id: x\nmodels: {a: 1}\n", path)


OPENROUTER_MODEL = {
    "id": "acme/chat-large", "canonical_slug": "acme/chat-large-2025", "name": "Acme: Chat Large",
    "created": 1750000000, "description": "A large chat model.", "context_length": 131072,
    "architecture": {"modality": "text->text", "tokenizer": "Other"},
    "pricing": {"prompt": "0.0000003", "completion": "0.0000012", "request": "0",
                "image": "0", "input_cache_read": "0.00000003"},
    "top_provider": {"context_length": 131072, "max_completion_tokens": 32768,
                     "is_moderated": False},
    "per_request_limits": None, "supported_parameters": ["tools", "temperature"],
}


def openrouter_json(*records: dict[str, object]) -> str:
    return json.dumps({"data": list(records)}, indent=2)


def test_openrouter_models_list(openrouter: RecordSource) -> None:
    path = "openrouter/models.json"
    auto = {"id": "openrouter/auto", "name": "Auto Router", "context_length": 2000000,
            "pricing": {"prompt": "-1", "completion": "-1"},
            "top_provider": {"context_length": None, "max_completion_tokens": None}}
    read = read_record_file(openrouter, openrouter_json(OPENROUTER_MODEL, auto).encode(), path)
    [service] = read.services
    assert (service.id, service.name, read.notes(openrouter)) == \
        ("openrouter", "OpenRouter", ())  # every record is OpenRouter's: nothing fell back
    model = service.models["acme/chat-large"]
    assert model == Model(context=131072, max_output=32768, input_price=0.3, output_price=1.2,
                          cache_read_price=0.03, currency="USD")
    assert repr(model.input_price) == "0.3" and repr(model.cache_read_price) == "0.03"
    router = service.models["openrouter/auto"]  # "-1": the price varies, it is no amount
    assert (router.input_price, router.max_output) == ("-1", None)


@pytest.mark.parametrize(("value", "per_million"), [
    ("0.0000003", "0.3"), (3e-07, "0.3"), ("0.00000125", "1.25"), (1.25e-06, "1.25"),
    ("0.000015", "15.0"), ("0.0000000375", "0.0375"), (2.5e-06, "2.5"), ("0", "0.0"),
    (1.1e-07, "0.11"), ("0.00000029", "0.29"),
])
def test_per_token_decimals_are_exact(value: object, per_million: str) -> None:
    source = RecordSource(files=["m.json"], layout="list", id_from="id", service_default="s",
                          fields={"input_price": "p"}, price_scale="per_token")
    raw = json.dumps([{"id": "m", "p": value}]).encode()
    [service] = parse_records(source, raw, "m.json")
    assert repr(service.models["m"].input_price) == per_million


# --- end to end: list layouts and fallbacks through real git histories -------------------------

def run_update(h: History) -> tuple[list[tuple[str, str | None, str | None, object, object]],
                                    list[object], list[str]]:
    from tracker.pipeline import update

    result = update(h.root)
    assert not result.warnings
    events = sorted(result.new_events, key=lambda e: (e.kind, str(e.model), str(e.band)))
    return ([(e.kind, e.model, e.field, e.old, e.new) for e in events], events,
            [str(n) for n in result.notices])


def test_genai_prices_history(tmp_path: Path) -> None:
    from tracker.i18n import summarize

    h = History(tmp_path, "genai-prices.yaml")
    path = "prices/providers/acme.yml"
    h.commit({path: provider_yml(plain(), tiered(), conditional())})
    assert [e[0] for e in h.events()] == ["service_added"]
    h.commit({path: provider_yml(plain(checked="2025-09-01"), tiered(), conditional())})
    assert h.events() == []  # prices_checked, description: not facts we follow
    h.commit({path: provider_yml(plain(price_in=0.4), tiered(), conditional())})
    assert h.events() == [("price_decrease", "acme-chat", "input_price", 0.5, 0.4)]
    h.commit({path: provider_yml(plain(price_in=0.4), tiered(above=3), conditional())})
    plain_events, [event], _notes = run_update(h)
    assert plain_events == [("price_increase", "acme-long", "input_price", 2.5, 3.0)]
    assert (event.band, event.tier, event.severity) == (">200K", None, "breaking")
    assert summarize(event, "en") == "acme-long >200K Input price $2.5/M → $3/M (+20%)"
    h.commit({path: provider_yml(plain(price_in=0.4), tiered(above=3),
                                 conditional(default=False))})
    # the undated entry gains a time window: no base price any more, a band named by the window
    _plain, events, _notes = run_update(h)
    assert [(e.kind, e.model, e.band, e.old, e.new) for e in events
            if e.field == "input_price"] == [
        ("price_added", "acme-night", "UTC 16:30–00:30", None, 0.135),
        ("price_removed", "acme-night", None, 0.135, None)]
    h.commit({path: provider_yml(plain(price_in=0.4), tiered(above=3),
                                 conditional(default=False), plain("acme-mini", 0.1, 0.2))})
    assert [e[:2] for e in h.events()] == [("model_added", "acme-mini")]
    h.commit({path: provider_yml(plain(price_in=0.4, deprecated=True), tiered(above=3),
                                 conditional(default=False), plain("acme-mini", 0.1, 0.2))})
    assert [e[:2] for e in h.events()] == [("model_deprecated", "acme-chat")]


# The ledger tracker wrote for the history below before a price's band had its own key (at
# 3b82813): a price band was then the event's ``tier:``.
BEFORE_BAND = Path(__file__).parent / "ledgers" / "before-band" / "events" / "2025-03.yaml"


def test_a_ledger_written_before_bands_reads_as_bands_with_the_same_ids(tmp_path: Path) -> None:
    from tracker.ledger import Ledger
    from tracker.pipeline import render_all

    h = History(tmp_path, "genai-prices.yaml")
    path = "prices/providers/acme.yml"
    for files in (provider_yml(plain(), tiered(), conditional()),
                  provider_yml(plain(price_in=0.4), tiered(above=3), conditional()),
                  provider_yml(plain(price_in=0.4), tiered(above=3), conditional(default=False)),
                  provider_yml(plain(price_in=0.4), tiered(above=3), conditional(default=False),
                               plain("acme-mini", 0.1, 0.2))):
        h.commit({path: files})
        h.events()
    month = tmp_path / "history" / "events" / "2025-03.yaml"
    walked = Ledger(load_config(tmp_path)).raw_events()
    before = BEFORE_BAND.read_text(encoding="utf-8")
    # the same events, ids and all: only the key of a price's band is new
    assert "  tier: " in before and "  band: " not in before
    assert month.read_text(encoding="utf-8") == before.replace("  tier: ", "  band: ")
    assert sorted((e.band, e.field) for e in walked if e.band) == [
        (">200K", "input_price"), ("UTC 16:30–00:30", "input_price"),
        ("UTC 16:30–00:30", "output_price")]
    assert not any(e.tier for e in walked)
    # the old file as it is: read with bands, the very events a walk makes now, and the same
    # feeds rendered from it (a band named in its item: "acme-long >200K 输入价格 …")
    def outputs() -> dict[str, bytes]:
        return {str(p.relative_to(tmp_path)): p.read_bytes()
                for folder in ("feeds", "static") for p in (tmp_path / folder).rglob("*")
                if p.is_file()}

    before_outputs = outputs()
    assert ">200K" in feedparser.parse(before_outputs["feeds/atom.xml"]).entries[2].summary
    shutil.copy(BEFORE_BAND, month)
    shutil.rmtree(tmp_path / "feeds")
    shutil.rmtree(tmp_path / "static")
    config = load_config(tmp_path)
    old_ledger = Ledger(config)
    assert old_ledger.raw_events() == walked
    render_all(config, old_ledger)
    assert outputs() == before_outputs


def test_an_old_event_s_tier_is_a_band_only_on_a_price() -> None:
    from tracker.model import Event

    base = {"id": "e", "date": "2025-03-01T10:00:00+08:00", "commit": "c", "path": "p",
            "service": "acme", "service_name": None, "provider": None, "model": None,
            "kind": "quota_cut", "field": "requests_per_minute", "old": 20, "new": 10,
            "change_pct": -50.0, "severity": "breaking", "tier": "Pro 模型"}
    quota = Event.from_dict(base)
    assert (quota.tier, quota.band, quota.tier_or_band) == ("Pro 模型", None, "Pro 模型")
    price = Event.from_dict({**base, "model": "m", "kind": "price_increase",
                             "field": "output_price", "tier": ">200K"})
    assert (price.tier, price.band, price.tier_or_band) == (None, ">200K", ">200K")
    # the service type: its field is called "tier", it has neither a quota tier nor a band
    kind = Event.from_dict({**base, "kind": "tier_changed", "field": "tier", "tier": None,
                            "old": "free", "new": "paid"})
    assert (kind.tier, kind.band) == (None, None)
    assert price.to_dict()["band"] == ">200K" and "tier" not in price.to_dict()


def test_openrouter_history_keeps_decimals_exact(tmp_path: Path) -> None:
    h = History(tmp_path, "openrouter.yaml")
    path = "openrouter/models.json"
    model = json.loads(json.dumps(OPENROUTER_MODEL))
    h.commit({path: openrouter_json(model)})
    assert [e[0] for e in h.events()] == ["service_added"]
    model["pricing"]["prompt"] = "0.00000025"
    model["created"] = 1760000000  # not a fact we follow
    h.commit({path: openrouter_json(model)})
    assert h.events() == [("price_decrease", "acme/chat-large", "input_price", 0.3, 0.25)]
    other = dict(OPENROUTER_MODEL, id="acme/chat-small", name="Acme: Chat Small")
    h.commit({path: openrouter_json(model, other)})
    assert [e[:2] for e in h.events()] == [("model_added", "acme/chat-small")]
    month = (tmp_path / "history" / "events" / "2025-03.yaml").read_text()
    assert "old: 0.3\n" in month and "new: 0.25\n" in month and "0.2999" not in month


def test_records_without_service_fall_back_and_are_reported_once(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from tracker.cli import cli

    h = History(tmp_path, "litellm.yaml")
    path = "model_prices_and_context_window.json"
    tuned = {"max_input_tokens": 4096, "input_cost_per_token": 1.2e-05,
             "output_cost_per_token": 1.6e-05, "mode": "chat"}  # no litellm_provider
    gpt = dict(LITELLM["gpt-4o"])
    h.commit({path: litellm_json({"gpt-4o": gpt, "ft:gpt-3.5-turbo": tuned})})
    h.commit({path: litellm_json({"gpt-4o": gpt, "ft:gpt-3.5-turbo": {
        **tuned, "input_cost_per_token": 3e-06}})})
    h.commit({path: litellm_json({"gpt-4o": {**gpt, "mode": "responses"},
                                  "ft:gpt-3.5-turbo": {**tuned, "input_cost_per_token": 3e-06}})})
    result = CliRunner().invoke(cli, ["update", "--repo", str(tmp_path)])
    assert result.exit_code == 0, result.output
    notes = [line for line in result.output.splitlines() if "record(s)" in line]
    assert notes == [f"warning: {path}: 1 record(s) state no litellm_provider; they are tracked "
                     "under the fallback service 'LiteLLM' (service_default)"]  # once a run
    log = CliRunner().invoke(cli, ["log", "--repo", str(tmp_path), "--format", "json"])
    events = json.loads(log.output)
    cut = [(e["service"], e["model"], e["old"], e["new"]) for e in events
           if e["kind"] == "price_decrease"]
    assert cut == [("LiteLLM", "ft:gpt-3.5-turbo", 12.0, 3.0)]  # the cut is not missed


def test_service_default_names_the_fallback(tmp_path: Path) -> None:
    source = RecordSource(name="Prices", files=["p.yaml"], layout="map", id_from="key",
                          service_field="provider", service_default="unsorted")
    read = read_record_file(source, b"a: {provider: x}\nb: {note: none}\n", "p.yaml")
    assert sorted(s.id for s in read.services) == ["unsorted", "x"] and read.fell_back == 1


@pytest.mark.parametrize(("yaml_text", "message"), [
    ("records: [{files: [a.json], layout: list, id_from: key, service_default: s}]",
     "records are in a list"),
    ("records: [{files: [a.json], layout: map, id_from: key, service_field: p, "
     "list_field: data}]", "need layout: list"),
    ("records: [{files: [a.json], layout: table}]", "'file', 'map' or 'list'"),
])
def test_bad_list_config(tmp_path: Path, yaml_text: str, message: str) -> None:
    (tmp_path / "tracker.yaml").write_text(yaml_text)
    with pytest.raises(TrackerError, match=message):
        load_config(tmp_path)


def test_float_drift_written_back_is_the_price_meant(models_dev: RecordSource) -> None:
    # models.dev files once held 0.39999999999999997 where a script wrote a float back; the
    # fix to 0.4 is no price change, and the ledger never shows the drift
    path = "providers/vercel/models/acme/chat.toml"
    drift = GPT_OSS.replace(b"input = 0.15", b"input = 0.39999999999999997")
    fixed = GPT_OSS.replace(b"input = 0.15", b"input = 0.4")
    assert parse_records(models_dev, drift, path) == parse_records(models_dev, fixed, path)
    assert repr(parse_records(models_dev, drift, path)[0].models["acme/chat"].input_price) == "0.4"


def _map(records: dict[str, str]) -> bytes:
    """A LiteLLM-like map written by hand: each record's text as given."""
    return ("{\n" + ",\n".join(f'  "{key}": {text}' for key, text in records.items())
            + "\n}\n").encode()


def test_a_repeated_key_in_a_later_version_is_refused() -> None:
    """The guard counts again only the records that changed since the file's last version;
    a key repeated anywhere, in a changed record or one whose value reads as before, or at
    the top, is still refused with its line."""
    source = RecordSource(files=["prices.*"], layout="map", id_from="key",
                          service_field="provider")
    records = {f"m{n}": f'{{"provider": "p", "max_tokens": {n}}}' for n in range(50)}
    path = "prices.json"
    assert len(parse_records(source, _map(records), path)[0].models) == 50
    later = {
        # the record's value reads as before: the repeated key's last value is the old one
        "same value": {**records, "m7": '{"provider": "p", "max_tokens": 0, "max_tokens": 7}'},
        "changed record": {**records, "m7": '{"provider": "p", "max_tokens": 8, "x": {"a": 1, "a": 2}}'},
    }
    for name, version in later.items():
        with pytest.raises(ParseError, match="duplicate key") as caught:
            parse_records(source, _map(version), path)
        assert caught.value.line == 9, name
        parse_records(source, _map(records), path)  # the good version again
    top = _map(records).replace(b'\n}\n', b',\n  "m3": {"provider": "q"}\n}\n')
    with pytest.raises(ParseError, match="duplicate key 'm3'") as caught:
        parse_records(source, top, path)
    assert caught.value.line == 52


_KEY_TEXT = st.text(st.sampled_from(['a', '"', ':', '\\', ' ', 'é', '\n']), max_size=6)


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.one_of(st.integers(), _KEY_TEXT, st.none()),
                    lambda inner: st.dictionaries(_KEY_TEXT, inner, max_size=4)
                    | st.lists(inner, max_size=3), max_leaves=12),
       st.sampled_from([None, 1, "\t"]), st.sampled_from([": ", " : ", ":"]))
def test_the_c_count_of_keys_is_never_fewer(data: object, indent: int | str | None,
                                            colon: str) -> None:
    """The C bound of the keys written is never below what the regex that reads every string
    counts, on any JSON text, and equal when no string holds a quote or a colon."""
    raw = json.dumps(data, indent=indent, separators=(",", colon)).encode()
    exact = len(_JSON_KEY.findall(raw))
    assert _keys_at_most(raw) >= exact
    if not any('"' in text or ":" in text for text in _strings(data)):
        assert _keys_at_most(raw) == exact


def _strings(value: object) -> list[str]:
    """Every key and string value at any depth."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *_strings(v)]]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@pytest.mark.parametrize("seed", range(4))
def test_walked_facts_are_the_facts_of_the_services_in_force(tmp_path: Path, seed: int) -> None:
    """The walk takes each unchanged model's dict again from its last facts (model.FactsMemo:
    the same Model object); after every commit of a random models.dev history (prices,
    contexts, models added, removed, a file rewritten with the same text) every service's facts
    are still the ones its Service gives when asked afresh."""
    rng = random.Random(seed)
    h = History(tmp_path, "models-dev.yaml")
    files = {f"providers/{p}/models/m{n}.toml": toml(0.1 * n, 0.2 * n)
             for p in ("groq", "cerebras") for n in range(1, 6)}
    h.commit({"providers/groq/provider.toml": 'name = "Groq"\n',
              "providers/cerebras/provider.toml": 'name = "Cerebras"\n', **files})
    for _ in range(14):
        edits: dict[str, str | None] = {}
        for path in rng.sample(sorted(files), min(3, len(files))):
            what = rng.choice(["price", "context", "remove", "same"])
            if what == "remove" and len(files) > 2:
                edits[path] = None
                del files[path]
            else:
                edits[path] = files[path] = toml(rng.choice([0.1, 0.5, 1.0]), 0.3,
                                                 context=rng.choice([8192, 131072])) \
                    if what != "same" else files[path] + "\n"
        if rng.random() < 0.3:
            added = f"providers/groq/models/new{rng.randrange(100)}.toml"
            edits[added] = files[added] = toml(0.2, 0.4)
        h.commit(edits)
    snapshots = Snapshots(Git(tmp_path), Sources(load_config(tmp_path)))
    commits = list(snapshots.history.commits(None, snapshots.history.head() or ""))
    assert len(commits) == 15
    for commit in commits:
        snapshots.step(commit)
        day = commit_day(commit.date)
        assert snapshots.facts == {sid: in_force(service.facts(), day)
                                   for sid, service in snapshots.services.items()}
