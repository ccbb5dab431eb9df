"""tracker check: every source file and updates file of the working tree read as the walk would
read it, and the tracker's markers looked at; each problem named by its file and line, so a
maintainer (or CI, on a pull request) sees what the next run would warn about.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tracker.config import load_config
from tracker.errors import ParseError, TrackerError
from tracker.paths import glob_matcher
from tracker.render.markers import Page, find_markers
from tracker.sources import PAGE, Sources, glob_notices
from tracker.sources.page.placeholders import placeholder_errors
from tracker.walk.symlinks import LinkTable, is_outside, target_of


@dataclass
class CheckResult:
    errors: list[TrackerError] = field(default_factory=list)
    checked: int = 0  # source and updates files read


def _tree_files(folder: Path, root: Path) -> list[str]:
    found = []
    for current, subfolders, files in os.walk(folder):
        subfolders[:] = sorted(d for d in subfolders if d != ".git")
        found += [(Path(current) / name).relative_to(root).as_posix() for name in files]
    return sorted(found)


def _read_following_links(root: Path, path: str) -> bytes:
    """The bytes of ``path`` in the working tree; a symlink reads as its target under the
    walker's rules (relative to the link's folder, inside the repository, chains up to
    MAX_LINKS), and a ParseError says why when it reads as nothing — as ``tracker update``
    warns."""
    if not (root / path).is_symlink():
        return (root / path).read_bytes()

    def read(link: str) -> bytes:  # a link's "blob" here is its own path
        return os.readlink(os.fsencode(root / link))

    links = LinkTable()
    step = path
    while step not in links and not is_outside(step) and (root / step).is_symlink():
        links.add(step, step, None)  # every link of the chain, read as resolve needs it
        step = target_of(step, read(step))
    resolved = links.resolve(path, lambda p: p if (root / p).is_file() else None, read)
    return (root / resolved).read_bytes()


def check(root: Path, paths: Iterable[Path] | None = None) -> CheckResult:
    """Parse every source file in the working tree (or under ``paths``: files or folders, inside
    the repository) and look at the tracker's markers in pages and updates files; the problems
    found, each naming its file and line. A glob of tracker.yaml matching nothing is one too."""
    config = load_config(root)
    sources = Sources(config)
    updates = glob_matcher(tuple(config.updates_files))

    def covered(path: str) -> bool:
        return bool(sources.kind_of(path)) or bool(updates.match(path))

    result = CheckResult()
    everything = _tree_files(root, root)
    if paths is None:
        candidates = everything
        result.errors += glob_notices(config, everything)
    else:
        candidates = []
        for given in paths:
            target = Path(os.path.abspath(given))
            if not target.exists():
                raise TrackerError(f"{given} does not exist", hint="name a file or folder of "
                                   "the site, or run tracker check with no path for all of it")
            try:
                relative = target.relative_to(root.resolve()).as_posix()
            except ValueError:
                raise TrackerError(f"{given} is outside the repository {root}",
                                   hint="name a file or folder inside it") from None
            if target.is_dir():
                inside = [p for p in _tree_files(target, root.resolve()) if covered(p)]
                if not inside:
                    result.errors.append(TrackerError(
                        "no source file under this folder", path=relative or ".",
                        hint="the globs of tracker.yaml (pages, data, records, updates_files) "
                             "cover none of its files"))
                candidates += inside
            elif not covered(relative):
                result.errors.append(TrackerError(
                    "no glob of tracker.yaml covers this file, so it is not tracked",
                    path=relative, hint="add it to pages, data, records or updates_files"))
            else:
                candidates.append(relative)
    for path in sorted(set(candidates)):
        kind = sources.kind_of(path)
        if not kind and not updates.match(path):
            continue
        result.checked += 1
        try:
            raw = _read_following_links(root, path)
        except ParseError as error:
            error.path = path
            result.errors.append(error)
            continue
        if kind:
            try:
                parsed = sources.parse(path, raw)
            except ParseError as error:
                error.path = error.path or path
                result.errors.append(error)
                continue
            result.errors += [
                ParseError(f"{problem.reason} (a stale {problem.section} section: the tracker "
                           "keeps its last good facts)", path=path, line=problem.line,
                           hint=problem.hint)
                for service in parsed.services for problem in service.problems]
            if kind == PAGE:
                result.errors += placeholder_errors(raw, path)
        for name in ("changelog", "updates"):
            try:
                find_markers(Page(raw.decode("utf-8", "replace")), name)
            except TrackerError as error:
                result.errors.append(TrackerError(error.message, path=path, line=error.line,
                                                  hint=error.hint))
    return result
