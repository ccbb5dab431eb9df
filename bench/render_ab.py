"""Old rendering against new, alternating: ``render_all`` alone, from a ledger already written.

Rendering is a third of a full update or more, and a full update's other stages move its total
by more than rendering's own changes; this times ``render_all`` alone, with the same ledger on
both sides, and checks that both sides wrote the same bytes.

PREPARED is a repository after a full ``tracker update`` (its ledger in place, e.g. a clone of
``bench/out/site-3000`` updated once). Each round copies it, puts the work tree back to HEAD but
for the ledger and tracker.yaml (pages without their blocks, no feeds, no charts: what a full
update from scratch renders into), then runs ``render_all`` in a child with each side's code on
PYTHONPATH: the ledger is read before the clock starts, the renderers' imports are inside it.
Wall and CPU (the child's ``process_time``) are printed, then SAME or the files that differ.

Usage: python bench/render_ab.py PREPARED OLD_SRC NEW_SRC [--rounds N] [--work DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import sys, time
from pathlib import Path
from tracker.config import load_config
from tracker.ledger import Ledger
config = load_config(Path(sys.argv[1]))
ledger = Ledger(config)
ledger.events(); ledger.raw_events(); ledger.overrides()
wall, cpu = time.perf_counter(), time.process_time()
from tracker.pipeline import render_all
render_all(config, ledger, skipped=[])
print(f"render_all {time.perf_counter() - wall:.3f} s, cpu {time.process_time() - cpu:.3f} s")
"""
# the caches keyed by the code that wrote them differ between the sides by design
UNCOMPARED = ("facts.jsonl", "events.cache.jsonl", "*.pickle")


def prepare(source: Path, dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(source, dest, symlinks=True)
    subprocess.run(["git", "checkout", "-q", "--", "."], cwd=dest, check=True)
    subprocess.run(["git", "clean", "-fdq", "-e", ".tracker", "-e", "history", "-e",
                    "tracker.yaml"], cwd=dest, check=True)


def render(src: str, repo: Path) -> str:
    env = {**os.environ, "PYTHONPATH": src}
    child = subprocess.run([sys.executable, "-c", CHILD, str(repo)], env=env,
                           capture_output=True, text=True)
    if child.returncode:
        raise SystemExit(f"{src}: render_all failed:\n{child.stderr}")
    return f"{child.stdout.strip()}, load {os.getloadavg()[0]:.2f}"


def differences(old: Path, new: Path) -> list[str]:
    excluded = [arg for name in (".git", *UNCOMPARED) for arg in ("-x", name)]
    diff = subprocess.run(["diff", "-rq", "--no-dereference", *excluded, str(old), str(new)],
                          capture_output=True, text=True)
    return diff.stdout.splitlines() + diff.stderr.splitlines()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("prepared", type=Path)
    parser.add_argument("old", help="the old code's src/ folder")
    parser.add_argument("new", help="the new code's src/ folder")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("bench/out/render-ab"))
    args = parser.parse_args()
    print(f"load {os.getloadavg()}", flush=True)
    for n in range(args.rounds):
        for name, src in (("old", args.old), ("new", args.new)):
            prepare(args.prepared, args.work / name)
            print(f"{name}, round {n}: {render(src, args.work / name)}", flush=True)
        found = differences(args.work / "old", args.work / "new")
        print("SAME" if not found else "DIFFERENT:\n" + "\n".join(found[:20]), flush=True)


if __name__ == "__main__":
    main()
