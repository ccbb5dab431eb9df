"""A public catalogue's git history (models.dev, LiteLLM, any ``records:`` tree) → what it states
at its HEAD, and since which commit: the input ``tracker drift`` dates its findings with.

This module owns walking a catalogue for drift: the same record walker ``tracker update`` uses
(tracker.walk.snapshots over tracker.sources.records), stepped commit by commit, noting after each
commit which models of which services appeared, went, or changed a fact. The walk is kept in the
*site's* cache (``.git/tracker-cache/drift-<name>.pickle``, keyed by the record settings and the
tracker's code): a second run at the same catalogue HEAD reads it back, and a run after the
catalogue moved on walks only the new commits.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracker import cache
from tracker.config import Config, DriftSource, config_file
from tracker.errors import TrackerError
from tracker.model import Model
from tracker.sources import Sources
from tracker.walk.git import Commit, History

if TYPE_CHECKING:
    from tracker.walk.snapshots import Snapshots

# The facts of a model whose changes are dated: what a page can state, and the deprecation.
DATED_FIELDS = ("context", "max_output", "input_price", "output_price", "cache_read_price",
                "cache_write_price", "currency", "deprecated", "shutdown_date")


@dataclass(frozen=True)
class Since:
    """The catalogue commit that made a difference: its author date (ISO 8601) and sha."""

    date: str
    commit: str


@dataclass
class CatalogueState:
    """A catalogue at its HEAD, with the dates of what it states."""

    name: str
    head: str
    models: dict[str, dict[str, Model]] = field(default_factory=dict)  # service → id → model
    listed: dict[tuple[str, str], Since] = field(default_factory=dict)  # present: since when
    removed: dict[tuple[str, str], Since] = field(default_factory=dict)  # was listed, is not
    values: dict[tuple[str, str, str], Since] = field(default_factory=dict)  # current value's
    # files whose version at HEAD does not read: their last good version is compared instead
    unreadable: list[str] = field(default_factory=list)

    def service_known(self, service: str) -> bool:
        """Whether the catalogue lists, or ever listed, a model of ``service``."""
        return service in self.models or any(s == service for s, _ in self.removed)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "catalogue"


def _settings_key(source: DriftSource) -> str:
    """What the walk depends on besides the commits: the record settings (not the site's maps,
    which only the comparison reads)."""
    settings = repr(sorted((k, repr(v)) for k, v in vars(source).items()
                           if k not in ("path", "services", "models", "only")))
    return hashlib.sha1(settings.encode("utf-8")).hexdigest()


def checkout_of(root: Path, source: DriftSource) -> Path:
    """The catalogue's checkout, relative to the site's repository unless absolute."""
    where = Path(source.path).expanduser()
    where = where if where.is_absolute() else Path(root) / where
    if not where.is_dir():
        raise TrackerError(f"the checkout of {source.name or source.path} is not there: "
                           f"{os.path.normpath(where)}",  # no ../ detour from the repository
                           path=config_file(root), hint=f"clone the catalogue to {source.path}, "
                                                     "or fix drift[].path")
    return where


class _Walk:
    """The walk in progress: the record walker's facts, and the dates noted so far."""

    def __init__(self, snapshots: Snapshots, state: CatalogueState) -> None:
        self.snapshots, self.state = snapshots, state
        self.seen: dict[str, Any] = dict(snapshots.services)  # service → Service object seen

    def note(self, commit: Commit) -> None:
        """After ``commit``: a service the walker re-assembled is a new object; compare its
        models with the last ones seen and date what differs."""
        services = self.snapshots.services
        for sid in [s for s in services.keys() | self.seen.keys()
                    if services.get(s) is not self.seen.get(s)]:
            after = services.get(sid)
            before = self.seen.get(sid)
            old = before.models if before is not None else {}
            new = after.models if after is not None else {}
            since = Since(commit.date, commit.sha)
            for mid in old.keys() | new.keys():
                was, now = old.get(mid), new.get(mid)
                if was == now:
                    continue
                key = (sid, mid)
                if now is None:
                    self.state.listed.pop(key, None)
                    self.state.removed[key] = since
                    continue
                if was is None:
                    self.state.removed.pop(key, None)
                    self.state.listed[key] = since
                for name in DATED_FIELDS:
                    if was is None or getattr(was, name) != getattr(now, name):
                        self.state.values[(sid, mid, name)] = since
            if after is None:
                self.seen.pop(sid, None)
            else:
                self.seen[sid] = after


def walk_catalogue(root: Path, source: DriftSource,
                   progress: Any = None) -> CatalogueState:
    """The catalogue ``source`` names at its checkout's HEAD, every fact dated by its history.

    ``root`` is the site's repository: its ``.git/tracker-cache`` keeps the walk."""
    from tracker.walk.snapshots import Snapshots  # with the parsers: only when drift runs

    checkout = checkout_of(root, source)
    history = History(checkout)
    head = history.head()
    name = source.name or source.path
    if head is None:
        raise TrackerError(f"the checkout of {name} has no commits: {checkout}",
                           hint="clone the catalogue with its history")
    if history.is_shallow():
        raise TrackerError(f"the checkout of {name} is shallow, so its findings cannot be dated",
                           path=str(checkout), hint="git fetch --unshallow there (in GitHub "
                                                    "Actions: fetch-depth: 0)")
    folder = cache.cache_dir(root)
    saved = folder / f"drift-{_slug(name)}.pickle" if folder else None
    key = (_settings_key(source),)
    snapshots = Snapshots(history, Sources(Config(pages=[], data=[], records=[source])))
    kept = cache.load(saved, key) if saved else None
    since: str | None = None
    if isinstance(kept, dict) and set(kept) == {"state", "walker"}:
        previous: CatalogueState = kept["state"]
        if previous.head == head:
            return previous
        if history.exists(previous.head) and history.is_ancestor(previous.head, head):
            for attr in Snapshots.STATE:
                setattr(snapshots, attr, kept["walker"][attr])
            state, since = previous, previous.head
    if since is None:
        state = CatalogueState(name=name, head=head)
    walk = _Walk(snapshots, state)
    commits = list(history.commits(since, head))

    def step(done: int, total: int) -> None:  # called by the walker after each commit
        walk.note(commits[done - 1])
        if progress:
            progress(done, total)

    snapshots.run(commits, step)
    state.head = head
    state.unreadable = sorted(snapshots.stale)
    state.models = {sid: dict(service.models) for sid, service in snapshots.services.items()
                    if service.models}
    if saved:
        cache.save(saved, key, {"state": state,
                                "walker": {a: getattr(snapshots, a) for a in Snapshots.STATE}})
    return state
