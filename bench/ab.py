"""Old code against new, alternating in one run: how bench/README's before/after were measured.

Each side is a copy of ``src/`` (e.g. ``git archive main src | tar -x -C /tmp/old``) run through
PYTHONPATH with this venv's interpreter; the machine is shared and noisy, so the rounds alternate
old, new, old, new… and CPU time (the child's, with its git processes) is printed beside wall.

- ``full``: a fresh clone of the site history, ``tracker update`` from scratch.
- ``outputs``: after each side's full update (outputs committed), a fresh clone walks the commit
  of the tracker's own outputs (200 pages changed only inside their blocks).
- ``ci``: each side's CI steady state (full update, outputs committed, that commit walked and
  committed), then per round: a fresh clone, one new commit, update (cold CI); one more commit,
  update (cache warm); update again (nothing new).

Usage: python bench/ab.py {full,outputs,ci} REPO OLD_SRC NEW_SRC [--rounds N] [--work DIR]
                          [--config tracker.yaml]
(REPO: e.g. bench/out/site-3000, from bench/generate.py.)
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

GIT = ["git", "-c", "user.name=Bench", "-c", "user.email=bench@example.org"]
# what the installed ``tracker`` script runs (its entry point, tracker.cli.main), from the
# PYTHONPATH's src: ``python -m tracker`` ends the process the slower, usual way
SCRIPT = "import sys; from tracker.cli import main; sys.argv[0] = 'tracker'; main()"


def git(repo: Path, *args: str) -> str:
    return subprocess.run([*GIT, *args], cwd=repo, check=True, capture_output=True,
                          text=True).stdout


def clone(source: Path, dest: Path) -> Path:
    if dest.exists():
        shutil.rmtree(dest)
    subprocess.run(["git", "clone", "-q", str(source), str(dest)], check=True)
    return dest


def update(src: str, repo: Path) -> str:
    """One ``tracker update`` of the code at ``src``: wall, CPU (child and its children), RSS."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = src
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", SCRIPT, "update", "--repo", str(repo),
                              "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             env=env)
    _pid, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    assert child.stderr is not None
    if status:
        raise SystemExit(f"{src}: tracker update failed:\n{child.stderr.read().decode()}")
    return (f"wall {wall:.2f} s, cpu {usage.ru_utime + usage.ru_stime:.2f} s, "
            f"rss {usage.ru_maxrss / 1024:.0f} MB, load {os.getloadavg()[0]:.2f}")


def commit_outputs(repo: Path) -> None:
    git(repo, "add", "-A")
    if git(repo, "status", "--porcelain").strip():
        git(repo, "commit", "-q", "-m", "tracker: update history, feeds and changelogs")


def one_more_commit(repo: Path, n: int) -> None:
    """One quota of one page, different each time."""
    path = sorted((repo / "services" / "api").glob("*/_index.md"))[n % 7]
    text = re.sub(r"(\*\*每日请求数\*\* \| )([0-9,]+)", rf"\g<1>{7 + n}", path.read_text(),
                  count=1)
    path.write_text(text)
    git(repo, "commit", "-q", "-m", "bench: one new commit", "--", str(path.relative_to(repo)))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("what", choices=["full", "outputs", "ci"])
    parser.add_argument("repo", type=Path)
    parser.add_argument("old", help="the old code's src/ folder")
    parser.add_argument("new", help="the new code's src/ folder")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("bench/out/ab"))
    parser.add_argument("--config", type=Path, help="a tracker.yaml put untracked in each clone "
                        "(examples/configs/models-dev.yaml for a models.dev clone)")
    args = parser.parse_args()
    sides = {"old": args.old, "new": args.new}
    print(f"load {os.getloadavg()}", flush=True)
    if args.what == "full":
        for n in range(args.rounds):
            for name, src in sides.items():
                scratch = clone(args.repo, args.work / name)
                if args.config:
                    shutil.copy(args.config, scratch / "tracker.yaml")
                print(f"{name} full update, round {n}: {update(src, scratch)}", flush=True)
        return
    for name, src in sides.items():  # each side's outputs (facts and caches keyed to it)
        base = clone(args.repo, args.work / f"{name}-base")
        print(f"{name} full update: {update(src, base)}", flush=True)
        commit_outputs(base)
        if args.what == "ci":
            update(src, base)  # the outputs commit walked, its state committed
            commit_outputs(base)
    for n in range(args.rounds):
        for name, src in sides.items():
            scratch = clone(args.work / f"{name}-base", args.work / name)
            if args.what == "outputs":
                print(f"{name} fresh clone walks the outputs commit, round {n}: "
                      f"{update(src, scratch)}", flush=True)
                continue
            one_more_commit(scratch, n)
            print(f"{name} cold CI, round {n}: {update(src, scratch)}", flush=True)
            one_more_commit(scratch, n + 100)
            print(f"{name} one more commit, cache warm, round {n}: {update(src, scratch)}",
                  flush=True)
            print(f"{name} nothing new, round {n}: {update(src, scratch)}", flush=True)


if __name__ == "__main__":
    main()
