"""The event catalogue: every event the platform publishes, its emitter and its payload schema.

An event on the wire is an envelope::

    {"event_id": "...", "event_type": "order_shipped", "version": 1, "source": "shop",
     "occurred_at": "2026-11-21T10:00:00+00:00", "correlation_id": "...", "data": {...}}

``data`` is validated against the schema registered here before it is written to the outbox,
so nothing leaves a service that its listeners cannot read. ``docs/EVENTS.md`` is generated
from this registry (``python -m platform_kit.catalogue``) and a test keeps it true.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from marshmallow import EXCLUDE, Schema, ValidationError, fields


@dataclass(frozen=True)
class EventContract:
    event_type: str
    source: str
    version: int
    schema: type[Schema]
    description: str
    listeners: tuple[str, ...] = field(default=())


_registry: dict[str, EventContract] = {}


def register(event_type: str, *, source: str, schema: type[Schema], description: str,
             version: int = 1) -> type[Schema]:
    if event_type in _registry and _registry[event_type].source != source:
        raise ValueError(f"event {event_type!r} is already published by {_registry[event_type].source}")
    _registry[event_type] = EventContract(event_type, source, version, schema, description)
    return schema


def unregister(event_type: str) -> None:
    """Forget a contract (tests that register events of their own clean up after themselves)."""
    _registry.pop(event_type, None)


_loaded = False


def _load_catalogue() -> None:
    """Let the installed contract packages register their events (entry points ``platform_kit.contracts``).

    The kernel names no service: whoever publishes events installs a package that registers them.
    """
    global _loaded
    if _loaded:
        return
    _loaded = True
    from importlib.metadata import entry_points

    for entry in entry_points(group="platform_kit.contracts"):
        module = entry.load()
        register_all = getattr(module, "register_all", None)
        if register_all is not None:
            register_all()


def contract(event_type: str) -> EventContract:
    _load_catalogue()
    try:
        return _registry[event_type]
    except KeyError:
        raise LookupError(f"event {event_type!r} is not in the event catalogue") from None


def all_contracts() -> list[EventContract]:
    _load_catalogue()
    return sorted(_registry.values(), key=lambda c: (c.source, c.event_type))


class EnvelopeSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    event_id = fields.String(required=True)
    event_type = fields.String(required=True)
    version = fields.Integer(required=True)
    source = fields.String(required=True)
    occurred_at = fields.AwareDateTime(required=True)
    correlation_id = fields.String(allow_none=True)
    data = fields.Dict(required=True)


# One schema instance per contract and mode, built once: building a marshmallow schema (copying
# and binding every field) cost more than loading the data with it, 5-11 % of a consumer's time in
# the profiles of make bench. Instances hold no state between load/dump calls, so sharing is safe.
_schemas: dict[tuple[type[Schema], str | None], Schema] = {}
_envelope_schema: Schema | None = None


def _schema(event_type: str, unknown: str | None = None) -> Schema:
    cls = contract(event_type).schema  # keyed by class: a contract registered again gets its new schema
    schema = _schemas.get((cls, unknown))
    if schema is None:
        schema = _schemas[(cls, unknown)] = cls(unknown=unknown) if unknown else cls()
    return schema


def validate_data(event_type: str, data: dict) -> dict:
    """Validate and normalise an event's data; raise ValidationError naming each bad field."""
    schema = _schema(event_type)
    try:
        loaded = schema.load(data)
    except ValidationError as exc:
        raise ValidationError({event_type: exc.messages}) from None
    return schema.dump(loaded)


def load_data(envelope: dict) -> dict:
    """Read the data of a received event with its contract (unknown extra fields are ignored)."""
    global _envelope_schema
    if _envelope_schema is None:
        _envelope_schema = EnvelopeSchema()
    _envelope_schema.load(envelope)
    return _schema(envelope["event_type"], EXCLUDE).load(envelope["data"])
