"""The incremental contract as a property: on random histories, the bytes ``tracker update``
leaves after every commit are the bytes a full ``tracker render`` gives from the same ledger —
whatever the walk skipped (the commit of the tracker's own outputs, pages it did not visit).

The histories are a site's under its workflow: a maintainer commits (edits a page as it is, its
tracker block included; removes one; edits inside a block by hand; renames the provider in its
link, which no event tells, or names another service's provider in its prose; retracts or
annotates an event in the ledger's overrides, committed or only in the work tree), the workflow
runs ``tracker update`` and commits what it wrote, which the next run walks beside the next
edit.
"""

from __future__ import annotations

import gc
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import PAGES, GitRepo
from tracker.config import load_config
from tracker.ledger import Ledger
from tracker.pipeline import RENDER_GC_THRESHOLD, render_all, update
from tracker.render import feeds

PAGE = (PAGES / "acme.md").read_text(encoding="utf-8")
SLUGS = ("acme", "beta", "gamma")
BEGIN, END = "<!-- tracker:changelog:begin -->", "<!-- tracker:changelog:end -->"


def page(slug: str, quota: int, concurrency: int, fast: bool, price: int,
         sunset: int = 0) -> str:
    """The fixture page as service ``slug``, with its numbers set; ``sunset``: the day in
    September 2025 its fast model is to be shut down (0: none announced)."""
    text = PAGE.replace("| **每日请求数** | 14,400 requests/day |",
                        f"| **每日请求数** | {quota:,} requests/day |")
    text = text.replace("| **并发请求** | 5 |", f"| **并发请求** | {concurrency} |")
    text = text.replace("$0.28/M tokens", f"$0.{price:02d}/M tokens")
    row = "| **acme-fast** | 32,768 | 4K | 低延迟 | 实时应用 |"
    if sunset:  # a calendar entry, moved or cancelled by later edits
        dated = row.replace("实时应用", f"2025-09-{sunset:02d} 下线")
        text, row = text.replace(row, dated), dated
    if not fast:
        text = text.replace(row + "\n", "")
        text = text.replace("| **acme-fast** | $0.10/M tokens | $0.20/M tokens | |\n", "")
    return text.replace("Acme", slug.title()).replace("acme", slug)


_edit = st.tuples(st.sampled_from(SLUGS), st.integers(1, 4) .map(lambda n: n * 1000),
                  st.integers(1, 6), st.booleans(), st.integers(10, 40),
                  st.sampled_from((0, 0, 10, 20)))
_step = st.one_of(
    st.tuples(st.just("edit"), _edit),
    st.tuples(st.just("remove"), st.sampled_from(SLUGS)),
    st.tuples(st.just("hand"), st.sampled_from(SLUGS)),  # a hand edit inside the block
    # the provider's link text: a name every feed shows, and no event
    st.tuples(st.just("provider"), st.tuples(st.sampled_from(SLUGS),
                                             st.sampled_from(("Labs", "Cloud")))),
    # another service's provider named in a page's prose, with a link of its own text
    st.tuples(st.just("mention"), st.tuples(st.sampled_from(SLUGS), st.sampled_from(SLUGS),
                                            st.sampled_from(("Labs", "Cloud")))),
    # the ledger's overrides: an event retracted or annotated, or every override dropped
    st.tuples(st.just("override"), st.tuples(st.integers(0, 30),
                                             st.sampled_from(("retract", "note", "none")),
                                             st.booleans())),
)


def override(root: Path, index: int, how: str) -> str:
    """Write the ledger's overrides.yaml: event ``index`` (of the ledger's, oldest first)
    retracted or noted, or nothing overridden; returns its path relative to ``root``."""
    ledger = Ledger(load_config(root))
    events = ledger.raw_events()
    path = ledger.dir / "overrides.yaml"
    if how == "none" or not events:
        path.write_text("{}\n", encoding="utf-8")
    else:
        event = events[index % len(events)]
        spec = "{retract: true}" if how == "retract" else "{note: checked by hand}"
        path.write_text(f"{event.id}: {spec}\n", encoding="utf-8")
    return path.relative_to(root).as_posix()


def carry_block(before: str, after: str) -> str:
    """``after`` with the tracker's block that ``before`` holds, where the tracker put it."""
    if BEGIN not in before:
        return after
    block = before[before.index(BEGIN):before.index(END) + len(END)]
    heading = "## 📝 更新日志\n\n"
    return after.replace(heading, heading + block + "\n\n", 1)


def tree(root: Path) -> dict[str, bytes]:
    """Every output and page: the work tree but .git and the ledger's own bookkeeping."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(root).parts}


def rendered_in_full(root: Path, scratch: Path) -> dict[str, bytes]:
    """The tree after a full ``tracker render`` of a copy of ``root``."""
    if scratch.exists():
        shutil.rmtree(scratch)
    shutil.copytree(root, scratch, symlinks=True)
    config = load_config(scratch)
    render_all(config, Ledger(config))
    return tree(scratch)


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(_step, min_size=1, max_size=10))
def test_incremental_updates_leave_what_a_full_render_gives(steps: list[tuple]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        repo = GitRepo(Path(folder) / "site")
        for slug in SLUGS[:2]:
            repo.write(f"services/api/{slug}/_index.md", page(slug, 1000, 5, True, 28))
        repo.commit("two services", "2025-01-01T10:00:00+08:00")
        update(repo.root)
        repo.commit("tracker: outputs", "2025-01-01T10:00:00+08:00")
        for n, (kind, arg) in enumerate(steps, 1):
            date = f"2025-{1 + n // 28:02d}-{1 + n % 28:02d}T10:00:00+08:00"
            if kind == "edit":  # a maintainer's edit of the page as it is, block and all
                slug, quota, concurrency, fast, price, sunset = arg
                path = f"services/api/{slug}/_index.md"
                before = repo.read(path) if (repo.root / path).exists() else ""
                repo.write(path, carry_block(before, page(slug, quota, concurrency, fast, price,
                                                          sunset)))
                repo.git("add", "-A", "services", date=date)
            elif kind == "remove":
                target = repo.root / "services" / "api" / arg / "_index.md"
                if target.exists():
                    target.unlink()
                repo.git("add", "-A", "services", date=date)
            elif kind == "hand":
                target = repo.root / "services" / "api" / arg / "_index.md"
                if target.exists() and END in target.read_text(encoding="utf-8"):
                    repo.replace(f"services/api/{arg}/_index.md", END, "- by hand\n" + END)
                repo.git("add", "-A", date=date)
            elif kind == "provider":
                slug, word = arg
                target = repo.root / "services" / "api" / slug / "_index.md"
                if target.exists():
                    text = re.sub(r"\[[^\]]*\]\(/providers/",
                                  f"[{slug.title()} {word}](/providers/",
                                  target.read_text(encoding="utf-8"))
                    target.write_text(text, encoding="utf-8")
                repo.git("add", "-A", "services", date=date)
            elif kind == "mention":
                slug, other, word = arg
                target = repo.root / "services" / "api" / slug / "_index.md"
                if target.exists():
                    with target.open("a", encoding="utf-8") as text:
                        text.write(f"\n参见 [{other.title()} {word}](/providers/{other})\n")
                repo.git("add", "-A", "services", date=date)
            elif kind == "override":
                index, how, committed = arg
                written = override(repo.root, index, how)
                if committed:  # else the workflow's commit of its outputs takes it
                    repo.git("add", written, date=date)
            repo.git("commit", "-q", "--allow-empty", "-m", f"{kind} {n}", date=date)
            update(repo.root)
            assert tree(repo.root) == rendered_in_full(repo.root, Path(folder) / "full"), \
                (n, kind, arg)
            repo.commit("tracker: outputs", date)  # as the workflow does


def test_a_render_freezes_the_heap_it_starts_with_and_no_longer(tmp_path: Path,
                                                                 monkeypatch: Any) -> None:
    """render_all keeps the objects alive when it starts (the ledger) out of its collections
    and collects young objects less often, and gives both back when it ends, also when a
    renderer fails."""
    repo = GitRepo(tmp_path / "site")
    repo.write(f"services/api/{SLUGS[0]}/_index.md", page(SLUGS[0], 1000, 5, True, 28))
    repo.commit("one service", "2025-01-01T10:00:00+08:00")
    update(repo.root)
    config = load_config(repo.root)
    seen: list[int] = []
    real = feeds.build_feeds

    def build_feeds(*args: Any, **kwargs: Any) -> dict[str, bytes]:
        seen.append(gc.get_freeze_count())
        seen.append(gc.get_threshold()[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(feeds, "build_feeds", build_feeds)
    threshold = gc.get_threshold()
    assert gc.get_freeze_count() == 0
    render_all(config, Ledger(config))
    assert seen[0] > 0 and seen[1] == RENDER_GC_THRESHOLD != threshold[0]
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == threshold

    def failing(*args: Any, **kwargs: Any) -> dict[str, bytes]:
        raise RuntimeError("a renderer fails")

    monkeypatch.setattr(feeds, "build_feeds", failing)
    with pytest.raises(RuntimeError):
        render_all(config, Ledger(config))
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == threshold
