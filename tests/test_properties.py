"""Property-based tests: quantities, the page parser, the marker rewrite, render.

What the module tests already cover is not repeated here: test_quantities checks that no parser
raises on any text, test_page mutates the acme page line by line, test_changelog and test_updates
insert into or rewrite arbitrary text with LF or CRLF. This file adds the equalities between
display variants of one value, byte-level mutations of every fixture page, pages mixing line
endings with a BOM and a block already in place, and determinism of every renderer under any
order of the ledger's events.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import hypothesis
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from conftest import PAGES
from test_changelog import check_contiguous_insertion
from tracker import model
from tracker.config import Config
from tracker.errors import ParseError, TrackerError
from tracker.model import KINDS, LIMIT_KEYS, SEVERITIES, UNLIMITED, Event
from tracker.quantities import length_key, parse_count, parse_length
from tracker.render.changelog import render_changelog, rewrite_changelog
from tracker.render.digest import Period, build_digest
from tracker.render.feeds import build_feeds
from tracker.render.updates import render_updates
from tracker.sources.page import parse_page

FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


# --- quantities: display variants of one value are one value ---------------------------------

def _decimal_text(value: Decimal) -> str:
    """A Decimal in plain positional notation, without trailing zeros: 14.4, 1234, 0.005."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _fullwidth(text: str) -> str:
    return text.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789,."})


@FAST
@given(st.integers(0, 10**12))
@example(14400).via("the design's 14,400 ↔ 14.4K")
@example(1_000_000).via("100 万")
def test_count_display_variants_are_one_value(n: int) -> None:
    k, wan, m = (_decimal_text(Decimal(n) / d) for d in (1000, 10_000, 1_000_000))
    variants = [str(n), f"{n:,}", f"{k}K", f"{k}k", f"{k} K", f"{wan} 万", f"{wan}万", f"{m}M",
                f"约 {n:,}", f"最高 {k}K", f"**{n:,}**", f"{n:,} requests/day", f"{k}K tokens/day",
                f"{wan} 万 tokens/day", f"~{n}", f"up to {n:,}", _fullwidth(f"{n:,}"),
                f"{n:,}（每个账号）", f"{n:,} (per key)"]
    if n % 100_000_000 == 0:
        variants.append(f"{n // 100_000_000} 亿")
    parsed = {text: parse_count(text) for text in variants}
    assert set(parsed.values()) == {n}, {t: v for t, v in parsed.items() if v != n}


@FAST
@given(st.sampled_from(["无限制", "无限", "不限", "unlimited", "Unlimited", "**无限制**",
                        "无限制（公平使用）", "no limit", "∞"]))
def test_unlimited_is_one_value(text: str) -> None:
    assert parse_count(text) == UNLIMITED


@FAST
@given(st.integers(1, 10**6))
def test_length_written_in_binary_k_is_the_same_value(k: int) -> None:
    """128K = 131,072 = 131072: a context written in K is k × 1024 tokens, however written."""
    n = k * 1024
    variants = [f"{k}K", f"{k}k", f"{k} K", f"{k}K tokens", f"{n:,}", str(n), f"**{k}K**",
                f"约 {k}K", f"最高 {n:,} tokens", f"{n:,} tokens"]
    assert {parse_length(text) for text in variants} == {n}
    assert len({length_key(parse_length(text)) for text in variants}) == 1


@FAST
@given(st.integers(1, 4096))
def test_length_written_in_binary_m_is_the_same_value(m: int) -> None:
    n = m * 1_048_576
    variants = [f"{m}M", f"{m} M", f"{m}M tokens", f"{n:,}", f"{m * 1024}K"]
    assert {parse_length(text) for text in variants} == {n}


# 125K written in binary is 128,000 tokens, which is also how a page writes 128K in decimal: no
# key on the parsed integer can tell them apart (see the xfail below), so these are left out.
_AMBIGUOUS_K = st.integers(1, 20_000).filter(lambda k: k % 125 != 0)


@FAST
@given(_AMBIGUOUS_K)
@example(128).via("the design's 128K ↔ 128,000")
@example(200).via("200K ↔ 200,000")
def test_length_written_in_decimal_thousands_has_the_same_key(k: int) -> None:
    """A switch between 128K and 128,000 is a display change (lengths are compared by their canonical key)."""
    assert length_key(parse_length(f"{k}K")) == length_key(parse_length(f"{k * 1000:,}"))


@FAST
@given(st.sampled_from([1, 2, 4, 10, 16, 32, 100]))
def test_length_written_in_decimal_millions_has_the_same_key(m: int) -> None:
    """1M ↔ 1,000,000 ↔ 1,048,576; 10M ↔ 10,000,000."""
    keys = {length_key(parse_length(text)) for text in (f"{m}M", f"{m * 1_000_000:,}",
                                                         f"{m * 1_048_576:,}")}
    assert len(keys) == 1


@FAST
@given(_AMBIGUOUS_K, _AMBIGUOUS_K)
def test_different_lengths_keep_different_keys(a: int, b: int) -> None:
    assume(a != b)
    assert length_key(parse_length(f"{a}K")) != length_key(parse_length(f"{b}K"))


def test_decimal_millions_are_millions() -> None:
    assert length_key(parse_length("64M")) == length_key(parse_length("64,000,000"))
    assert length_key(parse_length("1.5M")) == length_key(parse_length("1,500,000"))
    assert length_key(parse_length("2M")) != length_key(parse_length("1M"))


@pytest.mark.xfail(strict=True, reason=(
    "a known limit of comparing parsed integers: 500K (binary: 512,000 tokens) and 512K written "
    "in decimal (512,000) are the same number, so a cut from 512K to 500K (or 128K to 125K) "
    "gives no event. Telling them apart needs the written unit; 128K ↔ 128,000 matters more"))
def test_multiples_of_125k_are_told_apart() -> None:
    assert length_key(parse_length("500K")) != length_key(parse_length("512K"))


# --- the page parser: bytes that are no longer a page ----------------------------------------

PAGE_FILES = sorted(PAGES.glob("*.md"))
PAGE_BYTES = {p.name: p.read_bytes() for p in PAGE_FILES}
PAGE_PATHS = {p.name: ("services/api/acme/_index.en.md" if p.name.endswith(".en.md")
                       else f"services/api/{p.stem}/_index.md") for p in PAGE_FILES}
_JUNK = (st.binary(max_size=12)
         | st.sampled_from([b"|", b"||", b" | ", b"`", b"```", b"~~~\n", b"\r", b"\r\n", b"\n",
                            b"\xef\xbb\xbf", b"\xff", b"\xe4\xb8", b"\x00", b"---\n", b"|---|\n",
                            b"**", b"\\|", "模型名称".encode(), "| 限制项 | 配额 |\n".encode()])
         | st.text(max_size=12).map(str.encode))
_BYTE_MUTATION = st.one_of(
    st.tuples(st.just("truncate"), st.floats(0, 1)),
    st.tuples(st.just("insert"), st.floats(0, 1), _JUNK),
    st.tuples(st.just("delete"), st.floats(0, 1), st.integers(1, 200)),
    st.tuples(st.just("crlf"), st.floats(0, 1)),
    st.tuples(st.just("bom"), st.just(0.0)),
)


def _mutate_bytes(raw: bytes, mutation: tuple[Any, ...]) -> bytes:
    at = int(mutation[1] * len(raw))
    kind = mutation[0]
    if kind == "truncate":  # at any byte, in the middle of a UTF-8 sequence too
        return raw[:at]
    if kind == "insert":
        return raw[:at] + mutation[2] + raw[at:]
    if kind == "delete":
        return raw[:at] + raw[at + mutation[2]:]
    if kind == "crlf":  # from here on, CRLF line endings: a page edited on two machines
        return raw[:at] + raw[at:].replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return b"\xef\xbb\xbf" + raw


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(PAGE_BYTES)), st.lists(_BYTE_MUTATION, min_size=1, max_size=5))
def test_mutated_pages_raise_only_parse_error(name: str, mutations: list[tuple[Any, ...]]) -> None:
    raw = PAGE_BYTES[name]
    for mutation in mutations:
        raw = _mutate_bytes(raw, mutation)
    path = PAGE_PATHS[name]
    try:
        service = parse_page(raw, path)
    except ParseError as error:
        hypothesis.event("ParseError")
        assert error.path == path and error.message
        assert error.line is None or 1 <= error.line <= raw.count(b"\n") + 1
        assert str(error).startswith(f"{path}:")
        return
    hypothesis.event("parsed")
    # what parses, parses the same way twice and serializes
    assert parse_page(raw, path).to_dict() == service.to_dict()


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(PAGE_BYTES)), st.lists(st.booleans(), min_size=1))
def test_line_endings_and_bom_never_change_the_facts(name: str, crlf: list[bool]) -> None:
    """Any mix of LF and CRLF, with or without a BOM, states the same facts as the original."""
    raw = PAGE_BYTES[name]
    path = PAGE_PATHS[name]
    lines = raw.split(b"\n")
    mixed = b"".join(line + (b"\r\n" if crlf[i % len(crlf)] else b"\n")
                     for i, line in enumerate(lines[:-1])) + lines[-1]
    expected = parse_page(raw, path).to_dict()
    assert parse_page(mixed, path).to_dict() == expected
    assert parse_page(b"\xef\xbb\xbf" + mixed, path).to_dict() == expected


# --- the changelog writer: not a byte outside its block --------------------------------------

BEGIN = "<!-- tracker:changelog:begin -->"
END = "<!-- tracker:changelog:end -->"
PAGE_LINES = ["## 📝 更新日志", "## Changelog", "---", "", "  ", "- **2024年：** hand  ",
              "**服务提供者：** [N](/providers/n)", "{{< callout >}}", "title: x", "| a | b |",
              "<!-- a comment -->", "\t", "\r", "*", "text ends in a space "]
_EOL = st.sampled_from(["\n", "\r\n"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PAGE_LINES) | st.text(max_size=8), _EOL), max_size=14),
       st.booleans(), st.booleans())
def test_insertion_into_pages_mixing_line_endings_and_a_bom(lines: list[tuple[str, str]],
                                                            bom: bool, final_eol: bool) -> None:
    """test_changelog's contiguity check, on pages whose lines end in LF and CRLF at random."""
    text = "".join(line + eol for line, eol in lines)
    if lines and not final_eol:
        text = text[:-len(lines[-1][1])]
    check_contiguous_insertion(("\ufeff" if bom else "") + text)


_PROSE = st.lists(st.sampled_from(PAGE_LINES) | st.text(st.characters(
    blacklist_characters="`~", blacklist_categories=["Cs"]), max_size=10), max_size=8)
_BLOCK = st.text(max_size=80).filter(lambda s: "tracker:" not in s)


@settings(max_examples=300, deadline=None)
@given(_PROSE, _PROSE, _BLOCK, _BLOCK, _EOL, _EOL, st.booleans())
def test_rewrite_between_markers_keeps_every_other_byte(
        before: list[str], after: list[str], old: str, new: str, eol_before: str,
        eol_after: str, bom: bool) -> None:
    """A page that already has its block, in any mix of LF/CRLF, BOM or not: only the lines
    between the markers change, they take the begin marker's line ending, and twice is once."""
    assume(not any("tracker:" in line for line in before + after))
    # a first line "x" keeps the prose from opening front matter that would hide the markers
    head = ("\ufeff" if bom else "") + "x" + eol_before + "".join(
        line + eol_before for line in before) + BEGIN + eol_before
    tail = END + eol_after + "".join(line + eol_after for line in after)
    old_block = old.replace("\r", "").replace("\n", eol_before)
    if old_block and not old_block.endswith(eol_before):
        old_block += eol_before
    assume(not any(line.strip() in (BEGIN, END) for line in old_block.splitlines()))
    text = head + old_block + tail
    block = "- **2025年11月：** " + new.replace("\r", " ").replace("\n", " ") + "\n"
    try:
        out = rewrite_changelog(text, block, "zh")
    except TrackerError:
        hypothesis.event("refused")
        # refused only when a line of the page opens with a marker (the parametrized unit
        # tests say which); never half-written
        assert any(line.lstrip(" ").startswith(("<!-- tracker:changelog",))
                   for line in text.splitlines()
                   if line.strip() not in (BEGIN, END))
        return
    hypothesis.event("rewritten")
    assert out.startswith(head) and out.endswith(tail)
    assert out[len(head):len(out) - len(tail)] == block.replace("\n", eol_before)
    assert rewrite_changelog(out, block, "zh") == out


# --- render(ledger) is deterministic ---------------------------------------------------------

SERVICES = ["acme", "nimbus", "orbit", "zeta"]
START = datetime(2025, 11, 3, tzinfo=UTC)
_OFFSETS = st.sampled_from([0, 8 * 60, -5 * 60, 9 * 60, 5 * 60 + 30, -12 * 60, 14 * 60])
_QUANTITY = st.integers(0, 10**7) | st.just(UNLIMITED) | st.sampled_from(["视模型而定", "无"])
_PRICE = st.floats(0, 100, allow_nan=False).map(lambda f: round(f, 4))
_TEXT = st.text(st.characters(blacklist_categories=["Cs"]), max_size=12)


@st.composite
def events(draw: st.DrawFn) -> list[Event]:
    count = draw(st.integers(1, 14))
    ids = draw(st.lists(st.text("0123456789abcdef", min_size=16, max_size=16), min_size=count,
                        max_size=count, unique=True))
    out = []
    for event_id in ids:
        kind = draw(st.sampled_from(KINDS))
        service = draw(st.sampled_from(SERVICES))
        minutes = draw(st.integers(0, 20 * 24 * 60))
        offset = draw(_OFFSETS)
        moment = (START + timedelta(minutes=minutes)).astimezone(
            timezone(timedelta(minutes=offset)))
        field: str | None = None
        old: Any = None
        new: Any = None
        pct = None
        currency = None
        if kind.startswith(("quota_", "context_", "output_")):
            field = draw(st.sampled_from(LIMIT_KEYS))
            old, new = draw(_QUANTITY), draw(_QUANTITY)
            if isinstance(old, int) and isinstance(new, int) and old:
                pct = round((new - old) / old * 100, 2)
        elif kind.startswith("price_"):
            field = draw(st.sampled_from(["input_price", "output_price"]))
            old, new = draw(_PRICE | st.none()), draw(_PRICE | st.none())
            currency = draw(st.sampled_from(["USD", "CNY", None]))
        elif kind in ("info_changed", "reset_changed", "endpoint_changed", "tier_changed"):
            field = draw(st.sampled_from(["quota_reset", "endpoint", "tier", "name"]))
            old, new = draw(_TEXT), draw(_TEXT)
        model = draw(st.none() | st.sampled_from(["m-1", "m-2", "<b>m</b>"]))
        out.append(Event(
            id=event_id, date=moment.isoformat(), commit=draw(st.sampled_from("abc")) * 40,
            path=f"services/api/{service}/_index.md", service=service,
            service_name=draw(st.sampled_from([service.title(), None, "Ｎａｍｅ <x>"])),
            provider=draw(st.sampled_from([service, None, "shared"])), model=model, kind=kind,
            field=field, old=old, new=new, change_pct=pct,
            severity=draw(st.sampled_from(SEVERITIES)), currency=currency,
            note=draw(st.none() | _TEXT), source=draw(st.none() | st.sampled_from(
                ["https://a.example/x", "javascript:alert(1)", "https://b.example/(y)"]))))
    return out


PERIOD = Period.between(date(2025, 11, 3), date(2025, 11, 23))


def render_everything(ledger: list[Event], config: Config) -> dict[str, Any]:
    out: dict[str, Any] = {f"feeds/{k}": v for k, v in build_feeds(ledger, config).items()}
    for lang in ("zh", "en"):
        out[f"changelog/{lang}"] = {s: render_changelog([e for e in ledger if e.service == s],
                                                        lang, config) for s in SERVICES}
        out[f"updates/{lang}"] = render_updates(ledger, lang, config)
        digest = build_digest(ledger, config, PERIOD, lang)
        out[f"digest/{lang}"] = (digest.subject, digest.text, digest.html, digest.counts)
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events(), st.randoms(use_true_random=False))
def test_render_is_deterministic_whatever_the_order(ledger: list[Event], rng: Any) -> None:
    config = Config(site_url="https://free-llm.example", root=Path("."))
    first = render_everything(ledger, config)
    assert render_everything(ledger, config) == first  # twice in a row
    shuffled = list(ledger)
    rng.shuffle(shuffled)
    assert render_everything(shuffled, config) == first  # any order of the ledger
    assert render_everything(list(reversed(ledger)), config) == first


# --- diff: the plain path finds what DeepDiff finds --------------------------------------------

_scalar = st.one_of(st.none(), st.booleans(), st.integers(-2, 2), st.sampled_from([1.0, 2.5, -0.0]),
                    st.sampled_from(["", "1", "a", "无限制"]))
_keys = st.sampled_from(["limits", "tier", "tiers", "models", "x"])
_inner = st.sampled_from(["requests_per_day", "concurrency", "m-1", "m-2"])
_plain_facts = st.dictionaries(_keys, st.one_of(_scalar, st.dictionaries(
    _inner, st.one_of(_scalar, st.dictionaries(
        st.sampled_from(["context", "input_price", "currency"]), _scalar, max_size=3)),
    max_size=3)), max_size=4)


@FAST
@given(_plain_facts, _plain_facts)
def test_plain_diff_finds_what_deepdiff_finds(old: dict[str, Any], new: dict[str, Any]) -> None:
    """Mappings of scalars, at any depth (a model's fields in models), skip DeepDiff; the
    changes that survive (old and new unequal at the path) are the same as DeepDiff's."""
    from tracker.walk.diff import _deep_paths, _plain, _plain_paths, lookup

    assert _plain(old) and _plain(new)

    def changed(paths: set[tuple[str, ...]]) -> set[tuple[str, ...]]:
        return {p for p in paths if lookup(old, p) != lookup(new, p)}

    assert changed(_plain_paths(old, new)) == changed(_deep_paths(old, new))


@FAST
@given(st.text(alphabet='"\\:ab \n{},', max_size=40))
def test_json_key_regex_matches_what_the_per_character_one_matched(text: str) -> None:
    """formats._JSON_KEY counts the keys written in a JSON text; its unrolled form must find
    exactly what the one-alternation-per-character form found, on any text."""
    import re

    from tracker.sources.jsonkeys import _JSON_KEY

    per_character = re.compile(rb'"(?:[^"\\]|\\.)*"\s*:', re.DOTALL)
    raw = text.encode()
    assert _JSON_KEY.findall(raw) == per_character.findall(raw)


# -- Service.to_dict's pruning: a call per container, the same result as a call per value ------

def _prune_per_value(value: Any) -> Any:
    """model._prune as first written: every value through a call, then filtered."""
    if isinstance(value, dict):
        pruned = {k: _prune_per_value(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, {}, [], "")}
    if isinstance(value, list):
        return [_prune_per_value(v) for v in value]
    return value


_PRUNABLE = st.recursive(
    st.one_of(st.none(), st.just(""), st.text(max_size=3), st.integers(-1, 1), st.booleans(),
              st.floats(allow_nan=False), st.just({}), st.just([])),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from("abcd"), inner, max_size=4)),
    max_leaves=30)


@settings(max_examples=1000, deadline=None)
@given(_PRUNABLE)
def test_pruning_per_container_prunes_what_pruning_per_value_does(value: Any) -> None:
    got = model._prune(value)
    assert got == _prune_per_value(value) and repr(got) == repr(_prune_per_value(value))
