"""Build the example catalogue's git repository from its text source, the same shas every time.

The source lives in ``examples/catalogue/`` (see its README.md): ``site/`` holds the first version
of every file, ``authors.yaml`` the people who commit, and ``history/*.yaml`` the dated steps,
each one commit. This module replays the steps in memory and feeds one ``git fast-import`` stream
to a fresh repository, so nothing of the user's git configuration, clock or locale leaks into a
commit: identical input gives identical commit shas on every machine.

Run it as ``python examples/build_example.py [DEST]`` (default ``examples/build/site``); it prints
the HEAD sha. ``examples/build/steps.json`` maps every step id to its commit.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

EXAMPLES = Path(__file__).resolve().parent
CATALOGUE = EXAMPLES / "catalogue"
BUILD = EXAMPLES / "build"
DEFAULT_DEST = BUILD / "site"
MAIN = "main"

Tree = dict[str, bytes]


class SourceError(Exception):
    """The catalogue source is inconsistent: a step names a missing file, a string not found…"""


@dataclass
class Step:
    """One commit of the example history, as written in ``history/*.yaml``."""

    id: str
    date: datetime
    author: str
    message: str
    ops: list[dict[str, Any]]
    branch: str = MAIN
    merge: str | None = None
    source_file: str = ""

    def where(self) -> str:
        return f"{self.source_file}: step '{self.id}'"


@dataclass
class BuiltCommit:
    """What the build made of one step: its mark in the import stream and, later, its sha."""

    step: Step
    mark: int
    parents: list[int] = field(default_factory=list)
    sha: str = ""


def load_authors(catalogue: Path = CATALOGUE) -> dict[str, str]:
    """``authors.yaml``: short key → ``Name <email>``."""
    with open(catalogue / "authors.yaml", encoding="utf-8") as handle:
        authors: dict[str, str] = yaml.safe_load(handle)
    return authors


def load_steps(catalogue: Path = CATALOGUE) -> list[Step]:
    """Every step of every ``history/*.yaml`` file, files in name order, steps in file order."""
    steps: list[Step] = []
    seen: set[str] = set()
    for path in sorted((catalogue / "history").glob("*.yaml")):
        with open(path, encoding="utf-8") as handle:
            raw_steps = yaml.safe_load(handle) or []
        for raw in raw_steps:
            where = f"{path.name}: step {raw.get('id', '?')!r}"
            missing = {"id", "date", "author", "message"} - raw.keys()
            if missing:
                raise SourceError(f"{where}: missing {', '.join(sorted(missing))}")
            if raw["id"] in seen:
                raise SourceError(f"{where}: duplicate step id")
            seen.add(raw["id"])
            date = raw["date"]
            if not isinstance(date, datetime):
                date = datetime.fromisoformat(str(date))
            if date.tzinfo is None:
                raise SourceError(f"{where}: date needs an offset such as +08:00")
            steps.append(Step(id=raw["id"], date=date, author=raw["author"],
                              message=raw["message"], ops=list(raw.get("ops") or []),
                              branch=raw.get("branch", MAIN), merge=raw.get("merge"),
                              source_file=path.name))
    return steps


def _read_source(catalogue: Path, op: dict[str, Any], step: Step) -> bytes:
    """The bytes a ``write`` op puts in place: inline ``text``, a ``source`` file, or site/PATH."""
    if "text" in op:
        return str(op["text"]).encode("utf-8")
    relative = op.get("source") or f"site/{op['write']}"
    source = catalogue / relative
    if not source.is_file():
        raise SourceError(f"{step.where()}: no file {relative} to write {op['write']}")
    return source.read_bytes()


def _paths_under(tree: Tree, path: str) -> list[str]:
    """The file ``path`` itself, or every file inside the folder ``path``."""
    if path in tree:
        return [path]
    prefix = path.rstrip("/") + "/"
    return sorted(p for p in tree if p.startswith(prefix))


def apply_op(tree: Tree, op: dict[str, Any], step: Step, catalogue: Path = CATALOGUE) -> None:
    """Apply one operation of a step to the file tree, failing loudly when it cannot apply."""
    if "write" in op:
        tree[op["write"]] = _read_source(catalogue, op, step)
    elif "replace" in op:
        path = op["replace"]
        if path not in tree:
            raise SourceError(f"{step.where()}: replace in missing file {path}")
        text = tree[path].decode("utf-8")
        old, new = str(op["old"]), str(op["new"])
        count = text.count(old)
        if count != 1:
            raise SourceError(f"{step.where()}: {path}: expected the old string exactly once, "
                              f"found it {count} times: {old!r}")
        tree[path] = text.replace(old, new).encode("utf-8")
    elif "delete" in op:
        paths = _paths_under(tree, op["delete"])
        if not paths:
            raise SourceError(f"{step.where()}: nothing to delete at {op['delete']}")
        for path in paths:
            del tree[path]
    elif "move" in op:
        old_root, new_root = op["move"].rstrip("/"), str(op["to"]).rstrip("/")
        paths = _paths_under(tree, old_root)
        if not paths:
            raise SourceError(f"{step.where()}: nothing to move at {old_root}")
        for path in paths:
            target = new_root + path[len(old_root):]
            if target in tree:
                raise SourceError(f"{step.where()}: move would overwrite {target}")
            tree[target] = tree.pop(path)
    else:
        raise SourceError(f"{step.where()}: unknown operation {sorted(op)}")


def merge_trees(ours: Tree, theirs: Tree, base: Tree, step: Step) -> Tree:
    """A file-level three-way merge; a file changed on both sides differently is an error."""
    merged = dict(ours)
    for path in set(base) | set(theirs):
        theirs_blob, base_blob = theirs.get(path), base.get(path)
        if theirs_blob == base_blob:
            continue
        ours_blob = ours.get(path)
        if ours_blob not in (base_blob, theirs_blob):
            raise SourceError(f"{step.where()}: {path} changed on both sides of the merge")
        if theirs_blob is None:
            merged.pop(path, None)
        else:
            merged[path] = theirs_blob
    return merged


def _data(payload: bytes) -> bytes:
    return b"data %d\n" % len(payload) + payload + b"\n"


def _signature(person: str, date: datetime) -> bytes:
    offset = date.utcoffset()
    assert offset is not None
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    zone = f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
    return f"{person} {int(date.timestamp())} {zone}".encode()


def fast_import_stream(steps: list[Step], authors: dict[str, str],
                       catalogue: Path = CATALOGUE) -> tuple[bytes, list[BuiltCommit]]:
    """Replay the steps and return the ``git fast-import`` stream and the commits it makes."""
    trees: dict[str, Tree] = {}
    tips: dict[str, int] = {}
    fork_base: dict[str, Tree] = {}
    tree_at_mark: dict[int, Tree] = {0: {}}
    stream: list[bytes] = []
    built: list[BuiltCommit] = []
    for number, step in enumerate(steps, start=1):
        if step.author not in authors:
            raise SourceError(f"{step.where()}: unknown author {step.author!r}")
        if step.branch not in trees:
            if step.branch != MAIN and MAIN not in trees:
                raise SourceError(f"{step.where()}: branch {step.branch} before any commit")
            start = trees.get(MAIN, {})
            trees[step.branch] = dict(start)
            fork_base[step.branch] = dict(start)
            if MAIN in tips:
                tips[step.branch] = tips[MAIN]
        tree = trees[step.branch]
        parent_tree = dict(tree)
        parents = [tips[step.branch]] if step.branch in tips else []
        if step.merge:
            if step.merge not in trees:
                raise SourceError(f"{step.where()}: merge of unknown branch {step.merge}")
            tree = merge_trees(tree, trees[step.merge], fork_base[step.merge], step)
            parents.append(tips[step.merge])
        for op in step.ops:
            apply_op(tree, op, step, catalogue)
        trees[step.branch] = tree
        commit = BuiltCommit(step=step, mark=number, parents=parents)
        built.append(commit)
        tips[step.branch] = number
        tree_at_mark[number] = dict(tree)

        signature = _signature(authors[step.author], step.date)
        message = step.message if step.message.endswith("\n") else step.message + "\n"
        lines = [b"commit refs/heads/" + step.branch.encode(), b"mark :%d" % number,
                 b"author " + signature, b"committer " + signature]
        stream.append(b"\n".join(lines) + b"\n" + _data(message.encode("utf-8")))
        if parents:
            stream.append(b"from :%d\n" % parents[0])
        for parent in parents[1:]:
            stream.append(b"merge :%d\n" % parent)
        for path in sorted(set(parent_tree) - set(tree)):
            stream.append(b"D " + path.encode("utf-8") + b"\n")
        for path in sorted(tree):
            if parent_tree.get(path) != tree[path]:
                stream.append(b"M 100644 inline " + path.encode("utf-8") + b"\n")
                stream.append(_data(tree[path]))
        stream.append(b"\n")
    return b"".join(stream), built


def git_environment(home: Path) -> dict[str, str]:
    """An environment in which no user or system git configuration applies."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update({"HOME": str(home), "XDG_CONFIG_HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_CONFIG_GLOBAL": os.devnull, "LC_ALL": "C", "TZ": "UTC"})
    return env


def _git(args: list[str], cwd: Path, env: dict[str, str], data: bytes | None = None) -> str:
    config = ["-c", "commit.gpgsign=false", "-c", "core.autocrlf=false",
              "-c", "init.defaultBranch=main", "-c", "user.name=example-build",
              "-c", "user.email=build@example.org"]
    result = subprocess.run(["git", *config, *args], cwd=cwd, env=env, input=data,
                            capture_output=True, check=False)
    if result.returncode != 0:
        raise SourceError(f"git {' '.join(args)} failed: {result.stderr.decode(errors='replace')}")
    return result.stdout.decode("utf-8")


def build(dest: Path = DEFAULT_DEST, catalogue: Path = CATALOGUE) -> list[BuiltCommit]:
    """Build the repository at ``dest`` from scratch and return its commits, oldest first."""
    steps = load_steps(catalogue)
    authors = load_authors(catalogue)
    stream, built = fast_import_stream(steps, authors, catalogue)
    dest = dest.resolve()
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".build-", dir=dest.parent) as scratch:
        scratch_path = Path(scratch)
        home = scratch_path / "home"
        home.mkdir()
        repo = scratch_path / "site"
        env = git_environment(home)
        _git(["init", "--quiet", str(repo)], scratch_path, env)
        marks = scratch_path / "marks"
        _git(["fast-import", "--quiet", "--done", f"--export-marks={marks}"], repo, env,
             stream + b"done\n")
        _git(["checkout", "--quiet", "--force", MAIN], repo, env)
        sha_by_mark = {}
        for line in marks.read_text().splitlines():
            mark, sha = line.split()
            sha_by_mark[int(mark.lstrip(":"))] = sha
        for commit in built:
            commit.sha = sha_by_mark[commit.mark]
        if dest.exists():
            shutil.rmtree(dest)
        repo.rename(dest)
    return built


def write_step_map(built: list[BuiltCommit], path: Path) -> None:
    """``steps.json``: step id → commit sha, branch, date, for scoring and for people."""
    rows = [{"id": c.step.id, "sha": c.sha, "branch": c.step.branch,
             "date": c.step.date.isoformat(), "merge": c.step.merge} for c in built]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    dest = Path(argv[0]) if argv else DEFAULT_DEST
    try:
        built = build(dest)
    except SourceError as error:
        print(f"build_example: {error}", file=sys.stderr)
        return 1
    write_step_map(built, dest.parent / "steps.json")
    head = next(c for c in reversed(built) if c.step.branch == MAIN)
    print(f"built {dest} with {len(built)} commits; HEAD {head.sha}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
