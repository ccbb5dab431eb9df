"""tracker: turn the git history of a catalogue of LLM API services into changelogs and feeds."""

__version__ = "0.1.0"
