"""Events as `tracker log` prints them: filtered, then as text, one JSON array, JSON lines or
Markdown."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from tracker import i18n
from tracker.model import Event


@dataclass(frozen=True)
class EventFilter:
    since: date | None = None
    until: date | None = None
    services: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()

    def __call__(self, event: Event) -> bool:
        day = event.moment.date()
        return ((self.since is None or day >= self.since)
                and (self.until is None or day <= self.until)
                and (not self.services or event.service in self.services)
                and (not self.providers or event.provider in self.providers)
                and (not self.kinds or event.kind in self.kinds)
                and (not self.severities or event.severity in self.severities))


def format_events(events: list[Event], fmt: str, lang: str) -> str:
    """``fmt``: "json" (one array), "jsonl" (one object per line, for streams), "markdown" (a
    table) or "text"."""
    if fmt in ("json", "jsonl"):
        records = [{**event.to_dict(), "summary": i18n.summarize(event, lang)}
                   for event in events]
        if fmt == "json":
            return json.dumps(records, ensure_ascii=False, indent=2) + "\n"
        return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    if fmt == "markdown":
        rows = ["| date | service | kind | severity | change |", "|---|---|---|---|---|"]
        for event in events:
            summary = i18n.summarize(event, lang).replace("|", "\\|")
            rows.append(f"| {event.moment.date().isoformat()} | {event.service} | {event.kind} | "
                        f"{event.severity} | {summary} |")
        return "\n".join(rows) + "\n"
    return "".join(f"{event.moment.date().isoformat()}  {event.severity:<8}  {event.service:<20}  "
                   f"{event.kind:<18}  {i18n.summarize(event, lang)}\n" for event in events)
