"""The whole job, stage after stage: walk new commits → snapshots → changes → events → ledger,
then render every output from the ledger. The CLI and the demo call these functions.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracker import __version__
from tracker.classify import CommitInfo, ServiceRef, classify, make_event
from tracker.config import CONFIG_FILE, Config, load_config
from tracker.diff import diff_facts
from tracker.errors import ParseError, TrackerError
from tracker.fsutil import remove_stale_temporaries, write_atomic
from tracker.ledger import Ledger, State
from tracker.model import Event, ParseWarning, Service
from tracker.sources import Parsed, Sources, glob_regex
from tracker.walk import Commit, History, head_of

Progress = Callable[[int, int], None]
LOCK_TIMEOUT = 120  # seconds a second run waits for the first before giving up


@dataclass
class UpdateResult:
    commits_walked: int = 0
    new_events: list[Event] = field(default_factory=list)
    warnings: list[ParseWarning] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    skipped: list[TrackerError] = field(default_factory=list)  # pages left as they were


class Walker:
    """The facts in force while walking: the last good parse of every file, assembled per
    service. Each version of each file is parsed once; a small cache catches reverts."""

    CACHE_SIZE = 512

    def __init__(self, history: History, sources: Sources) -> None:
        self.history, self.sources = history, sources
        self.files: dict[str, Parsed] = {}
        self.blobs: dict[str, str] = {}  # path → blob of the version in force
        self.broken: dict[str, str] = {}  # path → last good blob, while the newest fails
        self.paths_of: dict[str, set[str]] = {}  # service id → paths that state it
        self.services: dict[str, Service] = {}
        self.facts: dict[str, dict[str, Any]] = {}
        self._cache: OrderedDict[tuple[str, str], Parsed] = OrderedDict()
        self.read: Callable[[str], bytes] = history.read  # a BlobStream's, while walking
        self.visited: set[str] = set()  # every service whose files a walked commit changed

    # -- files ------------------------------------------------------------------------------

    def _parse(self, path: str, blob: str, raw: bytes) -> Parsed:
        key = (path, blob)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        parsed = self.sources.parse(path, raw)
        self._cache[key] = parsed
        if len(self._cache) > self.CACHE_SIZE:
            self._cache.popitem(last=False)
        return parsed

    def _put(self, path: str, blob: str, parsed: Parsed) -> set[str]:
        # Only services whose part in this file changed are touched: a LiteLLM version states
        # ~40 services but changes one or two; re-assembling and diffing the rest is waste.
        old = self.files.get(path)
        before = {s.id: s for s in old.services} if old is not None else {}
        self._drop(path)
        self.files[path], self.blobs[path] = parsed, blob
        touched = set(before) - {s.id for s in parsed.services}
        for service in parsed.services:
            self.paths_of.setdefault(service.id, set()).add(path)
            if before.get(service.id) != service:
                touched.add(service.id)
        return touched

    def _drop(self, path: str) -> set[str]:
        parsed = self.files.pop(path, None)
        self.blobs.pop(path, None)
        self.broken.pop(path, None)
        if parsed is None:
            return set()
        for service in parsed.services:
            self.paths_of.get(service.id, set()).discard(path)
        return {s.id for s in parsed.services}

    def _assemble(self, service_id: str) -> Service | None:
        paths = sorted(self.paths_of.get(service_id) or ())
        if not paths:
            self.paths_of.pop(service_id, None)
            return None
        parts = [(self.files[p].kind, s) for p in paths for s in self.files[p].services
                 if s.id == service_id]
        return self.sources.assemble(parts)

    def _refresh(self, service_id: str) -> tuple[Service | None, dict[str, Any] | None]:
        service = self._assemble(service_id)
        if service is None:
            self.services.pop(service_id, None)
            self.facts.pop(service_id, None)
            return None, None
        self.services[service_id], self.facts[service_id] = service, service.facts()
        return service, self.facts[service_id]

    # -- loading and stepping ---------------------------------------------------------------

    STATE = ("files", "blobs", "broken", "paths_of", "services", "facts")

    def save(self, path: Path, key: tuple[str, ...]) -> None:
        """Keep the facts in force (for ``key``: a commit and what parsed it) so that the next
        incremental run need not parse the whole tree again. Only a cache: never needed."""
        data = (key, {name: getattr(self, name) for name in self.STATE})
        try:
            write_atomic(path, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError:
            pass

    def restore(self, path: Path, key: tuple[str, ...]) -> bool:
        """Take the facts saved for ``key``; False when there are none."""
        try:
            with open(path, "rb") as handle:
                saved_key, state = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError,
                AttributeError, ImportError):
            return False
        if saved_key != key:
            return False
        for name in self.STATE:
            setattr(self, name, state[name])
        return True

    def load(self, rev: str, last_good: dict[str, str]) -> list[ParseWarning]:
        """The facts at ``rev``, without events: where an incremental walk starts. Returns the
        files that did not parse (and stay out)."""
        warnings = []
        wanted = [(path, blob, last_good.get(path, blob))
                  for path, blob in sorted(self.history.tree(rev).items())
                  if self.sources.kind_of(path)]
        stream = self.history.stream([good for _path, _blob, good in wanted])
        try:
            for path, blob, good in wanted:
                try:
                    self._put(path, good, self._parse(path, good, stream.read(good)))
                except ParseError as error:
                    warnings.append(ParseWarning(path=path, line=error.line,
                                                 reason=error.message, commit=rev))
                    continue
                if good != blob:
                    self.broken[path] = good
        finally:
            stream.close()
        for service_id in sorted(self.paths_of):
            self._refresh(service_id)
        return warnings

    def step(self, commit: Commit) -> tuple[list[Event], list[ParseWarning]]:
        touched: set[str] = set()
        renamed: dict[str, str] = {}
        warnings: list[ParseWarning] = []
        for change in commit.changes:
            wanted = self.sources.kind_of(change.path)
            # read now, in the order walk() announced: the stream serves blobs in that order
            raw = self.read(change.blob) if wanted and change.blob else b""
            if change.old_path and self.sources.kind_of(change.old_path):
                before = {s.id for s in self.files[change.old_path].services} \
                    if change.old_path in self.files else set()
                kept = self.files.get(change.old_path)
                touched |= self._drop(change.old_path)
                if wanted and kept is not None:
                    self.files[change.path] = kept  # in force until the new version parses
                    self.blobs[change.path] = ""
                    for service in kept.services:
                        self.paths_of.setdefault(service.id, set()).add(change.path)
                after = self._load_change(commit, change.path, change.blob, raw, warnings,
                                          touched) if wanted else set()
                if len(before) == 1 and len(after) == 1 and before != after:
                    renamed[before.pop()] = after.pop()
            elif change.blob is None:
                touched |= self._drop(change.path)
            elif wanted:
                self.visited |= self._load_change(commit, change.path, change.blob, raw,
                                                  warnings, touched)
        self.visited |= touched
        if commit.skip:  # the change is absorbed: facts move on, no event is told
            for service_id in touched:
                self._refresh(service_id)
            return [], warnings
        return self._events(commit, touched, renamed), warnings

    def _load_change(self, commit: Commit, path: str, blob: str | None, raw: bytes,
                     warnings: list[ParseWarning], touched: set[str]) -> set[str]:
        if blob is None or blob == self.blobs.get(path):
            return {s.id for s in self.files[path].services} if path in self.files else set()
        try:
            parsed = self._parse(path, blob, raw)
        except ParseError as error:
            warnings.append(ParseWarning(path=path, line=error.line, reason=error.message,
                                         commit=commit.sha, date=commit.date))
            if path in self.files and self.blobs.get(path):
                self.broken[path] = self.blobs[path]
            return {s.id for s in self.files[path].services} if path in self.files else set()
        self.broken.pop(path, None)
        touched |= self._put(path, blob, parsed)
        return {s.id for s in parsed.services}

    def _events(self, commit: Commit, touched: set[str],
                renamed: dict[str, str]) -> list[Event]:
        info = CommitInfo(commit.sha, commit.date)
        events: list[Event] = []
        before = {sid: self.facts.get(sid) for sid in touched | set(renamed.values())}
        for sid in sorted(before):
            self._refresh(sid)
        renamed = {**self._moved_by_content(before), **renamed}
        for old_id, new_id in sorted(renamed.items()):
            if before.get(new_id) is None and new_id in self.services \
                    and old_id not in self.services and before.get(old_id) is not None:
                ref = _ref(self.services[new_id])
                events.append(make_event(ref, info, "service_renamed", field="id",
                                         old=old_id, new=new_id))
                old_facts = before.pop(old_id)
                assert old_facts is not None
                before[new_id] = old_facts
        for sid in sorted(before):
            old_facts, service = before[sid], self.services.get(sid)
            if old_facts is None and service is not None:
                events.append(make_event(_ref(service), info, "service_added",
                                         new=self.facts[sid]))
            elif old_facts is not None and service is None:
                ref = ServiceRef(sid, old_facts.get("name"), old_facts.get("provider"), "")
                events.append(make_event(ref, info, "service_removed", old=old_facts))
            elif old_facts is not None and service is not None:
                new_facts = self.facts[sid]
                changes = diff_facts(old_facts, new_facts)
                if changes:
                    events += classify(_ref(service), info, old_facts, new_facts, changes)
        return events


    def _moved_by_content(self, before: dict[str, dict[str, Any] | None]) -> dict[str, str]:
        """Services that went and came in one commit with the same endpoint or name: a move
        that git did not pair because the page was also rewritten."""
        gone = {sid: facts for sid, facts in before.items()
                if facts is not None and sid not in self.services}
        came = {sid: self.facts[sid] for sid, facts in before.items()
                if facts is None and sid in self.services}
        moved: dict[str, str] = {}
        for key in ("endpoint", "name"):
            for old_id, old_facts in sorted(gone.items()):
                matches = [new_id for new_id, new_facts in sorted(came.items())
                           if old_facts.get(key) and new_facts.get(key) == old_facts.get(key)
                           and new_id not in moved.values()]
                if old_id not in moved and len(matches) == 1:
                    moved[old_id] = matches[0]
        return moved


def _ref(service: Service) -> ServiceRef:
    return ServiceRef(service.id, service.name, service.provider, service.path)


@contextmanager
def _lock(history: History) -> Iterator[None]:
    """One run at a time per repository: a second waits, then gives up with a message."""
    from filelock import FileLock, Timeout

    path = Path(history.repo.git_dir) / "tracker.lock"
    timeout = float(os.environ.get("TRACKER_LOCK_TIMEOUT", LOCK_TIMEOUT))
    try:
        with FileLock(str(path), timeout=timeout):
            yield
    except Timeout:
        raise TrackerError(f"another tracker run has held {path} for {timeout:g} s",
                           hint="wait for it to finish; if none is running, delete the lock "
                                "file") from None


def _walker_key(config: Config, commit: str) -> tuple[str, ...]:
    """What the facts at ``commit`` depend on: the commit, this tracker, the configuration."""
    try:
        settings = (Path(config.root) / CONFIG_FILE).read_bytes()
    except OSError:
        settings = b""
    return (__version__, commit, hashlib.sha1(settings).hexdigest())


def walk(config: Config, history: History, state: State, head: str,
         progress: Progress | None = None, saved: Path | None = None,
         ) -> tuple[list[Commit], list[Event], list[ParseWarning], Walker]:
    """Walk the commits after the state's last commit (or all of them) up to ``head``;
    ``saved`` is where a previous walk may have kept the facts at its last commit."""
    since = state.last_commit
    last_good = dict(state.last_good)
    if since and not history.exists(since):
        since, last_good = None, {}  # rewritten history: walk again; ids keep feeds quiet
    elif since and not history.is_ancestor(since, head):
        since, last_good = history.merge_base(since, head), {}
    if since is None and history.is_shallow():
        raise TrackerError("this is a shallow clone, so its history cannot be walked",
                           hint="fetch the full history: git fetch --unshallow, or in GitHub "
                                "Actions actions/checkout with fetch-depth: 0")
    walker = Walker(history, Sources(config))
    if since and not (saved and since == state.last_commit
                      and walker.restore(saved, _walker_key(config, since))):
        walker.load(since, last_good)
    commits = list(history.commits(since, head))
    stream = history.stream([change.blob for commit in commits for change in commit.changes
                             if change.blob and walker.sources.kind_of(change.path)])
    walker.read = stream.read
    events: list[Event] = []
    warnings: list[ParseWarning] = []
    try:
        for done, commit in enumerate(commits, 1):
            new_events, new_warnings = walker.step(commit)
            events += new_events
            warnings += new_warnings
            if progress:
                progress(done, len(commits))
    finally:
        stream.close()
    return commits, events, warnings, walker


def update(root: Path, *, progress: Progress | None = None, render: bool = True) -> UpdateResult:
    """Walk what is new since the last run into the ledger, then render every output."""
    config = load_config(root)
    ledger = Ledger(config)
    last_walked = ledger.state().last_commit
    if last_walked is not None and head_of(root) == last_walked:
        return UpdateResult()  # nothing new, decided without loading git or taking the lock
    history = History(root)
    with _lock(history):
        state = ledger.state()
        head = history.head()
        if head is None or head == state.last_commit:
            return UpdateResult()
        remove_stale_temporaries(Path(root))
        skipped: list[TrackerError] = []
        saved = ledger.cache_dir / "walker.pickle" if ledger.cache_dir else None
        commits, events, warnings, walker = walk(config, history, state, head, progress, saved)
        written = ledger.add_events(events)
        if ledger.add_warnings(warnings):
            written.append(ledger.dir / "warnings.yaml")
        if render:
            # pages of services no walked commit touched cannot need a new block
            services = walker.visited | {e.service for e in events}
            written += render_all(config, ledger, services=services, skipped=skipped)
        # The state goes last: a run killed before this point is walked and rendered again by
        # the next one, which merges events by id and so ends with the same bytes.
        if ledger.write_state(State(last_commit=head, last_good=walker.broken)):
            written.append(ledger.dir / "state.yaml")
        if saved:
            walker.save(saved, _walker_key(config, head))
        return UpdateResult(len(commits), events, warnings, written, skipped)


def render_all(config: Config, ledger: Ledger, dry_run: bool = False,
               services: set[str] | None = None,
               skipped: list[TrackerError] | None = None) -> list[Path]:
    """Every output from the ledger: page changelogs (of ``services`` only, when given: the
    others cannot have changed), updates blocks, feeds. A page that cannot be rewritten safely
    is noted in ``skipped`` and left as it is (without ``skipped``, it raises)."""
    from tracker.render.changelog import update_pages
    from tracker.render.feeds import build_feeds, write_feeds
    from tracker.render.updates import update_blocks

    events = ledger.events()
    on_pages = events if services is None else [e for e in events if e.service in services]
    written: list[Path] = []
    written += [change.path for change in update_pages(config, on_pages, dry_run, skipped)]
    written += [change.path for change in update_blocks(config, events, dry_run, skipped)]
    written += write_feeds(config, build_feeds(events, config, services), dry_run=dry_run,
                           prune=services is None)
    return written


def snapshot(root: Path, rev: str = "HEAD") -> tuple[list[Service], list[ParseWarning]]:
    """The services as the parser sees them at ``rev``, and the files that did not parse."""
    config = load_config(root)
    history = History(root)
    try:
        sha = history.repo.git.rev_parse("--verify", f"{rev}^{{commit}}")
    except Exception:
        raise TrackerError(f"no such revision: {rev}", hint="name a commit, branch or tag") \
            from None
    walker = Walker(history, Sources(config))
    warnings = walker.load(sha, {})
    return [walker.services[sid] for sid in sorted(walker.services)], warnings


def check(root: Path, paths: Iterable[str] | None = None) -> list[TrackerError]:
    """Parse every source file in the working tree (or ``paths``) and look at the tracker's
    markers in pages and updates files; the problems found, each naming its file and line."""
    from tracker.render.markers import Page, find_markers

    config = load_config(root)
    sources = Sources(config)
    if paths is None:
        found = []
        for folder, subfolders, files in os.walk(root):
            subfolders[:] = sorted(d for d in subfolders if d != ".git")
            found += [str((Path(folder) / name).relative_to(root)) for name in files]
        candidates = sorted(found)
    else:
        candidates = sorted(paths)
    updates = [re.compile(glob_regex(p) + r"\Z") for p in config.updates_files]
    errors: list[TrackerError] = []
    for path in candidates:
        kind = sources.kind_of(path)
        raw = (root / path).read_bytes() if kind or any(u.match(path) for u in updates) else None
        if raw is None:
            continue
        if kind:
            try:
                sources.parse(path, raw)
            except ParseError as error:
                error.path = error.path or path
                errors.append(error)
                continue
        for name in ("changelog", "updates"):
            try:
                find_markers(Page(raw.decode("utf-8", "replace")), name)
            except TrackerError as error:
                errors.append(TrackerError(error.message, path=path, line=error.line,
                                           hint=error.hint))
    return errors
