"""What every table reader needs: is a table well formed, is it this service's, which column holds
what, and which cells state nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import TypeVar, cast

from tracker.errors import ParseError
from tracker.sources.markdown import PARENTHETICAL, Table, label_key, mentions, plain
from tracker.sources.page.vocabulary import (
    BLANK_CELLS,
    COMPARISON_WORDS,
    FOREIGN_HEADERS,
    MAX_CELL_CHARS,
)

T = TypeVar("T")


def check_table(table: Table, path: str) -> None:
    """A facts table must be well formed: a separator line, the header's number of cells.

    A header with no rows is an empty table (its rows were removed), not a broken one."""
    # this very table, found well formed in an earlier version of the page, is not checked again
    kept(table, "checked", lambda _: _check(table, path))


def _check(table: Table, path: str) -> None:
    width = len(table.header)
    if table.separator_line is None:
        raise ParseError("table has no separator line under its header", path=path,
                         line=table.line, hint="add a line like '|---|---|' under the header")
    if table.separator_cells != width:
        raise ParseError(f"table separator has {table.separator_cells} cells, header {width}",
                         path=path, line=table.separator_line,
                         hint="give the separator one '---' per column")
    for line, cells in [(table.line, table.header), *table.rows]:
        if len(cells) != width:
            raise ParseError(f"table row has {len(cells)} cells, header has {width}", path=path,
                             line=line, hint="add or remove cells, or escape a '|' as '\\|'")
        if any(len(cell) > MAX_CELL_CHARS for cell in cells):
            raise ParseError(f"table cell longer than {MAX_CELL_CHARS} characters", path=path,
                             line=line, hint="a cell holds one value; move prose out of the table")


def kept(table: Table, key: str, work_out: Callable[[Table], T]) -> T:
    """``work_out(table)``, worked out once per table object (``Table.memo``): for what depends
    on the table alone, never on the page around it nor on its line numbers, so the versions
    sharing it, at its lines or others, share it too."""
    if key not in table.memo:
        table.memo[key] = work_out(table)
    return cast(T, table.memo[key])


def is_foreign(table: Table) -> bool:
    """Comparisons with competitors, other vendors' prices, requirements, tasks, gateways."""
    return kept(table, "foreign", _is_foreign)


def _is_foreign(table: Table) -> bool:
    if mentions(table.section, COMPARISON_WORDS) or mentions(table.sub, COMPARISON_WORDS):
        return True
    return any(mentions(cell, FOREIGN_HEADERS) for cell in table.header)


def column(header: list[str], names: set[str]) -> int | None:
    return next((i for i, cell in enumerate(header) if label_key(cell) in names), None)


def is_blank(cell: str) -> bool:
    return cell in BLANK_CELLS


@lru_cache(maxsize=4096)
def heading_name(text: str) -> str | None:
    """A tier name from a heading, intro or header: parentheticals, colons and emoji dropped."""
    name = PARENTHETICAL.sub("", plain(text)).strip().rstrip(":：").strip()
    return re.sub(r"^[^\w]+|[^\w)）]+$", "", name) or None

