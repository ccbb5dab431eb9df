"""``history/facts.jsonl``: the facts in force at the last walked commit, committed beside the
ledger so that a fresh clone — every CI run starts from one — walks its new commits without
first parsing the whole tree at that commit (on a 300-file site that parse is most of the run).

One JSON object per line, deterministic and diff-friendly. The first line says what the facts
are valid for — the commit, a digest of tracker.yaml, a digest of the tracker code that parsed
them (``tracker.cache.code_digest``: facts read by another release are never diffed against
this one's) — and holds a digest of the lines that follow. Each further line, sorted by path,
is one file: the blob in force, the last good blob when the newest version does not wholly
parse and since which commit it is stale, its source kind, notes and the services it states.
A file written for another key, or one that does not read back, is ignored and the tree is
parsed as before: the file only ever saves time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from tracker.model import Model, SectionProblem, Service, TrialCredits
from tracker.plainjson import NotJson, plain_json
from tracker.sources import Parsed
from tracker.walk.symlinks import LinkTable

FILE = "facts.jsonl"
FORMAT = 1
_SERVICE_FIELDS = tuple((f.name, f.default, f.default_factory) for f in fields(Service))


def _stated(record: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """The fields of a Model / TrialCredits that are not None (their default)."""
    return {n: plain_json(v) for n in names if (v := getattr(record, n)) is not None}


_MODEL_NAMES = tuple(f.name for f in fields(Model))
_CREDIT_NAMES = tuple(f.name for f in fields(TrialCredits))
_PROBLEM_NAMES = tuple(f.name for f in fields(SectionProblem))


def _service(service: Service) -> dict[str, Any]:
    """Every field that differs from its default, so that ``_read_service`` gives back an equal
    Service (``Service.to_dict`` prunes and sorts: not the same Service back)."""
    out: dict[str, Any] = {}
    for name, default, factory in _SERVICE_FIELDS:
        value = getattr(service, name)
        if name == "models":
            if type(value) is not dict or not all(type(k) is str and type(m) is Model
                                                  for k, m in value.items()):
                raise NotJson
            out[name] = {k: _stated(m, _MODEL_NAMES) for k, m in value.items()}
        elif name == "trial_credits" and value is not None:
            if type(value) is not TrialCredits:
                raise NotJson
            out[name] = _stated(value, _CREDIT_NAMES)
        elif name == "problems" and value:
            if type(value) is not list or not all(type(p) is SectionProblem for p in value):
                raise NotJson
            out[name] = [_stated(p, _PROBLEM_NAMES) for p in value]
        elif value != (factory() if callable(factory) else default):
            out[name] = plain_json(value)
    if not out["models"]:
        del out["models"]
    return out


def _read_service(data: dict[str, Any]) -> Service:
    values = dict(data)
    values["models"] = {k: Model(**v) for k, v in (data.get("models") or {}).items()}
    if "trial_credits" in data:
        values["trial_credits"] = TrialCredits(**data["trial_credits"])
    if "problems" in data:
        values["problems"] = [SectionProblem(**p) for p in data["problems"]]
    return Service(**values)


Files = dict[str, Parsed]
Shas = dict[str, str]


@dataclass(frozen=True)
class Line:
    """One file's line as ``decode`` read it, and what it read from it: written again as it
    is while the file's facts are these very objects (a Parsed is never changed once read:
    the walk's parse cache shares them too) with the same blobs, since ``encode`` of what a
    line decodes to is that line (tests/test_checkpoint.py) — so a push writes the facts file
    without encoding again the hundreds of files it did not touch."""

    parsed: Parsed
    blob: str
    broken: str | None
    stale: str | None
    text: str  # with its newline


def encode(key: tuple[str, ...], files: Files, blobs: Shas, broken: Shas, stale: Shas,
           links: LinkTable, known: Mapping[str, Line] | None = None) -> bytes:
    """The facts file for ``key`` (code digest, commit, configuration digest): ``files`` in
    force, their ``blobs``, the last good blob of ``broken`` ones, the commit since which
    ``stale`` ones keep last good facts, and the symlinks of the tree (after the files, one a
    line); ``known``: the lines ``decode`` read, kept where they still hold (see Line). NotJson
    when some fact would not read back as it is."""
    if blobs.keys() != files.keys() or not broken.keys() <= files.keys() \
            or not stale.keys() <= files.keys():
        raise NotJson
    lines = []
    for path in sorted(files):
        parsed = files[path]
        kept = known.get(path) if known else None
        if kept is not None and kept.parsed is parsed and kept.blob == blobs[path] \
                and kept.broken == broken.get(path) and kept.stale == stale.get(path):
            lines.append(kept.text)
            continue
        line: dict[str, Any] = {"path": path, "blob": blobs[path], "kind": parsed.kind}
        if path in broken:
            line["broken"] = broken[path]
        if path in stale:
            line["stale"] = stale[path]
        if parsed.notes:
            if type(parsed.notes) is not tuple or not all(type(n) is str for n in parsed.notes):
                raise NotJson
            line["notes"] = list(parsed.notes)
        line["services"] = [_service(s) for s in parsed.services]
        lines.append(json.dumps(line, ensure_ascii=False, allow_nan=False) + "\n")
    for link in sorted(links.blobs):
        entry = {"symlink": link, "blob": links.blobs[link]}
        if link in links.targets:
            entry["target"] = links.targets[link]
        lines.append(json.dumps(entry, ensure_ascii=False) + "\n")
    try:
        body = "".join(lines).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (a path that was not UTF-8): not kept
        raise NotJson from None
    return _head(key, body) + body


def _head(key: tuple[str, ...], body: bytes) -> bytes:
    """The first line: what the facts are valid for, and a digest of the lines that follow
    (a cut or hand-edited file is not used)."""
    head = {"format": FORMAT, "key": list(key), "sha1": hashlib.sha1(body).hexdigest()}
    return (json.dumps(head) + "\n").encode("utf-8")


def decode(data: bytes, key: tuple[str, ...]
           ) -> tuple[Files, Shas, Shas, Shas, LinkTable, dict[str, Line]] | None:
    """The files, blobs, broken and stale files and the symlinks that ``encode`` wrote for
    ``key``, and each file's Line; None when the file was written for another key or does not
    read back."""
    head, _, body = data.partition(b"\n")
    if head + b"\n" != _head(key, body):
        return None
    try:
        lines = body.decode("utf-8").split("\n")
        files: Files = {}
        blobs: Shas = {}
        broken: Shas = {}
        stale: Shas = {}
        links = LinkTable()
        read: dict[str, Line] = {}
        for text in lines:
            if not text:
                continue
            line = json.loads(text)
            if "symlink" in line:
                links.blobs[line["symlink"]] = line["blob"]
                if "target" in line:
                    links.targets[line["symlink"]] = line["target"]
                    links.links_to.setdefault(line["target"], set()).add(line["symlink"])
                continue
            path = line["path"]
            files[path] = Parsed(line["kind"],
                                 tuple(_read_service(s) for s in line["services"]),
                                 tuple(line.get("notes", ())))
            blobs[path] = line["blob"]
            if "broken" in line:
                broken[path] = line["broken"]
            if "stale" in line:
                stale[path] = line["stale"]
            read[path] = Line(files[path], blobs[path], broken.get(path), stale.get(path),
                              text + "\n")
        return files, blobs, broken, stale, links, read
    except (ValueError, TypeError, KeyError, AttributeError, IndexError):
        return None
