"""``SCHEMA``: the JSON Schema of a service data file, for editors (``tracker schema``). The
validation itself is tracker.sources.data's; the two describe the same normalized shape.
"""

from __future__ import annotations

from typing import Any

from tracker.model import LANGS, LIMIT_KEYS, REQUIREMENTS

CURRENCY_PATTERN = "^([A-Z]{3}|credits)$"

_QUANTITY = {"oneOf": [{"type": "integer", "minimum": 0},
                       {"type": "string",
                        "description": "'unlimited', '14.4K', '100 万', or text"}]}
_LIMITS = {"type": "object", "additionalProperties": False,
           "properties": {key: {"$ref": "#/$defs/quantity"} for key in LIMIT_KEYS}}
_PRICE = {"oneOf": [{"type": "number", "minimum": 0}, {"type": "string"}],
          "description": "Per million tokens, in the model's currency."}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://github.com/tracker/tracker/schema/service.json",
    "title": "Service",
    "description": "One free or trial LLM API service; the file stem is the service id.",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "$schema": {"type": "string", "description": "Ignored: lets editors find this schema."},
        "id": {"type": "string", "description": "Optional; must equal the file stem."},
        "path": {"type": "string", "description": "Ignored: the file's own path is used."},
        "lang": {"enum": list(LANGS), "default": "zh"},
        "name": {"type": "string"},
        "provider": {"type": "string", "description": "Provider slug."},
        "endpoint": {"type": "string", "description": "API base URL."},
        "tier": {"type": "string",
                 "description": "free, limited-free, trial-credits, paid "
                                "(or 完全免费 / 有限免费 / 试用积分), else free text."},
        "requirements": {"type": "array", "uniqueItems": True,
                         "items": {"enum": list(REQUIREMENTS)}},
        "credit_card_required": {"type": "boolean"},
        "trial_credits": {"$ref": "#/$defs/trial_credits"},
        "limits": {"$ref": "#/$defs/limits"},
        "tiers": {"type": "object", "description": "Quota tier name → its limits.",
                  "additionalProperties": {"$ref": "#/$defs/limits"}},
        "quota_reset": {"type": "string"},
        "models": {"type": "object", "description": "Model id → its facts.",
                   "additionalProperties": {"oneOf": [{"$ref": "#/$defs/model"},
                                                      {"type": "null"}]}},
    },
    "$defs": {
        "quantity": _QUANTITY,
        "limits": _LIMITS,
        "model": {"type": "object", "additionalProperties": False, "properties": {
            "context": {"$ref": "#/$defs/quantity"},
            "max_output": {"$ref": "#/$defs/quantity"},
            "input_price": _PRICE,
            "output_price": _PRICE,
            "cache_read_price": _PRICE,
            "cache_write_price": _PRICE,
            "currency": {"type": "string", "pattern": CURRENCY_PATTERN, "default": "USD"},
            "deprecated": {"type": "boolean"},
            "shutdown_date": {"type": "string", "format": "date"},
        }},
        "trial_credits": {"type": "object", "additionalProperties": False, "properties": {
            "amount": {"oneOf": [{"type": "number", "minimum": 0}, {"type": "string"}]},
            "currency": {"type": "string", "pattern": CURRENCY_PATTERN},
            "valid_days": {"type": "integer", "minimum": 0},
        }},
    },
}
