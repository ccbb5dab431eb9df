"""The floor: the least work that reads a history and tells what every changed blob holds.

One ``git log -z --raw`` over the range, every changed blob read once through one
``git cat-file --batch`` process, then per blob: records are parsed once with the fastest parser
for the format (orjson, libyaml's CSafeLoader, tomli's compiled parser when installed, as the
tracker does, else tomllib); Markdown pages are decoded and their table rows split into cells.
Nothing is diffed or classified, so no real tool can beat this figure.

Usage: python bench/floor.py REPO [REV_RANGE]
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import orjson
import yaml

try:  # the tracker reads TOML with tomli's compiled parser when it is installed: so does the floor
    import tomli as toml
except ImportError:
    import tomllib as toml  # type: ignore[no-redef]

LOG = ["git", "log", "-z", "--raw", "--no-abbrev", "--no-renames", "--first-parent",
       "--diff-merges=first-parent", "--reverse", "--format=%H %aI"]
ZERO = "0" * 40


@dataclass
class FloorResult:
    seconds: float
    commits: int
    changes: int
    blobs: int
    bytes: int
    log_seconds: float


def changed_blobs(repo: Path, rev: str = "HEAD", under: str | None = None
                  ) -> tuple[int, int, list[tuple[str, str]]]:
    """(commits, changes, [(path, new blob sha)]) of every added or modified file, in order;
    ``under`` keeps only commits and files below that folder."""
    paths = ["--", under] if under else []
    out = subprocess.run(LOG + [rev] + paths, cwd=repo, capture_output=True, check=True).stdout
    commits = changes = 0
    blobs: list[tuple[str, str]] = []
    tokens = out.split(b"\0")
    i = 0
    while i < len(tokens):
        token = tokens[i].lstrip(b"\n")
        if token.startswith(b":"):
            # ":old_mode new_mode old_sha new_sha status" then the path token
            fields = token.split()
            changes += 1
            if fields[4] != b"D" and fields[3].decode() != ZERO:
                blobs.append((tokens[i + 1].decode("utf-8", "surrogateescape"),
                              fields[3].decode()))
            i += 2
            continue
        if token:
            commits += 1
        i += 1
    return commits, changes, blobs


def read_blobs(repo: Path, shas: list[str]) -> Iterator[bytes]:
    """Every blob through one cat-file; a writer thread keeps the pipe full without deadlock."""
    proc = subprocess.Popen(["git", "cat-file", "--batch"], cwd=repo, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, bufsize=1 << 20)
    stdin: IO[bytes] = proc.stdin  # type: ignore[assignment]
    stdout: IO[bytes] = proc.stdout  # type: ignore[assignment]

    def feed() -> None:
        stdin.write("".join(s + "\n" for s in shas).encode())
        stdin.close()

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    for _ in shas:
        header = stdout.readline().split()
        size = int(header[2])
        data = stdout.read(size)
        stdout.read(1)  # the newline after the content
        yield data
    writer.join()
    proc.wait()


def understand(path: str, data: bytes) -> int:
    """The least work telling what a blob holds; returns a count so nothing is optimized away."""
    if path.endswith(".json"):
        return len(orjson.loads(data))
    if path.endswith(".toml"):
        try:
            return len(toml.loads(data.decode()))
        except (toml.TOMLDecodeError, UnicodeDecodeError):
            return 0  # real histories hold broken versions; tracker warns, the floor moves on
    if path.endswith((".yaml", ".yml")):
        return len(yaml.load(data, Loader=yaml.CSafeLoader) or ())
    if path.endswith(".md"):
        cells = 0
        for line in data.decode().split("\n"):
            if line.startswith("|"):
                cells += len(line.strip().strip("|").split("|"))
        return cells
    return 0


def floor(repo: Path, rev: str = "HEAD", under: str | None = None,
          suffix: str | None = None) -> FloorResult:
    """The floor over ``rev``'s first-parent history; ``under``/``suffix`` narrow it to the
    files a source reads (models.dev: the TOML files under providers/)."""
    start = time.perf_counter()
    commits, changes, changed = changed_blobs(repo, rev, under)
    if suffix:
        changed = [(p, s) for p, s in changed if p.endswith(suffix)]
    log_seconds = time.perf_counter() - start
    seen: set[str] = set()
    unique = [(p, s) for p, s in changed if not (s in seen or seen.add(s))]  # type: ignore[func-returns-value]
    total = 0
    blobs = read_blobs(repo, [s for _p, s in unique])
    for (path, _sha), data in zip(unique, blobs, strict=True):
        understand(path, data)
        total += len(data)
    return FloorResult(time.perf_counter() - start, commits, changes, len(unique), total,
                       log_seconds)


if __name__ == "__main__":
    result = floor(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "HEAD")
    print(f"{result.commits} commits, {result.changes} changes, {result.blobs} blobs "
          f"({result.bytes / 1e6:.0f} MB): {result.seconds:.2f} s "
          f"(git log {result.log_seconds:.2f} s)")
