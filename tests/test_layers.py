"""The module map: no import cycle (imports inside functions included), no import that runs back
up the layers, git reached only through the walker. Read from the source with ast, so a new
import is checked the moment it is written, wherever it sits in a module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parent.parent / "src" / "tracker"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(SOURCE.rglob("*.py"))}


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(path: Path) -> tuple[set[str], set[str]]:
    """The project modules ``path`` imports when it runs (at the top or in a function), and
    the outside modules it imports; imports under ``if TYPE_CHECKING:`` are types only."""
    own: set[str] = set()
    outside: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            names: list[str] = []
            if isinstance(child, ast.Import):
                names = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom) and child.module:
                names = [f"{child.module}.{alias.name}" for alias in child.names]
            for name in names:
                if name.startswith("tracker"):
                    found = _resolve(name)
                    if found is not None:
                        own.add(found)
                else:
                    outside.add(name.split(".")[0])
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    me = _module_name(path)
    return own - {me}, outside


GRAPH = {name: _imports(path) for name, path in MODULES.items()}


def _reaches(start: str, target: str, *, inside: bool = False) -> list[str] | None:
    """A chain of imports from ``start`` to ``target`` (with ``inside``: to any module of the
    package ``target`` too), or None."""
    seen, stack = {start}, [[start]]
    while stack:
        chain = stack.pop()
        for nxt in sorted(GRAPH[chain[-1]][0]):
            if nxt == target or inside and nxt.startswith(target + "."):
                return [*chain, nxt]
            if nxt not in seen:
                seen.add(nxt)
                stack.append([*chain, nxt])
    return None


def test_no_import_cycle() -> None:
    cycles = [chain for name in GRAPH if (chain := _reaches(name, name)) is not None]
    assert cycles == []


# module → modules (or packages, with every module in them) it must never reach, even through
# others: the layers, lowest first
BELOW = {
    "tracker.model": ("tracker.config", "tracker.i18n", "tracker.render", "tracker.walk"),
    "tracker.config": ("tracker.hugo", "tracker.site", "tracker.render", "tracker.sources",
                       "tracker.walk", "tracker.ledger", "tracker.pipeline"),
    "tracker.paths": ("tracker.config", "tracker.render", "tracker.hugo"),
    "tracker.hugo": ("tracker.site", "tracker.render", "tracker.pipeline"),
    "tracker.site": ("tracker.render", "tracker.pipeline"),
    "tracker.i18n": ("tracker.config", "tracker.render"),
    "tracker.sources": ("tracker.render", "tracker.ledger", "tracker.pipeline", "tracker.walk"),
    "tracker.walk.diff": ("tracker.walk.git", "tracker.walk.snapshots", "tracker.render",
                          "tracker.ledger"),
    "tracker.walk.classify": ("tracker.walk.git", "tracker.walk.snapshots", "tracker.render",
                              "tracker.ledger"),
    "tracker.walk": ("tracker.render", "tracker.ledger", "tracker.pipeline"),
    "tracker.ledger": ("tracker.render", "tracker.pipeline", "tracker.walk"),
    "tracker.render": ("tracker.pipeline", "tracker.walk", "tracker.ledger", "tracker.cli"),
}


@pytest.mark.parametrize("lower", sorted(BELOW))
def test_no_import_runs_back_up_the_layers(lower: str) -> None:
    starts = [name for name in MODULES if name == lower or name.startswith(lower + ".")]
    for start in starts:
        for upper in BELOW[lower]:
            chain = _reaches(start, upper, inside=True)
            assert chain is None, f"{start} reaches {upper}: {chain}"


def test_git_only_through_the_walker() -> None:
    """Only walk/git.py imports GitPython or starts a git process; everything else asks
    History."""
    importing_git = sorted(name for name, (_, outside) in GRAPH.items()
                           if {"git", "subprocess"} & outside)
    assert importing_git == ["tracker.walk.git"]
    reaching_around = sorted(name for name, path in MODULES.items()
                             if name != "tracker.walk.git"
                             and ".repo.git" in path.read_text(encoding="utf-8"))
    assert reaching_around == []


def test_renderers_return_text_and_the_writer_writes() -> None:
    """Only tracker.writer (and markers.apply, which rewrites a page's block in place) writes
    what rendering builds: no other renderer imports the atomic writer."""
    writing = sorted(name for name, (own, _) in GRAPH.items()
                     if name.startswith("tracker.render") and "tracker.fsutil" in own)
    assert writing == ["tracker.render.markers"]
    assert "tracker.fsutil" in GRAPH["tracker.writer"][0]
