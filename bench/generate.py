"""Synthetic catalogue histories of any length, built with one `git fast-import` stream.

Two workloads (deterministic for a seed, fixed dates six hours apart from 2023-01-01):

- ``site``: 200 service pages (services/api/<slug>/_index.md, template and variants, 10–15 KB)
  and 100 YAML data files (data/services/<slug>.yaml); each commit edits one to four of them.
  ``--services N``: N pages and N/2 data files (the scale row: 400).
- ``records``: a LiteLLM-like ``model_prices_and_context_window.json`` (2,000 records, ~1 MB)
  changed in a third of the commits, beside a models.dev-like tree of 2,000 TOML model files
  under providers/<p>/models/ (a fifth of the ids nested, ``vendor/model``) and a tracker.yaml
  describing both record sources.
- ``map``: LiteLLM's shape alone, as the performance table measures it: one
  ``model_prices_and_context_window.json`` of 1,200 records (~730 KB) that every commit changes
  (1–5 records: prices, context, deprecation dates, models added and removed, unmapped flags).

Usage: python bench/generate.py --workload records --commits 3000 --out bench/out/records-3000
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sitegen  # noqa: E402

START = 1672502400  # 2023-01-01T00:00:00+08:00, as a Unix time
STEP = 6 * 3600
VERSION = "3"  # bump when the generated content changes: cached repos are rebuilt

PROVIDERS = ["openai", "anthropic", "groq", "mistral", "deepseek", "together", "fireworks",
             "openrouter", "cerebras", "google", "xai", "cohere", "perplexity", "moonshot",
             "zhipu", "qwen", "baichuan", "minimax", "siliconflow", "novita", "deepinfra",
             "lambda", "nebius", "sambanova", "hyperbolic", "chutes", "github", "azure",
             "bedrock", "vertex", "cloudflare", "huggingface", "replicate", "anyscale",
             "octoai", "lepton", "friendli", "inference", "baseten", "modal"]
VENDORS = ["openai", "meta-llama", "qwen", "mistralai", "google", "deepseek-ai"]
PRICES = [0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.25, 2.0, 2.5, 3.0,
          5.0, 10.0, 15.0, 30.0, 60.0]
CONTEXTS = [8192, 32768, 65536, 128000, 131072, 200000, 262144, 1000000, 1048576]
OUTPUTS = [2048, 4096, 8192, 16384, 32768, 65536]

CONFIG_HEAD = """\
site_url: https://bench.example.org
pages: []
data: []
records:
"""
LITELLM_RECORDS = """\
  - name: LiteLLM
    files: [model_prices_and_context_window.json]
    layout: map
    id_from: key
    service_field: litellm_provider
    fields: {context: max_input_tokens, max_output: max_output_tokens,
             input_price: input_cost_per_token, output_price: output_cost_per_token,
             shutdown_date: deprecation_date}
    price_scale: per_token
    skip_keys: [sample_spec]
"""
RECORDS_CONFIG = CONFIG_HEAD + """\
  - name: models.dev
    files: ["providers/*/provider.toml", "providers/*/models/**/*.toml"]
    layout: file
    id_from: path
    id_pattern: '^providers/(?P<service>[^/]+)/models/(?P<id>.+)\\.toml$'
    service_name_file: "providers/{service}/provider.toml"
    fields: {context: limit.context, max_output: limit.output, input_price: cost.input,
             output_price: cost.output, deprecated: status}
""" + LITELLM_RECORDS


class FastImport:
    """Writes commits to `git fast-import` on refs/heads/main; one process for the history."""

    def __init__(self, repo: Path) -> None:
        self.proc = subprocess.Popen(["git", "fast-import", "--quiet", "--done"], cwd=repo,
                                     stdin=subprocess.PIPE)
        assert self.proc.stdin is not None
        self.out = self.proc.stdin
        self.mark = 0

    def commit(self, message: str, changes: dict[str, bytes | None]) -> None:
        self.mark += 1
        when = f"{START + self.mark * STEP} +0800"
        msg = message.encode()
        head = (f"commit refs/heads/main\nmark :{self.mark}\n"
                f"author Bench <bench@example.org> {when}\n"
                f"committer Bench <bench@example.org> {when}\ndata {len(msg)}\n").encode()
        parts = [head, msg, b"\n"]
        if self.mark > 1:
            parts.append(f"from :{self.mark - 1}\n".encode())
        for path, data in sorted(changes.items()):
            if data is None:
                parts.append(f"D {path}\n".encode())
            else:
                parts.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode())
                parts += [data, b"\n"]
        self.out.write(b"".join(parts))

    def close(self) -> None:
        self.out.write(b"done\n")
        self.out.close()
        if self.proc.wait() != 0:
            raise SystemExit("git fast-import failed")


# --- records workload ---------------------------------------------------------------------------

def toml_model(m: dict[str, Any]) -> bytes:
    lines = [f'name = "{m["name"]}"', "attachment = false", "reasoning = true",
             "tool_call = true", f'knowledge = "{m["knowledge"]}"',
             f'release_date = "{m["release"]}"', f'last_updated = "{m["updated"]}"',
             "open_weights = true"]
    if m.get("status"):
        lines.append(f'status = "{m["status"]}"')
    lines += ["", "[cost]", f"input = {m['input']}", f"output = {m['output']}",
              f"cache_read = {round(m['input'] / 4, 4)}", "", "[limit]",
              f"context = {m['context']}", f"output = {m['max_output']}", "", "[modalities]",
              'input = ["text"]', 'output = ["text"]', ""]
    return "\n".join(lines).encode()


def litellm_record(rng: random.Random, provider: str) -> dict[str, Any]:
    return {"max_tokens": rng.choice(OUTPUTS), "max_input_tokens": rng.choice(CONTEXTS),
            "max_output_tokens": rng.choice(OUTPUTS),
            "input_cost_per_token": rng.choice(PRICES) / 1e6,
            "output_cost_per_token": rng.choice(PRICES) / 1e6,
            "cache_read_input_token_cost": rng.choice(PRICES) / 4e6,
            "litellm_provider": provider, "mode": rng.choice(["chat"] * 8 + ["embedding"]),
            "supports_function_calling": rng.random() < 0.7, "supports_vision": rng.random() < 0.4,
            "supports_response_schema": rng.random() < 0.5,
            "supports_prompt_caching": rng.random() < 0.3, "supports_tool_choice": True,
            "source": f"https://{provider}.example.com/pricing"}


def records_history(repo: Path, commits: int, seed: int) -> None:
    rng = random.Random(seed)
    fi = FastImport(repo)
    toml: dict[str, dict[str, Any]] = {}
    for n in range(2000):
        provider = PROVIDERS[n % len(PROVIDERS)]
        model_id = f"{rng.choice(VENDORS)}/model-{n}" if n % 5 == 0 else f"model-{n}"
        toml[f"providers/{provider}/models/{model_id}.toml"] = new_toml(rng, model_id)
    lite = {"sample_spec": {"max_tokens": "LEGACY parameter", "input_cost_per_token": 0.0,
                            "litellm_provider": "one of https://docs.litellm.ai/docs/providers"}}
    for n in range(2000):
        provider = PROVIDERS[(n * 7) % len(PROVIDERS)]
        lite[f"{provider}/lm-{n}" if n % 3 else f"lm-{n}"] = litellm_record(rng, provider)
    text = {k: entry(k, v) for k, v in lite.items()}  # LiteLLM's own layout, 4-space indent
    files: dict[str, bytes | None] = {p: toml_model(m) for p, m in toml.items()}
    files.update({f"providers/{p}/provider.toml": f'name = "{p.title()}"\nenv = ["{p.upper()}'
                  f'_API_KEY"]\nnpm = "@ai-sdk/{p}"\n'.encode() for p in PROVIDERS})
    files["tracker.yaml"] = RECORDS_CONFIG.encode()
    files["model_prices_and_context_window.json"] = litellm_bytes(text)
    fi.commit("initial catalogue", files)
    for c in range(1, commits):
        if c % 3 == 0:
            for _ in range(rng.randint(1, 5)):
                edit_litellm(rng, lite, text)
            fi.commit(f"update model prices ({c})",
                      {"model_prices_and_context_window.json": litellm_bytes(text)})
        else:
            changes: dict[str, bytes | None] = {}
            for _ in range(rng.randint(1, 3)):
                changes.update(edit_toml(rng, toml, c))
            fi.commit(f"models.dev edit ({c})", changes)
    fi.close()


def new_toml(rng: random.Random, model_id: str) -> dict[str, Any]:
    return {"name": model_id.split("/")[-1].title(), "knowledge": "2024-06",
            "release": "2024-05-01", "updated": "2024-05-01", "input": rng.choice(PRICES),
            "output": rng.choice(PRICES), "context": rng.choice(CONTEXTS),
            "max_output": rng.choice(OUTPUTS)}


def edit_toml(rng: random.Random, toml: dict[str, dict[str, Any]], c: int
              ) -> dict[str, bytes | None]:
    path = rng.choice(sorted(toml)) if rng.random() < 0.02 else rng.choice(list(toml))
    model = toml[path]
    model["updated"] = f"2025-{c % 12 + 1:02d}-{c % 28 + 1:02d}"  # every edit touches it
    roll = rng.random()
    if roll < 0.3:
        pass  # last_updated only: must yield no event
    elif roll < 0.6:
        model[rng.choice(["input", "output"])] = rng.choice(PRICES)
    elif roll < 0.7:
        model["context"] = rng.choice(CONTEXTS)
    elif roll < 0.78:
        model["status"] = "deprecated"
    elif roll < 0.9:
        provider = path.split("/")[1]
        new_path = f"providers/{provider}/models/new-{c}-{rng.randint(0, 999)}.toml"
        toml[new_path] = new_toml(rng, new_path[len(f"providers/{provider}/models/"):-5])
        return {new_path: toml_model(toml[new_path])}
    elif len(toml) > 1500:
        del toml[path]
        return {path: None}
    return {path: toml_model(model)}


def edit_litellm(rng: random.Random, lite: dict[str, Any], text: dict[str, str],
                 floor: int = 1500) -> None:
    key = rng.choice(list(lite)[1:])
    rec = lite[key]
    roll = rng.random()
    if roll < 0.45:
        side = rng.choice(["input_cost_per_token", "output_cost_per_token"])
        rec[side] = rng.choice(PRICES) / 1e6
    elif roll < 0.55:
        rec["max_input_tokens"] = rng.choice(CONTEXTS)
    elif roll < 0.62:
        rec["deprecation_date"] = f"2026-0{rng.randint(1, 9)}-01"
    elif roll < 0.75:
        new_key = f"{rec['litellm_provider']}/lm-new-{rng.randint(0, 10**6)}"
        lite[new_key] = litellm_record(rng, rec["litellm_provider"])
        text[new_key] = entry(new_key, lite[new_key])
        return
    elif roll < 0.85 and len(lite) > floor:
        del lite[key], text[key]
        return
    else:
        rec["supports_vision"] = not rec["supports_vision"]  # an unmapped field: noise
    text[key] = entry(key, rec)


def entry(key: str, record: dict[str, Any]) -> str:
    """One record as it sits in the map; cached per key so a version costs one join."""
    return f"    {json.dumps(key)}: " + json.dumps(record, indent=4).replace("\n", "\n    ")


def litellm_bytes(text: dict[str, str]) -> bytes:
    return ("{\n" + ",\n".join(text.values()) + "\n}\n").encode()


MAP_CONFIG = CONFIG_HEAD + LITELLM_RECORDS
MAP_RECORDS = 1200


def map_history(repo: Path, commits: int, seed: int) -> None:
    """One LiteLLM-like JSON map that every commit edits."""
    rng = random.Random(seed)
    fi = FastImport(repo)
    lite = {"sample_spec": {"max_tokens": "LEGACY parameter", "input_cost_per_token": 0.0,
                            "litellm_provider": "one of https://docs.litellm.ai/docs/providers"}}
    for n in range(MAP_RECORDS):
        provider = PROVIDERS[(n * 7) % len(PROVIDERS)]
        lite[f"{provider}/lm-{n}" if n % 3 else f"lm-{n}"] = litellm_record(rng, provider)
    text = {k: entry(k, v) for k, v in lite.items()}
    fi.commit("initial map", {"tracker.yaml": MAP_CONFIG.encode(),
                              "model_prices_and_context_window.json": litellm_bytes(text)})
    for c in range(1, commits):
        for _ in range(rng.randint(1, 5)):
            edit_litellm(rng, lite, text, floor=MAP_RECORDS * 3 // 4)
        fi.commit(f"update model prices ({c})",
                  {"model_prices_and_context_window.json": litellm_bytes(text)})
    fi.close()


# --- site workload ------------------------------------------------------------------------------

def site_history(repo: Path, commits: int, seed: int, services: int = 200) -> None:
    """``services`` pages and half as many YAML files; each commit edits 1–4 of them, so a
    bigger site has as many changes, spread wider."""
    rng = random.Random(seed)
    fi = FastImport(repo)
    pages = {f"services/api/{slug}/_index.md": sitegen.new_page_state(rng, slug, i)
             for i, slug in enumerate(f"{PROVIDERS[i % 40]}-svc{i}" for i in range(services))}
    data = {f"data/services/{slug}.yaml": sitegen.new_data_state(rng, slug)
            for slug in (f"{PROVIDERS[i % 40]}-data{i}" for i in range(services // 2))}
    files: dict[str, bytes | None] = {p: sitegen.render_page(s).encode() for p, s in pages.items()}
    files.update({p: sitegen.render_data(s).encode() for p, s in data.items()})
    fi.commit("initial site", files)
    page_paths, data_paths = list(pages), list(data)
    for c in range(1, commits):
        changes: dict[str, bytes | None] = {}
        kinds = []
        for _ in range(rng.choice([1, 1, 1, 1, 2, 2, 3, 4])):
            if rng.random() < 0.8:
                path = rng.choice(page_paths)
                kinds.append(sitegen.edit_page(rng, pages[path]))
                changes[path] = sitegen.render_page(pages[path]).encode()
            else:
                path = rng.choice(data_paths)
                kinds.append(sitegen.edit_data(rng, data[path]))
                changes[path] = sitegen.render_data(data[path]).encode()
        fi.commit(f"{', '.join(kinds)} ({c})", changes)
    fi.close()


def generate(workload: str, commits: int, out: Path, seed: int = 5,
             services: int = 200) -> Path:
    """Build (or reuse) the repository; returns its path. ``services``: the site's pages."""
    stamp = out / ".git" / "bench-stamp"
    want = f"{VERSION} {workload} {commits} {seed}" + (f" {services}" if services != 200 else "")
    if stamp.exists() and stamp.read_text() == want:
        return out
    if out.exists():
        subprocess.run(["rm", "-rf", str(out)], check=True)
    out.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(out)], check=True)
    if workload == "site":
        site_history(out, commits, seed, services)
    else:
        {"records": records_history, "map": map_history}[workload](out, commits, seed)
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=out, check=True)
    stamp.write_text(want)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workload", choices=["site", "records", "map"], required=True)
    parser.add_argument("--commits", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--services", type=int, default=200, help="pages of the site workload")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    name = f"{args.workload}-{args.commits}" + (f"-{args.services}" if args.services != 200
                                                 else "")
    out = args.out or Path(__file__).parent / "out" / name
    print(generate(args.workload, args.commits, out, args.seed, args.services))


if __name__ == "__main__":
    main()
