"""``tracker init`` on a Hugo site: the tracker.yaml values the site needs, the feed links in
the theme's head partial (only the tracker's marked lines are rewritten), and the ledger kept out
of the published site (``ignoreFiles``) where an old layout needs it.
"""

from __future__ import annotations

import re
from html import escape
from pathlib import Path
from typing import Any

from tracker.config import Config, load_config
from tracker.errors import TrackerError
from tracker.fsutil import write_atomic
from tracker.hugo import HugoSite
from tracker.render.feeds import feed_links
from tracker.site import feed_url

FEEDS_PARTIAL = Path("layouts") / "partials" / "custom" / "head-end.html"  # Hextra's head hook
PARTIAL_BEGIN = "{{- /* tracker:feeds:begin (written by tracker init) */ -}}"
PARTIAL_END = "{{- /* tracker:feeds:end */ -}}"


def hugo_values(site: HugoSite | None) -> dict[str, Any]:
    """tracker.yaml values a Hugo site needs: with a content/ folder, feeds go to static/ (served
    at /feeds/); with the repository as the content, they stay in feeds/ and Hugo serves them
    from there."""
    if site is None:
        return {}
    if not site.content_dir:
        # the charts too stay in the repository, where Hugo serves its files (as the feeds)
        return {"charts.dir": "charts"}
    return {"feeds.dir": "static/feeds"}


def feed_partial(root: Path) -> str:
    """The feed-discovery <link rel="alternate"> tags (one per format: render/feeds.py's
    table), between markers init can find again."""
    config = load_config(root)
    lines = [PARTIAL_BEGIN]
    for kind, name in feed_links():
        lines.append(f'<link rel="alternate" type="{kind}" title="{escape(config.feeds.title)}" '
                     f'href="{escape(feed_url(config, name))}">')
    lines.append(PARTIAL_END)
    return "\n".join(lines) + "\n"


def hugo_setup(root: Path, site: HugoSite, notes: list[TrackerError]) -> list[Path]:
    """On a Hugo site: the feed links in the theme's head partial (only our marked lines are
    rewritten; the rest of the file stays), and the ledger kept out of the published site."""
    written: list[Path] = []
    if site.site_dir is None:  # only stated in tracker.yaml: the Hugo project is elsewhere
        return written
    partial = site.site_dir / FEEDS_PARTIAL
    block = feed_partial(root)
    old = partial.read_text(encoding="utf-8") if partial.exists() else ""
    if PARTIAL_BEGIN in old and PARTIAL_END in old:
        start = old.index(PARTIAL_BEGIN)
        end = old.index(PARTIAL_END) + len(PARTIAL_END)
        new = old[:start] + block.rstrip("\n") + old[end:]
    else:
        new = old + ("\n" if old and not old.endswith("\n") else "") + block
    if write_atomic(partial, new.encode("utf-8")):
        written.append(partial)
    if site.content_dir == "":
        changed = ignore_ledger(root, site, notes)
        if changed:
            written.append(changed)
    return written


def ignore_rules(config: Config) -> list[str]:
    """Hugo ignoreFiles rules keeping the ledger and tracker.yaml out of the published site."""
    return [f"(^|/){re.escape(config.history_dir.strip('/'))}/", r"(^|/)tracker\.yaml$"]


def ignore_ledger(root: Path, site: HugoSite, notes: list[TrackerError]) -> Path | None:
    """Add the ``ignoreFiles`` rules to a YAML or TOML Hugo configuration that has none, where a
    top-level key can be added without touching anything else; otherwise say what to add."""
    rules = ignore_rules(load_config(root))
    path = root / site.config_path
    quoted = ", ".join("'" + r + "'" for r in rules)
    hint = f"add  ignoreFiles: [{quoted}]  to {site.config_path}"
    text = path.read_text(encoding="utf-8") if path.is_file() else None
    if text is not None and all(rule in text for rule in rules):
        return None  # there already (an earlier init wrote them)
    if text is None or "ignorefiles" in text.lower():
        # .tracker/ is never published; the rules keep an old layout's files out as well
        notes.append(TrackerError("could not add ignoreFiles rules for an old layout's "
                                  "history/ and tracker.yaml to the Hugo configuration",
                                  hint=hint))
        return None
    eol = "" if text.endswith("\n") or not text else "\n"
    if path.suffix in (".yaml", ".yml") and not text.lstrip().startswith(("{", "---\n{")):
        new = text + eol + "# written by tracker init: keep the ledger out of the site\n" \
            f"ignoreFiles: [{quoted}]\n"
    elif path.suffix == ".toml":
        toml_rules = ", ".join("'" + r + "'" for r in rules)  # literal strings: no escapes
        line = f"ignoreFiles = [{toml_rules}]  # written by tracker init\n"
        lines = text.splitlines(keepends=True)
        first_table = next((i for i, ln in enumerate(lines) if ln.lstrip().startswith("[")),
                           len(lines))
        new = "".join(lines[:first_table]) + (eol if first_table == len(lines) else "") + line \
            + "".join(lines[first_table:])
    else:
        notes.append(TrackerError("could not add ignoreFiles rules for an old layout's "
                                  "history/ and tracker.yaml to the Hugo configuration",
                                  hint=hint))
        return None
    write_atomic(path, new.encode("utf-8"))
    return path
