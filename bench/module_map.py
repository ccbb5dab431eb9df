"""The module map: which of tracker's modules each module imports, at its top or inside a function
(``[in functions: …]``), and which only for types (``{types only: …}``); then the count of
imports inside functions and the import cycles (strongly connected modules).

    .venv/bin/python bench/module_map.py [SRC]      # SRC: a src/ folder (default: this one's)

To compare with another commit: ``git archive <commit> src | tar -x -C /tmp/old`` and run it on
``/tmp/old/src``. tests/test_layers.py checks the rules this map shows (no cycle, no import back
up the layers) on every test run.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path


def modules(src: Path) -> dict[str, Path]:
    found = {}
    for path in sorted((src / "tracker").rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]
            ) -> tuple[set[str], set[str], set[str], int, int]:
    """(at the top, in functions only, for types only, imports in functions, of them ours)."""
    def resolve(dotted: str) -> str | None:
        while dotted and dotted not in known:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    top: set[str] = set()
    local: set[str] = set()
    types: set[str] = set()
    counts = [0, 0]

    def visit(node: ast.AST, in_function: bool, typing_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            function = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            typing = typing_only or (isinstance(child, ast.If)
                                     and "TYPE_CHECKING" in ast.unparse(child.test))
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                if isinstance(child, ast.Import):
                    names = [alias.name for alias in child.names]
                else:
                    names = [f"{child.module}.{alias.name}" for alias in child.names]
                ours = {r for n in names if n.startswith("tracker") and (r := resolve(n))}
                ours.discard(name)
                if typing:
                    types.update(ours)
                    continue
                if in_function:
                    counts[0] += 1
                    counts[1] += bool(ours)
                (local if in_function else top).update(ours)
            visit(child, function, typing)

    visit(ast.parse(path.read_text(encoding="utf-8")), False, False)
    return top, local - top, types - top - local, counts[0], counts[1]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def main() -> None:
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "src"
    known = modules(src)
    graph: dict[str, set[str]] = {}
    in_functions = ours_in_functions = 0

    def short(names: set[str]) -> str:
        return ", ".join(n.removeprefix("tracker.") for n in sorted(names))

    for name, path in known.items():
        top, local, types, count, ours = imports(name, path, known)
        graph[name] = top | local
        in_functions += count
        ours_in_functions += ours
        line = f"{name.removeprefix('tracker.') or 'tracker'}: {short(top)}"
        line += f"  [in functions: {short(local)}]" if local else ""
        line += f"  {{types only: {short(types)}}}" if types else ""
        print(line)
    print(f"imports inside functions: {in_functions}, of tracker's own modules: "
          f"{ours_in_functions}")
    print(f"cycles: {cycles(graph) or 'none'}")


if __name__ == "__main__":
    main()
