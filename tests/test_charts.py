"""render/series.py and render/charts.py: the ledger replayed into step charts, one SVG a service."""

from __future__ import annotations

import random
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from tracker import i18n
from tracker.config import ChartsConfig, Config
from tracker.model import RATE_LIMIT_KEYS, Event
from tracker.render.charts import (
    build_charts,
    chart_link,
    chartable,
    owned_names,
)
from tracker.render.series import CHARTED_PRICES, build_series
from tracker.site import chart_name, chart_url
from tracker.writer import write_charts

SVG = "{http://www.w3.org/2000/svg}"
PROJECT = Path(__file__).resolve().parent.parent
HOSTILE = "<script>alert(1)</script>&amp;"


def event(n: int, date: str, kind: str, *, service: str = "nimbus", model: str | None = None,
          field: str | None = None, old: object = None, new: object = None,
          tier: str | None = None, currency: str | None = None) -> Event:
    return Event(id=f"e{n:02d}", date=date, commit="c" * 40, path=f"services/api/{service}/",
                 service=service, service_name="Nimbus API", provider="nimbus", model=model,
                 kind=kind, field=field, old=old, new=new, change_pct=None, severity="notable",
                 tier=tier, currency=currency)


FACTS = {"name": "Nimbus API",
         "limits": {"requests_per_day": 14400, "requests_per_minute": "unlimited",
                    "tokens_per_day": 1000, "max_context": 131072},
         "tiers": {"Pro": {"requests_per_day": 100}},
         "models": {"nimbus-fast": {"input_price": 0.5, "output_price": 1.5, "currency": "USD"},
                    "nimbus-free": {"context": 8192}}}
EVENTS = [
    event(1, "2025-01-05T10:00:00+08:00", "service_added", new=FACTS),
    event(2, "2025-03-01T10:00:00+08:00", "quota_cut", field="requests_per_day", old=14400,
          new=1000),
    event(3, "2025-04-01T10:00:00+08:00", "quota_raised", field="tokens_per_day", old=1000,
          new=1_000_000),
    event(4, "2025-05-01T10:00:00+08:00", "info_changed", field="requests_per_day", old=1000,
          new="视模型而定"),
    event(5, "2025-05-02T10:00:00+08:00", "price_increase", model="nimbus-fast",
          field="input_price", old=0.5, new=0.7, currency="USD"),
    event(6, "2025-06-01T10:00:00+08:00", "model_added", model=HOSTILE,
          new={"input_price": 2, "output_price": 8, "currency": "USD"}),
    event(7, "2025-07-01T10:00:00+08:00", "model_removed", model="nimbus-fast",
          old={"input_price": 0.7, "output_price": 1.5}),
    event(8, "2025-07-02T10:00:00+08:00", "quota_cut", field="requests_per_day", tier="Pro",
          old=100, new=50),
    event(9, "2025-08-01T10:00:00+08:00", "context_changed", field="max_context", old=131072,
          new=65536),
    event(10, "2025-09-01T10:00:00+08:00", "service_renamed", service="cumulus",
          field="id", old="nimbus", new="cumulus"),
    event(11, "2025-10-01T10:00:00+08:00", "quota_raised", service="cumulus",
          field="requests_per_minute", old="unlimited", new=600),
    event(12, "2025-06-15T10:00:00+08:00", "price_decrease", model=HOSTILE,
          field="input_price", old=2, new=1, currency="USD"),
]


def config(tmp_path: Path, **charts: object) -> Config:
    return Config(root=tmp_path, charts=ChartsConfig(**charts))  # type: ignore[arg-type]


def panels(svg: str) -> dict[str, list[ET.Element]]:
    """Panel title → its markers, from the parsed SVG."""
    root = ET.fromstring(svg)
    found = {}
    for group in root.iter(f"{SVG}g"):
        title = group.find(f"{SVG}title")
        assert title is not None and title.text
        found[title.text] = list(group.iter(f"{SVG}circle"))
    return found


def steps(svg: str) -> dict[str, list[str]]:
    return {title: [m.get("data-event", "") for m in markers]
            for title, markers in panels(svg).items()}


def test_one_step_per_event_of_each_quantity(tmp_path: Path) -> None:
    charts = build_charts(EVENTS, config(tmp_path))
    assert sorted(charts) == ["cumulus.en.svg", "cumulus.svg"]  # the rename carried it over
    zh = steps(charts["cumulus.svg"])
    assert zh == {
        "每分钟请求数": ["e01", "e11"],
        "每日请求数": ["e01", "e02", "e04"],
        "每日 Token 数": ["e01", "e03"],
        "Pro · 每日请求数": ["e01", "e08"],
        # input (stated by the model_added, then cut) and output (stated, never changed)
        f"{HOSTILE} 价格": ["e06", "e12", "e06"],
        "nimbus-fast 价格": ["e01", "e05", "e07", "e01", "e07"],
    }
    assert "上下文" not in charts["cumulus.svg"]  # lengths are not rate limits: not charted
    en = steps(charts["cumulus.en.svg"])
    assert en["Requests per day"] == ["e01", "e02", "e04"]


def test_steps_match_the_demo_ledger() -> None:
    """Every direct change of a limit or price in the example's ledger is a step of its panel."""
    events = [Event.from_dict(e) for path in sorted((PROJECT / "history/events").glob("*.yaml"))
              for e in yaml.safe_load(path.read_text(encoding="utf-8"))]
    renamed = {e.old: e.service for e in events if e.kind == "service_renamed"}
    charts = build_charts(events, Config(root=PROJECT))
    checked = 0
    for e in events:
        service = renamed.get(e.service, e.service)
        if e.field in RATE_LIMIT_KEYS and e.model is None and e.kind.startswith("quota_"):
            label = i18n.field_label(e.field, "zh")
            title = f"{e.tier} · {label}" if e.tier else label
        elif e.field in CHARTED_PRICES and e.model and e.kind.startswith("price_"):
            title = f"{e.model} 价格"
        else:
            continue
        markers = steps(charts.get(f"{service}.svg", f"<svg xmlns='{SVG[1:-1]}'/>"))
        if e.kind.endswith(("_added", "_removed")) and title not in markers:
            continue  # newly stated or no longer stated, and never changed: not a panel
        assert markers[title].count(e.id) == 1, (service, title, e.id)
        checked += 1
    assert checked > 30
    # and the initial values: at most one step per limit and price a new service states (a
    # quantity that never changed is no panel); a service whose limit or price moved has a chart
    moved = {renamed.get(e.service, e.service) for e in events
             if e.kind in ("quota_cut", "quota_raised", "price_increase", "price_decrease")}
    for e in events:
        if e.kind == "service_added":
            service = renamed.get(e.service, e.service)
            stated = sum(k in RATE_LIMIT_KEYS for k in e.new.get("limits", {}))
            stated += sum(k in RATE_LIMIT_KEYS for tier in e.new.get("tiers", {}).values()
                          for k in tier)
            stated += sum(side in m for m in e.new.get("models", {}).values()
                          for side in CHARTED_PRICES)
            svg = charts.get(f"{service}.svg", "")
            assert svg or service not in moved, service
            if svg:
                assert sum(m.count(e.id) for m in steps(svg).values()) <= stated
                # every panel begins at this event or at a later one that first stated it
                assert all(markers for markers in steps(svg).values())


def test_the_committed_example_charts_are_what_the_code_draws(example_updated: Path) -> None:
    events = [Event.from_dict(e) for path in sorted((PROJECT / "history/events").glob("*.yaml"))
              for e in yaml.safe_load(path.read_text(encoding="utf-8"))]
    # drawn beside the example's pages: English charts name services and tiers as they do
    charts = build_charts(events, Config(root=example_updated))
    committed = {p.name: p.read_bytes() for p in (PROJECT / "charts").glob("*.svg")}
    assert committed == {name: svg.encode("utf-8") for name, svg in charts.items()}
    # "a few KB" per service and language
    assert max(len(data) for data in committed.values()) < 16_000


def test_a_chart_drawn_alone_is_the_one_drawn_with_all(example_updated: Path) -> None:
    """One service's chart is drawn from its own events and those of the services renamed into
    it (not the whole ledger): the same bytes as when every chart is drawn."""
    events = [Event.from_dict(e) for path in sorted((PROJECT / "history/events").glob("*.yaml"))
              for e in yaml.safe_load(path.read_text(encoding="utf-8"))]
    cfg = Config(root=example_updated)
    everything = build_charts(events, cfg)
    renamed = {e.service for e in events if e.kind == "service_renamed"}
    assert renamed & {e.service for e in events if e.kind != "service_renamed"}
    for service in sorted({e.service for e in events}):
        alone = build_charts(events, cfg, {service})
        assert alone == {name: svg for name, svg in everything.items()
                         if name in {chart_name(cfg, service, lang) for lang in i18n.LANGS}}, \
            service


# The template that drew every panel in Jinja before render/svgmarkup.py drew them with string
# joins: the reference those bytes are checked against (as a site's own chart.svg.j2).
REFERENCE_TEMPLATES = Path(__file__).resolve().parent / "templates"


def random_history(rng: random.Random) -> list[Event]:
    """A few services' limits and prices moving at random: numbers, unlimited, text, not
    stated, other currencies, quota tiers, markup in model ids and tiers, renames, removals."""
    values: list[object] = [0, 1, 7, 30, 1000, 14400, 10**6, 0.15, 2.5, "unlimited",
                            "视模型而定", None, HOSTILE]
    events, day = [], 0
    for n in range(rng.randint(1, 40)):
        day += rng.randint(0, 40)
        date = f"2024-{1 + day // 28 % 12:02d}-{1 + day % 28:02d}T{rng.randint(0, 23):02d}" \
               f":00:00+0{rng.randint(0, 8)}:00".replace("2024", str(2024 + day // 336))
        service = rng.choice(["nimbus", "cumulus", "a&b"])
        roll = rng.random()
        if roll < 0.1:
            events.append(event(n, date, "service_added", service=service, new={
                "limits": {rng.choice(RATE_LIMIT_KEYS): rng.choice(values)},
                "tiers": {rng.choice(["Pro", "<b>免费</b>"]): {"requests_per_day": 5}},
                "models": {"m1": {"input_price": 1, "output_price": 2, "currency": "USD"}}}))
        elif roll < 0.15:
            events.append(event(n, date, "service_renamed", service=service, field="id",
                                old=rng.choice(["nimbus", "cumulus"]), new=service))
        elif roll < 0.2:
            events.append(event(n, date, rng.choice(["model_added", "model_removed"]),
                                service=service, model=rng.choice(["m1", HOSTILE]),
                                new={"input_price": rng.choice(values), "currency": "CNY"}))
        elif roll < 0.6:
            events.append(event(n, date, rng.choice(["quota_cut", "quota_raised", "quota_added",
                                                     "quota_removed", "info_changed"]),
                                service=service, field=rng.choice(RATE_LIMIT_KEYS[:4]),
                                tier=rng.choice([None, None, "Pro", "a<b"]),
                                old=rng.choice(values), new=rng.choice(values)))
        else:
            events.append(event(n, date, rng.choice(["price_increase", "price_decrease",
                                                     "price_added", "price_removed"]),
                                service=service, model=rng.choice(["m1", "m2", HOSTILE, "q'\"x"]),
                                field=rng.choice(CHARTED_PRICES), old=rng.choice(values),
                                new=rng.choice(values), currency=rng.choice(["USD", "CNY"])))
    return events


def test_panels_drawn_by_joins_are_the_templates_bytes(tmp_path: Path,
                                                        example_updated: Path) -> None:
    """svgmarkup draws what the whole-template drawing drew, byte for byte: random
    histories (every kind of value, markup in names) and the example's ledger, both languages."""
    reference = config(tmp_path, enabled=True)
    reference.templates_dir = str(REFERENCE_TEMPLATES)
    rng = random.Random(18)
    drawn = 0
    for _ in range(150):
        events = random_history(rng)
        fast = build_charts(events, config(tmp_path))
        assert fast == build_charts(events, reference)
        drawn += len(fast)
    assert drawn > 100  # the histories draw charts, not only empty ones
    example = [Event.from_dict(e) for path in sorted((PROJECT / "history/events").glob("*.yaml"))
               for e in yaml.safe_load(path.read_text(encoding="utf-8"))]
    reference.root = example_updated
    assert build_charts(example, Config(root=example_updated)) == \
        build_charts(example, reference)


def test_scales_unlimited_and_text_gaps(tmp_path: Path) -> None:
    svg = build_charts(EVENTS, config(tmp_path))["cumulus.svg"]
    root = ET.fromstring(svg)
    groups = {g.find(f"{SVG}title").text: g for g in root.iter(f"{SVG}g")}  # type: ignore[union-attr]
    texts = {title: [t.text for t in g.iter(f"{SVG}text")] for title, g in groups.items()}
    # 1,000 → 1,000,000 spans three orders of magnitude: a log scale, one tick per power of ten
    assert texts["每日 Token 数"][2:] == ["1K", "10K", "100K", "1M"]
    assert texts["每日请求数"][2:] == ["0", "10K", "20K"]  # linear from zero
    # unlimited is drawn as its own line at the top, labelled in the chart's language
    assert "无限制" in texts["每分钟请求数"]
    assert groups["每分钟请求数"].find(f"{SVG}path[@class='u']") is not None
    # the text value is a gap: a hollow marker, and the line stops there
    gap = [m for m in groups["每日请求数"].iter(f"{SVG}circle") if m.get("data-event") == "e04"]
    assert gap[0].get("class") == "o"
    line = groups["每日请求数"].find(f"{SVG}path[@class='l requests_per_day']")
    assert line is not None and line.get("d", "").count("M") == 1
    # units in the panel, dates in the chart's language, the whole span in the heading
    assert "次/天" in texts["每日请求数"] and "USD/百万 Token" in texts["nimbus-fast 价格"]
    en = build_charts(EVENTS, config(tmp_path))["cumulus.en.svg"]
    assert "requests/day" in en and "Jan 2025" not in svg and "2025年" in svg
    assert "2025-01-05 至 2025-10-01" in svg and "2025-01-05 to 2025-10-01" in en


def test_accessible_self_contained_dark_friendly(tmp_path: Path) -> None:
    svg = build_charts(EVENTS, config(tmp_path))["cumulus.svg"]
    root = ET.fromstring(svg)
    assert root.get("role") == "img" and root.get("aria-labelledby") == "t d"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text == "Nimbus API · 限额与价格变化"
    assert desc is not None and "每日请求数：14,400（2025-01-05） → 1,000（2025-03-01）" in (
        desc.text or "")
    assert "<script" not in svg and "href" not in svg and "url(" not in svg
    assert "@import" not in svg and "<image" not in svg and "<foreignObject" not in svg
    assert "currentColor" in svg and "prefers-color-scheme:dark" in svg
    # the hostile model id is text: escaped in the markup, intact once parsed
    assert HOSTILE not in svg and f"{HOSTILE} 价格" in steps(svg)


def test_deterministic_bytes_whatever_the_order_or_process(tmp_path: Path) -> None:
    first = build_charts(EVENTS, config(tmp_path))
    shuffled = EVENTS[:]
    random.Random(7).shuffle(shuffled)
    assert build_charts(shuffled, config(tmp_path)) == first
    script = ("import sys, pickle; from pathlib import Path; from tracker.config import Config;"
              "from tracker.render.charts import build_charts;"
              "events = pickle.loads(sys.stdin.buffer.read());"
              "sys.stdout.buffer.write(build_charts(events, Config(root=Path('.')))"
              "['cumulus.svg'].encode())")
    import pickle

    for seed in ("0", "1234"):
        out = subprocess.run([sys.executable, "-c", script], input=pickle.dumps(EVENTS),
                             capture_output=True, check=True,
                             env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"})
        assert out.stdout == first["cumulus.svg"].encode()


def test_write_prunes_only_our_stale_charts(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    charts = build_charts(EVENTS, cfg)
    folder = tmp_path / "static/tracker/charts"
    folder.mkdir(parents=True)
    (folder / "nimbus.svg").write_text("old name, before the rename", encoding="utf-8")
    (folder / "logo.svg").write_text("the site's own", encoding="utf-8")
    assert write_charts(cfg, charts, dry_run=True, owned=owned_names(EVENTS, cfg)) == sorted(
        [folder / "cumulus.svg", folder / "cumulus.en.svg", folder / "nimbus.svg"])
    assert (folder / "nimbus.svg").exists() and not (folder / "cumulus.svg").exists()
    write_charts(cfg, charts, owned=owned_names(EVENTS, cfg))
    assert sorted(p.name for p in folder.iterdir()) == ["cumulus.en.svg", "cumulus.svg",
                                                        "logo.svg"]
    assert write_charts(cfg, charts, owned=owned_names(EVENTS, cfg)) == []  # nothing new


def test_urls_follow_the_site_and_config(tmp_path: Path) -> None:
    cfg = Config(root=tmp_path, site_url="https://example.org/sub")
    assert chart_url(cfg, "groq", "zh") == "https://example.org/sub/tracker/charts/groq.svg"
    assert chart_url(cfg, "groq", "en") == "https://example.org/sub/tracker/charts/groq.en.svg"
    assert chart_link(cfg, "groq", "en") == "/sub/tracker/charts/groq.en.svg"
    assert chart_link(cfg, "a/../b", "zh") == "/sub/tracker/charts/a_2F_2E_2E_2Fb.svg"
    moved = config(tmp_path, dir="assets/charts", url="https://cdn.example.org/c/")
    assert chart_url(moved, "groq", "zh") == "https://cdn.example.org/c/groq.svg"
    assert build_charts(EVENTS, config(tmp_path, enabled=False)) == {}
    assert chartable(EVENTS, config(tmp_path)) == {"cumulus"}


def test_a_service_with_nothing_to_draw_has_no_chart(tmp_path: Path) -> None:
    only_text = [event(1, "2025-01-05T10:00:00+08:00", "service_added",
                       new={"limits": {"requests_per_day": "视模型而定"},
                            "models": {"m": {"context": 8192}}})]
    assert build_charts(only_text, config(tmp_path)) == {}
    assert build_series(only_text)["nimbus"].series  # the text is known, just not drawable


def test_what_never_changed_is_said_once_not_drawn(tmp_path: Path) -> None:
    steady = event(1, "2025-12-25T10:00:00+08:00", "service_added", service="aistudio",
                   new={"limits": {"requests_per_day": 1500, "requests_per_minute": 15},
                        "tiers": {"Pro": {"requests_per_day": 50}},
                        "models": {"gemini": {"input_price": 0.1, "output_price": 0.4,
                                              "currency": "USD"}}})
    assert build_charts([steady], config(tmp_path)) == {}  # nothing ever changed: no chart
    assert chartable([steady], config(tmp_path)) == set()
    cut = event(2, "2026-01-10T10:00:00+08:00", "quota_cut", service="aistudio",
                field="requests_per_day", old=1500, new=500)
    charts = build_charts([steady, cut], config(tmp_path))
    assert list(steps(charts["aistudio.svg"])) == ["每日请求数"]  # one panel: the one that moved
    desc = ET.fromstring(charts["aistudio.svg"]).find(f"{SVG}desc")
    assert desc is not None and desc.text is not None
    assert desc.text.count("未变化") == 1
    assert "未变化：每分钟请求数 15" in desc.text and "Pro 每日请求数 50" in desc.text
    assert "gemini 输入价格" in desc.text
    en = ET.fromstring(charts["aistudio.en.svg"]).find(f"{SVG}desc")
    assert en is not None and "Unchanged: Requests per minute 15" in (en.text or "")
    # one panel tall, not one per stated quantity
    assert int(ET.fromstring(charts["aistudio.svg"]).get("height", "0")) < 200


@pytest.mark.parametrize("values", [[0.0], [0.0, 0.5], [1.0, 1.0e9], [3.0]])
def test_scale_never_divides_by_zero(values: list[float]) -> None:
    from tracker.render.charts import BOTTOM, TOP, YScale

    scale = YScale(values, has_unlimited=False)
    for value in values:
        assert TOP <= scale(value) <= BOTTOM


def test_only_the_given_services_are_redrawn(tmp_path: Path) -> None:
    other = [event(20, "2025-02-01T10:00:00+08:00", "service_added", service="acme",
                   new={"limits": {"requests_per_day": 10}}),
             event(21, "2025-03-01T10:00:00+08:00", "quota_raised", service="acme",
                   field="requests_per_day", old=10, new=20)]
    everything = build_charts([*EVENTS, *other], config(tmp_path))
    some = build_charts([*EVENTS, *other], config(tmp_path), services={"acme"})
    assert sorted(some) == ["acme.en.svg", "acme.svg"]
    assert all(everything[name] == svg for name, svg in some.items())


def test_update_draws_and_redraws_the_chart(tmp_path: Path) -> None:
    from conftest import GitRepo
    from tracker.pipeline import update

    repo = GitRepo(tmp_path / "site")
    data = "data/services/nimbus.yaml"
    repo.write(data, "id: nimbus\nname: Nimbus API\nlimits:\n  requests_per_day: 14400\n")
    repo.commit("add nimbus", "2025-01-01T10:00:00+08:00")
    update(repo.root)
    chart = repo.root / "static/tracker/charts/nimbus.svg"
    assert not chart.exists()  # nothing has changed yet: nothing to draw
    repo.replace(data, "14400", "1000")
    repo.commit("cut", "2025-02-01T10:00:00+08:00")
    result = update(repo.root)
    assert chart in result.written and (chart.parent / "nimbus.en.svg") in result.written
    cut = next(e for e in result.new_events if e.kind == "quota_cut")
    assert steps(chart.read_text(encoding="utf-8"))["每日请求数"][1] == cut.id
    assert (repo.root / "feeds/feeds.opml").is_file()
    assert (repo.root / "feeds/shutdowns.ics").is_file()


def test_chart_names_never_collide_and_keep_the_plain_ones(tmp_path: Path) -> None:
    cfg = Config(root=tmp_path)  # default language zh
    names = {(service, lang): chart_name(cfg, service, lang)
             for service in ("foo", "foo.en", "foo_2Een", "z.ai", "a_b", "groq")
             for lang in ("zh", "en")}
    assert len(set(names.values())) == len(names)
    assert names["groq", "zh"] == "groq.svg" and names["groq", "en"] == "groq.en.svg"
    assert names["foo", "en"] != names["foo.en", "zh"]


def test_a_service_id_with_a_dot_gets_its_chart_linked_on_its_page(tmp_path: Path) -> None:
    from conftest import PAGES, GitRepo
    from tracker.pipeline import update

    repo = GitRepo(tmp_path / "site")
    page = "services/api/z.ai/_index.md"
    repo.write(page, (PAGES / "acme.md").read_text(encoding="utf-8"))
    repo.commit("add z.ai", "2025-01-01T10:00:00+08:00")
    update(repo.root)
    repo.replace(page, "| **每日请求数** | 14,400 requests/day |",
                 "| **每日请求数** | 1,000 requests/day |")
    repo.commit("cut", "2025-02-01T10:00:00+08:00")
    update(repo.root)
    charts = repo.root / "static/tracker/charts"
    assert sorted(p.name for p in charts.iterdir()) == ["z_2Eai.en.svg", "z_2Eai.svg"]
    assert "/tracker/charts/z_2Eai.svg" in repo.read(page)


def test_a_page_gets_an_image_line_only_once_something_changed(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from conftest import PAGES, GitRepo
    from tracker.cli import cli

    repo = GitRepo(tmp_path / "site")
    page = "services/api/acme/_index.md"
    repo.write(page, (PAGES / "acme.md").read_text(encoding="utf-8"))
    repo.commit("add acme", "2025-12-25T10:00:00+08:00")
    assert CliRunner().invoke(cli, ["update", "--repo", str(repo.root), "-q"]).exit_code == 0
    charts = repo.root / "static/tracker/charts"
    assert "![" not in repo.read(page) and not list(charts.glob("*.svg"))
    repo.replace(page, "14,400 requests/day", "1,000 requests/day")
    repo.commit("cut", "2026-01-05T10:00:00+08:00")
    assert CliRunner().invoke(cli, ["update", "--repo", str(repo.root), "-q"]).exit_code == 0
    assert "](/tracker/charts/acme.svg)" in repo.read(page)
    assert list(steps((charts / "acme.svg").read_text(encoding="utf-8"))) == ["每日请求数"]
