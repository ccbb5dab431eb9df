"""`make bench`: tracker against the git floor, on both workloads, measured in one run.

For each workload (site pages + data files; LiteLLM-like JSON + models.dev-like TOML tree) at N
commits (3,000 by default, 300 with --quick) and 2N: the floor (bench/floor.py), then on a fresh
clone `tracker update` from scratch (wall and peak RSS of the child), again with nothing new, after
one new commit, and from scratch on the 2N history. Prints one table, each measure with its target.

Usage: python bench/run.py [--quick] [--commits N] [--workload site|records] [--profile DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from floor import floor  # noqa: E402
from generate import generate  # noqa: E402

OUT = HERE / "out"
FULL_RATIO = {"records": 1.5, "site": 5.0}
NOOP_MAX, ONE_MAX, RSS_MAX, DOUBLING_MAX = 0.4, 1.0, 300.0, 2.1
TIMEOUT = 3600


@dataclass
class Run:
    seconds: float
    rss_mb: float
    status: int
    stderr: str


@dataclass
class Row:
    workload: str
    measure: str
    seconds: float | None
    ratio: float | None = None  # to the floor, or to the N-commit run for the doubling row
    rss_mb: float | None = None
    target: str = ""
    ok: bool | None = None


def tracker_command() -> list[str] | None:
    if importlib.util.find_spec("tracker.pipeline") is None:
        return None
    script = Path(sys.executable).parent / "tracker"
    return [str(script)] if script.exists() else [sys.executable, "-m", "tracker"]


def run_tracker(cmd: list[str], repo: Path, profile: Path | None = None) -> Run:
    """One `tracker update` as a child; wait4 gives that child's own peak RSS."""
    argv = cmd + ["update", "--repo", str(repo), "--quiet"]
    if profile is not None:
        argv = [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "tracker",
                "update", "--repo", str(repo), "--quiet"]
    errors = repo.parent / (repo.name + ".stderr")
    with open(errors, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err)
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(seconds, usage.ru_maxrss / 1024, proc.returncode,
               errors.read_text(errors="replace")[-2000:])


def fresh_clone(repo: Path, name: str) -> Path:
    """A scratch clone: tracker writes history/, feeds and pages; the cached repo stays clean."""
    dest = OUT / "scratch" / name
    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "clone", "-q", str(repo), str(dest)], check=True)
    return dest


def one_more_commit(repo: Path, workload: str) -> None:
    """A realistic small change: one model price (records) or one quota number (site)."""
    if workload == "records":
        path = next(p for p in sorted((repo / "providers" / "openai" / "models").glob("*.toml")))
        text = path.read_text()
        text = re.sub(r"(?m)^input = .*$", "input = 123.45", text, count=1)
    else:
        path = sorted((repo / "services" / "api").glob("*/_index.md"))[0]
        text = re.sub(r"(\*\*每日请求数\*\* \| )([0-9,]+)", r"\g<1>7", path.read_text(), count=1)
    path.write_text(text)
    rel = str(path.relative_to(repo))
    subprocess.run(["git", "-c", "user.name=Bench", "-c", "user.email=bench@example.org",
                    "commit", "-q", "-m", "bench: one new commit", "--", rel], cwd=repo,
                   check=True)


def measure(workload: str, commits: int, cmd: list[str] | None,
            profile: Path | None) -> list[Row]:
    repo = generate(workload, commits, OUT / f"{workload}-{commits}")
    repo2 = generate(workload, 2 * commits, OUT / f"{workload}-{2 * commits}")
    base = floor(repo)
    base2 = floor(repo2)
    rows = [Row(workload, f"floor, {commits} commits ({base.blobs} blobs, "
                          f"{base.bytes / 1e6:.0f} MB)", base.seconds, 1.0),
            Row(workload, f"floor, {2 * commits} commits", base2.seconds,
                base2.seconds / base.seconds)]
    if cmd is None:
        rows.append(Row(workload, "tracker: not available", None))
        return rows
    scratch = fresh_clone(repo, f"{workload}-{commits}")
    full = run_tracker(cmd, scratch, profile / f"{workload}-full.prof" if profile else None)
    check(full, "full update")
    limit = FULL_RATIO[workload]
    rows.append(Row(workload, "tracker update, from scratch", full.seconds,
                    full.seconds / base.seconds, full.rss_mb,
                    f"≤{limit}× floor, <{RSS_MAX:.0f} MB",
                    full.seconds / base.seconds <= limit and full.rss_mb < RSS_MAX))
    noop = run_tracker(cmd, scratch)
    check(noop, "no-op update")
    rows.append(Row(workload, "tracker update, nothing new", noop.seconds, None, noop.rss_mb,
                    f"<{NOOP_MAX} s", noop.seconds < NOOP_MAX))
    one_more_commit(scratch, workload)
    one = run_tracker(cmd, scratch)
    check(one, "one-commit update")
    rows.append(Row(workload, "tracker update, one new commit", one.seconds, None, one.rss_mb,
                    f"<{ONE_MAX} s", one.seconds < ONE_MAX))
    scratch2 = fresh_clone(repo2, f"{workload}-{2 * commits}")
    double = run_tracker(cmd, scratch2)
    check(double, "doubled update")
    rows.append(Row(workload, f"tracker update, {2 * commits} commits", double.seconds,
                    double.seconds / full.seconds, double.rss_mb,
                    f"≤{DOUBLING_MAX}× the {commits}-commit run, <{RSS_MAX:.0f} MB",
                    double.seconds / full.seconds <= DOUBLING_MAX and double.rss_mb < RSS_MAX))
    return rows


def check(run: Run, what: str) -> None:
    if run.status != 0:
        raise SystemExit(f"tracker failed ({what}, exit {run.status}):\n{run.stderr}")


def table(rows: list[Row]) -> str:
    head = ("workload", "measure", "seconds", "ratio", "peak MB", "target", "result")
    body = [(r.workload, r.measure, "" if r.seconds is None else f"{r.seconds:.2f}",
             "" if r.ratio is None else f"{r.ratio:.2f}×",
             "" if r.rss_mb is None else f"{r.rss_mb:.0f}", r.target,
             "" if r.ok is None else ("pass" if r.ok else "MISS")) for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body, strict=True)]
    lines = [" | ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True))
             for line in [head, *body]]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="300 commits instead of 3,000")
    parser.add_argument("--commits", type=int, help="commits in the base history")
    parser.add_argument("--workload", choices=["site", "records"], action="append")
    parser.add_argument("--profile", type=Path, help="write cProfile output of the full runs here")
    args = parser.parse_args()
    commits = args.commits or (300 if args.quick else 3000)
    cmd = tracker_command()
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    for workload in args.workload or ["records", "site"]:
        print(f"[bench] {workload}, {commits} and {2 * commits} commits …", file=sys.stderr)
        rows += measure(workload, commits, cmd, args.profile)
    print(table(rows))
    if cmd is None:
        print("\ntracker: not available (tracker.pipeline is not importable yet)")


if __name__ == "__main__":
    main()
