"""Shared test fixtures: real git repositories in temp folders, pinned identity and dates."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

PAGES = Path(__file__).parent / "pages"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


class GitRepo:
    """A real repository with a pinned identity; every commit takes an explicit date."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def env(self, date: str) -> dict[str, str]:
        return {**os.environ, "GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.org",
                "GIT_COMMITTER_NAME": "Ada", "GIT_COMMITTER_EMAIL": "ada@example.org",
                "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date,
                "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}

    def git(self, *args: str, date: str = "2025-01-01T00:00:00+08:00") -> str:
        result = subprocess.run(["git", "-c", "commit.gpgsign=false", *args], cwd=self.root,
                                env=self.env(date), check=True, capture_output=True, text=True)
        return result.stdout.strip()

    def write(self, path: str, text: str | bytes) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_bytes(text.encode("utf-8"))

    def read(self, path: str) -> str:
        return (self.root / path).read_bytes().decode("utf-8")

    def replace(self, path: str, old: str, new: str) -> None:
        text = self.read(path)
        assert text.count(old) == 1, f"{old!r} is not in {path} exactly once"
        self.write(path, text.replace(old, new))

    def commit(self, message: str, date: str) -> str:
        self.git("add", "-A", date=date)
        self.git("commit", "-q", "--allow-empty", "-m", message, date=date)
        return self.git("rev-parse", "HEAD")


# What `tracker init` leaves in a repository that is a Hugo site's content, every key at its
# default: with it a run does not warn that init was never run there.
ADOPTED = (".tracker/tracker.yaml", "# written by tracker init: every key at its default\n")


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    return GitRepo(tmp_path / "site")


@pytest.fixture
def page_text() -> str:
    """The fixture page that follows the template most closely (zh)."""
    return (PAGES / "acme.md").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def example_catalogue(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Any]]:
    """The bundled example catalogue's repository and its commits, built once per session.
    Shared: read it, or copy it before changing anything."""
    sys.path.insert(0, str(EXAMPLES))  # build_example is a script beside the catalogue
    import build_example

    site = tmp_path_factory.mktemp("example") / "site"
    return site, build_example.build(site)


@pytest.fixture(scope="session")
def example_updated(example_catalogue: tuple[Path, list[Any]],
                    tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the example catalogue after one ``tracker update``, made once per session.
    Shared: read it, or copy it before changing anything."""
    from tracker.pipeline import update

    site = tmp_path_factory.mktemp("example-updated") / "site"
    shutil.copytree(example_catalogue[0], site, symlinks=True)
    update(site)
    return site


def counting_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths Sources.parse is asked for (it still parses them)."""
    from tracker.sources import Parsed, Sources

    asked: list[str] = []
    real = Sources.parse

    def parse(self: Sources, path: str, raw: bytes) -> Parsed:
        asked.append(path)
        return real(self, path, raw)

    monkeypatch.setattr(Sources, "parse", parse)
    return asked
