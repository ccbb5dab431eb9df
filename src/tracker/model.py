"""The normalized shapes every stage exchanges: Service, Model, TrialCredits, Event, Warning.

A quantity (a limit, a context length) is an ``int``, the string ``"unlimited"``, or the raw text
of a cell that did not parse. Prices are floats per million tokens with an ISO currency code.
``Service.to_dict()`` is the JSON shape of ``tracker snapshot`` (a public contract: keys are only
ever added); keys the page does not state are absent.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

UNLIMITED = "unlimited"

# The languages the tracker reads pages in and writes: the one list (config, the CLI, the data
# file schema and i18n take it from here); i18n's word pairs are in this order.
LANGS = ("zh", "en")

Quantity = int | float | str

LIMIT_KEYS = (
    "requests_per_minute",
    "requests_per_hour",
    "requests_per_day",
    "requests_per_month",
    "tokens_per_minute",
    "tokens_per_day",
    "tokens_per_month",
    "neurons_per_day",  # Cloudflare's unit of work (`每日神经元数 | 10,000 neurons/day`)
    "concurrency",
    "max_context",
    "max_output",
    "max_input",  # per request (`每次最大输入 Token`), not the context window
)
PRICE_FIELDS = ("input_price", "output_price", "cache_read_price", "cache_write_price")
LENGTH_KEYS = ("max_context", "max_output", "max_input", "context")
RATE_LIMIT_KEYS = tuple(key for key in LIMIT_KEYS if key not in LENGTH_KEYS)

SERVICE_TYPES = ("free", "limited-free", "trial-credits", "paid")  # worst last
REQUIREMENTS = ("registration", "credit_card", "real_name", "phone", "waitlist")

SEVERITIES = ("breaking", "notable", "info")  # most severe first: the one order of severities


def severity_rank(severity: str) -> int:
    """Where a severity sorts: breaking first; an unknown one after every known one."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


KINDS = (
    "service_added",
    "service_removed",
    "service_renamed",
    "model_added",
    "model_removed",
    "model_deprecated",
    "context_changed",
    "output_changed",
    "quota_cut",
    "quota_raised",
    "quota_added",
    "quota_removed",
    "price_increase",
    "price_decrease",
    "price_added",
    "price_removed",
    "tier_changed",
    "credits_changed",
    "requirement_added",
    "requirement_removed",
    "endpoint_changed",
    "reset_changed",
    "info_changed",
)


@lru_cache(maxsize=8192)  # a render reads each event's time ~15 times; datetimes are immutable
def parse_moment(date: str) -> datetime:
    """The instant an ISO 8601 date names, in the offset it was written with. A date without an
    offset (hand-edited) is UTC, never the machine's zone: the same ledger sorts and renders
    alike on every machine. Raises ValueError for text that is no ISO 8601 date."""
    when = datetime.fromisoformat(date)
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


@lru_cache(maxsize=16384)
def instant(date: str) -> float:
    """``parse_moment(date).timestamp()``: the instant an event's date names, which the ledger
    and every renderer order events by. Memoized by the date text, of which it is a pure
    function: a commit's events share it, and a full render orders them ~8 times (models.dev:
    125,000 timestamps of 2,473 dates)."""
    return parse_moment(date).timestamp()


_EMPTY: tuple[Any, ...] = (None, {}, [], "")  # what _prune drops: not stated


def _prune(value: Any) -> Any:
    """Drop None, empty containers and empty strings, recursively: absent means 'not stated'.
    Hot (every touched service at every commit): a call only per container, not per value."""
    if isinstance(value, dict):
        pruned = {}
        for key, item in value.items():
            if isinstance(item, (dict, list)):
                item = _prune(item)
            if item not in _EMPTY:
                pruned[key] = item
        return pruned
    if isinstance(value, list):
        return [_prune(v) if isinstance(v, (dict, list)) else v for v in value]
    return value


@dataclass
class Model:
    """One model row: lengths in tokens, prices per million tokens."""

    context: Quantity | None = None
    max_output: Quantity | None = None
    input_price: float | str | None = None
    output_price: float | str | None = None
    cache_read_price: float | str | None = None  # input read from a prompt cache
    cache_write_price: float | str | None = None  # input written to a prompt cache
    currency: str | None = None
    deprecated: bool | None = None
    shutdown_date: str | None = None
    # the model's price bands: prices that apply above a token count or under a condition, each
    # band its own facts: {">200K": {"input_price": 10}}. Its key in the facts is "price_tiers",
    # kept: the ids of service_added and model_added events derive from facts that hold it
    price_bands: dict[str, dict[str, float | str]] | None = None
    # prices stated by date (ISO day → the whole price from that day: price fields and
    # price_tiers); in the facts of a commit only the days after its date remain (tracker.dated)
    price_schedule: dict[str, dict[str, Any]] | None = None

    def to_dict(self) -> dict[str, Any]:
        # Hot: called for every model of every touched service. asdict() deep-copies and
        # _prune recurses; the fields are scalars, so one pass does the same.
        data = {}
        for name, key in _MODEL_KEYS:
            value = getattr(self, name)
            if value is not None and value != "" and value is not False:
                data[key] = value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Model":
        return cls(**{_MODEL_FIELDS[k]: v for k, v in data.items() if k in _MODEL_FIELDS})


# (field, its key in the facts): a price band's key keeps the name ids were first made with
_MODEL_KEYS = tuple((f.name, "price_tiers" if f.name == "price_bands" else f.name)
                    for f in fields(Model))
_MODEL_FIELDS = {key: name for name, key in _MODEL_KEYS}


@dataclass
class TrialCredits:
    amount: float | str | None = None
    currency: str | None = None
    valid_days: int | None = None
    period: str | None = None  # "month", "day": credits given again every period

    def to_dict(self) -> dict[str, Any]:
        pruned: dict[str, Any] = _prune(asdict(self))
        return pruned


@dataclass
class Service:
    """The facts of one service at one commit."""

    id: str
    path: str
    lang: str = "zh"
    name: str | None = None
    provider: str | None = None
    endpoint: str | None = None
    # 服务类型: its JSON key and an event's field are "tier", its kind tier_changed (contracts)
    service_type: str | None = None
    requirements: list[str] = field(default_factory=list)
    credit_card_required: bool | None = None
    trial_credits: TrialCredits | None = None
    limits: dict[str, Quantity] = field(default_factory=dict)
    # quota tier name → its limits (JSON key "tiers"); an event's ``tier`` names one of these
    quota_tiers: dict[str, dict[str, Quantity]] = field(default_factory=dict)
    quota_reset: str | None = None
    models: dict[str, Model] = field(default_factory=dict)
    # the sections that did not read at this version (not a fact: never compared or stored)
    problems: list["SectionProblem"] = field(default_factory=list, compare=False, repr=False)
    # the name is the front matter's title (no 服务名称 line, no heading): SEO text that may
    # change any day, so the walk keeps the name the service first had (see tracker.walk.snapshots)
    name_from_title: bool = field(default=False, compare=False, repr=False)

    def to_dict(self, models: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
        """``models``: each model's ``Model.to_dict()``, when the caller already holds them."""
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "provider": self.provider,
            "path": self.path,
            "lang": self.lang,
            "endpoint": self.endpoint,
            "tier": self.service_type,
            "requirements": sorted(set(self.requirements)),
            "credit_card_required": self.credit_card_required,
            "trial_credits": self.trial_credits.to_dict() if self.trial_credits else None,
            "limits": dict(self.limits),
            "tiers": {k: dict(v) for k, v in self.quota_tiers.items()},
            "quota_reset": self.quota_reset,
        }
        pruned = _prune(data)
        if self.credit_card_required is False:
            pruned["credit_card_required"] = False
        # a model row that states nothing but its id is still a model; built once, unpruned
        if models is None:
            models = {k: m.to_dict() for k, m in self.models.items()}
        pruned["models"] = models or None
        return {k: v for k, v in pruned.items() if v is not None}

    def facts(self, models: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
        """What is compared between two commits: everything but where the page lives
        (``models`` as for ``to_dict``)."""
        data = self.to_dict(models)
        for key in ("id", "path", "lang"):
            data.pop(key, None)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Service":
        credits = data.get("trial_credits")
        return cls(
            id=data["id"],
            path=data.get("path", ""),
            lang=data.get("lang", "zh"),
            name=data.get("name"),
            provider=data.get("provider"),
            endpoint=data.get("endpoint"),
            service_type=data.get("tier"),
            requirements=list(data.get("requirements") or []),
            credit_card_required=data.get("credit_card_required"),
            trial_credits=TrialCredits(**credits) if isinstance(credits, dict) else None,
            limits=dict(data.get("limits") or {}),
            quota_tiers={k: dict(v) for k, v in (data.get("tiers") or {}).items()},
            quota_reset=data.get("quota_reset"),
            models={k: Model.from_dict(v or {}) for k, v in (data.get("models") or {}).items()},
        )


class FactsMemo:
    """``Service.facts()`` of the services a walk keeps in force, each model's dict taken again
    from the service's last facts when its Model is the very object they were made from: a
    record catalogue's service holds hundreds of models, a commit changes one or two, and the
    rest are the parse's objects of files or records that did not change. Keyed by service and
    model id, checked by identity — sound because a Model is not changed once its parse is
    returned (the parse cache shares them too); a Model parsed again is a new object, turned
    into a dict afresh, so at worst the memo does not help. Held by one walk, never shared."""

    def __init__(self) -> None:
        self._kept: dict[str, dict[str, tuple[Model, dict[str, Any]]]] = {}

    def facts(self, service: Service) -> dict[str, Any]:
        kept = self._kept.get(service.id, {})
        now: dict[str, tuple[Model, dict[str, Any]]] = {}
        for model_id, model in service.models.items():
            known = kept.get(model_id)
            now[model_id] = known if known is not None and known[0] is model \
                else (model, model.to_dict())
        self._kept[service.id] = now
        return service.facts({model_id: known[1] for model_id, known in now.items()})

    def forget(self, service_id: str) -> None:
        self._kept.pop(service_id, None)


# The facts each section of a page states: when a section does not read, these keep their last
# good values while the rest of the page is read afresh.
SECTION_FIELDS = {
    "overview": ("name", "provider", "endpoint", "service_type", "requirements",
                 "credit_card_required", "trial_credits"),
    # a quota table also states the trial credits and the credit card
    "limits": ("limits", "quota_tiers", "quota_reset", "trial_credits", "credit_card_required"),
    "models": ("models",),
}


@dataclass(frozen=True)
class SectionProblem:
    """A section of a page that did not read: which, where, why."""

    section: str  # a key of SECTION_FIELDS
    line: int | None
    reason: str
    hint: str | None = None


@dataclass
class Event:
    """One classified change of one service at one commit; the unit of the ledger."""

    id: str
    date: str  # ISO 8601 with offset: the commit's author date
    commit: str
    path: str
    service: str
    service_name: str | None
    provider: str | None
    model: str | None
    kind: str
    field: str | None
    old: Any
    new: Any
    change_pct: float | None
    severity: str
    tier: str | None = None  # the quota tier ("Pro 模型") a limit belongs to, if any
    # the price band (">200K", "UTC 00:30–16:30": a key of the model's price_tiers) a price
    # belongs to, if any; never set together with ``tier``
    band: str | None = None
    currency: str | None = None  # of a price event's new amount (and old, unless below)
    old_currency: str | None = None  # of its old amount, when that differs (¥1/M → $0.28/M)
    # an announced price change: the day it takes effect (ISO), after the commit's date
    effective: str | None = None
    note: str | None = None  # from overrides.yaml
    source: str | None = None  # from overrides.yaml: a link backing the change

    @property
    def moment(self) -> datetime:
        """When the event happened: the only way its time is read. In the author's offset, so
        ``.date()`` is the day the author saw (a changelog's month, a digest's week), while
        comparisons and ``.timestamp()`` order instants."""
        return parse_moment(self.date)

    @property
    def currencies(self) -> tuple[str | None, str | None]:
        """The currency of the old amount and of the new one."""
        return (self.old_currency or self.currency, self.currency)

    def to_dict(self) -> dict[str, Any]:
        # Not asdict(): its generic deep copy was 7% of a walk whose events carry whole
        # services. Still a copy: containers shared between events would become YAML anchors.
        data = {name: getattr(self, name) for name in _EVENT_ORDER}
        data["old"], data["new"] = _copy(self.old), _copy(self.new)
        for optional in ("tier", "band", "currency", "old_currency", "effective", "note",
                         "source"):
            if data[optional] is None:
                del data[optional]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Event":
        names = _EVENT_FIELDS  # not fields() per call: a cold run reads thousands of events
        event = cls(**{k: v for k, v in data.items() if k in names})
        if event.tier is not None and event.field in PRICE_FIELDS:
            # written before price bands had their own key: a price's "tier" was its band
            event.tier, event.band = None, event.tier
        return event

    @property
    def tier_or_band(self) -> str | None:
        """The quota tier or price band the event is about (one slot of its id and its order:
        never both, so ids and orders made before ``band`` was its own field stay the same)."""
        return self.tier if self.tier is not None else self.band


_EVENT_ORDER = tuple(f.name for f in fields(Event))
_EVENT_FIELDS = frozenset(_EVENT_ORDER)


def _copy(value: Any) -> Any:
    """A deep copy of plain data (dicts, lists, scalars), as asdict() makes of an event's
    values; anything else goes through copy.deepcopy as asdict() would."""
    kind = type(value)
    if kind is dict:
        return {k: _copy(v) for k, v in value.items()}
    if kind is list:
        return [_copy(v) for v in value]
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value
    return asdict(value) if hasattr(value, "__dataclass_fields__") \
        and not isinstance(value, type) else copy.deepcopy(value)


@dataclass(frozen=True)
class ParseWarning:
    """A file that did not parse at some commit; its last good snapshot stays in force."""

    path: str
    line: int | None
    reason: str
    commit: str | None = None
    date: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.reason}"
