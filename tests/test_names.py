"""One name per service and language in every output (render/names.py): a front-matter title is
SEO text that never renames a service, and English outputs name tiers in English."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner, Result

from conftest import PAGES, GitRepo
from tracker.cli import cli
from tracker.config import Config
from tracker.i18n import translate_name
from tracker.model import Event
from tracker.render.names import one_render, site_names

ZH, EN = "services/api/groq/_index.md", "services/api/groq/_index.en.md"
UPDATES_ZH, UPDATES_EN = "services/api/_index.md", "services/api/_index.en.md"
MARKERS = "<!-- tracker:updates:begin -->\n<!-- tracker:updates:end -->\n"
SEO_TITLE = "Groq API 免费额度（2026）全网最快推理"

# the zh page's tiers: one the English twin states too (the same limits), one it does not
ZH_TIERS = """
### Trial 层级

| 限制项 | 配额 | 说明 |
|--------|------|------|
| **每日请求数** | 100 requests/day | |

### Gemini Flash 系列

| 限制项 | 配额 | 说明 |
|--------|------|------|
| **每日请求数** | 50 requests/day | |

### ⚠️ 重要限制
"""
EN_TIERS = """
### Trial tier

| Limit Item | Quota | Notes |
|------------|-------|-------|
| **Daily Requests** | 100 requests/day | |

---

## 🎁 Available Models
"""


def run(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def zh_page(title: str) -> str:
    """acme.md as Groq's page with no 服务名称 line and no heading: only the title names it."""
    text = (PAGES / "acme.md").read_text(encoding="utf-8")
    text = text.replace('title: "Acme Inference API"', f'title: "{title}"')
    text = text.replace("**服务名称：** Acme Inference API  \n", "")
    return text.replace("\n### ⚠️ 重要限制\n", ZH_TIERS, 1)


def en_page() -> str:
    """The English twin, titled as the real site's are, with no Service Name line either."""
    text = (PAGES / "acme.en.md").read_text(encoding="utf-8")
    text = text.replace('title: "Acme Inference API"', 'title: "Groq - API"')
    text = text.replace("**Service Name:** Acme Inference API  \n", "")
    return text.replace("\n---\n\n## 🎁 Available Models\n", EN_TIERS, 1)


@pytest.fixture
def site(repo: GitRepo) -> GitRepo:
    repo.write(ZH, zh_page("Groq API - 全网最快推理"))
    repo.write(EN, en_page())
    repo.write(UPDATES_ZH, "---\ntitle: 更新\n---\n\n" + MARKERS)
    repo.write(UPDATES_EN, "---\ntitle: Updates\n---\n\n" + MARKERS)
    repo.commit("add groq", "2025-01-06T10:00:00+08:00")
    assert run("update", "--repo", str(repo.root), "-q").exit_code == 0
    repo.commit("outputs\n\nTracker: skip", "2025-01-06T11:00:00+08:00")
    return repo


def outputs(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(root).parts}


def cut(site: GitRepo) -> None:
    """A cut of every quota a tier states, and of the service's own daily requests."""
    site.replace(ZH, "| **每日请求数** | 100 requests/day | |", "| **每日请求数** | 10 requests/day | |")
    site.replace(ZH, "| **每日请求数** | 50 requests/day | |", "| **每日请求数** | 5 requests/day | |")
    site.replace(ZH, "14,400 requests/day", "1,000 requests/day")
    site.replace(EN, "| **Daily Requests** | 100 requests/day | |",
                 "| **Daily Requests** | 10 requests/day | |")
    site.commit("cut", "2025-01-08T10:00:00+08:00")


def test_a_title_only_edit_is_no_event_and_renames_nothing(site: GitRepo) -> None:
    before = outputs(site.root)
    site.replace(ZH, 'title: "Groq API - 全网最快推理"', f'title: "{SEO_TITLE}"')
    site.replace(EN, 'title: "Groq - API"', 'title: "Groq API: the fastest free inference"')
    site.commit("SEO", "2025-01-07T10:00:00+08:00")
    result = run("update", "--repo", str(site.root))
    assert result.exit_code == 0
    assert "0 new events" in result.output
    after = outputs(site.root)
    changed = {path for path in after if before.get(path) != after[path]}
    # only the pages themselves (edited by hand) and the walk's own state moved
    assert changed <= {ZH, EN, ".tracker/history/state.yaml", ".tracker/history/facts.jsonl"}
    assert "nothing to change" in run("render", "--repo", str(site.root), "--dry-run").output


@pytest.mark.parametrize("start", ["warm", "fresh clone", "no checkpoint"])
def test_the_name_a_service_first_had_stays_through_later_walks(site: GitRepo,
                                                                start: str) -> None:
    site.replace(ZH, 'title: "Groq API - 全网最快推理"', f'title: "{SEO_TITLE}"')
    site.commit("SEO", "2025-01-07T10:00:00+08:00")
    assert run("update", "--repo", str(site.root), "-q").exit_code == 0
    if start != "warm":  # CI's fresh clone: no cache in .git, the checkpoint of facts read
        shutil.rmtree(site.root / ".git" / "tracker-cache")
    if start == "no checkpoint":  # nor that: the tree is parsed again
        (site.root / ".tracker" / "history" / "facts.jsonl").unlink()
    cut(site)
    assert run("update", "--repo", str(site.root), "-q").exit_code == 0
    events = json.loads(run("log", "--repo", str(site.root), "--format", "json").output)
    assert {e["service_name"] for e in events} == {"Groq API"}
    assert {e["kind"] for e in events} == {"service_added", "quota_cut"}


def test_a_name_line_does_rename(site: GitRepo) -> None:
    site.replace(ZH, "**所属提供者：**", "**服务名称：** GroqCloud  \n**所属提供者：**")
    site.commit("name it", "2025-01-07T10:00:00+08:00")
    assert run("update", "--repo", str(site.root), "-q").exit_code == 0
    (event,) = json.loads(run("log", "--repo", str(site.root), "--format", "json",
                              "--since", "2025-01-07").output)
    assert (event["field"], event["old"], event["new"]) == ("name", "Groq API", "GroqCloud")


def test_every_output_of_one_language_says_one_name(site: GitRepo) -> None:
    cut(site)
    assert run("update", "--repo", str(site.root), "-q").exit_code == 0
    root = site.root
    feed = feedparser.parse((root / "feeds/atom.xml").read_bytes())
    assert all("Groq API" in entry.title for entry in feed.entries)
    service_feed = feedparser.parse((root / "feeds/services/groq.atom").read_bytes())
    assert service_feed.feed.title.endswith("· Groq API")
    for text in (site.read(UPDATES_EN), site.read(UPDATES_ZH), site.read(EN)):
        assert "Groq API" in text
    assert "Groq - API" not in site.read(UPDATES_EN)  # the English title is no name
    assert "Groq API" in (root / "static/tracker/charts/groq.en.svg").read_text(encoding="utf-8")
    digest = run("digest", "--repo", str(root), "--week", "2025-W02", "--lang", "en").output
    assert "Groq API" in digest and "Groq - API" not in digest
    calendar = (root / "feeds/shutdowns.ics").read_text(encoding="utf-8")
    assert "Groq API" in calendar.replace("\r\n ", "")  # the deprecated acme-legacy's shutdown


def test_provider_feeds_carry_the_providers_name(site: GitRepo) -> None:
    opml = (site.root / "feeds/feeds.opml").read_text(encoding="utf-8")
    titles = re.findall(r'title="([^"]*)"', opml)
    assert any(title.endswith("· Acme AI") for title in titles)  # the link text, not the slug
    assert not any(title.endswith("· acme") for title in titles)
    feed = feedparser.parse((site.root / "feeds/providers/acme.atom").read_bytes())
    assert feed.feed.title.endswith("· Acme AI")


def test_english_outputs_name_tiers_in_english(site: GitRepo) -> None:
    cut(site)
    assert run("update", "--repo", str(site.root), "-q").exit_code == 0
    root = site.root
    chart = (root / "static/tracker/charts/groq.en.svg").read_text(encoding="utf-8")
    digest = run("digest", "--repo", str(root), "--week", "2025-W02", "--lang", "en").output
    english = {"chart": chart, "updates": site.read(UPDATES_EN), "page": site.read(EN),
               "digest": digest}
    for where, text in english.items():
        assert "Trial tier" in text, where  # as the English twin names it
        assert "Gemini Flash series" in text, where  # the twin has no such tier: translated
        assert "层级" not in text and "系列" not in text, where
    zh_chart = (root / "static/tracker/charts/groq.svg").read_text(encoding="utf-8")
    assert "Trial 层级" in zh_chart and "Gemini Flash 系列" in site.read(ZH)
    # the feeds are in the site's default language (zh) unless feeds.lang says otherwise
    site.write("tracker.yaml", "feeds:\n  lang: en\n")
    assert run("render", "--repo", str(root)).exit_code == 0
    feed = feedparser.parse((root / "feeds/atom.xml").read_bytes())
    summaries = " ".join(entry.summary for entry in feed.entries)
    assert "Trial tier" in summaries and "层级" not in summaries


@pytest.mark.parametrize("name, english", [
    ("Trial 层级", "Trial tier"), ("Gemini Flash 系列", "Gemini Flash series"),
    ("免费层级", "Free tier"), ("Pro 模型", "Pro models"),
    ("高级 层级", "高级 层级"),  # not wholly fixed words: kept, never half-translated
    ("Free tier", "Free tier"),
])
def test_the_fixed_vocabulary_is_translated_or_kept(name: str, english: str) -> None:
    assert translate_name(name, "en") == english
    assert translate_name(name, "zh") == name


def test_a_chinese_name_is_not_shown_in_english_when_the_twin_has_an_english_title(
        repo: GitRepo) -> None:
    zh = (PAGES / "acme.md").read_text(encoding="utf-8").replace(
        "**服务名称：** Acme Inference API", "**服务名称：** 阿里云百炼")
    en = en_page().replace('title: "Groq - API"', 'title: "Alibaba Bailian API - Free Models"')
    repo.write(ZH, zh)
    repo.write(EN, en)
    repo.write(UPDATES_EN, "---\ntitle: Updates\n---\n\n" + MARKERS)
    repo.commit("add", "2025-01-06T10:00:00+08:00")
    assert run("update", "--repo", str(repo.root), "-q").exit_code == 0
    block = repo.read(UPDATES_EN)
    assert "Alibaba Bailian API" in block and "阿里云百炼" not in block
    assert "阿里云百炼" in (repo.root / "feeds/atom.xml").read_text(encoding="utf-8")  # zh feeds


def test_only_a_quota_tier_is_named_per_language_never_a_price_band() -> None:
    from tracker.model import Event
    from tracker.render.names import Names

    def event(**scope: str) -> Event:
        return Event(id="e", date="2025-03-01T10:00:00+08:00", commit="c", path="p",
                     service="acme", service_name="Acme", provider=None, model=None,
                     kind="quota_cut", field="requests_per_day", old=20, new=10,
                     change_pct=-50.0, severity="breaking", **scope)

    names = Names("en", {}, {}, {})
    [tier, band] = names.localize([event(tier="免费层级"), event(band="免费层级")])
    assert (tier.tier, tier.band) == ("Free tier", None)
    # a band is the catalogue's own text (">200K", a time window): kept as it is written
    assert (band.band, band.tier) == ("免费层级", None)


def test_a_providers_title_is_read_once_per_render_and_again_in_the_next(tmp_path: Path
                                                                         ) -> None:
    """A provider no page links is named by its own page's title: the calendar's raw events
    get the name the feeds' events got within one render, and the next render reads an edited
    title (the memo lasts one render)."""
    page = tmp_path / "providers" / "acme" / "_index.md"
    page.parent.mkdir(parents=True)
    page.write_text('---\ntitle: "Acme Cloud"\n---\n', encoding="utf-8")
    config = Config(root=tmp_path)
    events = [Event(id="e1", date="2025-01-01T10:00:00+08:00", commit="c" * 40,
                    path="data/acme.yaml", service="acme-api", service_name="Acme API",
                    provider="acme", model=None, kind="service_added", field=None, old=None,
                    new=None, change_pct=None, severity="info")]
    with one_render():
        assert site_names(events, config, "zh").provider("acme") == "Acme Cloud"
        page.write_text('---\ntitle: "Acme Two"\n---\n', encoding="utf-8")
        assert site_names(list(events), config, "zh").provider("acme") == "Acme Cloud"
    with one_render():
        assert site_names(events, config, "zh").provider("acme") == "Acme Two"
    assert site_names(events, config, "zh").provider("acme") == "Acme Two"
