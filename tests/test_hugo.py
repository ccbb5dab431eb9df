"""A real Hugo build of pages rewritten by update_pages / update_blocks.

The site mirrors the real one: zh default, en under /en/, the service tree mounted through
``contentDir``, and Hextra's markup settings (``markup.goldmark.renderer.unsafe = true``,
``enableInlineShortcodes``). The build is also run with Hugo's default (unsafe = false), under which
goldmark replaces the marker comments with ``<!-- raw HTML omitted -->``: still a comment, so the
markers never show either way.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tracker.config import Config
from tracker.model import Event
from tracker.render.changelog import update_pages
from tracker.render.updates import update_blocks

pytestmark = pytest.mark.skipif(shutil.which("hugo") is None,
                                reason="hugo is not on PATH (CI installs it: apt-get install hugo)")

HOSTILE_MODEL = "<script>alert(1)</script>[x](javascript:alert(2)){{< callout >}}"

PAGE_ZH = """---
title: "Nimbus API"
type: docs
weight: 20
---

{{< callout type="info" >}}
**注意：** 每日配额按 UTC 重置。
{{< /callout >}}

## 📋 服务概览

**服务名称：** Nimbus API  
**服务类型：** 有限免费  

```markdown
<!-- tracker:changelog:begin -->
documented, not generated
<!-- tracker:changelog:end -->
```

---

## 📝 更新日志

- **2025年1月：** 正式发布

---

**服务提供者：** [Nimbus](/providers/nimbus)
"""

PAGE_EN = """---
title: "Nimbus API"
---

## 📋 Service Overview

**Service Name:** Nimbus API  

---

**Service Provider:** [Nimbus](/providers/nimbus)
"""

HUB = """---
title: "API 服务"
---

## 最近更新

<!-- tracker:updates:begin -->
<!-- tracker:updates:end -->

| 服务 | 类型 |
|------|------|
| Nimbus | 有限免费 |
"""


def event(n: int, date: str, kind: str, severity: str, **values: object) -> Event:
    data: dict[str, object] = {"model": None, "field": None, "old": None, "new": None,
                               "change_pct": None}
    data.update(values)
    return Event(id=f"e{n}", date=date, commit="c" * 40, path="services/api/nimbus/_index.md",
                 service="nimbus", service_name="Nimbus API", provider="nimbus", kind=kind,
                 severity=severity, **data)  # type: ignore[arg-type]


EVENTS = [
    event(1, "2025-11-03T10:00:00+08:00", "quota_cut", "breaking", field="requests_per_day",
          old=14400, new=1000, change_pct=-93.06),
    event(2, "2025-11-04T10:00:00+08:00", "model_added", "notable", model="llama-4-scout"),
    event(3, "2025-10-20T10:00:00+08:00", "model_added", "notable", model=HOSTILE_MODEL),
]


def build_site(tmp_path: Path, unsafe: bool) -> Path:
    site = tmp_path / "site"
    tree = site / "tree"
    site.mkdir()
    (site / "hugo.toml").write_text(f"""baseURL = "https://example.org/"
title = "Free LLM API"
contentDir = "tree"
defaultContentLanguage = "zh"
enableInlineShortcodes = true
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]

[languages.zh]
weight = 1
languageName = "简体中文"

[languages.en]
weight = 2
languageName = "English"

[markup.goldmark.renderer]
unsafe = {str(unsafe).lower()}
""", encoding="utf-8")
    layouts = site / "layouts"
    for name in ("_default/list.html", "_default/single.html"):
        (layouts / name).parent.mkdir(parents=True, exist_ok=True)
        (layouts / name).write_text("<main>{{ .Content }}</main>\n", encoding="utf-8")
    (layouts / "shortcodes").mkdir(parents=True)
    (layouts / "shortcodes/callout.html").write_text(
        '<div class="callout">{{ .Inner }}</div>', encoding="utf-8")
    files = {"services/api/nimbus/_index.md": PAGE_ZH,
             "services/api/nimbus/_index.en.md": PAGE_EN,
             "services/api/_index.md": HUB,
             "_index.md": "---\ntitle: Home\n---\n"}
    for relative, text in files.items():
        (tree / relative).parent.mkdir(parents=True, exist_ok=True)
        # CRLF on the zh page, as on sites edited on Windows
        data = text.replace("\n", "\r\n") if relative.endswith("nimbus/_index.md") else text
        (tree / relative).write_bytes(data.encode("utf-8"))
    config = Config(root=tree)
    assert len(update_pages(config, EVENTS)) == 2
    assert len(update_blocks(config, EVENTS)) == 1
    result = subprocess.run(["hugo", "--quiet", "-d", "public"], cwd=site, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return site / "public"


def items(page: str) -> list[str]:
    return [html.unescape(re.sub(r"<[^>]+>", "", li)) for li in
            re.findall(r"<li>(.*?)</li>", page, re.DOTALL)]


@pytest.mark.parametrize("unsafe", [True, False], ids=["hextra-unsafe", "hugo-default"])
def test_hugo_renders_generated_changelog(tmp_path: Path, unsafe: bool) -> None:
    public = build_site(tmp_path, unsafe)
    zh = (public / "services/api/nimbus/index.html").read_text(encoding="utf-8")
    en = (public / "en/services/api/nimbus/index.html").read_text(encoding="utf-8")
    hub = (public / "services/api/index.html").read_text(encoding="utf-8")

    # within a month newest first, as in the feeds and the updates block
    assert ("<li><strong>2025年11月：</strong> 新增模型 llama-4-scout；"
            "每日请求数 14,400 → 1,000（-93%）</li>") in zh
    assert ("<li><strong>November 2025:</strong> new model llama-4-scout; "
            "Requests per day 14,400 → 1,000 (-93%)</li>") in en
    assert items(zh)[2] == "2025年1月： 正式发布"  # the hand-written entry, after ours
    assert '<div class="callout">' in zh and "每日配额按 UTC 重置" in zh
    assert "<strong>服务提供者：</strong>" in zh and 'href="/providers/nimbus"' in zh
    assert "documented, not generated" in zh  # the code block kept, its markers untouched
    assert ('<a href="/services/api/nimbus/">Nimbus API</a>：新增模型 llama-4-scout') in hub
    assert "<td>Nimbus</td>" in hub

    # markers are comments (raw, or "raw HTML omitted"), never visible text
    for page in (zh, en, hub):
        visible = re.sub(r"<!--.*?-->", "", page, flags=re.DOTALL)
        assert "tracker:" not in re.sub(r"<code[^>]*>.*?</code>", "", visible, flags=re.DOTALL)
    if unsafe:
        assert "<!-- tracker:changelog:begin -->" in zh
    else:
        assert "<!-- raw HTML omitted -->" in zh

    # the hostile model name is shown as text: no script, no javascript link, no shortcode
    for page in (zh, en, hub):
        assert "<script>" not in page and 'href="javascript' not in page
        assert page.count('<div class="callout">') == (1 if page is zh else 0)
    assert "新增模型 <script>alert(1)</script>[x](javascript:alert(2)){{< callout >}}" in items(zh)[1]


def test_hugo_serves_the_chart_the_changelog_shows(tmp_path: Path) -> None:
    """The site root is the repository: pages under content/, charts under static/."""
    from tracker.render.charts import build_charts, charted_services, owned_names
    from tracker.writer import write_charts

    site = tmp_path / "site"
    site.mkdir()
    (site / "hugo.toml").write_text("""baseURL = "https://example.org/"
title = "Free LLM API"
defaultContentLanguage = "zh"
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]
[languages.zh]
weight = 1
[languages.en]
weight = 2
""", encoding="utf-8")
    for name in ("_default/list.html", "_default/single.html"):
        (site / "layouts" / name).parent.mkdir(parents=True, exist_ok=True)
        (site / "layouts" / name).write_text("<main>{{ .Content }}</main>\n", encoding="utf-8")
    (site / "layouts/shortcodes").mkdir()
    (site / "layouts/shortcodes/callout.html").write_text('<div>{{ .Inner }}</div>',
                                                          encoding="utf-8")
    pages = {"content/services/api/nimbus/_index.md": PAGE_ZH,
             "content/services/api/nimbus/_index.en.md": PAGE_EN,
             "content/_index.md": "---\ntitle: Home\n---\n"}
    for relative, text in pages.items():
        (site / relative).parent.mkdir(parents=True, exist_ok=True)
        (site / relative).write_text(text, encoding="utf-8")
    added = event(0, "2025-09-01T10:00:00+08:00", "service_added", "notable",
                  new={"limits": {"requests_per_day": 14400}})
    events = [added, *EVENTS]
    config = Config(root=site)
    charts = build_charts(events, config)
    written = write_charts(config, charts, owned=owned_names(events, config))
    assert [p.name for p in written] == ["nimbus.en.svg", "nimbus.svg"]
    assert len(update_pages(config, events, charted=charted_services(
        charts, config, {e.service for e in events}))) == 2
    result = subprocess.run(["hugo", "--quiet", "-d", "public"], cwd=site, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr

    public = site / "public"
    for page, lang, alt in (("services/api/nimbus/index.html", "zh", "Nimbus API 限额与价格变化图"),
                            ("en/services/api/nimbus/index.html", "en",
                             "Chart of Nimbus API limits and prices over time")):
        built = (public / page).read_text(encoding="utf-8")
        src = re.search(r'<img src="([^"]+)" alt="([^"]*)"', built)
        assert src is not None, built
        assert html.unescape(src.group(2)) == alt
        # above the generated entries
        assert built.index("<img") < built.index("每日请求数" if lang == "zh" else
                                                 "Requests per day")
        served = public / src.group(1).lstrip("/")
        name = "nimbus.svg" if lang == "zh" else "nimbus.en.svg"
        assert src.group(1) == f"/tracker/charts/{name}"
        assert served.read_bytes() == (site / "static/tracker/charts" / name).read_bytes()
