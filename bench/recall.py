"""Recall of record events on a real catalogue history, against an independent diff.

Usage: python bench/recall.py models-dev|genai-prices CHECKOUT

Puts examples/configs/<catalogue>.yaml in CHECKOUT as tracker.yaml (unless one is there), runs
`tracker update --no-render` and `tracker log --format json`, then walks the first-parent history
itself — its own `git log --raw --no-renames`, blobs read with tomllib / yaml, each file's last
good parse kept; a symlinked model file reads as its target, a link to a link followed up to 8
links in a row, taken with `git show commit:target` whenever a link or a path on its chain
changes (which links pass through which path is recomputed from all links whenever one moves) —
and prints recall and precision of price changes where
both sides are plain numbers (float noise such as 0.39999999999999997 → 0.4 is no change), recall
of added models, and the price/limit/model events on commits where the independent diff saw no
such change.
"""

from __future__ import annotations

import json
import posixpath
import re
import shutil
import subprocess
import sys
import tomllib
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

PROJECT = Path(__file__).resolve().parent.parent
TOML_SIDES = {"input": "input_price", "output": "output_price", "cache_read": "cache_read_price",
              "cache_write": "cache_write_price"}
YAML_SIDES = {"input_mtok": "input_price", "output_mtok": "output_price",
              "cache_read_mtok": "cache_read_price", "cache_write_mtok": "cache_write_price"}
FACT_KINDS = {"price_increase", "price_decrease", "price_added", "price_removed",
              "context_changed", "output_changed", "model_added", "model_removed",
              "model_deprecated"}


class Blobs:
    def __init__(self, repo: Path) -> None:
        self.proc = subprocess.Popen(["git", "-C", str(repo), "cat-file", "--batch"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def read(self, sha: str) -> bytes:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(sha.encode() + b"\n")
        self.proc.stdin.flush()
        size = int(self.proc.stdout.readline().split()[2])
        data = self.proc.stdout.read(size)
        self.proc.stdout.read(1)
        return data


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def differ(a: float, b: float) -> bool:
    return abs(a - b) > 1e-9 * max(abs(a), abs(b))


def changes(repo: Path) -> list[tuple[str, list[tuple[str, str, str, str]]]]:
    """(commit, [(new blob, status, path, new mode)]) along the first-parent line, oldest
    first."""
    out = subprocess.run(["git", "-C", str(repo), "log", "-z", "--raw", "--no-abbrev",
                          "--no-renames", "--first-parent", "--diff-merges=first-parent",
                          "--reverse", "--format=%x01%H"], capture_output=True,
                         check=True).stdout.decode()
    commits = []
    for chunk in out.split("\x01")[1:]:
        parts = [p for p in chunk.split("\x00")]
        sha, items = parts[0].strip(), [p for p in parts[1:] if p]
        found, i = [], 0
        while i < len(items):
            meta = items[i].lstrip("\n")
            if meta.startswith(":"):
                fields = meta.split()
                found.append((fields[3], fields[4], items[i + 1], fields[1]))
                i += 2
            else:
                i += 1
        commits.append((sha, found))
    return commits


def truth(catalogue: str, repo: Path,
          ) -> tuple[set[Any], set[Any], dict[str, set[str]], int, int]:
    blobs = Blobs(repo)
    model_file = re.compile(r"^providers/([^/]+)/models/(.+)\.toml$" if catalogue == "models-dev"
                            else r"^prices/providers/([^/.][^/]*)\.yml$")
    provider_file = re.compile(r"^providers/([^/]+)/provider\.toml$")
    prices: set[Any] = set()
    added: set[Any] = set()
    touched: dict[str, set[str]] = defaultdict(set)
    live: dict[str, Any] = {}
    files_of: dict[str, set[str]] = defaultdict(set)
    history = changes(repo)

    def parse(sha: str) -> Any:
        try:
            raw = blobs.read(sha)
            return tomllib.loads(raw.decode()) if catalogue == "models-dev" else \
                yaml.safe_load(raw)
        except Exception:
            return None

    def show(commit: str, path: str) -> Any:
        done = subprocess.run(["git", "-C", str(repo), "show", f"{commit}:{path}"],
                              capture_output=True, check=False)
        try:
            return tomllib.loads(done.stdout.decode()) if done.returncode == 0 else None
        except Exception:
            return None  # a folder's listing: nothing to read

    def found_file(commit: str, blob: str | None, status: str, path: str,
                   content: Any = None) -> None:
        if catalogue == "models-dev":
            matched = model_file.match(path) or provider_file.match(path)
            if not matched:
                return
            service = matched.group(1)
            if status == "D":
                live.pop(path, None)
                files_of[service].discard(path)
                touched[commit].add(service)
                return
            data = parse(blob) if blob else content
            if data is None:
                return
            old, live[path] = live.get(path), data
            files_of[service].add(path)
            if not model_file.match(path):
                return
            model = matched.group(2)
            if old is None:
                added.add((commit, service, model))
                touched[commit].add(service)
                return
            old_cost, new_cost = old.get("cost") or {}, data.get("cost") or {}
            for side, field in TOML_SIDES.items():
                a, b = old_cost.get(side), new_cost.get(side)
                if is_number(a) and is_number(b) and differ(a, b):
                    prices.add((commit, service, model, field))
            old_limit, new_limit = old.get("limit") or {}, data.get("limit") or {}
            if old_cost != new_cost or old.get("status") != data.get("status") or any(
                    old_limit.get(k) != new_limit.get(k) for k in ("context", "output")):
                touched[commit].add(service)
        else:
            if not model_file.match(path):
                return
            if status == "D":
                gone = live.pop(path, None)
                if gone:
                    touched[commit].add(gone[0])
                return
            data = parse(blob)
            if not isinstance(data, dict):
                return
            models: dict[str, Any] = {}
            for record in data.get("models") or []:
                if isinstance(record, dict) and isinstance(record.get("id"), str):
                    models.setdefault(record["id"], record)
            service = str(data.get("id"))
            old, live[path] = live.get(path), (service, models)
            if old is None or old[1] != models:
                touched[commit].add(service)
            if old is None or old[0] != service:
                added.update((commit, service, m) for m in models)
                return
            for model, record in models.items():
                before = old[1].get(model)
                if before is None:
                    added.add((commit, service, model))
                    continue
                a_prices, b_prices = before.get("prices"), record.get("prices")
                if isinstance(a_prices, dict) and isinstance(b_prices, dict):
                    for side, field in YAML_SIDES.items():
                        a, b = a_prices.get(side), b_prices.get(side)
                        if is_number(a) and is_number(b) and differ(a, b):
                            prices.add((commit, service, model, field))

    link_target: dict[str, str] = {}  # every symlink → the path it points to (one link)

    def wanted(path: str) -> bool:
        return bool(model_file.match(path) or provider_file.match(path))

    def chain(link: str) -> tuple[list[str], str | None]:
        """The paths ``link`` passes through (itself first) and the path it reads as: None
        when it leaves the repository or runs through more than 8 links (as a loop does)."""
        path, passed = link, [link]
        for _ in range(8):
            path = link_target[path]
            passed.append(path)
            if path in (".", "..") or path.startswith(("../", "/")):
                return passed, None
            if path not in link_target:
                return passed, path
        return passed, None

    def passing() -> dict[str, set[str]]:
        """path → the wanted links whose chain passes through it."""
        found: dict[str, set[str]] = defaultdict(set)
        for link in link_target:
            if wanted(link):
                for path in chain(link)[0]:
                    found[path].add(link)
        return found

    passes = passing()
    chained = 0  # links read through another link
    for commit, found in history:
        relink: set[str] = set()
        moved = False  # a link added, retargeted or gone: chains are computed again
        for blob, status, path, mode in found:
            if catalogue == "models-dev":
                relink |= passes.get(path, set())
                if mode == "120000":
                    text = blobs.read(blob).decode()
                    link_target[path] = posixpath.normpath(
                        posixpath.join(posixpath.dirname(path), text))
                    moved = True
                    if wanted(path):
                        relink.add(path)
                    continue
                if link_target.pop(path, None) is not None:
                    moved = True
                    relink.discard(path)
            found_file(commit, blob, status, path)
        if moved:
            passes = passing()
            relink |= {link for _blob, _status, path, _mode in found
                       for link in passes.get(path, ())}
        for link in sorted(relink):
            if link in link_target:
                passed, final = chain(link)
                chained += len(passed) > 2
                found_file(commit, None, "M", link, show(commit, final) if final else None)
    return prices, added, touched, len(history), chained



def main() -> None:
    catalogue, repo = sys.argv[1], Path(sys.argv[2]).resolve()
    if not (repo / "tracker.yaml").exists():
        shutil.copy(PROJECT / "examples" / "configs" / f"{catalogue}.yaml", repo / "tracker.yaml")
    tracker = str(Path(sys.executable).parent / "tracker")
    subprocess.run([tracker, "update", "--no-render", "--quiet", "--repo", str(repo)], check=True)
    log = subprocess.run([tracker, "log", "--format", "json", "--repo", str(repo)],
                         capture_output=True, check=True, text=True).stdout
    events = [json.loads(line) for line in log.splitlines() if line.strip()]
    want_prices, want_added, touched, commits, chained = truth(catalogue, repo)
    got_prices = {(e["commit"], e["service"], e["model"], e["field"]) for e in events
                  if e["kind"] in ("price_increase", "price_decrease") and not e.get("tier")}
    got_added = {(e["commit"], e["service"], e["model"]) for e in events
                 if e["kind"] == "model_added"}
    for e in events:
        if e["kind"] == "service_added":
            got_added |= {(e["commit"], e["service"], m) for m in (e["new"] or {}).get("models")
                          or {}}
    renamed = {(e["commit"], e["new"]) for e in events if e["kind"] == "service_renamed"}
    moved = {a for a in want_added if (a[0], a[1]) in renamed}  # told as service_renamed
    want_added -= moved
    found_prices, found_added = want_prices & got_prices, want_added & got_added
    quiet = [e for e in events if e["kind"] in FACT_KINDS
             and e["service"] not in touched.get(e["commit"], ())]
    print(f"{catalogue}: {commits} first-parent commits, {len(events)} events")
    print(f"price changes, both sides numbers: {len(found_prices)}/{len(want_prices)} found, "
          f"recall {len(found_prices) / max(1, len(want_prices)):.4f}; precision "
          f"{len(found_prices) / max(1, len(got_prices)):.4f} of {len(got_prices)} untiered "
          "price events (the rest have a tiered or conditional side)")
    print(f"added models: {len(found_added)}/{len(want_added)} found, recall "
          f"{len(found_added) / max(1, len(want_added)):.4f} ({len(moved)} more came with a "
          "renamed service)")
    print(f"price/limit/model events where the independent diff saw no such change: {len(quiet)}")
    print(f"links the independent diff read through another link: {chained}")
    for e in quiet[:10]:
        print("   ", e["commit"][:10], e["service"], e["model"], e["kind"], e["field"])
    for miss in sorted(want_prices - got_prices)[:10]:
        print("  missed price change", miss)
    for miss in sorted(want_added - got_added)[:10]:
        print("  missed added model", miss)


if __name__ == "__main__":
    main()
