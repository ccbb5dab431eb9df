"""YAML in and out, built once for every file tracker reads or writes: libyaml's C loader and
dumper (the pure-Python ones are ~7× slower), with the guards every file a user edits needs —
a key written twice is refused, and a document may not expand through aliases ("billion
laughs") beyond ``MAX_NODES`` nodes before it is ever constructed.
"""

from __future__ import annotations

from typing import Any

import yaml

LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

# Aliases are allowed (``<<: *defaults`` is handy across models), but the expanded document may
# not exceed this many nodes, or the text's length in characters if that is more: every node
# without aliases takes at least one character, so only aliases can expand beyond it (a long
# ledger month is never refused; a "billion laughs" always is).
MAX_NODES = 50_000

KeyPath = tuple[str, ...]


class YamlError(Exception):
    """Why a text is not YAML we accept. ``line`` is 1-based within the text, or None;
    ``syntax`` tells a malformed text (callers add their own hint) from a refused one."""

    def __init__(self, message: str, line: int | None, hint: str | None = None,
                 syntax: bool = False) -> None:
        super().__init__(message)
        self.message, self.line, self.hint, self.syntax = message, line, hint, syntax


def dump(data: Any) -> bytes:
    """``data`` as block-style UTF-8 YAML, keys in the order given: the same data, the same
    bytes."""
    text: str = yaml.dump(data, Dumper=DUMPER, allow_unicode=True, sort_keys=False,
                          default_flow_style=False, width=4096)
    return text.encode("utf-8")


def load(text: str | bytes) -> Any:
    """The document in ``text`` (None when empty), guarded; raises YamlError."""
    return load_with_lines(text)[0]


def load_with_lines(text: str | bytes) -> tuple[Any, dict[KeyPath, int]]:
    """The document in ``text`` and the 1-based line of every key path in it (``()`` is the
    document itself), guarded; raises YamlError."""
    loader = LOADER(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            raise YamlError(str(error.problem or error), mark.line + 1 if mark else None,
                            syntax=True) from None
        except (yaml.YAMLError, RecursionError, ValueError) as error:
            raise YamlError(str(error), None, syntax=True) from None
        if node is None:  # an empty document: nothing where the data belongs, line 1
            return None, {(): 1}
        lines = _guard(node, max(MAX_NODES, len(text)))
        try:
            return loader.construct_document(node), lines
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            raise YamlError(str(error.problem or error), mark.line + 1 if mark else None,
                            syntax=True) from None
        except (yaml.YAMLError, RecursionError, ValueError, TypeError) as error:
            raise YamlError(str(error), None, syntax=True) from None
    finally:
        loader.dispose()


def _guard(root: yaml.Node, max_nodes: int) -> dict[KeyPath, int]:
    """Walk the composed node tree once: bound alias expansion, refuse duplicate keys, map
    lines."""
    lines: dict[KeyPath, int] = {(): root.start_mark.line + 1}
    # Depth first with an exit marker per node, so the nodes on the current path are known: an
    # alias back to one of them is a loop, refused before its key paths could grow without end.
    stack: list[tuple[yaml.Node, KeyPath, bool]] = [(root, (), False)]
    on_path: set[int] = set()
    visited = 0
    while stack:
        node, key_path, leaving = stack.pop()
        if leaving:
            on_path.discard(id(node))
            continue
        if id(node) in on_path:
            raise YamlError("recursive aliases: an alias refers to a node that contains it",
                            node.start_mark.line + 1,
                            hint="write the values out instead of nesting aliases (&/*)")
        visited += 1
        if visited > max_nodes:
            raise YamlError(f"document expands to more than {max_nodes} nodes through aliases",
                            node.start_mark.line + 1,
                            hint="write the values out instead of nesting aliases (&/*)")
        if not isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            continue
        on_path.add(id(node))
        stack.append((node, key_path, True))
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    stack.append((value_node, key_path, False))
                    continue
                key = str(key_node.value)
                child = key_path + (key,)
                if isinstance(key_node, yaml.ScalarNode) and key in seen:
                    raise YamlError(f"duplicate key {'.'.join(child)!r}",
                                    key_node.start_mark.line + 1,
                                    hint="keep one of the two entries")
                seen.add(key)
                lines.setdefault(child, key_node.start_mark.line + 1)
                stack.append((value_node, child, False))
        else:
            stack.extend((item, key_path, False) for item in node.value)
    return lines
