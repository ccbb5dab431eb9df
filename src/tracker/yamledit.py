"""Adding keys to a tracker.yaml a maintainer has edited, without touching any other byte.

``tracker init`` run again on an adopted repository (to record the Hugo values, or after an
upgrade) must keep every value, comment and blank line the maintainer wrote: it only inserts
the lines of keys the file does not have, in block style, and checks by reading the result
back that exactly those keys were added and nothing else changed. What it cannot add that way
(a section written in flow style) is returned for the caller to say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

# init's commented suggestion: '# hugo:' then rows '#   …'; replaced when the block is added
_COMMENTED_SECTION = r"^# {name}:\n(?:#   .*\n)*"


@dataclass
class Merged:
    text: str
    added: list[str] = field(default_factory=list)  # dotted keys
    kept: list[tuple[str, Any, Any]] = field(default_factory=list)  # (key, theirs, ours)
    not_added: list[str] = field(default_factory=list)  # "key: value" to add by hand


def flow(value: Any) -> str:
    """``value`` as one line of YAML (flow style)."""
    text = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=1000)
    return text.rstrip("\n").removesuffix("\n...").strip()


def _same(theirs: Any, ours: Any) -> bool:
    if isinstance(theirs, dict) and isinstance(ours, list):  # Hugo's languages mapping
        return [str(k) for k in theirs] == ours
    if isinstance(theirs, str) and isinstance(ours, str):
        return theirs.rstrip("/") == ours.rstrip("/")
    return bool(theirs == ours)


def add_missing(text: str, values: dict[str, Any]) -> Merged:
    """Insert the keys of ``values`` (``name`` or ``section.name``) that ``text`` lacks."""
    data = yaml.safe_load(text) if text.strip() else {}
    data = data if isinstance(data, dict) else {}
    merged = Merged(text)
    sections: dict[str, dict[str, Any]] = {}
    for dotted, value in values.items():
        section, _, name = dotted.rpartition(".")
        where = data.get(section) if section else data
        if section and where is not None and not isinstance(where, dict):
            merged.not_added.append(f"{dotted}: {flow(value)}")
            continue
        if isinstance(where, dict) and name in where:
            if not _same(where[name], value):
                merged.kept.append((dotted, where[name], value))
            continue
        sections.setdefault(section, {})[name] = value
    for section, rows in sections.items():
        if not section:
            rows_text = "".join(f"{k}: {flow(v)}\n" for k, v in rows.items())
            merged.text = _append(merged.text, rows_text)
        else:
            new = _insert(merged.text, section, rows, section in data)
            if new is None:
                merged.not_added += [f"{section}.{k}: {flow(v)}" for k, v in rows.items()]
                continue
            merged.text = new
        merged.added += [f"{section}.{k}" if section else k for k in rows]
    if merged.added and not _only_added(data, merged, values):
        return Merged(text, [], merged.kept, merged.not_added + [
            f"{key}: {flow(values[key])}" for key in merged.added])
    return merged


def _append(text: str, lines: str) -> str:
    return text + ("" if not text or text.endswith("\n") else "\n") + lines


def _insert(text: str, section: str, rows: dict[str, Any], present: bool) -> str | None:
    if not present:
        block = f"{section}:\n" + "".join(f"  {k}: {flow(v)}\n" for k, v in rows.items())
        commented = re.search(_COMMENTED_SECTION.format(name=re.escape(section)), text, re.M)
        if commented:  # init's commented-out suggestion becomes the block itself
            return text[:commented.start()] + block + text[commented.end():]
        return _append(text, "\n" + block)
    lines = text.splitlines(keepends=True)
    head = re.compile(rf"^{re.escape(section)}:\s*(#.*)?$")
    starts = [i for i, line in enumerate(lines) if head.match(line.rstrip("\r\n"))]
    if len(starts) != 1:
        return None  # flow style, or something this editor does not understand
    start = starts[0]
    last, indent = start, "  "
    for i in range(start + 1, len(lines)):
        line = lines[i]
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            break
        if last == start:
            indent = line[:len(line) - len(line.lstrip())]
        last = i
    eol = "\r\n" if lines[start].endswith("\r\n") else "\n"
    if not lines[last].endswith(("\n", "\r")):
        lines[last] += eol
    added = [f"{indent}{k}: {flow(v)}{eol}" for k, v in rows.items()]
    return "".join(lines[:last + 1] + added + lines[last + 1:])


def _only_added(before: dict[str, Any], merged: Merged, values: dict[str, Any]) -> bool:
    """Read back: every key the file had is unchanged, and the added ones hold their values."""
    try:
        after = yaml.safe_load(merged.text)
    except yaml.YAMLError:
        return False
    if not isinstance(after, dict):
        return False
    for key, value in before.items():
        if isinstance(value, dict):
            if not isinstance(after.get(key), dict) \
                    or any(after[key].get(k) != v for k, v in value.items()):
                return False
        elif after.get(key) != value and not (value is None and isinstance(after.get(key), dict)):
            return False
    for dotted in merged.added:
        section, _, name = dotted.rpartition(".")
        where = after.get(section) if section else after
        if not isinstance(where, dict) or where.get(name) != values[dotted]:
            return False
    return True
