"""`make bench`: tracker against the git floor, every row of the performance table in one run.

Workloads (each floor is measured in the same run as the tracker it divides):

- **site**: 200 Markdown pages (+100 YAML files), N = 3,000 commits (300 with --quick); floor =
  git I/O + splitting every table row. Rows: full update, nothing new, the cold CI run, and the
  full update of the 2N-commit history (doubling).
- **scale**: the cold CI run on the site against the same on a site of 400 services (same
  commits), alternating, best of 3 each; target ≤1.2×: a push must not cost more because the site
  is bigger.
- **map**: one LiteLLM-like JSON map of ~730 KB that each of N/2 = 1,500 commits changes; floor =
  git I/O + one orjson parse per version.
- **models.dev**: the real repository's history (its first-parent commits touching providers/);
  floor = git I/O + tomli (or tomllib) of every changed TOML file. Needs a local clone:
  --models-dev PATH or $BENCH_MODELS_DEV (the bench never touches the network); without one the
  row says so.

The **cold CI** row is measured as a site's workflow runs: the bench repository with its committed
outputs (history/, feeds/, pages) is `git clone`d — so there is no .git/tracker-cache — one new
commit is made, and `tracker update` runs. Peak memory is the largest peak RSS of any tracker child.

Usage: python bench/run.py [--quick] [--commits N]
                           [--workload site|scale|map|models.dev|records]
                           [--models-dev PATH] [--profile DIR]
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
ROOT = HERE.parent
FULL_RATIO = {"site": 4.0, "map": 2.0, "models.dev": 2.5, "records": 1.5}
NOOP_MAX, COLD_MAX, ONE_MAX, RSS_MAX, DOUBLING_MAX = 0.15, 0.8, 0.5, 200.0, 2.05
SCALE_MAX, SCALE_SERVICES, SCALE_ROUNDS = 1.2, 400, 3
MODELS_DEV_ENV = "BENCH_MODELS_DEV"
# Children run as an installed tracker does: its modules compiled once (pip compiles on
# install), not again in every run because the calling shell set PYTHONDONTWRITEBYTECODE.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
GIT_USER = ["-c", "user.name=Bench", "-c", "user.email=bench@example.org"]


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


class Bench:
    """Runs tracker children and remembers the largest peak RSS among them."""

    def __init__(self, cmd: list[str], profile: Path | None) -> None:
        self.cmd, self.profile, self.peak = cmd, profile, 0.0

    def update(self, repo: Path, what: str, profile_name: str | None = None) -> Run:
        """One `tracker update` as a child; wait4 gives that child's own peak RSS."""
        argv = self.cmd + ["update", "--repo", str(repo), "--quiet"]
        if self.profile is not None and profile_name is not None:
            argv = [sys.executable, "-m", "cProfile", "-o",
                    str(self.profile / f"{profile_name}.prof"), "-m", "tracker",
                    "update", "--repo", str(repo), "--quiet"]
        errors = repo.parent / (repo.name + ".stderr")
        with open(errors, "wb") as err:
            start = time.perf_counter()
            proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, env=CHILD_ENV)
            _pid, status, usage = os.wait4(proc.pid, 0)
            seconds = time.perf_counter() - start
        run = Run(seconds, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status),
                  errors.read_text(errors="replace")[-2000:])
        if run.status != 0:
            raise SystemExit(f"tracker failed ({what}, exit {run.status}):\n{run.stderr}")
        self.peak = max(self.peak, run.rss_mb)
        return run


def tracker_command() -> list[str] | None:
    if importlib.util.find_spec("tracker.pipeline") is None:
        return None
    script = Path(sys.executable).parent / "tracker"
    return [str(script)] if script.exists() else [sys.executable, "-m", "tracker"]


def fresh_clone(repo: Path, name: str) -> Path:
    """A scratch clone: tracker writes history/, feeds and pages; the cached repo stays clean."""
    dest = OUT / "scratch" / name
    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "clone", "-q", str(repo), str(dest)], check=True)
    return dest


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *GIT_USER, *args], cwd=repo, check=True,
                          capture_output=True, text=True).stdout


def commit_outputs(repo: Path) -> bool:
    """Commit what tracker wrote, as a site's workflow does; False when nothing changed."""
    git(repo, "add", "-A")
    if not git(repo, "status", "--porcelain").strip():
        return False
    git(repo, "commit", "-q", "-m", "tracker: update history, feeds and changelogs")
    return True


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
    git(repo, "commit", "-q", "-m", "bench: one new commit", "--", str(path.relative_to(repo)))


def full_row(bench: Bench, workload: str, repo: Path, base_seconds: float,
             name: str) -> tuple[Row, Run, Path]:
    scratch = fresh_clone(repo, name)
    full = bench.update(scratch, "full update", f"{name}-full")
    limit = FULL_RATIO[workload]
    ratio = full.seconds / base_seconds
    return (Row(workload, "tracker update, from scratch", full.seconds, ratio, full.rss_mb,
                f"≤{limit}× floor", ratio <= limit), full, scratch)


def measure_site(bench: Bench | None, commits: int) -> list[Row]:
    repo = generate("site", commits, OUT / f"site-{commits}")
    repo2 = generate("site", 2 * commits, OUT / f"site-{2 * commits}")
    base = floor(repo)
    rows = [Row("site", f"floor, {commits} commits ({base.blobs} blobs, "
                        f"{base.bytes / 1e6:.0f} MB)", base.seconds, 1.0)]
    if bench is None:
        return rows
    row, full, scratch = full_row(bench, "site", repo, base.seconds, f"site-{commits}")
    rows.append(row)
    noop = bench.update(scratch, "no-op update")
    rows.append(Row("site", "tracker update, nothing new", noop.seconds, None, noop.rss_mb,
                    f"≤{NOOP_MAX} s", noop.seconds <= NOOP_MAX))
    steady_state(bench, scratch)
    cold, ci = cold_ci(bench, scratch, f"site-{commits}-ci", f"site-{commits}-cold-ci")
    rows.append(Row("site", "cold CI: fresh clone, one new commit", cold.seconds, None,
                    cold.rss_mb, f"≤{COLD_MAX} s", cold.seconds <= COLD_MAX))
    one_more_commit(ci, "site")
    warm = bench.update(ci, "warm update")
    rows.append(Row("site", "one new commit, cache warm", warm.seconds, None, warm.rss_mb,
                    f"≤{ONE_MAX} s", warm.seconds <= ONE_MAX))
    base2 = floor(repo2)
    rows.append(Row("site", f"floor, {2 * commits} commits", base2.seconds,
                    base2.seconds / base.seconds))
    scratch2 = fresh_clone(repo2, f"site-{2 * commits}")
    double = bench.update(scratch2, "doubled update")
    doubling = double.seconds / full.seconds
    rows.append(Row("site", f"tracker update, {2 * commits} commits", double.seconds, doubling,
                    double.rss_mb, f"≤{DOUBLING_MAX}× the {commits}-commit run",
                    doubling <= DOUBLING_MAX))
    return rows


def steady_state(bench: Bench, scratch: Path) -> None:
    """The CI loop's steady state: the outputs are committed, the next run walks that commit
    (pages changed only inside the tracker's blocks: no event) and commits its new state."""
    if commit_outputs(scratch):
        bench.update(scratch, "walking the outputs commit")
        commit_outputs(scratch)


def cold_ci(bench: Bench, steady: Path, name: str, profile: str | None = None,
            ) -> tuple[Run, Path]:
    """A fresh clone of ``steady`` (no .git/tracker-cache), one new commit, tracker update."""
    ci = fresh_clone(steady, name)
    assert not (ci / ".git" / "tracker-cache").exists()
    one_more_commit(ci, "site")
    return bench.update(ci, "cold CI update", profile), ci


def measure_scale(bench: Bench | None, commits: int) -> list[Row]:
    """The cold CI run on the site against the same on a site with twice the services (and
    the same number of commits): a push must not cost more because the site is bigger. Each
    site's steady state is built once; then their cold runs alternate, best of SCALE_ROUNDS."""
    sites = {n: generate("site", commits, OUT / (f"site-{commits}" if n == 200
                                                  else f"site-{commits}-{n}"), services=n)
             for n in (200, SCALE_SERVICES)}
    if bench is None:
        return []
    steady = {}
    for n, repo in sites.items():
        steady[n] = fresh_clone(repo, f"scale-{n}")
        bench.update(steady[n], f"full update, {n} services")
        steady_state(bench, steady[n])
    best = {n: float("inf") for n in sites}
    for _ in range(SCALE_ROUNDS):  # alternating: the load moves between rows
        for n in sites:
            best[n] = min(best[n], cold_ci(bench, steady[n], f"scale-{n}-ci")[0].seconds)
    ratio = best[SCALE_SERVICES] / best[200]
    return [Row("scale", f"cold CI, {n} services (best of {SCALE_ROUNDS})", best[n], None)
            for n in sites] + [
        Row("scale", f"cold CI, {SCALE_SERVICES} against 200 services", None, ratio, None,
            f"≤{SCALE_MAX}×", ratio <= SCALE_MAX)]


def measure_full(bench: Bench | None, workload: str, commits: int) -> list[Row]:
    """map / records: the floor and one full update."""
    repo = generate(workload, commits, OUT / f"{workload}-{commits}")
    base = floor(repo)
    rows = [Row(workload, f"floor, {commits} commits ({base.blobs} blobs, "
                          f"{base.bytes / 1e6:.0f} MB)", base.seconds, 1.0)]
    if bench is not None:
        rows.append(full_row(bench, workload, repo, base.seconds, f"{workload}-{commits}")[0])
    return rows


def measure_models_dev(bench: Bench | None, source: Path | None) -> list[Row]:
    if source is None or not source.exists():
        where = f" ({source} does not exist)" if source else ""
        print(f"[bench] models.dev skipped{where}: pass --models-dev PATH or set "
              f"{MODELS_DEV_ENV} to a local clone of github.com/anomalyco/models.dev",
              file=sys.stderr)
        return [Row("models.dev", f"skipped: no clone (--models-dev or ${MODELS_DEV_ENV})",
                    None)]
    base = floor(source, "HEAD", under="providers/", suffix=".toml")
    rows = [Row("models.dev", f"floor, {base.commits} commits touching providers/ "
                              f"({base.blobs} TOML blobs)", base.seconds, 1.0)]
    if bench is None:
        return rows
    scratch = fresh_clone(source, "models.dev")
    config = ROOT / "examples" / "configs" / "models-dev.yaml"
    shutil.copy(config, scratch / "tracker.yaml")  # untracked: the history stays the real one
    full = bench.update(scratch, "models.dev full update", "models.dev-full")
    ratio = full.seconds / base.seconds
    limit = FULL_RATIO["models.dev"]
    rows.append(Row("models.dev", "tracker update, from scratch", full.seconds, ratio,
                    full.rss_mb, f"≤{limit}× floor", ratio <= limit))
    return rows


def table(rows: list[Row]) -> str:
    head = ("workload", "measure", "seconds", "ratio", "peak MB", "target", "result")
    body = [(r.workload, r.measure, "" if r.seconds is None else f"{r.seconds:.2f}",
             "" if r.ratio is None else f"{r.ratio:.2f}×",
             "" if r.rss_mb is None else f"{r.rss_mb:.0f}", r.target,
             "" if r.ok is None else ("pass" if r.ok else "MISS")) for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body, strict=True)]
    lines = [" | ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)).rstrip()
             for line in [head, *body]]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="300 site commits (150 map commits) instead of 3,000 (1,500)")
    parser.add_argument("--commits", type=int, help="site commits (the map gets half)")
    parser.add_argument("--workload", choices=["site", "scale", "map", "models.dev", "records"],
                        action="append",
                        help="run only these (default: site, scale, map, models.dev)")
    parser.add_argument("--models-dev", type=Path,
                        default=os.environ.get(MODELS_DEV_ENV) or None,
                        help=f"a local clone of models.dev (default: ${MODELS_DEV_ENV})")
    parser.add_argument("--profile", type=Path, help="write cProfile output of the runs here")
    args = parser.parse_args()
    commits = args.commits or (300 if args.quick else 3000)
    cmd = tracker_command()
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    bench = Bench(cmd, args.profile) if cmd else None
    if cmd:
        import compileall

        compileall.compile_dir(str(ROOT / "src" / "tracker"), quiet=1)
    rows: list[Row] = []
    for workload in args.workload or ["site", "scale", "map", "models.dev"]:
        print(f"[bench] {workload} …", file=sys.stderr)
        if workload == "site":
            rows += measure_site(bench, commits)
        elif workload == "scale":
            rows += measure_scale(bench, commits)
        elif workload == "map":
            rows += measure_full(bench, "map", commits // 2)
        elif workload == "records":
            rows += measure_full(bench, "records", commits)
        else:
            rows += measure_models_dev(bench, args.models_dev)
        print(table(rows), file=sys.stderr)  # so far: a long run that fails keeps its rows
    if bench is not None:
        rows.append(Row("all", "peak memory (largest tracker child)", None, None, bench.peak,
                        f"≤{RSS_MAX:.0f} MB", bench.peak <= RSS_MAX))
    print(table(rows))
    if cmd is None:
        print("\ntracker: not available (tracker.pipeline is not importable yet)")


if __name__ == "__main__":
    main()
