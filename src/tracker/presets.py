"""Built-in record settings for the public catalogues the tracker knows: one source of truth for
``records:`` entries and ``drift:`` entries that say ``preset: models-dev`` (the example configs
in examples/configs/ load these too).

A preset is the keys of a ``records:`` entry; keys stated beside ``preset:`` override its own
(``fields`` as a whole). ``CATALOGUES`` says where each catalogue's repository is, for the
workflow ``tracker init --drift NAME`` writes.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

PRESETS: dict[str, dict[str, Any]] = {
    # https://github.com/anomalyco/models.dev: providers/<p>/provider.toml names a provider, and
    # every providers/<p>/models/<model-id>.toml is one model (an id with '/' is a subfolder).
    "models-dev": {
        "name": "models.dev",
        "files": ["providers/*/provider.toml", "providers/*/models/**/*.toml"],
        "layout": "file",
        "id_from": "path",
        "id_pattern": r"^providers/(?P<service>[^/]+)/models/(?P<id>.+)\.toml$",
        "service_name_file": "providers/{service}/provider.toml",
        "service_name_field": "name",
        "fields": {"context": "limit.context", "max_output": "limit.output",
                   "input_price": "cost.input", "output_price": "cost.output",
                   "cache_read_price": "cost.cache_read", "cache_write_price": "cost.cache_write",
                   "deprecated": "status"},
        "price_scale": "per_million",
        "currency": "USD",
        "deprecated_values": ["deprecated"],
    },
    # https://github.com/BerriAI/litellm: one JSON file maps model id → record, and the record's
    # litellm_provider is the service.
    "litellm": {
        "name": "LiteLLM",
        "files": ["model_prices_and_context_window.json"],
        "layout": "map",
        "id_from": "key",
        "service_field": "litellm_provider",
        "fields": {"context": "max_input_tokens", "max_output": "max_output_tokens",
                   "input_price": "input_cost_per_token", "output_price": "output_cost_per_token",
                   "cache_read_price": "cache_read_input_token_cost",
                   "cache_write_price": "cache_creation_input_token_cost",
                   "shutdown_date": "deprecation_date"},
        "price_scale": "per_token",
        "currency": "USD",
        "skip_keys": ["sample_spec"],  # documentation of the format, not a model
    },
}


@dataclass(frozen=True)
class Catalogue:
    """A public catalogue kept in git, as ``tracker init --drift NAME`` knows it."""

    name: str  # the drift entry's name, and the folder it is checked out into beside the site
    repository: str  # owner/name on GitHub
    preset: str


CATALOGUES = {
    "models.dev": Catalogue("models.dev", "anomalyco/models.dev", "models-dev"),
    "litellm": Catalogue("litellm", "BerriAI/litellm", "litellm"),
}


def preset(name: str) -> dict[str, Any] | None:
    """A copy of the preset's keys (the caller may change it), or None when there is none."""
    found = PRESETS.get(name)
    return copy.deepcopy(found) if found is not None else None
