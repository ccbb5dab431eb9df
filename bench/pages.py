"""parse_page over every page version of a history, old code against new: time, and the facts.

Every page blob a history's commits add or change (in commit order, as the walk meets them) is
read once through one ``git log`` and one ``cat-file --batch`` into a pickle; then each side
(a copy of ``src/``, through PYTHONPATH) parses them all in a child process, alternating old,
new, old, new… Each child (a fresh process, so no memo carries over from another round) prints
its parse time (CPU seconds of the one pass: the machine is shared) and a digest of
every Service it got (``to_dict()`` with problems and their lines, or the ParseError): the two
sides must print the same digest.

With ``--block``, every version holds the tracker's changelog block, as a real site's pages
do once the tracker has run there (such a page is read as text: sections.LAST's ``_Text``).

Usage: python bench/pages.py REPO OLD_SRC NEW_SRC [--rounds N] [--glob 'services/**.md'] [--block]
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import pickle
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import hashlib, pickle, sys, time
from tracker.errors import ParseError
from tracker.sources.page import parse_page
blobs = pickle.load(open(sys.argv[1], "rb"))
digest = hashlib.sha1()
start = time.process_time()
for path, raw in blobs:
    try:
        service = parse_page(raw, path, "zh")
        digest.update(repr(service.to_dict()).encode())
        digest.update(repr(service.problems).encode())
    except ParseError as error:
        digest.update(repr((error.message, error.line)).encode())
print(f"{time.process_time() - start:.3f} {digest.hexdigest()[:16]} {len(blobs)}")
"""


BLOCK = ("\n## 📝 更新日志\n\n<!-- tracker:changelog:begin -->\n- 2025-01-01 配额下调\n"
         "<!-- tracker:changelog:end -->\n").encode()


def page_blobs(repo: Path, glob: str) -> list[tuple[str, bytes]]:
    """(path, bytes) of every page version the first-parent history adds or changes."""
    log = subprocess.run(["git", "log", "-z", "--raw", "--no-abbrev", "--first-parent",
                          "--reverse", "--no-renames", "--format=", "--diff-merges=first-parent"],
                         cwd=repo, check=True, capture_output=True).stdout.split(b"\0")
    wanted: list[tuple[str, str]] = []
    fields = iter(log)
    for meta in fields:
        if not meta.strip().startswith(b":"):
            continue
        path = next(fields).decode()
        parts = meta.split()
        if parts[4].strip() in (b"A", b"M") and fnmatch.fnmatch(path, glob):
            wanted.append((path, parts[3].decode()))
    shas = "".join(f"{sha}\n" for _, sha in wanted).encode()
    out = subprocess.run(["git", "cat-file", "--batch"], cwd=repo, input=shas, check=True,
                         capture_output=True).stdout
    blobs, at = [], 0
    for path, _sha in wanted:
        header_end = out.index(b"\n", at)
        size = int(out[at:header_end].split()[2])
        blobs.append((path, out[header_end + 1:header_end + 1 + size]))
        at = header_end + 1 + size + 1
    return blobs


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--glob", default="services/*.md")
    parser.add_argument("--work", type=Path, default=Path("/tmp"))
    parser.add_argument("--block", action="store_true",
                        help="append the tracker's changelog block to every version")
    args = parser.parse_args()
    blobs = page_blobs(args.repo, args.glob)
    if args.block:
        blobs = [(path, raw + BLOCK) for path, raw in blobs]
    args.work.mkdir(parents=True, exist_ok=True)
    store = args.work / "page-blobs.pickle"
    store.write_bytes(pickle.dumps(blobs))
    print(f"{len(blobs)} page versions, {sum(len(r) for _, r in blobs) / 1e6:.1f} MB")
    for round_no in range(args.rounds):
        for side, src in (("old", args.old), ("new", args.new)):
            env = {**os.environ, "PYTHONPATH": src}
            out = subprocess.run([sys.executable, "-c", CHILD, str(store)], env=env, check=True,
                                 capture_output=True, text=True).stdout.split()
            print(f"round {round_no + 1} {side}: parse {out[0]} s, facts {out[1]}, "
                  f"load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
