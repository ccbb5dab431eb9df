"""How the chart library was chosen (issue 13): size, determinism and time of one service's
small-multiple step chart from matplotlib, pygal and leather, against tracker's own template.

The libraries are not dependencies of tracker; install them into a scratch environment first:
    python3 -m venv /tmp/charts && /tmp/charts/bin/pip install -e . matplotlib pygal leather
    /tmp/charts/bin/python bench/chart_libraries.py
Each candidate renders in two fresh processes (different hash seeds): bytes, whether both
processes wrote the same bytes, whether the SVG holds a <script>, and the wall time of a process
(imports included). The data is a Groq-like service: 4 limits and 3 models' input/output prices.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import time
from datetime import datetime
from typing import Any

SERIES: dict[str, list[tuple[datetime, float]]] = {
    "requests_per_day": [(datetime(2024, 11, 5), 14400), (datetime(2025, 9, 2), 1000)],
    "requests_per_minute": [(datetime(2024, 11, 5), 30)],
    "tokens_per_minute": [(datetime(2024, 11, 5), 6000), (datetime(2025, 6, 10), 12000)],
    "tokens_per_day": [(datetime(2024, 11, 5), 500000), (datetime(2025, 3, 1), 1000000)],
}
for _model in ("llama-3.3-70b", "llama-3.1-8b", "gpt-oss-120b"):
    SERIES[f"{_model} input"] = [(datetime(2024, 12, 1), 0.59), (datetime(2025, 11, 1), 0.49)]
    SERIES[f"{_model} output"] = [(datetime(2024, 12, 1), 0.79), (datetime(2025, 5, 1), 0.89),
                                  (datetime(2025, 11, 1), 0.69)]
END = datetime(2025, 11, 20)


def _steps(points: list[tuple[datetime, float]]) -> list[tuple[datetime, float]]:
    out: list[tuple[datetime, float]] = []
    for i, (when, value) in enumerate(points):
        if i:
            out.append((when, points[i - 1][1]))
        out.append((when, value))
    return out + [(END, points[-1][1])]


def matplotlib_svg() -> bytes:
    import matplotlib

    matplotlib.use("svg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.hashsalt"] = "tracker"  # otherwise ids are random
    plt.rcParams["svg.fonttype"] = "none"  # text as text, not glyph paths
    fig, axes = plt.subplots(5, 2, figsize=(7, 9))
    for ax, (name, points) in zip(axes.flat, SERIES.items(), strict=False):
        xs, ys = zip(*_steps(points), strict=True)
        ax.plot(xs, ys)
        ax.set_title(name, fontsize=8)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


def pygal_svg() -> bytes:
    import pygal

    chart = pygal.DateTimeLine(js=[], width=700, height=900)
    for name, points in SERIES.items():
        chart.add(name, _steps(points))
    return bytes(chart.render())


def leather_svg() -> bytes:
    import leather

    grid = leather.Grid()
    charts = []
    for name, points in SERIES.items():
        chart = leather.Chart(name)
        chart.add_line(_steps(points))
        charts.append(chart)
    grid.add_many(charts)
    out = io.StringIO()
    grid.to_svg(out)
    return out.getvalue().encode()


def tracker_svg() -> bytes:
    from pathlib import Path

    from tracker.config import Config
    from tracker.model import Event
    from tracker.render.charts import build_charts

    limits = {k: v[0][1] for k, v in SERIES.items() if " " not in k}
    models: dict[str, dict[str, Any]] = {}
    for name, points in SERIES.items():
        if " " in name:
            model, side = name.split()
            models.setdefault(model, {"currency": "USD"})[f"{side}_price"] = points[0][1]
    events = [Event(id="added", date="2024-11-05T10:00:00+08:00", commit="0" * 40, path="",
                    service="groq", service_name="Groq", provider="groq", model=None,
                    kind="service_added", field=None, old=None,
                    new={"limits": limits, "models": models}, change_pct=None,
                    severity="notable")]
    for name, points in SERIES.items():
        model, side = name.split() if " " in name else (None, name)
        field = f"{side}_price" if model else side
        for i, (when, value) in enumerate(points[1:], 1):
            events.append(Event(id=f"{name}{i}", date=when.isoformat() + "+08:00",
                                commit="1" * 40, path="", service="groq", service_name="Groq",
                                provider="groq", model=model, kind="info_changed", field=field,
                                old=points[i - 1][1], new=value, change_pct=None,
                                severity="info", currency="USD" if model else None))
    return build_charts(events, Config(root=Path(".")))["groq.svg"].encode()


CANDIDATES = {"matplotlib": matplotlib_svg, "pygal": pygal_svg, "leather": leather_svg,
              "tracker (Jinja2 template)": tracker_svg}


def main() -> None:
    if len(sys.argv) == 2:
        data = CANDIDATES[sys.argv[1]]()
        sys.stdout.write(f"{hashlib.sha1(data).hexdigest()} {len(data)} {b'<script' in data}\n")
        return
    print(f"{'candidate':26} {'bytes':>7} {'same bytes':>10} {'script':>6} {'s/process':>9}")
    for name in CANDIDATES:
        runs = []
        for seed in ("1", "2"):
            started = time.perf_counter()
            result = subprocess.run([sys.executable, __file__, name], capture_output=True,
                                    text=True, env={**os.environ, "PYTHONHASHSEED": seed})
            runs.append((result, time.perf_counter() - started))
        if any(r.returncode for r, _ in runs):
            print(f"{name:26} not available: {runs[0][0].stderr.strip().splitlines()[-1]}")
            continue
        (a, t1), (b, t2) = runs
        digest, size, script = a.stdout.split()
        same = digest == b.stdout.split()[0]
        print(f"{name:26} {size:>7} {str(same):>10} {script:>6} {(t1 + t2) / 2:>9.2f}")


if __name__ == "__main__":
    main()
