"""The markup of a chart's panels (render/charts.py builds their numbers): joined strings.

A site's charts hold hundreds of panels and thousands of event markers, which ``chart.svg.j2``
drew at 15 µs a marker in Jinja, two thirds of a chart's time; the template keeps the frame and
prints ``panels_svg``. Text is escaped as the template's autoescape would (``esc``).
tests/test_charts.py keeps the whole drawing as a template (tests/templates/chart.svg.j2, the
package's before this module) and checks these bytes against it on random histories.
"""

from __future__ import annotations

import re
from typing import Any

from markupsafe import escape


def esc(value: Any) -> str:
    """``value`` as Jinja's autoescape prints it."""
    if hasattr(value, "__html__"):
        return str(escape(value))
    return str(value).translate(_ESCAPES)  # markupsafe's five entities, at str.translate speed


_UNSAFE = re.compile("[&<>'\"]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "'": "&#39;", '"': "&#34;"})


def draw_ticks(ticks: list[dict[str, str]], left: int) -> str:
    """A panel's y tick labels."""
    return "".join(f'<text class="m e" x="{left - 4}" y="{esc(t["y"])}" dy="3">'
                   f'{esc(t["label"])}</text>' for t in ticks)


def draw_lines(lines: list[dict[str, Any]]) -> str:
    """A panel's step lines and their event markers."""
    out = []
    for line in lines:
        out.append(f'<path class="l {esc(line["side"])}" d="{esc(line["d"])}"/>')
        ids = [m["event"] for m in line["markers"]]
        if _UNSAFE.search("".join(ids)):  # event ids are hex digests, unless hand-written
            ids = [esc(event) for event in ids]
        out += [f'<circle{_GAP if m["gap"] else ""} cx="{m["x"]}" cy="{m["y"]}" r="2.2" '
                f'data-event="{event}"/>' for m, event in zip(line["markers"], ids,
                                                              strict=True)]
        out.append("\n")
    return "".join(out)


_GAP = ' class="o"'  # a marker where the value is text or not stated


def draw_panel(index: int, panel: dict[str, Any], context: dict[str, Any]) -> str:
    """Panel ``index`` of a chart's context, as chart.svg.j2 drew it."""
    plot = panel["plot"]
    left, right, bottom = (context["plot"][k] for k in ("left", "right", "bottom"))
    out = [f'<g transform="translate({panel["x"]} {panel["y"]})"><title>'
           f'{esc(panel["full_title"])}</title>\n'
           f'<text class="t" x="0" y="12">{esc(panel["title"])}</text>'
           f'<text class="m" x="0" y="24">{esc(panel["unit"])}</text>\n'
           f'<path class="g" d="{esc(plot["grid"])}"/>'
           f'<path class="a" d="M{left} {bottom}H{right}"/>\n', plot["ticks_svg"]]
    if plot["unlimited"]:
        out.append(f'<path class="u" d="M{left} {plot["unlimited"]}H{right}"/>'
                   f'<text class="m e ut" x="{left - 4}" y="{plot["unlimited"]}" dy="3">'
                   f'{esc(context["unlimited_label"])}</text>')
    out.append(plot["lines_svg"])
    if index in context["labelled"]:
        out += [f'<text class="m c" x="{esc(at)}" y="{bottom + 12}">{esc(label)}</text>'
                for at, label in context["x_ticks"]]
    out.append("</g>\n")
    return "".join(out)
