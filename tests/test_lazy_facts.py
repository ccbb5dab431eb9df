"""The facts a fresh clone imports (history/facts.jsonl) are assembled per service only when a
commit first touches one of its files, and written back line by line where nothing changed:
on random histories, a cold run that works lazily leaves the very events and bytes of one that
assembles every service up front, as import_facts used to."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import GitRepo
from test_incremental import carry_block, page, tree
from tracker import cache
from tracker.config import load_config
from tracker.layout import ledger_dir
from tracker.pipeline import update
from tracker.walk import checkpoint
from tracker.walk.snapshots import Snapshots

SLUGS = ("acme", "beta", "gamma")


def data_file(slug: str, per_day: int) -> str:
    """A YAML data file stating service ``slug`` too (its facts assembled with the page's)."""
    return (f"id: {slug}\nname: {slug.title()} Data\nprovider: {slug}\ntier: free\n"
            f"limits:\n  requests_per_day: {per_day}\n"
            f"models:\n  {slug}-data:\n    context: 8192\n")


_step = st.one_of(
    st.tuples(st.just("edit"), st.tuples(st.sampled_from(SLUGS), st.integers(1, 4),
                                         st.integers(1, 6), st.booleans(), st.integers(10, 40),
                                         st.sampled_from((0, 10)))),
    st.tuples(st.just("remove"), st.sampled_from(SLUGS)),
    st.tuples(st.just("move"), st.tuples(st.sampled_from(SLUGS), st.sampled_from(SLUGS))),
    st.tuples(st.just("data"), st.tuples(st.sampled_from(SLUGS), st.integers(0, 3))),
    # named by its title alone, an SEO title edited (no rename: the ledger's first name stays),
    # and its quota with it (an event that carries the name)
    st.tuples(st.just("title"), st.tuples(st.sampled_from(SLUGS),
                                          st.sampled_from(("", " 免费额度", " Pro")),
                                          st.integers(1, 4))),
)
TITLE = re.compile(r'^title: ".*"$', re.MULTILINE)


def apply(repo: GitRepo, kind: str, arg: Any) -> None:
    """One maintainer's edit in the work tree (the page's block carried along)."""
    if kind == "edit":
        slug, quota, concurrency, fast, price, sunset = arg
        path = f"services/api/{slug}/_index.md"
        before = repo.read(path) if (repo.root / path).exists() else ""
        repo.write(path, carry_block(before, page(slug, quota * 1000, concurrency, fast, price,
                                                  sunset)))
    elif kind == "remove":
        (repo.root / "services" / "api" / arg / "_index.md").unlink(missing_ok=True)
    elif kind == "move":  # a page renamed as it is: git sees a rename
        source, target = (repo.root / "services" / "api" / s / "_index.md" for s in arg)
        if source.exists() and not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            source.rename(target)
    elif kind == "title":
        slug, suffix, quota = arg
        path = repo.root / "services" / "api" / slug / "_index.md"
        if path.exists():
            text = re.sub(r"\*\*服务名称：\*\*.*\n", "", path.read_text(encoding="utf-8"))
            text = re.sub(r"(\| \*\*每日请求数\*\* \| )[\d,]+", rf"\g<1>{quota * 500:,}", text)
            path.write_text(TITLE.sub(f'title: "{slug.title()} Inference API{suffix}"', text, 1),
                            encoding="utf-8")
    else:
        slug, per_day = arg
        path = repo.root / "data" / "services" / f"{slug}.yaml"
        if per_day:
            repo.write(path.relative_to(repo.root).as_posix(), data_file(slug, per_day * 100))
        else:
            path.unlink(missing_ok=True)


@contextmanager
def eager_import() -> Any:
    """import_facts as it was: every service assembled as soon as the facts are read."""
    real = Snapshots.import_facts

    def import_facts(self: Snapshots, *args: Any, **kwargs: Any) -> bool:
        done = real(self, *args, **kwargs)
        self.settle()
        self._imported = {}  # and every line encoded again
        return done

    with mock.patch.object(Snapshots, "import_facts", import_facts):
        yield


def cold_update(repo: GitRepo, eager: bool, warm: bool = False) -> list[str]:
    """``tracker update`` as in a fresh clone (no cache in .git: the facts file is imported),
    or ``warm``: with the cache the last run left (facts still pending in it); the ids of its
    new events."""
    if not warm:
        shutil.rmtree(repo.root / ".git" / cache.CACHE_DIR, ignore_errors=True)
    if eager:
        with eager_import():
            result = update(repo.root)
    else:
        result = update(repo.root)
    return [e.id for e in result.new_events]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(st.tuples(_step, st.booleans()), min_size=1, max_size=8))
# a service named by its title left pending by a cold run, then touched by a warm one: it must
# keep the name the ledger first knew, which only the cold run had at hand
@example([(("title", ("acme", " Pro", 3)), False), (("edit", ("beta", 2, 3, True, 20, 0)), False),
          (("edit", ("beta", 3, 3, True, 20, 0)), False), (("title", ("acme", "", 4)), True)])
def test_lazy_facts_give_what_eager_ones_give(steps: list[tuple[tuple[str, Any], bool]]
                                              ) -> None:
    with tempfile.TemporaryDirectory() as folder:
        lazy, eager = GitRepo(Path(folder) / "lazy"), GitRepo(Path(folder) / "eager")
        for repo in (lazy, eager):
            for slug in SLUGS[:2]:
                repo.write(f"services/api/{slug}/_index.md", page(slug, 1000, 5, True, 28))
            repo.write("data/services/beta.yaml", data_file("beta", 300))
            repo.commit("two services", "2025-01-01T10:00:00+08:00")
            update(repo.root)
            repo.commit("tracker: outputs", "2025-01-01T10:00:00+08:00")
        imported = []
        real = Snapshots.import_facts

        def counted(self: Snapshots, *args: Any, **kwargs: Any) -> bool:
            done = real(self, *args, **kwargs)
            imported.append(done)
            return done

        for n, ((kind, arg), warm) in enumerate(steps, 1):
            date = f"2025-{1 + n // 28:02d}-{1 + n % 28:02d}T10:00:00+08:00"
            for repo in (lazy, eager):
                apply(repo, kind, arg)
                repo.commit(f"{kind} {n}", date)
            imported.clear()
            with mock.patch.object(Snapshots, "import_facts", counted):
                events = cold_update(lazy, eager=False, warm=warm)
            # cold, the facts file was used (so the lazy path ran); warm, the cache of the last
            # run, which may have left services pending
            assert imported == ([] if warm else [True])
            assert cold_update(eager, eager=True, warm=warm) == events, (n, kind, arg, warm)
            assert tree(lazy.root) == tree(eager.root), (n, kind, arg)
            for repo in (lazy, eager):
                repo.commit("tracker: outputs", date)  # as the workflow does


def test_a_facts_line_encoded_again_is_the_line_read(tmp_path: Path) -> None:
    """What lets an untouched file's line be written back as read: encoding what a line
    decodes to gives that line, for every file a walked site keeps (pages, a data file,
    services named by their title, a page that no longer reads wholly)."""
    repo = GitRepo(tmp_path / "site")
    for slug in SLUGS:
        repo.write(f"services/api/{slug}/_index.md", page(slug, 2000, 5, True, 28, 10))
    repo.write("data/services/beta.yaml", data_file("beta", 300))
    repo.write("services/api/titled/_index.md", "---\ntitle: Titled API 免费额度\n---\n\n"
               "## 📊 配额\n\n| 项目 | 值 |\n|---|---|\n| **每日请求数** | 100 |\n")
    repo.commit("services", "2025-01-01T10:00:00+08:00")
    repo.replace("services/api/gamma/_index.md", "| **并发请求** | 5 |",
                 "| **并发请求** | 5 | x |")
    repo.commit("a quota row with a cell too many", "2025-01-02T10:00:00+08:00")
    update(repo.root)
    data = (repo.root / ledger_dir(load_config(repo.root)) / checkpoint.FILE).read_bytes()
    key = tuple(json.loads(data.partition(b"\n")[0])["key"])
    state = checkpoint.decode(data, key)
    assert state is not None and state[3]  # the stale page is there
    files, blobs, broken, stale, links, _lines = state
    assert checkpoint.encode(key, files, blobs, broken, stale, links) == data
