"""git history → the changed files of each commit, oldest first. The only module that imports git.

One ``git log`` covers the whole range (first-parent, merges diffed against their first parent,
renames detected), and blobs come through one persistent ``git cat-file`` process: starting a
``git diff-tree`` process per commit instead measured 7× slower.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tracker.errors import TrackerError

SKIP_TRAILER = re.compile(r"^tracker:\s*skip\s*$", re.IGNORECASE | re.MULTILINE)
NULL_SHA = "0" * 40
_BLOB_MODES = ("100644", "100755")
LINK_MODE = "120000"  # a symlink: its blob holds the target path (see tracker.walk.symlinks)


def blob_id(data: bytes) -> str:
    """git's id of a blob holding ``data`` (what ``git hash-object`` prints), without git: a
    file of the work tree is compared with a commit's version by id alone."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass(frozen=True)
class FileChange:
    """One path changed by a commit. ``blob`` is None when the file was deleted; when ``link``,
    the path is a symlink and ``blob`` holds the path it points to."""

    status: str  # "A", "M", "D", "R" (renamed; old_path set), "T"
    path: str
    blob: str | None
    old_path: str | None = None
    link: bool = False


@dataclass
class Commit:
    sha: str
    date: str  # the author date, ISO 8601 with the author's offset
    skip: bool  # carries the "Tracker: skip" trailer
    changes: list[FileChange] = field(default_factory=list)


def head_of(root: Path) -> str | None:
    """HEAD's sha without loading GitPython: the no-op check must stay well under a second."""
    try:
        done = subprocess.run(["git", "rev-parse", "--verify", "-q", "HEAD^{commit}"], cwd=root,
                              capture_output=True, text=True, check=False)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def find_repository(path: Path) -> Path:
    """The top folder of the git repository holding ``path`` (any folder inside it), found the
    way git finds it; a TrackerError when ``path`` is missing or in no repository."""
    path = Path(path)
    if not path.exists():
        raise TrackerError(f"{path} does not exist", hint="pass --repo a folder of the site")
    if not path.is_dir():
        path = path.parent
    try:
        done = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=path,
                              capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise TrackerError("git is not installed", hint="install git and run again") from None
    top = done.stdout.strip()
    if done.returncode != 0 or not top:
        raise TrackerError(f"{path.resolve()} is not inside a git repository",
                           hint="run tracker inside a clone of the site, or pass --repo")
    return Path(top)


def files_at(root: Path, rev: str) -> list[str] | None:
    """Every file path in ``rev``'s tree (None when there is no such commit yet), without
    loading GitPython: a run with nothing new to walk still checks the globs against it."""
    done = subprocess.run(["git", "ls-tree", "-r", "-z", "--name-only", rev], cwd=root,
                          capture_output=True, check=False)
    if done.returncode != 0:
        return None
    return [p.decode("utf-8", "surrogateescape") for p in done.stdout.split(b"\0") if p]


class History:
    """A git repository, read through one log process and the persistent cat-file."""

    def __init__(self, root: Path) -> None:
        import git

        try:
            self.repo = git.Repo(root)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            raise TrackerError(f"{root} is not a git repository",
                               hint="run tracker inside a clone of the site, or pass --repo"
                               ) from None
        self._git = git

    def head(self) -> str | None:
        """HEAD's sha, or None in a repository with no commits yet."""
        try:
            sha: str = self.repo.git.rev_parse("--verify", "-q", "HEAD^{commit}")
            return sha
        except self._git.GitCommandError:
            return None

    def exists(self, sha: str) -> bool:
        try:
            self.repo.git.cat_file("-e", f"{sha}^{{commit}}")
            return True
        except self._git.GitCommandError:
            return False

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        try:
            self.repo.git.merge_base("--is-ancestor", ancestor, descendant)
            return True
        except self._git.GitCommandError:
            return False

    def merge_base(self, a: str, b: str) -> str | None:
        try:
            return self.repo.git.merge_base(a, b) or None
        except self._git.GitCommandError:
            return None

    def is_shallow(self) -> bool:
        return Path(self.repo.git_dir, "shallow").exists()

    @property
    def git_dir(self) -> Path:
        """The repository's .git folder (where the lock and the caches live)."""
        return Path(self.repo.git_dir)

    def resolve(self, rev: str) -> str | None:
        """The sha of the commit ``rev`` names, or None when it names none."""
        try:
            sha: str = self.repo.git.rev_parse("--verify", f"{rev}^{{commit}}")
            return sha
        except self._git.GitCommandError:
            return None

    def author_date(self, sha: str) -> str:
        """The author date of a commit, ISO 8601 with the author's offset."""
        date: str = self.repo.git.log("-1", "--format=%aI", sha)
        return date

    def count(self, since: str, until: str) -> int | None:
        """How many commits ``until`` has that ``since`` has not; None when either is gone."""
        try:
            return int(self.repo.git.rev_list("--count", f"{since}..{until}"))
        except self._git.GitCommandError:
            return None

    def counts(self, since: list[str], until: str) -> dict[str, int | None]:
        """``count(s, until)`` for each commit ``s`` of ``since``, from one ``git rev-list`` of
        ``until``'s history rather than a process per commit (models.dev's 31 stale files of
        10 commits, named on every run: stale_pages 0.43 s with a process each, 0.08 s): what
        ``until`` has minus what ``s`` has, walked here from the parents git listed. A commit
        not in that history (gone, or on another line) is asked alone."""
        wanted = sorted(set(since))
        if len(wanted) < 3:  # the one listing costs about three questions
            return {sha: self.count(sha, until) for sha in wanted}
        try:
            out: str = self.repo.git.rev_list("--parents", until)
        except self._git.GitCommandError:
            return {sha: None for sha in wanted}
        parents: dict[str, list[str]] = {}
        for line in out.splitlines():
            sha, *above = line.split()
            parents[sha] = above
        found: dict[str, int | None] = {}
        for sha in wanted:
            if sha not in parents:
                found[sha] = self.count(sha, until)
                continue
            has, todo = {sha}, [sha]
            while todo:
                for parent in parents.get(todo.pop(), ()):
                    if parent not in has:
                        has.add(parent)
                        todo.append(parent)
            found[sha] = len(parents) - len(has)
        return found

    def edits(self, head: str, paths: list[str]) -> Iterator[tuple[str, str]]:
        """(author date, message) of each commit up to ``head`` touching ``paths``, newest
        first."""
        out: str = self.repo.git.log("-z", "--format=%aI%x00%B", head, "--", *paths)
        tokens = out.split("\0")
        yield from zip(tokens[0::2], tokens[1::2], strict=False)

    def commits(self, since: str | None, until: str) -> Iterator[Commit]:
        """Commits after ``since`` up to ``until`` along the first-parent line, oldest first."""
        revision = f"{since}..{until}" if since else until
        out = self.repo.git.log(
            "-z", "--raw", "--no-abbrev", "--first-parent", "--diff-merges=first-parent",
            "--reverse", "-M", "--format=%H%x00%aI%x00%B", revision,
            stdout_as_string=False,
        )
        yield from parse_log(out.decode("utf-8", "surrogateescape"))

    def tree(self, rev: str) -> dict[str, str]:
        """Every regular file at ``rev``: path → blob sha."""
        return self.tree_and_links(rev)[0]

    def tree_and_links(self, rev: str) -> tuple[dict[str, str], dict[str, str]]:
        """Every regular file and every symlink at ``rev``: path → blob sha, each."""
        out = self.repo.git.ls_tree("-r", "-z", "--full-tree", rev, stdout_as_string=False)
        files: dict[str, str] = {}
        links: dict[str, str] = {}
        for entry in out.decode("utf-8", "surrogateescape").split("\0"):
            if not entry:
                continue
            meta, _, path = entry.partition("\t")
            mode, kind, sha = meta.split(" ")
            if kind == "blob" and mode in _BLOB_MODES:
                files[path] = sha
            elif kind == "blob" and mode == LINK_MODE:
                links[path] = sha
        return files, links

    def blob_at(self, rev: str, path: str) -> str | None:
        """The blob at ``path`` in ``rev``, or None when no file is there (a folder is none),
        asked of the persistent ``cat-file --batch-check``: no process per question."""
        try:
            header: tuple[object, ...] = self.repo.git.get_object_header(f"{rev}:{path}")
        except ValueError:
            return None
        sha, kind = (v.decode("ascii") if isinstance(v, bytes) else str(v) for v in header[:2])
        return sha if kind == "blob" else None

    def read(self, blob: str) -> bytes:
        data: bytes = self.repo.odb.stream(bytes.fromhex(blob)).read()
        return data

    def stream(self, blobs: list[str]) -> "BlobStream":
        """Read ``blobs`` in this order, streamed: the way to read many."""
        return BlobStream(str(self.repo.git_dir), blobs)


class BlobStream:
    """Blobs in the order they are asked for, from one ``git cat-file --batch`` that a thread
    feeds all the names up front: no request-and-reply per blob (the fastest way git itself
    offers to read many objects; bench/floor.py reads them so)."""

    def __init__(self, git_dir: str, blobs: list[str]) -> None:
        import threading

        self._expected = iter(blobs)
        self._process = subprocess.Popen(["git", "--git-dir", git_dir, "cat-file", "--batch"],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self._feeder = threading.Thread(target=self._feed, args=(blobs,), daemon=True)
        self._feeder.start()

    def _feed(self, blobs: list[str]) -> None:
        assert self._process.stdin is not None
        try:
            self._process.stdin.write("".join(f"{b}\n" for b in blobs).encode("ascii"))
            self._process.stdin.close()
        except (BrokenPipeError, ValueError):
            pass  # closed early: the walk stopped

    def read(self, blob: str) -> bytes:
        """The next blob, which must be ``blob``: the walk asks in the order it announced."""
        assert self._process.stdout is not None
        if next(self._expected, None) != blob:
            raise RuntimeError(f"blob {blob} asked out of order")
        header = self._process.stdout.readline().split()
        if len(header) != 3:
            raise TrackerError(f"git cat-file cannot read {blob}: {b' '.join(header)!r}",
                               hint="the repository may be corrupt: run git fsck")
        data = self._process.stdout.read(int(header[2]))
        self._process.stdout.read(1)  # the newline after each object
        return data

    def close(self) -> None:
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None:
                stream.close()
        self._process.kill()
        self._process.wait()


def parse_log(text: str) -> Iterator[Commit]:
    """Parse ``git log -z --raw --format=%H%x00%aI%x00%B``: header tokens, then raw entries."""
    tokens = text.split("\0")
    i, end = 0, len(tokens)
    while i < end:
        sha = tokens[i].strip()
        if not sha:
            i += 1
            continue
        date, body = tokens[i + 1], tokens[i + 2]
        commit = Commit(sha=sha, date=date, skip=bool(SKIP_TRAILER.search(body)))
        i += 3
        while i < end and tokens[i].lstrip("\n").startswith(":"):
            meta = tokens[i].lstrip("\n")[1:].split(" ")
            _old_mode, new_mode, _old_sha, new_sha, status = meta[:5]
            letter = status[0]
            if letter in ("R", "C"):
                old_path, path = tokens[i + 1], tokens[i + 2]
                i += 3
            else:
                old_path, path = None, tokens[i + 1]
                i += 2
            if letter == "C":  # a copy leaves the source in place: the new path is an addition
                letter, old_path = "A", None
            blob = None if letter == "D" or new_sha == NULL_SHA else new_sha
            link = blob is not None and new_mode == LINK_MODE
            if blob is not None and not link and new_mode not in _BLOB_MODES:
                blob, letter = None, "D"  # a submodule where a file was: gone
            commit.changes.append(FileChange(letter, path, blob, old_path, link))
        yield commit
