"""Last good facts: a file version some of whose sections did not read keeps those sections'
facts from the version in force, and says why in a warning (Snapshots, walking and loading)."""

from __future__ import annotations

import copy

from tracker.model import SECTION_FIELDS, SectionProblem
from tracker.sources import Parsed


def problems_of(parsed: Parsed) -> list[SectionProblem]:
    return [problem for service in parsed.services for problem in service.problems]


def reason(problem: SectionProblem) -> str:
    return f"{problem.reason} (the {problem.section} section keeps its last good facts)"


def keep_last_good(parsed: Parsed, previous: Parsed | None) -> Parsed:
    """A version with sections that did not read, those sections taken from ``previous`` (the
    version in force). The parse cache's object is not changed."""
    before = {s.id: s for s in previous.services} if previous is not None else {}
    services = []
    for service in parsed.services:
        if service.problems and service.id in before:
            service = copy.copy(service)
            for problem in service.problems:
                for name in SECTION_FIELDS[problem.section]:
                    setattr(service, name, getattr(before[service.id], name))
        services.append(service)
    return Parsed(parsed.kind, tuple(services))
