"""How the digest's PNG rasterizer was chosen (issue 22): resvg-py, CairoSVG and svglib on the
same chart, for PNG size, speed, determinism and what installing them takes.

Only resvg-py is a dependency of tracker; put the others into a scratch environment first:
    python3 -m venv /tmp/raster && /tmp/raster/bin/pip install -e . cairosvg svglib rlPyCairo
    /tmp/raster/bin/python bench/rasterizers.py            # render: size, time, same bytes
    /tmp/raster/bin/python bench/rasterizers.py --install  # wheels only, in a fresh venv each
(rlPyCairo, svglib's PNG backend since reportlab 4, needs pycairo, which PyPI has only as
source: its build needs `apt-get install libcairo2-dev pkg-config` and a C compiler.)

Render: each candidate draws two SVGs of the example's largest chart (Groq, 13 panels: the
mail variant tracker sends, without words, and the site's SVG with its Chinese words) at 1.5
pixels per unit on white, in two fresh processes with different hash seeds. Printed: PNG bytes,
whether both processes wrote the same bytes, the import time and the median of 5 renders.
Install: `pip download --only-binary :all:` of each candidate into an empty folder, which says
whether it installs from wheels alone, and whether a wheel carries its own compiled code or
loads a system library (CairoSVG's cairocffi opens libcairo.so.2 from the system at import).
"""

from __future__ import annotations

import hashlib
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
ZOOM = 1.5


def svgs() -> dict[str, str]:
    """The example's Groq chart: the mail variant and the site's SVG (committed in charts/)."""
    sys.path.insert(0, str(PROJECT / "examples"))
    import build_example

    from tracker.config import load_config
    from tracker.ledger import Ledger
    from tracker.render.mailcharts import mail_chart
    from tracker.render.series import build_series

    site = build_example.DEFAULT_DEST
    if not (site / "history").exists():
        raise SystemExit(f"{site} has no ledger: run `make demo` first")
    chart = mail_chart(build_series(Ledger(load_config(site)).events())["groq"], "zh")
    assert chart is not None
    return {"mail": chart.svg, "site": (PROJECT / "charts" / "groq.svg").read_text("utf-8")}


def resvg(svg: str) -> bytes:
    import resvg_py

    font = PROJECT / "src" / "tracker" / "fonts" / "DejaVuSans-mail.ttf"
    return bytes(resvg_py.svg_to_bytes(svg_string=svg, background="#ffffff", zoom=ZOOM,
                                       skip_system_fonts=True, font_files=[str(font)],
                                       sans_serif_family="DejaVu Sans"))


def cairosvg(svg: str) -> bytes:
    import cairosvg as cs

    return bytes(cs.svg2png(bytestring=svg.encode(), scale=ZOOM, background_color="white"))


def svglib(svg: str) -> bytes:
    from reportlab.graphics import renderPM
    from svglib.svglib import svg2rlg

    drawing = svg2rlg(io.BytesIO(svg.encode()))
    if drawing is None:
        raise ValueError("svglib read no drawing")
    drawing.scale(ZOOM, ZOOM)
    drawing.width, drawing.height = drawing.width * ZOOM, drawing.height * ZOOM
    return bytes(renderPM.drawToString(drawing, fmt="PNG", bg=0xFFFFFF))


CANDIDATES: dict[str, Any] = {"resvg-py": resvg, "cairosvg": cairosvg, "svglib": svglib}
IMPORTS = {"resvg-py": "resvg_py", "cairosvg": "cairosvg", "svglib": "svglib.svglib"}


def one(name: str) -> None:
    """In a fresh process: import time, then per SVG its bytes, sha256 and median render."""
    started = time.perf_counter()
    __import__(IMPORTS[name])
    if name == "svglib":
        __import__("reportlab.graphics.renderPM")
    imported = time.perf_counter() - started
    print(f"import {imported * 1000:.1f}")
    for label, svg in svgs().items():
        times, png = [], b""
        for _ in range(5):
            started = time.perf_counter()
            png = CANDIDATES[name](svg)
            times.append(time.perf_counter() - started)
        Path(tempfile.gettempdir(), f"raster-{name}-{label}.png").write_bytes(png)
        print(f"{label} {len(png)} {hashlib.sha256(png).hexdigest()} "
              f"{statistics.median(times) * 1000:.1f}")


def render() -> None:
    print(f"{'candidate':10} {'svg':5} {'PNG bytes':>9} {'same bytes':>10} {'import ms':>9} "
          f"{'render ms':>9}")
    for name in CANDIDATES:
        runs = [subprocess.run([sys.executable, __file__, "--one", name], capture_output=True,
                               text=True, env={**os.environ, "PYTHONHASHSEED": seed})
                for seed in ("1", "2")]
        if any(r.returncode for r in runs):
            last = (runs[0].stderr.strip().splitlines() or ["?"])[-1]
            print(f"{name:10} not available: {last}")
            continue
        first, second = (r.stdout.split("\n") for r in runs)
        imported = first[0].split()[1]
        for a, b in zip(first[1:], second[1:], strict=True):
            if not a:
                continue
            label, size, digest, ms = a.split()
            print(f"{name:10} {label:5} {size:>9} {str(digest == b.split()[2]):>10} "
                  f"{imported:>9} {ms:>9}")
    print(f"PNGs kept in {tempfile.gettempdir()}/raster-<candidate>-<svg>.png")


def install() -> None:
    packages = {"resvg-py": ["resvg-py"], "cairosvg": ["cairosvg"],
                "svglib": ["svglib", "rlPyCairo"]}
    for name, requirements in packages.items():
        with tempfile.TemporaryDirectory() as folder:
            result = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet",
                                     "--only-binary", ":all:", "--dest", folder, *requirements],
                                    capture_output=True, text=True)
            wheels = sorted(p.name for p in Path(folder).iterdir())
            compiled = [w for w in wheels if not w.endswith("-none-any.whl")]
            if result.returncode:
                error = [line for line in result.stderr.splitlines() if "ERROR" in line]
                print(f"{name:10} wheels only: NO ({(error or ['?'])[0]})")
            else:
                print(f"{name:10} wheels only: yes, {len(wheels)} wheels, compiled: "
                      f"{', '.join(compiled) or 'none (pure Python)'}")


def main() -> None:
    if sys.argv[1:2] == ["--one"]:
        one(sys.argv[2])
    elif sys.argv[1:] == ["--install"]:
        install()
    else:
        render()


if __name__ == "__main__":
    main()
