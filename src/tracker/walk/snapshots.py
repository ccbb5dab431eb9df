"""``Snapshots``: the facts in force while walking — the last good parse of every file,
assembled per service — stepped commit by commit, each commit's blobs read through one stream
it owns; the events of a commit come from tracker.walk.classify.commit_events. The walk's state
machine. (tracker.walk.git reads git; pipeline.walk_new_commits is the stage that uses both.)
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from tracker import cache
from tracker.dated import commit_day, in_force
from tracker.errors import ParseError
from tracker.model import Event, FactsMemo, ParseWarning, Service
from tracker.plainjson import NotJson
from tracker.sources import Parsed, Sources
from tracker.walk import checkpoint
from tracker.walk.classify import CommitInfo, commit_events
from tracker.walk.git import Commit, FileChange, History
from tracker.walk.lastgood import keep_last_good, problems_of, reason
from tracker.walk.symlinks import LinkTable


class Snapshots:
    """The facts in force while walking: the last good parse of every file, assembled per
    service. Each version of each file is parsed once; a small cache catches reverts."""

    CACHE_SIZE = 512

    def __init__(self, history: History, sources: Sources) -> None:
        self.history, self.sources = history, sources
        self.files: dict[str, Parsed] = {}
        self.blobs: dict[str, str] = {}  # path → blob of the version in force
        self.broken: dict[str, str] = {}  # path → last good blob, while the newest fails
        # path → the commit since which some of its facts are last good ones: a stale page
        self.stale: dict[str, str] = {}
        self.paths_of: dict[str, set[str]] = {}  # service id → paths that state it
        self.services: dict[str, Service] = {}
        self.facts: dict[str, dict[str, Any]] = {}
        self._cache: OrderedDict[tuple[str, str], Parsed] = OrderedDict()
        self.read: Callable[[str], bytes] = history.read  # a BlobStream's, while in run()
        self.visited: set[str] = set()  # every service whose files a walked commit changed
        self.links = LinkTable()  # a symlinked file reads as its target: see _load_link
        # Where the tracker writes its ledger ("history/"): a commit touching it is the commit
        # of the tracker's own outputs, whose pages are first compared without their blocks.
        self.outputs: str | None = None
        self._own_commit = False
        # every wanted path a walked commit changed other than inside the tracker's blocks:
        # what rendering cannot prove unchanged (a provider's link text, a name), see plan.py
        self.reread: set[str] = set()
        # the walk went on from the facts the last run kept, read by this code with this
        # configuration (tracker.pipeline.walk_new_commits): else every output is rendered
        self.restored = False
        self._digests: dict[str, tuple[str, str]] = {}  # path → (blob, its Sources.digest)
        # service id → the name it first had when that name came from the front matter's title
        # (seeded from the ledger by a walk that starts cold): a title-only edit never renames
        self.first_names: dict[str, str] = {}
        # the UTC day of the commit being stepped: facts hold the prices in force on it
        self.day: str | None = None
        self._facts = FactsMemo()  # each unchanged model's dict kept between commits
        # services the imported facts state, not assembled yet (see _settle): a push reads one
        # service of hundreds
        self.pending: set[str] = set()
        self._imported: dict[str, checkpoint.Line] = {}  # path → its line of the facts read

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
        self._settle(s.id for s in (*(old.services if old else ()), *parsed.services))
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
        if path in self.files:
            self._settle(s.id for s in self.files[path].services)
        parsed = self.files.pop(path, None)
        self.blobs.pop(path, None)
        self.broken.pop(path, None)
        self.stale.pop(path, None)
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

    def _settle(self, service_ids: Iterable[str]) -> None:
        """Assemble the pending services among ``service_ids`` as import_facts used to, all at
        once: from the files as imported, on no commit's day. Called before a file stating one
        of them changes (or starts stating it), so a service is assembled from the very files
        the eager import read; one no commit touches is never assembled (its facts are not
        needed: only touched services are diffed, and the facts file is written from files)."""
        for service_id in sorted(self.pending.intersection(service_ids)):
            self.pending.discard(service_id)
            self._refresh(service_id, as_stated=True)

    def settle(self) -> None:
        """Every pending service assembled: ``services`` and ``facts`` whole."""
        self._settle(set(self.pending))

    def _refresh(self, service_id: str, as_stated: bool = False
                 ) -> tuple[Service | None, dict[str, Any] | None]:
        """Assemble ``service_id`` again, its facts as in force on the day of the commit being
        stepped (``as_stated``: as the files state them, as a load or an import does)."""
        day = None if as_stated else self.day
        service = self._assemble(service_id)
        if service is None:
            self.services.pop(service_id, None)
            self.facts.pop(service_id, None)
            self._facts.forget(service_id)
            return None, None
        if service.name_from_title:
            service = self._kept_name(service)
        facts = self._facts.facts(service)
        self.services[service_id] = service
        self.facts[service_id] = in_force(facts, day) if day else facts
        return service, self.facts[service_id]

    def _kept_name(self, service: Service) -> Service:
        """A service named by its title keeps the name it first had (else the one in force):
        real titles are SEO text (`Groq API 免费额度（2026）全网最快推理`), edited for search
        engines, and such an edit is no rename. A 服务名称 line or a heading does rename."""
        before = self.facts.get(service.id)
        kept = self.first_names.get(service.id) or (before or {}).get("name") or service.name
        assert kept is not None  # name_from_title is set only with a name
        self.first_names.setdefault(service.id, kept)
        if kept == service.name:
            return service
        service = copy.copy(service)  # the parse cache's object stays as it was read
        service.name = kept
        return service

    # -- loading and stepping ---------------------------------------------------------------

    STATE = ("files", "blobs", "broken", "stale", "paths_of", "services", "facts", "links",
             "pending")

    def save(self, path: Path, key: tuple[str, ...]) -> None:
        """Keep the facts in force (for ``key``: a commit and what parsed it) so that the next
        incremental run need not parse the whole tree again. Only a cache: never needed; the
        code that parsed them is part of the key (see tracker.cache)."""
        cache.save(path, key, {name: getattr(self, name) for name in self.STATE})

    def restore(self, path: Path, key: tuple[str, ...]) -> bool:
        """Take the facts saved for ``key`` by this very code; False when there are none."""
        state = cache.load(path, key)
        if not isinstance(state, dict) or set(state) != set(self.STATE):
            return False
        for name in self.STATE:
            setattr(self, name, state[name])
        return True

    def export_facts(self, key: tuple[str, ...]) -> bytes | None:
        """The facts in force as ``history/facts.jsonl`` for ``key`` (see tracker.walk.checkpoint);
        None when some fact would not read back as it is."""
        try:
            return checkpoint.encode((cache.code_digest(), *key), self.files, self.blobs,
                                     self.broken, self.stale, self.links, self._imported)
        except NotJson:
            return None

    def import_facts(self, data: bytes, key: tuple[str, ...],
                     first_names: Callable[[], dict[str, str]] | None = None) -> bool:
        """Take the facts ``export_facts`` wrote for ``key`` by this very code; False when
        ``data`` holds none for it. Services are assembled again from the files when a commit
        first touches them (``_settle``), so a service its title names takes the name it first
        had from ``first_names`` (asked only when some service is named so)."""
        state = checkpoint.decode(data, (cache.code_digest(), *key))
        if state is None:
            return False
        self.files, self.blobs, self.broken, self.stale, self.links, self._imported = state
        self.paths_of, self.services, self.facts = {}, {}, {}
        titled = set()
        for path, parsed in self.files.items():
            for service in parsed.services:
                self.paths_of.setdefault(service.id, set()).add(path)
                if service.name_from_title:
                    titled.add(service.id)
        if titled and first_names is not None:
            self.first_names = first_names()
        self.pending = set(self.paths_of)
        # those named by their title now, while the ledger's first names are at hand: a walk
        # restored from .git later has none, and would name them by their title
        self._settle(titled)
        return True

    def load(self, rev: str, last_good: dict[str, str],
             stale: dict[str, str] | None = None) -> list[ParseWarning]:
        """The facts at ``rev``, without events: where an incremental walk starts. Returns the
        files that did not parse (and stay out, or stay on ``last_good``'s facts) and the
        sections that did not (which keep ``last_good``'s)."""
        warnings: list[ParseWarning] = []
        tree, links = self.history.tree_and_links(rev)
        files = {path: blob for path, blob in tree.items() if self.sources.kind_of(path)}
        files.update(self._load_links(rev, tree, links, last_good, stale or {}, warnings))
        wanted = [(path, blob, last_good.get(path, blob)) for path, blob in sorted(files.items())]
        order = [b for _path, blob, good in wanted for b in dict.fromkeys((blob, good))]
        stream = self.history.stream(order)
        try:
            for path, blob, good in wanted:
                current = stream.read(blob)
                previous = self._parse_or_none(path, good, stream.read(good)) \
                    if good != blob else None
                try:
                    parsed = self._parse(path, blob, current)
                except ParseError as error:
                    warnings.append(ParseWarning(path=path, line=error.line,
                                                 reason=error.message, commit=rev))
                    if previous is not None:
                        self._put(path, good, previous)
                        self.broken[path] = good
                        self.stale[path] = (stale or {}).get(path, rev)
                    continue
                problems = problems_of(parsed)
                if problems:
                    parsed = keep_last_good(parsed, previous)
                    warnings += [ParseWarning(path=path, line=p.line, reason=reason(p),
                                              commit=rev) for p in problems]
                self._put(path, blob, parsed)
                if problems:
                    if previous is not None:
                        self.broken[path] = good
                    self.stale[path] = (stale or {}).get(path, rev)
        finally:
            stream.close()
        for service_id in sorted(self.paths_of):
            self._refresh(service_id)
        return warnings

    def _load_links(self, rev: str, tree: dict[str, str], links: dict[str, str],
                    last_good: dict[str, str], stale: dict[str, str],
                    warnings: list[ParseWarning]) -> dict[str, str]:
        """Take the symlinks at ``rev`` into the table; returns the blob each wanted one reads
        as. One that reads as nothing warns, and keeps ``last_good``'s version if it had one."""
        for path, blob in sorted(links.items()):
            self.links.add(path, blob,
                           self.history.read(blob) if self.sources.kind_of(path) else None)
        resolved: dict[str, str] = {}
        for path in sorted(path for path in links if self.sources.kind_of(path)):
            try:
                resolved[path] = self.links.resolve(path, tree.get, self.history.read)
            except ParseError as error:
                warnings.append(ParseWarning(path=path, line=None, reason=error.message,
                                             commit=rev))
                good = last_good.get(path)
                previous = self._parse_or_none(path, good, self.history.read(good)) \
                    if good else None
                if good and previous is not None:
                    self._put(path, good, previous)
                    self.broken[path] = good
                    self.stale[path] = stale.get(path, rev)
        return resolved

    def _blob_to_read(self, change: FileChange) -> str | None:
        """The blob step() reads for ``change``: the one rule run() streams blobs by."""
        return change.blob if change.blob and self.sources.kind_of(change.path) else None

    def run(self, commits: list[Commit], progress: Callable[[int, int], None] | None = None,
            ) -> tuple[list[Event], list[ParseWarning]]:
        """Step through ``commits`` in order; their blobs come through one stream that is told
        up front, by the same rule step() reads by, which blobs will be asked for."""
        stream = self.history.stream([blob for commit in commits for change in commit.changes
                                      if (blob := self._blob_to_read(change))])
        self.read = stream.read
        events: list[Event] = []
        warnings: list[ParseWarning] = []
        try:
            for done, commit in enumerate(commits, 1):
                new_events, new_warnings = self.step(commit)
                events += new_events
                warnings += new_warnings
                if progress:
                    progress(done, len(commits))
        finally:
            stream.close()
            self.read = self.history.read
        return events, warnings

    def step(self, commit: Commit) -> tuple[list[Event], list[ParseWarning]]:
        self._own_commit = self.outputs is not None and any(
            change.path.startswith(self.outputs) for change in commit.changes)
        self.day = commit_day(commit.date)
        touched: set[str] = set()
        renamed: dict[str, str] = {}
        warnings: list[ParseWarning] = []
        relink: set[str] = set()  # symlinks to read again once the commit's tree is complete
        read_here: dict[str, bytes] = {}  # blob → its bytes, as the stream gave them
        for change in commit.changes:
            wanted = self.sources.kind_of(change.path)
            if change.link or change.blob is None or change.old_path:
                self.reread.update(p for p in (change.path, change.old_path) if p)
            # read now, in the order run() announced: the stream serves blobs in that order
            blob = self._blob_to_read(change)
            raw = self.read(blob) if blob else b""
            if blob:
                read_here[blob] = raw
            relink |= self.links.reaching(change.path) | self.links.reaching(
                change.old_path or change.path)
            if change.old_path and change.old_path in self.links:
                self.links.remove(change.old_path)
            if change.link and change.blob is not None:
                if change.old_path:
                    touched |= self._drop(change.old_path)
                self.links.add(change.path, change.blob, raw if wanted else None)
                if wanted:
                    relink.add(change.path)
                continue
            if change.path in self.links:  # a symlink no longer: deleted, or a file now
                self.links.remove(change.path)
                relink.discard(change.path)
            if change.old_path and self.sources.kind_of(change.old_path):
                before = {s.id for s in self.files[change.old_path].services} \
                    if change.old_path in self.files else set()
                kept = self.files.get(change.old_path)
                touched |= self._drop(change.old_path)
                if change.path in self.files:  # replaced below without _put
                    self._settle(s.id for s in self.files[change.path].services)
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
        # a chain's links on the way (relink holds them too) are read only as their target,
        # mostly a file this commit wrote (its change on the chain is why the link is read
        # again): its blob and bytes are at hand; git is asked (two round trips) for the others
        written = {change.path: change.blob for change in commit.changes
                   if change.blob is not None and not change.link} if relink else {}
        for link in sorted(path for path in relink
                           if path in self.links and self.sources.kind_of(path)):
            self.visited |= self._load_link(
                commit, link, lambda target: written[target] if target in written
                else self.history.blob_at(commit.sha, target),
                lambda blob: read_here[blob] if blob in read_here else self.history.read(blob),
                warnings, touched)
        self.visited |= touched
        if commit.skip:  # the change is absorbed: facts move on, no event is told
            for service_id in touched:
                self._refresh(service_id)
            return [], warnings
        return self._events(commit, touched, renamed), warnings

    def _parse_or_none(self, path: str, blob: str, raw: bytes) -> Parsed | None:
        try:
            return self._parse(path, blob, raw)
        except ParseError:
            return None

    def _load_change(self, commit: Commit, path: str, blob: str | None, raw: bytes,
                     warnings: list[ParseWarning], touched: set[str]) -> set[str]:
        if blob is None or blob == self.blobs.get(path):
            if blob is not None and path in self.files and not problems_of(self.files[path]):
                # back to the version in force, which read wholly: not stale any more
                self.broken.pop(path, None)
                self.stale.pop(path, None)
            return {s.id for s in self.files[path].services} if path in self.files else set()
        # the last version whose every section read: kept while the newest is not wholly read
        good = self.broken.get(path) or self.blobs.get(path) or None
        try:
            parsed = self._same_facts(path, blob, raw)
            if parsed is None:
                self.reread.add(path)
                parsed = self._parse(path, blob, raw)
        except ParseError as error:
            warnings.append(ParseWarning(path=path, line=error.line, reason=error.message,
                                         commit=commit.sha, date=commit.date))
            if path in self.files and good:
                self.broken[path] = good
                self.stale.setdefault(path, commit.sha)
            return {s.id for s in self.files[path].services} if path in self.files else set()
        problems = problems_of(parsed)
        if problems:
            parsed = keep_last_good(parsed, self.files.get(path))
            warnings += [ParseWarning(path=path, line=p.line, reason=reason(p),
                                      commit=commit.sha, date=commit.date) for p in problems]
        since = self.stale.get(path, commit.sha)
        touched |= self._put(path, blob, parsed)
        if problems:
            if good:
                self.broken[path] = good
            self.stale[path] = since
        return {s.id for s in parsed.services}

    def _same_facts(self, path: str, blob: str, raw: bytes) -> Parsed | None:
        """In the commit of the tracker's own outputs, the version in force when ``raw`` differs
        from it only inside the tracker's generated blocks, which the page parser skips: the
        same facts by construction, not parsed again. Only when the version in force read wholly
        (a section problem carries a line number, which a longer block would move) and is this
        path's own version (not one renamed here, whose services are named after the old path).
        Digests are taken only here, in such commits: the walk of other commits pays nothing."""
        current = self.files.get(path)
        if not self._own_commit or current is None or not self.blobs.get(path) \
                or path in self.broken or path in self.stale or problems_of(current):
            return None
        try:
            new = self.sources.digest(path, raw)
            if new is None or new != self._digest(path, self.blobs[path]):
                return None
        except ParseError:
            return None  # parsed, to tell why
        self._digests[path] = (blob, new)
        return current

    def _digest(self, path: str, blob: str) -> str | None:
        kept = self._digests.get(path)
        if kept is None or kept[0] != blob:
            kept = (blob, self.sources.digest(path, self.history.read(blob)) or "")
            self._digests[path] = kept
        return kept[1] or None

    def _load_link(self, commit: Commit, link: str, blob_at: Callable[[str], str | None],
                   read: Callable[[str], bytes], warnings: list[ParseWarning],
                   touched: set[str]) -> set[str]:
        """Read symlink ``link`` as the file it points to (``blob_at``: path → blob in this
        commit's tree; ``read``: a blob's bytes). A link to nothing readable warns like a file
        that does not parse, and its last good version stays."""
        try:
            blob = self.links.resolve(link, blob_at, self.history.read)
        except ParseError as error:
            warnings.append(ParseWarning(path=link, line=None, reason=error.message,
                                         commit=commit.sha, date=commit.date))
            good = self.broken.get(link) or self.blobs.get(link) or None
            if link in self.files and good:
                self.broken[link] = good
                self.stale.setdefault(link, commit.sha)
            return {s.id for s in self.files[link].services} if link in self.files else set()
        raw = read(blob) if blob != self.blobs.get(link) else b""
        return self._load_change(commit, link, blob, raw, warnings, touched)

    def _events(self, commit: Commit, touched: set[str],
                renamed: dict[str, str]) -> list[Event]:
        # the facts before, moved to this commit's day: a price that takes effect as it was
        # announced is no change (see tracker.dated)
        day = self.day or commit_day(commit.date)
        before = {sid: in_force(facts, day) if facts is not None else None
                  for sid in touched | set(renamed.values())
                  for facts in (self.facts.get(sid),)}
        for sid in sorted(before):
            self._refresh(sid)
        return commit_events(CommitInfo(commit.sha, commit.date), before, self.services,
                             self.facts, renamed)
