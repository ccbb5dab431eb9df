"""The digest's charts as PNG images the mail carries (issue 22): every <img> a cid: part, words
only in the HTML, every glyph in the bundled font, the size of a five-chart week, the same bytes
from two processes, and a real headless Chromium showing each chart with the network refused."""

from __future__ import annotations

import base64
import os
import re
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import replace
from datetime import date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tracker.config import Config, load_config
from tracker.ledger import Ledger
from tracker.mail import build_message
from tracker.model import Event
from tracker.render import mailcharts
from tracker.render.charts import render_chart
from tracker.render.digest import Digest, DigestImage, Period, build_digest
from tracker.render.series import build_series
from tracker.site import chart_name

CHROMIUM = Path("/usr/bin/chromium")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG = "{http://www.w3.org/2000/svg}"


class Images(HTMLParser):
    """The attributes of every <img> in an HTML text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[dict[str, str | None]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.found.append(dict(attrs))


@pytest.fixture(scope="module")
def example(example_updated: Path) -> tuple[Config, list[Event]]:
    config = load_config(example_updated)
    return config, Ledger(config).events()


def busiest_week(events: list[Event]) -> Period:
    """The ISO week with the most events (in each event's own offset); ties: more breaking."""
    weeks: Counter[str] = Counter()
    breaking: Counter[str] = Counter()
    for event in events:
        year, week, _ = datetime.fromisoformat(event.date).isocalendar()
        weeks[f"{year}-W{week:02d}"] += 1
        breaking[f"{year}-W{week:02d}"] += event.severity == "breaking"
    return Period.iso_week(max(weeks, key=lambda k: (weeks[k], breaking[k], k)))


def read_back(message: EmailMessage) -> tuple[str, str, dict[str, EmailMessage]]:
    """The .eml's bytes parsed again: plain text, HTML, and its image parts by Content-ID."""
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    plain = parsed.get_body(("plain",))
    html = parsed.get_body(("html",))
    assert plain is not None and html is not None
    images = {part["Content-ID"].strip().strip("<>"): part for part in parsed.walk()
              if part.get_content_maintype() == "image"}
    return plain.get_content(), html.get_content(), images  # type: ignore[no-any-return]


def png_chunks(data: bytes) -> list[bytes]:
    assert data.startswith(PNG_SIGNATURE)
    chunks, at = [], len(PNG_SIGNATURE)
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        chunks.append(data[at + 4:at + 8])
        at += 12 + length
    return chunks


def png_width(data: bytes) -> int:
    return int(struct.unpack(">I", data[16:20])[0])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_img_of_the_busiest_week_is_a_png_the_message_carries(
        example: tuple[Config, list[Event]], lang: str) -> None:
    config, events = example
    week = busiest_week(events)
    digest = build_digest(events, config, week, lang)
    plain, html, images = read_back(build_message(digest, "d@free-llm.example", ["r@x.example"]))

    found = Images(html).found
    charted = list(dict.fromkeys(e.service for e in digest.events if e.severity == "breaking"))
    assert len(found) == len(digest.images) >= 3  # the example's busiest week charts three
    assert len(found) <= len(charted)
    for img, image in zip(found, digest.images, strict=True):
        src = img["src"] or ""
        assert src == f"cid:{image.cid}"
        part = images[image.cid]
        assert part.get_content_type() == "image/png"
        assert part.get_content_disposition() == "inline"
        png = part.get_content()
        assert png == image.png and png_width(png) == 640 * mailcharts.ZOOM
        assert img["width"] == "640"
    assert len(images) == len(found)  # no part that nothing shows
    assert not re.search(r"""(src|background)=["']?https?:""", html)  # nothing loads remotely

    names = {e.service_name for e in digest.events}
    for img, url in zip(found, re.findall(r"https://\S+\.svg", plain), strict=True):
        # the alt text says what the chart shows, in tracker's words (page text stays out of
        # attributes); the plain text keeps the chart's address on the site
        alt = img["alt"] or ""
        assert alt.startswith("限额与价格走势图：" if lang == "zh" else
                              "Chart of limits and prices over time: ")
        assert re.search("请求数|Token 数|个模型的价格" if lang == "zh" else
                         "Requests per|Tokens per|Prices of", alt), alt
        assert not any(name and name in alt for name in names)
        assert url.rsplit("/", 1)[1].split(".")[0] in {c.split(".")[0] for c in images}
    # the HTML file keeps the site's SVG charts
    assert [img["src"] for img in Images(digest.html).found] == \
        re.findall(r"https://\S+\.svg", plain)


def test_the_mail_names_each_numbered_panel_beside_its_image(
        example: tuple[Config, list[Event]]) -> None:
    config, events = example
    digest = build_digest(events, config, busiest_week(events), "zh")
    history = build_series(events)
    services = {chart_name(config, s, "zh").replace(".svg", ".png"): s for s in history}
    for image in digest.images:
        chart = mailcharts.mail_chart(history[services[image.filename]], "zh")
        assert chart is not None
        numbers = [t.text for t in ET.fromstring(chart.svg).iter(f"{SVG}text")
                   if t.get("class") == "t"]
        assert [n.split()[0] for n in numbers if n] == [str(k.number) for k in chart.key]
        listed = digest.mail_html.split(f"cid:{image.cid}", 1)[1].split("</ol>", 1)[0]
        items = re.findall(r"<li>(.*?)</li>", listed)
        assert len(items) == len(chart.key) and all(k.title in i for k, i in
                                                    zip(chart.key, items, strict=True))


def test_a_site_template_that_shows_no_cid_image_gets_no_image_part(
        example: tuple[Config, list[Event]], tmp_path: Path) -> None:
    config, events = example
    site = replace(config, root=tmp_path, templates_dir="mine")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "digest.html.j2").write_text(
        '{% for c in charts %}<img src="{{ c.url }}" alt="{{ c.alt }}">{% endfor %}\n',
        encoding="utf-8")
    digest = build_digest(events, site, busiest_week(events), "en")
    assert digest.images == () and digest.mail_html.count('<img src="https://') >= 3
    _, _, images = read_back(build_message(digest, "d@free-llm.example", ["r@x.example"]))
    assert images == {}


def test_the_image_holds_no_word_the_bundled_font_cannot_draw(
        example: tuple[Config, list[Event]]) -> None:
    config, events = example
    for service, history in build_series(events).items():
        for lang in ("zh", "en"):
            chart = mailcharts.mail_chart(history, lang)
            if chart is None:
                continue
            texts = "".join(t.text or "" for t in ET.fromstring(chart.svg).iter(f"{SVG}text"))
            assert mailcharts.drawable(texts), (service, lang, set(texts) - mailcharts.GLYPHS)
    # what the site draws for the same service would not do: its words are Chinese
    site = render_chart(build_series(events)["groq"], "zh", config)
    assert site is not None and not mailcharts.drawable(
        "".join(t.text or "" for t in ET.fromstring(site).iter(f"{SVG}text")))


def test_a_model_id_the_font_cannot_draw_is_named_beside_the_image_only() -> None:
    common: dict[str, Any] = {"commit": "c" * 40, "path": "services/api/qwen/_index.md",
                              "service": "qwen", "service_name": "通义", "provider": "ali",
                              "change_pct": None, "field": "input_price",
                              "currency": "CNY", "severity": "notable"}
    events = [Event(id="p1", date="2025-01-01T00:00:00+08:00", model="通义千问-max",
                    kind="price_added", old=None, new=2.4, **common),
              Event(id="p2", date="2025-06-01T00:00:00+08:00", model="通义千问-max",
                    kind="price_decrease", old=2.4, new=1.2, **common),
              Event(id="p3", date="2025-06-01T00:00:00+08:00", model="qwen-plus",
                    kind="price_added", old=None, new=0.8, **common),
              # a price that changed: one that never did is no panel of its own
              Event(id="p4", date="2025-09-01T00:00:00+08:00", model="qwen-plus",
                    kind="price_decrease", old=0.8, new=0.6, **common)]
    chart = mailcharts.mail_chart(build_series(events)["qwen"], "zh")
    assert chart is not None
    titles = [t.text for t in ET.fromstring(chart.svg).iter(f"{SVG}text")
              if t.get("class") == "t"]
    assert titles == ["1  qwen-plus", "2"]  # the panels in model order, as on the site
    assert [k.title for k in chart.key] == ["qwen-plus 价格", "通义千问-max 价格"]
    assert chart.alt == "限额与价格走势图：2 个模型的价格"  # no model id in an attribute


def test_the_bundled_font_has_a_glyph_for_every_character_the_image_may_hold() -> None:
    """Each allowed character drawn alone draws something; a character the font lacks (a CJK
    one) draws nothing, not a box, as no system font is read: this holds on any machine."""
    def draw(text: str) -> bytes:
        escaped = text.replace("&", "&amp;").replace("<", "&lt;")
        return mailcharts.rasterize(
            '<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24">'
            f'<text x="4" y="18" style="font:16px sans-serif">{escaped}</text></svg>')

    blank = draw("")
    assert draw("中") == blank
    for char in sorted(mailcharts.GLYPHS - {" "}):
        assert draw(char) != blank, repr(char)


def five_chart_digest(config: Config, events: list[Event]) -> Digest:
    # ten days of the example with breaking changes to five charted services, among them
    # the three largest charts (groq, gemini-api, siliconflow)
    return build_digest(events, config, Period.between(date(2025, 2, 3), date(2025, 2, 12)),
                        "zh")


def test_five_charts_fit_in_300_kb_and_the_pngs_carry_no_timestamp(
        example: tuple[Config, list[Event]]) -> None:
    config, events = example
    digest = five_chart_digest(config, events)
    assert len(digest.images) == 5
    size = len(build_message(digest, "d@free-llm.example", ["r@x.example"]).as_bytes())
    assert size <= 300_000, size
    for image in digest.images:
        assert set(png_chunks(image.png)) <= {b"IHDR", b"IDAT", b"IEND"}  # no tIME, no tEXt

    # the worst the example holds: the busiest week's text with its five largest charts
    history = build_series(events)
    charts = [c for c in (mailcharts.mail_chart(h, "zh") for h in history.values()) if c]
    largest = sorted((c.png() for c in charts), key=len)[-5:]
    busiest = build_digest(events, config, busiest_week(events), "zh")
    worst = replace(busiest, images=tuple(DigestImage(f"{n}@x", f"{n}.png", png)
                                          for n, png in enumerate(largest)))
    size = len(build_message(worst, "d@free-llm.example", ["r@x.example"]).as_bytes())
    # five real charts (tens of KB each, not placeholders), and the whole message still fits
    assert len(largest) == 5 and min(map(len, largest)) > 10_000 and size <= 300_000, size


def test_two_processes_write_the_same_eml(example_updated: Path, tmp_path: Path) -> None:
    """Different hash seeds, same bytes: the PNGs, the Content-IDs and both boundaries."""
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / seed
        subprocess.run([sys.executable, "-m", "tracker", "digest", "--repo",
                        str(example_updated), "--since", "2025-02-03", "--until", "2025-02-12",
                        "--out", str(out)], check=True, capture_output=True,
                       env={**os.environ, "PYTHONHASHSEED": seed})
        outputs.append((out / "2025-02-03..2025-02-12.eml").read_bytes())
    assert outputs[0] == outputs[1]
    assert outputs[0].count(b"Content-Type: image/png") == 5


def chromium_or_skip() -> Any:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    return sync_playwright


def inline_parts(html: str, images: dict[str, EmailMessage]) -> str:
    """The HTML with each cid: address replaced by its part as a data: URI, as a mail client
    resolves it from the message itself."""
    def data_uri(match: re.Match[str]) -> str:
        part = images[match.group(1)]
        payload = base64.b64encode(part.get_content()).decode("ascii")
        return f"data:{part.get_content_type()};base64,{payload}"
    return re.sub(r"cid:([^\"'\s>]+)", data_uri, html)


def show(sync_playwright: Any, html: str, screenshot: Path | None = None
         ) -> tuple[list[int], list[str]]:
    """Each <img>'s naturalWidth in headless Chromium with every network request refused, and
    the requests refused."""
    refused: list[str] = []

    def refuse(route: Any) -> None:
        refused.append(route.request.url)
        route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            page = browser.new_page(viewport={"width": 720, "height": 900})
            page.route("**/*", refuse)
            page.set_content(html, wait_until="load")
            widths = page.evaluate("Array.from(document.images, i => i.naturalWidth)")
            if screenshot is not None:
                page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return [int(w) for w in widths], refused


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_headless_chromium_shows_each_chart_of_the_eml(
        example: tuple[Config, list[Event]], tmp_path: Path, lang: str) -> None:
    sync_playwright = chromium_or_skip()
    config, events = example
    digest = build_digest(events, config, busiest_week(events), lang)
    eml = tmp_path / f"{digest.key}.eml"
    eml.write_bytes(build_message(digest, "d@free-llm.example", ["r@x.example"]).as_bytes())
    parsed = message_from_bytes(eml.read_bytes(), policy=policy.default)
    body = parsed.get_body(("html",))
    assert body is not None
    images = {part["Content-ID"].strip().strip("<>"): part for part in parsed.walk()
              if part.get_content_maintype() == "image"}

    widths, refused = show(sync_playwright, inline_parts(body.get_content(), images),
                           tmp_path / "digest.png")
    assert len(widths) == len(digest.images) >= 3
    assert widths == [640 * mailcharts.ZOOM] * len(widths)
    assert refused == []  # nothing was even asked for
    assert (tmp_path / "digest.png").read_bytes().startswith(PNG_SIGNATURE)

    # the same harness shows nothing for the old remote SVG images: it would catch a regression
    widths, refused = show(sync_playwright, digest.html)
    assert widths == [0] * len(digest.images) and len(refused) == len(digest.images)
