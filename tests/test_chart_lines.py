"""render/charts' step lines: drawn with each x written once, as the step-by-step drawing drew them."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from tracker.model import UNLIMITED
from tracker.render.charts import BOTTOM, RIGHT, XScale, YScale, _drawable, _line, _n, _number
from tracker.render.series import Series, Step


def _line_as_written(series: Series, x: XScale, y: YScale, currency: str | None,
                     unlimited_y: float) -> dict[str, Any]:
    """charts._line as it was first written: each x worked out where it is needed."""
    parts: list[str] = []
    markers: list[dict[str, str]] = []
    steps, pen_down = series.steps, False
    for i, step in enumerate(steps):
        at = x(step.when)
        until = x(steps[i + 1].when) if i + 1 < len(steps) else RIGHT
        if _drawable(step, currency):
            number = _number(step.value)
            level = unlimited_y if number is None else y(number)
            parts.append((f"V{_n(level)}" if pen_down else f"M{_n(at)} {_n(level)}")
                         + f"H{_n(until)}")
            pen_down = True
        else:
            level, pen_down = BOTTOM, False
        if step.event:
            markers.append({"x": _n(at), "y": _n(level), "event": step.event,
                            "gap": "" if _drawable(step, currency) else "1"})
    return {"d": "".join(parts), "markers": markers}


def test_a_line_is_the_one_drawn_step_by_step() -> None:
    """_line (each x written once, shared by a segment's end and the next one's start) draws
    what the step-by-step drawing drew: random series of numbers, unlimited, text, None and
    other currencies, on linear and log scales, spans down to one instant."""
    rng = random.Random(181)
    values: list[Any] = [0, 1, 2.5, 30, 14400, 1e9, 0.0001, UNLIMITED, "ask sales", None, -3]
    for _ in range(400):
        start = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=rng.randrange(10_000))
        whens = sorted(start + timedelta(minutes=rng.randrange(0, 500_000))
                       for _ in range(rng.randrange(1, 12)))
        series = Series("input_price", steps=[
            Step(when, rng.choice(values), rng.choice(["", "e1", f"{i:016x}"]),
                 rng.choice([None, "USD", "CNY"])) for i, when in enumerate(whens)])
        x = XScale(start, whens[-1] if rng.random() < 0.9 else start)
        numbers = [v for v in values if isinstance(v, (int, float))]
        y = YScale(rng.sample(numbers, rng.randrange(1, len(numbers))), rng.random() < 0.5)
        currency = rng.choice([None, "USD"])
        assert _line(series, x, y, currency, 34.0) == \
            _line_as_written(series, x, y, currency, 34.0)
