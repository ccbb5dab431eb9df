"""Broken and hostile input committed into a real site history, then run through `tracker update`.

Issue 6, parts 1, 2 and 5, end to end: every case is a real git repository (conftest.GitRepo),
the real CLI (click's CliRunner) and the real outputs on disk. Unit-level robustness lives beside
each module (test_page, test_data_source, test_changelog, test_feeds, test_mail); this file checks
what a maintainer sees: the exit status, the warning in history/warnings.yaml and on stderr, the
events (none invented), the pages, feeds and digest that come out.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import feedparser
import pytest
import yaml
from click.testing import CliRunner, Result

from conftest import ADOPTED, PAGES, GitRepo
from tracker.cli import cli
from tracker.config import load_config
from tracker.ledger import Ledger

ACME = "services/api/acme/_index.md"
HUB = "services/api/_index.md"
BETA = "data/services/beta.yaml"
GAMMA = "data/services/gamma.json"

HUB_TEXT = (
    "---\ntitle: API 服务\n---\n\n# API 服务\n\n手写的介绍。  \n\n"
    "<!-- tracker:updates:begin -->\n<!-- tracker:updates:end -->\n\n手写的结尾\n"
)
BETA_YAML = (
    "name: Beta API\nprovider: beta\ntier: 完全免费\nlimits:\n  requests_per_day: 1000\n"
    "models:\n  beta-1: {context: 32K, max_output: 4K}\n  beta-2: {context: 8K}\n"
)
GAMMA_JSON = (
    '{\n  "name": "Gamma API",\n  "provider": "gamma",\n  "limits": {\n'
    '    "requests_per_minute": 60\n  },\n  "models": {\n    "gamma-1": {"context": 8192}\n'
    "  }\n}\n"
)


def run(*args: str) -> Result:
    """The CLI in-process; click 8.2+ keeps stderr apart (result.stderr), output has both."""
    return CliRunner().invoke(cli, list(args))


def no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )


def ledger(root: Path) -> Ledger:
    return Ledger(load_config(root))


def event_ids(root: Path) -> set[str]:
    return {e.id for e in ledger(root).raw_events()}


@pytest.fixture(scope="module")
def template_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A walked site: the acme page, a hub with an updates block, a YAML and a JSON data file."""
    repo = GitRepo(tmp_path_factory.mktemp("template") / "site")
    repo.write(ACME, (PAGES / "acme.md").read_bytes())
    repo.write(HUB, HUB_TEXT)
    repo.write(BETA, BETA_YAML)
    repo.write(GAMMA, GAMMA_JSON)
    repo.write(*ADOPTED)
    repo.commit("add the site", "2025-02-03T10:00:00+08:00")
    result = run("update", "--repo", str(repo.root), "-q")
    assert result.exit_code == 0, result.output
    repo.git("add", "-A")
    repo.commit("tracker outputs\n\nTracker: skip", "2025-02-03T11:00:00+08:00")
    return repo.root


@pytest.fixture
def site(template_site: Path, tmp_path: Path) -> GitRepo:
    """A fresh copy of the walked template site (copying is cheaper than walking again)."""
    shutil.copytree(template_site, tmp_path / "site")
    repo = GitRepo.__new__(GitRepo)  # the repository exists: adopt it rather than `git init`
    repo.root = tmp_path / "site"
    return repo


# --- 1. bad input in a commit ----------------------------------------------------------------


def _acme() -> str:
    return (PAGES / "acme.md").read_text(encoding="utf-8")


def _line(text: str, needle: str) -> int:
    """1-based line of the first line containing ``needle``."""
    return next(n for n, line in enumerate(text.split("\n"), 1) if needle in line)


MODELS_ROW = "| **acme-fast** | 32,768 | 4K | 低延迟 | 实时应用 |"
QUOTA_HEADER = "| 限制项 | 配额 | 说明 |"
QUOTA_SEPARATOR = "|--------|------|------|"
MODEL_ROWS = (
    "| **acme-chat** | 128K | 8K | 旗舰对话模型 | 通用对话、写作 |\n" + MODELS_ROW + "\n"
    "| ~~**acme-legacy**~~ | 8K | 2K | 已弃用，2025-06-30 下线 | 旧应用 |\n"
)
BILLION_LAUGHS = (
    "\n".join(
        ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
        + [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 10)]
    )
    + "\n"
)


def _page_case(edit: Callable[[str], str | bytes], needle: str | None) -> tuple[Any, ...]:
    """A broken version of the acme page and the line its error must name (None: no line)."""
    broken = edit(_acme())
    raw = broken.encode("utf-8") if isinstance(broken, str) else broken
    line = None
    if needle is not None:
        line = _line(raw.decode("utf-8", "replace"), needle)
    return ACME, raw, line


BROKEN: dict[str, tuple[str, bytes, int | None]] = {
    "unclosed front matter": _page_case(
        lambda t: t.replace("sidebar:\n  open: true\n---\n", "sidebar:\n  open: true\n", 1).replace(
            "\n---\n", "\n***\n"
        ),
        "---",
    ),
    "model row missing a cell": _page_case(
        lambda t: t.replace(MODELS_ROW, "| **acme-fast** | 32,768 | 4K |"),
        "| **acme-fast** | 32,768 | 4K |",
    ),
    "quota row with an extra cell": _page_case(
        lambda t: t.replace("| **并发请求** | 5 | |", "| **并发请求** | 5 | | 额外 |"),
        "| **并发请求** | 5 | | 额外 |",
    ),
    "separator line gone": _page_case(
        lambda t: t.replace(QUOTA_SEPARATOR + "\n", ""), QUOTA_HEADER
    ),
    "cell of 100 KB": _page_case(
        lambda t: t.replace("| 超出返回 429 |", "| " + "长" * 34_000 + " |"), "**每分钟请求数**"
    ),
    "model id repeated in one table": _page_case(
        lambda t: t.replace(MODELS_ROW, MODELS_ROW + "\n| `acme-fast` | 8K | 1K | 重复 | |"),
        "| `acme-fast` | 8K |",
    ),
    "binary file": (ACME, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), 3),
    "invalid UTF-8": _page_case(
        lambda t: t.encode("utf-8").replace("| **并发请求**".encode(), b"| **\xff\xfe", 1),
        "| **\ufffd\ufffd | 5 | |",
    ),
    "data file: a list where a map belongs": (
        BETA,
        b"name: Beta API\nmodels: [beta-1, beta-2]\n",
        2,
    ),
    "data file: YAML bomb": (BETA, BILLION_LAUGHS.encode(), 1),
    "data file: duplicate YAML key": (BETA, (BETA_YAML + "name: Beta API 2\n").encode(), 9),
    "data file: duplicate JSON key": (
        GAMMA,
        GAMMA_JSON.replace(
            '"provider": "gamma",', '"provider": "gamma",\n  "name": "Gamma Two",'
        ).encode(),
        4,
    ),
}

# What the issue lists and the parsers once let through (now refused): kept apart from BROKEN,
# and so out of the one-walk test, each run by its own test below.
NOT_YET_REFUSED: dict[str, tuple[str, bytes, int | None]] = {
    "invalid YAML front matter": _page_case(
        lambda t: t.replace(
            'keywords: ["Acme", "免费 API", "LLM"]', 'keywords: ["Acme", "免费 API"'
        ),
        "keywords:",
    ),
    "control characters and a bidi override in the service name": _page_case(
        lambda t: t.replace(
            "**服务名称：** Acme Inference API", "**服务名称：** Acme\x01\x1b Inference \u202eIPA"
        ),
        "**服务名称：",
    ),
    "page of 20 MB": _page_case(lambda t: t + ("填充" * 50 + "\n") * 70_000, None),
    "data file: a list where the service map belongs": (
        BETA,
        b"- name: Beta API\n- provider: beta\n",
        1,
    ),
}


def _break_fix_and_cut(site: GitRepo, path: str, broken: bytes) -> tuple[bytes, Result]:
    """Commit the broken file, then the good one back, then a real quota cut; run update."""
    good = (site.root / path).read_bytes()
    site.write(path, broken)
    site.commit("break", "2025-03-03T10:00:00+08:00")
    site.write(path, good)
    site.commit("fix", "2025-03-04T10:00:00+08:00")
    site.replace(
        ACME, "| **每日请求数** | 14,400 requests/day |", "| **每日请求数** | 1,000 requests/day |"
    )
    site.commit("cut", "2025-03-05T10:00:00+08:00")
    return good, run("update", "--repo", str(site.root))


def check_broken_input(site: GitRepo, path: str, broken: bytes, line: int | None) -> None:
    before = event_ids(site.root)
    good, result = _break_fix_and_cut(site, path, broken)
    no_traceback(result)
    assert result.exit_code == 0, result.output
    # on stderr, with file and line (None: some line, where the parser stopped)
    where = re.escape(f"{path}:{line}:" if line else path) + ("" if line else r":\d+:")
    assert re.search("^warning: " + where, result.stderr, re.MULTILINE), result.stderr
    assert ", 1 warning, " in result.stdout  # one warning printed, counted once
    # in the ledger, with file, line, reason and the commit that broke it
    (warning,) = ledger(site.root).warnings()
    broke = site.git("rev-parse", "HEAD~2")
    assert (warning.path, warning.commit) == (path, broke) and warning.reason
    assert warning.line == line if line else warning.line is not None
    # nothing invented: neither the broken file nor its fix made an event; the walk went on
    new = [e for e in ledger(site.root).raw_events() if e.id not in before]
    assert [(e.service, e.kind) for e in new] == [("acme", "quota_cut")]
    # `tracker check` on a working tree holding the broken file names it and exits 1
    site.write(path, broken)
    checked = run("check", "--repo", str(site.root))
    no_traceback(checked)
    assert checked.exit_code == 1
    assert re.search("^" + where, checked.stderr, re.MULTILINE), checked.stderr
    site.write(path, good)
    assert run("check", "--repo", str(site.root)).exit_code == 0


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_input_warns_invents_nothing_and_check_names_the_line(
    site: GitRepo, case: str
) -> None:
    check_broken_input(site, *BROKEN[case])


@pytest.mark.parametrize("case", list(NOT_YET_REFUSED))
def test_bad_input_the_parsers_do_not_yet_refuse(site: GitRepo, case: str) -> None:
    path, broken, line = NOT_YET_REFUSED[case]
    check_broken_input(site, path, broken, line)


def test_bom_and_crlf_parse_without_warning_or_event(site: GitRepo) -> None:
    before = event_ids(site.root)
    text = (site.root / ACME).read_bytes().decode("utf-8")
    site.write(ACME, ("\ufeff" + text.replace("\n", "\r\n")).encode("utf-8"))
    site.write(BETA, ("\ufeff" + BETA_YAML.replace("\n", "\r\n")).encode("utf-8"))
    site.commit("BOM and CRLF", "2025-03-03T10:00:00+08:00")
    result = run("update", "--repo", str(site.root))
    assert result.exit_code == 0 and result.stderr == "", result.output
    assert event_ids(site.root) == before and ledger(site.root).warnings() == []
    site.replace(ACME, "| **并发请求** | 5 | |", "| **并发请求** | 2 | |")
    site.commit("cut", "2025-03-04T10:00:00+08:00")
    result = run("update", "--repo", str(site.root))
    assert result.exit_code == 0 and result.stderr == ""
    assert [e.kind for e in ledger(site.root).raw_events() if e.id not in before] == ["quota_cut"]
    # the rewritten changelog block took the page's CRLF, and the BOM stayed first
    raw = (site.root / ACME).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf---\r\n") and raw.count(b"\n") == raw.count(b"\r\n")
    assert "并发请求 5 → 2".encode() in raw
    assert run("check", "--repo", str(site.root)).exit_code == 0


def test_many_broken_commits_in_one_walk(site: GitRepo) -> None:
    """Every broken version in one run: one warning each, and only the real change is told."""
    before = event_ids(site.root)
    goods = {path: (site.root / path).read_bytes() for path, _, _ in BROKEN.values()}
    for day, (path, broken, _) in enumerate(BROKEN.values(), 1):
        site.write(path, broken)
        site.commit(f"break {day}", f"2025-04-{day:02d}T10:00:00+08:00")
        site.write(path, goods[path])
        site.commit(f"fix {day}", f"2025-04-{day:02d}T11:00:00+08:00")
    site.replace(
        ACME, "| **每日请求数** | 14,400 requests/day |", "| **每日请求数** | 1,000 requests/day |"
    )
    site.commit("cut", "2025-04-28T10:00:00+08:00")
    result = run("update", "--repo", str(site.root))
    assert result.exit_code == 0, result.output
    warnings = ledger(site.root).warnings()
    assert [(w.path, w.line) for w in warnings] == [(p, line) for p, _, line in BROKEN.values()]
    assert result.stderr.count("warning: ") == len(BROKEN)
    new = [e for e in ledger(site.root).raw_events() if e.id not in before]
    assert [(e.service, e.kind) for e in new] == [("acme", "quota_cut")]


# --- 2. content that tries to inject ---------------------------------------------------------

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "]]>",
    "-->",
    "<!-- tracker:changelog:end -->",
    "<!-- tracker:updates:begin -->",
]
HOSTILE_TEXT = " ".join(HOSTILE)
CHANGELOG_BEGIN, CHANGELOG_END = (
    "<!-- tracker:changelog:begin -->",
    "<!-- tracker:changelog:end -->",
)
UPDATES_BEGIN, UPDATES_END = "<!-- tracker:updates:begin -->", "<!-- tracker:updates:end -->"
EVIL_PAGE = "services/api/evil/_index.md"
EVIL_DATA = "data/services/evil.yaml"

# hand-written text that looks like markers but is not one: inline, or inside a code fence
HUB_HOSTILE = (
    "---\ntitle: API 服务\n---\n\n# API 服务\n\n手写：标记写在行内 " + UPDATES_END + " 不算。  \n\n"
    "```markdown\n"
    + UPDATES_BEGIN
    + "\n"
    + UPDATES_END
    + "\n```\n\n"
    + UPDATES_BEGIN
    + "\n"
    + UPDATES_END
    + "\n\n手写的结尾 "
    + HOSTILE_TEXT
    + "\n"
)
EVIL_PAGE_TEXT = (
    "---\ntitle: Evil\n---\n\n## 📋 服务概览\n\n手写的介绍 " + HOSTILE_TEXT + "\n\n"
    "## 📝 更新日志\n\n" + CHANGELOG_BEGIN + "\n" + CHANGELOG_END + "\n\n"
    "- **2024年：** 手写 " + CHANGELOG_END + " " + CHANGELOG_BEGIN + "\n\n"
    "~~~\n" + CHANGELOG_BEGIN + "\n~~~\n\n---\n\n**服务提供者：** Evil\n"
)


def evil_yaml(models: dict[str, str], requests_per_day: int) -> str:
    name = json.dumps("Evil " + HOSTILE_TEXT, ensure_ascii=False)
    provider = json.dumps('evil"/><script>alert(1)</script>')
    lines = [
        f"name: {name}",
        f"provider: {provider}",
        "endpoint: https://api.evil.example/v1",
        "limits:",
        f"  requests_per_day: {requests_per_day}",
        "models:",
    ]
    lines += [
        f"  {json.dumps(model, ensure_ascii=False)}: {{context: {context}}}"
        for model, context in models.items()
    ]
    return "\n".join(lines) + "\n"


def with_markers(page: str) -> str:
    return page.replace(
        "## 📝 更新日志\n\n",
        f"## 📝 更新日志\n\n{CHANGELOG_BEGIN}\n{CHANGELOG_END}\n\n"
        f"- **2024年：** 手写 {CHANGELOG_END} 行内不算\n",
        1,
    )


def _marker_lines(text: str, begin: str, end: str) -> tuple[list[str], int, int]:
    """The lines, and the indexes of the one begin and one end marker line outside code fences."""
    lines = text.splitlines(keepends=True)
    fence: str | None = None
    b, e = [], []
    for i, line in enumerate(lines):
        stripped = line.strip()
        if fence is None and stripped[:3] in ("```", "~~~"):
            fence = stripped[:3]
        elif fence is not None and stripped.startswith(fence):
            fence = None
        elif fence is None and stripped == begin:
            b.append(i)
        elif fence is None and stripped == end:
            e.append(i)
    assert len(b) == 1 and len(e) == 1 and b[0] < e[0], (b, e)
    return lines, b[0], e[0]


def without_block(text: str, begin: str, end: str) -> str:
    """The page with the lines between its (one) marker pair removed."""
    lines, b, e = _marker_lines(text, begin, end)
    return "".join(lines[: b + 1] + lines[e:])


def block_of(text: str, begin: str, end: str) -> str:
    lines, b, e = _marker_lines(text, begin, end)
    return "".join(lines[b + 1 : e])


SCRIPT = re.compile(r"<\s*script", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[a-z][^<>]*\son[a-z]+\s*=", re.IGNORECASE)
MD_TARGET = re.compile(r"\]\(\s*<?([^)\s>]*)")


class Tags(HTMLParser):
    """The elements an HTML parser (a browser, a feed reader) finds in a document."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def links(self) -> list[str]:
        return [
            value or ""
            for _, attrs in self.tags
            for name, value in attrs
            if name in ("href", "src", "action", "formaction")
        ]


def assert_no_markup(html: str, where: str) -> None:
    """``html`` as a browser would parse it holds no script element and no event handler."""
    assert not SCRIPT.search(html), f"{where}: raw <script"
    assert not EVENT_HANDLER.search(html), f"{where}: an element with an on…= handler"
    for tag, attrs in Tags(html).tags:
        assert tag not in ("script", "iframe", "object", "embed"), f"{where}: <{tag}>"
        assert not [n for n, _ in attrs if n.startswith("on")], f"{where}: <{tag} {attrs}>"


def assert_safe_link(url: str, where: str) -> None:
    url = unescape(url).strip()
    assert re.match(r"(?:https?://[^/\s]|/(?!/))", url, re.IGNORECASE), f"{where}: link {url!r}"


def assert_safe_links(html: str, where: str) -> None:
    for url in Tags(html).links():
        assert_safe_link(url, where)


@pytest.fixture
def hostile_site(repo: GitRepo) -> tuple[GitRepo, dict[str, str]]:
    """A site whose data file, page and overrides carry every hostile string; walked, overridden,
    rendered. Returns the repo and the hand-written originals of the pages with markers."""
    acme = with_markers(_acme())
    originals = {HUB: HUB_HOSTILE, EVIL_PAGE: EVIL_PAGE_TEXT, ACME: acme}
    for path, text in originals.items():
        repo.write(path, text)
    repo.write(EVIL_DATA, evil_yaml({"evil-1": "8K", HOSTILE[0]: "8K"}, 1000))
    repo.write(*ADOPTED)
    repo.commit("add", "2025-11-03T10:00:00+08:00")
    # every hostile string becomes a model id of the data file, and (where the page's own
    # Markdown lets it through) of the acme page; the quota cut gets a hostile note below
    repo.write(EVIL_DATA, evil_yaml({**{h: "16K" for h in HOSTILE}, "evil-2": "4K"}, 100))
    originals[ACME] = acme.replace(
        MODELS_ROW,
        MODELS_ROW + "\n| `" + HOSTILE_TEXT.replace("|", "\\|") + "` | 8K | 1K | x | y |",
    )
    repo.write(ACME, originals[ACME].replace("14,400 requests/day", "1,000 requests/day"))
    originals[ACME] = originals[ACME].replace("14,400 requests/day", "1,000 requests/day")
    repo.commit("hostile", "2025-11-11T10:00:00+08:00")
    result = run("update", "--repo", str(repo.root))
    assert result.exit_code == 0 and result.stderr == "", result.output
    cuts = [e for e in ledger(repo.root).events() if e.kind == "quota_cut"]
    assert {e.service for e in cuts} == {"acme", "evil"}
    source = 'https://evil.example/"><script>alert(1)</script>?' + CHANGELOG_END
    repo.write(
        ".tracker/history/overrides.yaml",
        yaml.safe_dump(
            {e.id: {"note": HOSTILE_TEXT, "source": source} for e in cuts}, allow_unicode=True
        ),
    )
    result = run("render", "--repo", str(repo.root))
    assert result.exit_code == 0, result.output
    return repo, originals


def test_hostile_strings_reach_the_ledger(hostile_site: tuple[GitRepo, dict[str, str]]) -> None:
    """The premise of the checks below: the outputs are rendered from hostile values."""
    repo, _ = hostile_site
    events = ledger(repo.root).events()
    models = {e.model for e in events if e.model}
    assert set(HOSTILE) <= models
    assert any(m and CHANGELOG_END in m and "]]>" in m for m in models if m not in HOSTILE)
    assert any(e.note == HOSTILE_TEXT for e in events)
    assert {e.service_name for e in events if e.service == "evil"} == {"Evil " + HOSTILE_TEXT}


def test_feeds_are_valid_and_show_hostile_strings_as_text(
    hostile_site: tuple[GitRepo, dict[str, str]],
) -> None:
    import xml.etree.ElementTree as ET

    repo, _ = hostile_site
    files = sorted((repo.root / "feeds").rglob("*.*"))
    assert {"atom.xml", "rss.xml", "feed.json", "breaking.atom", "breaking.rss"} <= {
        f.name for f in files
    }
    assert any(f.parent.name == "providers" for f in files)
    for path in files:
        raw = path.read_bytes()
        where = str(path.relative_to(repo.root))
        if path.suffix == ".json":
            feed = json.loads(raw)
            # JSON Feed text fields are plain text; content_html is what a reader renders
            for item in feed["items"]:
                assert_no_markup(item["content_html"], where)
                assert_safe_links(item["content_html"], where)
                assert_safe_link(item["url"], where)
            for key in ("home_page_url", "feed_url"):
                assert_safe_link(feed[key], where)
            assert any(
                HOSTILE[0] in item["title"] + item["content_html"]
                or unescape(item["content_html"]).count(HOSTILE[0])
                for item in feed["items"]
            )
            continue
        if path.suffix == ".opml":  # the list of feeds: titles are attributes, escaped
            import xml.etree.ElementTree as ET

            names = {n for e in ET.fromstring(raw).iter() for n in e.attrib}
            assert names <= {"version", "type", "text", "title", "xmlUrl", "htmlUrl"}, names
            assert not SCRIPT.search(raw.decode("utf-8")), where
            continue
        if path.suffix == ".ics":  # the shutdown calendar: plain text
            continue
        parsed = feedparser.parse(raw)
        assert parsed.bozo == 0, (where, parsed.get("bozo_exception"))
        assert parsed.entries, where
        # the raw XML holds no element a reader could run
        assert_no_markup(raw.decode("utf-8"), where)
        root = ET.fromstring(raw)
        for element in root.iter():
            if element.get("href") is not None:
                assert_safe_link(element.get("href"), where)
            tag = element.tag.rsplit("}", 1)[-1]
            if tag == "link" and element.text and element.text.strip():
                assert_safe_link(element.text, where)
            html_text = tag == "description" or (
                tag in ("content", "summary", "title") and element.get("type") == "html"
            )
            if tag in ("summary", "title") and not html_text:
                assert element.get("type") in (None, "text"), (where, tag)  # plain text
            if html_text and element.text:
                # the escaped HTML a reader renders: hostile strings are text in it
                assert_no_markup(element.text, f"{where} <{tag}>")
                assert_safe_links(element.text, f"{where} <{tag}>")
    # the hostile model id is visible as text to a feed reader
    atom = feedparser.parse((repo.root / "feeds" / "atom.xml").read_bytes())
    assert any(HOSTILE[0] in unescape(e.content[0].value) for e in atom.entries)


def test_pages_and_updates_block_show_hostile_strings_as_text(
    hostile_site: tuple[GitRepo, dict[str, str]],
) -> None:
    repo, originals = hostile_site
    for path, original in originals.items():
        text = repo.read(path)
        begin, end = (
            (UPDATES_BEGIN, UPDATES_END) if path == HUB else (CHANGELOG_BEGIN, CHANGELOG_END)
        )
        # every hand-written byte outside the block is kept, and the markers were not forged
        assert without_block(text, begin, end) == original, path
        block = block_of(text, begin, end)
        assert block.strip(), f"{path}: nothing was rendered"
        assert_no_markup(block, path)
        assert "<!--" not in block and "]]>" not in block and "-->" not in block
        for target in MD_TARGET.findall(block):
            assert_safe_link(target, path)
        assert "](javascript:" not in block and "](data:" not in block
    hub_block = block_of(repo.read(HUB), UPDATES_BEGIN, UPDATES_END)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hub_block
    evil_block = block_of(repo.read(EVIL_PAGE), CHANGELOG_BEGIN, CHANGELOG_END)
    assert "&lt;img src=x onerror=alert(1)&gt;" in evil_block
    assert "&#91;x&#93;(javascript:alert(1))" in evil_block


def test_rendering_again_changes_nothing(hostile_site: tuple[GitRepo, dict[str, str]]) -> None:
    repo, _ = hostile_site
    before = {
        p: p.read_bytes() for p in repo.root.rglob("*") if p.is_file() and ".git" not in p.parts
    }
    result = run("render", "--repo", str(repo.root))
    assert result.exit_code == 0, result.output
    assert result.stdout == "nothing to change: every output already matches the ledger\n"
    # and a walk that sees only the tracker's own commit writes no page, block or feed
    repo.git("add", "-A")
    repo.commit("tracker outputs\n\nTracker: skip", "2025-11-12T10:00:00+08:00")
    from tracker.pipeline import update

    written = update(repo.root).written
    assert written == []  # not even state.yaml: CI would commit again after every push
    after = {
        p: p.read_bytes() for p in repo.root.rglob("*") if p.is_file() and ".git" not in p.parts
    }
    assert {p for p in after if after[p] != before.get(p)} == set()


def test_digest_shows_hostile_strings_as_text(
    hostile_site: tuple[GitRepo, dict[str, str]], tmp_path: Path
) -> None:
    repo, _ = hostile_site
    out = tmp_path / "digest"
    for lang in ("zh", "en"):
        result = run(
            "digest",
            "--repo",
            str(repo.root),
            "--week",
            "2025-W46",
            "--out",
            str(out),
            "--lang",
            lang,
        )
        assert result.exit_code == 0, result.output
        html = (out / "2025-W46.html").read_text(encoding="utf-8")
        assert_no_markup(html, f"digest {lang}")
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
        assert_safe_links(html, f"digest {lang}")
        assert len(Tags(html).links()) >= 3  # the service links and the site's
        assert html.count("<!--") == 0 and "]]>" not in html
        # the mail's HTML part is the same escaped document, its charts shown from the
        # message's own image parts (cid:) rather than the site
        from email import message_from_bytes, policy

        message = message_from_bytes((out / "2025-W46.eml").read_bytes(), policy=policy.default)
        part = message.get_body(("html",))
        assert part is not None
        mail_html = part.get_content()
        assert_no_markup(mail_html, f"digest mail {lang}")
        cids = [f"cid:{p['Content-ID'].strip().strip('<>')}" for p in message.walk()
                if p.get_content_type() == "image/png"]
        for url in Tags(mail_html).links():  # the site's links, or a part of this message
            if url not in cids:
                assert_safe_link(url, f"digest mail {lang}")
        assert "&lt;img src=x onerror=alert(1)&gt;" in mail_html
        charts = re.findall(r'<img src="([^"]+)"', html)
        assert charts and all(src.startswith("https://") for src in charts)
        assert re.findall(r'<img src="([^"]+)"', mail_html) == cids


@pytest.mark.parametrize(
    "source",
    [
        "javascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "//evil.example/x",
        "JAVASCRIPT:alert(1)",
    ],
)
def test_override_source_that_is_not_http_is_refused(
    hostile_site: tuple[GitRepo, dict[str, str]], source: str
) -> None:
    repo, _ = hostile_site
    overrides = repo.root / ".tracker/history" / "overrides.yaml"
    data = yaml.safe_load(overrides.read_text(encoding="utf-8"))
    first = next(iter(data))
    data[first]["source"] = source
    overrides.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    pages = {p: repo.read(p) for p in (HUB, EVIL_PAGE, ACME)}
    result = run("render", "--repo", str(repo.root))
    no_traceback(result)
    assert result.exit_code == 1
    assert "overrides.yaml" in result.stderr and f"{first}.source" in result.stderr
    assert "http(s)" in result.stderr
    assert {p: repo.read(p) for p in pages} == pages


def test_a_forged_marker_line_leaves_the_page_alone_with_a_warning(
    hostile_site: tuple[GitRepo, dict[str, str]],
) -> None:
    """A second end marker written on its own line would let a rewrite eat the hand-written text
    between the two: the tracker names the line, writes nothing into the page and goes on with
    every other output (exit 0: one odd page must not stop a site's CI)."""
    repo, _ = hostile_site
    text = repo.read(EVIL_PAGE)
    forged = text.replace("- **2024年：** 手写", CHANGELOG_END + "\n- **2024年：** 手写", 1)
    repo.write(EVIL_PAGE, forged)
    repo.commit("forge", "2025-11-13T10:00:00+08:00")
    result = run("update", "--repo", str(repo.root))
    no_traceback(result)
    assert result.exit_code == 0, result.output
    line = forged.split("\n").index(CHANGELOG_END, forged.split("\n").index(CHANGELOG_END) + 1) + 1
    assert f"warning: {EVIL_PAGE}:{line}:" in result.stderr, result.stderr
    assert "left as it is" in result.stderr
    assert repo.read(EVIL_PAGE) == forged
    assert feedparser.parse((repo.root / "feeds" / "atom.xml").read_bytes()).bozo == 0


# --- 5. configuration mistakes ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "says"),
    [
        ("feeds:\n  titel: Changes\n", ["tracker.yaml", "unknown key 'feeds.titel'", "title"]),
        (
            "feeds:\n  max_items: many\n",
            ["tracker.yaml", "'feeds.max_items' must be a whole number", "write feeds.max_items:"],
        ),
        ("pages: services/api/*/_index.md\n", ["tracker.yaml", "'pages' must be a list"]),
        (
            "records:\n  - files: [x/*.toml]\n    layuot: map\n",
            ["tracker.yaml", "unknown key 'records[0].layuot'", "layout"],
        ),
        (
            "site_url: free-llm.example\n",
            ["tracker.yaml", "'site_url' must start with https://", "write site_url: https://"],
        ),
        ("site_url: javascript:alert(1)//\n", ["tracker.yaml", "'site_url'"]),
        (
            "templates_dir: my-templates\n",
            ["tracker.yaml", "'templates_dir'", "my-templates", "create it or remove the key"],
        ),
        ("- site_url\n", ["tracker.yaml", "must be a mapping"]),
        pytest.param(
            "feeds: [\n",
            ["tracker.yaml:1: not valid YAML"],  # the line of the unclosed [
            id="invalid-yaml",
        ),
    ],
)
@pytest.mark.parametrize("command", ["update", "render", "log", "check"])
def test_configuration_mistake_exits_1_with_key_and_hint(
    site: GitRepo, config: str, says: list[str], command: str
) -> None:
    (site.root / ".tracker/tracker.yaml").write_text(config, encoding="utf-8")
    before = sorted(p.relative_to(site.root) for p in site.root.rglob("*") if ".git" not in p.parts)
    result = run(command, "--repo", str(site.root))
    no_traceback(result)
    assert result.exit_code == 1, result.output
    for text in says:
        assert text in result.stderr, (text, result.stderr)
    assert result.stderr.startswith("tracker: ") and result.stderr.count("\n") == 1
    after = sorted(p.relative_to(site.root) for p in site.root.rglob("*") if ".git" not in p.parts)
    assert after == before  # nothing written


@pytest.mark.parametrize(
    ("name", "body", "line", "says"),
    [
        (
            "changelog.md.j2",
            "{% for month in months %}\n{{ month.label }\n{% endfor %}\n",
            2,
            "unexpected '}'",
        ),
        (
            "changelog.md.j2",
            "{% for month in months %}\n{{ month.nonsense.deeper }}\n{% endfor %}\n",
            2,
            "has no attribute 'nonsense'",
        ),
        ("updates.md.j2", "{% include 'missing.md.j2' %}\n", 1, "missing.md.j2"),
        ("feed_item.html.j2", "<table>\n{% if %}\n", 2, "Expected an expression"),
    ],
)
def test_broken_site_template_exits_1_with_file_line_and_hint(
    site: GitRepo, name: str, body: str, line: int, says: str
) -> None:
    """A site's own template is configuration too: its mistakes are named, not a traceback."""
    (site.root / "site-templates").mkdir()
    (site.root / "site-templates" / name).write_text(body, encoding="utf-8")
    (site.root / ".tracker/tracker.yaml").write_text("templates_dir: site-templates\n",
                                                   encoding="utf-8")
    site.replace(ACME, "| **并发请求** | 5 | |", "| **并发请求** | 2 | |")
    site.commit("cut", "2025-03-04T10:00:00+08:00")
    page = site.read(ACME)
    result = run("update", "--repo", str(site.root))
    no_traceback(result)
    assert result.exit_code == 1, result.output
    assert f"site-templates/{name}:{line}: " in result.stderr, result.stderr
    assert says in result.stderr and "templates_dir" in result.stderr
    if name == "changelog.md.j2":
        assert site.read(ACME) == page
    # the walk is not recorded as done, so the next run renders again
    assert ledger(site.root).state().last_commit != site.git("rev-parse", "HEAD")
    # fixed (the template removed), the same run completes
    (site.root / "site-templates" / name).unlink()
    result = run("update", "--repo", str(site.root))
    assert result.exit_code == 0, result.output
    assert "并发请求 5 → 2" in site.read(ACME)


# --- 5. SMTP failures through the CLI (the library level is in test_mail.py) -----------------

SMTP_PASSWORD = "s3cret-Pa55word"


def smtp_env(port: int, password: str) -> dict[str, str | None]:
    return {"TRACKER_SMTP_HOST": "127.0.0.1", "TRACKER_SMTP_PORT": str(port),
            "TRACKER_SMTP_FROM": "digest@free-llm.example", "TRACKER_SMTP_TO": "a@example.com",
            "TRACKER_SMTP_SECURITY": "none", "TRACKER_SMTP_USER": "digest",
            "TRACKER_SMTP_PASSWORD": password}


def _send_digest(site: GitRepo, out: Path, env: dict[str, str | None]) -> Result:
    return CliRunner(env=env).invoke(cli, ["digest", "--repo", str(site.root), "--week",
                                           "2025-W06", "--out", str(out), "--send"])


def _assert_failed_send(site: GitRepo, out: Path, result: Result, password: str) -> None:
    no_traceback(result)
    assert result.exit_code == 1, result.output
    assert password not in result.output and password not in repr(result.exception)
    # the files are written, and the week is not marked as sent
    assert sorted(p.name for p in out.iterdir()) == ["2025-W06.eml", "2025-W06.html",
                                                     "2025-W06.txt"]
    assert password not in "".join(p.read_text(encoding="utf-8") for p in out.iterdir())
    assert not (site.root / ".tracker/history" / "digests.yaml").exists()
    assert ledger(site.root).sent_digests() == set()


def test_digest_send_refused_exits_1_files_written_week_not_marked(site: GitRepo,
                                                                    tmp_path: Path) -> None:
    from test_mail import free_port

    out = tmp_path / "out"
    result = _send_digest(site, out, smtp_env(free_port(), SMTP_PASSWORD))
    _assert_failed_send(site, out, result, SMTP_PASSWORD)
    assert "127.0.0.1" in result.stderr


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_digest_send_with_wrong_password_then_right_one(site: GitRepo, tmp_path: Path) -> None:
    from test_mail import PASSWORD, Inbox, authenticate, start

    inbox = Inbox()
    controller = start(inbox, authenticator=authenticate, auth_require_tls=False,
                       auth_required=True)
    try:
        out = tmp_path / "out"
        wrong = "not-" + PASSWORD
        result = _send_digest(site, out, smtp_env(controller.port, wrong))
        _assert_failed_send(site, out, result, wrong)
        assert PASSWORD not in result.output and "TRACKER_SMTP_PASSWORD" in result.stderr
        assert inbox.envelopes == []
        # with the right password it is sent once and recorded; a second run does not resend
        result = _send_digest(site, out, smtp_env(controller.port, PASSWORD))
        assert result.exit_code == 0 and "sent" in result.stdout, result.output
        assert PASSWORD not in result.output
        assert ledger(site.root).sent_digests() == {"2025-W06"}
        result = _send_digest(site, out, smtp_env(controller.port, PASSWORD))
        assert result.exit_code == 0 and "already sent" in result.stdout
        assert len(inbox.envelopes) == 1
    finally:
        controller.stop()


# --- control characters and bidi overrides that a data file states legitimately (escaped) ------

INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
XML_ILLEGAL_OR_BIDI = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\u202a-\u202e\u2066-\u2069]")


def test_control_characters_and_bidi_overrides_never_reach_a_page_or_feed(repo: GitRepo) -> None:
    """JSON may state them as escapes; the page blocks and feeds drop them, the ledger keeps
    them faithfully, and every feed stays valid XML."""
    repo.write(HUB, HUB_TEXT)
    repo.write(*ADOPTED)
    repo.write("services/api/ctl/_index.md", "---\ntitle: ctl\n---\n\n## 更新日志\n\n"
               f"{CHANGELOG_BEGIN}\n{CHANGELOG_END}\n")
    name = "Ctl\u0001\u001b[31m \u202eevil\u2066 x\u0085y\u007f"
    repo.write("data/services/ctl.json", json.dumps(
        {"name": name, "models": {"m\u0000\u000b\u202e": {"context": 8192}}}))
    repo.commit("add", "2025-11-03T10:00:00+08:00")
    result = run("update", "--repo", str(repo.root))
    assert result.exit_code == 0 and result.stderr == "", result.output
    assert ledger(repo.root).events()[0].service_name == name  # the ledger is faithful
    for path in (HUB, "services/api/ctl/_index.md"):
        text = repo.read(path)
        assert "Ctl" in text and not INVISIBLE.search(text), (path, text)
    for path in sorted((repo.root / "feeds").rglob("*.*")):
        raw = path.read_bytes()
        assert not XML_ILLEGAL_OR_BIDI.search(raw.decode("utf-8")), path
        if path.suffix not in (".json", ".ics"):  # JSON Feed and the calendar are not XML
            assert feedparser.parse(raw).bozo == 0, path


def test_lone_surrogate_in_a_json_data_file_is_a_warning(repo: GitRepo) -> None:
    repo.write(GAMMA, GAMMA_JSON)
    repo.commit("add", "2025-11-03T10:00:00+08:00")
    assert run("update", "--repo", str(repo.root)).exit_code == 0
    repo.write(GAMMA, GAMMA_JSON.replace('"Gamma API"', '"Gamma \\ud800 API"'))
    repo.commit("break", "2025-11-04T10:00:00+08:00")
    result = run("update", "--repo", str(repo.root))
    no_traceback(result)
    assert result.exit_code == 0, result.output
    assert re.search(rf"^warning: {re.escape(GAMMA)}:2:", result.stderr, re.MULTILINE)


# --- 3. a force-push whose old tip is still in the repository (walk from the merge base) ------

def test_force_push_with_the_old_tip_still_present_walks_from_the_merge_base(repo: GitRepo) -> None:
    """test_reliability covers a state commit that is gone; here it still exists on another
    branch, is no ancestor of HEAD, and the walk restarts from the merge base: the replayed
    change keeps its event id, feeds get no duplicate, only the new change is new."""
    repo.write(ACME, _acme())
    base = repo.commit("add", "2025-03-01T10:00:00+08:00")
    repo.replace(ACME, "14,400 requests/day", "1,000 requests/day")
    repo.commit("cut", "2025-03-02T10:00:00+08:00")
    repo.replace(ACME, "| **并发请求** | 5 |", "| **并发请求** | 2 |")
    repo.commit("concurrency", "2025-03-03T10:00:00+08:00")
    assert run("update", "--repo", str(repo.root)).exit_code == 0
    before = {e.id: e for e in ledger(repo.root).raw_events()}
    repo.git("branch", "old-tip")  # the state commit stays reachable
    repo.git("reset", "-q", "--hard", base)
    repo.replace(ACME, "14,400 requests/day", "1,000 requests/day")
    repo.commit("cut, reworded", "2025-03-02T10:00:00+08:00")  # same author date, new sha
    repo.replace(ACME, "| 30 requests/min |", "| 20 requests/min |")
    repo.commit("rpm cut", "2025-03-04T10:00:00+08:00")
    from tracker.pipeline import update

    result = update(repo.root)
    assert result.commits_walked == 2
    assert [(e.kind, e.field, e.id in before) for e in result.new_events] == [
        ("quota_cut", "requests_per_day", True), ("quota_cut", "requests_per_minute", False)]
    ids = [e.id for e in ledger(repo.root).raw_events()]
    assert len(ids) == len(set(ids)) == len(before) + 1
    feeds = [p for p in (repo.root / "feeds").rglob("*.*")
             if p.suffix not in (".json", ".ics", ".opml")]
    assert any(p.name == "atom.xml" for p in feeds)
    for path in feeds:
        guids = [e.id for e in feedparser.parse(path.read_bytes()).entries]
        assert guids and len(guids) == len(set(guids)), path


def test_emptied_models_table_removes_its_models_and_the_page_stays_read(site: GitRepo) -> None:
    """A header with no rows is an empty table: its models are gone (not a parse error that
    would freeze the page), and a later change elsewhere on the page is still told."""
    before = event_ids(site.root)
    # the pricing table still names acme-chat and acme-fast: only acme-legacy leaves the page
    site.replace(ACME, MODEL_ROWS, "")
    site.commit("empty the models table", "2025-03-03T10:00:00+08:00")
    site.replace(
        ACME, "| **每日请求数** | 14,400 requests/day |", "| **每日请求数** | 1,000 requests/day |"
    )
    site.commit("cut", "2025-03-04T10:00:00+08:00")
    result = run("update", "--repo", str(site.root))
    assert result.exit_code == 0 and "warning" not in result.stderr, result.output
    new = [(e.model, e.kind) for e in ledger(site.root).raw_events() if e.id not in before]
    assert ("acme-legacy", "model_removed") in new and (None, "quota_cut") in new
    assert ledger(site.root).warnings() == []
    assert run("check", "--repo", str(site.root)).exit_code == 0


def test_a_broken_section_keeps_its_last_good_facts_and_the_page_is_stale(site: GitRepo) -> None:
    """A quota row with a cell too many: the limits keep their last good values, a model's
    context change in the same page is still told, and every run names the page as stale
    (since which commit, how many commits) until it is fixed."""
    before = event_ids(site.root)
    site.replace(ACME, "| **并发请求** | 5 | |", "| **并发请求** | 5 | | x |")
    broke = site.commit("odd quota row", "2025-03-03T10:00:00+08:00")
    site.replace(ACME, "| **acme-fast** | 32,768 | 4K |", "| **acme-fast** | 16K | 4K |")
    site.commit("shorter context", "2025-03-04T10:00:00+08:00")
    result = run("update", "--repo", str(site.root))
    assert result.exit_code == 0, result.output
    new = [(e.model, e.kind) for e in ledger(site.root).raw_events() if e.id not in before]
    assert new == [("acme-fast", "context_changed")]  # no limit "removed" by the odd row
    odd_row = (site.root / ACME).read_text().splitlines().index("| **并发请求** | 5 | | x |") + 1
    stale = (f"warning: {ACME}:{odd_row}: stale, still on last good facts since {broke[:10]} "
             "(2 commits)")
    assert stale in result.stderr, result.stderr
    assert run("check", "--repo", str(site.root)).exit_code == 1
    # a run with nothing new still names it; under GitHub Actions as an annotation on the page
    again = run("update", "--repo", str(site.root))
    assert stale in again.stderr
    annotated = CliRunner(env={"GITHUB_ACTIONS": "true"}).invoke(
        cli, ["update", "--repo", str(site.root)])
    assert (f"::warning file={ACME},line={odd_row}::stale, still on last good facts since "
            f"{broke[:10]}") in annotated.stderr, annotated.stderr
    # fixed: the limits are read again (no event: they did not change), not stale any more
    site.replace(ACME, "| **并发请求** | 5 | | x |", "| **并发请求** | 5 | |")
    site.commit("fix", "2025-03-05T10:00:00+08:00")
    fixed = run("update", "--repo", str(site.root))
    assert "stale" not in fixed.stderr, fixed.stderr
    assert [e.kind for e in ledger(site.root).raw_events() if e.id not in before] == [
        "context_changed"]
    assert run("check", "--repo", str(site.root)).exit_code == 0
