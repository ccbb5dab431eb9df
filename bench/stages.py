"""Where one ``tracker update`` spends its time, without a profiler's 2× distortion.

Wraps named functions with a perf_counter and runs the update in this process, then prints each
stage's inclusive seconds (stages nest: parse_page is inside the walk). cProfile charges every
Python call and so inflates parsers of many small calls; these totals are wall time as the
bench measures it, plus two perf_counter calls per wrapped call.

Usage: python bench/stages.py REPO [--stage module:qualname ...] [--cmd update]
(REPO: a fresh clone, e.g. ``git clone -q bench/out/site-3000 /tmp/s``; it is updated in place.)
"""

from __future__ import annotations

import argparse
import functools
import importlib
import os
import time
from collections.abc import Callable
from typing import Any

STAGES = [
    "tracker.pipeline:walk_new_commits",
    "tracker.walk.snapshots:Snapshots._parse",
    "tracker.sources.page:parse_page",
    "tracker.sources.data:parse_data_file",
    "tracker.sources.records:read_record_file",
    "tracker.walk.snapshots:Snapshots._events",
    "tracker.ledger:Ledger.add_events",
    "tracker.ledger:Ledger.write_cache",
    "tracker.pipeline:render_all",
    "tracker.render.charts:build_charts",
    "tracker.render.changelog:update_pages",
    "tracker.render.updates:update_blocks",
    "tracker.render.feeds:build_feeds",
    "tracker.render.calendar:build_calendar",
    "tracker.render.opml:build_opml",
    "tracker.writer:write_charts",
    "tracker.writer:write_feeds",
]


def wrap(spec: str, totals: dict[str, list[float]]) -> None:
    """Replace ``module:Qual.name`` with a timed wrapper (in its module or class)."""
    module_name, qualname = spec.split(":")
    owner: Any = importlib.import_module(module_name)
    *parents, name = qualname.split(".")
    for parent in parents:
        owner = getattr(owner, parent)
    function: Callable[..., Any] = getattr(owner, name)
    cell = totals.setdefault(qualname, [0.0, 0])

    @functools.wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            cell[0] += time.perf_counter() - start
            cell[1] += 1

    setattr(owner, name, timed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("repo")
    parser.add_argument("--stage", action="append", help="module:qualname (repeatable); "
                        "default: the pipeline's main stages")
    parser.add_argument("--cmd", default="update")
    args = parser.parse_args()
    totals: dict[str, list[float]] = {}
    for spec in args.stage or STAGES:
        wrap(spec, totals)
    from tracker.cli import cli  # after wrapping: names bound at import; cli returns,
    # where the console script's main would end the process

    os.chdir(args.repo)
    start = time.perf_counter()
    try:
        cli([args.cmd, "--quiet"], prog_name="tracker")
    except SystemExit as done:
        if done.code:
            raise
    total = time.perf_counter() - start
    print(f"{total:8.3f} s  total (load average {os.getloadavg()[0]:.2f})")
    for qualname, (seconds, calls) in sorted(totals.items(), key=lambda kv: -kv[1][0]):
        if calls:
            print(f"{seconds:8.3f} s  {qualname} ({calls} calls)")


if __name__ == "__main__":
    main()
